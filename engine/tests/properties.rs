//! Properties of single-leader runs over random scenarios (faults, modes, workloads).
//!
//! Each property runs `PROPTEST_CASES` cases (1,000 by default; `cargo xtask test --deep` runs
//! more). A failure prints the scenario, seed included, as version-1 JSON: save it to a file and
//! `replica-sim run` replays it exactly.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{build, cases, settle, show};
use proptest::prelude::*;
use replica_engine::check::{AnomalyKind, Fate};
use replica_engine::client::OpResult;
use replica_engine::scenario::{
    self as sc, wire, Action, ReadFrom, Scenario, SingleLeader, SyncMode,
};
use replica_engine::trace::TraceKind;
use replica_engine::types::MS;
use replica_engine::Simulation;
use std::collections::{BTreeMap, BTreeSet};

const QUIET_MS: u64 = 6000;

fn action(nodes: u16, clients: u16) -> impl Strategy<Value = Action> {
    let n = 0..nodes;
    prop_oneof![
        4 => (0..clients, 0..3u8, 0..100u32).prop_map(|(client, k, v)| Action::Write {
            client, key: format!("k{k}"), value: v.to_string(), node: None }),
        3 => (0..clients, 0..3u8, prop_oneof![Just(ReadFrom::Leader), Just(ReadFrom::Nearest),
                (0..nodes).prop_map(ReadFrom::Node)])
            .prop_map(|(client, k, from)| Action::Read { client, key: format!("k{k}"), from }),
        1 => n.clone().prop_map(Action::Crash),
        1 => n.clone().prop_map(Action::Restart),
        1 => (n.clone(), n.clone(), any::<bool>()).prop_map(|(from, to, both)| Action::Cut { from, to, both }),
        1 => (n.clone(), n.clone()).prop_map(|(from, to)| Action::Heal { from, to, both: true }),
        1 => Just(Action::HealAll),
    ]
}

fn mode(nodes: u16) -> impl Strategy<Value = SyncMode> {
    prop_oneof![
        Just(SyncMode::Async),
        Just(SyncMode::Sync),
        (1..nodes).prop_map(|k| SyncMode::SemiSync { k }),
    ]
}

/// A random scenario of up to ~4 virtual seconds of faults and operations.
fn scenario_with(
    mode_s: impl Strategy<Value = Option<SyncMode>>,
) -> impl Strategy<Value = Scenario> {
    (3u16..=5, 1u16..=3, mode_s).prop_flat_map(|(nodes, clients, fixed)| {
        (
            any::<u64>(),
            fixed
                .map(Just)
                .map(|j| j.boxed())
                .unwrap_or_else(|| mode(nodes).boxed()),
            any::<bool>(),
            0u32..50_000,
            prop::collection::vec((0u64..4000, action(nodes, clients)), 0..40),
        )
            .prop_map(move |(seed, mode, fencing, loss_ppm, acts)| {
                let strategy = sc::Strategy::SingleLeader(SingleLeader {
                    mode,
                    fencing,
                    ..SingleLeader::default()
                });
                build(strategy, nodes, clients, seed, loss_ppm, acts)
            })
    })
}

/// A random multi-leader or leaderless strategy and its node count.
fn other_strategy() -> impl Strategy<Value = (sc::Strategy, u16)> {
    let resolution = prop_oneof![
        Just(sc::Resolution::LastWriteWins),
        Just(sc::Resolution::Siblings),
        Just(sc::Resolution::Union),
    ];
    prop_oneof![
        (
            2u16..=3,
            0u16..=1,
            0u8..3,
            resolution.clone(),
            any::<bool>(),
            any::<bool>()
        )
            .prop_map(|(regions, followers, topo, resolution, cross_sync, hr)| {
                let ml = sc::MultiLeader {
                    regions,
                    followers,
                    topology: [
                        sc::Topology::AllToAll,
                        sc::Topology::Circular,
                        sc::Topology::Star,
                    ][topo as usize],
                    resolution: if hr {
                        sc::Resolution::HighestReplica
                    } else {
                        resolution
                    },
                    cross_sync,
                    ..sc::MultiLeader::default()
                };
                let n = ml.nodes();
                (sc::Strategy::MultiLeader(ml), n)
            }),
        (
            3u16..=5,
            resolution,
            any::<bool>(),
            any::<bool>(),
            any::<bool>()
        )
            .prop_flat_map(|(nodes, resolution, sloppy, read_repair, ae)| {
                (Just(nodes), 1..=nodes.min(3)).prop_flat_map(move |(nodes, n)| {
                    (1..=n, 1..=n).prop_map(move |(w, r)| {
                        let l = sc::Leaderless {
                            n,
                            w,
                            r,
                            sloppy,
                            read_repair,
                            anti_entropy: if ae { 300 * MS } else { 0 },
                            resolution,
                            ..sc::Leaderless::default()
                        };
                        (sc::Strategy::Leaderless(l), nodes)
                    })
                })
            }),
    ]
}

/// A random scenario under `strategy`, with up to 40 faults and operations in 4 virtual seconds.
fn scenario_under(
    strategy: impl Strategy<Value = (sc::Strategy, u16)>,
) -> impl Strategy<Value = Scenario> {
    (strategy, 1u16..=3).prop_flat_map(|((strategy, nodes), clients)| {
        (
            Just(strategy),
            any::<u64>(),
            0u32..50_000,
            prop::collection::vec((0u64..4000, action(nodes, clients)), 0..40),
        )
            .prop_map(move |(strategy, seed, loss_ppm, acts)| {
                build(strategy, nodes, clients, seed, loss_ppm, acts)
            })
    })
}

/// Any strategy: single-leader (half the cases), multi-leader or leaderless.
fn any_scenario() -> impl Strategy<Value = Scenario> {
    prop_oneof![scenario_with(Just(None)), scenario_under(other_strategy())]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, .. ProptestConfig::default() })]

    #[test]
    fn same_scenario_same_trace(s in any_scenario()) {
        let mut a = Simulation::new(s.clone());
        let mut b = Simulation::new(s.clone());
        a.run_until(s.end());
        b.run_until(s.end());
        prop_assert_eq!(a.trace_hash(), b.trace_hash(), "scenario:\n{}", show(&s));
        prop_assert_eq!(a.trace(), b.trace());
    }

    #[test]
    fn every_message_is_delivered_dropped_or_in_flight(s in any_scenario()) {
        let mut sim = Simulation::new(s.clone());
        sim.run_until(s.end());
        let mut sent = BTreeSet::new();
        let mut ended = BTreeMap::new();
        for e in sim.trace() {
            match &e.kind {
                TraceKind::Sent { id, .. } => prop_assert!(sent.insert(*id)),
                TraceKind::Delivered { id } | TraceKind::Dropped { id, .. } => {
                    prop_assert!(sent.contains(id), "message {} ended before it was sent", id);
                    prop_assert!(ended.insert(*id, e.t).is_none(), "message {} ended twice", id);
                }
                _ => {}
            }
        }
        let in_flight: BTreeSet<u64> = sim.in_flight().keys().copied().collect();
        for id in &sent {
            prop_assert!(ended.contains_key(id) != in_flight.contains(id),
                "message {} is neither ended nor in flight (or both); scenario:\n{}", id, show(&s));
        }
        let st = sim.stats();
        prop_assert_eq!(st.messages_sent,
            st.messages_delivered + st.dropped_loss + st.dropped_partition + st.dropped_node_down + in_flight.len() as u64);
    }

    #[test]
    fn wire_format_round_trips(s in any_scenario()) {
        let json = wire::encode(&s);
        let back = wire::decode(&json);
        prop_assert_eq!(back, Ok(s), "{}", json);
    }

    #[test]
    fn time_never_goes_back(s in any_scenario()) {
        let mut sim = Simulation::new(s.clone());
        sim.run_until(s.end());
        let mut last = 0;
        for e in sim.trace() {
            prop_assert!(e.t >= last, "trace goes back from {} to {}", last, e.t);
            last = e.t;
        }
        for op in sim.history() {
            if let Some(c) = op.complete { prop_assert!(c >= op.invoke); }
        }
    }

    #[test]
    fn synchronous_replication_never_loses_an_acknowledged_write(
        s in scenario_with(Just(Some(SyncMode::Sync)))
    ) {
        // Every follower holds a write before it is acknowledged, so whichever nodes crash, any
        // node that can be elected holds it.
        let s = settle(s, QUIET_MS);
        let mut sim = Simulation::new(s.clone());
        sim.run_until(s.end());
        let lost: Vec<u32> = sim.fates().iter().filter(|f| f.fate == Fate::Lost).map(|f| f.op).collect();
        prop_assert!(lost.is_empty(), "lost {:?}; scenario:\n{}", lost, show(&s));
        let flagged = sim.anomalies().iter().any(|a| matches!(a.kind, AnomalyKind::LostWrite { .. }));
        prop_assert!(!flagged, "a lost write was flagged; scenario:\n{}", show(&s));
    }

    #[test]
    fn reported_losses_are_exactly_the_real_ones(s in scenario_with(Just(None))) {
        // After everything heals and settles, a write is really lost when no node holds it.
        let s = settle(s, QUIET_MS);
        let mut sim = Simulation::new(s.clone());
        sim.run_until(s.end());
        // The cluster converged: one leader, every log equal to its log.
        let snap = sim.snapshot();
        let leaders: Vec<_> = snap.nodes.iter().filter(|n| n.role == replica_engine::Role::Leader).collect();
        prop_assert_eq!(leaders.len(), 1, "no single leader after settling; scenario:\n{}", show(&s));
        let lsn = leaders[0].last_lsn;
        prop_assert!(snap.nodes.iter().all(|n| n.last_lsn == lsn), "logs differ after settling; scenario:\n{}", show(&s));

        let fates = sim.fates();
        let really_lost: BTreeSet<u32> = fates.iter()
            .filter(|f| f.acked && f.holders.is_empty())
            .map(|f| f.op).collect();
        let claimed: BTreeSet<u32> = fates.iter().filter(|f| f.fate == Fate::Lost).map(|f| f.op).collect();
        prop_assert_eq!(&claimed, &really_lost, "scenario:\n{}", show(&s));
        let flagged: BTreeSet<u32> = sim.anomalies().iter().filter_map(|a| match a.kind {
            AnomalyKind::LostWrite { op, .. } => Some(op), _ => None }).collect();
        prop_assert!(really_lost.is_subset(&flagged), "a loss was never flagged; scenario:\n{}", show(&s));
        // Every acknowledged write that is not lost is on every node.
        for f in fates.iter().filter(|f| f.acked && f.fate != Fate::Lost) {
            prop_assert_eq!(f.holders.len(), s.config.nodes as usize);
        }
        // Every write's result is final: nothing is left pending after settling.
        prop_assert!(sim.history().iter().all(|o| o.result != OpResult::Pending));
    }

    #[test]
    fn seeking_back_and_forth_reproduces_the_run(s in any_scenario(), frac in 0u64..100) {
        let end = s.end();
        let mut sim = Simulation::new(s.clone());
        sim.run_until(end);
        let trace = sim.trace().to_vec();
        let snap = sim.snapshot();
        sim.seek(end * frac / 100);
        prop_assert!(sim.trace().len() <= trace.len());
        prop_assert_eq!(sim.trace(), &trace[..sim.trace().len()]);
        sim.seek(end);
        prop_assert_eq!(sim.trace(), &trace[..]);
        prop_assert_eq!(sim.snapshot(), snap);
    }
}
