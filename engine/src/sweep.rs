//! Sweeps: one scenario run headless across a grid of settings (every combination of the axes'
//! values), collecting each run's metrics.
//!
//! A sweep is chunkable: [`Sweep::step`] processes at most a given number of simulation events
//! and returns, so a page can run it in slices inside animation frames with a progress bar.
//! Every run uses the base scenario's seed and schedule, so runs differ only in the settings
//! being swept, and the results are the same however the work is sliced.
//!
//! ```
//! use replica_engine::sweep::{Axis, Sweep};
//! use replica_engine::scenario::wire;
//! let base = wire::decode(r#"{"version": 1, "nodes": 5, "duration_ms": 2000,
//!     "strategy": {"kind": "leaderless", "n": 5, "w": 3, "r": 3},
//!     "workload": {"write_every_ms": 50, "read_every_ms": 50, "keys": 2}}"#).unwrap();
//! let mut sweep = Sweep::new(base, vec![Axis::W(vec![1, 5]), Axis::R(vec![1, 5])]).unwrap();
//! while !sweep.step(10_000).finished() {}
//! assert_eq!(sweep.results().len(), 4);
//! ```

use crate::check::linear::{self, Verdict};
use crate::scenario::{Scenario, Strategy, SyncMode};
use crate::sim::Simulation;
use crate::types::Time;
use serde::Serialize;

/// The search budget of the linearizability check of each run, in steps per key.
pub const SWEEP_CHECK_BUDGET: u64 = 200_000;

/// One setting that a sweep varies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "setting", content = "value", rename_all = "kebab-case")]
pub enum Setting {
    /// Leaderless: replicas that must acknowledge a write.
    W(u16),
    /// Leaderless: replicas that must answer a read.
    R(u16),
    /// One-way latency between nodes, in ms.
    LatencyMs(u64),
    /// Message loss on every link, in parts per million.
    LossPpm(u32),
    /// Single-leader: the followers' mode.
    #[serde(serialize_with = "mode_name")]
    Mode(SyncMode),
}

fn mode_name<S: serde::Serializer>(m: &SyncMode, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&mode_label(*m))
}

/// A short name of a sync mode ("async", "sync", "semi-sync:1").
pub fn mode_label(m: SyncMode) -> String {
    match m {
        SyncMode::Async => "async".into(),
        SyncMode::Sync => "sync".into(),
        SyncMode::SemiSync { k } => format!("semi-sync:{k}"),
    }
}

impl Setting {
    /// Short text for tables ("W=2", "loss=1%").
    pub fn label(&self) -> String {
        match self {
            Setting::W(w) => format!("W={w}"),
            Setting::R(r) => format!("R={r}"),
            Setting::LatencyMs(l) => format!("latency={l}ms"),
            Setting::LossPpm(p) => format!("loss={}%", *p as f64 / 10_000.0),
            Setting::Mode(m) => format!("mode={}", mode_label(*m)),
        }
    }

    /// Puts this setting into `s`, or says why it does not apply.
    pub fn apply(&self, s: &mut Scenario) -> Result<(), String> {
        let c = &mut s.config;
        match (self, &mut c.strategy) {
            (Setting::W(w), Strategy::Leaderless(l)) if *w >= 1 && *w <= l.n => l.w = *w,
            (Setting::R(r), Strategy::Leaderless(l)) if *r >= 1 && *r <= l.n => l.r = *r,
            (Setting::W(_) | Setting::R(_), Strategy::Leaderless(l)) => {
                return Err(format!("W and R must be between 1 and N = {}", l.n))
            }
            (Setting::W(_) | Setting::R(_), _) => {
                return Err("W and R are leaderless settings".into())
            }
            (Setting::LatencyMs(ms), _) if *ms <= 10_000 => c.net.latency = ms * 1000,
            (Setting::LatencyMs(_), _) => return Err("latency is at most 10000 ms".into()),
            (Setting::LossPpm(p), _) if *p <= 1_000_000 => c.net.loss_ppm = *p,
            (Setting::LossPpm(_), _) => return Err("loss is at most 100%".into()),
            (Setting::Mode(m), Strategy::SingleLeader(sl)) => sl.mode = *m,
            (Setting::Mode(_), _) => return Err("the sync mode is a single-leader setting".into()),
        }
        Ok(())
    }
}

/// The values one setting takes in a sweep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Axis {
    W(Vec<u16>),
    R(Vec<u16>),
    LatencyMs(Vec<u64>),
    LossPpm(Vec<u32>),
    Mode(Vec<SyncMode>),
}

impl Axis {
    pub fn settings(&self) -> Vec<Setting> {
        match self {
            Axis::W(v) => v.iter().map(|x| Setting::W(*x)).collect(),
            Axis::R(v) => v.iter().map(|x| Setting::R(*x)).collect(),
            Axis::LatencyMs(v) => v.iter().map(|x| Setting::LatencyMs(*x)).collect(),
            Axis::LossPpm(v) => v.iter().map(|x| Setting::LossPpm(*x)).collect(),
            Axis::Mode(v) => v.iter().map(|x| Setting::Mode(*x)).collect(),
        }
    }
}

/// The most runs a sweep may have.
pub const MAX_RUNS: usize = 400;

/// What one run of a sweep measured.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunResult {
    pub settings: Vec<Setting>,
    pub reads_ok: usize,
    /// Stale reads and their share of successful reads in parts per million, as
    /// [`crate::check::Metrics`] defines them.
    pub stale_reads: usize,
    pub stale_read_ppm: u32,
    pub write_p99_us: Time,
    pub read_p99_us: Time,
    pub availability_ppm: u32,
    pub writes_acked: usize,
    pub writes_lost: usize,
    /// Keys whose history is not linearizable, and keys the check could not decide.
    pub keys_not_linearizable: usize,
    pub keys_unknown: usize,
    /// Union keys read merged, which get the set check rather than a linearizability verdict
    /// (`linear::Verdict::Set`), whose set check failed. They are in neither count above.
    pub keys_set_violations: usize,
    pub events: u64,
}

/// How far a sweep has got: runs finished of the total.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
}

impl Progress {
    pub fn finished(&self) -> bool {
        self.done == self.total
    }
}

/// A grid of runs of one scenario, run a slice at a time.
pub struct Sweep {
    base: Scenario,
    grid: Vec<Vec<Setting>>,
    results: Vec<RunResult>,
    current: Option<(Simulation, Time)>,
}

impl Sweep {
    /// Every combination of the axes' values (the first axis varies slowest). Fails when a
    /// setting does not apply to the scenario or the grid has more than [`MAX_RUNS`] runs.
    pub fn new(base: Scenario, axes: Vec<Axis>) -> Result<Sweep, String> {
        let mut grid: Vec<Vec<Setting>> = vec![Vec::new()];
        for axis in &axes {
            let values = axis.settings();
            if values.is_empty() {
                return Err("an axis has no values".into());
            }
            grid = grid
                .into_iter()
                .flat_map(|g| {
                    values.iter().map(move |v| {
                        let mut g = g.clone();
                        g.push(*v);
                        g
                    })
                })
                .collect();
            if grid.len() > MAX_RUNS {
                return Err(format!("more than {MAX_RUNS} runs"));
            }
        }
        for g in &grid {
            let mut s = base.clone();
            for setting in g {
                setting.apply(&mut s)?;
            }
        }
        Ok(Sweep {
            base,
            grid,
            results: Vec::new(),
            current: None,
        })
    }

    pub fn progress(&self) -> Progress {
        Progress {
            done: self.results.len(),
            total: self.grid.len(),
        }
    }

    /// The settings of every run, in order.
    pub fn grid(&self) -> &[Vec<Setting>] {
        &self.grid
    }

    /// Results of the runs finished so far, in grid order.
    pub fn results(&self) -> &[RunResult] {
        &self.results
    }

    /// Runs at most `event_budget` simulation events (at least one), finishing runs as they
    /// end; a finished run's checks are part of the slice that ends it.
    pub fn step(&mut self, event_budget: u64) -> Progress {
        let mut left = event_budget.max(1);
        while left > 0 && self.results.len() < self.grid.len() {
            let (sim, end) = self.current.get_or_insert_with(|| {
                let mut s = self.base.clone();
                for setting in &self.grid[self.results.len()] {
                    setting.apply(&mut s).expect("checked in new");
                }
                let end = s.end();
                (Simulation::new(s), end)
            });
            while left > 0 && sim.next_time().is_some_and(|t| t <= *end) {
                sim.step();
                left -= 1;
            }
            if left > 0 || sim.next_time().is_none_or(|t| t > *end) {
                sim.run_until(*end);
                let (sim, _) = self.current.take().expect("a run is going");
                let settings = self.grid[self.results.len()].clone();
                self.results.push(measure(&sim, settings));
            }
        }
        self.progress()
    }

    /// Runs everything that is left.
    pub fn run_all(&mut self) -> &[RunResult] {
        while !self.step(1_000_000).finished() {}
        &self.results
    }
}

fn measure(sim: &Simulation, settings: Vec<Setting>) -> RunResult {
    let m = sim.metrics();
    let verdicts = linear::check_all(sim.history(), SWEEP_CHECK_BUDGET);
    let count = |f: fn(&Verdict) -> bool| verdicts.values().filter(|v| f(v)).count();
    RunResult {
        settings,
        reads_ok: m.reads_ok,
        stale_reads: m.stale_reads,
        stale_read_ppm: m.stale_read_ppm,
        write_p99_us: m.write_latency_us.p99,
        read_p99_us: m.read_latency_us.p99,
        availability_ppm: m.availability_ppm,
        writes_acked: m.writes_acked,
        writes_lost: m.writes_lost,
        keys_not_linearizable: count(|v| matches!(v, Verdict::Violation { .. })),
        keys_unknown: count(|v| matches!(v, Verdict::Unknown { .. })),
        keys_set_violations: count(|v| matches!(v, Verdict::Set { .. }) && v.is_violation()),
        events: sim.stats().events,
    }
}

/// A fixed-width text table of a sweep's results.
pub fn table(results: &[RunResult]) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<28} {:>9} {:>8} {:>10} {:>10} {:>8} {:>6} {:>7}",
        "settings", "stale", "reads", "w p99 ms", "r p99 ms", "avail", "lost", "nonlin"
    );
    for r in results {
        let settings: Vec<String> = r.settings.iter().map(Setting::label).collect();
        let _ = writeln!(
            s,
            "{:<28} {:>8.2}% {:>8} {:>10.1} {:>10.1} {:>7.2}% {:>6} {:>7}",
            settings.join(" "),
            r.stale_read_ppm as f64 / 10_000.0,
            r.reads_ok,
            r.write_p99_us as f64 / 1000.0,
            r.read_p99_us as f64 / 1000.0,
            r.availability_ppm as f64 / 10_000.0,
            r.writes_lost,
            r.keys_not_linearizable,
        );
    }
    s
}
