//! The page mounted in a real browser (headless Chromium through wasm-bindgen-test-runner):
//! `cargo test --target wasm32-unknown-unknown -p replica-lab` with `CHROMEDRIVER` set
//! (`cargo xtask test` does this).
#![cfg(target_arch = "wasm32")]

use gloo_timers::future::TimeoutFuture;
use js_sys::{Function, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;
use web_sys::Element;

wasm_bindgen_test_configure!(run_in_browser);

/// `root.querySelectorAll(selector).length`, without needing web-sys's NodeList feature.
fn count(root: &Element, selector: &str) -> u32 {
    let qsa: Function = Reflect::get(root, &"querySelectorAll".into())
        .expect("querySelectorAll")
        .unchecked_into();
    let list = qsa
        .call1(root, &JsValue::from_str(selector))
        .expect("valid selector");
    Reflect::get(&list, &"length".into())
        .ok()
        .and_then(|n| n.as_f64())
        .expect("NodeList.length") as u32
}

/// `window.replicaLab.getState().nodes.length`.
fn api_node_count() -> u32 {
    let window = web_sys::window().expect("window");
    let api = Reflect::get(&window, &"replicaLab".into()).expect("window.replicaLab");
    assert!(!api.is_undefined(), "window.replicaLab is installed");
    let get_state: Function = Reflect::get(&api, &"getState".into())
        .expect("getState")
        .unchecked_into();
    let state = get_state.call0(&api).expect("getState()");
    let nodes = Reflect::get(&state, &"nodes".into()).expect("nodes");
    Reflect::get(&nodes, &"length".into())
        .ok()
        .and_then(|n| n.as_f64())
        .expect("nodes.length") as u32
}

#[wasm_bindgen_test]
async fn app_mounts_and_draws_the_cluster() {
    let document = web_sys::window().unwrap().document().unwrap();
    let div = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&div).unwrap();

    yew::Renderer::<replica_lab::App>::with_root(div.clone()).render();
    TimeoutFuture::new(50).await;

    let nodes = count(&div, "svg.cluster g.node");
    assert!(nodes >= 3, "at least 3 nodes drawn, got {nodes}");
    assert_eq!(
        count(&div, "svg.cluster g.node.leader"),
        1,
        "exactly one leader"
    );
    assert_eq!(
        nodes,
        api_node_count(),
        "DOM nodes == replicaLab.getState().nodes"
    );
}
