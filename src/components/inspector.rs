//! The inspector: what one selected node holds (log, data, notes) and what can be done to it, or
//! the state of one selected link with buttons to cut or heal it.
//!
//! Keys whose value differs between nodes are highlighted: that is replication lag (or a lost
//! write) made visible.

use crate::components::cluster::lag_text;
use crate::state::{on_click, Action, Model, Selection};
use crate::words;
use replica_engine::scenario::Action as SimAction;
use replica_engine::sim::{NodeDetail, NodeSnapshot, Snapshot};
use replica_engine::{NodeId, Simulation};
use std::rc::Rc;
use yew::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub struct Peer {
    pub id: NodeId,
    /// This node → peer is cut.
    pub out_cut: bool,
    /// Peer → this node is cut.
    pub in_cut: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NodeInspect {
    pub node: NodeSnapshot,
    pub detail: NodeDetail,
    /// Keys of this node whose value is not the same on every node.
    pub diverged: Vec<String>,
    pub peers: Vec<Peer>,
    /// True time, to say how far the node's own clock is off.
    pub now: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Inspect {
    Node(Box<NodeInspect>),
    Link {
        a: NodeId,
        b: NodeId,
        ab: bool,
        ba: bool,
        /// Base one-way latency a → b and b → a, in microseconds.
        lat: (u64, u64),
    },
}

/// Per-link latencies the inspector offers, in milliseconds.
const LINK_LATENCIES: [u64; 4] = [5, 40, 150, 400];

impl Inspect {
    pub fn build(sim: &Simulation, snap: &Snapshot, sel: Selection) -> Option<Inspect> {
        let cut = |a: NodeId, b: NodeId| snap.cut.contains(&(a, b));
        match sel {
            Selection::Node(id) => {
                let node = snap.nodes.get(id as usize)?.clone();
                let detail = sim.node_detail(id)?;
                // Every node's data, in key order (as the engine lists it).
                let all: Vec<Vec<(String, String)>> = (0..snap.nodes.len() as NodeId)
                    .filter_map(|n| sim.node_detail(n))
                    .map(|d| d.data.into_iter().map(|l| (l.key, l.value)).collect())
                    .collect();
                let diverged = detail
                    .data
                    .iter()
                    .filter(|l| {
                        all.iter().any(|data| {
                            match data.binary_search_by(|(k, _)| k.as_str().cmp(&l.key)) {
                                Ok(i) => data[i].1 != l.value,
                                Err(_) => true,
                            }
                        })
                    })
                    .map(|l| l.key.clone())
                    .collect();
                let peers = (0..snap.nodes.len() as NodeId)
                    .filter(|&p| p != id)
                    .map(|p| Peer {
                        id: p,
                        out_cut: cut(id, p),
                        in_cut: cut(p, id),
                    })
                    .collect();
                Some(Inspect::Node(Box::new(NodeInspect {
                    node,
                    detail,
                    diverged,
                    peers,
                    now: snap.time_us,
                })))
            }
            Selection::Link(a, b) => {
                let n = snap.nodes.len() as NodeId;
                let net = &sim.config().net;
                let lat = |x: NodeId, y: NodeId| {
                    net.links
                        .get(&(x, y))
                        .and_then(|o| o.latency)
                        .unwrap_or(net.latency)
                };
                (a < n && b < n).then(|| Inspect::Link {
                    a,
                    b,
                    ab: cut(a, b),
                    ba: cut(b, a),
                    lat: (lat(a, b), lat(b, a)),
                })
            }
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct InspectorProps {
    pub data: Option<Rc<Inspect>>,
    pub dispatch: UseReducerDispatcher<Model>,
}

#[function_component(Inspector)]
pub fn inspector(p: &InspectorProps) -> Html {
    let act = |a: SimAction| on_click(&p.dispatch, Action::Act(a));
    let close = on_click(&p.dispatch, Action::Select(None));
    let Some(data) = p.data.as_deref() else {
        return html! {
            <div class="inspector empty">
                <p>{ "Click a node in the picture to see its log and data, and to crash or restart it." }</p>
                <p>{ "Click the line between two nodes to cut that link (one way or both)." }</p>
            </div>
        };
    };
    match data {
        Inspect::Link { a, b, ab, ba, lat } => {
            let (a, b) = (*a, *b);
            let latency = if lat.0 == lat.1 {
                format!("One-way latency {}.", words::span(lat.0))
            } else {
                format!(
                    "One-way latency n{a} → n{b} {}, n{b} → n{a} {}.",
                    words::span(lat.0),
                    words::span(lat.1)
                )
            };
            let state = match (ab, ba) {
                (false, false) => "Connected both ways.".to_string(),
                (true, true) => "Cut both ways: neither node hears the other.".to_string(),
                (true, false) => {
                    format!("Cut one way: n{b} hears nothing from n{a}, but n{a} still hears n{b}.")
                }
                (false, true) => {
                    format!("Cut one way: n{a} hears nothing from n{b}, but n{b} still hears n{a}.")
                }
            };
            html! {
                <div class="inspector">
                    <div class="insp-head">
                        <h2>{ format!("Link n{a} ↔ n{b}") }</h2>
                        <button class="ghost" aria-label="Close inspector" onclick={close}>{ "×" }</button>
                    </div>
                    <p class="facts">{ state }</p>
                    <div class="buttons">
                        if !(*ab && *ba) {
                            <button class="danger" onclick={act(SimAction::Cut { from: a, to: b, both: true })}>{ "Cut both ways" }</button>
                        }
                        if !*ab {
                            <button onclick={act(SimAction::Cut { from: a, to: b, both: false })}>{ format!("Cut n{a} → n{b} only") }</button>
                        }
                        if !*ba {
                            <button onclick={act(SimAction::Cut { from: b, to: a, both: false })}>{ format!("Cut n{b} → n{a} only") }</button>
                        }
                        if *ab || *ba {
                            <button class="good" onclick={act(SimAction::Heal { from: a, to: b, both: true })}>{ "Heal" }</button>
                        }
                    </div>
                    <p class="facts">{ latency }</p>
                    <div class="buttons" role="group" aria-label={format!("Latency of the link n{a} ↔ n{b}")}>
                        { for LINK_LATENCIES.iter().map(|ms| {
                            let us = ms * 1000;
                            let on = lat.0 == us && lat.1 == us;
                            let set = |from, to| SimAction::SetLatency { link: Some((from, to)), latency: us, jitter: None };
                            let both = {
                                let d = p.dispatch.clone();
                                let (x, y) = (set(a, b), set(b, a));
                                Callback::from(move |_: MouseEvent| {
                                    d.dispatch(Action::Act(x.clone()));
                                    d.dispatch(Action::Act(y.clone()));
                                })
                            };
                            html! {
                                <button aria-pressed={on.to_string()} title={format!("Make this link {ms} ms each way, from now on")}
                                    onclick={both}>{ format!("{ms} ms") }</button>
                            }
                        }) }
                    </div>
                </div>
            }
        }
        Inspect::Node(ni) => node_view(ni, act, close, &p.dispatch),
    }
}

fn node_view(
    ni: &NodeInspect,
    act: impl Fn(SimAction) -> Callback<MouseEvent>,
    close: Callback<MouseEvent>,
    dispatch: &UseReducerDispatcher<Model>,
) -> Html {
    let n = &ni.node;
    let d = &ni.detail;
    let id = n.id;
    let role = n.role.name();
    let multi = n.region.is_some();
    let leaderless = role == "replica";
    let single = !multi && !leaderless;
    let mut facts = if single {
        vec![
            format!("epoch {}", n.epoch),
            format!("log up to lsn {}", n.last_lsn),
        ]
    } else {
        vec![format!("{} applied", crate::words::writes(n.last_lsn))]
    };
    if let Some(r) = n.region {
        facts.insert(0, format!("region {r}"));
        if n.up {
            facts.push(lag_text(n));
        }
    }
    if n.hints > 0 {
        facts.push(format!("holds {} hinted writes for others", n.hints));
    }
    // Keys with more than one version here: concurrent writes kept side by side.
    let siblings: Vec<&str> = d
        .data
        .windows(2)
        .filter(|w| w[0].key == w[1].key)
        .map(|w| w[0].key.as_str())
        .collect();
    if single && n.up && role != "leader" {
        facts.push(lag_text(n));
        if let Some(l) = n.leader {
            facts.push(format!("follows n{l}"));
        }
    }
    if n.sync {
        facts.push("the leader waits for it".into());
    }
    if d.clock_us != ni.now {
        let (off, dir) = if d.clock_us > ni.now {
            (d.clock_us - ni.now, "ahead")
        } else {
            (ni.now - d.clock_us, "behind")
        };
        facts.push(format!(
            "its clock reads {}, {} {dir}",
            crate::words::time(d.clock_us),
            crate::words::span(off)
        ));
    }
    let diverged_here = d
        .data
        .iter()
        .filter(|l| ni.diverged.contains(&l.key))
        .count();
    html! {
        <div class="inspector">
            <div class="insp-head">
                <h2>{ format!("n{id}") }</h2>
                if n.up {
                    <span class={classes!("pill", role)}>{ role }</span>
                } else {
                    <span class="pill down">{ "crashed" }</span>
                }
                <button class="ghost" aria-label="Close inspector" onclick={close}>{ "×" }</button>
            </div>
            <p class="facts">{ facts.join(" · ") }</p>
            <div class="buttons">
                if n.up {
                    <button class="danger" onclick={act(SimAction::Crash(id))}>{ format!("Crash n{id}") }</button>
                } else {
                    <button class="good" onclick={act(SimAction::Restart(id))}>{ format!("Restart n{id}") }</button>
                }
            </div>
            <section>
                <h3>{ format!("Data · {} key{}", d.data.len(), if d.data.len() == 1 { "" } else { "s" }) }</h3>
                if d.data.is_empty() {
                    <p class="muted">{ "No data yet." }</p>
                } else {
                    <table class="data">
                        <thead><tr><th scope="col">{ "key" }</th><th scope="col">{ "value" }</th><th scope="col">{ "version" }</th></tr></thead>
                        <tbody>
                            { for d.data.iter().map(|l| {
                                let diff = ni.diverged.contains(&l.key);
                                let sib = siblings.contains(&l.key.as_str());
                                html! {
                                    <tr class={classes!(diff.then_some("diverged"), sib.then_some("siblings"))}>
                                        <td>
                                            <button class="link-like key" title="Show where this key lives"
                                                onclick={on_click(dispatch, Action::FocusKey(Some(l.key.clone())))}>{ &l.key }</button>
                                            if diff { <span class="ne" title="Another node has a different value (or none)">{ " ≠" }</span> }
                                            if sib { <span class="sib" title="Concurrent writes kept side by side: a read returns them all">{ " siblings" }</span> }
                                        </td>
                                        <td>{ &l.value }</td>
                                        <td class="muted">{ format!("{} · #{}", l.version, l.write) }</td>
                                    </tr>
                                }
                            }) }
                        </tbody>
                    </table>
                    if diverged_here > 0 {
                        <p class="legend-note"><span class="ne">{ "≠" }</span>{ " differs on another node" }</p>
                    }
                    if !siblings.is_empty() {
                        <p class="legend-note"><span class="sib">{ "siblings" }</span>{ ": concurrent versions of one key, all kept; the next write that has read them replaces them" }</p>
                    }
                }
            </section>
            if !leaderless {
            <section>
                <h3>{ "Log (newest first)" }</h3>
                if d.log.is_empty() {
                    <p class="muted">{ "Empty." }</p>
                } else {
                    <table class="log">
                        <thead><tr><th scope="col">{ if single { "lsn" } else { "#" } }</th>
                                if single { <th scope="col">{ "epoch" }</th> }
                                <th scope="col">{ "entry" }</th><th scope="col">{ "write" }</th></tr></thead>
                        <tbody>
                            { for d.log.iter().rev().map(|l| html! {
                                <tr>
                                    <td>{ l.lsn }</td>
                                    if single { <td>{ l.epoch }</td> }
                                    <td>{ format!("{}={}", l.key, l.value) }</td>
                                    <td class="muted">{ format!("#{}", l.write) }</td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                }
            </section>
            }
            if !d.notes.is_empty() {
                <section>
                    <h3>{ "Notes" }</h3>
                    <ul class="notes">{ for d.notes.iter().map(|t| html! { <li>{ t }</li> }) }</ul>
                </section>
            }
            if !ni.peers.is_empty() {
                <section>
                    <h3>{ "Links" }</h3>
                    <table class="peers">
                        <tbody>
                            { for ni.peers.iter().map(|p| {
                                let q = p.id;
                                let toggle = |from: NodeId, to: NodeId, is_cut: bool| {
                                    let a = if is_cut {
                                        SimAction::Heal { from, to, both: false }
                                    } else {
                                        SimAction::Cut { from, to, both: false }
                                    };
                                    let label = format!("{} n{from} → n{to}", if is_cut { "Heal" } else { "Cut" });
                                    html! {
                                        <button class={classes!("small", is_cut.then_some("is-cut"))}
                                            aria-label={label} onclick={act(a)}>
                                            { format!("n{from} → n{to}") }{ if is_cut { " ✕" } else { "" } }
                                        </button>
                                    }
                                };
                                html! {
                                    <tr><td>{ toggle(id, q, p.out_cut) }</td><td>{ toggle(q, id, p.in_cut) }</td></tr>
                                }
                            }) }
                        </tbody>
                    </table>
                    <p class="muted small">{ "Click a direction to cut it; ✕ marks a cut direction (click to heal)." }</p>
                </section>
            }
        </div>
    }
}
