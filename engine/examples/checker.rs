//! Quick timings of the linearizability checker on 10,000-operation histories and of the W×R
//! sweep (criterion has the careful figures: `cargo xtask bench`).
//! `cargo run --release -p replica-engine --example checker`

use replica_engine::bench::{self, history_of};
use replica_engine::check::linear::{check_all, Verdict, DEFAULT_BUDGET};
use replica_engine::scenario::SyncMode;
use std::time::Instant;

fn main() {
    for (name, s) in [
        ("leaderless", bench::busy_leaderless()),
        ("single-leader-async", bench::busy_scenario(SyncMode::Async)),
        ("multi-leader", bench::busy_multi_leader()),
        (
            "leaderless-one-key",
            bench::one_key(bench::busy_leaderless()),
        ),
        (
            "single-leader-async-one-key",
            bench::one_key(bench::busy_scenario(SyncMode::Async)),
        ),
    ] {
        let h = history_of(s, 10_000);
        let t = Instant::now();
        let v = check_all(&h, DEFAULT_BUDGET);
        let bad = v
            .values()
            .filter(|v| matches!(v, Verdict::Violation { .. }))
            .count();
        let unknown = v
            .values()
            .filter(|v| matches!(v, Verdict::Unknown { .. }))
            .count();
        println!(
            "{name}: {} ops, {} keys ({bad} not linearizable, {unknown} unknown) in {:.1} ms",
            h.len(),
            v.len(),
            t.elapsed().as_secs_f64() * 1e3
        );
    }
    let t = Instant::now();
    let mut sweep = bench::sweep_w_r();
    let n = sweep.run_all().len();
    println!(
        "sweep W×R over N=5: {n} runs in {:.0} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
}
