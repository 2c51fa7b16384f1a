//! `cargo xtask fuzz`: runs the cargo-fuzz targets in `engine/fuzz/` (the link decoder) for a
//! while and reports how many inputs each tried and whether any crashed.
//!
//! cargo-fuzz is installed if missing. libFuzzer wants a nightly compiler: with one installed,
//! targets build with it and AddressSanitizer; otherwise with stable, `RUSTC_BOOTSTRAP=1` and
//! `--sanitizer none` (safe Rust needs no ASan to find panics). The corpus lives in
//! `target/fuzz-corpus/<target>` (not committed), seeded from the golden links and scenarios.

use crate::util::{cmd, output, root, run, which, Result, Steps};
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The targets, in the order they run.
pub const TARGETS: &[&str] = &["decode_link", "decode_link_json"];

#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Stop each target after this many inputs (libFuzzer `-runs`).
    pub runs: Option<u64>,
    /// Stop each target after this long (libFuzzer `-max_total_time`).
    pub seconds: u64,
}

pub fn parse(args: &[String]) -> Result<Options> {
    let mut o = Options {
        runs: None,
        seconds: 60,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) => (f, Some(v.to_string())),
            None => (a.as_str(), None),
        };
        let mut value = |what: &str| -> Result<u64> {
            let v = inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or(format!("{flag} needs {what}"))?;
            v.parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or(format!("{flag}: {v:?} is not {what}"))
        };
        match flag {
            "--runs" => o.runs = Some(value("a positive number of runs")?),
            "--seconds" => o.seconds = value("a positive number of seconds")?,
            _ => return Err(format!("unexpected argument {a:?}")),
        }
    }
    Ok(o)
}

/// What libFuzzer reported for one target.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub runs: Option<u64>,
    pub seconds: Option<u64>,
    pub crashed: bool,
    /// The crashing input libFuzzer saved, if any.
    pub artifact: Option<String>,
}

/// Reads libFuzzer's output: `Done 123456 runs in 60 second(s)` on success; on a crash, a
/// `==ERROR`/`deadly signal` line and `Test unit written to <path>`.
pub fn read_outcome(log: &str) -> Outcome {
    let mut o = Outcome {
        runs: None,
        seconds: None,
        crashed: false,
        artifact: None,
    };
    for line in log.lines() {
        if let Some(rest) = line.trim().strip_prefix("Done ") {
            let words: Vec<&str> = rest.split_whitespace().collect();
            if words.len() >= 4 && words[1] == "runs" && words[2] == "in" {
                o.runs = words[0].parse().ok();
                o.seconds = words[3].parse().ok();
            }
        }
        if line.contains("deadly signal") || line.starts_with("==") && line.contains("ERROR") {
            o.crashed = true;
        }
        if let Some(p) = line.split("Test unit written to ").nth(1) {
            o.artifact = Some(p.trim().to_string());
            o.crashed = true;
        }
    }
    // The last `#N ...` status line counts executions when a crash cut the run short.
    if o.runs.is_none() {
        o.runs = log
            .lines()
            .rev()
            .filter_map(|l| l.strip_prefix('#'))
            .find_map(|l| l.split_whitespace().next()?.parse().ok());
    }
    o
}

/// Runs `c`, echoing its stderr (the build, then libFuzzer) except libFuzzer's line per new
/// input, and returns that stderr and whether the command succeeded.
fn run_teed(c: &mut Command) -> Result<(String, bool)> {
    let mut child = c
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start cargo fuzz: {e}"))?;
    let mut log = String::new();
    if let Some(err) = child.stderr.take() {
        let mut dictionary = false;
        for line in BufReader::new(err).lines() {
            let line = line.map_err(|e| e.to_string())?;
            dictionary |= line.contains("Recommended dictionary");
            let noisy = ["\tNEW ", "\tREDUCE ", "NEW_FUNC["]
                .iter()
                .any(|m| line.contains(m));
            if !noisy && !dictionary {
                eprintln!("{line}");
            }
            dictionary &= !line.contains("End of recommended dictionary");
            log.push_str(&line);
            log.push('\n');
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    Ok((log, status.success()))
}

/// The toolchain to build targets with: nightly if rustup has a working one.
fn nightly() -> bool {
    output(cmd("rustup").args(["run", "nightly", "rustc", "--version"])).is_some()
}

fn ensure_cargo_fuzz() -> Result {
    if which("cargo-fuzz").is_some() {
        return Ok(());
    }
    run(cmd("cargo").args(["install", "cargo-fuzz", "--locked"]))
}

/// Seeds `target/fuzz-corpus/<target>` from the golden links (as text) and the golden and preset
/// scenarios (wrapped as a link's JSON).
fn seed(dir: &Path, target: &str) -> Result<usize> {
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let testdata = root().join("engine/testdata");
    let (from, ext) = match target {
        "decode_link" => (vec![testdata.join("links")], "link"),
        _ => (
            vec![testdata.join("presets"), testdata.join("golden")],
            "json",
        ),
    };
    let mut n = 0;
    for d in from {
        let mut files: Vec<PathBuf> = fs::read_dir(&d)
            .map_err(|e| format!("cannot read {}: {e}", d.display()))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == ext))
            .collect();
        files.sort();
        for f in files {
            let text = fs::read_to_string(&f).map_err(|e| e.to_string())?;
            let body = if ext == "json" {
                format!(r#"{{"v":1,"scenario":{text},"view":{{"at_ms":100}}}}"#)
            } else {
                text
            };
            let name = format!(
                "seed-{}-{}",
                d.file_name().unwrap_or_default().to_string_lossy(),
                f.file_stem().unwrap_or_default().to_string_lossy()
            );
            fs::write(dir.join(name), body).map_err(|e| e.to_string())?;
            n += 1;
        }
    }
    Ok(n)
}

pub fn fuzz(opts: Options) -> Result {
    let mut s = Steps::new("fuzz");
    s.step("ensure cargo-fuzz", ensure_cargo_fuzz)?;
    let nightly = nightly();
    println!(
        "toolchain: {}",
        if nightly {
            "nightly (AddressSanitizer)"
        } else {
            "stable with RUSTC_BOOTSTRAP=1, --sanitizer none"
        }
    );
    let mut results = Vec::new();
    for target in TARGETS {
        let corpus = root().join("target/fuzz-corpus").join(target);
        let artifacts = root().join("target/fuzz-artifacts").join(target);
        let mut outcome = None;
        s.step(&format!("fuzz {target}"), || {
            let seeds = seed(&corpus, target)?;
            fs::create_dir_all(&artifacts).map_err(|e| e.to_string())?;
            println!("corpus {} ({seeds} seeds written)", corpus.display());
            let mut c = if nightly {
                let mut c = cmd("rustup");
                c.args(["run", "nightly", "cargo", "fuzz", "run"]);
                c
            } else {
                let mut c = cmd("cargo");
                c.args(["fuzz", "run", "--sanitizer", "none"])
                    .env("RUSTC_BOOTSTRAP", "1");
                c
            };
            c.args(["--fuzz-dir", "engine/fuzz", "--target-dir", "target/fuzz"])
                .arg(target)
                .arg(&corpus)
                .arg("--")
                .arg(format!("-max_total_time={}", opts.seconds))
                .arg(format!("-artifact_prefix={}/", artifacts.display()))
                .arg("-print_final_stats=1");
            if let Some(r) = opts.runs {
                c.arg(format!("-runs={r}"));
            }
            println!("$ {}", crate::util::show(&c));
            let (log, success) = run_teed(&mut c)?;
            let o = read_outcome(&log);
            if !o.crashed && (!success || o.runs.is_none()) {
                return Err("cargo fuzz failed before fuzzing, or libFuzzer printed no summary (see above)".into());
            }
            outcome = Some(o.clone());
            if o.crashed {
                return Err(format!(
                    "{target} crashed after {} runs; input saved at {}; to reproduce, run the command above with that file in place of the corpus",
                    o.runs.map_or("?".into(), |r| r.to_string()),
                    o.artifact.as_deref().unwrap_or("(no artifact)")
                ));
            }
            Ok(())
        })?;
        results.push((target, outcome));
    }
    s.summary();
    println!();
    println!("Fuzzing results:");
    for (target, o) in results {
        if let Some(o) = o {
            println!(
                "  {target:<18} {:>12} runs in {:>4} s, crashed: {}",
                o.runs.map_or("?".into(), |r| r.to_string()),
                o.seconds.map_or("?".into(), |r| r.to_string()),
                if o.crashed { "yes" } else { "no" }
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn options() {
        let d = parse(&[]).unwrap();
        assert_eq!(
            d,
            Options {
                runs: None,
                seconds: 60
            }
        );
        let o = parse(&args(&["--runs", "5000", "--seconds=10"])).unwrap();
        assert_eq!(
            o,
            Options {
                runs: Some(5000),
                seconds: 10
            }
        );
        assert!(parse(&args(&["--runs"])).is_err());
        assert!(parse(&args(&["--seconds", "0"])).is_err());
        assert!(parse(&args(&["--seconds", "soon"])).is_err());
        assert!(parse(&args(&["--target", "x"])).is_err());
    }

    #[test]
    fn reads_libfuzzer_output() {
        let ok = "#1048576\tpulse  cov: 900 ft: 3000 corp: 300/20Kb exec/s: 17000 rss: 90Mb\n\
                  Done 1021870 runs in 61 second(s)\n";
        assert_eq!(
            read_outcome(ok),
            Outcome {
                runs: Some(1021870),
                seconds: Some(61),
                crashed: false,
                artifact: None
            }
        );
        let crash = "#4096\tpulse  cov: 10 ft: 10 corp: 3/10b exec/s: 2048 rss: 30Mb\n\
                     ==1234== ERROR: libFuzzer: deadly signal\n\
                     artifact_prefix='a/'; Test unit written to a/crash-0123\n";
        let o = read_outcome(crash);
        assert!(o.crashed);
        assert_eq!(o.runs, Some(4096));
        assert_eq!(o.artifact.as_deref(), Some("a/crash-0123"));
    }
}
