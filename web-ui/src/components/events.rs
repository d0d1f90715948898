//! The event log: the kernel's events (and, if asked, the machine's), newest
//! last, filtered by thread, kind and frame. Clicking an event moves the
//! whole machine to that moment.

use super::{clicked_event, escape, parse_number};
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

/// Event indices per piece of markup.
const EVENTS_PER_PIECE: u64 = 32;

#[derive(Properties, PartialEq, Debug)]
pub struct EventListProps {
    pub events: Vec<EventView>,
    pub filter: EventQuery,
    /// Events so far (before filtering).
    pub total: u64,
    /// How many of `events` are at or before the machine's position (the
    /// rest are in its future, after a step back). A count, not the
    /// position, so that a step that adds no event does not re-render the list.
    pub present: usize,
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
    // The rows as pieces of markup (see the timeline's drawing for why), one
    // piece per 32 event indices so that a new event re-parses only the last
    // piece, with one click listener for the whole list.
    let mut pieces: Vec<(u64, String)> = Vec::new();
    for (number, event) in props.events.iter().enumerate() {
        use std::fmt::Write;
        let piece = event.index / EVENTS_PER_PIECE;
        if pieces.last().is_none_or(|(last, _)| *last != piece) {
            pieces.push((piece, String::with_capacity(220 * EVENTS_PER_PIECE as usize)));
        }
        let Some((_, markup)) = pieces.last_mut() else { continue };
        let future = if number >= props.present { " future" } else { "" };
        let _ = write!(
            markup,
            r#"<li class="event source-{source}{future}" data-test="event" data-kind="{kind}" data-source="{source}" data-instruction="{instruction}" data-index="{index}"><button type="button" title="Go to instruction {instruction} (cycle {cycle})"><span class="cycle">{cycle}</span> <span class="text">{text}</span></button></li>"#,
            source = event.source,
            kind = event.kind,
            instruction = event.instruction,
            index = event.index,
            cycle = event.cycle,
            text = escape(&event.text),
        );
    }
    let rows = pieces.into_iter().map(|(piece, markup)| {
        html! { <ol key={piece} class="event-piece">{ Html::from_html_unchecked(AttrValue::from(markup)) }</ol> }
    });
    let on_row = {
        let on_action = props.on_action.clone();
        Callback::from(move |event: MouseEvent| {
            if let Some((index, instruction)) = clicked_event(event.target(), "[data-test=event]") {
                on_action.emit(Action::SeekEvent { index, instruction });
            }
        })
    };
    html! {
        <section class="panel events" aria-label="Event log">
            <header class="panel-header">
                <h2>{ format!("Events ({} of {})", props.events.len(), props.total) }</h2>
            </header>
            if (props.events.len() as u64) < props.total {
                <p class="note" data-test="events-latest">{ "The latest matching events; filter by thread, kind or frame to find older ones." }</p>
            }
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
            <div class="event-list" data-test="event-list" role="group" aria-label="Events, oldest first" onclick={on_row}>{ for rows }</div>
        </section>
    }
}
