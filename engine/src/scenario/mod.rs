//! A scenario: everything needed to replay a run (configuration, seed, schedule of actions).
//!
//! These are the engine's internal types, free to change. Scenarios enter and leave the engine
//! through the versioned wire format in [`wire`], which is what files carry, and as links
//! ([`link`]: the same JSON compressed into a URL fragment, with the moment being viewed).

pub mod link;
pub mod wire;

pub use link::{decode_link, encode_link, View, LINK_VERSION, MAX_LINK_CHARS};
pub use wire::DecodeError;

use crate::types::{ClientId, NodeId, Time, MS};
use std::collections::BTreeMap;

/// Limits that keep untrusted scenarios small enough to simulate in a browser tab.
pub const MAX_NODES: u16 = 25;
pub const MAX_CLIENTS: u16 = 16;
pub const MAX_SCHEDULE: usize = 20_000;
pub const MAX_TEXT: usize = 200;
/// Nothing in a scenario may happen later than one virtual day.
pub const MAX_TIME: Time = 24 * 3600 * 1000 * MS;

#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub config: Config,
    pub seed: u64,
    /// Actions in time order; actions at equal times run in list order.
    pub schedule: Vec<Scheduled>,
    /// How long the run lasts when played headless; `None`: until [`Scenario::end`].
    pub duration: Option<Time>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Scheduled {
    pub at: Time,
    pub action: Action,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub nodes: u16,
    pub clients: u16,
    pub strategy: Strategy,
    pub net: NetConfig,
    /// Per-node clock error; nodes not listed have a perfect clock.
    pub clocks: BTreeMap<NodeId, Clock>,
    /// How long a client waits for an answer before it gives up (the outcome is then unknown).
    pub op_timeout: Time,
    /// Background client traffic, if any.
    pub workload: Option<Workload>,
}

pub use crate::strategy::versioned::Resolution;

#[derive(Clone, Debug, PartialEq)]
pub enum Strategy {
    SingleLeader(SingleLeader),
    MultiLeader(MultiLeader),
    Leaderless(Leaderless),
}

impl Strategy {
    pub fn name(&self) -> &'static str {
        match self {
            Strategy::SingleLeader(_) => "single-leader",
            Strategy::MultiLeader(_) => "multi-leader",
            Strategy::Leaderless(_) => "leaderless",
        }
    }

    /// In words: how synchronous writes are under this strategy.
    pub fn describe_mode(&self) -> String {
        match self {
            Strategy::SingleLeader(sl) => sl.mode.describe(),
            Strategy::MultiLeader(ml) => format!(
                "local followers {}, cross-leader {}",
                ml.local_mode.describe(),
                if ml.cross_sync {
                    "synchronous"
                } else {
                    "asynchronous"
                }
            ),
            Strategy::Leaderless(l) => format!("N={} W={} R={}", l.n, l.w, l.r),
        }
    }
}

/// How leaders pass writes to each other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topology {
    /// Every leader sends its writes to every other leader.
    AllToAll,
    /// Each leader sends to the next one in a ring, which forwards what it received.
    Circular,
    /// Leaders send to the first leader (the hub), which forwards to the others.
    Star,
}

impl Topology {
    pub fn name(self) -> &'static str {
        match self {
            Topology::AllToAll => "all-to-all",
            Topology::Circular => "circular",
            Topology::Star => "star",
        }
    }
}

/// Several leaders (one per region), each optionally with followers in its region.
#[derive(Clone, Debug, PartialEq)]
pub struct MultiLeader {
    pub regions: u16,
    /// Followers in each region, besides its leader.
    pub followers: u16,
    pub topology: Topology,
    pub resolution: Resolution,
    /// How a leader's own followers are replicated to.
    pub local_mode: SyncMode,
    /// Acknowledge a write only once every other leader has it.
    pub cross_sync: bool,
    /// One-way latency inside a region (between regions it is the network latency).
    pub local_latency: Time,
    /// How often a leader re-sends what its peers have not acknowledged.
    pub resend: Time,
}

impl Default for MultiLeader {
    fn default() -> Self {
        MultiLeader {
            regions: 3,
            followers: 0,
            topology: Topology::AllToAll,
            resolution: Resolution::LastWriteWins,
            local_mode: SyncMode::Async,
            cross_sync: false,
            local_latency: 5 * MS,
            resend: 100 * MS,
        }
    }
}

impl MultiLeader {
    pub fn nodes(&self) -> u16 {
        self.regions * (1 + self.followers)
    }
    pub fn region_of(&self, n: NodeId) -> u16 {
        n / (1 + self.followers)
    }
    pub fn leader_of(&self, region: u16) -> NodeId {
        region * (1 + self.followers)
    }
    pub fn is_leader(&self, n: NodeId) -> bool {
        n.is_multiple_of(1 + self.followers)
    }
}

/// Dynamo-style replication: any node coordinates; quorums of N, W, R.
#[derive(Clone, Debug, PartialEq)]
pub struct Leaderless {
    pub n: u16,
    pub w: u16,
    pub r: u16,
    /// Tokens per node on the consistent-hashing ring.
    pub vnodes: u16,
    /// When home replicas do not answer, write to other nodes with a hint (and hand it off later).
    pub sloppy: bool,
    pub read_repair: bool,
    /// Anti-entropy interval (0: off).
    pub anti_entropy: Time,
    pub resolution: Resolution,
    /// Ask all N replicas on a read (and wait for R), rather than only R.
    pub read_all: bool,
    /// How long a coordinator waits for home replicas before trying fallbacks (sloppy quorum).
    pub sloppy_after: Time,
    /// How often a node tries to hand hinted writes back to their home.
    pub handoff_every: Time,
}

impl Default for Leaderless {
    fn default() -> Self {
        Leaderless {
            n: 3,
            w: 2,
            r: 2,
            vnodes: 8,
            sloppy: false,
            read_repair: true,
            anti_entropy: 0,
            resolution: Resolution::LastWriteWins,
            read_all: true,
            sloppy_after: 150 * MS,
            handoff_every: 250 * MS,
        }
    }
}

/// How many followers a leader waits for before it tells the client a write succeeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncMode {
    /// Every follower must have the write.
    Sync,
    /// `k` designated followers must have it; a failed one is replaced by another.
    SemiSync { k: u16 },
    /// No follower: the leader answers at once.
    Async,
}

impl SyncMode {
    pub fn describe(&self) -> String {
        match self {
            SyncMode::Sync => "synchronous".into(),
            SyncMode::SemiSync { k } => format!("semi-synchronous (k = {k})"),
            SyncMode::Async => "asynchronous".into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct SingleLeader {
    pub mode: SyncMode,
    /// With fencing, a leader that cannot reach a majority steps down before a new one can be
    /// elected; without it, a cut-off leader keeps accepting writes (split brain).
    pub fencing: bool,
    pub heartbeat: Time,
    /// A follower that hears nothing from the leader for this long (plus up to as long again,
    /// at random) starts an election. This is the configured value; the run uses
    /// [`SingleLeader::fitted_election_timeout`], which is never shorter.
    pub election_timeout: Time,
    /// A synchronous follower silent for this long is replaced (semi-synchronous mode).
    pub sync_failure_timeout: Time,
}

impl Default for SingleLeader {
    fn default() -> Self {
        SingleLeader {
            mode: SyncMode::Async,
            fencing: true,
            heartbeat: 50 * MS,
            election_timeout: 300 * MS,
            sync_failure_timeout: 150 * MS,
        }
    }
}

impl SingleLeader {
    /// How many one-way trips between the slowest pair of nodes one election timeout must hold:
    /// a failover needs a pre-vote round trip and a vote round trip (four one-way trips), and
    /// the lease derived from the timeout (timeout minus two heartbeats) must then still cover
    /// twice the round trip a new leader waits for its first acknowledgements.
    pub const LATENCY_TRIPS: Time = 4;

    /// The election timeout the run uses: the configured one, raised to
    /// `2 × heartbeat + 4 × slowest` when the network is slower than it allows for, where
    /// `slowest` is the slowest one-way node-to-node latency including jitter
    /// ([`NetConfig::slowest_one_way`]). With a timeout shorter than a few round trips a new
    /// leader steps down (its lease runs out) before its first acknowledgements come back and
    /// elections never finish: leadership changes without end.
    pub fn fitted_election_timeout(&self, slowest_one_way: Time) -> Time {
        self.election_timeout
            .max(2 * self.heartbeat + Self::LATENCY_TRIPS * slowest_one_way)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct NetConfig {
    /// One-way latency between nodes: `latency` plus up to `jitter`, uniformly.
    pub latency: Time,
    pub jitter: Time,
    /// Probability that a node-to-node message is lost, in parts per million.
    pub loss_ppm: u32,
    /// Probability that a node-to-node message is delivered twice, in parts per million.
    pub duplicate_ppm: u32,
    /// One-way latency between a client and its nearest ("home") node; other nodes are
    /// `client_latency + latency` away.
    pub client_latency: Time,
    /// Overrides for single directed links.
    pub links: BTreeMap<(NodeId, NodeId), LinkOverride>,
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            latency: 40 * MS,
            jitter: 10 * MS,
            loss_ppm: 0,
            duplicate_ppm: 0,
            client_latency: 5 * MS,
            links: BTreeMap::new(),
        }
    }
}

impl NetConfig {
    /// The slowest one-way latency a node-to-node message can take: base latency plus the most
    /// jitter, over the network's defaults and every per-link override.
    pub fn slowest_one_way(&self) -> Time {
        let default = self.latency + self.jitter;
        self.links
            .values()
            .map(|o| o.latency.unwrap_or(self.latency) + o.jitter.unwrap_or(self.jitter))
            .fold(default, Time::max)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkOverride {
    pub latency: Option<Time>,
    pub jitter: Option<Time>,
    pub loss_ppm: Option<u32>,
}

/// A node's local wall clock: true time plus `offset`, running `drift_ppm` fast (or slow).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Clock {
    pub offset: i64,
    pub drift_ppm: i32,
}

impl Clock {
    /// The local clock reading at true time `t` (never below zero).
    pub fn read(&self, t: Time) -> Time {
        let drift = (t as i128 * self.drift_ppm as i128) / 1_000_000;
        (t as i128 + self.offset as i128 + drift).max(0) as Time
    }
}

/// Where a read goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadFrom {
    /// The node the client believes is the leader; followers refuse.
    Leader,
    /// This node, whatever its role.
    Node(NodeId),
    /// The client's nearest node, whatever its role.
    Nearest,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    /// Every client writes about this often (0: never).
    pub write_every: Time,
    /// Every client reads about this often (0: never).
    pub read_every: Time,
    /// Keys are chosen uniformly from `k0`..`k{keys-1}`.
    pub keys: u16,
    pub read_from: ReadFrom,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// A client writes; it sends to `node`, or else to the node it believes leads, and follows
    /// "not leader" redirects from there.
    Write {
        client: ClientId,
        key: String,
        value: String,
        node: Option<NodeId>,
    },
    Read {
        client: ClientId,
        key: String,
        from: ReadFrom,
    },
    Crash(NodeId),
    Restart(NodeId),
    /// Cut the link from `from` to `to` (and back, if `both`).
    Cut {
        from: NodeId,
        to: NodeId,
        both: bool,
    },
    Heal {
        from: NodeId,
        to: NodeId,
        both: bool,
    },
    /// Cut every link between different groups; nodes not named form one more group.
    Partition(Vec<Vec<NodeId>>),
    HealAll,
    /// Change latency of one directed link, or of every link when `link` is `None`.
    SetLatency {
        link: Option<(NodeId, NodeId)>,
        latency: Time,
        jitter: Option<Time>,
    },
    SetLoss {
        link: Option<(NodeId, NodeId)>,
        loss_ppm: u32,
    },
    SetDuplicate(u32),
    SetClock {
        node: NodeId,
        clock: Clock,
    },
    /// Single-leader: the followers' mode; multi-leader: the local followers' mode.
    SetMode(SyncMode),
    /// Leaderless: change the write and read quorums.
    SetQuorum {
        w: u16,
        r: u16,
    },
    /// A new empty node joins as a follower and catches up (snapshot, then log).
    AddNode,
    SetWorkload(Option<Workload>),
    Caption(String),
}

impl Config {
    /// Node `n`'s wall clock at true time `t`.
    pub fn clock(&self, n: NodeId, t: Time) -> Time {
        self.clocks.get(&n).copied().unwrap_or_default().read(t)
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            nodes: 3,
            clients: 2,
            strategy: Strategy::SingleLeader(SingleLeader::default()),
            net: NetConfig::default(),
            clocks: BTreeMap::new(),
            op_timeout: 1000 * MS,
            workload: None,
        }
    }
}

impl Default for Scenario {
    /// What the page shows on first load: three nodes, asynchronous followers, light traffic.
    fn default() -> Self {
        Scenario {
            config: Config {
                workload: Some(Workload {
                    write_every: 600 * MS,
                    read_every: 900 * MS,
                    keys: 3,
                    read_from: ReadFrom::Nearest,
                }),
                ..Config::default()
            },
            seed: 1,
            schedule: Vec::new(),
            duration: None,
        }
    }
}

impl Scenario {
    /// When a headless run of this scenario stops: its duration, or three virtual seconds after
    /// the last scheduled action (enough for timeouts and failover to play out).
    pub fn end(&self) -> Time {
        self.duration
            .unwrap_or_else(|| self.schedule.iter().map(|s| s.at).max().unwrap_or(0) + 3000 * MS)
    }

    /// The node count after every `AddNode` in the schedule has run.
    pub fn max_nodes(&self) -> u16 {
        self.config.nodes
            + self
                .schedule
                .iter()
                .filter(|s| matches!(s.action, Action::AddNode))
                .count() as u16
    }
}
