//! Workloads shared by the benchmarks (criterion, the browser) so both time the same run.

use crate::scenario::{Config, ReadFrom, Scenario, SingleLeader, Strategy, SyncMode, Workload};
use crate::sim::Simulation;
use crate::types::MS;

/// A busy five-node single-leader cluster: three clients, each writing and reading every 10 ms.
pub fn busy_scenario(mode: SyncMode) -> Scenario {
    Scenario {
        config: Config {
            nodes: 5,
            clients: 3,
            strategy: Strategy::SingleLeader(SingleLeader {
                mode,
                ..SingleLeader::default()
            }),
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
