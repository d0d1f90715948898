//! The event log.

use wasm_bridge::EventView;
use yew::prelude::*;

#[derive(Properties, PartialEq, Debug)]
pub struct EventListProps {
    pub events: Vec<EventView>,
}

#[component]
pub fn EventList(props: &EventListProps) -> Html {
    html! {
        <section class="panel events" aria-label="Event log">
            <h2>{ format!("Events ({})", props.events.len()) }</h2>
            <ol data-test="event-list">
                { for props.events.iter().map(|event| html! {
                    <li key={event.index} data-test="event" data-kind={event.kind} data-source={event.source}>
                        <span class="event-source">{ event.source }</span>
                        <code>{ &event.text }</code>
                    </li>
                }) }
            </ol>
        </section>
    }
}
