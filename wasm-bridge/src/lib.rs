//! # wasm-bridge — what the explorer may see
//!
//! Two faces over one [`Simulator`]:
//! - a Rust API returning view types (DTOs, plain serde structs) that the yew
//!   app draws; the UI never names a kernel or model type;
//! - a JavaScript API (`#[wasm_bindgen]`) for scripting the simulator from the
//!   page and for the browser end-to-end tests.
//!
//! This is the only crate with `#[wasm_bindgen]` exports.
//!
//! Must never depend on: `web-ui`, yew or any UI crate; `kernel` or
//! `machine-model` directly (it sees them only through `sim`).

pub mod view;

use sim::{Budget, System, SystemConfig};
use wasm_bindgen::prelude::*;

pub use view::{CpuChoice, EventView, SystemView};

/// The simulator as the explorer drives it.
#[derive(Debug, Clone)]
pub struct Simulator {
    system: System,
    cpu: CpuChoice,
}

impl Simulator {
    /// A fresh machine with the kernel booted on it.
    pub fn boot(cpu: CpuChoice) -> Self {
        let mut system = System::new(SystemConfig::new(cpu.model()));
        if let Some(scenario) = sim::scenarios::find("hello")
            && let Ok(modules) = scenario.modules()
            && system.boot(&modules).is_ok()
        {
            system.run(Budget::instructions(1_000_000));
        }
        Self { system, cpu }
    }

    /// Everything the explorer shows, as plain data.
    pub fn view(&self) -> SystemView {
        SystemView::of(&self.system, self.cpu)
    }
}

/// The JavaScript handle: `new L4Simulator("486")`.
#[wasm_bindgen(js_name = L4Simulator)]
#[derive(Debug)]
pub struct JsSimulator {
    inner: Simulator,
}

#[wasm_bindgen(js_class = L4Simulator)]
impl JsSimulator {
    /// Boot a machine. `cpu` is "486" or "pentium".
    #[wasm_bindgen(constructor)]
    pub fn new(cpu: &str) -> Result<JsSimulator, JsError> {
        let cpu = CpuChoice::parse(cpu).map_err(|message| JsError::new(&message))?;
        Ok(Self { inner: Simulator::boot(cpu) })
    }

    /// The whole view as JSON (see `view.rs` for the fields).
    #[wasm_bindgen(js_name = viewJson)]
    pub fn view_json(&self) -> String {
        serde_json::to_string(&self.inner.view()).unwrap_or_else(|error| format!("{{\"error\":\"{error}\"}}"))
    }
}
