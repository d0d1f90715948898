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
mod mapping;
mod mapping_trees;
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
pub use mapping::{SpacesPanel, SpacesPanelProps};
pub use scrubber::{Scrubber, ScrubberProps};
pub use status::{StatusBar, StatusBarProps};
pub use timeline::{TimelinePanel, TimelinePanelProps};
pub use tlb::{TlbPanel, TlbPanelProps};
pub use toolbar::{Toolbar, ToolbarProps};

/// A thread id as people read it: `task.lthread` (the full id in hex is in
/// the title).
pub fn thread_name(id: u32) -> String {
    if id == 0 {
        return "nil".into();
    }
    if id >> 16 == 0 {
        return format!("IRQ {}", id.saturating_sub(1));
    }
    format!("{}.{}", (id >> 16) & 0xFF, (id >> 10) & 0x3F)
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
        assert_eq!(thread_name(0x0404_0401), "4.1");
        assert_eq!(thread_name(0x0402_0001), "2.0");
        assert_eq!(thread_name(1), "IRQ 0");
        assert_eq!(parse_number("0x1000"), Some(0x1000));
        assert_eq!(parse_number("4_096"), Some(4096));
        assert_eq!(parse_number("zz"), None);
        assert_eq!(escape("a<b & \"c\" 'd'>"), "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;");
    }
}
