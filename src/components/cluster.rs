//! The cluster view: nodes on a ring, clients beside their home nodes, and the links between
//! nodes, in SVG. Messages are drawn over it on a canvas (see `anim`).
//!
//! A node shows its role (the leader is filled), whether it is up (a crashed node is grey and
//! dashed), its epoch and last log position, and, for a follower, how far it lags the leader and
//! whether the leader waits for it ("sync"). A link that is cut is red and dashed: cut both ways
//! the whole line, cut one way only the lane of that direction, with an arrow.

use crate::anim::Hits;
use crate::layout::{Layout, VIEW_H, VIEW_W};
use crate::state::{on_click, Action, Model, Selection};
use crate::words;
use replica_engine::sim::{ClientSnapshot, NodeSnapshot};
use replica_engine::NodeId;
use std::rc::Rc;
use web_sys::Element;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ClusterProps {
    pub nodes: Rc<Vec<NodeSnapshot>>,
    pub clients: Rc<Vec<ClientSnapshot>>,
    /// Directed links that are cut.
    pub cut: Rc<Vec<(NodeId, NodeId)>>,
    pub selected: Option<Selection>,
    /// Messages drawn over the links: a click on one belongs to the message, not the link.
    pub hits: Hits,
    pub dispatch: UseReducerDispatcher<Model>,
}

/// The lag of a follower in words: "3 behind · 120 ms", or "up to date".
pub fn lag_text(n: &NodeSnapshot) -> String {
    if n.lag == 0 {
        "up to date".into()
    } else {
        format!("{} behind · {}", n.lag, words::span(n.lag_us))
    }
}

fn node_label(n: &NodeSnapshot) -> String {
    let mut s = format!(
        "n{}, {}, {}, epoch {}, log up to {}",
        n.id,
        n.role.name(),
        if n.up { "up" } else { "crashed" },
        n.epoch,
        n.last_lsn
    );
    if n.up && n.role.name() != "leader" {
        s.push_str(", ");
        s.push_str(&lag_text(n));
    }
    if n.sync {
        s.push_str(", the leader waits for it");
    }
    s
}

#[function_component(ClusterView)]
pub fn cluster_view(props: &ClusterProps) -> Html {
    let nodes = &props.nodes;
    let n = nodes.len();
    let homes: Vec<NodeId> = props.clients.iter().map(|c| c.home).collect();
    let layout = Layout::new(n, &homes);
    let detailed = n <= 9;
    let leader = nodes
        .iter()
        .find(|x| x.up && x.role.name() == "leader")
        .map(|x| x.id);
    let is_cut = |a: NodeId, b: NodeId| props.cut.contains(&(a, b));
    let select = |s: Selection| on_click(&props.dispatch, Action::Select(Some(s)));
    let select_link = |s: Selection| {
        let (d, hits) = (props.dispatch.clone(), props.hits.clone());
        Callback::from(move |e: MouseEvent| {
            let svg = e
                .target_dyn_into::<Element>()
                .and_then(|t| t.closest("svg").ok().flatten());
            if let Some(svg) = svg {
                let r = svg.get_bounding_client_rect();
                let (x, y) = (
                    e.client_x() as f64 - r.left(),
                    e.client_y() as f64 - r.top(),
                );
                if hits.at(x, y, 14.0).is_some() {
                    return;
                }
            }
            d.dispatch(Action::Select(Some(s)))
        })
    };

    let mut links = Vec::with_capacity(n * n.saturating_sub(1) / 2);
    for a in 0..n {
        for b in a + 1..n {
            let (ai, bi) = (a as NodeId, b as NodeId);
            let (p, q) = (layout.nodes[a], layout.nodes[b]);
            let (ab, ba) = (is_cut(ai, bi), is_cut(bi, ai));
            let sel = props.selected == Some(Selection::Link(ai, bi));
            let state = match (ab, ba) {
                (false, false) => "connected",
                (true, true) => "cut both ways",
                (true, false) => "cut one way",
                (false, true) => "cut one way",
            };
            let title = match (ab, ba) {
                (true, false) => format!(
                    "n{a} → n{b} cut: n{b} hears nothing from n{a}. Click to heal or change."
                ),
                (false, true) => format!(
                    "n{b} → n{a} cut: n{a} hears nothing from n{b}. Click to heal or change."
                ),
                (true, true) => format!("n{a} ↔ n{b} cut both ways. Click to heal."),
                (false, false) => format!("n{a} ↔ n{b} connected. Click to cut."),
            };
            // A directed cut is drawn on the lane messages of that direction travel (right of
            // travel), with an arrow towards the node that no longer hears.
            let lane = |from: (f64, f64), to: (f64, f64)| {
                let (dx, dy) = (to.0 - from.0, to.1 - from.1);
                let len = (dx * dx + dy * dy).sqrt().max(1e-6);
                let (ux, uy) = (dx / len, dy / len);
                let r = layout.node_r + 6.0;
                let (px, py) = (-uy * 5.0, ux * 5.0);
                (
                    (from.0 + ux * r + px, from.1 + uy * r + py),
                    (to.0 - ux * r + px, to.1 - uy * r + py),
                )
            };
            let half = |(s, e): ((f64, f64), (f64, f64))| {
                html! {
                    <line class="cut-lane" x1={fmt(s.0)} y1={fmt(s.1)} x2={fmt(e.0)} y2={fmt(e.1)}
                        marker-end="url(#arrow)" />
                }
            };
            let (mx, my) = ((p.0 + q.0) / 2.0, (p.1 + q.1) / 2.0);
            let class = classes!(
                "link",
                (ab && ba).then_some("cut"),
                (ab != ba).then_some("half-cut"),
                sel.then_some("selected")
            );
            links.push(html! {
                <g class={class} data-link={format!("{a}-{b}")} data-state={state}
                    onclick={select_link(Selection::Link(ai, bi))}>
                    <title>{ title }</title>
                    <line class="hit" x1={fmt(p.0)} y1={fmt(p.1)} x2={fmt(q.0)} y2={fmt(q.1)} />
                    <line class="wire" x1={fmt(p.0)} y1={fmt(p.1)} x2={fmt(q.0)} y2={fmt(q.1)} />
                    { if ab && !ba { half(lane(p, q)) } else { html!() } }
                    { if ba && !ab { half(lane(q, p)) } else { html!() } }
                    { if ab || ba {
                        html! { <path class="cut-x" d={format!("M{} {}l8 8m0 -8l-8 8", fmt(mx - 4.0), fmt(my - 4.0))} /> }
                    } else { html!() } }
                </g>
            });
        }
    }

    let clients = props.clients.iter().enumerate().map(|(i, c)| {
        let (x, y) = layout.clients[i];
        let home = layout
            .nodes
            .get(c.home as usize)
            .copied()
            .unwrap_or((0.0, 0.0));
        html! {
            <g class="client" data-client={c.id.to_string()}>
                <title>{ format!("Client c{} (nearest node: n{})", c.id, c.home) }</title>
                <line class="tether" x1={fmt(x)} y1={fmt(y)} x2={fmt(home.0)} y2={fmt(home.1)} />
                <rect x={fmt(x - layout.client_r)} y={fmt(y - layout.client_r)}
                    width={fmt(2.0 * layout.client_r)} height={fmt(2.0 * layout.client_r)} rx="4" />
                <text x={fmt(x)} y={fmt(y + 4.0)}>{ format!("c{}", c.id) }</text>
            </g>
        }
    });

    let r = layout.node_r;
    let node_views = nodes.iter().enumerate().map(|(i, node)| {
        let (x, y) = layout.nodes.get(i).copied().unwrap_or((0.0, 0.0));
        let role = node.role.name();
        let selected = props.selected == Some(Selection::Node(node.id));
        let class = classes!(
            "node",
            role,
            (!node.up).then_some("down"),
            selected.then_some("selected"),
            (node.up && role != "leader" && node.lag > 0).then_some("lagging")
        );
        let id = node.id;
        let onkeydown = {
            let d = props.dispatch.clone();
            Callback::from(move |e: KeyboardEvent| {
                if e.key() == "Enter" || e.key() == " " {
                    e.prevent_default();
                    d.dispatch(Action::Select(Some(Selection::Node(id))));
                }
            })
        };
        let status = if !node.up {
            "down".to_string()
        } else {
            role.to_string()
        };
        let info1 = format!("epoch {} · lsn {}", node.epoch, node.last_lsn);
        let info2 = if !node.up || role == "leader" {
            String::new()
        } else if leader.is_some() {
            lag_text(node)
        } else {
            "no leader".into()
        };
        let name_size = if r >= 28.0 { 15.0 } else { (r * 0.62).max(10.0) };
        // Labels go radially outward: links are chords inside the ring, so messages never cross
        // them there. Top and bottom nodes get centred lines, side nodes left or right aligned.
        let len = (x * x + y * y).sqrt().max(1e-6);
        let (ux, uy) = (x / len, y / len);
        let (lx, ly) = (ux * (r + 9.0), uy * (r + 9.0));
        let extra = if info2.is_empty() { 0.0 } else { 13.0 };
        // Baseline of the first line: above a top node the block grows upwards, below a bottom
        // node downwards, beside a side node it is centred.
        let (anchor, y0) = if ux.abs() < 0.45 {
            ("middle", if uy < 0.0 { ly - 2.0 - extra } else { ly + 8.0 })
        } else {
            (if ux > 0.0 { "start" } else { "end" }, ly + 4.0 - extra / 2.0)
        };
        html! {
            <g class={class} data-node={node.id.to_string()} transform={format!("translate({} {})", fmt(x), fmt(y))}
                tabindex="0" role="button" aria-pressed={selected.to_string()}
                aria-label={node_label(node)}
                onclick={select(Selection::Node(node.id))} {onkeydown}>
                <title>{ format!("{}. Click to inspect, crash or restart.", node_label(node)) }</title>
                <circle class="focus" r={fmt(r + 8.0)} />
                <circle class="body" r={fmt(r)} />
                <text class="name" y={fmt(if detailed { -2.0 } else { name_size * 0.35 })}
                    style={format!("font-size:{name_size:.0}px")}>{ format!("n{}", node.id) }</text>
                if detailed {
                    <text class="role" y="12">{ status }</text>
                    <text class="info" x={fmt(lx)} y={fmt(y0)} text-anchor={anchor}>{ info1 }</text>
                    if !info2.is_empty() {
                        <text class={classes!("info", "lag", (node.lag > 0).then_some("behind"))}
                            x={fmt(lx)} y={fmt(y0 + 13.0)} text-anchor={anchor}>{ info2 }</text>
                    }
                }
                if node.sync && node.up {
                    <g class="sync-badge" transform={format!("translate({} {})", fmt(r * 0.72), fmt(-r * 0.92))}>
                        <rect x="-15" y="-8" width="30" height="15" rx="7.5" />
                        <text y="3.5">{ "sync" }</text>
                    </g>
                }
                if role == "leader" && node.up {
                    <path class="crown" transform={format!("translate(0 {}) scale({:.2})", fmt(if detailed { -r * 0.6 } else { -r - 7.0 }), (r / 34.0).max(0.6))}
                        d="M-9 4 L-9 -4 L-4.5 0 L0 -6 L4.5 0 L9 -4 L9 4 Z" />
                }
            </g>
        }
    });

    let vb = format!("{} {} {} {}", -VIEW_W / 2.0, -VIEW_H / 2.0, VIEW_W, VIEW_H);
    let label = format!(
        "Cluster of {n} nodes and {} clients. Select a node or a link to act on it.",
        props.clients.len()
    );
    html! {
        <svg class={classes!("cluster", (!detailed).then_some("dense"))} viewBox={vb}
            preserveAspectRatio="xMidYMid meet" role="group" aria-label={label}>
            <defs>
                <marker id="arrow" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="7" markerHeight="7"
                    orient="auto-start-reverse">
                    <path d="M0 0 L10 5 L0 10 z" class="arrow-head" />
                </marker>
            </defs>
            <g class="links">{ links }</g>
            <g class="clients">{ for clients }</g>
            <g class="nodes">{ for node_views }</g>
        </svg>
    }
}

/// Coordinates with one decimal: short attributes, stable output.
fn fmt(v: f64) -> String {
    format!("{v:.1}")
}
