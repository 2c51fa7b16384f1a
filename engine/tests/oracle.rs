//! An independent oracle for the engine's linearizability checker: stateright's
//! `LinearizabilityTester` over its `Register`, run on the per-key client histories of random
//! scenarios under every strategy, sync mode and conflict resolution, with faults (crashes,
//! restarts, one-way and two-way cuts, partitions, message loss, clock skew). Any disagreement
//! fails the test and prints the scenario as JSON, which replays with
//! `replica-sim run FILE.json --summary`.
//!
//! **The mapping** (built from the raw history, not from the engine's `register_ops`):
//! - The register holds the id of the write that produced its value (`None` before any write),
//!   as in the engine, so two writes of the same text are different states.
//! - Every operation is its own stateright thread (stateright allows one operation in flight per
//!   thread, and an engine client may have several). Invocations and returns are fed in time
//!   order, invocations first at equal times: the engine orders operation A before B only when A
//!   returned strictly before B was invoked, and stateright orders A before B when A's return was
//!   fed before B's invocation.
//! - An acknowledged write is invoked and returns. An indeterminate or still pending write is
//!   invoked and never returns: stateright's in-flight operations may take effect at any point
//!   after their invocation, or never, which is the engine's rule for them.
//! - A failed write definitely did not happen and is left out (as the engine does; a read that
//!   returns one then reads a state no write produces, in both checkers). Failed, timed-out and
//!   pending reads are left out.
//! - A read of siblings is consistent with any one of them. stateright's `Register` read returns
//!   one value, so the oracle tries every choice of one returned write per sibling read (the
//!   history is linearizable exactly when one choice is); past `MAX_CHOICES` combinations the
//!   key is excluded, and counted.
//! - A union read that merges several writes is not a register read: the engine gives those keys
//!   the set check instead (`Verdict::Set`); they are excluded here, and counted.
//! - Keys with more than `MAX_OPS` operations are excluded (stateright's search has no memo and
//!   no budget), and counted; the scenarios are small so that this stays rare.
//!
//! The engine's checker answers `Unknown` past its step budget: counted apart, never as an
//! agreement. On an engine violation the oracle also checks that the reported counterexample is
//! itself not linearizable (with the engine's rule for sub-histories: reads lose the writes left
//! out, and a read left with nothing is dropped).
//!
//! `REPLICA_FULL=1` runs 2,000 scenarios per group; by default each group runs 300.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use replica_engine::check::linear::{self, Verdict};
use replica_engine::client::{History, OpKind, OpResult};
use replica_engine::scenario::{
    self as sc, Action, Clock, ReadFrom, Resolution, Scenario, SyncMode,
};
use replica_engine::types::{OpId, Time, MS};
use replica_engine::Simulation;
use stateright::semantics::register::{Register, RegisterOp, RegisterRet};
use stateright::semantics::{ConsistencyTester, LinearizabilityTester};
use std::collections::BTreeMap;

/// Sibling reads multiply the oracle's work: at most this many choices per key.
const MAX_CHOICES: usize = 256;
/// The most operations on one key the oracle searches.
const MAX_OPS: usize = 14;

fn runs() -> u64 {
    if std::env::var("REPLICA_FULL").is_ok_and(|v| v == "1") {
        2000
    } else {
        300
    }
}

/// SplitMix64, the test's own seeded generator.
struct Gen(u64);
impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

#[derive(Clone, Copy, Debug)]
enum Group {
    Single(u8),
    Multi(Resolution),
    Leaderless(Resolution),
}

impl Group {
    fn name(self) -> String {
        match self {
            Group::Single(0) => "single-leader async".into(),
            Group::Single(1) => "single-leader semi-sync".into(),
            Group::Single(_) => "single-leader sync".into(),
            Group::Multi(r) => format!("multi-leader {}", r.name()),
            Group::Leaderless(r) => format!("leaderless {}", r.name()),
        }
    }
}

/// A small random scenario under `group`: 4 to 13 client operations on two keys (most on k0)
/// in bursts within 1.35 s, so that many overlap; up to 5 faults; sometimes message loss and
/// skewed clocks.
fn scenario(group: Group, seed: u64) -> Scenario {
    let mut g = Gen(seed);
    let (strategy, nodes) = match group {
        Group::Single(m) => {
            let nodes = 3 + g.below(3) as u16;
            let mode = match m {
                0 => SyncMode::Async,
                1 => SyncMode::SemiSync {
                    k: 1 + g.below(nodes as u64 - 1) as u16,
                },
                _ => SyncMode::Sync,
            };
            let sl = sc::SingleLeader {
                mode,
                fencing: g.chance(70),
                ..sc::SingleLeader::default()
            };
            (sc::Strategy::SingleLeader(sl), nodes)
        }
        Group::Multi(resolution) => {
            let ml = sc::MultiLeader {
                regions: 2 + g.below(2) as u16,
                followers: g.below(2) as u16,
                topology: [
                    sc::Topology::AllToAll,
                    sc::Topology::Circular,
                    sc::Topology::Star,
                ][g.below(3) as usize],
                resolution,
                cross_sync: g.chance(30),
                ..sc::MultiLeader::default()
            };
            let n = ml.nodes();
            (sc::Strategy::MultiLeader(ml), n)
        }
        Group::Leaderless(resolution) => {
            let nodes = 3 + g.below(3) as u16;
            let n = 1 + g.below(nodes.min(3) as u64) as u16;
            let l = sc::Leaderless {
                n,
                w: 1 + g.below(n as u64) as u16,
                r: 1 + g.below(n as u64) as u16,
                sloppy: g.chance(30),
                read_repair: g.chance(50),
                anti_entropy: if g.chance(30) { 300 * MS } else { 0 },
                resolution,
                read_all: g.chance(70),
                ..sc::Leaderless::default()
            };
            (sc::Strategy::Leaderless(l), nodes)
        }
    };
    let clients = 1 + g.below(3) as u16;
    let node = |g: &mut Gen| g.below(nodes as u64) as u16;
    let mut acts: Vec<(u64, Action)> = Vec::new();
    let ops = 4 + g.below(10);
    // Operations come in up to three bursts of 150 ms, so that reads overlap writes or follow
    // them closely (where stale reads happen).
    let bursts: Vec<u64> = (0..1 + g.below(3)).map(|_| 100 + g.below(1100)).collect();
    for i in 0..ops {
        let at = bursts[g.below(bursts.len() as u64) as usize] + g.below(150);
        let client = g.below(clients as u64) as u16;
        let key = if g.chance(80) { "k0" } else { "k1" }.to_string();
        let action = if g.chance(55) {
            // Sometimes an empty value, which union reads must handle.
            let value = if g.chance(8) {
                String::new()
            } else {
                format!("v{i}")
            };
            Action::Write {
                client,
                key,
                value,
                node: None,
            }
        } else {
            let from = match g.below(3) {
                0 => ReadFrom::Leader,
                1 => ReadFrom::Nearest,
                _ => ReadFrom::Node(node(&mut g)),
            };
            Action::Read { client, key, from }
        };
        acts.push((at, action));
    }
    for _ in 0..g.below(6) {
        let at = g.below(1500);
        let action = match g.below(8) {
            0 | 1 => Action::Crash(node(&mut g)),
            2 => Action::Restart(node(&mut g)),
            3 => Action::Cut {
                from: node(&mut g),
                to: node(&mut g),
                both: g.chance(50),
            },
            4 => {
                let split = 1 + g.below(nodes as u64 - 1) as u16;
                Action::Partition(vec![(0..split).collect()])
            }
            5 => Action::HealAll,
            6 => Action::SetLoss {
                link: None,
                loss_ppm: g.below(200_000) as u32,
            },
            _ => Action::SetClock {
                node: node(&mut g),
                clock: Clock {
                    offset: g.below(400) as i64 * MS as i64 - 200 * MS as i64,
                    drift_ppm: 0,
                },
            },
        };
        acts.push((at, action));
    }
    let loss = if g.chance(20) {
        g.below(50_000) as u32
    } else {
        0
    };
    let mut s = common::build(strategy, nodes, clients, g.next(), loss, acts);
    if g.chance(30) {
        let n = node(&mut g);
        s.config.clocks.insert(
            n,
            Clock {
                offset: g.below(300) as i64 * MS as i64 - 150 * MS as i64,
                drift_ppm: 0,
            },
        );
    }
    s
}

/// One operation on one key, as the oracle sees it.
#[derive(Clone, Debug)]
struct Op {
    id: OpId,
    invoke: Time,
    ret: Option<Time>,
    /// `None`: a write (of its own id); `Some(states)`: a read that returned one of `states`.
    read: Option<Vec<Option<OpId>>>,
}

enum Mapped {
    Ops(Vec<Op>),
    /// A read merged several writes (union): not a register read.
    Merged,
}

/// The register operations of `key` in `history` (see the module docs).
fn map(history: &History, key: &str) -> Mapped {
    let mut ops = Vec::new();
    for o in history.iter().filter(|o| o.kind.key() == key) {
        let read = match (&o.kind, &o.result) {
            (OpKind::Write { .. }, OpResult::Written { .. }) => None,
            (OpKind::Write { .. }, OpResult::Indeterminate { .. } | OpResult::Pending) => {
                ops.push(Op {
                    id: o.id,
                    invoke: o.invoke,
                    ret: None,
                    read: None,
                });
                continue;
            }
            (OpKind::Read { .. }, OpResult::Read { merged: true, .. }) => return Mapped::Merged,
            (OpKind::Read { .. }, OpResult::Read { write, others, .. }) => {
                let mut states = vec![*write];
                states.extend(others.iter().map(|(_, w)| Some(*w)));
                states.sort_unstable();
                states.dedup();
                Some(states)
            }
            _ => continue,
        };
        ops.push(Op {
            id: o.id,
            invoke: o.invoke,
            ret: Some(
                o.complete
                    .expect("a completed operation has a completion time"),
            ),
            read,
        });
    }
    Mapped::Ops(ops)
}

/// stateright's answer for `ops` with each read returning `choice[read]`.
fn stateright_says(ops: &[Op], choice: &BTreeMap<OpId, Option<OpId>>) -> bool {
    // (time, invocations before returns, op index)
    let mut events: Vec<(Time, u8, usize)> = Vec::new();
    for (i, o) in ops.iter().enumerate() {
        events.push((o.invoke, 0, i));
        if let Some(r) = o.ret {
            events.push((r, 1, i));
        }
    }
    events.sort_unstable();
    let mut t = LinearizabilityTester::new(Register(None::<OpId>));
    for (_, kind, i) in events {
        let o = &ops[i];
        let thread = o.id;
        let fed = if kind == 0 {
            let op = match o.read {
                None => RegisterOp::Write(Some(o.id)),
                Some(_) => RegisterOp::Read,
            };
            t.on_invoke(thread, op).map(|_| ())
        } else {
            let ret = match o.read {
                None => RegisterRet::WriteOk,
                Some(_) => RegisterRet::ReadOk(choice[&o.id]),
            };
            t.on_return(thread, ret).map(|_| ())
        };
        fed.expect("one operation per thread is always a valid history");
    }
    t.is_consistent()
}

/// Is `ops` linearizable per stateright, trying every choice of sibling? `None` when there are
/// more than `MAX_CHOICES` choices.
fn oracle(ops: &[Op]) -> Option<bool> {
    let reads: Vec<&Op> = ops.iter().filter(|o| o.read.is_some()).collect();
    let total = reads
        .iter()
        .try_fold(1usize, |n, o| n.checked_mul(o.read.as_ref().unwrap().len()))?;
    if total > MAX_CHOICES {
        return None;
    }
    Some((0..total).any(|mut c| {
        let mut choice = BTreeMap::new();
        for o in &reads {
            let states = o.read.as_ref().unwrap();
            choice.insert(o.id, states[c % states.len()]);
            c /= states.len();
        }
        stateright_says(ops, &choice)
    }))
}

/// The engine's rule for a counterexample's sub-history: the operations in `keep`; reads lose
/// the writes of this key left out, and a read left with nothing is dropped.
fn restrict(ops: &[Op], keep: &[OpId]) -> Vec<Op> {
    let writes: Vec<OpId> = ops
        .iter()
        .filter(|o| o.read.is_none())
        .map(|o| o.id)
        .collect();
    ops.iter()
        .filter(|o| keep.contains(&o.id))
        .filter_map(|o| match &o.read {
            None => Some(o.clone()),
            Some(states) => {
                let left: Vec<Option<OpId>> = states
                    .iter()
                    .copied()
                    .filter(|s| s.is_none_or(|w| keep.contains(&w) || !writes.contains(&w)))
                    .collect();
                (!left.is_empty()).then(|| Op {
                    read: Some(left),
                    ..o.clone()
                })
            }
        })
        .collect()
}

#[derive(Default, Debug)]
struct Counts {
    scenarios: u64,
    keys: u64,
    agree_linearizable: u64,
    agree_violation: u64,
    unknown: u64,
    excluded_merged: u64,
    /// Of those, keys where the set check found a violation.
    set_violations: u64,
    excluded_choices: u64,
    excluded_size: u64,
    /// Compared keys with a read of several siblings, or an indeterminate or pending write.
    with_siblings: u64,
    with_indeterminate: u64,
}

fn run_group(group: Group, salt: u64) -> Counts {
    let mut c = Counts::default();
    for i in 0..runs() {
        let s = scenario(group, salt << 32 | i);
        let mut sim = Simulation::new(s.clone());
        sim.run_until(s.end());
        let history = sim.history();
        assert_eq!(history.start(), 0, "small runs forget nothing");
        c.scenarios += 1;
        let verdicts = linear::check_all(history, linear::DEFAULT_BUDGET);
        for (key, verdict) in verdicts {
            c.keys += 1;
            let fail = |why: String| -> ! {
                panic!(
                    "{}: key {key}: {why}\nverdict: {verdict:?}\nscenario:\n{}",
                    group.name(),
                    common::show(&s)
                )
            };
            let ops = match map(history, &key) {
                Mapped::Merged => {
                    match &verdict {
                        Verdict::Set { violations, .. } if violations.is_empty() => {}
                        Verdict::Set { .. } => {
                            c.set_violations += 1;
                            if std::env::var("ORACLE_SHOW_SET").is_ok() {
                                println!("{}\n{}", verdict.describe(), common::show(&s));
                            }
                        }
                        _ => fail("a key with merged reads must get the set check".into()),
                    }
                    c.excluded_merged += 1;
                    continue;
                }
                Mapped::Ops(ops) => ops,
            };
            if ops.len() > MAX_OPS {
                c.excluded_size += 1;
                continue;
            }
            c.with_siblings +=
                ops.iter()
                    .any(|o| o.read.as_ref().is_some_and(|s| s.len() > 1)) as u64;
            c.with_indeterminate += ops.iter().any(|o| o.ret.is_none()) as u64;
            let Some(expected) = oracle(&ops) else {
                c.excluded_choices += 1;
                continue;
            };
            match &verdict {
                Verdict::Unknown { .. } => c.unknown += 1,
                Verdict::Linearizable if expected => c.agree_linearizable += 1,
                Verdict::Violation { ops: bad } if !expected => {
                    if oracle(&restrict(&ops, bad)) != Some(false) {
                        fail(format!(
                            "the counterexample {bad:?} is linearizable per stateright"
                        ));
                    }
                    c.agree_violation += 1;
                }
                Verdict::Set { .. } => fail("the set check on a key without merged reads".into()),
                _ => fail(format!("stateright says linearizable = {expected}")),
            }
        }
    }
    println!("oracle {}: {c:?}", group.name());
    // The generator must really produce both verdicts, or the comparison proves little.
    assert!(c.agree_linearizable > 0, "{}: {c:?}", group.name());
    c
}

#[test]
fn single_leader_async() {
    let c = run_group(Group::Single(0), 1);
    assert!(c.agree_violation > 0, "{c:?}");
}

#[test]
fn single_leader_semi_sync() {
    let c = run_group(Group::Single(1), 2);
    assert!(c.agree_violation > 0, "{c:?}");
}

#[test]
fn single_leader_sync() {
    run_group(Group::Single(2), 3);
}

#[test]
fn multi_leader_last_write_wins() {
    let c = run_group(Group::Multi(Resolution::LastWriteWins), 4);
    assert!(c.agree_violation > 0, "{c:?}");
}

#[test]
fn multi_leader_highest_replica() {
    let c = run_group(Group::Multi(Resolution::HighestReplica), 5);
    assert!(c.agree_violation > 0, "{c:?}");
}

#[test]
fn multi_leader_siblings() {
    let c = run_group(Group::Multi(Resolution::Siblings), 6);
    assert!(c.agree_violation > 0, "{c:?}");
}

#[test]
fn multi_leader_union() {
    let c = run_group(Group::Multi(Resolution::Union), 7);
    assert!(c.excluded_merged > 0, "{c:?}");
}

#[test]
fn leaderless_last_write_wins() {
    let c = run_group(Group::Leaderless(Resolution::LastWriteWins), 8);
    assert!(c.agree_violation > 0, "{c:?}");
}

#[test]
fn leaderless_siblings() {
    let c = run_group(Group::Leaderless(Resolution::Siblings), 9);
    assert!(c.agree_violation > 0, "{c:?}");
}

#[test]
fn leaderless_union() {
    let c = run_group(Group::Leaderless(Resolution::Union), 10);
    assert!(c.excluded_merged > 0, "{c:?}");
}

// The mapping on hand-made histories, where the right answer is known: both checkers must give
// it. These pin the semantics the random runs rely on.

mod mapping {
    use super::*;
    use replica_engine::client::Operation;

    fn op(
        id: OpId,
        invoke: Time,
        complete: Option<Time>,
        kind: OpKind,
        result: OpResult,
    ) -> Operation {
        Operation {
            id,
            client: 0,
            kind,
            from: ReadFrom::Nearest,
            node: 0,
            invoke,
            complete,
            attempts: 1,
            result,
        }
    }
    fn write(id: OpId, t: (Time, Time)) -> Operation {
        let kind = OpKind::Write {
            key: "k".into(),
            value: format!("v{id}"),
        };
        let result = OpResult::Written {
            lsn: id as u64 + 1,
            epoch: 1,
            dot: None,
        };
        op(id, t.0, Some(t.1), kind, result)
    }
    fn unfinished(id: OpId, t: Time, result: OpResult) -> Operation {
        let kind = OpKind::Write {
            key: "k".into(),
            value: format!("v{id}"),
        };
        let complete = (!matches!(result, OpResult::Pending | OpResult::Indeterminate { .. }))
            .then_some(t + 5);
        op(id, t, complete, kind, result)
    }
    fn read(id: OpId, t: (Time, Time), of: &[Option<OpId>]) -> Operation {
        let result = OpResult::Read {
            value: of[0].map(|w| format!("v{w}")),
            write: of[0],
            lsn: 0,
            epoch: 1,
            others: of[1..]
                .iter()
                .map(|w| (format!("v{w:?}"), w.unwrap()))
                .collect(),
            merged: false,
            vv: None,
        };
        op(id, t.0, Some(t.1), OpKind::Read { key: "k".into() }, result)
    }

    /// Both checkers on `ops`; they must agree, and the answer is returned.
    fn both(ops: Vec<Operation>) -> bool {
        let history = History::starting_at(0, ops);
        let engine = linear::check_key(&history, "k", linear::DEFAULT_BUDGET);
        let Mapped::Ops(mapped) = map(&history, "k") else {
            panic!("no merged reads here")
        };
        let oracle = oracle(&mapped).expect("few choices");
        match engine {
            Verdict::Linearizable => assert!(oracle, "stateright: not linearizable"),
            Verdict::Violation { .. } => assert!(!oracle, "stateright: linearizable"),
            v => panic!("{v:?}"),
        }
        oracle
    }

    #[test]
    fn a_read_invoked_as_a_write_returns_overlaps_it() {
        // Equal times are concurrent in both: the read may miss the write.
        assert!(both(vec![write(0, (0, 10)), read(1, (10, 20), &[None])]));
        // One microsecond later it may not.
        assert!(!both(vec![write(0, (0, 10)), read(1, (11, 20), &[None])]));
    }

    #[test]
    fn an_indeterminate_write_may_take_effect_late_or_never_but_once() {
        let timeout = || OpResult::Indeterminate {
            reason: "timeout".into(),
        };
        assert!(both(vec![
            write(0, (0, 10)),
            unfinished(1, 20, timeout()),
            read(2, (1000, 1010), &[Some(0)]),
            read(3, (2000, 2010), &[Some(1)]),
        ]));
        assert!(both(vec![
            write(0, (0, 10)),
            unfinished(1, 20, OpResult::Pending),
            read(2, (1000, 1010), &[Some(0)]),
        ]));
        assert!(!both(vec![
            write(0, (0, 10)),
            unfinished(1, 20, timeout()),
            read(2, (100, 110), &[Some(1)]),
            read(3, (200, 210), &[Some(0)]),
        ]));
    }

    #[test]
    fn a_failed_write_never_happened() {
        let failed = || OpResult::Failed {
            reason: "no leader".into(),
        };
        assert!(both(vec![
            write(0, (0, 10)),
            unfinished(1, 20, failed()),
            read(2, (100, 110), &[Some(0)]),
        ]));
        assert!(!both(vec![
            write(0, (0, 10)),
            unfinished(1, 20, failed()),
            read(2, (100, 110), &[Some(1)]),
        ]));
    }

    #[test]
    fn a_read_of_siblings_may_be_any_of_them() {
        assert!(both(vec![
            write(0, (0, 10)),
            write(1, (0, 10)),
            read(2, (20, 30), &[Some(0), Some(1)]),
            read(3, (40, 50), &[Some(1)]),
        ]));
        // But a later read cannot go back to the initial state.
        assert!(!both(vec![
            write(0, (0, 10)),
            write(1, (0, 10)),
            read(2, (20, 30), &[Some(0), Some(1)]),
            read(3, (40, 50), &[None]),
        ]));
    }
}
