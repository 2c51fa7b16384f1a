//! The sans-IO node interface: what a node receives and what it may ask for.
//!
//! A node's handler receives one [`Input`] and pushes [`Effect`]s into an outbox. It never touches
//! the event queue, the network or the clock itself; the simulation owns those. That is what
//! makes every node decision replayable and testable in isolation.

use crate::rng::Rng;
use crate::store::{Cell, Entry};
use crate::strategy::versioned::{Dot, Resolution, Version, Vv};
use crate::types::{MsgKind, NodeId, OpId, Role, Time};
use std::collections::{BTreeMap, BTreeSet};

/// What the simulation tells a node.
#[derive(Clone, Debug)]
pub enum Input {
    /// The node starts (at time 0, or after a crash). `lead` bootstraps the first leader.
    Boot {
        lead: bool,
    },
    Message {
        from: crate::types::Addr,
        msg: Msg,
    },
    Timer(TimerKind),
}

/// A node has at most one pending timer of each kind; setting one replaces it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TimerKind {
    Heartbeat,
    Election,
    /// A periodic check (leaderless coordinators: deadlines, fallbacks, hand-off, anti-entropy).
    Tick,
}

impl TimerKind {
    pub const COUNT: usize = 3;
    pub fn index(self) -> usize {
        self as usize
    }
}

/// What a node asks the simulation to do.
#[derive(Clone, Debug)]
pub enum Effect {
    Send {
        to: NodeId,
        msg: Msg,
    },
    /// Answer a client (the simulation routes it back over the client's link).
    Reply {
        client: crate::types::ClientId,
        op: OpId,
        reply: Reply,
    },
    SetTimer {
        kind: TimerKind,
        after: Time,
    },
    CancelTimer(TimerKind),
    /// Report a role or epoch change (for the trace and the checkers).
    Role {
        role: Role,
        epoch: u64,
    },
    /// Report a change of the followers a leader waits for.
    SyncSet(Vec<NodeId>),
    /// Report that the node discarded writes from its log.
    Truncated {
        from_lsn: u64,
        writes: Vec<OpId>,
    },
    /// Report that the node, as leader or coordinator, accepted a client write.
    Accepted {
        write: OpId,
        /// The write's dot (multi-leader, leaderless).
        dot: Option<Dot>,
    },
    /// Report the causal context of a write this node just accepted (multi-leader, leaderless):
    /// the version vector of everything its writer had seen of the key, without the write's own
    /// dot. The checkers judge with it which writes came before which.
    Context {
        write: OpId,
        context: Vv,
    },
    /// Report that conflict resolution (`rule`) replaced write `write` by `by`, which did not
    /// carry it in its version vector. Whether that lost `write` or merely overwrote it is the
    /// checkers' verdict (see `check::Live::on_overwritten`).
    Discarded {
        write: OpId,
        by: OpId,
        rule: Resolution,
    },
    /// Report concurrent writes to one key.
    Conflict {
        key: String,
        writes: Vec<OpId>,
    },
    /// Report a write applied before a write to the same key that it depends on.
    Overtook {
        write: OpId,
        missing: Dot,
    },
}

/// The context of one handler call.
pub struct Ctx<'a> {
    pub id: NodeId,
    /// True time (what the simulation knows).
    pub now: Time,
    /// The node's own wall clock, which may be skewed.
    pub clock: Time,
    /// Every node of the cluster, this one included, in id order.
    pub members: &'a [NodeId],
    pub rng: &'a mut Rng,
}

impl Ctx<'_> {
    pub fn majority(&self) -> usize {
        self.members.len() / 2 + 1
    }
}

/// Messages between nodes and between clients and nodes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Msg {
    ClientWrite {
        client: crate::types::ClientId,
        op: OpId,
        key: String,
        value: String,
        /// The versions the client read before (leaderless and multi-leader): the write
        /// replaces exactly those.
        context: Option<Vv>,
    },
    ClientRead {
        client: crate::types::ClientId,
        op: OpId,
        key: String,
        leader_only: bool,
    },
    ClientReply {
        op: OpId,
        reply: Reply,
    },
    /// Log entries after `prev_lsn` (which must have epoch `prev_epoch` on the receiver).
    /// With no entries it is a heartbeat. `last_lsn` is the end of the leader's log.
    Append {
        epoch: u64,
        prev_lsn: u64,
        prev_epoch: u64,
        entries: Vec<std::rc::Rc<Entry>>,
        last_lsn: u64,
    },
    /// `ok`: the receiver's log matches the leader's through `lsn`. Not ok: retry from `lsn + 1`.
    AppendResp {
        epoch: u64,
        ok: bool,
        lsn: u64,
    },
    /// "Would you vote for me in `epoch`?" asked before a real election, so that a node that
    /// was cut off cannot depose a healthy leader by bumping the epoch (Raft's pre-vote).
    PreVote {
        epoch: u64,
        last_lsn: u64,
        last_epoch: u64,
    },
    /// The answer to a pre-vote for epoch `asked`. `epoch` is the responder's own epoch, so a
    /// refused pre-candidate that is behind learns the current epoch (as etcd's raft does) and
    /// can stand in the next one.
    PreVoteResp {
        asked: u64,
        epoch: u64,
        granted: bool,
    },
    RequestVote {
        epoch: u64,
        last_lsn: u64,
        last_epoch: u64,
    },
    VoteResp {
        epoch: u64,
        granted: bool,
    },
    /// Multi-leader: writes streamed to a peer leader or a local follower. `upto` is the
    /// sender's log position after these entries (entries the receiver does not need are skipped).
    Stream {
        entries: Vec<Replicated>,
        upto: u64,
    },
    /// Multi-leader: the sender's current versions of every key the receiver wants, for a
    /// receiver that needs entries the sender's log has compacted away; they stand for the
    /// sender's log up to `upto`, its compacted position. Acknowledged like a stream.
    CatchUp {
        entries: Vec<Replicated>,
        upto: u64,
    },
    StreamAck {
        upto: u64,
    },
    /// Multi-leader with synchronous cross-leader replication: "I have write `write`".
    CrossAck {
        write: OpId,
    },
    /// Leaderless: store this version.
    Put {
        req: u64,
        key: String,
        version: Version,
        purpose: PutPurpose,
    },
    PutAck {
        req: u64,
        key: String,
        write: OpId,
    },
    Get {
        req: u64,
        key: String,
    },
    GetResp {
        req: u64,
        key: String,
        versions: Vec<Version>,
    },
    /// Anti-entropy, step 1: hashes of the key ranges both nodes replicate.
    AeTree {
        buckets: Vec<u64>,
    },
    /// Step 2: the ranges that differ, with the sender's versions in them.
    AeDiff {
        buckets: Vec<u16>,
        entries: Vec<(String, Vec<Version>)>,
    },
    /// Step 3: the initiator's versions in the differing ranges.
    AeEntries {
        entries: Vec<(String, Vec<Version>)>,
    },
    /// A full copy of the leader's data through `lsn`.
    Snapshot {
        epoch: u64,
        lsn: u64,
        lsn_epoch: u64,
        data: BTreeMap<String, Cell>,
        writes: BTreeSet<OpId>,
    },
}

/// A write travelling between multi-leader nodes, with the nodes it passed through.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Replicated {
    pub key: String,
    pub version: Version,
    pub path: Vec<NodeId>,
}

/// Why a leaderless node is asked to store a version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PutPurpose {
    /// A coordinator's write to a home replica.
    Write,
    /// A sloppy-quorum write to a stand-in, to be handed to `home` later.
    Hint { home: NodeId },
    /// A coordinator repairing a stale replica it saw during a read.
    Repair,
    /// A stand-in handing a hinted write to its home.
    Handoff,
}

/// A node's answer to a client.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Reply {
    Written {
        lsn: u64,
        epoch: u64,
        /// The new version's vector and dot (multi-leader, leaderless).
        vv: Option<Vv>,
        dot: Option<Dot>,
    },
    Value {
        value: Option<String>,
        write: Option<OpId>,
        lsn: u64,
        epoch: u64,
        /// Further concurrent values (siblings), or, when `merged`, the other writes whose items
        /// the merged `value` holds (with their own values).
        others: Vec<(String, OpId)>,
        /// Union resolution: `value` is the merged set of the items of `write` and of every
        /// write in `others` (see `versioned::ReadOut`).
        merged: bool,
        /// The versions' vector: the context for a following write (multi-leader, leaderless).
        vv: Option<Vv>,
    },
    /// "I am not the leader; try `hint`."
    NotLeader { hint: Option<NodeId> },
    /// The operation failed; `maybe` says whether it may still take effect.
    Failed { reason: String, maybe: bool },
}

impl Msg {
    pub fn kind(&self) -> MsgKind {
        match self {
            Msg::ClientWrite { .. } => MsgKind::Write,
            Msg::ClientRead { .. } => MsgKind::Read,
            Msg::ClientReply { .. } => MsgKind::Reply,
            Msg::Append { entries, .. } if entries.is_empty() => MsgKind::Heartbeat,
            Msg::Append { .. } => MsgKind::Replicate,
            Msg::AppendResp { .. } => MsgKind::Ack,
            Msg::RequestVote { .. }
            | Msg::VoteResp { .. }
            | Msg::PreVote { .. }
            | Msg::PreVoteResp { .. } => MsgKind::Vote,
            Msg::Snapshot { .. } | Msg::CatchUp { .. } => MsgKind::Snapshot,
            Msg::Stream { .. } => MsgKind::Replicate,
            Msg::StreamAck { .. }
            | Msg::CrossAck { .. }
            | Msg::PutAck { .. }
            | Msg::GetResp { .. } => MsgKind::Ack,
            Msg::Put { purpose, .. } => match purpose {
                PutPurpose::Write => MsgKind::Replicate,
                PutPurpose::Hint { .. } | PutPurpose::Handoff => MsgKind::Hint,
                PutPurpose::Repair => MsgKind::Repair,
            },
            Msg::Get { .. } => MsgKind::Read,
            Msg::AeTree { .. } | Msg::AeDiff { .. } | Msg::AeEntries { .. } => MsgKind::AntiEntropy,
        }
    }

    /// A short human-readable payload ("append lsn 4..5 (x=3, y=1)").
    pub fn summary(&self) -> String {
        self.digest().to_string()
    }

    /// The summary, kept as the values it is made of for the common messages (see
    /// [`crate::trace::Summary`]).
    pub fn digest(&self) -> crate::trace::Summary {
        use crate::trace::Summary;
        match self {
            Msg::Append {
                epoch,
                prev_lsn,
                entries,
                ..
            } => Summary::Append {
                epoch: *epoch,
                prev_lsn: *prev_lsn,
                shown: [0, 1, 2].map(|i| entries.get(i).cloned()),
                first: entries.first().map_or(0, |e| e.lsn),
                last: entries.last().map_or(0, |e| e.lsn),
                count: entries.len(),
            },
            Msg::AppendResp { epoch, ok, lsn } => Summary::AppendResp {
                epoch: *epoch,
                ok: *ok,
                lsn: *lsn,
            },
            other => Summary::Text(other.text()),
        }
    }

    /// The summary's text, built at once.
    fn text(&self) -> String {
        match self {
            Msg::ClientWrite { op, key, value, .. } => format!("write #{op} {key}={value}"),
            Msg::ClientRead { op, key, .. } => format!("read #{op} {key}"),
            Msg::ClientReply { op, reply } => match reply {
                Reply::Written { vv: Some(vv), .. } => format!("#{op} ok {vv}"),
                Reply::Written { lsn, epoch, .. } => format!("#{op} ok (lsn {lsn}, epoch {epoch})"),
                Reply::Value {
                    value,
                    merged: true,
                    others,
                    ..
                } => format!(
                    "#{op} = {} (merged from {} writes)",
                    value.as_deref().unwrap_or(""),
                    others.len() + 1
                ),
                Reply::Value {
                    value, others, vv: Some(_), ..
                } => {
                    let mut all: Vec<&str> = value.iter().map(|v| v.as_str()).collect();
                    all.extend(others.iter().map(|(v, _)| v.as_str()));
                    if all.is_empty() {
                        format!("#{op} = (none)")
                    } else {
                        format!("#{op} = {}", all.join(" | "))
                    }
                }
                Reply::Value { value, lsn, .. } => match value {
                    Some(v) => format!("#{op} = {v} (lsn {lsn})"),
                    None => format!("#{op} = (none)"),
                },
                Reply::NotLeader { hint: Some(h) } => format!("#{op} not leader, try n{h}"),
                Reply::NotLeader { hint: None } => format!("#{op} not leader, leader unknown"),
                Reply::Failed { reason, .. } => format!("#{op} failed: {reason}"),
            },
            // Kept as values: see `digest`.
            Msg::Append { .. } | Msg::AppendResp { .. } => self.digest().to_string(),
            Msg::RequestVote {
                epoch,
                last_lsn,
                last_epoch,
            } => format!("vote for me? epoch {epoch}, log at lsn {last_lsn} (epoch {last_epoch})"),
            Msg::PreVote {
                epoch,
                last_lsn,
                last_epoch,
            } => format!("pre-vote: would you elect me in epoch {epoch}? log at lsn {last_lsn} (epoch {last_epoch})"),
            Msg::PreVoteResp {
                asked,
                epoch,
                granted,
            } => {
                let answer = if *granted { "yes" } else { "no" };
                if asked > epoch {
                    format!("pre-vote {answer} (epoch {asked})")
                } else {
                    format!("pre-vote {answer} (epoch {asked}; I am at epoch {epoch})")
                }
            }
            Msg::VoteResp { epoch, granted } => {
                format!("{} (epoch {epoch})", if *granted { "vote granted" } else { "vote refused" })
            }
            Msg::Snapshot { lsn, data, .. } => {
                format!("snapshot through lsn {lsn} ({} keys)", data.len())
            }
            Msg::Stream { entries, upto } => {
                let kv: Vec<String> = entries
                    .iter()
                    .take(3)
                    .map(|e| format!("{}={} #{}", e.key, e.version.value, e.version.write))
                    .collect();
                let more = if entries.len() > 3 { ", ..." } else { "" };
                if entries.is_empty() {
                    format!("stream keep-alive, up to {upto}")
                } else {
                    format!("replicate {}{more} (up to {upto})", kv.join(", "))
                }
            }
            Msg::CatchUp { entries, upto } => {
                format!("catch-up: {} current versions (for up to {upto})", entries.len())
            }
            Msg::StreamAck { upto } => format!("ack up to {upto}"),
            Msg::CrossAck { write } => format!("have write #{write}"),
            Msg::Put { key, version, purpose, .. } => {
                let what = match purpose {
                    PutPurpose::Write => "store".to_string(),
                    PutPurpose::Hint { home } => format!("hinted for n{home}: store"),
                    PutPurpose::Repair => "read repair: store".to_string(),
                    PutPurpose::Handoff => "hand-off: store".to_string(),
                };
                format!("{what} {key}={} #{} {}", version.value, version.write, version.vv)
            }
            Msg::PutAck { key, write, .. } => format!("stored {key} #{write}"),
            Msg::Get { key, .. } => format!("get {key}"),
            Msg::GetResp { key, versions, .. } => {
                let vs: Vec<String> = versions.iter().map(|v| format!("{} #{}", v.value, v.write)).collect();
                if vs.is_empty() {
                    format!("{key} = (none)")
                } else {
                    format!("{key} = {}", vs.join(" | "))
                }
            }
            Msg::AeTree { buckets } => format!("anti-entropy: hashes of {} ranges", buckets.len()),
            Msg::AeDiff { buckets, entries } => {
                format!("anti-entropy: {} ranges differ, {} keys", buckets.len(), entries.len())
            }
            Msg::AeEntries { entries } => format!("anti-entropy: {} keys", entries.len()),
        }
    }
}
