//! The scenario's programs in an editor, assembled by the project's own
//! assembler. "Assemble and restart" boots again with the edited program;
//! errors are shown inline, under the line they are on, and the machine
//! keeps running the last program that assembled.

use crate::state::Action;
use wasm_bridge::{ProgramErrorView, ProgramView};
use web_sys::{HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

#[derive(Properties, PartialEq, Debug)]
pub struct EditorPanelProps {
    pub programs: Vec<ProgramView>,
    pub errors: Vec<ProgramErrorView>,
    pub on_action: Callback<Action>,
}

/// The source with each error shown under its line (two lines of context).
fn annotated(source: &str, errors: &[ProgramErrorView]) -> Html {
    let lines: Vec<&str> = source.lines().collect();
    let shown = |number: usize| errors.iter().any(|error| (error.line as usize).abs_diff(number) <= 2);
    let mut items = Vec::new();
    let mut gap = false;
    for (index, text) in lines.iter().enumerate() {
        let number = index + 1;
        if !shown(number) {
            gap = true;
            continue;
        }
        if gap && !items.is_empty() {
            items.push(html! { <li class="gap" aria-hidden="true">{ "⋮" }</li> });
        }
        gap = false;
        let here: Vec<&ProgramErrorView> = errors.iter().filter(|error| error.line as usize == number).collect();
        items.push(html! {
            <li class={classes!("source-line", (!here.is_empty()).then_some("has-error"))}>
                <span class="number">{ number }</span><code>{ *text }</code>
            </li>
        });
        for error in here {
            items.push(html! {
                <li class="inline-error" data-test="program-error" data-line={error.line.to_string()} role="alert">
                    <span class="number" />
                    <span class="caret">{ format!("{}^", " ".repeat(error.column.saturating_sub(1) as usize)) }</span>
                    <span>{ format!("{}:{}:{}: {}", error.file, error.line, error.column, error.message) }</span>
                    if let Some(hint) = &error.hint {
                        <span class="hint">{ format!(" — {hint}") }</span>
                    }
                </li>
            });
        }
    }
    // Errors past the end of the file (an unterminated macro, say).
    for error in errors.iter().filter(|error| error.line as usize > lines.len() || error.line == 0) {
        items.push(html! {
            <li class="inline-error" data-test="program-error" data-line={error.line.to_string()} role="alert">
                { format!("{}:{}: {}", error.file, error.line, error.message) }
            </li>
        });
    }
    html! { <ol class="annotated">{ for items }</ol> }
}

#[component]
pub fn EditorPanel(props: &EditorPanelProps) -> Html {
    let chosen = use_state(|| 0usize);
    let text = use_node_ref();
    let index = (*chosen).min(props.programs.len().saturating_sub(1));
    let Some(program) = props.programs.get(index) else {
        return html! { <section class="panel editor"><p class="note">{ "This run has no program to edit (an ELF from disk)." }</p></section> };
    };
    let on_choose = {
        let chosen = chosen.clone();
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            chosen.set(select.selected_index().max(0) as usize);
        })
    };
    let assemble = {
        let text = text.clone();
        let file = program.file.clone();
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(area) = text.cast::<HtmlTextAreaElement>() {
                on_action.emit(Action::EditProgram { file: file.clone(), source: area.value() });
            }
        })
    };
    let errors: Vec<ProgramErrorView> =
        props.errors.iter().filter(|error| error.file == program.file).cloned().collect();
    let other_errors: Vec<&ProgramErrorView> = props.errors.iter().filter(|error| error.file != program.file).collect();
    html! {
        <section class="panel editor" data-test="editor" aria-label="Program editor">
            <header class="panel-header">
                <h2>{ "Program" }</h2>
                <select aria-label="Program file" onchange={on_choose}>
                    { for props.programs.iter().enumerate().map(|(position, program)| html! {
                        <option selected={position == index}>{ &program.file }</option>
                    }) }
                </select>
                <button data-test="assemble" title="Assemble with the project's assembler and boot again" onclick={assemble}>{ "Assemble and restart" }</button>
            </header>
            <textarea key={program.file.clone()} ref={text} data-test="editor-text" spellcheck="false" aria-label={format!("Source of {}", program.file)}
                aria-invalid={(!errors.is_empty()).to_string()} value={program.source.clone()} rows="22" />
            if !errors.is_empty() {
                <div class="errors" data-test="program-errors">
                    <h3>{ format!("{} error{} — the machine still runs the last program that assembled", errors.len(), if errors.len() == 1 { "" } else { "s" }) }</h3>
                    { annotated(&program.source, &errors) }
                </div>
            }
            { for other_errors.iter().map(|error| html! {
                <p class="inline-error" data-test="program-error" data-line={error.line.to_string()}>{ format!("{}:{}:{}: {}", error.file, error.line, error.column, error.message) }</p>
            }) }
        </section>
    }
}
