//! `replica-sim`: run a scenario headless and print what happened as JSON.
//!
//! ```text
//! replica-sim run <scenario.json> [--trace] [--until-ms N]
//! ```
//! Exit codes: 0 the run completed; 2 bad input (one line on stderr says what).

use replica_engine::{report, scenario::wire, Simulation};
use std::process::ExitCode;

const USAGE: &str =
    "usage: replica-sim run <scenario.json | -> [--trace] [--until-ms N] [--summary]";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("replica-sim: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Vec<String>) -> Result<String, String> {
    let mut it = args.into_iter();
    match it.next().as_deref() {
        Some("run") => {}
        Some("--help") | Some("-h") | None => return Err(USAGE.into()),
        Some(other) => return Err(format!("unknown command {other:?}; {USAGE}")),
    }
    let mut file = None;
    let mut trace = false;
    let mut summary = false;
    let mut until = None;
    while let Some(a) = it.next() {
        match a.as_str() {
            "--trace" => trace = true,
            "--summary" => summary = true,
            "--until-ms" => {
                let v = it.next().ok_or("--until-ms needs a number")?;
                let ms: f64 = v
                    .parse()
                    .map_err(|_| format!("--until-ms: {v:?} is not a number"))?;
                if !ms.is_finite() || !(0.0..=86_400_000.0).contains(&ms) {
                    return Err("--until-ms must be between 0 and 86400000".into());
                }
                until = Some((ms * 1000.0) as u64);
            }
            f if file.is_none() && !f.starts_with("--") || f == "-" => file = Some(f.to_string()),
            other => return Err(format!("unexpected argument {other:?}; {USAGE}")),
        }
    }
    let file = file.ok_or(USAGE)?;
    let text = if file == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| format!("reading stdin: {e}"))?;
        s
    } else {
        std::fs::read_to_string(&file).map_err(|e| format!("cannot read {file}: {e}"))?
    };
    let scenario = wire::decode(&text).map_err(|e| format!("{file}: {e}"))?;
    let end = until.unwrap_or(scenario.end());
    let mut sim = Simulation::new(scenario);
    sim.run_until(end);
    if summary {
        return Ok(report::summary(&sim));
    }
    serde_json::to_string_pretty(&report::json(&sim, trace)).map_err(|e| e.to_string())
}
