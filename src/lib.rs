//! The Replica Lab page: a Yew front end over the `replica-engine` simulation.
//!
//! The page holds no replication semantics. It renders engine snapshots and turns user input into
//! schedule entries; see `ARCHITECTURE.md` for the code map.

pub mod api;
pub mod app;
pub mod components;

pub use app::App;

/// Mounts the app on `<body>` and installs the `window.replicaLab` hook.
pub fn start() {
    yew::Renderer::<App>::new().render();
}
