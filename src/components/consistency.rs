//! Consistency analysis: the run's metrics, linearizability per key with the operations that
//! cannot be ordered, charts (replication lag per node, staleness, availability) and a sweep: W×R
//! for leaderless, drawn as a heatmap of the stale-read share; followers' mode × latency for
//! single-leader, drawn as bars of the p99 write latency with lost writes named.
//!
//! The data is built on the model's slow refresh while the tab is shown (never every frame).
//! The sweep belongs to this component: it runs in slices of events on a short timer so the
//! page stays responsive, with a progress bar.

use replica_engine::check::linear::{self, Verdict};
use replica_engine::check::series::Series;
use replica_engine::check::Metrics;
use replica_engine::client::OpResult;
use replica_engine::scenario::{Action, ReadFrom, Scenario, Strategy, SyncMode, Workload};
use replica_engine::sweep::{Axis, RunResult, Setting, Sweep};
use replica_engine::types::{Time, MS};
use replica_engine::Simulation;
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// The search budget per key while the page plays (steps).
pub const PAGE_CHECK_BUDGET: u64 = 200_000;
/// Simulation events per sweep slice.
const SWEEP_SLICE: u64 = 20_000;
/// The single-leader sweep: each followers' mode at each latency.
const SWEEP_MODES: [SyncMode; 3] = [SyncMode::Async, SyncMode::SemiSync { k: 1 }, SyncMode::Sync];
const SWEEP_LATENCIES_MS: [u64; 3] = [5, 20, 60];

/// Every operation of every key's linearizability counterexample.
pub fn counterexample_ops(
    sim: &Simulation,
) -> std::collections::BTreeSet<replica_engine::types::OpId> {
    replica_engine::sort::set(
        linear::check_all(sim.history(), PAGE_CHECK_BUDGET)
            .into_values()
            .flat_map(|v| v.ops()),
    )
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct ConsistencyData {
    pub metrics: Option<Rc<Metrics>>,
    pub verdicts: Vec<(String, Verdict)>,
    pub series: Rc<Vec<Series>>,
    pub now: Time,
    /// The run's scenario, as the base of a sweep.
    pub scenario: Option<Rc<Scenario>>,
    /// Leaderless N, when the run is leaderless.
    pub n: Option<u16>,
    /// The run is single-leader (its sweep is sync mode × latency).
    pub single_leader: bool,
    /// Latencies of successful writes and reads, in µs.
    pub latencies: Rc<(Vec<Time>, Vec<Time>)>,
}

impl ConsistencyData {
    pub fn build(sim: &Simulation) -> Self {
        ConsistencyData {
            metrics: Some(Rc::new(sim.metrics())),
            verdicts: linear::check_all(sim.history(), PAGE_CHECK_BUDGET)
                .into_iter()
                .collect(),
            series: Rc::new(sim.series()),
            now: sim.now(),
            scenario: Some(Rc::new(sim.scenario().clone())),
            n: match &sim.config().strategy {
                Strategy::Leaderless(l) => Some(l.n),
                _ => None,
            },
            single_leader: matches!(sim.config().strategy, Strategy::SingleLeader(_)),
            latencies: Rc::new({
                let ok = |write: bool| -> Vec<Time> {
                    sim.history()
                        .iter()
                        .filter(|o| o.is_write() == write)
                        .filter(|o| {
                            matches!(o.result, OpResult::Written { .. } | OpResult::Read { .. })
                        })
                        .filter_map(|o| o.latency())
                        .collect()
                };
                (ok(true), ok(false))
            }),
        }
    }
}

/// A sweep on screen: runs done, runs in all, results so far.
type SweepView = Option<(usize, usize, Rc<Vec<RunResult>>)>;
type Running = Rc<RefCell<Option<Rc<RefCell<Sweep>>>>>;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub data: ConsistencyData,
}

/// Every kind the engine counts (`check::Kind::ALL`, its titles), standing anomalies only; stale
/// reads are the engine's one definition (`check::stale_reads`: stale-read and read-your-writes
/// flags, once per read), so those two kinds are told together.
pub fn anomaly_line(m: &replica_engine::check::Metrics) -> String {
    use replica_engine::check::Kind;
    // What readers saw first (stale reads and the session guarantees), then what became of writes
    // and the cluster; every other kind in the engine's order, so none is left out.
    let mut parts = vec![
        format!(
            "{} stale reads ({} of them read-your-writes)",
            m.stale_reads, m.read_your_writes
        ),
        format!(
            "{} monotonic reads broken",
            m.counts.get(Kind::MonotonicRead)
        ),
        format!(
            "{} consistent prefix broken",
            m.counts.get(Kind::ConsistentPrefix)
        ),
    ];
    for k in Kind::ALL {
        match k {
            Kind::StaleRead
            | Kind::ReadYourWrites
            | Kind::MonotonicRead
            | Kind::ConsistentPrefix => {}
            Kind::LostWrite
            | Kind::SplitBrain
            | Kind::Discarded
            | Kind::Conflict
            | Kind::OutOfOrder => parts.push(format!("{} {}", m.counts.get(k), k.title())),
        }
    }
    if m.retracted > 0 {
        parts.push(format!("{} retracted (not counted)", m.retracted));
    }
    format!("{} in all: {}", m.anomalies, parts.join(" · "))
}

fn pct(ppm: u32) -> String {
    format!("{:.1}%", ppm as f64 / 10_000.0)
}

fn ms(us: Time) -> String {
    format!("{:.1} ms", us as f64 / MS as f64)
}

/// A small line chart of some series over [0, now].
fn chart(title: &str, unit: &str, series: &[&Series], now: Time) -> Html {
    const W: f64 = 300.0;
    const H: f64 = 90.0;
    let max = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .fold(0.0f64, f64::max);
    let top = if unit == "share" { 1.0 } else { max.max(1.0) };
    let end = now.max(1) as f64;
    let colours = [
        "#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2",
    ];
    let lines = series.iter().enumerate().map(|(i, s)| {
        let pts: Vec<String> = s
            .points
            .iter()
            .map(|(t, v)| {
                format!(
                    "{:.1},{:.1}",
                    *t as f64 / end * W,
                    H - (v / top).min(1.0) * (H - 4.0)
                )
            })
            .collect();
        let colour = colours[i % colours.len()];
        html! { <polyline points={pts.join(" ")} fill="none" stroke={colour} stroke-width="1.5">
        <title>{ s.name.clone() }</title></polyline> }
    });
    let legend = series.iter().enumerate().map(|(i, s)| {
        html! { <span class="c-legend"><i class="swatch" style={format!("background:{}", colours[i % colours.len()])}></i>{ s.name.clone() }</span> }
    });
    let top_label = if unit == "share" {
        "100%".to_string()
    } else {
        format!("{top:.0} {unit}")
    };
    html! {
        <figure class="chart" data-chart={title.to_string()}>
            <figcaption>{ title }<span class="muted">{ format!(" · top {top_label}") }</span></figcaption>
            <svg viewBox={format!("0 0 {W} {H}")} width="100%" role="img" aria-label={title.to_string()}>
                <rect x="0" y="0" width={W.to_string()} height={H.to_string()} fill="none" stroke="#ccc" />
                { for lines }
            </svg>
            <div>{ for legend }</div>
        </figure>
    }
}

/// Latency distribution: a histogram of writes and reads side by side, 24 buckets up to the
/// slowest operation (at most one virtual second shown; slower ones fall in the last bucket).
fn histogram(writes: &[Time], reads: &[Time]) -> Html {
    const W: f64 = 300.0;
    const H: f64 = 80.0;
    const B: usize = 24;
    let top = writes
        .iter()
        .chain(reads)
        .copied()
        .max()
        .unwrap_or(0)
        .clamp(MS, 1_000 * MS);
    let count = |xs: &[Time]| {
        let mut c = [0usize; B];
        for x in xs {
            c[((*x as f64 / top as f64 * B as f64) as usize).min(B - 1)] += 1;
        }
        c
    };
    let (cw, cr) = (count(writes), count(reads));
    let most = cw
        .iter()
        .chain(cr.iter())
        .copied()
        .max()
        .unwrap_or(0)
        .max(1);
    let bw = W / B as f64;
    let bars = (0..B).flat_map(|i| {
        [
            (cw[i], 0.0, "#ea580c", "writes"),
            (cr[i], bw / 2.0, "#0891b2", "reads"),
        ]
        .into_iter()
        .filter(|(c, ..)| *c > 0)
        .map(move |(c, dx, fill, what)| {
            let h = c as f64 / most as f64 * (H - 4.0);
            let lo = top as f64 / B as f64 * i as f64 / MS as f64;
            html! { <rect x={format!("{:.1}", i as f64 * bw + dx)} y={format!("{:.1}", H - h)}
            width={format!("{:.1}", bw / 2.0 - 0.5)} height={format!("{h:.1}")} fill={fill}>
            <title>{ format!("{c} {what} from {lo:.0} ms") }</title></rect> }
        })
        .collect::<Vec<_>>()
    });
    html! {
        <figure class="chart" data-chart="latency distribution">
            <figcaption>{ "latency distribution" }<span class="muted">{ format!(" · 0 to {:.0} ms", top as f64 / MS as f64) }</span></figcaption>
            <svg viewBox={format!("0 0 {W} {H}")} width="100%" role="img" aria-label="latency distribution">
                <rect x="0" y="0" width={W.to_string()} height={H.to_string()} fill="none" stroke="#ccc" />
                { for bars }
            </svg>
            <div><span class="c-legend"><i class="swatch" style="background:#ea580c"></i>{ "writes" }</span><span class="c-legend"><i class="swatch" style="background:#0891b2"></i>{ "reads" }</span></div>
        </figure>
    }
}

/// The sweep's base: the run's scenario without its W and R changes (the sweep sets those),
/// with traffic (a default workload when it has none at the start) and five virtual seconds.
fn sweep_base(s: &Scenario) -> Scenario {
    let mut s = s.clone();
    s.schedule
        .retain(|e| !matches!(e.action, Action::SetQuorum { .. }));
    let starts_quiet = s.config.workload.is_none()
        && !s
            .schedule
            .iter()
            .any(|e| e.at == 0 && matches!(e.action, Action::SetWorkload(Some(_))));
    if starts_quiet {
        s.config.workload = Some(Workload {
            write_every: 40 * MS,
            read_every: 20 * MS,
            keys: 3,
            read_from: ReadFrom::Nearest,
        });
    }
    s.duration = Some(s.end().max(5_000 * MS));
    s
}

#[function_component(Consistency)]
pub fn consistency(props: &Props) -> Html {
    let d = &props.data;
    let sweep: UseStateHandle<SweepView> = use_state(|| None);
    let running = use_mut_ref(|| None::<Rc<RefCell<Sweep>>>);
    let Some(m) = &d.metrics else {
        return html! { <div class="consistency"><p>{ "No run yet." }</p></div> };
    };
    let bad: Vec<&(String, Verdict)> = d
        .verdicts
        .iter()
        .filter(|(_, v)| !matches!(v, Verdict::Linearizable))
        .collect();
    let lag: Vec<&Series> = d
        .series
        .iter()
        .filter(|s| s.name.starts_with("lag n"))
        .collect();
    let named = |n: &str| d.series.iter().find(|s| s.name == n);
    let sweep_error = use_state(|| None::<String>);
    let start_sweep = {
        let (sweep, running, base, n, single) = (
            sweep.clone(),
            running.clone(),
            d.scenario.clone(),
            d.n,
            d.single_leader,
        );
        let sweep_error = sweep_error.clone();
        Callback::from(move |_: MouseEvent| {
            let Some(base) = base.clone() else {
                return;
            };
            let axes = match n {
                Some(n) => vec![Axis::W((1..=n).collect()), Axis::R((1..=n).collect())],
                None if single => vec![
                    Axis::Mode(SWEEP_MODES.to_vec()),
                    Axis::LatencyMs(SWEEP_LATENCIES_MS.to_vec()),
                ],
                None => return,
            };
            let sw = match Sweep::new(sweep_base(&base), axes) {
                Ok(sw) => sw,
                Err(e) => {
                    sweep_error.set(Some(format!("This run cannot be swept: {e}.")));
                    return;
                }
            };
            sweep_error.set(None);
            let total = sw.progress().total;
            let sw = Rc::new(RefCell::new(sw));
            *running.borrow_mut() = Some(sw.clone());
            sweep.set(Some((0, total, Rc::new(Vec::new()))));
            run_slices(sw, running.clone(), sweep.clone());
        })
    };
    // Focusable, so the scrolling panel can be scrolled from the keyboard.
    html! {
        <div class="consistency" tabindex="0" role="region" aria-label="Consistency analysis">
            <section>
                <h3>{ "Metrics" }</h3>
                if m.forgotten_ops > 0 {
                    <p class="muted forgotten">{ format!(
                        "Over the operations invoked since {} ({} older ones are no longer kept).",
                        crate::words::time(m.since_us),
                        m.forgotten_ops
                    ) }</p>
                }
                <table class="metrics">
                    <tr><th>{ "availability" }</th><td>{ pct(m.availability_ppm) }</td></tr>
                    <tr><th>{ "throughput" }</th><td>{ format!("{:.1} ops/s", m.throughput_ops_per_s) }</td></tr>
                    <tr><th>{ "write latency p50 / p99" }</th><td>{ format!("{} / {}", ms(m.write_latency_us.p50), ms(m.write_latency_us.p99)) }</td></tr>
                    <tr><th>{ "read latency p50 / p99" }</th><td>{ format!("{} / {}", ms(m.read_latency_us.p50), ms(m.read_latency_us.p99)) }</td></tr>
                    <tr title={crate::words::STALE_TITLE}><th>{ "stale reads" }</th><td id="stale-share" data-count={m.stale_reads.to_string()}
                        data-reads={m.reads_ok.to_string()}>{ format!("{} ({} of {} reads)", pct(m.stale_read_ppm), m.stale_reads, m.reads_ok) }</td></tr>
                    <tr><th>{ "staleness p99 / max" }</th><td>{ format!("{} / {}", ms(m.staleness_us.p99), ms(m.staleness_us.max)) }</td></tr>
                    <tr><th>{ "lost writes" }</th><td>{ m.writes_lost }</td></tr>
                    <tr><th>{ "anomalies" }</th><td class="wrap" id="anomaly-counts" data-count={m.anomalies.to_string()}
                        data-stale={m.stale_reads.to_string()}>{ anomaly_line(m) }</td></tr>
                </table>
            </section>
            <section class="verdicts">
                <h3>{ "Linearizability" }</h3>
                if d.verdicts.is_empty() {
                    <p class="muted">{ "No operations yet." }</p>
                } else if bad.is_empty() {
                    <p class="ok" id="linearizable">{ format!("All {} keys linearizable.", d.verdicts.len()) }</p>
                } else {
                    <ul>
                    { for bad.iter().map(|(k, v)| match v {
                        Verdict::Violation { ops } => html! { <li class="bad" data-key={k.clone()}
                            data-ops={ops.iter().map(|o| o.to_string()).collect::<Vec<_>>().join(" ")}>
                            { format!("{k}: not linearizable — these cannot be ordered: {}",
                                ops.iter().map(|o| format!("#{o}")).collect::<Vec<_>>().join(" ")) }
                        </li> },
                        Verdict::Unknown { steps } => html! { <li>{ format!("{k}: undecided after {steps} steps") }</li> },
                        // A union key read merged: a set check, not a linearizability verdict.
                        Verdict::Set { .. } => html! { <li class={if v.is_violation() { "bad" } else { "set" }} data-key={k.clone()}
                            data-ops={v.ops().iter().map(|o| o.to_string()).collect::<Vec<_>>().join(" ")}>
                            { format!("{k}: {}", v.describe()) }
                        </li> },
                        Verdict::Linearizable => html! {},
                    }) }
                    </ul>
                    <p class="muted">{ format!("{} other keys linearizable.", d.verdicts.len() - bad.len()) }</p>
                }
            </section>
            <section class="charts">
                <h3>{ "Latency" }</h3>
                { histogram(&d.latencies.0, &d.latencies.1) }
                <h3>{ "Over time" }</h3>
                { chart("replication lag", "entries", &lag, d.now) }
                { named("lag-ms n1").map(|_| {
                    let ages: Vec<&Series> = d.series.iter().filter(|s| s.name.starts_with("lag-ms")).collect();
                    chart("replication lag (time)", "ms", &ages, d.now)
                }).unwrap_or_default() }
                { named("staleness").map(|s| chart("staleness of reads", "ms", &[s], d.now)).unwrap_or_default() }
                { named("availability").map(|s| chart("availability", "share", &[s], d.now)).unwrap_or_default() }
            </section>
            if d.n.is_some() || d.single_leader {
                <section class="sweep">
                    if let Some(n) = d.n {
                        <h3>{ "Sweep W × R" }</h3>
                        <p class="muted">{ format!("Runs this run's scenario again (same seed and actions, except W and R; a default workload if it has none; at least 5 virtual seconds) for every W and R from 1 to {n}.") }</p>
                    } else {
                        <h3>{ "Sweep sync mode × latency" }</h3>
                        <p class="muted">{ "Runs this run's scenario again (same seed and actions, except the followers' mode and the latency between nodes; a default workload if it has none; at least 5 virtual seconds) for asynchronous, semi-synchronous (k = 1) and synchronous followers at 5, 20 and 60 ms." }</p>
                    }
                    <button id="run-sweep" onclick={start_sweep}
                        disabled={sweep.as_ref().is_some_and(|s| s.0 < s.1)}>{ "Run sweep" }</button>
                    if let Some(e) = &*sweep_error {
                        <p class="bad" role="status">{ e.clone() }</p>
                    }
                    { sweep.as_ref().map(|(done, total, results)| html! { <>
                        <progress id="sweep-progress" aria-label="Sweep progress" max={total.to_string()} value={done.to_string()} />
                        <span class="muted">{ format!(" {done} / {total} runs") }</span>
                        { match (results.first().and_then(|r| r.settings.first()), d.n) {
                            (Some(Setting::Mode(_)), _) => mode_chart(results),
                            (_, Some(n)) => heatmap(n, results),
                            _ => html! {},
                        } }
                    </> }).unwrap_or_default() }
                </section>
            }
        </div>
    }
}

/// Runs a slice of the sweep, shows progress, and schedules the next slice.
fn run_slices(sw: Rc<RefCell<Sweep>>, running: Running, out: UseStateHandle<SweepView>) {
    // Stop if another sweep replaced this one.
    if !running
        .borrow()
        .as_ref()
        .is_some_and(|r| Rc::ptr_eq(r, &sw))
    {
        return;
    }
    let p = sw.borrow_mut().step(SWEEP_SLICE);
    out.set(Some((
        p.done,
        p.total,
        Rc::new(sw.borrow().results().to_vec()),
    )));
    if !p.finished() {
        gloo_timers::callback::Timeout::new(0, move || run_slices(sw, running, out)).forget();
    }
}

/// p99 write latency per followers' mode, grouped by latency, with lost writes named.
fn mode_chart(results: &[RunResult]) -> Html {
    let (w, h, top, bottom, left) = (300.0, 150.0, 14.0, 26.0, 34.0);
    let max = results
        .iter()
        .map(|r| r.write_p99_us)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let group = (w - left) / SWEEP_LATENCIES_MS.len() as f64;
    let bar = group / (SWEEP_MODES.len() as f64 + 1.0);
    let colors = ["#1c7ed6", "#f59f00", "#2f9e44"];
    let bars = results.iter().enumerate().map(|(i, r)| {
        let (m, l) = (i / SWEEP_LATENCIES_MS.len(), i % SWEEP_LATENCIES_MS.len());
        let bh = (r.write_p99_us as f64 / max) * (h - top - bottom);
        let x = left + l as f64 * group + (m as f64 + 0.5) * bar;
        let y = h - bottom - bh;
        let mode = mode_label(SWEEP_MODES[m]);
        let label = format!(
            "{mode} at {} ms: write p99 {:.0} ms, {} writes acknowledged, {} lost, {:.1}% stale reads, availability {:.1}%",
            SWEEP_LATENCIES_MS[l],
            r.write_p99_us as f64 / 1000.0,
            r.writes_acked,
            r.writes_lost,
            r.stale_read_ppm as f64 / 10_000.0,
            r.availability_ppm as f64 / 10_000.0
        );
        html! {
            <g class="bar" data-mode={mode} data-latency={SWEEP_LATENCIES_MS[l].to_string()}
                data-p99={r.write_p99_us.to_string()} data-lost={r.writes_lost.to_string()}>
                <rect x={format!("{x:.1}")} y={format!("{y:.1}")} width={format!("{:.1}", bar * 0.9)}
                    height={format!("{bh:.1}")} fill={colors[m]}><title>{ label.clone() }</title></rect>
                if r.writes_acked == 0 {
                    <text x={format!("{:.1}", x + bar * 0.45)} y={format!("{:.1}", h - bottom - 2.0)} font-size="7"
                        text-anchor="middle" fill="#e03131"><title>{ label.clone() }</title>{ "none acked" }</text>
                } else if r.writes_lost > 0 {
                    <text x={format!("{:.1}", x + bar * 0.45)} y={format!("{:.1}", y - 2.0)} font-size="8"
                        text-anchor="middle" fill="#e03131">{ format!("{} lost", r.writes_lost) }</text>
                }
            </g>
        }
    });
    html! {
        <figure class="mode-chart">
            <svg viewBox={format!("0 0 {w} {h}")} width="100%" role="img"
                aria-label="Write latency p99 by followers' mode and latency">
                <text x="2" y="10" font-size="8">{ format!("write p99 (max {:.0} ms)", max / 1000.0) }</text>
                { for SWEEP_LATENCIES_MS.iter().enumerate().map(|(l, ms)| html! {
                    <text x={format!("{:.1}", left + (l as f64 + 0.5) * group)} y={(h - 8.0).to_string()}
                        font-size="9" text-anchor="middle">{ format!("{ms} ms") }</text>
                }) }
                { for bars }
            </svg>
            <figcaption class="legend-row">
                { for SWEEP_MODES.iter().enumerate().map(|(m, mode)| html! {
                    <span><span class="swatch" style={format!("background:{}", colors[m])}></span>{ mode_label(*mode) }</span>
                }) }
            </figcaption>
        </figure>
    }
}

/// The compare view's short name for a followers' mode ("semi-sync k=1").
fn mode_label(m: SyncMode) -> String {
    crate::compare::Variant::Mode(m).label()
}

/// Stale-read share per (W, R): rows W, columns R.
fn heatmap(n: u16, results: &[RunResult]) -> Html {
    let cell = 26.0;
    let max = results
        .iter()
        .map(|r| r.stale_read_ppm)
        .max()
        .unwrap_or(0)
        .max(1);
    let cells = results.iter().enumerate().map(|(i, r)| {
        let (w, rr) = (i / n as usize, i % n as usize);
        let share = r.stale_read_ppm as f64 / max as f64;
        let fill = format!("rgba(220,38,38,{:.2})", 0.08 + 0.92 * share);
        let label = format!(
            "W={} R={}: {:.1}% stale, write p99 {:.0} ms, availability {:.1}%",
            w + 1,
            rr + 1,
            r.stale_read_ppm as f64 / 10_000.0,
            r.write_p99_us as f64 / 1000.0,
            r.availability_ppm as f64 / 10_000.0
        );
        html! {
            <g class="cell" data-w={(w + 1).to_string()} data-r={(rr + 1).to_string()}
                data-stale={r.stale_read_ppm.to_string()}>
                <rect x={(30.0 + rr as f64 * cell).to_string()} y={(14.0 + w as f64 * cell).to_string()}
                    width={(cell - 2.0).to_string()} height={(cell - 2.0).to_string()} fill={fill}
                    stroke={if (w + rr + 2) as u16 > n { "#16a34a" } else { "none" }}>
                    <title>{ label }</title>
                </rect>
            </g>
        }
    });
    let size = 30.0 + n as f64 * cell;
    html! {
        <figure class="heatmap">
            <svg viewBox={format!("0 0 {} {}", size + 4.0, size)} width={(size * 1.4).to_string()} role="img"
                aria-label="Stale-read share by W (rows) and R (columns)">
                { for (1..=n).map(|r| html! { <text x={(30.0 + (r - 1) as f64 * cell + 8.0).to_string()} y="10" font-size="9">{ format!("R{r}") }</text> }) }
                { for (1..=n).map(|w| html! { <text x="4" y={(14.0 + (w - 1) as f64 * cell + 16.0).to_string()} font-size="9">{ format!("W{w}") }</text> }) }
                { for cells }
            </svg>
            <figcaption class="muted">{ format!("stale-read share (darkest = {:.1}%); green border: W + R > N", max as f64 / 10_000.0) }</figcaption>
        </figure>
    }
}
