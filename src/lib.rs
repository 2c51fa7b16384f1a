//! The Replica Lab page: a Yew front end over the `replica-engine` simulation.
//!
//! The page holds no replication semantics. It renders engine snapshots and trace events and
//! turns user input into schedule entries (`Simulation::act`) at the current virtual time.
//!
//! - `state`: the model and its reducer, the only code that changes the simulation;
//! - `anim`: the requestAnimationFrame loop and the canvas message layer;
//! - `layout`: geometry shared by the SVG and the canvas;
//! - `components`: cluster, controls, timeline, inspector, results, event log, space-time diagram;
//! - `spacetime`: the space-time diagram's data, from the trace and the history;
//! - `words`: trace events, operations and anomalies in words;
//! - `share`: scenario links in the address; `embed`: the iframe mode; `export`: files out and in;
//! - `api`: `window.replicaLab`; `keys`: keyboard shortcuts; `wire_action`: actions as JSON.

pub mod anim;
pub mod api;
pub mod app;
pub mod compare;
pub mod components;
pub mod embed;
pub mod export;
pub mod keys;
pub mod layout;
pub mod share;
pub mod spacetime;
pub mod state;
pub mod wire_action;
pub mod words;

pub use app::App;

/// Mounts the app on `<body>`; the app installs `window.replicaLab`.
pub fn start() {
    yew::Renderer::<App>::new().render();
}
