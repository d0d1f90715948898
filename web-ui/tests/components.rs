//! Component tests: each component rendered alone into the page of a real
//! headless Chromium (`cargo xtask test --only components`).
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_ui::components::{EventList, StatusBar};

wasm_bindgen_test_configure!(run_in_browser);

/// A fresh element appended to the body (never replace the body: the test
/// runner keeps its output there).
fn mount_point() -> web_sys::Element {
    let document = gloo::utils::document();
    let element = document.create_element("div").expect("a div can be created");
    document.body().expect("the page has a body").append_child(&element).expect("append works");
    element
}

async fn settle() {
    yew::platform::time::sleep(std::time::Duration::from_millis(10)).await;
}

#[wasm_bindgen_test]
async fn status_bar_names_the_cpu_and_the_build() {
    let root = mount_point();
    let props =
        web_ui::components::StatusBarProps { cpu: wasm_bridge::CpuChoice::Pentium, clock_mhz: 166, memory_kb: 16384 };
    yew::Renderer::<StatusBar>::with_root_and_props(root.clone(), props).render();
    settle().await;
    let text = root.text_content().unwrap_or_default();
    assert!(text.contains("Pentium at 166 MHz, 16384 KB"), "{text}");
    assert!(text.contains(&format!("l4-explorer {}", env!("CARGO_PKG_VERSION"))), "{text}");
}

#[wasm_bindgen_test]
async fn event_list_shows_every_event_from_a_booted_kernel() {
    let simulator = wasm_bridge::Simulator::boot(wasm_bridge::CpuChoice::I486);
    let events = simulator.view().events;
    assert!(!events.is_empty(), "the kernel emitted events");
    let root = mount_point();
    let props = web_ui::components::EventListProps { events: events.clone() };
    yew::Renderer::<EventList>::with_root_and_props(root.clone(), props).render();
    settle().await;
    let items = root.query_selector_all("[data-test=event]").expect("selector is valid");
    assert_eq!(items.length() as usize, events.len());
    let heading = root.query_selector("h2").ok().flatten().and_then(|heading| heading.text_content());
    assert_eq!(heading.as_deref(), Some(format!("Events ({})", events.len()).as_str()));
}
