//! Small components with `PartialEq` props, so unchanged parts skip re-rendering.

pub mod cluster;
pub mod consistency;
pub mod controls;
pub mod event_log;
pub mod gallery;
pub mod help;
pub mod inspector;
pub mod results;
pub mod share;
pub mod spacetime;
pub mod stage;
pub mod timeline;
