//! Nodes tested alone, data-driven: every `testdata/nodes/*.txt` file is a list of directives,
//! each with the output it must produce (the format of cockroachdb's `datadriven`, which raft-rs
//! uses for its tests under `testdata/`):
//!
//! ```text
//! # A comment.
//! recv at=1000 from=n2 pre-vote epoch=2 last=1@1
//! ----
//! send n2 pre-vote-resp asked=2 epoch=3 granted=false
//! ```
//!
//! A node is a sans-IO state machine (`Input` in, `Effect`s out), so a directive feeds it one
//! input and the expected output is every effect it asked for, in order. Directives:
//!
//! - `node strategy=single-leader id=0 members=3 [seed=1] [heartbeat=50] [election-timeout=300]
//!   [fencing=true]`: a fresh node (`strategy` may also be `multi-leader` or `leaderless`, with
//!   their defaults), clock at 0.
//! - `boot [lead]`, `timer election|heartbeat|tick`, `crash`: the inputs of the same names.
//! - `recv [at=MS] from=nX|cX MESSAGE`: a message (see `parse_msg` for the message syntax; it is
//!   the syntax effects are printed in). `at` moves the clock (never backwards); `boot` and
//!   `timer` take it too.
//! - `state`: the node's state (single-leader: role, epoch, vote, leader, log, pre-votes, votes).
//!
//! Run with `UPDATE_EXPECT=1` to rewrite the expected outputs after an intended change, then
//! review the diff. Another strategy adds its own file (and, where it needs them, its messages to
//! `parse_msg`/`fmt_msg` and its state to `state`).
#![cfg(not(target_arch = "wasm32"))]

use replica_engine::node::{Ctx, Effect, Input, Msg, Reply, TimerKind};
use replica_engine::rng::Rng;
use replica_engine::scenario::{self as sc, SingleLeader};
use replica_engine::store::Entry;
use replica_engine::strategy::NodeLogic;
use replica_engine::types::{fmt_ms, Addr, NodeId, Time, MS};
use std::collections::BTreeMap;
use std::path::Path;
use std::rc::Rc;

/// The node under test and its surroundings.
struct Harness {
    strategy: sc::Strategy,
    logic: NodeLogic,
    id: NodeId,
    members: Vec<NodeId>,
    rng: Rng,
    now: Time,
}

type Args = BTreeMap<String, String>;

/// Splits `a=b c d=e` into named arguments (`c` gets an empty value), keeping their order out.
fn args(words: &[&str]) -> Args {
    words
        .iter()
        .map(|w| match w.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (w.to_string(), String::new()),
        })
        .collect()
}

fn num(a: &Args, key: &str) -> Result<u64, String> {
    let v = a.get(key).ok_or(format!("missing {key}="))?;
    v.parse().map_err(|_| format!("{key}={v} is not a number"))
}

fn num_or(a: &Args, key: &str, default: u64) -> Result<u64, String> {
    if a.contains_key(key) {
        num(a, key)
    } else {
        Ok(default)
    }
}

fn flag(a: &Args, key: &str) -> Result<bool, String> {
    match a.get(key).map(String::as_str) {
        None | Some("false") => Ok(false),
        Some("true") | Some("") => Ok(true),
        Some(v) => Err(format!("{key}={v} is not true or false")),
    }
}

/// `LSN@EPOCH`, as logs are positioned.
fn position(a: &Args, key: &str) -> Result<(u64, u64), String> {
    let v = a.get(key).ok_or(format!("missing {key}="))?;
    let (l, e) = v
        .split_once('@')
        .ok_or(format!("{key}={v}: expected LSN@EPOCH"))?;
    Ok((
        l.parse().map_err(|_| format!("{key}={v}: bad lsn"))?,
        e.parse().map_err(|_| format!("{key}={v}: bad epoch"))?,
    ))
}

fn addr(v: &str) -> Result<Addr, String> {
    let n = |s: &str| s.parse().map_err(|_| format!("bad address {v}"));
    match v.split_at(1) {
        ("n", id) => Ok(Addr::Node(n(id)?)),
        ("c", id) => Ok(Addr::Client(n(id)?)),
        _ => Err(format!("bad address {v}: nN or cN")),
    }
}

/// Entries as `LSN@EPOCH:KEY=VALUE#OP`, comma-separated.
fn entries(v: &str, at: Time) -> Result<Vec<Rc<Entry>>, String> {
    v.split(',')
        .filter(|e| !e.is_empty())
        .map(|e| {
            let bad = || format!("entry {e}: expected LSN@EPOCH:KEY=VALUE#OP");
            let (pos, rest) = e.split_once(':').ok_or_else(bad)?;
            let (lsn, epoch) = pos.split_once('@').ok_or_else(bad)?;
            let (kv, op) = rest.split_once('#').ok_or_else(bad)?;
            let (key, value) = kv.split_once('=').ok_or_else(bad)?;
            Ok(Rc::new(Entry {
                lsn: lsn.parse().map_err(|_| bad())?,
                epoch: epoch.parse().map_err(|_| bad())?,
                key: key.into(),
                value: value.into(),
                write: op.parse().map_err(|_| bad())?,
                at,
            }))
        })
        .collect()
}

fn fmt_entries(es: &[Rc<Entry>]) -> String {
    let e: Vec<String> = es
        .iter()
        .map(|e| format!("{}@{}:{}={}#{}", e.lsn, e.epoch, e.key, e.value, e.write))
        .collect();
    e.join(",")
}

/// A message from its text: `KIND field=value ...`, the way [`fmt_msg`] prints it.
fn parse_msg(kind: &str, a: &Args, now: Time) -> Result<Msg, String> {
    Ok(match kind {
        "pre-vote" => {
            let (last_lsn, last_epoch) = position(a, "last")?;
            Msg::PreVote {
                epoch: num(a, "epoch")?,
                last_lsn,
                last_epoch,
            }
        }
        "pre-vote-resp" => Msg::PreVoteResp {
            asked: num(a, "asked")?,
            epoch: num(a, "epoch")?,
            granted: flag(a, "granted")?,
        },
        "request-vote" => {
            let (last_lsn, last_epoch) = position(a, "last")?;
            Msg::RequestVote {
                epoch: num(a, "epoch")?,
                last_lsn,
                last_epoch,
            }
        }
        "vote-resp" => Msg::VoteResp {
            epoch: num(a, "epoch")?,
            granted: flag(a, "granted")?,
        },
        "append" => {
            let (prev_lsn, prev_epoch) = position(a, "prev")?;
            Msg::Append {
                epoch: num(a, "epoch")?,
                prev_lsn,
                prev_epoch,
                entries: entries(a.get("entries").map_or("", |s| s), now)?,
                last_lsn: num(a, "last")?,
            }
        }
        "append-resp" => Msg::AppendResp {
            epoch: num(a, "epoch")?,
            ok: flag(a, "ok")?,
            lsn: num(a, "lsn")?,
        },
        "client-write" => Msg::ClientWrite {
            client: num(a, "client")? as u16,
            op: num(a, "op")? as u32,
            key: a.get("key").cloned().ok_or("missing key=")?,
            value: a.get("value").cloned().ok_or("missing value=")?,
            context: None,
        },
        "client-read" => Msg::ClientRead {
            client: num(a, "client")? as u16,
            op: num(a, "op")? as u32,
            key: a.get("key").cloned().ok_or("missing key=")?,
            leader_only: flag(a, "leader-only")?,
        },
        other => {
            return Err(format!(
                "no syntax for message {other:?} yet: add it to parse_msg"
            ))
        }
    })
}

fn fmt_msg(m: &Msg) -> String {
    match m {
        Msg::PreVote {
            epoch,
            last_lsn,
            last_epoch,
        } => format!("pre-vote epoch={epoch} last={last_lsn}@{last_epoch}"),
        Msg::PreVoteResp {
            asked,
            epoch,
            granted,
        } => format!("pre-vote-resp asked={asked} epoch={epoch} granted={granted}"),
        Msg::RequestVote {
            epoch,
            last_lsn,
            last_epoch,
        } => format!("request-vote epoch={epoch} last={last_lsn}@{last_epoch}"),
        Msg::VoteResp { epoch, granted } => format!("vote-resp epoch={epoch} granted={granted}"),
        Msg::Append {
            epoch,
            prev_lsn,
            prev_epoch,
            entries,
            last_lsn,
        } => {
            let es = if entries.is_empty() {
                String::new()
            } else {
                format!(" entries={}", fmt_entries(entries))
            };
            format!("append epoch={epoch} prev={prev_lsn}@{prev_epoch}{es} last={last_lsn}")
        }
        Msg::AppendResp { epoch, ok, lsn } => {
            format!("append-resp epoch={epoch} ok={ok} lsn={lsn}")
        }
        other => format!("{other:?}"),
    }
}

fn fmt_reply(r: &Reply) -> String {
    match r {
        Reply::Written { lsn, epoch, .. } => format!("written lsn={lsn} epoch={epoch}"),
        Reply::NotLeader { hint } => match hint {
            Some(h) => format!("not-leader hint=n{h}"),
            None => "not-leader".into(),
        },
        Reply::Failed { reason, maybe } => format!("failed maybe={maybe} ({reason})"),
        other => format!("{other:?}"),
    }
}

fn fmt_effect(e: &Effect) -> String {
    let timer = |k: &TimerKind| format!("{k:?}").to_lowercase();
    match e {
        Effect::Send { to, msg } => format!("send n{to} {}", fmt_msg(msg)),
        Effect::Reply { client, op, reply } => {
            format!("reply c{client} #{op} {}", fmt_reply(reply))
        }
        Effect::SetTimer { kind, after } => {
            format!("set-timer {} after={}", timer(kind), fmt_ms(*after))
        }
        Effect::CancelTimer(kind) => format!("cancel-timer {}", timer(kind)),
        Effect::Role { role, epoch } => format!("role {} epoch={epoch}", role.name()),
        Effect::Accepted { write, .. } => format!("accepted #{write}"),
        Effect::Truncated { from_lsn, writes } => {
            format!("truncated from={from_lsn} writes={writes:?}")
        }
        other => format!("{other:?}"),
    }
}

impl Harness {
    fn new(a: &Args) -> Result<Self, String> {
        let strategy = match a.get("strategy").map_or("single-leader", |s| s) {
            "single-leader" => {
                let d = SingleLeader::default();
                sc::Strategy::SingleLeader(SingleLeader {
                    heartbeat: num_or(a, "heartbeat", d.heartbeat / MS)? * MS,
                    election_timeout: num_or(a, "election-timeout", d.election_timeout / MS)? * MS,
                    fencing: !a.contains_key("fencing") || flag(a, "fencing")?,
                    ..d
                })
            }
            "multi-leader" => sc::Strategy::MultiLeader(Default::default()),
            "leaderless" => sc::Strategy::Leaderless(Default::default()),
            other => return Err(format!("unknown strategy {other}")),
        };
        let members = num(a, "members")? as NodeId;
        Ok(Harness {
            logic: NodeLogic::new(&strategy),
            strategy,
            id: num(a, "id")? as NodeId,
            members: (0..members).collect(),
            rng: Rng::new(num_or(a, "seed", 1)?),
            now: 0,
        })
    }

    fn input(&mut self, a: &Args, input: Input) -> Result<String, String> {
        if let Some(at) = a.get("at") {
            let at: Time = at.parse::<u64>().map_err(|_| format!("at={at}"))? * MS;
            if at < self.now {
                return Err(format!("at={} goes back in time", at / MS));
            }
            self.now = at;
        }
        let mut ctx = Ctx {
            id: self.id,
            now: self.now,
            clock: self.now,
            members: &self.members,
            rng: &mut self.rng,
        };
        let mut out = Vec::new();
        self.logic.handle(&mut ctx, &self.strategy, input, &mut out);
        let lines: Vec<String> = out.iter().map(fmt_effect).collect();
        Ok(if lines.is_empty() {
            "(no effects)".into()
        } else {
            lines.join("\n")
        })
    }

    fn state(&self) -> String {
        match &self.logic {
            NodeLogic::Single(n) => {
                let d = &n.durable;
                let v = &n.volatile;
                let voted = d
                    .voted
                    .map_or("none".into(), |(e, c)| format!("n{c} in epoch {e}"));
                let leader = v.leader.map_or("unknown".into(), |l| format!("n{l}"));
                let set = |s: &std::collections::BTreeSet<NodeId>| {
                    let v: Vec<String> = s.iter().map(|n| format!("n{n}")).collect();
                    format!("[{}]", v.join(" "))
                };
                format!(
                    "{} epoch={} voted={voted} leader={leader} log={}@{}\npre-votes={} votes={}",
                    v.role.name(),
                    d.epoch,
                    d.log.last_lsn(),
                    d.log.last_epoch(),
                    set(&v.pre_votes),
                    set(&v.votes)
                )
            }
            other => format!("{other:?}"),
        }
    }

    fn run(&mut self, line: &str) -> Result<String, String> {
        let words: Vec<&str> = line.split_whitespace().collect();
        let (cmd, rest) = words.split_first().ok_or("empty directive")?;
        let a = args(rest);
        match *cmd {
            "node" => {
                *self = Harness::new(&a)?;
                Ok("ok".into())
            }
            "boot" => self.input(
                &a,
                Input::Boot {
                    lead: a.contains_key("lead"),
                },
            ),
            "timer" => {
                let kind = match rest.iter().find(|w| !w.contains('=')).copied() {
                    Some("election") => TimerKind::Election,
                    Some("heartbeat") => TimerKind::Heartbeat,
                    Some("tick") => TimerKind::Tick,
                    other => return Err(format!("timer {other:?}: election, heartbeat or tick")),
                };
                self.input(&a, Input::Timer(kind))
            }
            "crash" => {
                self.logic.crash();
                Ok("ok".into())
            }
            "recv" => {
                let from = addr(a.get("from").ok_or("missing from=")?)?;
                // The message kind is the first word that is not a `name=value` of `recv`.
                let kind = rest
                    .iter()
                    .find(|w| !w.contains('='))
                    .ok_or("missing message kind")?;
                let now = a
                    .get("at")
                    .and_then(|t| t.parse::<u64>().ok())
                    .map_or(self.now, |t| t * MS);
                let msg = parse_msg(kind, &a, now)?;
                self.input(&a, Input::Message { from, msg })
            }
            "state" => Ok(self.state()),
            other => Err(format!("unknown directive {other}")),
        }
    }
}

/// One directive: its line number, its text and its expected output.
struct Case {
    line: usize,
    directive: String,
    expected: String,
}

/// Reads a file of directives: comments (`#`) and blank lines between directives are kept
/// for the rewrite but not run.
fn parse(text: &str) -> Vec<Case> {
    let lines: Vec<&str> = text.lines().collect();
    let mut cases = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i].trim();
        if l.is_empty() || l.starts_with('#') {
            i += 1;
            continue;
        }
        let line = i + 1;
        let directive = l.to_string();
        i += 1;
        assert_eq!(
            lines.get(i).map(|s| s.trim()),
            Some("----"),
            "line {}: a directive is followed by ----",
            i + 1
        );
        i += 1;
        let mut out = Vec::new();
        while i < lines.len() && !lines[i].trim().is_empty() {
            out.push(lines[i]);
            i += 1;
        }
        cases.push(Case {
            line,
            directive,
            expected: out.join("\n"),
        });
    }
    cases
}

/// The file with every expected output replaced by the actual one.
fn rewrite(text: &str, outputs: &[String]) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut s = String::new();
    let mut i = 0;
    let mut k = 0;
    while i < lines.len() {
        let l = lines[i].trim();
        if l.is_empty() || l.starts_with('#') {
            s.push_str(lines[i]);
            s.push('\n');
            i += 1;
            continue;
        }
        s.push_str(lines[i]);
        s.push_str("\n----\n");
        s.push_str(&outputs[k]);
        s.push('\n');
        k += 1;
        i += 2;
        while i < lines.len() && !lines[i].trim().is_empty() {
            i += 1;
        }
    }
    s
}

#[test]
fn every_node_file_gives_its_expected_outputs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/nodes");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no node files in {}", dir.display());
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut failures = Vec::new();
    let mut count = 0;
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let cases = parse(&text);
        let mut h: Option<Harness> = None;
        let mut outputs = Vec::new();
        for c in &cases {
            let got = match (&mut h, c.directive.starts_with("node ")) {
                (_, true) => {
                    let words: Vec<&str> = c.directive.split_whitespace().skip(1).collect();
                    Harness::new(&args(&words)).map(|n| {
                        h = Some(n);
                        "ok".to_string()
                    })
                }
                (Some(h), false) => h.run(&c.directive),
                (None, false) => Err("no node yet: start with a `node` directive".into()),
            };
            let got = got.unwrap_or_else(|e| format!("error: {e}"));
            if got.trim_end() != c.expected.trim_end() {
                failures.push(format!(
                    "{}:{}: {}\n--- expected\n{}\n+++ got\n{}",
                    path.display(),
                    c.line,
                    c.directive,
                    c.expected,
                    got
                ));
            }
            outputs.push(got);
            count += 1;
        }
        if update {
            std::fs::write(&path, rewrite(&text, &outputs)).unwrap();
        }
    }
    assert!(count > 0);
    if !update {
        assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    }
}
