//! The cluster view: nodes on a ring, clients beside their home nodes, and the links between
//! nodes, in SVG. Messages are drawn over it on a canvas (see `anim`).
//!
//! A node shows its role (the leader is filled), whether it is up (a crashed node is grey and
//! dashed), its epoch and last log position, and, for a follower, how far it lags the leader and
//! whether the leader waits for it ("sync"). A link that is cut is red and dashed: cut both ways
//! the whole line, cut one way only the lane of that direction, with an arrow.
//!
//! Multi-leader: each region is a faint circle around its leader and followers; only the links
//! that carry traffic are drawn (inside a region, and between leaders), and the leaders'
//! replication topology is drawn boldly over them (arrows for the circular one). Leaderless: the
//! nodes are equal replicas; a badge counts the hinted writes a node holds for others, and the
//! home replicas of the key in focus are ringed.

use crate::anim::Hits;
use crate::layout::{Layout, Shape, VIEW_H, VIEW_W};
use crate::state::{on_click, Action, Model, Selection};
use crate::words;
use replica_engine::scenario::Topology;
use replica_engine::sim::{ClientSnapshot, NodeSnapshot};
use replica_engine::NodeId;
use std::rc::Rc;
use web_sys::Element;
use yew::prelude::*;

/// Up to this many nodes the picture writes each node's details (epoch, log position, lag) beside
/// it; a bigger cluster is dense and shows them in the node's label only.
pub const DETAILED_MAX: usize = 9;

#[derive(Properties, PartialEq)]
pub struct ClusterProps {
    pub nodes: Rc<Vec<NodeSnapshot>>,
    pub clients: Rc<Vec<ClientSnapshot>>,
    /// Directed links that are cut.
    pub cut: Rc<Vec<(NodeId, NodeId)>>,
    pub selected: Option<Selection>,
    pub shape: Shape,
    /// Multi-leader: how the leaders send each other their writes.
    pub topology: Option<Topology>,
    /// Nodes to ring: the home replicas of the key in focus (leaderless).
    pub homes: Rc<Vec<NodeId>>,
    /// The last finished operation of each client, shown beside it.
    #[prop_or_default]
    pub client_results: Rc<Vec<Option<ClientResult>>>,
    /// Messages drawn over the links: a click on one belongs to the message, not the link.
    pub hits: Hits,
    pub dispatch: UseReducerDispatcher<Model>,
    /// A picture to look at only (the twin run of a comparison): nothing is clickable or
    /// focusable, and its SVG ids do not clash with the main picture's.
    #[prop_or_default]
    pub readonly: bool,
    /// The anomaly whose nodes and clients are highlighted.
    #[prop_or_default]
    pub cause: Option<Rc<crate::compare::Cause>>,
    /// Messages in flight drawn in the SVG itself (the twin picture has no canvas).
    #[prop_or_default]
    pub dots: Rc<Vec<crate::compare::Dot>>,
}

/// A client's last finished operation: "k1=a3 ✓ 12 ms", "k0 → a2 · stale".
#[derive(Clone, Debug, PartialEq)]
pub struct ClientResult {
    pub text: String,
    /// "ok", "bad" (failed or unknown) or "stale".
    pub class: &'static str,
}

/// The last finished operation of every client (looking back over its recent operations).
pub fn client_results(sim: &replica_engine::Simulation) -> Vec<Option<ClientResult>> {
    use replica_engine::client::{OpKind, OpResult};
    // The newest anomalies are enough: only each client's last operation is shown.
    let recent = sim.anomalies().items();
    let recent = &recent[recent.len().saturating_sub(200)..];
    let stale = replica_engine::check::stale_reads(sim.history(), recent);
    // A read that is not stale but broke another session guarantee says which.
    let other = |op: u32| {
        recent
            .iter()
            .filter(|a| a.kind.read() == Some(op))
            .find_map(|a| words::read_flag(&a.kind))
            .map(|f| f.0)
    };
    let clients = sim.scenario().config.clients;
    let recent: Vec<_> = sim.history().iter().rev().take(400).collect();
    (0..clients)
        .map(|c| {
            let op = recent
                .iter()
                .find(|o| o.client == c && o.complete.is_some())?;
            let took = op.latency().map(words::span).unwrap_or_default();
            let (text, class) = match (&op.kind, &op.result) {
                (OpKind::Write { key, value }, OpResult::Written { .. }) => {
                    (format!("{key}={value} ✓ {took}"), "ok")
                }
                (OpKind::Write { key, value }, OpResult::Indeterminate { .. }) => {
                    (format!("{key}={value} ? unknown"), "bad")
                }
                (OpKind::Write { key, value }, _) => (format!("{key}={value} ✗ failed"), "bad"),
                (
                    OpKind::Read { key },
                    OpResult::Read {
                        value,
                        others,
                        merged,
                        ..
                    },
                ) => {
                    let mut v = value.clone().unwrap_or_else(|| "none".into());
                    // A merged value is one set, not a value with siblings.
                    if !others.is_empty() && !merged {
                        v = format!("{v} +{}", others.len());
                    }
                    if stale.contains_key(&op.id) {
                        (format!("{key} → {v} · stale!"), "stale")
                    } else if let Some(f) = other(op.id) {
                        (format!("{key} → {v} · {f}!"), "stale")
                    } else {
                        (format!("{key} → {v} · {took}"), "ok")
                    }
                }
                (OpKind::Read { key }, _) => (format!("read {key} ✗ failed"), "bad"),
            };
            Some(ClientResult { text, class })
        })
        .collect()
}

/// The lag of a follower in words: "3 behind · 120 ms", or "up to date".
pub fn lag_text(n: &NodeSnapshot) -> String {
    if n.lag == 0 {
        "up to date".into()
    } else {
        format!("{} behind · {}", n.lag, words::span(n.lag_us))
    }
}

fn node_label(n: &NodeSnapshot, single: bool) -> String {
    let mut s = format!(
        "n{}, {}, {}",
        n.id,
        n.role.name(),
        if n.up { "up" } else { "crashed" },
    );
    if let Some(r) = n.region {
        s.push_str(&format!(", region {r}"));
    }
    if !single {
        s.push_str(&format!(", {} applied", words::writes(n.last_lsn)));
        if n.region.is_some() && n.up {
            s.push_str(", ");
            s.push_str(&lag_text(n));
        }
        if n.hints > 0 {
            s.push_str(&format!(", holds {} hinted writes for others", n.hints));
        }
        return s;
    }
    s.push_str(&format!(", epoch {}, log up to {}", n.epoch, n.last_lsn));
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
    let layout = Layout::new(props.shape, n, &homes);
    let detailed = n <= DETAILED_MAX;
    let per = match props.shape {
        Shape::Regions { followers, .. } => Some(1 + followers),
        Shape::Ring => None,
    };
    let single = per.is_none()
        && nodes
            .iter()
            .all(|x| x.region.is_none() && x.role.name() != "replica");
    let regions = per.map_or(1, |p| n as NodeId / p.max(1)).max(1);
    let leader = nodes
        .iter()
        .find(|x| x.up && x.role.name() == "leader")
        .map(|x| x.id);
    let select = |s: Selection| on_click(&props.dispatch, Action::Select(Some(s)));

    // The twin picture's marker ids.
    let ids = if props.readonly { "-twin" } else { "" };
    let cause_node = |id: NodeId| props.cause.as_ref().is_some_and(|c| c.nodes.contains(&id));
    let cause_client = |id: u16| {
        props
            .cause
            .as_ref()
            .is_some_and(|c| c.clients.contains(&id))
    };
    // Circular: arrows show the one direction writes travel around the ring of leaders.
    let mut flow = Vec::new();
    if let (Some(p), Some(Topology::Circular)) = (per, props.topology) {
        for r in 0..regions {
            let (a, b) = (r * p, ((r + 1) % regions) * p);
            if a == b {
                continue;
            }
            let (Some(&pa), Some(&pb)) =
                (layout.nodes.get(a as usize), layout.nodes.get(b as usize))
            else {
                continue;
            };
            let (dx, dy) = (pb.0 - pa.0, pb.1 - pa.1);
            let len = (dx * dx + dy * dy).sqrt().max(1e-6);
            let (ux, uy) = (dx / len, dy / len);
            let k = layout.node_r + 4.0;
            flow.push(html! {
                <line class="flow" x1={fmt(pa.0 + ux * k)} y1={fmt(pa.1 + uy * k)}
                    x2={fmt(pb.0 - ux * k)} y2={fmt(pb.1 - uy * k)} marker-end={format!("url(#flow{ids})")} />
            });
        }
    }
    let region_boxes = layout.regions.iter().enumerate().map(|(i, b)| {
        let below = b.label.1 > b.c.1 + 1.0;
        let anchor = if (b.label.0 - b.c.0).abs() < b.r * 0.45 {
            "middle"
        } else if b.label.0 > b.c.0 {
            "start"
        } else {
            "end"
        };
        html! {
            <g class="region" data-region={i.to_string()}>
                <circle cx={fmt(b.c.0)} cy={fmt(b.c.1)} r={fmt(b.r)} />
                <text x={fmt(b.label.0)} y={fmt(if below { b.label.1 + 10.0 } else { b.label.1 })}
                    text-anchor={anchor}>{ format!("region {i}") }</text>
            </g>
        }
    });

    let clients = props.clients.iter().enumerate().map(|(i, c)| {
        let (x, y) = layout.clients[i];
        let home = layout
            .nodes
            .get(c.home as usize)
            .copied()
            .unwrap_or((0.0, 0.0));
        html! {
            <g class={classes!("client", cause_client(c.id).then_some("cause"))} data-client={c.id.to_string()}>
                <title>{ format!("Client c{} (nearest node: n{})", c.id, c.home) }</title>
                <line class="tether" x1={fmt(x)} y1={fmt(y)} x2={fmt(home.0)} y2={fmt(home.1)} />
                <rect x={fmt(x - layout.client_r)} y={fmt(y - layout.client_r)}
                    width={fmt(2.0 * layout.client_r)} height={fmt(2.0 * layout.client_r)} rx="4" />
                <text x={fmt(x)} y={fmt(y + 4.0)}>{ format!("c{}", c.id) }</text>
                { match props.client_results.get(i).cloned().flatten() {
                    Some(r) => html! {
                        <text class={classes!("result", r.class)} x={fmt(x)} y={fmt(y + layout.client_r + 11.0)}>{ r.text }</text>
                    },
                    None => html! {},
                } }
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
            (node.up && role != "leader" && node.lag > 0).then_some("lagging"),
            props.homes.contains(&node.id).then_some("home"),
            cause_node(node.id).then_some("cause")
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
        // Regions with followers are crowded: there a node only says how far behind it is.
        let crowded = matches!(per, Some(p) if p > 1);
        let info1 = if single {
            format!("epoch {} · lsn {}", node.epoch, node.last_lsn)
        } else if crowded {
            String::new()
        } else {
            words::writes(node.last_lsn)
        };
        let info2 = if !node.up || (single && role == "leader") || role == "replica" {
            String::new()
        } else if !single {
            if node.lag == 0 {
                if crowded { String::new() } else { "up to date".into() }
            } else {
                format!("{} behind", node.lag)
            }
        } else if leader.is_some() {
            lag_text(node)
        } else {
            "no leader".into()
        };
        let name_size = if r >= 28.0 { 15.0 } else { (r * 0.62).max(10.0) };
        // Small nodes (regions with followers) have no room for the role inside: the crown
        // (leaders) and the colour say it.
        let roomy = detailed && r >= 24.0;
        // Labels go radially outward: links are chords inside the ring, so messages never cross
        // them there. Top and bottom nodes get centred lines, side nodes left or right aligned.
        let (ux, uy) = layout.label_dir.get(i).copied().unwrap_or((0.0, 1.0));
        let (lx, ly) = (ux * (r + 9.0), uy * (r + 9.0));
        // A crowded node has a single line: its lag, if any.
        let (info1, info2, lag_first) = if info1.is_empty() {
            (info2, String::new(), true)
        } else {
            (info1, info2, false)
        };
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
                tabindex={(!props.readonly).then_some("0")} role={(!props.readonly).then_some("button")}
                aria-pressed={(!props.readonly).then(|| selected.to_string())}
                aria-label={node_label(node, single)}
                onclick={(!props.readonly).then(|| select(Selection::Node(node.id)))}
                onkeydown={(!props.readonly).then_some(onkeydown)}>
                <title>{ if props.readonly { node_label(node, single) } else { format!("{}. Click to inspect, crash or restart.", node_label(node, single)) } }</title>
                <circle class="home-ring" r={fmt(r + 5.0)} />
                <circle class="focus" r={fmt(r + 8.0)} />
                <circle class="body" r={fmt(r)} />
                <text class="name" y={fmt(if roomy { -2.0 } else { name_size * 0.35 })}
                    style={format!("font-size:{name_size:.0}px")}>{ format!("n{}", node.id) }</text>
                if roomy {
                    <text class="role" y="12">{ status }</text>
                }
                if detailed {
                    <text class={classes!("info", lag_first.then_some("lag"), (lag_first && node.lag > 0).then_some("behind"))}
                        x={fmt(lx)} y={fmt(y0)} text-anchor={anchor}>{ info1 }</text>
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
                if node.hints > 0 && node.up {
                    <g class="hint-badge" transform={format!("translate({} {})", fmt(r * 0.72), fmt(-r * 0.92))}>
                        <rect x="-20" y="-8" width="40" height="15" rx="7.5" />
                        <text y="3.5">{ format!("{} hint{}", node.hints, if node.hints == 1 { "" } else { "s" }) }</text>
                    </g>
                }
                if role == "leader" && node.up {
                    <path class={classes!("crown", (!roomy).then_some("out"))} transform={format!("translate(0 {}) scale({:.2})", fmt(if roomy { -r * 0.6 } else { -r - 7.0 }), (r / 34.0).max(0.6))}
                        d="M-9 4 L-9 -4 L-4.5 0 L0 -6 L4.5 0 L9 -4 L9 4 Z" />
                }
            </g>
        }
    });

    let vb = format!("{} {} {} {}", -VIEW_W / 2.0, -VIEW_H / 2.0, VIEW_W, VIEW_H);
    let label = format!(
        "Cluster of {n} nodes{} and {} clients.{}",
        if per.is_some() {
            format!(" in {regions} regions")
        } else {
            String::new()
        },
        props.clients.len(),
        if props.readonly {
            ""
        } else {
            " Select a node or a link to act on it."
        }
    );
    html! {
        <svg class={classes!("cluster", (!detailed).then_some("dense"), props.readonly.then_some("twin"))} viewBox={vb}
            preserveAspectRatio="xMidYMid meet" role="group" aria-label={label}>
            <defs>
                <marker id={format!("arrow{ids}")} viewBox="0 0 10 10" refX="8" refY="5" markerWidth="7" markerHeight="7"
                    orient="auto-start-reverse">
                    <path d="M0 0 L10 5 L0 10 z" class="arrow-head" />
                </marker>
                <marker id={format!("flow{ids}")} viewBox="0 0 10 10" refX="8" refY="5" markerWidth="6" markerHeight="6"
                    orient="auto-start-reverse">
                    <path d="M0 0 L10 5 L0 10 z" class="flow-head" />
                </marker>
            </defs>
            <g class="regions">{ for region_boxes }</g>
            <Links n={n} shape={props.shape} clients={props.clients.clone()} cut={props.cut.clone()}
                selected={props.selected} topology={props.topology} readonly={props.readonly}
                hits={props.hits.clone()} dispatch={props.dispatch.clone()} />
            <g class="flows">{ flow }</g>
            <g class="clients">{ for clients }</g>
            <g class="nodes">{ for node_views }</g>
            if !props.dots.is_empty() {
                <g class="messages">
                    { for props.dots.iter().map(|d| if d.hollow {
                        html! { <circle cx={fmt(d.x)} cy={fmt(d.y)} r="3.5" fill="none" stroke={d.color} stroke-width="1.5"><title>{ d.kind }</title></circle> }
                    } else {
                        html! { <circle cx={fmt(d.x)} cy={fmt(d.y)} r="5.5" fill={d.color}><title>{ d.kind }</title></circle> }
                    }) }
                </g>
            }
        </svg>
    }
}

#[derive(Properties, PartialEq)]
struct LinksProps {
    n: usize,
    shape: Shape,
    clients: Rc<Vec<ClientSnapshot>>,
    cut: Rc<Vec<(NodeId, NodeId)>>,
    selected: Option<Selection>,
    topology: Option<Topology>,
    readonly: bool,
    hits: Hits,
    dispatch: UseReducerDispatcher<Model>,
}

/// The links between nodes: a component of its own, so a change of the nodes' state (which the
/// picture shows often while playing) does not build the links again; they change only with a
/// cut, a selection or the layout.
#[function_component(Links)]
fn links_view(props: &LinksProps) -> Html {
    let n = props.n;
    let homes: Vec<NodeId> = props.clients.iter().map(|c| c.home).collect();
    let layout = Layout::new(props.shape, n, &homes);
    let per = match props.shape {
        Shape::Regions { followers, .. } => Some(1 + followers),
        Shape::Ring => None,
    };
    // Multi-leader: which pairs of nodes talk at all, and which leader pairs the topology uses.
    let regions = per.map_or(1, |p| n as NodeId / p.max(1)).max(1);
    let talks = |a: NodeId, b: NodeId| match per {
        Some(p) => a / p == b / p || (a.is_multiple_of(p) && b.is_multiple_of(p)),
        None => true,
    };
    let topo = |a: NodeId, b: NodeId| match (per, props.topology) {
        (Some(p), Some(t)) if a.is_multiple_of(p) && b.is_multiple_of(p) => {
            let (ra, rb) = (a / p, b / p);
            match t {
                Topology::AllToAll => true,
                Topology::Circular => (ra + 1) % regions == rb || (rb + 1) % regions == ra,
                Topology::Star => ra == 0 || rb == 0,
            }
        }
        _ => false,
    };
    let is_cut = |a: NodeId, b: NodeId| props.cut.contains(&(a, b));
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
    // The twin picture's marker ids.
    let ids = if props.readonly { "-twin" } else { "" };
    let mut links = Vec::with_capacity(n * n.saturating_sub(1) / 2);
    for a in 0..n {
        for b in a + 1..n {
            let (ai, bi) = (a as NodeId, b as NodeId);
            if !talks(ai, bi) {
                continue;
            }
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
                        marker-end={format!("url(#arrow{ids})")} />
                }
            };
            let (mx, my) = ((p.0 + q.0) / 2.0, (p.1 + q.1) / 2.0);
            let class = classes!(
                "link",
                topo(ai, bi).then_some("topo"),
                (ab && ba).then_some("cut"),
                (ab != ba).then_some("half-cut"),
                sel.then_some("selected")
            );
            links.push(html! {
                <g class={class} data-link={format!("{a}-{b}")} data-state={state}
                    onclick={(!props.readonly).then(|| select_link(Selection::Link(ai, bi)))}>
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

    html! { <g class="links">{ links }</g> }
}

/// Coordinates with one decimal: short attributes, stable output.
fn fmt(v: f64) -> String {
    format!("{v:.1}")
}

#[cfg(test)]
mod client_result_tests {
    use super::client_results;
    use replica_engine::scenario::wire;
    use replica_engine::Simulation;

    #[test]
    fn each_client_shows_its_last_result_and_stale_reads_stand_out() {
        let s = wire::decode(include_str!(
            "../../engine/testdata/golden/stale-follower-read.json"
        ))
        .unwrap();
        let mut sim = Simulation::new(s);
        sim.run_until(200_000);
        let r = client_results(&sim);
        assert_eq!(r.len(), 2);
        let c0 = r[0].as_ref().unwrap();
        assert!(c0.text.starts_with("x=1 ✓"), "{}", c0.text);
        assert_eq!(c0.class, "ok");
        // c1 read x from a follower before the write reached it.
        let c1 = r[1].as_ref().unwrap();
        assert_eq!((c1.text.as_str(), c1.class), ("x → none · stale!", "stale"));
    }
}
