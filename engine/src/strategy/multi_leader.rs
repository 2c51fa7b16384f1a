//! Multi-leader replication: one leader per region accepts writes locally and streams them to
//! the other leaders asynchronously (or synchronously, if configured), and to its own followers.
//!
//! Each node keeps the writes it applied in order (its log); a peer is sent the part of that log
//! it has not acknowledged, again every `resend` until it acknowledges, so lost messages and cut
//! links only delay replication. Which entries go to which leader depends on the [`Topology`]:
//! all-to-all (each leader sends its own writes to every other leader), circular (each forwards
//! what it has to the next) or star (everyone talks to the hub, which forwards). A forwarded write
//! carries the ids of the nodes it passed through, and is never sent to one of them again.
//!
//! Writes to one key that did not see each other are concurrent (their version vectors say so):
//! the [`Resolution`](crate::strategy::versioned::Resolution) of the scenario decides what
//! replicas keep, identically everywhere.
//!
//! **Horizon.** A node's log keeps the newest [`LOG_KEEP`] entries (it compacts when it holds
//! half as many again; positions stay absolute). A peer whose acknowledged position is below the
//! compacted part (it was cut off or down for that long, or the sender restarted and no longer
//! knows what the peer has) is first sent a catch-up: the sender's current versions of every key
//! (those the peer wants), which the versioned store merges like any other versions, so it
//! converges; then the log from the compacted position on. The ids of applied writes are
//! forgotten below a cutoff (see [`VStore`]).

use crate::node::{Ctx, Effect, Input, Msg, Replicated, Reply, TimerKind};
use crate::scenario::{MultiLeader, SyncMode, Topology};
pub use crate::store::LOG_KEEP;
use crate::strategy::versioned::{read_versions, report, ReadOut, VStore, Version, Vv};
use crate::types::{Addr, ClientId, NodeId, OpId, Role};
use std::collections::{BTreeMap, BTreeSet};

/// Most entries in one stream message.
pub const MAX_STREAM: usize = 64;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Durable {
    pub store: VStore,
    /// The newest writes this node applied, in order (shared with checkpoints: an entry never
    /// changes): `log[i]` is at log position `base + i + 1`.
    pub log: Vec<std::rc::Rc<Replicated>>,
    /// How many of the oldest entries compaction dropped from the log.
    pub base: u64,
    /// This node's write counter.
    pub counter: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingWrite {
    pub client: ClientId,
    pub op: OpId,
    /// Position of the write in our log (its index + 1).
    pub pos: u64,
    /// Leaders that still have to confirm it (synchronous cross-leader replication).
    pub leaders: BTreeSet<NodeId>,
    pub vv: Vv,
    pub dot: (NodeId, u64),
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Volatile {
    /// How much of our log each peer has acknowledged.
    pub acked: BTreeMap<NodeId, u64>,
    pub pending: Vec<PendingWrite>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MultiLeaderNode {
    pub durable: Durable,
    pub volatile: Volatile,
}

impl MultiLeaderNode {
    pub fn role(&self, cfg: &MultiLeader, id: NodeId) -> Role {
        if cfg.is_leader(id) {
            Role::Leader
        } else {
            Role::Follower
        }
    }

    pub fn crash(&mut self) {
        self.volatile = Volatile::default();
    }

    /// The log position after the last entry: how many writes this node has applied.
    pub fn log_end(&self) -> u64 {
        self.durable.base + self.durable.log.len() as u64
    }

    /// Appends to the log, compacting it once it holds more than `LOG_KEEP + LOG_KEEP / 2`
    /// entries.
    fn append(&mut self, e: Replicated) {
        let log = &mut self.durable.log;
        log.push(std::rc::Rc::new(e));
        if log.len() > LOG_KEEP + LOG_KEEP / 2 {
            let fold = log.len() - LOG_KEEP;
            log.drain(..fold);
            self.durable.base += fold as u64;
        }
    }

    /// Forgets the ids of writes below `cut`: the store's applied writes (see [`VStore`]) and the
    /// local writes still waiting for acknowledgements (their clients gave up long ago).
    pub fn forget_writes_before(&mut self, cut: OpId) {
        self.durable.store.forget_writes_before(cut);
        self.volatile.pending.retain(|p| p.op >= cut);
    }

    /// The nodes this node streams to.
    fn targets(cfg: &MultiLeader, id: NodeId) -> Vec<NodeId> {
        if !cfg.is_leader(id) {
            return Vec::new();
        }
        let region = cfg.region_of(id);
        let mut t: Vec<NodeId> = (1..=cfg.followers).map(|i| id + i).collect();
        let leaders: Vec<NodeId> = (0..cfg.regions).map(|r| cfg.leader_of(r)).collect();
        match cfg.topology {
            Topology::AllToAll => t.extend(leaders.iter().copied().filter(|l| *l != id)),
            Topology::Circular if cfg.regions > 1 => {
                t.push(cfg.leader_of((region + 1) % cfg.regions))
            }
            Topology::Star if region == 0 => t.extend(leaders.iter().copied().filter(|l| *l != id)),
            Topology::Star => t.push(cfg.leader_of(0)),
            Topology::Circular => {}
        }
        t
    }

    /// Should `entry` go to `target`? Followers get everything; leaders get what has not passed
    /// through them (and, all-to-all, only the writes accepted here).
    fn wants(cfg: &MultiLeader, id: NodeId, target: NodeId, e: &Replicated) -> bool {
        if !cfg.is_leader(target) {
            return cfg.region_of(target) == cfg.region_of(id);
        }
        if e.path.contains(&target) {
            return false;
        }
        cfg.topology != Topology::AllToAll || e.version.dot.0 == id
    }

    pub fn handle(
        &mut self,
        ctx: &mut Ctx,
        cfg: &MultiLeader,
        input: Input,
        out: &mut Vec<Effect>,
    ) {
        match input {
            Input::Boot { .. } => {
                self.volatile = Volatile::default();
                out.push(Effect::Role {
                    role: self.role(cfg, ctx.id),
                    epoch: 0,
                });
                if cfg.is_leader(ctx.id) {
                    let after = 1 + ctx.rng.upto(cfg.resend);
                    out.push(Effect::SetTimer {
                        kind: TimerKind::Heartbeat,
                        after,
                    });
                }
            }
            Input::Timer(TimerKind::Heartbeat) => {
                self.send_all(ctx, cfg, out, false);
                out.push(Effect::SetTimer {
                    kind: TimerKind::Heartbeat,
                    after: cfg.resend,
                });
            }
            Input::Timer(_) => {}
            Input::Message { from, msg } => self.on_message(ctx, cfg, from, msg, out),
        }
    }

    fn on_message(
        &mut self,
        ctx: &mut Ctx,
        cfg: &MultiLeader,
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
                    context,
                },
            ) => {
                if !cfg.is_leader(ctx.id) {
                    let hint = Some(cfg.leader_of(cfg.region_of(ctx.id)));
                    out.push(Effect::Reply {
                        client,
                        op,
                        reply: Reply::NotLeader { hint },
                    });
                    return;
                }
                self.durable.counter += 1;
                let dot = (ctx.id, self.durable.counter);
                // Without a context from the client, the writer saw what this node holds.
                let context = context.unwrap_or_else(|| self.durable.store.context(&key));
                let mut vv = context.clone();
                vv.0.insert(dot.0, dot.1);
                let version = Version {
                    value,
                    write: op,
                    dot,
                    vv: vv.clone(),
                    ts: (ctx.clock, ctx.id),
                };
                out.push(Effect::Accepted {
                    write: op,
                    dot: Some(dot),
                });
                out.push(Effect::Context { write: op, context });
                let applied = self
                    .durable
                    .store
                    .apply(&key, version.clone(), cfg.resolution);
                report(applied, op, out, &key);
                self.append(Replicated {
                    key,
                    version,
                    path: vec![ctx.id],
                });
                let leaders: BTreeSet<NodeId> = if cfg.cross_sync {
                    crate::sort::set(
                        (0..cfg.regions)
                            .map(|r| cfg.leader_of(r))
                            .filter(|l| *l != ctx.id),
                    )
                } else {
                    BTreeSet::new()
                };
                self.volatile.pending.push(PendingWrite {
                    client,
                    op,
                    pos: self.log_end(),
                    leaders,
                    vv,
                    dot,
                });
                self.complete(ctx, cfg, out);
                self.send_all(ctx, cfg, out, true);
            }
            (
                Addr::Client(_),
                Msg::ClientRead {
                    client,
                    op,
                    key,
                    leader_only,
                },
            ) => {
                let reply = if leader_only && !cfg.is_leader(ctx.id) {
                    Reply::NotLeader {
                        hint: Some(cfg.leader_of(cfg.region_of(ctx.id))),
                    }
                } else {
                    self.durable.store.read(&key, cfg.resolution).reply()
                };
                out.push(Effect::Reply { client, op, reply });
            }
            (Addr::Node(peer), m @ (Msg::Stream { .. } | Msg::CatchUp { .. })) => {
                let catch_up = matches!(m, Msg::CatchUp { .. });
                let (Msg::Stream { entries, upto } | Msg::CatchUp { entries, upto }) = m else {
                    unreachable!("matched above")
                };
                let fresh = self.receive(ctx, cfg, entries, catch_up, out);
                out.push(Effect::Send {
                    to: peer,
                    msg: Msg::StreamAck { upto },
                });
                if fresh {
                    self.send_all(ctx, cfg, out, true);
                }
            }
            (Addr::Node(peer), Msg::StreamAck { upto }) => {
                let a = self.volatile.acked.entry(peer).or_insert(0);
                *a = (*a).max(upto);
                self.complete(ctx, cfg, out);
            }
            (Addr::Node(peer), Msg::CrossAck { write }) => {
                for p in self.volatile.pending.iter_mut().filter(|p| p.op == write) {
                    p.leaders.remove(&peer);
                }
                self.complete(ctx, cfg, out);
            }
            _ => {}
        }
    }

    /// Applies writes streamed (or, with `catch_up`, a peer's current versions) and appends the
    /// new ones to the log; returns whether there were any.
    fn receive(
        &mut self,
        ctx: &Ctx,
        cfg: &MultiLeader,
        entries: Vec<Replicated>,
        catch_up: bool,
        out: &mut Vec<Effect>,
    ) -> bool {
        let mut fresh = false;
        for mut e in entries {
            if self.durable.store.seen(&e.key, &e.version, cfg.resolution) {
                continue;
            }
            let mut applied = self
                .durable
                .store
                .apply(&e.key, e.version.clone(), cfg.resolution);
            if catch_up {
                // A current version stands for the writes it superseded, which the sender no
                // longer has to send: that is not overtaking.
                applied.overtook = None;
            }
            report(applied, e.version.write, out, &e.key);
            if cfg.cross_sync && cfg.is_leader(ctx.id) && e.version.dot.0 != ctx.id {
                out.push(Effect::Send {
                    to: e.version.dot.0,
                    msg: Msg::CrossAck {
                        write: e.version.write,
                    },
                });
            }
            e.path.push(ctx.id);
            self.append(e);
            fresh = true;
        }
        fresh
    }

    /// Streams to every target what it has not acknowledged (only new entries when `fresh`,
    /// i.e. right after something was appended; everything unacknowledged on the resend timer).
    /// A target that has not acknowledged up to the compacted part of the log gets a catch-up
    /// (on the resend timer only): every current version it wants, standing for the log up to
    /// the compacted position.
    fn send_all(&mut self, _ctx: &Ctx, cfg: &MultiLeader, out: &mut Vec<Effect>, fresh: bool) {
        let id = _ctx.id;
        let (base, end) = (self.durable.base, self.log_end());
        for t in Self::targets(cfg, id) {
            let from = self.volatile.acked.get(&t).copied().unwrap_or(0);
            if from >= end {
                continue;
            }
            if from < base {
                if fresh {
                    continue;
                }
                let entries: Vec<Replicated> = self
                    .durable
                    .store
                    .data
                    .iter()
                    .flat_map(|(key, vs)| {
                        vs.iter().map(|v| Replicated {
                            key: key.clone(),
                            version: v.clone(),
                            path: vec![id],
                        })
                    })
                    .filter(|e| Self::wants(cfg, id, t, e))
                    .collect();
                out.push(Effect::Send {
                    to: t,
                    msg: Msg::CatchUp {
                        entries,
                        upto: base,
                    },
                });
                continue;
            }
            let upto = (from + MAX_STREAM as u64).min(end);
            let entries: Vec<Replicated> = self.durable.log
                [(from - base) as usize..(upto - base) as usize]
                .iter()
                .filter(|e| Self::wants(cfg, id, t, e))
                .map(|e| (**e).clone())
                .collect();
            if entries.is_empty() && fresh {
                // Nothing this peer needs; just move its mark on the next resend.
                continue;
            }
            out.push(Effect::Send {
                to: t,
                msg: Msg::Stream { entries, upto },
            });
        }
    }

    /// Answers the local writes whose followers and leaders have confirmed them.
    fn complete(&mut self, ctx: &Ctx, cfg: &MultiLeader, out: &mut Vec<Effect>) {
        let followers: Vec<NodeId> = (1..=cfg.followers).map(|i| ctx.id + i).collect();
        let acked = &self.volatile.acked;
        let have = |pos: u64| {
            followers
                .iter()
                .filter(|f| acked.get(f).copied().unwrap_or(0) >= pos)
                .count()
        };
        let need = match cfg.local_mode {
            SyncMode::Async => 0,
            SyncMode::Sync => followers.len(),
            SyncMode::SemiSync { k } => (k as usize).min(followers.len()),
        };
        let mut still = Vec::new();
        for p in std::mem::take(&mut self.volatile.pending) {
            if have(p.pos) >= need && p.leaders.is_empty() {
                out.push(Effect::Reply {
                    client: p.client,
                    op: p.op,
                    reply: Reply::Written {
                        lsn: p.pos,
                        epoch: 0,
                        vv: Some(p.vv),
                        dot: Some(p.dot),
                    },
                });
            } else {
                still.push(p);
            }
        }
        self.volatile.pending = still;
    }

    /// Values of a key as a reader here sees them.
    pub fn read(&self, key: &str, cfg: &MultiLeader) -> ReadOut {
        read_versions(self.durable.store.get(key), cfg.resolution)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use crate::types::Addr;

    fn entry(key: &str, write: OpId, dot: (NodeId, u64)) -> Replicated {
        Replicated {
            key: key.into(),
            version: Version {
                value: format!("v{write}"),
                write,
                dot,
                vv: Vv([dot].into_iter().collect()),
                ts: (write as u64, dot.0),
            },
            path: vec![dot.0],
        }
    }

    fn deliver(n: &mut MultiLeaderNode, cfg: &MultiLeader, msg: Msg) -> Vec<Effect> {
        let mut rng = Rng::new(1);
        let mut ctx = Ctx {
            id: 0,
            now: 0,
            clock: 0,
            members: &[0, 1, 2],
            rng: &mut rng,
        };
        let mut out = Vec::new();
        n.handle(
            &mut ctx,
            cfg,
            Input::Message {
                from: Addr::Node(1),
                msg,
            },
            &mut out,
        );
        out
    }

    #[test]
    fn the_log_compacts_and_old_writes_redelivered_after_forgetting_are_no_ops() {
        let cfg = MultiLeader::default();
        let mut n = MultiLeaderNode::default();
        let total = (2 * LOG_KEEP) as u64;
        let all: Vec<Replicated> = (1..=total)
            .map(|i| entry(&format!("k{}", i % 5), i as OpId, (1, i)))
            .collect();
        for chunk in all.chunks(MAX_STREAM) {
            deliver(
                &mut n,
                &cfg,
                Msg::Stream {
                    entries: chunk.to_vec(),
                    upto: 0,
                },
            );
        }
        assert_eq!(n.log_end(), total);
        assert!(n.durable.log.len() <= LOG_KEEP + LOG_KEEP / 2);
        assert_eq!(n.durable.base + n.durable.log.len() as u64, total);
        assert_eq!(n.durable.log.last().unwrap().version.write, total as OpId);

        n.forget_writes_before(total as OpId - 10);
        let data = n.durable.store.data.clone();
        let out = deliver(
            &mut n,
            &cfg,
            Msg::Stream {
                entries: all[..100].to_vec(),
                upto: 100,
            },
        );
        assert_eq!(n.log_end(), total, "nothing re-logged");
        assert_eq!(n.durable.store.data, data);
        assert!(
            matches!(
                out.as_slice(),
                [Effect::Send {
                    msg: Msg::StreamAck { upto: 100 },
                    ..
                }]
            ),
            "{out:?}"
        );
    }
}
