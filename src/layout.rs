//! Geometry shared by the SVG cluster view and the canvas message layer.
//!
//! Both draw in the same coordinate system: a `VIEW_W` × `VIEW_H` box centred on (0, 0), the SVG
//! through its `viewBox` and the canvas through [`Fit`]. Nodes sit on a ring that starts at the
//! top and goes clockwise; each client sits just outside the ring, beside its home node.
//!
//! Multi-leader clusters are drawn by region: the regions sit on the ring, each a small group of
//! its leader (towards the centre, where the leaders talk to each other) and its followers
//! (outside it), inside a faint circle labelled with the region's number.

use replica_engine::scenario::Strategy;
use replica_engine::{Addr, NodeId};

/// How the nodes are arranged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Every node on one ring (single-leader, leaderless).
    Ring,
    /// Multi-leader: `regions` groups of one leader and `followers` followers, numbered region
    /// by region (the engine's numbering).
    Regions { regions: u16, followers: u16 },
}

impl Shape {
    pub fn of(s: &Strategy) -> Shape {
        match s {
            Strategy::MultiLeader(ml) => Shape::Regions {
                regions: ml.regions.max(1),
                followers: ml.followers,
            },
            _ => Shape::Ring,
        }
    }
}

/// A region's faint circle and its label (multi-leader).
#[derive(Clone, Debug, PartialEq)]
pub struct RegionBox {
    pub c: (f64, f64),
    pub r: f64,
    /// Where its label goes, and whether the label sits above (text grows upwards) or below.
    pub label: (f64, f64),
}

/// Width and height of the drawing, in view units.
pub const VIEW_W: f64 = 640.0;
pub const VIEW_H: f64 = 560.0;

/// Where everything is, for a cluster of `nodes` nodes and the given clients' home nodes.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    pub ring: f64,
    pub node_r: f64,
    pub client_r: f64,
    pub nodes: Vec<(f64, f64)>,
    pub clients: Vec<(f64, f64)>,
    /// For each node, the unit direction in which its labels are written.
    pub label_dir: Vec<(f64, f64)>,
    pub regions: Vec<RegionBox>,
}

impl Layout {
    pub fn new(shape: Shape, nodes: usize, client_homes: &[NodeId]) -> Self {
        match shape {
            Shape::Regions { regions, followers }
                if followers > 0 && regions as usize * (1 + followers as usize) == nodes =>
            {
                Self::regions(regions as usize, followers as usize, client_homes)
            }
            Shape::Regions { .. } => {
                let mut l = Self::ring(nodes, client_homes);
                let r = l.node_r + 12.0;
                // The region's label goes outward, so the node's own labels go to the side
                // (counter-clockwise: its clients are clockwise).
                l.label_dir = l
                    .nodes
                    .iter()
                    .map(|&p| {
                        let u = outward(p, 1.0);
                        (u.1, -u.0)
                    })
                    .collect();
                l.regions = l
                    .nodes
                    .iter()
                    .map(|&c| RegionBox {
                        c,
                        r,
                        label: outward(c, r + 4.0),
                    })
                    .collect();
                l
            }
            Shape::Ring => Self::ring(nodes, client_homes),
        }
    }

    /// Regions on the ring; in each, the leader towards the centre and the followers outside.
    fn regions(regions: usize, followers: usize, client_homes: &[NodeId]) -> Self {
        let ring = if regions <= 3 { 168.0 } else { 178.0 };
        // Shrink everything in a region when many regions share the ring.
        let spacing = std::f64::consts::TAU * ring / regions as f64;
        let s = (spacing / 150.0).min(1.0);
        let node_r = (23.0 * s).max(12.0);
        let (g, w) = (26.0 * s, 29.0 * s);
        let per = 1 + followers;
        let mut nodes = Vec::with_capacity(regions * per);
        let mut label_dir = Vec::with_capacity(regions * per);
        let mut boxes = Vec::with_capacity(regions);
        for r in 0..regions {
            let a = angle(r, regions);
            let (u, t) = ((math::cos(a), math::sin(a)), (-math::sin(a), math::cos(a)));
            let c = (ring * u.0, ring * u.1);
            nodes.push((c.0 - u.0 * g, c.1 - u.1 * g));
            // Labels go sideways, away from the region's middle (the region's own label is
            // outside it): the leader's and the first follower's counter-clockwise, where
            // no client sits.
            label_dir.push((-t.0, -t.1));
            for k in 0..followers {
                let off = (k as f64 - (followers - 1) as f64 / 2.0) * 2.0 * w;
                nodes.push((c.0 + u.0 * g + t.0 * off, c.1 + u.1 * g + t.1 * off));
                label_dir.push(if off <= 0.0 { (-t.0, -t.1) } else { t });
            }
            let span = (g * g + (w * (followers - 1) as f64).powi(2)).sqrt();
            let br = span.max(g) + node_r + 10.0;
            boxes.push(RegionBox {
                c,
                r: br,
                label: outward(c, br + 4.0),
            });
        }
        let client_r = 12.0 * s.max(0.85);
        let mut seen = vec![0usize; regions];
        let clients = client_homes
            .iter()
            .map(|&home| {
                let reg = (home as usize / per).min(regions - 1);
                let k = seen[reg];
                seen[reg] += 1;
                let a = angle(reg, regions) + 0.62 + 0.2 * k as f64;
                let rr = ring + 58.0 * s.max(0.8);
                (rr * math::cos(a), rr * math::sin(a))
            })
            .collect();
        Layout {
            ring,
            node_r,
            client_r,
            nodes,
            clients,
            label_dir,
            regions: boxes,
        }
    }

    fn ring(nodes: usize, client_homes: &[NodeId]) -> Self {
        let n = nodes.max(1);
        // The ring widens a little for big clusters; nodes shrink so neighbours never touch.
        let ring = if n <= 8 { 165.0 } else { 212.0 };
        let spacing = std::f64::consts::TAU * ring / n as f64;
        let node_r = (spacing * 0.32).clamp(15.0, if n <= 8 { 34.0 } else { 26.0 });
        let client_r = if n <= 8 { 13.0 } else { 10.0 };
        let node_pos: Vec<(f64, f64)> = (0..n).map(|i| ring_position(i, n, ring)).collect();
        // Clients that share a home node fan out around it, slightly clockwise of the node so the
        // node's own labels (drawn below it) stay clear.
        let mut seen = vec![0usize; n];
        let clients = client_homes
            .iter()
            .map(|&home| {
                let h = (home as usize).min(n - 1);
                let k = seen[h];
                seen[h] += 1;
                let base = angle(h, n);
                let a = base + 0.30 + 0.28 * k as f64;
                let r = ring + node_r + if n <= 8 { 42.0 } else { 26.0 };
                (r * math::cos(a), r * math::sin(a))
            })
            .collect();
        let label_dir = node_pos.iter().map(|&p| outward(p, 1.0)).collect();
        Layout {
            ring,
            node_r,
            client_r,
            nodes: node_pos,
            clients,
            label_dir,
            regions: Vec::new(),
        }
    }

    /// The centre of a node or client, if it exists.
    pub fn addr(&self, a: Addr) -> Option<(f64, f64)> {
        match a {
            Addr::Node(n) => self.nodes.get(n as usize).copied(),
            Addr::Client(c) => self.clients.get(c as usize).copied(),
        }
    }

    /// The radius of what sits at `a`, so messages start and end at the rim, not the centre.
    pub fn radius(&self, a: Addr) -> f64 {
        match a {
            Addr::Node(_) => self.node_r,
            Addr::Client(_) => self.client_r,
        }
    }

    /// The path a message from `from` to `to` travels: rim to rim, shifted a few units to the
    /// right of its direction so that requests and replies on one link use separate lanes.
    pub fn lane(&self, from: Addr, to: Addr) -> Option<((f64, f64), (f64, f64))> {
        let (a, b) = (self.addr(from)?, self.addr(to)?);
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len = (dx * dx + dy * dy).sqrt().max(1e-6);
        let (ux, uy) = (dx / len, dy / len);
        // Perpendicular, to the right of travel (screen y grows downwards).
        let (px, py) = (-uy * 4.0, ux * 4.0);
        let (ra, rb) = (self.radius(from), self.radius(to));
        Some((
            (a.0 + ux * ra + px, a.1 + uy * ra + py),
            (b.0 - ux * rb + px, b.1 - uy * rb + py),
        ))
    }
}

/// The point `d` further out from the centre of the view than `p` (the unit vector for `d = 1`).
fn outward(p: (f64, f64), d: f64) -> (f64, f64) {
    let len = (p.0 * p.0 + p.1 * p.1).sqrt();
    if len < 1e-6 {
        return (0.0, -d);
    }
    let k = if d == 1.0 { 1.0 / len } else { (len + d) / len };
    (p.0 * k, p.1 * k)
}

fn angle(i: usize, n: usize) -> f64 {
    -std::f64::consts::FRAC_PI_2 + std::f64::consts::TAU * i as f64 / n.max(1) as f64
}

/// Position of node `i` of `n` on a ring of radius `r` around (0, 0), starting at the top.
pub fn ring_position(i: usize, n: usize, r: f64) -> (f64, f64) {
    let a = angle(i, n);
    (r * math::cos(a), r * math::sin(a))
}

/// `cos`, `sin`, `10^x` and `log10` from the browser's `Math` in the page: Rust's own (libm)
/// would add several kilobytes to the bundle for four functions the browser already has.
pub mod math {
    #[cfg(target_arch = "wasm32")]
    pub use js_sys::Math::{cos, log10, sin};
    #[cfg(target_arch = "wasm32")]
    pub fn exp10(x: f64) -> f64 {
        js_sys::Math::pow(10.0, x)
    }
    #[cfg(not(target_arch = "wasm32"))]
    pub fn cos(x: f64) -> f64 {
        x.cos()
    }
    #[cfg(not(target_arch = "wasm32"))]
    pub fn sin(x: f64) -> f64 {
        x.sin()
    }
    #[cfg(not(target_arch = "wasm32"))]
    pub fn log10(x: f64) -> f64 {
        x.log10()
    }
    #[cfg(not(target_arch = "wasm32"))]
    pub fn exp10(x: f64) -> f64 {
        10f64.powf(x)
    }
}

/// Linear interpolation between two points.
pub fn lerp(a: (f64, f64), b: (f64, f64), f: f64) -> (f64, f64) {
    (a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f)
}

/// Maps view units onto a `w` × `h` pixel area the way SVG's `xMidYMid meet` does, so the canvas
/// lines up with the SVG beneath it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fit {
    pub scale: f64,
    pub ox: f64,
    pub oy: f64,
}

impl Fit {
    pub fn new(w: f64, h: f64) -> Self {
        let scale = (w / VIEW_W).min(h / VIEW_H);
        Fit {
            scale,
            ox: w / 2.0,
            oy: h / 2.0,
        }
    }
    pub fn to_px(&self, p: (f64, f64)) -> (f64, f64) {
        (self.ox + p.0 * self.scale, self.oy + p.1 * self.scale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_starts_at_the_top_and_goes_clockwise() {
        let (x, y) = ring_position(0, 4, 100.0);
        assert!(x.abs() < 1e-9 && (y + 100.0).abs() < 1e-9);
        let (x, y) = ring_position(1, 4, 100.0);
        assert!((x - 100.0).abs() < 1e-9 && y.abs() < 1e-9);
    }

    #[test]
    fn nodes_never_overlap_and_everything_fits() {
        for n in 1..=25usize {
            let homes: Vec<NodeId> = (0..4).map(|c| (c % n) as NodeId).collect();
            let l = Layout::new(Shape::Ring, n, &homes);
            for i in 0..n {
                for j in i + 1..n {
                    let (a, b) = (l.nodes[i], l.nodes[j]);
                    let d = ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
                    assert!(d > 2.0 * l.node_r + 4.0, "n={n}: nodes {i} and {j} touch");
                }
            }
            let nodes = l.nodes.iter().map(|p| (p, l.node_r));
            for (&(x, y), r) in nodes.chain(l.clients.iter().map(|p| (p, l.client_r))) {
                assert!(x.abs() + r < VIEW_W / 2.0, "n={n}: x={x} outside");
                assert!(y.abs() + r < VIEW_H / 2.0, "n={n}: y={y} outside");
            }
        }
    }

    #[test]
    fn regions_never_overlap_and_fit() {
        for regions in 1..=8u16 {
            for followers in 0..=2u16 {
                let per = 1 + followers;
                let n = (regions * per) as usize;
                let homes: Vec<NodeId> = (0..4).map(|c| (c % regions) * per).collect();
                let shape = Shape::Regions { regions, followers };
                let l = Layout::new(shape, n, &homes);
                assert_eq!(l.nodes.len(), n);
                assert_eq!(l.regions.len(), regions as usize);
                for i in 0..n {
                    for j in i + 1..n {
                        let (a, b) = (l.nodes[i], l.nodes[j]);
                        let d = ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
                        assert!(
                            d > 2.0 * l.node_r + 4.0,
                            "{regions}x{per}: {i} and {j} touch"
                        );
                    }
                }
                let nodes = l.nodes.iter().map(|p| (p, l.node_r));
                for (&(x, y), r) in nodes.chain(l.clients.iter().map(|p| (p, l.client_r))) {
                    assert!(x.abs() + r < VIEW_W / 2.0, "{regions}x{per}: x={x} outside");
                    assert!(y.abs() + r < VIEW_H / 2.0, "{regions}x{per}: y={y} outside");
                }
            }
        }
    }

    #[test]
    fn lanes_end_at_the_rim() {
        let l = Layout::new(Shape::Ring, 3, &[0]);
        let (a, _) = l.lane(Addr::Node(0), Addr::Node(1)).unwrap();
        let c = l.nodes[0];
        let d = ((a.0 - c.0).powi(2) + (a.1 - c.1).powi(2)).sqrt();
        assert!((d - (l.node_r.powi(2) + 16.0).sqrt()).abs() < 1e-6);
        assert!(l.lane(Addr::Node(0), Addr::Node(7)).is_none());
    }

    #[test]
    fn fit_centres_like_svg_meet() {
        let f = Fit::new(VIEW_W * 2.0, VIEW_H);
        assert_eq!(f.scale, 1.0);
        assert_eq!(f.to_px((0.0, 0.0)), (VIEW_W, VIEW_H / 2.0));
    }
}
