//! The controls panel. Every control becomes either a schedule entry at the current virtual time
//! (`Action::Act`) or, for settings that belong to the run's configuration (node count, fencing,
//! seed), a fresh run (`Action::Restart`).
//!
//! At the top, a switch between the three strategies; below it, the chosen strategy's own
//! settings; then what every strategy shares (failures, latency, clients, traffic, seed).

use crate::state::{on_click, Action, Kind, Model, Restart, MAX_FOLLOWERS};
use crate::words;
use replica_engine::scenario::MAX_TEXT;
use replica_engine::scenario::{
    Action as SimAction, Clock, Leaderless, MultiLeader, ReadFrom, Resolution, Strategy, SyncMode,
    Topology, Workload,
};
use replica_engine::types::MS;
use replica_engine::{NodeId, Simulation, Snapshot};
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// How followers are replicated, as the controls show it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mode {
    Sync,
    SemiSync(u16),
    Async,
    /// A strategy these controls do not cover.
    Other,
}

/// Everything the controls show, read from the run's current configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct ControlsView {
    pub strategy: Strategy,
    pub nodes: u16,
    pub clients: u16,
    pub mode: Mode,
    pub fencing: Option<bool>,
    pub seed: u64,
    pub latency_ms: f64,
    pub jitter_ms: f64,
    pub loss_pct: f64,
    pub dup_pct: f64,
    pub workload: Option<Workload>,
    /// The selected node and whether it is up.
    pub selected: Option<(NodeId, bool)>,
    pub leader: Option<NodeId>,
    pub any_cut: bool,
    /// The node whose clock the clock slider sets (the selected one, else n0), and its offset
    /// in milliseconds.
    pub clock: (NodeId, f64),
    /// Single-leader: the engine's note when the election timeout was raised to fit latency.
    pub election_note: Option<String>,
}

impl ControlsView {
    pub fn of(sim: &Simulation, snap: &Snapshot, selected: Option<NodeId>) -> Self {
        let cfg = sim.config();
        let nodes = &snap.nodes;
        let mode_of = |m: SyncMode| match m {
            SyncMode::Sync => Mode::Sync,
            SyncMode::SemiSync { k } => Mode::SemiSync(k),
            SyncMode::Async => Mode::Async,
        };
        let (mode, fencing) = match &cfg.strategy {
            Strategy::SingleLeader(sl) => (mode_of(sl.mode), Some(sl.fencing)),
            Strategy::MultiLeader(ml) => (mode_of(ml.local_mode), None),
            Strategy::Leaderless(_) => (Mode::Other, None),
        };
        let clock_node = selected
            .filter(|n| (*n as usize) < nodes.len())
            .unwrap_or(0);
        let offset = cfg.clocks.get(&clock_node).map_or(0, |c| c.offset);
        let leader = nodes
            .iter()
            .find(|s| s.up && s.role.name() == "leader")
            .map(|s| s.id);
        ControlsView {
            strategy: cfg.strategy.clone(),
            nodes: nodes.len() as u16,
            clients: cfg.clients,
            mode,
            fencing,
            seed: sim.scenario().seed,
            latency_ms: cfg.net.latency as f64 / MS as f64,
            jitter_ms: cfg.net.jitter as f64 / MS as f64,
            loss_pct: cfg.net.loss_ppm as f64 / 10_000.0,
            dup_pct: cfg.net.duplicate_ppm as f64 / 10_000.0,
            workload: cfg.workload.clone(),
            selected: selected.and_then(|n| nodes.get(n as usize).map(|s| (n, s.up))),
            leader,
            any_cut: !snap.cut.is_empty(),
            clock: (clock_node, offset as f64 / MS as f64),
            election_note: sim.election_timeout().and_then(|e| e.note()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Unit {
    Percent,
    Ms,
    /// A clock offset: "+300 ms", "−50 ms".
    Offset,
    PerSecond,
}

fn show(v: f64, unit: Unit) -> String {
    match unit {
        Unit::Offset if v > 0.0 => format!("+{v:.0} ms"),
        Unit::Offset if v < 0.0 => format!("−{:.0} ms", -v),
        Unit::Offset => "exact".into(),
        Unit::Percent => format!("{v:.0} %"),
        Unit::Ms => format!("{v:.0} ms"),
        Unit::PerSecond => format!("{v:.1} /s"),
    }
}

/// One range input: its label, limits and current value.
pub struct Range<'a> {
    pub id: &'static str,
    pub label: &'a str,
    pub hint: &'static str,
    pub min: f64,
    pub max: f64,
    pub step: f64,
    pub value: f64,
    pub unit: Unit,
    pub disabled: bool,
}

/// A range input that shows its value while dragging and reports it once released (each change
/// is a schedule entry, so dragging must not make dozens). The value shown while dragging is
/// written straight into the `<output>`; the next render puts the model's value back.
///
/// The controls are plain functions rather than components: every component type costs the
/// bundle its own copy of Yew's lifecycle code.
fn range(r: Range<'_>, onchange: Callback<f64>) -> Html {
    let unit = r.unit;
    let oninput = Callback::from(move |e: InputEvent| {
        let input = e.target_unchecked_into::<HtmlInputElement>();
        let out = input
            .parent_element()
            .and_then(|p| p.query_selector("output").ok().flatten());
        if let Some(out) = out {
            out.set_text_content(Some(&show(input.value_as_number(), unit)));
        }
    });
    let onchange = Callback::from(move |e: Event| {
        let v = e
            .target_unchecked_into::<HtmlInputElement>()
            .value_as_number();
        if v.is_finite() {
            onchange.emit(v);
        }
    });
    html! {
        <div class="slider" title={r.hint}>
            <label for={r.id}>{ r.label }</label>
            <output for={r.id}>{ show(r.value, r.unit) }</output>
            <input type="range" id={r.id} min={r.min.to_string()} max={r.max.to_string()}
                step={r.step.to_string()} value={r.value.to_string()} disabled={r.disabled}
                {oninput} {onchange} />
        </div>
    }
}

/// The value of the form field with this id (inputs and selects are left uncontrolled: the page
/// reads them when a button is pressed).
fn field(id: &str) -> String {
    let el = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id));
    match el {
        Some(el) => match el.dyn_into::<HtmlInputElement>() {
            Ok(i) => i.value(),
            Err(el) => el
                .dyn_into::<HtmlSelectElement>()
                .map(|s| s.value())
                .unwrap_or_default(),
        },
        None => String::new(),
    }
}

fn set_field(id: &str, value: &str) {
    if let Some(i) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
    {
        i.set_value(value);
    }
}

#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    pub view: ControlsView,
    pub dispatch: UseReducerDispatcher<Model>,
}

const SYNC_HINT: &str = "The leader confirms a write only when every follower has it: no acknowledged write is lost, but one slow or dead follower stalls all writes.";
const SEMI_HINT: &str = "The leader waits for k followers (replacing one that fails): a middle ground between safety and speed.";
const ASYNC_HINT: &str = "The leader confirms at once and ships the write afterwards: fast, but a leader crash can lose acknowledged writes.";
const FENCING_HINT: &str = "A leader that cannot reach a majority steps down before another can be elected, so two leaders never accept writes at once.";

#[function_component(Controls)]
pub fn controls(p: &ControlsProps) -> Html {
    let v = &p.view;
    let d = &p.dispatch;
    let act = |a: SimAction| on_click(d, Action::Act(a));
    let set_mode = |m: SyncMode| {
        let d = d.clone();
        Callback::from(move |_: Event| d.dispatch(Action::Act(SimAction::SetMode(m))))
    };
    let ml = match &v.strategy {
        Strategy::MultiLeader(ml) => Some(ml.clone()),
        _ => None,
    };
    let max_k = match &ml {
        Some(ml) => ml.followers.max(1),
        None => v.nodes.saturating_sub(1).max(1),
    };
    let no_followers = ml.as_ref().is_some_and(|ml| ml.followers == 0);
    let k = match v.mode {
        Mode::SemiSync(k) => k,
        _ => 1,
    };
    let on_k = {
        let d = d.clone();
        Callback::from(move |e: Event| {
            let x = e
                .target_unchecked_into::<HtmlInputElement>()
                .value_as_number();
            if x.is_finite() && x >= 1.0 {
                let k = (x as u16).min(max_k);
                d.dispatch(Action::Act(SimAction::SetMode(SyncMode::SemiSync { k })));
            }
        })
    };
    let on_fencing = {
        let d = d.clone();
        Callback::from(move |e: Event| {
            let on = e.target_unchecked_into::<HtmlInputElement>().checked();
            d.dispatch(Action::Restart(Restart::Fencing(on)))
        })
    };
    let slider_act = |f: fn(f64) -> SimAction| {
        let d = d.clone();
        Callback::from(move |x: f64| d.dispatch(Action::Act(f(x))))
    };
    let jitter = v.jitter_ms;
    let on_latency = {
        let d = d.clone();
        Callback::from(move |x: f64| {
            d.dispatch(Action::Act(SimAction::SetLatency {
                link: None,
                latency: (x * MS as f64) as u64,
                jitter: Some((jitter * MS as f64) as u64),
            }))
        })
    };
    let latency = v.latency_ms;
    let on_jitter = {
        let d = d.clone();
        Callback::from(move |x: f64| {
            d.dispatch(Action::Act(SimAction::SetLatency {
                link: None,
                latency: (latency * MS as f64) as u64,
                jitter: Some((x * MS as f64) as u64),
            }))
        })
    };
    let rate = v
        .workload
        .as_ref()
        .filter(|w| w.write_every > 0)
        .map_or(1.7, |w| 1e6 / w.write_every as f64);
    let workload_at = {
        let w = v.workload.clone();
        move |rate: f64| {
            let every = (1e6 / rate.clamp(0.1, 20.0)) as u64;
            SimAction::SetWorkload(Some(Workload {
                write_every: every,
                read_every: every * 3 / 2,
                keys: w.as_ref().map_or(3, |w| w.keys),
                read_from: w.as_ref().map_or(ReadFrom::Nearest, |w| w.read_from),
            }))
        }
    };
    let on_workload = {
        let (d, at) = (d.clone(), workload_at.clone());
        Callback::from(move |e: Event| {
            let on = e.target_unchecked_into::<HtmlInputElement>().checked();
            let a = if on {
                at(rate)
            } else {
                SimAction::SetWorkload(None)
            };
            d.dispatch(Action::Act(a))
        })
    };
    let on_rate = {
        let d = d.clone();
        Callback::from(move |x: f64| d.dispatch(Action::Act(workload_at(x))))
    };
    let halves: Vec<NodeId> = (0..v.nodes / 2).collect();

    let mode_radio =
        |id: &'static str, label: &'static str, hint: &'static str, m: SyncMode, on: bool| {
            html! {
                <label class="radio" title={hint} for={id}>
                    <input type="radio" name="mode" id={id} checked={on} onchange={set_mode(m)}
                        disabled={v.mode == Mode::Other || no_followers} />
                    <span>{ label }</span>
                </label>
            }
        };

    let modes = html! { <>
        <div class="radios" role="radiogroup" aria-label={if ml.is_some() { "Local followers" } else { "Followers" }}>
            <span class="group-label">{ if ml.is_some() { "Each leader's own followers:" } else { "Followers:" } }</span>
            { mode_radio("mode-sync", "synchronous", SYNC_HINT, SyncMode::Sync, v.mode == Mode::Sync) }
            <span class="semi">
                { mode_radio("mode-semi", "semi-synchronous", SEMI_HINT, SyncMode::SemiSync { k }, matches!(v.mode, Mode::SemiSync(_))) }
                <label class="k" for="semi-k" title="How many followers the leader waits for">{ "k =" }</label>
                <input id="semi-k" type="number" min="1" max={max_k.to_string()} value={k.to_string()}
                    disabled={!matches!(v.mode, Mode::SemiSync(_)) || no_followers} onchange={on_k} />
            </span>
            { mode_radio("mode-async", "asynchronous", ASYNC_HINT, SyncMode::Async, v.mode == Mode::Async) }
        </div>
        <p class="hint">{ if no_followers { "No followers: add some above to choose how leaders replicate to them." } else { match v.mode {
            Mode::Sync => SYNC_HINT,
            Mode::SemiSync(_) => SEMI_HINT,
            Mode::Async => ASYNC_HINT,
            Mode::Other => "",
        } } }</p>
    </> };
    let replication = match &v.strategy {
        Strategy::SingleLeader(_) => html! { <>
            { modes }
            <div class="row">
                <label class="check" title={FENCING_HINT} for="fencing">
                    <input type="checkbox" id="fencing" checked={v.fencing.unwrap_or(false)}
                        disabled={v.fencing.is_none()} onchange={on_fencing} />
                    { "Fencing" }
                </label>
                { stepper("Nodes", "nodes", v.nodes, 1, replica_engine::scenario::MAX_NODES, " (starts over)", |n| Action::Restart(Restart::Nodes(n)), d) }
            </div>
            <p class="hint">{ "Fencing and the node count start the run over, with the same seed and traffic." }</p>
            <div class="row">
                <button disabled={v.nodes >= replica_engine::scenario::MAX_NODES}
                    title="A new, empty follower joins the running cluster"
                    onclick={on_click(d, Action::Act(SimAction::AddNode))}>{ "Add a follower now" }</button>
            </div>
            <p class="hint">{ "It joins live and catches up: a snapshot of the leader's data, then the log." }</p>
        </> },
        Strategy::MultiLeader(ml) => multi_leader(ml, modes, v, d),
        Strategy::Leaderless(l) => leaderless(l, v.nodes, d),
    };
    // "Isolate": the leader, a region, or one replica, depending on the strategy.
    let (isolate_label, isolate) = match (&v.strategy, v.selected) {
        (Strategy::SingleLeader(_), _) => {
            ("Isolate the leader".to_string(), v.leader.map(|l| vec![l]))
        }
        (Strategy::MultiLeader(ml), s) => {
            let r = ml.region_of(s.map_or(0, |s| s.0));
            let nodes: Vec<NodeId> = (0..ml.nodes()).filter(|&n| ml.region_of(n) == r).collect();
            (format!("Cut off region {r}"), Some(nodes))
        }
        (Strategy::Leaderless(_), s) => {
            let n = s.map_or(0, |s| s.0);
            (format!("Isolate n{n}"), Some(vec![n]))
        }
    };

    let sel = v.selected;
    html! {
        <div class="controls">
            { switch(Kind::of(&v.strategy), d) }
            <fieldset>
                <legend>{ "Replication" }</legend>
                { replication }
            </fieldset>

            <fieldset>
                <legend>{ "Failures" }</legend>
                <div class="buttons">
                    { match sel {
                        Some((n, true)) => html! { <button class="danger" onclick={act(SimAction::Crash(n))}>{ format!("Crash n{n}") }</button> },
                        Some((n, false)) => html! { <button class="good" onclick={act(SimAction::Restart(n))}>{ format!("Restart n{n}") }</button> },
                        None => html! { <button disabled=true title="Click a node in the picture first">{ "Crash selected node" }</button> },
                    } }
                    <button onclick={isolate.clone().map(|g| act(SimAction::Partition(vec![g])))}
                        disabled={isolate.is_none()}
                        title="Cut every link between these nodes and the rest">{ isolate_label }</button>
                    <button onclick={act(SimAction::Partition(vec![halves]))} disabled={v.nodes < 2}
                        title="Cut the cluster into two groups that cannot talk to each other">{ "Split in two halves" }</button>
                    <button class="good" onclick={act(SimAction::HealAll)} disabled={!v.any_cut}>{ "Heal all links" }</button>
                </div>
                if sel.is_none() {
                    <p class="hint">{ "Select a node in the picture to crash or restart it; select a link to cut it." }</p>
                }
                if ml.is_none() {
                    { clock_row(v.clock, d) }
                }
                { range(Range { id: "loss", label: "Message loss", hint: "Share of node-to-node messages the network loses", min: 0.0, max: 50.0, step: 1.0, value: v.loss_pct, unit: Unit::Percent, disabled: false }, slider_act(|x| SimAction::SetLoss { link: None, loss_ppm: (x * 10_000.0) as u32 })) }
                { range(Range { id: "dup", label: "Duplication", hint: "Share of node-to-node messages delivered twice", min: 0.0, max: 50.0, step: 1.0, value: v.dup_pct, unit: Unit::Percent, disabled: false }, slider_act(|x| SimAction::SetDuplicate((x * 10_000.0) as u32))) }
            </fieldset>

            <fieldset>
                <legend>{ "Network latency" }</legend>
                { range(Range { id: "latency", label: "Base", hint: "One-way delay between two nodes", min: 1.0, max: 300.0, step: 1.0, value: v.latency_ms, unit: Unit::Ms, disabled: false }, on_latency) }
                { range(Range { id: "jitter", label: "Jitter", hint: "Up to this much extra delay, at random", min: 0.0, max: 200.0, step: 1.0, value: v.jitter_ms, unit: Unit::Ms, disabled: false }, on_jitter) }
                if let Some(note) = &v.election_note {
                    <p class="hint" id="election-note" title="A follower stands for election when it hears no leader for the election timeout; with slow links a leader could not keep its followers, so the timeout follows the slowest link (see the scenario format).">
                        { format!("Slow network: {note}.") }
                    </p>
                }
            </fieldset>

            { client_form(v.nodes, v.clients, &v.strategy, d) }
            <fieldset>
                <legend>{ "Background traffic" }</legend>
                <label class="check" for="workload">
                    <input type="checkbox" id="workload" checked={v.workload.is_some()} onchange={on_workload} />
                    { "Clients write and read on their own" }
                </label>
                { range(Range { id: "rate", label: "Writes per client", hint: "How often each client writes (in virtual time); it reads two thirds as often", min: 0.2, max: 10.0, step: 0.1, value: (rate * 10.0).round() / 10.0, unit: Unit::PerSecond, disabled: v.workload.is_none() }, on_rate) }
            </fieldset>

            { seed_form(v.seed, d) }
        </div>
    }
}

/// Writes and reads by hand. The fields are read when a button is pressed.
fn client_form(
    nodes: u16,
    clients: u16,
    strategy: &Strategy,
    d: &UseReducerDispatcher<Model>,
) -> Html {
    // Where a write can be sent: single-leader clients write to the leader they know, or to a
    // node that redirects them; multi-leader writes go to a leader; leaderless ones to any node,
    // which coordinates.
    let targets: Vec<NodeId> = match strategy {
        Strategy::SingleLeader(_) => (0..nodes).collect(),
        Strategy::MultiLeader(ml) => (0..ml.regions).map(|r| ml.leader_of(r)).collect(),
        Strategy::Leaderless(_) => (0..nodes).collect(),
    };
    let leaderless = matches!(strategy, Strategy::Leaderless(_));
    let focus = {
        let d = d.clone();
        move |key: &str| {
            if leaderless {
                d.dispatch(Action::FocusKey(Some(key.to_string())));
            }
        }
    };
    let focus2 = focus.clone();
    let text = |id: &str| -> String { field(id).chars().take(MAX_TEXT).collect() };
    let client = move || {
        field("cf-client")
            .parse::<u16>()
            .unwrap_or(0)
            .min(clients.saturating_sub(1))
    };
    let on_write = {
        let d = d.clone();
        Callback::from(move |_: MouseEvent| {
            let (key, value) = (text("cf-key"), text("cf-value"));
            if key.is_empty() {
                return;
            }
            // "v7" becomes "v8", so repeated writes are told apart.
            if let Some(n) = value.strip_prefix('v').and_then(|n| n.parse::<u64>().ok()) {
                set_field("cf-value", &format!("v{}", n + 1));
            }
            focus(&key);
            let node = field("cf-to").parse::<NodeId>().ok().filter(|n| *n < nodes);
            d.dispatch(Action::Act(SimAction::Write {
                client: client(),
                key,
                value,
                node,
            }));
        })
    };
    let on_read = {
        let d = d.clone();
        Callback::from(move |_: MouseEvent| {
            let key = text("cf-key");
            if key.is_empty() {
                return;
            }
            focus2(&key);
            let from = match field("cf-from").as_str() {
                "nearest" => ReadFrom::Nearest,
                n => n
                    .parse::<NodeId>()
                    .ok()
                    .filter(|n| *n < nodes)
                    .map_or(ReadFrom::Leader, ReadFrom::Node),
            };
            d.dispatch(Action::Act(SimAction::Read {
                client: client(),
                key,
                from,
            }))
        })
    };
    let none = clients == 0;
    html! {
        <fieldset class="client-form">
            <legend>{ "Clients" }</legend>
            <div class={classes!("grid", (!targets.is_empty()).then_some("to"))}>
                <label for="cf-client">{ "Client" }</label>
                <select id="cf-client" disabled={none}>
                    { for (0..clients).map(|i| html! { <option value={i.to_string()} selected={i == 0}>{ format!("c{i}") }</option> }) }
                </select>
                <label for="cf-key">{ "Key" }</label>
                <input id="cf-key" type="text" maxlength="200" value="x" autocomplete="off" />
                <label for="cf-value">{ "Value" }</label>
                <input id="cf-value" type="text" maxlength="200" value="v1" autocomplete="off" />
                if !targets.is_empty() {
                    <label for="cf-to">{ "Write to" }</label>
                    <select id="cf-to">
                        <option value="home" selected=true>{ match strategy {
                            Strategy::SingleLeader(_) => "the leader it knows",
                            Strategy::MultiLeader(_) => "its region's leader",
                            Strategy::Leaderless(_) => "its own node",
                        } }</option>
                        { for targets.iter().map(|n| html! { <option value={n.to_string()}>{ format!("n{n}") }</option> }) }
                    </select>
                }
                <button class="primary" onclick={on_write} disabled={none}>{ "Write" }</button>
                <label for="cf-from">{ "Read from" }</label>
                <select id="cf-from">
                    <option value="leader" selected=true>{ match strategy {
                        Strategy::SingleLeader(_) => "the leader",
                        Strategy::MultiLeader(_) => "its region's leader",
                        Strategy::Leaderless(_) => "its own node",
                    } }</option>
                    <option value="nearest">{ "nearest node" }</option>
                    { for (0..nodes).map(|n| html! { <option value={n.to_string()}>{ format!("n{n}") }</option> }) }
                </select>
                <button onclick={on_read} disabled={none}>{ "Read" }</button>
            </div>
        </fieldset>
    }
}

/// The seed decides every random choice (latency jitter, losses, timeouts).
fn seed_form(seed: u64, d: &UseReducerDispatcher<Model>) -> Html {
    let go = {
        let d = d.clone();
        Callback::from(move |_: MouseEvent| {
            let s = field("seed").trim().parse().unwrap_or(seed);
            d.dispatch(Action::Restart(Restart::Seed(s)))
        })
    };
    html! {
        <fieldset>
            <legend>{ "Run" }</legend>
            <div class="row">
                <label for="seed" title="Every random choice (jitter, losses, timeouts) follows from the seed">{ "Seed" }</label>
                <input id="seed" type="number" min="0" value={seed.to_string()} class="seed" />
                <button onclick={go}>{ "Start over" }</button>
                <button onclick={on_click(d, Action::Restart(Restart::Seed(seed.wrapping_add(1))))}
                    title="Start over with the next seed">{ "Next seed" }</button>
            </div>
        </fieldset>
    }
}

/// The strategy switch: a segmented control (keys 1, 2, 3). Switching starts the run over with
/// the same seed and traffic, so the strategies are compared on the same workload.
fn switch(kind: Kind, d: &UseReducerDispatcher<Model>) -> Html {
    html! {
        <div class="seg" role="radiogroup" aria-label="Replication strategy (starts over)">
            { for Kind::ALL.iter().enumerate().map(|(i, &k)| {
                let on = k == kind;
                html! {
                    <button role="radio" aria-checked={on.to_string()} class={classes!(on.then_some("on"))}
                        title={format!("{} (key {})", k.label(), i + 1)}
                        onclick={on_click(d, Action::Restart(Restart::Kind(k)))}>{ k.label() }</button>
                }
            }) }
        </div>
    }
}

/// A − value + stepper. `note` is appended to the buttons' names (" (starts over)").
#[allow(clippy::too_many_arguments)]
fn stepper(
    label: &str,
    noun: &str,
    value: u16,
    min: u16,
    max: u16,
    note: &str,
    to: impl Fn(u16) -> Action,
    d: &UseReducerDispatcher<Model>,
) -> Html {
    html! {
        <span class="stepper" role="group" aria-label={format!("{label}{note}")}>
            <span class="group-label">{ label }</span>
            <button aria-label={format!("Fewer {noun}{note}")} disabled={value <= min}
                onclick={on_click(d, to(value.saturating_sub(1).max(min)))}>{ "−" }</button>
            <output aria-live="polite">{ value }</output>
            <button aria-label={format!("More {noun}{note}")} disabled={value >= max}
                onclick={on_click(d, to((value + 1).min(max)))}>{ "+" }</button>
        </span>
    }
}

/// A labelled `<select>`; `to` turns the chosen option's index into an action.
fn choice(
    id: &'static str,
    label: &str,
    options: &[&str],
    selected: usize,
    to: impl Fn(usize) -> Option<Action> + 'static,
    d: &UseReducerDispatcher<Model>,
) -> Html {
    let d = d.clone();
    let onchange = Callback::from(move |e: Event| {
        let i = e
            .target_unchecked_into::<HtmlSelectElement>()
            .selected_index();
        if let Some(a) = usize::try_from(i).ok().and_then(&to) {
            d.dispatch(a);
        }
    });
    html! {
        <div class="choice">
            <label for={id}>{ label }</label>
            <select {id} {onchange}>
                { for options.iter().enumerate().map(|(i, o)| html! { <option selected={i == selected}>{ *o }</option> }) }
            </select>
        </div>
    }
}

/// A checkbox with a one-line explanation under it.
fn toggle(
    id: &'static str,
    label: &str,
    hint: &str,
    on: bool,
    to: impl Fn(bool) -> Action + 'static,
    d: &UseReducerDispatcher<Model>,
) -> Html {
    let d = d.clone();
    let onchange = Callback::from(move |e: Event| {
        d.dispatch(to(e.target_unchecked_into::<HtmlInputElement>().checked()))
    });
    html! { <>
        <label class="check" for={id}>
            <input type="checkbox" {id} checked={on} {onchange} />
            { label }
        </label>
        <p class="hint">{ hint }</p>
    </> }
}

/// The clock of one node: the selected one, else n0. Skewed clocks are what make last write
/// wins discard causally later writes.
fn clock_row((node, ms): (NodeId, f64), d: &UseReducerDispatcher<Model>) -> Html {
    let set = move |offset: f64| {
        Action::Act(SimAction::SetClock {
            node,
            clock: Clock {
                offset: (offset * MS as f64) as i64,
                drift_ppm: 0,
            },
        })
    };
    let on = {
        let d = d.clone();
        Callback::from(move |x: f64| d.dispatch(set(x)))
    };
    let label = format!("Clock of n{node}");
    html! { <>
        { range(Range { id: "clock-skew", label: &label, hint: "How far this node's wall clock is off: last-write-wins trusts these timestamps", min: -1000.0, max: 1000.0, step: 10.0, value: ms, unit: Unit::Offset, disabled: false }, on) }
        <div class="row clock-row">
            <span class="hint">{ "Select a node in the picture to skew its clock instead." }</span>
            <button class="small" aria-label={format!("Reset n{node}'s clock")} disabled={ms == 0.0}
                onclick={on_click(d, set(0.0))}>{ "Reset" }</button>
        </div>
    </> }
}

const REGIONS_HINT: &str = "Each region has its own leader, which accepts its clients' writes at once and passes them on to the other leaders.";
const CROSS_SYNC_HINT: &str = "A leader confirms a write only once every other region's leader has it: no conflicts go unnoticed, but a cut-off region stalls writes.";

fn multi_leader(
    ml: &MultiLeader,
    modes: Html,
    v: &ControlsView,
    d: &UseReducerDispatcher<Model>,
) -> Html {
    let with = {
        let ml = ml.clone();
        move |f: &dyn Fn(&mut MultiLeader)| {
            let mut m = ml.clone();
            f(&mut m);
            Action::Restart(Restart::Strategy(Strategy::MultiLeader(m)))
        }
    };
    const TOPOLOGIES: [Topology; 3] = [Topology::AllToAll, Topology::Circular, Topology::Star];
    const RESOLUTIONS: [Resolution; 4] = [
        Resolution::LastWriteWins,
        Resolution::HighestReplica,
        Resolution::Siblings,
        Resolution::Union,
    ];
    const LOCAL_MS: [u64; 4] = [1, 5, 20, 60];
    let local_at = LOCAL_MS
        .iter()
        .position(|ms| ms * 1000 == ml.local_latency)
        .unwrap_or(1);
    let (w1, w2, w3, w4, w5) = (with.clone(), with.clone(), with.clone(), with.clone(), with);
    html! { <>
        <div class="row">
            { stepper("Regions", "regions", ml.regions, 2, 5, " (starts over)", move |n| w1(&|m| m.regions = n), d) }
            { stepper("Followers each", "followers per region", ml.followers, 0, MAX_FOLLOWERS, " (starts over)", move |n| w2(&|m| m.followers = n), d) }
        </div>
        <p class="hint">{ REGIONS_HINT }</p>
        { choice("ml-resolution", "Concurrent writes", &RESOLUTIONS.map(words::resolution), RESOLUTIONS.iter().position(|r| *r == ml.resolution).unwrap_or(0),
            move |i| RESOLUTIONS.get(i).map(|&r| w4(&|m| m.resolution = r)), d) }
        <p class="hint">{ words::resolution_hint(ml.resolution) }</p>
        { clock_row(v.clock, d) }
        { choice("ml-topology", "Leaders replicate", &TOPOLOGIES.map(words::topology), TOPOLOGIES.iter().position(|t| *t == ml.topology).unwrap_or(0),
            move |i| TOPOLOGIES.get(i).map(|&t| w3(&|m| m.topology = t)), d) }
        <p class="hint">{ words::topology_hint(ml.topology) }</p>
        { choice("ml-local-latency", "Latency inside a region", &["1 ms", "5 ms", "20 ms", "60 ms"], local_at,
            move |i| LOCAL_MS.get(i).map(|&ms| w5(&|m| m.local_latency = ms * 1000)), d) }
        <p class="hint">{ "Between regions, messages take the network latency below (starts over)." }</p>
        { toggle("cross-sync", "Wait for other regions", CROSS_SYNC_HINT, ml.cross_sync, {
            let ml = ml.clone();
            move |on| Action::Restart(Restart::Strategy(Strategy::MultiLeader(MultiLeader { cross_sync: on, ..ml.clone() })))
        }, d) }
        { modes }
    </> }
}

const QUORUM_HINT: &str = "W = how synchronous a write is: it succeeds once W of the key's N replicas have it. R = how many replicas must answer a read. With W + R > N every read reaches a replica that has the newest write.";
const SLOPPY_HINT: &str = "When home replicas do not answer, write to other nodes, which keep the write as a hint and hand it back later: writes keep succeeding, reads can miss them.";
const REPAIR_HINT: &str = "A read that finds a stale replica writes the newest version back to it.";
const AE_HINT: &str =
    "Replicas regularly compare their data in the background and copy what the other is missing.";

fn leaderless(l: &Leaderless, nodes: u16, d: &UseReducerDispatcher<Model>) -> Html {
    let restart = {
        let l = l.clone();
        move |f: &dyn Fn(&mut Leaderless)| {
            let mut x = l.clone();
            f(&mut x);
            Action::Restart(Restart::Strategy(Strategy::Leaderless(x)))
        }
    };
    let (w, r) = (l.w, l.r);
    const RESOLUTIONS: [Resolution; 3] = [
        Resolution::LastWriteWins,
        Resolution::Siblings,
        Resolution::Union,
    ];
    let (r1, r2, r3, r4, r5, r6) = (
        restart.clone(),
        restart.clone(),
        restart.clone(),
        restart.clone(),
        restart.clone(),
        restart,
    );
    let ae_ms = if l.anti_entropy > 0 {
        l.anti_entropy as f64 / MS as f64
    } else {
        500.0
    };
    let on_ae_every = {
        let d = d.clone();
        Callback::from(move |x: f64| d.dispatch(r6(&|m| m.anti_entropy = (x * MS as f64) as u64)))
    };
    html! { <>
        <div class="row">
            { stepper("Nodes", "nodes", nodes, 3, 9, " (starts over)", |n| Action::Restart(Restart::Nodes(n)), d) }
            { stepper("N", "replicas per key", l.n, 1, nodes, " (starts over)", move |n| r1(&|m| m.n = n), d) }
        </div>
        <div class="row">
            { stepper("W", "write acknowledgements (W)", w, 1, l.n, "", move |w| Action::Act(SimAction::SetQuorum { w, r }), d) }
            { stepper("R", "read answers (R)", r, 1, l.n, "", move |r| Action::Act(SimAction::SetQuorum { w, r }), d) }
        </div>
        <p class="hint">{ QUORUM_HINT }</p>
        { choice("ll-resolution", "Concurrent writes", &RESOLUTIONS.map(words::resolution), RESOLUTIONS.iter().position(|r| *r == l.resolution).unwrap_or(0),
            move |i| RESOLUTIONS.get(i).map(|&x| r2(&|m| m.resolution = x)), d) }
        <p class="hint">{ words::resolution_hint(l.resolution) }</p>
        { toggle("sloppy", "Sloppy quorum + hinted handoff", SLOPPY_HINT, l.sloppy, move |on| r3(&|m| m.sloppy = on), d) }
        { toggle("read-repair", "Read repair", REPAIR_HINT, l.read_repair, move |on| r4(&|m| m.read_repair = on), d) }
        { toggle("anti-entropy", "Anti-entropy", AE_HINT, l.anti_entropy > 0, move |on| r5(&|m| m.anti_entropy = if on { (ae_ms * MS as f64) as u64 } else { 0 }), d) }
        { range(Range { id: "ae-every", label: "Anti-entropy every", hint: "How often each replica compares its data with another (starts over)", min: 100.0, max: 2000.0, step: 50.0, value: ae_ms, unit: Unit::Ms, disabled: l.anti_entropy == 0 }, on_ae_every) }
        <p class="hint">{ "N, the node count, resolution and the toggles start the run over; W and R change live." }</p>
    </> }
}
