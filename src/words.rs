//! Trace events, operations and anomalies in words.
//!
//! Pure functions over engine types, so they are unit-tested natively. They only rephrase what
//! the engine recorded; they never decide anything about replication.

use replica_engine::check::{Anomaly, AnomalyKind, Fate, WriteFate};
use replica_engine::client::{OpKind, OpResult, Operation};
use replica_engine::trace::DropCause;
use replica_engine::types::{Addr, MsgId, MsgKind, OpId, Time, MS};
use replica_engine::{TraceEvent, TraceKind};

/// Virtual time for people: "840.0 ms" below ten seconds, "12.345 s" above.
pub fn time(t: Time) -> String {
    if t < 10_000 * MS {
        format!("{:.1} ms", t as f64 / MS as f64)
    } else {
        format!("{:.3} s", t as f64 / 1e6)
    }
}

/// A duration, rounded for labels: "120 ms", "4.5 ms", "1.2 s".
pub fn span(t: Time) -> String {
    if t >= 1_000 * MS {
        format!("{:.1} s", t as f64 / 1e6)
    } else if t >= 10 * MS {
        format!("{} ms", (t + MS / 2) / MS)
    } else {
        format!("{:.1} ms", t as f64 / MS as f64)
    }
}

/// The groups the event log filters by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Category {
    Message,
    Drop,
    Client,
    Fault,
    Role,
    Setting,
    Anomaly,
}

impl Category {
    pub const ALL: [Category; 7] = [
        Category::Client,
        Category::Fault,
        Category::Role,
        Category::Anomaly,
        Category::Drop,
        Category::Setting,
        Category::Message,
    ];
    pub fn bit(self) -> u8 {
        1 << (self as u8)
    }
    pub fn label(self) -> &'static str {
        match self {
            Category::Message => "Messages",
            Category::Drop => "Drops",
            Category::Client => "Clients",
            Category::Fault => "Faults",
            Category::Role => "Roles",
            Category::Setting => "Settings",
            Category::Anomaly => "Anomalies",
        }
    }
    pub fn class(self) -> &'static str {
        match self {
            Category::Message => "c-msg",
            Category::Drop => "c-drop",
            Category::Client => "c-client",
            Category::Fault => "c-fault",
            Category::Role => "c-role",
            Category::Setting => "c-setting",
            Category::Anomaly => "c-anomaly",
        }
    }
    /// Every category but the message chatter (sends and deliveries).
    pub const DEFAULT_MASK: u8 = 0x7f & !(1 << (Category::Message as u8));
}

#[allow(unreachable_patterns)] // The engine may grow new trace kinds; they show as settings.
pub fn category(k: &TraceKind) -> Category {
    match k {
        TraceKind::Sent { .. } | TraceKind::Delivered { .. } => Category::Message,
        TraceKind::Dropped { .. } => Category::Drop,
        TraceKind::Invoked { .. } | TraceKind::Completed { .. } => Category::Client,
        TraceKind::Crashed { .. }
        | TraceKind::Restarted { .. }
        | TraceKind::NodeAdded { .. }
        | TraceKind::LinkCut { .. }
        | TraceKind::LinkHealed { .. } => Category::Fault,
        TraceKind::Role { .. } | TraceKind::SyncSet { .. } | TraceKind::Truncated { .. } => {
            Category::Role
        }
        TraceKind::Anomaly { .. } => Category::Anomaly,
        _ => Category::Setting,
    }
}

/// A message as the log needs it to describe a delivery or a drop.
#[derive(Clone, Debug, PartialEq)]
pub struct SentInfo {
    pub from: Addr,
    pub to: Addr,
    pub kind: MsgKind,
}

/// What [`describe`] may look things up in.
pub struct Context<'a> {
    pub history: &'a [Operation],
    pub anomalies: &'a [Anomaly],
    /// Messages sent within the window being described (few: a linear search is enough).
    pub sent: &'a [(MsgId, SentInfo)],
}

impl Context<'_> {
    fn sent_info(&self, id: MsgId) -> Option<&SentInfo> {
        self.sent.iter().find(|(i, _)| *i == id).map(|(_, s)| s)
    }
}

pub fn op_text(op: &Operation) -> String {
    match &op.kind {
        OpKind::Write { key, value } => format!("write {key}={value}"),
        OpKind::Read { key } => format!("read {key}"),
    }
}

/// The outcome of an operation in a few words.
pub fn result_text(op: &Operation) -> String {
    match &op.result {
        OpResult::Pending => "pending".into(),
        OpResult::Written { lsn, epoch, .. } => format!("ok (lsn {lsn}, epoch {epoch})"),
        OpResult::Read { value: Some(v), .. } => format!("→ {v}"),
        OpResult::Read { value: None, .. } => "→ (nothing)".into(),
        OpResult::Failed { reason } => format!("failed: {reason}"),
        OpResult::Indeterminate { reason } => format!("unknown: {reason}"),
    }
}

/// A short class for an operation's outcome: ok / pending / failed / unknown.
pub fn result_class(op: &Operation) -> &'static str {
    match op.result {
        OpResult::Pending => "pending",
        OpResult::Written { .. } | OpResult::Read { .. } => "ok",
        OpResult::Failed { .. } => "failed",
        OpResult::Indeterminate { .. } => "unknown",
    }
}

fn cause_text(c: DropCause) -> &'static str {
    match c {
        DropCause::Loss => "lost by the network",
        DropCause::Partition => "link cut",
        DropCause::NodeDown => "receiver down",
    }
}

fn value_of(history: &[Operation], write: Option<OpId>) -> String {
    match write.and_then(|w| history.get(w as usize)) {
        Some(Operation {
            kind: OpKind::Write { value, .. },
            ..
        }) => format!("{value} (write #{})", write.unwrap_or_default()),
        _ => "nothing".into(),
    }
}

/// One anomaly in a sentence.
#[allow(unreachable_patterns)] // The engine may grow new anomaly kinds.
pub fn anomaly_text(a: &Anomaly, history: &[Operation]) -> String {
    match &a.kind {
        AnomalyKind::StaleRead {
            op,
            returned,
            missed,
        } => {
            let key = history
                .get(*op as usize)
                .map(|o| o.kind.key().to_string())
                .unwrap_or_default();
            format!(
                "Stale read: read #{op} of {key} returned {}, although write #{missed} had been \
                 acknowledged before the read began.",
                value_of(history, *returned)
            )
        }
        AnomalyKind::LostWrite { op, leader, epoch } => format!(
            "Lost write: write #{op} was acknowledged, then n{leader} became leader of epoch \
             {epoch} without it."
        ),
        AnomalyKind::SplitBrain { nodes, epochs } => {
            let ns: Vec<String> = nodes.iter().map(|n| format!("n{n}")).collect();
            let es: Vec<String> = epochs.iter().map(|e| e.to_string()).collect();
            format!(
                "Split brain: {} accepted writes as leaders at the same time (epochs {}).",
                ns.join(" and "),
                es.join(", ")
            )
        }
        AnomalyKind::Discarded { op, by, why } => format!(
            "Discarded write: write #{op} was thrown away in favour of write #{by} ({why})."
        ),
        AnomalyKind::Conflict { key, writes } => {
            let ws: Vec<String> = writes.iter().map(|w| format!("#{w}")).collect();
            format!(
                "Conflict: writes {} to {key} did not see each other.",
                ws.join(", ")
            )
        }
        AnomalyKind::OutOfOrder {
            node,
            write,
            missing,
        } => format!(
            "Out of order: n{node} applied write #{write} before write #{missing}, which it depends on."
        ),
        _ => String::new(),
    }
}

pub fn fate_label(f: Fate) -> &'static str {
    match f {
        Fate::Pending => "pending",
        Fate::Durable => "durable",
        Fate::Lost => "LOST",
        Fate::Indeterminate => "unknown",
        Fate::Failed => "failed",
    }
}

pub fn fate_class(w: &WriteFate) -> &'static str {
    match w.fate {
        Fate::Pending => "pending",
        Fate::Durable => "ok",
        Fate::Lost => "lost",
        Fate::Indeterminate => "unknown",
        Fate::Failed => "failed",
    }
}

fn nodes_text(ns: &[replica_engine::NodeId]) -> String {
    if ns.is_empty() {
        return "no follower".into();
    }
    let v: Vec<String> = ns.iter().map(|n| format!("n{n}")).collect();
    v.join(", ")
}

/// One trace event in words.
#[allow(unreachable_patterns)] // The engine may grow new trace kinds.
pub fn describe(e: &TraceEvent, cx: &Context) -> String {
    let op = |id: &OpId| cx.history.get(*id as usize);
    match &e.kind {
        TraceKind::Sent {
            from,
            to,
            kind,
            summary,
            ..
        } if summary.starts_with(kind.name()) => format!("{from} → {to} {summary}"),
        TraceKind::Sent {
            from,
            to,
            kind,
            summary,
            ..
        } => format!("{from} → {to} {}: {summary}", kind.name()),
        TraceKind::Delivered { id } => match cx.sent_info(*id) {
            Some(s) => format!("{} → {} {} arrived", s.from, s.to, s.kind.name()),
            None => format!("message {id} arrived"),
        },
        TraceKind::Dropped { id, cause } => match cx.sent_info(*id) {
            Some(s) => format!(
                "{} → {} {} dropped: {}",
                s.from,
                s.to,
                s.kind.name(),
                cause_text(*cause)
            ),
            None => format!("message {id} dropped: {}", cause_text(*cause)),
        },
        TraceKind::Crashed { node } => format!("n{node} crashed"),
        TraceKind::Restarted { node } => format!("n{node} restarted"),
        TraceKind::NodeAdded { node } => format!("n{node} joined the cluster"),
        TraceKind::Role { node, role, epoch } => match role.name() {
            "leader" => format!("n{node} became leader of epoch {epoch}"),
            "candidate" => format!("n{node} stands for election in epoch {epoch}"),
            r => format!("n{node} is {r} in epoch {epoch}"),
        },
        TraceKind::SyncSet { node, followers } => {
            format!("leader n{node} now waits for {}", nodes_text(followers))
        }
        TraceKind::Truncated {
            node,
            from_lsn,
            writes,
        } => {
            let ws: Vec<String> = writes.iter().map(|w| format!("#{w}")).collect();
            if ws.is_empty() {
                format!("n{node} cut its log back from lsn {from_lsn}")
            } else {
                format!(
                    "n{node} threw away its log from lsn {from_lsn}: writes {}",
                    ws.join(", ")
                )
            }
        }
        TraceKind::Invoked { op: id, client } => match op(id) {
            Some(o) => format!("c{client} sends {} (#{id}) to n{}", op_text(o), o.node),
            None => format!("c{client} starts #{id}"),
        },
        TraceKind::Completed { op: id, client } => match op(id) {
            Some(o) => format!("c{client}: {} (#{id}) {}", op_text(o), result_text(o)),
            None => format!("c{client}: #{id} finished"),
        },
        TraceKind::LinkCut { from, to } => format!("link n{from} → n{to} cut"),
        TraceKind::LinkHealed { from, to } => format!("link n{from} → n{to} healed"),
        TraceKind::Config { text } => format!("setting: {text}"),
        TraceKind::Caption { text } => text.clone(),
        TraceKind::Anomaly { index } => match cx.anomalies.get(*index as usize) {
            Some(a) => anomaly_text(a, cx.history),
            None => "anomaly".into(),
        },
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use replica_engine::types::Role;

    fn cx(sent: &[(MsgId, SentInfo)]) -> Context<'_> {
        Context {
            history: &[],
            anomalies: &[],
            sent,
        }
    }

    #[test]
    fn times_read_naturally() {
        assert_eq!(time(1_234_500), "1234.5 ms");
        assert_eq!(time(12_345_678), "12.346 s");
        assert_eq!(span(120_400), "120 ms");
        assert_eq!(span(4_500), "4.5 ms");
        assert_eq!(span(1_250_000), "1.2 s");
    }

    #[test]
    fn events_in_words() {
        let sent = vec![(
            7,
            SentInfo {
                from: Addr::Node(0),
                to: Addr::Node(2),
                kind: MsgKind::Replicate,
            },
        )];
        let c = cx(&sent);
        let ev = |kind| TraceEvent { t: 5, kind };
        assert_eq!(
            describe(
                &ev(TraceKind::Dropped {
                    id: 7,
                    cause: DropCause::Partition
                }),
                &c
            ),
            "n0 → n2 replicate dropped: link cut"
        );
        assert_eq!(
            describe(
                &ev(TraceKind::Role {
                    node: 1,
                    role: Role::Leader,
                    epoch: 2
                }),
                &c
            ),
            "n1 became leader of epoch 2"
        );
        assert_eq!(category(&TraceKind::Crashed { node: 1 }), Category::Fault);
        assert_eq!(Category::DEFAULT_MASK & Category::Message.bit(), 0);
        assert_ne!(Category::DEFAULT_MASK & Category::Anomaly.bit(), 0);
    }

    #[test]
    fn user_text_is_passed_through_verbatim() {
        // The page renders these strings as text nodes; nothing here may interpret them.
        let sent = Vec::new();
        let e = TraceEvent {
            t: 0,
            kind: TraceKind::Caption {
                text: "<b>hi</b>".into(),
            },
        };
        assert_eq!(describe(&e, &cx(&sent)), "<b>hi</b>");
    }
}
