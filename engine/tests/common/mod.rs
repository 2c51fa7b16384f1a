//! Helpers shared by the property tests.
#![allow(dead_code)]

use replica_engine::scenario::{self as sc, wire, Action, Config, Scenario, Scheduled};
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
