//! `cargo xtask`: the project's only entry points.
//!
//!     cargo xtask serve [--port N]   install what is missing, build the release bundle, serve dist/
//!     cargo xtask build              install what is missing, build the release bundle into dist/
//!     cargo xtask test               every check CI runs, in order, stopping at the first failure
//!     cargo xtask bench              engine + browser benchmarks and bundle size: one table of figures
//!     cargo xtask fuzz [--seconds S] [--runs N]   fuzz the link decoder (not part of `test`)
//!
//! std only, so it compiles in a few seconds on a cold machine.

mod criterion;
mod figures;
mod fuzz;
mod sizes;
mod tools;
mod util;

use std::process::ExitCode;
use std::time::{Duration, SystemTime};
use tools::{Found, Needs, WASM_TARGET};
use util::{cmd, root, run, Result, Steps};

const USAGE: &str = "\
usage: cargo xtask <command>

  serve [--port N]  ensure tools, build the release bundle, serve dist/ on http://127.0.0.1:N/ (default 8080)
  build             ensure tools, build the release bundle into dist/
  test              ensure tools, fmt, clippy (host + wasm32), native tests, wasm tests in headless
                    Chromium, release bundle, Playwright e2e, bundle-size report
  bench             ensure tools, engine criterion benchmarks, release bundle, the browser figures
                    (Playwright), then one table of every figure with its target (also written to
                    target/bench/results.json and target/bench/table.md)
  fuzz [--seconds S] [--runs N]
                    fuzz the link decoder (engine/fuzz, cargo-fuzz + libFuzzer) for S seconds (default
                    60) or N inputs per target; prints executions and whether anything crashed. Not part
                    of `test`. Installs cargo-fuzz if missing; uses nightly if installed, else stable with
                    RUSTC_BOOTSTRAP=1 and no sanitizer

Tools are installed only when missing or at the wrong version: the wasm32 target, trunk, wasm-bindgen-cli
(= Cargo.lock), npm packages (playwright, binaryen's wasm-opt), and for `test` rustfmt, clippy, Chromium and
chromedriver (apt-get, when root on Debian).";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("serve") => parse_port(&args[1..]).and_then(serve),
        Some("build") => no_args(&args[1..]).and_then(|()| build()),
        Some("test") => no_args(&args[1..]).and_then(|()| test()),
        Some("bench") => no_args(&args[1..]).and_then(|()| bench()),
        Some("fuzz") => fuzz::parse(&args[1..])
            .map_err(|e| format!("{e}\n\n{USAGE}"))
            .and_then(fuzz::fuzz),
        Some("help" | "-h" | "--help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(format!("unknown command {other:?}\n\n{USAGE}")),
        None => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!();
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn no_args(rest: &[String]) -> Result {
    match rest.first() {
        None => Ok(()),
        Some(a) => Err(format!("unexpected argument {a:?}\n\n{USAGE}")),
    }
}

fn parse_port(rest: &[String]) -> Result<u16> {
    let mut port = 8080;
    let mut it = rest.iter();
    while let Some(a) = it.next() {
        let value = if let Some(v) = a.strip_prefix("--port=") {
            v.to_string()
        } else if a == "--port" || a == "-p" {
            it.next().cloned().ok_or("--port needs a number")?
        } else {
            return Err(format!("unexpected argument {a:?}\n\n{USAGE}"));
        };
        port = value
            .parse()
            .map_err(|_| format!("bad port {value:?}: want 1..=65535"))?;
        if port == 0 {
            return Err("bad port 0: want 1..=65535".into());
        }
    }
    Ok(port)
}

/// `trunk build --release`: dist/ gets the optimized bundle (wasm-opt -Oz from node_modules).
/// Offline (Trunk.toml) and without trunk's crates.io "new version?" request.
fn trunk_release() -> Result {
    run(cmd("trunk")
        .args(["build", "--release", "--skip-version-check"])
        .env("TRUNK_OFFLINE", "true"))
}

fn serve(port: u16) -> Result {
    let mut s = Steps::new("serve");
    s.step("ensure tools", || {
        tools::ensure(Needs {
            python: true,
            ..Needs::default()
        })
        .map(drop)
    })?;
    s.step("trunk build --release", trunk_release)?;
    s.summary();
    let url = format!("http://127.0.0.1:{port}/");
    println!();
    println!(
        "Replica Lab: {url}   (serving {}; Ctrl-C to stop)",
        root().join("dist").display()
    );
    println!();
    // Like `python3 -m http.server`, with the CORS header sandboxed embeds need.
    run(cmd("python3").args(["xtask/serve.py", &port.to_string(), "dist"]))
}

fn build() -> Result {
    let mut s = Steps::new("build");
    s.step("ensure tools", || tools::ensure(Needs::default()).map(drop))?;
    s.step("trunk build --release", trunk_release)?;
    s.step("bundle sizes", sizes::report)?;
    s.summary();
    Ok(())
}

fn test() -> Result {
    let mut s = Steps::new("test");
    let mut found = Found::default();
    s.step("ensure tools", || {
        found = tools::ensure(Needs {
            lint: true,
            browser: true,
            python: true,
        })?;
        Ok(())
    })?;
    let chromium = found.chromium.clone().unwrap_or_default();
    let chromedriver = found.chromedriver.clone().unwrap_or_default();

    s.step("cargo fmt --check", || {
        run(cmd("cargo").args(["fmt", "--all", "--", "--check"]))
    })?;
    s.step("clippy (host)", || {
        run(cmd("cargo").args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    s.step("clippy (wasm32)", || {
        run(cmd("cargo").args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--target",
            WASM_TARGET,
            "--exclude",
            "xtask",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    s.step("cargo test (host)", || {
        // Property tests use a fixed seed so CI is repeatable; set PROPTEST_RNG_SEED (and
        // PROPTEST_CASES) to explore further.
        let seed = std::env::var("PROPTEST_RNG_SEED").unwrap_or_else(|_| "20261126".into());
        run(cmd("cargo")
            .args(["test", "--workspace"])
            .env("PROPTEST_RNG_SEED", seed))
    })?;
    s.step("cargo test (wasm32, headless Chromium)", || {
        // No -q: wasm-bindgen-test-runner rejects --quiet.
        run(cmd("cargo")
            .args([
                "test",
                "--target",
                WASM_TARGET,
                "-p",
                "replica-lab",
                "-p",
                "replica-engine",
            ])
            .env("CHROMEDRIVER", &chromedriver)
            .env("WASM_BINDGEN_TEST_TIMEOUT", "120")
            .env("WASM_BINDGEN_TEST_DRIVER_TIMEOUT", "60"))
    })?;
    s.step("trunk build --release", trunk_release)?;
    s.step("playwright e2e", || {
        run(cmd("npx")
            .args(["--no", "playwright", "test"])
            .env("CHROMIUM", &chromium))
    })?;
    s.step("bundle sizes", sizes::report)?;
    s.summary();
    println!();
    println!("cargo xtask test: all steps passed");
    Ok(())
}

/// Benchmark suites run by `cargo xtask bench`: (package, folder of its benches). A suite runs
/// only when its folder holds a `.rs` file. Add a row per new suite.
const BENCH_SUITES: &[(&str, &str)] = &[("replica-engine", "engine/benches")];

fn bench() -> Result {
    let mut s = Steps::new("bench");
    let mut found = Found::default();
    s.step("ensure tools", || {
        found = tools::ensure(Needs {
            browser: true,
            python: true,
            ..Needs::default()
        })?;
        Ok(())
    })?;
    let chromium = found.chromium.clone().unwrap_or_default();
    // Criterion results written from now on are this run's (1 s slack for coarse file clocks).
    let since = SystemTime::now() - Duration::from_secs(1);
    for &(package, dir) in BENCH_SUITES {
        let has_bench = std::fs::read_dir(root().join(dir))
            .map(|d| {
                d.flatten()
                    .any(|e| e.path().extension().is_some_and(|x| x == "rs"))
            })
            .unwrap_or(false);
        if has_bench {
            s.step(&format!("cargo bench -p {package}"), || {
                run(cmd("cargo").args(["bench", "-p", package, "--benches"]))
            })?;
        } else {
            println!("(no benchmarks in {dir}, skipped)");
        }
    }
    s.step("trunk build --release", trunk_release)?;
    // The browser figures (e2e/bench/figures.spec.ts, one JSON file each). A figure that fails
    // to measure shows as "not measured" in the table rather than hiding the others.
    let out = root().join("target").join("bench");
    let browser_dir = out.join("browser");
    let _ = std::fs::remove_dir_all(&browser_dir);
    let browser = s.step("browser figures (Playwright, headless Chromium)", || {
        run(cmd("npx")
            .args(["--no", "playwright", "test", "e2e/bench/figures.spec.ts"])
            .env("BENCH_OUT", &browser_dir)
            .env("CHROMIUM", &chromium))
    });
    if let Err(e) = &browser {
        println!("(browser figures incomplete: {e})");
    }
    s.summary();

    let benches = figures::benches(since);
    println!();
    if benches.is_empty() {
        println!(
            "No criterion results from this run (in {}).",
            criterion::criterion_dir().display()
        );
    } else {
        println!(
            "Criterion (mean; details in {}):",
            criterion::criterion_dir().display()
        );
        print!("{}", criterion::table(&benches));
    }
    println!();
    sizes::report()?;
    let bundle = sizes::measure(&root().join("dist"))?;
    let figs = figures::collect(&benches, &browser_dir, &bundle);
    let machine = figures::machine(&chromium.to_string_lossy());
    println!();
    println!("Issue #8 figures:");
    print!("{}", figures::table(&figs));
    for (k, v) in &machine {
        println!("  {k}: {v}");
    }
    figures::write(&out, &figs, &machine)
        .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    println!();
    println!(
        "Written to {} and {} (paste the latter into BENCHMARKS.md).",
        out.join("results.json").display(),
        out.join("table.md").display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn ports() {
        assert_eq!(parse_port(&args(&[])), Ok(8080));
        assert_eq!(parse_port(&args(&["--port", "9000"])), Ok(9000));
        assert_eq!(parse_port(&args(&["--port=9001"])), Ok(9001));
        assert!(parse_port(&args(&["--port"])).is_err());
        assert!(parse_port(&args(&["--port", "0"])).is_err());
        assert!(parse_port(&args(&["--port", "70000"])).is_err());
        assert!(parse_port(&args(&["--verbose"])).is_err());
    }
}
