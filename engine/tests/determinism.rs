//! Same scenario, same trace: natively and in wasm32 (run in headless Chromium by
//! `cargo xtask test`), the trace hash of one fixed scenario must equal the pinned value in
//! `testdata/determinism.hash`. Rewrite it with `UPDATE_EXPECT=1` after an intended change.

use replica_engine::scenario::wire;
use replica_engine::Simulation;

const SCENARIO: &str = include_str!("../testdata/determinism.json");
const PINNED: &str = include_str!("../testdata/determinism.hash");

fn run() -> Simulation {
    let s = wire::decode(SCENARIO).expect("the determinism scenario is valid");
    let end = s.end();
    let mut sim = Simulation::new(s);
    sim.run_until(end);
    sim
}

fn hash_hex(sim: &Simulation) -> String {
    format!("{:016x} {}", sim.trace_hash(), sim.trace().len())
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn native_trace_hash_matches_the_pinned_one() {
    let sim = run();
    assert!(
        sim.trace().len() > 5_000,
        "the scenario should exercise a lot: {}",
        sim.trace().len()
    );
    let got = hash_hex(&sim);
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(
            concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/determinism.hash"),
            &got,
        )
        .unwrap();
        return;
    }
    assert_eq!(got, PINNED.trim());
}

/// Acting at the current moment and replaying the resulting scenario from scratch give the same
/// trace: this is what makes a shared link show exactly what its author saw.
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn acting_live_equals_replaying_the_schedule() {
    let s = wire::decode(SCENARIO).unwrap();
    let mut live = Simulation::new(s);
    live.run_until(1_234_567);
    // Acting drops the rest of the schedule (the 11 entries after 1.23 s): the run forks.
    assert_eq!(live.act(replica_engine::scenario::Action::Crash(0)), 11);
    live.run_until(2_500_000);
    live.seek(800_000); // back in time...
    let dropped = live.act(replica_engine::scenario::Action::Partition(vec![
        vec![0, 1],
        vec![2],
    ])); // ...and fork
         // Dropped: the scenario's own crash at 1 s and the crash added live at 1.23 s.
    assert_eq!(dropped, 2);
    live.run_until(5_000_000);

    let mut replay = Simulation::new(live.scenario().clone());
    replay.run_until(5_000_000);
    assert_eq!(replay.trace(), live.trace());
    assert_eq!(replay.snapshot(), live.snapshot());
}

#[cfg(target_arch = "wasm32")]
mod wasm {
    use super::*;
    use wasm_bindgen_test::*;
    wasm_bindgen_test_configure!(run_in_browser);

    #[wasm_bindgen_test]
    fn wasm_trace_hash_matches_the_native_one() {
        assert_eq!(hash_hex(&run()), PINNED.trim());
    }
}
