//! The controls panel. Every control becomes either a schedule entry at the current virtual time
//! (`Action::Act`) or, for settings that belong to the run's configuration (node count, fencing,
//! seed), a fresh run (`Action::Restart`).

use crate::state::{on_click, Action, Model, Restart};
use replica_engine::scenario::MAX_TEXT;
use replica_engine::scenario::{Action as SimAction, ReadFrom, Strategy, SyncMode, Workload};
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
}

impl ControlsView {
    #[allow(unreachable_patterns)] // More strategies are coming.
    pub fn of(sim: &Simulation, snap: &Snapshot, selected: Option<NodeId>) -> Self {
        let cfg = sim.config();
        let nodes = &snap.nodes;
        let (mode, fencing) = match &cfg.strategy {
            Strategy::SingleLeader(sl) => (
                match sl.mode {
                    SyncMode::Sync => Mode::Sync,
                    SyncMode::SemiSync { k } => Mode::SemiSync(k),
                    SyncMode::Async => Mode::Async,
                },
                Some(sl.fencing),
            ),
            _ => (Mode::Other, None),
        };
        let leader = nodes
            .iter()
            .find(|s| s.up && s.role.name() == "leader")
            .map(|s| s.id);
        ControlsView {
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
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Unit {
    Percent,
    Ms,
    PerSecond,
}

fn show(v: f64, unit: Unit) -> String {
    match unit {
        Unit::Percent => format!("{v:.0} %"),
        Unit::Ms => format!("{v:.0} ms"),
        Unit::PerSecond => format!("{v:.1} /s"),
    }
}

/// One range input: its label, limits and current value.
pub struct Range {
    pub id: &'static str,
    pub label: &'static str,
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
fn range(r: Range, onchange: Callback<f64>) -> Html {
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
    let restart = |r: Restart| on_click(d, Action::Restart(r));
    let set_mode = |m: SyncMode| {
        let d = d.clone();
        Callback::from(move |_: Event| d.dispatch(Action::Act(SimAction::SetMode(m))))
    };
    let max_k = v.nodes.saturating_sub(1).max(1);
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
                        disabled={v.mode == Mode::Other} />
                    <span>{ label }</span>
                </label>
            }
        };

    let sel = v.selected;
    html! {
        <div class="controls">
            <fieldset>
                <legend>{ "Replication" }</legend>
                <div class="radios" role="radiogroup" aria-label="Followers">
                    <span class="group-label">{ "Followers:" }</span>
                    { mode_radio("mode-sync", "synchronous", SYNC_HINT, SyncMode::Sync, v.mode == Mode::Sync) }
                    <span class="semi">
                        { mode_radio("mode-semi", "semi-synchronous", SEMI_HINT, SyncMode::SemiSync { k }, matches!(v.mode, Mode::SemiSync(_))) }
                        <label class="k" for="semi-k" title="How many followers the leader waits for">{ "k =" }</label>
                        <input id="semi-k" type="number" min="1" max={max_k.to_string()} value={k.to_string()}
                            disabled={!matches!(v.mode, Mode::SemiSync(_))} onchange={on_k} />
                    </span>
                    { mode_radio("mode-async", "asynchronous", ASYNC_HINT, SyncMode::Async, v.mode == Mode::Async) }
                </div>
                <p class="hint">{ match v.mode {
                    Mode::Sync => SYNC_HINT,
                    Mode::SemiSync(_) => SEMI_HINT,
                    Mode::Async => ASYNC_HINT,
                    Mode::Other => "",
                } }</p>
                <div class="row">
                    <label class="check" title={FENCING_HINT} for="fencing">
                        <input type="checkbox" id="fencing" checked={v.fencing.unwrap_or(false)}
                            disabled={v.fencing.is_none()} onchange={on_fencing} />
                        { "Fencing" }
                    </label>
                    <span class="stepper" role="group" aria-label="Number of nodes (starts over)">
                        <span class="group-label">{ "Nodes" }</span>
                        <button aria-label="Fewer nodes (starts over)" disabled={v.nodes <= 1}
                            onclick={restart(Restart::Nodes(v.nodes.saturating_sub(1)))}>{ "−" }</button>
                        <output aria-live="polite">{ v.nodes }</output>
                        <button aria-label="More nodes (starts over)" disabled={v.nodes >= replica_engine::scenario::MAX_NODES}
                            onclick={restart(Restart::Nodes(v.nodes + 1))}>{ "+" }</button>
                    </span>
                </div>
                <p class="hint">{ "Fencing and the node count start the run over, with the same seed and traffic." }</p>
            </fieldset>

            <fieldset>
                <legend>{ "Failures" }</legend>
                <div class="buttons">
                    { match sel {
                        Some((n, true)) => html! { <button class="danger" onclick={act(SimAction::Crash(n))}>{ format!("Crash n{n}") }</button> },
                        Some((n, false)) => html! { <button class="good" onclick={act(SimAction::Restart(n))}>{ format!("Restart n{n}") }</button> },
                        None => html! { <button disabled=true title="Click a node in the picture first">{ "Crash selected node" }</button> },
                    } }
                    <button onclick={v.leader.map(|l| act(SimAction::Partition(vec![vec![l]])))}
                        disabled={v.leader.is_none()}
                        title="Cut every link between the leader and the other nodes">{ "Isolate the leader" }</button>
                    <button onclick={act(SimAction::Partition(vec![halves]))} disabled={v.nodes < 2}
                        title="Cut the cluster into two groups that cannot talk to each other">{ "Split in two halves" }</button>
                    <button class="good" onclick={act(SimAction::HealAll)} disabled={!v.any_cut}>{ "Heal all links" }</button>
                </div>
                if sel.is_none() {
                    <p class="hint">{ "Select a node in the picture to crash or restart it; select a link to cut it." }</p>
                }
                { range(Range { id: "loss", label: "Message loss", hint: "Share of node-to-node messages the network loses", min: 0.0, max: 50.0, step: 1.0, value: v.loss_pct, unit: Unit::Percent, disabled: false }, slider_act(|x| SimAction::SetLoss { link: None, loss_ppm: (x * 10_000.0) as u32 })) }
                { range(Range { id: "dup", label: "Duplication", hint: "Share of node-to-node messages delivered twice", min: 0.0, max: 50.0, step: 1.0, value: v.dup_pct, unit: Unit::Percent, disabled: false }, slider_act(|x| SimAction::SetDuplicate((x * 10_000.0) as u32))) }
            </fieldset>

            <fieldset>
                <legend>{ "Network latency" }</legend>
                { range(Range { id: "latency", label: "Base", hint: "One-way delay between two nodes", min: 1.0, max: 300.0, step: 1.0, value: v.latency_ms, unit: Unit::Ms, disabled: false }, on_latency) }
                { range(Range { id: "jitter", label: "Jitter", hint: "Up to this much extra delay, at random", min: 0.0, max: 200.0, step: 1.0, value: v.jitter_ms, unit: Unit::Ms, disabled: false }, on_jitter) }
            </fieldset>

            { client_form(v.nodes, v.clients, d) }
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
fn client_form(nodes: u16, clients: u16, d: &UseReducerDispatcher<Model>) -> Html {
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
            d.dispatch(Action::Act(SimAction::Write {
                client: client(),
                key,
                value,
                node: None,
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
            <div class="grid">
                <label for="cf-client">{ "Client" }</label>
                <select id="cf-client" disabled={none}>
                    { for (0..clients).map(|i| html! { <option value={i.to_string()} selected={i == 0}>{ format!("c{i}") }</option> }) }
                </select>
                <label for="cf-key">{ "Key" }</label>
                <input id="cf-key" type="text" maxlength="200" value="x" autocomplete="off" />
                <label for="cf-value">{ "Value" }</label>
                <input id="cf-value" type="text" maxlength="200" value="v1" autocomplete="off" />
                <button class="primary" onclick={on_write} disabled={none}>{ "Write" }</button>
                <label for="cf-from">{ "Read from" }</label>
                <select id="cf-from">
                    <option value="leader" selected=true>{ "the leader" }</option>
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
