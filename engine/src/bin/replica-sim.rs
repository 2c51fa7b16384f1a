//! `replica-sim`: run a scenario headless and print what happened as JSON.
//!
//! ```text
//! replica-sim run <scenario.json | - | --link LINK> [--trace] [--until-ms N] [--summary]
//! replica-sim link <scenario.json | ->
//! replica-sim presets [--links]
//! ```
//! `run` runs a scenario from a file, stdin or a scenario link (a whole URL, a `#…` fragment or
//! the bare `1.…` text); `link` prints the link text for a scenario; `presets` lists the built-in
//! presets (id, link length in characters, title), with `--links` their links too.
//! Exit codes: 0 success; 2 bad input (one line on stderr says what).

use replica_engine::scenario::{decode_link, encode_link, wire, Scenario, View};
use replica_engine::{presets, report, Simulation};
use std::process::ExitCode;

const USAGE: &str =
    "usage: replica-sim run <scenario.json | - | --link LINK> [--trace] [--until-ms N] [--summary]
       replica-sim link <scenario.json | ->
       replica-sim presets [--links]";

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
        Some("run") => run_scenario(it),
        Some("link") => link(it),
        Some("presets") => list_presets(it),
        Some("--help") | Some("-h") | None => Err(USAGE.into()),
        Some(other) => Err(format!("unknown command {other:?}; {USAGE}")),
    }
}

/// Reads a scenario file, or stdin for `-`.
fn read_scenario(file: &str) -> Result<Scenario, String> {
    let text = if file == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| format!("reading stdin: {e}"))?;
        s
    } else {
        std::fs::read_to_string(file).map_err(|e| format!("cannot read {file}: {e}"))?
    };
    wire::decode(&text).map_err(|e| format!("{file}: {e}"))
}

fn link(mut it: impl Iterator<Item = String>) -> Result<String, String> {
    let file = match (it.next(), it.next()) {
        (Some(f), None) if f == "-" || !f.starts_with("--") => f,
        _ => return Err(format!("link takes one scenario file (or -); {USAGE}")),
    };
    Ok(encode_link(&read_scenario(&file)?, &View::default()))
}

fn list_presets(it: impl Iterator<Item = String>) -> Result<String, String> {
    let mut links = false;
    for a in it {
        match a.as_str() {
            "--links" => links = true,
            other => return Err(format!("unexpected argument {other:?}; {USAGE}")),
        }
    }
    let mut out = Vec::new();
    for p in presets::presets() {
        let l = encode_link(&p.scenario, &p.view);
        out.push(format!("{:<26} {:>5}  {}", p.id, l.len(), p.title));
        if links {
            out.push(format!("  {l}"));
        }
    }
    Ok(out.join("\n"))
}

fn run_scenario(mut it: impl Iterator<Item = String>) -> Result<String, String> {
    let mut file = None;
    let mut link = None;
    let mut trace = false;
    let mut summary = false;
    let mut until = None;
    while let Some(a) = it.next() {
        match a.as_str() {
            "--trace" => trace = true,
            "--summary" => summary = true,
            "--link" => link = Some(it.next().ok_or("--link needs the link text or URL")?),
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
    let scenario = match (file, link) {
        (Some(f), None) => read_scenario(&f)?,
        (None, Some(l)) => decode_link(&l).map_err(|e| format!("--link: {e}"))?.0,
        (Some(_), Some(_)) => {
            return Err(format!("give a scenario file or --link, not both; {USAGE}"))
        }
        (None, None) => return Err(USAGE.into()),
    };
    let end = until.unwrap_or(scenario.end());
    let mut sim = Simulation::new(scenario);
    sim.run_until(end);
    if summary {
        return Ok(report::summary(&sim));
    }
    serde_json::to_string_pretty(&report::json(&sim, trace)).map_err(|e| e.to_string())
}
