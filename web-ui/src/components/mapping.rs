//! Address spaces: the mapping database as one tree per physical frame,
//! rooted in sigma0 (drawn and animated by [`MappingTrees`]); the selected
//! space's memory map; its page directory and one page table.

use super::hex;
use super::mapping_trees::MappingTrees;
use crate::state::Action;
use wasm_bridge::{EntryView, MappingTreeView, RangeView, SpaceView};
use yew::prelude::*;

#[derive(Properties, PartialEq, Debug)]
pub struct SpacesPanelProps {
    pub trees: Vec<MappingTreeView>,
    pub spaces: Vec<SpaceView>,
    pub memory_map: Vec<RangeView>,
    pub directory: Vec<EntryView>,
    pub table: Vec<EntryView>,
    pub selected_space: u32,
    pub selected_entry: Option<u32>,
    pub all_trees: bool,
    /// Whether changes to the trees are shown as movement (see [`MappingTrees`]).
    #[prop_or(true)]
    pub animate: bool,
    pub on_action: Callback<Action>,
    pub on_export_svg: Callback<(String, String)>,
}

/// Trees drawn at most (sigma0 owns thousands of frames).
const MOST_TREES: usize = 48;

fn flags(entry: &EntryView) -> String {
    let mut text = String::new();
    text.push(if entry.writable { 'W' } else { 'R' });
    text.push(if entry.user { 'U' } else { 'S' });
    if entry.accessed {
        text.push('A');
    }
    if entry.dirty {
        text.push('D');
    }
    if entry.large {
        text.push_str(" 4M");
    }
    text
}

#[component]
pub fn SpacesPanel(props: &SpacesPanelProps) -> Html {
    let on_action = props.on_action.clone();
    let select_space = |task: u32| {
        let on_action = on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(Action::SelectSpace(task)))
    };
    let toggle_all = {
        let on_action = on_action.clone();
        let all = props.all_trees;
        Callback::from(move |_: Event| on_action.emit(Action::ShowAllTrees(!all)))
    };
    let export = {
        let on_export_svg = props.on_export_svg.clone();
        Callback::from(move |_: MouseEvent| on_export_svg.emit(("mapping-trees".into(), "l4-mapping-trees.svg".into())))
    };
    let shown = props.trees.len().min(MOST_TREES);
    html! {
        <section class="panel spaces" data-test="spaces" aria-label="Address spaces">
            <header class="panel-header">
                <h2>{ "Mapping database" }</h2>
                <label><input type="checkbox" checked={props.all_trees} onchange={toggle_all} />{ " frames sigma0 alone holds" }</label>
                <button data-test="trees-export" title="Save the trees as SVG" onclick={export}>{ "SVG" }</button>
            </header>
            <p class="note">{ format!("{} tree{} (one per frame, rooted in sigma0){}", props.trees.len(), if props.trees.len() == 1 { "" } else { "s" },
                if props.trees.len() > shown { format!("; the first {shown} are drawn") } else { String::new() }) }</p>
            <MappingTrees trees={props.trees[..shown].to_vec()} animate={props.animate} />
            <h2>{ "Address spaces" }</h2>
            <div class="space-list" role="listbox" aria-label="Address spaces">
                { for props.spaces.iter().map(|space| html! {
                    <button role="option" aria-selected={(space.task == props.selected_space).to_string()} data-test="space" data-task={space.task.to_string()}
                        class={classes!("space", (space.task == props.selected_space).then_some("selected"))} onclick={select_space(space.task)}
                        title={format!("task {}, directory at {:#x}, chief task {}", space.task, space.directory, space.chief)}>
                        { format!("{} · {} thread{}{}", space.name, space.threads, if space.threads == 1 { "" } else { "s" },
                            if space.small != 0 { format!(" · small space {}", space.small) } else { String::new() }) }
                    </button>
                }) }
            </div>
            <h3>{ format!("Memory map of {}", props.spaces.iter().find(|space| space.task == props.selected_space).map_or_else(|| format!("task {}", props.selected_space), |space| space.name.clone())) }</h3>
            <table class="memory-map" data-test="memory-map">
                <thead><tr><th>{ "virtual" }</th><th>{ "frames" }</th><th>{ "rights" }</th></tr></thead>
                <tbody>
                    { for props.memory_map.iter().map(|range| html! {
                        <tr data-test="range">
                            <td>{ format!("{:#010x}–{:#010x}", range.virtual_start, range.virtual_end.saturating_sub(1)) }</td>
                            <td>{ format!("{:#010x}", range.physical_start) }</td>
                            <td>{ format!("{}{}{}", if range.writable { "rw" } else { "ro" }, if range.user { " user" } else { " kernel" }, if range.large { " 4M" } else { "" }) }</td>
                        </tr>
                    }) }
                    if props.memory_map.is_empty() {
                        <tr><td colspan="3">{ "nothing mapped below 3 GB" }</td></tr>
                    }
                </tbody>
            </table>
            <div class="tables">
                <div>
                    <h3>{ "Page directory" }</h3>
                    <table class="entries" data-test="page-directory">
                        <thead><tr><th>{ "#" }</th><th>{ "covers" }</th><th>{ "table / frame" }</th><th>{ "flags" }</th></tr></thead>
                        <tbody>
                            { for props.directory.iter().map(|entry| {
                                let index = entry.index;
                                let on_action = on_action.clone();
                                let select = Callback::from(move |_: MouseEvent| on_action.emit(Action::SelectDirectoryEntry(Some(index))));
                                let selected = props.selected_entry == Some(index);
                                // The whole row chooses it (its button is for the keyboard).
                                html! {
                                    <tr class={classes!("choosable", selected.then_some("selected"))} data-test="directory-entry" data-index={index.to_string()}
                                        onclick={select.clone()}>
                                        <td><button onclick={select} aria-pressed={selected.to_string()} title="Show this page table">{ index }</button></td>
                                        <td>{ hex(index << 22) }</td>
                                        <td>{ hex(entry.address) }</td>
                                        <td title={format!("raw {:#010x}", entry.raw)}>{ flags(entry) }</td>
                                    </tr>
                                }
                            }) }
                        </tbody>
                    </table>
                </div>
                <div>
                    <h3>{ match props.selected_entry { Some(index) => format!("Page table {index}"), None => "Page table (pick a directory entry)".into() } }</h3>
                    <table class="entries" data-test="page-table">
                        <thead><tr><th>{ "page" }</th><th>{ "frame" }</th><th>{ "flags" }</th></tr></thead>
                        <tbody>
                            { for props.table.iter().map(|entry| html! {
                                <tr data-test="table-entry">
                                    <td>{ hex((props.selected_entry.unwrap_or(0) << 22) | (entry.index << 12)) }</td>
                                    <td>{ hex(entry.address) }</td>
                                    <td title={format!("raw {:#010x}", entry.raw)}>{ flags(entry) }</td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                </div>
            </div>
        </section>
    }
}
