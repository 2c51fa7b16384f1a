//! Failover time after a leader crash, over many seeds:
//! `cargo run -p replica-engine --release --example failover -- [SEEDS] [NODES] [LATENCY_MS]`.
//!
//! Each run is a single-leader cluster with the default settings (300 ms election timeout, 50 ms
//! heartbeat, 40 ms + up to 10 ms latency unless LATENCY_MS is given) whose first leader, n0,
//! crashes at 1 s plus up to one heartbeat (the phase varies with the seed). The failover time is
//! from the crash to the first moment a new leader holds office: a single-leader node accepts
//! writes from the moment it becomes leader. An election round is one epoch: a failover that
//! ends in epoch 3 or later needed more than one round (a split or lost vote).
//!
//! The example uses nothing but the scenario format and the trace, so the same file runs
//! against an older engine for a before/after comparison (BENCHMARKS.md).
use replica_engine::scenario::wire;
use replica_engine::{Role, Simulation, TraceKind};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seeds: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(200);
    let nodes: u16 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(3);
    let latency: Option<f64> = args.get(2).and_then(|a| a.parse().ok());
    let network = latency.map_or(String::new(), |l| {
        format!(r#", "network": {{ "latency_ms": {l} }}"#)
    });
    let mut times = Vec::new();
    let mut rounds = std::collections::BTreeMap::<u64, u32>::new();
    let mut never = 0;
    for seed in 1..=seeds {
        let crash_ms = 1000 + seed % 50;
        let json = format!(
            r#"{{"version": 1, "seed": {seed}, "nodes": {nodes}, "clients": 1,
                "strategy": {{ "kind": "single-leader", "mode": "async" }}{network},
                "duration_ms": {end},
                "schedule": [
                  {{ "at_ms": 100, "do": "write", "key": "x", "value": "1" }},
                  {{ "at_ms": {crash_ms}, "do": "crash", "node": 0 }}
                ]}}"#,
            end = crash_ms + 30_000
        );
        let scenario = wire::decode(&json).expect("a valid scenario");
        let end = scenario.end();
        let mut sim = Simulation::new(scenario);
        sim.run_until(end);
        let crash = crash_ms * 1000;
        let elected = sim.trace().iter().find_map(|e| match e.kind {
            TraceKind::Role {
                role: Role::Leader,
                epoch,
                ..
            } if e.t > crash => Some((e.t - crash, epoch)),
            _ => None,
        });
        match elected {
            Some((t, epoch)) => {
                times.push(t);
                *rounds.entry(epoch - 1).or_default() += 1;
            }
            None => never += 1,
        }
    }
    times.sort_unstable();
    let pct = |p: f64| -> f64 {
        if times.is_empty() {
            return f64::NAN;
        }
        let i = ((p / 100.0) * times.len() as f64).ceil() as usize;
        times[i.clamp(1, times.len()) - 1] as f64 / 1000.0
    };
    let multi: u32 = rounds
        .iter()
        .filter(|(r, _)| **r > 1)
        .map(|(_, n)| *n)
        .sum();
    println!("failover after a leader crash: {nodes} nodes, {seeds} seeds");
    println!(
        "  median {:.0} ms, p90 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        pct(50.0),
        pct(90.0),
        pct(99.0),
        pct(100.0)
    );
    println!("  more than one election round: {multi} of {}", times.len());
    let hist: Vec<String> = rounds.iter().map(|(r, n)| format!("{r}: {n}")).collect();
    println!("  election rounds (epochs used): {}", hist.join(", "));
    println!("  no leader within 30 s: {never}");
}
