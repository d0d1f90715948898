//! Keyboard first: every action has a key that the browser does not use
//! (no F5, no Ctrl/Alt combinations), listed by the `?` overlay.

use crate::state::Action;

/// (key, what it does) for the help overlay.
pub const SHORTCUTS: &[(&str, &str)] = &[
    ("n", "lesson: run to the step's moment, then the next step (starts the first lesson)"),
    ("p", "lesson: back to where the step began, or the step before"),
    ("v", "lesson: reveal the answer to the step's question"),
    ("s", "step one instruction"),
    ("e", "step to the next kernel event"),
    ("i", "step over an IPC (to the next delivered message)"),
    ("r / space", "run or pause"),
    ("b", "back one instruction"),
    ("B", "back to the previous kernel event"),
    ("+ / -", "run faster / slower"),
    ("] / [", "timeline: zoom in / out"),
    (", / .", "timeline: earlier / later"),
    ("f", "timeline: follow the present"),
    (
        "m",
        "timeline: choose messages with ← → Home End (Enter goes there); the Costs view (4) breaks the chosen one into parts",
    ),
    ("1 2 3 4 5", "address spaces, TLB, CPU, costs, memory"),
    ("c / d / o", "code, editor, console"),
    ("t", "light or dark theme"),
    ("0", "reset (boot again)"),
    ("?", "this help"),
];

/// `m`: into the timeline's drawing, whose own keys (← → Home End, Enter)
/// choose a message; no action of the explorer's state. Whether it was there.
pub fn focus_timeline() -> bool {
    use web_sys::wasm_bindgen::JsCast;
    let drawing = gloo::utils::document()
        .query_selector("[data-test=timeline-canvas]")
        .ok()
        .flatten()
        .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok());
    drawing.is_some_and(|drawing| drawing.focus().is_ok())
}

/// The action for a key press (`None`: not ours, let the browser have it).
pub fn action(key: &str, speed: usize) -> Option<Action> {
    use crate::state::{CodeTab, MachineTab};
    Some(match key {
        "s" => Action::StepInstruction,
        "e" => Action::StepEvent,
        "i" => Action::StepIpc,
        "r" | " " => Action::ToggleRun,
        "b" => Action::ReverseStep,
        "B" => Action::ReverseEvent,
        "+" | "=" => Action::SetSpeed(speed + 1),
        "-" => Action::SetSpeed(speed.saturating_sub(1)),
        "]" => Action::ZoomTimeline { closer: true },
        "[" => Action::ZoomTimeline { closer: false },
        "," => Action::PanTimeline { later: false },
        "." => Action::PanTimeline { later: true },
        "f" => Action::FollowTimeline,
        "1" => Action::ShowMachineTab(MachineTab::Spaces),
        "2" => Action::ShowMachineTab(MachineTab::Tlb),
        "3" => Action::ShowMachineTab(MachineTab::Cpu),
        "4" => Action::ShowMachineTab(MachineTab::Costs),
        "5" => Action::ShowMachineTab(MachineTab::Memory),
        "c" => Action::ShowCodeTab(CodeTab::Code),
        "d" => Action::ShowCodeTab(CodeTab::Editor),
        "o" => Action::ShowCodeTab(CodeTab::Console),
        "t" => Action::ToggleTheme,
        "0" => Action::Reset,
        "?" => Action::ToggleHelp,
        "n" => Action::LessonNext,
        "p" => Action::LessonPrevious,
        "v" => Action::LessonReveal,
        _ => return None,
    })
}
