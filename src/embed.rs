//! Embed mode: the page inside someone else's iframe.
//!
//! `?embed` in the query string turns it on. Options, all optional, also in the query string:
//!
//! - `controls=none|minimal|full`: no chrome at all, a play/pause button and a scrubber
//!   (the default), or the whole page;
//! - `autoplay`: start playing at once (otherwise the embed waits, paused, on the link's moment);
//! - `loop`: play from `start` to `end` over and over;
//! - `start=<ms>`, `end=<ms>`: the moments to play between (default: the link's moment, and for
//!   `loop` a few seconds after the scenario's last scheduled action);
//! - `theme=light|dark`: otherwise the reader's own preference.
//!
//! The scenario itself comes from the fragment, as for any link. The embed reports its height to
//! the parent (`{type: "replica-lab:height", height}`) so the parent can size the iframe, and
//! obeys `postMessage` commands from it: `{type: "replica-lab", cmd: "play" | "pause"}`,
//! `{type: "replica-lab", cmd: "seek", ms}` and `{type: "replica-lab", cmd: "load", link}`.
//! Anything else is ignored; a command that is ours but malformed gets
//! `{type: "replica-lab:error", error}` back. It needs nothing beyond `sandbox="allow-scripts"`:
//! no storage, no cookies, no same-origin access, no history entries.

use crate::state::{Action, Load, Model};
use gloo_events::EventListener;
use js_sys::Reflect;
use replica_engine::types::{Time, MS};
use std::cell::Cell;
use wasm_bindgen::{JsCast, JsValue};
use yew::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Controls {
    None,
    Minimal,
    Full,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
}

impl Theme {
    pub fn name(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }
}

/// The embed's options, read once from the query string.
#[derive(Clone, Debug, PartialEq)]
pub struct Embed {
    pub controls: Controls,
    pub autoplay: bool,
    pub looping: bool,
    /// Where playing starts (and a loop restarts); `None` until [`Embed::settle`] when the
    /// query string gives none.
    pub start: Option<Time>,
    /// Where playing stops (or loops), if anywhere.
    pub end: Option<Time>,
    pub theme: Option<Theme>,
}

/// How long past the last scheduled action a default loop runs.
const LOOP_TAIL: Time = 3000 * MS;

/// Reads the options from a query string (`?embed&autoplay&controls=none`). `None` when `embed`
/// is absent. Unknown or malformed options fall back to their defaults.
pub fn parse(query: &str) -> Option<Embed> {
    let q = query.strip_prefix('?').unwrap_or(query);
    let pairs: Vec<(&str, &str)> = q
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .collect();
    let get = |k: &str| pairs.iter().find(|(a, _)| *a == k).map(|(_, v)| *v);
    let flag = |k: &str| get(k).is_some_and(|v| !matches!(v, "0" | "false" | "no"));
    if !flag("embed") {
        return None;
    }
    let ms = |k: &str| {
        get(k)
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v >= 0.0)
            .map(|v| ((v * MS as f64) as Time).min(replica_engine::scenario::MAX_TIME))
    };
    Some(Embed {
        controls: match get("controls") {
            Some("none") => Controls::None,
            Some("full") => Controls::Full,
            _ => Controls::Minimal,
        },
        autoplay: flag("autoplay"),
        looping: flag("loop"),
        start: ms("start"),
        end: ms("end"),
        theme: match get("theme") {
            Some("light") => Some(Theme::Light),
            Some("dark") => Some(Theme::Dark),
            _ => None,
        },
    })
}

impl Embed {
    /// Fills in what depends on the scenario: with no `start`, the link's moment; with `loop`
    /// and no `end`, a little after the last scheduled action.
    pub fn settle(mut self, link_at: Option<Time>, last_action: Option<Time>) -> Self {
        let start = self.start.or(link_at).unwrap_or(0);
        self.start = Some(start);
        if self.looping && self.end.is_none() {
            let tail = last_action.unwrap_or(0) + LOOP_TAIL;
            self.end = Some(tail.max(start + LOOP_TAIL));
        }
        if self.end.is_some_and(|end| end <= start) {
            self.end = None;
        }
        self
    }

    /// Where playing starts.
    pub fn start(&self) -> Time {
        self.start.unwrap_or(0)
    }

    /// The query string that gives these options (for the embed snippet).
    pub fn query(&self) -> String {
        let mut q = String::from("?embed");
        match self.controls {
            Controls::None => q.push_str("&controls=none"),
            Controls::Full => q.push_str("&controls=full"),
            Controls::Minimal => {}
        }
        if self.autoplay {
            q.push_str("&autoplay");
        }
        if self.looping {
            q.push_str("&loop");
        }
        if let Some(t) = self.theme {
            q.push_str("&theme=");
            q.push_str(t.name());
        }
        q
    }
}

fn post_to_parent(msg: &JsValue) {
    if let Some(parent) = web_sys::window().and_then(|w| w.parent().ok().flatten()) {
        let _ = parent.post_message(msg, "*");
    }
}

fn message(kind: &str, key: &str, value: &JsValue) -> JsValue {
    let o = js_sys::Object::new();
    let _ = Reflect::set(&o, &"type".into(), &kind.into());
    let _ = Reflect::set(&o, &key.into(), value);
    o.into()
}

thread_local! {
    static LAST_HEIGHT: Cell<i32> = const { Cell::new(-1) };
}

/// Tells the parent the page's height when it changed (called after renders).
pub fn report_height() {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(root) = doc.document_element() else {
        return;
    };
    let h = root.scroll_height();
    if LAST_HEIGHT.with(|c| c.replace(h)) != h {
        post_to_parent(&message("replica-lab:height", "height", &h.into()));
    }
}

/// The height in a `replica-lab:height` message (what a parent page listens for), if it is one.
pub fn height_of(data: &JsValue) -> Option<u32> {
    let get = |k: &str| Reflect::get(data, &k.into()).ok();
    if !data.is_object() || get("type")?.as_string().as_deref() != Some("replica-lab:height") {
        return None;
    }
    get("height")?
        .as_f64()
        .filter(|h| h.is_finite() && *h > 0.0 && *h < 10_000.0)
        .map(|h| h.ceil() as u32)
}

/// A command from the parent page, validated.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Play,
    Pause,
    Seek(Time),
    Load(String),
}

/// Reads a posted message: `Ok(None)` when it is not for us, `Err` when it is ours but
/// malformed.
pub fn command(data: &JsValue) -> Result<Option<Command>, String> {
    if !data.is_object() {
        return Ok(None);
    }
    let get = |k: &str| Reflect::get(data, &k.into()).unwrap_or(JsValue::UNDEFINED);
    if get("type").as_string().as_deref() != Some("replica-lab") {
        return Ok(None);
    }
    match get("cmd").as_string().as_deref() {
        Some("play") => Ok(Some(Command::Play)),
        Some("pause") => Ok(Some(Command::Pause)),
        Some("seek") => match get("ms").as_f64() {
            Some(ms) if ms.is_finite() && ms >= 0.0 => Ok(Some(Command::Seek(
                ((ms * MS as f64) as Time).min(replica_engine::scenario::MAX_TIME),
            ))),
            _ => Err("seek needs ms, a number of milliseconds ≥ 0".into()),
        },
        Some("load") => match get("link").as_string() {
            Some(l) if l.len() <= replica_engine::scenario::MAX_LINK_CHARS + 4096 => {
                Ok(Some(Command::Load(l)))
            }
            Some(_) => Err("load: the link is too long".into()),
            None => Err("load needs link, a Replica Lab link or its fragment".into()),
        },
        _ => Err("unknown cmd: use play, pause, seek or load".into()),
    }
}

/// Listens for the parent's commands (and, in an embed, for resizes that change the height)
/// until dropped.
pub fn listen(model: UseReducerHandle<Model>) -> Vec<EventListener> {
    let Some(window) = web_sys::window() else {
        return Vec::new();
    };
    let mut listeners = Vec::new();
    if model.clone().embed.is_some() {
        listeners.push(EventListener::new(&window, "resize", |_| report_height()));
    }
    listeners.push(EventListener::new(&window, "message", move |e| {
        let Some(e) = e.dyn_ref::<web_sys::MessageEvent>() else {
            return;
        };
        match command(&e.data()) {
            Ok(None) => {}
            Ok(Some(Command::Play)) => model.dispatch(Action::Play),
            Ok(Some(Command::Pause)) => model.dispatch(Action::Pause),
            Ok(Some(Command::Seek(t))) => model.dispatch(Action::Seek { t, pause: false }),
            Ok(Some(Command::Load(link))) => match replica_engine::scenario::decode_link(&link) {
                Ok((scenario, view)) => {
                    let play = model.clone().embed.as_ref().is_some_and(|e| e.autoplay);
                    model.dispatch(Action::Load(Box::new(Load {
                        scenario,
                        view,
                        banner: None,
                        from_url: true,
                        play,
                    })))
                }
                Err(err) => post_to_parent(&message(
                    "replica-lab:error",
                    "error",
                    &format!("load: {err}").into(),
                )),
            },
            Err(err) => post_to_parent(&message("replica-lab:error", "error", &err.into())),
        }
    }));
    listeners
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_come_from_the_query_string() {
        assert_eq!(parse(""), None);
        assert_eq!(parse("?autoplay"), None);
        let e = parse("?embed&autoplay&loop&controls=none&start=500&end=2500&theme=dark").unwrap();
        assert_eq!(e.controls, Controls::None);
        assert!(e.autoplay && e.looping);
        assert_eq!((e.start, e.end), (Some(500 * MS), Some(2500 * MS)));
        assert_eq!(e.theme, Some(Theme::Dark));
        let d = parse("?embed").unwrap();
        assert_eq!(d.controls, Controls::Minimal);
        assert!(!d.autoplay && !d.looping && d.end.is_none());
        // Nonsense falls back to the defaults.
        let bad = parse("?embed&controls=<b>&start=-3&end=NaN&theme=pink").unwrap();
        assert_eq!(bad.controls, Controls::Minimal);
        assert_eq!((bad.start, bad.end, bad.theme), (None, None, None));
        assert_eq!(parse("?embed=0"), None);
    }

    #[test]
    fn a_loop_without_an_end_stops_after_the_last_action() {
        let e = parse("?embed&loop")
            .unwrap()
            .settle(Some(700 * MS), Some(2000 * MS));
        assert_eq!(e.start(), 700 * MS);
        assert_eq!(e.end, Some(5000 * MS));
        // A start in the query wins over the link's moment; an end before it is ignored.
        let e = parse("?embed&start=900&end=100")
            .unwrap()
            .settle(Some(5 * MS), None);
        assert_eq!((e.start(), e.end), (900 * MS, None));
    }

    #[test]
    fn the_snippet_query_round_trips() {
        let q = "?embed&controls=none&autoplay&loop&theme=light";
        assert_eq!(parse(q).unwrap().query(), q);
    }
}
