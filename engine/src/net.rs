//! The network between nodes: latency (base + jitter), loss, duplication, directed cuts.

use crate::rng::Rng;
use crate::scenario::NetConfig;
use crate::types::{NodeId, Time};
use std::collections::BTreeSet;

#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    pub cfg: NetConfig,
    /// Directed links that are cut: (from, to).
    pub cut: BTreeSet<(NodeId, NodeId)>,
    /// Multi-leader regions: (region of each node, latency inside a region).
    pub regions: Option<(Vec<u16>, Time)>,
}

impl Network {
    pub fn new(cfg: NetConfig) -> Self {
        Network {
            cfg,
            cut: BTreeSet::new(),
            regions: None,
        }
    }

    /// A latency sample for one message on the directed link `a -> b`.
    pub fn latency(&self, a: NodeId, b: NodeId, rng: &mut Rng) -> Time {
        let o = self.cfg.links.get(&(a, b));
        let (mut base, mut jitter) = (self.cfg.latency, self.cfg.jitter);
        if let Some((regions, local)) = &self.regions {
            if regions.get(a as usize) == regions.get(b as usize) {
                (base, jitter) = (*local, self.cfg.jitter.min(*local / 2));
            }
        }
        let base = o.and_then(|o| o.latency).unwrap_or(base);
        let jitter = o.and_then(|o| o.jitter).unwrap_or(jitter);
        (base + rng.upto(jitter)).max(1)
    }

    pub fn loss_ppm(&self, a: NodeId, b: NodeId) -> u32 {
        self.cfg
            .links
            .get(&(a, b))
            .and_then(|o| o.loss_ppm)
            .unwrap_or(self.cfg.loss_ppm)
    }

    pub fn is_cut(&self, a: NodeId, b: NodeId) -> bool {
        self.cut.contains(&(a, b))
    }
}
