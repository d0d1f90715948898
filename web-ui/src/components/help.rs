//! The `?` overlay: every keyboard shortcut.

use crate::keys::SHORTCUTS;
use crate::state::Action;
use yew::prelude::*;

#[derive(Properties, PartialEq, Debug)]
pub struct HelpOverlayProps {
    pub on_action: Callback<Action>,
}

#[component]
pub fn HelpOverlay(props: &HelpOverlayProps) -> Html {
    let close = {
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(Action::ToggleHelp))
    };
    html! {
        <div class="overlay" data-test="help" role="dialog" aria-modal="true" aria-labelledby="help-title">
            <div class="dialog">
                <h2 id="help-title">{ "Keyboard shortcuts" }</h2>
                <table>
                    <tbody>
                        { for SHORTCUTS.iter().map(|(key, what)| html! {
                            <tr><th scope="row"><kbd>{ *key }</kbd></th><td>{ *what }</td></tr>
                        }) }
                    </tbody>
                </table>
                <p>{ "Tab moves between controls; Enter or Space presses the focused one. Clicking an event or an arrow on the timeline moves the whole machine to that moment." }</p>
                <button data-test="help-close" onclick={close} autofocus=true>{ "Close (Esc)" }</button>
            </div>
        </div>
    }
}
