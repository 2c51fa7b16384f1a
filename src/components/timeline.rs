//! Time controls: play/pause, step, back, speed (log scale), and a timeline scrubber over
//! everything reached so far, with marks for faults, leader changes and anomalies.

use crate::layout::math;
use crate::state::{on_click, Action, Mark, Model, MAX_SPEED, MIN_SPEED};
use crate::words;
use replica_engine::types::{Time, MS};
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// How far "back" goes, in virtual time.
pub const BACK_STEP: Time = 10 * MS;

/// What the time bar shows.
pub struct TimeBarProps<'a> {
    pub now: Time,
    pub max_time: Time,
    pub playing: bool,
    pub speed: f64,
    pub marks: &'a [Mark],
    pub dispatch: &'a UseReducerDispatcher<Model>,
}

/// The speed for people: "0.06×", "2×".
pub fn speed_text(s: f64) -> String {
    if s < 1.0 {
        format!("{s:.2}×")
    } else if s < 9.95 {
        format!("{s:.1}×")
    } else {
        format!("{s:.0}×")
    }
}

/// The time bar. A plain function: it changes every frame while playing (the clock), so a
/// component's memoisation would buy nothing.
pub fn time_bar(p: TimeBarProps) -> Html {
    let d = p.dispatch;
    let send = |a: Action| on_click(d, a);
    let on_speed = {
        let d = d.clone();
        Callback::from(move |e: InputEvent| {
            let x = e
                .target_unchecked_into::<HtmlInputElement>()
                .value_as_number();
            if x.is_finite() {
                d.dispatch(Action::SetSpeed(math::exp10(x)))
            }
        })
    };
    let speed_hint = format!(
        "One second on screen shows {} of simulated time",
        words::span((p.speed * 1e6) as Time)
    );
    html! {
        <div class="timebar">
            <div class="transport">
                { play_button(p.playing, d) }
                <button aria-label="Back 10 ms" title="Back 10 ms (←)" onclick={send(Action::Back(BACK_STEP))}>
                    <svg viewBox="0 0 16 16" aria-hidden="true"><path d="M13 2 L5 8 L13 14 Z"/><rect x="2" y="2" width="2.5" height="12" rx="1"/></svg>
                </button>
                <button aria-label="Step one event" title="Step: run one event (→)" onclick={send(Action::Step)}>
                    <svg viewBox="0 0 16 16" aria-hidden="true"><path d="M3 2 L11 8 L3 14 Z"/><rect x="11.5" y="2" width="2.5" height="12" rx="1"/></svg>
                </button>
                <span class="clock" title="Virtual time since the start of the run">
                    <span class="t">{ "t = " }</span>{ words::time(p.now) }
                </span>
                <span class="speed" title={speed_hint}>
                    <label for="speed">{ "Speed" }</label>
                    <input type="range" id="speed" min={format!("{:.2}", math::log10(MIN_SPEED))} max={format!("{:.2}", math::log10(MAX_SPEED))}
                        step="0.01" value={format!("{:.2}", math::log10(p.speed))} oninput={on_speed}
                        aria-valuetext={speed_text(p.speed)} />
                    <output for="speed">{ speed_text(p.speed) }</output>
                </span>
            </div>
            { scrubber(p.now, p.max_time, p.marks, d) }
        </div>
    }
}

/// Play or pause.
fn play_button(playing: bool, d: &UseReducerDispatcher<Model>) -> Html {
    let label = if playing { "Pause" } else { "Play" };
    html! {
        <button class={classes!("play", playing.then_some("on"))} aria-label={label}
            title={format!("{label} (space)")} onclick={on_click(d, Action::TogglePlay)}>
            if playing {
                <svg viewBox="0 0 16 16" aria-hidden="true"><rect x="3" y="2" width="3.5" height="12" rx="1"/><rect x="9.5" y="2" width="3.5" height="12" rx="1"/></svg>
            } else {
                <svg viewBox="0 0 16 16" aria-hidden="true"><path d="M4 2 L14 8 L4 14 Z"/></svg>
            }
        </button>
    }
}

/// The scrubber over `0..=max`, with its marks.
fn scrubber(now: Time, max_time: Time, marks: &[Mark], d: &UseReducerDispatcher<Model>) -> Html {
    let on_scrub = {
        let d = d.clone();
        Callback::from(move |e: InputEvent| {
            let ms = e
                .target_unchecked_into::<HtmlInputElement>()
                .value_as_number();
            if ms.is_finite() && ms >= 0.0 {
                d.dispatch(Action::Seek {
                    t: (ms * MS as f64).round() as Time,
                    pause: true,
                })
            }
        })
    };
    let max = max_time.max(1);
    let max_ms = max as f64 / MS as f64;
    let now_ms = now as f64 / MS as f64;
    // Long runs have many marks; the newest few hundred are enough to navigate by.
    let skip = marks.len().saturating_sub(300);
    let marks = marks.iter().skip(skip).filter(|m| m.t <= max).map(|m| {
        let left = (m.t as f64 / max as f64 * 100.0).clamp(0.0, 100.0);
        let label = format!("{} at {}", m.text, words::time(m.t));
        html! {
            <button class={classes!("mark", m.kind.class())} style={format!("left:{left:.2}%")}
                title={label.clone()} aria-label={format!("Jump to: {label}")}
                onclick={on_click(d, Action::Seek { t: m.t, pause: true })}></button>
        }
    });
    html! {
        <div class="scrub">
            <input type="range" class="scrubber" min="0" max={format!("{max_ms:.3}")} step="any"
                value={format!("{now_ms:.3}")} oninput={on_scrub}
                aria-label="Timeline: drag to go back or forward in time"
                aria-valuetext={words::time(now)} />
            <div class="marks">{ for marks }</div>
            <div class="ends" aria-hidden="true"><span>{ "0" }</span><span>{ words::time(max_time) }</span></div>
        </div>
    }
}

/// What an embed's minimal bar shows.
pub struct MiniBarProps<'a> {
    pub now: Time,
    /// The scrubber's right end: the embed's end moment, or the furthest point reached.
    pub end: Time,
    pub playing: bool,
    pub marks: &'a [Mark],
    pub dispatch: &'a UseReducerDispatcher<Model>,
}

/// An embed's controls: play/pause, the clock and the scrubber.
pub fn mini_bar(p: MiniBarProps) -> Html {
    html! {
        <div class="timebar mini">
            <div class="transport">
                { play_button(p.playing, p.dispatch) }
                <span class="clock"><span class="t">{ "t = " }</span>{ words::time(p.now) }</span>
            </div>
            { scrubber(p.now, p.end.max(p.now), p.marks, p.dispatch) }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speeds_read_naturally() {
        assert_eq!(speed_text(0.06), "0.06×");
        assert_eq!(speed_text(0.25), "0.25×");
        assert_eq!(speed_text(2.0), "2.0×");
        assert_eq!(speed_text(10.0), "10×");
    }
}
