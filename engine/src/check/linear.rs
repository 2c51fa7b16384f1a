//! Linearizability of per-key register histories (Wing–Gong–Lowe search with memoization, as in
//! Porcupine and Knossos).
//!
//! Each key is checked on its own: a history is linearizable exactly when every key's
//! sub-history is (P-compositionality), which keeps the searches small.
//!
//! **The model.** A key is a register whose state is *the write that produced its value*
//! (`None` before any write). Naming states by write rather than by value makes two writes of the
//! same text distinct, and the engine tells us which write a read returned.
//! - A completed write (`Written`) took effect once, between its invoke and its return.
//! - An indeterminate or still pending write may take effect once at any moment after its invoke,
//!   or never: it has no return time and never needs to be linearized.
//! - A failed write definitely did not happen and is dropped; failed, timed-out and pending
//!   reads say nothing and are dropped.
//! - A read returning siblings (several concurrent versions) is consistent with any one of them:
//!   it may be linearized at a moment when the register holds any of the returned writes.
//! - On a long run whose oldest operations were forgotten, the register starts from "whatever
//!   they left": `None`, which any read of a forgotten write returns (so reads of two different
//!   forgotten writes are not told apart).
//!
//! **Union keys.** Under union resolution a read may return the merge of several concurrent
//! writes ("a2,b1"): a set of items, which no register ever holds, so linearizability does not
//! apply to it. A key with at least one such merged read gets [`Verdict::Set`] instead: a set
//! check of every successful read of the key (keys a union run never read merged are registers,
//! and checked as above). A read *names* the writes whose items it returns (every contributing
//! write of a merged read). A write is *visible* from the moment it was acknowledged, or from the
//! moment a read that named it returned, whichever is first. Then, for each read:
//! - [`SetRule::Phantom`]: every write it names is a write of this key, did not fail, and was
//!   invoked before the read returned (no item comes from nowhere or from the future);
//! - [`SetRule::WrongItems`]: its items are exactly the union of the items of the writes it names
//!   (an item is a trimmed, non-empty comma-separated part of a value, so an empty-string write
//!   adds none);
//! - [`SetRule::Missing`]: every item of every write visible before the read was invoked is in
//!   it, unless that write was replaced: under union a write replaces exactly the versions its
//!   writer had seen, so a write that is legitimately gone was superseded by something the read
//!   returns, which was invoked after it. A read that lacks an item of a visible write and names
//!   nothing invoked after that write returned a set that cannot have followed it (a stale read,
//!   or one older than what an earlier read already returned). A write whose items are all
//!   present (an empty-string write has none) is never missed: the check is about items, and
//!   which write a read names is what the stale-read check in [`crate::check`] looks at.
//!
//! Real time can show that a returned write could have replaced a missing one, not that it did:
//! a write dropped although nothing that saw it came after (a lost write) is caught by the
//! version-vector checks in [`crate::check`], not here. Writes forgotten on long runs are not
//! checked (a read naming one passes the first two rules for it).
//!
//! **The search.** Operations are sorted by invoke time. An operation may be linearized next when
//! no other unlinearized operation returned before it was invoked. A depth-first search tries
//! candidates, remembering every (set of linearized operations, register state) it has visited so
//! that no configuration is explored twice. A read that the current state satisfies is linearized
//! at once without trying alternatives (reads do not change the state, so taking it early never
//! hurts). The search is bounded by a number of steps (one step = one candidate tried), never by
//! the wall clock, so a verdict is the same on every machine; past the budget the answer is
//! [`Verdict::Unknown`].
//!
//! **The counterexample.** On a violation the key's operations are shrunk to a set that is still
//! not linearizable but becomes linearizable when any one operation is removed (found by cutting
//! a prefix and a suffix by binary search, then removing operations one at a time until nothing
//! more can go). Removing a write also takes it out of the reads that returned it; a read left
//! with nothing it could have returned is dropped with it, so a counterexample is never just "a
//! read of a write that is not there". The shrinking has a step budget of its own (the same
//! size); when it runs out, the smallest non-linearizable set found so far is reported.

use crate::client::{History, OpKind, OpResult};
use crate::strategy::versioned::union_items;
use crate::types::{OpId, Time};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// A register's state: the write whose value it holds, `None` before any write.
pub type State = Option<OpId>;

/// The default search budget of the CLI and the page, in steps per key.
pub const DEFAULT_BUDGET: u64 = 2_000_000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum Verdict {
    Linearizable,
    /// Not linearizable; `ops` cannot be ordered (a minimal set, see the module docs).
    Violation {
        ops: Vec<OpId>,
    },
    /// The search gave up after `steps` steps.
    Unknown {
        steps: u64,
    },
    /// The key was read merged (union resolution) `merged_reads` times: a merged value is a set,
    /// not a register value, so linearizability does not apply; the set check (module docs) ran
    /// instead and found `violations` (none: it holds).
    Set {
        merged_reads: usize,
        violations: Vec<SetViolation>,
    },
}

impl Verdict {
    /// The verdict in a few words, as the CLI and the page say it.
    pub fn describe(&self) -> String {
        let ids = |ops: &[OpId]| {
            ops.iter()
                .map(|o| format!("#{o}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        match self {
            Verdict::Linearizable => "linearizable".into(),
            Verdict::Violation { ops } => {
                format!("not linearizable: {} cannot be ordered", ids(ops))
            }
            Verdict::Unknown { steps } => format!("linearizability unknown after {steps} steps"),
            Verdict::Set {
                merged_reads,
                violations,
            } => {
                let head = format!(
                    "({merged_reads} merged read{} under union: linearizability does not apply to sets)",
                    if *merged_reads == 1 { "" } else { "s" }
                );
                if violations.is_empty() {
                    format!("set check holds {head}")
                } else {
                    let v: Vec<String> = violations
                        .iter()
                        .map(|v| {
                            format!("read #{} {} {}", v.read, v.rule.describe(), ids(&v.writes))
                        })
                        .collect();
                    format!("set check fails {head}: {}", v.join("; "))
                }
            }
        }
    }

    /// Does the key break the model it was checked against (register or set)?
    pub fn is_violation(&self) -> bool {
        match self {
            Verdict::Violation { .. } => true,
            Verdict::Set { violations, .. } => !violations.is_empty(),
            Verdict::Linearizable | Verdict::Unknown { .. } => false,
        }
    }

    /// The operations a violation concerns (empty otherwise).
    pub fn ops(&self) -> Vec<OpId> {
        match self {
            Verdict::Violation { ops } => ops.clone(),
            Verdict::Set { violations, .. } => {
                let all = violations
                    .iter()
                    .flat_map(|v| std::iter::once(v.read).chain(v.writes.iter().copied()));
                crate::sort::set(all).into_iter().collect()
            }
            Verdict::Linearizable | Verdict::Unknown { .. } => Vec::new(),
        }
    }
}

/// A read of a union key that breaks a rule of the set check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SetViolation {
    pub read: OpId,
    pub rule: SetRule,
    /// The writes concerned: those named wrongly (phantom, wrong items) or missed.
    pub writes: Vec<OpId>,
}

/// The rules of the set check of union keys (module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SetRule {
    Phantom,
    WrongItems,
    Missing,
}

impl SetRule {
    pub fn describe(self) -> &'static str {
        match self {
            SetRule::Phantom => {
                "returns items of writes that failed or had not been invoked before it returned:"
            }
            SetRule::WrongItems => "returns items that are not the union of its writes:",
            SetRule::Missing => "misses visible writes that nothing it returns can have replaced:",
        }
    }
}

/// One operation on one register, as the checker sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegOp {
    pub id: OpId,
    pub call: Time,
    /// `None`: a write that never returned (indeterminate or pending): it may take effect at any
    /// time after `call`, or never.
    pub ret: Option<Time>,
    pub kind: RegKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegKind {
    /// Sets the state to `Some(id)`.
    Write,
    /// Returned one of these states (several with siblings).
    Read(Vec<State>),
}

/// The operations of `history` on `key`, as register operations sorted by invoke time. When the
/// history's oldest operations were forgotten, the register starts from the state they left
/// (`None` here), which a read of any forgotten write returns.
pub fn register_ops(history: &History, key: &str) -> Vec<RegOp> {
    let forgotten = |w: &State| w.filter(|w| *w >= history.start());
    let mut ops: Vec<RegOp> = history
        .iter()
        .filter(|o| o.kind.key() == key)
        .filter_map(|o| {
            let (ret, kind) = match (&o.kind, &o.result) {
                (OpKind::Write { .. }, OpResult::Written { .. }) => (o.complete, RegKind::Write),
                (OpKind::Write { .. }, OpResult::Indeterminate { .. } | OpResult::Pending) => {
                    (None, RegKind::Write)
                }
                (OpKind::Read { .. }, OpResult::Read { write, others, .. }) => {
                    let mut states: Vec<State> = vec![forgotten(write)];
                    states.extend(others.iter().map(|(_, w)| forgotten(&Some(*w))));
                    crate::sort::sort(&mut states);
                    states.dedup();
                    (o.complete, RegKind::Read(states))
                }
                _ => return None,
            };
            Some(RegOp {
                id: o.id,
                call: o.invoke,
                ret,
                kind,
            })
        })
        .collect();
    crate::sort::sort_by_key(&mut ops, |o| (o.call, o.id));
    ops
}

/// Checks one key of `history`: the set check when it was read merged (union), else
/// linearizability with a budget of `budget` search steps.
pub fn check_key(history: &History, key: &str, budget: u64) -> Verdict {
    let merged = history
        .iter()
        .any(|o| o.kind.key() == key && matches!(o.result, OpResult::Read { merged: true, .. }));
    if merged {
        check_set(history, key)
    } else {
        check_ops(&register_ops(history, key), budget)
    }
}

/// The set check of a union key (module docs): always [`Verdict::Set`].
pub fn check_set(history: &History, key: &str) -> Verdict {
    let ops: Vec<&crate::client::Operation> =
        history.iter().filter(|o| o.kind.key() == key).collect();
    let writes: BTreeMap<OpId, &crate::client::Operation> =
        crate::sort::map(ops.iter().filter(|o| o.is_write()).map(|o| (o.id, *o)));
    // Successful reads: (read, the writes it names, its value, merged).
    let reads: Vec<(&crate::client::Operation, Vec<OpId>, &str, bool)> = ops
        .iter()
        .filter_map(|o| match &o.result {
            OpResult::Read {
                value,
                write,
                others,
                merged,
                ..
            } => {
                let names = write
                    .iter()
                    .copied()
                    .chain(others.iter().map(|(_, w)| *w))
                    .collect();
                Some((*o, names, value.as_deref().unwrap_or(""), *merged))
            }
            _ => None,
        })
        .collect();
    // When each write became visible: acknowledged, or named by a read that returned.
    let mut visible: BTreeMap<OpId, Time> = crate::sort::map(
        writes
            .values()
            .filter(|w| matches!(w.result, OpResult::Written { .. }))
            .map(|w| (w.id, w.complete.unwrap_or(w.invoke))),
    );
    for (r, names, _, _) in &reads {
        let done = r.complete.unwrap_or(r.invoke);
        for w in names.iter().filter(|w| writes.contains_key(w)) {
            let t = visible.entry(*w).or_insert(done);
            *t = (*t).min(done);
        }
    }
    let mut violations = Vec::new();
    for (r, names, value, _) in &reads {
        let done = r.complete.unwrap_or(r.invoke);
        // Forgotten writes (below the history's start) are not checked.
        let kept = |w: &OpId| *w >= history.start();
        let phantom: Vec<OpId> = names
            .iter()
            .copied()
            .filter(kept)
            .filter(|w| match writes.get(w) {
                None => true,
                Some(o) => matches!(o.result, OpResult::Failed { .. }) || o.invoke > done,
            })
            .collect();
        if !phantom.is_empty() {
            violations.push(SetViolation {
                read: r.id,
                rule: SetRule::Phantom,
                writes: phantom,
            });
        } else if names.iter().all(kept) {
            let expected: std::collections::BTreeSet<&str> = crate::sort::set(
                names
                    .iter()
                    .filter_map(|w| match &writes[w].kind {
                        OpKind::Write { value, .. } => Some(value.as_str()),
                        OpKind::Read { .. } => None,
                    })
                    .flat_map(union_items),
            );
            if crate::sort::set(union_items(value)) != expected {
                violations.push(SetViolation {
                    read: r.id,
                    rule: SetRule::WrongItems,
                    writes: names.clone(),
                });
            }
        }
        // The newest invoke among the writes it names (a forgotten one is older than any kept).
        let newest = names
            .iter()
            .map(|w| writes.get(w).map_or(0, |o| o.invoke))
            .max();
        let got = crate::sort::set(union_items(value));
        let missing: Vec<OpId> = visible
            .iter()
            .filter(|(w, t)| **t < r.invoke && !names.contains(w))
            .filter(|(w, _)| match &writes[w].kind {
                OpKind::Write { value, .. } => union_items(value).any(|i| !got.contains(i)),
                OpKind::Read { .. } => false,
            })
            .filter(|(w, _)| newest.is_none_or(|n| n <= writes[w].invoke))
            .map(|(w, _)| *w)
            .collect();
        if !missing.is_empty() {
            violations.push(SetViolation {
                read: r.id,
                rule: SetRule::Missing,
                writes: missing,
            });
        }
    }
    Verdict::Set {
        merged_reads: reads.iter().filter(|r| r.3).count(),
        violations,
    }
}

/// Checks every key of `history`, each with a budget of `budget` steps.
pub fn check_all(history: &History, budget: u64) -> BTreeMap<String, Verdict> {
    let keys: std::collections::BTreeSet<&str> =
        crate::sort::set(history.iter().map(|o| o.kind.key()));
    crate::sort::map(
        keys.into_iter()
            .map(|k| (k.to_string(), check_key(history, k, budget))),
    )
}

/// Checks a register history (sorted by `call`), shrinking a violation to a minimal set.
pub fn check_ops(ops: &[RegOp], budget: u64) -> Verdict {
    let mut steps = 0;
    match search(ops, budget, &mut steps) {
        Outcome::Linearizable => Verdict::Linearizable,
        Outcome::OutOfBudget => Verdict::Unknown { steps },
        Outcome::Violation => Verdict::Violation {
            ops: shrink(ops, budget),
        },
    }
}

/// The sub-history of `ops` made of the operations in `keep`: reads lose the writes that are
/// not kept, and reads left with nothing they could have returned are dropped.
pub fn subset(ops: &[RegOp], keep: &[OpId]) -> Vec<RegOp> {
    // Sorted lists searched by bisection: faster here than B-tree sets, and no std sort.
    let mut kept: Vec<OpId> = keep.to_vec();
    crate::sort::sort(&mut kept);
    let mut all_writes: Vec<OpId> = ops
        .iter()
        .filter(|o| o.kind == RegKind::Write)
        .map(|o| o.id)
        .collect();
    crate::sort::sort(&mut all_writes);
    let kept = |id: &OpId| kept.binary_search(id).is_ok();
    let all_writes = |id: &OpId| all_writes.binary_search(id).is_ok();
    ops.iter()
        .filter(|o| kept(&o.id))
        .filter_map(|o| match &o.kind {
            RegKind::Write => Some(o.clone()),
            RegKind::Read(states) => {
                let left: Vec<State> = states
                    .iter()
                    .copied()
                    .filter(|s| match s {
                        Some(w) => kept(w) || !all_writes(w),
                        None => true,
                    })
                    .collect();
                (!left.is_empty()).then(|| RegOp {
                    kind: RegKind::Read(left),
                    ..o.clone()
                })
            }
        })
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Linearizable,
    Violation,
    OutOfBudget,
}

/// FNV-1a: a fixed hasher, so the memo never depends on OS randomness.
#[derive(Default)]
struct Fnv(u64);
impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= *b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
    fn write_u64(&mut self, x: u64) {
        let h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        self.0 = (h ^ x).wrapping_mul(0x0100_0000_01b3).rotate_left(29);
    }
}

struct Frame {
    state: State,
    cands: Vec<usize>,
    next: usize,
    /// The operation linearized to reach this frame.
    via: Option<usize>,
}

fn apply(op: &RegOp, state: State) -> Option<State> {
    match &op.kind {
        RegKind::Write => Some(Some(op.id)),
        RegKind::Read(states) => states.contains(&state).then_some(state),
    }
}

/// The operations that may be linearized next (in invoke order), or the one read that the state
/// satisfies.
fn candidates(ops: &[RegOp], lin: &[u64], state: State) -> Vec<usize> {
    let is_lin = |i: usize| lin[i / 64] >> (i % 64) & 1 == 1;
    let lo = lin
        .iter()
        .position(|w| *w != u64::MAX)
        .map_or(ops.len(), |w| w * 64 + lin[w].trailing_ones() as usize);
    let mut min_ret = Time::MAX;
    let mut out = Vec::new();
    for (i, op) in ops.iter().enumerate().skip(lo) {
        if is_lin(i) {
            continue;
        }
        if op.call > min_ret {
            break;
        }
        if let RegKind::Read(states) = &op.kind {
            if states.contains(&state) {
                return vec![i];
            }
        }
        out.push(i);
        min_ret = min_ret.min(op.ret.unwrap_or(Time::MAX));
    }
    out
}

/// Wing–Gong–Lowe search over `ops` (sorted by `call`), counting steps into `steps`.
pub fn search(ops: &[RegOp], budget: u64, steps: &mut u64) -> Outcome {
    let required = ops.iter().filter(|o| o.ret.is_some()).count();
    if required == 0 {
        return Outcome::Linearizable;
    }
    let mut lin = vec![0u64; ops.len().div_ceil(64)];
    let mut done = 0;
    let mut memo: HashSet<(Box<[u64]>, State), BuildHasherDefault<Fnv>> = HashSet::default();
    let mut frames = vec![Frame {
        state: None,
        cands: candidates(ops, &lin, None),
        next: 0,
        via: None,
    }];
    while let Some(top) = frames.last_mut() {
        if top.next == top.cands.len() {
            let via = top.via;
            frames.pop();
            if let Some(v) = via {
                lin[v / 64] &= !(1 << (v % 64));
                done -= ops[v].ret.is_some() as usize;
            }
            continue;
        }
        let c = top.cands[top.next];
        top.next += 1;
        *steps += 1;
        if *steps > budget {
            return Outcome::OutOfBudget;
        }
        let Some(state) = apply(&ops[c], top.state) else {
            continue;
        };
        lin[c / 64] |= 1 << (c % 64);
        done += ops[c].ret.is_some() as usize;
        if done == required {
            return Outcome::Linearizable;
        }
        if !memo.insert((lin.clone().into_boxed_slice(), state)) {
            lin[c / 64] &= !(1 << (c % 64));
            done -= ops[c].ret.is_some() as usize;
            continue;
        }
        let cands = candidates(ops, &lin, state);
        frames.push(Frame {
            state,
            cands,
            next: 0,
            via: Some(c),
        });
    }
    Outcome::Violation
}

/// A minimal non-linearizable subset of `ops` (which must not be linearizable), as op ids.
fn shrink(ops: &[RegOp], budget: u64) -> Vec<OpId> {
    let spent = std::cell::Cell::new(0u64);
    // Is the sub-history of these ids definitely not linearizable (within what is left)?
    let violates = |ids: &[OpId]| -> bool {
        if spent.get() >= budget {
            return false;
        }
        let mut steps = 0;
        let r = search(&subset(ops, ids), budget - spent.get(), &mut steps);
        spent.set(spent.get() + steps);
        r == Outcome::Violation
    };
    let mut ids: Vec<OpId> = ops.iter().map(|o| o.id).collect();
    // The shortest failing prefix (in invoke order)...
    let (mut lo, mut hi) = (1, ids.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        if violates(&ids[..mid]) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    ids.truncate(hi);
    // ...then the shortest failing suffix of it.
    let (mut lo, mut hi) = (0, ids.len() - 1);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if violates(&ids[mid..]) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    ids.drain(..lo);
    // Then one operation at a time, until a whole pass removes nothing.
    loop {
        let mut removed = false;
        let mut i = 0;
        while i < ids.len() {
            let mut without = ids.clone();
            without.remove(i);
            if !without.is_empty() && violates(&without) {
                ids = without;
                removed = true;
            } else {
                i += 1;
            }
        }
        if !removed || spent.get() >= budget {
            break;
        }
    }
    // Reads dropped by the subset rule are not part of the counterexample.
    let kept: Vec<OpId> = subset(ops, &ids).iter().map(|o| o.id).collect();
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(id: OpId, call: Time, ret: Option<Time>) -> RegOp {
        RegOp {
            id,
            call,
            ret,
            kind: RegKind::Write,
        }
    }
    fn r(id: OpId, call: Time, ret: Time, states: &[State]) -> RegOp {
        RegOp {
            id,
            call,
            ret: Some(ret),
            kind: RegKind::Read(states.to_vec()),
        }
    }
    fn check(mut ops: Vec<RegOp>) -> Verdict {
        ops.sort_by_key(|o| (o.call, o.id));
        check_ops(&ops, 100_000)
    }

    #[test]
    fn sequential_reads_of_the_latest_write_are_linearizable() {
        let v = check(vec![
            w(0, 0, Some(10)),
            r(1, 20, 30, &[Some(0)]),
            w(2, 40, Some(50)),
            r(3, 60, 70, &[Some(2)]),
        ]);
        assert_eq!(v, Verdict::Linearizable);
    }

    #[test]
    fn reading_the_initial_value_after_a_completed_write_is_not() {
        let v = check(vec![w(0, 0, Some(10)), r(1, 20, 30, &[None])]);
        assert_eq!(v, Verdict::Violation { ops: vec![0, 1] });
    }

    #[test]
    fn concurrent_write_may_be_seen_or_not() {
        // The read overlaps the write: either answer is fine.
        for s in [None, Some(0)] {
            assert_eq!(
                check(vec![w(0, 0, Some(50)), r(1, 10, 20, &[s])]),
                Verdict::Linearizable
            );
        }
    }

    /// W + R > N without read repair: a write is in flight; a first reader sees the new value,
    /// a later one (starting after the first returned) the old one.
    #[test]
    fn new_then_old_read_is_a_violation() {
        let ops = vec![
            w(0, 0, Some(5)),
            w(1, 10, Some(100)),
            r(2, 20, 30, &[Some(1)]),
            r(3, 40, 50, &[Some(0)]),
        ];
        let v = check(ops);
        // The write #0 is not needed to show it: reading #1 and then something older than #1 is
        // impossible, but the old value must have been written, so #0 stays.
        assert_eq!(
            v,
            Verdict::Violation {
                ops: vec![0, 1, 2, 3]
            }
        );
        // Either read alone is fine.
        assert_eq!(
            check(vec![
                w(0, 0, Some(5)),
                w(1, 10, Some(100)),
                r(2, 20, 30, &[Some(1)])
            ]),
            Verdict::Linearizable
        );
    }

    #[test]
    fn indeterminate_writes_may_take_effect_late_or_never() {
        // Never happened: reading the old value long after is fine.
        assert_eq!(
            check(vec![
                w(0, 0, Some(5)),
                w(1, 10, None),
                r(2, 1000, 1010, &[Some(0)])
            ]),
            Verdict::Linearizable
        );
        // Happened, much later than its invoke.
        assert_eq!(
            check(vec![
                w(0, 0, Some(5)),
                w(1, 10, None),
                r(2, 1000, 1010, &[Some(0)]),
                r(3, 2000, 2010, &[Some(1)]),
            ]),
            Verdict::Linearizable
        );
        // But at most once: it cannot be seen, then unseen, then seen again.
        let v = check(vec![
            w(0, 0, Some(5)),
            w(1, 10, None),
            r(2, 100, 110, &[Some(1)]),
            r(3, 200, 210, &[Some(0)]),
        ]);
        assert_eq!(
            v,
            Verdict::Violation {
                ops: vec![0, 1, 2, 3]
            }
        );
    }

    #[test]
    fn siblings_are_consistent_with_either_value() {
        let ops = vec![
            w(0, 0, Some(10)),
            w(1, 0, Some(10)),
            r(2, 20, 30, &[Some(0), Some(1)]),
        ];
        assert_eq!(check(ops), Verdict::Linearizable);
    }

    #[test]
    fn budget_exhaustion_is_unknown() {
        let mut ops: Vec<RegOp> = (0..12).map(|i| w(i, 0, Some(100))).collect();
        ops.push(r(12, 200, 210, &[None]));
        assert!(matches!(
            check_ops(&ops, 50),
            Verdict::Unknown { steps: 51 }
        ));
    }

    #[test]
    fn the_counterexample_is_minimal_among_many_operations() {
        let mut ops = Vec::new();
        for i in 0..50u32 {
            let t = i as Time * 100;
            ops.push(w(2 * i, t, Some(t + 10)));
            ops.push(r(2 * i + 1, t + 20, t + 30, &[Some(2 * i)]));
        }
        // Read #101 at the very end sees write #40 again.
        ops.push(r(101, 10_000, 10_010, &[Some(40)]));
        let Verdict::Violation { ops: bad } = check(ops) else {
            panic!("not found")
        };
        assert_eq!(bad, vec![40, 98, 101]);
    }

    mod set {
        use super::super::*;
        use crate::client::{History, OpKind, OpResult, Operation};
        use crate::scenario::ReadFrom;

        fn op(id: OpId, t: (Time, Option<Time>), kind: OpKind, result: OpResult) -> Operation {
            Operation {
                id,
                client: 0,
                kind,
                from: ReadFrom::Nearest,
                node: 0,
                invoke: t.0,
                complete: t.1,
                attempts: 1,
                result,
            }
        }
        fn w(id: OpId, t: (Time, Time), value: &str) -> Operation {
            let kind = OpKind::Write {
                key: "k".into(),
                value: value.into(),
            };
            let result = OpResult::Written {
                lsn: 0,
                epoch: 0,
                dot: Some((0, id as u64 + 1)),
            };
            op(id, (t.0, Some(t.1)), kind, result)
        }
        /// A read at `t` of the writes `names` (with their values), merged when more than one.
        fn r(id: OpId, t: (Time, Time), value: &str, names: &[(OpId, &str)]) -> Operation {
            let result = OpResult::Read {
                value: (!names.is_empty()).then(|| value.to_string()),
                write: names.first().map(|n| n.0),
                lsn: 0,
                epoch: 0,
                others: names
                    .iter()
                    .skip(1)
                    .map(|(w, v)| (v.to_string(), *w))
                    .collect(),
                merged: names.len() > 1,
                vv: None,
            };
            op(
                id,
                (t.0, Some(t.1)),
                OpKind::Read { key: "k".into() },
                result,
            )
        }
        fn verdict(ops: Vec<Operation>) -> Verdict {
            check_key(&History::starting_at(0, ops), "k", 10_000)
        }
        fn violations(v: Verdict) -> Vec<(OpId, SetRule, Vec<OpId>)> {
            let Verdict::Set { violations, .. } = v else {
                panic!("not the set check: {v:?}")
            };
            violations
                .into_iter()
                .map(|v| (v.read, v.rule, v.writes))
                .collect()
        }

        /// Two concurrent writes, then a read of their merge: not a register read, and the set
        /// check holds whichever write has the lower id.
        #[test]
        fn a_merged_read_gets_the_set_check_whatever_the_numbering() {
            for (a, b) in [("a", "b"), ("b", "a")] {
                let v = verdict(vec![
                    w(0, (0, 10), a),
                    w(1, (0, 10), b),
                    r(2, (20, 30), "a,b", &[(0, a), (1, b)]),
                ]);
                assert_eq!(
                    v,
                    Verdict::Set {
                        merged_reads: 1,
                        violations: vec![]
                    }
                );
                assert!(!v.is_violation());
                assert!(v.describe().starts_with("set check holds"));
            }
        }

        #[test]
        fn a_key_never_read_merged_is_a_register() {
            let v = verdict(vec![w(0, (0, 10), "a"), r(1, (20, 30), "a", &[(0, "a")])]);
            assert_eq!(v, Verdict::Linearizable);
        }

        /// A write acknowledged before the read began, whose item the read lacks, and nothing
        /// the read returns came after it: a stale set.
        #[test]
        fn a_visible_item_missing_is_a_violation() {
            let v = verdict(vec![
                w(0, (0, 10), "a"),
                w(1, (0, 10), "b"),
                w(2, (20, 30), "c"),
                r(3, (40, 50), "a,b", &[(0, "a"), (1, "b")]),
            ]);
            assert_eq!(violations(v.clone()), vec![(3, SetRule::Missing, vec![2])]);
            assert!(v.is_violation());
            assert_eq!(v.ops(), vec![2, 3]);
        }

        /// Under union a write replaces what its writer saw: a read that returns a later write
        /// may lack an earlier one.
        #[test]
        fn a_write_replaced_by_a_later_returned_one_is_not_missing() {
            let v = verdict(vec![
                w(0, (0, 10), "a"),
                w(1, (20, 30), "c"),
                w(2, (20, 30), "d"),
                r(3, (40, 50), "c,d", &[(1, "c"), (2, "d")]),
            ]);
            assert_eq!(violations(v), vec![]);
        }

        /// A write first seen by a read is visible from that read's return: a later read must
        /// not go back on it (new, then old).
        #[test]
        fn an_item_a_finished_read_returned_must_stay() {
            let v = verdict(vec![
                w(0, (0, 10), "a"),
                w(1, (0, 10), "b"),
                op(
                    2,
                    (0, None),
                    OpKind::Write {
                        key: "k".into(),
                        value: "x".into(),
                    },
                    OpResult::Indeterminate {
                        reason: "timeout".into(),
                    },
                ),
                r(3, (20, 30), "a,b,x", &[(0, "a"), (1, "b"), (2, "x")]),
                r(4, (40, 50), "a,b", &[(0, "a"), (1, "b")]),
            ]);
            assert_eq!(violations(v), vec![(4, SetRule::Missing, vec![2])]);
        }

        /// An empty-string write adds no item, so a read that does not name it misses nothing,
        /// and a merge with it returns the other write's items.
        #[test]
        fn an_empty_write_has_no_items() {
            let v = verdict(vec![
                w(0, (0, 10), ""),
                w(1, (0, 10), "a"),
                r(2, (20, 30), "a", &[(0, ""), (1, "a")]),
                r(3, (40, 50), "", &[]),
                r(4, (60, 70), "a,b", &[(0, ""), (1, "a")]),
            ]);
            // Read #3 lacks item a, which read #2 had returned; read #4 returns an item (b) that
            // no write it names holds.
            assert_eq!(
                violations(v),
                vec![
                    (3, SetRule::Missing, vec![1]),
                    (4, SetRule::WrongItems, vec![0, 1])
                ]
            );
        }

        #[test]
        fn items_from_a_failed_or_future_write_are_phantoms() {
            let failed = op(
                1,
                (0, Some(5)),
                OpKind::Write {
                    key: "k".into(),
                    value: "b".into(),
                },
                OpResult::Failed {
                    reason: "no".into(),
                },
            );
            let v = verdict(vec![
                w(0, (0, 10), "a"),
                failed,
                r(2, (20, 30), "a,b", &[(0, "a"), (1, "b")]),
                r(3, (40, 50), "a,c", &[(0, "a"), (4, "c")]),
                w(4, (60, 70), "c"),
            ]);
            assert_eq!(
                violations(v),
                vec![
                    (2, SetRule::Phantom, vec![1]),
                    (3, SetRule::Phantom, vec![4])
                ]
            );
        }
    }
}
