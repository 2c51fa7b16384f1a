//! Long runs keep their retained structures under their documented bounds (counts, not time),
//! and seeking across the kept trace's horizon and across checkpoints still reproduces the run.
#![cfg(not(target_arch = "wasm32"))]

use replica_engine::bench::{busy_scenario, run_events, Faults};
use replica_engine::client::OpResult;
use replica_engine::scenario::SyncMode;
use replica_engine::sim::{HISTORY_KEEP, MAX_CHECKPOINTS, TRACE_KEEP};
use replica_engine::{Scenario, Simulation};

const SEC: u64 = 1_000_000;

/// The page's first scenario for one virtual hour, with a random fault every 10 s.
#[test]
fn an_hour_of_faults_stays_bounded() {
    let mut sim = Simulation::new(Scenario::default());
    let mut faults = Faults::new(12345);
    let mut max_trace = 0;
    let mut max_checkpoints = 0;
    let mut max_history = 0;
    for i in 1..=360u64 {
        let a = faults.next(3);
        sim.act(a);
        sim.run_until(i * 10 * SEC);
        max_trace = max_trace.max(sim.trace().len());
        max_checkpoints = max_checkpoints.max(sim.checkpoint_count());
        max_history = max_history.max(sim.history().len());
        if i % 60 == 0 && i < 360 {
            // Scrub back a little, as a reader would (not at the very end: a seek back to a
            // checkpoint from before the newest history cut restarts the history there, as
            // documented, and the counts below are about the history a straight run keeps).
            sim.seek(i * 10 * SEC - 30 * SEC);
            sim.seek(i * 10 * SEC);
        }
    }
    assert!(sim.stats().events > 300_000, "{}", sim.stats().events);
    assert!(sim.trace_start() > 0, "the trace was compacted");
    assert!(max_trace <= TRACE_KEEP + TRACE_KEEP / 2, "{max_trace}");
    assert!(sim.trace().len() >= TRACE_KEEP, "{}", sim.trace().len());
    assert!(max_checkpoints <= MAX_CHECKPOINTS, "{max_checkpoints}");
    // The history keeps its newest operations; the rest is counted.
    assert!(
        max_history <= HISTORY_KEEP + HISTORY_KEEP / 2,
        "{max_history}"
    );
    let (h, f) = (sim.history(), sim.forgotten());
    assert!(h.start() > 0 && h.len() >= HISTORY_KEEP);
    assert_eq!(f.ops(), h.start() as u64);
    assert_eq!(h.iter().next().map(|o| o.invoke), Some(f.since));
    let anomalies: u64 = f.anomalies.values().sum();
    assert_eq!(anomalies, sim.anomalies().start() as u64);
    assert!(sim.anomalies().iter().all(|a| a.t >= f.since));
}

/// Totals a run has found so far, whatever part of its history it keeps: operations, writes
/// and reads (acknowledged or not), anomalies by kind.
fn totals(sim: &Simulation) -> (u32, [u64; 4], std::collections::BTreeMap<&'static str, u64>) {
    let f = sim.forgotten();
    let mut counts = [f.writes, f.writes_acked, f.reads, f.reads_ok];
    for o in sim.history() {
        let ok = !matches!(
            o.result,
            OpResult::Pending | OpResult::Failed { .. } | OpResult::Indeterminate { .. }
        );
        let i = if o.is_write() { 0 } else { 2 };
        counts[i] += 1;
        counts[i + 1] += ok as u64;
    }
    let mut kinds = f.anomalies.clone();
    for a in sim.anomalies() {
        *kinds.entry(a.kind.name()).or_default() += 1;
    }
    (sim.history().end(), counts, kinds)
}

/// Seeking back before the oldest operation the history keeps (a checkpoint from then is
/// restored, and the history starts again there), forward again and in between: the run goes on
/// exactly as a straight run (same events, same anomalies found, same totals), and what the
/// history and the anomaly list keep is the newest part of a straight run's (all of it when the
/// seek stays within the history kept).
#[test]
fn seeking_across_the_history_horizon_reproduces_the_run() {
    let end = 40 * 60 * SEC;
    let mut sim = Simulation::new(Scenario::default());
    sim.run_until(end);
    assert!(sim.history().start() > 0, "the history was compacted");
    let mut thin = 0;
    for t in [
        5 * 60 * SEC,
        end,
        end - 60 * SEC,
        25 * 60 * SEC,
        12 * 60 * SEC,
        end,
    ] {
        sim.seek(t);
        let mut fresh = Simulation::new(Scenario::default());
        fresh.run_until(t);
        assert_eq!(sim.stats(), fresh.stats(), "at {t}");
        assert_eq!(totals(&sim), totals(&fresh), "at {t}");
        let (a, b) = (sim.history(), fresh.history());
        assert!(a.start() >= b.start() && a.end() == b.end(), "at {t}");
        assert_eq!(a.iter().next(), b.get(a.start()), "at {t}");
        assert!(
            a.iter().eq(b.iter().skip((a.start() - b.start()) as usize)),
            "at {t}"
        );
        let (a, b) = (sim.anomalies(), fresh.anomalies());
        assert!(a.start() >= b.start() && a.end() == b.end(), "at {t}");
        assert!(
            a.iter().eq(b.iter().skip((a.start() - b.start()) as usize)),
            "at {t}"
        );
        if sim.history().start() == fresh.history().start() {
            assert_eq!(sim.forgotten(), fresh.forgotten(), "at {t}");
            assert_eq!(sim.metrics(), fresh.metrics(), "at {t}");
        } else {
            thin += 1;
        }
        let (a, b) = (sim.trace(), fresh.trace());
        let common = a.len().min(b.len());
        assert_eq!(a[a.len() - common..], b[b.len() - common..], "at {t}");
    }
    assert!(thin > 0, "some seek went back past the history kept");
}

/// A busy run long enough to compact its trace and thin its checkpoints; seeking back before the
/// kept trace, forward again (through checkpoints computed earlier) and to moments in between
/// gives what a straight run gives.
#[test]
fn seeking_across_the_horizon_reproduces_the_run() {
    let scenario = busy_scenario(SyncMode::SemiSync { k: 1 });
    let mut straight = Simulation::new(scenario.clone());
    let end = run_events(&mut straight, 400_000);
    assert!(straight.trace_start() > 0);

    let mut sim = Simulation::new(scenario.clone());
    sim.run_until(end);
    assert!(sim.checkpoint_count() <= MAX_CHECKPOINTS);
    for t in [end / 10, end, end * 9 / 10, end / 2, end] {
        sim.seek(t);
        let mut fresh = Simulation::new(scenario.clone());
        fresh.run_until(t);
        assert_eq!(sim.now(), fresh.now());
        assert_eq!(sim.stats(), fresh.stats(), "at {t}");
        assert_eq!(sim.history(), fresh.history(), "at {t}");
        assert_eq!(sim.anomalies(), fresh.anomalies(), "at {t}");
        // The kept traces may start at different places; where both have events they agree.
        let (a, b) = (sim.trace(), fresh.trace());
        let a_end = sim.trace_start() + a.len();
        assert_eq!(a_end, fresh.trace_start() + b.len(), "trace length at {t}");
        let common = a.len().min(b.len());
        assert_eq!(a[a.len() - common..], b[b.len() - common..], "at {t}");
    }
}

/// The benchmarks' 10,000-operation histories are whole, although a run keeps fewer.
#[test]
fn benchmark_histories_are_collected_whole() {
    let h = replica_engine::bench::history_of(replica_engine::bench::busy_leaderless(), 10_000);
    assert_eq!((h.start(), h.len()), (0, 10_000));
    assert!(h.iter().enumerate().all(|(i, o)| o.id == i as u32));
    let pending = h.iter().filter(|o| o.result == OpResult::Pending).count();
    assert!(pending < 100, "{pending}");
}

/// Multi-leader and leaderless runs long enough to cut their history many times, with a random
/// fault every second: the history stays bounded, and seeking back past the kept history and
/// forward again gives the same run as a straight one.
#[test]
fn multi_leader_and_leaderless_long_runs_stay_bounded_and_replay() {
    for scenario in [
        replica_engine::bench::busy_multi_leader(),
        replica_engine::bench::busy_leaderless(),
    ] {
        let nodes = scenario.config.nodes;
        let mut sim = Simulation::new(scenario.clone());
        let mut faults = Faults::new(99);
        let mut max_history = 0;
        let mut actions = Vec::new();
        for i in 1..=60u64 {
            let a = faults.next(nodes);
            actions.push((sim.now(), a.clone()));
            sim.act(a);
            sim.run_until(i * SEC);
            max_history = max_history.max(sim.history().len());
        }
        let end = sim.now();
        assert!(sim.history().start() > 10_000, "{}", sim.history().start());
        assert!(
            max_history <= HISTORY_KEEP + HISTORY_KEEP / 2,
            "{max_history}"
        );
        // The same actions as a schedule, run straight.
        let straight_to = |t: u64| {
            let mut s = scenario.clone();
            s.schedule = actions
                .iter()
                .map(|(at, a)| replica_engine::scenario::Scheduled {
                    at: at + 1,
                    action: a.clone(),
                })
                .collect();
            let mut f = Simulation::new(s);
            f.run_until(t);
            f
        };
        for t in [end / 4, end, end / 2] {
            sim.seek(t);
            let fresh = straight_to(t);
            assert_eq!(sim.stats(), fresh.stats(), "at {t}");
            assert_eq!(totals(&sim), totals(&fresh), "at {t}");
            let (a, b) = (sim.history(), fresh.history());
            assert!(a.start() >= b.start() && a.end() == b.end(), "at {t}");
            assert!(
                a.iter().eq(b.iter().skip((a.start() - b.start()) as usize)),
                "at {t}"
            );
        }
    }
}
