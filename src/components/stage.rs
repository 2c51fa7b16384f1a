//! The stage: the SVG cluster with the canvas message layer on top, the label of the message
//! under the pointer, and the legend of message colours.

use crate::anim::{kind_color, Hits};
use crate::components::cluster::ClusterView;
use crate::layout::Shape;
use crate::state::{Action, Hover, Model, Selection};
use replica_engine::scenario::Topology;
use replica_engine::sim::{ClientSnapshot, NodeSnapshot};
use replica_engine::NodeId;
use std::rc::Rc;
use web_sys::Element;
use yew::prelude::*;

/// What the message label says (computed by the app from the snapshot).
#[derive(Clone, Debug, PartialEq)]
pub struct Tip {
    pub hover: Hover,
    pub title: String,
    pub body: String,
    pub when: String,
}

/// What the stage shows.
pub struct StageProps {
    pub nodes: Rc<Vec<NodeSnapshot>>,
    pub clients: Rc<Vec<ClientSnapshot>>,
    pub cut: Rc<Vec<(NodeId, NodeId)>>,
    pub selected: Option<Selection>,
    pub shape: Shape,
    pub topology: Option<Topology>,
    pub homes: Rc<Vec<NodeId>>,
    /// The last finished operation of each client, in words.
    pub client_results: Rc<Vec<Option<crate::components::cluster::ClientResult>>>,
    /// The message kinds this strategy sends, for the legend.
    pub kinds: &'static [&'static str],
    pub hover: Option<Hover>,
    pub tip: Option<Tip>,
    pub canvas: NodeRef,
    pub hits: Hits,
    pub dispatch: UseReducerDispatcher<Model>,
    /// The anomaly whose nodes and clients are highlighted.
    pub cause: Option<Rc<crate::compare::Cause>>,
}

/// The message kinds each strategy sends, for the legend.
pub const SINGLE_KINDS: &[&str] = &[
    "write",
    "read",
    "reply",
    "replicate",
    "ack",
    "heartbeat",
    "vote",
    "snapshot",
];
pub const MULTI_KINDS: &[&str] = &["write", "read", "reply", "replicate", "ack"];
pub const LEADERLESS_KINDS: &[&str] = &[
    "write",
    "read",
    "reply",
    "replicate",
    "ack",
    "hint",
    "repair",
    "anti-entropy",
];

/// The stage (a plain function: the SVG inside is the memoised component; the rest is small and
/// changes with the pointer).
pub fn stage(props: StageProps) -> Html {
    // Pointer position relative to the canvas, which covers the stage exactly.
    let local = {
        let canvas = props.canvas.clone();
        move |e: &MouseEvent| -> Option<(f64, f64)> {
            let el: Element = canvas.cast()?;
            let r = el.get_bounding_client_rect();
            Some((
                e.client_x() as f64 - r.left(),
                e.client_y() as f64 - r.top(),
            ))
        }
    };
    let onmousemove = {
        let (d, hits, hover, local) = (
            props.dispatch.clone(),
            props.hits.clone(),
            props.hover,
            local.clone(),
        );
        Callback::from(move |e: MouseEvent| {
            if hover.is_some_and(|h| h.pinned) {
                return;
            }
            let Some((x, y)) = local(&e) else { return };
            let hit = hits.at(x, y, 10.0).map(|h| Hover {
                id: h.id,
                x: h.x,
                y: h.y,
                pinned: false,
            });
            if hit.map(|h| h.id) != hover.map(|h| h.id) {
                d.dispatch(Action::Hover(hit));
            }
        })
    };
    let onmouseleave = {
        let (d, hover) = (props.dispatch.clone(), props.hover);
        Callback::from(move |_: MouseEvent| {
            if hover.is_some_and(|h| !h.pinned) {
                d.dispatch(Action::Hover(None));
            }
        })
    };
    // A click (or tap) on a message pins its label (the link under it ignores the click); a click
    // elsewhere unpins it. Clicks on nodes are theirs; a click on empty space clears the
    // selection.
    let onclick = {
        let (d, hits, hover) = (props.dispatch.clone(), props.hits.clone(), props.hover);
        Callback::from(move |e: MouseEvent| {
            let target = e.target_dyn_into::<Element>();
            let on = |sel: &str| {
                target
                    .as_ref()
                    .and_then(|t| t.closest(sel).ok().flatten())
                    .is_some()
            };
            let on_node = on("[data-node]");
            let on_thing = on_node || on("[data-link]");
            let hit = local(&e).and_then(|(x, y)| hits.at(x, y, 14.0));
            match hit {
                Some(h) if !on_node => d.dispatch(Action::Hover(Some(Hover {
                    id: h.id,
                    x: h.x,
                    y: h.y,
                    pinned: true,
                }))),
                _ if hover.is_some_and(|h| h.pinned) => d.dispatch(Action::Hover(None)),
                _ if !on_thing => d.dispatch(Action::Select(None)),
                _ => {}
            }
        })
    };
    let tip = props.tip.as_ref().map(|t| {
        let close = {
            let d = props.dispatch.clone();
            Callback::from(move |e: MouseEvent| {
                e.stop_propagation();
                d.dispatch(Action::Hover(None))
            })
        };
        html! {
            <div class={classes!("msg-tip", t.hover.pinned.then_some("pinned"))} role="status"
                style={format!("left:{:.0}px;top:{:.0}px", t.hover.x, t.hover.y)}>
                <strong>{ &t.title }</strong>
                <span class="tip-body">{ &t.body }</span>
                <span class="tip-when">{ &t.when }</span>
                if t.hover.pinned {
                    <button class="tip-close" aria-label="Close message details" onclick={close}>{ "×" }</button>
                }
            </div>
        }
    });
    html! {
        <div class="stage-wrap">
            <div class="stage" {onmousemove} {onmouseleave} {onclick}>
                <ClusterView nodes={props.nodes.clone()} clients={props.clients.clone()}
                    cut={props.cut.clone()} selected={props.selected} hits={props.hits.clone()}
                    shape={props.shape} topology={props.topology} homes={props.homes.clone()}
                    client_results={props.client_results.clone()}
                    cause={props.cause.clone()}
                    dispatch={props.dispatch.clone()} />
                <canvas class="messages" ref={props.canvas.clone()} aria-hidden="true"></canvas>
                // A single child whether or not there is a label: a child list that changes length
                // would make Yew re-create the canvas after it.
                { tip.unwrap_or_default() }
            </div>
            <ul class="legend" aria-label="Message colours">
                { for props.kinds.iter().map(|k| html! {
                    <li><span class={classes!("dot", (*k == "heartbeat").then_some("hollow"))}
                        style={format!("--c:{}", kind_color(k))}></span>{ *k }</li>
                }) }
                <li><span class="x">{ "×" }</span>{ "dropped" }</li>
            </ul>
        </div>
    }
}
