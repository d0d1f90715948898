//! The event log: the kernel's events (and, if asked, the machine's), newest
//! last, filtered by thread, kind and frame. Clicking an event moves the
//! whole machine to that moment.
//!
//! The rows are put into the page a few pieces per frame: after a jump (or
//! a new filter) all 200 rows are new, and parsing, laying out and painting
//! them at once made that frame late. Pieces not yet in the page are empty
//! placeholders of about their height (never the rows they had before, which
//! belong to another moment); the list says `aria-busy` until it is whole.
//! Those near where the list is scrolled come first.

use super::{clicked_event, escape, parse_number, parse_thread};
use crate::state::Action;
use gloo::render::{AnimationFrame, request_animation_frame};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bridge::{EventQuery, EventView, NamesView};
use web_sys::{Element, HtmlInputElement, HtmlSelectElement};
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

/// Event indices per piece of markup: at most sixteen rows, fewer where
/// machine events took indices (a step re-parses one small piece).
const EVENTS_PER_PIECE: u64 = 16;

/// Rows of new markup put into the page per frame (a few milliseconds of
/// parsing, layout and paint).
const ROWS_PER_FRAME: usize = 64;

/// Which pieces to put into the page now: those whose markup is already
/// there (`changed` false) always; of the changed ones, all if they hold at
/// most `budget` rows, or else the nearest to piece `focus` first, as many
/// as the budget allows (at least one, so that the list always fills).
pub fn pieces_to_show(changed: &[bool], rows: &[usize], focus: usize, budget: usize) -> Vec<bool> {
    let changed_rows: usize = changed.iter().zip(rows).filter(|(changed, _)| **changed).map(|(_, rows)| rows).sum();
    if changed_rows <= budget {
        return vec![true; changed.len()];
    }
    let mut show: Vec<bool> = changed.iter().map(|changed| !changed).collect();
    let mut nearest: Vec<usize> = (0..changed.len()).filter(|&index| changed[index]).collect();
    nearest.sort_by_key(|&index| index.abs_diff(focus));
    let mut spent = 0;
    for index in nearest {
        if spent > 0 && spent + rows[index] > budget {
            break;
        }
        spent += rows[index];
        show[index] = true;
    }
    show
}

/// What the list keeps between renders to fill itself across frames.
#[derive(Default)]
struct Filling {
    /// The markup of each piece in the page, by key.
    shown: RefCell<HashMap<u64, AttrValue>>,
    /// How far down the list was scrolled (0 top, 1 bottom), at the last scroll.
    scrolled: Cell<f64>,
    /// The list was scrolled to its end: it follows the newest event (as a
    /// terminal does) until the user scrolls up.
    following: Cell<bool>,
    /// The user has scrolled the list (wheel, keys, pointer): only then do
    /// scroll events say whether to follow (the list's own growth does not).
    touched: Cell<bool>,
    /// Whether a frame is asked for to go on filling.
    waiting: Cell<bool>,
    frame: RefCell<Option<AnimationFrame>>,
}

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
    /// What threads are called (for the thread filter).
    pub names: NamesView,
    /// The event the last stop was for: marked in the list.
    #[prop_or_default]
    pub highlight: Option<u64>,
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
    let thread_problem = use_state(String::new);
    let on_thread = {
        let on_action = props.on_action.clone();
        let filter = props.filter.clone();
        let names = props.names.clone();
        let thread_problem = thread_problem.clone();
        Callback::from(move |event: Event| {
            let value = event.target_unchecked_into::<HtmlInputElement>().value();
            match parse_thread(&value, &names) {
                Ok(thread) => {
                    thread_problem.set(String::new());
                    on_action.emit(Action::SetEventFilter(EventQuery { thread, ..filter.clone() }));
                }
                Err(message) => thread_problem.set(message),
            }
        })
    };
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
    // piece per 16 event indices so that a new event re-parses only the last
    // piece, with one click listener for the whole list.
    let mut pieces: Vec<(u64, String, usize)> = Vec::new();
    for (number, event) in props.events.iter().enumerate() {
        use std::fmt::Write;
        let piece = event.index / EVENTS_PER_PIECE;
        if pieces.last().is_none_or(|(last, _, _)| *last != piece) {
            pieces.push((piece, String::with_capacity(220 * EVENTS_PER_PIECE as usize), 0));
        }
        let Some((_, markup, rows)) = pieces.last_mut() else { continue };
        *rows += 1;
        let future = if number >= props.present { " future" } else { "" };
        let stop = if props.highlight == Some(event.index) { r#" stop" aria-current="true""# } else { "\"" };
        let _ = write!(
            markup,
            r#"<li class="event source-{source}{future}{stop} data-test="event" data-kind="{kind}" data-source="{source}" data-instruction="{instruction}" data-index="{index}"><button type="button" title="{detail}Go to instruction {instruction} (cycle {cycle})"><span class="cycle">{cycle}</span> <span class="text">{text}</span></button></li>"#,
            source = event.source,
            kind = event.kind,
            instruction = event.instruction,
            index = event.index,
            cycle = event.cycle,
            text = escape(&event.text),
            detail = if event.detail.is_empty() { String::new() } else { format!("{}&#10;", escape(&event.detail)) },
        );
    }
    let filling = use_memo((), |_| {
        let filling = Filling::default();
        filling.following.set(true);
        filling
    });
    let redraw = use_force_update();
    let list = use_node_ref();
    let pieces: Vec<(u64, AttrValue, usize)> =
        pieces.into_iter().map(|(key, markup, rows)| (key, AttrValue::from(markup), rows)).collect();
    let changed: Vec<bool> = {
        let shown = filling.shown.borrow();
        pieces.iter().map(|(key, markup, _)| shown.get(key) != Some(markup)).collect()
    };
    let counts: Vec<usize> = pieces.iter().map(|(_, _, rows)| *rows).collect();
    let focus = (filling.scrolled.get() * pieces.len().saturating_sub(1) as f64).round() as usize;
    let show = pieces_to_show(&changed, &counts, focus, ROWS_PER_FRAME);
    let busy = show.contains(&false);
    let mut shown = HashMap::new();
    let rows: Vec<Html> = pieces
        .into_iter()
        .zip(show)
        .map(|((key, markup, rows), show)| {
            if show {
                shown.insert(key, markup.clone());
                html! { <ol key={key} class="event-piece">{ Html::from_html_unchecked(markup) }</ol> }
            } else {
                let style = format!("--rows: {rows}");
                html! { <ol key={key} class="event-piece pending" {style}></ol> }
            }
        })
        .collect();
    *filling.shown.borrow_mut() = shown;
    if busy && !filling.waiting.get() {
        filling.waiting.set(true);
        // Weak: the frame is kept in what it refers to.
        let waiting = Rc::downgrade(&filling);
        let redraw = redraw.clone();
        *filling.frame.borrow_mut() = Some(request_animation_frame(move |_| {
            if let Some(filling) = waiting.upgrade() {
                filling.waiting.set(false);
                redraw.force_update();
            }
        }));
    }
    let on_scroll = {
        let filling = filling.clone();
        let list = list.clone();
        Callback::from(move |_: Event| {
            if let Some(list) = list.cast::<Element>() {
                let range = (list.scroll_height() - list.client_height()).max(1);
                filling.scrolled.set((f64::from(list.scroll_top()) / f64::from(range)).clamp(0.0, 1.0));
                // At the end (within a row): follow the newest event.
                if filling.touched.get() {
                    filling.following.set(list.scroll_height() - list.client_height() - list.scroll_top() < 24);
                }
            }
        })
    };
    // Follow the newest event while the list is scrolled to its end.
    {
        let filling = filling.clone();
        let list = list.clone();
        use_effect(move || {
            if filling.following.get()
                && let Some(list) = list.cast::<Element>()
            {
                list.set_scroll_top(list.scroll_height());
            }
        });
    }
    let on_touch = {
        let filling = filling.clone();
        Callback::from(move |_: Event| filling.touched.set(true))
    };
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
                <label>{ "thread " }<input data-test="filter-thread" size="10" placeholder="pong or 6.0" onchange={on_thread}
                    title="A thread's name, task.thread or id"
                    value={props.filter.thread.map(|thread| props.names.thread(thread)).unwrap_or_default()} /></label>
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
            if !thread_problem.is_empty() {
                <p class="inline-error" role="alert" data-test="filter-problem">{ (*thread_problem).clone() }</p>
            }
            <div class="event-list" data-test="event-list" role="group" aria-label="Events, oldest first" aria-busy={busy.then_some("true")}
                ref={list} onclick={on_row} onscroll={on_scroll} onwheel={on_touch.reform(|event: WheelEvent| event.into())}
                onpointerdown={on_touch.reform(|event: PointerEvent| event.into())} onkeydown={on_touch.reform(|event: KeyboardEvent| event.into())}>{ for rows }</div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::pieces_to_show;

    #[test]
    fn a_few_changed_rows_are_all_shown_at_once() {
        let show = pieces_to_show(&[false, false, true], &[32, 32, 5], 0, 64);
        assert_eq!(show, [true, true, true]);
    }

    #[test]
    fn many_changed_rows_are_shown_nearest_the_focus_first() {
        let changed = [true; 7];
        let rows = [32, 32, 32, 32, 32, 32, 8];
        assert_eq!(pieces_to_show(&changed, &rows, 6, 64), [false, false, false, false, false, true, true]);
        assert_eq!(pieces_to_show(&changed, &rows, 0, 64), [true, true, false, false, false, false, false]);
        assert_eq!(pieces_to_show(&changed, &rows, 3, 64), [false, false, true, true, false, false, false]);
    }

    #[test]
    fn unchanged_pieces_stay_and_one_piece_always_fits() {
        let show = pieces_to_show(&[false, true, true], &[32, 100, 100], 2, 64);
        assert_eq!(show, [true, false, true], "a piece larger than the budget is still shown");
    }
}
