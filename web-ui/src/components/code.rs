//! Disassembly around the current thread's EIP, with labels from the
//! program's symbols and breakpoints in the gutter (click, or Enter on the
//! focused gutter button).

use super::hex;
use crate::state::Action;
use wasm_bridge::CodeView;
use yew::prelude::*;

#[derive(Properties, PartialEq, Debug)]
pub struct CodePanelProps {
    pub code: CodeView,
    pub on_action: Callback<Action>,
}

#[component]
pub fn CodePanel(props: &CodePanelProps) -> Html {
    let code = &props.code;
    // Keep the current instruction in sight as the machine moves.
    let listing = use_node_ref();
    {
        let listing = listing.clone();
        use_effect_with((code.eip, code.thread), move |_| {
            if let Some(line) = listing
                .cast::<web_sys::Element>()
                .and_then(|list| list.query_selector("[data-current=true]").ok().flatten())
            {
                let options = web_sys::ScrollIntoViewOptions::new();
                options.set_block(web_sys::ScrollLogicalPosition::Nearest);
                line.scroll_into_view_with_scroll_into_view_options(&options);
            }
        });
    }
    let lines = code.lines.iter().map(|line| {
        let address = line.address;
        let on_action = props.on_action.clone();
        let toggle = Callback::from(move |_: MouseEvent| on_action.emit(Action::ToggleAddressBreakpoint(address)));
        html! {
            <>
                if let Some(label) = &line.label {
                    <li class="code-label" aria-hidden="true">{ format!("{label}:") }</li>
                }
                <li class={classes!("code-line", line.current.then_some("current"), line.breakpoint.then_some("breakpoint"))}
                    data-test="code-line" data-address={hex(address)} data-current={line.current.to_string()}
                    aria-current={line.current.then_some("step")}>
                    <button class="gutter" data-test="gutter" aria-pressed={line.breakpoint.to_string()}
                        title={if line.breakpoint { "Remove the breakpoint" } else { "Stop before this instruction" }} onclick={toggle}>
                        { if line.breakpoint { "●" } else if line.current { "▶" } else { "\u{a0}" } }
                    </button>
                    <span class="address">{ format!("{address:08x}") }</span>
                    <span class="bytes">{ &line.bytes }</span>
                    <span class="instruction">{ &line.text }</span>
                </li>
            </>
        }
    });
    html! {
        <section class="panel code" data-test="code" aria-label="Disassembly">
            <header class="panel-header">
                <h2>{ "Code" }</h2>
                <span>{ format!("thread {} ({}) at {}", code.thread_name, hex(code.thread), hex(code.eip)) }</span>
            </header>
            if code.lines.is_empty() {
                <p class="note">{ "Nothing mapped at EIP in this space yet (the next fetch faults)." }</p>
            }
            <ol class="listing" ref={listing}>{ for lines }</ol>
        </section>
    }
}
