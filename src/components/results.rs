//! Results: what the clients saw (recent operations), what the checkers found (anomalies), and
//! what became of every write (durable, lost, unknown).

use crate::compare::Cause;
use crate::state::{on_click, Action, Model};
use crate::words;
use replica_engine::check::{self, AnomalyKind, Fate};
use replica_engine::types::Time;
use replica_engine::Simulation;
use std::collections::BTreeMap;
use std::rc::Rc;
use yew::prelude::*;

/// The newest this many operations and writes are listed.
const RECENT: usize = 60;

#[derive(Clone, Debug, PartialEq)]
pub struct OpRow {
    pub id: u32,
    pub client: u16,
    pub node: u16,
    pub text: String,
    pub result: String,
    pub class: &'static str,
    pub latency: Option<Time>,
    /// A stale read (the engine's definition: `check::stale_reads`).
    pub stale: bool,
    /// What the checkers found about this read, in words: (flag, its explanation).
    pub flags: Vec<(&'static str, &'static str)>,
    pub t: Time,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FateRow {
    pub op: u32,
    pub kv: String,
    pub label: &'static str,
    pub class: &'static str,
    pub why: String,
}

/// An anomaly in words, with what caused it (highlighted on a click).
#[derive(Clone, Debug, PartialEq)]
pub struct AnomalyRow {
    pub t: Time,
    pub kind: &'static str,
    pub text: String,
    pub cause: Rc<Cause>,
    /// Later events took it back (a lost write that came back): listed, not counted.
    pub retracted: bool,
}

/// "Anomalies (N)": the anomalies standing, as the engine counts them (`check::Counts`), with
/// the retracted ones (listed, marked) named apart.
pub fn anomalies_heading(rows: &[AnomalyRow]) -> String {
    let retracted = rows.iter().filter(|a| a.retracted).count();
    let standing = rows.len() - retracted;
    match retracted {
        0 => format!("Anomalies ({standing})"),
        n => format!("Anomalies ({standing}; {n} retracted)"),
    }
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct ResultsData {
    pub ops: Vec<OpRow>,
    /// On long runs: what is no longer kept, in words.
    pub forgotten: Option<String>,
    pub anomalies: Vec<AnomalyRow>,
    pub fates: Vec<FateRow>,
    pub writes: usize,
    pub acked: usize,
    pub lost: usize,
    pub unknown: usize,
    /// Stale reads among the operations kept, and how many of them missed the reader's own write.
    pub stale: usize,
    pub stale_own: usize,
}

impl ResultsData {
    pub fn build(sim: &Simulation) -> Self {
        let history = sim.history();
        let anomalies = sim.anomalies();
        let stale = check::stale_reads(history, anomalies.items());
        // The read anomalies of the reads listed, by read.
        let oldest = history.end().saturating_sub(RECENT as u32);
        let mut flags: BTreeMap<u32, Vec<(&'static str, &'static str)>> = BTreeMap::new();
        for a in anomalies.iter() {
            if let (Some(op), Some(f)) = (a.kind.read(), words::read_flag(&a.kind)) {
                if op >= oldest {
                    let list = flags.entry(op).or_default();
                    if !list.contains(&f) {
                        list.push(f);
                    }
                }
            }
        }
        let own = anomalies
            .iter()
            .filter(|a| matches!(a.kind, AnomalyKind::ReadYourWrites { .. }))
            .filter_map(|a| a.kind.read())
            .filter(|op| stale.contains_key(op))
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        let ops = history
            .iter()
            .rev()
            .take(RECENT)
            .map(|o| OpRow {
                id: o.id,
                client: o.client,
                node: o.node,
                text: words::op_text(o),
                result: words::result_text(o),
                class: words::result_class(o),
                latency: o.latency(),
                stale: stale.contains_key(&o.id),
                flags: flags.remove(&o.id).unwrap_or_default(),
                t: o.invoke,
            })
            .collect();
        let fates = sim.fates();
        let count = |f: Fate| fates.iter().filter(|w| w.fate == f).count();
        let (lost, unknown) = (count(Fate::Lost), count(Fate::Indeterminate));
        // Lost writes first (they are the story), then the newest others.
        let row = |w: &replica_engine::check::WriteFate| FateRow {
            op: w.op,
            kv: format!("{}={}", w.key, w.value),
            label: words::fate_label(w.fate),
            class: words::fate_class(w),
            why: w.why.clone(),
        };
        let lost_first = fates.iter().rev().filter(|w| w.fate == Fate::Lost);
        let others = fates.iter().rev().filter(|w| w.fate != Fate::Lost);
        let rows: Vec<FateRow> = lost_first.chain(others).take(RECENT).map(row).collect();
        let f = sim.forgotten();
        let forgotten = (f.ops() > 0).then(|| {
            let older: u64 = f.anomalies.values().sum();
            format!(
                "A long run: the counts and lists below cover the operations invoked since {} (the newest {}). {} older operations and {} older anomalies are no longer kept.",
                words::time(f.since),
                history.len(),
                f.ops(),
                older
            )
        });
        ResultsData {
            ops,
            forgotten,
            anomalies: anomalies
                .iter()
                .map(|a| AnomalyRow {
                    t: a.t,
                    kind: a.kind.name(),
                    text: words::anomaly_text(a, history),
                    cause: Rc::new(Cause::of(a, history)),
                    retracted: a.retracted.is_some(),
                })
                .collect(),
            writes: fates.len(),
            acked: fates.iter().filter(|w| w.acked).count(),
            lost,
            unknown,
            stale: stale.len(),
            stale_own: own,
            fates: rows,
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct ResultsProps {
    pub data: Rc<ResultsData>,
    /// The anomaly whose cause is highlighted.
    #[prop_or_default]
    pub cause: Option<Rc<Cause>>,
    pub dispatch: UseReducerDispatcher<Model>,
}

#[function_component(Results)]
pub fn results(p: &ResultsProps) -> Html {
    let r = &p.data;
    let seek = |t: Time| on_click(&p.dispatch, Action::Seek { t, pause: true });
    html! {
        <div class="results">
            if let Some(note) = &r.forgotten {
                <p class="muted forgotten">{ note }</p>
            }
            <dl class="summary">
                <div><dt>{ "writes" }</dt><dd>{ r.writes }</dd></div>
                <div><dt>{ "acknowledged" }</dt><dd>{ r.acked }</dd></div>
                <div class={classes!((r.lost > 0).then_some("bad"))}><dt>{ "lost" }</dt><dd>{ r.lost }</dd></div>
                <div class={classes!((r.unknown > 0).then_some("warn"))}><dt>{ "unknown" }</dt><dd>{ r.unknown }</dd></div>
                <div class={classes!("stale-reads", (r.stale > 0).then_some("bad"))} data-count={r.stale.to_string()}
                    title={words::STALE_TITLE}>
                    <dt>{ "stale reads" }</dt><dd>{ r.stale }</dd>
                </div>
            </dl>
            if r.stale_own > 0 {
                <p class="muted small stale-own">{ format!(
                    "{} of the {} stale reads missed the reader's own write (read-your-writes).",
                    r.stale_own, r.stale
                ) }</p>
            }
            <section>
                <h3>{ anomalies_heading(&r.anomalies) }</h3>
                if r.anomalies.is_empty() {
                    <p class="muted">{ "None so far. Try crashing the leader while clients write, with asynchronous followers." }</p>
                } else {
                    <ul class="anomalies">
                        { for r.anomalies.iter().rev().map(|a| {
                            let on = p.cause.as_deref() == Some(&*a.cause);
                            let ops = a.cause.ops.iter().map(|(o, _)| o.to_string()).collect::<Vec<_>>().join(" ");
                            html! {
                                <li class={classes!(a.kind, on.then_some("on"), a.retracted.then_some("retracted"))} data-kind={a.kind} data-ops={ops}>
                                    <button class="link-like" onclick={seek(a.t)} title="Go to this moment">{ words::time(a.t) }</button>
                                    <span>{ &a.text }</span>
                                    <button class="cause-btn" aria-pressed={on.to_string()}
                                        title="Highlight the operations and nodes behind it, in the diagram and the cluster picture"
                                        onclick={on_click(&p.dispatch, Action::Cause((!on).then(|| Box::new((*a.cause).clone()))))}>
                                        { if on { "hide cause" } else { "show cause" } }
                                    </button>
                                </li>
                            }
                        }) }
                    </ul>
                }
            </section>
            <section>
                <h3>{ "Client operations (newest first)" }</h3>
                if r.ops.is_empty() {
                    <p class="muted">{ "No operations yet." }</p>
                } else {
                    <table class="ops">
                        <thead><tr><th scope="col">{ "operation" }</th><th scope="col">{ "result" }</th><th scope="col">{ "took" }</th></tr></thead>
                        <tbody>
                            { for r.ops.iter().map(|o| html! {
                                <tr class={classes!(o.class, o.stale.then_some("stale"))} data-op={o.id.to_string()}>
                                    <td>
                                        <span class="op-id">{ format!("#{} ", o.id) }</span>{ &o.text }
                                        <span class="op-route">{ format!("c{} → n{}", o.client, o.node) }</span>
                                    </td>
                                    <td>{ &o.result }{ for o.flags.iter().map(|(f, why)| html! { <span class="flag" title={*why}>{ *f }</span> }) }</td>
                                    <td class="muted">{ o.latency.map(words::span).unwrap_or_default() }</td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                }
            </section>
            <section>
                <h3>{ "What became of each write" }</h3>
                if r.fates.is_empty() {
                    <p class="muted">{ "No writes yet." }</p>
                } else {
                    <ul class="fates">
                        { for r.fates.iter().map(|f| html! {
                            <li class={f.class}>
                                <span class="fate">{ f.label }</span>
                                <span class="kv">{ format!("#{} {}", f.op, f.kv) }</span>
                                <span class="why">{ &f.why }</span>
                            </li>
                        }) }
                    </ul>
                }
            </section>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::ResultsData;
    use replica_engine::{presets, Simulation};

    #[test]
    fn the_session_guarantees_preset_counts_as_the_engine_does() {
        let p = presets::preset("session-guarantees").expect("in the gallery");
        let mut sim = Simulation::new(p.scenario.clone());
        sim.run_until(p.view.at.expect("a moment"));
        let r = ResultsData::build(&sim);
        let m = sim.metrics();
        assert_eq!((r.stale, r.stale_own), (m.stale_reads, m.read_your_writes));
        assert_eq!((r.stale, r.stale_own, r.anomalies.len()), (2, 2, 3));
        assert_eq!(r.anomalies.len(), m.anomalies);
        let marked: Vec<u32> = r.ops.iter().filter(|o| o.stale).map(|o| o.id).collect();
        assert_eq!(marked, vec![4, 2]);
        let flags = |id: u32| -> Vec<&str> {
            let row = r.ops.iter().find(|o| o.id == id).expect("listed");
            row.flags.iter().map(|f| f.0).collect()
        };
        assert_eq!(flags(4), vec!["stale: own write", "went back"]);
        assert_eq!(flags(2), vec!["stale: own write"]);
        assert!(flags(3).is_empty());
    }

    /// A lost write that came back stays listed, marked retracted, and is not counted: the
    /// heading agrees with the engine's count of standing anomalies.
    #[test]
    fn a_retracted_lost_write_is_listed_but_not_counted() {
        let text = include_str!("../../engine/testdata/golden/lost-then-back.json");
        let s = replica_engine::scenario::wire::decode(text).expect("a valid scenario");
        let end = s.end();
        let mut sim = Simulation::new(s);
        sim.run_until(end);
        let r = ResultsData::build(&sim);
        let m = sim.metrics();
        assert_eq!((m.anomalies, m.retracted), (0, 1));
        assert_eq!(r.anomalies.iter().filter(|a| a.retracted).count(), 1);
        assert_eq!(
            super::anomalies_heading(&r.anomalies),
            "Anomalies (0; 1 retracted)"
        );
    }
}
