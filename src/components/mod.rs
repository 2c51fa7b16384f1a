//! Small components with `PartialEq` props, so unchanged parts skip re-rendering.

pub mod cluster;
