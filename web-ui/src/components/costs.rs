//! What the IPCs cost: cycles and µs per IPC, address-space switches and TLB
//! misses per switch, on this CPU — and, on request, the same scenario run
//! on both CPUs side by side, next to the paper's figures.

use crate::state::{Action, Comparison};
use wasm_bridge::{CostsView, IpcBreakdownView};
use yew::prelude::*;

#[derive(Properties, PartialEq, Debug)]
pub struct CostsPanelProps {
    pub costs: CostsView,
    pub comparison: Option<Comparison>,
    pub calibrated: bool,
    /// One IPC, part by part: the average over the run so far…
    #[prop_or_default]
    pub average: Option<IpcBreakdownView>,
    /// …and the message selected on the timeline (`Some(None)`: one is
    /// selected, but it has not happened at the moment shown).
    #[prop_or_default]
    pub selected: Option<Option<IpcBreakdownView>>,
    pub on_action: Callback<Action>,
}

/// The breakdown next to the paper's figures (which stay outputs of the
/// paper, never inputs of the model).
fn paper_words(view: &IpcBreakdownView) -> String {
    let part = |name: &str| view.parts.iter().find(|part| part.name == name).map_or(0.0, |part| part.cycles);
    let hardware = part("CPU entry") + part("CPU exit");
    format!(
        "The CPU's own entry and exit take {hardware:.0} cycles here; the paper counts 107 for them on a 486. \
         The rest, {:.0}, is this kernel's path and what it costs the TLB and the caches: the paper's whole \
         one-way IPC took 250 cycles on a 486 at 50 MHz (between large spaces), 121 on a Pentium at 166 MHz \
         (compare it with small spaces on: the Pentium's segment switch).",
        view.total - hardware
    )
}

/// The parts of one IPC: the selected message's and the average's cycles
/// side by side, with a bar for each part's share of the average.
fn breakdown(average: &IpcBreakdownView, selected: Option<&Option<IpcBreakdownView>>) -> Html {
    let chosen = selected.and_then(Option::as_ref);
    // One message's cycles are whole; an average has one decimal in every
    // row, so a column reads alike ("4.0" beside "310.2", never "4" beside it).
    let whole = |value: f64| format!("{value:.0}");
    let average_of = |value: f64| format!("{value:.1}");
    let rows = average.parts.iter().map(|part| {
        let own = chosen.and_then(|view| view.parts.iter().find(|other| other.name == part.name));
        let detail = own.map_or(&part.detail, |own| &own.detail);
        let share = if average.total > 0.0 { 100.0 * part.cycles / average.total } else { 0.0 };
        html! {
            <tr data-test="breakdown-part" data-part={part.name}>
                <th scope="row">{ part.name }</th>
                if chosen.is_some() {
                    <td data-test="selected-cycles">{ own.map_or_else(|| "0".to_string(), |own| whole(own.cycles)) }</td>
                }
                <td data-test="average-cycles">{ average_of(part.cycles) }</td>
                <td class="share" aria-label={format!("{share:.0}% of the average")}>
                    <span class="share-bar" style={format!("width: {share:.1}%")}></span>
                </td>
                <td class="detail">{ detail }</td>
            </tr>
        }
    });
    // Parts only the selected entry has (it idled; the average did not).
    let extra = chosen
        .into_iter()
        .flat_map(|view| view.parts.iter())
        .filter(|part| !average.parts.iter().any(|other| other.name == part.name));
    let extra = extra.map(|part| {
        html! {
            <tr data-test="breakdown-part" data-part={part.name}>
                <th scope="row">{ part.name }</th>
                <td data-test="selected-cycles">{ whole(part.cycles) }</td>
                <td data-test="average-cycles">{ "0.0" }</td>
                <td class="share"></td>
                <td class="detail">{ &part.detail }</td>
            </tr>
        }
    });
    html! {
        <>
            <h3>{ "Where one IPC's cycles go" }</h3>
            <p class="note" data-test="breakdown-which">{
                match selected {
                    Some(Some(view)) => format!("Selected: {}. Next to it, the {}.", view.title, average.title),
                    Some(None) => format!("The selected message has not happened at this moment. Shown: the {}.", average.title),
                    None => format!("Shown: the {}. Choose a message on the timeline (click an arrow, or press m, then ← → Home End) to see its own parts.", average.title),
                }
            }</p>
            <table class="costs-table breakdown" data-test="ipc-breakdown">
                <thead><tr>
                    <th>{ "part" }</th>
                    if chosen.is_some() { <th>{ "selected" }</th> }
                    <th>{ "average" }</th><th>{ "share of the average" }</th>
                    <th>{ if chosen.is_some() { "what it is (for the selected message)" } else { "what it is" } }</th>
                </tr></thead>
                <tbody>
                    { for rows }
                    { for extra }
                    <tr class="total" data-test="breakdown-total">
                        <th scope="row">{ "the whole IPC" }</th>
                        if let Some(view) = chosen { <td data-test="selected-cycles">{ whole(view.total) }</td> }
                        <td data-test="average-cycles">{ average_of(average.total) }</td>
                        <td class="share"></td>
                        <td class="detail">{ "from the CPU's entry into the kernel to its iret back" }</td>
                    </tr>
                </tbody>
            </table>
            <p class="note" data-test="breakdown-paper">{ paper_words(chosen.unwrap_or(average)) }</p>
            <p class="note">{ "TLB refills here are the page walks inside the kernel entry; the receiver's own refills after the iret count in the TLB misses above, not here." }</p>
        </>
    }
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
            if let Some(average) = &props.average {
                { breakdown(average, props.selected.as_ref()) }
            }
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
                    <tr><th scope="row">{ "original L4 one-way IPC, Pentium at 166 MHz (compare with small spaces on)" }</th><td>{ "121 cycles" }</td></tr>
                    <tr><th scope="row">{ "kernel entry + exit lower bound, 486" }</th><td>{ "107 cycles" }</td></tr>
                </tbody>
            </table>
        </section>
    }
}
