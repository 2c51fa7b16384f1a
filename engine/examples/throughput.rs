//! Quick throughput check: `cargo run --release -p replica-engine --example throughput`.
use replica_engine::bench::{busy_scenario, run_events};
use replica_engine::scenario::SyncMode;
use replica_engine::Simulation;
use std::time::Instant;

fn main() {
    for mode in [SyncMode::Async, SyncMode::SemiSync { k: 1 }, SyncMode::Sync] {
        let t0 = Instant::now();
        let mut sim = Simulation::new(busy_scenario(mode));
        let end = run_events(&mut sim, 1_000_000);
        let dt = t0.elapsed();
        let t1 = Instant::now();
        sim.seek(end / 2);
        let seek_back = t1.elapsed();
        let t2 = Instant::now();
        sim.seek(end);
        let seek_fwd = t2.elapsed();
        println!(
            "{:<28} {:>7.2} M events/s  virtual {:>6.1} s  trace {:>8}  seek to middle {:>6.1} ms, back to end {:>6.1} ms",
            mode.describe(),
            1.0 / dt.as_secs_f64(),
            end as f64 / 1e6,
            sim.trace().len(),
            seek_back.as_secs_f64() * 1e3,
            seek_fwd.as_secs_f64() * 1e3
        );
    }
}
