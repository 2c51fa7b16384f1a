//! Liveness of single-leader elections over random fault schedules.
//!
//! Each case is a 3- or 5-node cluster (asynchronous, semi-synchronous or synchronous followers;
//! fencing on or off) with background writes and 4.5 s of random faults: crashes, restarts,
//! partitions, one-way and two-way cuts, heals and message loss. At 4.5 s every fault is healed,
//! loss stops, every node is restarted, and then a random minority is crashed again, so exactly a
//! majority or more is up. The property: within 8 election timeouts of the heal a leader is
//! elected, and from then to 10 timeouts after the heal there is exactly one leader, of the
//! newest epoch any live node knows, and no other live node believes it leads.
//!
//! Why the bound holds: after the heal, every live node's election timer fires within two
//! timeouts (the randomised timeout is at most twice the configured one); a live leader of an
//! older epoch is deposed or re-confirmed within a round trip; refusals carry the responder's
//! epoch, so a node whose log is the most up to date learns the current epoch from the first
//! refusal and stands in the next round; concurrent pre-candidates defer to the one with the
//! better log (or lower id), so split votes need two timeouts firing within one round trip
//! *and* a lost tie-break, which the wide random spread makes rare.
//!
//! 300 cases by default (a few seconds); `REPLICA_FULL=1` runs 10,000. The cases are drawn from
//! a fixed seed, so a run is reproducible; a failure prints the scenario as version-1 JSON
//! (`replica-sim run` replays it). The distribution of election times is printed at the end.
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, RngAlgorithm, TestRng, TestRunner};
use replica_engine::scenario::{
    self as sc, wire, Action, Config, ReadFrom, Scenario, Scheduled, SingleLeader, SyncMode,
    Workload,
};
use replica_engine::types::{Time, MS};
use replica_engine::{Role, Simulation};
use std::cell::RefCell;

/// The heal: every fault ends here.
const HEAL_MS: u64 = 4500;
/// The window after the heal, in election timeouts: a leader must be elected within the first
/// `BOUND_TIMEOUTS - 2` and hold (alone, in the newest epoch) to the end.
const BOUND_TIMEOUTS: u64 = 10;

fn cases() -> u32 {
    if std::env::var_os("REPLICA_FULL").is_some() {
        10_000
    } else {
        300
    }
}

fn fault(nodes: u16) -> impl Strategy<Value = Action> {
    let n = 0..nodes;
    prop_oneof![
        2 => n.clone().prop_map(Action::Crash),
        2 => n.clone().prop_map(Action::Restart),
        1 => Just(()).prop_perturb(move |_, mut rng| {
            // Disjoint groups: each node goes to one of up to three groups.
            let mut groups = vec![Vec::new(); 3];
            for x in 0..nodes {
                groups[rng.random_range(0..3usize)].push(x);
            }
            groups.retain(|g| !g.is_empty());
            Action::Partition(groups)
        }),
        2 => (n.clone(), n.clone(), any::<bool>())
            .prop_map(|(from, to, both)| Action::Cut { from, to, both }),
        1 => (n.clone(), n.clone()).prop_map(|(from, to)| Action::Heal { from, to, both: true }),
        1 => Just(Action::HealAll),
        1 => (0u32..300_000).prop_map(|loss_ppm| Action::SetLoss { link: None, loss_ppm }),
        1 => (n.clone(), n, 0u32..=1_000_000)
            .prop_map(|(a, b, loss_ppm)| Action::SetLoss { link: Some((a, b)), loss_ppm }),
    ]
}

fn mode(nodes: u16) -> impl Strategy<Value = SyncMode> {
    prop_oneof![
        2 => Just(SyncMode::Async),
        1 => Just(SyncMode::Sync),
        1 => (1..nodes).prop_map(|k| SyncMode::SemiSync { k }),
    ]
}

/// A random fault schedule, healed at [`HEAL_MS`] with a random minority left down.
fn schedule() -> impl Strategy<Value = Scenario> {
    prop_oneof![Just(3u16), Just(5u16)].prop_flat_map(|nodes| {
        (
            any::<u64>(),
            mode(nodes),
            any::<bool>(),
            prop::collection::vec((0u64..HEAL_MS, fault(nodes)), 0..30),
            prop::collection::btree_set(0..nodes, 0..=((nodes - 1) / 2) as usize),
        )
            .prop_map(move |(seed, mode, fencing, faults, down)| {
                let mut config = Config {
                    nodes,
                    clients: 2,
                    strategy: sc::Strategy::SingleLeader(SingleLeader {
                        mode,
                        fencing,
                        ..SingleLeader::default()
                    }),
                    ..Config::default()
                };
                config.workload = Some(Workload {
                    write_every: 150 * MS,
                    read_every: 0,
                    keys: 3,
                    read_from: ReadFrom::Leader,
                });
                let mut schedule: Vec<Scheduled> = faults
                    .into_iter()
                    .map(|(t, action)| Scheduled { at: t * MS, action })
                    .collect();
                schedule.sort_by_key(|s| s.at);
                let heal = HEAL_MS * MS;
                let mut at_heal = vec![
                    Action::HealAll,
                    Action::SetLoss {
                        link: None,
                        loss_ppm: 0,
                    },
                ];
                // Per-link loss is a fault too: clear it on every link.
                for a in 0..nodes {
                    for b in 0..nodes {
                        if a != b {
                            at_heal.push(Action::SetLoss {
                                link: Some((a, b)),
                                loss_ppm: 0,
                            });
                        }
                    }
                }
                at_heal.extend((0..nodes).map(Action::Restart));
                at_heal.extend(down.into_iter().map(Action::Crash));
                schedule.extend(
                    at_heal
                        .into_iter()
                        .map(|action| Scheduled { at: heal, action }),
                );
                Scenario {
                    config,
                    seed,
                    schedule,
                    duration: None,
                }
            })
    })
}

/// The live leaders of the newest epoch any live node knows, and whether any other live node
/// is leader.
fn leaders(sim: &Simulation) -> (usize, usize) {
    let live: Vec<_> = sim
        .nodes()
        .iter()
        .filter(|s| s.up)
        .map(|s| s.logic.single().expect("single-leader"))
        .collect();
    let newest = live.iter().map(|n| n.durable.epoch).max().unwrap_or(0);
    let of_newest = live
        .iter()
        .filter(|n| n.role() == Role::Leader && n.durable.epoch == newest)
        .count();
    let others = live.iter().filter(|n| n.role() == Role::Leader).count() - of_newest;
    (of_newest, others)
}

/// Runs one case; returns the time from the heal to the election of the leader that holds to the
/// end of the bound, or why the property failed.
fn check(s: &Scenario) -> Result<Time, String> {
    let mut sim = Simulation::new(s.clone());
    let heal = HEAL_MS * MS;
    let timeout = sim
        .election_timeout()
        .expect("a single-leader run has an election timeout")
        .effective;
    let end = heal + BOUND_TIMEOUTS * timeout;
    // The moment the current stretch of "exactly one leader, of the newest epoch" began.
    let mut since = None;
    let mut t = heal;
    while t < end {
        t += MS;
        sim.run_until(t);
        if leaders(&sim) == (1, 0) {
            since.get_or_insert(t);
        } else {
            since = None;
        }
    }
    // The leader must have been elected, and stayed, for the last two timeouts of the bound:
    // a leader elected within `BOUND_TIMEOUTS - 2` timeouts that holds.
    match since {
        Some(at) if at + 2 * timeout <= end => Ok(at - heal),
        _ => {
            let (newest, others) = leaders(&sim);
            Err(format!(
                "no stable single leader within {} election timeouts ({} ms) of the heal: at the \
                 end {newest} leaders of the newest epoch and {others} other leaders, since {:?}",
                BOUND_TIMEOUTS - 2,
                (end - 2 * timeout - heal) / MS,
                since.map(|t| t / MS)
            ))
        }
    }
}

#[test]
fn once_healed_a_majority_elects_exactly_one_leader_within_the_bound() {
    let config = RunnerConfig {
        cases: cases(),
        failure_persistence: None,
        ..RunnerConfig::default()
    };
    let rng = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let times = RefCell::new(Vec::new());
    let result = runner.run(&schedule(), |s| {
        match check(&s) {
            Ok(t) => times.borrow_mut().push((t, s.config.nodes)),
            Err(why) => {
                return Err(TestCaseError::fail(format!(
                    "{why}; scenario:\n{}",
                    wire::encode(&s)
                )))
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let times = times.into_inner();
    for nodes in [3u16, 5] {
        let mut ts: Vec<Time> = times
            .iter()
            .filter(|(_, n)| *n == nodes)
            .map(|(t, _)| *t)
            .collect();
        ts.sort_unstable();
        if ts.is_empty() {
            continue;
        }
        let pct = |p: usize| ts[(ts.len() * p).div_ceil(100).clamp(1, ts.len()) - 1] / MS;
        eprintln!(
            "{nodes} nodes: {} cases; leader elected after the heal in median {} ms, p99 {} ms, max {} ms",
            ts.len(),
            pct(50),
            pct(99),
            pct(100)
        );
    }
    assert_eq!(times.len(), cases() as usize, "every case ran");
}
