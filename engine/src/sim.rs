//! The simulation: virtual time, the event queue, the network, nodes and clients.
//!
//! Determinism rules, obeyed everywhere below:
//! - events are ordered by (time, sequence number), the sequence number being the order in which
//!   they were scheduled; schedule entries run before queued events of the same time;
//! - all randomness comes from the one [`Rng`] in the world, drawn in event order;
//! - everything that is iterated is an ordered map or a vector.
//!
//! Seeking backwards restores the latest checkpoint at or before the target and re-runs forward;
//! seeking forwards past a checkpoint already computed jumps to it.
//!
//! Retention is bounded, so a run left playing for hours does not grow without limit:
//! - the trace keeps at least the newest [`TRACE_KEEP`] events (at most half as many again before
//!   the oldest are dropped in one go); [`Simulation::trace_start`] says where it starts. A seek
//!   restores a checkpoint and re-runs from there; when the trace between the kept part and that
//!   checkpoint is not known (seeking back before the kept trace, or far forward after that), the
//!   trace starts again at the checkpoint.
//! - at most [`MAX_CHECKPOINTS`] checkpoints, whose summed estimated size (writes held by nodes
//!   plus operations) stays under [`CHECKPOINT_BUDGET`] (about 20 MB), [`CHECKPOINT_EVERY`] events
//!   apart (further apart once the world is big: one event per 8 size units, so copying the world
//!   stays a small part of the run);
//!   when a cap is reached every other checkpoint is dropped (the first, at time 0, always stays)
//!   and later ones are taken twice as far apart, so gaps stay even. A seek costs restoring one
//!   checkpoint and re-running at most one gap.
//! - checkpoints do not copy the client history or the anomalies (both only grow at the end, and an
//!   operation changes only while it is pending): a checkpoint keeps their spans and copies of the
//!   operations from the first one pending at that moment.
//! - the history keeps at least the newest [`HISTORY_KEEP`] operations (at most half as many again;
//!   never forgetting one still pending); the anomalies found before the oldest operation kept was
//!   invoked are forgotten with it. What is forgotten is counted ([`Simulation::forgotten`]), the
//!   live checkers keep only what reads from then on can need (see [`check::Live::forget`]), and
//!   the bookkeeping of writes (dots, discarded writes) drops them. Metrics and charts cover the
//!   operations kept. Where to cut depends only on operation ids and the operations pending, so
//!   nothing the run does depends on what the history holds beyond its pending operations:
//!   restoring a checkpoint from before the history kept at the furthest point reached starts the
//!   history (and the anomaly list) again at its first pending operation, and the run goes on
//!   exactly as a straight run.

use crate::check::series::{Lag, LagSampler, Series};
use crate::check::{self, Anomaly, AnomalyKind};
use crate::client::{Client, History, OpKind, OpResult, Operation, MAX_ATTEMPTS};
use crate::net::Network;
use crate::node::{Ctx, Effect, Input, Msg, Reply, TimerKind};
use crate::rng::Rng;
use crate::scenario::{Action, Config, ReadFrom, Scenario, Scheduled, Strategy};
use crate::strategy::versioned::{VStore, Vv};
use crate::strategy::NodeLogic;
use crate::trace::{DropCause, TraceEvent, TraceKind};
use crate::types::{Addr, ClientId, MsgId, MsgKind, NodeId, OpId, Role, Time, MS};
use crate::window::Window;
use serde::Serialize;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, VecDeque};

/// How many events between two checkpoints (before older ones are thinned).
pub const CHECKPOINT_EVERY: u64 = 5_000;
/// At most this many checkpoints are kept.
pub const MAX_CHECKPOINTS: usize = 128;
/// The checkpoints' summed size (see `world_size`: about 40 bytes a unit, so about 20 MB) is
/// kept under this.
pub const CHECKPOINT_BUDGET: u64 = 500_000;
/// The trace keeps at least this many of its newest events.
pub const TRACE_KEEP: usize = 100_000;
/// The history keeps at least this many of its newest operations (at most half as many again
/// before the oldest are forgotten in one go).
pub const HISTORY_KEEP: usize = 5_000;
/// The history is cut every this many operations.
const FORGET_EVERY: OpId = HISTORY_KEEP as OpId / 2;
/// A client retries this long after a "not leader, leader unknown" answer.
const RETRY_DELAY: Time = 50 * MS;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Event {
    Deliver(MsgId),
    Timer {
        node: NodeId,
        incarnation: u32,
        kind: TimerKind,
        gen: u64,
    },
    ClientTimeout(OpId),
    ClientRetry(OpId),
    Workload {
        client: ClientId,
        gen: u64,
        write: bool,
    },
}

#[derive(Clone, Debug)]
struct Queued {
    time: Time,
    seq: u64,
    event: Event,
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.seq) == (other.time, other.seq)
    }
}
impl Eq for Queued {}
impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Queued {
    /// Reversed, so that `BinaryHeap` (a max-heap) pops the earliest event first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

/// A message on the wire.
#[derive(Clone, Debug)]
pub struct Flight {
    pub from: Addr,
    pub to: Addr,
    pub msg: Msg,
    pub sent: Time,
    pub arrive: Time,
    /// Decided at send time: the message will be dropped halfway, for this reason.
    pub doomed: Option<DropCause>,
}

#[derive(Clone, Debug)]
pub struct NodeSlot {
    pub up: bool,
    /// Incremented at each crash, so timers of an earlier life are ignored.
    pub incarnation: u32,
    timer_gen: [u64; TimerKind::COUNT],
    /// The role and epoch last written to the trace.
    reported: Option<(Role, u64)>,
    pub logic: NodeLogic,
}

/// Counters over a run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub events: u64,
    pub messages_sent: u64,
    pub messages_delivered: u64,
    pub dropped_loss: u64,
    pub dropped_partition: u64,
    pub dropped_node_down: u64,
    pub duplicated: u64,
}

/// What the part of a run's history and anomalies no longer kept held, in counts (see
/// [`HISTORY_KEEP`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Forgotten {
    /// The history covers the operations invoked from this time on (0: all of them).
    #[serde(rename = "since_us")]
    pub since: Time,
    pub writes: u64,
    pub writes_acked: u64,
    pub reads: u64,
    pub reads_ok: u64,
    /// Anomalies no longer kept, by [`AnomalyKind::name`].
    pub anomalies: BTreeMap<&'static str, u64>,
}

impl Forgotten {
    /// How many operations are no longer kept.
    pub fn ops(&self) -> u64 {
        self.writes + self.reads
    }
}

/// Counts since the start of a run: writes and reads when invoked, acknowledged writes and
/// successful reads when they complete, anomalies by kind when found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Totals {
    ops: Forgotten,
}

impl Totals {
    fn invoked(&mut self, o: &Operation) {
        match o.kind {
            OpKind::Write { .. } => self.ops.writes += 1,
            OpKind::Read { .. } => self.ops.reads += 1,
        }
    }
    fn completed(&mut self, o: &Operation) {
        match o.result {
            OpResult::Written { .. } => self.ops.writes_acked += 1,
            OpResult::Read { .. } => self.ops.reads_ok += 1,
            _ => {}
        }
    }
    /// What these totals hold beyond `history` and `anomalies`.
    fn beyond(&self, since: Time, history: &History, anomalies: &Window<Anomaly>) -> Forgotten {
        let mut kept = Totals::default();
        for o in history {
            kept.invoked(o);
            kept.completed(o);
        }
        for a in anomalies {
            *kept.ops.anomalies.entry(a.kind.name()).or_default() += 1;
        }
        let (t, k) = (&self.ops, &kept.ops);
        let mut anomalies = t.anomalies.clone();
        for (name, n) in &k.anomalies {
            *anomalies.entry(name).or_default() -= n;
        }
        anomalies.retain(|_, n| *n > 0);
        Forgotten {
            since,
            writes: t.writes - k.writes,
            writes_acked: t.writes_acked - k.writes_acked,
            reads: t.reads - k.reads,
            reads_ok: t.reads_ok - k.reads_ok,
            anomalies,
        }
    }
}

/// Everything that changes during a run; cloned for checkpoints (but for the history and the
/// anomalies, see [`Checkpoint`]).
#[derive(Clone, Debug)]
struct World {
    now: Time,
    seq: u64,
    queue: BinaryHeap<Queued>,
    /// Index of the next schedule entry to run.
    next_action: usize,
    rng: Rng,
    cfg: Config,
    net: Network,
    nodes: Vec<NodeSlot>,
    members: Vec<NodeId>,
    clients: Vec<Client>,
    history: History,
    /// The invoke time of every [`FORGET_EVERY`]th operation (the last few): where the history
    /// is cut.
    marks: BTreeMap<OpId, Time>,
    /// The history covers the operations invoked from this time on (0: all of them).
    since: Time,
    /// Operation and anomaly counts since the start (see [`Forgotten`]).
    totals: Totals,
    in_flight: BTreeMap<MsgId, Flight>,
    next_msg: MsgId,
    workload_gen: u64,
    /// Who led each epoch.
    leaders: BTreeMap<u64, NodeId>,
    anomalies: Window<Anomaly>,
    checker: check::Live,
    stats: Stats,
    /// Writes accepted by a leader or coordinator so far.
    accepted: u64,
    /// Replication lag of every node, sampled every so often (not part of the trace).
    lag: LagSampler,
    /// Single-leader: the election timeout the nodes use (see [`ElectionTimeout`]), kept up to
    /// date when latency changes.
    election: Option<ElectionTimeout>,
}

/// A single-leader run's election timeout: the configured one, raised when the network is too
/// slow for it (see [`crate::scenario::SingleLeader::fitted_election_timeout`]). The lease of a
/// fenced leader follows the effective value (it is the timeout minus two heartbeats).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ElectionTimeout {
    pub configured: Time,
    pub effective: Time,
    /// The slowest one-way node-to-node latency, jitter included, it was fitted to.
    pub slowest_one_way: Time,
}

impl ElectionTimeout {
    fn of(cfg: &Config) -> Option<Self> {
        let Strategy::SingleLeader(sl) = &cfg.strategy else {
            return None;
        };
        let slowest_one_way = cfg.net.slowest_one_way();
        Some(ElectionTimeout {
            configured: sl.election_timeout,
            effective: sl.fitted_election_timeout(slowest_one_way),
            slowest_one_way,
        })
    }

    /// Was the configured timeout raised to fit the network?
    pub fn raised(&self) -> bool {
        self.effective > self.configured
    }

    /// "election timeout raised to 1.14 s to fit latency 260 ms (configured 300 ms)", when it was.
    pub fn note(&self) -> Option<String> {
        self.raised().then(|| {
            format!(
                "election timeout raised to {} to fit latency {} (configured {})",
                crate::types::fmt_ms(self.effective),
                crate::types::fmt_ms(self.slowest_one_way),
                crate::types::fmt_ms(self.configured)
            )
        })
    }
}

/// The world at one moment, to seek from. The history and the anomalies are not copied: they
/// only grow, and an operation changes only while it is pending, so their lengths and the
/// operations pending at that moment restore them.
struct Checkpoint {
    /// The world without its history and anomalies.
    world: World,
    /// The history then: operations `history.0..history.1`.
    history: (OpId, OpId),
    /// Copies of the operations from the first one still pending at that moment (the history's
    /// end if none) to the end.
    recent: Vec<Operation>,
    /// The anomalies then: `anomalies.0..anomalies.1`.
    anomalies: (u32, u32),
    /// Absolute index in the trace of the first event after that moment.
    trace_at: usize,
    /// `world_size` then.
    size: u64,
}

/// A deterministic run of one scenario, which can be stepped, run forward and sought backwards.
pub struct Simulation {
    scenario: Scenario,
    world: World,
    /// The kept part of the trace: absolute indices `trace_base..trace_base + trace.len()`.
    trace: Vec<TraceEvent>,
    trace_base: usize,
    /// Trace events after now that an earlier pass computed (until an action forks the run), from
    /// absolute index `ahead_base`: seeking forward to a checkpoint takes its trace from here.
    ahead: VecDeque<TraceEvent>,
    ahead_base: usize,
    /// In time order; the first is at time 0.
    checkpoints: Vec<Checkpoint>,
    last_checkpoint_events: u64,
    /// No operation before this one is pending.
    pending_from: OpId,
    /// After a seek back: the history and anomalies as of the furthest point reached, from which
    /// checkpoints (back, or forward up to that point) take theirs.
    future: Option<Future>,
    /// Events between checkpoints: [`CHECKPOINT_EVERY`], doubled at each thinning.
    spacing: u64,
}

struct Future {
    /// The event count of that point.
    events: u64,
    history: History,
    anomalies: Window<Anomaly>,
}

impl Simulation {
    /// Builds the run; nothing happens until time advances.
    pub fn new(scenario: Scenario) -> Self {
        let mut sched = scenario.schedule.clone();
        crate::sort::sort_by_key(&mut sched, |s| s.at); // stable: equal times keep their order
        let scenario = Scenario {
            schedule: sched,
            ..scenario
        };
        let mut trace = Vec::new();
        let world = World::new(&scenario, &mut trace);
        let mut sim = Simulation {
            scenario,
            world,
            trace,
            trace_base: 0,
            ahead: VecDeque::new(),
            ahead_base: 0,
            checkpoints: Vec::new(),
            last_checkpoint_events: 0,
            pending_from: 0,
            future: None,
            spacing: CHECKPOINT_EVERY,
        };
        sim.checkpoint();
        sim
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }
    pub fn now(&self) -> Time {
        self.world.now
    }
    /// The kept trace: its newest events (at least [`TRACE_KEEP`] of them, when there are that
    /// many), starting at absolute index [`Self::trace_start`].
    pub fn trace(&self) -> &[TraceEvent] {
        &self.trace
    }
    /// How many events of the trace before `trace()[0]` are no longer kept.
    pub fn trace_start(&self) -> usize {
        self.trace_base
    }
    /// How many checkpoints are kept (at most [`MAX_CHECKPOINTS`]).
    pub fn checkpoint_count(&self) -> usize {
        self.checkpoints.len()
    }
    pub fn history(&self) -> &History {
        &self.world.history
    }
    /// The anomalies found so far, the newest ones (see [`Self::forgotten`]); positions are
    /// the `index` of [`TraceKind::Anomaly`].
    pub fn anomalies(&self) -> &Window<Anomaly> {
        &self.world.anomalies
    }
    /// What is no longer kept of the history and the anomalies, in counts.
    pub fn forgotten(&self) -> Forgotten {
        let w = &self.world;
        w.totals.beyond(w.since, &w.history, &w.anomalies)
    }
    pub fn stats(&self) -> &Stats {
        &self.world.stats
    }
    pub fn config(&self) -> &Config {
        &self.world.cfg
    }
    pub fn nodes(&self) -> &[NodeSlot] {
        &self.world.nodes
    }
    pub fn in_flight(&self) -> &BTreeMap<MsgId, Flight> {
        &self.world.in_flight
    }
    /// Who led each epoch so far.
    pub fn leaders(&self) -> &BTreeMap<u64, NodeId> {
        &self.world.leaders
    }
    /// The hash of the kept trace (the whole trace while `trace_start()` is 0).
    pub fn trace_hash(&self) -> u64 {
        crate::trace::trace_hash(&self.trace)
    }

    /// The time of the next thing that will happen, if anything is left.
    pub fn next_time(&self) -> Option<Time> {
        let a = self
            .scenario
            .schedule
            .get(self.world.next_action)
            .map(|s| s.at);
        let q = self.world.queue.peek().map(|q| q.time);
        match (a, q) {
            (Some(a), Some(q)) => Some(a.min(q)),
            (a, q) => a.or(q),
        }
    }

    /// Processes exactly one event (or schedule entry). Returns false when nothing is left.
    pub fn step(&mut self) -> bool {
        let more = self.world.step(&self.scenario.schedule, &mut self.trace);
        self.after_step();
        more
    }

    /// Processes every event up to and including time `t`, then sets the clock to `t`.
    pub fn run_until(&mut self, t: Time) {
        while let Some(next) = self.next_time() {
            if next > t {
                break;
            }
            self.world.step(&self.scenario.schedule, &mut self.trace);
            self.after_step();
        }
        if t > self.world.now {
            self.world.now = t;
        }
    }

    /// Moves to time `t`, backwards or forwards.
    pub fn seek(&mut self, t: Time) {
        let events = self.world.stats.events;
        let target = if t < self.world.now {
            Some(
                self.checkpoints
                    .iter()
                    .rposition(|c| c.world.now <= t)
                    .unwrap_or(0),
            )
        } else {
            // Forward: the latest checkpoint up to `t` that is further on, if any.
            self.checkpoints
                .iter()
                .rposition(|c| c.world.now <= t)
                .filter(|&i| {
                    let e = self.checkpoints[i].world.stats.events;
                    e > events && self.future.as_ref().is_some_and(|f| e <= f.events)
                })
        };
        if let Some(i) = target {
            self.restore(i);
        }
        self.run_until(t);
    }

    /// Puts the world back to checkpoint `i` (before or after now) and the trace with it.
    fn restore(&mut self, i: usize) {
        let at = self.checkpoints[i].trace_at;
        let trace_end = self.trace_base + self.trace.len();
        if at <= trace_end {
            // Back: the trace after `at` becomes the known future.
            let from = at.max(self.trace_base) - self.trace_base;
            let mut tail = self.trace.split_off(from);
            let tail_base = self.trace_base + from;
            if !(self.ahead.is_empty() || self.ahead_base == trace_end) {
                self.ahead.clear();
            }
            // At most TRACE_KEEP events ahead, so that the queue's buffer never grows past that.
            tail.truncate(TRACE_KEEP);
            if tail.len() == TRACE_KEEP {
                self.ahead.clear();
            }
            self.ahead.truncate(TRACE_KEEP - tail.len());
            for e in tail.into_iter().rev() {
                self.ahead.push_front(e);
            }
            self.ahead_base = tail_base;
            if at < self.trace_base {
                // Before the kept trace: it starts again at the checkpoint.
                self.trace_base = at;
            }
            self.bound_ahead();
        } else {
            // Forward: the trace up to `at` from the known future when it joins the kept trace;
            // otherwise the trace starts again at the checkpoint.
            let ahead_end = self.ahead_base + self.ahead.len();
            if self.ahead_base <= at && at <= ahead_end {
                if self.ahead_base <= trace_end {
                    self.ahead.drain(..trace_end - self.ahead_base);
                    self.trace.extend(self.ahead.drain(..at - trace_end));
                } else {
                    self.ahead.drain(..at - self.ahead_base);
                    self.trace.clear();
                    self.trace_base = at;
                }
            } else {
                self.ahead.clear();
                self.trace.clear();
                self.trace_base = at;
            }
            self.ahead_base = at;
        }
        let cp = &self.checkpoints[i];
        let mut world = cp.world.clone();
        let events = self.world.stats.events;
        if self.future.as_ref().is_none_or(|f| f.events < events) {
            self.future = Some(Future {
                events,
                history: std::mem::take(&mut self.world.history),
                anomalies: std::mem::take(&mut self.world.anomalies),
            });
        }
        let future = self.future.as_ref().expect("just set");
        let first = cp.history.1 - cp.recent.len() as OpId;
        if future.history.start() <= cp.history.0 && future.anomalies.start() <= cp.anomalies.0 {
            let mut history = future.history.range(cp.history.0, cp.history.1);
            for op in &cp.recent {
                history[op.id] = op.clone();
            }
            world.history = history;
            world.anomalies = future.anomalies.range(cp.anomalies.0, cp.anomalies.1);
            // Retractions are the one change made to an anomaly after it was raised: those made
            // after the checkpoint have not happened yet (the run makes them again).
            let events = world.stats.events;
            for a in world.anomalies.iter_mut() {
                if a.retracted.as_ref().is_some_and(|r| r.event > events) {
                    a.retracted = None;
                }
            }
        } else {
            // Further back than the history kept at the furthest point reached: the history
            // starts again at the first operation pending then, and the anomalies at that
            // moment. The run goes on exactly the same (nothing in it depends on the history
            // but the pending operations); only the lists are shorter than a straight run's.
            world.history = Window::starting_at(first, cp.recent.clone());
            world.anomalies = Window::starting_at(cp.anomalies.1, Vec::new());
            world.since = cp.recent.first().map_or(world.now, |o| o.invoke);
        }
        self.world = world;
        self.pending_from = first;
        self.last_checkpoint_events = self.world.stats.events;
        self.bound_trace();
    }

    /// After one step: drop the known future just re-run, take a checkpoint when due, bound the
    /// trace.
    fn after_step(&mut self) {
        if self
            .future
            .as_ref()
            .is_some_and(|f| f.events < self.world.stats.events)
        {
            self.future = None; // Further than ever before.
        }
        if !self.ahead.is_empty() {
            let end = self.trace_base + self.trace.len();
            while self.ahead_base < end && self.ahead.pop_front().is_some() {
                self.ahead_base += 1;
            }
        }
        let events = self.world.stats.events;
        if events >= self.last_checkpoint_events + self.checkpoint_spacing() {
            self.last_checkpoint_events = events;
            let last = self.checkpoints.last().map_or(0, |c| c.world.stats.events);
            if events > last {
                self.checkpoint();
            }
        }
        if self.trace.len() > TRACE_KEEP
            && (self.trace.len() > TRACE_KEEP + TRACE_KEEP / 2
                || self.trace.len() + 256 > self.trace.capacity())
        {
            self.bound_trace();
        }
    }

    /// Events between checkpoints: [`CHECKPOINT_EVERY`], or more once the world is big, so that
    /// copying it stays a small part of the run (the copy grows with the writes every node holds).
    fn checkpoint_spacing(&self) -> u64 {
        self.spacing.max(self.world_size() / 8)
    }

    /// A proxy for the size of a copy of the world, in units of roughly 40 bytes (measured on
    /// single-leader runs): the writes its nodes hold plus the operations the checkers have seen;
    /// at least 1,000.
    fn world_size(&self) -> u64 {
        let w = &self.world;
        let held = w.accepted.min(w.history.len() as u64);
        (held * w.nodes.len() as u64 + w.history.len() as u64).max(1_000)
    }

    /// Drops the oldest events down to [`TRACE_KEEP`] once there are half as many again, or
    /// earlier when the trace's buffer is nearly full: a full buffer would double (a run's
    /// biggest allocation, which wasm memory never gives back).
    fn bound_trace(&mut self) {
        if self.trace.len() > TRACE_KEEP + TRACE_KEEP / 2
            || (self.trace.len() > TRACE_KEEP && self.trace.len() + 256 > self.trace.capacity())
        {
            let drop = self.trace.len() - TRACE_KEEP;
            self.trace.drain(..drop);
            self.trace_base += drop;
        }
    }

    fn bound_ahead(&mut self) {
        self.ahead.truncate(TRACE_KEEP);
    }

    /// Keeps the world as it is now, without copying the history or the anomalies.
    fn checkpoint(&mut self) {
        let w = &mut self.world;
        self.pending_from = self.pending_from.max(w.history.start());
        while w
            .history
            .get(self.pending_from)
            .is_some_and(|op| op.result != OpResult::Pending)
        {
            self.pending_from += 1;
        }
        let recent = w
            .history
            .iter()
            .skip((self.pending_from - w.history.start()) as usize)
            .cloned()
            .collect();
        let history = std::mem::take(&mut w.history);
        let anomalies = std::mem::take(&mut w.anomalies);
        let world = w.clone();
        let spans = (
            (history.start(), history.end()),
            (anomalies.start(), anomalies.end()),
        );
        w.history = history;
        w.anomalies = anomalies;
        let size = self.world_size();
        self.checkpoints.push(Checkpoint {
            world,
            history: spans.0,
            recent,
            anomalies: spans.1,
            trace_at: self.trace_base + self.trace.len(),
            size,
        });
        while self.checkpoints.len() > MAX_CHECKPOINTS
            || (self.checkpoints.len() > 4
                && self.checkpoints.iter().map(|c| c.size).sum::<u64>() > CHECKPOINT_BUDGET)
        {
            // Thin: drop every other one (never the first, at time 0), and space new ones twice
            // as far apart.
            let mut k = 0;
            self.checkpoints.retain(|_| {
                k += 1;
                (k - 1) % 2 == 0
            });
            self.spacing *= 2;
        }
    }

    /// Adds an action at the current moment. Later entries of the schedule are dropped (acting
    /// in the past forks the run); returns how many were dropped. The action is placed 1 µs
    /// after now so that a replay from a checkpoint runs it after the same events.
    pub fn act(&mut self, action: Action) -> usize {
        let at = self.world.now + 1;
        let keep = self.scenario.schedule.partition_point(|s| s.at <= at);
        let dropped = self.scenario.schedule.len() - keep;
        self.scenario.schedule.truncate(keep);
        self.scenario.schedule.push(Scheduled { at, action });
        let now = self.world.now;
        self.checkpoints
            .retain(|c| c.world.now < now || c.world.stats.events == 0);
        // Spacing goes on from the last checkpoint kept (frequent actions must not keep pushing
        // the next checkpoint away).
        self.last_checkpoint_events = self.checkpoints.last().map_or(0, |c| c.world.stats.events);
        // The run forks: what was computed after now no longer happens.
        self.ahead.clear();
        self.future = None;
        dropped
    }

    /// The per-write fate of every write so far.
    pub fn fates(&self) -> Vec<check::WriteFate> {
        let w = &self.world;
        let authority = match w.cfg.strategy {
            Strategy::SingleLeader(_) => w.leaders.last_key_value().map(|(e, n)| (*e, *n)),
            _ => None,
        };
        check::fates(&w.history, &w.nodes, authority, &w.checker)
    }

    /// Summary metrics of the run so far.
    pub fn metrics(&self) -> check::Metrics {
        check::metrics(
            &self.world.history,
            &self.fates(),
            self.world.anomalies.items(),
            &self.world.stats,
            self.world.now,
        )
    }

    /// Charts of the run so far: replication lag per node (sampled every 100 ms of virtual
    /// time, fewer points on long runs), staleness of reads and availability (see
    /// [`check::series`]).
    pub fn series(&self) -> Vec<Series> {
        let w = &self.world;
        let single = matches!(w.cfg.strategy, Strategy::SingleLeader(_));
        let mut out = w.lag.series(single);
        let stale = check::read_staleness(&w.history, &self.fates(), w.anomalies.items());
        out.push(check::series::staleness_series(&stale, w.now));
        out.push(check::series::availability_series(&w.history, w.now));
        out
    }

    /// Replication lag samples so far: (time, per node).
    pub fn lag_samples(&self) -> &[(Time, Vec<Lag>)] {
        self.world.lag.samples()
    }

    /// A readable payload of a message still in flight.
    pub fn message_summary(&self, id: MsgId) -> Option<String> {
        self.world.in_flight.get(&id).map(|f| f.msg.summary())
    }

    /// Single-leader: the election timeout the nodes use now, and whether (and why) it was raised
    /// above the configured one; `None` for the other strategies.
    pub fn election_timeout(&self) -> Option<ElectionTimeout> {
        self.world.election
    }

    /// Everything the inspector shows about one node: its log, its data, what it waits for.
    pub fn node_detail(&self, id: NodeId) -> Option<NodeDetail> {
        let w = &self.world;
        let s = w.nodes.get(id as usize)?;
        let mut notes = Vec::new();
        let (log, data) = match &s.logic {
            NodeLogic::Single(n) => {
                let log = &n.durable.log;
                let from = log.last_lsn().saturating_sub(MAX_DETAIL_LOG as u64) + 1;
                let entries = (from.max(log.base_lsn() + 1)..=log.last_lsn())
                    .filter_map(|lsn| log.entry(lsn))
                    .map(|e| LogLine {
                        lsn: e.lsn,
                        epoch: e.epoch,
                        key: e.key.clone(),
                        value: e.value.clone(),
                        write: e.write,
                    })
                    .collect();
                let data = log
                    .data()
                    .iter()
                    .map(|(k, c)| DataLine {
                        key: k.clone(),
                        value: c.value.clone(),
                        version: format!("lsn {} (epoch {})", c.lsn, c.epoch),
                        write: c.write,
                    })
                    .collect();
                if log.base_lsn() > 0 {
                    notes.push(format!(
                        "log starts from a snapshot through lsn {}",
                        log.base_lsn()
                    ));
                }
                if let Some((e, v)) = n.durable.voted {
                    notes.push(format!("voted for n{v} in epoch {e}"));
                }
                if let Some(lead) = &n.volatile.lead {
                    if !lead.sync_set.is_empty() {
                        let set: Vec<String> =
                            lead.sync_set.iter().map(|f| format!("n{f}")).collect();
                        notes.push(format!("waits for {}", set.join(", ")));
                    }
                    for (lsn, (_, op)) in &lead.pending {
                        notes.push(format!(
                            "write #{op} (lsn {lsn}) waits for acknowledgements"
                        ));
                    }
                    for (f, m) in &lead.matched {
                        notes.push(format!("n{f} has acknowledged through lsn {m}"));
                    }
                }
                (entries, data)
            }
            NodeLogic::Multi(n) => {
                let len = n.durable.log.len();
                let entries = n.durable.log[len.saturating_sub(MAX_DETAIL_LOG)..]
                    .iter()
                    .enumerate()
                    .map(|(i, e)| LogLine {
                        lsn: n.durable.base + (len.saturating_sub(MAX_DETAIL_LOG) + i + 1) as u64,
                        epoch: 0,
                        key: e.key.clone(),
                        value: e.version.value.clone(),
                        write: e.version.write,
                    })
                    .collect();
                for p in &n.volatile.pending {
                    notes.push(format!("write #{} waits for acknowledgements", p.op));
                }
                for (peer, a) in &n.volatile.acked {
                    let end = n.log_end();
                    notes.push(format!("n{peer} has acknowledged {a} of {end} log entries"));
                }
                (entries, versioned_lines(&n.durable.store))
            }
            NodeLogic::Leaderless(n) => {
                for (home, hs) in &n.durable.hints {
                    let ws: Vec<String> = hs
                        .iter()
                        .map(|(k, v)| format!("{k}={} #{}", v.value, v.write))
                        .collect();
                    notes.push(format!("holds for n{home}: {}", ws.join(", ")));
                }
                for (req, pw) in &n.volatile.writes {
                    notes.push(format!(
                        "coordinating write #{} (request {req}): {} acks",
                        pw.op,
                        pw.acks.len()
                    ));
                }
                for pr in n.volatile.reads.values() {
                    notes.push(format!(
                        "coordinating read #{}: {} answers",
                        pr.op,
                        pr.responses.len()
                    ));
                }
                (Vec::new(), versioned_lines(&n.durable.store))
            }
        };
        Some(NodeDetail {
            id,
            role: s.logic.role(&w.cfg.strategy, id),
            up: s.up,
            epoch: s.logic.epoch(),
            clock_us: w.clock(id),
            last_lsn: s.logic.applied(),
            log,
            data,
            notes,
        })
    }

    /// What the page draws at this moment.
    pub fn snapshot(&self) -> Snapshot {
        let w = &self.world;
        let leader = w.current_leader();
        let leader_node = leader.and_then(|l| w.nodes[l as usize].logic.single());
        let sync_set: BTreeSet<NodeId> = leader_node
            .and_then(|n| n.volatile.lead.as_ref())
            .map(|ls| ls.sync_set.clone())
            .unwrap_or_default();
        let lags = w.lags();
        let nodes = w
            .nodes
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let id = i as NodeId;
                // The page shows no lag for leaderless nodes (their charts do).
                let Lag {
                    entries: lag,
                    age: lag_us,
                } = match s.logic {
                    NodeLogic::Leaderless(_) => Lag::default(),
                    _ => lags[i],
                };
                let (leader_of, region, hints) = match (&s.logic, &w.cfg.strategy) {
                    (NodeLogic::Single(n), _) => (n.volatile.leader, None, 0),
                    (NodeLogic::Multi(_), Strategy::MultiLeader(c)) => {
                        let r = c.region_of(id);
                        (Some(c.leader_of(r)), Some(r), 0)
                    }
                    (NodeLogic::Leaderless(n), _) => (None, None, n.hint_count() as u32),
                    _ => (None, None, 0),
                };
                NodeSnapshot {
                    id,
                    role: s.logic.role(&w.cfg.strategy, id),
                    up: s.up,
                    epoch: s.logic.epoch(),
                    last_lsn: s.logic.applied(),
                    leader: leader_of,
                    sync: sync_set.contains(&id),
                    lag,
                    lag_us,
                    clock_us: w.clock(id),
                    region,
                    hints,
                }
            })
            .collect();
        let messages = w
            .in_flight
            .iter()
            .map(|(id, f)| MessageSnapshot {
                id: *id,
                from: f.from,
                to: f.to,
                kind: f.msg.kind(),
                sent_us: f.sent,
                arrive_us: f.arrive,
                drop_us: f.doomed.map(|_| f.sent + (f.arrive - f.sent) / 2),
            })
            .collect();
        Snapshot {
            time_us: w.now,
            strategy: w.cfg.strategy.name(),
            mode: w.cfg.strategy.describe_mode(),
            nodes,
            clients: w
                .clients
                .iter()
                .map(|c| ClientSnapshot {
                    id: c.id,
                    home: c.home,
                })
                .collect(),
            messages,
            cut: w.net.cut.iter().copied().collect(),
        }
    }
}

fn versioned_lines(store: &VStore) -> Vec<DataLine> {
    store
        .data
        .iter()
        .flat_map(|(k, vs)| {
            vs.iter().map(move |v| DataLine {
                key: k.clone(),
                value: v.value.clone(),
                version: format!("{} t={}", v.vv, crate::types::fmt_ms(v.ts.0)),
                write: v.write,
            })
        })
        .collect()
}

/// The inspector shows at most this many of a node's newest log entries.
pub const MAX_DETAIL_LOG: usize = 50;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LogLine {
    pub lsn: u64,
    pub epoch: u64,
    pub key: String,
    pub value: String,
    pub write: OpId,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DataLine {
    pub key: String,
    pub value: String,
    pub version: String,
    pub write: OpId,
}

/// One node in detail, for the inspector.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NodeDetail {
    pub id: NodeId,
    pub role: Role,
    pub up: bool,
    pub epoch: u64,
    pub clock_us: Time,
    pub last_lsn: u64,
    /// The newest entries of the log (at most [`MAX_DETAIL_LOG`]).
    pub log: Vec<LogLine>,
    pub data: Vec<DataLine>,
    /// What it waits for, whom it voted for, ... in words.
    pub notes: Vec<String>,
}

/// One node as the page draws it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NodeSnapshot {
    pub id: NodeId,
    pub role: Role,
    pub up: bool,
    pub epoch: u64,
    pub last_lsn: u64,
    /// Whom this node follows (itself, if leader).
    pub leader: Option<NodeId>,
    /// A follower the leader currently waits for.
    pub sync: bool,
    /// Entries behind the current leader, and for how long the oldest missing one has existed.
    pub lag: u64,
    pub lag_us: Time,
    /// The node's own (possibly skewed) wall clock.
    pub clock_us: Time,
    /// Multi-leader: the node's region.
    pub region: Option<u16>,
    /// Leaderless: hinted writes held for other nodes.
    pub hints: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MessageSnapshot {
    pub id: MsgId,
    pub from: Addr,
    pub to: Addr,
    pub kind: MsgKind,
    pub sent_us: Time,
    pub arrive_us: Time,
    /// When the message will be dropped on the way, if it will.
    pub drop_us: Option<Time>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClientSnapshot {
    pub id: ClientId,
    pub home: NodeId,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Snapshot {
    pub time_us: Time,
    pub strategy: &'static str,
    pub mode: String,
    pub nodes: Vec<NodeSnapshot>,
    pub clients: Vec<ClientSnapshot>,
    pub messages: Vec<MessageSnapshot>,
    /// Directed links that are cut.
    pub cut: Vec<(NodeId, NodeId)>,
}

impl World {
    fn new(scenario: &Scenario, trace: &mut Vec<TraceEvent>) -> Self {
        let cfg = scenario.config.clone();
        let n = cfg.nodes.max(1);
        let mut w = World {
            now: 0,
            seq: 0,
            queue: BinaryHeap::new(),
            next_action: 0,
            rng: Rng::new(scenario.seed),
            net: Network::new(cfg.net.clone()),
            nodes: Vec::new(),
            members: Vec::new(),
            clients: (0..cfg.clients)
                .map(|c| {
                    let home = match &cfg.strategy {
                        Strategy::MultiLeader(ml) => ml.leader_of(c % ml.regions.max(1)),
                        _ => c % n,
                    };
                    let leader_hint = match &cfg.strategy {
                        Strategy::SingleLeader(_) => 0,
                        _ => home,
                    };
                    Client {
                        id: c,
                        home,
                        leader_hint,
                        generated: 0,
                        contexts: BTreeMap::new(),
                    }
                })
                .collect(),
            cfg,
            history: History::default(),
            marks: BTreeMap::new(),
            since: 0,
            totals: Totals::default(),
            in_flight: BTreeMap::new(),
            next_msg: 0,
            workload_gen: 0,
            leaders: BTreeMap::new(),
            anomalies: Window::default(),
            checker: check::Live::default(),
            stats: Stats::default(),
            accepted: 0,
            lag: LagSampler::default(),
            election: None,
        };
        w.election = ElectionTimeout::of(&w.cfg);
        if let Some(text) = w.election.and_then(|e| e.note()) {
            w.emit(trace, TraceKind::Config { text });
        }
        if let Strategy::MultiLeader(ml) = &w.cfg.strategy {
            let regions = (0..n).map(|i| ml.region_of(i)).collect();
            w.net.regions = Some((regions, ml.local_latency));
        }
        let bootstrap = matches!(w.cfg.strategy, Strategy::SingleLeader(_));
        // Every node knows the whole membership from its first moment.
        for _ in 0..n {
            w.join();
        }
        if bootstrap {
            // The initial configuration, known to every node: n0 leads epoch 1.
            for slot in &mut w.nodes {
                if let NodeLogic::Single(node) = &mut slot.logic {
                    node.durable.epoch = 1;
                    node.durable.voted = Some((1, 0));
                }
            }
        }
        for i in 0..n {
            w.run_node(
                i,
                Input::Boot {
                    lead: bootstrap && i == 0,
                },
                trace,
            );
        }
        w.restart_workload();
        w
    }

    /// Every node's replication lag now (see [`Lag`]).
    fn lags(&self) -> Vec<Lag> {
        let leaderless_missing = self.leaderless_missing();
        let leader = self.current_leader();
        let leader_node = leader.and_then(|l| self.nodes[l as usize].logic.single());
        self.nodes
            .iter()
            .enumerate()
            .map(|(i, s)| match (&s.logic, leader_node) {
                (NodeLogic::Single(n), Some(l)) if Some(i as NodeId) != leader => {
                    let (ll, log) = (&l.durable.log, &n.durable.log);
                    let behind = ll.last_lsn().saturating_sub(log.last_lsn());
                    let since = ll
                        .entry((log.last_lsn() + 1).max(ll.base_lsn() + 1)) // at least, if compacted
                        .map_or(0, |e| self.now.saturating_sub(e.at));
                    Lag {
                        entries: behind,
                        age: if behind > 0 { since } else { 0 },
                    }
                }
                (NodeLogic::Multi(_), _) => Lag {
                    entries: self.accepted.saturating_sub(s.logic.applied()),
                    age: 0,
                },
                (NodeLogic::Leaderless(_), _) => Lag {
                    entries: leaderless_missing.get(i).copied().unwrap_or(0),
                    age: 0,
                },
                _ => Lag::default(),
            })
            .collect()
    }

    /// Leaderless: per node, how many versions of the keys it is a home replica of it lacks,
    /// against everything any node knows of them.
    fn leaderless_missing(&self) -> Vec<u64> {
        let Strategy::Leaderless(cfg) = &self.cfg.strategy else {
            return Vec::new();
        };
        let stores: Vec<Option<&VStore>> = self
            .nodes
            .iter()
            .map(|s| match &s.logic {
                NodeLogic::Leaderless(n) => Some(&n.durable.store),
                _ => None,
            })
            .collect();
        let keys: BTreeSet<&String> =
            crate::sort::set(stores.iter().flatten().flat_map(|s| s.known.keys()));
        let ring = crate::strategy::leaderless::ring(&self.members, cfg.vnodes);
        let mut missing = vec![0u64; self.nodes.len()];
        for key in keys {
            let mut all = Vv::default();
            for s in stores.iter().flatten() {
                if let Some(v) = s.known.get(key) {
                    all.merge(v);
                }
            }
            let home = crate::strategy::leaderless::preference(&ring, key);
            for &n in home.iter().take(cfg.n as usize) {
                let Some(Some(store)) = stores.get(n as usize) else {
                    continue;
                };
                let mine = store.known.get(key);
                missing[n as usize] += all
                    .0
                    .iter()
                    .map(|(node, c)| c.saturating_sub(mine.map_or(0, |m| m.get(*node))))
                    .sum::<u64>();
            }
        }
        missing
    }

    /// Node `n`'s wall clock now.
    fn clock(&self, n: NodeId) -> Time {
        self.cfg.clock(n, self.now)
    }

    fn push(&mut self, time: Time, event: Event) {
        self.seq += 1;
        self.queue.push(Queued {
            time,
            seq: self.seq,
            event,
        });
    }

    fn emit(&self, trace: &mut Vec<TraceEvent>, kind: TraceKind) {
        trace.push(TraceEvent { t: self.now, kind });
    }

    /// The node that most recently won an election and still believes it leads, if it is up.
    fn current_leader(&self) -> Option<NodeId> {
        let (_, &n) = self.leaders.last_key_value()?;
        let s = &self.nodes[n as usize];
        (s.up && s.logic.role(&self.cfg.strategy, n) == Role::Leader).then_some(n)
    }

    fn step(&mut self, schedule: &[Scheduled], trace: &mut Vec<TraceEvent>) -> bool {
        let action_at = schedule.get(self.next_action).map(|s| s.at);
        let queue_at = self.queue.peek().map(|q| q.time);
        if let Some(t) = action_at.into_iter().chain(queue_at).min() {
            if self.lag.due(t) {
                let lags = self.lags();
                self.lag.record(t, lags);
            }
        }
        match (action_at, queue_at) {
            (None, None) => return false,
            (Some(a), q) if q.is_none_or(|q| a <= q) => {
                let action = schedule[self.next_action].action.clone();
                self.next_action += 1;
                self.now = self.now.max(a);
                self.stats.events += 1;
                self.apply_action(action, trace);
            }
            _ => {
                let q = self.queue.pop().expect("peeked");
                self.now = self.now.max(q.time);
                self.stats.events += 1;
                self.handle(q.event, trace);
            }
        }
        true
    }

    fn handle(&mut self, event: Event, trace: &mut Vec<TraceEvent>) {
        match event {
            Event::Deliver(id) => self.deliver(id, trace),
            Event::Timer {
                node,
                incarnation,
                kind,
                gen,
            } => {
                let s = &self.nodes[node as usize];
                if s.up && s.incarnation == incarnation && s.timer_gen[kind.index()] == gen {
                    self.run_node(node, Input::Timer(kind), trace);
                }
            }
            Event::ClientTimeout(op) => {
                // (An operation no longer kept finished long ago.)
                if self
                    .history
                    .get(op)
                    .is_some_and(|o| o.result == OpResult::Pending)
                {
                    let reason = format!(
                        "no answer within {}",
                        crate::types::fmt_ms(self.cfg.op_timeout)
                    );
                    let o = &self.history[op];
                    let result = if o.is_write() {
                        OpResult::Indeterminate { reason }
                    } else {
                        OpResult::Failed { reason }
                    };
                    // The node did not answer: next time, try another one.
                    let (client, node) = (o.client, o.node);
                    let c = &mut self.clients[client as usize];
                    if c.leader_hint == node {
                        c.leader_hint = (node + 1) % self.nodes.len() as NodeId;
                    }
                    self.complete(op, result, trace);
                }
            }
            Event::ClientRetry(op) => {
                if self
                    .history
                    .get(op)
                    .is_some_and(|o| o.result == OpResult::Pending)
                {
                    self.send_op(op, trace);
                }
            }
            Event::Workload { client, gen, write } => {
                if gen != self.workload_gen {
                    return;
                }
                let Some(wl) = self.cfg.workload.clone() else {
                    return;
                };
                let every = if write { wl.write_every } else { wl.read_every };
                if every == 0 {
                    return;
                }
                let key = format!("k{}", self.rng.upto(wl.keys.max(1) as u64 - 1));
                if write {
                    let c = &mut self.clients[client as usize];
                    c.generated += 1;
                    let value = format!("{}{}", client_letter(client), c.generated);
                    self.invoke(
                        client,
                        OpKind::Write { key, value },
                        ReadFrom::Leader,
                        trace,
                    );
                } else {
                    self.invoke(client, OpKind::Read { key }, wl.read_from, trace);
                }
                let next = self.now + every / 2 + self.rng.upto(every);
                self.push(next, Event::Workload { client, gen, write });
            }
        }
    }

    fn restart_workload(&mut self) {
        self.workload_gen += 1;
        let Some(wl) = self.cfg.workload.clone() else {
            return;
        };
        let gen = self.workload_gen;
        for c in 0..self.clients.len() as ClientId {
            for (write, every) in [(true, wl.write_every), (false, wl.read_every)] {
                if every > 0 {
                    let at = self.now + 1 + self.rng.upto(every);
                    self.push(
                        at,
                        Event::Workload {
                            client: c,
                            gen,
                            write,
                        },
                    );
                }
            }
        }
    }

    /// A new member, not yet started.
    fn join(&mut self) -> NodeId {
        let id = self.nodes.len() as NodeId;
        self.nodes.push(NodeSlot {
            up: true,
            incarnation: 0,
            timer_gen: [0; TimerKind::COUNT],
            reported: None,
            logic: NodeLogic::new(&self.cfg.strategy),
        });
        self.members.push(id);
        id
    }

    /// A node joining a running cluster.
    fn add_node(&mut self, trace: &mut Vec<TraceEvent>) -> NodeId {
        let id = self.join();
        self.emit(trace, TraceKind::NodeAdded { node: id });
        self.run_node(id, Input::Boot { lead: false }, trace);
        id
    }

    fn run_node(&mut self, node: NodeId, input: Input, trace: &mut Vec<TraceEvent>) {
        if !self.nodes[node as usize].up {
            return;
        }
        let mut out = Vec::new();
        {
            let World {
                nodes,
                members,
                rng,
                cfg,
                now,
                election,
                ..
            } = self;
            // Single-leader nodes run with the election timeout fitted to the network.
            let fitted;
            let strategy = match (&cfg.strategy, election) {
                (Strategy::SingleLeader(sl), Some(e)) if e.raised() => {
                    fitted = Strategy::SingleLeader(crate::scenario::SingleLeader {
                        election_timeout: e.effective,
                        ..sl.clone()
                    });
                    &fitted
                }
                (strategy, _) => strategy,
            };
            let mut ctx = Ctx {
                id: node,
                now: *now,
                clock: cfg
                    .clocks
                    .get(&node)
                    .copied()
                    .unwrap_or_default()
                    .read(*now),
                members,
                rng,
            };
            nodes[node as usize]
                .logic
                .handle(&mut ctx, strategy, input, &mut out);
        }
        for e in out {
            self.apply_effect(node, e, trace);
        }
    }

    fn apply_effect(&mut self, node: NodeId, effect: Effect, trace: &mut Vec<TraceEvent>) {
        match effect {
            Effect::Send { to, msg } => self.send(Addr::Node(node), Addr::Node(to), msg, trace),
            Effect::Reply { client, op, reply } => self.send(
                Addr::Node(node),
                Addr::Client(client),
                Msg::ClientReply { op, reply },
                trace,
            ),
            Effect::SetTimer { kind, after } => {
                let s = &mut self.nodes[node as usize];
                s.timer_gen[kind.index()] += 1;
                let (gen, incarnation) = (s.timer_gen[kind.index()], s.incarnation);
                self.push(
                    self.now + after.max(1),
                    Event::Timer {
                        node,
                        incarnation,
                        kind,
                        gen,
                    },
                );
            }
            Effect::CancelTimer(kind) => self.nodes[node as usize].timer_gen[kind.index()] += 1,
            Effect::Role { role, epoch } => {
                let slot = &mut self.nodes[node as usize];
                if slot.reported != Some((role, epoch)) {
                    slot.reported = Some((role, epoch));
                    self.emit(trace, TraceKind::Role { node, role, epoch });
                }
                if role == Role::Leader && epoch > 0 {
                    self.leaders.insert(epoch, node);
                    self.on_new_leader(node, epoch, trace);
                }
            }
            Effect::SyncSet(followers) => self.emit(trace, TraceKind::SyncSet { node, followers }),
            Effect::Truncated { from_lsn, writes } => {
                if !writes.is_empty() {
                    self.emit(
                        trace,
                        TraceKind::Truncated {
                            node,
                            from_lsn,
                            writes,
                        },
                    )
                }
            }
            // The reports below are facts; the checkers judge them (`check::Live`).
            Effect::Accepted { write, dot } => {
                self.accepted += 1;
                self.checker.on_accepted(write, dot);
                self.detect_split_brain(node, trace);
            }
            Effect::Context { write, context } => self.checker.on_context(write, context),
            Effect::Discarded { write, by, rule } => {
                if let Some(a) = self.checker.on_overwritten(write, by, rule) {
                    self.anomaly(a, trace);
                }
            }
            Effect::Conflict { key, writes } => {
                if let Some(a) = self.checker.on_conflict(key, writes) {
                    self.anomaly(a, trace);
                }
            }
            Effect::Overtook { write, missing } => {
                if let Some(a) = self.checker.on_overtook(node, write, missing) {
                    self.anomaly(a, trace);
                }
            }
        }
    }

    /// Two nodes that both believe they lead, and one of them just accepted a write.
    fn detect_split_brain(&mut self, node: NodeId, trace: &mut Vec<TraceEvent>) {
        let Some(me) = self.nodes[node as usize].logic.single() else {
            return;
        };
        let my_epoch = me.durable.epoch;
        let others: Vec<(NodeId, u64)> = self
            .nodes
            .iter()
            .enumerate()
            .filter(|(i, s)| *i != node as usize && s.up)
            .filter_map(|(i, s)| s.logic.single().map(|n| (i as NodeId, n)))
            .filter(|(_, n)| n.role() == Role::Leader)
            .map(|(i, n)| (i, n.durable.epoch))
            .collect();
        for a in self.checker.on_leader_write(node, my_epoch, &others) {
            self.anomaly(a, trace);
        }
    }

    /// A new leader: the checkers judge which acknowledged writes it lacks (lost, as of now)
    /// and which writes declared lost earlier it holds (back: their anomalies are retracted).
    fn on_new_leader(&mut self, node: NodeId, epoch: u64, trace: &mut Vec<TraceEvent>) {
        let logic = &self.nodes[node as usize].logic;
        if logic.single().is_none() {
            return;
        }
        let (lost, back) = self
            .checker
            .on_new_leader(node, epoch, |op| logic.holds(op));
        for op in back {
            let why = format!("n{node} leads epoch {epoch} with it");
            // The newest standing declaration about this write (an older one may have been
            // retracted already, or forgotten with the oldest history).
            let declared = self.anomalies.iter_mut().rev().find(|a| {
                a.retracted.is_none()
                    && matches!(a.kind, AnomalyKind::LostWrite { op: o, .. } if o == op)
            });
            if let Some(a) = declared {
                a.retracted = Some(check::Retraction {
                    t: self.now,
                    why,
                    event: self.stats.events,
                });
            }
        }
        for a in lost {
            self.anomaly(a, trace);
        }
    }

    fn anomaly(&mut self, kind: AnomalyKind, trace: &mut Vec<TraceEvent>) {
        let index = self.anomalies.end();
        *self.totals.ops.anomalies.entry(kind.name()).or_default() += 1;
        self.anomalies.push(Anomaly::new(self.now, kind));
        self.emit(trace, TraceKind::Anomaly { index });
    }

    /// Latency of a client's message to or from node `n`.
    fn client_latency(&mut self, c: ClientId, n: NodeId) -> Time {
        let home = self.clients[c as usize].home == n;
        let base = self.cfg.net.client_latency + if home { 0 } else { self.cfg.net.latency };
        base + self.rng.upto(self.cfg.net.client_latency / 5)
    }

    /// The directed node-to-node link a message from `from` to `to` crosses, if any. Between
    /// nodes, that link. A client lives beside its home node (in its region), so its message to
    /// node `n` crosses the link from its home node to `n`, and `n`'s reply the link from `n` back
    /// to the home node: whatever cuts the home node off from `n` (a partition, or a cut one way)
    /// cuts its clients off from `n` the same way. Between a client and its home node no link is
    /// crossed, so nothing but a crash stands between them.
    fn crosses(&self, from: Addr, to: Addr) -> Option<(NodeId, NodeId)> {
        match (from, to) {
            (Addr::Node(a), Addr::Node(b)) => Some((a, b)),
            (Addr::Client(c), Addr::Node(n)) => {
                let home = self.clients[c as usize].home;
                (home != n).then_some((home, n))
            }
            (Addr::Node(n), Addr::Client(c)) => {
                let home = self.clients[c as usize].home;
                (home != n).then_some((n, home))
            }
            (Addr::Client(_), Addr::Client(_)) => None,
        }
    }

    /// Whether a message from `from` to `to` would now cross a cut link.
    fn is_cut(&self, from: Addr, to: Addr) -> bool {
        self.crosses(from, to)
            .is_some_and(|(a, b)| self.net.is_cut(a, b))
    }

    fn send(&mut self, from: Addr, to: Addr, msg: Msg, trace: &mut Vec<TraceEvent>) {
        let (latency, doomed, dup) = match (from, to) {
            (Addr::Node(a), Addr::Node(b)) => {
                let latency = self.net.latency(a, b, &mut self.rng);
                let doomed = if self.net.is_cut(a, b) {
                    Some(DropCause::Partition)
                } else if self.rng.chance_ppm(self.net.loss_ppm(a, b)) {
                    Some(DropCause::Loss)
                } else {
                    None
                };
                let dup = doomed.is_none() && self.rng.chance_ppm(self.cfg.net.duplicate_ppm);
                (latency, doomed, dup)
            }
            (Addr::Client(c), Addr::Node(n)) | (Addr::Node(n), Addr::Client(c)) => {
                // Only a cut stops a client's message: loss and duplication are modelled
                // between nodes, so client traffic stays as it was on links that are not cut.
                let doomed = self.is_cut(from, to).then_some(DropCause::Partition);
                (self.client_latency(c, n), doomed, false)
            }
            (Addr::Client(_), Addr::Client(_)) => return,
        };
        let copy = dup.then(|| msg.clone());
        self.launch(from, to, msg, latency, doomed, trace);
        if let (Some(msg), Addr::Node(a), Addr::Node(b)) = (copy, from, to) {
            self.stats.duplicated += 1;
            let latency = self.net.latency(a, b, &mut self.rng);
            self.launch(from, to, msg, latency, None, trace);
        }
    }

    fn launch(
        &mut self,
        from: Addr,
        to: Addr,
        msg: Msg,
        latency: Time,
        doomed: Option<DropCause>,
        trace: &mut Vec<TraceEvent>,
    ) {
        let id = self.next_msg;
        self.next_msg += 1;
        self.stats.messages_sent += 1;
        let arrive = self.now + latency.max(1);
        let at = if doomed.is_some() {
            self.now + (arrive - self.now) / 2
        } else {
            arrive
        };
        self.emit(
            trace,
            TraceKind::Sent {
                id,
                from,
                to,
                kind: msg.kind(),
                arrive,
                summary: msg.digest(),
            },
        );
        self.in_flight.insert(
            id,
            Flight {
                from,
                to,
                msg,
                sent: self.now,
                arrive,
                doomed,
            },
        );
        self.push(at.max(self.now + 1), Event::Deliver(id));
    }

    fn deliver(&mut self, id: MsgId, trace: &mut Vec<TraceEvent>) {
        let Some(f) = self.in_flight.remove(&id) else {
            return;
        };
        let cause = f.doomed.or_else(|| match (f.from, f.to) {
            (from, to) if self.is_cut(from, to) => Some(DropCause::Partition),
            (_, Addr::Node(b)) if !self.nodes[b as usize].up => Some(DropCause::NodeDown),
            _ => None,
        });
        if let Some(cause) = cause {
            match cause {
                DropCause::Loss => self.stats.dropped_loss += 1,
                DropCause::Partition => self.stats.dropped_partition += 1,
                DropCause::NodeDown => self.stats.dropped_node_down += 1,
            }
            self.emit(trace, TraceKind::Dropped { id, cause });
            return;
        }
        self.stats.messages_delivered += 1;
        self.emit(trace, TraceKind::Delivered { id });
        match f.to {
            Addr::Node(n) => self.run_node(
                n,
                Input::Message {
                    from: f.from,
                    msg: f.msg,
                },
                trace,
            ),
            Addr::Client(c) => {
                if let (Addr::Node(n), Msg::ClientReply { op, reply }) = (f.from, f.msg) {
                    self.on_reply(c, n, op, reply, trace);
                }
            }
        }
    }

    fn invoke(
        &mut self,
        client: ClientId,
        kind: OpKind,
        from: ReadFrom,
        trace: &mut Vec<TraceEvent>,
    ) -> OpId {
        let id = self.history.end();
        let c = &self.clients[client as usize];
        let node = match (&kind, from) {
            (_, ReadFrom::Node(n)) => n.min(self.nodes.len() as NodeId - 1),
            (OpKind::Write { .. }, _) | (_, ReadFrom::Leader) => c.leader_hint,
            (_, ReadFrom::Nearest) => c.home,
        };
        self.history.push(Operation {
            id,
            client,
            kind,
            from,
            node,
            invoke: self.now,
            complete: None,
            attempts: 0,
            result: OpResult::Pending,
        });
        self.checker.on_invoke(&self.history[id]);
        self.totals.invoked(&self.history[id]);
        if id.is_multiple_of(FORGET_EVERY) {
            self.marks.insert(id, self.now);
            if id as usize >= HISTORY_KEEP + HISTORY_KEEP / 2 {
                self.forget_old(id - HISTORY_KEEP as OpId);
            }
        }
        self.emit(trace, TraceKind::Invoked { op: id, client });
        self.push(self.now + self.cfg.op_timeout, Event::ClientTimeout(id));
        self.send_op(id, trace);
        id
    }

    fn send_op(&mut self, id: OpId, trace: &mut Vec<TraceEvent>) {
        let op = &mut self.history[id];
        op.attempts += 1;
        let (client, node) = (op.client, op.node);
        let msg = match &op.kind {
            OpKind::Write { key, value } => Msg::ClientWrite {
                client,
                op: id,
                key: key.clone(),
                value: value.clone(),
                context: self.clients[client as usize].contexts.get(key).cloned(),
            },
            OpKind::Read { key } => Msg::ClientRead {
                client,
                op: id,
                key: key.clone(),
                leader_only: op.from == ReadFrom::Leader,
            },
        };
        self.send(Addr::Client(client), Addr::Node(node), msg, trace);
    }

    fn on_reply(
        &mut self,
        client: ClientId,
        from: NodeId,
        op: OpId,
        reply: Reply,
        trace: &mut Vec<TraceEvent>,
    ) {
        if self
            .history
            .get(op)
            .is_none_or(|o| o.result != OpResult::Pending)
        {
            // A late answer to an operation that already timed out (or finished so long ago that
            // it is no longer kept).
            return;
        }
        match reply {
            Reply::Written {
                lsn,
                epoch,
                vv,
                dot,
            } => {
                let c = &mut self.clients[client as usize];
                if let Strategy::SingleLeader(_) = self.cfg.strategy {
                    c.leader_hint = from;
                }
                // The session's causal context grows by what it wrote (Dynamo/Riak contexts): a
                // later write of this client then comes after this one.
                if let Some(vv) = &vv {
                    let key = self.history[op].kind.key().to_string();
                    c.contexts.entry(key).or_default().merge(vv);
                }
                self.complete(op, OpResult::Written { lsn, epoch, dot }, trace)
            }
            Reply::Value {
                value,
                write,
                lsn,
                epoch,
                others,
                merged,
                vv,
            } => {
                // ... and by what it read, so that a write after a read comes after the writes
                // the read returned.
                if let Some(vv) = &vv {
                    let key = self.history[op].kind.key().to_string();
                    self.clients[client as usize]
                        .contexts
                        .entry(key)
                        .or_default()
                        .merge(vv);
                }
                self.complete(
                    op,
                    OpResult::Read {
                        value,
                        write,
                        lsn,
                        epoch,
                        others,
                        merged,
                        vv,
                    },
                    trace,
                )
            }
            Reply::NotLeader { hint } => {
                if self.history[op].attempts >= MAX_ATTEMPTS {
                    let reason = "no leader found".to_string();
                    self.complete(op, OpResult::Failed { reason }, trace);
                    return;
                }
                let n = self.nodes.len() as NodeId;
                let next = hint.unwrap_or((from + 1) % n);
                self.clients[client as usize].leader_hint = next;
                self.history[op].node = next;
                let delay = if hint.is_some() { 0 } else { RETRY_DELAY };
                self.push(self.now + delay.max(1), Event::ClientRetry(op));
            }
            Reply::Failed { reason, maybe } => {
                let result = if maybe {
                    OpResult::Indeterminate { reason }
                } else {
                    OpResult::Failed { reason }
                };
                self.complete(op, result, trace)
            }
        }
    }

    fn complete(&mut self, op: OpId, result: OpResult, trace: &mut Vec<TraceEvent>) {
        let o = &mut self.history[op];
        o.complete = Some(self.now);
        o.result = result;
        let client = o.client;
        self.totals.completed(&self.history[op]);
        self.emit(trace, TraceKind::Completed { op, client });
        let newest = match (&self.history[op].result, &self.cfg.strategy) {
            (OpResult::Written { .. }, Strategy::SingleLeader(_)) => self
                .leaders
                .last_key_value()
                .map(|(&epoch, &leader)| check::NewestLeader {
                    epoch,
                    node: leader,
                    holds: self.nodes[leader as usize].logic.holds(op),
                }),
            _ => None,
        };
        let found = self.checker.on_complete(&self.history[op], newest);
        for kind in found {
            self.anomaly(kind, trace);
        }
    }

    /// Forgets the oldest operations, down to the newest [`HISTORY_KEEP`] (never one still
    /// pending), the anomalies found before the first operation kept was invoked, and what the
    /// checkers and the bookkeeping of writes held about them.
    ///
    /// Whether and where to cut depends only on operation ids, the operations still pending and
    /// the marks, never on what else the history holds (after a seek far back it may hold fewer
    /// operations than a straight run's, see `Simulation::restore`).
    fn forget_old(&mut self, target: OpId) {
        let first_pending = self
            .history
            .iter()
            .find(|o| o.result == OpResult::Pending)
            .map(|o| o.id);
        let cut = first_pending.map_or(target, |p| p.min(target));
        let since = match self.history.get(cut) {
            Some(o) if Some(cut) == first_pending => o.invoke,
            _ => self.marks[&target],
        };
        self.marks.retain(|id, _| *id > target);
        self.history.forget_before(cut);
        let a = &self.anomalies;
        let first = a.iter().take_while(|x| x.t < since).count() as u32 + a.start();
        self.anomalies.forget_before(first);
        self.since = since;
        self.checker.forget(cut, since);
        for n in &mut self.nodes {
            n.logic.forget_writes_before(cut);
        }
    }

    fn apply_action(&mut self, action: Action, trace: &mut Vec<TraceEvent>) {
        let n = self.nodes.len() as NodeId;
        let valid = |x: NodeId| x < n;
        match action {
            Action::Write {
                client,
                key,
                value,
                node,
            } if (client as usize) < self.clients.len() => {
                let from = match node {
                    Some(x) if valid(x) => ReadFrom::Node(x),
                    _ => ReadFrom::Leader,
                };
                self.invoke(client, OpKind::Write { key, value }, from, trace);
            }
            Action::Read { client, key, from } if (client as usize) < self.clients.len() => {
                self.invoke(client, OpKind::Read { key }, from, trace);
            }
            Action::Crash(x) if valid(x) && self.nodes[x as usize].up => {
                let s = &mut self.nodes[x as usize];
                s.up = false;
                s.incarnation += 1;
                s.logic.crash();
                self.emit(trace, TraceKind::Crashed { node: x });
            }
            Action::Restart(x) if valid(x) && !self.nodes[x as usize].up => {
                self.nodes[x as usize].up = true;
                self.emit(trace, TraceKind::Restarted { node: x });
                self.run_node(x, Input::Boot { lead: false }, trace);
            }
            Action::Cut { from, to, both } if valid(from) && valid(to) && from != to => {
                for (a, b) in directed(from, to, both) {
                    if self.net.cut.insert((a, b)) {
                        self.emit(trace, TraceKind::LinkCut { from: a, to: b });
                    }
                }
            }
            Action::Heal { from, to, both } => {
                for (a, b) in directed(from, to, both) {
                    if self.net.cut.remove(&(a, b)) {
                        self.emit(trace, TraceKind::LinkHealed { from: a, to: b });
                    }
                }
            }
            Action::Partition(groups) => {
                let group_of = |x: NodeId| {
                    groups
                        .iter()
                        .position(|g| g.contains(&x))
                        .unwrap_or(usize::MAX)
                };
                for a in 0..n {
                    for b in 0..n {
                        if a != b && group_of(a) != group_of(b) && self.net.cut.insert((a, b)) {
                            self.emit(trace, TraceKind::LinkCut { from: a, to: b });
                        }
                    }
                }
            }
            Action::HealAll => {
                for (a, b) in std::mem::take(&mut self.net.cut) {
                    self.emit(trace, TraceKind::LinkHealed { from: a, to: b });
                }
            }
            Action::SetLatency {
                link,
                latency,
                jitter,
            } => {
                let text = match link {
                    Some((a, b)) => {
                        let o = self.net.cfg.links.entry((a, b)).or_default();
                        o.latency = Some(latency);
                        if jitter.is_some() {
                            o.jitter = jitter;
                        }
                        format!("latency n{a}→n{b} = {}", crate::types::fmt_ms(latency))
                    }
                    None => {
                        self.net.cfg.latency = latency;
                        if let Some(j) = jitter {
                            self.net.cfg.jitter = j;
                        }
                        format!("latency = {}", crate::types::fmt_ms(latency))
                    }
                };
                self.cfg.net = self.net.cfg.clone();
                self.emit(trace, TraceKind::Config { text });
                let before = self.election;
                self.election = ElectionTimeout::of(&self.cfg);
                if let Some(e) = self
                    .election
                    .filter(|e| Some(e.effective) != before.map(|b| b.effective))
                {
                    let text = e.note().unwrap_or_else(|| {
                        format!(
                            "election timeout back to {} (fits latency {})",
                            crate::types::fmt_ms(e.effective),
                            crate::types::fmt_ms(e.slowest_one_way)
                        )
                    });
                    self.emit(trace, TraceKind::Config { text });
                }
            }
            Action::SetLoss { link, loss_ppm } => {
                let text = match link {
                    Some((a, b)) => {
                        self.net.cfg.links.entry((a, b)).or_default().loss_ppm = Some(loss_ppm);
                        format!("loss n{a}→n{b} = {}%", loss_ppm as f64 / 10_000.0)
                    }
                    None => {
                        self.net.cfg.loss_ppm = loss_ppm;
                        format!("loss = {}%", loss_ppm as f64 / 10_000.0)
                    }
                };
                self.cfg.net = self.net.cfg.clone();
                self.emit(trace, TraceKind::Config { text });
            }
            Action::SetDuplicate(ppm) => {
                self.net.cfg.duplicate_ppm = ppm;
                self.cfg.net = self.net.cfg.clone();
                let text = format!("duplication = {}%", ppm as f64 / 10_000.0);
                self.emit(trace, TraceKind::Config { text });
            }
            Action::SetClock { node, clock } if valid(node) => {
                self.cfg.clocks.insert(node, clock);
                let text = format!(
                    "clock n{node}: offset {} µs, drift {} ppm",
                    clock.offset, clock.drift_ppm
                );
                self.emit(trace, TraceKind::Config { text });
            }
            Action::SetMode(mode) => {
                let applies = match &mut self.cfg.strategy {
                    Strategy::SingleLeader(sl) => {
                        sl.mode = mode;
                        true
                    }
                    Strategy::MultiLeader(ml) => {
                        ml.local_mode = mode;
                        true
                    }
                    Strategy::Leaderless(_) => false,
                };
                if applies {
                    let text = format!("mode = {}", mode.describe());
                    self.emit(trace, TraceKind::Config { text });
                }
            }
            Action::SetQuorum { w, r } => {
                if let Strategy::Leaderless(l) = &mut self.cfg.strategy {
                    l.w = w.clamp(1, l.n);
                    l.r = r.clamp(1, l.n);
                    let text = format!("W = {}, R = {} (N = {})", l.w, l.r, l.n);
                    self.emit(trace, TraceKind::Config { text });
                }
            }
            Action::AddNode
                if n < crate::scenario::MAX_NODES
                    && matches!(self.cfg.strategy, Strategy::SingleLeader(_)) =>
            {
                self.add_node(trace);
            }
            Action::SetWorkload(wl) => {
                self.cfg.workload = wl;
                self.restart_workload();
                let text = if self.cfg.workload.is_some() {
                    "workload changed"
                } else {
                    "workload stopped"
                };
                self.emit(trace, TraceKind::Config { text: text.into() });
            }
            Action::Caption(text) => self.emit(trace, TraceKind::Caption { text }),
            // Actions naming nodes or clients that do not exist (yet) do nothing.
            _ => {}
        }
    }
}

fn directed(a: NodeId, b: NodeId, both: bool) -> Vec<(NodeId, NodeId)> {
    if both {
        vec![(a, b), (b, a)]
    } else {
        vec![(a, b)]
    }
}

/// Clients are shown as letters: c0 writes a1, a2, ...; c1 writes b1, b2, ...
pub fn client_letter(c: ClientId) -> char {
    (b'a' + (c % 26) as u8) as char
}
