//! The share dialog: the link to this moment (with a copy button), the embed snippet with its
//! live preview, exports, and opening a file.

use crate::embed::{Controls, Embed, Theme};
use crate::share;
use crate::state::{on_click, Action, Model};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// What the export buttons produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Export {
    ClusterSvg,
    ClusterPng,
    DiagramSvg,
    DiagramPng,
    History,
    Scenario,
}

#[derive(Properties, PartialEq)]
pub struct ShareProps {
    /// The link text (fragment body) for the moment the dialog opened on.
    pub link: Rc<String>,
    /// A short title for the embed (the strategy in words).
    pub title: String,
    pub on_export: Callback<Export>,
    pub dispatch: UseReducerDispatcher<Model>,
}

/// The `<iframe>` snippet for a link with embed options.
pub fn snippet(src: &str, title: &str) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('"', "&quot;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    format!(
        "<iframe src=\"{}\" title=\"{}\" width=\"100%\" height=\"460\" style=\"border:0\" sandbox=\"allow-scripts\" loading=\"lazy\"></iframe>",
        esc(src),
        esc(title)
    )
}

#[function_component(ShareDialog)]
pub fn share_dialog(props: &ShareProps) -> Html {
    let copied = use_state(|| None::<(&'static str, bool)>);
    let opts = use_state(|| Embed {
        controls: Controls::Minimal,
        autoplay: true,
        looping: false,
        start: None,
        end: None,
        theme: None,
    });
    // The preview sizes itself as a reader's page would: from the height the embed reports.
    let preview = use_node_ref();
    {
        let preview = preview.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|w| {
                gloo_events::EventListener::new(&w, "message", move |e| {
                    let Some(e) = e.dyn_ref::<web_sys::MessageEvent>() else {
                        return;
                    };
                    let Some(frame) = preview.cast::<web_sys::HtmlIFrameElement>() else {
                        return;
                    };
                    let from_preview = match (e.source(), frame.content_window()) {
                        (Some(s), Some(w)) => js_sys::Object::is(&s, &w),
                        _ => false,
                    };
                    if let Some(h) = from_preview
                        .then(|| crate::embed::height_of(&e.data()))
                        .flatten()
                    {
                        let _ = frame.style().set_property("height", &format!("{h}px"));
                    }
                })
            });
            move || drop(listener)
        });
    }
    let url = share::url_of(&props.link);
    let src = format!("{}{}#{}", share::base_url(), opts.query(), props.link);
    let code = snippet(&src, &format!("Replica Lab: {}", props.title));
    let copy = |what: &'static str, text: String| {
        let copied = copied.clone();
        Callback::from(move |_: MouseEvent| {
            let copied = copied.clone();
            share::copy(
                &text,
                Callback::from(move |ok: bool| copied.set(Some((what, ok)))),
            );
        })
    };
    let said = |what: &'static str| match *copied {
        Some((w, true)) if w == what => {
            html! { <span class="copied" role="status">{ "Copied ✓" }</span> }
        }
        Some((w, false)) if w == what => html! {
            <span class="copied warn" role="status">{ "The browser did not allow copying: select the text and copy it." }</span>
        },
        _ => html! {},
    };
    let set_opts = |f: fn(&mut Embed, &str)| {
        let opts = opts.clone();
        Callback::from(move |e: Event| {
            let v = if let Some(i) = e.target_dyn_into::<HtmlInputElement>() {
                if i.type_() == "checkbox" {
                    i.checked().to_string()
                } else {
                    i.value()
                }
            } else if let Some(s) = e.target_dyn_into::<HtmlSelectElement>() {
                s.value()
            } else {
                return;
            };
            let mut o = (*opts).clone();
            f(&mut o, &v);
            opts.set(o);
        })
    };
    let export = |x: Export| {
        let cb = props.on_export.clone();
        Callback::from(move |_: MouseEvent| cb.emit(x))
    };
    let on_file = {
        let d = props.dispatch.clone();
        Callback::from(move |e: Event| {
            let file = e
                .target_dyn_into::<HtmlInputElement>()
                .and_then(|i| i.files())
                .and_then(|f| f.get(0));
            if let Some(f) = file {
                crate::export::import(f, d.clone());
            }
        })
    };
    let select_all = Callback::from(|e: FocusEvent| {
        if let Some(i) = e.target_dyn_into::<HtmlInputElement>() {
            i.select();
        }
    });
    html! {
        <div class="overlay" onclick={on_click(&props.dispatch, Action::Dialog(None))}>
            <div class="dialog share" role="dialog" aria-modal="true" aria-labelledby="share-title"
                onclick={Callback::from(|e: MouseEvent| e.stop_propagation())}>
                <div class="dialog-head">
                    <h2 id="share-title">{ "Share this moment" }</h2>
                    <button class="ghost" aria-label="Close" onclick={on_click(&props.dispatch, Action::Dialog(None))}>{ "×" }</button>
                </div>
                <section aria-labelledby="share-link">
                    <h3 id="share-link">{ "Link" }</h3>
                    <p class="hint">{ "Opens on exactly this moment: the same scenario, seed and actions, the same view." }</p>
                    <div class="copy-row">
                        <input type="text" readonly=true class="link-text" aria-label="Link to this moment"
                            value={url.clone()} onfocus={select_all.clone()} />
                        <button class="primary" onclick={copy("link", url.clone())}>{ "Copy link" }</button>
                    </div>
                    if props.link.len() > replica_engine::scenario::MAX_LINK_CHARS {
                        <p class="copied warn" role="status">{ format!(
                            "This run has grown too long for a link ({} characters; links open up to {}). Export the scenario as JSON below and share the file instead.",
                            url.chars().count(), replica_engine::scenario::MAX_LINK_CHARS) }</p>
                    } else {
                        <p class="hint">{ format!("{} characters", url.chars().count()) }{ said("link") }</p>
                    }
                </section>
                <section aria-labelledby="share-embed">
                    <h3 id="share-embed">{ "Embed" }</h3>
                    <div class="embed-opts">
                        <label>{ "Controls " }
                            <select onchange={set_opts(|o, v| o.controls = match v { "none" => Controls::None, "full" => Controls::Full, _ => Controls::Minimal })}>
                                <option value="minimal" selected={opts.controls == Controls::Minimal}>{ "play + timeline" }</option>
                                <option value="none" selected={opts.controls == Controls::None}>{ "none" }</option>
                                <option value="full" selected={opts.controls == Controls::Full}>{ "the whole page" }</option>
                            </select>
                        </label>
                        <label><input type="checkbox" checked={opts.autoplay}
                            onchange={set_opts(|o, v| o.autoplay = v == "true")} />{ " autoplay" }</label>
                        <label><input type="checkbox" checked={opts.looping}
                            onchange={set_opts(|o, v| o.looping = v == "true")} />{ " loop" }</label>
                        <label>{ "Theme " }
                            <select onchange={set_opts(|o, v| o.theme = match v { "light" => Some(Theme::Light), "dark" => Some(Theme::Dark), _ => None })}>
                                <option value="auto" selected={opts.theme.is_none()}>{ "reader's" }</option>
                                <option value="light" selected={opts.theme == Some(Theme::Light)}>{ "light" }</option>
                                <option value="dark" selected={opts.theme == Some(Theme::Dark)}>{ "dark" }</option>
                            </select>
                        </label>
                    </div>
                    <div class="copy-row">
                        <textarea readonly=true class="snippet" rows="3" aria-label="Embed code" value={code.clone()} />
                        <button onclick={copy("snippet", code.clone())}>{ "Copy code" }</button>
                    </div>
                    { said("snippet") }
                    <iframe class="embed-preview" ref={preview} src={src} title="Preview of the embed" sandbox="allow-scripts" loading="lazy"></iframe>
                </section>
                <section aria-labelledby="share-export">
                    <h3 id="share-export">{ "Export" }</h3>
                    <div class="buttons">
                        <button onclick={export(Export::ClusterSvg)}>{ "Cluster SVG" }</button>
                        <button onclick={export(Export::ClusterPng)}>{ "Cluster PNG" }</button>
                        <button onclick={export(Export::DiagramSvg)}>{ "Diagram SVG" }</button>
                        <button onclick={export(Export::DiagramPng)}>{ "Diagram PNG" }</button>
                        <button onclick={export(Export::History)}>{ "History + fates (JSON)" }</button>
                        <button onclick={export(Export::Scenario)}>{ "Scenario (JSON)" }</button>
                    </div>
                </section>
                <section aria-labelledby="share-import">
                    <h3 id="share-import">{ "Open a scenario" }</h3>
                    <p class="hint">{ "A scenario JSON file (as exported above or run by replica-sim), or a text file holding a link. You can also drop the file anywhere on the page." }</p>
                    <input type="file" accept=".json,.txt,application/json,text/plain" aria-label="Scenario file" onchange={on_file} />
                </section>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_snippet_escapes_what_it_quotes() {
        let s = snippet(
            "https://x.org/?embed&autoplay#1.ab",
            "Replica Lab: \"a\" <b>",
        );
        assert!(s.starts_with("<iframe src=\"https://x.org/?embed&amp;autoplay#1.ab\""));
        assert!(s.contains("title=\"Replica Lab: &quot;a&quot; &lt;b&gt;\""));
        assert!(s.contains("sandbox=\"allow-scripts\""));
    }
}
