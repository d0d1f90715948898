//! Threads and IPC over time: a lane per thread whose state is drawn by
//! pattern and labelled (not colour alone), an arrow per message. Page-fault
//! IPCs, interrupts and mapping messages have their own line styles. Zoom
//! and pan change the window of cycles shown; clicking an arrow moves the
//! machine to that moment.
//!
//! The wheel zooms around the pointer (following the present, it changes
//! how much of the past is shown and goes on following); dragging pans.
//!
//! The lanes' names are markup; the drawing is a canvas (see
//! [`timeline_drawing`](super::timeline_drawing) for why). Pointing at the
//! canvas reads out what is there; with the keyboard, ← and → choose a
//! message and Enter goes there. The messages in the window are also in
//! the page as a list of buttons, out of sight, for screen readers (and the
//! tests).

use super::timeline_canvas::paint;
use super::timeline_drawing::{ARROW_SPACING, Hit, LABEL_WIDTH, MOST_ARROWS, PLOT_WIDTH, Plot, WIDTH};
use super::{clicked_event, escape};
use crate::state::Action;
use wasm_bridge::TimelineView;
use yew::prelude::*;

#[derive(Properties, PartialEq, Debug)]
pub struct TimelinePanelProps {
    pub view: TimelineView,
    /// The window shown, in cycles.
    pub from: u64,
    pub to: u64,
    /// The machine's present (a vertical line).
    pub now: u64,
    /// Whether the window follows the present.
    pub following: bool,
    /// The theme (the canvas is repainted in its colours when it changes).
    #[prop_or_default]
    pub dark: bool,
    /// Whether the machine is running (the message list then stays as it
    /// was when the run started, and is brought up to date on pause).
    #[prop_or_default]
    pub running: bool,
    pub on_action: Callback<Action>,
    /// Save a drawing: (file name, SVG text).
    pub on_save_svg: Callback<(String, String)>,
}

/// The drawing styles an exported timeline needs (light theme).
const SVG_STYLE: &str = "text{font:10px monospace;fill:#1a1a1a}.lane-rule{stroke:#ddd}\
.segment-label{fill:#1a1a1a;font-size:9px}\
.state-running rect{fill:#0072B2;opacity:.55}.state-ready path{stroke:#009E73;stroke-width:1.5}\
.state-sending path{stroke:#D55E00;stroke-width:1.2}.state-receiving circle{fill:#56B4E9}\
.state-waiting path{stroke:#CC79A7;stroke-width:1.2}.state-inactive path,.state-dead path{stroke:#999}\
.arrow line{stroke:#1a1a1a;stroke-width:1.5}.arrow circle{fill:#1a1a1a}\
.kind-pagefault line{stroke:#D55E00;stroke-dasharray:4 2}.kind-pagefault circle{fill:#D55E00}\
.kind-interrupt line{stroke:#CC79A7;stroke-dasharray:1 2}.kind-interrupt circle{fill:#CC79A7}\
.kind-map line{stroke:#009E73;stroke-width:2.5}.kind-map circle{fill:#009E73}\
.head path{fill:#1a1a1a}.head.kind-pagefault path{fill:#D55E00}.head.kind-interrupt path{fill:#CC79A7}\
.head.kind-map path{fill:#009E73}.now{stroke:#E69F00;stroke-width:2}";

/// What the panel draws from, kept for the canvas's event handlers (so that
/// they need not be made anew, with a copy of the view, on every render).
#[derive(Default, PartialEq)]
struct Drawn {
    view: TimelineView,
    from: u64,
    to: u64,
    now: u64,
}

impl Drawn {
    fn plot(&self) -> Plot<'_> {
        Plot::new(&self.view, self.from, self.to, self.now)
    }
}

/// Messages in the (hidden) list: the latest of the window. Parsing the
/// list is most of the cost of showing a new moment after a seek; the
/// keyboard cursor on the canvas reaches every message drawn.
const LISTED_MESSAGES: usize = 100;

/// Messages per piece of the (hidden) message list, by event index: when
/// one message arrives, only the last piece is parsed again.
const EVENTS_PER_PIECE: u64 = 64;

#[component]
pub fn TimelinePanel(props: &TimelinePanelProps) -> Html {
    let view = &props.view;
    let (from, to) = (props.from, props.to.max(props.from + 1));
    let canvas = use_node_ref();
    let drawn = use_mut_ref(Drawn::default);
    // Which drawing this is: the canvas is repainted only when it changes
    // (the panel also renders when only its message list or a note does).
    let generation = use_mut_ref(|| 0u64);
    {
        let next = Drawn { view: view.clone(), from, to, now: props.now };
        let mut kept = drawn.borrow_mut();
        if *kept != next {
            *kept = next;
            *generation.borrow_mut() += 1;
        }
    }
    let painted = use_mut_ref(|| None::<(u64, Option<usize>, String)>);
    // The message chosen with the keyboard, by event index.
    let selected = use_state(|| None::<u64>);
    let readout = use_state(|| None::<String>);
    let plot = Plot::new(view, from, to, props.now);
    let drawn_arrows = plot.drawn_arrows().len();
    let height = plot.height();

    {
        let canvas = canvas.clone();
        let drawn = drawn.clone();
        let selected = *selected;
        let generation = *generation.borrow();
        use_effect(move || {
            if let Some(element) = canvas.cast::<web_sys::HtmlCanvasElement>() {
                let drawn = drawn.borrow();
                let plot = drawn.plot();
                let chosen = selected.and_then(|event| drawn.view.arrows.iter().position(|arrow| arrow.event == event));
                // The theme and the device's pixel ratio change the picture too.
                let look = format!(
                    "{} {}",
                    gloo::utils::document_element().get_attribute("data-theme").unwrap_or_default(),
                    gloo::utils::window().device_pixel_ratio()
                );
                let key = Some((generation, chosen, look));
                if *painted.borrow() != key {
                    let _ = paint(&element, &plot, chosen);
                    *painted.borrow_mut() = key;
                }
            }
        });
    }

    // The wheel zooms around the pointer. Not through yew: its wheel
    // listeners are passive, and the page must not scroll as well.
    {
        let canvas = canvas.clone();
        let drawn = drawn.clone();
        let on_action = props.on_action.clone();
        use_effect_with((), move |_| {
            let listener = canvas.cast::<web_sys::HtmlCanvasElement>().map(|element| {
                let options = gloo::events::EventListenerOptions::enable_prevent_default();
                gloo::events::EventListener::new_with_options(&element, "wheel", options, move |event| {
                    use web_sys::wasm_bindgen::JsCast;
                    let Some(wheel) = event.dyn_ref::<web_sys::WheelEvent>() else { return };
                    if wheel.delta_y() == 0.0 {
                        return;
                    }
                    wheel.prevent_default();
                    let drawn = drawn.borrow();
                    let span = (drawn.to - drawn.from) as f64;
                    let fraction = (f64::from(wheel.offset_x()) / PLOT_WIDTH).clamp(0.0, 1.0);
                    let cycle = drawn.from + (span * fraction) as u64;
                    let percent = if wheel.delta_y() < 0.0 { 80 } else { 125 };
                    on_action.emit(Action::ZoomTimelineAround { cycle, percent });
                })
            });
            move || drop(listener)
        });
    }
    // Dragging pans: (pointer x, window) where the drag began, and whether it moved.
    let dragging = use_mut_ref(|| None::<(f64, u64, u64, bool)>);
    let on_down = {
        let dragging = dragging.clone();
        let drawn = drawn.clone();
        Callback::from(move |event: MouseEvent| {
            if event.button() == 0 {
                let drawn = drawn.borrow();
                *dragging.borrow_mut() = Some((f64::from(event.client_x()), drawn.from, drawn.to, false));
            }
        })
    };
    let on_up = {
        let dragging = dragging.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(drag) = dragging.borrow_mut().as_mut() {
                // A click ends it; `click` comes next and must know whether it was a drag.
                drag.0 = f64::NAN;
            }
        })
    };
    let hit_at = {
        let drawn = drawn.clone();
        move |event: &MouseEvent| {
            let drawn = drawn.borrow();
            let plot = drawn.plot();
            plot.hit(f64::from(event.offset_x()), f64::from(event.offset_y())).map(|hit| {
                let words = plot.describe(hit);
                let target = match hit {
                    Hit::Arrow(index) => drawn.view.arrows.get(index).map(|arrow| (arrow.event, arrow.instruction)),
                    Hit::Segment(_) => None,
                };
                (words, target)
            })
        }
    };
    let on_move = {
        let readout = readout.clone();
        let hit_at = hit_at.clone();
        let dragging = dragging.clone();
        let on_action = props.on_action.clone();
        Callback::from(move |event: MouseEvent| {
            if event.buttons() & 1 != 0
                && let Some((start_x, from, to, moved)) = dragging.borrow_mut().as_mut()
                && !start_x.is_nan()
            {
                let dx = f64::from(event.client_x()) - *start_x;
                if dx.abs() > 3.0 || *moved {
                    *moved = true;
                    let cycles = -(dx * (*to - *from) as f64 / PLOT_WIDTH) as i64;
                    let start =
                        if cycles < 0 { from.saturating_sub(cycles.unsigned_abs()) } else { *from + cycles as u64 };
                    on_action.emit(Action::SetTimelineWindow(start, start + (*to - *from)));
                    return;
                }
            }
            let words = hit_at(&event).and_then(|(words, _)| words);
            if *readout != words {
                readout.set(words);
            }
        })
    };
    let on_click = {
        let on_action = props.on_action.clone();
        let dragging = dragging.clone();
        let selected = selected.clone();
        Callback::from(move |event: MouseEvent| {
            // The end of a drag is no click on what lies under the pointer.
            if dragging.borrow_mut().take().is_some_and(|(_, _, _, moved)| moved) {
                return;
            }
            if let Some((_, Some((index, instruction)))) = hit_at(&event) {
                selected.set(Some(index));
                on_action.emit(Action::SelectMessage(index));
                on_action.emit(Action::SeekEvent { index, instruction });
            }
        })
    };
    let on_key = {
        let drawn = drawn.clone();
        let selected = selected.clone();
        let readout = readout.clone();
        let on_action = props.on_action.clone();
        Callback::from(move |event: KeyboardEvent| {
            let drawn = drawn.borrow();
            let plot = drawn.plot();
            let (first, arrows) = plot.shown_arrows();
            if arrows.is_empty() {
                return;
            }
            let current = (*selected).and_then(|chosen| arrows.iter().position(|arrow| arrow.event == chosen));
            let last = arrows.len() - 1;
            let choose = match event.key().as_str() {
                "ArrowLeft" => Some(current.map_or(last, |at| at.saturating_sub(1))),
                "ArrowRight" => Some(current.map_or(last, |at| (at + 1).min(last))),
                "Home" => Some(0),
                "End" => Some(last),
                "Enter" => {
                    if let Some(arrow) = current.map(|at| &arrows[at]) {
                        on_action.emit(Action::SeekEvent { index: arrow.event, instruction: arrow.instruction });
                    }
                    None
                }
                _ => return,
            };
            // Ours: the page's shortcuts must not see it.
            event.prevent_default();
            event.stop_propagation();
            if let Some(at) = choose {
                selected.set(Some(arrows[at].event));
                on_action.emit(Action::SelectMessage(arrows[at].event));
                readout.set(plot.describe(Hit::Arrow(first + at)));
            }
        })
    };
    let on_leave = {
        let readout = readout.clone();
        let dragging = dragging.clone();
        Callback::from(move |_: MouseEvent| {
            readout.set(None);
            dragging.borrow_mut().take();
        })
    };
    let on_list_click = {
        let on_action = props.on_action.clone();
        Callback::from(move |event: MouseEvent| {
            if let Some((index, instruction)) = clicked_event(event.target(), "[data-test=ipc-arrow]") {
                on_action.emit(Action::SeekEvent { index, instruction });
            }
        })
    };

    let window = |from: u64, to: u64| {
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(Action::SetTimelineWindow(from, to)))
    };
    let half = (to - from) / 2;
    let quarter = ((to - from) / 4).max(1);
    let middle = from + half;
    let zoom_in = window(middle.saturating_sub(quarter), middle + quarter);
    let zoom_out = window(from.saturating_sub(half), to + half);
    let pan_left = window(from.saturating_sub(quarter), to.saturating_sub(quarter).max(quarter));
    let pan_right = window(from + quarter, to + quarter);
    let all = window(view.first_cycle, view.last_cycle.max(view.first_cycle + 1));
    let follow = {
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(Action::FollowTimeline))
    };
    let export = {
        let on_save_svg = props.on_save_svg.clone();
        let drawn = drawn.clone();
        Callback::from(move |_: MouseEvent| {
            let drawn = drawn.borrow();
            let text = drawn.plot().svg(SVG_STYLE);
            on_save_svg.emit(("l4-timeline.svg".into(), text));
        })
    };

    let lanes = view.lanes.iter().enumerate().map(|(lane, thread)| {
        let top = Plot::lane_top(lane);
        html! {
            <g class="lane" data-test="lane" data-thread={format!("{thread:#010x}")}>
                <text x="4" y={(top + 14.0).to_string()} class="lane-label">
                    <title>{ format!("thread {thread:#010x}") }</title>
                    { props.view.names.thread(*thread) }
                </text>
            </g>
        }
    });
    // The listed messages: the latest of the window — kept as they were
    // while running (parsing a new list on every frame cost more than
    // painting the whole canvas; a screen reader cannot follow a run
    // anyway).
    let listed = use_mut_ref(Vec::<wasm_bridge::ArrowView>::new);
    if !props.running || listed.borrow().is_empty() {
        let (_, shown) = plot.shown_arrows();
        let latest = &shown[shown.len().saturating_sub(LISTED_MESSAGES)..];
        if listed.borrow().as_slice() != latest {
            *listed.borrow_mut() = latest.to_vec();
        }
    }
    let listed = listed.borrow();
    let shown = listed.as_slice();
    let pieces = shown.chunk_by(|one, other| one.event / EVENTS_PER_PIECE == other.event / EVENTS_PER_PIECE).map(|piece| {
        use std::fmt::Write;
        let mut markup = String::with_capacity(300 * piece.len());
        for arrow in piece {
            let _ = write!(
                markup,
                r#"<button type="button" tabindex="-1" data-test="ipc-arrow" data-kind="{}" data-from="{:#010x}" data-to="{:#010x}" data-cycle="{}" data-index="{}" data-instruction="{}">{}</button>"#,
                arrow.kind,
                arrow.from,
                arrow.to,
                arrow.cycle,
                arrow.event,
                arrow.instruction,
                escape(&plot.arrow_words(arrow)),
            );
        }
        html! { <div key={piece[0].event / EVENTS_PER_PIECE} class="piece">{ Html::from_html_unchecked(AttrValue::from(markup)) }</div> }
    });
    let description = format!(
        "{} threads, {} messages between cycles {from} and {to}. Left and right arrow keys choose a message, Enter goes there.",
        view.lanes.len(),
        view.arrows.len()
    );
    html! {
        <section class="panel timeline" data-test="timeline" aria-label="Threads and IPC over time">
            <header class="panel-header">
                <h2>{ "Threads and IPC" }</h2>
                <span class="window">{ format!("cycles {from}–{to}") }</span>
                <span class="group" role="group" aria-label="Zoom and pan">
                    <button data-test="timeline-zoom-in" title="Zoom in (])" onclick={zoom_in}>{ "+" }</button>
                    <button data-test="timeline-zoom-out" title="Zoom out ([)" onclick={zoom_out}>{ "−" }</button>
                    <button title="Earlier (,)" onclick={pan_left}>{ "◀" }</button>
                    <button title="Later (.)" onclick={pan_right}>{ "▶" }</button>
                    <button title="Everything so far" onclick={all}>{ "all" }</button>
                    <button class={classes!(props.following.then_some("active"))} title="Follow the present (f)" onclick={follow}>{ "follow" }</button>
                    <button data-test="timeline-export" title="Save this window of the timeline as SVG" onclick={export}>{ "SVG" }</button>
                </span>
            </header>
            <div class="legend" aria-hidden="true">
                { for ["running", "ready", "sending", "receiving", "waiting", "inactive"].iter().map(|state| html! {
                    <span class="legend-item"><svg width="22" height="12"><rect width="22" height="12" fill={format!("url(#pattern-{state})")} class={format!("state-{state}")} /></svg>{ *state }</span>
                }) }
                <span class="legend-item kind-ipc">{ "— IPC" }</span>
                <span class="legend-item kind-pagefault">{ "┅ page fault" }</span>
                <span class="legend-item kind-interrupt">{ "┈ interrupt" }</span>
                <span class="legend-item kind-map">{ "═ map/grant" }</span>
            </div>
            if view.arrows.len() > MOST_ARROWS {
                <p class="note" data-test="timeline-more">{ format!("{} messages in this window; of the latest {}, one arrow per {ARROW_SPACING} px is drawn — zoom in to see the rest", view.arrows.len(), MOST_ARROWS) }</p>
            } else if drawn_arrows < view.arrows.len() {
                <p class="note" data-test="timeline-thinned">{ format!("{} messages here: one arrow drawn per {ARROW_SPACING} px — zoom in (+) to see each", view.arrows.len()) }</p>
            }
            <p class="readout" data-test="timeline-readout" aria-live="polite">
                { (*readout).clone().unwrap_or_else(|| "Point at a bar or an arrow to read it; click an arrow (or focus the drawing, choose with ← →, press Enter) to go there.".into()) }
            </p>
            <div class="timeline-scroll">
                <div id="timeline-drawing" class="timeline-canvas" style={format!("width:{WIDTH}px;height:{height}px")}>
                    <svg class="lane-layer" xmlns="http://www.w3.org/2000/svg" viewBox={format!("0 0 {LABEL_WIDTH} {height}")} width={LABEL_WIDTH.to_string()} height={height.to_string()}>
                        <defs>
                            // The legend's swatches.
                            <pattern id="pattern-running" class="state-running" width="4" height="4" patternUnits="userSpaceOnUse"><rect width="4" height="4" /></pattern>
                            <pattern id="pattern-ready" class="state-ready" width="6" height="6" patternUnits="userSpaceOnUse"><path d="M0,6 L6,0" /></pattern>
                            <pattern id="pattern-sending" class="state-sending" width="6" height="6" patternUnits="userSpaceOnUse"><path d="M0,0 L6,6 M0,3 L6,3" /></pattern>
                            <pattern id="pattern-receiving" class="state-receiving" width="5" height="5" patternUnits="userSpaceOnUse"><circle cx="2.5" cy="2.5" r="1.2" /></pattern>
                            <pattern id="pattern-waiting" class="state-waiting" width="6" height="6" patternUnits="userSpaceOnUse"><path d="M0,0 L6,6 M6,0 L0,6" /></pattern>
                            <pattern id="pattern-inactive" class="state-inactive" width="8" height="8" patternUnits="userSpaceOnUse"><path d="M0,4 L8,4" /></pattern>
                        </defs>
                        { for lanes }
                    </svg>
                    <canvas ref={canvas} class="plot" data-test="timeline-canvas" data-arrows-drawn={drawn_arrows.to_string()} tabindex="0" role="img" aria-label={description}
                        style={format!("left:{LABEL_WIDTH}px;width:{PLOT_WIDTH}px;height:{height}px")}
                        onmousemove={on_move} onmouseleave={on_leave} onclick={on_click} onkeydown={on_key}
                        onmousedown={on_down} onmouseup={on_up} />
                </div>
            </div>
            <div class="visually-hidden" data-test="timeline-messages" role="group" onclick={on_list_click}
                aria-label={if props.running { "Messages (brought up to date when the run pauses)" } else { "The latest messages in this window" }}>
                { for pieces }
            </div>
        </section>
    }
}
