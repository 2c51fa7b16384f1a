//! Golden scenarios: each `testdata/golden/NAME.json` runs headless (through the `replica-sim`
//! CLI, as users would) and its summary must equal `NAME.expected` exactly.
//! Run with `UPDATE_EXPECT=1` to rewrite the expectations after an intended change, then review
//! the diff: these files are the specification of what each scenario shows.
#![cfg(not(target_arch = "wasm32"))]

use replica_engine::check::{AnomalyKind, Counts, Fate};
use replica_engine::client::OpResult;
use replica_engine::scenario::wire;
use replica_engine::{MsgKind, Simulation, TraceKind};
use std::path::{Path, PathBuf};
use std::process::Command;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/golden")
}

fn run(name: &str) -> Simulation {
    let path = golden_dir().join(format!("{name}.json"));
    run_json(&std::fs::read_to_string(&path).unwrap())
}

#[test]
fn every_golden_scenario_matches_its_expected_summary() {
    let mut names: Vec<PathBuf> = std::fs::read_dir(golden_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    names.sort();
    assert!(names.len() >= 8, "golden scenarios missing");
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut failures = Vec::new();
    for path in names {
        let out = Command::new(env!("CARGO_BIN_EXE_replica-sim"))
            .args(["run", path.to_str().unwrap(), "--summary"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let got = String::from_utf8(out.stdout).unwrap();
        let expected_path = path.with_extension("expected");
        if update {
            std::fs::write(&expected_path, &got).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_else(|_| {
            panic!(
                "{} missing (run with UPDATE_EXPECT=1)",
                expected_path.display()
            )
        });
        if got != expected {
            failures.push(format!(
                "--- {}\n{}\n+++ got\n{}",
                expected_path.display(),
                expected,
                got
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn lost(sim: &Simulation) -> Vec<u32> {
    sim.fates()
        .iter()
        .filter(|f| f.fate == Fate::Lost)
        .map(|f| f.op)
        .collect()
}

#[test]
fn async_failover_loses_exactly_the_unreplicated_writes() {
    let sim = run("async-failover-loss");
    // x=3 (#2) and z=4 (#3) were acknowledged by n0 while its outgoing links were cut.
    assert_eq!(lost(&sim), vec![2, 3]);
    let (_, &leader) = sim.leaders().last_key_value().unwrap();
    assert_ne!(leader, 0, "a follower took over");
    let flagged: Vec<u32> = sim
        .anomalies()
        .iter()
        .filter_map(|a| match a.kind {
            AnomalyKind::LostWrite { op, leader: l, .. } if l == leader => Some(op),
            _ => None,
        })
        .collect();
    assert_eq!(flagged, vec![2, 3]);
    // The old leader discarded them when it rejoined.
    assert!(sim.trace().iter().any(|e| matches!(&e.kind,
        TraceKind::Truncated { node: 0, from_lsn: 3, writes } if writes == &vec![2, 3])));
}

#[test]
fn sync_write_stalls_while_a_follower_is_down() {
    let sim = run("sync-stalled-follower");
    let f = sim.fates();
    assert_eq!(f[1].fate, Fate::Indeterminate);
    assert!(
        f[1].present,
        "the stalled write is in the log; only the answer never came"
    );
    // The write after the follower came back was acknowledged normally.
    assert_eq!(f[2].fate, Fate::Durable);
}

#[test]
fn semi_sync_replaces_the_failed_sync_follower() {
    let sim = run("semi-sync-follower-loss");
    let sets: Vec<&Vec<u16>> = sim
        .trace()
        .iter()
        .filter_map(|e| match &e.kind {
            TraceKind::SyncSet { node: 0, followers } => Some(followers),
            _ => None,
        })
        .collect();
    assert_eq!(sets, vec![&vec![1], &vec![2]]);
    assert!(lost(&sim).is_empty());
    let w = &sim.history()[1];
    assert!(
        w.latency().unwrap() > 150_000,
        "the write waited for the failure to be detected"
    );
}

#[test]
fn old_leader_rejoins_as_follower() {
    let sim = run("failover-rejoin");
    let snap = sim.snapshot();
    assert_eq!(sim.leaders().len(), 2);
    assert_eq!(snap.nodes[0].role, replica_engine::Role::Follower);
    let (&epoch, _) = sim.leaders().last_key_value().unwrap();
    assert_eq!(
        snap.nodes[0].epoch, epoch,
        "the old leader learned the new epoch"
    );
    assert!(snap.nodes.iter().all(|n| n.last_lsn == 3));
}

#[test]
fn split_brain_without_fencing_loses_the_old_sides_write() {
    let sim = run("split-brain-no-fencing");
    let (_, &leader) = sim.leaders().last_key_value().unwrap();
    assert!(sim.anomalies().iter().any(
        |a| matches!(&a.kind, AnomalyKind::SplitBrain { nodes, .. } if nodes == &vec![0, leader])
    ));
    assert_eq!(lost(&sim), vec![1]);
    let fenced = run("split-brain-fencing");
    assert!(fenced.anomalies().is_empty());
    assert!(lost(&fenced).is_empty());
}

/// The moments single-leader nodes became leader, with their epochs.
fn elected(sim: &Simulation) -> Vec<(replica_engine::Time, u64)> {
    sim.trace()
        .iter()
        .filter_map(|e| match e.kind {
            TraceKind::Role {
                role: replica_engine::Role::Leader,
                epoch,
                ..
            } => Some((e.t, epoch)),
            _ => None,
        })
        .collect()
}

#[test]
fn the_node_with_the_longest_log_but_an_old_epoch_learns_the_epoch_and_leads() {
    // Issue 13's stuck cluster: n0 holds x=2, which n2 lacks, but n0 restarts in epoch 1 while
    // n2 is in epoch 2. n2 cannot win without n0's vote (its log is shorter); n0's pre-vote for
    // epoch 2 is refused, and the refusal now carries n2's epoch, so n0 adopts it and stands in
    // epoch 3. It must lead within four election timeouts (two of its timers at most, each at
    // most twice the timeout) plus two pre-vote and vote round trips of the restart at 1.6 s.
    let sim = run("stuck-election-rejoin");
    let e = sim.election_timeout().unwrap();
    let restart = 1600 * replica_engine::types::MS;
    let after: Vec<_> = elected(&sim)
        .into_iter()
        .filter(|(t, _)| *t > restart)
        .collect();
    assert_eq!(after.len(), 1, "one election after the restart: {after:?}");
    let (t, epoch) = after[0];
    assert!(
        t - restart <= 4 * e.effective + 4 * e.slowest_one_way,
        "elected {} µs after the restart",
        t - restart
    );
    assert_eq!(sim.leaders().get(&epoch), Some(&0));
    assert!(sim.history().iter().all(|o| matches!(
        o.result,
        replica_engine::client::OpResult::Written { .. }
            | replica_engine::client::OpResult::Read { .. }
    )));
}

#[test]
fn at_250_ms_latency_the_election_timeout_is_raised_and_the_leader_holds() {
    // With the configured 300 ms timeout a 250 ms one-way latency (plus 10 ms jitter) made
    // leadership change without end. The timeout is fitted to 2 × 50 + 4 × 260 = 1140 ms and
    // the first leader holds for the whole 30 s run.
    let sim = run("high-latency-stable-leader");
    let e = sim.election_timeout().unwrap();
    assert_eq!(
        (e.configured, e.effective, e.slowest_one_way),
        (300_000, 1_140_000, 260_000)
    );
    assert!(sim.trace().iter().any(|ev| matches!(&ev.kind,
        TraceKind::Config { text } if text.contains("election timeout raised to 1140 ms"))));
    assert_eq!(sim.leaders().len(), 1, "{:?}", sim.leaders());
    assert!(sim.history().iter().all(|o| matches!(
        o.result,
        replica_engine::client::OpResult::Written { .. }
            | replica_engine::client::OpResult::Read { .. }
    )));
}

#[test]
fn the_election_timeout_follows_latency_changes_on_one_link_and_back() {
    // One slow link is enough to raise the timeout (2 × 50 + 4 × (400 + 10) = 1740 ms), and
    // setting it back restores the configured one; each change is said in the trace.
    let json = r#"{"version": 1, "seed": 5, "nodes": 3, "clients": 1,
        "duration_ms": 12000,
        "schedule": [
          { "at_ms": 100, "do": "write", "key": "x", "value": "1" },
          { "at_ms": 1000, "do": "set-latency", "from": 0, "to": 1, "latency_ms": 400 },
          { "at_ms": 3000, "do": "write", "key": "x", "value": "2" },
          { "at_ms": 6000, "do": "set-latency", "from": 0, "to": 1, "latency_ms": 40 },
          { "at_ms": 8000, "do": "write", "key": "x", "value": "3" }
        ]}"#;
    let scenario = wire::decode(json).unwrap();
    let mut sim = Simulation::new(scenario);
    let timeouts = |sim: &Simulation| {
        let e = sim.election_timeout().unwrap();
        (e.configured, e.effective, e.slowest_one_way)
    };
    assert_eq!(timeouts(&sim), (300_000, 300_000, 50_000));
    sim.run_until(2_000_000);
    assert_eq!(timeouts(&sim), (300_000, 1_740_000, 410_000));
    sim.run_until(12_000_000);
    assert_eq!(timeouts(&sim), (300_000, 300_000, 50_000));
    let notes: Vec<&str> = sim
        .trace()
        .iter()
        .filter_map(|e| match &e.kind {
            TraceKind::Config { text } if text.starts_with("election timeout") => {
                Some(text.as_str())
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        notes,
        [
            "election timeout raised to 1740 ms to fit latency 410 ms (configured 300 ms)",
            "election timeout back to 300 ms (fits latency 50 ms)"
        ]
    );
    // The first leader held throughout, and every write was acknowledged.
    assert_eq!(sim.leaders().len(), 1, "{:?}", sim.leaders());
    assert!(sim
        .history()
        .iter()
        .all(|o| matches!(o.result, replica_engine::client::OpResult::Written { .. })));
}

#[test]
fn new_follower_catches_up_from_a_snapshot() {
    let sim = run("add-follower-snapshot");
    assert!(sim.trace().iter().any(|e| matches!(
        &e.kind,
        TraceKind::Sent {
            kind: MsgKind::Snapshot,
            to: replica_engine::Addr::Node(2),
            ..
        }
    )));
    assert!(sim.snapshot().nodes.iter().all(|n| n.last_lsn == 4));
}

#[test]
fn cli_rejects_bad_input_with_one_line_and_exit_code_2() {
    let dir = std::env::temp_dir().join(format!("replica-sim-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        ("not-json", "{ nope"),
        ("wrong-version", r#"{"version": 9}"#),
        ("too-many-nodes", r#"{"version": 1, "nodes": 10000}"#),
        (
            "bad-node",
            r#"{"version": 1, "schedule": [{"at_ms": 1, "do": "crash", "node": 7}]}"#,
        ),
    ];
    for (name, text) in cases {
        let p = dir.join(format!("{name}.json"));
        std::fs::write(&p, text).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_replica-sim"))
            .args(["run", p.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(err.starts_with("replica-sim: "), "{name}: {err}");
    }
    let ok = Command::new(env!("CARGO_BIN_EXE_replica-sim"))
        .args([
            "run",
            golden_dir()
                .join("stale-follower-read.json")
                .to_str()
                .unwrap(),
            "--trace",
        ])
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    for key in [
        "history",
        "fates",
        "anomalies",
        "metrics",
        "trace",
        "trace_hash",
    ] {
        assert!(v.get(key).is_some(), "CLI output lacks {key}");
    }
    assert_eq!(v["metrics"]["stale_reads"], 1);
}

fn read_values(sim: &Simulation, op: usize) -> Vec<String> {
    match &sim.history()[op as u32].result {
        replica_engine::client::OpResult::Read { value, others, .. } => value
            .iter()
            .cloned()
            .chain(others.iter().map(|(v, _)| v.clone()))
            .collect(),
        r => panic!("op {op} is not a completed read: {r:?}"),
    }
}

fn stale_reads(sim: &Simulation) -> Vec<(u32, u32)> {
    sim.anomalies()
        .iter()
        .filter_map(|a| match a.kind {
            AnomalyKind::StaleRead { op, missed, .. } => Some((op, missed)),
            _ => None,
        })
        .collect()
}

fn sent_kinds(sim: &Simulation, kind: MsgKind) -> Vec<(replica_engine::Addr, u64)> {
    sim.trace()
        .iter()
        .filter_map(|e| match &e.kind {
            TraceKind::Sent { kind: k, to, .. } if *k == kind => Some((*to, e.t)),
            _ => None,
        })
        .collect()
}

/// Runs a golden scenario with one strategy field changed.
fn run_with(name: &str, field: &str, value: serde_json::Value) -> Simulation {
    let text = std::fs::read_to_string(golden_dir().join(format!("{name}.json"))).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["strategy"][field] = value;
    let s = wire::decode(&v.to_string()).unwrap();
    let end = s.end();
    let mut sim = Simulation::new(s);
    sim.run_until(end);
    sim
}

#[test]
fn circular_topology_stops_at_a_crashed_leader() {
    let sim = run("ml-circular-broken");
    // While n1 is down, n0's second write cannot reach n2: the read at n2 misses it.
    assert_eq!(stale_reads(&sim), vec![(2, 1)]);
    assert_eq!(read_values(&sim, 2), vec!["1"]);
    // Once n1 is back the ring delivers it.
    assert_eq!(read_values(&sim, 3), vec!["2"]);
}

#[test]
fn all_to_all_update_overtakes_its_insert() {
    let sim = run("ml-all-to-all-overtaking");
    let out_of_order: Vec<_> = sim
        .anomalies()
        .iter()
        .filter_map(|a| match a.kind {
            AnomalyKind::OutOfOrder {
                node,
                write,
                missing,
            } => Some((node, write, missing)),
            _ => None,
        })
        .collect();
    assert_eq!(out_of_order, vec![(2, 1, 0)]);
    assert!(
        lost(&sim).is_empty(),
        "the later write still wins everywhere"
    );
}

#[test]
fn last_write_wins_under_skew_discards_the_causally_later_write() {
    let sim = run("ml-lww-skew");
    let discarded: Vec<(u32, u32, bool)> = sim
        .anomalies()
        .iter()
        .filter_map(|a| match &a.kind {
            AnomalyKind::Discarded { op, by, why } => {
                Some((*op, *by, why.contains("an earlier write won")))
            }
            _ => None,
        })
        .collect();
    // x=second (#1) saw x=first (#0) but n1's clock is behind: it loses. y=a/y=b are concurrent.
    assert_eq!(discarded, vec![(1, 0, true), (3, 2, false)]);
    assert_eq!(lost(&sim), vec![1, 3]);
    assert_eq!(read_values(&sim, 4), vec!["first"]);
    assert!(sim
        .anomalies()
        .iter()
        .any(|a| matches!(&a.kind, AnomalyKind::Conflict { key, writes } if key == "y" && writes == &vec![2, 3])));
}

#[test]
fn siblings_are_read_together_and_merged_by_a_write_that_saw_them() {
    let sim = run("ml-siblings-merge");
    assert_eq!(read_values(&sim, 2), vec!["milk", "eggs"]);
    assert_eq!(read_values(&sim, 4), vec!["milk,eggs"]);
    assert!(lost(&sim).is_empty(), "siblings lose nothing");
}

#[test]
fn quorum_read_after_acknowledged_write_sees_it() {
    let sim = run("ll-quorum-read-after-write");
    assert_eq!(read_values(&sim, 1), vec!["1"]);
    assert!(stale_reads(&sim).is_empty());
}

#[test]
fn w1_r1_reads_can_be_stale() {
    let sim = run("ll-w1-r1-stale");
    // Read #1 asked one replica before the write reached it; read #2 came later.
    assert_eq!(stale_reads(&sim), vec![(1, 0)]);
    assert_eq!(read_values(&sim, 2), vec!["1"]);
    // The same reads with W = R = 2 (W + R > N) are not stale.
    let mut v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(golden_dir().join("ll-w1-r1-stale.json")).unwrap(),
    )
    .unwrap();
    v["strategy"]["w"] = 2.into();
    v["strategy"]["r"] = 2.into();
    let s = wire::decode(&v.to_string()).unwrap();
    let end = s.end();
    let mut strict = Simulation::new(s);
    strict.run_until(end);
    assert!(stale_reads(&strict).is_empty());
}

#[test]
fn sloppy_quorum_read_is_stale_although_w_plus_r_exceeds_n() {
    let sim = run("ll-sloppy-quorum-stale");
    assert_eq!(stale_reads(&sim), vec![(1, 0)]);
    assert!(!sent_kinds(&sim, MsgKind::Hint).is_empty());
    assert_eq!(
        read_values(&sim, 2),
        vec!["1"],
        "after hand-off the home replicas have it"
    );
}

#[test]
fn hinted_handoff_delivers_after_recovery() {
    let sim = run("ll-hinted-handoff");
    let f = &sim.fates()[0];
    assert!(
        f.holders.contains(&3),
        "n3 holds the write after it came back: {:?}",
        f.holders
    );
    let handed: Vec<_> = sent_kinds(&sim, MsgKind::Hint)
        .into_iter()
        .filter(|(to, t)| *to == replica_engine::Addr::Node(3) && *t >= 1_000_000)
        .collect();
    assert!(!handed.is_empty(), "a hint went to n3 after its restart");
    assert!(
        sim.snapshot().nodes.iter().all(|n| n.hints == 0),
        "no hint is left behind"
    );
}

#[test]
fn read_repair_fixes_the_stale_replica() {
    let sim = run("ll-read-repair");
    assert!(sent_kinds(&sim, MsgKind::Repair)
        .iter()
        .any(|(to, _)| *to == replica_engine::Addr::Node(2)));
    assert!(sim.fates()[0].holders.contains(&2));
    let without = run_with("ll-read-repair", "read_repair", false.into());
    assert!(!without.fates()[0].holders.contains(&2));
}

#[test]
fn anti_entropy_repairs_a_replica_that_missed_writes() {
    let sim = run("ll-anti-entropy");
    assert!(!sent_kinds(&sim, MsgKind::AntiEntropy).is_empty());
    assert!(sim.fates().iter().all(|f| f.holders.contains(&2)));
    let without = run_with("ll-anti-entropy", "anti_entropy_ms", 0.into());
    assert!(without.fates().iter().all(|f| !f.holders.contains(&2)));
}

#[test]
fn synchronous_cross_leader_writes_cost_a_round_trip_and_block_while_cut_off() {
    let sim = run("ml-cross-sync-cut-off");
    let f = sim.fates();
    let latency = |op: usize| sim.history()[op as u32].latency().unwrap();
    assert!(
        latency(0) > 160_000,
        "a round trip to the other regions: {}",
        latency(0)
    );
    assert_eq!(
        (f[1].fate, f[2].fate),
        (Fate::Indeterminate, Fate::Indeterminate)
    );
    assert!(
        f[1].present && f[2].present,
        "they reach every region once the cut heals"
    );
    assert_eq!(f[3].fate, Fate::Durable);
    let async_ = run_with("ml-cross-sync-cut-off", "cross_sync", false.into());
    assert!(async_.history()[0].latency().unwrap() < 20_000);
    assert!(async_.fates().iter().all(|w| w.fate == Fate::Durable));
}

#[test]
fn a_leader_crashing_at_once_is_replaced_in_a_new_epoch() {
    let s = wire::decode(
        r#"{"version":1,"schedule":[{"at_ms":0.001,"do":"crash","node":0}],"duration_ms":3000}"#,
    )
    .unwrap();
    let mut sim = Simulation::new(s);
    sim.run_until(3_000_000);
    let leaders: Vec<(u64, u16)> = sim.leaders().iter().map(|(e, n)| (*e, *n)).collect();
    assert_eq!(leaders.len(), 2, "{leaders:?}");
    assert_eq!(
        leaders[0],
        (1, 0),
        "every node starts knowing n0 leads epoch 1"
    );
    assert!(leaders[1].0 >= 2 && leaders[1].1 != 0);
}

#[test]
fn session_guarantees_read_your_writes_and_monotonic_reads() {
    let sim = run("session-guarantees");
    let found: Vec<String> = sim
        .anomalies()
        .iter()
        .map(|a| match a.kind {
            AnomalyKind::ReadYourWrites { op, missed } => format!("ryw {op} {missed}"),
            AnomalyKind::MonotonicRead { op, earlier } => format!("monotonic {op} {earlier}"),
            ref k => k.name().to_string(),
        })
        .collect();
    // c1 missed its own write; c0 went back from what it had read (and missed its own write).
    assert_eq!(found, vec!["ryw 2 0", "ryw 4 1", "monotonic 4 3"]);
    assert_eq!(sim.metrics().read_your_writes, 2);
    assert_eq!(sim.metrics().monotonic_reads, 1);
}

#[test]
fn multi_leader_reader_sees_the_answer_before_the_question() {
    let sim = run("ml-consistent-prefix");
    let flagged: Vec<(u32, u32, u32)> = sim
        .anomalies()
        .iter()
        .filter_map(|a| match a.kind {
            AnomalyKind::ConsistentPrefix { op, saw, missed } => Some((op, saw, missed)),
            _ => None,
        })
        .collect();
    // c2 read the answer (#2, written by c1 after reading the question #0) at n2, then missed
    // the question, still on the slow link from n0. Once it arrived (read #5), all is well.
    assert_eq!(flagged, vec![(4, 2, 0)]);
}

#[test]
fn strict_quorum_without_read_repair_reads_new_then_old() {
    use replica_engine::check::linear::{check_all, Verdict};
    let sim = run("ll-new-then-old");
    // W=3, R=1 (W + R > N): write #1 is on n0 and n1 but not yet on n2 (slow link). Read #2 at
    // n1 sees it; read #3 at n2, which began after #2 returned, does not. No read is stale (the
    // write was not acknowledged yet), but no order of the four explains them.
    assert!(sim.anomalies().is_empty());
    let v = check_all(sim.history(), 100_000);
    assert_eq!(
        v["x"],
        Verdict::Violation {
            ops: vec![0, 1, 2, 3]
        }
    );
}

#[test]
fn metrics_and_series_of_a_stale_follower_read() {
    let sim = run("stale-follower-read");
    let m = sim.metrics();
    assert!(m.staleness_us.max > 0 && m.stale_read_ppm > 0);
    assert!(m.throughput_ops_per_s > 0.0);
    let series = sim.series();
    let names: Vec<&str> = series.iter().map(|s| s.name.as_str()).collect();
    assert!(names.contains(&"lag n1") && names.contains(&"lag-ms n1"));
    assert!(names.contains(&"staleness") && names.contains(&"availability"));
    let lag = series.iter().find(|s| s.name == "lag n1").unwrap();
    assert!(lag.points.windows(2).all(|p| p[0].0 < p[1].0));
}

/// Same-session causality: c0 writes x, then (after the acknowledgement) y. c1 reads y at an
/// up-to-date follower, then x at one cut off from the leader: the answer before the question.
#[test]
fn a_session_write_order_is_a_causal_order() {
    let text = r#"{
      "version": 1, "seed": 1, "nodes": 3, "clients": 2,
      "strategy": { "kind": "single-leader", "mode": "async" },
      "schedule": [
        { "at_ms": 50, "do": "cut", "from": 0, "to": 2, "both": false },
        { "at_ms": 100, "do": "write", "client": 0, "key": "x", "value": "question" },
        { "at_ms": 200, "do": "write", "client": 0, "key": "y", "value": "answer" },
        { "at_ms": 300, "do": "read", "client": 1, "key": "y", "from": 1 },
        { "at_ms": 400, "do": "read", "client": 1, "key": "x", "from": 2 }
      ]
    }"#;
    let s = wire::decode(text).unwrap();
    let mut sim = Simulation::new(s);
    sim.run_until(1_000_000);
    let flagged: Vec<(u32, u32, u32)> = sim
        .anomalies()
        .iter()
        .filter_map(|a| match a.kind {
            AnomalyKind::ConsistentPrefix { op, saw, missed } => Some((op, saw, missed)),
            _ => None,
        })
        .collect();
    assert_eq!(flagged, vec![(3, 1, 0)], "{:?}", sim.anomalies());
    assert_eq!(sim.metrics().consistent_prefix, 1);
}

/// Runs a scenario given as JSON text to its end.
fn run_json(text: &str) -> Simulation {
    let s = wire::decode(text).unwrap_or_else(|e| panic!("{e}"));
    let end = s.end();
    let mut sim = Simulation::new(s);
    sim.run_until(end);
    sim
}

/// A client lives beside its home node: a partition cuts it off from the other side, so a
/// split-brain run has writers on both sides, each writing to the leader on its own side. (Before,
/// a client told "not leader" walked across the cut to the new leader.)
#[test]
fn a_partition_cuts_clients_off_with_their_home_node() {
    use replica_engine::client::OpResult;
    use replica_engine::trace::DropCause;
    let sim = run_json(
        r#"{
      "version": 1, "seed": 5, "nodes": 3, "clients": 3,
      "strategy": { "kind": "single-leader", "mode": "async", "fencing": false },
      "workload": { "write_every_ms": 100, "keys": 2 },
      "schedule": [
        { "at_ms": 500, "do": "partition", "groups": [[0], [1, 2]] },
        { "at_ms": 4000, "do": "heal-all" }
      ],
      "duration_ms": 5000
    }"#,
    );
    let (&new_epoch, &new_leader) = sim.leaders().last_key_value().unwrap();
    assert!(new_epoch >= 2 && new_leader != 0, "{:?}", sim.leaders());
    // Writes acknowledged while the partition held, by (client, node that acknowledged).
    let mut old_side = Vec::new();
    let mut new_side = Vec::new();
    for op in sim.history() {
        let (OpResult::Written { epoch, .. }, Some(done)) = (&op.result, op.complete) else {
            continue;
        };
        if !(600_000..4_000_000).contains(&done) {
            continue;
        }
        if *epoch == 1 && op.node == 0 {
            old_side.push(op.client);
        } else {
            new_side.push((op.client, op.node));
        }
    }
    assert!(!old_side.is_empty(), "the old leader took writes");
    assert!(!new_side.is_empty(), "the new leader took writes");
    // Only client 0 lives beside n0; clients 1 and 2 live on the majority's side.
    assert!(old_side.iter().all(|&c| c == 0), "{old_side:?}");
    assert!(
        new_side.iter().all(|&(c, n)| c != 0 && n != 0),
        "{new_side:?}"
    );
    assert!(sim
        .anomalies()
        .iter()
        .any(|a| matches!(a.kind, AnomalyKind::SplitBrain { .. })));
    // Clients 1 and 2 first sent to n0, the leader they knew, across the cut: those requests
    // fell in the partition rather than reaching the old leader.
    let crossing: Vec<u64> = sim
        .trace()
        .iter()
        .filter_map(|e| match &e.kind {
            TraceKind::Sent {
                id,
                from: replica_engine::Addr::Client(c),
                to: replica_engine::Addr::Node(0),
                ..
            } if *c != 0 && (600_000..4_000_000).contains(&e.t) => Some(*id),
            _ => None,
        })
        .collect();
    assert!(!crossing.is_empty(), "clients 1 and 2 tried n0");
    for id in crossing {
        assert!(
            sim.trace().iter().any(|e| matches!(&e.kind,
                TraceKind::Dropped { id: d, cause: DropCause::Partition } if *d == id)),
            "message {id} crossed the partition"
        );
    }
}

/// A one-way cut between a client's home node and another node applies to the client the same
/// way: cut home → n, its requests to n are lost; cut n → home, n gets them but its replies are.
#[test]
fn one_way_cuts_apply_to_a_clients_requests_and_replies_by_direction() {
    use replica_engine::client::OpResult;
    let sim = run_json(
        r#"{
      "version": 1, "seed": 1, "nodes": 3, "clients": 2,
      "strategy": { "kind": "single-leader", "mode": "async" },
      "schedule": [
        { "at_ms": 50, "do": "cut", "from": 1, "to": 0, "both": false },
        { "at_ms": 100, "do": "write", "client": 1, "key": "x", "value": "request-lost", "node": 0 },
        { "at_ms": 1200, "do": "heal-all" },
        { "at_ms": 1250, "do": "cut", "from": 0, "to": 1, "both": false },
        { "at_ms": 1300, "do": "write", "client": 1, "key": "x", "value": "reply-lost", "node": 0 },
        { "at_ms": 1400, "do": "write", "client": 0, "key": "x", "value": "home", "node": 0 },
        { "at_ms": 2400, "do": "heal-all" }
      ],
      "duration_ms": 4000
    }"#,
    );
    let h = sim.history();
    assert!(
        matches!(h[0].result, OpResult::Indeterminate { .. }),
        "{:?}",
        h[0].result
    );
    assert!(
        matches!(h[1].result, OpResult::Indeterminate { .. }),
        "{:?}",
        h[1].result
    );
    assert!(
        matches!(h[2].result, OpResult::Written { .. }),
        "{:?}",
        h[2].result
    );
    let f = sim.fates();
    assert!(!f[0].present, "the request never reached n0");
    assert!(f[1].present, "n0 took the write; only the answer was lost");
}

#[test]
fn cli_help_prints_usage_on_stdout_and_exits_0() {
    for args in [
        &["--help"][..],
        &["-h"],
        &["help"],
        &["run", "--help"],
        &["sweep", "-h"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_replica-sim"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(out.stderr.is_empty(), "{args:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.starts_with("usage: replica-sim run "),
            "{args:?}: {text}"
        );
        assert!(
            text.contains("invoke_us"),
            "the help describes the JSON: {text}"
        );
    }
    // No command at all is still bad input.
    let none = Command::new(env!("CARGO_BIN_EXE_replica-sim"))
        .output()
        .unwrap();
    assert_eq!(none.status.code(), Some(2));
    assert!(none.stdout.is_empty());
}

/// Every time in the CLI's JSON names its unit: `*_us` (microseconds of virtual time) or
/// `*_ms`. No bare `t`, `invoke`, `complete`, `arrive`, `since` or `age` remains anywhere.
#[test]
fn cli_json_times_carry_their_unit_in_the_field_name() {
    let out = Command::new(env!("CARGO_BIN_EXE_replica-sim"))
        .args([
            "run",
            golden_dir()
                .join("split-brain-no-fencing.json")
                .to_str()
                .unwrap(),
            "--trace",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    fn keys(v: &serde_json::Value, out: &mut std::collections::BTreeSet<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    out.insert(k.clone());
                    keys(x, out);
                }
            }
            serde_json::Value::Array(xs) => xs.iter().for_each(|x| keys(x, out)),
            _ => {}
        }
    }
    let mut all = std::collections::BTreeSet::new();
    keys(&v, &mut all);
    for bare in ["t", "invoke", "complete", "arrive", "since", "age", "at"] {
        assert!(!all.contains(bare), "a time without its unit: {bare:?}");
    }
    for named in [
        "end_ms",
        "t_us",
        "invoke_us",
        "complete_us",
        "arrive_us",
        "since_us",
    ] {
        assert!(all.contains(named), "{named} missing: {all:?}");
    }
    let op = &v["history"][1];
    assert_eq!(op["invoke_us"], 1_000_000, "{op}");
    assert!(op["complete_us"].as_u64().unwrap() > 1_000_000, "{op}");
    let anomaly = &v["anomalies"][0];
    assert!(anomaly["t_us"].as_u64().unwrap() >= 1_000_000, "{anomaly}");
    let point = &v["series"][0]["points"][0];
    assert!(
        point["t_us"].is_u64() && point["value"].is_number(),
        "{point}"
    );
    let sent = v["trace"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == "sent")
        .unwrap();
    assert!(sent["arrive_us"].as_u64().unwrap() > sent["t_us"].as_u64().unwrap());
}

/// The issue's case: an isolated async leader acknowledges x=2, a leader without it is elected
/// (lost, as of then), and later a node holding it leads again and a read returns 2. The lost
/// write is retracted, and every count agrees with the fate.
#[test]
fn a_lost_write_that_comes_back_is_retracted_everywhere() {
    let mut sim = run("lost-then-back");
    let end = sim.now();
    let lost_writes: Vec<&replica_engine::check::Anomaly> = sim
        .anomalies()
        .iter()
        .filter(|a| matches!(a.kind, AnomalyKind::LostWrite { op: 1, .. }))
        .collect();
    assert_eq!(lost_writes.len(), 1);
    let r = lost_writes[0].retracted.as_ref().expect("retracted");
    assert_eq!(r.why, "n4 leads epoch 3 with it");
    assert!(r.t > lost_writes[0].t);
    assert_eq!(read_values(&sim, 2), vec!["2"]);
    assert_eq!(sim.fates()[1].fate, Fate::Durable);
    let m = sim.metrics();
    assert_eq!(
        (m.writes_lost, m.lost_write_anomalies, m.retracted),
        (0, 0, 1)
    );
    assert_eq!(Counts::of(sim.anomalies()).total(), 0);
    // Seen from between the two elections, the write is lost and not (yet) retracted.
    sim.seek(1_500_000);
    let a = &sim.anomalies().items()[0];
    assert!(matches!(a.kind, AnomalyKind::LostWrite { op: 1, .. }) && a.retracted.is_none());
    assert_eq!(sim.fates()[1].fate, Fate::Lost);
    let m = sim.metrics();
    assert_eq!(
        (m.writes_lost, m.lost_write_anomalies, m.retracted),
        (1, 1, 0)
    );
    // And back at the end, as before.
    sim.seek(end);
    assert!(sim.anomalies().items()[0].retracted.is_some());
    assert_eq!(sim.metrics().retracted, 1);
}

/// The writes an anomaly names, as (invoke, acknowledged) times.
fn span(sim: &Simulation, op: u32) -> (u64, Option<u64>) {
    let o = &sim.history()[op];
    let acked = matches!(o.result, OpResult::Written { .. });
    (o.invoke, if acked { o.complete } else { None })
}

/// Did write `a` finish (acknowledged) before write `b` began?
fn before(sim: &Simulation, a: u32, b: u32) -> bool {
    span(sim, a).1.is_some_and(|t| t < span(sim, b).0)
}

/// Fault-free last-write-wins runs with a workload of two clients: a write is lost only to a
/// write it overlapped in time, a conflict never pairs writes of one session that were in
/// order, and the counts are pinned (before the session contexts were fixed, 25 of the 41 and 25
/// of the 44 writes were "lost", with as many conflicts).
#[test]
fn fault_free_last_write_wins_loses_only_overlapping_writes() {
    for (name, lost_count, conflicts) in [("ll-lww-workload", 3, 21), ("ml-lww-workload", 0, 19)] {
        let sim = run(name);
        let m = sim.metrics();
        assert_eq!(
            (m.writes_lost, m.discarded_writes, m.conflicts),
            (lost_count, lost_count, conflicts),
            "{name}"
        );
        for a in sim.anomalies() {
            match &a.kind {
                AnomalyKind::Discarded { op, by, why } => {
                    assert!(
                        !before(&sim, *op, *by) && !before(&sim, *by, *op),
                        "{name}: {a:?}"
                    );
                    assert_eq!(why, "a concurrent write won under last-write-wins");
                }
                AnomalyKind::Conflict { writes, .. } => {
                    for &x in writes {
                        for &y in writes {
                            let same = sim.history()[x].client == sim.history()[y].client;
                            assert!(!(same && before(&sim, x, y)), "{name}: {a:?}");
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// Two clients writing one key at once under last-write-wins: one write is lost, and stays
/// visible as such; a write after a read, and a session's second write, lose nothing.
#[test]
fn truly_concurrent_writers_lose_a_write_to_last_write_wins() {
    let sim = run("ll-lww-concurrent");
    assert_eq!(lost(&sim), vec![0]);
    let kinds: Vec<(&str, Vec<u32>)> = sim
        .anomalies()
        .iter()
        .map(|a| match &a.kind {
            AnomalyKind::Conflict { writes, .. } => ("conflict", writes.clone()),
            AnomalyKind::Discarded { op, by, .. } => ("discarded", vec![*op, *by]),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        vec![("conflict", vec![0, 1]), ("discarded", vec![0, 1])]
    );
    assert_eq!(read_values(&sim, 4), vec!["c"]);
    assert_eq!(read_values(&sim, 7), vec!["2"]);
}

/// A write whose only copy is on a down node is not called durable; a hint is not a copy.
#[test]
fn only_copies_on_down_nodes_and_hints_are_told_apart() {
    let sim = run("ll-only-copy-down");
    let f = &sim.fates()[0];
    assert_eq!((f.fate, f.holders.clone()), (Fate::Unavailable, vec![0]));
    assert_eq!(
        f.why,
        "held only by n0, which is down: back when it restarts"
    );
    assert_eq!(sim.metrics().writes_unavailable, 1);
    // While n3 is down, a stand-in keeps the write as a hint for it: listed apart.
    let mut sim = run("ll-hinted-handoff");
    sim.seek(800_000);
    let f = &sim.fates()[0];
    assert_eq!(
        (f.fate, f.holders.clone(), f.hint_holders.clone()),
        (Fate::Durable, vec![1, 4], vec![2])
    );
    // Once handed off, n3 stores it and nobody keeps a hint.
    sim.seek(sim.scenario().end());
    let f = &sim.fates()[0];
    assert_eq!(
        (f.holders.clone(), f.hint_holders.clone()),
        (vec![1, 3, 4], vec![])
    );
}

/// Union: a read of "milk" and an empty-string write merges them into "milk" and names both
/// writes (it used to name only the higher-numbered one, the empty write, as its source); the key
/// gets the set check, which holds, not a register verdict.
#[test]
fn a_union_read_names_every_write_it_merges() {
    use replica_engine::check::linear::{self, Verdict};
    use replica_engine::client::OpResult;
    let sim = run("ml-union-merge");
    let read = sim.history().get(2).unwrap();
    let OpResult::Read {
        value,
        write,
        others,
        merged,
        ..
    } = &read.result
    else {
        panic!("{read:?}")
    };
    assert!(*merged);
    assert_eq!(value.as_deref(), Some("milk"));
    let mut named: Vec<u32> = write
        .iter()
        .copied()
        .chain(others.iter().map(|o| o.1))
        .collect();
    named.sort_unstable();
    assert_eq!(named, vec![0, 1]);
    let verdict = linear::check_key(sim.history(), "cart", linear::DEFAULT_BUDGET);
    assert_eq!(
        verdict,
        Verdict::Set {
            merged_reads: 1,
            violations: vec![]
        }
    );
}

/// Leaderless union with W = R = 1: a read returns the merge of two older writes after a third
/// ("flour", #3) was acknowledged, and nothing it returns came after #3: the set check fails on
/// that read, and a sweep counts the key apart from linearizability.
#[test]
fn a_stale_merged_read_fails_the_set_check() {
    use replica_engine::check::linear::{self, SetRule, SetViolation, Verdict};
    let sim = run("ll-union-stale-set");
    let verdict = linear::check_key(sim.history(), "cart", linear::DEFAULT_BUDGET);
    assert_eq!(
        verdict,
        Verdict::Set {
            merged_reads: 2,
            violations: vec![SetViolation {
                read: 4,
                rule: SetRule::Missing,
                writes: vec![3]
            }]
        }
    );
    let path = golden_dir().join("ll-union-stale-set.json");
    let base = wire::decode(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut sweep =
        replica_engine::sweep::Sweep::new(base, vec![replica_engine::sweep::Axis::R(vec![1])])
            .unwrap();
    let r = &sweep.run_all()[0];
    assert_eq!((r.keys_set_violations, r.keys_not_linearizable), (1, 0));
}
