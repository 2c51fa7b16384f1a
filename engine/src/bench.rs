//! Workloads shared by the benchmarks (criterion, the browser) so both time the same run.

use crate::scenario::{
    Config, Leaderless, MultiLeader, ReadFrom, Scenario, SingleLeader, Strategy, SyncMode, Workload,
};
use crate::sim::Simulation;
use crate::types::MS;

/// A busy five-node single-leader cluster: three clients, each writing and reading every 10 ms.
pub fn busy_scenario(mode: SyncMode) -> Scenario {
    busy(Strategy::SingleLeader(SingleLeader {
        mode,
        ..SingleLeader::default()
    }))
}

/// The same traffic on three regions' leaders, all-to-all, last-write-wins.
pub fn busy_multi_leader() -> Scenario {
    let mut s = busy(Strategy::MultiLeader(MultiLeader::default()));
    s.config.nodes = 3;
    s
}

/// The same traffic on five leaderless nodes, N=3 W=2 R=2, read repair and anti-entropy on.
pub fn busy_leaderless() -> Scenario {
    busy(Strategy::Leaderless(Leaderless {
        anti_entropy: 500 * MS,
        ..Leaderless::default()
    }))
}

/// Every named benchmark scenario: (name, scenario).
pub fn all() -> Vec<(&'static str, Scenario)> {
    vec![
        ("single-leader-async", busy_scenario(SyncMode::Async)),
        (
            "single-leader-semi-sync",
            busy_scenario(SyncMode::SemiSync { k: 1 }),
        ),
        ("single-leader-sync", busy_scenario(SyncMode::Sync)),
        ("multi-leader", busy_multi_leader()),
        ("leaderless", busy_leaderless()),
    ]
}

fn busy(strategy: Strategy) -> Scenario {
    Scenario {
        config: Config {
            nodes: 5,
            clients: 3,
            strategy,
            workload: Some(Workload {
                write_every: 10 * MS,
                read_every: 10 * MS,
                keys: 16,
                read_from: ReadFrom::Nearest,
            }),
            ..Config::default()
        },
        seed: 42,
        schedule: Vec::new(),
        duration: None,
    }
}

/// Runs `sim` until it has processed `events` events; returns the virtual time reached.
pub fn run_events(sim: &mut Simulation, events: u64) -> u64 {
    while sim.stats().events < events && sim.step() {}
    sim.now()
}
