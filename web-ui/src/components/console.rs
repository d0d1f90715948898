//! The console: what the kernel debugger printed (the serial line), a line
//! of input for its `inchar`, and the VGA text screen.

use crate::state::Action;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq, Debug)]
pub struct ConsolePanelProps {
    pub console: String,
    /// The VGA text screen: 25 rows of (text, attribute per cell).
    pub vga: Vec<(String, Vec<u8>)>,
    pub on_action: Callback<Action>,
}

/// Runs of equal attributes in one VGA row.
fn vga_row(text: &str, attributes: &[u8]) -> Html {
    let characters: Vec<char> = text.chars().collect();
    let mut runs = Vec::new();
    let mut start = 0;
    while start < characters.len() {
        let attribute = attributes.get(start).copied().unwrap_or(0x07);
        let mut end = start + 1;
        while end < characters.len() && attributes.get(end).copied().unwrap_or(0x07) == attribute {
            end += 1;
        }
        let run: String = characters[start..end].iter().collect();
        runs.push(html! { <span class={format!("vga-fg-{} vga-bg-{}", attribute & 0xF, (attribute >> 4) & 0x7)}>{ run }</span> });
        start = end;
    }
    html! { <div class="vga-row">{ for runs }</div> }
}

#[component]
pub fn ConsolePanel(props: &ConsolePanelProps) -> Html {
    let input = use_node_ref();
    let send = {
        let input = input.clone();
        let on_action = props.on_action.clone();
        move || {
            if let Some(field) = input.cast::<HtmlInputElement>() {
                on_action.emit(Action::TypeInput(format!("{}\r", field.value())));
                field.set_value("");
            }
        }
    };
    let on_submit = {
        let send = send.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            send();
        })
    };
    let blank = props.vga.iter().all(|(text, _)| text.trim().is_empty());
    html! {
        <section class="panel console-panel" aria-label="Console">
            <h2>{ "Kernel debugger console (COM1)" }</h2>
            <pre class="console" data-test="console" aria-live="polite">{ &props.console }</pre>
            <form class="console-input" onsubmit={on_submit}>
                <label for="console-input">{ "Input " }</label>
                <input id="console-input" data-test="console-input" ref={input} type="text" autocomplete="off"
                    placeholder="characters for the kernel debugger's inchar (Enter sends them with a CR)" />
                <button type="submit">{ "Send" }</button>
            </form>
            <h2>{ "VGA text screen" }</h2>
            if blank {
                <p class="note" data-test="vga-blank">{ "blank: nothing has written to 0xB8000 yet" }</p>
            } else {
                <div class="vga" data-test="vga" role="img" aria-label={props.vga.iter().map(|(text, _)| text.trim_end()).collect::<Vec<_>>().join("\n")}>
                    { for props.vga.iter().map(|(text, attributes)| vga_row(text, attributes)) }
                </div>
            }
        </section>
    }
}
