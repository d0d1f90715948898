//! The scrubber: the position on the time line (user instructions retired),
//! draggable back to boot and forward to the furthest point reached. While
//! it is dragged the views follow roughly (a slice of replay per movement);
//! its release goes exactly there.

use crate::state::Action;
use wasm_bridge::StatusView;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq, Debug)]
pub struct ScrubberProps {
    pub status: StatusView,
    pub on_action: Callback<Action>,
}

#[component]
pub fn Scrubber(props: &ScrubberProps) -> Html {
    let status = &props.status;
    let on_change = {
        let on_action = props.on_action.clone();
        Callback::from(move |event: Event| {
            let input: HtmlInputElement = event.target_unchecked_into();
            if let Ok(position) = input.value().parse::<f64>() {
                on_action.emit(Action::Seek(position as u64));
            }
        })
    };
    let on_input = {
        let on_action = props.on_action.clone();
        Callback::from(move |event: InputEvent| {
            let input: HtmlInputElement = event.target_unchecked_into();
            if let Ok(position) = input.value().parse::<f64>() {
                on_action.emit(Action::PreviewSeek(position as u64));
            }
        })
    };
    html! {
        <div class="scrubber" data-test="scrubber">
            <input type="range" min="0" max={status.furthest.max(1).to_string()} value={status.instructions.to_string()}
                aria-label="Position in time (instructions since boot)" onchange={on_change} oninput={on_input} data-test="scrubber-range" />
            <span class="position" data-test="position">
                { format!("instruction {} of {} · cycle {} · {} µs", status.instructions, status.furthest, status.cycles, status.microseconds) }
            </span>
        </div>
    }
}
