//! Export and import: the cluster picture and the space-time diagram as SVG or PNG, the history
//! with every write's fate as JSON, the scenario as a JSON file; and opening a scenario file
//! (or a link saved as text) dropped on the page.
//!
//! The SVGs are the page's own, cloned with the computed styles written onto each element so
//! they look the same outside the page; the cluster's messages, drawn on a canvas in the page,
//! are added as vector circles at the same places. PNGs are those SVGs rasterised at twice their
//! size.

use crate::layout::{lerp, Layout, Shape};
use crate::state::{Action, Load, Model};
use replica_engine::scenario::{self, View};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, BlobPropertyBag, Element, HtmlAnchorElement, Url};
use yew::prelude::*;

/// The largest file the page opens (the scenario format's own limit is 2 MiB of JSON).
const MAX_IMPORT_BYTES: f64 = 4.0 * 1024.0 * 1024.0;

/// The style properties that make an SVG look as it does in the page.
const PROPS: &[&str] = &[
    "fill",
    "fill-opacity",
    "stroke",
    "stroke-width",
    "stroke-opacity",
    "stroke-dasharray",
    "stroke-linecap",
    "stroke-linejoin",
    "opacity",
    "font-family",
    "font-size",
    "font-weight",
    "text-anchor",
    "dominant-baseline",
    "paint-order",
    "display",
    "visibility",
];

fn document() -> Option<web_sys::Document> {
    web_sys::window()?.document()
}

fn blob(text: &str, mime: &str) -> Option<Blob> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let opts = BlobPropertyBag::new();
    opts.set_type(mime);
    Blob::new_with_str_sequence_and_options(&parts, &opts).ok()
}

/// Offers `blob` as a download named `name`.
pub fn download(blob: &Blob, name: &str) {
    let (Some(doc), Ok(url)) = (document(), Url::create_object_url_with_blob(blob)) else {
        return;
    };
    if let Some(a) = doc
        .create_element("a")
        .ok()
        .and_then(|a| a.dyn_into::<HtmlAnchorElement>().ok())
    {
        a.set_href(&url);
        a.set_download(name);
        if let Some(body) = doc.body() {
            let _ = body.append_child(&a);
            a.click();
            let _ = body.remove_child(&a);
        }
    }
    // The download has its own copy by the time this runs.
    gloo_timers::callback::Timeout::new(10_000, move || {
        let _ = Url::revoke_object_url(&url);
    })
    .forget();
}

/// Offers `text` as a download.
pub fn download_text(text: &str, name: &str, mime: &str) {
    if let Some(b) = blob(text, mime) {
        download(&b, name);
    }
}

/// The page's background colour, for exports that need one.
fn background() -> String {
    document()
        .and_then(|d| d.body())
        .and_then(|b| web_sys::window()?.get_computed_style(&b).ok().flatten())
        .and_then(|s| s.get_property_value("background-color").ok())
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "#ffffff".into())
}

/// The first element of the page matching `selector`.
fn find(selector: &str) -> Option<Element> {
    document()?.query_selector(selector).ok().flatten()
}

/// A standalone copy of an SVG element of the page: computed styles inlined, explicit size,
/// a background, and `extra` SVG markup appended on top. `None` when it is not on the page.
pub fn standalone_svg(selector: &str, extra: &str) -> Option<(String, f64, f64)> {
    let window = web_sys::window()?;
    let svg = find(selector)?;
    let copy: Element = svg.clone_node_with_deep(true).ok()?.dyn_into().ok()?;
    let originals = svg.query_selector_all("*").ok()?;
    let copies = copy.query_selector_all("*").ok()?;
    let styled = |from: &Element, to: &Element| {
        if let Ok(Some(cs)) = window.get_computed_style(from) {
            let mut style = String::new();
            for p in PROPS {
                if let Ok(v) = cs.get_property_value(p) {
                    if !v.is_empty() {
                        style.push_str(p);
                        style.push(':');
                        style.push_str(&v);
                        style.push(';');
                    }
                }
            }
            let _ = to.set_attribute("style", &style);
        }
    };
    styled(&svg, &copy);
    for i in 0..originals.length().min(copies.length()) {
        let (Some(a), Some(b)) = (originals.item(i), copies.item(i)) else {
            continue;
        };
        if let (Ok(a), Ok(b)) = (a.dyn_into::<Element>(), b.dyn_into::<Element>()) {
            styled(&a, &b);
        }
    }
    let rect = svg.get_bounding_client_rect();
    let (w, h) = (rect.width().max(320.0), rect.height().max(240.0));
    let _ = copy.set_attribute("xmlns", "http://www.w3.org/2000/svg");
    let _ = copy.set_attribute("width", &format!("{w:.0}"));
    let _ = copy.set_attribute("height", &format!("{h:.0}"));
    let _ = copy.remove_attribute("class");
    let vb: Vec<f64> = copy
        .get_attribute("viewBox")
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    let text = web_sys::XmlSerializer::new()
        .ok()?
        .serialize_to_string(&copy)
        .ok()?;
    // The background goes first, the extra markup last: spliced into the serialised text.
    let open_end = text.find('>')? + 1;
    let close = text.rfind("</svg>")?;
    let bg = match vb.as_slice() {
        [x, y, vw, vh] => format!(
            "<rect x=\"{x}\" y=\"{y}\" width=\"{vw}\" height=\"{vh}\" fill=\"{}\"/>",
            background()
        ),
        _ => String::new(),
    };
    let out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}{bg}{}{extra}</svg>\n",
        &text[..open_end],
        &text[open_end..close]
    );
    Some((out, w, h))
}

/// The messages in flight now, as SVG circles in the cluster's coordinates (the canvas layer's
/// drawing, in vector form).
pub fn messages_svg(m: &Model) -> String {
    let sim = m.sim.borrow();
    let snap = sim.snapshot();
    let homes: Vec<_> = snap.clients.iter().map(|c| c.home).collect();
    let layout = Layout::new(Shape::of(&sim.config().strategy), snap.nodes.len(), &homes);
    let now = snap.time_us;
    let mut out = String::from("<g class=\"messages\">");
    for msg in &snap.messages {
        let Some((a, b)) = layout.lane(msg.from, msg.to) else {
            continue;
        };
        let span = msg.arrive_us.saturating_sub(msg.sent_us).max(1) as f64;
        let frac = (now.saturating_sub(msg.sent_us) as f64 / span).clamp(0.0, 1.0);
        let (x, y) = lerp(a, b, frac);
        let name = msg.kind.name();
        let color = crate::anim::kind_color(name);
        if name == "heartbeat" {
            out.push_str(&format!(
                "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3.5\" fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\"><title>{name}</title></circle>"
            ));
        } else {
            out.push_str(&format!(
                "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"5.5\" fill=\"{color}\"><title>{name}</title></circle>"
            ));
        }
    }
    out.push_str("</g>");
    out
}

/// The cluster picture as a standalone SVG (with the messages in flight).
pub fn cluster_svg(m: &Model) -> Option<(String, f64, f64)> {
    standalone_svg("svg.cluster", &messages_svg(m))
}

/// The space-time diagram as a standalone SVG (only while it is shown).
pub fn diagram_svg() -> Option<(String, f64, f64)> {
    standalone_svg("figure.spacetime svg", "")
}

/// Rasterises an SVG at twice its size and offers it as a PNG download.
pub fn download_png(svg: String, w: f64, h: f64, name: String) {
    let Some(doc) = document() else { return };
    let Some(b) = blob(&svg, "image/svg+xml") else {
        return;
    };
    let Ok(url) = Url::create_object_url_with_blob(&b) else {
        return;
    };
    let Ok(img) = web_sys::HtmlImageElement::new() else {
        return;
    };
    let scale = 2.0;
    let loaded = {
        let (img2, url2) = (img.clone(), url.clone());
        Closure::once(move || {
            let _ = Url::revoke_object_url(&url2);
            let Some(canvas) = doc
                .create_element("canvas")
                .ok()
                .and_then(|c| c.dyn_into::<web_sys::HtmlCanvasElement>().ok())
            else {
                return;
            };
            canvas.set_width((w * scale) as u32);
            canvas.set_height((h * scale) as u32);
            let Some(ctx) = canvas
                .get_context("2d")
                .ok()
                .flatten()
                .and_then(|c| c.dyn_into::<web_sys::CanvasRenderingContext2d>().ok())
            else {
                return;
            };
            let _ = ctx.draw_image_with_html_image_element_and_dw_and_dh(
                &img2,
                0.0,
                0.0,
                w * scale,
                h * scale,
            );
            let done = Closure::once(move |b: JsValue| {
                if let Ok(b) = b.dyn_into::<Blob>() {
                    download(&b, &name);
                }
            });
            let _ = canvas.to_blob(done.as_ref().unchecked_ref());
            done.forget();
        })
    };
    img.set_onload(Some(loaded.as_ref().unchecked_ref()));
    loaded.forget();
    img.set_src(&url);
}

/// The history with every write's fate, the anomalies and the metrics (the counts the panels
/// and the CLI show, by the engine's definitions), as JSON text.
pub fn history_json(m: &Model) -> String {
    let sim = m.sim.borrow();
    let part = |v: Result<String, serde_json::Error>| v.unwrap_or_else(|_| "null".into());
    format!(
        "{{\"replica_lab\":\"{}\",\"time_us\":{},\"scenario\":{},\"history\":{},\"fates\":{},\"anomalies\":{},\"metrics\":{}}}\n",
        env!("CARGO_PKG_VERSION"),
        sim.now(),
        scenario::wire::encode(sim.scenario()),
        part(serde_json::to_string(sim.history())),
        part(serde_json::to_string(&sim.fates())),
        part(serde_json::to_string(sim.anomalies())),
        part(serde_json::to_string(&sim.metrics())),
    )
}

/// The scenario as a JSON file's text (the format `replica-sim run` reads).
pub fn scenario_json(m: &Model) -> String {
    let sim = m.sim.borrow();
    scenario::wire::encode(sim.scenario())
}

/// What a file's text opens: a scenario in JSON, or a link.
pub fn load_text(text: &str) -> Result<Load, String> {
    let t = text.trim();
    let (scenario, view) = if t.starts_with('{') {
        (
            scenario::wire::decode(t).map_err(|e| e.to_string())?,
            View::default(),
        )
    } else {
        scenario::decode_link(t).map_err(|e| e.to_string())?
    };
    Ok(Load {
        scenario,
        view,
        banner: None,
        from_url: false,
        play: false,
    })
}

/// Opens a file (dropped on the page or chosen in the share dialog).
pub fn import(file: web_sys::File, dispatch: UseReducerDispatcher<Model>) {
    let name = file.name();
    if file.size() > MAX_IMPORT_BYTES {
        dispatch.dispatch(Action::Banner(Some(format!(
            "{name} is too large to be a scenario (over 4 MiB)."
        ))));
        return;
    }
    let promise = file.text();
    wasm_bindgen_futures::spawn_local(async move {
        let text = wasm_bindgen_futures::JsFuture::from(promise)
            .await
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default();
        match load_text(&text) {
            Ok(load) => dispatch.dispatch(Action::Load(Box::new(load))),
            Err(e) => dispatch.dispatch(Action::Banner(Some(format!(
                "{name} could not be opened: {e}"
            )))),
        }
    });
}

/// Lets a file dropped anywhere on the page open as a scenario.
pub fn listen_drop(dispatch: UseReducerDispatcher<Model>) -> Vec<gloo_events::EventListener> {
    use gloo_events::{EventListener, EventListenerOptions};
    let Some(doc) = document() else {
        return Vec::new();
    };
    let over = EventListener::new_with_options(
        &doc,
        "dragover",
        EventListenerOptions::enable_prevent_default(),
        |e| {
            let has_files = e
                .dyn_ref::<web_sys::DragEvent>()
                .and_then(|d| d.data_transfer())
                .is_some_and(|t| t.types().includes(&"Files".into(), 0));
            if has_files {
                e.prevent_default();
            }
        },
    );
    let drop = EventListener::new_with_options(
        &doc,
        "drop",
        EventListenerOptions::enable_prevent_default(),
        move |e| {
            let file = e
                .dyn_ref::<web_sys::DragEvent>()
                .and_then(|d| d.data_transfer())
                .and_then(|t| t.files())
                .and_then(|f| f.get(0));
            if let Some(f) = file {
                e.prevent_default();
                import(f, dispatch.clone());
            }
        },
    );
    vec![over, drop]
}
