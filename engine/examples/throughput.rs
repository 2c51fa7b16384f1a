//! Quick throughput check:
//! `cargo run --profile bench -p replica-engine --example throughput [EVENTS] [SCENARIO]`.
//! Prints events per second for each benchmark scenario and the time to seek back to the middle
//! of the run and forward to its end again.
use replica_engine::bench::{self, run_events};
use replica_engine::Simulation;
use std::time::Instant;

fn main() {
    let events: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let only = std::env::args().nth(2);
    println!(
        "{:<26} {:>14} {:>10} {:>10} {:>14} {:>14}",
        "scenario", "events/s", "virtual s", "trace", "seek middle", "seek end"
    );
    for (name, scenario) in bench::all() {
        if only.as_ref().is_some_and(|o| o != name) {
            continue;
        }
        let t0 = Instant::now();
        let mut sim = Simulation::new(scenario);
        let end = run_events(&mut sim, events);
        let dt = t0.elapsed();
        let t1 = Instant::now();
        sim.seek(end / 2);
        let back = t1.elapsed();
        let t2 = Instant::now();
        sim.seek(end);
        let fwd = t2.elapsed();
        println!(
            "{:<26} {:>12.2} M {:>10.1} {:>10} {:>11.1} ms {:>11.1} ms",
            name,
            events as f64 / dt.as_secs_f64() / 1e6,
            end as f64 / 1e6,
            sim.trace().len(),
            back.as_secs_f64() * 1e3,
            fwd.as_secs_f64() * 1e3
        );
    }
}
