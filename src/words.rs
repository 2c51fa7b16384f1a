//! Trace events, operations and anomalies in words.
//!
//! Pure functions over engine types, so they are unit-tested natively. They only rephrase what
//! the engine recorded; they never decide anything about replication.

use replica_engine::check::{Anomaly, AnomalyKind, Fate, WriteFate};
use replica_engine::client::{History, OpKind, OpResult, Operation};
use replica_engine::scenario::{Resolution, Strategy, SyncMode, Topology};
use replica_engine::trace::DropCause;
use replica_engine::types::{Addr, MsgId, MsgKind, OpId, Time, MS};
use replica_engine::window::Window;
use replica_engine::{TraceEvent, TraceKind};

/// Virtual time for people: "840.0 ms" below ten seconds, "12.345 s" below a minute, then
/// minutes and hours: "40:00.000", "1:05:00.000".
pub fn time(t: Time) -> String {
    let ms = (t + MS / 2) / MS; // whole milliseconds, rounded
    let (h, m, s, frac) = (
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1_000 % 60,
        ms % 1_000,
    );
    if t < 10_000 * MS {
        format!("{:.1} ms", t as f64 / MS as f64)
    } else if ms < 60_000 {
        format!("{s}.{frac:03} s")
    } else if h == 0 {
        format!("{m}:{s:02}.{frac:03}")
    } else {
        format!("{h}:{m:02}:{s:02}.{frac:03}")
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

/// "1 write", "3 writes".
pub fn writes(n: u64) -> String {
    format!("{n} write{}", if n == 1 { "" } else { "s" })
}

/// A conflict resolution rule in readers' words.
pub fn resolution(r: Resolution) -> &'static str {
    match r {
        Resolution::LastWriteWins => "last write wins",
        Resolution::HighestReplica => "highest replica id wins",
        Resolution::Siblings => "keep siblings",
        Resolution::Union => "merge into a set",
    }
}

/// What a conflict resolution rule does, in one line.
pub fn resolution_hint(r: Resolution) -> &'static str {
    match r {
        Resolution::LastWriteWins => "Of two concurrent writes, the one with the later timestamp (the accepting node's clock) survives; the other is silently discarded. A skewed clock can make a causally later write lose.",
        Resolution::HighestReplica => "Of two concurrent writes, the one accepted by the higher-numbered node survives; the other is discarded.",
        Resolution::Siblings => "Concurrent writes are all kept as siblings; a read returns them all and the next write replaces them.",
        Resolution::Union => "Concurrent values are merged into one set value, so nothing is discarded.",
    }
}

pub fn topology(t: Topology) -> &'static str {
    match t {
        Topology::AllToAll => "all-to-all",
        Topology::Circular => "circular",
        Topology::Star => "star",
    }
}

pub fn topology_hint(t: Topology) -> &'static str {
    match t {
        Topology::AllToAll => "Every leader sends its writes straight to every other leader: fast, but writes can overtake each other on the way.",
        Topology::Circular => "Each leader forwards writes to the next one around the ring: one broken leader or link stops the flow for everyone after it.",
        Topology::Star => "Leaders send writes to the hub (region 0), which forwards them to the others: the hub is a single point of failure.",
    }
}

pub fn sync_mode(m: SyncMode) -> String {
    match m {
        SyncMode::Sync => "sync".into(),
        SyncMode::SemiSync { k } => format!("semi-sync (k = {k})"),
        SyncMode::Async => "async".into(),
    }
}

/// The strategy and its main settings in a few words, for notices and the status bar.
pub fn strategy_summary(s: &Strategy, nodes: u16) -> String {
    match s {
        Strategy::SingleLeader(sl) => format!(
            "single-leader, {nodes} node{}, followers {}",
            if nodes == 1 { "" } else { "s" },
            sync_mode(sl.mode)
        ),
        Strategy::MultiLeader(ml) => {
            let mut t = format!(
                "multi-leader, {} region{}",
                ml.regions,
                if ml.regions == 1 { "" } else { "s" }
            );
            if ml.followers > 0 {
                t.push_str(&format!(
                    " × {} follower{} ({})",
                    ml.followers,
                    if ml.followers == 1 { "" } else { "s" },
                    sync_mode(ml.local_mode)
                ));
            }
            t.push_str(&format!(
                ", {}, {}",
                topology(ml.topology),
                resolution(ml.resolution)
            ));
            if ml.cross_sync {
                t.push_str(", waits for other regions");
            }
            t
        }
        Strategy::Leaderless(l) => {
            let mut t = format!(
                "leaderless, {nodes} nodes, N={} W={} R={}, {}",
                l.n,
                l.w,
                l.r,
                resolution(l.resolution)
            );
            if l.sloppy {
                t.push_str(", sloppy quorum");
            }
            if !l.read_repair {
                t.push_str(", no read repair");
            }
            if l.anti_entropy > 0 {
                t.push_str(&format!(", anti-entropy every {}", span(l.anti_entropy)));
            }
            t
        }
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
    pub history: &'a History,
    pub anomalies: &'a Window<Anomaly>,
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
        OpResult::Written {
            dot: Some((n, c)), ..
        } => format!("ok (version n{n}:{c})"),
        OpResult::Written { lsn, epoch, .. } => format!("ok (lsn {lsn}, epoch {epoch})"),
        OpResult::Read {
            value: Some(v),
            write: Some(w),
            others,
            merged: true,
            ..
        } => {
            let from: Vec<String> = std::iter::once(*w)
                .chain(others.iter().map(|(_, o)| *o))
                .map(|o| format!("#{o}"))
                .collect();
            format!("→ {v} (merged from {})", from.join(" "))
        }
        OpResult::Read {
            value: Some(v),
            others,
            ..
        } if !others.is_empty() => {
            let mut vs = vec![v.as_str()];
            vs.extend(others.iter().map(|(x, _)| x.as_str()));
            format!("→ siblings {}", vs.join(" | "))
        }
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

fn value_of(history: &History, write: Option<OpId>) -> String {
    match write.and_then(|w| history.get(w)) {
        Some(Operation {
            kind: OpKind::Write { value, .. },
            ..
        }) => format!("{value} (write #{})", write.unwrap_or_default()),
        _ => "nothing".into(),
    }
}

/// One anomaly in a sentence, with its retraction if later events retracted it.
pub fn anomaly_text(a: &Anomaly, history: &History) -> String {
    let text = anomaly_sentence(a, history);
    match &a.retracted {
        Some(r) => format!("{text} Retracted at {}: {}.", time(r.t), r.why),
        None => text,
    }
}

/// The match is exhaustive on purpose: a new anomaly kind does not compile until it has words.
fn anomaly_sentence(a: &Anomaly, history: &History) -> String {
    match &a.kind {
        AnomalyKind::StaleRead {
            op,
            returned,
            missed,
        } => {
            let key = history
                .get(*op)
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
        AnomalyKind::Discarded { op, by, why } => {
            // The engine says why in a clause such as "a concurrent write won under
            // last-write-wins"; the sentence names the write itself.
            let why = why.strip_prefix("a ").unwrap_or(why);
            format!("Write #{op} discarded: {why} (write #{by} survived).")
        }
        AnomalyKind::Conflict { key, writes } => {
            let ws: Vec<String> = writes.iter().map(|w| format!("#{w}")).collect();
            format!(
                "Conflict on {key}: writes {} did not see each other.",
                ws.join(" and ")
            )
        }
        AnomalyKind::OutOfOrder {
            node,
            write,
            missing,
        } => format!("n{node} applied #{write} before #{missing} it depends on."),
        AnomalyKind::ReadYourWrites { op, missed } => format!(
            "Read-your-writes broken: read #{op} did not see write #{missed}, which the same \
             client had already been told succeeded."
        ),
        AnomalyKind::MonotonicRead { op, earlier } => format!(
            "Monotonic reads broken: read #{op} saw an older state than read #{earlier} of the \
             same client had."
        ),
        AnomalyKind::ConsistentPrefix { op, saw, missed } => format!(
            "Consistent prefix broken: read #{op} missed write #{missed}, although its client had \
             already seen write #{saw}, which depends on it (the answer before the question)."
        ),
    }
}

/// What the stale-read count counts (the engine's definition, `replica_engine::check`).
pub const STALE_TITLE: &str = "Successful reads that missed a write acknowledged before they began, \
    counted once per read; read-your-writes: the write missed was the reader's own. Reads that only \
    went back in time (monotonic reads) or missed a cause (consistent prefix) are anomalies, not \
    stale reads.";

/// What an anomaly about one read says of it, as a short flag and its explanation (the
/// results table marks reads with these). A stale read is flagged "stale" or, when the write it
/// missed was the reader's own, "stale: own write" (read-your-writes).
pub fn read_flag(k: &AnomalyKind) -> Option<(&'static str, &'static str)> {
    match k {
        AnomalyKind::StaleRead { .. } => Some((
            "stale",
            "Stale read: it missed a write acknowledged before it began.",
        )),
        AnomalyKind::ReadYourWrites { .. } => Some((
            "stale: own write",
            "Stale read (read-your-writes): it missed a write its own client had been told \
             succeeded.",
        )),
        AnomalyKind::MonotonicRead { .. } => Some((
            "went back",
            "Monotonic reads broken: it saw less than an earlier read of the same client.",
        )),
        AnomalyKind::ConsistentPrefix { .. } => Some((
            "missed a cause",
            "Consistent prefix broken: it missed a write that something its client had seen \
             depends on.",
        )),
        AnomalyKind::LostWrite { .. }
        | AnomalyKind::SplitBrain { .. }
        | AnomalyKind::Discarded { .. }
        | AnomalyKind::Conflict { .. }
        | AnomalyKind::OutOfOrder { .. } => None,
    }
}

pub fn fate_label(f: Fate) -> &'static str {
    match f {
        Fate::Pending => "pending",
        Fate::Durable => "durable",
        Fate::Unavailable => "unavailable",
        Fate::Lost => "LOST",
        Fate::Indeterminate => "unknown",
        Fate::Failed => "failed",
    }
}

pub fn fate_class(w: &WriteFate) -> &'static str {
    match w.fate {
        Fate::Pending => "pending",
        Fate::Durable => "ok",
        Fate::Unavailable => "unknown",
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
    let op = |id: &OpId| cx.history.get(*id);
    match &e.kind {
        TraceKind::Sent {
            from,
            to,
            kind,
            summary,
            ..
        } if summary.to_string().starts_with(kind.name()) => format!("{from} → {to} {summary}"),
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
        // Multi-leader and leaderless nodes have no epochs (0): they simply are what they are.
        TraceKind::Role {
            node,
            role,
            epoch: 0,
        } => format!("n{node} is a {}", role.name()),
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
        TraceKind::Anomaly { index } => match cx.anomalies.get(*index) {
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

    static NO_OPS: History = Window::new();
    static NO_ANOMALIES: Window<Anomaly> = Window::new();

    fn cx(sent: &[(MsgId, SentInfo)]) -> Context<'_> {
        Context {
            history: &NO_OPS,
            anomalies: &NO_ANOMALIES,
            sent,
        }
    }

    #[test]
    fn times_read_naturally() {
        assert_eq!(time(1_234_500), "1234.5 ms");
        assert_eq!(time(12_345_678), "12.346 s");
        assert_eq!(time(59_999_400), "59.999 s");
        assert_eq!(time(59_999_700), "1:00.000");
        assert_eq!(time(2_400_000_000), "40:00.000");
        assert_eq!(time(3_900_123_456), "1:05:00.123");
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
    fn new_anomalies_in_words() {
        let a = |kind| Anomaly::new(0, kind);
        assert_eq!(
            anomaly_text(
                &a(AnomalyKind::Discarded {
                    op: 7,
                    by: 9,
                    why: "a concurrent write won under last-write-wins".into()
                }),
                &History::default()
            ),
            "Write #7 discarded: concurrent write won under last-write-wins (write #9 survived)."
        );
        assert_eq!(
            anomaly_text(
                &a(AnomalyKind::Conflict {
                    key: "x".into(),
                    writes: vec![3, 4]
                }),
                &History::default()
            ),
            "Conflict on x: writes #3 and #4 did not see each other."
        );
        assert_eq!(
            anomaly_text(
                &a(AnomalyKind::OutOfOrder {
                    node: 2,
                    write: 5,
                    missing: 3
                }),
                &History::default()
            ),
            "n2 applied #5 before #3 it depends on."
        );
    }

    #[test]
    fn strategies_in_words() {
        use crate::state::Kind;
        let (ml, n) = Kind::MultiLeader.default_strategy();
        assert_eq!(
            strategy_summary(&ml, n),
            "multi-leader, 3 regions, all-to-all, last write wins"
        );
        let (ll, n) = Kind::Leaderless.default_strategy();
        assert_eq!(
            strategy_summary(&ll, n),
            "leaderless, 5 nodes, N=3 W=2 R=2, last write wins"
        );
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
