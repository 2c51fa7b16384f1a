//! "Ensure tools": idempotent installs of what is missing. Each tool's version is checked first,
//! so a warm machine passes in about a second.

use crate::util::{cmd, output, root, run, which, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// trunk 0.22 needs a newer rustc than 1.95; 0.21.14 works and is what Trunk.toml is written for.
pub const TRUNK_VERSION: &str = "0.21.14";
/// The oldest Node.js @playwright/test 1.65 runs on.
pub const NODE_MAJOR_MIN: u32 = 20;

/// What a command needs beyond the bundle tools (wasm target, trunk, wasm-bindgen, npm deps).
#[derive(Clone, Copy, Debug, Default)]
pub struct Needs {
    /// rustfmt + clippy.
    pub lint: bool,
    /// Chromium + chromedriver (wasm tests, Playwright) and python3 (Playwright's web server).
    pub browser: bool,
    /// python3 for `cargo xtask serve`.
    pub python: bool,
}

/// Paths the later steps need.
#[derive(Clone, Debug, Default)]
pub struct Found {
    pub chromium: Option<PathBuf>,
    pub chromedriver: Option<PathBuf>,
}

pub fn ensure(needs: Needs) -> Result<Found> {
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");

    // System packages first (one apt-get for all), so a missing one fails fast.
    let mut apt: Vec<&str> = Vec::new();
    let mut missing: Vec<&str> = Vec::new();
    let chromium_env = std::env::var_os("CHROMIUM").map(PathBuf::from);
    let driver_env = std::env::var_os("CHROMEDRIVER").map(PathBuf::from);
    let find_chromium = || {
        chromium_env
            .clone()
            .filter(|p| p.exists())
            .or_else(|| which("chromium"))
    };
    let find_driver = || {
        driver_env
            .clone()
            .filter(|p| p.exists())
            .or_else(|| which("chromedriver"))
    };
    if needs.browser {
        if find_chromium().is_none() {
            apt.push("chromium");
            missing.push("chromium");
        }
        if find_driver().is_none() {
            apt.push("chromium-driver");
            missing.push("chromedriver");
        }
    }
    if (needs.browser || needs.python) && which("python3").is_none() {
        apt.push("python3");
        missing.push("python3");
    }
    if which("gzip").is_none() {
        apt.push("gzip");
        missing.push("gzip");
    }
    if !apt.is_empty() {
        let root_user = output(cmd("id").arg("-u")).as_deref() == Some("0");
        let debian = Path::new("/etc/debian_version").exists();
        if !(root_user && debian) {
            let browser_hint = if apt.iter().any(|p| p.starts_with("chromium")) {
                ", or set CHROMIUM / CHROMEDRIVER to their paths"
            } else {
                ""
            };
            return Err(format!(
                "missing {}: install {} (Debian/Ubuntu: `sudo apt-get install -y {}`){browser_hint}",
                missing.join(", "),
                if missing.len() == 1 { "it" } else { "them" },
                apt.join(" ")
            ));
        }
        println!("installing with apt-get: {}", apt.join(" "));
        run(cmd("apt-get").arg("update").arg("-q"))?;
        run(cmd("apt-get")
            .args(["install", "-y", "-q"])
            .args(&apt)
            .env("DEBIAN_FRONTEND", "noninteractive"))?;
    }
    let mut found = Found::default();
    if needs.browser {
        found.chromium = find_chromium();
        found.chromedriver = find_driver();
        let c = found
            .chromium
            .as_ref()
            .ok_or("chromium still missing after install")?;
        let d = found
            .chromedriver
            .as_ref()
            .ok_or("chromedriver still missing after install")?;
        let cv = output(cmd(&c.to_string_lossy()).arg("--version")).unwrap_or_default();
        let dv = output(cmd(&d.to_string_lossy()).arg("--version")).unwrap_or_default();
        println!("chromium: {} | {}", first_line(&cv), first_line(&dv));
        if major_of(&cv).is_some() && major_of(&cv) != major_of(&dv) {
            return Err(format!(
                "chromium ({}) and chromedriver ({}) have different major versions: install matching ones (Debian: `apt-get install -y chromium chromium-driver`)",
                first_line(&cv),
                first_line(&dv)
            ));
        }
    }

    // Rust: wasm target and components.
    let installed = output(cmd("rustup").args(["target", "list", "--installed"]))
        .ok_or("rustup not found: install Rust with rustup (https://rustup.rs)")?;
    if installed.lines().any(|l| l.trim() == WASM_TARGET) {
        println!("rust target {WASM_TARGET}: installed");
    } else {
        run(cmd("rustup").args(["target", "add", WASM_TARGET]))?;
    }
    if needs.lint {
        let fmt = output(cmd("cargo").args(["fmt", "--version"])).is_some();
        let clippy = output(cmd("cargo").args(["clippy", "--version"])).is_some();
        if fmt && clippy {
            println!("rustfmt, clippy: installed");
        } else {
            run(cmd("rustup").args(["component", "add", "rustfmt", "clippy"]))?;
        }
    }

    // All crates, for every platform: trunk runs cargo with --offline (Trunk.toml offline = true).
    let mut fetch = cmd("cargo");
    fetch.arg("fetch");
    if ci {
        fetch.arg("--locked");
    }
    run(&mut fetch)?;

    // trunk, pinned.
    let want = format!("trunk {TRUNK_VERSION}");
    match output(cmd("trunk").arg("--version")) {
        Some(v) if v == want => println!("{v}: installed"),
        other => {
            println!(
                "trunk: have {}, want {TRUNK_VERSION}",
                other.as_deref().unwrap_or("none")
            );
            run(cmd("cargo").args(["install", "trunk", "--version", TRUNK_VERSION, "--locked"]))?;
        }
    }

    // wasm-bindgen-cli = the wasm-bindgen in Cargo.lock (its own lock file pins a crate version the
    // registry no longer has, so no --locked).
    let lock = fs::read_to_string(root().join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let wbg = lock_version(&lock, "wasm-bindgen").ok_or("no wasm-bindgen in Cargo.lock")?;
    let trunk_toml = fs::read_to_string(root().join("Trunk.toml"))
        .map_err(|e| format!("cannot read Trunk.toml: {e}"))?;
    let pinned = toml_string(&trunk_toml, "wasm_bindgen");
    if pinned.as_deref() != Some(wbg.as_str()) {
        return Err(format!(
            "Trunk.toml [tools] wasm_bindgen = {:?} but Cargo.lock has wasm-bindgen {wbg}: make them equal",
            pinned.unwrap_or_default()
        ));
    }
    let want = format!("wasm-bindgen {wbg}");
    let have = output(cmd("wasm-bindgen").arg("--version"));
    let runner = output(cmd("wasm-bindgen-test-runner").arg("--version"));
    let runner_ok = runner.as_deref().is_some_and(|r| r.ends_with(&wbg));
    match have {
        Some(v) if v == want && runner_ok => println!("{v}: installed"),
        other => {
            println!(
                "wasm-bindgen: have {}, want {wbg}",
                other.as_deref().unwrap_or("none")
            );
            run(cmd("cargo").args(["install", "wasm-bindgen-cli", "--version", &wbg]))?;
        }
    }

    // npm packages: playwright, binaryen (wasm-opt), axe-core.
    let node = output(cmd("node").arg("--version")).unwrap_or_default();
    let node_major = node
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse::<u32>().ok());
    if node_major.is_none_or(|m| m < NODE_MAJOR_MIN) || which("npm").is_none() {
        return Err(format!(
            "Node.js >= {NODE_MAJOR_MIN} with npm is required (found {}): install it (e.g. NodeSource's nodejs 20 or 22 package)",
            if node.is_empty() { "none" } else { &node }
        ));
    }
    if npm_stale() {
        run(cmd("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1"))?;
    } else {
        println!("node {node}, node_modules: up to date");
    }
    let wasm_opt = root().join("node_modules/.bin/wasm-opt");
    let v = output(cmd(&wasm_opt.to_string_lossy()).arg("--version"))
        .ok_or("node_modules/.bin/wasm-opt does not run: run `npm ci`")?;
    let want_opt = toml_string(&trunk_toml, "wasm_opt").unwrap_or_default();
    if want_opt.is_empty() || !v.contains(&format!("({want_opt})")) {
        return Err(format!(
            "wasm-opt from node_modules says {v:?} but Trunk.toml [tools] wants wasm_opt = {want_opt:?}: align package.json binaryen and Trunk.toml"
        ));
    }
    if which("wasm-opt").as_deref() != Some(wasm_opt.as_path()) {
        return Err("wasm-opt on PATH is not node_modules/.bin/wasm-opt".into());
    }
    println!("{v}: node_modules/.bin (first on PATH for trunk)");
    Ok(found)
}

/// True when `npm ci` should run: no install yet, or package(-lock).json changed since.
fn npm_stale() -> bool {
    let r = root();
    let stamp = mtime(&r.join("node_modules/.package-lock.json"));
    let Some(stamp) = stamp else { return true };
    let newer = |p: &str| mtime(&r.join(p)).is_none_or(|t| t > stamp);
    newer("package-lock.json") || newer("package.json")
}

fn mtime(p: &Path) -> Option<SystemTime> {
    fs::metadata(p).and_then(|m| m.modified()).ok()
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// The first number in a version banner that looks like a major version: "Chromium 156.0..." -> 156.
fn major_of(s: &str) -> Option<u32> {
    s.split_whitespace()
        .find(|w| w.contains('.') && w.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .and_then(|w| w.split('.').next())
        .and_then(|m| m.parse().ok())
}

/// The version of package `name` in a Cargo.lock (the first one, if several).
pub fn lock_version(lock: &str, name: &str) -> Option<String> {
    let want = format!("name = \"{name}\"");
    let mut lines = lock.lines();
    while let Some(l) = lines.next() {
        if l.trim() == want {
            let v = lines.next()?.trim();
            return v
                .strip_prefix("version = \"")
                .and_then(|v| v.strip_suffix('"'))
                .map(str::to_string);
        }
    }
    None
}

/// The string value of `key = "value"` in a small TOML file (first occurrence).
pub fn toml_string(toml: &str, key: &str) -> Option<String> {
    toml.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        if k.trim() != key {
            return None;
        }
        let v = v.split('#').next()?.trim();
        Some(v.strip_prefix('"')?.strip_suffix('"')?.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lock_version() {
        let lock = "[[package]]\nname = \"wasm-bindgen-shared\"\nversion = \"9\"\n\n[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n";
        assert_eq!(
            lock_version(lock, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(lock_version(lock, "yew"), None);
    }

    #[test]
    fn reads_toml_string() {
        let t = "[tools]\nwasm_bindgen = \"0.2.130\"   # pinned\nwasm_opt = \"version_132\"\n";
        assert_eq!(toml_string(t, "wasm_bindgen").as_deref(), Some("0.2.130"));
        assert_eq!(toml_string(t, "wasm_opt").as_deref(), Some("version_132"));
        assert_eq!(toml_string(t, "offline"), None);
    }

    #[test]
    fn reads_major() {
        assert_eq!(
            major_of("Chromium 156.0.8078.108 built on Debian"),
            Some(156)
        );
        assert_eq!(
            major_of("ChromeDriver 156.0.8078.108 (730482a9)"),
            Some(156)
        );
        assert_eq!(major_of(""), None);
    }
}
