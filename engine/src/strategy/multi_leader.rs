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
//! the [`Resolution`] of the scenario decides what replicas keep, identically everywhere.

use crate::node::{Ctx, Effect, Input, Msg, Replicated, Reply, TimerKind};
use crate::scenario::{MultiLeader, SyncMode, Topology};
use crate::strategy::versioned::{read_versions, report, VStore, Version, Vv};
use crate::types::{Addr, ClientId, NodeId, OpId, Role};
use std::collections::{BTreeMap, BTreeSet};

/// Most entries in one stream message.
pub const MAX_STREAM: usize = 64;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Durable {
    pub store: VStore,
    /// Every write this node applied, in order (shared with checkpoints: an entry never changes).
    pub log: Vec<std::rc::Rc<Replicated>>,
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
                let mut vv = context.unwrap_or_else(|| self.durable.store.context(&key));
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
                let applied = self
                    .durable
                    .store
                    .apply(&key, version.clone(), cfg.resolution);
                report(applied, op, out, &key);
                self.durable.log.push(std::rc::Rc::new(Replicated {
                    key,
                    version,
                    path: vec![ctx.id],
                }));
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
                    pos: self.durable.log.len() as u64,
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
                    let (mut values, vv) = self.durable.store.read(&key, cfg.resolution);
                    let first = (!values.is_empty()).then(|| values.remove(0));
                    Reply::Value {
                        value: first.as_ref().map(|(v, _)| v.clone()),
                        write: first.map(|(_, w)| w),
                        lsn: 0,
                        epoch: 0,
                        others: values,
                        vv: Some(vv),
                    }
                };
                out.push(Effect::Reply { client, op, reply });
            }
            (Addr::Node(peer), Msg::Stream { entries, upto }) => {
                let mut fresh = false;
                for mut e in entries {
                    if self.durable.store.applied.contains(&e.version.write) {
                        continue;
                    }
                    let applied =
                        self.durable
                            .store
                            .apply(&e.key, e.version.clone(), cfg.resolution);
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
                    self.durable.log.push(std::rc::Rc::new(e));
                    fresh = true;
                }
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

    /// Streams to every target what it has not acknowledged (only new entries when `fresh`,
    /// i.e. right after something was appended; everything unacknowledged on the resend timer).
    fn send_all(&mut self, _ctx: &Ctx, cfg: &MultiLeader, out: &mut Vec<Effect>, fresh: bool) {
        let id = _ctx.id;
        let len = self.durable.log.len() as u64;
        for t in Self::targets(cfg, id) {
            let from = self.volatile.acked.get(&t).copied().unwrap_or(0);
            if from >= len {
                continue;
            }
            let upto = (from + MAX_STREAM as u64).min(len);
            let entries: Vec<Replicated> = self.durable.log[from as usize..upto as usize]
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
    pub fn read(&self, key: &str, cfg: &MultiLeader) -> (Vec<(String, OpId)>, Vv) {
        read_versions(self.durable.store.get(key), cfg.resolution)
    }
}
