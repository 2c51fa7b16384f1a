//! Scenario links: the whole run and the moment being viewed, in the URL fragment.
//!
//! The fragment holds the engine's link encoding (`replica_engine::scenario::encode_link`: a
//! version tag, then the compressed scenario and view, base64url). Opening a link lands paused on
//! the author's moment, with their selected node, view and speed. Every state the reader
//! creates (an action, a restart, a loaded preset or file) is a new browser history entry, so
//! back and forward move between them; looking around (pausing, seeking, selecting) only
//! updates the current entry. A link that cannot be opened leaves a banner saying why and the
//! default scenario. Embeds never touch the history.

use crate::embed;
use crate::state::{Action, Load, Model};
use gloo_events::EventListener;
use gloo_timers::callback::Timeout;
use replica_engine::scenario::{decode_link, encode_link, Scenario, View};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::JsValue;
use yew::prelude::*;

/// How long the address waits for the reader to stop scrubbing before it follows.
const REPLACE_AFTER_MS: u32 = 200;

fn location() -> Option<web_sys::Location> {
    web_sys::window().map(|w| w.location())
}

/// The fragment without its `#`.
pub fn fragment() -> String {
    let h = location().and_then(|l| l.hash().ok()).unwrap_or_default();
    h.strip_prefix('#').unwrap_or(&h).to_string()
}

/// The query string, with its `?`.
pub fn query() -> String {
    location().and_then(|l| l.search().ok()).unwrap_or_default()
}

/// The page's address without query or fragment: where links point.
pub fn base_url() -> String {
    location()
        .map(|l| {
            format!(
                "{}{}",
                l.origin().unwrap_or_default(),
                l.pathname().unwrap_or_default()
            )
        })
        .unwrap_or_default()
}

/// The link text (fragment body) for what the model shows now.
pub fn link_of(m: &Model) -> String {
    let sim = m.sim.borrow();
    encode_link(sim.scenario(), &m.view())
}

/// The full address of a link.
pub fn url_of(link: &str) -> String {
    format!("{}#{link}", base_url())
}

/// Says why a link could not be opened, and what is shown instead.
pub fn bad_link_banner(err: &str) -> String {
    format!("This link could not be opened: {err}. Showing the default scenario instead.")
}

/// What to load for a fragment: the link's scenario, or the default with a banner. An empty
/// fragment is the default scenario, quietly.
pub fn load_of(fragment: &str, play: bool) -> Load {
    let default = |banner| Load {
        scenario: Scenario::default(),
        view: View::default(),
        banner,
        from_url: true,
        play,
    };
    if fragment.trim().is_empty() {
        return default(None);
    }
    match decode_link(fragment) {
        Ok((scenario, view)) => Load {
            scenario,
            view,
            banner: None,
            from_url: true,
            play,
        },
        Err(e) => default(Some(bad_link_banner(&e.to_string()))),
    }
}

/// The page's first model, from its address: the fragment's scenario (or the default), and the
/// embed options from the query string.
pub fn initial_model(reduced_motion: bool) -> Model {
    let q = query();
    let frag = fragment();
    let embed = embed::parse(&q);
    if frag.is_empty() && embed.is_none() {
        return Model::initial(!reduced_motion);
    }
    let mut load = load_of(&frag, false);
    let embed = embed.map(|e| {
        let last = load.scenario.schedule.last().map(|s| s.at);
        Rc::new(e.settle(load.view.at, last))
    });
    match &embed {
        Some(e) => {
            load.view.at = Some(e.start());
            load.play = e.autoplay;
        }
        // The default scenario after a bad link plays, as it would on a plain visit.
        None => load.play = load.banner.is_some() && !reduced_motion,
    }
    Model::loaded(load, embed)
}

thread_local! {
    /// The scenario revision the current history entry belongs to.
    static ENTRY_REV: Cell<u64> = const { Cell::new(0) };
    static PENDING: RefCell<Option<Timeout>> = const { RefCell::new(None) };
}

fn write(link: &str, push: bool) {
    let Some(history) = web_sys::window().and_then(|w| w.history().ok()) else {
        return;
    };
    let url = format!("#{link}");
    let _ = if push {
        history.push_state_with_url(&JsValue::NULL, "", Some(&url))
    } else {
        history.replace_state_with_url(&JsValue::NULL, "", Some(&url))
    };
}

/// Keeps the address in step with the model (called after renders that change the scenario or
/// the view). A new scenario revision pushes a history entry; anything else replaces the
/// current one, a moment after the reader stops.
pub fn sync_url(m: &Model) {
    if m.embed.is_some() {
        return;
    }
    let same_entry = ENTRY_REV.with(|r| r.get()) == m.scen_rev;
    // A plain visit keeps its plain address until the reader changes or pauses something.
    if m.scen_rev == 0 && fragment().is_empty() && m.playing {
        return;
    }
    let link = link_of(m);
    PENDING.with(|p| p.borrow_mut().take());
    if link.len() > replica_engine::scenario::MAX_LINK_CHARS {
        return; // Too long to open again: the share dialog says so and offers the file.
    }
    if !same_entry {
        ENTRY_REV.with(|r| r.set(m.scen_rev));
        if fragment() != link {
            write(&link, !m.from_url);
        }
        return;
    }
    let timeout = Timeout::new(REPLACE_AFTER_MS, move || {
        if fragment() != link {
            write(&link, false);
        }
    });
    PENDING.with(|p| *p.borrow_mut() = Some(timeout));
}

/// Follows the address when it changes under the page (back/forward, an edited or clicked
/// link): loads what it names, unless the page wrote it itself.
pub fn listen(model: UseReducerHandle<Model>) -> Vec<EventListener> {
    let Some(window) = web_sys::window() else {
        return Vec::new();
    };
    if model.clone().embed.is_some() {
        return Vec::new();
    }
    let last_seen = Rc::new(RefCell::new(fragment()));
    ["popstate", "hashchange"]
        .into_iter()
        .map(|event| {
            let (model, last_seen) = (model.clone(), last_seen.clone());
            EventListener::new(&window, event, move |_| {
                let frag = fragment();
                if *last_seen.borrow() == frag {
                    return; // Both events fire for one change.
                }
                *last_seen.borrow_mut() = frag.clone();
                // A fresh handle per read: a kept one would hold every old model.
                let current = link_of(&model.clone());
                if frag == current {
                    return;
                }
                model.dispatch(Action::Load(Box::new(load_of(&frag, false))));
            })
        })
        .collect()
}

/// Copies text to the clipboard; `done(true)` once it is there, `done(false)` when the browser
/// refused (then the reader can still select the text and copy it).
pub fn copy(text: &str, done: Callback<bool>) {
    let Some(window) = web_sys::window() else {
        done.emit(false);
        return;
    };
    let promise = window.navigator().clipboard().write_text(text);
    wasm_bindgen_futures::spawn_local(async move {
        let ok = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
        done.emit(ok);
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Selection;
    use replica_engine::types::MS;

    #[test]
    fn a_link_loads_its_moment_and_view_and_a_bad_one_says_why() {
        let mut s = Scenario::default();
        s.config.nodes = 5;
        let view = View {
            at: Some(700 * MS),
            node: Some(3),
            diagram: true,
            speed: Some(0.5),
        };
        let link = encode_link(&s, &view);
        let m = Model::loaded(load_of(&format!("https://x.org/lab/#{link}"), false), None);
        assert_eq!(m.now(), 700 * MS);
        assert_eq!(m.selected, Some(Selection::Node(3)));
        assert!(m.diagram && !m.playing);
        assert_eq!(m.speed, 0.5);
        assert_eq!(m.banner, None);
        // What the model shows is what its link says.
        assert_eq!(decode_link(&link_of(&m)).unwrap(), (s, view));

        let bad = load_of("1.this-is-not-deflate", true);
        assert_eq!(bad.scenario, Scenario::default());
        let banner = bad.banner.expect("a banner");
        assert!(
            banner.starts_with("This link could not be opened: "),
            "{banner}"
        );
        assert!(banner.ends_with("Showing the default scenario instead."));
        assert_eq!(load_of("", false).banner, None);
    }
}
