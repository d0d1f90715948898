//! The kernel-debugger console.

use yew::prelude::*;

#[derive(Properties, PartialEq, Debug)]
pub struct ConsoleProps {
    pub console: String,
}

#[component]
pub fn ConsolePanel(props: &ConsoleProps) -> Html {
    html! {
        <section class="panel console" aria-label="Kernel debugger console">
            <h2>{ "Console" }</h2>
            <pre data-test="console">{ props.console.replace('\r', "") }</pre>
        </section>
    }
}
