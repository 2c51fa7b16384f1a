//! Checkers: anomalies found live as the run advances, per-write fate, summary metrics.
//!
//! Definitions used here (the page and the CLI show them with these words):
//! - **stale read**: a read returned a value older than one whose write was acknowledged before
//!   the read began (writes already lost in a failover do not count: that is a lost write).
//! - **lost write**: a write was acknowledged, and then a leader was elected whose log does not
//!   hold it. From then on the replicated history goes on without it.
//! - **split brain**: two nodes, each believing it leads (in different epochs), accepted writes
//!   at overlapping times.
//! - **discarded write**: conflict resolution (last-write-wins, highest replica) threw a write
//!   away; it counts as lost.
//! - **conflict**: writes to one key that did not see each other (concurrent version vectors).
//! - **out of order**: a replica applied a write before an earlier write to the same key that it
//!   depends on (it overtook it on the way).
//! - **read-your-writes**: a client's read missed a write the same client had been acknowledged
//!   (reported instead of a plain stale read).
//! - **monotonic reads**: a client's read saw less of a key than one of its earlier reads.
//! - **consistent prefix**: a client saw write `b` (its read returned it), and a later read of
//!   another key missed write `a` that `b` causally depends on: `b`'s client had been
//!   acknowledged `a`, or had read it, or had read something that depends on it, before it
//!   invoked `b` (the question and the answer: an observer hears the answer first). Causal
//!   dependencies are followed across keys only (on one key the checks above apply), up to
//!   [`DEPS_KEPT`] keys per write, the newest per key (by log position with a single leader,
//!   otherwise by operation number).
//!
//! Multi-leader and leaderless reads are judged by version vectors: a read is stale when its
//! versions do not include (or supersede) a write acknowledged before it began.
//!
//! ## Quantities
//!
//! Each count has one definition, computed here; the page's panels, the CLI's report, the sweep
//! and the exports all read it from [`Metrics`] or from the functions named below, never count
//! for themselves.
//! - **stale reads** ([`Metrics::stale_reads`], [`stale_reads`]): successful reads that missed a
//!   write acknowledged before they began (and not already lost), counted once per read. The
//!   checker names each such read once, with the more specific kind when it applies: a
//!   `read-your-writes` anomaly when the write it missed was the reader's own, a `stale-read`
//!   anomaly otherwise. So stale reads = reads flagged `stale-read` + reads flagged
//!   `read-your-writes`; [`Metrics::read_your_writes`] says how many of them are the latter.
//! - **monotonic-read** and **consistent-prefix** violations are not stale reads: they compare a
//!   read with what its own client had seen before (its earlier reads; the causes of what it
//!   saw), not with what had been acknowledged, and they can happen with no acknowledged write
//!   missed. They are counted apart, one per anomaly. One read can be both a stale read and a
//!   monotonic-read violation (read #4 of the gallery's session-guarantees preset: 2 stale reads,
//!   both read-your-writes, and 1 monotonic-read violation, 3 anomalies).
//! - **stale share** ([`Metrics::stale_read_ppm`]): stale reads over successful reads.
//! - **staleness** of a read ([`read_staleness`], [`Metrics::staleness_us`]): 0 unless it is a
//!   stale read; then how long before the read began a write newer than what it returned had
//!   been acknowledged (the oldest such write not lost by the end of the run; when every such
//!   write was lost later, the write it missed).
//! - **anomalies** ([`Metrics::anomalies`]): every entry of the anomaly list kept, one per finding
//!   (so one read may bring two).

pub mod linear;
pub mod series;

use crate::client::{History, OpKind, OpResult, Operation};
use crate::sim::{NodeSlot, Stats};
use crate::strategy::versioned::{Dot, Vv};
use crate::types::ClientId;
use crate::types::{NodeId, OpId, Time};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Anomaly {
    pub t: Time,
    #[serde(flatten)]
    pub kind: AnomalyKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "anomaly", rename_all = "kebab-case")]
pub enum AnomalyKind {
    /// Read `op` returned the value of write `returned` although write `missed` to the same key
    /// had been acknowledged before the read began.
    StaleRead {
        op: OpId,
        returned: Option<OpId>,
        missed: OpId,
    },
    /// Acknowledged write `op` is not in the log of `leader`, newly elected in `epoch`.
    LostWrite {
        op: OpId,
        leader: NodeId,
        epoch: u64,
    },
    /// Nodes `nodes` both accepted writes as leaders of `epochs` at the same time.
    SplitBrain {
        nodes: Vec<NodeId>,
        epochs: Vec<u64>,
    },
    /// Conflict resolution threw write `op` away in favour of `by`.
    Discarded { op: OpId, by: OpId, why: String },
    /// Writes to `key` that did not see each other.
    Conflict { key: String, writes: Vec<OpId> },
    /// Node `node` applied `write` before `missing`, an earlier write to the key it depends on.
    OutOfOrder {
        node: NodeId,
        write: OpId,
        missing: OpId,
    },
    /// Read `op` did not see `missed`, a write its own client had been acknowledged before.
    ReadYourWrites { op: OpId, missed: OpId },
    /// Read `op` returned something older than read `earlier` of the same client and key had.
    MonotonicRead { op: OpId, earlier: OpId },
    /// Read `op` missed write `missed`, although its client had already seen write `saw` (of
    /// another key), which causally depends on `missed`.
    ConsistentPrefix { op: OpId, saw: OpId, missed: OpId },
}

impl AnomalyKind {
    /// The read this anomaly judges, for the kinds that judge one read.
    pub fn read(&self) -> Option<OpId> {
        match self {
            AnomalyKind::StaleRead { op, .. }
            | AnomalyKind::ReadYourWrites { op, .. }
            | AnomalyKind::MonotonicRead { op, .. }
            | AnomalyKind::ConsistentPrefix { op, .. } => Some(*op),
            AnomalyKind::LostWrite { .. }
            | AnomalyKind::SplitBrain { .. }
            | AnomalyKind::Discarded { .. }
            | AnomalyKind::Conflict { .. }
            | AnomalyKind::OutOfOrder { .. } => None,
        }
    }

    /// The read this anomaly makes a stale read (see the module docs), with the write it missed.
    pub fn stale_read(&self) -> Option<(OpId, OpId)> {
        match self {
            AnomalyKind::StaleRead { op, missed, .. }
            | AnomalyKind::ReadYourWrites { op, missed } => Some((*op, *missed)),
            _ => None,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            AnomalyKind::StaleRead { .. } => "stale-read",
            AnomalyKind::LostWrite { .. } => "lost-write",
            AnomalyKind::SplitBrain { .. } => "split-brain",
            AnomalyKind::Discarded { .. } => "discarded",
            AnomalyKind::Conflict { .. } => "conflict",
            AnomalyKind::OutOfOrder { .. } => "out-of-order",
            AnomalyKind::ReadYourWrites { .. } => "read-your-writes",
            AnomalyKind::MonotonicRead { .. } => "monotonic-read",
            AnomalyKind::ConsistentPrefix { .. } => "consistent-prefix",
        }
    }
}

/// An acknowledged write as the stale-read check needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Acked {
    complete: Time,
    version: (u64, u64),
    op: OpId,
    /// The newest version acknowledged for this key up to and including this one.
    newest: ((u64, u64), OpId),
}

/// An acknowledged write of a multi-leader or leaderless run, filed under its accepting node.
#[derive(Clone, Debug, PartialEq, Eq)]
struct AckedDot {
    complete: Time,
    counter: u64,
    op: OpId,
    /// The highest counter among this node's acknowledged writes to the key so far.
    max_counter: u64,
}

/// What one client did to one key: its session, for read-your-writes and monotonic reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Session {
    /// Its acknowledged writes, in completion order.
    writes: Vec<OwnWrite>,
    /// Its successful reads, in completion order, each with everything seen up to it.
    reads: Vec<SeenSoFar>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct OwnWrite {
    complete: Time,
    version: (u64, u64),
    dot: Option<Dot>,
    op: OpId,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct SeenSoFar {
    complete: Time,
    /// Single-leader: the newest (epoch, lsn) read so far and the write it was.
    newest: ((u64, u64), Option<OpId>),
    /// Otherwise: the merge of every version vector read so far.
    vv: Option<Vv>,
    /// The read that brought the newest knowledge.
    op: OpId,
}

/// How far back a read looks among its client's own writes to the key.
const OWN_WRITES_LOOKED_AT: usize = 64;

/// How many other keys' writes a write remembers as its causal past (the most recently learned).
pub const DEPS_KEPT: usize = 16;

/// Where an acknowledged write stands, to tell whether a read reflects it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ver {
    /// Single-leader: (epoch, lsn).
    Log(u64, u64),
    /// Multi-leader, leaderless: its version-vector dot.
    Dot(Dot),
}

/// A write in a client's causal past, for the consistent-prefix check.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Learned {
    write: OpId,
    /// When the client learned of it.
    at: Time,
    /// Learned through this write of another key (which depends on it), not directly.
    via: Option<OpId>,
}

/// State of the live checkers, part of the simulation's world.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Live {
    pub split_brain_seen: BTreeSet<(u64, u64)>,
    pub conflicts_seen: BTreeSet<Vec<OpId>>,
    pub overtakes_seen: BTreeSet<(NodeId, OpId)>,
    /// Writes known lost or discarded: a read that misses them is not stale.
    pub lost: BTreeSet<OpId>,
    acked: BTreeMap<String, Vec<Acked>>,
    acked_dots: BTreeMap<String, BTreeMap<NodeId, Vec<AckedDot>>>,
    sessions: BTreeMap<(ClientId, String), Session>,
    /// Acknowledged writes and where they stand.
    versions: BTreeMap<OpId, Ver>,
    /// Keys by number, so the causal bookkeeping copies no strings.
    key_ids: BTreeMap<String, u32>,
    /// Each write's causal past on other keys, fixed when it was invoked: (key, write). Shared,
    /// so that checkpoints copy pointers.
    deps: BTreeMap<OpId, Rc<[(u32, OpId)]>>,
    /// Each client's causal past: per key, the newest write it knows of.
    frontier: BTreeMap<ClientId, BTreeMap<u32, Learned>>,
}

impl Live {
    /// Called when an operation is invoked: a write's causal past is what its client knows now.
    pub fn on_invoke(&mut self, op: &Operation) {
        let OpKind::Write { key, .. } = &op.kind else {
            return;
        };
        let key = self.key_id(key);
        let Some(f) = self.frontier.get(&op.client) else {
            return;
        };
        let mut past: Vec<(&u32, &Learned)> = f.iter().filter(|(k, _)| **k != key).collect();
        if past.is_empty() {
            return;
        }
        if past.len() > DEPS_KEPT {
            crate::sort::sort_by_key(&mut past, |(_, l)| std::cmp::Reverse(l.at));
            past.truncate(DEPS_KEPT);
            crate::sort::sort_by_key(&mut past, |(k, _)| *k);
        }
        let past = past.into_iter().map(|(k, l)| (*k, l.write)).collect();
        self.deps.insert(op.id, past);
    }

    fn key_id(&mut self, key: &str) -> u32 {
        if let Some(id) = self.key_ids.get(key) {
            return *id;
        }
        let id = self.key_ids.len() as u32;
        self.key_ids.insert(key.to_string(), id);
        id
    }

    /// The acknowledged single-leader writes the checkers still look at (every one acknowledged
    /// since the oldest operation kept, and the newest per key before it), by id.
    pub fn acked_log_writes(&self) -> BTreeSet<OpId> {
        self.acked.values().flatten().map(|a| a.op).collect()
    }

    /// Forgets what only operations before `cut` need: every operation still to complete was
    /// invoked at `since` or later. Of the writes (and a session's reads) acknowledged before
    /// `since`, a read begun later only ever looks at the newest, which is kept with everything
    /// that names it; the rest goes. So reads are checked against every acknowledged write
    /// newer than the oldest operation kept, and against the newest one before it.
    pub fn forget(&mut self, cut: OpId, since: Time) {
        fn keep_newest_before<T>(list: &mut Vec<T>, since: Time, complete: impl Fn(&T) -> Time) {
            let n = list.partition_point(|x| complete(x) < since);
            if n > 1 {
                list.drain(..n - 1);
            }
        }
        let mut named: BTreeSet<OpId> = BTreeSet::new();
        for list in self.acked.values_mut() {
            keep_newest_before(list, since, |a| a.complete);
            named.extend(list.iter().flat_map(|a| [a.op, a.newest.1]));
        }
        for list in self.acked_dots.values_mut().flat_map(|m| m.values_mut()) {
            keep_newest_before(list, since, |a| a.complete);
            named.extend(list.iter().map(|a| a.op));
        }
        for s in self.sessions.values_mut() {
            keep_newest_before(&mut s.writes, since, |w| w.complete);
            keep_newest_before(&mut s.reads, since, |r| r.complete);
            named.extend(s.writes.iter().map(|w| w.op));
            named.extend(
                s.reads
                    .iter()
                    .flat_map(|r| [Some(r.op), r.newest.1])
                    .flatten(),
            );
        }
        for l in self.frontier.values().flat_map(|f| f.values()) {
            named.extend([Some(l.write), l.via].into_iter().flatten());
        }
        let keep = |id: &OpId| *id >= cut || named.contains(id);
        self.versions.retain(|id, _| keep(id));
        self.deps.retain(|id, _| keep(id));
        self.lost.retain(keep);
        self.conflicts_seen
            .retain(|ws| ws.iter().any(|w| *w >= cut));
        self.overtakes_seen.retain(|(_, w)| *w >= cut);
    }

    /// Called when an operation completes; returns the anomalies it shows.
    pub fn on_complete(&mut self, op: &Operation) -> Vec<AnomalyKind> {
        let mut found = self.against_everyone(op);
        self.against_own_session(op, &mut found);
        self.consistent_prefix(op, &mut found);
        found
    }

    /// Is `b` at least as new as `a` (both writes of one key)?
    fn newer_or_same(&self, b: OpId, a: OpId) -> bool {
        match (self.versions.get(&b), self.versions.get(&a)) {
            (Some(Ver::Log(e1, l1)), Some(Ver::Log(e2, l2))) => (e1, l1) >= (e2, l2),
            _ => b >= a,
        }
    }

    /// Consistent prefix: a read must not miss a write that something its client has already
    /// seen depends on. Then the client's causal past grows by what it just learned.
    fn consistent_prefix(&mut self, op: &Operation, found: &mut Vec<AnomalyKind>) {
        let complete = op.complete.unwrap_or(op.invoke);
        let key = self.key_id(op.kind.key());
        match &op.result {
            OpResult::Written { lsn, epoch, dot } => {
                let v = match dot {
                    Some(d) => Ver::Dot(*d),
                    None => Ver::Log(*epoch, *lsn),
                };
                self.versions.insert(op.id, v);
                let learned = Learned {
                    write: op.id,
                    at: complete,
                    via: None,
                };
                self.frontier
                    .entry(op.client)
                    .or_default()
                    .insert(key, learned);
            }
            OpResult::Read {
                write,
                lsn,
                epoch,
                others,
                vv,
                ..
            } => {
                let returned: Vec<OpId> = write
                    .iter()
                    .copied()
                    .chain(others.iter().map(|(_, w)| *w))
                    .collect();
                let known = self.frontier.get(&op.client).and_then(|f| f.get(&key));
                if let Some(Learned {
                    write: a,
                    at,
                    via: Some(b),
                }) = known
                {
                    let sees = match self.versions.get(a) {
                        _ if returned.contains(a) => true,
                        Some(Ver::Log(e, l)) => (*epoch, *lsn) >= (*e, *l),
                        Some(Ver::Dot(d)) => vv.as_ref().is_none_or(|vv| vv.contains(*d)),
                        None => true, // never acknowledged: nothing to go by
                    };
                    let already = found.iter().any(
                        |f| matches!(f, AnomalyKind::ReadYourWrites { missed, .. } if missed == a),
                    );
                    if *at < op.invoke && !sees && !self.lost.contains(a) && !already {
                        found.push(AnomalyKind::ConsistentPrefix {
                            op: op.id,
                            saw: *b,
                            missed: *a,
                        });
                    }
                }
                let Some(&first) = returned.first() else {
                    return;
                };
                let f = self.frontier.entry(op.client).or_default();
                // Reading again what it already knows teaches the client nothing new.
                if f.get(&key)
                    .is_some_and(|l| l.write == first && l.via.is_none())
                {
                    return;
                }
                f.insert(
                    key,
                    Learned {
                        write: first,
                        at: complete,
                        via: None,
                    },
                );
                for b in &returned {
                    let Some(deps) = self.deps.get(b) else {
                        continue;
                    };
                    for &(k, a) in deps.iter() {
                        if k == key {
                            continue;
                        }
                        let f = self.frontier.get(&op.client).expect("inserted above");
                        let keep_old = f
                            .get(&k)
                            .is_some_and(|old| old.write == a || self.newer_or_same(old.write, a));
                        if !keep_old {
                            let l = Learned {
                                write: a,
                                at: complete,
                                via: Some(*b),
                            };
                            self.frontier
                                .get_mut(&op.client)
                                .expect("inserted above")
                                .insert(k, l);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// Session guarantees: a client's read must see the client's own acknowledged writes
    /// (read-your-writes, which then replaces the plainer "stale read"), and must not see less
    /// than its earlier reads of the key (monotonic reads).
    fn against_own_session(&mut self, op: &Operation, found: &mut Vec<AnomalyKind>) {
        let complete = op.complete.unwrap_or(op.invoke);
        let key = (op.client, op.kind.key().to_string());
        let lost = &self.lost;
        let s = self.sessions.entry(key).or_default();
        match &op.result {
            OpResult::Written { lsn, epoch, dot } => s.writes.push(OwnWrite {
                complete,
                version: (*epoch, *lsn),
                dot: *dot,
                op: op.id,
            }),
            OpResult::Read {
                write,
                lsn,
                epoch,
                vv,
                ..
            } => {
                let version = (*epoch, *lsn);
                let sees = |w: &OwnWrite| match (vv, w.dot) {
                    (Some(vv), Some(d)) => vv.contains(d),
                    _ => version >= w.version,
                };
                let n = s.writes.partition_point(|w| w.complete < op.invoke);
                let own_missed = s.writes[..n]
                    .iter()
                    .rev()
                    .take(OWN_WRITES_LOOKED_AT)
                    .find(|w| !lost.contains(&w.op) && !sees(w))
                    .map(|w| w.op);
                if let Some(missed) = own_missed {
                    found.retain(|a| !matches!(a, AnomalyKind::StaleRead { .. }));
                    found.push(AnomalyKind::ReadYourWrites { op: op.id, missed });
                }
                let n = s.reads.partition_point(|r| r.complete < op.invoke);
                let before = n.checked_sub(1).map(|i| s.reads[i].clone());
                if let Some(prev) = &before {
                    let went_back = match (&prev.vv, vv) {
                        (Some(p), Some(v)) => !v.dominates(p),
                        _ => {
                            version < prev.newest.0
                                && !prev.newest.1.is_some_and(|w| lost.contains(&w))
                        }
                    };
                    if went_back {
                        found.push(AnomalyKind::MonotonicRead {
                            op: op.id,
                            earlier: prev.op,
                        });
                    }
                }
                let last = s.reads.last();
                let (newest, by) = match last {
                    Some(l) if l.newest.0 >= version => (l.newest, l.op),
                    _ => ((version, *write), op.id),
                };
                let merged = vv.as_ref().map(|v| {
                    let mut m = last.and_then(|l| l.vv.clone()).unwrap_or_default();
                    m.merge(v);
                    m
                });
                let by = if merged.is_some() && last.and_then(|l| l.vv.as_ref()) != merged.as_ref()
                {
                    op.id
                } else if merged.is_some() {
                    last.map_or(op.id, |l| l.op)
                } else {
                    by
                };
                s.reads.push(SeenSoFar {
                    complete,
                    newest,
                    vv: merged,
                    op: by,
                });
            }
            _ => {}
        }
    }

    /// Reads against every acknowledged write (stale reads).
    fn against_everyone(&mut self, op: &Operation) -> Vec<AnomalyKind> {
        let complete = op.complete.unwrap_or(op.invoke);
        match (&op.kind, &op.result) {
            (OpKind::Write { key, .. }, OpResult::Written { dot: Some(dot), .. }) => {
                let list = self
                    .acked_dots
                    .entry(key.clone())
                    .or_default()
                    .entry(dot.0)
                    .or_default();
                let max_counter = list.last().map_or(dot.1, |p| p.max_counter.max(dot.1));
                list.push(AckedDot {
                    complete,
                    counter: dot.1,
                    op: op.id,
                    max_counter,
                });
                Vec::new()
            }
            (OpKind::Write { key, .. }, OpResult::Written { lsn, epoch, .. }) => {
                let list = self.acked.entry(key.clone()).or_default();
                let version = (*epoch, *lsn);
                let newest = match list.last() {
                    Some(prev) if prev.newest.0 >= version => prev.newest,
                    _ => (version, op.id),
                };
                list.push(Acked {
                    complete,
                    version,
                    op: op.id,
                    newest,
                });
                Vec::new()
            }
            (
                OpKind::Read { key },
                OpResult::Read {
                    write,
                    others,
                    vv: Some(vv),
                    ..
                },
            ) => {
                let Some(by_node) = self.acked_dots.get(key) else {
                    return Vec::new();
                };
                let returned: BTreeSet<OpId> =
                    crate::sort::set(write.iter().copied().chain(others.iter().map(|(_, w)| *w)));
                // The newest write acknowledged before the read began that the read does not
                // reflect (neither returned it nor returned something that saw it). Per
                // accepting node, a prefix maximum of write counters makes the usual case (no
                // such write) a binary search.
                let mut missed: Option<(Time, OpId)> = None;
                for (node, list) in by_node {
                    let n = list.partition_point(|a| a.complete < op.invoke);
                    let seen = vv.get(*node);
                    if n == 0 || list[n - 1].max_counter <= seen {
                        continue;
                    }
                    let latest = list[..n].iter().rev().find(|a| {
                        a.counter > seen && !self.lost.contains(&a.op) && !returned.contains(&a.op)
                    });
                    if let Some(a) = latest {
                        if missed.is_none_or(|m| (a.complete, a.op) > m) {
                            missed = Some((a.complete, a.op));
                        }
                    }
                }
                match missed {
                    Some((_, m)) => vec![AnomalyKind::StaleRead {
                        op: op.id,
                        returned: *write,
                        missed: m,
                    }],
                    None => Vec::new(),
                }
            }
            (
                OpKind::Read { key },
                OpResult::Read {
                    write, lsn, epoch, ..
                },
            ) => {
                let Some(list) = self.acked.get(key) else {
                    return Vec::new();
                };
                // Writes acknowledged strictly before the read began.
                let n = list.partition_point(|a| a.complete < op.invoke);
                if n == 0 {
                    return Vec::new();
                }
                // The newest such write that has not been lost (the prefix maximum, unless that
                // one was lost, which is rare).
                let newest = match list[n - 1].newest {
                    (v, o) if !self.lost.contains(&o) => Some((v, o)),
                    _ => list[..n]
                        .iter()
                        .filter(|a| !self.lost.contains(&a.op))
                        .map(|a| (a.version, a.op))
                        .max(),
                };
                match newest {
                    Some((v, missed)) if (*epoch, *lsn) < v && *write != Some(missed) => {
                        vec![AnomalyKind::StaleRead {
                            op: op.id,
                            returned: *write,
                            missed,
                        }]
                    }
                    _ => Vec::new(),
                }
            }
            _ => Vec::new(),
        }
    }
}

/// What became of one client write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fate {
    /// The client is still waiting.
    Pending,
    /// Acknowledged, and in the log of the newest leader.
    Durable,
    /// Acknowledged, but a leader was elected without it.
    Lost,
    /// The client never learned the outcome; `present` says whether the newest leader has it.
    Indeterminate,
    /// Definitely not applied.
    Failed,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WriteFate {
    pub op: OpId,
    pub key: String,
    pub value: String,
    pub acked: bool,
    /// Nodes whose log holds the write now.
    pub holders: Vec<NodeId>,
    pub fate: Fate,
    /// For indeterminate writes: whether the newest leader holds it.
    pub present: bool,
    pub why: String,
}

/// The fate of every write in `history`. With a single leader, writes are judged against the
/// log of the newest leader (`authority`); otherwise a write is lost when conflict resolution
/// discarded it or when no node holds it.
pub fn fates(
    history: &History,
    nodes: &[NodeSlot],
    authority: Option<(u64, NodeId)>,
    anomalies: &[Anomaly],
    discarded: &BTreeMap<OpId, (OpId, &'static str)>,
) -> Vec<WriteFate> {
    let lost_by: BTreeMap<OpId, (NodeId, u64)> =
        crate::sort::map(anomalies.iter().filter_map(|a| match a.kind {
            AnomalyKind::LostWrite { op, leader, epoch } => Some((op, (leader, epoch))),
            _ => None,
        }));
    history
        .iter()
        .filter_map(|op| {
            let OpKind::Write { key, value } = &op.kind else {
                return None;
            };
            let holders: Vec<NodeId> = nodes
                .iter()
                .enumerate()
                .filter(|(_, s)| s.logic.holds(op.id))
                .map(|(i, _)| i as NodeId)
                .collect();
            let present = match authority {
                Some((_, n)) => holders.contains(&n),
                None => !holders.is_empty() && !discarded.contains_key(&op.id),
            };
            let (fate, why) = match &op.result {
                OpResult::Pending => (Fate::Pending, "waiting for acknowledgement".to_string()),
                OpResult::Written { .. } if discarded.contains_key(&op.id) => {
                    let (by, why) = discarded[&op.id];
                    (Fate::Lost, format!("discarded in favour of #{by}: {why}"))
                }
                OpResult::Written { .. } if present => (
                    Fate::Durable,
                    format!("held by {} of {} nodes", holders.len(), nodes.len()),
                ),
                OpResult::Written { .. } => match (authority, lost_by.get(&op.id)) {
                    (_, Some(&(leader, epoch))) | (Some((epoch, leader)), None) => (
                        Fate::Lost,
                        format!("n{leader} became leader in epoch {epoch} without it"),
                    ),
                    (None, None) => (Fate::Lost, "no node holds it".to_string()),
                },
                OpResult::Indeterminate { reason } => (Fate::Indeterminate, reason.clone()),
                OpResult::Failed { reason } => (Fate::Failed, reason.clone()),
                OpResult::Read { .. } => unreachable!("a write has no read result"),
            };
            Some(WriteFate {
                op: op.id,
                key: key.clone(),
                value: value.clone(),
                acked: matches!(op.result, OpResult::Written { .. }),
                holders,
                fate,
                present,
                why,
            })
        })
        .collect()
}

/// Latency percentiles in microseconds (nearest rank).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Percentiles {
    pub count: usize,
    pub p50: Time,
    pub p95: Time,
    pub p99: Time,
    pub max: Time,
}

impl Percentiles {
    pub fn of(mut xs: Vec<Time>) -> Self {
        crate::sort::sort(&mut xs);
        let pick = |p: usize| -> Time {
            if xs.is_empty() {
                0
            } else {
                xs[((xs.len() * p).div_ceil(100)).clamp(1, xs.len()) - 1]
            }
        };
        Percentiles {
            count: xs.len(),
            p50: pick(50),
            p95: pick(95),
            p99: pick(99),
            max: xs.last().copied().unwrap_or(0),
        }
    }
}

/// The writes whose fate is lost.
pub fn lost_writes(fates: &[WriteFate]) -> BTreeSet<OpId> {
    crate::sort::set(fates.iter().filter(|f| f.fate == Fate::Lost).map(|f| f.op))
}

/// The stale reads (see the module docs) among the successful reads kept in `history`, each
/// with the write it missed: the reads flagged `stale-read` or `read-your-writes` in
/// `anomalies`, once each. Every panel that counts or marks stale reads uses this.
pub fn stale_reads(history: &History, anomalies: &[Anomaly]) -> BTreeMap<OpId, OpId> {
    let mut out = BTreeMap::new();
    for (op, missed) in anomalies.iter().filter_map(|a| a.kind.stale_read()) {
        let read_ok = history
            .get(op)
            .is_some_and(|o| matches!(o.result, OpResult::Read { .. }));
        if read_ok {
            out.entry(op).or_insert(missed);
        }
    }
    out
}

/// For each successful read, in history order: (its id, its invoke time, its staleness), with
/// staleness as the module docs define it: 0 unless the read is a stale read (flagged in
/// `anomalies`), else how long before it began a newer value than the one it returned had been
/// acknowledged, measured against the writes not lost by the end of the run (see
/// [`series::staleness`]) or, when every such write was lost later, against the write it missed.
/// When that write is no longer kept either (long runs), the staleness is 0.
pub fn read_staleness(
    history: &History,
    fates: &[WriteFate],
    anomalies: &[Anomaly],
) -> Vec<(OpId, Time, Time)> {
    let stale = stale_reads(history, anomalies);
    let mut ages = series::staleness(history, &lost_writes(fates));
    for (op, invoke, age) in &mut ages {
        *age = match stale.get(op) {
            None => 0,
            Some(_) if *age > 0 => *age,
            Some(missed) => history
                .get(*missed)
                .and_then(|w| w.complete)
                .filter(|&c| c < *invoke)
                .map_or(0, |c| *invoke - c),
        };
    }
    ages
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Metrics {
    pub writes: usize,
    pub writes_acked: usize,
    pub writes_lost: usize,
    pub writes_indeterminate: usize,
    pub writes_failed: usize,
    pub reads: usize,
    pub reads_ok: usize,
    /// Successful reads that missed a write acknowledged before they began, once per read: the
    /// reads flagged `stale-read` or `read-your-writes` (see the module docs).
    pub stale_reads: usize,
    pub split_brains: usize,
    pub conflicts: usize,
    pub discarded_writes: usize,
    pub out_of_order: usize,
    /// Stale reads whose missed write was the reader's own (included in `stale_reads`).
    pub read_your_writes: usize,
    pub monotonic_reads: usize,
    pub consistent_prefix: usize,
    /// Every anomaly kept, one per finding (a read can bring two: stale and monotonic).
    pub anomalies: usize,
    /// Share of finished operations that succeeded, in parts per million.
    pub availability_ppm: u32,
    /// Successful operations per second of virtual time.
    pub throughput_ops_per_s: f64,
    pub write_latency_us: Percentiles,
    pub read_latency_us: Percentiles,
    /// Per successful read: how long before it began a newer value than the one it returned
    /// had been acknowledged (0 when fresh); see [`series::staleness`].
    pub staleness_us: Percentiles,
    /// `stale_reads` over `reads_ok`, in parts per million.
    pub stale_read_ppm: u32,
    /// The metrics above cover the operations kept in the history: those invoked from this
    /// time on (0 while nothing is forgotten) ...
    pub since_us: Time,
    /// ... after this many older operations, no longer kept.
    pub forgotten_ops: u64,
    pub stats: Stats,
}

pub fn metrics(
    history: &History,
    fates: &[WriteFate],
    anomalies: &[Anomaly],
    stats: &Stats,
    now: Time,
) -> Metrics {
    let since = match history.start() {
        0 => 0,
        _ => history.iter().next().map_or(now, |o| o.invoke),
    };
    let stale = read_staleness(history, fates, anomalies);
    let stale_reads = stale_reads(history, anomalies).len();
    let read_your_writes = crate::sort::set(anomalies.iter().filter_map(|a| match a.kind {
        AnomalyKind::ReadYourWrites { op, .. } if history.get(op).is_some() => Some(op),
        _ => None,
    }))
    .len();
    let count = |f: Fate| fates.iter().filter(|w| w.fate == f).count();
    let reads: Vec<&Operation> = history.iter().filter(|o| !o.is_write()).collect();
    let reads_ok = reads
        .iter()
        .filter(|o| matches!(o.result, OpResult::Read { .. }))
        .count();
    let finished = history
        .iter()
        .filter(|o| o.result != OpResult::Pending)
        .count();
    let ok = history
        .iter()
        .filter(|o| matches!(o.result, OpResult::Written { .. } | OpResult::Read { .. }))
        .count();
    let lat = |write: bool| {
        Percentiles::of(
            history
                .iter()
                .filter(|o| o.is_write() == write)
                .filter(|o| matches!(o.result, OpResult::Written { .. } | OpResult::Read { .. }))
                .filter_map(|o| o.latency())
                .collect(),
        )
    };
    let kinds = |name: &str| anomalies.iter().filter(|a| a.kind.name() == name).count();
    Metrics {
        writes: fates.len(),
        writes_acked: fates.iter().filter(|w| w.acked).count(),
        writes_lost: count(Fate::Lost),
        writes_indeterminate: count(Fate::Indeterminate),
        writes_failed: count(Fate::Failed),
        reads: reads.len(),
        reads_ok,
        stale_reads,
        split_brains: kinds("split-brain"),
        conflicts: kinds("conflict"),
        discarded_writes: kinds("discarded"),
        out_of_order: kinds("out-of-order"),
        read_your_writes,
        monotonic_reads: kinds("monotonic-read"),
        consistent_prefix: kinds("consistent-prefix"),
        anomalies: anomalies.len(),
        availability_ppm: if finished == 0 {
            1_000_000
        } else {
            (ok as u64 * 1_000_000 / finished as u64) as u32
        },
        throughput_ops_per_s: if now <= since {
            0.0
        } else {
            ok as f64 * 1e6 / (now - since) as f64
        },
        write_latency_us: lat(true),
        read_latency_us: lat(false),
        staleness_us: Percentiles::of(stale.iter().map(|s| s.2).collect()),
        stale_read_ppm: if reads_ok == 0 {
            0
        } else {
            (stale_reads as u64 * 1_000_000 / reads_ok as u64) as u32
        },
        since_us: since,
        forgotten_ops: history.start() as u64,
        stats: stats.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::ReadFrom;

    fn op(
        id: OpId,
        client: ClientId,
        kind: OpKind,
        t: (Time, Time),
        result: OpResult,
    ) -> Operation {
        Operation {
            id,
            client,
            kind,
            from: ReadFrom::Leader,
            node: 0,
            invoke: t.0,
            complete: Some(t.1),
            attempts: 1,
            result,
        }
    }
    fn write(id: OpId, client: ClientId, t: (Time, Time), lsn: u64) -> Operation {
        let kind = OpKind::Write {
            key: "x".into(),
            value: id.to_string(),
        };
        let result = OpResult::Written {
            lsn,
            epoch: 1,
            dot: None,
        };
        op(id, client, kind, t, result)
    }
    fn read(id: OpId, client: ClientId, t: (Time, Time), of: OpId, lsn: u64) -> Operation {
        let kind = OpKind::Read { key: "x".into() };
        let result = OpResult::Read {
            value: Some(of.to_string()),
            write: Some(of),
            lsn,
            epoch: 1,
            others: Vec::new(),
            vv: None,
        };
        op(id, client, kind, t, result)
    }

    /// After the oldest operations are forgotten, reads are still checked against the newest
    /// write acknowledged before the oldest operation kept, and the state shrinks.
    #[test]
    fn forgetting_keeps_what_later_reads_need() {
        let mut live = Live::default();
        for (id, t) in [(0, 10), (1, 20), (2, 30)] {
            let w = write(id, 0, (t - 5, t), id as u64 + 1);
            live.on_invoke(&w);
            assert!(live.on_complete(&w).is_empty());
        }
        let r = read(3, 1, (40, 45), 2, 3);
        assert!(live.on_complete(&r).is_empty());
        live.forget(4, 100);
        assert_eq!(
            live.acked["x"].len(),
            1,
            "only the newest write before the cut stays"
        );
        assert_eq!(live.sessions[&(1, "x".to_string())].reads.len(), 1);
        assert!(live.versions.len() <= 2, "{:?}", live.versions);
        // Another client reads the older value: stale, against the forgotten past's newest.
        let stale = read(4, 1, (100, 110), 1, 2);
        let found = live.on_complete(&stale);
        assert!(
            found
                .iter()
                .any(|a| matches!(a, AnomalyKind::StaleRead { missed: 2, .. })),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|a| matches!(a, AnomalyKind::MonotonicRead { earlier: 3, .. })),
            "{found:?}"
        );
        // The writer itself reading the older value misses its own write.
        let own = read(5, 0, (120, 130), 1, 2);
        let found = live.on_complete(&own);
        assert!(
            found
                .iter()
                .any(|a| matches!(a, AnomalyKind::ReadYourWrites { missed: 2, .. })),
            "{found:?}"
        );
        let fresh = read(6, 2, (140, 150), 2, 3);
        assert!(live.on_complete(&fresh).is_empty());
    }

    #[test]
    fn percentiles_nearest_rank() {
        let p = Percentiles::of((1..=100).collect());
        assert_eq!(
            (p.p50, p.p95, p.p99, p.max, p.count),
            (50, 95, 99, 100, 100)
        );
        assert_eq!(Percentiles::of(vec![]).p99, 0);
        assert_eq!(Percentiles::of(vec![7]).p50, 7);
    }
}
