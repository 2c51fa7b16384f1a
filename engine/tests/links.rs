//! Golden links: each `testdata/links/NAME.link` is link text as a reader would paste it, and
//! `NAME.expected` is what decoding and running it gives (the view, then the golden summary), or
//! the error. A link made by any released version must keep working: `.link` files are only ever
//! added, never rewritten. `UPDATE_EXPECT=1` rewrites the `.expected` files (review the diff) and
//! adds a `.link` for any preset that has none yet.
#![cfg(not(target_arch = "wasm32"))]

use base64::Engine as _;
use replica_engine::presets;
use replica_engine::scenario::{decode_link, encode_link, View, MAX_LINK_CHARS};
use replica_engine::{report, Simulation};
use std::path::{Path, PathBuf};
use std::process::Command;

fn links_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/links")
}

fn update() -> bool {
    std::env::var_os("UPDATE_EXPECT").is_some()
}

fn describe(v: &View) -> String {
    let at =
        v.at.map_or("-".into(), |t| format!("{} ms", t as f64 / 1000.0));
    let node = v.node.map_or("-".into(), |n| format!("n{n}"));
    let speed = v.speed.map_or("-".into(), |s| s.to_string());
    format!(
        "view: at {at}, node {node}, {}, speed {speed}",
        if v.diagram { "diagram" } else { "cluster" }
    )
}

/// What a stored link gives: the view and the run's summary, or the error.
fn outcome(text: &str) -> String {
    match decode_link(text) {
        Ok((scenario, view)) => {
            let end = scenario.end();
            let mut sim = Simulation::new(scenario);
            sim.run_until(end);
            format!("{}\n{}", describe(&view), report::summary(&sim))
        }
        Err(e) => format!("error: {e}\n"),
    }
}

fn stored_links() -> Vec<PathBuf> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(links_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "link"))
        .collect();
    names.sort();
    names
}

#[test]
fn every_preset_has_a_stored_link() {
    let mut missing = Vec::new();
    for p in presets::presets() {
        let path = links_dir().join(format!("{}.link", p.id));
        if path.exists() {
            continue;
        }
        if update() {
            std::fs::write(&path, encode_link(&p.scenario, &p.view) + "\n").unwrap();
        } else {
            missing.push(path.display().to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "run with UPDATE_EXPECT=1 to add: {missing:?}"
    );
}

#[test]
fn every_stored_link_gives_its_expected_outcome() {
    let paths = stored_links();
    assert!(paths.len() >= 20, "stored links missing");
    let mut failures = Vec::new();
    for path in paths {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let got = outcome(&text);
        // Names say what to expect, so a link that starts failing cannot hide behind an update.
        assert_eq!(
            got.starts_with("error: "),
            name.starts_with("bad-"),
            "{name}: {got}"
        );
        let expected_path = path.with_extension("expected");
        if update() {
            std::fs::write(&expected_path, &got).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_else(|_| {
            panic!(
                "{} missing (run with UPDATE_EXPECT=1)",
                expected_path.display()
            )
        });
        if got != expected {
            failures.push(format!(
                "--- {}\n{expected}\n+++ got\n{got}",
                expected_path.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Packs JSON the way a link does, without the encoder's checks: hostile links are made so.
fn pack(json: &[u8], level: u8) -> String {
    let z = miniz_oxide::deflate::compress_to_vec(json, level);
    format!(
        "1.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(z)
    )
}

fn heal_all_entries(n: usize) -> Vec<u8> {
    let mut j = br#"{"v":1,"scenario":{"version":1,"schedule":["#.to_vec();
    for i in 0..n {
        if i > 0 {
            j.push(b',');
        }
        j.extend_from_slice(br#"{"at_ms":1,"do":"heal-all"}"#);
    }
    j.extend_from_slice(b"]}}");
    j
}

#[test]
fn absurdly_large_links_are_refused_before_they_cost_anything() {
    // Ten million schedule entries: the link text alone is over the limit.
    let huge = pack(&heal_all_entries(10_000_000), 1);
    assert!(huge.len() > MAX_LINK_CHARS);
    assert_eq!(
        decode_link(&huge).unwrap_err().0,
        format!(
            "the link is too long: {} bytes, more than the {MAX_LINK_CHARS} accepted",
            huge.len()
        )
    );
    // A zip bomb under the length limit: half a million entries inflate to 14 MB; decoding stops
    // at 2 MiB.
    let bomb = pack(&heal_all_entries(500_000), 10);
    assert!(bomb.len() <= MAX_LINK_CHARS, "{}", bomb.len());
    assert_eq!(
        decode_link(&bomb).unwrap_err().0,
        "the link's data is too large (more than 2 MiB once decompressed)"
    );
    // Just under the length limit, garbage gets as far as the base64 check.
    let long = format!("1.{}", "*".repeat(MAX_LINK_CHARS - 2));
    assert_eq!(
        decode_link(&long).unwrap_err().0,
        "the link is truncated or corrupted (not valid base64url)"
    );
}

#[test]
fn out_of_range_view_values_are_dropped_and_the_scenario_still_loads() {
    let (_, view) =
        decode_link(&std::fs::read_to_string(links_dir().join("view-out-of-range.link")).unwrap())
            .unwrap();
    assert_eq!(
        view,
        View {
            diagram: true,
            ..View::default()
        }
    );
}

#[test]
fn cli_runs_a_link_like_the_scenario_file() {
    let bin = env!("CARGO_BIN_EXE_replica-sim");
    let json = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/presets/split-brain.json");
    let link = Command::new(bin)
        .args(["link", json.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(link.status.success());
    let link = String::from_utf8(link.stdout).unwrap();
    let url = format!("https://example.org/replica-lab/#{}", link.trim());
    let from_file = Command::new(bin)
        .args(["run", json.to_str().unwrap(), "--summary"])
        .output()
        .unwrap();
    let from_link = Command::new(bin)
        .args(["run", "--link", &url, "--summary"])
        .output()
        .unwrap();
    assert!(from_link.status.success());
    assert_eq!(from_file.stdout, from_link.stdout);

    let bad = Command::new(bin)
        .args(["run", "--link", "9.abc"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8(bad.stderr).unwrap();
    assert_eq!(
        err,
        "replica-sim: --link: this link is from a newer version (v9) of Replica Lab; this version reads v1 links\n"
    );

    let list = Command::new(bin).args(["presets"]).output().unwrap();
    let list = String::from_utf8(list.stdout).unwrap();
    let all = presets::presets();
    assert_eq!(list.lines().count(), all.len());
    for (line, p) in list.lines().zip(&all) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cols[0], p.id);
        assert_eq!(
            cols[1].parse::<usize>().unwrap(),
            encode_link(&p.scenario, &p.view).len()
        );
        assert!(line.ends_with(p.title), "{line}");
    }
    let with_links = Command::new(bin)
        .args(["presets", "--links"])
        .output()
        .unwrap();
    let with_links = String::from_utf8(with_links.stdout).unwrap();
    for (i, line) in with_links.lines().skip(1).step_by(2).enumerate() {
        assert_eq!(
            decode_link(line).unwrap(),
            (all[i].scenario.clone(), all[i].view.clone())
        );
    }
}
