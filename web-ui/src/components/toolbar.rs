//! The toolbar: scenario, CPU, small spaces, stepping, running, time travel,
//! loading a program, exporting, theme and help.

use crate::state::{Action, SPEEDS};
use wasm_bridge::{CpuChoice, StatusView};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[derive(Properties, PartialEq, Debug)]
pub struct ToolbarProps {
    pub status: StatusView,
    /// (name, title) of each scenario.
    pub scenarios: Vec<(String, String)>,
    pub running: bool,
    pub speed: usize,
    pub booted: bool,
    /// What is booted when it is not a scenario as it ships: a lesson, an
    /// edited scenario, a loaded ELF file.
    pub programs_label: Option<String>,
    /// Why the last file loaded was refused (empty: nothing to say).
    #[prop_or_default]
    pub load_problem: String,
    pub on_action: Callback<Action>,
    /// A file the user picked to boot (an ELF32 program).
    pub on_file: Callback<web_sys::File>,
    pub on_export_trace: Callback<()>,
}

#[component]
pub fn Toolbar(props: &ToolbarProps) -> Html {
    let action = |action: Action| {
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(action.clone()))
    };
    let on_scenario = {
        let on_action = props.on_action.clone();
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            on_action.emit(Action::SelectScenario(select.value()));
        })
    };
    let on_cpu = {
        let on_action = props.on_action.clone();
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            if let Ok(cpu) = CpuChoice::parse(&select.value()) {
                on_action.emit(Action::SelectCpu(cpu));
            }
        })
    };
    let on_speed = {
        let on_action = props.on_action.clone();
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            if let Ok(speed) = select.value().parse() {
                on_action.emit(Action::SetSpeed(speed));
            }
        })
    };
    let on_file = {
        let on_file = props.on_file.clone();
        Callback::from(move |event: Event| {
            let input: HtmlInputElement = event.target_unchecked_into();
            if let Some(file) = input.files().and_then(|files| files.get(0)) {
                on_file.emit(file);
            }
            input.set_value("");
        })
    };
    let on_export = {
        let on_export_trace = props.on_export_trace.clone();
        Callback::from(move |_: MouseEvent| on_export_trace.emit(()))
    };
    let status = &props.status;
    html! {
        <header class="toolbar" role="toolbar" aria-label="Simulator controls">
            <h1 class="title">{ "L4 Explorer" }</h1>
            <label class="control">
                { "Scenario " }
                <select data-test="scenario-select" onchange={on_scenario} title="The programs to boot after sigma0">
                    if let Some(label) = &props.programs_label {
                        <option value="" selected=true disabled=true data-test="programs-label">{ label.clone() }</option>
                    }
                    { for props.scenarios.iter().map(|(name, title)| html! {
                        <option value={name.clone()} selected={props.programs_label.is_none() && *name == status.scenario}>{ title }</option>
                    }) }
                </select>
            </label>
            <label class="control">
                { "CPU " }
                <select data-test="cpu-select" onchange={on_cpu}>
                    <option value="486" selected={status.cpu == CpuChoice::I486}>{ "i486 (50 MHz)" }</option>
                    <option value="pentium" selected={status.cpu == CpuChoice::Pentium}>{ "Pentium (166 MHz)" }</option>
                </select>
            </label>
            <label class="control" title="Segment-based address spaces (thread_schedule's small-space id)">
                <input type="checkbox" data-test="small-spaces" checked={status.small_spaces}
                    onchange={ let on_action = props.on_action.clone(); Callback::from(move |_: Event| on_action.emit(Action::ToggleSmallSpaces)) } />
                { " small spaces" }
            </label>
            <span class="group" role="group" aria-label="Step">
                <button data-test="reverse-event" title="Back to the previous kernel event (B)" onclick={action(Action::ReverseEvent)} disabled={!props.booted}>{ "◀◀ event" }</button>
                <button data-test="reverse-step" title="Back one instruction (b)" onclick={action(Action::ReverseStep)} disabled={!props.booted}>{ "◀ step" }</button>
                <button data-test="step" title="One instruction (s)" onclick={action(Action::StepInstruction)} disabled={!props.booted}>{ "step ▶" }</button>
                <button data-test="step-event" title="To the next kernel event (e)" onclick={action(Action::StepEvent)} disabled={!props.booted}>{ "event ▶▶" }</button>
                <button data-test="step-ipc" title="To the next delivered message (i)" onclick={action(Action::StepIpc)} disabled={!props.booted}>{ "IPC ▶▶" }</button>
                <button data-test="run" class={classes!(props.running.then_some("active"))} title="Run or pause (r, space)"
                    onclick={action(Action::ToggleRun)} disabled={!props.booted}>{ if props.running { "❚❚ pause" } else { "▶ run" } }</button>
            </span>
            <label class="control">
                { "Speed " }
                <select data-test="speed" onchange={on_speed}>
                    { for SPEEDS.iter().enumerate().map(|(index, (_, label))| html! {
                        <option value={index.to_string()} selected={index == props.speed}>{ *label }</option>
                    }) }
                </select>
            </label>
            <button data-test="reset" title="Boot again (0)" onclick={action(Action::Reset)}>{ "Reset" }</button>
            <label class="control file" title="Boot an ELF32 L4/x86 X.0 program from your disk as the root task">
                { "Load ELF… " }
                <input type="file" data-test="load-elf" accept=".elf,application/octet-stream" onchange={on_file} />
            </label>
            if !props.load_problem.is_empty() {
                <span class="load-problem" role="alert" data-test="load-problem" title={props.load_problem.clone()}>{ &props.load_problem }</span>
            }
            <button data-test="export-trace" title="The trace in the Chrome/Perfetto format" onclick={on_export}>{ "Export trace" }</button>
            <button data-test="theme" title="Light or dark (t)" onclick={action(Action::ToggleTheme)}>{ "◐" }</button>
            <button data-test="help-button" title="Keyboard shortcuts (?)" onclick={action(Action::ToggleHelp)}>{ "?" }</button>
        </header>
    }
}
