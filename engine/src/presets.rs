//! Presets: small scenarios, one per replication phenomenon, each with the moment to look at.
//!
//! The scenarios live in `testdata/presets/<id>.json` (the scenario format, captions included)
//! and are compiled in. `tests/presets.rs` runs each one to its `view.at` and checks, with the
//! engine's own checkers, that the phenomenon is on screen by then.

use crate::scenario::{wire, Scenario, View};
use crate::types::{NodeId, MS};

/// A ready-made scenario that shows one thing, and where to look.
#[derive(Clone, Debug, PartialEq)]
pub struct Preset {
    /// Stable name, for links and the CLI (`stale-follower-read`).
    pub id: &'static str,
    pub title: &'static str,
    /// Two sentences: what happens and why.
    pub explain: &'static str,
    pub scenario: Scenario,
    /// The moment to start from (`view.at` is always set): just after the phenomenon shows.
    pub view: View,
}

struct Def {
    id: &'static str,
    title: &'static str,
    explain: &'static str,
    json: &'static str,
    at_ms: u64,
    node: Option<NodeId>,
    diagram: bool,
}

macro_rules! scenario {
    ($id:literal) => {
        include_str!(concat!("../testdata/presets/", $id, ".json"))
    };
}

const DEFS: &[Def] = &[
    Def {
        id: "stale-follower-read",
        title: "Stale read from a follower",
        explain: "With asynchronous replication the leader acknowledges a write before any \
                  follower has it. A read sent to a follower in that window returns the old value, \
                  although the write has already succeeded.",
        json: scenario!("stale-follower-read"),
        at_ms: 150,
        node: Some(1),
        diagram: true,
    },
    Def {
        id: "sync-stalled-write",
        title: "A synchronous write stalls",
        explain: "A synchronous leader acknowledges a write only once every follower has it. \
                  While one follower is down, writes wait, and a client that gives up cannot tell \
                  whether its write happened.",
        json: scenario!("sync-stalled-write"),
        at_ms: 1500,
        node: Some(2),
        diagram: false,
    },
    Def {
        id: "async-failover-loss",
        title: "Failover loses acknowledged writes",
        explain: "An asynchronous leader acknowledged writes that never left it, then crashed. \
                  The follower elected in its place never had them, so writes the client was \
                  told had succeeded are gone.",
        json: scenario!("async-failover-loss"),
        at_ms: 900,
        node: None,
        diagram: false,
    },
    Def {
        id: "semi-sync",
        title: "Semi-synchronous replication",
        explain: "The leader waits for one designated follower rather than all of them, so a \
                  single slow node does not hold up every write for long. When that follower \
                  fails, the leader makes another one synchronous and no acknowledged write is lost.",
        json: scenario!("semi-sync"),
        at_ms: 600,
        node: Some(2),
        diagram: false,
    },
    Def {
        id: "split-brain",
        title: "Split brain without fencing",
        explain: "A leader cut off from the others keeps accepting writes because nothing makes \
                  it stop, while the majority elects a new leader. For a while two nodes both act \
                  as leader, and the old side's writes are thrown away when the partition heals.",
        json: scenario!("split-brain"),
        at_ms: 1300,
        node: Some(0),
        diagram: false,
    },
    Def {
        id: "multi-leader-conflict",
        title: "Conflicting writes at two leaders",
        explain: "Two leaders accept writes to the same key at the same moment, and neither has \
                  seen the other's. Kept as siblings, both values survive until a client reads \
                  them together and writes a merge.",
        json: scenario!("multi-leader-conflict"),
        at_ms: 550,
        node: None,
        diagram: false,
    },
    Def {
        id: "lww-clock-skew",
        title: "Last write wins, with a slow clock",
        explain: "Last-write-wins keeps the write with the later timestamp, and each leader \
                  stamps writes with its own clock. A leader whose clock runs behind gives its \
                  newer write an older time, so the write it replaced wins and its own is \
                  silently dropped.",
        json: scenario!("lww-clock-skew"),
        at_ms: 2100,
        node: Some(1),
        diagram: false,
    },
    Def {
        id: "circular-topology-broken",
        title: "A broken replication ring",
        explain: "In a circular topology each leader passes writes on to the next one round the \
                  ring. When one leader crashes the ring is cut, and the leaders after it stop \
                  receiving writes until it returns.",
        json: scenario!("circular-topology-broken"),
        at_ms: 1600,
        node: Some(2),
        diagram: false,
    },
    Def {
        id: "quorum-read-after-write",
        title: "Quorum read after write (W + R > N)",
        explain: "With three replicas, writes wait for two and reads ask two, so any read \
                  overlaps any acknowledged write in at least one replica. Even with a replica \
                  down, the read returns the value just written.",
        json: scenario!("quorum-read-after-write"),
        at_ms: 500,
        node: None,
        diagram: true,
    },
    Def {
        id: "weak-quorum-stale-read",
        title: "Stale read with W + R ≤ N",
        explain: "With a write quorum and a read quorum of one replica each, the replica that \
                  confirmed a write and the one that answers a read can differ. The read then \
                  misses a write that had already been acknowledged.",
        json: scenario!("weak-quorum-stale-read"),
        at_ms: 200,
        node: None,
        diagram: true,
    },
    Def {
        id: "hinted-handoff",
        title: "Sloppy quorum and hinted handoff",
        explain: "When a home replica of a key is down, a sloppy quorum lets another node take the \
                  write along with a hint saying where it belongs. Once the home replica is back, \
                  the stand-in hands the write over and forgets the hint.",
        json: scenario!("hinted-handoff"),
        at_ms: 1300,
        node: Some(3),
        diagram: false,
    },
    Def {
        id: "sloppy-quorum-stale-read",
        title: "Sloppy quorum: stale although W + R > N",
        explain: "A partition cuts a key's home replicas off, so a sloppy quorum writes to \
                  stand-ins instead. A read answered by the home replicas misses the write, even \
                  though W + R > N.",
        json: scenario!("sloppy-quorum-stale-read"),
        at_ms: 1200,
        node: Some(3),
        diagram: false,
    },
    Def {
        id: "read-repair",
        title: "Read repair",
        explain: "A replica that was down while a key was written comes back without it. A later \
                  read notices the old answer and writes the newest value back to that replica.",
        json: scenario!("read-repair"),
        at_ms: 800,
        node: Some(2),
        diagram: false,
    },
    Def {
        id: "anti-entropy",
        title: "Anti-entropy",
        explain: "Read repair only fixes keys that somebody reads. A background process compares \
                  replicas range by range and copies what is missing, so unread keys converge too.",
        json: scenario!("anti-entropy"),
        at_ms: 1100,
        node: Some(2),
        diagram: false,
    },
    Def {
        id: "update-overtakes-insert",
        title: "An update overtakes the write it depends on",
        explain: "With all-to-all replication each write travels its own path, and a slow link can \
                  deliver a later write before an earlier one. One leader applies the overwrite \
                  before the write it overwrote.",
        json: scenario!("update-overtakes-insert"),
        at_ms: 350,
        node: Some(2),
        diagram: true,
    },
    Def {
        id: "session-guarantees",
        title: "Reading your own writes, and going back in time",
        explain: "A client that reads from a lagging follower may not see the write it has just \
                  made, and a client whose reads go to different followers may see a value and \
                  then lose it again. Neither read is wrong for asynchronous replication, but both \
                  break a promise a user expects from one session.",
        json: scenario!("session-guarantees"),
        at_ms: 600,
        node: Some(1),
        diagram: true,
    },
    Def {
        id: "consistent-prefix",
        title: "The answer before the question",
        explain: "In a multi-leader setup each write travels its own path, so a reader can see a \
                  write without the earlier write it depends on. Here a third region receives the \
                  answer to a question before the question itself.",
        json: scenario!("consistent-prefix"),
        at_ms: 500,
        node: Some(2),
        diagram: true,
    },
];

fn build(d: &Def) -> Preset {
    let scenario = wire::decode(d.json)
        .unwrap_or_else(|e| panic!("preset {}: {e} (tests/presets.rs checks each)", d.id));
    Preset {
        id: d.id,
        title: d.title,
        explain: d.explain,
        scenario,
        view: View {
            at: Some(d.at_ms * MS),
            node: d.node,
            diagram: d.diagram,
            speed: None,
        },
    }
}

/// Every preset, in the order a reader would meet them.
pub fn presets() -> Vec<Preset> {
    DEFS.iter().map(build).collect()
}

/// The preset named `id`.
pub fn preset(id: &str) -> Option<Preset> {
    DEFS.iter().find(|d| d.id == id).map(build)
}

/// Every preset's id, without building the scenarios.
pub fn ids() -> impl Iterator<Item = &'static str> {
    DEFS.iter().map(|d| d.id)
}
