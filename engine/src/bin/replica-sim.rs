//! `replica-sim`: run a scenario headless and print what happened as JSON.
//!
//! ```text
//! replica-sim run <scenario.json | - | --link LINK> [--trace] [--until-ms N] [--summary]
//! replica-sim link <scenario.json | ->
//! replica-sim presets [--links]
//! replica-sim sweep <scenario.json> [--w 1..5] [--r 1..5] [--latency-ms 10,40,150]
//!                   [--loss 0,1,5] [--mode async,semi-sync:1,sync] [--json]
//! ```
//! `run` runs a scenario from a file, stdin or a scenario link (a whole URL, a `#…` fragment or
//! the bare `1.…` text) and prints the history, fates, anomalies, metrics, linearizability per
//! key and chart series as JSON; `link` prints the link text for a scenario; `presets` lists the
//! built-in presets (id, link length in characters, title), with `--links` their links too.
//! `sweep` runs the scenario once per combination of the given values (ranges `a..b` are
//! inclusive; `--loss` is in percent) and prints a table, or JSON with `--json`.
//! `--help`, `-h` or `help` (or a command followed by `--help` or `-h`) prints the usage and what
//! the JSON holds on stdout.
//! Exit codes: 0 success; 2 bad input (one line on stderr says what).

use replica_engine::scenario::{decode_link, encode_link, wire, Scenario, View};
use replica_engine::{presets, report, Simulation};
use std::process::ExitCode;

const USAGE: &str =
    "usage: replica-sim run <scenario.json | - | --link LINK> [--trace] [--until-ms N] [--summary]
       replica-sim link <scenario.json | ->
       replica-sim presets [--links]
       replica-sim sweep <scenario.json | -> [--w A..B] [--r A..B] [--latency-ms X,Y] [--loss PCT,..] [--mode async,sync,semi-sync:K] [--json]
       replica-sim --help";

/// What `--help` prints: the usage, then what each command does and what the JSON holds.
const HELP: &str = "
Runs Replica Lab scenarios headless (the format: docs/scenario-format.md).

  run       runs a scenario from a file, stdin (-) or a scenario link (a whole URL, a #fragment
            or the bare 1.... text) and prints JSON: end_ms, trace_hash, leaders, history, fates,
            anomalies, metrics, linearizability (per key) and series; --trace adds every trace
            event, --until-ms stops the run early, --summary prints a short text instead.
  link      prints the link text for a scenario file (or -).
  presets   lists the built-in presets: id, link length in characters, title (--links: links).
  sweep     runs the scenario once per combination of the values given (a..b is inclusive,
            --loss is in percent) and prints a table, or JSON with --json.

Times in the JSON are virtual time, and every field that holds one names its unit: end_ms in
milliseconds; t_us, invoke_us, complete_us, arrive_us, since_us, the *_latency_us and
staleness_us percentiles and series points {t_us, value} in microseconds.

Exit codes: 0 success; 2 bad input (one line on stderr says what).";

fn is_help(a: &str) -> bool {
    matches!(a, "--help" | "-h" | "help")
}

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
    // Asking for help is not an error, wherever it is asked: `replica-sim run --help` too.
    if args.first().is_some_and(|a| is_help(a))
        || (args.len() == 2 && matches!(args[1].as_str(), "--help" | "-h"))
    {
        return Ok(format!("{USAGE}\n{HELP}"));
    }
    let mut it = args.into_iter();
    match it.next().as_deref() {
        Some("run") => run_scenario(it),
        Some("link") => link(it),
        Some("presets") => list_presets(it),
        Some("sweep") => sweep(it.collect()),
        None => Err(USAGE.into()),
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

/// "1..5" (inclusive) or "1,3,5".
fn numbers(flag: &str, v: &str) -> Result<Vec<f64>, String> {
    let bad = || format!("{flag}: {v:?} is not a range a..b or a list a,b,c");
    if let Some((a, b)) = v.split_once("..") {
        let (a, b): (u64, u64) = (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
        if a > b || b - a > 1000 {
            return Err(bad());
        }
        return Ok((a..=b).map(|x| x as f64).collect());
    }
    v.split(',')
        .map(|x| x.trim().parse::<f64>().map_err(|_| bad()))
        .filter(|x| x.as_ref().map_or(true, |x| x.is_finite() && *x >= 0.0))
        .collect()
}

fn sweep(args: Vec<String>) -> Result<String, String> {
    use replica_engine::scenario::SyncMode;
    use replica_engine::sweep::{self, Axis, Sweep};
    let mut it = args.into_iter();
    let mut file = None;
    let mut axes = Vec::new();
    let mut json = false;
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--json" => json = true,
            "--w" => axes.push(Axis::W(
                numbers(&a, &value()?)?.iter().map(|x| *x as u16).collect(),
            )),
            "--r" => axes.push(Axis::R(
                numbers(&a, &value()?)?.iter().map(|x| *x as u16).collect(),
            )),
            "--latency-ms" => axes.push(Axis::LatencyMs(
                numbers(&a, &value()?)?.iter().map(|x| *x as u64).collect(),
            )),
            "--loss" => axes.push(Axis::LossPpm(
                numbers(&a, &value()?)?
                    .iter()
                    .map(|x| (x * 10_000.0).round().min(1e6) as u32)
                    .collect(),
            )),
            "--mode" => {
                let v = value()?;
                let modes = v
                    .split(',')
                    .map(|m| match m.trim() {
                        "async" => Ok(SyncMode::Async),
                        "sync" => Ok(SyncMode::Sync),
                        m => m
                            .strip_prefix("semi-sync:")
                            .and_then(|k| k.parse().ok())
                            .map(|k| SyncMode::SemiSync { k })
                            .ok_or(format!("--mode: {m:?} is not async, sync or semi-sync:K")),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                axes.push(Axis::Mode(modes));
            }
            f if file.is_none() && (!f.starts_with("--") || f == "-") => file = Some(f.to_string()),
            other => return Err(format!("unexpected argument {other:?}; {USAGE}")),
        }
    }
    let file = file.ok_or(USAGE)?;
    if axes.is_empty() {
        return Err(format!("sweep needs at least one axis; {USAGE}"));
    }
    let mut sw = Sweep::new(read_scenario(&file)?, axes)?;
    let results = sw.run_all();
    if json {
        serde_json::to_string_pretty(results).map_err(|e| e.to_string())
    } else {
        Ok(sweep::table(results))
    }
}
