//! The CPU: general registers, EIP, EFLAGS decoded, the control registers,
//! the segment registers with their hidden descriptor caches, the GDT, and
//! the threads. A value that changed in the last step is highlighted — a
//! small-space switch shows as new user segment bases with CR3 unchanged.

use super::hex;
use crate::state::Action;
use wasm_bridge::{CpuView, ThreadView};
use yew::prelude::*;

#[derive(Properties, PartialEq, Debug)]
pub struct CpuPanelProps {
    pub cpu: CpuView,
    /// The CPU before the last step (for change marks).
    pub previous: Option<CpuView>,
    pub threads: Vec<ThreadView>,
    #[prop_or_default]
    pub on_action: Callback<Action>,
}

fn cr0_bits(value: u32) -> String {
    let names = [
        (0, "PE"),
        (1, "MP"),
        (2, "EM"),
        (3, "TS"),
        (4, "ET"),
        (5, "NE"),
        (16, "WP"),
        (18, "AM"),
        (29, "NW"),
        (30, "CD"),
        (31, "PG"),
    ];
    names.iter().filter(|(bit, _)| value & (1 << bit) != 0).map(|(_, name)| *name).collect::<Vec<_>>().join(" ")
}

fn cr4_bits(value: u32) -> String {
    let names = [(0, "VME"), (1, "PVI"), (2, "TSD"), (3, "DE"), (4, "PSE"), (6, "MCE")];
    names.iter().filter(|(bit, _)| value & (1 << bit) != 0).map(|(_, name)| *name).collect::<Vec<_>>().join(" ")
}

#[component]
pub fn CpuPanel(props: &CpuPanelProps) -> Html {
    let cpu = &props.cpu;
    let previous = props.previous.as_ref();
    let changed =
        |now: u32, before: Option<u32>| classes!(before.is_some_and(|before| before != now).then_some("changed"));
    let registers = cpu.registers.iter().enumerate().map(|(index, (name, value))| {
        let before = previous.and_then(|previous| previous.registers.get(index)).map(|(_, value)| *value);
        // A register that may point at memory (a stack, a message buffer) opens the memory view there.
        let on_action = props.on_action.clone();
        let address = *value;
        let show = Callback::from(move |_: MouseEvent| {
            on_action.emit(Action::ShowMemory { space: wasm_bridge::MemorySpace::Current, address })
        });
        html! {
            <tr class={changed(*value, before)}>
                <th scope="row">{ *name }</th><td>{ hex(*value) }</td><td>{ *value as i32 }</td>
                <td><button class="small" data-test={format!("memory-at-{}", name.to_lowercase())} onclick={show}
                    title={format!("Show the memory {name} points at (5)")} aria-label={format!("Memory at {name}")}>{ "↗" }</button></td>
            </tr>
        }
    });
    let control_row = |name: &'static str, value: u32, before: Option<u32>, meaning: String| {
        html! {
            <tr class={changed(value, before)} data-test={format!("control-{}", name.to_lowercase())}>
                <th scope="row">{ name }</th><td>{ hex(value) }</td><td>{ meaning }</td>
            </tr>
        }
    };
    let control = [
        control_row("CR0", cpu.cr0, previous.map(|previous| previous.cr0), cr0_bits(cpu.cr0)),
        control_row("CR2", cpu.cr2, previous.map(|previous| previous.cr2), "last page-fault address".to_string()),
        control_row("CR3", cpu.cr3, previous.map(|previous| previous.cr3), "page directory".to_string()),
        // The i486 has no CR4: say so rather than show a register of zeros.
        match cpu.cr4 {
            Some(value) => control_row("CR4", value, previous.and_then(|previous| previous.cr4), cr4_bits(value)),
            None => html! {
                <tr data-test="control-cr4" data-absent="true">
                    <th scope="row">{ "CR4" }</th><td>{ "—" }</td><td>{ "none on the i486 (it came with the Pentium)" }</td>
                </tr>
            },
        },
    ];
    let segments = cpu.segments.iter().enumerate().map(|(index, segment)| {
        let before = previous.and_then(|previous| previous.segments.get(index));
        let class = classes!(
            before
                .is_some_and(|before| before.base != segment.base
                    || before.limit != segment.limit
                    || before.selector != segment.selector)
                .then_some("changed")
        );
        html! {
            <tr {class} data-test="segment" data-name={segment.name} data-base={hex(segment.base)}>
                <th scope="row">{ segment.name }</th>
                <td>{ format!("{:#06x}", segment.selector) }</td>
                <td>{ hex(segment.base) }</td>
                <td>{ hex(segment.limit) }</td>
                <td>{ segment.dpl }</td>
                <td>{ if segment.usable { segment.kind.clone() } else { "unusable".into() } }</td>
            </tr>
        }
    });
    html! {
        <section class="panel cpu" data-test="cpu" aria-label="CPU state">
            <div class="cpu-columns">
                <div>
                    <h2>{ "Registers" }</h2>
                    <table class="registers">
                        <tbody>
                            { for registers }
                            <tr class={changed(cpu.eip, previous.map(|previous| previous.eip))}><th scope="row">{ "EIP" }</th><td data-test="eip">{ hex(cpu.eip) }</td><td /></tr>
                            <tr class={changed(cpu.eflags, previous.map(|previous| previous.eflags))}><th scope="row">{ "EFLAGS" }</th><td>{ hex(cpu.eflags) }</td>
                                <td data-test="flags">{ format!("{} IOPL={} CPL={}", cpu.flags.join(" "), cpu.iopl, cpu.cpl) }</td></tr>
                        </tbody>
                    </table>
                    <h2>{ "Control registers" }</h2>
                    <table class="registers">
                        <tbody>
                            { for control }
                        </tbody>
                    </table>
                </div>
                <div>
                    <h2>{ "Segment registers (hidden descriptor caches)" }</h2>
                    <table class="segments">
                        <thead><tr><th>{ "reg" }</th><th>{ "selector" }</th><th>{ "base" }</th><th>{ "limit" }</th><th>{ "DPL" }</th><th>{ "type" }</th></tr></thead>
                        <tbody>{ for segments }</tbody>
                    </table>
                    <h2>{ "GDT" }</h2>
                    <table class="segments" data-test="gdt">
                        <thead><tr><th>{ "selector" }</th><th>{ "base" }</th><th>{ "limit" }</th><th>{ "DPL" }</th><th>{ "type" }</th></tr></thead>
                        <tbody>
                            { for cpu.gdt.iter().map(|descriptor| html! {
                                <tr title={format!("raw {}", descriptor.raw)}>
                                    <td>{ format!("{:#06x}", descriptor.selector) }</td>
                                    <td>{ hex(descriptor.base) }</td>
                                    <td>{ hex(descriptor.limit) }</td>
                                    <td>{ descriptor.dpl }</td>
                                    <td>{ &descriptor.kind }</td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                </div>
            </div>
            <h2>{ format!("Threads ({})", props.threads.len()) }</h2>
            <table class="threads" data-test="threads">
                <thead><tr><th>{ "thread" }</th><th>{ "state" }</th><th>{ "prio" }</th><th>{ "partner" }</th><th>{ "pager" }</th><th>{ "EIP" }</th><th>{ "ESP" }</th></tr></thead>
                <tbody>
                    { for props.threads.iter().map(|thread| html! {
                        <tr class={classes!(thread.running.then_some("current"))} data-test="thread" data-id={hex(thread.id)} data-state={thread.state}>
                            <td title={hex(thread.id)}>{ &thread.name }</td>
                            <td>{ thread.state }</td>
                            <td>{ thread.priority }</td>
                            <td>{ if thread.partner == 0 { "—".into() } else { thread.partner_name.clone() } }</td>
                            <td title={hex(thread.pager)}>{ &thread.pager_name }</td>
                            <td>{ hex(thread.eip) }</td>
                            <td>{ hex(thread.esp) }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
        </section>
    }
}
