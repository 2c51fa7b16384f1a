//! The root component: lays the page out and derives each component's props from the model.
//!
//! While playing it renders when something it shows changed and for the readouts (the clock,
//! the scrubber) ten times a second, never merely because a frame passed (see `state`); every
//! child gets props that compare equal when nothing it shows changed. The heavier panels
//! (inspector, results, event log) are memoised on the model's `slow_rev`, which moves a few
//! times per second at most.

use crate::anim::{self, Hits};
use crate::api;
use crate::components::cluster::ClusterView;
use crate::components::consistency::{Consistency, ConsistencyData};
use crate::components::controls::{Controls, ControlsView};
use crate::components::event_log::{self, EventLog};
use crate::components::gallery::{self, Gallery};
use crate::components::help;
use crate::components::inspector::{Inspect, Inspector};
use crate::components::results::{Results, ResultsData};
use crate::components::share::{Export, ShareDialog};
use crate::components::spacetime::SpaceTimeView;
use crate::components::stage::{self as stage_mod, stage, StageProps, Tip};
use crate::components::timeline::{mini_bar, time_bar, MiniBarProps, TimeBarProps};
use crate::embed;
use crate::export;
use crate::keys;
use crate::layout::Shape;
use crate::share;
use crate::state::{on_click, Action, Dialog, Model, Selection, Tab};
use crate::words;
use replica_engine::client::OpResult;
use replica_engine::scenario::Strategy;
use replica_engine::NodeId;
use std::rc::Rc;
use yew::prelude::*;

/// How much virtual time the space-time diagram shows, ending now.
const DIAGRAM_WINDOW: u64 = 800_000;
/// How often a dense picture's node labels (their lag ages) refresh while playing, wall-clock ms.
const DENSE_LABELS_MS: f64 = 1000.0;

#[function_component(App)]
pub fn app() -> Html {
    let model = use_reducer_eq(|| share::initial_model(anim::prefers_reduced_motion()));
    let canvas = use_node_ref();
    let hits = (*use_memo((), |_| Hits::default())).clone();
    {
        let (model, canvas, hits) = (model.clone(), canvas.clone(), hits.clone());
        use_effect_with((), move |_| {
            api::install(model.clone());
            let keys = keys::install(model.clone());
            let address = share::listen(model.clone());
            let parent = embed::listen(model.clone());
            let drops = export::listen_drop(model.dispatcher());
            if let Some(t) = model.embed.as_ref().and_then(|e| e.theme) {
                if let Some(root) = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.document_element())
                {
                    let _ = root.set_attribute("data-theme", t.name());
                }
            }
            let running = anim::start(model, canvas, hits);
            move || {
                drop(running);
                drop(keys);
                drop(address);
                drop(parent);
                drop(drops);
            }
        });
    }
    let dispatch = model.dispatcher();
    let m: &Model = &model;
    let sim = m.sim.borrow();
    let snap = sim.snapshot();
    let now = snap.time_us;
    // The address follows every new state (a history entry) and, once the reader stops, the
    // moment and view being looked at.
    {
        let model = model.clone();
        let key = (
            m.scen_rev,
            (!m.playing).then_some(now),
            m.selected,
            m.diagram,
            m.speed.to_bits(),
        );
        use_effect_with(key, move |_| share::sync_url(&model));
    }
    // An embed tells its parent how tall it is when what decides its height changes (its width
    // is followed by a resize listener). Never per frame: reading the height forces a layout.
    {
        let embedded = m.embed.is_some();
        let key = (
            m.scen_rev,
            m.diagram,
            m.banner.is_some(),
            m.caption().map(|c| c.t),
        );
        use_effect_with(key, move |_| {
            if embedded {
                embed::report_height();
            }
        });
    }
    // The embed's way to the full page: the scenario as loaded (not re-encoded every frame).
    let full_link = use_memo(m.scen_rev, |_| {
        m.embed.as_ref().map(|_| share::url_of(&share::link_of(m)))
    });
    // Only while the share dialog is open (which pauses): no link is encoded per frame.
    let share_link = use_memo(
        (m.dialog == Some(Dialog::Share)).then_some((m.scen_rev, now, m.selected, m.diagram)),
        |open| Rc::new(open.map_or_else(String::new, |_| share::link_of(m))),
    );
    let cards = use_memo(m.dialog == Some(Dialog::Gallery), |open| {
        Rc::new(if *open { gallery::cards() } else { Vec::new() })
    });
    let on_export = {
        let model = model.clone();
        Callback::from(move |x: Export| export_now(&model, x))
    };
    let selected_node = match m.selected {
        Some(Selection::Node(n)) => Some(n),
        _ => None,
    };
    let controls = ControlsView::of(&sim, &snap, selected_node);
    let inspect = use_memo(
        (m.selected, m.slow_rev, m.tab == Tab::Inspector),
        |(sel, _, shown)| {
            sel.filter(|_| *shown)
                .and_then(|s| Inspect::build(&sim, &snap, s))
                .map(Rc::new)
        },
    );
    let results = use_memo((m.slow_rev, m.tab == Tab::Results), |(_, shown)| {
        if *shown {
            ResultsData::build(&sim)
        } else {
            ResultsData::default()
        }
    });
    let consistency = use_memo((m.slow_rev, m.tab == Tab::Consistency), |(_, shown)| {
        if *shown {
            ConsistencyData::build(&sim)
        } else {
            ConsistencyData::default()
        }
    });
    let log = use_memo((m.slow_rev, m.log_mask, m.log_node), |(_, mask, node)| {
        event_log::build(&sim, *mask, *node)
    });
    let tip = m.hover.and_then(|h| {
        let msg = snap.messages.iter().find(|x| x.id == h.id)?;
        Some(Tip {
            hover: h,
            title: format!("{} {} → {}", msg.kind.name(), msg.from, msg.to),
            body: sim.message_summary(h.id).unwrap_or_default(),
            when: format!(
                "sent {} · arrives {}",
                words::time(msg.sent_us),
                words::time(msg.arrive_us)
            ),
        })
    });
    // The diagram follows the clock every frame while it is shown, and costs nothing otherwise.
    // Operations of linearizability counterexamples, outlined in the diagram (slow refresh).
    let flagged = use_memo((m.slow_rev, m.diagram), |(_, shown)| {
        Rc::new(if *shown {
            crate::components::consistency::counterexample_ops(&sim)
        } else {
            Default::default()
        })
    });
    let diagram = use_memo(
        (
            m.diagram,
            now,
            // The trace's absolute end: its length alone can repeat once old events are dropped.
            sim.trace_start() + sim.trace().len(),
            (*flagged).clone(),
            m.cause.clone(),
        ),
        |(shown, _, _, flagged, cause)| {
            Rc::new(if *shown {
                let mut d = crate::spacetime::build(&sim, DIAGRAM_WINDOW, false);
                crate::spacetime::flag_ops(&mut d, flagged);
                if let Some(c) = cause {
                    crate::spacetime::mark_cause(&mut d, c);
                }
                d
            } else {
                crate::spacetime::SpaceTime::default()
            })
        },
    );
    // Refreshed with the other result panels (a few times a second at most), not every frame.
    let client_results = use_memo((m.slow_rev, m.sim.as_ptr() as usize), |_| {
        Rc::new(crate::components::cluster::client_results(&sim))
    });
    // Every anomaly found, including those no longer kept on a long run.
    let anomalies = sim.anomalies().end();
    let leader = snap
        .nodes
        .iter()
        .find(|n| n.up && n.role.name() == "leader")
        .map(|l| (l.id, l.epoch));
    let n = snap.nodes.len();
    let strategy = sim.config().strategy.clone();
    let shape = Shape::of(&strategy);
    // Leaderless: the key in focus (the reader's, else the newest request still under way) and
    // the N nodes it lives on.
    let (focus, homes) = match &strategy {
        Strategy::Leaderless(l) => {
            let key = m.focus_key.clone().or_else(|| {
                sim.history()
                    .iter()
                    .rev()
                    .take(40)
                    .find(|o| matches!(o.result, OpResult::Pending))
                    .map(|o| o.kind.key().to_string())
            });
            let homes = key
                .as_deref()
                .map_or_else(Vec::new, |k| home_replicas(n, l, k));
            (key, homes)
        }
        _ => (None, Vec::new()),
    };
    // Side by side: the twin run's picture and the metrics of both (slow refresh).
    let diff = use_memo(
        (
            m.slow_rev,
            m.compare.as_ref().map(|t| t.sim.as_ptr() as usize),
        ),
        |(_, open)| {
            Rc::new(match (&m.compare, open) {
                (Some(t), Some(_)) => {
                    let twin = t.sim.borrow();
                    crate::compare::diff(
                        &sim.metrics(),
                        &twin.metrics(),
                        crate::compare::violations(&sim),
                        crate::compare::violations(&twin),
                    )
                }
                _ => Vec::new(),
            })
        },
    );
    let twin_results = use_memo(
        (
            m.slow_rev,
            m.compare.as_ref().map(|t| t.sim.as_ptr() as usize),
        ),
        |_| {
            Rc::new(m.compare.as_ref().map_or_else(Vec::new, |t| {
                crate::components::cluster::client_results(&t.sim.borrow())
            }))
        },
    );
    drop(sim);
    // The cluster view does not show the nodes' own clocks, which change every frame; leaving
    // them out lets it skip re-rendering while nothing it shows changes. A dense picture (more
    // than 9 nodes) writes how long a follower has lagged only in the node's label (a tooltip):
    // those are brought up to date once a second, not with every readout, since changing the
    // labels of two dozen nodes costs a repaint of the whole picture.
    let dense = snap.nodes.len() > crate::components::cluster::DETAILED_MAX;
    let nodes = use_memo(
        (
            m.nodes_rev,
            if dense {
                (m.wall() / DENSE_LABELS_MS) as u64
            } else {
                m.view_rev
            },
        ),
        |_| {
            let mut nodes = snap.nodes.clone();
            for node in &mut nodes {
                node.clock_us = 0;
            }
            Rc::new(nodes)
        },
    );

    let tab = |t: Tab, label: String, id: &'static str| {
        let on = m.tab == t;
        html! {
            <button role="tab" id={format!("tab-{id}")} aria-selected={on.to_string()}
                aria-controls={format!("panel-{id}")} class={classes!("tab", on.then_some("on"))}
                onclick={on_click(&dispatch, Action::Tab(t))}>{ label }</button>
        }
    };
    let (panel_id, panel) = match m.tab {
        Tab::Controls => (
            "controls",
            html! { <Controls view={controls} dispatch={dispatch.clone()} /> },
        ),
        Tab::Inspector => (
            "inspector",
            html! { <Inspector data={(*inspect).clone()} dispatch={dispatch.clone()} /> },
        ),
        Tab::Results => (
            "results",
            html! { <Results data={results.clone()} cause={m.cause.clone()} dispatch={dispatch.clone()} /> },
        ),
        Tab::Consistency => (
            "consistency",
            html! { <>
                { compare_menu(m, &strategy, n as u16, &dispatch) }
                <Consistency data={(*consistency).clone()} />
            </> },
        ),
    };
    let notice = m.notice.as_ref().map(|x| {
        html! {
            <div class={classes!("notice", x.warn.then_some("warn"))} role="status">
                <span>{ &x.text }</span>
                <button class="ghost" aria-label="Dismiss notice"
                    onclick={on_click(&dispatch, Action::DismissNotice)}>{ "×" }</button>
            </div>
        }
    });
    let caption = m.caption().map(|c| html! {
        <p class="stage-caption" role="status"><span class="t">{ words::time(c.t) }</span>{ c.text.clone() }</p>
    });
    let picture = html! { <>
        { caption.unwrap_or_default() }
        if m.diagram {
            <SpaceTimeView data={(*diagram).clone()} on_seek={{
                let d = dispatch.clone();
                Callback::from(move |t: u64| d.dispatch(Action::Seek { t, pause: true }))
            }} />
        }
        <div class={classes!("stage-box", m.diagram.then_some("hidden"))}>
        { stage(StageProps { nodes: (*nodes).clone(), clients: Rc::new(snap.clients),
            cut: Rc::new(snap.cut), selected: m.selected, shape,
            topology: match &strategy { Strategy::MultiLeader(ml) => Some(ml.topology), _ => None },
            homes: Rc::new(homes.clone()),
            client_results: (*client_results).clone(),
            kinds: match &strategy {
                Strategy::SingleLeader(_) => stage_mod::SINGLE_KINDS,
                Strategy::MultiLeader(_) => stage_mod::MULTI_KINDS,
                Strategy::Leaderless(_) => stage_mod::LEADERLESS_KINDS,
            },
            hover: m.hover, tip, canvas, hits, cause: m.cause.clone(),
            dispatch: dispatch.clone() }) }
        </div>
    </> };
    let picture = match &m.compare {
        Some(t) if m.embed.is_none() => {
            let twin = t.sim.borrow();
            let tsnap = twin.snapshot();
            let mut tnodes = tsnap.nodes;
            for node in &mut tnodes {
                node.clock_us = 0;
            }
            let tstrategy = &twin.config().strategy;
            let dots = crate::compare::dots(&twin);
            let label_a = crate::compare::current(&strategy).label();
            let label_b = crate::compare::current(tstrategy).label();
            let twin_view = html! {
                <ClusterView nodes={Rc::new(tnodes)} clients={Rc::new(tsnap.clients)}
                    cut={Rc::new(tsnap.cut)} selected={None::<Selection>} hits={Hits::default()}
                    shape={Shape::of(tstrategy)}
                    topology={match tstrategy { Strategy::MultiLeader(ml) => Some(ml.topology), _ => None }}
                    homes={Rc::new(Vec::new())} client_results={(*twin_results).clone()}
                    readonly=true dots={Rc::new(dots)} dispatch={dispatch.clone()} />
            };
            html! { <>
                <div class="compare">
                    <div class="compare-side" data-side="a" data-time={now.to_string()}>
                        <div class="compare-label"><strong>{ "A" }</strong>{ format!(" {label_a}") }<span class="muted">{ " · this run" }</span></div>
                        { picture }
                    </div>
                    <div class="compare-side twin" data-side="b" data-time={tsnap.time_us.to_string()}>
                        <div class="compare-label"><strong>{ "B" }</strong>{ format!(" {label_b}") }
                            <span class="muted">{ " · same seed and schedule" }</span></div>
                        <div class="stage twin-stage">{ twin_view }</div>
                    </div>
                </div>
                <div class="compare-diff">
                    <table class="diff" aria-label="Metrics of A and B">
                        <thead><tr><th scope="col">{ "metric" }</th>
                            <th scope="col">{ format!("A {label_a}") }</th>
                            <th scope="col">{ format!("B {label_b}") }</th></tr></thead>
                        <tbody>
                            { for diff.iter().map(|r| html! {
                                <tr data-metric={r.what}>
                                    <th scope="row">{ r.what }</th>
                                    <td class={classes!("a", (r.better < 0).then_some("better"))}>{ &r.a }</td>
                                    <td class={classes!("b", (r.better > 0).then_some("better"))}>{ &r.b }</td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                    <button class="close-compare" onclick={on_click(&dispatch, Action::Compare(None))}
                        title="Back to the one run (C)">{ "Close comparison" }</button>
                </div>
            </> }
        }
        _ => picture,
    };
    let banner = m.banner.as_ref().map(|b| html! {
        <div class="banner" role="alert">
            <span>{ b.clone() }</span>
            <button class="ghost" aria-label="Dismiss" onclick={on_click(&dispatch, Action::Banner(None))}>{ "×" }</button>
        </div>
    });
    if let Some(e) = m
        .embed
        .as_ref()
        .filter(|e| e.controls != embed::Controls::Full)
    {
        let full = (*full_link).clone().unwrap_or_default();
        return html! {
            <div class={classes!("app", "embedded", (e.controls == embed::Controls::None).then_some("bare"))}>
                { banner.unwrap_or_default() }
                <section class="view" aria-label="Cluster">{ picture }</section>
                if e.controls == embed::Controls::Minimal {
                    <div class="embed-bar">
                        { mini_bar(MiniBarProps { now, end: e.end.unwrap_or(m.max_time), playing: m.playing,
                            marks: &m.marks, dispatch: &dispatch }) }
                        <a class="open-full" href={full} target="_blank" rel="noopener">{ "Open in Replica Lab ↗" }</a>
                    </div>
                } else {
                    <a class="open-full" href={full} target="_blank" rel="noopener">{ "Open in Replica Lab ↗" }</a>
                }
            </div>
        };
    }
    let dialog = match m.dialog {
        Some(Dialog::Share) => html! {
            <ShareDialog link={(*share_link).clone()} title={words::strategy_summary(&strategy, n as u16)}
                on_export={on_export} dispatch={dispatch.clone()} />
        },
        Some(Dialog::Gallery) => {
            html! { <Gallery cards={(*cards).clone()} dispatch={dispatch.clone()} /> }
        }
        None => html! {},
    };
    let open_help = on_click(&dispatch, Action::Help(true));
    let to_results = on_click(&dispatch, Action::Tab(Tab::Results));
    let count = match n {
        1 => "One database node".to_string(),
        2 => "Two database nodes".into(),
        3 => "Three database nodes".into(),
        n => format!("{n} database nodes"),
    };
    html! {
        <div class="app">
            <header class="top">
                <div class="brand">
                    <h1>{ "Replica Lab" }</h1>
                    <p class="tagline">{ match &strategy {
                        Strategy::SingleLeader(_) => html! { <>
                            { count }{ " replicate writes from clients through one leader (the filled node with a crown). " }
                            <strong>{ "Try: click the leader and crash it." }</strong>
                        </> },
                        Strategy::MultiLeader(ml) => html! { <>
                            { format!("{} regions, each with its own leader (crowned) that passes writes to the others. ", ml.regions) }
                            <strong>{ "Try: skew a leader's clock, then write one key in two regions." }</strong>
                        </> },
                        Strategy::Leaderless(_) => html! { <>
                            { format!("{n} equal replicas: each key lives on N of them; a write waits for W answers, a read for R. ") }
                            <strong>{ "Try: set W = 1 and R = 1 and watch for stale reads." }</strong>
                        </> },
                    } }</p>
                </div>
                <nav class="top-actions" aria-label="Scenarios and sharing">
                    <button class="top-btn" onclick={on_click(&dispatch, Action::Dialog(Some(Dialog::Gallery)))}
                        title="Ready scenarios, one per phenomenon (G)">{ "Gallery" }</button>
                    <button class="top-btn" onclick={on_click(&dispatch, Action::Dialog(Some(Dialog::Share)))}
                        title="Link, embed code, exports (S)">{ "Share" }</button>
                    <button class="help-btn" aria-label="Help and keyboard shortcuts" title="Help (?)" onclick={open_help}>{ "?" }</button>
                </nav>
            </header>
            <main class="work">
                <section class="view" aria-label="Cluster">
                    <div class="status">
                        { match &strategy {
                            Strategy::SingleLeader(_) => html! { <>
                                { match leader {
                                    Some((id, epoch)) => html! { <span class="pill leader">{ format!("leader n{id} · epoch {epoch}") }</span> },
                                    None => html! { <span class="pill warn">{ "no leader" }</span> },
                                } }
                                <span class="pill">{ format!("followers {}", snap.mode) }</span>
                            </> },
                            Strategy::MultiLeader(ml) => html! { <>
                                <span class="pill leader">{ format!("{} leaders · {}", ml.regions, words::topology(ml.topology)) }</span>
                                <span class="pill">{ words::resolution(ml.resolution) }</span>
                            </> },
                            Strategy::Leaderless(l) => html! { <>
                                <span class="pill leader">{ format!("N={} W={} R={}", l.n, l.w, l.r) }</span>
                                if l.w + l.r > l.n {
                                    <span class="pill" title="Every read quorum overlaps every write quorum">{ "W + R > N" }</span>
                                } else {
                                    <span class="pill warn" title="A read quorum can miss every replica of the newest write">{ "W + R ≤ N: reads may be stale" }</span>
                                }
                            </> },
                        } }
                        if let Some(k) = &focus {
                            <span class="pill focus" title="The key's home replicas are ringed in the picture">
                                { format!("{k} lives on {}", homes.iter().map(|h| format!("n{h}")).collect::<Vec<_>>().join(" ")) }
                                if m.focus_key.is_some() {
                                    <button class="ghost" aria-label="Stop showing where the key lives"
                                        onclick={on_click(&dispatch, Action::FocusKey(None))}>{ "×" }</button>
                                }
                            </span>
                        }
                        if anomalies > 0 {
                            <button class="pill bad" onclick={to_results}>
                                { format!("{anomalies} anomal{}", if anomalies == 1 { "y" } else { "ies" }) }
                            </button>
                        }
                        if let Some(c) = &m.cause {
                            <span class="pill cause" title="Its operations and nodes are highlighted in the diagram and the cluster picture">
                                { format!("cause of {} ", c.kind.replace('-', " ")) }
                                { c.ops.iter().map(|(o, part)| format!("#{o} {part}")).collect::<Vec<_>>().join(", ") }
                                <button class="ghost" aria-label="Stop highlighting the cause"
                                    onclick={on_click(&dispatch, Action::Cause(None))}>{ "×" }</button>
                            </span>
                        }
                        { notice.unwrap_or_default() }
                        <button class="pill view-toggle" aria-pressed={m.diagram.to_string()}
                            title="Messages as arrows between lanes over the last moments (key D)"
                            onclick={on_click(&dispatch, Action::Diagram(!m.diagram))}>
                            { if m.diagram { "cluster picture" } else { "space-time diagram" } }
                        </button>
                        <span class={classes!("pill", "state", m.playing.then_some("playing"))}>{ if m.playing { "playing" } else { "paused" } }</span>
                    </div>
                    { picture }
                </section>
                { time_bar(TimeBarProps { now, max_time: m.max_time, playing: m.playing, speed: m.speed,
                    marks: &m.marks, dispatch: &dispatch }) }
                <aside class="side">
                    <div class="tabs" role="tablist" aria-label="Panels">
                        { tab(Tab::Controls, "Controls".into(), "controls") }
                        { tab(Tab::Inspector, match m.selected {
                            Some(Selection::Node(n)) => format!("Inspect n{n}"),
                            Some(Selection::Link(a, b)) => format!("Link n{a}–n{b}"),
                            None => "Inspect".into(),
                        }, "inspector") }
                        { tab(Tab::Results, if anomalies > 0 { format!("Results ({anomalies}!)") } else { "Results".into() }, "results") }
                        { tab(Tab::Consistency, "Consistency".into(), "consistency") }
                    </div>
                    <div class="panel" role="tabpanel" id={format!("panel-{panel_id}")} aria-labelledby={format!("tab-{panel_id}")}>
                        { panel }
                    </div>
                </aside>
            </main>
            <EventLog lines={log.clone()} mask={m.log_mask} node={m.log_node} nodes={n} dispatch={dispatch.clone()} />
            <footer>
                <span>{ format!("Replica Lab {} · a deterministic simulation: the same seed and actions replay exactly. Press ? for shortcuts.", env!("CARGO_PKG_VERSION")) }</span>
                <a href="https://github.com/replica-lab/replica-lab#readme">{ "Source and README" }</a>
            </footer>
            if m.help {
                { help::help(&dispatch) }
            }
            { dialog }
            { banner.unwrap_or_default() }
        </div>
    }
}

/// The comparison offers, at the top of the Consistency tab: this run beside the same run under
/// another setting.
fn compare_menu(
    m: &Model,
    strategy: &Strategy,
    nodes: u16,
    dispatch: &UseReducerDispatcher<Model>,
) -> Html {
    let options = crate::compare::options(strategy, nodes);
    let open = m.compare.as_ref().map(|t| t.variant);
    html! {
        <section class="compare-menu">
            <h3>{ "Side by side" }</h3>
            <p class="muted">{ format!("This run ({}) beside the same seed and schedule with one setting changed:",
                crate::compare::current(strategy).label()) }</p>
            <div class="row">
                { for options.iter().map(|v| {
                    let on = open == Some(*v);
                    html! {
                        <button class={classes!("compare-btn", on.then_some("on"))} aria-pressed={on.to_string()}
                            onclick={on_click(dispatch, Action::Compare((!on).then_some(*v)))}>
                            { format!("Compare with {}", v.label()) }
                        </button>
                    }
                }) }
            </div>
        </section>
    }
}

/// The first N nodes of `key`'s preference list: where it lives in a leaderless cluster.
pub fn home_replicas(
    nodes: usize,
    l: &replica_engine::scenario::Leaderless,
    key: &str,
) -> Vec<NodeId> {
    use replica_engine::strategy::leaderless::{preference, ring};
    let members: Vec<NodeId> = (0..nodes as NodeId).collect();
    let mut homes = preference(&ring(&members, l.vnodes), key);
    homes.truncate(l.n as usize);
    replica_engine::sort::sort(&mut homes);
    homes
}

/// Produces an export. The diagram and the cluster picture are exported from the page, so the
/// one not on screen is shown first and exported a moment later, once drawn.
fn export_now(model: &UseReducerHandle<Model>, x: Export) {
    let m = model.clone();
    let t = words::time(m.now()).replace(' ', "");
    let wants_diagram = matches!(x, Export::DiagramSvg | Export::DiagramPng);
    let picture = matches!(
        x,
        Export::ClusterSvg | Export::ClusterPng | Export::DiagramSvg | Export::DiagramPng
    );
    if picture && m.diagram != wants_diagram {
        model.dispatch(Action::Diagram(wants_diagram));
        let model = model.clone();
        gloo_timers::callback::Timeout::new(120, move || export_now(&model, x)).forget();
        return;
    }
    let name = |what: &str, ext: &str| format!("replica-lab-{what}-{t}.{ext}");
    match x {
        Export::ClusterSvg | Export::DiagramSvg | Export::ClusterPng | Export::DiagramPng => {
            let (what, svg) = if wants_diagram {
                ("diagram", export::diagram_svg())
            } else {
                ("cluster", export::cluster_svg(&m))
            };
            let png = matches!(x, Export::ClusterPng | Export::DiagramPng);
            match svg {
                Some((svg, w, h)) if png => export::download_png(svg, w, h, name(what, "png")),
                Some((svg, _, _)) => {
                    export::download_text(&svg, &name(what, "svg"), "image/svg+xml")
                }
                None => {}
            }
        }
        Export::History => export::download_text(
            &export::history_json(&m),
            &name("history", "json"),
            "application/json",
        ),
        Export::Scenario => export::download_text(
            &export::scenario_json(&m),
            "replica-lab-scenario.json",
            "application/json",
        ),
    }
}
