//! Side by side: the same scenario and seed under one other setting (the twin run), and what
//! tells the two runs apart (the metrics diff). Also the cause of an anomaly: the operations and
//! nodes it names, for highlighting.
//!
//! The twin is always `variant_of(main scenario)`: the main run's configuration with one setting
//! changed, its seed, and its schedule minus the entries that would change that very setting
//! (live mode or quorum changes). The reducer keeps it at the main run's moment.

use crate::layout::{Layout, Shape};
use crate::words;
use replica_engine::check::{Anomaly, AnomalyKind, Metrics};
use replica_engine::client::History;
use replica_engine::scenario::{Action as SimAction, Resolution, Scenario, Strategy, SyncMode};
use replica_engine::types::{NodeId, OpId};
use replica_engine::Simulation;

/// The one setting the twin run changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// Single-leader: how followers are replicated to.
    Mode(SyncMode),
    /// Leaderless: write and read quorums.
    Quorum { w: u16, r: u16 },
    /// Multi-leader: conflict resolution.
    Resolution(Resolution),
}

impl Variant {
    /// A short name for the setting ("async", "semi-sync k=1", "W=2 R=2", "siblings").
    pub fn label(&self) -> String {
        match self {
            Variant::Mode(SyncMode::Async) => "async".into(),
            Variant::Mode(SyncMode::SemiSync { k }) => format!("semi-sync k={k}"),
            Variant::Mode(SyncMode::Sync) => "sync".into(),
            Variant::Quorum { w, r } => format!("W={w} R={r}"),
            Variant::Resolution(Resolution::LastWriteWins) => "last write wins".into(),
            Variant::Resolution(Resolution::Siblings) => "siblings".into(),
            Variant::Resolution(r) => words::resolution(*r).into(),
        }
    }

    /// Whether this variant applies to runs of `strategy`.
    pub fn fits(&self, strategy: &Strategy) -> bool {
        matches!(
            (self, strategy),
            (Variant::Mode(_), Strategy::SingleLeader(_))
                | (Variant::Quorum { .. }, Strategy::Leaderless(_))
                | (Variant::Resolution(_), Strategy::MultiLeader(_))
        )
    }

    /// Whether a schedule action changes the setting this variant fixes (such actions are left
    /// out of the twin run).
    pub fn touches(&self, action: &SimAction) -> bool {
        matches!(
            (self, action),
            (Variant::Mode(_), SimAction::SetMode(_))
                | (Variant::Quorum { .. }, SimAction::SetQuorum { .. })
        )
    }
}

/// The setting of a run's current configuration, as the variant it would be.
pub fn current(strategy: &Strategy) -> Variant {
    match strategy {
        Strategy::SingleLeader(sl) => Variant::Mode(sl.mode),
        Strategy::Leaderless(l) => Variant::Quorum { w: l.w, r: l.r },
        Strategy::MultiLeader(ml) => Variant::Resolution(ml.resolution),
    }
}

/// The variants offered for a run of `strategy` on `nodes` nodes (its current setting left out).
pub fn options(strategy: &Strategy, nodes: u16) -> Vec<Variant> {
    let all = match strategy {
        Strategy::SingleLeader(_) if nodes >= 2 => vec![
            Variant::Mode(SyncMode::Async),
            Variant::Mode(SyncMode::SemiSync { k: 1 }),
            Variant::Mode(SyncMode::Sync),
        ],
        Strategy::SingleLeader(_) => Vec::new(),
        Strategy::Leaderless(l) => {
            let n = l.n.max(1);
            let mut v = vec![
                Variant::Quorum { w: 1, r: 1 },
                Variant::Quorum {
                    w: (n / 2 + 1).min(n),
                    r: (n / 2 + 1).min(n),
                },
                Variant::Quorum { w: n, r: 1 },
            ];
            v.dedup();
            v
        }
        Strategy::MultiLeader(_) => vec![
            Variant::Resolution(Resolution::LastWriteWins),
            Variant::Resolution(Resolution::Siblings),
        ],
    };
    let now = current(strategy);
    all.into_iter().filter(|v| *v != now).collect()
}

/// The scenario of the twin run: `base` with the variant's setting, the same seed, and the same
/// schedule minus the entries that would change that setting.
pub fn variant_of(base: &Scenario, v: Variant) -> Scenario {
    let mut s = base.clone();
    let nodes = s.config.nodes.max(1);
    match (&mut s.config.strategy, v) {
        (Strategy::SingleLeader(sl), Variant::Mode(mode)) => {
            sl.mode = match mode {
                SyncMode::SemiSync { k } if nodes >= 2 => SyncMode::SemiSync {
                    k: k.clamp(1, nodes - 1),
                },
                SyncMode::SemiSync { .. } => SyncMode::Async,
                m => m,
            };
        }
        (Strategy::Leaderless(l), Variant::Quorum { w, r }) => {
            l.w = w.clamp(1, l.n.max(1));
            l.r = r.clamp(1, l.n.max(1));
        }
        (Strategy::MultiLeader(ml), Variant::Resolution(res)) => ml.resolution = res,
        _ => {}
    }
    s.schedule.retain(|e| !v.touches(&e.action));
    s
}

/// The twin run, at time 0.
pub fn twin(base: &Scenario, v: Variant) -> Simulation {
    Simulation::new(variant_of(base, v))
}

/// One row of the metrics diff: what, A's value, B's value, and which side did better (-1: A,
/// 1: B, 0: neither).
#[derive(Clone, Debug, PartialEq)]
pub struct DiffRow {
    pub what: &'static str,
    pub a: String,
    pub b: String,
    pub better: i8,
}

/// The metrics of two runs side by side (with the linearizability violations of each).
pub fn diff(a: &Metrics, b: &Metrics, lin_a: usize, lin_b: usize) -> Vec<DiffRow> {
    // Lower is better for everything but availability.
    let row = |what: &'static str, x: u64, y: u64, text: &dyn Fn(u64) -> String, higher: bool| {
        let better = match x.cmp(&y) {
            std::cmp::Ordering::Equal => 0,
            std::cmp::Ordering::Less => {
                if higher {
                    1
                } else {
                    -1
                }
            }
            std::cmp::Ordering::Greater => {
                if higher {
                    -1
                } else {
                    1
                }
            }
        };
        DiffRow {
            what,
            a: text(x),
            b: text(y),
            better,
        }
    };
    let pct = |ppm: u64| format!("{:.1}%", ppm as f64 / 10_000.0);
    let span = |us: u64| {
        if us == 0 {
            "–".to_string()
        } else {
            words::span(us)
        }
    };
    let n = |x: u64| x.to_string();
    let anomalies = |m: &Metrics| m.anomalies as u64;
    vec![
        row(
            "availability",
            a.availability_ppm as u64,
            b.availability_ppm as u64,
            &pct,
            true,
        ),
        row(
            "write p50",
            a.write_latency_us.p50,
            b.write_latency_us.p50,
            &span,
            false,
        ),
        row(
            "write p99",
            a.write_latency_us.p99,
            b.write_latency_us.p99,
            &span,
            false,
        ),
        row(
            "read p50",
            a.read_latency_us.p50,
            b.read_latency_us.p50,
            &span,
            false,
        ),
        row(
            "read p99",
            a.read_latency_us.p99,
            b.read_latency_us.p99,
            &span,
            false,
        ),
        row(
            "stale reads",
            a.stale_reads as u64,
            b.stale_reads as u64,
            &n,
            false,
        ),
        row(
            "lost writes",
            a.writes_lost as u64,
            b.writes_lost as u64,
            &n,
            false,
        ),
        row("anomalies", anomalies(a), anomalies(b), &n, false),
        row(
            "linearizability violations",
            lin_a as u64,
            lin_b as u64,
            &n,
            false,
        ),
    ]
}

/// Keys whose history is not linearizable (a bounded check per key; see `check::linear`).
pub fn violations(sim: &Simulation) -> usize {
    use replica_engine::check::linear::{self, Verdict};
    linear::check_all(
        sim.history(),
        crate::components::consistency::PAGE_CHECK_BUDGET,
    )
    .values()
    .filter(|v| matches!(v, Verdict::Violation { .. }))
    .count()
}

/// A message in flight in the twin picture, in the cluster's SVG coordinates (as
/// `export::messages_svg` draws them).
#[derive(Clone, Debug, PartialEq)]
pub struct Dot {
    pub x: f64,
    pub y: f64,
    pub color: &'static str,
    pub hollow: bool,
    pub kind: &'static str,
}

/// Where each message in flight of `sim` is now.
pub fn dots(sim: &Simulation) -> Vec<Dot> {
    let snap = sim.snapshot();
    let homes: Vec<NodeId> = snap.clients.iter().map(|c| c.home).collect();
    let layout = Layout::new(Shape::of(&sim.config().strategy), snap.nodes.len(), &homes);
    let now = snap.time_us;
    snap.messages
        .iter()
        .filter_map(|msg| {
            let (a, b) = layout.lane(msg.from, msg.to)?;
            let span = msg.arrive_us.saturating_sub(msg.sent_us).max(1) as f64;
            let f = (now.saturating_sub(msg.sent_us) as f64 / span).clamp(0.0, 1.0);
            let kind = msg.kind.name();
            Some(Dot {
                x: a.0 + (b.0 - a.0) * f,
                y: a.1 + (b.1 - a.1) * f,
                color: crate::anim::kind_color(kind),
                hollow: kind == "heartbeat",
                kind,
            })
        })
        .collect()
}

/// What an anomaly names: its operations (with their part in it), the nodes involved, and the
/// moment it was found.
#[derive(Clone, Debug, PartialEq)]
pub struct Cause {
    pub t: u64,
    /// "stale-read", "lost-write", ...
    pub kind: &'static str,
    /// Each operation with its part: "read", "missed", "returned", "lost", "saw", ...
    pub ops: Vec<(OpId, &'static str)>,
    /// The nodes the operations went to, and the nodes the anomaly names.
    pub nodes: Vec<NodeId>,
    /// The clients that ran the operations.
    pub clients: Vec<u16>,
}

impl Cause {
    /// The cause of `a`, from the anomaly and the history alone.
    pub fn of(a: &Anomaly, history: &History) -> Cause {
        let mut ops: Vec<(OpId, &'static str)> = Vec::new();
        let mut nodes: Vec<NodeId> = Vec::new();
        match &a.kind {
            AnomalyKind::StaleRead {
                op,
                returned,
                missed,
            } => {
                ops.push((*op, "read"));
                ops.push((*missed, "missed"));
                if let Some(r) = returned {
                    ops.push((*r, "returned"));
                }
            }
            AnomalyKind::LostWrite { op, leader, .. } => {
                ops.push((*op, "lost"));
                nodes.push(*leader);
            }
            AnomalyKind::SplitBrain { nodes: n, .. } => nodes.extend(n.iter().copied()),
            AnomalyKind::Discarded { op, by, .. } => {
                ops.push((*op, "lost"));
                ops.push((*by, "kept"));
            }
            AnomalyKind::Conflict { writes, .. } => {
                ops.extend(writes.iter().map(|w| (*w, "conflict")));
            }
            AnomalyKind::OutOfOrder {
                node,
                write,
                missing,
            } => {
                ops.push((*write, "early"));
                ops.push((*missing, "missed"));
                nodes.push(*node);
            }
            AnomalyKind::ReadYourWrites { op, missed } => {
                ops.push((*op, "read"));
                ops.push((*missed, "missed"));
            }
            AnomalyKind::MonotonicRead { op, earlier } => {
                ops.push((*op, "read"));
                ops.push((*earlier, "earlier"));
            }
            AnomalyKind::ConsistentPrefix { op, saw, missed } => {
                ops.push((*op, "read"));
                ops.push((*saw, "saw"));
                ops.push((*missed, "missed"));
            }
        }
        let mut clients = Vec::new();
        for (id, _) in &ops {
            if let Some(o) = history.get(*id) {
                nodes.push(o.node);
                clients.push(o.client);
            }
        }
        replica_engine::sort::sort(&mut nodes);
        nodes.dedup();
        replica_engine::sort::sort(&mut clients);
        clients.dedup();
        Cause {
            t: a.t,
            kind: a.kind.name(),
            ops,
            nodes,
            clients,
        }
    }

    /// The part `op` plays in it, if any.
    pub fn part(&self, op: OpId) -> Option<&'static str> {
        self.ops.iter().find(|(o, _)| *o == op).map(|(_, p)| *p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use replica_engine::scenario::link::decode_link;

    fn preset(name: &str) -> Scenario {
        let text = match name {
            "async" => include_str!("../engine/testdata/links/async-failover-loss.link"),
            _ => include_str!("../engine/testdata/links/weak-quorum-stale-read.link"),
        };
        decode_link(text.trim()).expect("a good link").0
    }

    #[test]
    fn semi_sync_twin_of_the_failover_preset_loses_nothing() {
        let base = preset("async");
        let mut a = Simulation::new(base.clone());
        let v = Variant::Mode(SyncMode::SemiSync { k: 1 });
        assert!(options(&base.config.strategy, base.config.nodes).contains(&v));
        let mut b = twin(&base, v);
        a.run_until(5_000_000);
        b.run_until(5_000_000);
        assert_eq!(a.metrics().writes_lost, 2);
        assert_eq!(b.metrics().writes_lost, 0);
        let rows = diff(&a.metrics(), &b.metrics(), 0, 0);
        let lost = rows.iter().find(|r| r.what == "lost writes").unwrap();
        assert_eq!(
            (lost.a.as_str(), lost.b.as_str(), lost.better),
            ("2", "0", 1)
        );
        // The same seed and schedule: both runs have the same operations.
        assert_eq!(a.history().len(), b.history().len());
    }

    #[test]
    fn acting_on_the_twin_equals_rebuilding_it() {
        let base = preset("async");
        let v = Variant::Mode(SyncMode::Sync);
        let mut live = twin(&base, v);
        live.run_until(400_000);
        live.act(SimAction::Crash(1));
        live.run_until(1_500_000);
        let mut main = Simulation::new(base);
        main.run_until(400_000);
        main.act(SimAction::Crash(1));
        let mut rebuilt = twin(main.scenario(), v);
        rebuilt.run_until(1_500_000);
        assert_eq!(live.trace_hash(), rebuilt.trace_hash());
    }

    #[test]
    fn the_twin_keeps_its_setting_against_live_changes() {
        let mut base = preset("async");
        base.schedule.push(replica_engine::scenario::Scheduled {
            at: 10,
            action: SimAction::SetMode(SyncMode::Async),
        });
        let s = variant_of(&base, Variant::Mode(SyncMode::Sync));
        assert!(!s
            .schedule
            .iter()
            .any(|e| matches!(e.action, SimAction::SetMode(_))));
        assert_eq!(s.seed, base.seed);
    }

    #[test]
    fn a_stale_read_names_the_read_and_the_write_it_missed() {
        let mut sim = Simulation::new(preset("weak"));
        sim.run_until(5_000_000);
        let a = sim
            .anomalies()
            .iter()
            .find(|a| a.kind.name() == "stale-read")
            .expect("a stale read");
        let c = Cause::of(a, sim.history());
        let AnomalyKind::StaleRead { op, missed, .. } = a.kind else {
            unreachable!()
        };
        assert_eq!(c.part(op), Some("read"));
        assert_eq!(c.part(missed), Some("missed"));
        assert!(!c.nodes.is_empty() && !c.clients.is_empty());
    }
}
