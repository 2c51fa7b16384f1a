//! Single-leader replication with failover.
//!
//! The leader appends each client write to its log and ships entries to every follower, which
//! apply them in log order and acknowledge. When the leader answers the client depends on the
//! [`SyncMode`]: at once (asynchronous), after `k` designated followers have the write
//! (semi-synchronous; a silent designated follower is replaced), or after all of them
//! (synchronous; one dead follower stalls every write).
//!
//! Failover is Raft-shaped: followers that hear no heartbeat for the election timeout start an
//! election in a new epoch; a node votes once per epoch, and only for a candidate whose log is at
//! least as up to date as its own, so the winner is the most up-to-date node of a majority. A
//! node that learns of a higher epoch follows it; a follower whose log diverges from the leader's
//! (an old leader's unreplicated tail) discards the divergent suffix. Those discarded writes are
//! the "lost writes" of asynchronous failover.
//!
//! Elections stay live the way Raft's do: every refusal (pre-vote, vote, replication) carries
//! the responder's epoch and a node adopts a higher one it hears of, so the node with the most
//! up-to-date log always learns the epoch it must beat; every step-down from leader or candidate
//! re-arms the election timer; timers are drawn from `timeout + uniform(0, timeout)`; and a node
//! gathering its own pre-votes grants another only if it ranks above it (a longer log, or an
//! equal log and a lower id), so two nodes that time out together do not split the vote. The
//! timeout in `cfg` is the one fitted to the network by the simulation
//! ([`SingleLeader::fitted_election_timeout`]).
//!
//! With `fencing`, a leader that has not heard from a majority for the lease period steps down,
//! which (lease < election timeout) happens before anyone else can be elected. Without it, a
//! leader cut off from the majority keeps accepting writes: split brain.
//!
//! **Horizon.** Every node's log keeps its newest [`LOG_KEEP`](crate::store::LOG_KEEP) entries
//! (it compacts when it holds half as many again; see [`crate::store`]). A follower whose next
//! entry the leader has compacted away gets a snapshot, then the log from there. A base folded in
//! by compaction may hold a deposed leader's unreplicated tail, so a follower only keeps its base
//! when it provably matches the new leader's log (see `base_matches`), and otherwise asks for a
//! snapshot, reporting what it loses as truncated. The ids of the writes a base holds are
//! forgotten below the cutoff given to [`SingleLeaderNode::forget_writes_before`].

use crate::node::{Ctx, Effect, Input, Msg, Reply, TimerKind};
use crate::scenario::{SingleLeader, SyncMode};
use crate::store::{Entry, Log};
use crate::types::{Addr, ClientId, NodeId, OpId, Role, Time};
use std::collections::{BTreeMap, BTreeSet};

/// The most entries one replication message carries.
pub const MAX_BATCH: usize = 64;

/// State that survives a crash.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Durable {
    pub epoch: u64,
    /// Whom this node voted for, and in which epoch.
    pub voted: Option<(u64, NodeId)>,
    pub log: Log,
    /// The epoch of the leader that sent the snapshot the log starts from (0: none).
    pub snapshot_from: u64,
}

/// State lost in a crash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Volatile {
    pub role: Role,
    pub leader: Option<NodeId>,
    /// When a leader was last heard from (for pre-votes).
    pub leader_contact: Option<Time>,
    /// Pre-votes gathered for the next epoch, before a real election.
    pub pre_votes: BTreeSet<NodeId>,
    pub votes: BTreeSet<NodeId>,
    pub lead: Option<LeaderState>,
}

impl Default for Volatile {
    fn default() -> Self {
        Volatile {
            role: Role::Follower,
            leader: None,
            leader_contact: None,
            pre_votes: BTreeSet::new(),
            votes: BTreeSet::new(),
            lead: None,
        }
    }
}

/// What a leader tracks about its followers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeaderState {
    /// The next lsn to send to each follower.
    pub next: BTreeMap<NodeId, u64>,
    /// The highest lsn each follower is known to hold.
    pub matched: BTreeMap<NodeId, u64>,
    /// When each follower was last heard from.
    pub heard: BTreeMap<NodeId, Time>,
    /// The followers whose acknowledgement a write waits for (semi-sync and sync modes).
    pub sync_set: BTreeSet<NodeId>,
    /// Writes waiting for acknowledgements, by lsn.
    pub pending: BTreeMap<u64, (ClientId, OpId)>,
    /// Followers that reported having nothing in common with us: they get a snapshot.
    pub snapshot_for: BTreeSet<NodeId>,
    /// Snapshots sent because the follower needs entries our log no longer has, not yet
    /// acknowledged: (lsn, when sent). Refusals of entries sent before one arrived do not
    /// trigger another for an election timeout. (A first snapshot, for a follower with nothing
    /// in common with us, is not tracked: that behaviour predates compaction.)
    pub snapshot_sent: BTreeMap<NodeId, (u64, Time)>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SingleLeaderNode {
    pub durable: Durable,
    pub volatile: Volatile,
}

impl SingleLeaderNode {
    pub fn role(&self) -> Role {
        self.volatile.role
    }

    /// A crash: everything volatile is gone.
    pub fn crash(&mut self) {
        self.volatile = Volatile::default();
    }

    /// The leader's lease: it steps down (with fencing) after this long without a majority.
    fn lease(cfg: &SingleLeader) -> Time {
        cfg.election_timeout
            .saturating_sub(2 * cfg.heartbeat)
            .max(cfg.heartbeat)
    }

    /// A randomised election timeout: the timeout plus up to as long again, uniformly (the Raft
    /// paper's 150-300 ms). The spread is wide against the round trip (the timeout holds at least
    /// four one-way trips: see [`SingleLeader::fitted_election_timeout`]), so two followers
    /// rarely time out within a round trip of each other and split the vote.
    fn election_delay(ctx: &mut Ctx, cfg: &SingleLeader) -> Time {
        cfg.election_timeout + ctx.rng.upto(cfg.election_timeout)
    }

    /// Is this node gathering pre-votes (its election timer fired, no election of its own yet)?
    fn pre_campaigning(&self) -> bool {
        self.volatile.role != Role::Leader && !self.volatile.pre_votes.is_empty()
    }

    pub fn handle(
        &mut self,
        ctx: &mut Ctx,
        cfg: &SingleLeader,
        input: Input,
        out: &mut Vec<Effect>,
    ) {
        match input {
            Input::Boot { lead } => {
                self.volatile = Volatile::default();
                if lead {
                    self.durable.epoch = self.durable.epoch.max(1);
                    self.durable.voted = Some((self.durable.epoch, ctx.id));
                    self.become_leader(ctx, cfg, out);
                } else {
                    out.push(Effect::Role {
                        role: Role::Follower,
                        epoch: self.durable.epoch,
                    });
                    let after = Self::election_delay(ctx, cfg);
                    out.push(Effect::SetTimer {
                        kind: TimerKind::Election,
                        after,
                    });
                }
            }
            Input::Timer(TimerKind::Election) => self.start_pre_vote(ctx, cfg, out),
            Input::Timer(TimerKind::Heartbeat) => self.on_heartbeat_tick(ctx, cfg, out),
            Input::Timer(TimerKind::Tick) => {}
            Input::Message { from, msg } => self.on_message(ctx, cfg, from, msg, out),
        }
    }

    fn on_message(
        &mut self,
        ctx: &mut Ctx,
        cfg: &SingleLeader,
        from: Addr,
        msg: Msg,
        out: &mut Vec<Effect>,
    ) {
        match (from, msg) {
            (
                Addr::Client(_),
                Msg::ClientWrite {
                    client,
                    op,
                    key,
                    value,
                    ..
                },
            ) => self.on_client_write(ctx, cfg, client, op, key, value, out),
            (
                Addr::Client(_),
                Msg::ClientRead {
                    client,
                    op,
                    key,
                    leader_only,
                },
            ) => {
                let reply = if leader_only && self.volatile.role != Role::Leader {
                    Reply::NotLeader {
                        hint: self.volatile.leader,
                    }
                } else {
                    match self.durable.log.get(&key) {
                        Some(c) => Reply::Value {
                            value: Some(c.value.clone()),
                            write: Some(c.write),
                            lsn: c.lsn,
                            epoch: c.epoch,
                            others: Vec::new(),
                            merged: false,
                            vv: None,
                        },
                        None => Reply::Value {
                            value: None,
                            write: None,
                            lsn: 0,
                            epoch: 0,
                            others: Vec::new(),
                            merged: false,
                            vv: None,
                        },
                    }
                };
                out.push(Effect::Reply { client, op, reply });
            }
            (
                Addr::Node(f),
                Msg::Append {
                    epoch,
                    prev_lsn,
                    prev_epoch,
                    entries,
                    last_lsn,
                },
            ) => self.on_append(
                ctx, cfg, f, epoch, prev_lsn, prev_epoch, entries, last_lsn, out,
            ),
            (
                Addr::Node(c),
                Msg::PreVote {
                    epoch,
                    last_lsn,
                    last_epoch,
                },
            ) => {
                let log = &self.durable.log;
                let mine = (log.last_epoch(), log.last_lsn());
                let up_to_date = (last_epoch, last_lsn) >= mine;
                // Refuse while a leader is alive as far as we know.
                let leader_alive = self.volatile.role == Role::Leader
                    || self
                        .volatile
                        .leader_contact
                        .is_some_and(|t| ctx.now.saturating_sub(t) < cfg.election_timeout);
                // Two followers that time out within a round trip of each other would each
                // gather the other's pre-vote and then split the real vote. While gathering our
                // own pre-votes, grant only a candidate that ranks above us: a longer log, or an
                // equal log and a lower id (ZooKeeper's leader election breaks ties the same
                // way). So one of them goes on; the other's vote is still free for it.
                let outranks =
                    !self.pre_campaigning() || (last_epoch, last_lsn) > mine || c < ctx.id;
                let granted = epoch > self.durable.epoch && up_to_date && !leader_alive && outranks;
                // A pre-vote never changes our epoch (that is its point), but every answer
                // carries it, so a pre-candidate that is behind learns the current epoch.
                out.push(Effect::Send {
                    to: c,
                    msg: Msg::PreVoteResp {
                        asked: epoch,
                        epoch: self.durable.epoch,
                        granted,
                    },
                });
            }
            (
                Addr::Node(v),
                Msg::PreVoteResp {
                    asked,
                    epoch,
                    granted,
                },
            ) => {
                if epoch > self.durable.epoch {
                    // We were behind: adopt the epoch and stand in the next one when the timer
                    // fires again (a node with the most up-to-date log but an old epoch would
                    // otherwise ask for an epoch everyone has passed, forever).
                    self.durable.epoch = epoch;
                    self.step_down(ctx, cfg, out);
                    return;
                }
                if granted && asked == self.durable.epoch + 1 && self.pre_campaigning() {
                    self.volatile.pre_votes.insert(v);
                    if self.volatile.pre_votes.len() >= ctx.majority() {
                        self.start_election(ctx, cfg, out);
                    }
                }
            }
            (Addr::Node(f), Msg::AppendResp { epoch, ok, lsn }) => {
                self.on_append_resp(ctx, cfg, f, epoch, ok, lsn, out)
            }
            (
                Addr::Node(c),
                Msg::RequestVote {
                    epoch,
                    last_lsn,
                    last_epoch,
                },
            ) => self.on_request_vote(ctx, cfg, c, epoch, last_lsn, last_epoch, out),
            (Addr::Node(v), Msg::VoteResp { epoch, granted }) => {
                self.on_vote(ctx, cfg, v, epoch, granted, out)
            }
            (
                Addr::Node(l),
                Msg::Snapshot {
                    epoch,
                    lsn,
                    lsn_epoch,
                    data,
                    writes,
                },
            ) => {
                if epoch < self.durable.epoch {
                    out.push(self.resp(l, false));
                    return;
                }
                self.follow(ctx, cfg, epoch, l, out);
                if self.holds_prefix(epoch, lsn, lsn_epoch) {
                    // Our log already holds the leader's log through `lsn` (a snapshot that
                    // crossed newer entries on the way): keep what follows it, as Raft does.
                    out.push(Effect::Send {
                        to: l,
                        msg: Msg::AppendResp {
                            epoch: self.durable.epoch,
                            ok: true,
                            lsn,
                        },
                    });
                    return;
                }
                let lost = self
                    .durable
                    .log
                    .install_snapshot(lsn, lsn_epoch, data, writes);
                self.durable.snapshot_from = self.durable.epoch;
                if !lost.is_empty() {
                    out.push(Effect::Truncated {
                        from_lsn: 1,
                        writes: lost,
                    });
                }
                out.push(self.resp(l, true));
            }
            // Anything else (a client message from a node, a reply sent to a node) is ignored.
            _ => {}
        }
    }

    fn resp(&self, to: NodeId, ok: bool) -> Effect {
        Effect::Send {
            to,
            msg: Msg::AppendResp {
                epoch: self.durable.epoch,
                ok,
                lsn: self.durable.log.last_lsn(),
            },
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn on_client_write(
        &mut self,
        ctx: &mut Ctx,
        cfg: &SingleLeader,
        client: ClientId,
        op: OpId,
        key: String,
        value: String,
        out: &mut Vec<Effect>,
    ) {
        if self.volatile.role != Role::Leader {
            out.push(Effect::Reply {
                client,
                op,
                reply: Reply::NotLeader {
                    hint: self.volatile.leader,
                },
            });
            return;
        }
        let lsn = self.durable.log.last_lsn() + 1;
        let epoch = self.durable.epoch;
        self.durable.log.append(std::rc::Rc::new(Entry {
            lsn,
            epoch,
            key,
            value,
            write: op,
            at: ctx.now,
        }));
        out.push(Effect::Accepted {
            write: op,
            dot: None,
        });
        if cfg.mode == SyncMode::Async {
            out.push(Effect::Reply {
                client,
                op,
                reply: Reply::Written {
                    lsn,
                    epoch,
                    vv: None,
                    dot: None,
                },
            });
        } else if let Some(lead) = self.volatile.lead.as_mut() {
            lead.pending.insert(lsn, (client, op));
        }
        for f in ctx.members.iter().copied().filter(|f| *f != ctx.id) {
            self.send_append(ctx, f, out);
        }
        self.complete_pending(ctx, cfg, out);
    }

    /// Sends `f` everything from its next lsn (or a snapshot if it has nothing in common).
    fn send_append(&mut self, ctx: &Ctx, f: NodeId, out: &mut Vec<Effect>) {
        let log = &self.durable.log;
        let Some(lead) = self.volatile.lead.as_mut() else {
            return;
        };
        let next = *lead.next.entry(f).or_insert(log.last_lsn() + 1);
        let fresh_start = lead.snapshot_for.remove(&f) && log.last_lsn() > 0;
        if next <= log.base_lsn() || fresh_start {
            // The follower has nothing in common with us (new, or diverged from the first entry),
            // or needs entries our log no longer has: send a full copy of the data, then stream
            // the log from there.
            let (lsn, lsn_epoch, data, writes) = log.snapshot();
            lead.next.insert(f, lsn + 1);
            if !fresh_start {
                lead.snapshot_sent.insert(f, (lsn, ctx.now));
            }
            out.push(Effect::Send {
                to: f,
                msg: Msg::Snapshot {
                    epoch: self.durable.epoch,
                    lsn,
                    lsn_epoch,
                    data,
                    writes,
                },
            });
            return;
        }
        let prev_lsn = next - 1;
        let prev_epoch = log.epoch_at(prev_lsn).unwrap_or(0);
        let entries = log.entries_from(next, MAX_BATCH).to_vec();
        out.push(Effect::Send {
            to: f,
            msg: Msg::Append {
                epoch: self.durable.epoch,
                prev_lsn,
                prev_epoch,
                entries,
                last_lsn: log.last_lsn(),
            },
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn on_append(
        &mut self,
        ctx: &mut Ctx,
        cfg: &SingleLeader,
        leader: NodeId,
        epoch: u64,
        prev_lsn: u64,
        prev_epoch: u64,
        entries: Vec<std::rc::Rc<Entry>>,
        leader_last: u64,
        out: &mut Vec<Effect>,
    ) {
        if epoch < self.durable.epoch {
            // A deposed leader: tell it the news.
            out.push(self.resp(leader, false));
            return;
        }
        self.follow(ctx, cfg, epoch, leader, out);
        if prev_lsn < self.durable.log.base_lsn() && !self.base_matches(epoch, prev_lsn, &entries) {
            let log = &mut self.durable.log;
            // Our log starts from a base (a snapshot an earlier leader sent, or our own entries
            // folded in by compaction) that may hold writes this leader never had. An empty
            // leader log means none of it survives; otherwise ask for a fresh snapshot.
            if leader_last == 0 {
                let writes = log.clear();
                self.durable.snapshot_from = 0;
                out.push(Effect::Truncated {
                    from_lsn: 1,
                    writes,
                });
            } else {
                out.push(Effect::Send {
                    to: leader,
                    msg: Msg::AppendResp {
                        epoch: self.durable.epoch,
                        ok: false,
                        lsn: 0,
                    },
                });
                return;
            }
        }
        let log = &mut self.durable.log;
        if prev_lsn > log.last_lsn() {
            out.push(self.resp(leader, false));
            return;
        }
        if prev_lsn >= log.base_lsn() && log.epoch_at(prev_lsn) != Some(prev_epoch) {
            // Our entry at prev_lsn is from another epoch: ask for one entry further back.
            out.push(Effect::Send {
                to: leader,
                msg: Msg::AppendResp {
                    epoch: self.durable.epoch,
                    ok: false,
                    lsn: prev_lsn.saturating_sub(1),
                },
            });
            return;
        }
        let matched = prev_lsn + entries.len() as u64;
        for e in entries {
            if e.lsn <= log.base_lsn() {
                continue;
            }
            match log.epoch_at(e.lsn) {
                Some(ep) if ep == e.epoch => {}
                Some(_) => {
                    let from_lsn = e.lsn;
                    let writes = log.truncate_from(from_lsn);
                    out.push(Effect::Truncated { from_lsn, writes });
                    log.append(e);
                }
                None => log.append(e),
            }
        }
        // Entries of earlier epochs past the end of the leader's log cannot be in it, ever: they
        // are the unreplicated tail of a deposed leader. Discard them (as `pg_rewind` would).
        // Entries of this epoch past `leader_last` came from a newer message of this leader.
        if matched == leader_last && log.last_lsn() > leader_last {
            let stale = log.entry(leader_last + 1).is_some_and(|e| e.epoch < epoch);
            if stale {
                let writes = log.truncate_from(leader_last + 1);
                out.push(Effect::Truncated {
                    from_lsn: leader_last + 1,
                    writes,
                });
            }
        }
        out.push(Effect::Send {
            to: leader,
            msg: Msg::AppendResp {
                epoch: self.durable.epoch,
                ok: true,
                lsn: matched,
            },
        });
    }

    /// Is the base of our log (everything through `base_lsn`) a prefix of the log of the leader
    /// of `epoch`, which sent entries after `prev_lsn` (below our base)?
    ///
    /// Yes if the base came from that leader's own snapshot, or if the base's last entry is of
    /// epoch `epoch`: only that leader makes entries of its epoch, it never discards them, and a
    /// log that holds an entry of the leader's at some lsn holds the leader's log up to it (Raft's
    /// log matching, which snapshots and compaction preserve). Likewise if the entries sent reach
    /// our base lsn and the one there has the base's epoch. Otherwise the base may hold writes
    /// this leader does not have: an earlier leader's snapshot, or the unreplicated tail of a
    /// deposed leader (this node, maybe) that compaction folded in.
    fn base_matches(&self, epoch: u64, prev_lsn: u64, entries: &[std::rc::Rc<Entry>]) -> bool {
        let log = &self.durable.log;
        if self.durable.snapshot_from.max(log.base_epoch()) >= epoch {
            return true;
        }
        let at_base = (log.base_lsn() - prev_lsn - 1) as usize;
        entries
            .get(at_base)
            .is_some_and(|e| e.lsn == log.base_lsn() && e.epoch == log.base_epoch())
    }

    /// Does our log hold the log of the leader of `epoch` through `lsn`, whose entry there has
    /// epoch `lsn_epoch`? Yes if we hold that very entry (log matching), or if `lsn` is inside
    /// our base and the base is provably a prefix of that leader's log.
    fn holds_prefix(&self, epoch: u64, lsn: u64, lsn_epoch: u64) -> bool {
        let log = &self.durable.log;
        if lsn > 0 && log.epoch_at(lsn) == Some(lsn_epoch) {
            return true;
        }
        lsn < log.base_lsn() && self.durable.snapshot_from.max(log.base_epoch()) >= epoch
    }

    /// Forgets the ids of writes below `cut`: in the log's base (see [`Log::forget_writes_before`])
    /// and among the writes a leader still waits to acknowledge (their clients gave up long ago).
    pub fn forget_writes_before(&mut self, cut: OpId) {
        self.durable.log.forget_writes_before(cut);
        if let Some(lead) = self.volatile.lead.as_mut() {
            lead.pending.retain(|_, (_, op)| *op >= cut);
        }
    }

    /// Accept `leader` as the leader of `epoch` (>= ours) and restart the election timer.
    fn follow(
        &mut self,
        ctx: &mut Ctx,
        cfg: &SingleLeader,
        epoch: u64,
        leader: NodeId,
        out: &mut Vec<Effect>,
    ) {
        let changed = epoch > self.durable.epoch || self.volatile.role != Role::Follower;
        if epoch > self.durable.epoch {
            self.durable.epoch = epoch;
        }
        if changed {
            self.demote(out);
        }
        self.volatile.pre_votes.clear();
        self.volatile.leader = Some(leader);
        self.volatile.leader_contact = Some(ctx.now);
        let after = Self::election_delay(ctx, cfg);
        out.push(Effect::SetTimer {
            kind: TimerKind::Election,
            after,
        });
    }

    /// Become a follower of the current epoch, leaving an election timer armed whenever the
    /// role changes: a leader has none (and a candidate's belongs to its own election), and a
    /// node without one never stands again, whatever happens to the others.
    fn step_down(&mut self, ctx: &mut Ctx, cfg: &SingleLeader, out: &mut Vec<Effect>) {
        if self.demote(out) {
            self.arm_election(ctx, cfg, out);
        }
    }

    fn arm_election(&mut self, ctx: &mut Ctx, cfg: &SingleLeader, out: &mut Vec<Effect>) {
        let after = Self::election_delay(ctx, cfg);
        out.push(Effect::SetTimer {
            kind: TimerKind::Election,
            after,
        });
    }

    /// Become a follower of the current epoch, without touching the election timer; says whether
    /// the role changed (the caller must then arm the timer). Writes waiting for
    /// acknowledgements get an "indeterminate" answer: they are in our log and may or may not
    /// survive.
    fn demote(&mut self, out: &mut Vec<Effect>) -> bool {
        let changed = self.volatile.role != Role::Follower;
        self.volatile.pre_votes.clear();
        if let Some(lead) = self.volatile.lead.take() {
            for (_, (client, op)) in lead.pending {
                out.push(Effect::Reply {
                    client,
                    op,
                    reply: Reply::Failed {
                        reason: "leader stepped down".into(),
                        maybe: true,
                    },
                });
            }
            out.push(Effect::CancelTimer(TimerKind::Heartbeat));
        }
        self.volatile.role = Role::Follower;
        self.volatile.leader = None;
        self.volatile.votes.clear();
        out.push(Effect::Role {
            role: Role::Follower,
            epoch: self.durable.epoch,
        });
        changed
    }

    #[allow(clippy::too_many_arguments)]
    fn on_append_resp(
        &mut self,
        ctx: &mut Ctx,
        cfg: &SingleLeader,
        f: NodeId,
        epoch: u64,
        ok: bool,
        lsn: u64,
        out: &mut Vec<Effect>,
    ) {
        if epoch > self.durable.epoch {
            self.durable.epoch = epoch;
            self.demote(out);
            self.arm_election(ctx, cfg, out);
            return;
        }
        let last = self.durable.log.last_lsn();
        let Some(lead) = self.volatile.lead.as_mut() else {
            return;
        };
        if epoch < self.durable.epoch {
            return;
        }
        lead.heard.insert(f, ctx.now);
        let next = lead.next.entry(f).or_insert(last + 1);
        if ok {
            if lead.snapshot_sent.get(&f).is_some_and(|(s, _)| lsn >= *s) {
                lead.snapshot_sent.remove(&f);
            }
            let m = lead.matched.entry(f).or_insert(0);
            *m = (*m).max(lsn);
            *next = (*next).max(lsn + 1);
            let more = *next <= last;
            self.complete_pending(ctx, cfg, out);
            if more {
                self.send_append(ctx, f, out);
            }
        } else {
            if let Some(&(s, at)) = lead.snapshot_sent.get(&f) {
                if lsn < s && ctx.now.saturating_sub(at) < cfg.election_timeout {
                    // Refusing entries sent before our snapshot reached it: wait for the
                    // snapshot (the heartbeat goes on from after it).
                    return;
                }
            }
            *next = (*next).saturating_sub(1).min(lsn + 1).max(1);
            if lsn == 0 {
                lead.snapshot_for.insert(f);
            }
            self.send_append(ctx, f, out);
        }
    }

    /// Answers every waiting write whose required followers now hold it.
    fn complete_pending(&mut self, ctx: &Ctx, cfg: &SingleLeader, out: &mut Vec<Effect>) {
        let epoch = self.durable.epoch;
        let Some(lead) = self.volatile.lead.as_mut() else {
            return;
        };
        let followers: Vec<NodeId> = ctx
            .members
            .iter()
            .copied()
            .filter(|f| *f != ctx.id)
            .collect();
        let need: Vec<NodeId> = match cfg.mode {
            SyncMode::Async => Vec::new(),
            SyncMode::Sync => followers,
            SyncMode::SemiSync { k } => {
                if lead.sync_set.len() < (k as usize).min(followers.len()) {
                    return; // Not enough healthy followers to wait for: writes stall.
                }
                lead.sync_set.iter().copied().collect()
            }
        };
        let upto = need
            .iter()
            .map(|f| lead.matched.get(f).copied().unwrap_or(0))
            .min()
            .unwrap_or(u64::MAX);
        while let Some((&lsn, _)) = lead.pending.first_key_value() {
            if lsn > upto {
                break;
            }
            let (client, op) = lead.pending.remove(&lsn).expect("first key exists");
            out.push(Effect::Reply {
                client,
                op,
                reply: Reply::Written {
                    lsn,
                    epoch,
                    vv: None,
                    dot: None,
                },
            });
        }
    }

    fn on_heartbeat_tick(&mut self, ctx: &mut Ctx, cfg: &SingleLeader, out: &mut Vec<Effect>) {
        if self.volatile.role != Role::Leader {
            return;
        }
        let followers: Vec<NodeId> = ctx
            .members
            .iter()
            .copied()
            .filter(|f| *f != ctx.id)
            .collect();
        if let Some(lead) = self.volatile.lead.as_mut() {
            // Members that joined since we became leader start as just heard from.
            for f in &followers {
                lead.heard.entry(*f).or_insert(ctx.now);
            }
            if cfg.fencing {
                let lease = Self::lease(cfg);
                let fresh = 1 + followers
                    .iter()
                    .filter(|f| ctx.now.saturating_sub(lead.heard[f]) <= lease)
                    .count();
                if fresh < ctx.majority() {
                    self.step_down(ctx, cfg, out);
                    return;
                }
            }
        }
        self.refresh_sync_set(ctx, cfg, out);
        for f in followers {
            self.send_append(ctx, f, out);
        }
        self.complete_pending(ctx, cfg, out);
        out.push(Effect::SetTimer {
            kind: TimerKind::Heartbeat,
            after: cfg.heartbeat,
        });
    }

    /// Semi-sync: replace designated followers that went silent by the most up-to-date healthy
    /// ones. Sync: every follower is designated, always.
    fn refresh_sync_set(&mut self, ctx: &Ctx, cfg: &SingleLeader, out: &mut Vec<Effect>) {
        let Some(lead) = self.volatile.lead.as_mut() else {
            return;
        };
        let followers: Vec<NodeId> = ctx
            .members
            .iter()
            .copied()
            .filter(|f| *f != ctx.id)
            .collect();
        let before = lead.sync_set.clone();
        match cfg.mode {
            SyncMode::Async => lead.sync_set.clear(),
            SyncMode::Sync => lead.sync_set = followers.iter().copied().collect(),
            SyncMode::SemiSync { k } => {
                let healthy = |f: &NodeId| {
                    lead.heard
                        .get(f)
                        .is_some_and(|h| ctx.now.saturating_sub(*h) <= cfg.sync_failure_timeout)
                };
                let keep: BTreeSet<NodeId> =
                    crate::sort::set(lead.sync_set.iter().copied().filter(|f| healthy(f)));
                let mut candidates: Vec<NodeId> = followers
                    .iter()
                    .copied()
                    .filter(|f| !keep.contains(f) && healthy(f))
                    .collect();
                // Most up to date first, then lowest id.
                crate::sort::sort_by_key(&mut candidates, |f| {
                    (
                        std::cmp::Reverse(lead.matched.get(f).copied().unwrap_or(0)),
                        *f,
                    )
                });
                let mut set = keep;
                for c in candidates {
                    if set.len() >= k as usize {
                        break;
                    }
                    set.insert(c);
                }
                lead.sync_set = set;
            }
        }
        if lead.sync_set != before {
            out.push(Effect::SyncSet(lead.sync_set.iter().copied().collect()));
        }
    }

    /// The election timer fired: ask whether an election in the next epoch could succeed.
    fn start_pre_vote(&mut self, ctx: &mut Ctx, cfg: &SingleLeader, out: &mut Vec<Effect>) {
        if self.volatile.role == Role::Leader {
            return;
        }
        self.volatile.leader = None;
        self.volatile.pre_votes = crate::sort::set([ctx.id]);
        if self.volatile.pre_votes.len() >= ctx.majority() {
            self.start_election(ctx, cfg, out);
            return;
        }
        for n in ctx.members.iter().copied().filter(|n| *n != ctx.id) {
            out.push(Effect::Send {
                to: n,
                msg: Msg::PreVote {
                    epoch: self.durable.epoch + 1,
                    last_lsn: self.durable.log.last_lsn(),
                    last_epoch: self.durable.log.last_epoch(),
                },
            });
        }
        let after = Self::election_delay(ctx, cfg);
        out.push(Effect::SetTimer {
            kind: TimerKind::Election,
            after,
        });
    }

    fn start_election(&mut self, ctx: &mut Ctx, cfg: &SingleLeader, out: &mut Vec<Effect>) {
        if self.volatile.role == Role::Leader {
            return;
        }
        self.volatile.pre_votes.clear();
        self.durable.epoch += 1;
        self.durable.voted = Some((self.durable.epoch, ctx.id));
        self.volatile.role = Role::Candidate;
        self.volatile.leader = None;
        self.volatile.votes = crate::sort::set([ctx.id]);
        out.push(Effect::Role {
            role: Role::Candidate,
            epoch: self.durable.epoch,
        });
        if self.volatile.votes.len() >= ctx.majority() {
            self.become_leader(ctx, cfg, out);
            return;
        }
        for n in ctx.members.iter().copied().filter(|n| *n != ctx.id) {
            out.push(Effect::Send {
                to: n,
                msg: Msg::RequestVote {
                    epoch: self.durable.epoch,
                    last_lsn: self.durable.log.last_lsn(),
                    last_epoch: self.durable.log.last_epoch(),
                },
            });
        }
        let after = Self::election_delay(ctx, cfg);
        out.push(Effect::SetTimer {
            kind: TimerKind::Election,
            after,
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn on_request_vote(
        &mut self,
        ctx: &mut Ctx,
        cfg: &SingleLeader,
        candidate: NodeId,
        epoch: u64,
        last_lsn: u64,
        last_epoch: u64,
        out: &mut Vec<Effect>,
    ) {
        let mut demoted = false;
        if epoch > self.durable.epoch {
            self.durable.epoch = epoch;
            demoted = self.demote(out);
        }
        let log = &self.durable.log;
        let up_to_date = (last_epoch, last_lsn) >= (log.last_epoch(), log.last_lsn());
        let free = match self.durable.voted {
            Some((e, n)) if e == epoch => n == candidate,
            _ => true,
        };
        let granted = epoch == self.durable.epoch && free && up_to_date;
        if granted {
            self.durable.voted = Some((epoch, candidate));
        }
        // Granting a vote restarts the timer (Raft), and so does stepping down from leader or
        // candidate even when we refuse: a leader deposed by a request it refuses (its log is
        // longer) has no election timer left and would never stand again.
        if granted || demoted {
            self.arm_election(ctx, cfg, out);
        }
        out.push(Effect::Send {
            to: candidate,
            msg: Msg::VoteResp {
                epoch: self.durable.epoch,
                granted,
            },
        });
    }

    fn on_vote(
        &mut self,
        ctx: &mut Ctx,
        cfg: &SingleLeader,
        voter: NodeId,
        epoch: u64,
        granted: bool,
        out: &mut Vec<Effect>,
    ) {
        if epoch > self.durable.epoch {
            self.durable.epoch = epoch;
            self.step_down(ctx, cfg, out);
            return;
        }
        if self.volatile.role != Role::Candidate || epoch != self.durable.epoch || !granted {
            return;
        }
        self.volatile.votes.insert(voter);
        if self.volatile.votes.len() >= ctx.majority() {
            self.become_leader(ctx, cfg, out);
        }
    }

    fn become_leader(&mut self, ctx: &mut Ctx, cfg: &SingleLeader, out: &mut Vec<Effect>) {
        let last = self.durable.log.last_lsn();
        let mut lead = LeaderState::default();
        for f in ctx.members.iter().copied().filter(|f| *f != ctx.id) {
            lead.next.insert(f, last + 1);
            lead.heard.insert(f, ctx.now);
        }
        self.volatile.role = Role::Leader;
        self.volatile.leader = Some(ctx.id);
        self.volatile.votes.clear();
        self.volatile.lead = Some(lead);
        out.push(Effect::CancelTimer(TimerKind::Election));
        out.push(Effect::Role {
            role: Role::Leader,
            epoch: self.durable.epoch,
        });
        self.on_heartbeat_tick(ctx, cfg, out);
    }
}
