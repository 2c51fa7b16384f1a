//! Reports of a run: the JSON the CLI prints, and a short text summary for golden tests.

use crate::check::linear::{self, Verdict};
use crate::check::Fate;
use crate::client::{OpKind, OpResult};
use crate::sim::Simulation;
use crate::types::fmt_ms;
use std::fmt::Write;

/// Everything the CLI prints about a run, as JSON.
pub fn json(sim: &Simulation, with_trace: bool) -> serde_json::Value {
    let mut v = serde_json::json!({
        "end_ms": sim.now() as f64 / 1000.0,
        "trace_hash": format!("{:016x}", sim.trace_hash()),
        "leaders": sim.leaders().iter().map(|(e, n)| serde_json::json!({"epoch": e, "node": n})).collect::<Vec<_>>(),
        "history": sim.history(),
        "fates": sim.fates(),
        "anomalies": sim.anomalies(),
        "metrics": sim.metrics(),
        "linearizability": linear::check_all(sim.history(), linear::DEFAULT_BUDGET),
        "series": sim.series(),
    });
    if let Some(e) = sim.election_timeout() {
        v["election_timeout"] = serde_json::json!({
            "configured_ms": e.configured as f64 / 1000.0,
            "effective_ms": e.effective as f64 / 1000.0,
            "slowest_one_way_ms": e.slowest_one_way as f64 / 1000.0,
            "note": e.note(),
        });
    }
    if with_trace {
        v["trace"] = serde_json::to_value(sim.trace()).expect("trace serializes");
    }
    v
}

/// A readable, stable summary of a run's outcome: one line per fact.
pub fn summary(sim: &Simulation) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "end {}", fmt_ms(sim.now()));
    if let Some(note) = sim.election_timeout().and_then(|e| e.note()) {
        let _ = writeln!(s, "note: {note}");
    }
    for (e, n) in sim.leaders() {
        let _ = writeln!(s, "epoch {e}: leader n{n}");
    }
    for (i, node) in sim.snapshot().nodes.iter().enumerate() {
        let _ = writeln!(
            s,
            "n{i}: {}{} epoch {} lsn {}",
            node.role.name(),
            if node.up { "" } else { " (down)" },
            node.epoch,
            node.last_lsn
        );
    }
    let fates = sim.fates();
    for op in sim.history() {
        match (&op.kind, &op.result) {
            (OpKind::Write { key, value }, _) => {
                let f = fates
                    .iter()
                    .find(|f| f.op == op.id)
                    .expect("every write has a fate");
                let mut holders: Vec<String> = f.holders.iter().map(|h| format!("n{h}")).collect();
                holders.extend(f.hint_holders.iter().map(|h| format!("n{h} (hint)")));
                let fate = match f.fate {
                    Fate::Indeterminate if f.present => "indeterminate (present)",
                    Fate::Indeterminate => "indeterminate (absent)",
                    other => other.word(),
                };
                let mut took = match (&op.result, op.latency()) {
                    (OpResult::Written { .. }, Some(l)) => format!(", acked in {}", fmt_ms(l)),
                    _ => String::new(),
                };
                if matches!(f.fate, Fate::Lost | Fate::Unavailable) {
                    took = format!("{took} ({})", f.why);
                }
                let _ = writeln!(
                    s,
                    "write #{} c{} {key}={value}: {fate} on [{}]{took}",
                    op.id,
                    op.client,
                    holders.join(" ")
                );
            }
            (
                OpKind::Read { key },
                OpResult::Read {
                    value,
                    write,
                    others,
                    merged,
                    ..
                },
            ) => {
                let mut all: Vec<String> = vec![value.as_deref().unwrap_or("(none)").to_string()];
                if *merged {
                    // One merged set, with every write it merges.
                    let from: Vec<String> = write
                        .iter()
                        .chain(others.iter().map(|(_, w)| w))
                        .map(|w| format!("#{w}"))
                        .collect();
                    all[0] = format!("{} (merged from {})", all[0], from.join(" "));
                } else {
                    all.extend(others.iter().map(|(v, _)| v.clone()));
                }
                let _ = writeln!(
                    s,
                    "read #{} c{} {key} at n{}: {}",
                    op.id,
                    op.client,
                    op.node,
                    all.join(" | ")
                );
            }
            (OpKind::Read { key }, r) => {
                let _ = writeln!(
                    s,
                    "read #{} c{} {key} at n{}: {r:?}",
                    op.id, op.client, op.node
                );
            }
        }
    }
    for a in sim.anomalies() {
        let what = a.kind.describe();
        match &a.retracted {
            None => {
                let _ = writeln!(s, "anomaly at {}: {what}", fmt_ms(a.t));
            }
            Some(r) => {
                let _ = writeln!(
                    s,
                    "anomaly at {}: {what} (retracted at {}: {})",
                    fmt_ms(a.t),
                    fmt_ms(r.t),
                    r.why
                );
            }
        }
    }
    // Linearizability, only where a key is not (or could not be decided).
    for (key, v) in linear::check_all(sim.history(), linear::DEFAULT_BUDGET) {
        match v {
            Verdict::Linearizable => {}
            v => {
                let _ = writeln!(s, "{key} {}", v.describe());
            }
        }
    }
    s
}
