//! Small process helpers: the tool PATH, running commands, step headers, timing.

use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub type Result<T = ()> = std::result::Result<T, String>;

/// The workspace root (the parent of `xtask/`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf()
}

/// `$HOME/.cargo/bin` (or `$CARGO_HOME/bin`), where `cargo install` puts tools.
pub fn cargo_bin_dir() -> PathBuf {
    if let Some(home) = env::var_os("CARGO_HOME") {
        return PathBuf::from(home).join("bin");
    }
    let home = env::var_os("HOME").unwrap_or_else(|| OsString::from("/root"));
    PathBuf::from(home).join(".cargo").join("bin")
}

/// The PATH every child sees: `<repo>/node_modules/.bin` first (wasm-opt 132 from npm
/// `binaryen`, playwright), then `~/.cargo/bin` (trunk, wasm-bindgen), then the inherited PATH.
pub fn tool_path() -> OsString {
    let mut dirs = vec![root().join("node_modules").join(".bin"), cargo_bin_dir()];
    if let Some(old) = env::var_os("PATH") {
        dirs.extend(env::split_paths(&old));
    }
    env::join_paths(dirs).expect("PATH entries contain no separator")
}

/// Finds `name` on the tool PATH (like `which`).
pub fn which(name: &str) -> Option<PathBuf> {
    env::split_paths(&tool_path())
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// A command with the tool PATH, run from the workspace root.
pub fn cmd(program: &str) -> Command {
    let mut c = Command::new(program);
    c.env("PATH", tool_path()).current_dir(root());
    c
}

/// Renders a command line for messages: `cargo test --workspace`.
pub fn show(c: &Command) -> String {
    let mut s = c.get_program().to_string_lossy().into_owned();
    for a in c.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Runs a command with inherited stdio; a nonzero exit is an error naming the command.
pub fn run(c: &mut Command) -> Result {
    let line = show(c);
    println!("$ {line}");
    let status = c
        .status()
        .map_err(|e| format!("could not start `{line}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{line}` failed ({status})"))
    }
}

/// Runs a command quietly and returns its stdout (trimmed), or None if it cannot run or fails.
pub fn output(c: &mut Command) -> Option<String> {
    let out = c.stdin(Stdio::null()).stderr(Stdio::null()).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

pub fn header(title: &str) {
    println!();
    println!("==> {title}");
}

pub fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

/// A named sequence of steps, each with a header and a timing; stops at the first failure and
/// names the failed step.
pub struct Steps {
    task: &'static str,
    start: Instant,
    done: Vec<(String, Duration)>,
}

impl Steps {
    pub fn new(task: &'static str) -> Self {
        Steps {
            task,
            start: Instant::now(),
            done: Vec::new(),
        }
    }

    pub fn step(&mut self, name: &str, f: impl FnOnce() -> Result) -> Result {
        header(name);
        let t = Instant::now();
        match f() {
            Ok(()) => {
                let d = t.elapsed();
                println!("--- ok: {name} ({})", secs(d));
                self.done.push((name.to_string(), d));
                Ok(())
            }
            Err(e) => {
                self.summary();
                Err(format!(
                    "cargo xtask {}: step '{name}' FAILED after {}: {e}",
                    self.task,
                    secs(t.elapsed())
                ))
            }
        }
    }

    pub fn summary(&self) {
        if self.done.is_empty() {
            return;
        }
        println!();
        println!("Steps passed:");
        for (name, d) in &self.done {
            println!("  {:>8}  {name}", secs(*d));
        }
        println!("  {:>8}  total", secs(self.start.elapsed()));
    }
}
