//! The status bar: what machine this is and which build.

use crate::build_info;
use wasm_bridge::CpuChoice;
use yew::prelude::*;

#[derive(Properties, PartialEq, Debug)]
pub struct StatusBarProps {
    pub cpu: CpuChoice,
    pub clock_mhz: u32,
    pub memory_kb: u32,
}

#[component]
pub fn StatusBar(props: &StatusBarProps) -> Html {
    html! {
        <footer class="status-bar" data-test="status-bar">
            <span>{ format!("{} at {} MHz, {} KB", props.cpu.label(), props.clock_mhz, props.memory_kb) }</span>
            <span data-test="build-info">
                { format!("l4-explorer {} · {} · {}", build_info::VERSION, build_info::COMMIT, build_info::PROFILE) }
            </span>
        </footer>
    }
}
