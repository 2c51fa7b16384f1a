//! A summary table of the criterion results written by `cargo bench` (std only: criterion's
//! `target/criterion/**/new/{benchmark,estimates}.json` are read with a few string searches).

use crate::util::root;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

#[derive(Clone, Debug, PartialEq)]
pub struct Bench {
    pub id: String,
    pub mean_ns: f64,
    /// Elements (or bytes, with `per = "B"`) per iteration, when the bench declares a throughput.
    pub throughput: Option<(f64, &'static str)>,
}

pub fn criterion_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
        .join("criterion")
}

/// Every benchmark whose results were written at or after `since`, sorted by id.
pub fn collect(dir: &Path, since: SystemTime) -> Vec<Bench> {
    let mut news = Vec::new();
    find_new_dirs(dir, &mut news);
    let mut out: Vec<Bench> = news
        .iter()
        .filter_map(|d| {
            let est = d.join("estimates.json");
            let fresh = fs::metadata(&est)
                .and_then(|m| m.modified())
                .is_ok_and(|t| t >= since);
            if !fresh {
                return None;
            }
            parse(
                &fs::read_to_string(d.join("benchmark.json")).ok()?,
                &fs::read_to_string(est).ok()?,
            )
        })
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

fn find_new_dirs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if !p.is_dir() {
            continue;
        }
        if p.file_name().is_some_and(|n| n == "new") && p.join("benchmark.json").exists() {
            out.push(p);
        } else if p.file_name().is_none_or(|n| n != "report") {
            find_new_dirs(&p, out);
        }
    }
}

/// One benchmark from criterion's `benchmark.json` and `estimates.json`.
pub fn parse(benchmark: &str, estimates: &str) -> Option<Bench> {
    let id = json_string(benchmark, "full_id")?;
    let mean = &estimates[estimates.find("\"mean\"")?..];
    let mean_ns = json_number(mean, "point_estimate")?;
    let throughput = json_number(benchmark, "Elements")
        .map(|n| (n, "elem"))
        .or_else(|| json_number(benchmark, "Bytes").map(|n| (n, "B")))
        .or_else(|| json_number(benchmark, "BytesDecimal").map(|n| (n, "B")));
    Some(Bench {
        id,
        mean_ns,
        throughput,
    })
}

/// The text after `"key"` and its colon.
fn after_key<'a>(json: &'a str, key: &str) -> Option<&'a str> {
    let pat = format!("\"{key}\"");
    let rest = &json[json.find(&pat)? + pat.len()..];
    Some(rest.trim_start().strip_prefix(':')?.trim_start())
}

fn json_string(json: &str, key: &str) -> Option<String> {
    let rest = after_key(json, key)?.strip_prefix('"')?;
    let mut s = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(s),
            '\\' => s.push(chars.next()?),
            c => s.push(c),
        }
    }
    None
}

fn json_number(json: &str, key: &str) -> Option<f64> {
    let rest = after_key(json, key)?;
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || "+-.eE".contains(c)))
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

pub fn time(ns: f64) -> String {
    match ns {
        n if n < 1e3 => format!("{n:.1} ns"),
        n if n < 1e6 => format!("{:.2} µs", n / 1e3),
        n if n < 1e9 => format!("{:.2} ms", n / 1e6),
        n => format!("{:.3} s", n / 1e9),
    }
}

pub fn rate(per_iter: f64, unit: &str, ns: f64) -> String {
    let per_s = per_iter / (ns / 1e9);
    match per_s {
        r if r >= 1e9 => format!("{:.2} G{unit}/s", r / 1e9),
        r if r >= 1e6 => format!("{:.2} M{unit}/s", r / 1e6),
        r if r >= 1e3 => format!("{:.2} k{unit}/s", r / 1e3),
        r => format!("{r:.1} {unit}/s"),
    }
}

pub fn table(benches: &[Bench]) -> String {
    let w = benches.iter().map(|b| b.id.len()).max().unwrap_or(0).max(9);
    let mut s = format!(
        "{:<w$}  {:>12}  {:>16}\n",
        "benchmark", "mean", "throughput"
    );
    s.push_str(&format!("{}\n", "-".repeat(w + 32)));
    for b in benches {
        let thr = b
            .throughput
            .map(|(n, unit)| rate(n, unit, b.mean_ns))
            .unwrap_or_default();
        s.push_str(&format!(
            "{:<w$}  {:>12}  {:>16}\n",
            b.id,
            time(b.mean_ns),
            thr
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_criterion_json() {
        let benchmark = r#"{"group_id":"engine","function_id":"events","value_str":"single-leader","throughput":{"Elements":1000000},"full_id":"engine/events/single-leader","directory_name":"engine/events_single-leader","title":"engine/events/single-leader"}"#;
        let estimates = r#"{"mean":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":3.0},"point_estimate":250000000.0,"standard_error":0.5},"median":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":3.0},"point_estimate":9.0,"standard_error":0.5}}"#;
        let b = parse(benchmark, estimates).unwrap();
        assert_eq!(b.id, "engine/events/single-leader");
        assert_eq!(b.mean_ns, 250_000_000.0);
        assert_eq!(b.throughput, Some((1_000_000.0, "elem")));
        let t = table(&[b]);
        assert!(t.contains("250.00 ms"), "{t}");
        assert!(t.contains("4.00 Melem/s"), "{t}");
    }

    #[test]
    fn no_throughput_is_fine() {
        let benchmark = r#"{"full_id":"seek/back","throughput":null}"#;
        let estimates = r#"{"mean":{"point_estimate":1.5e3}}"#;
        let b = parse(benchmark, estimates).unwrap();
        assert_eq!(b.throughput, None);
        assert_eq!(time(b.mean_ns), "1.50 µs");
    }
}
