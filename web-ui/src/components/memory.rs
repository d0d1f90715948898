//! Memory as Bochs' `x`/`xp` show it: hex and ASCII, sixteen bytes a row,
//! of an address space (through its page tables: an unmapped page says so,
//! and each row's frame is on hover) or of physical memory. It follows a
//! register, or goes to an address or a label typed in; bytes the last step
//! changed are marked.
//!
//! The rows are one piece of markup (a step re-parses 16 short rows, not
//! 256 virtual nodes).

use super::parse_number;
use crate::state::Action;
use wasm_bridge::{MemorySpace, MemoryView, SpaceView};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// The registers the view can follow.
pub const FOLLOWABLE: [&str; 9] = ["esp", "eip", "eax", "ebx", "ecx", "edx", "esi", "edi", "ebp"];

#[derive(Properties, PartialEq, Debug)]
pub struct MemoryPanelProps {
    pub view: MemoryView,
    /// The same window before the last step (for the change marks).
    pub previous: Option<MemoryView>,
    /// The register followed, if any.
    pub follow: Option<String>,
    /// The spaces to choose from.
    pub spaces: Vec<SpaceView>,
    /// Why the last address typed could not be used.
    #[prop_or_default]
    pub problem: String,
    pub on_action: Callback<Action>,
}

/// The rows, as yew nodes reconciled in place (not keyed): a step that
/// shows other bytes, or another space, changes text and a few attributes
/// of the cells that are there, instead of making the browser build new
/// rows and lay them out again (one piece of markup for the table, or rows
/// keyed by address, cost a step with a thread switch ~4 ms more in
/// Chromium, most of it in the layout the code view's scroll forces).
fn rows_html(view: &MemoryView, previous: Option<&MemoryView>) -> Html {
    use std::fmt::Write;
    let before = |address: u32| {
        previous.filter(|previous| previous.space == view.space && previous.task == view.task).and_then(|previous| {
            previous
                .rows
                .iter()
                .find(|row| row.address == address & !15)
                .and_then(|row| row.bytes[(address & 15) as usize])
        })
    };
    let rows = view.rows.iter().map(|row| {
        let mapped = row.bytes.iter().any(Option::is_some);
        let title = match row.physical {
            Some(physical) => format!(
                "{:#010x} is at physical {physical:#010x} (frame {:#x}){}",
                row.address,
                physical & !0xFFF,
                if row.writable { "" } else { ", read-only" }
            ),
            None => "not mapped in this space".to_string(),
        };
        let address = format!("{:#010x}", row.address);
        let class = if mapped { "mapped" } else { "unmapped" };
        // The bytes as runs of text, a span only for a byte the last step
        // changed: a step that shows other bytes (another thread's stack)
        // changes one text node per row, not sixteen. The same cells for a
        // row that is not mapped.
        let mut ascii = String::with_capacity(16);
        let mut pieces: Vec<Html> = Vec::new();
        let mut run = String::with_capacity(56);
        for (offset, byte) in row.bytes.iter().enumerate() {
            let at = row.address + offset as u32;
            if offset > 0 {
                run.push_str(if offset == 8 { "  " } else { " " });
            }
            let changed = byte.is_some_and(|value| before(at).is_some_and(|old| old != value));
            match byte {
                Some(value) if changed => {
                    pieces.push(Html::from(std::mem::take(&mut run)));
                    pieces.push(
                        html! { <span data-test="memory-byte" class="changed">{ format!("{value:02x}") }</span> },
                    );
                }
                Some(value) => {
                    let _ = write!(run, "{value:02x}");
                }
                None => run.push_str("··"),
            }
            if let Some(value) = byte {
                ascii.push(if value.is_ascii_graphic() || *value == b' ' { *value as char } else { '.' });
            }
        }
        pieces.push(Html::from(run));
        let bytes = pieces.into_iter();
        let bytes: Html = bytes.collect();
        if !mapped {
            ascii = "unmapped".to_string();
        }
        html! {
            <tr data-test="memory-row" data-address={address} class={class} {title}>
                <th>{ format!("{:08x}", row.address) }</th>
                <td class="bytes">{ bytes }</td>
                <td class="ascii">{ ascii }</td>
            </tr>
        }
    });
    html! {
        <table class="memory-rows" data-test="memory-rows">
            <colgroup><col class="address" /><col class="bytes" /><col class="ascii" /></colgroup>
            <tbody>{ for rows }</tbody>
        </table>
    }
}

#[component]
pub fn MemoryPanel(props: &MemoryPanelProps) -> Html {
    let address_input = use_node_ref();
    let on_space = {
        let on_action = props.on_action.clone();
        Callback::from(move |event: Event| {
            let value = event.target_unchecked_into::<HtmlSelectElement>().value();
            let space = match value.as_str() {
                "current" => MemorySpace::Current,
                "physical" => MemorySpace::Physical,
                task => match task.parse() {
                    Ok(task) => MemorySpace::Task(task),
                    Err(_) => MemorySpace::Current,
                },
            };
            on_action.emit(Action::SetMemorySpace(space));
        })
    };
    let on_follow = {
        let on_action = props.on_action.clone();
        Callback::from(move |event: Event| {
            let value = event.target_unchecked_into::<HtmlSelectElement>().value();
            on_action.emit(Action::FollowRegister((!value.is_empty()).then_some(value)));
        })
    };
    let on_go = {
        let on_action = props.on_action.clone();
        let address_input = address_input.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if let Some(input) = address_input.cast::<HtmlInputElement>() {
                on_action.emit(Action::GoToMemory(input.value()));
            }
        })
    };
    let watch_input = use_node_ref();
    let watch_kind = use_node_ref();
    let on_watch = {
        let on_action = props.on_action.clone();
        let (watch_input, watch_kind) = (watch_input.clone(), watch_kind.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let address = watch_input.cast::<HtmlInputElement>().map(|input| input.value()).unwrap_or_default();
            let kind = match watch_kind.cast::<HtmlSelectElement>().map(|select| select.value()).as_deref() {
                Some("read") => wasm_bridge::WatchKind::Read,
                Some("access") => wasm_bridge::WatchKind::Access,
                _ => wasm_bridge::WatchKind::Write,
            };
            on_action.emit(Action::AddWatchpoint { address, kind });
        })
    };
    let scroll = |rows: i64| {
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(Action::ScrollMemory(rows)))
    };
    let view = &props.view;
    let space_value = match view.space {
        MemorySpace::Current => "current".to_string(),
        MemorySpace::Task(task) => task.to_string(),
        MemorySpace::Physical => "physical".to_string(),
    };
    let rows = rows_html(view, props.previous.as_ref());
    html! {
        <section class="panel memory" data-test="memory" aria-label="Memory">
            <header class="panel-header">
                <h2>{ "Memory" }</h2>
                <span class="note" data-test="memory-space-name">{ &view.name }</span>
            </header>
            <div class="filters memory-controls">
                <label>{ "space " }
                    <select data-test="memory-space" onchange={on_space}>
                        <option value="current" selected={space_value == "current"}>{ "of the current thread" }</option>
                        { for props.spaces.iter().map(|space| html! {
                            <option value={space.task.to_string()} selected={space_value == space.task.to_string()}>{ &space.name }</option>
                        }) }
                        <option value="physical" selected={space_value == "physical"}>{ "physical memory" }</option>
                    </select>
                </label>
                <label>{ "follow " }
                    <select data-test="memory-follow" onchange={on_follow}>
                        <option value="" selected={props.follow.is_none()}>{ "nothing" }</option>
                        { for FOLLOWABLE.iter().map(|register| html! {
                            <option value={*register} selected={props.follow.as_deref() == Some(*register)}>{ register.to_uppercase() }</option>
                        }) }
                    </select>
                </label>
                <form onsubmit={on_go} class="memory-go">
                    <label>{ "go to " }<input ref={address_input} data-test="memory-address" size="12" placeholder="0x402000, esp or a label"
                        title="An address (hex or decimal), a register (esp) or a label of the programs" /></label>
                    <button type="submit" data-test="memory-go">{ "Go" }</button>
                </form>
                <span class="group">
                    <button onclick={scroll(-16)} title="256 bytes earlier">{ "▲" }</button>
                    <button onclick={scroll(16)} title="256 bytes later">{ "▼" }</button>
                </span>
            </div>
            <form onsubmit={on_watch} class="memory-watch">
                <label>{ "stop when the word at " }<input ref={watch_input} data-test="watch-address" size="12" placeholder="address, esp or label" /></label>
                <label>{ " is " }
                    <select ref={watch_kind} data-test="watch-kind">
                        <option value="write">{ "written" }</option>
                        <option value="read">{ "read" }</option>
                        <option value="access">{ "read or written" }</option>
                    </select>
                </label>
                <button type="submit" data-test="watch-add" title="A watchpoint: in the breakpoints list">{ "Watch" }</button>
            </form>
            if !props.problem.is_empty() {
                <p class="inline-error" role="alert" data-test="memory-problem">{ &props.problem }</p>
            }
            // The whole table as markup: rows alone would be parsed outside a table and lost.
            { rows }
            <p class="note">{ "Bytes the last step changed are marked; a row's frame is on hover." }</p>
        </section>
    }
}

/// Read "go to" text: a number, a register or a label, with an optional
/// `+N` or `-N` (`esp-4`, `buffer+8`); None: not known.
pub fn parse_place(
    text: &str,
    register: impl Fn(&str) -> Option<u32>,
    label: impl Fn(&str) -> Option<u32>,
) -> Option<u32> {
    let text = text.trim();
    let (base, offset) = match text.rfind(['+', '-']).filter(|at| *at > 0) {
        Some(at) => {
            let amount = parse_number(text[at + 1..].trim())?;
            let signed = if text.as_bytes()[at] == b'-' { -i64::from(amount) } else { i64::from(amount) };
            (text[..at].trim(), signed)
        }
        None => (text, 0),
    };
    let value = parse_number(base).or_else(|| register(&base.to_ascii_lowercase())).or_else(|| label(base))?;
    u32::try_from(i64::from(value) + offset).ok()
}

#[cfg(test)]
mod tests {
    use super::parse_place;

    #[test]
    fn places_are_numbers_registers_or_labels_with_an_offset() {
        let register = |name: &str| (name == "esp").then_some(0x1000);
        let label = |name: &str| (name == "buffer").then_some(0x40_2000);
        assert_eq!(parse_place("0x402000", register, label), Some(0x40_2000));
        assert_eq!(parse_place("ESP", register, label), Some(0x1000));
        assert_eq!(parse_place("esp-4", register, label), Some(0xFFC));
        assert_eq!(parse_place("buffer + 0x10", register, label), Some(0x40_2010));
        assert_eq!(parse_place("nonesuch", register, label), None);
        assert_eq!(parse_place("0-8", register, label), None, "below zero");
    }
}
