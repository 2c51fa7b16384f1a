//! The root component.

use crate::api;
use crate::components::cluster::ClusterView;
use replica_engine::{Scenario, Simulation};
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// The page's model, shared with the `window.replicaLab` hook.
pub type SharedSim = Rc<RefCell<Simulation>>;

#[function_component(App)]
pub fn app() -> Html {
    let sim: SharedSim = use_memo((), |_| {
        Rc::new(RefCell::new(Simulation::new(Scenario::default())))
    })
    .as_ref()
    .clone();
    {
        let sim = sim.clone();
        use_effect_with((), move |_| api::install(sim));
    }
    let snapshot = sim.borrow().snapshot();
    html! {
        <div class="app">
            <header class="top">
                <h1>{ "Replica Lab" }</h1>
                <p class="tagline">{ "See database replication work, and fail." }</p>
            </header>
            <main>
                <ClusterView snapshot={Rc::new(snapshot)} />
            </main>
            <footer>
                <a href="https://github.com/replica-lab/replica-lab#readme">{ "Source and README" }</a>
            </footer>
        </div>
    }
}
