//! Sweeps: slicing the work does not change the results; settings reach the runs.
#![cfg(not(target_arch = "wasm32"))]

use replica_engine::scenario::wire;
use replica_engine::sweep::{Axis, Setting, Sweep};
use std::process::Command;

const BASE: &str = r#"{
  "version": 1, "seed": 3, "nodes": 5, "clients": 3,
  "strategy": { "kind": "leaderless", "n": 5, "w": 3, "r": 3, "read_repair": false },
  "network": { "latency_ms": 30, "jitter_ms": 40 },
  "workload": { "write_every_ms": 40, "read_every_ms": 20, "keys": 2 },
  "duration_ms": 1500
}"#;

fn axes() -> Vec<Axis> {
    vec![Axis::W(vec![1, 3, 5]), Axis::R(vec![1, 5])]
}

#[test]
fn slices_of_any_size_give_the_same_results() {
    let base = wire::decode(BASE).unwrap();
    let mut whole = Sweep::new(base.clone(), axes()).unwrap();
    let whole = whole.run_all().to_vec();
    let mut sliced = Sweep::new(base, axes()).unwrap();
    let mut last = 0;
    let mut slices = 0;
    loop {
        let p = sliced.step(777);
        assert!(p.done >= last && p.total == 6);
        last = p.done;
        slices += 1;
        if p.finished() {
            break;
        }
    }
    assert!(slices > 6, "{slices}");
    assert_eq!(sliced.results(), whole.as_slice());
    let settings: Vec<Vec<Setting>> = whole.iter().map(|r| r.settings.clone()).collect();
    assert_eq!(settings[1], vec![Setting::W(1), Setting::R(5)]);
    // Waiting for five replicas takes longer than for one.
    assert!(whole[4].write_p99_us > whole[0].write_p99_us);
}

#[test]
fn settings_that_do_not_apply_are_refused() {
    let base = wire::decode(BASE).unwrap();
    assert!(Sweep::new(base.clone(), vec![Axis::W(vec![6])]).is_err());
    assert!(Sweep::new(base, vec![Axis::Mode(vec![])]).is_err());
}

#[test]
fn the_cli_prints_a_table_and_json() {
    let dir = std::env::temp_dir().join(format!("replica-sweep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("base.json");
    std::fs::write(&file, BASE).unwrap();
    let run = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_replica-sim"))
            .args(["sweep", file.to_str().unwrap(), "--w", "1..2", "--r", "1,5"])
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let table = run(&[]);
    assert_eq!(table.trim_end().lines().count(), 5, "{table}");
    assert!(table.contains("W=2 R=5"));
    let json: serde_json::Value = serde_json::from_str(&run(&["--json"])).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 4);
    assert_eq!(json[3]["settings"][1]["value"], 5);
}
