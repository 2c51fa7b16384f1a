//! Presets: each is well formed, its link round-trips, and running it to the moment it starts
//! from (`view.at`) shows its phenomenon, judged by the engine's own checkers, fates and trace.
#![cfg(not(target_arch = "wasm32"))]

use replica_engine::check::{AnomalyKind, Fate};
use replica_engine::client::OpResult;
use replica_engine::presets::{self, Preset};
use replica_engine::scenario::{self as sc, decode_link, encode_link, Action, Strategy};
use replica_engine::{Addr, MsgKind, Simulation, TraceKind};
use std::collections::BTreeSet;

/// Typical preset links must fit comfortably in a URL.
const MAX_PRESET_LINK: usize = 2000;

fn run_to_view(p: &Preset) -> Simulation {
    let mut sim = Simulation::new(p.scenario.clone());
    sim.run_until(p.view.at.expect("view.at is set"));
    sim
}

/// Sentences end in `.`, `!` or `?` followed by a space or the end of the text.
fn sentences(text: &str) -> usize {
    let chars: Vec<char> = text.trim().chars().collect();
    (0..chars.len())
        .filter(|&i| ".!?".contains(chars[i]) && chars.get(i + 1).is_none_or(|c| *c == ' '))
        .count()
}

fn captions(s: &sc::Scenario) -> Vec<(u64, &str)> {
    s.schedule
        .iter()
        .filter_map(|e| match &e.action {
            Action::Caption(t) => Some((e.at, t.as_str())),
            _ => None,
        })
        .collect()
}

#[test]
fn presets_are_many_distinct_and_well_formed() {
    let all = presets::presets();
    assert!(all.len() >= 13, "only {} presets", all.len());
    let ids: BTreeSet<&str> = all.iter().map(|p| p.id).collect();
    assert_eq!(ids.len(), all.len(), "preset ids are not unique");
    assert_eq!(
        presets::ids().collect::<Vec<_>>(),
        all.iter().map(|p| p.id).collect::<Vec<_>>()
    );
    assert_eq!(presets::preset("no-such-preset"), None);
    for p in &all {
        assert_eq!(presets::preset(p.id).as_ref(), Some(p));
        assert!(
            p.id.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{}: ids are lowercase words joined by dashes",
            p.id
        );
        assert!(!p.title.is_empty(), "{}", p.id);
        let first = p.explain.chars().next().unwrap();
        assert!(first.is_uppercase(), "{}: {:?}", p.id, p.explain);
        assert_eq!(sentences(p.explain), 2, "{}: {:?}", p.id, p.explain);
        let at = p
            .view
            .at
            .unwrap_or_else(|| panic!("{}: view.at is not set", p.id));
        assert!(
            at <= p.scenario.end(),
            "{}: view.at is after the run ends",
            p.id
        );
        if let Some(n) = p.view.node {
            assert!(n < p.scenario.max_nodes(), "{}: view.node {n}", p.id);
        }
        let caps = captions(&p.scenario);
        assert!(
            (1..=3).contains(&caps.len()),
            "{}: {} captions",
            p.id,
            caps.len()
        );
        assert!(
            caps.iter().any(|(t, _)| *t <= at),
            "{}: no caption is shown by the moment the preset starts from",
            p.id
        );
        assert!(
            p.scenario.schedule.len() <= 16,
            "{}: keep presets small",
            p.id
        );
        assert!(
            p.scenario.config.workload.is_none(),
            "{}: keep presets small",
            p.id
        );
    }
}

#[test]
fn every_preset_link_round_trips_and_is_short() {
    for p in presets::presets() {
        let link = encode_link(&p.scenario, &p.view);
        assert!(
            link.len() < MAX_PRESET_LINK,
            "{}: link is {} characters",
            p.id,
            link.len()
        );
        let back = decode_link(&link).unwrap_or_else(|e| panic!("{}: {e}", p.id));
        assert_eq!(back, (p.scenario.clone(), p.view.clone()), "{}", p.id);
        let url = format!("https://example.org/replica-lab/#{link}");
        assert_eq!(
            decode_link(&url).map(|(s, _)| s),
            Ok(p.scenario),
            "{}",
            p.id
        );
    }
}

fn anomalies(sim: &Simulation) -> impl Iterator<Item = &AnomalyKind> {
    sim.anomalies().iter().map(|a| &a.kind)
}

fn has_stale_read(sim: &Simulation) -> bool {
    anomalies(sim).any(|a| matches!(a, AnomalyKind::StaleRead { .. }))
}

fn fates_of(sim: &Simulation, fate: Fate) -> Vec<u32> {
    sim.fates()
        .iter()
        .filter(|f| f.fate == fate)
        .map(|f| f.op)
        .collect()
}

/// A message of `kind` sent to node `to` and delivered, at or after `since`.
fn delivered_to(sim: &Simulation, kind: MsgKind, to: u16, since: u64) -> bool {
    let sent: BTreeSet<u64> = sim
        .trace()
        .iter()
        .filter_map(|e| match &e.kind {
            TraceKind::Sent {
                id, kind: k, to: t, ..
            } if *k == kind && *t == Addr::Node(to) && e.t >= since => Some(*id),
            _ => None,
        })
        .collect();
    sim.trace()
        .iter()
        .any(|e| matches!(&e.kind, TraceKind::Delivered { id } if sent.contains(id)))
}

fn restarted_at(sim: &Simulation, node: u16) -> Result<u64, String> {
    sim.trace()
        .iter()
        .find_map(|e| match e.kind {
            TraceKind::Restarted { node: n, .. } if n == node => Some(e.t),
            _ => None,
        })
        .ok_or(format!("restart of n{node}"))
}

fn quorums(s: &Simulation) -> (u16, u16, u16) {
    match &s.config().strategy {
        Strategy::Leaderless(l) => (l.n, l.w, l.r),
        other => panic!("not leaderless: {other:?}"),
    }
}

fn read_values(sim: &Simulation) -> Vec<Vec<String>> {
    sim.history()
        .iter()
        .filter_map(|op| match &op.result {
            OpResult::Read { value, others, .. } => Some(
                value
                    .iter()
                    .cloned()
                    .chain(others.iter().map(|(v, _)| v.clone()))
                    .collect(),
            ),
            _ => None,
        })
        .collect()
}

/// Whether the preset's phenomenon is visible in `sim` (run to the preset's moment); `Err`
/// says what is missing.
fn shows(id: &str, sim: &Simulation) -> Result<(), String> {
    let check = |ok: bool, what: &str| if ok { Ok(()) } else { Err(what.to_string()) };
    match id {
        "stale-follower-read" => {
            check(
                matches!(sim.config().strategy, Strategy::SingleLeader(_)),
                "single-leader",
            )?;
            check(has_stale_read(sim), "a stale read")
        }
        "sync-stalled-write" => {
            let stalled = sim
                .fates()
                .iter()
                .any(|f| f.fate == Fate::Indeterminate && f.present);
            check(
                stalled,
                "a write the client gave up on that is nevertheless in the log",
            )
        }
        "async-failover-loss" | "split-brain" => {
            check(
                anomalies(sim).any(|a| matches!(a, AnomalyKind::LostWrite { .. })),
                "a lost-write anomaly",
            )?;
            check(
                !fates_of(sim, Fate::Lost).is_empty(),
                "a write whose fate is lost",
            )?;
            if id == "split-brain" {
                check(
                    anomalies(sim).any(|a| matches!(a, AnomalyKind::SplitBrain { .. })),
                    "a split-brain anomaly",
                )?;
            }
            Ok(())
        }
        "semi-sync" => {
            let sets: Vec<&Vec<u16>> = sim
                .trace()
                .iter()
                .filter_map(|e| match &e.kind {
                    TraceKind::SyncSet { followers, .. } => Some(followers),
                    _ => None,
                })
                .collect();
            check(
                sets.len() >= 2 && sets.iter().all(|s| s.len() == 1) && sets[0] != sets[1],
                "the one synchronous follower replaced by another",
            )?;
            check(fates_of(sim, Fate::Lost).is_empty(), "no lost write")?;
            let written = sim
                .history()
                .iter()
                .filter(|o| matches!(o.result, OpResult::Written { .. }))
                .count();
            check(
                written >= 2,
                "writes acknowledged before and after the switch",
            )
        }
        "multi-leader-conflict" => {
            check(
                anomalies(sim).any(|a| matches!(a, AnomalyKind::Conflict { .. })),
                "a conflict",
            )?;
            check(
                read_values(sim).iter().any(|v| v.len() == 2),
                "a read that returned both siblings",
            )
        }
        "lww-clock-skew" => {
            let discarded: Vec<u32> = anomalies(sim)
                .filter_map(|a| match a {
                    AnomalyKind::Discarded { op, why, .. } if why.contains("clock skew") => {
                        Some(*op)
                    }
                    _ => None,
                })
                .collect();
            check(
                !discarded.is_empty(),
                "a write discarded because of clock skew",
            )?;
            check(
                discarded
                    .iter()
                    .all(|op| fates_of(sim, Fate::Lost).contains(op)),
                "the discarded write's fate is lost",
            )
        }
        "circular-topology-broken" => {
            check(
                matches!(&sim.config().strategy,
                    Strategy::MultiLeader(m) if m.topology == sc::Topology::Circular),
                "a circular topology",
            )?;
            check(has_stale_read(sim), "a stale read behind the broken ring")
        }
        "quorum-read-after-write" => {
            let (n, w, r) = quorums(sim);
            check(w + r > n, "W + R > N")?;
            check(sim.snapshot().nodes.iter().any(|x| !x.up), "a replica down")?;
            check(
                read_values(sim).iter().any(|v| !v.is_empty()),
                "a read that returned the written value",
            )?;
            check(!has_stale_read(sim), "no stale read")
        }
        "weak-quorum-stale-read" => {
            let (n, w, r) = quorums(sim);
            check(w + r <= n, "W + R ≤ N")?;
            check(has_stale_read(sim), "a stale read")
        }
        "hinted-handoff" => {
            let back = restarted_at(sim, 3)?;
            check(
                delivered_to(sim, MsgKind::Hint, 3, back),
                "a hint handed off to n3 after it came back",
            )?;
            check(
                sim.fates().iter().all(|f| f.holders.contains(&3)),
                "n3 holds the write",
            )?;
            check(
                sim.snapshot().nodes.iter().all(|n| n.hints == 0),
                "no hint left behind",
            )
        }
        "sloppy-quorum-stale-read" => {
            let (n, w, r) = quorums(sim);
            check(w + r > n, "W + R > N")?;
            check(
                sim.trace().iter().any(|e| {
                    matches!(
                        e.kind,
                        TraceKind::Sent {
                            kind: MsgKind::Hint,
                            ..
                        }
                    )
                }),
                "a hinted write",
            )?;
            check(has_stale_read(sim), "a stale read")
        }
        "read-repair" => {
            check(
                delivered_to(sim, MsgKind::Repair, 2, 0),
                "a read repair delivered to n2",
            )?;
            check(
                sim.fates().iter().all(|f| f.holders.contains(&2)),
                "n2 holds the write",
            )
        }
        "anti-entropy" => {
            let back = restarted_at(sim, 2)?;
            check(
                delivered_to(sim, MsgKind::AntiEntropy, 2, back),
                "an anti-entropy exchange with n2",
            )?;
            check(
                !sim.trace().iter().any(|e| {
                    matches!(
                        e.kind,
                        TraceKind::Sent {
                            kind: MsgKind::Repair,
                            ..
                        }
                    )
                }),
                "no read repair (anti-entropy alone did it)",
            )?;
            check(
                sim.fates().iter().all(|f| f.holders.contains(&2)),
                "n2 holds every write it missed",
            )
        }
        "update-overtakes-insert" => check(
            anomalies(sim).any(|a| matches!(a, AnomalyKind::OutOfOrder { .. })),
            "a write applied before the one it depends on",
        ),
        "session-guarantees" => {
            check(
                anomalies(sim).any(|a| matches!(a, AnomalyKind::ReadYourWrites { .. })),
                "a read that missed its own client's write",
            )?;
            check(
                anomalies(sim).any(|a| matches!(a, AnomalyKind::MonotonicRead { .. })),
                "a read that went back in time",
            )
        }
        "consistent-prefix" => check(
            anomalies(sim).any(|a| matches!(a, AnomalyKind::ConsistentPrefix { .. })),
            "a read that saw a write but not the write it depends on",
        ),
        other => Err(format!("no check for preset {other}: add one")),
    }
}

#[test]
fn every_preset_shows_its_phenomenon_by_its_moment() {
    let mut failures = Vec::new();
    for p in presets::presets() {
        let sim = run_to_view(&p);
        if let Err(missing) = shows(p.id, &sim) {
            failures.push(format!("{}: at {} µs, no {missing}", p.id, sim.now()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The moment matters: at the start of each preset's run its phenomenon has not happened yet,
/// so the checks above are about the run, not about the scenario's shape.
#[test]
fn no_preset_shows_its_phenomenon_at_the_start() {
    for p in presets::presets() {
        let mut sim = Simulation::new(p.scenario.clone());
        sim.run_until(1);
        assert!(shows(p.id, &sim).is_err(), "{} already shows at 1 µs", p.id);
    }
}
