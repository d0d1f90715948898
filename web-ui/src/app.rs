//! The root component: owns the state, wires the panels together.

use crate::components::{ConsolePanel, EventList, StatusBar, Toolbar};
use crate::state::{Action, ExplorerState};
use yew::prelude::*;

#[component]
pub fn App() -> Html {
    let state = use_reducer(ExplorerState::default);
    let on_select_cpu = {
        let state = state.clone();
        Callback::from(move |cpu| state.dispatch(Action::SelectCpu(cpu)))
    };
    let on_reset = {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(Action::Reset))
    };
    let view = &state.view;
    html! {
        <div class="explorer">
            <Toolbar cpu={view.cpu} {on_select_cpu} {on_reset} />
            <main class="main-area" aria-label="Machine">
                <ConsolePanel console={view.console.clone()} />
            </main>
            <aside class="side-panel" aria-label="Events">
                <EventList events={view.events.clone()} />
            </aside>
            <StatusBar cpu={view.cpu} clock_mhz={view.clock_mhz} memory_kb={view.memory_kb} />
        </div>
    }
}
