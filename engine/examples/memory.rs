//! Memory over one virtual hour of the page's first scenario with a random fault every 10 s (the
//! same run as `tests/bounds.rs`), counted by a global allocator:
//! `cargo run --release -p replica-engine --example memory [hours]`.
use replica_engine::{Scenario, Simulation};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
struct Count;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
unsafe impl GlobalAlloc for Count {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let n = LIVE.fetch_add(l.size(), Relaxed) + l.size();
        PEAK.fetch_max(n, Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Relaxed);
        unsafe { System.dealloc(p, l) }
    }
}
#[global_allocator]
static A: Count = Count;
fn main() {
    let mut sim = Simulation::new(Scenario::default());
    let mut faults = replica_engine::bench::Faults::new(12345);
    let sec = 1_000_000u64;
    let hours: u64 = std::env::args()
        .nth(1)
        .and_then(|h| h.parse().ok())
        .unwrap_or(1);
    for i in 1..=360 * hours {
        let a = faults.next(3);
        sim.act(a);
        sim.run_until(i * 10 * sec);
        if i % 30 == 0 {
            let live = LIVE.load(Relaxed);
            println!(
                "t={}s events={} trace={} cps={} history={} live={:.1}MB peak since last line={:.1}MB",
                i * 10,
                sim.stats().events,
                sim.trace().len(),
                sim.checkpoint_count(),
                sim.history().len(),
                live as f64 / 1e6,
                PEAK.swap(live, Relaxed) as f64 / 1e6
            );
        }
    }
    let before = LIVE.load(Relaxed);
    drop(sim);
    println!(
        "sim total {:.1} MB",
        (before - LIVE.load(Relaxed)) as f64 / 1e6
    );
}
