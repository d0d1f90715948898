//! Disassembly around the current thread's EIP, with labels from the
//! program's symbols, breakpoints in the gutter (click, or Enter on the
//! focused gutter button), and the source line each instruction came from
//! (which opens the editor there); the instructions of the line chosen in
//! the editor are marked.

use super::hex;
use crate::state::Action;
use wasm_bridge::CodeView;
use yew::prelude::*;

#[derive(Properties, PartialEq, Debug)]
pub struct CodePanelProps {
    pub code: CodeView,
    /// The source line chosen in the editor: its instructions are marked.
    #[prop_or_default]
    pub chosen: Option<(String, u32)>,
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
    let chosen = props.chosen.as_ref();
    let marked = code.lines.iter().filter(|line| line.source.is_some() && line.source.as_ref() == chosen).count();
    let lines = code.lines.iter().map(|line| {
        let address = line.address;
        let on_action = props.on_action.clone();
        let toggle = Callback::from(move |_: MouseEvent| on_action.emit(Action::ToggleAddressBreakpoint(address)));
        let from_chosen = line.source.is_some() && line.source.as_ref() == chosen;
        let source = line.source.as_ref().map(|(file, number)| {
            let on_action = props.on_action.clone();
            let (file, number) = (file.clone(), *number);
            let place = format!("{file}:{number}");
            let title = format!("Made by {file} line {number}: open it in the editor");
            let show = Callback::from(move |_: MouseEvent| {
                on_action.emit(Action::ShowSource { file: file.clone(), line: number })
            });
            html! {
                <button class="source" data-test="code-source" data-source={place} aria-label={title.clone()} {title} onclick={show}>{ number }</button>
            }
        });
        html! {
            <>
                if let Some(label) = &line.label {
                    <li class="code-label" aria-hidden="true">{ format!("{label}:") }</li>
                }
                <li class={classes!("code-line", line.current.then_some("current"), line.breakpoint.then_some("breakpoint"), from_chosen.then_some("from-source"))}
                    data-test="code-line" data-address={hex(address)} data-current={line.current.to_string()} data-from-source={from_chosen.to_string()}
                    aria-current={line.current.then_some("step")}>
                    <button class="gutter" data-test="gutter" aria-pressed={line.breakpoint.to_string()}
                        title={if line.breakpoint { "Remove the breakpoint" } else { "Stop before this instruction" }} onclick={toggle}>
                        { if line.breakpoint { "●" } else if line.current { "▶" } else { "\u{a0}" } }
                    </button>
                    <span class="address">{ format!("{address:08x}") }</span>
                    <span class="bytes">{ &line.bytes }</span>
                    <span class="instruction">{ &line.text }</span>
                    { for source }
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
            if let Some((file, number)) = chosen {
                <p class="note" data-test="code-chosen-line">{
                    if marked > 0 {
                        format!("Marked: the {marked} instruction{} made by {file} line {number}.", if marked == 1 { "" } else { "s" })
                    } else {
                        format!("{file} line {number} made no instruction in this window (the editor says where its instructions are).")
                    }
                }</p>
            }
            if code.lines.is_empty() {
                <p class="note">{ "Nothing mapped at EIP in this space yet (the next fetch faults)." }</p>
            }
            <ol class="listing" ref={listing}>{ for lines }</ol>
        </section>
    }
}
