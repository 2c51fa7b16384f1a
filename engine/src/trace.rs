//! What happened in a run, in order: the record the page animates and the tests hash.
//!
//! Every message send, delivery and drop carries the message id, so the page can draw a message
//! from its `Sent` event (which knows the arrival time) to its `Delivered` or `Dropped` event.

use crate::store::Entry;
use crate::types::{Addr, ClientId, MsgId, MsgKind, NodeId, OpId, Role, Time};
use serde::Serialize;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

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
    /// When it happened (µs of virtual time; JSON names carry the unit).
    #[serde(rename = "t_us")]
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
        #[serde(rename = "arrive_us")]
        arrive: Time,
        summary: Summary,
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

/// A message's readable payload ("append lsn 4..5 (x=3, y=1), epoch 2"), kept as the few values
/// it is made of and written out only when shown (`Display`, `to_string()`): building the text for
/// every message sent was a tenth of the engine's time. Hashes and serializes as its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Summary {
    Text(String),
    /// Log shipping: a heartbeat (no entries) or entries `first..=last` (the first three shown).
    Append {
        epoch: u64,
        prev_lsn: u64,
        shown: [Option<Rc<Entry>>; 3],
        first: u64,
        last: u64,
        count: usize,
    },
    AppendResp {
        epoch: u64,
        ok: bool,
        lsn: u64,
    },
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Summary::Text(s) => f.write_str(s),
            Summary::Append {
                epoch,
                prev_lsn,
                count: 0,
                ..
            } => write!(f, "heartbeat, epoch {epoch}, at lsn {prev_lsn}"),
            Summary::Append {
                epoch,
                shown,
                first,
                last,
                count,
                ..
            } => {
                if first == last {
                    write!(f, "append lsn {first} (")?;
                } else {
                    write!(f, "append lsn {first}..{last} (")?;
                }
                for (i, e) in shown.iter().flatten().enumerate() {
                    let sep = if i == 0 { "" } else { ", " };
                    write!(f, "{sep}{}={}", e.key, e.value)?;
                }
                let more = if *count > 3 { ", ..." } else { "" };
                write!(f, "{more}), epoch {epoch}")
            }
            Summary::AppendResp { epoch, ok, lsn } => {
                if *ok {
                    write!(f, "ack through lsn {lsn}, epoch {epoch}")
                } else {
                    write!(f, "reject (has lsn {lsn}), epoch {epoch}")
                }
            }
        }
    }
}

impl Hash for Summary {
    /// As the text would hash (so trace hashes do not depend on how the summary is kept).
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            Summary::Text(s) => s.hash(state),
            other => other.to_string().hash(state),
        }
    }
}

impl Serialize for Summary {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::Msg;

    fn entry(lsn: u64, key: &str, value: &str) -> Rc<Entry> {
        Rc::new(Entry {
            lsn,
            epoch: 2,
            key: key.into(),
            value: value.into(),
            write: lsn as OpId,
            at: 0,
        })
    }

    fn append(n: u64) -> Msg {
        Msg::Append {
            epoch: 2,
            prev_lsn: 3,
            prev_epoch: 1,
            entries: (4..4 + n).map(|l| entry(l, "x", &l.to_string())).collect(),
            last_lsn: 9,
        }
    }

    #[test]
    fn summaries_read_as_before_and_hash_as_their_text() {
        let cases = [
            (append(0), "heartbeat, epoch 2, at lsn 3"),
            (append(1), "append lsn 4 (x=4), epoch 2"),
            (append(2), "append lsn 4..5 (x=4, x=5), epoch 2"),
            (append(4), "append lsn 4..7 (x=4, x=5, x=6, ...), epoch 2"),
            (
                Msg::AppendResp {
                    epoch: 3,
                    ok: true,
                    lsn: 8,
                },
                "ack through lsn 8, epoch 3",
            ),
            (
                Msg::AppendResp {
                    epoch: 3,
                    ok: false,
                    lsn: 8,
                },
                "reject (has lsn 8), epoch 3",
            ),
            (Msg::StreamAck { upto: 4 }, "ack up to 4"),
        ];
        for (msg, text) in cases {
            let d = msg.digest();
            assert_eq!(d.to_string(), text);
            assert_eq!(msg.summary(), text);
            let (mut a, mut b) = (StableHasher::default(), StableHasher::default());
            d.hash(&mut a);
            text.to_string().hash(&mut b);
            assert_eq!(a.finish(), b.finish());
            assert_eq!(serde_json::to_string(&d).unwrap(), format!("\"{text}\""));
        }
    }
}
