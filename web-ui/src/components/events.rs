//! The event log: the kernel's events (and, if asked, the machine's), newest
//! last, filtered by thread, kind and frame. Clicking an event moves the
//! whole machine to that moment.

use super::parse_number;
use crate::state::Action;
use wasm_bridge::{EventQuery, EventView};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// The kinds a user can filter on (kernel, then machine).
pub const KINDS: &[&str] = &[
    "ipc",
    "ipc-wait",
    "ipc-error",
    "pagefault",
    "map",
    "unmap",
    "switch",
    "space",
    "small-space",
    "thread-new",
    "task-new",
    "task-delete",
    "kill",
    "exception",
    "irq",
    "irq-attach",
    "schedule",
    "tlb-flush",
    "kdebug",
    "boot",
    "module",
    "kernel-memory",
    "tlb-fill",
    "tlb-miss",
    "tlb-invalidate",
    "page-walk",
    "page-fault",
    "segment-load",
    "cr3-load",
    "kernel-entry",
    "kernel-exit",
    "port-read",
    "port-write",
];

#[derive(Properties, PartialEq, Debug)]
pub struct EventListProps {
    pub events: Vec<EventView>,
    pub filter: EventQuery,
    /// Events so far (before filtering).
    pub total: u64,
    /// The machine's position (events after it are in the future).
    pub position: u64,
    pub on_action: Callback<Action>,
}

#[component]
pub fn EventList(props: &EventListProps) -> Html {
    let filter = props.filter.clone();
    let update = {
        let on_action = props.on_action.clone();
        move |change: fn(&mut EventQuery, String)| {
            let on_action = on_action.clone();
            let filter = filter.clone();
            Callback::from(move |event: Event| {
                let value = match event.target_dyn_into::<HtmlSelectElement>() {
                    Some(select) => select.value(),
                    None => event.target_unchecked_into::<HtmlInputElement>().value(),
                };
                let mut next = filter.clone();
                change(&mut next, value);
                on_action.emit(Action::SetEventFilter(next));
            })
        }
    };
    let on_thread = update(|filter, value| filter.thread = parse_number(&value));
    let on_kind = update(|filter, value| filter.kind = (!value.is_empty()).then_some(value));
    let on_frame = update(|filter, value| filter.frame = parse_number(&value));
    let on_machine = {
        let on_action = props.on_action.clone();
        let filter = props.filter.clone();
        Callback::from(move |_: Event| {
            on_action.emit(Action::SetEventFilter(EventQuery { machine: !filter.machine, ..filter.clone() }))
        })
    };
    let items = props.events.iter().map(|event| {
        let on_action = props.on_action.clone();
        let (index, instruction) = (event.index, event.instruction);
        let onclick = Callback::from(move |_: MouseEvent| on_action.emit(Action::SeekEvent { index, instruction }));
        let future = event.instruction > props.position;
        html! {
            <li class={classes!("event", format!("source-{}", event.source), future.then_some("future"))} data-test="event" data-kind={event.kind}
                data-source={event.source} data-instruction={event.instruction.to_string()} data-index={event.index.to_string()}>
                <button {onclick} title={format!("Go to instruction {} (cycle {})", event.instruction, event.cycle)}>
                    <span class="cycle">{ event.cycle }</span>
                    <span class="text">{ &event.text }</span>
                </button>
            </li>
        }
    });
    html! {
        <section class="panel events" aria-label="Event log">
            <header class="panel-header">
                <h2>{ format!("Events ({} of {})", props.events.len(), props.total) }</h2>
            </header>
            <div class="filters" role="group" aria-label="Filter the events">
                <label>{ "thread " }<input data-test="filter-thread" size="10" placeholder="0x04040001" onchange={on_thread}
                    value={props.filter.thread.map(|thread| format!("{thread:#010x}")).unwrap_or_default()} /></label>
                <label>{ "kind " }
                    <select data-test="filter-kind" onchange={on_kind}>
                        <option value="" selected={props.filter.kind.is_none()}>{ "any" }</option>
                        { for KINDS.iter().map(|kind| html! { <option value={*kind} selected={props.filter.kind.as_deref() == Some(*kind)}>{ *kind }</option> }) }
                    </select>
                </label>
                <label>{ "frame " }<input data-test="filter-frame" size="10" placeholder="0x1000" onchange={on_frame}
                    value={props.filter.frame.map(|frame| format!("{frame:#x}")).unwrap_or_default()} /></label>
                <label><input type="checkbox" data-test="filter-machine" checked={props.filter.machine} onchange={on_machine} />{ " machine events" }</label>
            </div>
            <ol class="event-list" data-test="event-list">{ for items }</ol>
        </section>
    }
}
