//! The event log: the newest trace events in words, filterable by kind; clicking one moves the
//! run to that moment.

use crate::state::{on_click, Action, Model};
use crate::words::{self, Category, Context, SentInfo};
use replica_engine::types::Time;
use replica_engine::{Simulation, TraceKind};
use std::rc::Rc;
use yew::prelude::*;

/// How many lines the log shows.
pub const LOG_LINES: usize = 200;
/// How far back (in events) the log looks for lines that pass the filter.
const LOOK_BACK: usize = 50_000;

#[derive(Clone, Debug, PartialEq)]
pub struct LogLine {
    /// Index in the trace (stable key while the run goes forward).
    pub idx: usize,
    pub t: Time,
    pub cat: Category,
    pub text: String,
}

/// The newest `LOG_LINES` events that pass `mask`, newest first.
pub fn build(sim: &Simulation, mask: u8) -> Vec<LogLine> {
    let trace = sim.trace();
    let floor = trace.len().saturating_sub(LOOK_BACK);
    let mut picked = Vec::new();
    let mut lowest = trace.len();
    for i in (floor..trace.len()).rev() {
        if picked.len() >= LOG_LINES {
            break;
        }
        let cat = words::category(&trace[i].kind);
        if mask & cat.bit() != 0 {
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
            idx: i,
            t: trace[i].t,
            cat,
            text: words::describe(&trace[i], &cx),
        })
        .collect()
}

#[derive(Properties, PartialEq)]
pub struct EventLogProps {
    pub lines: Rc<Vec<LogLine>>,
    pub mask: u8,
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
        let onclick = on_click(
            &p.dispatch,
            Action::Seek {
                t: l.t,
                pause: true,
            },
        );
        html! {
            <li key={l.idx} class={l.cat.class()}>
                <button {onclick} title="Go to this moment">
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
            </div>
            if p.lines.is_empty() {
                <p class="muted empty">{ "Nothing yet. Press play, or turn on more kinds of events." }</p>
            } else {
                <ol class="log-lines">{ for rows }</ol>
            }
        </section>
    }
}
