//! Clients and the operation history.
//!
//! A client sends each operation to one node and waits, with a timeout. Writes go to the node it
//! believes is the leader; a node that is not answers "not leader" with a hint, and the client
//! retries there. Every operation is recorded in the [`History`] with its invoke and completion
//! times and its result.

use crate::scenario::ReadFrom;
use crate::strategy::versioned::{Dot, Vv};
use crate::types::{ClientId, NodeId, OpId, Time};
use crate::window::Window;
use serde::Serialize;
use std::collections::BTreeMap;

/// How many times a client follows "not leader" answers before it gives up.
pub const MAX_ATTEMPTS: u8 = 6;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    pub id: ClientId,
    /// The node this client is closest to.
    pub home: NodeId,
    /// Where the client sends writes: its belief about who leads.
    pub leader_hint: NodeId,
    /// Operations written by the workload generator so far (for unique values).
    pub generated: u64,
    /// Per key, the merge of every version vector this client has read or written: its
    /// session's causal context (as Dynamo and Riak clients carry), sent with its next write of
    /// the key so that the write comes after everything the session saw (multi-leader,
    /// leaderless).
    pub contexts: BTreeMap<String, Vv>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum OpKind {
    Write { key: String, value: String },
    Read { key: String },
}

impl OpKind {
    pub fn key(&self) -> &str {
        match self {
            OpKind::Write { key, .. } | OpKind::Read { key } => key,
        }
    }
}

/// The outcome of an operation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum OpResult {
    /// Still waiting.
    Pending,
    /// The write was acknowledged: it is at `lsn` of the log of the leader of `epoch`
    /// (single-leader), or it is the version `dot` (multi-leader, leaderless).
    Written {
        lsn: u64,
        epoch: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        dot: Option<Dot>,
    },
    /// The read returned `value`, written by operation `write` (and, with siblings, `others`).
    Read {
        value: Option<String>,
        write: Option<OpId>,
        lsn: u64,
        epoch: u64,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        others: Vec<(String, OpId)>,
        /// Union resolution: `value` is the merged set of the items of `write` and of every
        /// write in `others` (their own values are in `others`), not the value of one write.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        merged: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        vv: Option<Vv>,
    },
    /// Definitely did not take effect.
    Failed { reason: String },
    /// May or may not have taken effect (a timeout, or a leader that stepped down).
    Indeterminate { reason: String },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Operation {
    pub id: OpId,
    pub client: ClientId,
    #[serde(flatten)]
    pub kind: OpKind,
    #[serde(skip)]
    pub from: ReadFrom,
    /// The node the client last sent it to.
    pub node: NodeId,
    /// When the client invoked it (µs of virtual time; JSON names carry the unit).
    #[serde(rename = "invoke_us")]
    pub invoke: Time,
    /// When its answer arrived or it timed out (µs), if it has finished.
    #[serde(rename = "complete_us")]
    pub complete: Option<Time>,
    pub attempts: u8,
    pub result: OpResult,
}

impl Operation {
    pub fn is_write(&self) -> bool {
        matches!(self.kind, OpKind::Write { .. })
    }
    pub fn latency(&self) -> Option<Time> {
        self.complete.map(|c| c - self.invoke)
    }
}

/// The client operations of a run, indexed by [`OpId`]: the newest ones. Operations before
/// [`Window::start`] have been forgotten (see `sim`'s retention rules); every operation still
/// pending is kept.
pub type History = Window<Operation>;
