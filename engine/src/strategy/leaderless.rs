//! Leaderless (Dynamo-style) replication.
//!
//! Keys live on a consistent-hashing ring: every node owns `vnodes` tokens, and a key's *home*
//! replicas are the first N distinct nodes clockwise from the key's hash. Any node coordinates
//! the requests of the clients that contact it: it sends a write to the N home replicas and
//! answers after W acknowledgements; it asks N (or R) replicas on a read, answers with the newest
//! versions after R responses, and (read repair) writes those back to replicas that were behind.
//!
//! With a sloppy quorum, when home replicas stay silent the coordinator writes to the next nodes
//! on the ring instead, each with a *hint* naming the home it stands in for; the stand-in keeps
//! hinted writes aside and hands them to their home once it answers again. Anti-entropy has each
//! node periodically compare hashes of the key ranges it shares with a peer and exchange only the
//! ranges that differ.
//!
//! **Horizon.** A node's data is bounded by its keys; the ids of the writes it applied are
//! forgotten below a cutoff (see [`VStore`]), and it counts applied writes separately. Hinted
//! writes are kept until their home takes them, so they grow only with the writes made while a
//! home is unreachable.

use crate::node::{Ctx, Effect, Input, Msg, PutPurpose, Reply, TimerKind};
use crate::scenario::Leaderless;
use crate::strategy::versioned::{merge_versions, read_versions, report, VStore, Version, Vv};
use crate::trace::StableHasher;
use crate::types::{Addr, ClientId, NodeId, OpId, Role, Time, MS};
use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};

/// How often a node checks deadlines, fallbacks, hand-offs and anti-entropy.
pub const TICK: Time = 25 * MS;
/// Anti-entropy compares this many key ranges.
pub const BUCKETS: u16 = 8;

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A key's position on the ring.
pub fn key_hash(key: &str) -> u64 {
    let mut h = StableHasher::default();
    key.hash(&mut h);
    mix(h.finish())
}

/// The consistent-hashing ring: (token, node), sorted.
pub fn ring(members: &[NodeId], vnodes: u16) -> Vec<(u64, NodeId)> {
    let mut r: Vec<(u64, NodeId)> = members
        .iter()
        .flat_map(|n| {
            (0..vnodes.max(1)).map(move |i| {
                (
                    mix(((*n as u64) << 32) | i as u64 | 0x5A5A_0000_0000_0000),
                    *n,
                )
            })
        })
        .collect();
    crate::sort::sort(&mut r);
    r
}

/// Every node in ring order from `key`'s position: the first N are its home replicas, the rest
/// are stand-ins for a sloppy quorum.
pub fn preference(ring: &[(u64, NodeId)], key: &str) -> Vec<NodeId> {
    let h = key_hash(key);
    let start = ring.partition_point(|(t, _)| *t < h);
    let mut out: Vec<NodeId> = Vec::new();
    for i in 0..ring.len() {
        let n = ring[(start + i) % ring.len()].1;
        if !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Durable {
    pub store: VStore,
    /// Hinted writes held for other nodes: home -> (key, version).
    pub hints: BTreeMap<NodeId, Vec<(String, Version)>>,
    pub counter: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingWrite {
    pub client: ClientId,
    pub op: OpId,
    pub key: String,
    pub version: Version,
    pub started: Time,
    pub home: Vec<NodeId>,
    pub asked: BTreeSet<NodeId>,
    pub acks: BTreeSet<NodeId>,
    /// Home replicas a stand-in has been asked to cover for.
    pub covered: BTreeSet<NodeId>,
    pub replied: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingRead {
    pub client: ClientId,
    pub op: OpId,
    pub key: String,
    pub started: Time,
    pub asked: Vec<NodeId>,
    pub responses: BTreeMap<NodeId, Vec<Version>>,
    pub merged: Option<Vec<Version>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Volatile {
    pub ring: Vec<(u64, NodeId)>,
    pub next_req: u64,
    pub writes: BTreeMap<u64, PendingWrite>,
    pub reads: BTreeMap<u64, PendingRead>,
    /// Hand-offs in flight: request -> (home, write).
    pub handoffs: BTreeMap<u64, (NodeId, OpId)>,
    /// Peers that did not answer a write in time.
    pub suspects: BTreeSet<NodeId>,
    pub last_handoff: Time,
    pub last_anti_entropy: Time,
    pub anti_entropy_turn: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeaderlessNode {
    pub durable: Durable,
    pub volatile: Volatile,
}

impl LeaderlessNode {
    pub fn crash(&mut self) {
        self.volatile = Volatile::default();
    }

    /// Does this node hold write `w` (applied, or as a hint)?
    /// Does this node keep write `w` as a hint for another node?
    pub fn holds_hint(&self, w: OpId) -> bool {
        self.durable
            .hints
            .values()
            .any(|hs| hs.iter().any(|(_, v)| v.write == w))
    }

    pub fn hint_count(&self) -> usize {
        self.durable.hints.values().map(|h| h.len()).sum()
    }

    fn req(&mut self) -> u64 {
        self.volatile.next_req += 1;
        self.volatile.next_req
    }

    pub fn handle(&mut self, ctx: &mut Ctx, cfg: &Leaderless, input: Input, out: &mut Vec<Effect>) {
        match input {
            Input::Boot { .. } => {
                self.volatile = Volatile {
                    ring: ring(ctx.members, cfg.vnodes),
                    last_handoff: ctx.now,
                    last_anti_entropy: ctx.now,
                    ..Volatile::default()
                };
                out.push(Effect::Role {
                    role: Role::Replica,
                    epoch: 0,
                });
                let after = 1 + ctx.rng.upto(TICK);
                out.push(Effect::SetTimer {
                    kind: TimerKind::Tick,
                    after,
                });
            }
            Input::Timer(TimerKind::Tick) => {
                self.tick(ctx, cfg, out);
                out.push(Effect::SetTimer {
                    kind: TimerKind::Tick,
                    after: TICK,
                });
            }
            Input::Timer(_) => {}
            Input::Message { from, msg } => self.on_message(ctx, cfg, from, msg, out),
        }
    }

    fn home(&self, cfg: &Leaderless, key: &str) -> (Vec<NodeId>, Vec<NodeId>) {
        let mut p = preference(&self.volatile.ring, key);
        let rest = p.split_off((cfg.n as usize).min(p.len()));
        (p, rest)
    }

    fn on_message(
        &mut self,
        ctx: &mut Ctx,
        cfg: &Leaderless,
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
            ) => self.coordinate_write(ctx, cfg, client, op, key, value, context, out),
            (
                Addr::Client(_),
                Msg::ClientRead {
                    client, op, key, ..
                },
            ) => {
                let (home, _) = self.home(cfg, &key);
                let asked: Vec<NodeId> = if cfg.read_all {
                    home
                } else {
                    home.into_iter().take(cfg.r as usize).collect()
                };
                let req = self.req();
                let mut read = PendingRead {
                    client,
                    op,
                    key: key.clone(),
                    started: ctx.now,
                    asked: asked.clone(),
                    responses: BTreeMap::new(),
                    merged: None,
                };
                for n in &asked {
                    if *n == ctx.id {
                        read.responses
                            .insert(ctx.id, self.durable.store.get(&key).to_vec());
                    } else {
                        out.push(Effect::Send {
                            to: *n,
                            msg: Msg::Get {
                                req,
                                key: key.clone(),
                            },
                        });
                    }
                }
                self.volatile.reads.insert(req, read);
                self.progress_read(ctx, cfg, req, out);
            }
            (
                Addr::Node(c),
                Msg::Put {
                    req,
                    key,
                    version,
                    purpose,
                },
            ) => {
                let write = version.write;
                match purpose {
                    PutPurpose::Hint { home } => {
                        let hs = self.durable.hints.entry(home).or_default();
                        if !hs.iter().any(|(_, v)| v.write == write) {
                            hs.push((key.clone(), version));
                        }
                    }
                    _ => {
                        let applied = self.durable.store.apply(&key, version, cfg.resolution);
                        report(applied, write, out, &key);
                    }
                }
                out.push(Effect::Send {
                    to: c,
                    msg: Msg::PutAck { req, key, write },
                });
            }
            (Addr::Node(r), Msg::PutAck { req, .. }) => {
                self.volatile.suspects.remove(&r);
                if let Some((home, write)) = self.volatile.handoffs.remove(&req) {
                    if let Some(hs) = self.durable.hints.get_mut(&home) {
                        hs.retain(|(_, v)| v.write != write);
                        if hs.is_empty() {
                            self.durable.hints.remove(&home);
                        }
                    }
                    return;
                }
                let Some(w) = self.volatile.writes.get_mut(&req) else {
                    return;
                };
                w.acks.insert(r);
                self.progress_write(cfg, req, out);
            }
            (Addr::Node(r), Msg::Get { req, key }) => {
                let versions = self.durable.store.get(&key).to_vec();
                out.push(Effect::Send {
                    to: r,
                    msg: Msg::GetResp { req, key, versions },
                });
            }
            (Addr::Node(r), Msg::GetResp { req, versions, .. }) => {
                self.volatile.suspects.remove(&r);
                let Some(read) = self.volatile.reads.get_mut(&req) else {
                    return;
                };
                read.responses.insert(r, versions);
                self.progress_read(ctx, cfg, req, out);
            }
            (Addr::Node(peer), Msg::AeTree { buckets }) => {
                let mine = self.bucket_hashes(cfg, peer);
                let differ: Vec<u16> = (0..BUCKETS)
                    .filter(|b| mine[*b as usize] != buckets[*b as usize])
                    .collect();
                if !differ.is_empty() {
                    let entries = self.entries_in(cfg, peer, &differ);
                    out.push(Effect::Send {
                        to: peer,
                        msg: Msg::AeDiff {
                            buckets: differ,
                            entries,
                        },
                    });
                }
            }
            (Addr::Node(peer), Msg::AeDiff { buckets, entries }) => {
                let mine = self.entries_in(cfg, peer, &buckets);
                self.absorb(cfg, entries, out);
                out.push(Effect::Send {
                    to: peer,
                    msg: Msg::AeEntries { entries: mine },
                });
            }
            (Addr::Node(_), Msg::AeEntries { entries }) => self.absorb(cfg, entries, out),
            _ => {}
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn coordinate_write(
        &mut self,
        ctx: &mut Ctx,
        cfg: &Leaderless,
        client: ClientId,
        op: OpId,
        key: String,
        value: String,
        context: Option<Vv>,
        out: &mut Vec<Effect>,
    ) {
        self.durable.counter += 1;
        let dot = (ctx.id, self.durable.counter);
        let context = context.unwrap_or_default();
        let mut vv = context.clone();
        vv.0.insert(dot.0, dot.1);
        let version = Version {
            value,
            write: op,
            dot,
            vv,
            ts: (ctx.clock, ctx.id),
        };
        out.push(Effect::Accepted {
            write: op,
            dot: Some(dot),
        });
        out.push(Effect::Context { write: op, context });
        let (home, rest) = self.home(cfg, &key);
        let req = self.req();
        let mut w = PendingWrite {
            client,
            op,
            key: key.clone(),
            version: version.clone(),
            started: ctx.now,
            home: home.clone(),
            asked: BTreeSet::new(),
            acks: BTreeSet::new(),
            covered: BTreeSet::new(),
            replied: false,
        };
        for h in home {
            // A home replica known to be silent: go straight to a stand-in.
            if cfg.sloppy
                && self.volatile.suspects.contains(&h)
                && self.cover(ctx, cfg, req, h, &rest, &mut w, out)
            {
                continue;
            }
            self.put(
                ctx,
                cfg,
                h,
                req,
                &key,
                &version,
                PutPurpose::Write,
                &mut w,
                out,
            );
        }
        self.volatile.writes.insert(req, w);
        self.progress_write(cfg, req, out);
    }

    /// Asks the first stand-in not asked yet to hold the write for `home` (sloppy quorum).
    /// Returns false when every stand-in has been asked.
    #[allow(clippy::too_many_arguments)]
    fn cover(
        &mut self,
        ctx: &Ctx,
        cfg: &Leaderless,
        req: u64,
        home: NodeId,
        stand_ins: &[NodeId],
        w: &mut PendingWrite,
        out: &mut Vec<Effect>,
    ) -> bool {
        let Some(s) = stand_ins.iter().copied().find(|s| !w.asked.contains(s)) else {
            return false;
        };
        w.covered.insert(home);
        let (key, version) = (w.key.clone(), w.version.clone());
        self.put(
            ctx,
            cfg,
            s,
            req,
            &key,
            &version,
            PutPurpose::Hint { home },
            w,
            out,
        );
        true
    }

    /// Sends a put, or applies it at once when the target is this node.
    #[allow(clippy::too_many_arguments)]
    fn put(
        &mut self,
        ctx: &Ctx,
        cfg: &Leaderless,
        to: NodeId,
        req: u64,
        key: &str,
        version: &Version,
        purpose: PutPurpose,
        w: &mut PendingWrite,
        out: &mut Vec<Effect>,
    ) {
        w.asked.insert(to);
        if to == ctx.id {
            match purpose {
                PutPurpose::Hint { home } => {
                    self.durable
                        .hints
                        .entry(home)
                        .or_default()
                        .push((key.to_string(), version.clone()));
                }
                _ => {
                    let applied = self
                        .durable
                        .store
                        .apply(key, version.clone(), cfg.resolution);
                    report(applied, version.write, out, key);
                }
            }
            w.acks.insert(ctx.id);
        } else {
            out.push(Effect::Send {
                to,
                msg: Msg::Put {
                    req,
                    key: key.to_string(),
                    version: version.clone(),
                    purpose,
                },
            });
        }
    }

    fn progress_write(&mut self, cfg: &Leaderless, req: u64, out: &mut Vec<Effect>) {
        let Some(w) = self.volatile.writes.get_mut(&req) else {
            return;
        };
        if !w.replied && w.acks.len() >= cfg.w as usize {
            w.replied = true;
            out.push(Effect::Reply {
                client: w.client,
                op: w.op,
                reply: Reply::Written {
                    lsn: 0,
                    epoch: 0,
                    vv: Some(w.version.vv.clone()),
                    dot: Some(w.version.dot),
                },
            });
        }
        if w.replied && w.asked.iter().all(|a| w.acks.contains(a)) {
            self.volatile.writes.remove(&req);
        }
    }

    fn progress_read(&mut self, ctx: &Ctx, cfg: &Leaderless, req: u64, out: &mut Vec<Effect>) {
        let Some(read) = self.volatile.reads.get_mut(&req) else {
            return;
        };
        if read.merged.is_none() && read.responses.len() >= cfg.r as usize {
            let merged = merge_versions(
                read.responses.values().flatten().cloned(),
                &read.key,
                cfg.resolution,
            );
            out.push(Effect::Reply {
                client: read.client,
                op: read.op,
                reply: read_versions(&merged, cfg.resolution).reply(),
            });
            read.merged = Some(merged);
        }
        let Some(merged) = read.merged.clone() else {
            return;
        };
        if cfg.read_repair {
            // Repair every responder that lacks one of the newest versions (once each).
            let key = read.key.clone();
            let stale: Vec<(NodeId, Vec<Version>)> = read
                .responses
                .iter_mut()
                .filter(|(n, _)| **n != u16::MAX)
                .filter_map(|(n, vs)| {
                    let missing: Vec<Version> = merged
                        .iter()
                        .filter(|m| {
                            !vs.iter()
                                .any(|v| v.write == m.write || v.vv.dominates(&m.vv))
                        })
                        .cloned()
                        .collect();
                    // Mark as repaired so a later response does not repeat it.
                    vs.extend(missing.iter().cloned());
                    (!missing.is_empty()).then_some((*n, missing))
                })
                .collect();
            for (n, missing) in stale {
                for version in missing {
                    if n == ctx.id {
                        let applied =
                            self.durable
                                .store
                                .apply(&key, version.clone(), cfg.resolution);
                        report(applied, version.write, out, &key);
                    } else {
                        out.push(Effect::Send {
                            to: n,
                            msg: Msg::Put {
                                req: 0,
                                key: key.clone(),
                                version,
                                purpose: PutPurpose::Repair,
                            },
                        });
                    }
                }
            }
        }
        let read = &self.volatile.reads[&req];
        if read.asked.iter().all(|a| read.responses.contains_key(a)) {
            self.volatile.reads.remove(&req);
        }
    }

    fn tick(&mut self, ctx: &mut Ctx, cfg: &Leaderless, out: &mut Vec<Effect>) {
        let deadline = cfg.sloppy_after * 6;
        // Writes: time out, or (sloppy quorum) ask stand-ins for silent home replicas.
        let reqs: Vec<u64> = self.volatile.writes.keys().copied().collect();
        for req in reqs {
            let mut w = self.volatile.writes.remove(&req).expect("listed");
            let age = ctx.now.saturating_sub(w.started);
            if age >= deadline {
                if !w.replied {
                    out.push(Effect::Reply {
                        client: w.client,
                        op: w.op,
                        reply: Reply::Failed {
                            reason: format!(
                                "only {} of W={} replicas acknowledged",
                                w.acks.len(),
                                cfg.w
                            ),
                            maybe: true,
                        },
                    });
                }
                continue;
            }
            if cfg.sloppy && !w.replied && age >= cfg.sloppy_after {
                let (_, rest) = self.home(cfg, &w.key);
                let silent: Vec<NodeId> = w
                    .home
                    .iter()
                    .copied()
                    .filter(|h| !w.acks.contains(h) && !w.covered.contains(h))
                    .collect();
                for h in silent {
                    self.volatile.suspects.insert(h);
                    self.cover(ctx, cfg, req, h, &rest, &mut w, out);
                }
            }
            self.volatile.writes.insert(req, w);
            self.progress_write(cfg, req, out);
        }
        // Reads: time out.
        let expired: Vec<u64> = self
            .volatile
            .reads
            .iter()
            .filter(|(_, r)| ctx.now.saturating_sub(r.started) >= deadline)
            .map(|(q, _)| *q)
            .collect();
        for req in expired {
            let r = self.volatile.reads.remove(&req).expect("listed");
            if r.merged.is_none() {
                out.push(Effect::Reply {
                    client: r.client,
                    op: r.op,
                    reply: Reply::Failed {
                        reason: format!(
                            "only {} of R={} replicas answered",
                            r.responses.len(),
                            cfg.r
                        ),
                        maybe: false,
                    },
                });
            }
        }
        // Hinted hand-off.
        if !self.durable.hints.is_empty()
            && ctx.now.saturating_sub(self.volatile.last_handoff) >= cfg.handoff_every
        {
            self.volatile.last_handoff = ctx.now;
            self.volatile.handoffs.clear();
            let hints: Vec<(NodeId, String, Version)> = self
                .durable
                .hints
                .iter()
                .flat_map(|(h, vs)| vs.iter().map(move |(k, v)| (*h, k.clone(), v.clone())))
                .collect();
            for (home, key, version) in hints {
                let req = self.req();
                self.volatile.handoffs.insert(req, (home, version.write));
                out.push(Effect::Send {
                    to: home,
                    msg: Msg::Put {
                        req,
                        key,
                        version,
                        purpose: PutPurpose::Handoff,
                    },
                });
            }
        }
        // Anti-entropy with the next peer in turn.
        if cfg.anti_entropy > 0
            && ctx.now.saturating_sub(self.volatile.last_anti_entropy) >= cfg.anti_entropy
        {
            self.volatile.last_anti_entropy = ctx.now;
            let peers: Vec<NodeId> = ctx
                .members
                .iter()
                .copied()
                .filter(|m| *m != ctx.id)
                .collect();
            if !peers.is_empty() {
                let peer = peers[(self.volatile.anti_entropy_turn % peers.len() as u64) as usize];
                self.volatile.anti_entropy_turn += 1;
                let buckets = self.bucket_hashes(cfg, peer);
                out.push(Effect::Send {
                    to: peer,
                    msg: Msg::AeTree { buckets },
                });
            }
        }
    }

    /// Keys this node and `peer` both replicate, by anti-entropy range.
    fn shared_keys(&self, cfg: &Leaderless, peer: NodeId) -> Vec<(u16, &String)> {
        self.durable
            .store
            .data
            .keys()
            .filter(|k| {
                let (home, _) = self.home(cfg, k);
                home.contains(&peer)
            })
            .map(|k| ((key_hash(k) % BUCKETS as u64) as u16, k))
            .collect()
    }

    fn bucket_hashes(&self, cfg: &Leaderless, peer: NodeId) -> Vec<u64> {
        let mut hs = vec![StableHasher::default(); BUCKETS as usize];
        for (b, k) in self.shared_keys(cfg, peer) {
            self.durable.store.key_hash(k).hash(&mut hs[b as usize]);
        }
        hs.iter().map(|h| h.finish()).collect()
    }

    fn entries_in(
        &self,
        cfg: &Leaderless,
        peer: NodeId,
        buckets: &[u16],
    ) -> Vec<(String, Vec<Version>)> {
        self.shared_keys(cfg, peer)
            .into_iter()
            .filter(|(b, _)| buckets.contains(b))
            .map(|(_, k)| (k.clone(), self.durable.store.get(k).to_vec()))
            .collect()
    }

    fn absorb(
        &mut self,
        cfg: &Leaderless,
        entries: Vec<(String, Vec<Version>)>,
        out: &mut Vec<Effect>,
    ) {
        for (key, versions) in entries {
            for v in versions {
                let w = v.write;
                let applied = self.durable.store.apply(&key, v, cfg.resolution);
                report(applied, w, out, &key);
            }
        }
    }
}
