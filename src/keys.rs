//! Keyboard shortcuts: space play/pause, → step, ← back (shift: further), ? help, Esc close,
//! 1 / 2 / 3 switch to single-leader / multi-leader / leaderless, G opens the gallery, S the
//! share dialog.
//!
//! Keys typed into form fields are theirs; a focused button keeps its own space and enter.

use crate::components::timeline::BACK_STEP;
use crate::state::{Action, Dialog, Kind, Model, Restart};
use gloo_events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use web_sys::{Element, KeyboardEvent};
use yew::prelude::*;

/// Listens on the document until the returned listener is dropped.
pub fn install(model: UseReducerHandle<Model>) -> Option<EventListener> {
    let document = web_sys::window()?.document()?;
    Some(EventListener::new_with_options(
        &document,
        "keydown",
        EventListenerOptions::enable_prevent_default(),
        move |e| {
            let Some(e) = e.dyn_ref::<KeyboardEvent>() else {
                return;
            };
            if e.default_prevented() || e.ctrl_key() || e.meta_key() || e.alt_key() {
                return;
            }
            let target = e.target().and_then(|t| t.dyn_into::<Element>().ok());
            let attr = |name: &str| target.as_ref().and_then(|t| t.get_attribute(name));
            let tag = target.as_ref().map(|t| t.tag_name().to_ascii_uppercase());
            let kind = attr("type").unwrap_or_default();
            let input = tag.as_deref() == Some("INPUT");
            // Text fields take every key; sliders, radios and selects keep their arrows;
            // buttons, checkboxes and radios keep their space.
            let typing = matches!(tag.as_deref(), Some("SELECT" | "TEXTAREA"))
                || (input && !matches!(kind.as_str(), "range" | "checkbox" | "radio"));
            let own_arrows = input || tag.as_deref() == Some("SELECT");
            let own_space = matches!(tag.as_deref(), Some("BUTTON" | "A" | "SUMMARY"))
                || (input && kind != "range")
                || attr("role").as_deref() == Some("button")
                || attr("role").as_deref() == Some("tab");
            // A fresh clone per read: the stored handle would otherwise keep every old model.
            let help_open = model.clone().help;
            let dialog_open = model.clone().dialog.is_some();
            let action = match e.key().as_str() {
                "Escape" if help_open => Some(Action::Help(false)),
                "Escape" if dialog_open => Some(Action::Dialog(None)),
                "Escape" => Some(Action::Select(None)),
                _ if typing => None,
                " " | "Spacebar" if !own_space => Some(Action::TogglePlay),
                "ArrowRight" if !own_arrows => Some(Action::Step),
                "ArrowLeft" if !own_arrows => Some(Action::Back(if e.shift_key() {
                    BACK_STEP * 10
                } else {
                    BACK_STEP
                })),
                "?" => Some(Action::Help(!help_open)),
                _ if dialog_open => None,
                "g" | "G" if !help_open => Some(Action::Dialog(Some(Dialog::Gallery))),
                "s" | "S" if !help_open => Some(Action::Dialog(Some(Dialog::Share))),
                "d" | "D" if !help_open => Some(Action::Diagram(!model.clone().diagram)),
                "c" | "C" if !help_open => {
                    let m = model.clone();
                    if m.compare.is_some() {
                        Some(Action::Compare(None))
                    } else {
                        let sim = m.sim.borrow();
                        let cfg = sim.config();
                        crate::compare::options(&cfg.strategy, cfg.nodes)
                            .first()
                            .map(|v| Action::Compare(Some(*v)))
                    }
                }
                "1" | "2" | "3" if !help_open => {
                    let k = Kind::ALL[(e.key().as_bytes()[0] - b'1') as usize];
                    let current = Kind::of(&model.clone().sim.borrow().config().strategy);
                    (k != current).then_some(Action::Restart(Restart::Kind(k)))
                }
                _ => None,
            };
            if let Some(a) = action {
                e.prevent_default();
                model.dispatch(a);
            }
        },
    ))
}
