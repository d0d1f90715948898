//! What the IPCs cost: cycles and µs per IPC, address-space switches and TLB
//! misses per switch, on this CPU — and, on request, the same scenario run
//! on both CPUs side by side, next to the paper's figures.

use crate::state::{Action, Comparison};
use wasm_bridge::CostsView;
use yew::prelude::*;

#[derive(Properties, PartialEq, Debug)]
pub struct CostsPanelProps {
    pub costs: CostsView,
    pub comparison: Option<Comparison>,
    pub calibrated: bool,
    pub on_action: Callback<Action>,
}

fn row(costs: &CostsView) -> Html {
    html! {
        <tr data-test="costs-row" data-cpu={costs.cpu.key()}>
            <th scope="row">{ format!("{} ({} MHz)", costs.cpu.label(), costs.clock_mhz) }</th>
            <td data-test="cycles-per-ipc">{ format!("{:.0}", costs.cycles_per_ipc) }</td>
            <td>{ format!("{:.2}", costs.microseconds_per_ipc) }</td>
            <td>{ costs.ipcs }</td>
            <td>{ format!("{} + {} small", costs.space_switches, costs.small_space_switches) }</td>
            <td>{ format!("{:.1}", costs.tlb_misses_per_switch) }</td>
            <td>{ costs.cycles }</td>
        </tr>
    }
}

#[component]
pub fn CostsPanel(props: &CostsPanelProps) -> Html {
    let compare = {
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(Action::CompareCpus))
    };
    html! {
        <section class="panel costs" data-test="costs" aria-label="Costs">
            <header class="panel-header">
                <h2>{ "Costs" }</h2>
                <button data-test="compare" title="Run this scenario to its end on the 486 and on the Pentium" onclick={compare}>{ "Run on both CPUs" }</button>
            </header>
            <table class="costs-table">
                <thead><tr><th>{ "CPU" }</th><th>{ "cycles / IPC" }</th><th>{ "µs / IPC" }</th><th>{ "IPCs" }</th><th>{ "space switches" }</th><th>{ "TLB misses / switch" }</th><th>{ "cycles" }</th></tr></thead>
                <tbody>
                    { row(&props.costs) }
                </tbody>
            </table>
            <p class="note">{ "Cycles per IPC: from the sender's int 0x30 to the iret into the receiver, averaged over delivered messages, including the TLB refills the switch causes." }</p>
            if !props.calibrated {
                <p class="warning">{ "Some kernel paths have no calibration (cargo xtask calibrate): the model charges nothing for their instructions, so these figures are too low." }</p>
            }
            if let Some(comparison) = &props.comparison {
                <h3>{ "This scenario to its end, side by side" }</h3>
                <table class="costs-table" data-test="comparison">
                    <thead><tr><th>{ "CPU" }</th><th>{ "cycles / IPC" }</th><th>{ "µs / IPC" }</th><th>{ "IPCs" }</th><th>{ "space switches" }</th><th>{ "TLB misses / switch" }</th><th>{ "cycles" }</th></tr></thead>
                    <tbody>{ for comparison.rows.iter().map(row) }</tbody>
                </table>
            }
            <h3>{ "The paper's figures (for comparison, never fed into the model)" }</h3>
            <table class="costs-table">
                <tbody>
                    <tr><th scope="row">{ "L4 one-way 8-byte IPC, 486 at 50 MHz" }</th><td>{ "250 cycles = 5 µs" }</td></tr>
                    <tr><th scope="row">{ "original L4 one-way IPC, Pentium at 166 MHz" }</th><td>{ "121 cycles" }</td></tr>
                    <tr><th scope="row">{ "kernel entry + exit lower bound, 486" }</th><td>{ "107 cycles" }</td></tr>
                </tbody>
            </table>
        </section>
    }
}
