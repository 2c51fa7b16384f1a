//! Engine throughput and seek time on a one-million-event run; the linearizability checker on
//! 10,000-operation histories; a W×R sweep over N = 5 (criterion).
//! `cargo xtask bench` runs this and prints the figures in its table.

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use criterion::{BenchmarkId, Criterion, Throughput};
    use replica_engine::bench::{self, busy_scenario, run_events};
    use replica_engine::check::linear;
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
        // A seek on a long run to just before the oldest operation the history keeps (the
        // checkpoint restored there starts its history again).
        let mut sim = Simulation::new(replica_engine::Scenario::default());
        let hour = 3_600_000_000;
        sim.run_until(hour);
        let before = sim.forgotten().since.saturating_sub(1_000_000);
        g.sample_size(10);
        g.bench_function("past-history-horizon-of-1h-default-run", |b| {
            b.iter(|| {
                sim.seek(before);
                let t = sim.now();
                sim.seek(hour);
                t
            })
        });
        g.finish();

        let mut g = c.benchmark_group("linearizability");
        g.sample_size(20);
        g.throughput(Throughput::Elements(10_000));
        for (name, s) in [
            ("leaderless", bench::busy_leaderless()),
            ("single-leader-async", bench::busy_scenario(SyncMode::Async)),
            (
                "leaderless-one-key",
                bench::one_key(bench::busy_leaderless()),
            ),
        ] {
            let h = bench::history_of(s, 10_000);
            g.bench_with_input(BenchmarkId::new("check-all-10k-ops", name), &h, |b, h| {
                b.iter(|| linear::check_all(h, linear::DEFAULT_BUDGET))
            });
        }
        g.finish();

        let mut g = c.benchmark_group("sweep");
        g.sample_size(10)
            .measurement_time(Duration::from_secs(15))
            .warm_up_time(Duration::from_secs(1));
        g.throughput(Throughput::Elements(25));
        g.bench_function("w-r-over-n5-25-runs", |b| {
            b.iter(|| bench::sweep_w_r().run_all().len())
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
