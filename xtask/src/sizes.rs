//! Bundle-size report: raw and `gzip -9` sizes of the wasm, js and css in `dist/`.

use crate::util::{cmd, root, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// The kinds of file reported, in table order.
pub const KINDS: [&str; 3] = ["wasm", "js", "css"];

#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub name: String,
    pub kind: &'static str,
    pub raw: u64,
    pub gzip: u64,
}

/// Measures every reported file under `dist/`, sorted by kind then name.
pub fn measure(dist: &Path) -> Result<Vec<Row>> {
    let mut files = Vec::new();
    walk(dist, &mut files).map_err(|e| format!("cannot read {}: {e}", dist.display()))?;
    let mut rows = Vec::new();
    for f in files {
        let ext = f.extension().and_then(|e| e.to_str()).unwrap_or("");
        let Some(kind) = KINDS.iter().copied().find(|k| *k == ext) else {
            continue;
        };
        let raw = fs::metadata(&f).map_err(|e| e.to_string())?.len();
        let name = f
            .strip_prefix(dist)
            .unwrap_or(&f)
            .to_string_lossy()
            .into_owned();
        rows.push(Row {
            name,
            kind,
            raw,
            gzip: gzip9(&f)?,
        });
    }
    if !rows.iter().any(|r| r.kind == "wasm") {
        return Err(format!(
            "no .wasm in {}: build the bundle first",
            dist.display()
        ));
    }
    rows.sort_by_key(|r| (KINDS.iter().position(|k| *k == r.kind), r.name.clone()));
    Ok(rows)
}

/// Files under `dir`, skipping hidden entries (trunk's `.stage/` is left behind by an interrupted build).
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for e in fs::read_dir(dir)? {
        let e = e?;
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let p = e.path();
        if p.is_dir() {
            walk(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}

/// Size of `gzip -9 -n` output, in bytes.
fn gzip9(f: &Path) -> Result<u64> {
    let out = cmd("gzip")
        .args(["-9", "-n", "-c"])
        .arg(f)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run gzip: {e}"))?;
    if !out.status.success() {
        return Err(format!("gzip failed on {}", f.display()));
    }
    Ok(out.stdout.len() as u64)
}

pub fn kib(bytes: u64) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

/// The table as text: one row per file, then a total.
pub fn table(rows: &[Row]) -> String {
    let total = Row {
        name: "total".into(),
        kind: "",
        raw: rows.iter().map(|r| r.raw).sum(),
        gzip: rows.iter().map(|r| r.gzip).sum(),
    };
    let w = rows.iter().map(|r| r.name.len()).max().unwrap_or(0).max(5);
    let mut s = format!(
        "{:<w$}  {:<4}  {:>10}  {:>10}  {:>10}  {:>10}\n",
        "file", "kind", "raw B", "raw", "gzip-9 B", "gzip-9"
    );
    s.push_str(&format!("{}\n", "-".repeat(w + 56)));
    for r in rows.iter().chain([&total]) {
        if r.kind.is_empty() {
            s.push_str(&format!("{}\n", "-".repeat(w + 56)));
        }
        s.push_str(&format!(
            "{:<w$}  {:<4}  {:>10}  {:>10}  {:>10}  {:>10}\n",
            r.name,
            r.kind,
            r.raw,
            kib(r.raw),
            r.gzip,
            kib(r.gzip)
        ));
    }
    s
}

/// Measures `dist/` and prints the table.
pub fn report() -> Result {
    let dist = root().join("dist");
    let rows = measure(&dist)?;
    println!("Bundle sizes ({}):", dist.display());
    print!("{}", table(&rows));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_rows_and_total() {
        let rows = vec![
            Row {
                name: "a_bg.wasm".into(),
                kind: "wasm",
                raw: 2048,
                gzip: 1024,
            },
            Row {
                name: "a.js".into(),
                kind: "js",
                raw: 100,
                gzip: 50,
            },
        ];
        let t = table(&rows);
        assert!(t.contains("a_bg.wasm"));
        assert!(t.contains("2.0 KiB"));
        let last = t.lines().last().unwrap();
        assert!(last.starts_with("total"));
        assert!(last.contains("2148") && last.contains("1074"));
    }
}
