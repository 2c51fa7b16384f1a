//! Page components mounted on their own in headless Chromium: the inspector and the controls,
//! each driven by a real model through the same reducer the page uses.
//! `cargo test --target wasm32-unknown-unknown -p replica-lab --test components` with
//! `CHROMEDRIVER` set (`cargo xtask test` does this).
#![cfg(target_arch = "wasm32")]

use gloo_timers::future::TimeoutFuture;
use replica_engine::types::MS;
use replica_lab::components::controls::{Controls, ControlsView};
use replica_lab::components::inspector::{Inspect, Inspector};
use replica_lab::state::{Action, Kind, Model, Restart, Selection};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, HtmlInputElement};
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A model one virtual second into the default run, paused.
fn settled() -> Model {
    let m = Rc::new(Model::initial(false)).reduce(Action::Seek {
        t: 1000 * MS,
        pause: true,
    });
    (*m).clone()
}

#[function_component(InspectorHarness)]
fn inspector_harness() -> Html {
    let model = use_reducer(settled);
    let data = {
        let sim = model.sim.borrow();
        let snap = sim.snapshot();
        Inspect::build(&sim, &snap, Selection::Node(0)).map(Rc::new)
    };
    html! { <Inspector {data} dispatch={model.dispatcher()} /> }
}

#[function_component(ControlsHarness)]
fn controls_harness() -> Html {
    let model = use_reducer(settled);
    let view = {
        let sim = model.sim.borrow();
        let snap = sim.snapshot();
        ControlsView::of(&sim, &snap, Some(1))
    };
    html! { <Controls {view} dispatch={model.dispatcher()} /> }
}

fn mount<C: BaseComponent<Properties = ()>>() -> Element {
    let document = web_sys::window().unwrap().document().unwrap();
    let div = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&div).unwrap();
    yew::Renderer::<C>::with_root(div.clone()).render();
    div
}

fn text(root: &Element, selector: &str) -> String {
    root.query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("{selector} is rendered"))
        .text_content()
        .unwrap_or_default()
}

fn count(root: &Element, selector: &str) -> u32 {
    root.query_selector_all(selector).unwrap().length()
}

/// The button whose text is exactly `label`.
fn button(root: &Element, label: &str) -> Option<HtmlElement> {
    let all = root.query_selector_all("button").unwrap();
    (0..all.length())
        .filter_map(|i| all.item(i))
        .filter_map(|n| n.dyn_into::<HtmlElement>().ok())
        .find(|b| b.text_content().as_deref() == Some(label))
}

#[wasm_bindgen_test]
async fn inspector_shows_the_leaders_log_and_data_and_crashes_it() {
    let root = mount::<InspectorHarness>();
    TimeoutFuture::new(50).await;

    assert_eq!(text(&root, ".insp-head h2"), "n0");
    assert_eq!(text(&root, ".insp-head .pill"), "leader");
    assert!(
        text(&root, ".facts").contains("epoch 1"),
        "{}",
        text(&root, ".facts")
    );
    let log_rows = count(&root, "table.log tbody tr");
    assert!(log_rows >= 1, "a second of traffic leaves log entries");
    assert!(count(&root, "table.data tbody tr") >= 1);
    // Every column header is a real header cell.
    assert_eq!(count(&root, "table.log thead th[scope=col]"), 4);

    button(&root, "Crash n0").expect("a Crash button").click();
    TimeoutFuture::new(50).await;
    assert_eq!(text(&root, ".insp-head .pill.down"), "crashed");
    assert!(button(&root, "Restart n0").is_some());
    // The log is durable: it survives the crash.
    assert_eq!(count(&root, "table.log tbody tr"), log_rows);
}

#[wasm_bindgen_test]
async fn controls_label_every_input_and_act_on_the_run() {
    let root = mount::<ControlsHarness>();
    TimeoutFuture::new(50).await;

    // Every form control has a label that names it.
    let inputs = root.query_selector_all("input, select").unwrap();
    assert!(inputs.length() >= 10);
    for i in 0..inputs.length() {
        let el: Element = inputs.item(i).unwrap().dyn_into().unwrap();
        let id = el.id();
        assert!(!id.is_empty(), "{} has an id", el.outer_html());
        assert_eq!(
            count(&root, &format!("label[for=\"{id}\"]")),
            1,
            "#{id} has a label"
        );
    }
    let asynchronous: HtmlInputElement = root
        .query_selector("#mode-async")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    assert!(asynchronous.checked(), "the default run is asynchronous");
    assert!(
        button(&root, "Crash n1").is_some(),
        "the selected node can be crashed"
    );

    let heal = button(&root, "Heal all links").unwrap();
    assert!(heal.has_attribute("disabled"), "nothing to heal yet");
    button(&root, "Isolate the leader").unwrap().click();
    TimeoutFuture::new(50).await;
    let heal = button(&root, "Heal all links").unwrap();
    assert!(
        !heal.has_attribute("disabled"),
        "the partition can be healed"
    );

    button(&root, "Crash n1").unwrap().click();
    TimeoutFuture::new(50).await;
    assert!(button(&root, "Restart n1").is_some());
}

/// The default run, switched to multi-leader and settled for a virtual second.
fn multi_leader() -> Model {
    let m = Rc::new(Model::initial(false))
        .reduce(Action::Restart(Restart::Kind(Kind::MultiLeader)))
        .reduce(Action::Seek {
            t: 1000 * MS,
            pause: true,
        });
    (*m).clone()
}

#[function_component(StrategyHarness)]
fn strategy_harness() -> Html {
    let model = use_reducer(multi_leader);
    let view = {
        let sim = model.sim.borrow();
        let snap = sim.snapshot();
        ControlsView::of(&sim, &snap, None)
    };
    html! { <Controls {view} dispatch={model.dispatcher()} /> }
}

fn labelled_everywhere(root: &Element) {
    let inputs = root.query_selector_all("input, select").unwrap();
    for i in 0..inputs.length() {
        let el: Element = inputs.item(i).unwrap().dyn_into().unwrap();
        let id = el.id();
        assert!(!id.is_empty(), "{} has an id", el.outer_html());
        assert_eq!(
            count(root, &format!("label[for=\"{id}\"]")),
            1,
            "#{id} has a label"
        );
    }
}

#[wasm_bindgen_test]
async fn the_strategy_switch_shows_each_strategys_own_controls() {
    let root = mount::<StrategyHarness>();
    TimeoutFuture::new(50).await;

    let checked = |root: &Element| text(root, ".seg button[aria-checked=true]");
    assert_eq!(checked(&root), "Multi-leader");
    labelled_everywhere(&root);
    assert!(root.query_selector("#ml-topology").unwrap().is_some());
    assert!(root.query_selector("#ml-resolution").unwrap().is_some());
    assert!(root.query_selector("#clock-skew").unwrap().is_some());
    assert!(root.query_selector("#cross-sync").unwrap().is_some());
    assert!(button(&root, "Cut off region 0").is_some());

    button(&root, "Leaderless").unwrap().click();
    TimeoutFuture::new(50).await;
    assert_eq!(checked(&root), "Leaderless");
    labelled_everywhere(&root);
    for id in ["#sloppy", "#read-repair", "#anti-entropy", "#ll-resolution"] {
        assert!(root.query_selector(id).unwrap().is_some(), "{id}");
    }
    assert!(text(&root, ".controls").contains("W = how synchronous a write is"));
    assert!(root.query_selector("#ml-topology").unwrap().is_none());

    button(&root, "Single-leader").unwrap().click();
    TimeoutFuture::new(50).await;
    assert_eq!(checked(&root), "Single-leader");
    assert!(root.query_selector("#fencing").unwrap().is_some());
}

#[function_component(SpaceTimeHarness)]
fn space_time_harness() -> Html {
    let model = use_reducer(settled);
    let data = Rc::new(replica_lab::spacetime::build(
        &model.sim.borrow(),
        800 * MS,
        true,
    ));
    html! { <replica_lab::components::spacetime::SpaceTimeView {data} /> }
}

#[wasm_bindgen_test]
async fn space_time_diagram_draws_lanes_arrows_and_operations() {
    let root = mount::<SpaceTimeHarness>();
    TimeoutFuture::new(50).await;
    let count = |sel: &str| root.query_selector_all(sel).unwrap().length();
    // Three nodes and two clients, one second into the default run.
    assert_eq!(count(".st-lane"), 5);
    assert!(
        count(".st-msg") > 10,
        "heartbeats and replication are drawn"
    );
    assert!(
        count(".st-msg line[marker-end]") > 0,
        "delivered messages end in an arrowhead"
    );
    assert!(count(".st-span") > 0, "client operations are drawn");
    let label = root
        .query_selector("svg")
        .unwrap()
        .unwrap()
        .get_attribute("aria-label")
        .unwrap();
    assert!(
        label.starts_with("Space-time diagram of the last 800 ms"),
        "{label}"
    );
    assert!(text(&root, "figcaption").contains("1000.0 ms (now)"));
}
