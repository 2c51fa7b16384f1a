//! `window.replicaLab`: the stable hook for tests and embedders.
//!
//! - `version`: the page's crate version;
//! - `getState()`: the snapshot the page draws (virtual time, nodes, clients, messages in flight,
//!   cut links) plus `trace_start` (how many of the oldest trace events are no longer kept),
//!   `history` (the operations kept, from id `history_start`), `anomalies`,
//!   `playing`, `speed`, `max_time_us` and `settings`, the strategy's settings (`kind` = `strategy`, then e.g. `regions`, `topology`,
//!   `resolution` or `n`, `w`, `r`, with the scenario format's names and values);
//! - `play()`, `pause()`, `seek(ms)`, `step()`: time control, as the buttons do it;
//! - `link()`: the link (URL fragment body) for what is on screen now; `load(link)`: open a link
//!   (a full URL, a fragment or its body), as the address bar would;
//! - `apply(action)`: one action in the scenario wire format without `at_ms`, as a JSON string or
//!   an object, e.g. `{"do":"crash","node":0}`, scheduled at the current virtual time.
//!
//! - `benchRun([name, events])`, `benchLoad([name, events])`: for `cargo xtask bench` only. The first
//!   runs the engine's benchmark scenario `name` (see `replica_engine::bench::all`) for `events`
//!   events in a fresh simulation, leaving the page's run alone (the caller times it); the second
//!   replaces the page's run with that scenario run to `events` events, paused there.
//!
//! Every function returns a value and never throws: `{ok: true}` or `{ok: false, error}`.
//! Everything goes through the same reducer as the page's own controls.

use crate::state::{Action, Model};
use js_sys::{Function, Object, Reflect};
use replica_engine::scenario::{Strategy, SyncMode};
use replica_engine::types::{Time, MS};
use wasm_bindgen::prelude::*;
use yew::UseReducerHandle;

fn set(o: &Object, k: &str, v: &JsValue) {
    let _ = Reflect::set(o, &JsValue::from_str(k), v);
}

fn ok() -> JsValue {
    let o = Object::new();
    set(&o, "ok", &JsValue::TRUE);
    o.into()
}

fn err(msg: &str) -> JsValue {
    let o = Object::new();
    set(&o, "ok", &JsValue::FALSE);
    set(&o, "error", &JsValue::from_str(msg));
    o.into()
}

/// The state as JSON text, or `None` while the simulation is busy (never, between frames).
/// The snapshot's object is extended in place rather than through `serde_json::Value`, which
/// would cost the bundle a second JSON model.
pub fn state_json(m: &Model) -> Option<String> {
    let sim = m.sim.try_borrow().ok()?;
    let mut s = serde_json::to_string(&sim.snapshot()).ok()?;
    if !s.ends_with('}') {
        return None;
    }
    s.pop();
    s.push_str(&format!(
        ",\"trace_start\":{},\"history_start\":{},\"history\":",
        sim.trace_start(),
        sim.history().start()
    ));
    s.push_str(&serde_json::to_string(sim.history()).ok()?);
    s.push_str(",\"anomalies\":");
    s.push_str(&serde_json::to_string(sim.anomalies()).ok()?);
    s.push_str(",\"settings\":");
    s.push_str(&settings_json(&sim.config().strategy));
    s.push_str(&format!(
        ",\"playing\":{},\"speed\":{},\"max_time_us\":{}}}",
        m.playing, m.speed, m.max_time
    ));
    Some(s)
}

fn mode_json(m: SyncMode) -> String {
    match m {
        SyncMode::Sync => "\"sync\"".into(),
        SyncMode::SemiSync { k } => format!("\"semi-sync\",\"k\":{k}"),
        SyncMode::Async => "\"async\"".into(),
    }
}

/// The strategy's settings as JSON, with the scenario format's field names and values (built by
/// hand: the engine's wire types would bring their serde code into the bundle).
pub fn settings_json(s: &Strategy) -> String {
    match s {
        Strategy::SingleLeader(sl) => format!(
            "{{\"kind\":\"single-leader\",\"mode\":{},\"fencing\":{}}}",
            mode_json(sl.mode),
            sl.fencing
        ),
        Strategy::MultiLeader(ml) => format!(
            "{{\"kind\":\"multi-leader\",\"regions\":{},\"followers\":{},\"topology\":\"{}\",\"resolution\":\"{}\",\"local_mode\":{},\"cross_sync\":{}}}",
            ml.regions,
            ml.followers,
            ml.topology.name(),
            ml.resolution.name(),
            mode_json(ml.local_mode),
            ml.cross_sync
        ),
        Strategy::Leaderless(l) => format!(
            "{{\"kind\":\"leaderless\",\"n\":{},\"w\":{},\"r\":{},\"sloppy\":{},\"read_repair\":{},\"anti_entropy_ms\":{},\"resolution\":\"{}\"}}",
            l.n,
            l.w,
            l.r,
            l.sloppy,
            l.read_repair,
            l.anti_entropy as f64 / MS as f64,
            l.resolution.name()
        ),
    }
}

/// `benchRun` / `benchLoad`: `args` is `[name, events]`.
fn bench(m: &UseReducerHandle<Model>, args: &JsValue, load: bool) -> JsValue {
    let arr = js_sys::Array::from(args);
    let name = arr.get(0).as_string().unwrap_or_default();
    let events = arr.get(1).as_f64().unwrap_or(0.0).max(0.0) as u64;
    let Some((_, scenario)) = replica_engine::bench::all()
        .into_iter()
        .find(|(n, _)| *n == name)
    else {
        return err("unknown benchmark scenario");
    };
    let mut sim = replica_engine::Simulation::new(scenario);
    let end = replica_engine::bench::run_events(&mut sim, events);
    let o = Object::new();
    set(&o, "ok", &JsValue::TRUE);
    set(&o, "events", &(sim.stats().events as f64).into());
    set(&o, "virtual_us", &(end as f64).into());
    if load {
        match m.sim.try_borrow_mut() {
            Ok(mut s) => *s = sim,
            Err(_) => return err("busy"),
        }
        m.dispatch(Action::Seek {
            t: end,
            pause: true,
        });
    }
    o.into()
}

fn method(api: &Object, name: &str, f: Closure<dyn Fn(JsValue) -> JsValue>) {
    let func: &Function = f.as_ref().unchecked_ref();
    set(api, name, func);
    // The hook lives as long as the page.
    f.forget();
}

/// Installs `window.replicaLab`.
pub fn install(model: UseReducerHandle<Model>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let api = Object::new();
    set(&api, "version", &env!("CARGO_PKG_VERSION").into());

    let m = model.clone();
    method(
        &api,
        "getState",
        Closure::new(move |_: JsValue| {
            let h = m.clone();
            state_json(&h)
                .and_then(|s| js_sys::JSON::parse(&s).ok())
                .unwrap_or(JsValue::NULL)
        }),
    );
    for (name, action) in [("play", Action::Play), ("pause", Action::Pause)] {
        let m = model.clone();
        method(
            &api,
            name,
            Closure::new(move |_: JsValue| {
                m.dispatch(action.clone());
                ok()
            }),
        );
    }
    let m = model.clone();
    method(
        &api,
        "seek",
        Closure::new(move |ms: JsValue| match ms.as_f64() {
            Some(ms) if ms.is_finite() && ms >= 0.0 => {
                m.dispatch(Action::Seek {
                    t: (ms * MS as f64).round() as Time,
                    pause: false,
                });
                ok()
            }
            _ => err("seek(ms) needs a number of milliseconds ≥ 0"),
        }),
    );
    let m = model.clone();
    method(
        &api,
        "step",
        Closure::new(move |_: JsValue| {
            m.dispatch(Action::Step);
            ok()
        }),
    );
    let m = model.clone();
    method(
        &api,
        "link",
        Closure::new(move |_: JsValue| {
            let h = m.clone();
            let Ok(_) = h.sim.try_borrow() else {
                return JsValue::NULL;
            };
            JsValue::from_str(&crate::share::link_of(&h))
        }),
    );
    let m = model.clone();
    method(
        &api,
        "load",
        Closure::new(move |link: JsValue| {
            let Some(text) = link.as_string() else {
                return err("load(link) needs the link as a string");
            };
            match replica_engine::scenario::decode_link(&text) {
                Ok((scenario, view)) => {
                    m.dispatch(Action::Load(Box::new(crate::state::Load {
                        scenario,
                        view,
                        banner: None,
                        from_url: false,
                        play: false,
                    })));
                    ok()
                }
                Err(e) => err(&e.to_string()),
            }
        }),
    );
    for load in [false, true] {
        let m = model.clone();
        method(
            &api,
            if load { "benchLoad" } else { "benchRun" },
            Closure::new(move |args: JsValue| bench(&m, &args, load)),
        );
    }
    let m = model;
    method(
        &api,
        "apply",
        Closure::new(move |input: JsValue| {
            // The browser parses the JSON; see `wire_action` for why.
            let obj = match input.as_string() {
                Some(text) => match js_sys::JSON::parse(&text) {
                    Ok(v) => v,
                    Err(_) => return err("invalid action: not valid JSON"),
                },
                None => input,
            };
            if !obj.is_object() {
                return err("apply(action) needs an action object or its JSON text");
            }
            let parsed = {
                let h = m.clone();
                let Ok(sim) = h.sim.try_borrow() else {
                    return err("busy");
                };
                let cfg = sim.config();
                crate::wire_action::action(
                    &obj,
                    sim.nodes().len() as u16,
                    cfg.clients,
                    &cfg.strategy,
                )
            };
            match parsed {
                Ok(a) => {
                    m.dispatch(Action::Act(a));
                    ok()
                }
                Err(e) => err(&e),
            }
        }),
    );
    set(&window, "replicaLab", &api);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Kind;

    #[test]
    fn settings_are_json_with_the_wire_names() {
        for k in Kind::ALL {
            let (s, _) = k.default_strategy();
            let v: serde_json::Value = serde_json::from_str(&settings_json(&s)).unwrap();
            assert_eq!(v["kind"], s.name());
        }
        let (s, _) = Kind::MultiLeader.default_strategy();
        let v: serde_json::Value = serde_json::from_str(&settings_json(&s)).unwrap();
        assert_eq!(v["topology"], "all-to-all");
        assert_eq!(v["resolution"], "last-write-wins");
        assert_eq!(v["local_mode"], "async");
    }
}
