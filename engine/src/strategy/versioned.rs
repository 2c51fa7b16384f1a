//! Versioned values with version vectors, shared by multi-leader and leaderless replication.
//!
//! Every write gets a *dot*: (the node that accepted it, that node's write counter). A version
//! carries the write's version vector: the dots of every write to the key that its writer had
//! seen, plus its own. Comparing two versions' vectors tells whether one happened after the
//! other (it dominates) or whether they are concurrent: a conflict, detected rather than silently
//! overwritten. How a conflict is then resolved is the scenario's [`Resolution`].
//!
//! A store keeps the ids of the writes it applied only from a floor on (see [`VStore`]); older
//! versions delivered again are recognised by what the store knows of their key.

use crate::types::{NodeId, OpId, Time};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// (node that accepted the write, that node's write counter).
pub type Dot = (NodeId, u64);

/// A version vector: for each node, the highest of its write counters that is known.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Vv(pub BTreeMap<NodeId, u64>);

impl Vv {
    pub fn get(&self, n: NodeId) -> u64 {
        self.0.get(&n).copied().unwrap_or(0)
    }
    /// Every entry of `other` is at most ours.
    pub fn dominates(&self, other: &Vv) -> bool {
        other.0.iter().all(|(n, c)| self.get(*n) >= *c)
    }
    pub fn concurrent(&self, other: &Vv) -> bool {
        !self.dominates(other) && !other.dominates(self)
    }
    pub fn merge(&mut self, other: &Vv) {
        for (n, c) in &other.0 {
            let e = self.0.entry(*n).or_insert(0);
            *e = (*e).max(*c);
        }
    }
    pub fn contains(&self, dot: Dot) -> bool {
        self.get(dot.0) >= dot.1
    }
}

impl std::fmt::Display for Vv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|(n, c)| format!("n{n}:{c}")).collect();
        write!(f, "[{}]", parts.join(" "))
    }
}

/// How concurrent writes to one key are resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// The write with the latest timestamp (its accepting node's wall clock) wins, whatever the
    /// causal order: a skewed clock can make a causally later write lose.
    LastWriteWins,
    /// The write accepted by the highest-numbered node wins (whatever the causal order).
    HighestReplica,
    /// Keep every concurrent value; reads return them all, and a write that names the versions
    /// it read replaces them.
    Siblings,
    /// Keep every concurrent value and read them as one merged set (a convergent set union).
    Union,
}

impl Resolution {
    pub fn name(self) -> &'static str {
        match self {
            Resolution::LastWriteWins => "last-write-wins",
            Resolution::HighestReplica => "highest-replica",
            Resolution::Siblings => "siblings",
            Resolution::Union => "union",
        }
    }
}

/// One value of a key, with its history.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Version {
    pub value: String,
    pub write: OpId,
    pub dot: Dot,
    pub vv: Vv,
    /// The accepting node's wall clock at the write, then its id: the last-write-wins order.
    pub ts: (Time, NodeId),
}

/// What applying one version did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// The write was new to this node (not a duplicate).
    pub new: bool,
    /// Writes replaced by conflict resolution whose winner did not carry them in its vector:
    /// (loser, winner, the rule that chose).
    pub discarded: Vec<(OpId, OpId, Resolution)>,
    /// Writes found concurrent with the applied one.
    pub conflicts: Vec<OpId>,
    /// The write depends on a write to the same key this node has not seen yet (it overtook it).
    pub overtook: Option<Dot>,
}

/// A node's versioned key-value data. All of it is durable.
///
/// **Horizon.** The ids of the writes applied here are kept from a floor on, which
/// [`VStore::forget_writes_before`] raises. A version of a write below the floor counts as
/// already applied when this node knows everything its vector names and applying it would not
/// change the key's current versions; so re-delivering an old version stays a no-op, while one
/// that would still change something (this node never had it) is applied as new.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VStore {
    pub data: BTreeMap<String, Vec<Version>>,
    /// Everything known about each key: the merge of every applied version's vector.
    pub known: BTreeMap<String, Vv>,
    /// The writes from `floor` on that this node has applied (it "holds" them, current or
    /// superseded).
    pub applied: BTreeSet<OpId>,
    /// Write ids below this are forgotten.
    floor: OpId,
    /// How many writes this node has applied, forgotten ones included.
    count: u64,
}

impl VStore {
    pub fn get(&self, key: &str) -> &[Version] {
        self.data.get(key).map_or(&[], |v| v.as_slice())
    }

    /// The causal context of a key here: the merge of its current versions' vectors.
    pub fn context(&self, key: &str) -> Vv {
        let mut vv = Vv::default();
        for v in self.get(key) {
            vv.merge(&v.vv);
        }
        vv
    }

    /// How many writes this node has applied (each counted once, forgotten ones included).
    pub fn applied_count(&self) -> u64 {
        self.count
    }

    /// Does this node hold write `w` (applied it, current or superseded)? Only meaningful for
    /// writes from the floor on.
    pub fn holds(&self, w: OpId) -> bool {
        self.applied.contains(&w)
    }

    /// Forgets the ids of applied writes below `cut` (see the type's horizon). `cut` never goes
    /// back.
    pub fn forget_writes_before(&mut self, cut: OpId) {
        if cut <= self.floor {
            return;
        }
        self.floor = cut;
        self.applied = self.applied.split_off(&cut);
    }

    /// Has this node already applied version `v` of `key` (as far as it can tell: see the type's
    /// horizon)? Applying it again would only merge what its vector knows.
    pub fn seen(&self, key: &str, v: &Version, res: Resolution) -> bool {
        if v.write >= self.floor {
            return self.applied.contains(&v.write);
        }
        if !self.known.get(key).is_some_and(|k| k.dominates(&v.vv)) {
            return false;
        }
        let current = self.get(key);
        match res {
            Resolution::LastWriteWins | Resolution::HighestReplica => current.iter().any(|c| {
                c.write == v.write
                    || match res {
                        Resolution::HighestReplica => c.dot > v.dot,
                        _ => c.ts > v.ts,
                    }
            }),
            Resolution::Siblings | Resolution::Union => {
                current.iter().any(|c| c.vv.dominates(&v.vv))
            }
        }
    }

    /// Applies a version arriving from anywhere (a local write, replication, repair, hand-off).
    pub fn apply(&mut self, key: &str, v: Version, res: Resolution) -> Applied {
        let mut out = Applied::default();
        if self.seen(key, &v, res) {
            // Seen before; but this copy may carry more knowledge (a last-write-wins winner
            // remembers the writes it beat). Keep that knowledge.
            self.known.entry(key.to_string()).or_default().merge(&v.vv);
            if let Some(mine) = self
                .data
                .get_mut(key)
                .and_then(|vs| vs.iter_mut().find(|m| m.write == v.write))
            {
                mine.vv.merge(&v.vv);
            }
            return out;
        }
        if v.write >= self.floor {
            self.applied.insert(v.write);
        }
        self.count += 1;
        let known = self.known.entry(key.to_string()).or_default();
        // What the writer had seen of this key from other nodes. (Counters are per node, not
        // per key, so the writer's own entry says nothing about this key's history.)
        let mut deps = v.vv.clone();
        deps.0.remove(&v.dot.0);
        if !known.dominates(&deps) {
            out.overtook = deps
                .0
                .iter()
                .find(|(n, c)| known.get(**n) < **c)
                .map(|(n, c)| (*n, *c));
        }
        known.merge(&v.vv);
        let current = self.data.remove(key).unwrap_or_default();
        let result = match res {
            Resolution::LastWriteWins | Resolution::HighestReplica => {
                let mut winner = v;
                for s in current {
                    let causal = winner.vv.dominates(&s.vv) || s.vv.dominates(&winner.vv);
                    if !causal {
                        out.conflicts.push(s.write);
                    }
                    // A total order, so that every replica keeps the same winner whatever order
                    // versions arrive in: the timestamp, or the accepting node then its counter.
                    let s_wins = match res {
                        Resolution::HighestReplica => s.dot > winner.dot,
                        _ => s.ts > winner.ts,
                    };
                    let (mut keep, lose) = if s_wins { (s, winner) } else { (winner, s) };
                    // The loser is reported when the winner's vector does not carry it: the
                    // store cannot tell whether that lost a write or overwrote an older one (that
                    // needs the clients' real-time order), so the checkers judge.
                    if !keep.vv.dominates(&lose.vv) {
                        out.discarded.push((lose.write, keep.write, res));
                    }
                    keep.vv.merge(&lose.vv);
                    winner = keep;
                }
                vec![winner]
            }
            Resolution::Siblings | Resolution::Union => {
                if current.iter().any(|s| s.vv.dominates(&v.vv)) {
                    current // The new version is already superseded here.
                } else {
                    let mut next: Vec<Version> = Vec::new();
                    for s in current {
                        if v.vv.dominates(&s.vv) {
                            continue; // Overwritten by a write that saw it.
                        }
                        out.conflicts.push(s.write);
                        next.push(s);
                    }
                    next.push(v);
                    crate::sort::sort_by_key(&mut next, |v| v.dot);
                    next
                }
            }
        };
        out.new = true;
        self.data.insert(key.to_string(), result);
        out
    }

    /// What a read of `key` returns here under `res`.
    pub fn read(&self, key: &str, res: Resolution) -> ReadOut {
        read_versions(self.get(key), res)
    }

    /// A hash of a key's current versions, for anti-entropy comparisons.
    pub fn key_hash(&self, key: &str) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = crate::trace::StableHasher::default();
        key.hash(&mut h);
        for v in self.get(key) {
            v.write.hash(&mut h);
            v.vv.hash(&mut h);
        }
        h.finish()
    }
}

/// What a reader sees of a key's versions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadOut {
    /// One entry per current version, each with its own value and write (siblings when there
    /// are several); except under [`Resolution::Union`] with several versions, where the first
    /// entry carries the merged value (see `merged`).
    pub values: Vec<(String, OpId)>,
    /// Under [`Resolution::Union`] with several versions: the first entry's value is the merged
    /// set (the sorted union of every version's comma-separated items) and names the first
    /// version's write; the other entries name every other contributing write with its own
    /// value. So a merged read names every write whose items it returns, never only one.
    pub merged: bool,
    /// The merge of the versions' vectors: the context the reader passes back with its next write.
    pub vv: Vv,
}

impl ReadOut {
    /// The first value and write, the other values, whether the first is a merge, and the vector,
    /// as a read reply carries them.
    pub fn reply(mut self) -> crate::node::Reply {
        let first = (!self.values.is_empty()).then(|| self.values.remove(0));
        crate::node::Reply::Value {
            value: first.as_ref().map(|(v, _)| v.clone()),
            write: first.map(|(_, w)| w),
            lsn: 0,
            epoch: 0,
            others: self.values,
            merged: self.merged,
            vv: Some(self.vv),
        }
    }
}

/// The items of a value under [`Resolution::Union`]: its comma-separated parts, trimmed, without
/// empty ones (so an empty-string write contributes no item).
pub fn union_items(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty())
}

/// What a reader sees of these versions (see [`ReadOut`]).
pub fn read_versions(versions: &[Version], res: Resolution) -> ReadOut {
    let mut values: Vec<(String, OpId)> = versions
        .iter()
        .map(|v| (v.value.clone(), v.write))
        .collect();
    let merged = res == Resolution::Union && values.len() > 1;
    if merged {
        let items: BTreeSet<&str> = versions
            .iter()
            .flat_map(|v| union_items(&v.value))
            .collect();
        values[0].0 = items.into_iter().collect::<Vec<_>>().join(",");
    }
    let mut vv = Vv::default();
    for v in versions {
        vv.merge(&v.vv);
    }
    ReadOut { values, merged, vv }
}

/// Reports what applying a version did as node effects.
pub fn report(applied: Applied, write: OpId, out: &mut Vec<crate::node::Effect>, key: &str) {
    use crate::node::Effect;
    if !applied.conflicts.is_empty() {
        let mut writes = applied.conflicts.clone();
        writes.push(write);
        crate::sort::sort(&mut writes);
        out.push(Effect::Conflict {
            key: key.to_string(),
            writes,
        });
    }
    for (loser, winner, rule) in applied.discarded {
        out.push(Effect::Discarded {
            write: loser,
            by: winner,
            rule,
        });
    }
    if let Some(missing) = applied.overtook {
        out.push(Effect::Overtook { write, missing });
    }
}

/// Merges read responses from several replicas into the newest versions.
pub fn merge_versions(
    all: impl IntoIterator<Item = Version>,
    key: &str,
    res: Resolution,
) -> Vec<Version> {
    let mut store = VStore::default();
    for v in all {
        store.apply(key, v, res);
    }
    store.data.remove(key).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(write: OpId, dot: Dot, vv: &[(NodeId, u64)], ts: Time) -> Version {
        Version {
            value: format!("v{write}"),
            write,
            dot,
            vv: Vv(vv.iter().copied().collect()),
            ts: (ts, dot.0),
        }
    }

    #[test]
    fn vector_order() {
        let a = Vv([(0, 1)].into_iter().collect());
        let b = Vv([(0, 1), (1, 1)].into_iter().collect());
        let c = Vv([(1, 2)].into_iter().collect());
        assert!(b.dominates(&a) && !a.dominates(&b));
        assert!(a.concurrent(&c));
        assert!(b.contains((0, 1)) && !b.contains((1, 2)));
    }

    #[test]
    fn lww_discards_the_concurrent_loser_in_either_order() {
        let w1 = v(1, (0, 1), &[(0, 1)], 100);
        let w2 = v(2, (1, 1), &[(1, 1)], 200);
        for order in [[w1.clone(), w2.clone()], [w2.clone(), w1.clone()]] {
            let mut s = VStore::default();
            let mut discarded = vec![];
            for x in order {
                discarded.extend(s.apply("k", x, Resolution::LastWriteWins).discarded);
            }
            assert_eq!(s.get("k").len(), 1);
            assert_eq!(s.get("k")[0].write, 2);
            assert_eq!(discarded.len(), 1);
            assert_eq!(discarded[0].0, 1);
        }
    }

    #[test]
    fn lww_with_skew_loses_a_causally_later_write() {
        let w1 = v(1, (0, 1), &[(0, 1)], 500);
        let w2 = v(2, (1, 1), &[(0, 1), (1, 1)], 300); // saw w1, but its clock is behind
        let mut s = VStore::default();
        s.apply("k", w1, Resolution::LastWriteWins);
        let r = s.apply("k", w2, Resolution::LastWriteWins);
        assert_eq!(s.get("k")[0].write, 1);
        assert_eq!(r.discarded[0].0, 2);
        assert_eq!(r.discarded[0].1, 1);
        assert!(
            r.conflicts.is_empty(),
            "causally related writes are not a conflict"
        );
    }

    #[test]
    fn siblings_are_kept_then_merged_by_a_write_that_saw_them() {
        let mut s = VStore::default();
        s.apply("k", v(1, (0, 1), &[(0, 1)], 1), Resolution::Siblings);
        let r = s.apply("k", v(2, (1, 1), &[(1, 1)], 2), Resolution::Siblings);
        assert_eq!(r.conflicts, vec![1]);
        assert_eq!(s.get("k").len(), 2);
        let ctx = s.context("k");
        let mut vv = ctx.clone();
        vv.0.insert(2, 1);
        s.apply(
            "k",
            v(3, (2, 1), &vv.0.into_iter().collect::<Vec<_>>(), 3),
            Resolution::Siblings,
        );
        assert_eq!(s.get("k").len(), 1);
        assert_eq!(s.get("k")[0].write, 3);
    }

    #[test]
    fn union_reads_one_merged_value_and_detects_overtaking() {
        let mut s = VStore::default();
        s.apply("k", v(1, (0, 1), &[(0, 1)], 1), Resolution::Union);
        s.apply("k", v(2, (1, 1), &[(1, 1)], 2), Resolution::Union);
        let out = s.read("k", Resolution::Union);
        assert!(out.merged);
        assert_eq!(
            out.values,
            vec![("v1,v2".to_string(), 1), ("v2".to_string(), 2)]
        );
        // A write that depends on (0, 2), which this node has not seen.
        let r = s.apply("j", v(9, (1, 5), &[(0, 2), (1, 5)], 3), Resolution::Union);
        assert_eq!(r.overtook, Some((0, 2)));
    }

    /// The bug of issue 13: under union, a read of an empty-string write (#2) and "a" (#1)
    /// returned "a" naming #2 alone. A merged read names every contributing write.
    #[test]
    fn a_union_read_with_an_empty_write_names_every_contributing_write() {
        let mut empty = v(2, (0, 1), &[(0, 1)], 1);
        empty.value = String::new();
        let mut a = v(1, (1, 1), &[(1, 1)], 2);
        a.value = "a".into();
        let out = read_versions(&[empty.clone(), a.clone()], Resolution::Union);
        assert!(out.merged);
        assert_eq!(out.values, vec![("a".to_string(), 2), ("a".to_string(), 1)]);
        let mut named: Vec<OpId> = out.values.iter().map(|(_, w)| *w).collect();
        named.sort_unstable();
        assert_eq!(named, vec![1, 2]);
        assert_eq!(out.vv, Vv([(0, 1), (1, 1)].into_iter().collect()));
        // One version alone is not a merge, whatever its value; nor are siblings.
        let one = read_versions(std::slice::from_ref(&empty), Resolution::Union);
        assert!(!one.merged);
        assert_eq!(one.values, vec![(String::new(), 2)]);
        let sib = read_versions(&[empty, a], Resolution::Siblings);
        assert!(!sib.merged);
        assert_eq!(sib.values, vec![(String::new(), 2), ("a".to_string(), 1)]);
    }

    /// The merged value is the sorted union of the versions' items, whichever order they come in
    /// and however their values overlap.
    #[test]
    fn a_union_merge_is_the_sorted_union_of_items() {
        let mut x = v(1, (0, 1), &[(0, 1)], 1);
        x.value = "b, a".into();
        let mut y = v(2, (1, 1), &[(1, 1)], 2);
        y.value = "c,b,,".into();
        for vs in [[x.clone(), y.clone()], [y, x]] {
            let out = read_versions(&vs, Resolution::Union);
            assert!(out.merged);
            assert_eq!(out.values[0].0, "a,b,c");
            assert_eq!(out.values.len(), 2);
        }
    }

    /// A read reply carries the first entry as its value and the rest as `others`.
    #[test]
    fn a_merged_read_reply_says_it_is_merged() {
        let mut s = VStore::default();
        s.apply("k", v(1, (0, 1), &[(0, 1)], 1), Resolution::Union);
        s.apply("k", v(2, (1, 1), &[(1, 1)], 2), Resolution::Union);
        let crate::node::Reply::Value {
            value,
            write,
            others,
            merged,
            ..
        } = s.read("k", Resolution::Union).reply()
        else {
            panic!("not a value")
        };
        assert_eq!(value.as_deref(), Some("v1,v2"));
        assert_eq!(write, Some(1));
        assert_eq!(others, vec![("v2".to_string(), 2)]);
        assert!(merged);
    }

    #[test]
    fn re_delivering_an_old_version_after_forgetting_is_a_no_op() {
        for res in [
            Resolution::LastWriteWins,
            Resolution::HighestReplica,
            Resolution::Siblings,
            Resolution::Union,
        ] {
            let w1 = v(1, (0, 1), &[(0, 1)], 100);
            let w2 = v(2, (1, 1), &[(1, 1)], 200); // concurrent with w1
            let w3 = v(3, (2, 1), &[(0, 1), (1, 1), (2, 1)], 300); // saw both
            let mut s = VStore::default();
            for x in [&w1, &w2, &w3] {
                assert!(s.apply("k", x.clone(), res).new);
            }
            let before = s.clone();
            assert_eq!(s.applied_count(), 3);
            s.forget_writes_before(10);
            assert!(s.applied.is_empty() && !s.holds(3));
            assert_eq!(s.applied_count(), 3);
            for x in [&w1, &w2, &w3] {
                assert!(s.seen("k", x, res), "{res:?} #{}", x.write);
                let r = s.apply("k", x.clone(), res);
                assert_eq!(r, Applied::default(), "{res:?} #{}", x.write);
            }
            assert_eq!(s.data, before.data, "{res:?}");
            assert_eq!(s.known, before.known);
            assert_eq!(s.applied_count(), 3);
            // Newer writes are tracked as before.
            let w11 = v(11, (0, 2), &[(0, 2), (1, 1), (2, 1)], 400);
            assert!(s.apply("k", w11.clone(), res).new);
            assert!(s.holds(11) && s.seen("k", &w11, res));
            assert_eq!(s.applied_count(), 4);
        }
    }

    #[test]
    fn an_old_version_never_applied_here_is_still_applied() {
        // n2 accepted w1; n1 saw it and overwrote it with w2. Under highest-replica w1 (from the
        // higher node) wins wherever both meet. A node that got w2 first and w1 only after w1's
        // id was forgotten must still let w1 win, although w2's vector covers it.
        let w1 = v(1, (2, 1), &[(2, 1)], 100);
        let w2 = v(2, (1, 1), &[(1, 1), (2, 1)], 200);
        let mut s = VStore::default();
        s.apply("k", w2.clone(), Resolution::HighestReplica);
        s.forget_writes_before(5);
        assert!(!s.seen("k", &w1, Resolution::HighestReplica));
        let r = s.apply("k", w1.clone(), Resolution::HighestReplica);
        assert!(r.new);
        assert_eq!(s.get("k")[0].write, 1);
        assert_eq!(s.applied_count(), 2);
        // Under siblings the same w1 is superseded by w2: a no-op.
        let mut s = VStore::default();
        s.apply("k", w2, Resolution::Siblings);
        s.forget_writes_before(5);
        assert!(s.seen("k", &w1, Resolution::Siblings));
        // And one the node knows nothing about is new.
        let w0 = v(0, (0, 1), &[(0, 1)], 50);
        assert!(!s.seen("k", &w0, Resolution::Siblings));
        assert!(s.apply("k", w0, Resolution::Siblings).new);
    }
}
