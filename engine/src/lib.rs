//! `replica-engine`: a deterministic simulation of database replication.
//!
//! A [`Scenario`] (configuration, seed and a schedule of timed actions) becomes a [`Simulation`],
//! which can be stepped, run forward and sought backwards. Everything it does is recorded in a
//! trace of [`TraceEvent`]s that a front end animates, and in a client history that the checkers
//! in [`check`] judge. The engine has no web, wall-clock or OS-randomness dependency, so the same
//! scenario gives the same trace natively and in WebAssembly.
//!
//! ```
//! use replica_engine::{scenario::wire, Simulation};
//!
//! let scenario = wire::decode(r#"{
//!     "version": 1, "nodes": 3,
//!     "strategy": { "kind": "single-leader", "mode": "async" },
//!     "schedule": [
//!         { "at_ms": 10, "do": "write", "key": "x", "value": "1" },
//!         { "at_ms": 500, "do": "read", "key": "x", "from": 2 }
//!     ]
//! }"#).unwrap();
//! let mut sim = Simulation::new(scenario);
//! sim.run_until(1_000_000); // one virtual second, in microseconds
//! let read = &sim.history()[1];
//! assert!(matches!(&read.result,
//!     replica_engine::client::OpResult::Read { value: Some(v), .. } if v == "1"));
//! ```

pub mod bench;
pub mod check;
pub mod client;
pub mod net;
pub mod node;
pub mod presets;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod sim;
pub mod sort;
pub mod store;
pub mod strategy;
pub mod sweep;
pub mod trace;
pub mod types;
pub mod window;

pub use scenario::Scenario;
pub use sim::{Simulation, Snapshot};
pub use trace::{TraceEvent, TraceKind};
pub use types::{Addr, MsgKind, NodeId, Role, Time};
