//! The animation loop and the message layer.
//!
//! Once per `requestAnimationFrame` the loop tells the model how much wall-clock time passed
//! (`Action::Tick`); the reducer turns that into virtual time (`speed × dt`) and runs the engine
//! up to it. The loop then draws every message in flight on a `<canvas>` over the SVG cluster:
//! a message sent at `sent_us` that arrives at `arrive_us` is drawn at the fraction
//! `(now − sent) / (arrive − sent)` of its lane. Messages that the trace reports dropped fall
//! and fade for a moment where they were lost, so a loss is visible even at high speed.
//!
//! Nodes and links are few and change rarely, so they stay in SVG (Yew components). Messages are
//! many and move every frame, so they never touch Yew's virtual DOM.
//!
//! When the tab is hidden, frames stop and the loop does not advance time; the first frame after
//! it returns counts as zero elapsed time.

use crate::layout::{lerp, Fit, Layout, Shape};
use crate::state::{Action, Model};
use replica_engine::types::{Addr, MsgId, Time};
use replica_engine::{NodeId, TraceKind};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};
use yew::prelude::*;

/// A drawn message, for hit-testing pointer positions (stage pixels).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hit {
    pub id: MsgId,
    pub x: f64,
    pub y: f64,
}

/// The messages drawn in the last frame, shared with the stage's pointer handlers.
#[derive(Clone, Default)]
pub struct Hits(pub Rc<RefCell<Vec<Hit>>>);

impl PartialEq for Hits {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl Hits {
    /// The message drawn nearest to (x, y), if one is within `r` pixels.
    pub fn at(&self, x: f64, y: f64, r: f64) -> Option<Hit> {
        self.0
            .borrow()
            .iter()
            .map(|h| (h, (h.x - x).powi(2) + (h.y - y).powi(2)))
            .filter(|(_, d)| *d <= r * r)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(h, _)| *h)
    }
}

/// Colour of a message kind (by the engine's name for it, so new kinds get a neutral colour).
pub fn kind_color(kind: &str) -> &'static str {
    match kind {
        "write" => "#f76707",
        "read" => "#1098ad",
        "reply" => "#37b24d",
        "replicate" => "#4c6ef5",
        "ack" => "#74b816",
        "heartbeat" => "#adb5bd",
        "vote" => "#be4bdb",
        "snapshot" => "#f59f00",
        "hint" => "#e64980",
        "repair" => "#0ca678",
        "anti-entropy" => "#7950f2",
        _ => "#868e96",
    }
}

/// How long a dropped message takes to fall and fade, in wall-clock milliseconds.
const FALL_MS: f64 = 900.0;

/// Where a message in flight travels, kept from one frame to the next to draw the ones the
/// trace then reports dropped.
#[derive(Clone, Copy)]
struct Flown {
    id: MsgId,
    from: Addr,
    to: Addr,
    sent: Time,
    arrive: Time,
}

/// A message seen dropped: drawn falling from where it was lost.
struct Falling {
    msg: Flown,
    at: Time,
    born: f64,
}

/// What a layout was computed for: the run (its address), the scenario revision, the number of
/// nodes and of clients.
type LayoutKey = (usize, u64, usize, u16);

/// The number of drawing styles of the message kinds.
const STYLES: usize = 12;

struct Loop {
    model: UseReducerHandle<Model>,
    canvas: NodeRef,
    hits: Hits,
    /// The canvas drawn on and its context; a new canvas element (Yew may re-create it) gets a
    /// new context.
    ctx: Option<(HtmlCanvasElement, CanvasRenderingContext2d)>,
    last: Option<f64>,
    /// Messages in flight at the previous frame, to recognise the ones that were dropped.
    prev: Vec<Flown>,
    /// The picture's layout and what it was computed for (run, scenario revision, nodes,
    /// clients): it changes only with the scenario.
    layout: Option<(LayoutKey, Layout)>,
    /// The dots of this frame (pixels) and their drawing styles, reused from frame to frame.
    dots: Vec<(f64, f64, usize)>,
    falling: Vec<Falling>,
    /// The trace's absolute end (`trace_start()` + length) at the previous frame: an index into
    /// the kept trace would point elsewhere once the oldest events are dropped.
    seen: usize,
    /// What the last drawn frame showed; an unchanged frame is not redrawn.
    drawn: Option<(Time, Option<MsgId>, u32, u32)>,
    fg: String,
    frames: u32,
    reduced_motion: bool,
}

/// The frame callback; it re-registers itself, so it holds a reference to its own slot.
type FrameSlot = Rc<RefCell<Option<Closure<dyn FnMut(f64)>>>>;

/// The running loop; dropping it stops the loop.
pub struct Running {
    closure: FrameSlot,
    id: Rc<Cell<i32>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(w) = web_sys::window() {
            let _ = w.cancel_animation_frame(self.id.get());
        }
        // Breaks the closure's reference to itself, freeing it.
        self.closure.borrow_mut().take();
    }
}

/// Whether the user asked the system for less motion.
pub fn prefers_reduced_motion() -> bool {
    web_sys::window()
        .and_then(|w| {
            w.match_media("(prefers-reduced-motion: reduce)")
                .ok()
                .flatten()
        })
        .is_some_and(|q| q.matches())
}

/// Starts the loop: ticks the model and draws messages on `canvas` every frame.
pub fn start(model: UseReducerHandle<Model>, canvas: NodeRef, hits: Hits) -> Running {
    let mut state = Loop {
        model,
        canvas,
        hits,
        ctx: None,
        last: None,
        prev: Vec::new(),
        layout: None,
        dots: Vec::new(),
        falling: Vec::new(),
        seen: 0,
        drawn: None,
        fg: "#1d1f24".into(),
        frames: 0,
        reduced_motion: prefers_reduced_motion(),
    };
    let closure: FrameSlot = Rc::new(RefCell::new(None));
    let id = Rc::new(Cell::new(0));
    let (c2, id2) = (closure.clone(), id.clone());
    *closure.borrow_mut() = Some(Closure::new(move |ts: f64| {
        state.frame(ts);
        if let (Some(w), Some(f)) = (web_sys::window(), c2.borrow().as_ref()) {
            if let Ok(i) = w.request_animation_frame(f.as_ref().unchecked_ref()) {
                id2.set(i);
            }
        }
    }));
    if let (Some(w), Some(f)) = (web_sys::window(), closure.borrow().as_ref()) {
        if let Ok(i) = w.request_animation_frame(f.as_ref().unchecked_ref()) {
            id.set(i);
        }
    }
    Running { closure, id }
}

impl Loop {
    fn frame(&mut self, ts: f64) {
        let hidden = web_sys::window()
            .and_then(|w| w.document())
            .is_some_and(|d| d.hidden());
        if hidden {
            self.last = None;
            return;
        }
        // A long gap (a background tab, a debugger) counts as one short frame, not a jump.
        let dt = self.last.map_or(0.0, |l| (ts - l).clamp(0.0, 100.0));
        self.last = Some(ts);
        self.model.dispatch(Action::Tick { dt, wall: ts });
        self.draw(ts);
    }

    fn draw(&mut self, ts: f64) {
        let Some(canvas) = self.canvas.cast::<HtmlCanvasElement>() else {
            return;
        };
        let (cw, ch) = (canvas.client_width() as f64, canvas.client_height() as f64);
        if cw <= 0.0 || ch <= 0.0 {
            return;
        }
        let dpr = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
        let (pw, ph) = ((cw * dpr).round() as u32, (ch * dpr).round() as u32);
        let mut resized = canvas.width() != pw || canvas.height() != ph;
        if resized {
            canvas.set_width(pw);
            canvas.set_height(ph);
        }
        if self.ctx.as_ref().is_none_or(|(c, _)| *c != canvas) {
            self.ctx = canvas
                .get_context("2d")
                .ok()
                .flatten()
                .and_then(|c| c.dyn_into().ok())
                .map(|ctx| (canvas.clone(), ctx));
            resized = true;
        }
        self.frames = self.frames.wrapping_add(1);
        if self.frames % 30 == 1 {
            // The text colour follows the light or dark theme.
            if let Some(fg) = web_sys::window()
                .and_then(|w| w.get_computed_style(&canvas).ok().flatten())
                .and_then(|s| s.get_property_value("--fg").ok())
                .filter(|s| !s.trim().is_empty())
            {
                self.fg = fg.trim().to_string();
            }
        }
        let model = self.model.clone();
        let m: &Model = &model;
        let Ok(sim) = m.sim.try_borrow() else {
            return;
        };
        let now = sim.now();
        let trace = sim.trace();
        let hover = m.hover.map(|h| h.id);

        // Messages that the trace reports dropped since the last frame start falling.
        let start = sim.trace_start();
        let end = start + trace.len();
        if end < self.seen || self.seen < start || end - self.seen > 5000 {
            self.falling.clear(); // A seek or a big jump: nothing to animate.
        } else {
            for e in &trace[self.seen - start..] {
                if let TraceKind::Dropped { id, .. } = e.kind {
                    // `prev` is in id order: the snapshot lists messages by id.
                    if let Ok(i) = self.prev.binary_search_by_key(&id, |m| m.id) {
                        let msg = &self.prev[i];
                        self.falling.push(Falling {
                            msg: *msg,
                            at: e.t,
                            born: ts,
                        });
                    }
                }
            }
        }
        self.seen = end;
        self.falling
            .retain(|f| ts - f.born < FALL_MS && f.at <= now);

        let key = (now, hover, pw, ph);
        if self.drawn == Some(key) && self.falling.is_empty() && !resized {
            return;
        }
        self.drawn = Some(key);

        // The layout changes only with the scenario: computed again only then.
        let lkey = (
            Rc::as_ptr(&m.sim) as usize,
            m.scen_rev,
            sim.nodes().len(),
            sim.config().clients,
        );
        if self.layout.as_ref().is_none_or(|(k, _)| *k != lkey) {
            let snap = sim.snapshot();
            let shape = Shape::of(&sim.config().strategy);
            let homes: Vec<NodeId> = snap.clients.iter().map(|c| c.home).collect();
            self.layout = Some((lkey, Layout::new(shape, snap.nodes.len(), &homes)));
        }
        let Some((_, layout)) = self.layout.as_ref() else {
            return;
        };
        let Some((_, ctx)) = self.ctx.as_ref() else {
            return;
        };
        let fit = Fit::new(cw, ch);
        let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
        ctx.clear_rect(0.0, 0.0, cw, ch);
        let s = fit.scale.clamp(0.55, 1.6);

        for f in &self.falling {
            let Some((a, b)) = layout.lane(f.msg.from, f.msg.to) else {
                continue;
            };
            let span = f.msg.arrive.saturating_sub(f.msg.sent).max(1) as f64;
            let frac = (f.at.saturating_sub(f.msg.sent) as f64 / span).clamp(0.0, 1.0);
            let (x, y) = fit.to_px(lerp(a, b, frac));
            let age = ((ts - f.born) / FALL_MS).clamp(0.0, 1.0);
            let y = if self.reduced_motion {
                y
            } else {
                y + 28.0 * s * age * age
            };
            ctx.set_global_alpha(1.0 - age);
            ctx.set_stroke_style_str("#e03131");
            ctx.set_line_width(2.5);
            let r = 5.0 * s;
            ctx.begin_path();
            ctx.move_to(x - r, y - r);
            ctx.line_to(x + r, y + r);
            ctx.move_to(x + r, y - r);
            ctx.line_to(x - r, y + r);
            ctx.stroke();
        }
        ctx.set_global_alpha(1.0);

        // Dots are gathered first and drawn with a colour set only when it changes: a colour per
        // message (a string handed to the browser and parsed) costs more than the drawing once
        // there are thousands.
        let in_flight = sim.in_flight();
        let label = in_flight.len() <= 30;
        let mut hits = self.hits.0.borrow_mut();
        hits.clear();
        self.prev.clear();
        self.dots.clear();
        let mut labels: Vec<(&'static str, f64, f64, f64)> = Vec::new();
        let mut ring = None;
        for (&id, f) in in_flight {
            self.prev.push(Flown {
                id,
                from: f.from,
                to: f.to,
                sent: f.sent,
                arrive: f.arrive,
            });
            let Some((a, b)) = layout.lane(f.from, f.to) else {
                continue;
            };
            let span = f.arrive.saturating_sub(f.sent).max(1) as f64;
            let frac = (now.saturating_sub(f.sent) as f64 / span).clamp(0.0, 1.0);
            let (x, y) = fit.to_px(lerp(a, b, frac));
            hits.push(Hit { id, x, y });
            let name = f.msg.kind().name();
            self.dots.push((x, y, style_of(name)));
            let quiet = name == "heartbeat";
            let r = if quiet { 3.5 } else { 5.5 } * s;
            if Some(id) == hover {
                ring = Some((x, y, r));
            }
            if label && !quiet {
                labels.push((name, x, y, r));
            }
        }
        drop(hits);
        drop(sim);
        // In id order (the newest on top, as before); the colour is set only when the kind
        // changes from one dot to the next.
        let mut current = usize::MAX;
        for &(x, y, style) in &self.dots {
            let name = STYLE_KINDS[style];
            let quiet = name == "heartbeat";
            if style != current {
                current = style;
                let color = kind_color(name);
                if quiet {
                    ctx.set_stroke_style_str(color);
                    ctx.set_line_width(1.5);
                } else {
                    ctx.set_fill_style_str(color);
                }
            }
            let r = if quiet { 3.5 } else { 5.5 } * s;
            // A path per dot: software rasterisation fills many small paths faster than one
            // path of many circles.
            ctx.begin_path();
            let _ = ctx.arc(x, y, r, 0.0, std::f64::consts::TAU);
            if quiet {
                ctx.stroke();
            } else {
                ctx.fill();
            }
        }
        if let Some((x, y, r)) = ring {
            ctx.begin_path();
            let _ = ctx.arc(x, y, r + 5.0, 0.0, std::f64::consts::TAU);
            ctx.set_stroke_style_str(&self.fg);
            ctx.set_line_width(2.0);
            ctx.stroke();
        }
        if !labels.is_empty() {
            // Labels that would overlap one already drawn are left out.
            let mut placed: Vec<(f64, f64, f64)> = Vec::new();
            ctx.set_font(&format!("600 {:.0}px system-ui, sans-serif", 10.0 * s));
            ctx.set_fill_style_str(&self.fg);
            for (name, x, y, r) in labels {
                let (lx, ly) = (x + r + 3.0, y - r - 1.0);
                // Roughly the label's width: 0.6 em per character.
                let w = 6.0 * s * name.len() as f64;
                let free = placed
                    .iter()
                    .all(|(px, py, pw)| lx > px + pw || lx + w < *px || (py - ly).abs() > 11.0 * s);
                if free {
                    placed.push((lx, ly, w));
                    let _ = ctx.fill_text(name, lx, ly);
                }
            }
        }
    }
}

/// The kinds with a colour of their own, then every other kind (drawn grey): one drawing style
/// each.
const STYLE_KINDS: [&str; STYLES] = [
    "heartbeat",
    "write",
    "read",
    "reply",
    "replicate",
    "ack",
    "vote",
    "snapshot",
    "hint",
    "repair",
    "anti-entropy",
    "other",
];

/// The drawing style of a message kind (an index into [`STYLE_KINDS`]).
fn style_of(kind: &str) -> usize {
    STYLE_KINDS[..STYLES - 1]
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(STYLES - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hit_testing_picks_the_nearest_message_in_reach() {
        let h = Hits::default();
        h.0.borrow_mut().extend([
            Hit {
                id: 1,
                x: 10.0,
                y: 10.0,
            },
            Hit {
                id: 2,
                x: 14.0,
                y: 10.0,
            },
        ]);
        assert_eq!(h.at(13.0, 10.0, 8.0).map(|h| h.id), Some(2));
        assert_eq!(h.at(50.0, 50.0, 8.0), None);
    }

    #[test]
    fn every_kind_has_a_colour() {
        use crate::components::stage::{LEADERLESS_KINDS, MULTI_KINDS, SINGLE_KINDS};
        for k in SINGLE_KINDS
            .iter()
            .chain(MULTI_KINDS)
            .chain(LEADERLESS_KINDS)
        {
            assert_ne!(kind_color(k), kind_color("unknown"), "{k}");
        }
    }
}
