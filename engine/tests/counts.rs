//! One definition per quantity: the counts of stale reads and anomalies that the metrics, the
//! anomaly list, the CLI's report and the charts give agree with each other (the definitions are
//! in the module docs of `replica_engine::check`).
#![cfg(not(target_arch = "wasm32"))]

use replica_engine::check::{self, series, Metrics};
use replica_engine::client::OpResult;
use replica_engine::presets;
use replica_engine::scenario::{self as sc, wire, Action, Config, Scenario, Scheduled, Workload};
use replica_engine::types::{OpId, MS};
use replica_engine::{report, Simulation};
use std::collections::BTreeSet;
use std::path::Path;

/// The successful reads kept in the history.
fn reads_ok(sim: &Simulation) -> BTreeSet<OpId> {
    sim.history()
        .iter()
        .filter(|o| matches!(o.result, OpResult::Read { .. }))
        .map(|o| o.id)
        .collect()
}

/// The reads of the anomaly list that carry a kind, among the reads kept.
fn flagged(sim: &Simulation, kinds: &[&str]) -> BTreeSet<OpId> {
    let kept = reads_ok(sim);
    sim.anomalies()
        .iter()
        .filter(|a| kinds.contains(&a.kind.name()))
        .filter_map(|a| a.kind.read())
        .filter(|op| kept.contains(op))
        .collect()
}

/// Every way of counting a run's stale reads and anomalies gives the same numbers; returns the
/// metrics for callers that check the numbers themselves.
fn counts_agree(what: &str, sim: &Simulation) -> Metrics {
    let m = sim.metrics();
    let stale = flagged(sim, &["stale-read", "read-your-writes"]);
    assert_eq!(m.stale_reads, stale.len(), "{what}: stale reads vs flags");
    let engine_set: BTreeSet<OpId> = check::stale_reads(sim.history(), sim.anomalies().items())
        .into_keys()
        .collect();
    assert_eq!(engine_set, stale, "{what}: check::stale_reads");
    // A read is flagged stale-read or read-your-writes, never both.
    let both = flagged(sim, &["stale-read"])
        .intersection(&flagged(sim, &["read-your-writes"]))
        .count();
    assert_eq!(both, 0, "{what}: a read flagged twice as stale");
    assert_eq!(
        m.read_your_writes,
        flagged(sim, &["read-your-writes"]).len(),
        "{what}: read-your-writes"
    );
    assert_eq!(m.reads_ok, reads_ok(sim).len(), "{what}: successful reads");
    let ppm = if m.reads_ok == 0 {
        0
    } else {
        (m.stale_reads as u64 * 1_000_000 / m.reads_ok as u64) as u32
    };
    assert_eq!(m.stale_read_ppm, ppm, "{what}: stale share");
    // The count is of the anomalies standing: a lost write that came back is retracted (it
    // stays in the list, marked) and counted apart.
    let retracted = sim
        .anomalies()
        .iter()
        .filter(|a| a.retracted.is_some())
        .count();
    assert_eq!(m.retracted, retracted, "{what}: retracted");
    assert_eq!(
        m.anomalies,
        sim.anomalies().len() - retracted,
        "{what}: anomalies"
    );
    // The staleness the charts and percentiles use is above zero exactly for the stale reads.
    let fates = sim.fates();
    let ages = check::read_staleness(sim.history(), &fates, sim.anomalies().items());
    let aged: BTreeSet<OpId> = ages.iter().filter(|a| a.2 > 0).map(|a| a.0).collect();
    assert_eq!(aged, stale, "{what}: staleness above zero");
    assert_eq!(
        m.staleness_us.count, m.reads_ok,
        "{what}: staleness per read"
    );
    // The CLI's report carries the same numbers.
    let json = report::json(sim, false);
    assert_eq!(
        json["metrics"]["stale_reads"], m.stale_reads,
        "{what}: report"
    );
    assert_eq!(json["metrics"]["anomalies"], m.anomalies, "{what}: report");
    assert_eq!(
        json["anomalies"].as_array().map(Vec::len),
        Some(m.anomalies + m.retracted),
        "{what}: report's anomaly list"
    );
    // With a single leader, the independent measure (against every write acknowledged before
    // the read began and not lost by the end) finds the same reads as the live checker. With
    // conflict resolution it cannot: a write a read missed may be discarded only later, and the
    // checker judges a read by what was known lost when it completed.
    if !matches!(sim.config().strategy, sc::Strategy::SingleLeader(_)) {
        return m;
    }
    let measured: BTreeSet<OpId> = series::staleness(sim.history(), &check::lost_writes(&fates))
        .iter()
        .filter(|a| a.2 > 0)
        .map(|a| a.0)
        .collect();
    assert_eq!(measured, stale, "{what}: measured staleness vs flags");
    m
}

#[test]
fn session_guarantees_preset_counts_agree_across_metrics_anomalies_and_report() {
    let p = presets::preset("session-guarantees").expect("the gallery has it");
    let mut sim = Simulation::new(p.scenario.clone());
    // The moment the gallery opens it at, and the end of its run.
    for t in [p.view.at.expect("a moment"), p.scenario.end()] {
        sim.run_until(t);
        let m = counts_agree("session-guarantees", &sim);
        // Three successful reads: #2 missed its client's own write #0 (stale, read-your-writes),
        // #3 is fresh, #4 missed its client's own write #1 (stale, read-your-writes) and went
        // back from what #3 had returned (monotonic reads).
        assert_eq!(m.reads_ok, 3);
        assert_eq!(m.stale_reads, 2);
        assert_eq!(m.read_your_writes, 2);
        assert_eq!(m.monotonic_reads, 1);
        assert_eq!(m.consistent_prefix, 0);
        assert_eq!(m.anomalies, 3);
        assert_eq!(m.stale_read_ppm, 666_666);
        let stale: Vec<OpId> = check::stale_reads(sim.history(), sim.anomalies().items())
            .into_keys()
            .collect();
        assert_eq!(stale, vec![2, 4]);
        let summary = report::summary(&sim);
        let lines = summary
            .lines()
            .filter(|l| l.starts_with("anomaly at"))
            .count();
        assert_eq!(lines, m.anomalies, "{summary}");
    }
}

#[test]
fn every_preset_and_golden_scenario_counts_agree() {
    for p in presets::presets() {
        let mut sim = Simulation::new(p.scenario.clone());
        sim.run_until(p.view.at.expect("a moment"));
        counts_agree(p.id, &sim);
        sim.run_until(p.scenario.end());
        counts_agree(p.id, &sim);
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/golden");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    assert!(names.len() >= 20, "{names:?}");
    for n in &names {
        let s = wire::decode(&std::fs::read_to_string(dir.join(n)).unwrap()).unwrap();
        let end = s.end();
        let mut sim = Simulation::new(s);
        sim.run_until(end);
        counts_agree(n, &sim);
    }
}

/// A run with background traffic and a fault every couple of seconds.
fn busy(strategy: sc::Strategy, seed: u64) -> Scenario {
    let mut schedule = Vec::new();
    for i in 0..8u64 {
        let at = (1_000 + 2_500 * i) * MS;
        let node = (seed + i) as u16 % 3;
        schedule.push(Scheduled {
            at,
            action: Action::Crash(node),
        });
        schedule.push(Scheduled {
            at: at + 900 * MS,
            action: Action::Restart(node),
        });
    }
    Scenario {
        config: Config {
            nodes: 3,
            clients: 3,
            strategy,
            workload: Some(Workload {
                write_every: 40 * MS,
                read_every: 30 * MS,
                keys: 2,
                read_from: sc::ReadFrom::Nearest,
            }),
            ..Config::default()
        },
        seed,
        schedule,
        duration: Some(22_000 * MS),
    }
}

#[test]
fn busy_runs_with_faults_count_alike_everywhere() {
    let mut stale_seen = 0;
    for seed in 1..=4 {
        for strategy in [
            sc::Strategy::SingleLeader(Default::default()),
            sc::Strategy::MultiLeader(Default::default()),
            sc::Strategy::Leaderless(sc::Leaderless {
                w: 1,
                r: 1,
                ..Default::default()
            }),
        ] {
            let what = format!("{} seed {seed}", strategy.name());
            let s = busy(strategy, seed);
            let end = s.end();
            let mut sim = Simulation::new(s);
            sim.run_until(end);
            stale_seen += counts_agree(&what, &sim).stale_reads;
        }
    }
    // The runs do read stale data, so the agreement above is not between empty sets.
    assert!(stale_seen > 0);
}
