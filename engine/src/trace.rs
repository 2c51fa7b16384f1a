//! What happened in a run, in order: the record the page animates and the tests hash.
//!
//! Every message send, delivery and drop carries the message id, so the page can draw a message
//! from its `Sent` event (which knows the arrival time) to its `Delivered` or `Dropped` event.

use crate::types::{Addr, ClientId, MsgId, MsgKind, NodeId, OpId, Role, Time};
use serde::Serialize;
use std::hash::{Hash, Hasher};

/// Why a message never arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DropCause {
    /// The network lost it (the link's loss probability).
    Loss,
    /// The link was cut (a partition) when it was sent or when it arrived.
    Partition,
    /// The receiver was down when it arrived.
    NodeDown,
}

/// One thing that happened at time `t`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct TraceEvent {
    pub t: Time,
    #[serde(flatten)]
    pub kind: TraceKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum TraceKind {
    /// A message left `from`; undisturbed it arrives at `arrive`.
    Sent {
        id: MsgId,
        from: Addr,
        to: Addr,
        kind: MsgKind,
        arrive: Time,
        summary: String,
    },
    Delivered {
        id: MsgId,
    },
    Dropped {
        id: MsgId,
        cause: DropCause,
    },
    Crashed {
        node: NodeId,
    },
    Restarted {
        node: NodeId,
    },
    NodeAdded {
        node: NodeId,
    },
    /// A node's role or epoch changed.
    Role {
        node: NodeId,
        role: Role,
        epoch: u64,
    },
    /// A leader changed the set of followers it waits for (semi-synchronous replication).
    SyncSet {
        node: NodeId,
        followers: Vec<NodeId>,
    },
    /// A node threw away the tail of its log from `from_lsn` on, and with it these writes.
    Truncated {
        node: NodeId,
        from_lsn: u64,
        writes: Vec<OpId>,
    },
    /// A client started an operation.
    Invoked {
        op: OpId,
        client: ClientId,
    },
    /// A client operation finished (see the history for its result).
    Completed {
        op: OpId,
        client: ClientId,
    },
    LinkCut {
        from: NodeId,
        to: NodeId,
    },
    LinkHealed {
        from: NodeId,
        to: NodeId,
    },
    /// A setting changed during the run (latency, loss, clock, mode...).
    Config {
        text: String,
    },
    /// An author's note on the timeline.
    Caption {
        text: String,
    },
    /// A checker noticed something wrong (see `Simulation::anomalies`).
    Anomaly {
        index: u32,
    },
}

/// FNV-1a, fed in a platform-independent way: `usize` is widened to 64 bits, integers are
/// little-endian. `std`'s default hasher is randomly keyed and `usize` differs between wasm32 and
/// x86_64, so neither could compare traces across platforms.
#[derive(Clone, Debug)]
pub struct StableHasher(u64);

impl Default for StableHasher {
    fn default() -> Self {
        StableHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for StableHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= *b as u64;
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.write(&[i]);
    }
    fn write_u16(&mut self, i: u16) {
        self.write(&i.to_le_bytes());
    }
    fn write_u32(&mut self, i: u32) {
        self.write(&i.to_le_bytes());
    }
    fn write_u64(&mut self, i: u64) {
        self.write(&i.to_le_bytes());
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
    fn write_isize(&mut self, i: isize) {
        self.write_u64(i as i64 as u64);
    }
}

/// A hash of a whole trace that is equal on every platform for equal traces.
pub fn trace_hash(trace: &[TraceEvent]) -> u64 {
    let mut h = StableHasher::default();
    trace.len().hash(&mut h);
    for e in trace {
        e.hash(&mut h);
    }
    h.finish()
}
