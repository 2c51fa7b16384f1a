//! Checkers: anomalies found live as the run advances, per-write fate, summary metrics.
//!
//! Definitions used here (the page and the CLI show them with these words):
//! - **stale read**: a read returned a value older than one whose write was acknowledged before
//!   the read began (writes already lost in a failover do not count: that is a lost write).
//! - **lost write**: a write was acknowledged, and then a leader was elected whose log does not
//!   hold it. From then on the replicated history goes on without it. Should a leader that holds
//!   it be elected again later, the write has come back: the anomaly is *retracted* (it stays in
//!   the list, marked with when and why, and no count includes it) and the write's fate is
//!   judged again.
//! - **split brain**: two nodes, each believing it leads (in different epochs), accepted writes
//!   at overlapping times.
//! - **discarded write**: conflict resolution (last-write-wins, highest replica) replaced an
//!   acknowledged write `L` by a write `W` that did not carry it in its version vector, and `W`
//!   did not come after `L`: either `W` came before `L` (it was acknowledged before `L` was
//!   invoked, or `L`'s writer had seen it) and still won (a skewed clock, a higher node number),
//!   or the two were concurrent (neither came before the other). It counts as lost. When `W`
//!   came after `L` (`L` was acknowledged before `W` was invoked, or `W`'s writer had seen `L`)
//!   `L` was merely *superseded*: no anomaly. A write never acknowledged is never lost: its fate
//!   stays indeterminate.
//! - **conflict**: writes to one key that are concurrent in the sense of Dynamo and DDIA:
//!   neither writer had seen the other write (by the causal contexts clients carry, see
//!   `Client::contexts`), whatever their timing.
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
use crate::strategy::versioned::{Dot, Resolution, Vv};
use crate::types::ClientId;
use crate::types::{NodeId, OpId, Time};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Anomaly {
    /// When it was found (µs of virtual time; JSON names carry the unit).
    #[serde(rename = "t_us")]
    pub t: Time,
    #[serde(flatten)]
    pub kind: AnomalyKind,
    /// Set when later events showed the anomaly did not happen after all (a lost write came
    /// back); counts leave it out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retracted: Option<Retraction>,
}

impl Anomaly {
    pub fn new(t: Time, kind: AnomalyKind) -> Self {
        Anomaly {
            t,
            kind,
            retracted: None,
        }
    }
}

/// When and why an anomaly was retracted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Retraction {
    pub t: Time,
    pub why: String,
    /// The number of the event that retracted it, so that restoring a checkpoint taken before
    /// that event can undo it (the anomaly list itself is not copied into checkpoints).
    #[serde(skip)]
    pub event: u64,
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
}

/// The kinds of anomaly, without their details: what counts are kept by and what the page
/// explains. Every function below matches exhaustively, so a new kind does not compile until it
/// has a name, a title and a definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    StaleRead,
    LostWrite,
    SplitBrain,
    Discarded,
    Conflict,
    OutOfOrder,
    ReadYourWrites,
    MonotonicRead,
    ConsistentPrefix,
}

impl Kind {
    /// How many kinds there are.
    pub const COUNT: usize = 9;
    /// Every kind, in [`Kind::index`] order.
    pub const ALL: [Kind; Kind::COUNT] = [
        Kind::StaleRead,
        Kind::LostWrite,
        Kind::SplitBrain,
        Kind::Discarded,
        Kind::Conflict,
        Kind::OutOfOrder,
        Kind::ReadYourWrites,
        Kind::MonotonicRead,
        Kind::ConsistentPrefix,
    ];

    /// The kind's place in [`Kind::ALL`] (and in [`Counts`]).
    pub fn index(self) -> usize {
        match self {
            Kind::StaleRead => 0,
            Kind::LostWrite => 1,
            Kind::SplitBrain => 2,
            Kind::Discarded => 3,
            Kind::Conflict => 4,
            Kind::OutOfOrder => 5,
            Kind::ReadYourWrites => 6,
            Kind::MonotonicRead => 7,
            Kind::ConsistentPrefix => 8,
        }
    }

    /// The kind's name in JSON and in the page's filters.
    pub fn name(self) -> &'static str {
        match self {
            Kind::StaleRead => "stale-read",
            Kind::LostWrite => "lost-write",
            Kind::SplitBrain => "split-brain",
            Kind::Discarded => "discarded",
            Kind::Conflict => "conflict",
            Kind::OutOfOrder => "out-of-order",
            Kind::ReadYourWrites => "read-your-writes",
            Kind::MonotonicRead => "monotonic-read",
            Kind::ConsistentPrefix => "consistent-prefix",
        }
    }

    /// A short plural title, for tables of counts.
    pub fn title(self) -> &'static str {
        match self {
            Kind::StaleRead => "stale reads",
            Kind::LostWrite => "lost writes (failover)",
            Kind::SplitBrain => "split brains",
            Kind::Discarded => "writes lost to conflict resolution",
            Kind::Conflict => "conflicts",
            Kind::OutOfOrder => "out-of-order applies",
            Kind::ReadYourWrites => "read-your-writes violations",
            Kind::MonotonicRead => "monotonic-read violations",
            Kind::ConsistentPrefix => "consistent-prefix violations",
        }
    }

    /// What an anomaly of this kind means (the module documentation in one sentence).
    pub fn definition(self) -> &'static str {
        match self {
            Kind::StaleRead => "A read returned an older value than one whose write had been acknowledged before the read began.",
            Kind::LostWrite => "An acknowledged write is missing from the log of a newly elected leader, so the history goes on without it (retracted if a leader holding it is elected again).",
            Kind::SplitBrain => "Two nodes, each believing it leads, accepted writes at the same time.",
            Kind::Discarded => "Conflict resolution threw away an acknowledged write in favour of one that did not come after it: a concurrent write, or an earlier one that won by its clock or node number.",
            Kind::Conflict => "Writes to one key whose writers had not seen each other's write (concurrent in the causal sense).",
            Kind::OutOfOrder => "A replica applied a write before an earlier write to the same key that it depends on.",
            Kind::ReadYourWrites => "A client's read missed a write the same client had already been acknowledged.",
            Kind::MonotonicRead => "A client's read saw less of a key than one of its earlier reads.",
            Kind::ConsistentPrefix => "A client saw a write but then missed an earlier write that it causally depends on.",
        }
    }
}

impl AnomalyKind {
    pub fn kind(&self) -> Kind {
        match self {
            AnomalyKind::StaleRead { .. } => Kind::StaleRead,
            AnomalyKind::LostWrite { .. } => Kind::LostWrite,
            AnomalyKind::SplitBrain { .. } => Kind::SplitBrain,
            AnomalyKind::Discarded { .. } => Kind::Discarded,
            AnomalyKind::Conflict { .. } => Kind::Conflict,
            AnomalyKind::OutOfOrder { .. } => Kind::OutOfOrder,
            AnomalyKind::ReadYourWrites { .. } => Kind::ReadYourWrites,
            AnomalyKind::MonotonicRead { .. } => Kind::MonotonicRead,
            AnomalyKind::ConsistentPrefix { .. } => Kind::ConsistentPrefix,
        }
    }

    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// This anomaly in one line of plain words (the CLI summary and the golden files use it).
    pub fn describe(&self) -> String {
        match self {
            AnomalyKind::StaleRead {
                op,
                returned,
                missed,
            } => match returned {
                Some(w) => format!("stale read #{op} returned write #{w}, missed #{missed}"),
                None => format!("stale read #{op} returned nothing, missed #{missed}"),
            },
            AnomalyKind::LostWrite { op, leader, epoch } => {
                format!("lost write #{op} (n{leader} leads epoch {epoch} without it)")
            }
            AnomalyKind::Discarded { op, by, why } => {
                format!("write #{op} discarded for #{by}: {why}")
            }
            AnomalyKind::Conflict { key, writes } => {
                let ws: Vec<String> = writes.iter().map(|w| format!("#{w}")).collect();
                format!("conflict on {key}: {}", ws.join(" vs "))
            }
            AnomalyKind::OutOfOrder {
                node,
                write,
                missing,
            } => format!("n{node} applied #{write} before #{missing}, which it depends on"),
            AnomalyKind::ReadYourWrites { op, missed } => {
                format!("read #{op} missed its own client's write #{missed}")
            }
            AnomalyKind::MonotonicRead { op, earlier } => {
                format!("read #{op} went back in time from read #{earlier}")
            }
            AnomalyKind::ConsistentPrefix { op, saw, missed } => format!(
                "read #{op} missed #{missed}, although its client saw #{saw}, which depends on it"
            ),
            AnomalyKind::SplitBrain { nodes, epochs } => format!(
                "split brain: n{} (epoch {}) and n{} (epoch {})",
                nodes[0], epochs[0], nodes[1], epochs[1]
            ),
        }
    }
}

/// Anomalies counted per kind: the one count every panel, the CLI and the metrics use.
/// Retracted anomalies are not counted as their kind, only as retracted. In JSON: every kind's
/// name with its count, and `retracted`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    by_kind: [usize; Kind::COUNT],
    /// Anomalies later retracted (a lost write that came back).
    pub retracted: usize,
}

impl Counts {
    pub fn of<'a>(anomalies: impl IntoIterator<Item = &'a Anomaly>) -> Self {
        let mut c = Counts::default();
        for a in anomalies {
            if a.retracted.is_some() {
                c.retracted += 1;
            } else {
                c.by_kind[a.kind.kind().index()] += 1;
            }
        }
        c
    }
    pub fn get(&self, k: Kind) -> usize {
        self.by_kind[k.index()]
    }
    /// Every anomaly that stands (retracted ones left out).
    pub fn total(&self) -> usize {
        self.by_kind.iter().sum()
    }
}

impl Serialize for Counts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(Kind::COUNT + 1))?;
        for k in Kind::ALL {
            m.serialize_entry(k.name(), &self.get(k))?;
        }
        m.serialize_entry("retracted", &self.retracted)?;
        m.end()
    }
}

/// How a write replaced by conflict resolution relates to the write that replaced it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Overwrite {
    /// The winner came after it (its writer had seen it, or it had been acknowledged before the
    /// winner was invoked): an ordinary overwrite, nothing lost.
    Superseded,
    /// The winner came before it (it was acknowledged before this one was invoked, or this
    /// one's writer had seen it) and still won: lost.
    EarlierWon,
    /// Neither came before the other: concurrent writes, one of which had to lose.
    Concurrent,
}

/// The checkers' verdict on one write that conflict resolution replaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Overwritten {
    pub by: OpId,
    pub how: Overwrite,
    pub rule: Resolution,
}

impl Overwritten {
    /// Why the write counts as lost (None: it was superseded, not lost).
    pub fn lost_because(&self) -> Option<&'static str> {
        let hr = self.rule == Resolution::HighestReplica;
        match self.how {
            Overwrite::Superseded => None,
            Overwrite::EarlierWon if hr => {
                Some("an earlier write won: it was accepted by a higher-numbered node")
            }
            Overwrite::EarlierWon => {
                Some("an earlier write won: its timestamp was later (clock skew)")
            }
            Overwrite::Concurrent if hr => {
                Some("a concurrent write won: it was accepted by a higher-numbered node")
            }
            Overwrite::Concurrent => Some("a concurrent write won under last-write-wins"),
        }
    }
}

/// What the checkers know of one write, to tell which writes came before which.
#[derive(Clone, Debug, PartialEq, Eq)]
struct WriteFacts {
    invoke: Time,
    /// When it was acknowledged, once it was.
    acked: Option<Time>,
    /// Its dot, once a node accepted it (multi-leader, leaderless).
    dot: Option<Dot>,
    /// Everything its writer had seen of the key when it was accepted (shared, so that
    /// checkpoints copy a pointer).
    context: Option<Rc<Vv>>,
}

impl WriteFacts {
    /// Had this write's writer seen `other` (by the causal context it carried)?
    fn saw(&self, other: &WriteFacts) -> bool {
        match (&self.context, other.dot) {
            (Some(c), Some(d)) => c.contains(d),
            _ => false,
        }
    }
}

/// Whether `w` came after `l`, before it, or neither (see [`Overwrite`]).
fn order(l: &WriteFacts, w: &WriteFacts) -> Overwrite {
    if w.saw(l) || l.acked.is_some_and(|t| t < w.invoke) {
        Overwrite::Superseded
    } else if l.saw(w) || w.acked.is_some_and(|t| t < l.invoke) {
        Overwrite::EarlierWon
    } else {
        Overwrite::Concurrent
    }
}

/// The newest single-leader leader, as [`Live::on_complete`] needs it to judge a write
/// acknowledged by a leader that had already been superseded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewestLeader {
    pub epoch: u64,
    pub node: NodeId,
    /// Whether its log holds the operation just completed.
    pub holds: bool,
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
    split_brain_seen: BTreeSet<(u64, u64)>,
    conflicts_seen: BTreeSet<Vec<OpId>>,
    overtakes_seen: BTreeSet<(NodeId, OpId)>,
    /// Writes known lost or discarded: a read that misses them is not stale.
    pub lost: BTreeSet<OpId>,
    /// Single-leader writes declared lost and not retracted: the leader and epoch that lacked
    /// them.
    lost_at: BTreeMap<OpId, (NodeId, u64)>,
    /// What is known of each write (from its invocation on), to order writes.
    facts: BTreeMap<OpId, WriteFacts>,
    /// Which write each dot names.
    by_dot: BTreeMap<Dot, OpId>,
    /// Writes replaced by conflict resolution, with the verdict (the first report counts).
    overwritten: BTreeMap<OpId, Overwritten>,
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
        self.facts.insert(
            op.id,
            WriteFacts {
                invoke: op.invoke,
                acked: None,
                dot: None,
                context: None,
            },
        );
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

    /// A node accepted write `write` (with its dot, multi-leader and leaderless).
    pub fn on_accepted(&mut self, write: OpId, dot: Option<Dot>) {
        let Some(d) = dot else {
            return;
        };
        self.by_dot.insert(d, write);
        if let Some(f) = self.facts.get_mut(&write) {
            f.dot.get_or_insert(d);
        }
    }

    /// The causal context write `write` was accepted with (see `node::Effect::Context`).
    pub fn on_context(&mut self, write: OpId, context: Vv) {
        if let Some(f) = self.facts.get_mut(&write) {
            if f.context.is_none() {
                f.context = Some(Rc::new(context));
            }
        }
    }

    /// Conflict resolution (`rule`) replaced `loser` by `winner`, which did not carry it.
    /// Judges whether that lost `loser` (see the module documentation); returns the anomaly if
    /// the loser was acknowledged (one still pending is judged when it completes, one never
    /// acknowledged is indeterminate and never "lost").
    pub fn on_overwritten(
        &mut self,
        loser: OpId,
        winner: OpId,
        rule: Resolution,
    ) -> Option<AnomalyKind> {
        if self.overwritten.contains_key(&loser) {
            return None;
        }
        // A write no longer known (forgotten with the oldest history) is not judged.
        let (l, w) = (self.facts.get(&loser)?, self.facts.get(&winner)?);
        let verdict = Overwritten {
            by: winner,
            how: order(l, w),
            rule,
        };
        let acked = l.acked.is_some();
        self.overwritten.insert(loser, verdict);
        let why = verdict.lost_because()?;
        self.lost.insert(loser);
        acked.then(|| AnomalyKind::Discarded {
            op: loser,
            by: winner,
            why: why.to_string(),
        })
    }

    /// The checkers' verdict on a write conflict resolution replaced, if any.
    pub fn overwritten(&self, write: OpId) -> Option<&Overwritten> {
        self.overwritten.get(&write)
    }

    /// Were writes `a` and `b` concurrent: had neither writer seen the other's write? Writes
    /// no longer known are taken as the store found them (concurrent).
    fn concurrent(&self, a: OpId, b: OpId) -> bool {
        match (self.facts.get(&a), self.facts.get(&b)) {
            (Some(x), Some(y)) => !x.saw(y) && !y.saw(x),
            _ => true,
        }
    }

    /// A store found `writes` to `key` concurrent by its version vectors. Returns the conflict
    /// among those that truly are (each concurrent with another of them), once per set.
    pub fn on_conflict(&mut self, key: String, writes: Vec<OpId>) -> Option<AnomalyKind> {
        let writes: Vec<OpId> = writes
            .iter()
            .copied()
            .filter(|a| writes.iter().any(|b| b != a && self.concurrent(*a, *b)))
            .collect();
        if writes.len() < 2 || !self.conflicts_seen.insert(writes.clone()) {
            return None;
        }
        Some(AnomalyKind::Conflict { key, writes })
    }

    /// Node `node` applied `write` before the write with dot `missing`, which it depends on.
    pub fn on_overtook(&mut self, node: NodeId, write: OpId, missing: Dot) -> Option<AnomalyKind> {
        let before = *self.by_dot.get(&missing)?;
        self.overtakes_seen
            .insert((node, write))
            .then_some(AnomalyKind::OutOfOrder {
                node,
                write,
                missing: before,
            })
    }

    /// Node `node`, leading `epoch`, accepted a write while `others` (node, epoch) also
    /// believed they led.
    pub fn on_leader_write(
        &mut self,
        node: NodeId,
        epoch: u64,
        others: &[(NodeId, u64)],
    ) -> Vec<AnomalyKind> {
        let mut found = Vec::new();
        for &(other, e) in others {
            if self.split_brain_seen.insert((epoch.min(e), epoch.max(e))) {
                found.push(AnomalyKind::SplitBrain {
                    nodes: vec![node.min(other), node.max(other)],
                    epochs: vec![epoch.min(e), epoch.max(e)],
                });
            }
        }
        found
    }

    /// Node `node` was elected leader of `epoch`; `holds` says whether its log holds a write.
    /// Returns the acknowledged writes it lacks (lost, as of now) and the writes declared lost
    /// earlier that it holds: they have come back, so those declarations are retracted.
    pub fn on_new_leader(
        &mut self,
        node: NodeId,
        epoch: u64,
        holds: impl Fn(OpId) -> bool,
    ) -> (Vec<AnomalyKind>, Vec<OpId>) {
        let back: Vec<OpId> = self
            .lost_at
            .keys()
            .copied()
            .filter(|op| holds(*op))
            .collect();
        for op in &back {
            self.lost_at.remove(op);
            self.lost.remove(op);
        }
        // (From the checkers' list rather than the history, which after a seek far back may
        // hold fewer operations than a straight run's.)
        let lost: Vec<OpId> = self
            .acked_log_writes()
            .into_iter()
            .filter(|op| !holds(*op) && !self.lost.contains(op))
            .collect();
        let mut found = Vec::new();
        for op in lost {
            self.lost.insert(op);
            self.lost_at.insert(op, (node, epoch));
            found.push(AnomalyKind::LostWrite {
                op,
                leader: node,
                epoch,
            });
        }
        (found, back)
    }

    /// The leader and epoch that a single-leader write was declared lost by, unless retracted.
    pub fn declared_lost(&self, write: OpId) -> Option<(NodeId, u64)> {
        self.lost_at.get(&write).copied()
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
        self.facts.retain(|id, _| keep(id));
        self.by_dot.retain(|_, w| keep(w));
        self.overwritten.retain(|id, _| keep(id));
        self.lost_at.retain(|id, _| keep(id));
        self.versions.retain(|id, _| keep(id));
        self.deps.retain(|id, _| keep(id));
        self.lost.retain(keep);
        self.conflicts_seen
            .retain(|ws| ws.iter().any(|w| *w >= cut));
        self.overtakes_seen.retain(|(_, w)| *w >= cut);
    }

    /// Called when an operation completes; returns the anomalies it shows. `newest` is the
    /// newest single-leader leader (None otherwise).
    pub fn on_complete(
        &mut self,
        op: &Operation,
        newest: Option<NewestLeader>,
    ) -> Vec<AnomalyKind> {
        let mut found = Vec::new();
        if let OpResult::Written { epoch, .. } = op.result {
            if let Some(f) = self.facts.get_mut(&op.id) {
                f.acked = op.complete;
            }
            // Acknowledged by a leader that has already been superseded, by one without it.
            if let Some(n) = newest {
                if n.epoch > epoch && !n.holds && self.lost.insert(op.id) {
                    self.lost_at.insert(op.id, (n.node, n.epoch));
                    found.push(AnomalyKind::LostWrite {
                        op: op.id,
                        leader: n.node,
                        epoch: n.epoch,
                    });
                }
            }
            // Replaced while it was pending, by a write that did not come after it.
            if let Some(why) = self.overwritten.get(&op.id).and_then(|o| o.lost_because()) {
                found.push(AnomalyKind::Discarded {
                    op: op.id,
                    by: self.overwritten[&op.id].by,
                    why: why.to_string(),
                });
            }
        }
        found.extend(self.against_everyone(op));
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
    /// Acknowledged, and held by a node that is up (with a single leader: in the log of the
    /// newest leader). A write overwritten by one that came after it is durable too: it took
    /// effect, in its place in the order of writes.
    Durable,
    /// Acknowledged and held, but only by nodes that are down now: it is back when one of them
    /// restarts.
    Unavailable,
    /// Acknowledged, but a leader was elected without it, or conflict resolution threw it away
    /// for a write that did not come after it, or no node holds it.
    Lost,
    /// The client never learned the outcome; `present` says whether the newest leader has it.
    Indeterminate,
    /// Definitely not applied.
    Failed,
}

impl Fate {
    /// The fate in one word, as the CLI summary prints it.
    pub fn word(self) -> &'static str {
        match self {
            Fate::Pending => "pending",
            Fate::Durable => "durable",
            Fate::Unavailable => "unavailable",
            Fate::Lost => "LOST",
            Fate::Indeterminate => "indeterminate",
            Fate::Failed => "failed",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WriteFate {
    pub op: OpId,
    pub key: String,
    pub value: String,
    pub acked: bool,
    /// Nodes that store the write now (its log, or its versioned data: current or superseded).
    pub holders: Vec<NodeId>,
    /// Leaderless: nodes holding it only as a hint for another node (sloppy quorum).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hint_holders: Vec<NodeId>,
    pub fate: Fate,
    /// For indeterminate writes: whether the newest leader holds it.
    pub present: bool,
    pub why: String,
}

fn node_list(nodes: &[NodeId]) -> String {
    let names: Vec<String> = nodes.iter().map(|n| format!("n{n}")).collect();
    names.join(" ")
}

/// The fate of every write in `history`. With a single leader, writes are judged against the
/// log of the newest leader (`authority`); otherwise by the checkers' verdict when conflict
/// resolution replaced them, and by where they are stored.
pub fn fates(
    history: &History,
    nodes: &[NodeSlot],
    authority: Option<(u64, NodeId)>,
    live: &Live,
) -> Vec<WriteFate> {
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
            let hint_holders: Vec<NodeId> = nodes
                .iter()
                .enumerate()
                .filter(|(_, s)| s.logic.hints(op.id))
                .map(|(i, _)| i as NodeId)
                .collect();
            let up = |n: &NodeId| nodes[*n as usize].up;
            let overwritten = live.overwritten(op.id);
            let present = match authority {
                Some((_, n)) => holders.contains(&n),
                None => {
                    (!holders.is_empty() || !hint_holders.is_empty())
                        && overwritten.is_none_or(|o| o.lost_because().is_none())
                }
            };
            let (fate, why) = match &op.result {
                OpResult::Pending => (Fate::Pending, "waiting for acknowledgement".to_string()),
                OpResult::Written { .. } => match overwritten {
                    Some(o) => match o.lost_because() {
                        Some(why) => (
                            Fate::Lost,
                            format!("discarded in favour of #{}: {why}", o.by),
                        ),
                        None => (
                            Fate::Durable,
                            format!(
                                "superseded by #{}, which came after it; held by {} of {} nodes",
                                o.by,
                                holders.len(),
                                nodes.len()
                            ),
                        ),
                    },
                    None if present && holders.iter().any(up) => (
                        Fate::Durable,
                        format!("held by {} of {} nodes", holders.len(), nodes.len()),
                    ),
                    None if present && hint_holders.iter().any(up) => (
                        Fate::Durable,
                        format!(
                            "held only as a hint on {}, for its home replicas",
                            node_list(&hint_holders)
                        ),
                    ),
                    None if present => {
                        let on: Vec<NodeId> =
                            crate::sort::set(holders.iter().chain(&hint_holders).copied())
                                .into_iter()
                                .collect();
                        let why = match on.as_slice() {
                            [n] => {
                                format!("held only by n{n}, which is down: back when it restarts")
                            }
                            _ => format!(
                                "held only by {}, all down: back when one of them restarts",
                                node_list(&on)
                            ),
                        };
                        (Fate::Unavailable, why)
                    }
                    None => match (authority, live.declared_lost(op.id)) {
                        (_, Some((leader, epoch))) | (Some((epoch, leader)), None) => (
                            Fate::Lost,
                            format!("n{leader} became leader in epoch {epoch} without it"),
                        ),
                        (None, None) => (Fate::Lost, "no node holds it".to_string()),
                    },
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
                hint_holders,
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
    /// Acknowledged writes held only by nodes that are down now.
    pub writes_unavailable: usize,
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
    /// Lost-write anomalies standing (single-leader failovers; retracted ones left out).
    pub lost_write_anomalies: usize,
    /// Anomalies retracted later (lost writes that came back).
    pub retracted: usize,
    /// Every anomaly standing, of any kind (retracted ones left out): [`Counts::total`].
    pub anomalies: usize,
    /// The standing anomalies per kind (the fields above are read from it), for tables that
    /// list every kind ([`Kind::ALL`], [`Kind::title`]).
    pub counts: Counts,
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
    let counts = Counts::of(anomalies);
    let kinds = |k: Kind| counts.get(k);
    Metrics {
        writes: fates.len(),
        writes_acked: fates.iter().filter(|w| w.acked).count(),
        writes_lost: count(Fate::Lost),
        writes_unavailable: count(Fate::Unavailable),
        writes_indeterminate: count(Fate::Indeterminate),
        writes_failed: count(Fate::Failed),
        reads: reads.len(),
        reads_ok,
        stale_reads,
        split_brains: kinds(Kind::SplitBrain),
        conflicts: kinds(Kind::Conflict),
        discarded_writes: kinds(Kind::Discarded),
        out_of_order: kinds(Kind::OutOfOrder),
        read_your_writes,
        monotonic_reads: kinds(Kind::MonotonicRead),
        consistent_prefix: kinds(Kind::ConsistentPrefix),
        lost_write_anomalies: kinds(Kind::LostWrite),
        retracted: counts.retracted,
        anomalies: counts.total(),
        counts: counts.clone(),
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
            merged: false,
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
            assert!(live.on_complete(&w, None).is_empty());
        }
        let r = read(3, 1, (40, 45), 2, 3);
        assert!(live.on_complete(&r, None).is_empty());
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
        let found = live.on_complete(&stale, None);
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
        let found = live.on_complete(&own, None);
        assert!(
            found
                .iter()
                .any(|a| matches!(a, AnomalyKind::ReadYourWrites { missed: 2, .. })),
            "{found:?}"
        );
        let fresh = read(6, 2, (140, 150), 2, 3);
        assert!(live.on_complete(&fresh, None).is_empty());
    }

    /// A multi-leader or leaderless write: invoked at `t.0`, accepted with `dot` and the causal
    /// `context` its writer carried, acknowledged at `t.1` (or still pending when `acked` is
    /// false).
    struct VWrite {
        id: OpId,
        client: ClientId,
        t: (Time, Time),
        dot: Dot,
        context: &'static [(NodeId, u64)],
    }

    fn vop(w: &VWrite, result: OpResult) -> Operation {
        let kind = OpKind::Write {
            key: "k".into(),
            value: w.id.to_string(),
        };
        let mut o = op(w.id, w.client, kind, w.t, result);
        if o.result == OpResult::Pending {
            o.complete = None;
        }
        o
    }

    fn written(w: &VWrite) -> OpResult {
        OpResult::Written {
            lsn: 0,
            epoch: 0,
            dot: Some(w.dot),
        }
    }

    /// Invokes and accepts `w` (not yet acknowledged).
    fn start(live: &mut Live, w: &VWrite) {
        live.on_invoke(&vop(w, OpResult::Pending));
        live.on_accepted(w.id, Some(w.dot));
        live.on_context(w.id, Vv(w.context.iter().copied().collect()));
    }

    /// Acknowledges `w`; returns what the checkers found.
    fn ack(live: &mut Live, w: &VWrite) -> Vec<AnomalyKind> {
        live.on_complete(&vop(w, written(w)), None)
    }

    /// Runs `l` and `w` (both acknowledged, in the order of their acknowledgements), reports
    /// that `rule` replaced `l` by `w`, and returns the verdict and the anomalies.
    fn judge(l: VWrite, w: VWrite, rule: Resolution) -> (Overwrite, Vec<AnomalyKind>) {
        let mut live = Live::default();
        let (first, second) = if l.t.1 <= w.t.1 { (&l, &w) } else { (&w, &l) };
        start(&mut live, first);
        if second.t.0 < first.t.1 {
            start(&mut live, second);
            assert!(ack(&mut live, first).is_empty());
        } else {
            assert!(ack(&mut live, first).is_empty());
            start(&mut live, second);
        }
        assert!(ack(&mut live, second).is_empty());
        let found: Vec<AnomalyKind> = live.on_overwritten(l.id, w.id, rule).into_iter().collect();
        (live.overwritten(l.id).expect("judged").how, found)
    }

    #[test]
    fn the_same_clients_later_write_supersedes_its_earlier_one() {
        // Overlapping in time (the client did not wait), but the later write carried the
        // earlier one in its session context: it came after it.
        let l = VWrite {
            id: 1,
            client: 0,
            t: (100, 300),
            dot: (0, 1),
            context: &[],
        };
        let w = VWrite {
            id: 2,
            client: 0,
            t: (200, 400),
            dot: (0, 2),
            context: &[(0, 1)],
        };
        let (how, found) = judge(l, w, Resolution::LastWriteWins);
        assert_eq!(how, Overwrite::Superseded);
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn a_write_after_reading_another_supersedes_it() {
        let l = VWrite {
            id: 1,
            client: 0,
            t: (100, 300),
            dot: (0, 1),
            context: &[],
        };
        let w = VWrite {
            id: 2,
            client: 1,
            t: (250, 400),
            dot: (1, 1),
            context: &[(0, 1)],
        };
        assert_eq!(
            judge(l, w, Resolution::HighestReplica).0,
            Overwrite::Superseded
        );
    }

    #[test]
    fn a_write_invoked_after_the_other_was_acknowledged_supersedes_it() {
        // Causally unrelated (neither writer saw the other), but ordered in real time.
        let l = VWrite {
            id: 1,
            client: 0,
            t: (100, 200),
            dot: (0, 1),
            context: &[],
        };
        let w = VWrite {
            id: 2,
            client: 1,
            t: (300, 400),
            dot: (1, 1),
            context: &[],
        };
        let (how, found) = judge(l, w, Resolution::LastWriteWins);
        assert_eq!(how, Overwrite::Superseded);
        assert!(found.is_empty());
    }

    #[test]
    fn an_earlier_write_that_wins_loses_the_later_one_to_clock_skew() {
        // In real time: w was acknowledged before l began, and still won.
        let w = VWrite {
            id: 1,
            client: 0,
            t: (100, 200),
            dot: (0, 1),
            context: &[],
        };
        let l = VWrite {
            id: 2,
            client: 1,
            t: (300, 400),
            dot: (1, 1),
            context: &[],
        };
        let (how, found) = judge(l, w, Resolution::LastWriteWins);
        assert_eq!(how, Overwrite::EarlierWon);
        let [AnomalyKind::Discarded { op: 2, by: 1, why }] = found.as_slice() else {
            panic!("{found:?}");
        };
        assert!(
            why.contains("earlier write won") && why.contains("clock skew"),
            "{why}"
        );
        // Causally: l's writer had seen w (they overlap in time).
        let w = VWrite {
            id: 1,
            client: 0,
            t: (100, 300),
            dot: (0, 1),
            context: &[],
        };
        let l = VWrite {
            id: 2,
            client: 1,
            t: (200, 400),
            dot: (1, 1),
            context: &[(0, 1)],
        };
        let (how, found) = judge(l, w, Resolution::HighestReplica);
        assert_eq!(how, Overwrite::EarlierWon);
        let [AnomalyKind::Discarded { why, .. }] = found.as_slice() else {
            panic!("{found:?}");
        };
        assert!(why.contains("higher-numbered node"), "{why}");
    }

    #[test]
    fn truly_concurrent_writes_lose_one_to_last_write_wins() {
        let l = VWrite {
            id: 1,
            client: 0,
            t: (100, 300),
            dot: (0, 1),
            context: &[],
        };
        let w = VWrite {
            id: 2,
            client: 1,
            t: (150, 350),
            dot: (1, 1),
            context: &[],
        };
        let (how, found) = judge(l, w, Resolution::LastWriteWins);
        assert_eq!(how, Overwrite::Concurrent);
        let [AnomalyKind::Discarded { op: 1, by: 2, why }] = found.as_slice() else {
            panic!("{found:?}");
        };
        assert_eq!(why, "a concurrent write won under last-write-wins");
    }

    #[test]
    fn a_pending_loser_is_judged_when_it_completes_and_never_lost_unacknowledged() {
        let l = VWrite {
            id: 1,
            client: 0,
            t: (100, 300),
            dot: (0, 1),
            context: &[],
        };
        let w = VWrite {
            id: 2,
            client: 1,
            t: (150, 250),
            dot: (1, 1),
            context: &[],
        };
        // Acknowledged after being replaced: lost, reported at its acknowledgement.
        let mut live = Live::default();
        start(&mut live, &l);
        start(&mut live, &w);
        assert!(ack(&mut live, &w).is_empty());
        assert_eq!(live.on_overwritten(1, 2, Resolution::LastWriteWins), None);
        let found = ack(&mut live, &l);
        assert!(
            matches!(
                found.as_slice(),
                [AnomalyKind::Discarded { op: 1, by: 2, .. }]
            ),
            "{found:?}"
        );
        // Never acknowledged: no anomaly, and its fate is indeterminate, not lost.
        let mut live = Live::default();
        start(&mut live, &l);
        start(&mut live, &w);
        assert_eq!(live.on_overwritten(1, 2, Resolution::LastWriteWins), None);
        let timed_out = OpResult::Indeterminate {
            reason: "timed out".into(),
        };
        let found = live.on_complete(&vop(&l, timed_out.clone()), None);
        assert!(found.is_empty(), "{found:?}");
        let mut history = History::default();
        history.push(vop(&l, timed_out));
        let fates = fates(&history, &[], None, &live);
        assert_eq!(fates[0].fate, Fate::Indeterminate);
    }

    #[test]
    fn conflicts_are_only_between_writes_that_did_not_see_each_other() {
        let mut live = Live::default();
        let a = VWrite {
            id: 1,
            client: 0,
            t: (100, 200),
            dot: (0, 1),
            context: &[],
        };
        let b = VWrite {
            id: 2,
            client: 0,
            t: (300, 400),
            dot: (0, 2),
            context: &[(0, 1)],
        };
        let c = VWrite {
            id: 3,
            client: 1,
            t: (350, 450),
            dot: (1, 1),
            context: &[],
        };
        for w in [&a, &b, &c] {
            start(&mut live, w);
            ack(&mut live, w);
        }
        // A store that lost track of a's context reports a and b: they are ordered.
        assert_eq!(live.on_conflict("k".into(), vec![1, 2]), None);
        // b and c did not see each other; a is ordered before b and, in the causal sense,
        // concurrent with c (c's writer never saw it).
        assert_eq!(
            live.on_conflict("k".into(), vec![1, 2, 3]),
            Some(AnomalyKind::Conflict {
                key: "k".into(),
                writes: vec![1, 2, 3]
            })
        );
        assert_eq!(
            live.on_conflict("k".into(), vec![2, 3]).map(|a| a.name()),
            Some("conflict")
        );
        // Reported once per set.
        assert_eq!(live.on_conflict("k".into(), vec![2, 3]), None);
    }

    #[test]
    fn a_lost_write_that_comes_back_is_retracted() {
        let mut live = Live::default();
        // Write #1 acknowledged by the leader of epoch 1 at (1, 2).
        let w = write(1, 0, (100, 200), 2);
        live.on_invoke(&w);
        assert!(live.on_complete(&w, None).is_empty());
        // n1 leads epoch 2 without it: lost.
        let (lost, back) = live.on_new_leader(1, 2, |_| false);
        assert_eq!(
            lost,
            vec![AnomalyKind::LostWrite {
                op: 1,
                leader: 1,
                epoch: 2
            }]
        );
        assert!(back.is_empty());
        assert_eq!(live.declared_lost(1), Some((1, 2)));
        // n0, which holds it, leads epoch 3: it is back.
        let (lost, back) = live.on_new_leader(0, 3, |op| op == 1);
        assert!(lost.is_empty());
        assert_eq!(back, vec![1]);
        assert_eq!(live.declared_lost(1), None);
        assert!(!live.lost.contains(&1), "a read missing it is stale again");
        // And lost again if a leader without it follows.
        let (lost, _) = live.on_new_leader(2, 4, |_| false);
        assert_eq!(lost.len(), 1);
    }

    #[test]
    fn counts_leave_retracted_anomalies_out() {
        let lost = AnomalyKind::LostWrite {
            op: 1,
            leader: 1,
            epoch: 2,
        };
        let mut a = Anomaly::new(10, lost.clone());
        a.retracted = Some(Retraction {
            t: 20,
            why: "back".into(),
            event: 5,
        });
        let stale = AnomalyKind::StaleRead {
            op: 3,
            returned: None,
            missed: 1,
        };
        let all = [a, Anomaly::new(30, lost), Anomaly::new(40, stale)];
        let c = Counts::of(&all);
        assert_eq!(c.get(Kind::LostWrite), 1);
        assert_eq!(c.get(Kind::StaleRead), 1);
        assert_eq!((c.retracted, c.total()), (1, 2));
    }

    #[test]
    fn every_kind_has_its_place_a_name_and_words() {
        let mut names = BTreeSet::new();
        for (i, k) in Kind::ALL.iter().enumerate() {
            assert_eq!(k.index(), i, "{k:?}");
            assert!(names.insert(k.name()), "{k:?}");
            assert!(
                !k.title().is_empty() && k.definition().ends_with('.'),
                "{k:?}"
            );
        }
        assert_eq!(names.len(), Kind::COUNT);
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
