//! The toolbar: title, CPU picker, reset.

use wasm_bridge::CpuChoice;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

#[derive(Properties, PartialEq, Debug)]
pub struct ToolbarProps {
    pub cpu: CpuChoice,
    pub on_select_cpu: Callback<CpuChoice>,
    pub on_reset: Callback<()>,
}

#[component]
pub fn Toolbar(props: &ToolbarProps) -> Html {
    let on_change = {
        let on_select_cpu = props.on_select_cpu.clone();
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            if let Ok(cpu) = CpuChoice::parse(&select.value()) {
                on_select_cpu.emit(cpu);
            }
        })
    };
    let on_reset = {
        let on_reset = props.on_reset.clone();
        Callback::from(move |_: MouseEvent| on_reset.emit(()))
    };
    html! {
        <header class="toolbar" role="toolbar" aria-label="Simulator controls">
            <h1 class="title">{ "L4 Explorer" }</h1>
            <label class="control">
                { "CPU " }
                <select data-test="cpu-select" onchange={on_change}>
                    <option value="486" selected={props.cpu == CpuChoice::I486}>{ "i486 (50 MHz)" }</option>
                    <option value="pentium" selected={props.cpu == CpuChoice::Pentium}>{ "Pentium (166 MHz)" }</option>
                </select>
            </label>
            <button class="control" data-test="reset" onclick={on_reset}>{ "Reset" }</button>
        </header>
    }
}
