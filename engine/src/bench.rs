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

/// `s` with all its traffic on one key (the hardest case for the linearizability checker).
pub fn one_key(mut s: Scenario) -> Scenario {
    if let Some(w) = &mut s.config.workload {
        w.keys = 1;
    }
    s
}

/// The first `ops` client operations of a busy run of `scenario` as they stand when the last of
/// them is invoked (the simulation keeps only its newest [`crate::sim::HISTORY_KEEP`] but never
/// forgets one still pending, so each is taken when it finishes, the rest at the end).
pub fn history_of(scenario: Scenario, ops: usize) -> crate::client::History {
    use crate::client::OpResult;
    let ops = ops as crate::types::OpId;
    let mut sim = Simulation::new(scenario);
    let mut h = crate::client::History::default();
    while sim.history().end() < ops && sim.step() {
        while let Some(o) = sim
            .history()
            .get(h.end())
            .filter(|o| o.result != OpResult::Pending)
        {
            h.push(o.clone());
        }
    }
    for id in h.end()..sim.history().end().min(ops) {
        h.push(sim.history()[id].clone());
    }
    h
}

/// The sweep benchmark: W and R from 1 to 5 over N = 5 leaderless nodes, 25 runs of five
/// virtual seconds each (`testdata/sweep-leaderless.json`).
pub fn sweep_w_r() -> crate::sweep::Sweep {
    use crate::sweep::{Axis, Sweep};
    let base = crate::scenario::wire::decode(include_str!("../testdata/sweep-leaderless.json"))
        .expect("the sweep benchmark scenario is valid");
    Sweep::new(
        base,
        vec![Axis::W((1..=5).collect()), Axis::R((1..=5).collect())],
    )
    .expect("W and R fit N = 5")
}

/// Runs `sim` until it has processed `events` events; returns the virtual time reached.
pub fn run_events(sim: &mut Simulation, events: u64) -> u64 {
    while sim.stats().events < events && sim.step() {}
    sim.now()
}

/// Random faults for the long runs (the memory example, `tests/bounds.rs`): one seeded
/// generator, so a seed always gives the same faults.
pub struct Faults(u64);

impl Faults {
    pub fn new(seed: u64) -> Self {
        Faults(seed)
    }

    fn rand(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }

    /// The next fault on a cluster of `nodes`: a crash, a restart (twice as likely), a cut
    /// between node 0 and another, healing everything, or a message loss rate up to 20%.
    pub fn next(&mut self, nodes: u16) -> crate::scenario::Action {
        use crate::scenario::Action;
        let n = nodes as u64;
        match self.rand(6) {
            0 => Action::Crash(self.rand(n) as u16),
            1 | 5 => Action::Restart(self.rand(n) as u16),
            2 => Action::Cut {
                from: 0,
                to: 1 + self.rand(n - 1) as u16,
                both: true,
            },
            3 => Action::HealAll,
            _ => Action::SetLoss {
                link: None,
                loss_ppm: self.rand(200_000) as u32,
            },
        }
    }
}
