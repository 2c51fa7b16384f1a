//! Per-node replication state stays bounded on long runs: single-leader and multi-leader logs
//! compact to `LOG_KEEP` entries, and nodes that fell behind the compacted part still converge
//! (single-leader by snapshot, multi-leader by a catch-up of current versions), while lost writes
//! are still found.
#![cfg(not(target_arch = "wasm32"))]

use replica_engine::bench::{busy_multi_leader, busy_scenario};
use replica_engine::check::AnomalyKind;
use replica_engine::client::OpResult;
use replica_engine::scenario::{Action, Strategy, SyncMode, Topology};
use replica_engine::store::LOG_KEEP;
use replica_engine::strategy::NodeLogic;
use replica_engine::types::{Addr, MsgKind, NodeId, OpId};
use replica_engine::{Simulation, TraceKind};
use std::collections::{BTreeMap, BTreeSet};

const MS: u64 = 1_000;
const SEC: u64 = 1_000_000;

/// Runs `sim` to `until` in 50 ms steps, keeping an eye on log sizes and on the trace as it goes
/// (the kept trace is bounded, so it is read step by step).
struct Watch {
    seen: usize,
    max_entries: usize,
    /// Snapshot (or catch-up) messages sent, by receiving node.
    snapshots_to: BTreeMap<NodeId, usize>,
    /// Writes each node reported discarding from its log.
    truncated: BTreeMap<NodeId, BTreeSet<OpId>>,
    /// Writes reported lost as they were found (on long runs the anomaly list keeps only the
    /// newest).
    lost: BTreeSet<OpId>,
}

impl Watch {
    fn new() -> Self {
        Watch {
            seen: 0,
            max_entries: 0,
            snapshots_to: BTreeMap::new(),
            truncated: BTreeMap::new(),
            lost: BTreeSet::new(),
        }
    }

    fn run(&mut self, sim: &mut Simulation, until: u64) {
        while sim.now() < until {
            sim.run_until((sim.now() + 50 * MS).min(until));
            for s in sim.nodes() {
                let len = match &s.logic {
                    NodeLogic::Single(n) => n.durable.log.entries().len(),
                    NodeLogic::Multi(n) => n.durable.log.len(),
                    NodeLogic::Leaderless(_) => 0,
                };
                self.max_entries = self.max_entries.max(len);
            }
            let start = sim.trace_start();
            assert!(start <= self.seen, "the trace moved past unread events");
            for e in &sim.trace()[self.seen - start..] {
                match &e.kind {
                    TraceKind::Sent {
                        to: Addr::Node(n),
                        kind: MsgKind::Snapshot,
                        ..
                    } => *self.snapshots_to.entry(*n).or_default() += 1,
                    TraceKind::Truncated { node, writes, .. } => {
                        self.truncated
                            .entry(*node)
                            .or_default()
                            .extend(writes.iter().copied());
                    }
                    TraceKind::Anomaly { index } => {
                        if let Some(AnomalyKind::LostWrite { op, .. }) =
                            sim.anomalies().get(*index).map(|a| &a.kind)
                        {
                            self.lost.insert(*op);
                        }
                    }
                    _ => {}
                }
            }
            self.seen = start + sim.trace().len();
        }
    }
}

fn leader(sim: &Simulation) -> NodeId {
    *sim.leaders().last_key_value().unwrap().1
}

fn single(
    sim: &Simulation,
    n: NodeId,
) -> &replica_engine::strategy::single_leader::SingleLeaderNode {
    sim.nodes()[n as usize].logic.single().unwrap()
}

/// Stops the workload, heals everything, restarts every node and lets the cluster settle.
fn settle(sim: &mut Simulation, w: &mut Watch, quiet: u64) {
    sim.act(Action::SetWorkload(None));
    sim.act(Action::HealAll);
    for n in 0..sim.nodes().len() as NodeId {
        if !sim.nodes()[n as usize].up {
            sim.act(Action::Restart(n));
        }
    }
    let end = sim.now() + quiet;
    w.run(sim, end);
}

/// Every node's data equals the leader's, and its log ends where the leader's does.
fn assert_single_leader_converged(sim: &Simulation) {
    let l = single(sim, leader(sim));
    for (i, s) in sim.nodes().iter().enumerate() {
        let n = s.logic.single().unwrap();
        assert_eq!(
            n.durable.log.last_lsn(),
            l.durable.log.last_lsn(),
            "n{i}'s log ends where the leader's does"
        );
        assert_eq!(n.durable.log.data(), l.durable.log.data(), "n{i}'s data");
    }
}

#[test]
fn single_leader_logs_stay_bounded_and_far_behind_followers_catch_up_by_snapshot() {
    let mut sim = Simulation::new(busy_scenario(SyncMode::SemiSync { k: 1 }));
    let mut w = Watch::new();
    w.run(&mut sim, 5 * SEC);
    let l = leader(&sim);
    assert!(
        single(&sim, l).durable.log.base_lsn() > 0,
        "the leader's log compacted"
    );

    // A follower down for longer than the kept log comes back to a leader that no longer has
    // the entries it misses.
    let f = (l + 1) % 5;
    sim.act(Action::Crash(f));
    w.run(&mut sim, 15 * SEC);
    let missed_from = single(&sim, f).durable.log.last_lsn() + 1;
    assert!(
        single(&sim, leader(&sim)).durable.log.base_lsn() >= missed_from,
        "the leader compacted past what n{f} has"
    );
    let before = w.snapshots_to.get(&f).copied().unwrap_or(0);
    sim.act(Action::Restart(f));
    w.run(&mut sim, 17 * SEC);
    assert!(
        w.snapshots_to.get(&f).copied().unwrap_or(0) > before,
        "n{f} was sent a snapshot"
    );
    let sent = w.snapshots_to.get(&f).copied().unwrap_or(0) - before;
    assert!(
        sent <= 2,
        "{sent} snapshots: refusals of entries that crossed one on its way do not trigger more"
    );
    let (fl, ll) = (
        single(&sim, f).durable.log.last_lsn(),
        single(&sim, leader(&sim)).durable.log.last_lsn(),
    );
    assert!(
        ll - fl < 100,
        "n{f} caught up while writes go on: {fl} of {ll}"
    );
    assert!(
        !w.truncated.contains_key(&f),
        "its log was a prefix of the leader's: nothing to discard"
    );

    // Failovers, a partition, a crash of the leader and of a follower.
    let l = leader(&sim);
    sim.act(Action::Crash(l));
    w.run(&mut sim, 20 * SEC);
    assert_ne!(leader(&sim), l, "a follower took over");
    sim.act(Action::Restart(l));
    w.run(&mut sim, 24 * SEC);
    let l = leader(&sim);
    let others: Vec<NodeId> = (0..5).filter(|n| *n != l).collect();
    sim.act(Action::Partition(vec![
        vec![l, others[0]],
        others[1..].to_vec(),
    ]));
    w.run(&mut sim, 30 * SEC);
    sim.act(Action::Crash(others[2]));
    sim.act(Action::HealAll);
    w.run(&mut sim, 40 * SEC);

    settle(&mut sim, &mut w, 5 * SEC);
    assert_single_leader_converged(&sim);
    assert!(
        w.max_entries <= LOG_KEEP + LOG_KEEP / 2,
        "a log held {} entries",
        w.max_entries
    );
    for n in 0..5 {
        assert!(single(&sim, n).durable.log.base_lsn() > 0, "n{n} compacted");
    }
}

/// Writes acknowledged by the leader, by result.
fn acknowledged(sim: &Simulation) -> Vec<OpId> {
    sim.history()
        .iter()
        .filter(|op| matches!(op.result, OpResult::Written { .. }))
        .map(|op| op.id)
        .collect()
}

fn lost_write_anomalies(sim: &Simulation) -> BTreeSet<OpId> {
    sim.anomalies()
        .iter()
        .filter_map(|a| match a.kind {
            AnomalyKind::LostWrite { op, .. } => Some(op),
            _ => None,
        })
        .collect()
}

/// The classic asynchronous failover on compacted logs: the leader acknowledges writes it cannot
/// replicate, crashes, a follower takes over without them; they are reported lost, and the old
/// leader discards them when it rejoins.
#[test]
fn async_failover_on_compacted_logs_still_reports_lost_writes() {
    let mut sim = Simulation::new(busy_scenario(SyncMode::Async));
    let mut w = Watch::new();
    w.run(&mut sim, 10 * SEC);
    let old = leader(&sim);
    for n in 0..5 {
        assert!(single(&sim, n).durable.log.base_lsn() > 0, "n{n} compacted");
    }
    assert!(lost_write_anomalies(&sim).is_empty());
    for n in (0..5).filter(|n| *n != old) {
        sim.act(Action::Cut {
            from: old,
            to: n,
            both: false,
        });
    }
    let cut_at = sim.now();
    w.run(&mut sim, cut_at + 200 * MS);
    sim.act(Action::Crash(old));
    sim.act(Action::HealAll);
    w.run(&mut sim, cut_at + 3 * SEC);
    let new = leader(&sim);
    assert_ne!(new, old);
    let missing: BTreeSet<OpId> = acknowledged(&sim)
        .into_iter()
        .filter(|op| !sim.nodes()[new as usize].logic.holds(*op))
        .collect();
    assert!(
        missing.len() > 10,
        "writes acknowledged after the cut: {missing:?}"
    );
    assert_eq!(lost_write_anomalies(&sim), missing);
    sim.act(Action::Restart(old));
    w.run(&mut sim, cut_at + 6 * SEC);
    let discarded = w.truncated.get(&old).cloned().unwrap_or_default();
    assert!(
        missing.is_subset(&discarded),
        "the old leader discarded its unreplicated writes"
    );
    settle(&mut sim, &mut w, 3 * SEC);
    assert_single_leader_converged(&sim);
    assert!(w.max_entries <= LOG_KEEP + LOG_KEEP / 2);
}

/// Without fencing, a leader cut off from the others keeps accepting writes for longer than its
/// kept log: its unreplicated tail is folded into its base. When it rejoins, that base is not
/// the new leader's, so it must take a snapshot and report the split-brain writes discarded.
#[test]
fn a_deposed_leaders_compacted_tail_is_replaced_by_a_snapshot() {
    let mut scenario = busy_scenario(SyncMode::Async);
    if let Strategy::SingleLeader(c) = &mut scenario.config.strategy {
        c.fencing = false;
    }
    let mut sim = Simulation::new(scenario);
    let mut w = Watch::new();
    w.run(&mut sim, 3 * SEC);
    let old = leader(&sim);
    let others: Vec<NodeId> = (0..5).filter(|n| *n != old).collect();
    sim.act(Action::Partition(vec![vec![old], others]));
    let start = single(&sim, old).durable.log.last_lsn();
    w.run(&mut sim, 20 * SEC);
    let o = single(&sim, old);
    assert_eq!(o.role(), replica_engine::types::Role::Leader, "still leads");
    assert!(
        o.durable.log.base_lsn() > start,
        "its own unreplicated writes were folded into its base"
    );
    let epoch = o.durable.epoch;
    let split: Vec<OpId> = acknowledged(&sim)
        .into_iter()
        .filter(|op| sim.nodes()[old as usize].logic.holds(*op))
        .filter(|op| !sim.nodes()[leader(&sim) as usize].logic.holds(*op))
        .collect();
    assert!(split.len() > LOG_KEEP, "{} split-brain writes", split.len());
    assert_ne!(leader(&sim), old);

    sim.act(Action::HealAll);
    w.run(&mut sim, 23 * SEC);
    let o = single(&sim, old);
    assert!(
        o.durable.epoch > epoch,
        "the old leader follows the new epoch"
    );
    assert!(w.snapshots_to.get(&old).copied().unwrap_or(0) > 0);
    let discarded = w.truncated.get(&old).cloned().unwrap_or_default();
    for op in &split {
        assert!(discarded.contains(op), "#{op} reported discarded");
        assert!(!sim.nodes()[old as usize].logic.holds(*op));
    }
    assert!(
        split.iter().all(|op| w.lost.contains(op)),
        "all flagged lost"
    );
    settle(&mut sim, &mut w, 3 * SEC);
    assert_single_leader_converged(&sim);
    assert!(w.max_entries <= LOG_KEEP + LOG_KEEP / 2);
}

/// What a multi-leader node's store holds, as comparable values: key -> (write, value) of each
/// current version.
fn ml_data(sim: &Simulation, n: usize) -> BTreeMap<String, Vec<(OpId, String)>> {
    let NodeLogic::Multi(m) = &sim.nodes()[n].logic else {
        panic!("multi-leader")
    };
    m.durable
        .store
        .data
        .iter()
        .map(|(k, vs)| {
            (
                k.clone(),
                vs.iter().map(|v| (v.write, v.value.clone())).collect(),
            )
        })
        .collect()
}

fn ml_base(sim: &Simulation, n: usize) -> u64 {
    match &sim.nodes()[n].logic {
        NodeLogic::Multi(m) => m.durable.base,
        _ => panic!("multi-leader"),
    }
}

fn multi_leader_catch_up(topology: Topology, followers: u16) {
    let mut scenario = busy_multi_leader();
    if let Strategy::MultiLeader(c) = &mut scenario.config.strategy {
        c.topology = topology;
        c.followers = followers;
    }
    scenario.config.nodes = 3 * (1 + followers);
    let nodes = scenario.config.nodes as usize;
    let mut sim = Simulation::new(scenario);
    let mut w = Watch::new();
    w.run(&mut sim, 3 * SEC);
    // Region 1 is cut off for long enough that every log compacts past what it has; region 2's
    // leader crashes for as long (and forgets what its peers acknowledged). Meanwhile n0 takes a
    // write to a key nobody writes again: only a catch-up can bring it to them.
    let (cut, crashed) = (1 + followers, 2 * (1 + followers));
    let region: Vec<NodeId> = (cut..=cut + followers).collect();
    let rest: Vec<NodeId> = (0..nodes as NodeId)
        .filter(|n| !region.contains(n))
        .collect();
    sim.act(Action::Partition(vec![region, rest]));
    sim.act(Action::Crash(crashed));
    w.run(&mut sim, 3 * SEC + 100 * MS);
    sim.act(Action::Write {
        client: 0,
        key: "once".into(),
        value: "early".into(),
        node: Some(0),
    });
    w.run(&mut sim, 15 * SEC);
    // (The crashed leader's own followers hear from nobody else.)
    for n in 0..crashed as usize {
        assert!(ml_base(&sim, n) > 0, "n{n} compacted");
    }
    assert_eq!(ml_base(&sim, crashed as usize), 0, "down all along");
    let NodeLogic::Multi(n0) = &sim.nodes()[0].logic else {
        panic!("multi-leader")
    };
    assert!(
        n0.durable.log.iter().all(|e| e.key != "once"),
        "the write to `once` is compacted away"
    );
    settle(&mut sim, &mut w, 5 * SEC);
    for n in [cut, crashed] {
        assert!(
            w.snapshots_to.get(&n).copied().unwrap_or(0) > 0,
            "n{n} was sent a catch-up"
        );
    }
    if topology != Topology::Circular {
        // A catch-up's versions stand for the writes they superseded: not overtaking. (This run
        // shows none otherwise; the circular one does, forwarding around the ring.)
        assert!(!sim
            .anomalies()
            .iter()
            .any(|a| matches!(a.kind, AnomalyKind::OutOfOrder { .. })));
    }
    let first = ml_data(&sim, 0);
    assert!(first.contains_key("once"));
    for n in 1..nodes {
        assert_eq!(
            ml_data(&sim, n),
            first,
            "n{n} converged with n0 ({topology:?})"
        );
    }
    assert!(
        w.max_entries <= LOG_KEEP + LOG_KEEP / 2,
        "a log held {} entries",
        w.max_entries
    );
}

#[test]
fn multi_leader_all_to_all_peers_behind_the_compacted_log_converge() {
    multi_leader_catch_up(Topology::AllToAll, 0);
}

#[test]
fn multi_leader_circular_peers_behind_the_compacted_log_converge() {
    multi_leader_catch_up(Topology::Circular, 1);
}

#[test]
fn multi_leader_star_peers_behind_the_compacted_log_converge() {
    multi_leader_catch_up(Topology::Star, 0);
}

/// Forgetting the ids of older writes leaves every node's answers about recent writes, and its
/// applied count, as they were.
#[test]
fn forgetting_write_ids_keeps_answers_for_recent_writes() {
    for scenario in [
        busy_scenario(SyncMode::Async),
        busy_multi_leader(),
        replica_engine::bench::busy_leaderless(),
    ] {
        let mut sim = Simulation::new(scenario);
        sim.run_until(4 * SEC);
        let cut = (sim.history().len() as OpId).saturating_sub(500);
        for s in sim.nodes() {
            let mut logic = s.logic.clone();
            logic.forget_writes_before(cut);
            for op in sim.history().iter().filter(|o| o.id >= cut) {
                assert_eq!(logic.holds(op.id), s.logic.holds(op.id), "#{}", op.id);
            }
            assert_eq!(logic.applied(), s.logic.applied());
            // What is left names only writes from the cut on.
            let ids: Vec<OpId> = match &logic {
                NodeLogic::Single(n) => n.durable.log.snapshot().3.into_iter().collect(),
                NodeLogic::Multi(n) => n.durable.store.applied.iter().copied().collect(),
                NodeLogic::Leaderless(n) => n.durable.store.applied.iter().copied().collect(),
            };
            assert!(!ids.is_empty() && ids.iter().all(|w| *w >= cut));
        }
    }
}

/// Leaderless runs keep their applied-write count (shown as lag) when ids are forgotten.
#[test]
fn leaderless_applied_count_survives_forgetting() {
    let mut sim = Simulation::new(replica_engine::bench::busy_leaderless());
    sim.run_until(2 * SEC);
    for s in sim.nodes() {
        let NodeLogic::Leaderless(n) = &s.logic else {
            panic!("leaderless")
        };
        assert_eq!(
            s.logic.applied(),
            n.durable.store.applied.len() as u64,
            "nothing forgotten yet: the count is the set's size"
        );
        let mut l = s.logic.clone();
        l.forget_writes_before(sim.history().len() as OpId);
        assert_eq!(l.applied(), s.logic.applied());
    }
}
