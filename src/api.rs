//! `window.replicaLab`: the stable hook for tests and embedders.
//!
//! `version` is the page's crate version; `getState()` returns a JSON-able snapshot of the
//! simulation (virtual time, nodes with roles and up/down, messages in flight).

use crate::app::SharedSim;
use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;

/// Installs `window.replicaLab`. Closures are leaked on purpose: the hook lives as long as the page.
pub fn install(sim: SharedSim) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let api = Object::new();
    let _ = Reflect::set(&api, &"version".into(), &env!("CARGO_PKG_VERSION").into());
    let get_state = Closure::<dyn Fn() -> JsValue>::new(move || {
        let snap = sim.borrow().snapshot();
        let json = serde_json::to_string(&snap).unwrap_or_else(|_| "null".into());
        js_sys::JSON::parse(&json).unwrap_or(JsValue::NULL)
    });
    let f: &Function = get_state.as_ref().unchecked_ref();
    let _ = Reflect::set(&api, &"getState".into(), f);
    get_state.forget();
    let _ = Reflect::set(&window, &"replicaLab".into(), &api);
}
