//! The preset gallery: one ready scenario per phenomenon, each a link like any other.

use crate::state::{on_click, Action, Model};
use std::rc::Rc;
use yew::prelude::*;

/// A preset as the gallery shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Card {
    pub id: &'static str,
    pub title: &'static str,
    pub explain: &'static str,
    pub strategy: &'static str,
    /// The link text (fragment body).
    pub link: String,
}

/// Every preset, with its link.
pub fn cards() -> Vec<Card> {
    replica_engine::presets::presets()
        .into_iter()
        .map(|p| Card {
            id: p.id,
            title: p.title,
            explain: p.explain,
            strategy: crate::state::Kind::of(&p.scenario.config.strategy).label(),
            link: replica_engine::scenario::encode_link(&p.scenario, &p.view),
        })
        .collect()
}

#[derive(Properties, PartialEq)]
pub struct GalleryProps {
    pub cards: Rc<Vec<Card>>,
    pub dispatch: UseReducerDispatcher<Model>,
}

#[function_component(Gallery)]
pub fn gallery(props: &GalleryProps) -> Html {
    html! {
        <div class="overlay" onclick={on_click(&props.dispatch, Action::Dialog(None))}>
            <div class="dialog gallery" role="dialog" aria-modal="true" aria-labelledby="gallery-title"
                onclick={Callback::from(|e: MouseEvent| e.stop_propagation())}>
                <div class="dialog-head">
                    <h2 id="gallery-title">{ "Scenarios to start from" }</h2>
                    <button class="ghost" aria-label="Close" onclick={on_click(&props.dispatch, Action::Dialog(None))}>{ "×" }</button>
                </div>
                <p class="hint">{ "Each opens paused on the moment that matters. Press play, scrub, or change something and see what else happens." }</p>
                <ul class="cards">
                    { for props.cards.iter().map(|c| html! {
                        <li class="card" data-preset={c.id}>
                            <a href={format!("#{}", c.link)}>
                                <span class="tag">{ c.strategy }</span>
                                <strong>{ c.title }</strong>
                                <span class="explain">{ c.explain }</span>
                            </a>
                        </li>
                    }) }
                </ul>
            </div>
        </div>
    }
}
