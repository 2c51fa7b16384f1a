//! Properties of single-leader runs over random scenarios (faults, modes, workloads).
//!
//! Each property runs `PROPTEST_CASES` cases (1,000 by default; `cargo xtask test --deep` runs
//! more). A failure prints the scenario, seed included, as version-1 JSON: save it to a file and
//! `replica-sim run` replays it exactly.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{any_scenario, cases, scenario_with, settle, show};
use proptest::prelude::*;
use replica_engine::check::{AnomalyKind, Fate};
use replica_engine::client::OpResult;
use replica_engine::scenario::{decode_link, encode_link, wire, Scenario, SyncMode, View};
use replica_engine::trace::TraceKind;
use replica_engine::Simulation;
use std::collections::{BTreeMap, BTreeSet};

const QUIET_MS: u64 = 6000;

/// A scenario and a valid view of it: any moment up to one day, an existing node, a speed kept
/// to three decimals within 0.01–100.
fn scenario_and_view() -> impl Strategy<Value = (Scenario, View)> {
    any_scenario().prop_flat_map(|s| {
        let nodes = s.max_nodes();
        (
            Just(s),
            proptest::option::of(0u64..=replica_engine::scenario::MAX_TIME),
            proptest::option::of(0..nodes),
            any::<bool>(),
            proptest::option::of(10u32..=100_000),
        )
            .prop_map(|(s, at, node, diagram, speed)| {
                let view = View {
                    at,
                    node,
                    diagram,
                    speed: speed.map(|m| m as f64 / 1000.0),
                };
                (s, view)
            })
    })
}

/// A change to a link's text: flip a character, cut it short, or insert one.
#[derive(Clone, Debug)]
enum Mutation {
    Replace(usize, char),
    Truncate(usize),
    Insert(usize, char),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let c = prop_oneof![
        4 => proptest::char::range('-', 'z'),
        1 => any::<char>(),
    ];
    prop_oneof![
        (any::<usize>(), c.clone()).prop_map(|(i, c)| Mutation::Replace(i, c)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), c).prop_map(|(i, c)| Mutation::Insert(i, c)),
    ]
}

fn mutate(link: &str, ms: &[Mutation]) -> String {
    let mut chars: Vec<char> = link.chars().collect();
    for m in ms {
        let len = chars.len().max(1);
        match *m {
            Mutation::Replace(i, c) if !chars.is_empty() => chars[i % len] = c,
            Mutation::Replace(..) => {}
            Mutation::Truncate(i) => chars.truncate(i % len),
            Mutation::Insert(i, c) => chars.insert(i % (chars.len() + 1), c),
        }
    }
    chars.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, .. ProptestConfig::default() })]

    #[test]
    fn standing_anomalies_and_fates_agree(s in any_scenario()) {
        // A write an anomaly calls lost (and not retracted) has the fate lost, and only an
        // acknowledged write is ever called discarded: one definition, two views.
        let mut sim = Simulation::new(s.clone());
        sim.run_until(s.end());
        let fates = sim.fates();
        for a in sim.anomalies().iter().filter(|a| a.retracted.is_none()) {
            let op = match a.kind {
                AnomalyKind::LostWrite { op, .. } | AnomalyKind::Discarded { op, .. } => op,
                _ => continue,
            };
            let Some(f) = fates.iter().find(|f| f.op == op) else { continue };
            prop_assert!(f.acked, "{:?} of an unacknowledged write; scenario:\n{}", a, show(&s));
            prop_assert_eq!(f.fate, Fate::Lost, "{:?}; scenario:\n{}", a, show(&s));
        }
    }

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
    fn links_round_trip((s, view) in scenario_and_view()) {
        let link = encode_link(&s, &view);
        let back = decode_link(&link);
        prop_assert_eq!(back, Ok((s.clone(), view)), "link {} of scenario:\n{}", link, show(&s));
    }

    #[test]
    fn decoding_any_text_as_a_link_never_panics(
        text in prop_oneof![
            ".*",
            "[#]?[0-9]{0,2}[.][A-Za-z0-9_=-]{0,300}",
            "1[.][A-Za-z0-9_-]{0,300}",
        ]
    ) {
        // An error is the expected answer; what matters is that there is one, in words.
        if let Err(e) = decode_link(&text) {
            prop_assert!(!e.0.is_empty());
        }
    }

    #[test]
    fn decoding_a_mutated_link_never_panics(
        (s, view) in scenario_and_view(),
        ms in prop::collection::vec(mutation(), 1..4),
    ) {
        let link = encode_link(&s, &view);
        let bad = mutate(&link, &ms);
        match decode_link(&bad) {
            Err(e) => prop_assert!(!e.0.is_empty()),
            // A change can land where it changes nothing (trailing bits, whitespace) or still
            // decode to something valid; either way the result must be a valid scenario again.
            Ok((s2, v2)) => {
                let again = decode_link(&encode_link(&s2, &v2));
                prop_assert_eq!(again, Ok((s2, v2)));
            }
        }
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
