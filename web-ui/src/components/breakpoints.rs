//! Breakpoints on events ("the next unmap of frame X", "the next IPC from
//! ping to pong", "the next TLB flush") and on addresses (set in the code
//! gutter). Running and stepping stop when one is hit. Threads are typed
//! by name (`pong`), as `task.thread` (`6.0`) or as an id.

use super::{parse_number, parse_thread};
use crate::state::Action;
use wasm_bridge::{BreakpointView, NamesView};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[derive(Properties, PartialEq, Debug)]
pub struct BreakpointPanelProps {
    pub breakpoints: Vec<BreakpointView>,
    /// What threads are called (for the thread fields).
    pub names: NamesView,
    pub on_action: Callback<Action>,
}

#[component]
pub fn BreakpointPanel(props: &BreakpointPanelProps) -> Html {
    let kind = use_node_ref();
    let thread = use_node_ref();
    let to = use_node_ref();
    let frame = use_node_ref();
    let problem = use_state(String::new);
    let on_submit = {
        let (kind, thread, to, frame, problem) =
            (kind.clone(), thread.clone(), to.clone(), frame.clone(), problem.clone());
        let on_action = props.on_action.clone();
        let names = props.names.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let Some(kind) = kind.cast::<HtmlSelectElement>().map(|select| select.value()) else { return };
            let text = |node: &NodeRef| node.cast::<HtmlInputElement>().map(|input| input.value()).unwrap_or_default();
            let frame_text = text(&frame);
            let frame_value = if frame_text.trim().is_empty() {
                Ok(None)
            } else {
                parse_number(&frame_text)
                    .map(Some)
                    .ok_or_else(|| format!("`{frame_text}` is not a frame address: write it in hex (0x…) or decimal"))
            };
            match (parse_thread(&text(&thread), &names), parse_thread(&text(&to), &names), frame_value) {
                (Ok(thread), Ok(to), Ok(frame)) => {
                    problem.set(String::new());
                    on_action.emit(Action::AddEventBreakpoint { kind, thread, to, frame });
                }
                (Err(message), _, _) | (_, Err(message), _) | (_, _, Err(message)) => problem.set(message),
            }
        })
    };
    html! {
        <section class="panel breakpoints" aria-label="Breakpoints">
            <h2>{ "Breakpoints" }</h2>
            <form class="breakpoint-form" onsubmit={on_submit}>
                <label>{ "stop at the next " }
                    <select ref={kind} data-test="breakpoint-kind">
                        <option value="ipc">{ "IPC" }</option>
                        <option value="unmap">{ "unmap" }</option>
                        <option value="map">{ "map or grant" }</option>
                        <option value="pagefault">{ "page fault" }</option>
                        <option value="tlb-flush">{ "TLB flush" }</option>
                        <option value="space">{ "address-space switch (CR3 load)" }</option>
                        <option value="small-space">{ "small-space switch (segment reload)" }</option>
                        <option value="irq">{ "interrupt" }</option>
                        <option value="exception">{ "exception" }</option>
                    </select>
                </label>
                <label>{ " from/of " }<input ref={thread} data-test="breakpoint-thread" size="8" placeholder="any thread"
                    title="A thread's name (pong), task.thread (6.0) or id" /></label>
                <label>{ " to " }<input ref={to} data-test="breakpoint-to" size="8" placeholder="any thread"
                    title="The message's or mapping's destination: a name, task.thread or id" /></label>
                <label>{ " frame " }<input ref={frame} data-test="breakpoint-frame" size="8" placeholder="any" /></label>
                <button type="submit" data-test="breakpoint-add">{ "Add" }</button>
            </form>
            if !problem.is_empty() {
                <p class="inline-error" role="alert">{ (*problem).clone() }</p>
            }
            <ul class="breakpoint-list" data-test="breakpoint-list">
                { for props.breakpoints.iter().map(|breakpoint| {
                    let id = breakpoint.id;
                    let on_action = props.on_action.clone();
                    let remove = Callback::from(move |_: MouseEvent| on_action.emit(Action::RemoveBreakpoint(id)));
                    html! { <li data-test="breakpoint">{ &breakpoint.description }<button onclick={remove} aria-label={format!("Remove: {}", breakpoint.description)}>{ "✕" }</button></li> }
                }) }
                if props.breakpoints.is_empty() {
                    <li class="note">{ "none (click a code line's gutter for an address breakpoint)" }</li>
                }
            </ul>
        </section>
    }
}
