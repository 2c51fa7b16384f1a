//! Replication strategies: each is a sans-IO node state machine.

pub mod single_leader;
