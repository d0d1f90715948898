//! Pure components: props in, HTML and callbacks out. Side effects (files,
//! downloads, the URL, the clock) stay in `app.rs`.

mod breakpoints;
mod code;
mod console;
mod costs;
mod cpu;
mod editor;
mod events;
mod help;
mod lessons;
mod mapping;
mod mapping_trees;
mod memory;
mod scrubber;
mod status;
mod timeline;
mod timeline_canvas;
pub mod timeline_drawing;
mod tlb;
mod toolbar;

pub use breakpoints::{BreakpointPanel, BreakpointPanelProps};
pub use code::{CodePanel, CodePanelProps};
pub use console::{ConsolePanel, ConsolePanelProps};
pub use costs::{CostsPanel, CostsPanelProps};
pub use cpu::{CpuPanel, CpuPanelProps};
pub use editor::{EditorPanel, EditorPanelProps};
pub use events::{EventList, EventListProps};
pub use help::{HelpOverlay, HelpOverlayProps};
pub use lessons::{LessonsPanel, LessonsPanelProps};
pub use mapping::{SpacesPanel, SpacesPanelProps};
pub use memory::{FOLLOWABLE, MemoryPanel, MemoryPanelProps, parse_place};
pub use scrubber::{Scrubber, ScrubberProps};
pub use status::{StatusBar, StatusBarProps};
pub use timeline::{TimelinePanel, TimelinePanelProps};
pub use tlb::{TlbPanel, TlbPanelProps};
pub use toolbar::{Toolbar, ToolbarProps};

/// A thread typed by the user: a name (`pong`), `task.thread` (`6.0`) or
/// a thread id (`0x04060001`); empty is "any". Thread filters and
/// breakpoints match by task and thread number, so the id's version and
/// chief do not matter.
pub fn parse_thread(text: &str, names: &wasm_bridge::NamesView) -> Result<Option<u32>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let id = |task: u32, lthread: u32| (task << 16) | (lthread << 10) | 1;
    if let Some((task, lthread)) = names.find(text) {
        return Ok(Some(id(task, lthread)));
    }
    // `pong.2`: a further thread of a named task; `task 7`, `task 7.2`: unnamed ones.
    if let Some((name, lthread)) = text.rsplit_once('.')
        && let (Some((task, 0)), Ok(lthread)) = (names.find(name), lthread.parse::<u32>())
        && lthread < 64
    {
        return Ok(Some(id(task, lthread)));
    }
    let text = text.strip_prefix("task ").map_or(text, |rest| rest.trim());
    if let Ok(task) = text.parse::<u32>()
        && task < 256
        && !text.is_empty()
        && text.len() <= 3
    {
        return Ok(Some(id(task, 0)));
    }
    if let Some(irq) = text.strip_prefix("irq ").and_then(|irq| irq.trim().parse::<u32>().ok()).filter(|irq| *irq < 16)
    {
        return Ok(Some(irq + 1));
    }
    if let Some((task, lthread)) = text.split_once('.')
        && let (Ok(task), Ok(lthread)) = (task.parse::<u32>(), lthread.parse::<u32>())
        && task < 256
        && lthread < 64
    {
        return Ok(Some(id(task, lthread)));
    }
    if let Some(number) = parse_number(text) {
        return Ok(Some(number));
    }
    let known: Vec<String> = names.declared().into_iter().map(|(_, _, name)| name).collect();
    Err(format!(
        "no thread is called `{text}`: write one of {}, task.thread (5.0) or an id (0x04050001)",
        known.join(", ")
    ))
}

/// `0x0040_0000` style: eight hex digits.
pub fn hex(value: u32) -> String {
    format!("{value:#010x}")
}

/// Text made safe inside HTML or SVG markup (element content and quoted
/// attribute values), for the views drawn as markup strings.
pub fn escape(text: &str) -> String {
    let mut safe = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => safe.push_str("&amp;"),
            '<' => safe.push_str("&lt;"),
            '>' => safe.push_str("&gt;"),
            '"' => safe.push_str("&quot;"),
            '\'' => safe.push_str("&#39;"),
            other => safe.push(other),
        }
    }
    safe
}

/// The `data-index` and `data-instruction` of the nearest element around an
/// event's target that matches `selector`: how the views drawn as markup
/// find what was clicked (one listener for the whole drawing).
pub fn clicked_event(target: Option<web_sys::EventTarget>, selector: &str) -> Option<(u64, u64)> {
    use web_sys::wasm_bindgen::JsCast;
    let element = target?.dyn_into::<web_sys::Element>().ok()?.closest(selector).ok()??;
    let index = element.get_attribute("data-index")?.parse().ok()?;
    let instruction = element.get_attribute("data-instruction")?.parse().ok()?;
    Some((index, instruction))
}

/// Parse a number typed by a user: hex with `0x`, else decimal.
pub fn parse_number(text: &str) -> Option<u32> {
    let text = text.trim().replace('_', "");
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(digits) => u32::from_str_radix(digits, 16).ok(),
        None => text.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers() {
        let names = wasm_bridge::NamesView::default();
        assert_eq!(parse_thread("4.1", &names), Ok(Some(0x0004_0401)));
        assert_eq!(parse_thread("0x04020001", &names), Ok(Some(0x0402_0001)));
        assert_eq!(parse_thread("irq 4", &names), Ok(Some(5)));
        assert_eq!(parse_thread(" ", &names), Ok(None));
        assert_eq!(parse_thread("task 7", &names), Ok(Some(0x0007_0001)));
        assert_eq!(parse_thread("task 7.2", &names), Ok(Some(0x0007_0801)));
        assert!(parse_thread("pong", &names).unwrap_err().contains("no thread is called `pong`"));
        assert_eq!(parse_number("0x1000"), Some(0x1000));
        assert_eq!(parse_number("4_096"), Some(4096));
        assert_eq!(parse_number("zz"), None);
        assert_eq!(escape("a<b & \"c\" 'd'>"), "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;");
    }
}
