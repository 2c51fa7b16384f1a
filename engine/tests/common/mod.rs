//! Helpers shared by the property tests.
#![allow(dead_code)]

use proptest::prelude::*;
use replica_engine::scenario::{
    self as sc, wire, Action, Config, ReadFrom, Scenario, Scheduled, SingleLeader, SyncMode,
};
use replica_engine::types::MS;

/// How many cases each property runs: `PROPTEST_CASES`, or 1,000.
pub fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

/// A scenario from its parts; `acts` are (milliseconds, action) in any order.
pub fn build(
    strategy: sc::Strategy,
    nodes: u16,
    clients: u16,
    seed: u64,
    loss_ppm: u32,
    mut acts: Vec<(u64, Action)>,
) -> Scenario {
    acts.sort_by_key(|(t, _)| *t);
    let mut config = Config {
        nodes,
        clients,
        strategy,
        ..Config::default()
    };
    config.net.loss_ppm = loss_ppm;
    Scenario {
        config,
        seed,
        schedule: acts
            .into_iter()
            .map(|(t, action)| Scheduled { at: t * MS, action })
            .collect(),
        duration: None,
    }
}

/// At 4.5 s heals everything, restarts every node and stops message loss, then lets the cluster
/// settle for `quiet_ms`.
pub fn settle(mut s: Scenario, quiet_ms: u64) -> Scenario {
    let t = 4500 * MS;
    let mut add = |action| s.schedule.push(Scheduled { at: t, action });
    add(Action::HealAll);
    add(Action::SetLoss {
        link: None,
        loss_ppm: 0,
    });
    for n in 0..s.config.nodes {
        s.schedule.push(Scheduled {
            at: t,
            action: Action::Restart(n),
        });
    }
    s.duration = Some(t + quiet_ms * MS);
    s
}

/// The scenario as version-1 JSON, to replay a failure with `replica-sim run`.
pub fn show(s: &Scenario) -> String {
    wire::encode(s)
}

// Scenario generators shared by the property tests.

pub fn action(nodes: u16, clients: u16) -> impl Strategy<Value = Action> {
    let n = 0..nodes;
    prop_oneof![
        4 => (0..clients, 0..3u8, 0..100u32).prop_map(|(client, k, v)| Action::Write {
            client, key: format!("k{k}"), value: v.to_string(), node: None }),
        3 => (0..clients, 0..3u8, prop_oneof![Just(ReadFrom::Leader), Just(ReadFrom::Nearest),
                (0..nodes).prop_map(ReadFrom::Node)])
            .prop_map(|(client, k, from)| Action::Read { client, key: format!("k{k}"), from }),
        1 => n.clone().prop_map(Action::Crash),
        1 => n.clone().prop_map(Action::Restart),
        1 => (n.clone(), n.clone(), any::<bool>()).prop_map(|(from, to, both)| Action::Cut { from, to, both }),
        1 => (n.clone(), n.clone()).prop_map(|(from, to)| Action::Heal { from, to, both: true }),
        1 => Just(Action::HealAll),
    ]
}

pub fn mode(nodes: u16) -> impl Strategy<Value = SyncMode> {
    prop_oneof![
        Just(SyncMode::Async),
        Just(SyncMode::Sync),
        (1..nodes).prop_map(|k| SyncMode::SemiSync { k }),
    ]
}

/// A random scenario of up to ~4 virtual seconds of faults and operations.
pub fn scenario_with(
    mode_s: impl Strategy<Value = Option<SyncMode>>,
) -> impl Strategy<Value = Scenario> {
    (3u16..=5, 1u16..=3, mode_s).prop_flat_map(|(nodes, clients, fixed)| {
        (
            any::<u64>(),
            fixed
                .map(Just)
                .map(|j| j.boxed())
                .unwrap_or_else(|| mode(nodes).boxed()),
            any::<bool>(),
            0u32..50_000,
            prop::collection::vec((0u64..4000, action(nodes, clients)), 0..40),
        )
            .prop_map(move |(seed, mode, fencing, loss_ppm, acts)| {
                let strategy = sc::Strategy::SingleLeader(SingleLeader {
                    mode,
                    fencing,
                    ..SingleLeader::default()
                });
                build(strategy, nodes, clients, seed, loss_ppm, acts)
            })
    })
}

/// A random multi-leader or leaderless strategy and its node count.
pub fn other_strategy() -> impl Strategy<Value = (sc::Strategy, u16)> {
    let resolution = prop_oneof![
        Just(sc::Resolution::LastWriteWins),
        Just(sc::Resolution::Siblings),
        Just(sc::Resolution::Union),
    ];
    prop_oneof![
        (
            2u16..=3,
            0u16..=1,
            0u8..3,
            resolution.clone(),
            any::<bool>(),
            any::<bool>()
        )
            .prop_map(|(regions, followers, topo, resolution, cross_sync, hr)| {
                let ml = sc::MultiLeader {
                    regions,
                    followers,
                    topology: [
                        sc::Topology::AllToAll,
                        sc::Topology::Circular,
                        sc::Topology::Star,
                    ][topo as usize],
                    resolution: if hr {
                        sc::Resolution::HighestReplica
                    } else {
                        resolution
                    },
                    cross_sync,
                    ..sc::MultiLeader::default()
                };
                let n = ml.nodes();
                (sc::Strategy::MultiLeader(ml), n)
            }),
        (
            3u16..=5,
            resolution,
            any::<bool>(),
            any::<bool>(),
            any::<bool>()
        )
            .prop_flat_map(|(nodes, resolution, sloppy, read_repair, ae)| {
                (Just(nodes), 1..=nodes.min(3)).prop_flat_map(move |(nodes, n)| {
                    (1..=n, 1..=n).prop_map(move |(w, r)| {
                        let l = sc::Leaderless {
                            n,
                            w,
                            r,
                            sloppy,
                            read_repair,
                            anti_entropy: if ae { 300 * MS } else { 0 },
                            resolution,
                            ..sc::Leaderless::default()
                        };
                        (sc::Strategy::Leaderless(l), nodes)
                    })
                })
            }),
    ]
}

/// A random scenario under `strategy`, with up to 40 faults and operations in 4 virtual seconds.
pub fn scenario_under(
    strategy: impl Strategy<Value = (sc::Strategy, u16)>,
) -> impl Strategy<Value = Scenario> {
    (strategy, 1u16..=3).prop_flat_map(|((strategy, nodes), clients)| {
        (
            Just(strategy),
            any::<u64>(),
            0u32..50_000,
            prop::collection::vec((0u64..4000, action(nodes, clients)), 0..40),
        )
            .prop_map(move |(strategy, seed, loss_ppm, acts)| {
                build(strategy, nodes, clients, seed, loss_ppm, acts)
            })
    })
}

/// Any strategy: single-leader (half the cases), multi-leader or leaderless.
pub fn any_scenario() -> impl Strategy<Value = Scenario> {
    prop_oneof![scenario_with(Just(None)), scenario_under(other_strategy())]
}
