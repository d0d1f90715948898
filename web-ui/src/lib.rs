//! # web-ui — the explorer
//!
//! A yew app that boots the kernel on the machine model (through
//! `wasm-bridge`) and shows what really happened.
//!
//! Structure (after the yew examples): one `Action` enum and reducer in
//! `state.rs`; pure components in `components/` that take props and
//! callbacks; side effects only at the root (`app.rs`).
//!
//! Must never depend on: `kernel`, `machine-model` or `sim` — it sees the
//! simulator only through `wasm-bridge`'s view types. No `#[wasm_bindgen]`
//! here either: exports belong to `wasm-bridge`.

pub mod app;
pub mod components;
pub mod keys;
pub mod state;
pub mod url;

/// Version and build facts for the status bar.
pub mod build_info {
    pub const VERSION: &str = env!("CARGO_PKG_VERSION");
    pub const COMMIT: &str = env!("L4_BUILD_COMMIT");
    pub const PROFILE: &str = env!("L4_BUILD_PROFILE");
}

/// Mount the explorer into the page's `#app` element (or the body).
pub fn start() {
    let root = gloo::utils::document().get_element_by_id("app");
    match root {
        Some(element) => yew::Renderer::<app::App>::with_root(element).render(),
        None => yew::Renderer::<app::App>::new().render(),
    };
    // After yew's renderer, which installs its own hook (the message on the
    // console): ours runs after it and tells the person at the page.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |information| {
        previous(information);
        show_crash(&information.to_string());
    }));
}

/// After a panic the app cannot go on: say so in the page, with the way
/// back — the address holds the moment written at the last pause, so
/// reloading it returns there. (`static/index.html` does the same for a
/// trap that is not a panic, such as running out of memory.)
fn show_crash(message: &str) {
    let document = gloo::utils::document();
    if document.get_element_by_id("crash").is_some() {
        return;
    }
    let Ok(panel) = document.create_element("div") else { return };
    panel.set_id("crash");
    let _ = panel.set_attribute("role", "alert");
    let _ = panel.set_attribute("data-test", "crash");
    let short: String = message.chars().take(400).collect();
    let escaped = components::escape(&short);
    panel.set_inner_html(&format!(
        "<div class=\"dialog\"><h2>The explorer stopped</h2><p>An error it cannot recover from: <code>{escaped}</code></p>\
         <p>The address holds the moment of your last pause. <a href=\"\" data-test=\"crash-reload\" onclick=\"location.reload(); return false;\">Reload at the last good moment</a></p>\
         <p class=\"note\">Please report it with the address and this message.</p></div>"
    ));
    if let Some(body) = document.body() {
        let _ = body.append_child(&panel);
        let _ = body.set_attribute("data-crashed", "true");
    }
}
