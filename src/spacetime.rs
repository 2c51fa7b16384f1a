//! The space-time (Lamport) diagram's data: one lane per node and client, an arrow per message,
//! a span per client operation, over a window of virtual time that ends now.
//!
//! It is derived from the engine's trace and history only (no replication semantics here), and
//! kept separate from the component so it can be tested natively.

use replica_engine::client::{OpKind, OpResult};
use replica_engine::trace::DropCause;
use replica_engine::types::{Addr, MsgId, MsgKind, OpId, Time};
use replica_engine::{Simulation, TraceKind};
use std::collections::HashMap;

/// At most this many arrows are drawn (the newest), so a busy window stays light.
pub const MAX_ARROWS: usize = 300;
/// Messages are looked up this far before the window, for arrows that cross its top edge.
const LOOKBACK: Time = 2_000_000;

#[derive(Clone, Debug, PartialEq)]
pub struct Arrow {
    pub id: MsgId,
    pub from: usize,
    pub to: usize,
    pub kind: MsgKind,
    pub sent: Time,
    /// Delivery or drop time; for a message still in flight, now (the arrow is partial).
    pub end: Time,
    /// Where the arrow would end if the message were still flying: its arrival time.
    pub arrive: Time,
    pub dropped: Option<DropCause>,
    pub summary: String,
    /// The request or reply of an operation behind the highlighted anomaly (see [`mark_cause`]).
    pub cause: bool,
}

/// A client operation from invocation to completion.
#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    pub op: OpId,
    pub lane: usize,
    pub start: Time,
    pub end: Option<Time>,
    pub label: String,
    pub ok: bool,
    /// Part of a linearizability counterexample (see [`flag_ops`]).
    pub flagged: bool,
    /// Its part in the highlighted anomaly ("read", "missed"...; see [`mark_cause`]).
    pub cause: Option<&'static str>,
}

/// A moment on a lane: a crash, a restart, a role change.
#[derive(Clone, Debug, PartialEq)]
pub struct Tick {
    pub lane: usize,
    pub t: Time,
    pub label: String,
    pub bad: bool,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct SpaceTime {
    pub lanes: Vec<String>,
    pub t0: Time,
    pub t1: Time,
    pub arrows: Vec<Arrow>,
    pub spans: Vec<Span>,
    pub ticks: Vec<Tick>,
}

/// The diagram of the `window` of virtual time that ends at the simulation's now.
/// `heartbeats`: include heartbeat messages (they are most of the traffic).
pub fn build(sim: &Simulation, window: Time, heartbeats: bool) -> SpaceTime {
    let t1 = sim.now();
    let t0 = t1.saturating_sub(window);
    let snap_nodes = sim.nodes().len();
    let clients = sim.scenario().config.clients as usize;
    let mut lanes: Vec<String> = (0..snap_nodes).map(|n| format!("n{n}")).collect();
    lanes.extend((0..clients).map(|c| format!("c{c}")));
    let lane = |a: Addr| match a {
        Addr::Node(n) => n as usize,
        Addr::Client(c) => snap_nodes + c as usize,
    };
    let trace = sim.trace();
    let from = trace.partition_point(|e| e.t < t0.saturating_sub(LOOKBACK));
    let mut open: HashMap<MsgId, Arrow> = HashMap::new();
    let mut arrows = Vec::new();
    let mut ticks = Vec::new();
    for e in &trace[from..] {
        match &e.kind {
            TraceKind::Sent {
                id,
                from,
                to,
                kind,
                arrive,
                summary,
            } => {
                if *kind == MsgKind::Heartbeat && !heartbeats {
                    continue;
                }
                open.insert(
                    *id,
                    Arrow {
                        id: *id,
                        from: lane(*from),
                        to: lane(*to),
                        kind: *kind,
                        sent: e.t,
                        end: t1,
                        arrive: *arrive,
                        dropped: None,
                        summary: summary.to_string(),
                        cause: false,
                    },
                );
            }
            TraceKind::Delivered { id } | TraceKind::Dropped { id, .. } => {
                if let Some(mut a) = open.remove(id) {
                    a.end = e.t;
                    if let TraceKind::Dropped { cause, .. } = &e.kind {
                        a.dropped = Some(*cause);
                    }
                    if a.end >= t0 {
                        arrows.push(a);
                    }
                }
            }
            TraceKind::Crashed { node } if e.t >= t0 => ticks.push(Tick {
                lane: *node as usize,
                t: e.t,
                label: "crash".into(),
                bad: true,
            }),
            TraceKind::Restarted { node } if e.t >= t0 => ticks.push(Tick {
                lane: *node as usize,
                t: e.t,
                label: "restart".into(),
                bad: false,
            }),
            TraceKind::Role { node, role, epoch } if e.t >= t0 && e.t > 0 => ticks.push(Tick {
                lane: *node as usize,
                t: e.t,
                label: if *epoch > 0 {
                    format!("{} e{epoch}", role.name())
                } else {
                    role.name().to_string()
                },
                bad: false,
            }),
            _ => {}
        }
    }
    // Messages still in flight end at now.
    let mut in_flight: Vec<Arrow> = open.into_values().collect();
    replica_engine::sort::sort_by_key(&mut in_flight, |a| a.id);
    arrows.extend(in_flight);
    replica_engine::sort::sort_by_key(&mut arrows, |a| (a.sent, a.id));
    if arrows.len() > MAX_ARROWS {
        arrows.drain(..arrows.len() - MAX_ARROWS);
    }
    let spans = sim
        .history()
        .iter()
        .filter(|op| op.invoke <= t1 && op.complete.is_none_or(|c| c >= t0))
        .map(|op| {
            let what = match &op.kind {
                OpKind::Write { key, value } => format!("write {key}={value}"),
                OpKind::Read { key } => format!("read {key}"),
            };
            let ok = matches!(op.result, OpResult::Written { .. } | OpResult::Read { .. });
            let outcome = match &op.result {
                OpResult::Pending => String::new(),
                OpResult::Written { .. } => " ok".into(),
                OpResult::Read { value, .. } => {
                    format!(" → {}", value.as_deref().unwrap_or("none"))
                }
                OpResult::Failed { .. } => " failed".into(),
                OpResult::Indeterminate { .. } => " ?".into(),
            };
            Span {
                op: op.id,
                lane: snap_nodes + op.client as usize,
                start: op.invoke,
                end: op.complete.filter(|c| *c <= t1),
                label: format!("#{} {what}{outcome}", op.id),
                ok,
                flagged: false,
                cause: None,
            }
        })
        .collect();
    SpaceTime {
        lanes,
        t0,
        t1,
        arrows,
        spans,
        ticks,
    }
}

/// Marks the spans of `ops` (operations that cannot be ordered linearizably).
pub fn flag_ops(d: &mut SpaceTime, ops: &std::collections::BTreeSet<OpId>) {
    for s in &mut d.spans {
        if ops.contains(&s.op) {
            s.flagged = true;
            s.label.push_str(" · in a linearizability counterexample");
        }
    }
}

/// Marks the operations an anomaly names, and their messages: the client's request, sent as
/// the operation began, and the reply that ended it.
pub fn mark_cause(d: &mut SpaceTime, cause: &crate::compare::Cause) {
    for s in &mut d.spans {
        if let Some(part) = cause.part(s.op) {
            s.cause = Some(part);
            s.label.push_str(&format!(" · {part} ({})", cause.kind));
        }
    }
    for a in &mut d.arrows {
        a.cause = d.spans.iter().any(|s| {
            s.cause.is_some()
                && ((a.from == s.lane && a.sent == s.start)
                    || (a.to == s.lane && a.dropped.is_none() && s.end == Some(a.end)))
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use replica_engine::scenario::wire;

    #[test]
    fn a_write_is_an_arrow_to_the_leader_and_a_span_on_its_client() {
        let s = wire::decode(
            r#"{"version":1,"nodes":3,"clients":1,
                "schedule":[{"at_ms":10,"do":"write","key":"x","value":"1"}]}"#,
        )
        .unwrap();
        let mut sim = Simulation::new(s);
        sim.run_until(200_000);
        let d = build(&sim, 200_000, false);
        assert_eq!(d.lanes, vec!["n0", "n1", "n2", "c0"]);
        let write = d.arrows.iter().find(|a| a.kind == MsgKind::Write).unwrap();
        assert_eq!((write.from, write.to), (3, 0));
        assert!(write.end > write.sent && write.dropped.is_none());
        assert!(d.arrows.iter().all(|a| a.kind != MsgKind::Heartbeat));
        assert!(d
            .arrows
            .iter()
            .any(|a| a.kind == MsgKind::Replicate && a.from == 0));
        assert_eq!(d.spans.len(), 1);
        assert!(d.spans[0].ok && d.spans[0].label.contains("write x=1 ok"));
        // With heartbeats, there are more arrows; in a short window, fewer.
        assert!(build(&sim, 200_000, true).arrows.len() > d.arrows.len());
        let late = build(&sim, 10_000, false);
        assert!(late.arrows.iter().all(|a| a.end >= late.t0));
    }

    #[test]
    fn a_message_to_a_crashed_node_ends_dropped() {
        let s = wire::decode(
            r#"{"version":1,"nodes":3,"clients":1,
                "schedule":[{"at_ms":5,"do":"crash","node":1},
                            {"at_ms":10,"do":"write","key":"x","value":"1"}]}"#,
        )
        .unwrap();
        let mut sim = Simulation::new(s);
        sim.run_until(300_000);
        let d = build(&sim, 300_000, false);
        assert!(d
            .arrows
            .iter()
            .any(|a| a.to == 1 && a.dropped == Some(DropCause::NodeDown)));
        assert!(d.ticks.iter().any(|t| t.lane == 1 && t.bad));
    }
}
