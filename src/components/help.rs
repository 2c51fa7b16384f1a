//! The help overlay: keyboard shortcuts and how to read the picture.

use crate::state::{on_click, Action, Model};
use yew::prelude::*;

/// The overlay (a plain function, not a component: it has no state of its own). Esc closes it
/// through the page's keyboard handler.
pub fn help(d: &UseReducerDispatcher<Model>) -> Html {
    let close = on_click(d, Action::Help(false));
    let keep = Callback::from(|e: MouseEvent| e.stop_propagation());
    html! {
        <div class="overlay" onclick={close.clone()}>
            <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="help-title" onclick={keep}>
                <div class="dialog-head">
                    <h2 id="help-title">{ "Shortcuts and how to read the picture" }</h2>
                    <button class="ghost" aria-label="Close help" onclick={close} autofocus=true>{ "×" }</button>
                </div>
                <table class="keys">
                    <tbody>
                        <tr><th scope="row"><kbd>{ "Space" }</kbd></th><td>{ "play / pause" }</td></tr>
                        <tr><th scope="row"><kbd>{ "→" }</kbd></th><td>{ "step: run exactly one event" }</td></tr>
                        <tr><th scope="row"><kbd>{ "←" }</kbd></th><td>{ "back 10 ms (with Shift: 100 ms)" }</td></tr>
                        <tr><th scope="row"><kbd>{ "1" }</kbd>{ " " }<kbd>{ "2" }</kbd>{ " " }<kbd>{ "3" }</kbd></th><td>{ "single-leader / multi-leader / leaderless (starts over)" }</td></tr>
                        <tr><th scope="row"><kbd>{ "D" }</kbd></th><td>{ "space-time diagram / cluster picture" }</td></tr>
                        <tr><th scope="row"><kbd>{ "C" }</kbd></th><td>{ "compare this run with the same run under another setting, side by side" }</td></tr>
                        <tr><th scope="row"><kbd>{ "?" }</kbd></th><td>{ "this help" }</td></tr>
                        <tr><th scope="row"><kbd>{ "Esc" }</kbd></th><td>{ "close, or clear the selection" }</td></tr>
                    </tbody>
                </table>
                <ul class="read">
                    <li>{ "Circles are database nodes. The filled one with a crown is the leader: clients send it their writes and it copies them to the followers." }</li>
                    <li>{ "Next to each follower: how many log entries it is behind the leader, and for how long. “sync” marks a follower the leader waits for before it confirms a write." }</li>
                    <li>{ "Multi-leader: each faint circle is a region with its own leader; bold lines (arrows when circular) show how leaders pass writes on. Concurrent writes to one key conflict, and last-write-wins silently discards one of them." }</li>
                    <li>{ "Leaderless: all nodes are equal replicas; each key lives on N of them (ringed when you write, read or pick a key). A pink badge counts hinted writes a node holds for an unreachable one." }</li>
                    <li>{ "Dots are messages on their way; hover or tap one to read it. A red × is a message that was lost." }</li>
                    <li>{ "A red dashed line is a cut link. Click a line to cut or heal it; click a node to crash or restart it." }</li>
                    <li>{ "Everything is a deterministic replay: drag the timeline back to look again. Acting in the past starts a new branch from there." }</li>
                </ul>
            </div>
        </div>
    }
}
