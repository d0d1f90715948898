//! Threads and IPC over time: a lane per thread whose state is drawn by
//! pattern and labelled (not colour alone), an arrow per message. Page-fault
//! IPCs, interrupts and mapping messages have their own line styles. Zoom
//! and pan change the window of cycles shown; clicking an arrow moves the
//! machine to that moment.

use super::{clicked_event, escape, thread_name};
use crate::state::Action;
use wasm_bridge::{SegmentView, TimelineView};
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
    pub on_action: Callback<Action>,
    /// Save the drawing (the `svg` element with this id) as a file.
    pub on_export_svg: Callback<(String, String)>,
}

const LABEL_WIDTH: f64 = 40.0;
const WIDTH: f64 = 620.0;
const LANE_HEIGHT: f64 = 20.0;
const TOP: f64 = 18.0;
/// Arrows drawn at most; more are summarised (zoom in to see them).
const MOST_ARROWS: usize = 400;

/// The short label drawn inside a state's bar.
fn state_label(state: &str) -> &'static str {
    match state {
        "running" => "run",
        "ready" => "ready",
        "sending" => "send",
        "receiving" => "recv",
        "waiting" => "wait",
        "inactive" => "inactive",
        "dead" => "dead",
        _ => "",
    }
}

/// The range of cycles drawn for the window [from, to]: the window's span,
/// aligned down to a multiple of it, and twice as long. Drawing in these
/// fixed coordinates and moving a `viewBox` over them means that following
/// the present changes one attribute per step instead of every element's
/// position (which cost a relayout and repaint of the whole drawing).
pub fn drawn_range(from: u64, to: u64) -> (u64, u64) {
    let span = to.saturating_sub(from).max(1);
    let origin = from - from % span;
    (origin, origin.saturating_add(span.saturating_mul(2)))
}

#[component]
pub fn TimelinePanel(props: &TimelinePanelProps) -> Html {
    let view = &props.view;
    let (from, to) = (props.from, props.to.max(props.from + 1));
    let (origin, drawn_end) = drawn_range(from, to);
    let plot_width = WIDTH - LABEL_WIDTH;
    let cycles_per_unit = (to - from) as f64 / plot_width;
    // Plot coordinates: one unit is one pixel at the current zoom, 0 at `origin`.
    let x = move |cycle: u64| (cycle.clamp(origin, drawn_end) - origin) as f64 / cycles_per_unit;
    let lane_of = |thread: u32| view.lanes.iter().position(|lane| *lane == thread);
    let y = |lane: usize| TOP + lane as f64 * LANE_HEIGHT;
    let height = TOP + view.lanes.len().max(1) as f64 * LANE_HEIGHT + 6.0;
    let view_box = format!("{:.3} 0 {plot_width} {height}", x(from));
    let drawn_width = x(drawn_end).ceil().max(plot_width);
    let layer_style = format!("transform:translateX({:.3}px)", -x(from));
    let hover = use_state(|| None::<String>);
    let on_mouse = {
        let hover = hover.clone();
        Callback::from(move |event: MouseEvent| hover.set(describe_target(event.target())))
    };
    let on_focus = {
        let hover = hover.clone();
        Callback::from(move |event: FocusEvent| hover.set(describe_target(event.target())))
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
        let on_export_svg = props.on_export_svg.clone();
        Callback::from(move |_: MouseEvent| on_export_svg.emit(("timeline-svg".into(), "l4-timeline.svg".into())))
    };

    let lanes = view.lanes.iter().enumerate().map(|(lane, thread)| {
        html! {
            <g class="lane" data-test="lane" data-thread={format!("{thread:#010x}")}>
                <text x="4" y={(y(lane) + 14.0).to_string()} class="lane-label">
                    <title>{ format!("thread {thread:#010x}") }</title>
                    { thread_name(*thread) }
                </text>
                <line x1="0" x2={WIDTH.to_string()} y1={(y(lane) + LANE_HEIGHT).to_string()} y2={(y(lane) + LANE_HEIGHT).to_string()} class="lane-rule" />
            </g>
        }
    });
    let open_segments = view.segments.iter().filter(|segment| segment.to_cycle.is_none()).filter_map(|segment| {
        let lane = lane_of(segment.thread)?;
        Some(segment_html(segment, x(segment.from_cycle), x(props.now), y(lane)))
    });
    let now_x = x(props.now);
    let markers = ["ipc", "pagefault", "interrupt", "map"].map(|kind| {
        html! {
            <marker id={format!("head-{kind}")} class={format!("head kind-{kind}")} viewBox="0 0 6 6" refX="5" refY="3" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
                <path d="M0,0 L6,3 L0,6 z" />
            </marker>
        }
    });
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
                    <button data-test="timeline-export" title="Save this timeline as SVG" onclick={export}>{ "SVG" }</button>
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
                <p class="note" data-test="timeline-more">{ format!("{} messages around this window; the latest {} are drawn — zoom in to see the rest", view.arrows.len(), MOST_ARROWS) }</p>
            }
            <p class="readout" data-test="timeline-readout" aria-live="polite">
                { (*hover).clone().unwrap_or_else(|| "Point at a bar or an arrow to read it; click an arrow (or focus it and press Enter) to go there.".into()) }
            </p>
            <div class="timeline-scroll">
                // Layers: the lane labels; the finished drawing, which moves
                // by a CSS transform (composited, not repainted) as the window
                // follows the present; and the live layer (bars still open,
                // the present line), the only part redrawn on a plain step.
                <div id="timeline-svg" class="timeline-canvas" data-layered="true" style={format!("width:{WIDTH}px;height:{height}px")}
                    role="img" aria-label={format!("{} threads, {} messages between cycles {from} and {to}", view.lanes.len(), view.arrows.len())}>
                    <svg class="lane-layer" xmlns="http://www.w3.org/2000/svg" viewBox={format!("0 0 {WIDTH} {height}")} width={WIDTH.to_string()} height={height.to_string()}>
                        <defs>
                            <pattern id="pattern-running" class="state-running" width="4" height="4" patternUnits="userSpaceOnUse"><rect width="4" height="4" /></pattern>
                            <pattern id="pattern-ready" class="state-ready" width="6" height="6" patternUnits="userSpaceOnUse"><path d="M0,6 L6,0" /></pattern>
                            <pattern id="pattern-sending" class="state-sending" width="6" height="6" patternUnits="userSpaceOnUse"><path d="M0,0 L6,6 M0,3 L6,3" /></pattern>
                            <pattern id="pattern-receiving" class="state-receiving" width="5" height="5" patternUnits="userSpaceOnUse"><circle cx="2.5" cy="2.5" r="1.2" /></pattern>
                            <pattern id="pattern-waiting" class="state-waiting" width="6" height="6" patternUnits="userSpaceOnUse"><path d="M0,0 L6,6 M6,0 L0,6" /></pattern>
                            <pattern id="pattern-inactive" class="state-inactive" width="8" height="8" patternUnits="userSpaceOnUse"><path d="M0,4 L8,4" /></pattern>
                            <pattern id="pattern-dead" class="state-dead" width="8" height="8" patternUnits="userSpaceOnUse"><path d="M0,0 L8,8" /></pattern>
                            <pattern id="pattern-interrupt" class="state-interrupt" width="8" height="8" patternUnits="userSpaceOnUse"><path d="M0,4 L8,4" /></pattern>
                            { for markers }
                        </defs>
                        { for lanes }
                    </svg>
                    <div class="plot-viewport" onmouseover={on_mouse} onfocusin={on_focus}
                        style={format!("left:{LABEL_WIDTH}px;width:{plot_width}px;height:{height}px")}>
                        <svg class="plot-layer drawing-layer" xmlns="http://www.w3.org/2000/svg" width={drawn_width.to_string()} height={height.to_string()}
                            style={layer_style.clone()} data-x={LABEL_WIDTH.to_string()} data-view-box={view_box.clone()}>
                            <TimelineDrawing view={view.clone()} {origin} {drawn_end} span={to - from} on_action={props.on_action.clone()} />
                        </svg>
                        <svg class="plot-layer live-layer" xmlns="http://www.w3.org/2000/svg" width={drawn_width.to_string()} height={height.to_string()}
                            style={layer_style} data-x={LABEL_WIDTH.to_string()} data-view-box={view_box}>
                            <g class="open-segments">{ for open_segments }</g>
                            <line class="now" x1={now_x.to_string()} x2={now_x.to_string()} y1="0" y2={height.to_string()} />
                        </svg>
                    </div>
                </div>
            </div>
        </section>
    }
}

#[derive(Properties, PartialEq, Debug)]
struct TimelineDrawingProps {
    view: TimelineView,
    origin: u64,
    drawn_end: u64,
    /// Cycles across the plot's width.
    span: u64,
    on_action: Callback<Action>,
}

/// One state's bar in its lane (plot coordinates).
fn segment_html(segment: &SegmentView, start: f64, end: f64, top: f64) -> Html {
    let width = (end - start).max(0.5);
    let label = state_label(segment.state);
    html! {
        <g key={format!("{}:{}", segment.thread, segment.from_cycle)}>
            <rect class={format!("segment state-{}", segment.state)} data-state={segment.state} data-thread={format!("{:#010x}", segment.thread)}
                data-from={segment.from_cycle.to_string()} x={start.to_string()} y={(top + 3.0).to_string()} width={width.to_string()}
                height={(LANE_HEIGHT - 6.0).to_string()} fill={format!("url(#pattern-{})", segment.state)} />
            if width > 36.0 && !label.is_empty() {
                <text x={(start + 3.0).to_string()} y={(top + 14.0).to_string()} class="segment-label">{ label }</text>
            }
        </g>
    }
}

/// Bars per piece of markup (see [`TimelineDrawing`]).
const SEGMENTS_PER_CHUNK: usize = 48;
/// Messages per piece of markup, by event index.
const EVENTS_PER_ARROW_CHUNK: u64 = 64;

/// The finished states and the messages, drawn as pieces of SVG markup.
///
/// Why markup and not a yew element per bar: at speed, the drawn range is
/// new on almost every frame (hundreds of bars and arrows), and building,
/// diffing and attaching that many virtual nodes took most of a frame; the
/// browser parses the same markup far faster. Why pieces: when one event
/// arrives, only the last piece's markup differs, so only it is parsed,
/// styled and laid out again. When nothing changed, the props compare equal
/// and nothing is rebuilt at all. One listener on the group finds the
/// clicked arrow by its data attributes; pointing at a bar or an arrow shows
/// what it is in the read-out above the drawing (no per-element tooltips:
/// they doubled the number of nodes).
#[component]
fn TimelineDrawing(props: &TimelineDrawingProps) -> Html {
    use std::fmt::Write;
    let view = &props.view;
    let (origin, drawn_end) = (props.origin, props.drawn_end);
    let cycles_per_unit = props.span.max(1) as f64 / (WIDTH - LABEL_WIDTH);
    let x = move |cycle: u64| (cycle.clamp(origin, drawn_end) - origin) as f64 / cycles_per_unit;
    let lane_of = |thread: u32| view.lanes.iter().position(|lane| *lane == thread);
    let y = |lane: usize| TOP + lane as f64 * LANE_HEIGHT;
    let mut chunks: Vec<(String, String)> = Vec::new();
    let closed = view.segments.iter().filter(|segment| segment.to_cycle.is_some()).collect::<Vec<_>>();
    for (number, piece) in closed.chunks(SEGMENTS_PER_CHUNK).enumerate() {
        let mut markup = String::with_capacity(200 * piece.len());
        for segment in piece {
            let (Some(lane), Some(end)) = (lane_of(segment.thread), segment.to_cycle) else { continue };
            let (start, top) = (x(segment.from_cycle), y(lane));
            let width = (x(end) - start).max(0.5);
            let state = segment.state;
            let _ = write!(
                markup,
                r#"<rect class="segment state-{state}" data-state="{state}" data-thread="{:#010x}" data-from="{}" data-to="{end}" x="{start:.2}" y="{}" width="{width:.2}" height="{}" fill="url(#pattern-{state})"/>"#,
                segment.thread,
                segment.from_cycle,
                top + 3.0,
                LANE_HEIGHT - 6.0,
            );
            let label = state_label(state);
            if width > 36.0 && !label.is_empty() {
                let _ = write!(
                    markup,
                    r#"<text x="{:.2}" y="{}" class="segment-label">{label}</text>"#,
                    start + 3.0,
                    top + 14.0
                );
            }
        }
        chunks.push((format!("s{number}"), markup));
    }
    let shown = view.arrows.len().saturating_sub(MOST_ARROWS);
    for piece in view.arrows[shown..]
        .chunk_by(|one, other| one.event / EVENTS_PER_ARROW_CHUNK == other.event / EVENTS_PER_ARROW_CHUNK)
    {
        let mut markup = String::with_capacity(400 * piece.len());
        for arrow in piece {
            let Some(to_lane) = lane_of(arrow.to) else { continue };
            let from_y = lane_of(arrow.from).map_or(TOP - 8.0, |lane| y(lane) + LANE_HEIGHT / 2.0);
            let to_y = y(to_lane) + LANE_HEIGHT / 2.0;
            let arrow_x = x(arrow.cycle);
            let (kind, from, to) = (arrow.kind, thread_name(arrow.from), thread_name(arrow.to));
            let _ = write!(
                markup,
                r#"<g class="arrow kind-{kind}" data-test="ipc-arrow" data-kind="{kind}" data-from="{:#010x}" data-to="{:#010x}" data-cycle="{}" data-index="{}" data-instruction="{}" tabindex="0" role="button" aria-label="{kind} from {from} to {to} at cycle {}: {} (Enter goes there)"><line x1="{arrow_x:.2}" x2="{arrow_x:.2}" y1="{from_y}" y2="{to_y}" marker-end="url(#head-{kind})"/><circle cx="{arrow_x:.2}" cy="{from_y}" r="2.5"/></g>"#,
                arrow.from,
                arrow.to,
                arrow.cycle,
                arrow.event,
                arrow.instruction,
                arrow.cycle,
                escape(&arrow.label),
            );
        }
        chunks.push((format!("a{}", piece[0].event / EVENTS_PER_ARROW_CHUNK), markup));
    }
    let go = |on_action: &Callback<Action>, target: Option<web_sys::EventTarget>| {
        if let Some((index, instruction)) = clicked_event(target, "[data-test=ipc-arrow]") {
            on_action.emit(Action::SeekEvent { index, instruction });
        }
    };
    let onclick = {
        let on_action = props.on_action.clone();
        Callback::from(move |event: MouseEvent| go(&on_action, event.target()))
    };
    let onkeydown = {
        let on_action = props.on_action.clone();
        Callback::from(move |event: KeyboardEvent| {
            if event.key() == "Enter" {
                go(&on_action, event.target());
            }
        })
    };
    html! {
        <g class="drawing" {onclick} {onkeydown}>
            { for chunks.into_iter().map(|(key, markup)| html! {
                <g {key} class="chunk">{ Html::from_html_unchecked(AttrValue::from(markup)) }</g>
            }) }
        </g>
    }
}

/// What the bar or arrow under the pointer (or with the focus) is, in words.
fn describe_target(target: Option<web_sys::EventTarget>) -> Option<String> {
    use web_sys::wasm_bindgen::JsCast;
    let element = target?.dyn_into::<web_sys::Element>().ok()?;
    if let Some(arrow) = element.closest("[data-test=ipc-arrow]").ok()? {
        return arrow.get_attribute("aria-label");
    }
    let bar = element.closest("[data-state]").ok()??;
    let thread = bar.get_attribute("data-thread")?;
    let thread = thread_name(u32::from_str_radix(thread.trim_start_matches("0x"), 16).ok()?);
    Some(format!(
        "{thread}: {} from cycle {} to {}",
        bar.get_attribute("data-state")?,
        bar.get_attribute("data-from")?,
        bar.get_attribute("data-to").unwrap_or_else(|| "now".into())
    ))
}
