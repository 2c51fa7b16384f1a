//! Prints each key's preference list on the ring: `cargo run -p replica-engine --example ring -- NODES VNODES KEY...`.
use replica_engine::strategy::leaderless::{preference, ring};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let nodes: u16 = args.first().and_then(|a| a.parse().ok()).unwrap_or(5);
    let vnodes: u16 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(8);
    let members: Vec<u16> = (0..nodes).collect();
    let r = ring(&members, vnodes);
    for key in args.iter().skip(2) {
        let p: Vec<String> = preference(&r, key)
            .iter()
            .map(|n| format!("n{n}"))
            .collect();
        println!("{key}: {}", p.join(" "));
    }
}
