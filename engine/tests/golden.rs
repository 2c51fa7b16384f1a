//! Golden scenarios: each `testdata/golden/NAME.json` runs headless (through the `replica-sim`
//! CLI, as users would) and its summary must equal `NAME.expected` exactly.
//! Run with `UPDATE_EXPECT=1` to rewrite the expectations after an intended change, then review
//! the diff: these files are the specification of what each scenario shows.
#![cfg(not(target_arch = "wasm32"))]

use replica_engine::check::{AnomalyKind, Fate};
use replica_engine::scenario::wire;
use replica_engine::{MsgKind, Simulation, TraceKind};
use std::path::{Path, PathBuf};
use std::process::Command;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/golden")
}

fn run(name: &str) -> Simulation {
    let path = golden_dir().join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap();
    let scenario = wire::decode(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let end = scenario.end();
    let mut sim = Simulation::new(scenario);
    sim.run_until(end);
    sim
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
    let flagged: Vec<u32> = sim
        .anomalies()
        .iter()
        .filter_map(|a| match a.kind {
            AnomalyKind::LostWrite {
                op,
                leader: 1,
                epoch: 2,
            } => Some(op),
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
    assert_eq!(snap.nodes[0].epoch, 2);
    assert!(snap.nodes.iter().all(|n| n.last_lsn == 3));
}

#[test]
fn split_brain_without_fencing_loses_the_old_sides_write() {
    let sim = run("split-brain-no-fencing");
    assert!(sim
        .anomalies()
        .iter()
        .any(|a| matches!(&a.kind, AnomalyKind::SplitBrain { nodes, .. } if nodes == &vec![0, 1])));
    assert_eq!(lost(&sim), vec![1]);
    let fenced = run("split-brain-fencing");
    assert!(fenced.anomalies().is_empty());
    assert!(lost(&fenced).is_empty());
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
