//! # wasm-bridge — what the explorer may see
//!
//! Two faces over one [`Session`]:
//! - a Rust API returning view types (DTOs, plain serde structs) that the yew
//!   app draws; the UI never names a kernel or model type;
//! - a JavaScript API (`#[wasm_bindgen]`, `L4Simulator`) for scripting the
//!   simulator from the page's console and for the browser tests.
//!
//! This is the only crate with `#[wasm_bindgen]` exports.
//!
//! Must never depend on: `web-ui`, yew or any UI crate; `kernel` or
//! `machine-model` directly (it sees them only through `sim`).

pub mod breakdown;
pub mod breakpoints;
pub mod export;
pub mod lesson;
pub mod memory;
pub mod session;
pub mod source;
pub mod timeline;
pub mod view;
pub mod views;

pub use breakdown::{CostPartView, IpcBreakdownView};
pub use breakpoints::Breakpoint;
pub use lesson::{LessonSource, lessons};
pub use memory::{MemoryRowView, MemorySpace, MemoryView};
pub use session::{Session, SessionConfig};
/// The share-link codec (deflate + base64url) for lessons and programs.
pub use sim::lesson::format::link;
/// Which accesses a watchpoint stops at.
pub use sim::model::WatchKind;
pub use view::*;
pub use views::EventQuery;

use wasm_bindgen::prelude::*;

/// The scenarios to pick from: (name, title, description).
pub fn scenarios() -> Vec<(&'static str, &'static str, &'static str)> {
    sim::scenarios::SCENARIOS.iter().map(|scenario| (scenario.name, scenario.title, scenario.description)).collect()
}

/// Costs of a scenario run to its end (bounded) on one CPU, for the side-by-side table.
pub fn compare_costs(scenario: &str, cpu: CpuChoice, small_spaces: bool) -> Result<CostsView, String> {
    let mut session = Session::new(SessionConfig { scenario: scenario.to_string(), cpu, small_spaces })?;
    for _ in 0..40 {
        if !session.run_slice(250_000) {
            break;
        }
    }
    Ok(session.costs())
}

/// The model's speed benchmark, run in the page by `cargo xtask bench model`:
/// `benchModel("486", "integer", 50000000)` → JSON `{instructions,
/// milliseconds, mips}`. The workload is "integer" (a tight loop) or
/// "paging" (64 pages, a CR3 load every 1,000 instructions).
#[wasm_bindgen(js_name = benchModel)]
pub fn bench_model(cpu: &str, workload: &str, instructions: f64) -> Result<String, JsError> {
    use sim::model::workload::{Workload, measure};
    let model = CpuChoice::parse(cpu).map_err(|message| JsError::new(&message))?.model();
    let workload = match workload {
        "integer" => Workload::IntegerLoop,
        "paging" => Workload::PagesWithCr3Loads,
        other => return Err(JsError::new(&format!("unknown workload `{other}`: choose `integer` or `paging`"))),
    };
    if !(instructions.is_finite() && instructions >= 1.0) {
        return Err(JsError::new("the instruction count must be a positive number"));
    }
    let result =
        measure(model, workload, instructions as u64, js_sys::Date::now).map_err(|error| JsError::new(&error))?;
    Ok(serde_json::json!({
        "instructions": result.instructions,
        "milliseconds": result.milliseconds,
        "mips": result.millions_per_second(),
    })
    .to_string())
}

/// Panic on purpose: `l4.crashForTest()` shows what the page does when the
/// explorer meets an error it cannot recover from (the tests use it).
#[wasm_bindgen(js_name = crashForTest)]
pub fn crash_for_test() {
    panic!("a crash asked for by l4.crashForTest()");
}

/// The JavaScript handle: `new L4Simulator("ping-pong", "486", false)`.
#[wasm_bindgen(js_name = L4Simulator)]
#[derive(Debug)]
pub struct JsSimulator {
    inner: Session,
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|error| format!("{{\"error\":\"{error}\"}}"))
}

#[wasm_bindgen(js_class = L4Simulator)]
impl JsSimulator {
    /// Boot a scenario. `cpu` is "486" or "pentium".
    #[wasm_bindgen(constructor)]
    pub fn new(scenario: &str, cpu: &str, small_spaces: bool) -> Result<JsSimulator, JsError> {
        let cpu = CpuChoice::parse(cpu).map_err(|message| JsError::new(&message))?;
        let inner = Session::new(SessionConfig { scenario: scenario.to_string(), cpu, small_spaces })
            .map_err(|message| JsError::new(&message))?;
        Ok(Self { inner })
    }

    /// Status, threads, CPU, console, TLBs, mapping trees and costs as JSON.
    #[wasm_bindgen(js_name = viewJson)]
    pub fn view_json(&self) -> String {
        #[derive(serde::Serialize)]
        struct Whole {
            status: StatusView,
            threads: Vec<ThreadView>,
            cpu: CpuView,
            console: String,
            tlbs: Vec<TlbView>,
            mapping_trees: Vec<MappingTreeView>,
            costs: CostsView,
        }
        json(&Whole {
            status: self.inner.status(),
            threads: self.inner.threads(),
            cpu: self.inner.cpu(),
            console: self.inner.console(),
            tlbs: self.inner.tlbs(),
            mapping_trees: self.inner.mapping_trees(false),
            costs: self.inner.costs(),
        })
    }

    /// The kernel events so far (at most `limit`, the latest) as JSON.
    #[wasm_bindgen(js_name = eventsJson)]
    pub fn events_json(&self, limit: usize) -> String {
        json(&self.inner.events(&EventQuery { limit, ..EventQuery::default() }))
    }

    #[wasm_bindgen(js_name = stepInstruction)]
    pub fn step_instruction(&mut self) {
        self.inner.step_instruction();
    }

    #[wasm_bindgen(js_name = stepEvent)]
    pub fn step_event(&mut self) {
        self.inner.step_event();
    }

    #[wasm_bindgen(js_name = stepIpc)]
    pub fn step_ipc(&mut self) {
        self.inner.step_ipc();
    }

    /// Run up to `instructions`; false when a breakpoint or the end stopped it.
    pub fn run(&mut self, instructions: u32) -> bool {
        self.inner.run_slice(instructions as u64)
    }

    #[wasm_bindgen(js_name = reverseStep)]
    pub fn reverse_step(&mut self) {
        self.inner.reverse_step();
    }

    /// Go to a position (user instructions retired).
    pub fn seek(&mut self, position: f64) {
        self.inner.seek(position.max(0.0) as u64);
    }

    /// The position (user instructions retired).
    pub fn position(&self) -> f64 {
        self.inner.position() as f64
    }

    /// The whole trace in the Chrome/Perfetto trace format.
    #[wasm_bindgen(js_name = perfettoTrace)]
    pub fn perfetto_trace(&self) -> String {
        export::perfetto(&self.inner)
    }
}
