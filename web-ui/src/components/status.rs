//! The status bar: the machine, where the run stands, why it stopped, and
//! which build this is.

use crate::build_info;
use wasm_bridge::StatusView;
use yew::prelude::*;

#[derive(Properties, PartialEq, Debug)]
pub struct StatusBarProps {
    pub status: StatusView,
    /// Something the user should know (a bad URL, a file that did not load).
    #[prop_or_default]
    pub notice: String,
    /// The explorer is running the machine (not paused).
    #[prop_or_default]
    pub running: bool,
    /// While running: how fast ("12.3 M instructions/s · 0.41× real time").
    #[prop_or_default]
    pub rate: String,
}

#[component]
pub fn StatusBar(props: &StatusBarProps) -> Html {
    let status = &props.status;
    let calibration = if status.calibrated {
        html! { <span title="Kernel paths are charged from cargo xtask calibrate's table">{ "kernel cycles calibrated" }</span> }
    } else {
        html! { <span class="warning" title="Some kernel paths were never measured on the native image: the model charges nothing for them">{ "kernel cycles partly uncalibrated" }</span> }
    };
    html! {
        <footer class="status-bar" data-test="status-bar" role="status" aria-live="polite">
            <span data-test="scenario-name" class="scenario" title={format!("What was booted after sigma0: {}", status.scenario)}>{ &status.scenario }</span>
            <span>{ format!("{} at {} MHz, {} KB", status.cpu.label(), status.clock_mhz, status.memory_kb) }</span>
            <span>{ if status.small_spaces { "small spaces on" } else { "small spaces off" } }</span>
            // The machine's state says a thread runs; the explorer may have paused it.
            <span data-test="run-state">{ if status.state == "running" && !props.running { "paused" } else { status.state.as_str() } }</span>
            // Shown by the style sheet while a seek replays (the page is not
            // re-rendered until it arrives).
            <span class="seeking" data-test="seeking">{ "replaying to the chosen moment…" }</span>
            if !status.stop.is_empty() {
                <span data-test="stop-reason" class="stop" title={status.stop.clone()}>{ &status.stop }</span>
            }
            <span>{ format!("{} kernel entries · {} events", status.kernel_entries, status.events) }</span>
            if !props.rate.is_empty() {
                <span data-test="run-rate" title="Modelled user instructions per second of wall time, and modelled time against wall time (1× runs as fast as the real CPU), over the last second">{ &props.rate }</span>
            }
            { calibration }
            if !props.notice.is_empty() {
                <span class="notice" data-test="notice" role="alert" title={props.notice.clone()}>{ &props.notice }</span>
            }
            <span class="build">{ format!("l4-explorer {} ({}, {})", build_info::VERSION, build_info::COMMIT, build_info::PROFILE) }</span>
        </footer>
    }
}
