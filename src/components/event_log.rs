//! The event log: the newest trace events in words, filterable by kind and by node; clicking one
//! moves the run to that moment.

use crate::state::{on_click, Action, Model};
use crate::words::{self, Category, Context, SentInfo};
use replica_engine::types::{Addr, NodeId, Time};
use replica_engine::{Simulation, TraceKind};
use std::collections::HashSet;
use std::rc::Rc;
use yew::prelude::*;

/// How many lines the log shows.
pub const LOG_LINES: usize = 200;
/// How far back (in events) the log looks for lines that pass the filter.
const LOOK_BACK: usize = 50_000;

#[derive(Clone, Debug, PartialEq)]
pub struct LogLine {
    /// Absolute position in the trace (`trace_start()` + index in the kept trace): a key that
    /// still names the same event after the oldest events are dropped.
    pub idx: usize,
    pub t: Time,
    pub cat: Category,
    pub text: String,
    /// An anomaly's line: what caused it (a click highlights it).
    pub cause: Option<Rc<crate::compare::Cause>>,
}

/// The newest `LOG_LINES` events that pass `mask` (and involve `node`, if given), newest first.
pub fn build(sim: &Simulation, mask: u8, node: Option<NodeId>) -> Vec<LogLine> {
    let trace = sim.trace();
    let floor = trace.len().saturating_sub(LOOK_BACK);
    // With a node filter: the messages that node sent or was sent, so that their deliveries and
    // drops (which name only the message) can be told apart.
    let mine: HashSet<u64> = match node {
        Some(n) => trace[floor..]
            .iter()
            .filter_map(|e| match &e.kind {
                TraceKind::Sent { id, from, to, .. }
                    if *from == Addr::Node(n) || *to == Addr::Node(n) =>
                {
                    Some(*id)
                }
                _ => None,
            })
            .collect(),
        None => HashSet::new(),
    };
    let involves = |k: &TraceKind| -> bool {
        let Some(n) = node else { return true };
        match k {
            TraceKind::Sent { id, .. }
            | TraceKind::Delivered { id }
            | TraceKind::Dropped { id, .. } => mine.contains(id),
            TraceKind::Crashed { node }
            | TraceKind::Restarted { node }
            | TraceKind::NodeAdded { node }
            | TraceKind::Role { node, .. }
            | TraceKind::SyncSet { node, .. }
            | TraceKind::Truncated { node, .. } => *node == n,
            TraceKind::LinkCut { from, to } | TraceKind::LinkHealed { from, to } => {
                *from == n || *to == n
            }
            TraceKind::Invoked { op, .. } | TraceKind::Completed { op, .. } => {
                sim.history().get(*op).is_some_and(|o| o.node == n)
            }
            TraceKind::Config { .. } | TraceKind::Caption { .. } | TraceKind::Anomaly { .. } => {
                true
            }
        }
    };
    let mut picked = Vec::new();
    let mut lowest = trace.len();
    for i in (floor..trace.len()).rev() {
        if picked.len() >= LOG_LINES {
            break;
        }
        let cat = words::category(&trace[i].kind);
        if mask & cat.bit() != 0 && involves(&trace[i].kind) {
            picked.push((i, cat));
            lowest = i;
        }
    }
    // Deliveries and drops name only the message; find where each was sent.
    let mut want: Vec<u64> = picked
        .iter()
        .filter_map(|&(i, _)| match trace[i].kind {
            TraceKind::Delivered { id } | TraceKind::Dropped { id, .. } => Some(id),
            _ => None,
        })
        .collect();
    let mut sent = Vec::new();
    if !want.is_empty() {
        let stop = lowest.saturating_sub(20_000);
        for e in trace[stop..].iter().rev() {
            if let TraceKind::Sent {
                id, from, to, kind, ..
            } = &e.kind
            {
                if let Some(k) = want.iter().position(|w| w == id) {
                    want.swap_remove(k);
                    sent.push((
                        *id,
                        SentInfo {
                            from: *from,
                            to: *to,
                            kind: *kind,
                        },
                    ));
                    if want.is_empty() {
                        break;
                    }
                }
            }
        }
    }
    let cx = Context {
        history: sim.history(),
        anomalies: sim.anomalies(),
        sent: &sent,
    };
    picked
        .into_iter()
        .map(|(i, cat)| LogLine {
            idx: sim.trace_start() + i,
            t: trace[i].t,
            cat,
            text: words::describe(&trace[i], &cx),
            cause: match trace[i].kind {
                TraceKind::Anomaly { index } => sim
                    .anomalies()
                    .get(index)
                    .map(|a| Rc::new(crate::compare::Cause::of(a, sim.history()))),
                _ => None,
            },
        })
        .collect()
}

#[derive(Properties, PartialEq)]
pub struct EventLogProps {
    pub lines: Rc<Vec<LogLine>>,
    pub mask: u8,
    /// The node filter, and how many nodes there are to choose from.
    pub node: Option<NodeId>,
    pub nodes: usize,
    pub dispatch: UseReducerDispatcher<Model>,
}

#[function_component(EventLog)]
pub fn event_log(p: &EventLogProps) -> Html {
    let chips = Category::ALL.iter().map(|&c| {
        let on = p.mask & c.bit() != 0;
        let onclick = on_click(&p.dispatch, Action::LogMask(p.mask ^ c.bit()));
        html! {
            <button class={classes!("chip", c.class(), on.then_some("on"))} aria-pressed={on.to_string()} {onclick}>
                { c.label() }
            </button>
        }
    });
    let rows = p.lines.iter().map(|l| {
        // An anomaly's line shows its cause (at its moment); any other goes to its moment.
        let (onclick, title) = match &l.cause {
            Some(c) => (
                on_click(&p.dispatch, Action::Cause(Some(Box::new((**c).clone())))),
                "Show what caused it, at this moment",
            ),
            None => (
                on_click(
                    &p.dispatch,
                    Action::Seek {
                        t: l.t,
                        pause: true,
                    },
                ),
                "Go to this moment",
            ),
        };
        html! {
            <li key={l.idx} class={l.cat.class()}>
                <button {onclick} {title}>
                    <span class="when">{ words::time(l.t) }</span>
                    <span class="what">{ &l.text }</span>
                </button>
            </li>
        }
    });
    html! {
        <section class="event-log" aria-label="Event log">
            <div class="log-head">
                <h2>{ "Event log" }</h2>
                <div class="chips" role="group" aria-label="Show events of these kinds">{ for chips }</div>
                <select class="log-node" aria-label="Show events of one node" onchange={{
                    let d = p.dispatch.clone();
                    Callback::from(move |e: Event| {
                        let v = e.target_unchecked_into::<web_sys::HtmlSelectElement>().value();
                        d.dispatch(Action::LogNode(v.parse().ok()));
                    })
                }}>
                    <option value="all" selected={p.node.is_none()}>{ "all nodes" }</option>
                    { for (0..p.nodes).map(|n| html! {
                        <option value={n.to_string()} selected={p.node == Some(n as NodeId)}>{ format!("n{n} only") }</option>
                    }) }
                </select>
            </div>
            if p.lines.is_empty() {
                <p class="muted empty">{ "Nothing yet. Press play, or turn on more kinds of events." }</p>
            } else {
                <ol class="log-lines">{ for rows }</ol>
            }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::build;
    use crate::words::Category;
    use replica_engine::scenario::wire;
    use replica_engine::Simulation;

    #[test]
    fn the_node_filter_keeps_only_that_nodes_events() {
        let s = wire::decode(include_str!(
            "../../engine/testdata/golden/failover-rejoin.json"
        ))
        .unwrap();
        let mut sim = Simulation::new(s);
        sim.run_until(3_000_000);
        let all_kinds = Category::ALL.iter().fold(0, |m, c| m | c.bit());
        let all = build(&sim, all_kinds, None);
        let n2 = build(&sim, all_kinds, Some(2));
        assert!(!n2.is_empty() && n2.len() <= all.len());
        // Every line names n2, except settings, captions and anomalies, which concern everyone,
        // and client lines, which are kept when n2 served the operation.
        for l in &n2 {
            assert!(
                l.text.contains("n2")
                    || matches!(
                        l.cat,
                        Category::Setting | Category::Anomaly | Category::Client
                    ),
                "{}",
                l.text
            );
        }
        assert!(
            all.iter().any(|l| !l.text.contains("n2")),
            "the unfiltered log has other nodes' events"
        );
    }
}
