//! Small shared vocabulary: time, identifiers, addresses, roles.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Virtual time in microseconds since the start of the run.
pub type Time = u64;
/// One millisecond of virtual time.
pub const MS: Time = 1_000;
/// A database node, numbered from 0.
pub type NodeId = u16;
/// A client, numbered from 0.
pub type ClientId = u16;
/// A message, numbered in send order from 0.
pub type MsgId = u64;
/// A client operation: its index in the history.
pub type OpId = u32;

/// Anything that sends or receives messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Addr {
    Node(NodeId),
    Client(ClientId),
}

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Addr::Node(n) => write!(f, "n{n}"),
            Addr::Client(c) => write!(f, "c{c}"),
        }
    }
}

/// What a node currently believes it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Leader,
    Follower,
    Candidate,
    /// A leaderless node: every node is an equal replica (and coordinates its clients' requests).
    Replica,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Leader => "leader",
            Role::Follower => "follower",
            Role::Candidate => "candidate",
            Role::Replica => "replica",
        }
    }
}

/// The kind of a message, which the page uses for colour and label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MsgKind {
    /// A client's write request.
    Write,
    /// A client's read request.
    Read,
    /// A reply to a client.
    Reply,
    /// Log entries shipped from a leader to a follower.
    Replicate,
    /// A follower's acknowledgement of replicated entries.
    Ack,
    /// A leader's keep-alive (replication message with no entries).
    Heartbeat,
    /// A vote request or a vote.
    Vote,
    /// A full copy of the data for a new or far-behind follower.
    Snapshot,
    /// A sloppy-quorum write held for another node, or its hand-off.
    Hint,
    /// A read repair.
    Repair,
    /// Anti-entropy: comparing and exchanging key ranges.
    AntiEntropy,
}

impl MsgKind {
    pub fn name(self) -> &'static str {
        match self {
            MsgKind::Write => "write",
            MsgKind::Read => "read",
            MsgKind::Reply => "reply",
            MsgKind::Replicate => "replicate",
            MsgKind::Ack => "ack",
            MsgKind::Heartbeat => "heartbeat",
            MsgKind::Vote => "vote",
            MsgKind::Snapshot => "snapshot",
            MsgKind::Hint => "hint",
            MsgKind::Repair => "repair",
            MsgKind::AntiEntropy => "anti-entropy",
        }
    }
}

/// Formats a virtual time as milliseconds for people ("1234.5 ms").
pub fn fmt_ms(t: Time) -> String {
    if t.is_multiple_of(MS) {
        format!("{} ms", t / MS)
    } else {
        format!("{:.1} ms", t as f64 / MS as f64)
    }
}
