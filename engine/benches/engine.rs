//! Engine throughput and seek time on a one-million-event run (criterion).
//! `cargo xtask bench` runs this and prints the figures in its table.

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use criterion::{BenchmarkId, Criterion, Throughput};
    use replica_engine::bench::{self, busy_scenario, run_events};
    use replica_engine::scenario::SyncMode;
    use replica_engine::Simulation;
    use std::time::Duration;

    const EVENTS: u64 = 1_000_000;

    pub fn engine(c: &mut Criterion) {
        let mut g = c.benchmark_group("engine");
        g.sample_size(10)
            .measurement_time(Duration::from_secs(8))
            .warm_up_time(Duration::from_secs(1));
        g.throughput(Throughput::Elements(EVENTS));
        for (name, scenario) in bench::all() {
            g.bench_with_input(BenchmarkId::new("events", name), &scenario, |b, s| {
                b.iter(|| {
                    let mut sim = Simulation::new(s.clone());
                    run_events(&mut sim, EVENTS)
                })
            });
        }
        g.finish();

        let mut g = c.benchmark_group("seek");
        g.sample_size(20);
        let mut sim = Simulation::new(busy_scenario(SyncMode::SemiSync { k: 1 }));
        let end = run_events(&mut sim, EVENTS);
        g.bench_function("middle-of-1M-event-run", |b| {
            b.iter(|| {
                sim.seek(end / 2);
                let t = sim.now();
                sim.seek(end);
                t
            })
        });
        g.finish();
    }
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_group!(benches, native::engine);
#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(benches);

#[cfg(target_arch = "wasm32")]
fn main() {}
