//! The space-time diagram: lanes left to right, time flowing down to the current moment (the
//! bottom edge, the same moment the cluster view shows). Messages are arrows from the sender's
//! lane at their send time to the receiver's lane at their arrival (or a cross where they were
//! lost); client operations are bars on their client's lane.

use crate::anim::kind_color;
use crate::spacetime::SpaceTime;
use crate::words;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct SpaceTimeProps {
    pub data: Rc<SpaceTime>,
    /// Click on an arrow or a bar: jump to that moment (virtual microseconds).
    #[prop_or_default]
    pub on_seek: Callback<u64>,
}

const W: f64 = 640.0;
const H: f64 = 420.0;
const TOP: f64 = 28.0;
const LEFT: f64 = 30.0;

#[function_component(SpaceTimeView)]
pub fn space_time_view(props: &SpaceTimeProps) -> Html {
    let d = &props.data;
    let lanes = d.lanes.len().max(1) as f64;
    let dx = (W - 2.0 * LEFT) / (lanes - 1.0).max(1.0);
    let x = |lane: usize| LEFT + lane as f64 * dx;
    let span = (d.t1 - d.t0).max(1) as f64;
    let y = |t: u64| TOP + (t.saturating_sub(d.t0) as f64 / span).min(1.0) * (H - TOP - 8.0);
    let y_signed = |t: u64| {
        // Arrows may start above the window: clip at the top edge by interpolation.
        TOP + ((t as f64 - d.t0 as f64) / span) * (H - TOP - 8.0)
    };
    let seek = |t: u64| {
        let cb = props.on_seek.clone();
        Callback::from(move |_: MouseEvent| cb.emit(t))
    };
    html! {
        <figure class="spacetime">
            <svg viewBox={format!("0 0 {W} {H}")} role="img"
                aria-label={format!("Space-time diagram of the last {}: {} messages, {} client operations",
                    words::span(d.t1 - d.t0), d.arrows.len(), d.spans.len())}>
                <defs>
                    <marker id="st-head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
                        <path d="M 0 0 L 10 5 L 0 10 z" fill="context-stroke" />
                    </marker>
                </defs>
                { for d.lanes.iter().enumerate().map(|(i, name)| html! {
                    <g class={classes!("st-lane", name.starts_with('c').then_some("client"))}>
                        <line x1={x(i).to_string()} x2={x(i).to_string()} y1={TOP.to_string()} y2={(H - 8.0).to_string()} />
                        <text x={x(i).to_string()} y="16">{ name.clone() }</text>
                    </g>
                }) }
                { for d.spans.iter().map(|s| {
                    let y1 = y(s.start.max(d.t0));
                    let y2 = s.end.map_or(H - 8.0, y);
                    html! {
                        <g class={classes!("st-span", if s.ok { "ok" } else if s.end.is_some() { "bad" } else { "open" }, s.flagged.then_some("flagged"), s.cause.map(|_| "cause"))}
                            data-op={s.op.to_string()} data-cause={s.cause}
                            onclick={seek(s.start)}>
                            <rect x={(x(s.lane) - 4.0).to_string()} y={y1.to_string()} width="8" height={(y2 - y1).max(2.0).to_string()} rx="3" />
                            <title>{ s.label.clone() }</title>
                        </g>
                    }
                }) }
                { for d.arrows.iter().map(|a| {
                    let (x1, x2) = (x(a.from), x(a.to));
                    let (mut y1, y2) = (y_signed(a.sent), y(a.end));
                    let mut x1c = x1;
                    if y1 < TOP {
                        // Clip the part above the window.
                        let f = (TOP - y1) / (y2 - y1).max(1e-9);
                        x1c = x1 + (x2 - x1) * f;
                        y1 = TOP;
                    }
                    // Delivered arrows reach the receiver's lane; lost ones and those still
                    // flying stop partway, where the message was lost or is now.
                    let frac = if a.arrive > a.sent {
                        ((a.end - a.sent) as f64 / (a.arrive - a.sent) as f64).min(1.0)
                    } else {
                        1.0
                    };
                    let x2e = x1 + (x2 - x1) * frac;
                    let color = kind_color(a.kind.name());
                    html! {
                        <g class={classes!("st-msg", a.dropped.map(|_| "dropped"), a.cause.then_some("cause"))} onclick={seek(a.sent)}>
                            <line x1={format!("{x1c:.1}")} y1={format!("{y1:.1}")} x2={format!("{x2e:.1}")} y2={format!("{y2:.1}")}
                                stroke={color} marker-end={a.dropped.is_none().then_some("url(#st-head)")} />
                            if a.dropped.is_some() {
                                <text class="st-x" x={format!("{x2e:.1}")} y={format!("{:.1}", y2 + 4.0)}>{ "×" }</text>
                            }
                            <title>{ format!("#{} {} · {} → {}", a.id, a.summary, words::time(a.sent), words::time(a.end)) }</title>
                        </g>
                    }
                }) }
                { for d.ticks.iter().map(|t| html! {
                    <g class={classes!("st-tick", t.bad.then_some("bad"))}>
                        <circle cx={x(t.lane).to_string()} cy={format!("{:.1}", y(t.t))} r="4" />
                        <text x={format!("{:.1}", x(t.lane) + 6.0)} y={format!("{:.1}", y(t.t) + 3.0)}>{ t.label.clone() }</text>
                    </g>
                }) }
                <line class="st-now" x1="0" x2={W.to_string()} y1={(H - 8.0).to_string()} y2={(H - 8.0).to_string()} />
            </svg>
            <figcaption>{ format!("{} → {} (now). Arrows are messages; bars on client lanes are operations; × marks a lost message.",
                words::time(d.t0), words::time(d.t1)) }</figcaption>
        </figure>
    }
}
