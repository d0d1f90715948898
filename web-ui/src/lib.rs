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
}
