//! Threads and IPC over time: a lane per thread whose state is drawn by
//! pattern and labelled (not colour alone), an arrow per message. Page-fault
//! IPCs, interrupts and mapping messages have their own line styles. Zoom
//! and pan change the window of cycles shown; clicking an arrow moves the
//! machine to that moment.

use super::thread_name;
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

#[component]
pub fn TimelinePanel(props: &TimelinePanelProps) -> Html {
    let view = &props.view;
    let (from, to) = (props.from, props.to.max(props.from + 1));
    let span = (to - from) as f64;
    let x = move |cycle: u64| LABEL_WIDTH + (cycle.clamp(from, to) - from) as f64 / span * (WIDTH - LABEL_WIDTH);
    let lane_of = |thread: u32| view.lanes.iter().position(|lane| *lane == thread);
    let y = |lane: usize| TOP + lane as f64 * LANE_HEIGHT;
    let height = TOP + view.lanes.len().max(1) as f64 * LANE_HEIGHT + 6.0;

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
                <line x1={LABEL_WIDTH.to_string()} x2={WIDTH.to_string()} y1={(y(lane) + LANE_HEIGHT).to_string()} y2={(y(lane) + LANE_HEIGHT).to_string()} class="lane-rule" />
            </g>
        }
    });
    let segments = view.segments.iter().filter_map(|segment| {
        let lane = lane_of(segment.thread)?;
        let start = x(segment.from_cycle);
        let end = x(segment.to_cycle.unwrap_or(to));
        let width = (end - start).max(0.5);
        let label = state_label(segment.state);
        Some(html! {
            <g class={format!("segment state-{}", segment.state)} data-state={segment.state}>
                <rect x={start.to_string()} y={(y(lane) + 3.0).to_string()} width={width.to_string()} height={(LANE_HEIGHT - 6.0).to_string()}
                    fill={format!("url(#pattern-{})", segment.state)}>
                    <title>{ format!("{}: {} from cycle {}{}", thread_name(segment.thread), segment.state, segment.from_cycle,
                        segment.to_cycle.map(|end| format!(" to {end}")).unwrap_or_default()) }</title>
                </rect>
                if width > 36.0 && !label.is_empty() {
                    <text x={(start + 3.0).to_string()} y={(y(lane) + 14.0).to_string()} class="segment-label">{ label }</text>
                }
            </g>
        })
    });
    let shown = view.arrows.len().saturating_sub(MOST_ARROWS);
    let arrows = view.arrows[shown..].iter().filter_map(|arrow| {
        let from_lane = lane_of(arrow.from);
        let to_lane = lane_of(arrow.to)?;
        let arrow_x = x(arrow.cycle);
        let from_y = from_lane.map_or(TOP - 8.0, |lane| y(lane) + LANE_HEIGHT / 2.0);
        let to_y = y(to_lane) + LANE_HEIGHT / 2.0;
        let on_action = props.on_action.clone();
        let (index, instruction) = (arrow.event, arrow.instruction);
        let onclick = Callback::from(move |_: MouseEvent| on_action.emit(Action::SeekEvent { index, instruction }));
        let onkeydown = {
            let on_action = props.on_action.clone();
            Callback::from(move |event: KeyboardEvent| {
                if event.key() == "Enter" {
                    on_action.emit(Action::SeekEvent { index, instruction });
                }
            })
        };
        Some(html! {
            <g class={format!("arrow kind-{}", arrow.kind)} data-test="ipc-arrow" data-kind={arrow.kind}
                data-from={format!("{:#010x}", arrow.from)} data-to={format!("{:#010x}", arrow.to)} data-cycle={arrow.cycle.to_string()} data-index={arrow.event.to_string()}
                tabindex="0" role="button" aria-label={format!("{} from {} to {}: {} (go there)", arrow.kind, thread_name(arrow.from), thread_name(arrow.to), arrow.label)}
                {onclick} {onkeydown}>
                <title>{ format!("{} {} → {} at cycle {}: {}", arrow.kind, thread_name(arrow.from), thread_name(arrow.to), arrow.cycle, arrow.label) }</title>
                <line x1={arrow_x.to_string()} x2={arrow_x.to_string()} y1={from_y.to_string()} y2={to_y.to_string()} marker-end={format!("url(#head-{})", arrow.kind)} />
                <circle cx={arrow_x.to_string()} cy={from_y.to_string()} r="2.5" />
            </g>
        })
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
            if shown > 0 {
                <p class="note" data-test="timeline-more">{ format!("{} messages in this window; the latest {} are drawn — zoom in to see the rest", view.arrows.len(), MOST_ARROWS) }</p>
            }
            <div class="timeline-scroll">
                <svg id="timeline-svg" xmlns="http://www.w3.org/2000/svg" viewBox={format!("0 0 {WIDTH} {height}")} width={WIDTH.to_string()} height={height.to_string()}
                    role="img" aria-label={format!("{} threads, {} messages between cycles {from} and {to}", view.lanes.len(), view.arrows.len())}>
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
                    { for segments }
                    { for arrows }
                    <line class="now" x1={now_x.to_string()} x2={now_x.to_string()} y1="0" y2={height.to_string()} />
                </svg>
            </div>
        </section>
    }
}
