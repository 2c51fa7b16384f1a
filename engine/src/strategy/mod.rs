//! Replication strategies: each is a sans-IO node state machine, behind one [`NodeLogic`] enum.

pub mod leaderless;
pub mod multi_leader;
pub mod single_leader;
pub mod versioned;

use crate::node::{Ctx, Effect, Input};
use crate::scenario::Strategy;
use crate::types::{NodeId, OpId, Role};

/// The state machine of one node, whichever the strategy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeLogic {
    Single(single_leader::SingleLeaderNode),
    Multi(multi_leader::MultiLeaderNode),
    Leaderless(leaderless::LeaderlessNode),
}

impl NodeLogic {
    pub fn new(strategy: &Strategy) -> Self {
        match strategy {
            Strategy::SingleLeader(_) => NodeLogic::Single(Default::default()),
            Strategy::MultiLeader(_) => NodeLogic::Multi(Default::default()),
            Strategy::Leaderless(_) => NodeLogic::Leaderless(Default::default()),
        }
    }

    pub fn handle(
        &mut self,
        ctx: &mut Ctx,
        strategy: &Strategy,
        input: Input,
        out: &mut Vec<Effect>,
    ) {
        match (self, strategy) {
            (NodeLogic::Single(n), Strategy::SingleLeader(c)) => n.handle(ctx, c, input, out),
            (NodeLogic::Multi(n), Strategy::MultiLeader(c)) => n.handle(ctx, c, input, out),
            (NodeLogic::Leaderless(n), Strategy::Leaderless(c)) => n.handle(ctx, c, input, out),
            _ => unreachable!("a node's logic always matches the run's strategy"),
        }
    }

    /// A crash: everything volatile is gone; durable state stays.
    pub fn crash(&mut self) {
        match self {
            NodeLogic::Single(n) => n.crash(),
            NodeLogic::Multi(n) => n.crash(),
            NodeLogic::Leaderless(n) => n.crash(),
        }
    }

    pub fn role(&self, strategy: &Strategy, id: NodeId) -> Role {
        match (self, strategy) {
            (NodeLogic::Single(n), _) => n.role(),
            (NodeLogic::Multi(n), Strategy::MultiLeader(c)) => n.role(c, id),
            _ => Role::Replica,
        }
    }

    /// The epoch (term) this node knows; 0 where the strategy has none.
    pub fn epoch(&self) -> u64 {
        match self {
            NodeLogic::Single(n) => n.durable.epoch,
            _ => 0,
        }
    }

    /// Does this node store write `w` (in its log, or in its versioned data; not as a hint)?
    /// Only meaningful for writes from the cut last given to
    /// [`NodeLogic::forget_writes_before`] on.
    pub fn holds(&self, w: OpId) -> bool {
        match self {
            NodeLogic::Single(n) => n.durable.log.holds(w),
            NodeLogic::Multi(n) => n.durable.store.holds(w),
            NodeLogic::Leaderless(n) => n.durable.store.holds(w),
        }
    }

    /// Does this node hold write `w` only as a hint for another node (leaderless sloppy
    /// quorum)? Such a copy is handed off, not read.
    pub fn hints(&self, w: OpId) -> bool {
        match self {
            NodeLogic::Leaderless(n) => !n.durable.store.holds(w) && n.holds_hint(w),
            _ => false,
        }
    }

    /// How many writes this node has applied (its log length for single-leader, the end of its
    /// log for multi-leader), compacted or forgotten ones included.
    pub fn applied(&self) -> u64 {
        match self {
            NodeLogic::Single(n) => n.durable.log.last_lsn(),
            NodeLogic::Multi(n) => n.log_end(),
            NodeLogic::Leaderless(n) => n.durable.store.applied_count(),
        }
    }

    /// Forgets the ids of the writes below `cut` that the node keeps to say which writes it
    /// holds: after this, [`NodeLogic::holds`] only answers for writes from `cut` on. Call it on
    /// every node (crashed ones too) with the same cut, which never goes back. What the nodes
    /// replicate does not change (an old version delivered again is still recognised: see
    /// [`versioned::VStore`]); writes older than the cut can no longer be named, and leaders stop
    /// waiting to acknowledge any still pending (their clients gave up long ago).
    pub fn forget_writes_before(&mut self, cut: OpId) {
        match self {
            NodeLogic::Single(n) => n.forget_writes_before(cut),
            NodeLogic::Multi(n) => n.forget_writes_before(cut),
            NodeLogic::Leaderless(n) => n.durable.store.forget_writes_before(cut),
        }
    }

    pub fn single(&self) -> Option<&single_leader::SingleLeaderNode> {
        match self {
            NodeLogic::Single(n) => Some(n),
            _ => None,
        }
    }
}
