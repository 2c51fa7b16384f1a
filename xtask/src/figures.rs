//! The one table of `cargo xtask bench`: every figure of issue #8 with its target and whether it
//! is met, from criterion's results (native engine), the browser figures that
//! `e2e/bench/figures.spec.ts` writes (one JSON file each) and the bundle sizes.
//! Also written to `target/bench/results.json` and, with the date and the machine, to
//! `target/bench/table.md` (pasted into BENCHMARKS.md).

use crate::criterion::{self, Bench};
use crate::sizes::Row;
use crate::util::{cmd, output};
use std::fs;
use std::path::Path;

/// The benchmark scenarios, in table order (names from `replica_engine::bench::all`).
pub const SCENARIOS: [&str; 5] = [
    "single-leader-async",
    "single-leader-semi-sync",
    "single-leader-sync",
    "multi-leader",
    "leaderless",
];

#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    pub name: String,
    pub measured: String,
    pub target: String,
    /// None: not measured (or no target).
    pub met: Option<bool>,
    /// The measured number in the target's unit, for results.json.
    pub value: Option<f64>,
}

fn fig(
    name: &str,
    value: Option<f64>,
    measured: String,
    target: &str,
    met: Option<bool>,
) -> Figure {
    Figure {
        name: name.into(),
        measured: if value.is_some() {
            measured
        } else {
            "not measured".into()
        },
        target: target.into(),
        met: value.and(met),
        value,
    }
}

/// The browser figure `name` (`<dir>/<name>.json`) as text.
fn browser(dir: &Path, name: &str) -> Option<String> {
    fs::read_to_string(dir.join(format!("{name}.json"))).ok()
}

/// A number after `"key":` (the first one) in a JSON text.
fn num(json: &str, key: &str) -> Option<f64> {
    let pat = format!("\"{key}\"");
    let rest = &json[json.find(&pat)? + pat.len()..];
    let rest = rest.trim_start().strip_prefix(':')?.trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || "+-.eE".contains(c)))
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// The part of a JSON text after `"key":` (to look up a nested object's fields).
fn section<'a>(json: &'a str, key: &str) -> Option<&'a str> {
    let pat = format!("\"{key}\"");
    Some(&json[json.find(&pat)? + pat.len()..])
}

fn events_per_s(benches: &[Bench], scenario: &str) -> Option<f64> {
    let b = benches
        .iter()
        .find(|b| b.id == format!("engine/events/{scenario}"))?;
    let (n, _) = b.throughput?;
    Some(n / (b.mean_ns / 1e9))
}

fn mps(x: f64) -> String {
    format!("{:.2} M/s", x / 1e6)
}

pub fn collect(benches: &[Bench], browser_dir: &Path, bundle: &[Row]) -> Vec<Figure> {
    let mut out = Vec::new();
    let wasm = browser(browser_dir, "wasm-events");
    for s in SCENARIOS {
        let native = events_per_s(benches, s);
        out.push(fig(
            &format!("engine events/s, {s}, native (criterion, 1M events)"),
            native,
            native.map(mps).unwrap_or_default(),
            "≥ 10 M/s",
            native.map(|x| x >= 10e6),
        ));
    }
    for s in SCENARIOS {
        let native = events_per_s(benches, s);
        let w = wasm
            .as_deref()
            .and_then(|j| section(j, s))
            .and_then(|j| num(j, "events_per_s"));
        let ratio = w.zip(native).map(|(w, n)| w / n);
        let measured = match (w, ratio) {
            (Some(w), Some(r)) => format!("{} = {r:.2} × native", mps(w)),
            (Some(w), None) => mps(w),
            _ => String::new(),
        };
        out.push(fig(
            &format!("engine events/s, {s}, wasm in Chromium (1M events)"),
            w,
            measured,
            "≥ 0.5 × native",
            ratio.map(|r| r >= 0.5),
        ));
    }
    let seek = browser(browser_dir, "seek");
    let max = seek.as_deref().and_then(|j| num(j, "max_ms"));
    let med = seek.as_deref().and_then(|j| num(j, "median_ms"));
    out.push(fig(
        "seek to any moment of a 1M-event run, browser (worst of 12)",
        max,
        format!(
            "{:.1} ms (median {:.1} ms)",
            max.unwrap_or(0.0),
            med.unwrap_or(0.0)
        ),
        "≤ 100 ms",
        max.map(|x| x <= 100.0),
    ));
    for (id, name) in [
        (
            "seek/middle",
            "seek to the middle and back to the end, native (criterion)",
        ),
        (
            "seek/past-history-horizon",
            "seek back past the history kept and back to the end of a one-hour default run, native",
        ),
    ] {
        let ms = benches
            .iter()
            .find(|b| b.id.starts_with(id))
            .map(|b| b.mean_ns / 1e6);
        let measured = format!("{:.1} ms", ms.unwrap_or(0.0));
        out.push(fig(name, ms, measured, "(for comparison)", None));
    }
    let f = browser(browser_dir, "frames-25");
    let p95 = f.as_deref().and_then(|j| num(j, "p95_ms"));
    let inflight = f.as_deref().and_then(|j| num(j, "in_flight_avg"));
    out.push(fig(
        "p95 frame time, 25 nodes + ~2,000 messages in flight, playing",
        p95,
        format!(
            "{:.1} ms ({:.0} messages in flight)",
            p95.unwrap_or(0.0),
            inflight.unwrap_or(0.0)
        ),
        "≤ 16.7 ms",
        // Frame times are differences of `performance.now()` stamps, which Chromium rounds to
        // 0.1 ms: compare at that resolution (16.700000000000728 is 16.7).
        p95.map(|x| (x * 10.0).round() / 10.0 <= 16.7),
    ));
    let task = browser(browser_dir, "task-5")
        .as_deref()
        .and_then(|j| num(j, "task_ms_per_frame"));
    out.push(fig(
        "main-thread task time per frame, 5 nodes, light workload, playing",
        task,
        format!("{:.2} ms", task.unwrap_or(0.0)),
        "≤ 0.5 ms",
        task.map(|x| x <= 0.5),
    ));
    let gz: u64 = bundle.iter().map(|r| r.gzip).sum();
    let raw: u64 = bundle.iter().map(|r| r.raw).sum();
    let has_bundle = !bundle.is_empty();
    out.push(fig(
        "bundle: wasm + js + css, gzip -9",
        has_bundle.then_some(gz as f64),
        format!(
            "{:.1} KB ({gz} B; raw {:.1} KB)",
            gz as f64 / 1e3,
            raw as f64 / 1e3
        ),
        "≤ 196 KB",
        has_bundle.then_some(gz <= 196_000),
    ));
    let paint = browser(browser_dir, "first-paint");
    let fp = paint.as_deref().and_then(|j| num(j, "first_paint_ms"));
    let fcp = paint
        .as_deref()
        .and_then(|j| num(j, "first_contentful_paint_ms"));
    out.push(fig(
        "first paint of a cold load on 127.0.0.1 (median of 5)",
        fp,
        format!(
            "{:.0} ms (first contentful paint {:.0} ms)",
            fp.unwrap_or(0.0),
            fcp.unwrap_or(0.0)
        ),
        "≤ 200 ms",
        fp.map(|x| x <= 200.0),
    ));
    let mem = browser(browser_dir, "memory");
    let total = mem.as_deref().and_then(|j| num(j, "final_total"));
    let half = mem.as_deref().and_then(|j| num(j, "half_total"));
    let two = mem.as_deref().and_then(|j| num(j, "two_hours_total"));
    let heap = mem.as_deref().and_then(|j| num(j, "final_js_heap"));
    let wasm_mem = mem.as_deref().and_then(|j| num(j, "final_wasm"));
    let mib = |b: Option<f64>| b.unwrap_or(0.0) / (1024.0 * 1024.0);
    out.push(fig(
        "memory after one virtual hour of faults + workload (JS heap + wasm); flat: no growth in a second hour",
        total,
        format!(
            "{:.1} MiB (heap {:.1} + wasm {:.1}); {:.1} MiB after two hours; {:.1} MiB at half an hour",
            mib(total),
            mib(heap),
            mib(wasm_mem),
            mib(two),
            mib(half)
        ),
        "flat, ≤ 64 MB",
        total
            .zip(two)
            .map(|(t, two)| t <= 64.0 * 1024.0 * 1024.0 && two <= t * 1.05 + 1024.0 * 1024.0),
    ));
    out
}

fn met(f: &Figure) -> &'static str {
    match f.met {
        Some(true) => "yes",
        Some(false) => "NO",
        None => "—",
    }
}

/// The table as text.
pub fn table(figs: &[Figure]) -> String {
    let w0 = figs
        .iter()
        .map(|f| f.name.chars().count())
        .max()
        .unwrap_or(6);
    let w1 = figs
        .iter()
        .map(|f| f.measured.chars().count())
        .max()
        .unwrap_or(8);
    let w2 = figs
        .iter()
        .map(|f| f.target.chars().count())
        .max()
        .unwrap_or(6);
    let pad = |s: &str, w: usize| format!("{s}{}", " ".repeat(w.saturating_sub(s.chars().count())));
    let mut s = format!(
        "{}  {}  {}  met?\n",
        pad("figure", w0),
        pad("measured", w1),
        pad("target", w2)
    );
    s.push_str(&format!("{}\n", "-".repeat(w0 + w1 + w2 + 10)));
    for f in figs {
        s.push_str(&format!(
            "{}  {}  {}  {}\n",
            pad(&f.name, w0),
            pad(&f.measured, w1),
            pad(&f.target, w2),
            met(f)
        ));
    }
    s
}

/// The table in Markdown.
pub fn markdown(figs: &[Figure]) -> String {
    let mut s = String::from("| figure | measured | target | met? |\n|---|---|---|---|\n");
    for f in figs {
        s.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            f.name,
            f.measured,
            f.target,
            met(f)
        ));
    }
    s
}

fn json_str(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// The machine, for the record: CPU model, cores, RAM, rustc and Chromium versions.
pub fn machine(chromium: &str) -> Vec<(&'static str, String)> {
    let cpu = output(&mut cmd("lscpu"))
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("Model name:"))
                .map(|l| l["Model name:".len()..].trim().to_string())
        })
        .unwrap_or_else(|| "?".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get().to_string())
        .unwrap_or_else(|_| "?".into());
    let ram = fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            let l = t.lines().find(|l| l.starts_with("MemTotal:"))?;
            let kb: f64 = l.split_whitespace().nth(1)?.parse().ok()?;
            Some(format!("{:.1} GiB", kb / 1024.0 / 1024.0))
        })
        .unwrap_or_else(|| "?".into());
    let rustc = output(cmd("rustc").arg("-V")).unwrap_or_else(|| "?".into());
    let chromium = if chromium.is_empty() {
        "?".into()
    } else {
        output(cmd(chromium).arg("--version")).unwrap_or_else(|| "?".into())
    };
    let date = output(cmd("date").args(["-u", "+%Y-%m-%d %H:%M UTC"])).unwrap_or_default();
    vec![
        ("date", date),
        ("cpu", cpu),
        ("cores", cores),
        ("ram", ram),
        ("rustc", rustc),
        ("chromium", chromium),
    ]
}

/// Writes `results.json` and `table.md` into `dir`.
pub fn write(dir: &Path, figs: &[Figure], machine: &[(&str, String)]) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    let mut j = String::from("{\n  \"machine\": {");
    for (i, (k, v)) in machine.iter().enumerate() {
        let sep = if i == 0 { "" } else { "," };
        j.push_str(&format!("{sep}\n    {}: {}", json_str(k), json_str(v)));
    }
    j.push_str("\n  },\n  \"figures\": [");
    for (i, f) in figs.iter().enumerate() {
        let sep = if i == 0 { "" } else { "," };
        let value = f.value.map_or("null".into(), |v| format!("{v}"));
        let met = f.met.map_or("null".into(), |m| m.to_string());
        j.push_str(&format!(
            "{sep}\n    {{\"figure\": {}, \"measured\": {}, \"value\": {value}, \"target\": {}, \"met\": {met}}}",
            json_str(&f.name),
            json_str(&f.measured),
            json_str(&f.target)
        ));
    }
    j.push_str("\n  ]\n}\n");
    fs::write(dir.join("results.json"), j)?;
    let mut md = String::new();
    for (k, v) in machine {
        md.push_str(&format!("- {k}: {v}\n"));
    }
    md.push('\n');
    md.push_str(&markdown(figs));
    fs::write(dir.join("table.md"), md)
}

/// Criterion's fresh results (see `criterion::collect`).
pub fn benches(since: std::time::SystemTime) -> Vec<Bench> {
    criterion::collect(&criterion::criterion_dir(), since)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_from_results() {
        let dir = std::env::temp_dir().join(format!("xtask-figures-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(
            dir.join("wasm-events.json"),
            r#"{"leaderless": {"events": 1000000, "ms": 2000, "events_per_s": 500000}}"#,
        )
        .unwrap();
        fs::write(
            dir.join("seek.json"),
            r#"{"max_ms": 50.5, "median_ms": 20}"#,
        )
        .unwrap();
        let benches = vec![Bench {
            id: "engine/events/leaderless".into(),
            mean_ns: 1e9,
            throughput: Some((1e6, "elem")),
        }];
        let figs = collect(&benches, &dir, &[]);
        let ll = figs
            .iter()
            .find(|f| f.name.contains("leaderless, wasm"))
            .unwrap();
        assert_eq!(ll.met, Some(true));
        assert!(ll.measured.contains("0.50 × native"), "{}", ll.measured);
        let native = figs
            .iter()
            .find(|f| f.name.contains("leaderless, native"))
            .unwrap();
        assert_eq!(native.met, Some(false));
        let seek = figs
            .iter()
            .find(|f| f.name.starts_with("seek to any"))
            .unwrap();
        assert_eq!(seek.met, Some(true));
        let paint = figs
            .iter()
            .find(|f| f.name.contains("first paint"))
            .unwrap();
        assert_eq!(paint.measured, "not measured");
        assert_eq!(paint.met, None);
        let t = table(&figs);
        assert!(t.lines().count() == figs.len() + 2, "{t}");
        write(&dir, &figs, &[("date", "today".into())]).unwrap();
        let j = fs::read_to_string(dir.join("results.json")).unwrap();
        assert!(j.contains("\"met\": true"));
        fs::remove_dir_all(&dir).unwrap();
    }
}
