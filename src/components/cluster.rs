//! The cluster view: nodes on a ring, in SVG.

use replica_engine::{Role, Snapshot};
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ClusterProps {
    pub snapshot: Rc<Snapshot>,
}

/// Position of node `i` of `n` on a ring of radius `r` around (0, 0), starting at the top.
pub fn ring_position(i: usize, n: usize, r: f64) -> (f64, f64) {
    let angle = -std::f64::consts::FRAC_PI_2 + std::f64::consts::TAU * i as f64 / n.max(1) as f64;
    (r * angle.cos(), r * angle.sin())
}

#[function_component(ClusterView)]
pub fn cluster_view(props: &ClusterProps) -> Html {
    let nodes = &props.snapshot.nodes;
    let n = nodes.len();
    html! {
        <svg class="cluster" viewBox="-200 -200 400 400" role="img" aria-label={format!("Cluster of {n} nodes")}>
            { for nodes.iter().enumerate().map(|(i, node)| {
                let (x, y) = ring_position(i, n, 140.0);
                let role = match node.role { Role::Leader => "leader", Role::Follower => "follower", Role::Candidate => "candidate" };
                let class = classes!("node", role, (!node.up).then_some("down"));
                html! {
                    <g class={class} data-node={node.id.to_string()} transform={format!("translate({x:.1} {y:.1})")}>
                        <circle r="30" />
                        <text class="name" y="-4">{ format!("n{}", node.id) }</text>
                        <text class="role" y="12">{ role }</text>
                    </g>
                }
            }) }
        </svg>
    }
}
