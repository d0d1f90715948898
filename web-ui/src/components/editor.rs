//! The scenario's programs in an editor, assembled by the project's own
//! assembler. "Assemble and restart" (or Ctrl-Enter) boots again with the
//! edited program; errors are marked in the gutter and listed under their
//! line, and the machine keeps running the last program that assembled.
//!
//! The editor is CodeMirror 6 (line numbers, the assembler's syntax
//! highlighted, error marks), bundled from npm into the site's `editor.js`
//! and reached through `window.l4Editor`; without it (the component tests,
//! a page that failed to load it) a plain text area does the same job. The
//! line under the cursor is the chosen source line: the code view marks its
//! instructions, and this panel says where they are.

use crate::state::Action;
use js_sys::{Array, Function, Object, Reflect};
use wasm_bridge::{ProgramErrorView, ProgramView};
use web_sys::wasm_bindgen::closure::Closure;
use web_sys::wasm_bindgen::{JsCast, JsValue};
use web_sys::{HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

#[derive(Properties, PartialEq, Debug)]
pub struct EditorPanelProps {
    pub programs: Vec<ProgramView>,
    pub errors: Vec<ProgramErrorView>,
    /// The chosen source line (file, line), from the cursor or the code view.
    #[prop_or_default]
    pub chosen: Option<(String, u32)>,
    /// Where the chosen line's instructions are.
    #[prop_or_default]
    pub made: Vec<u32>,
    pub on_action: Callback<Action>,
}

/// `window.l4Editor`, when the page loaded `editor.js`.
fn editor_api() -> Option<Object> {
    Reflect::get(&gloo::utils::window(), &JsValue::from_str("l4Editor")).ok()?.dyn_into::<Object>().ok()
}

fn call(api: &Object, name: &str, arguments: &[JsValue]) -> Option<JsValue> {
    let function: Function = Reflect::get(api, &JsValue::from_str(name)).ok()?.dyn_into().ok()?;
    function.apply(api, &arguments.iter().collect::<Array>()).ok()
}

fn set(object: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(object, &JsValue::from_str(key), value);
}

/// One CodeMirror editor and the callbacks it holds; destroyed when dropped.
struct CodeMirror {
    api: Object,
    handle: JsValue,
    _callbacks: Vec<Closure<dyn FnMut(JsValue)>>,
}

impl CodeMirror {
    fn create(
        api: Object,
        host: &web_sys::Element,
        file: &str,
        text: &str,
        on_action: &Callback<Action>,
    ) -> Option<Self> {
        let options = Object::new();
        set(&options, "text", &JsValue::from_str(text));
        set(&options, "label", &JsValue::from_str(&format!("Source of {file}")));
        let cursor = {
            let (file, on_action) = (file.to_string(), on_action.clone());
            Closure::<dyn FnMut(JsValue)>::new(move |line: JsValue| {
                if let Some(line) = line.as_f64() {
                    on_action.emit(Action::SelectSourceLine { file: file.clone(), line: line as u32 });
                }
            })
        };
        let assemble = {
            let (file, on_action) = (file.to_string(), on_action.clone());
            Closure::<dyn FnMut(JsValue)>::new(move |text: JsValue| {
                if let Some(source) = text.as_string() {
                    on_action.emit(Action::EditProgram { file: file.clone(), source });
                }
            })
        };
        set(&options, "onCursorLine", cursor.as_ref());
        set(&options, "onAssemble", assemble.as_ref());
        let handle = call(&api, "create", &[host.into(), options.into()])?;
        Some(CodeMirror { api, handle, _callbacks: vec![cursor, assemble] })
    }

    fn text(&self) -> Option<String> {
        call(&self.api, "getText", std::slice::from_ref(&self.handle))?.as_string()
    }

    fn set_text(&self, text: &str) {
        call(&self.api, "setText", &[self.handle.clone(), JsValue::from_str(text)]);
    }

    fn set_errors(&self, errors: &[ProgramErrorView]) {
        let list: Array = errors
            .iter()
            .map(|error| {
                let item = Object::new();
                set(&item, "line", &JsValue::from(error.line));
                set(&item, "column", &JsValue::from(error.column));
                let message = match &error.hint {
                    Some(hint) => format!("{} — {hint}", error.message),
                    None => error.message.clone(),
                };
                set(&item, "message", &JsValue::from_str(&message));
                JsValue::from(item)
            })
            .collect();
        call(&self.api, "setErrors", &[self.handle.clone(), list.into()]);
    }

    fn mark_lines(&self, lines: &[u32]) {
        let list: Array = lines.iter().map(|line| JsValue::from(*line)).collect();
        call(&self.api, "markSourceLines", &[self.handle.clone(), list.into()]);
    }
}

impl Drop for CodeMirror {
    fn drop(&mut self) {
        call(&self.api, "destroy", std::slice::from_ref(&self.handle));
    }
}

impl std::fmt::Debug for CodeMirror {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("CodeMirror")
    }
}

/// The 1-based line of the text area's cursor.
fn cursor_line(area: &HtmlTextAreaElement) -> u32 {
    let at = area.selection_start().ok().flatten().unwrap_or(0) as usize;
    let text = area.value();
    // `selectionStart` counts UTF-16 units.
    let units: Vec<u16> = text.encode_utf16().take(at).collect();
    String::from_utf16_lossy(&units).matches('\n').count() as u32 + 1
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
    let host = use_node_ref();
    let editor = use_mut_ref(|| None::<CodeMirror>);
    let api = use_memo((), |_| editor_api());
    let last_cursor_line = use_mut_ref(|| 0u32);
    // The code view asked for a line of another program: show that one.
    {
        let chosen = chosen.clone();
        let files: Vec<String> = props.programs.iter().map(|program| program.file.clone()).collect();
        use_effect_with(props.chosen.as_ref().map(|(file, _)| file.clone()), move |file| {
            if let Some(position) = file.as_ref().and_then(|file| files.iter().position(|name| name == file)) {
                chosen.set(position);
            }
        });
    }
    let index = (*chosen).min(props.programs.len().saturating_sub(1));
    let program = props.programs.get(index).cloned();
    let file = program.as_ref().map(|program| program.file.clone()).unwrap_or_default();
    let source = program.as_ref().map(|program| program.source.clone()).unwrap_or_default();
    let errors: Vec<ProgramErrorView> = props.errors.iter().filter(|error| error.file == file).cloned().collect();
    let marked: Vec<u32> =
        props.chosen.iter().filter(|(chosen_file, _)| *chosen_file == file).map(|(_, line)| *line).collect();
    // One CodeMirror per program shown (made after the host is in the page).
    {
        let (editor, host, api, on_action) = (editor.clone(), host.clone(), (*api).clone(), props.on_action.clone());
        let source = source.clone();
        use_effect_with(file.clone(), move |file| {
            if let (Some(api), Some(element)) = (api, host.cast::<web_sys::Element>()) {
                *editor.borrow_mut() = CodeMirror::create(api, &element, file, &source, &on_action);
            }
            move || drop(editor.borrow_mut().take())
        });
    }
    // What the session holds replaces the text only when it changes (an
    // edit not yet assembled stays while the machine runs).
    {
        let editor = editor.clone();
        use_effect_with((file.clone(), source.clone()), move |(_, source)| {
            if let Some(editor) = editor.borrow().as_ref() {
                editor.set_text(source);
            }
        });
    }
    {
        let editor = editor.clone();
        use_effect_with((file.clone(), errors.clone()), move |(_, errors)| {
            if let Some(editor) = editor.borrow().as_ref() {
                editor.set_errors(errors);
            }
        });
    }
    {
        let editor = editor.clone();
        use_effect_with((file.clone(), marked.clone()), move |(_, marked)| {
            if let Some(editor) = editor.borrow().as_ref() {
                editor.mark_lines(marked);
            }
        });
    }
    let Some(program) = program else {
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
        let (text, editor) = (text.clone(), editor.clone());
        let file = program.file.clone();
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| {
            let source = match editor.borrow().as_ref() {
                Some(editor) => editor.text(),
                None => text.cast::<HtmlTextAreaElement>().map(|area| area.value()),
            };
            if let Some(source) = source {
                on_action.emit(Action::EditProgram { file: file.clone(), source });
            }
        })
    };
    // In the text area, the cursor's line is chosen as CodeMirror's is.
    let on_cursor = {
        let file = program.file.clone();
        let on_action = props.on_action.clone();
        let last = last_cursor_line.clone();
        Callback::from(move |event: Event| {
            let area: HtmlTextAreaElement = event.target_unchecked_into();
            let line = cursor_line(&area);
            if *last.borrow() != line {
                *last.borrow_mut() = line;
                on_action.emit(Action::SelectSourceLine { file: file.clone(), line });
            }
        })
    };
    let other_errors: Vec<&ProgramErrorView> = props.errors.iter().filter(|error| error.file != program.file).collect();
    let show_code = {
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(Action::ShowCodeTab(crate::state::CodeTab::Code)))
    };
    let made = marked.first().map(|line| {
        let addresses: Vec<String> = props.made.iter().map(|address| super::hex(*address)).collect();
        let text = match addresses.len() {
            0 => format!("Line {line} makes no instruction (a comment, a label, a directive or data)."),
            1 => format!("Line {line} made the instruction at {}.", addresses[0]),
            count => format!("Line {line} made {count} instructions: {}.", addresses.join(", ")),
        };
        html! {
            <p class="note source-made" data-test="source-made" aria-live="polite">
                { text }
                if !addresses.is_empty() {
                    { " " }<button data-test="show-in-code" title="Show the code view, with these instructions marked (c)" onclick={show_code.clone()}>{ "Show in code" }</button>
                }
            </p>
        }
    });
    html! {
        <section class="panel editor" data-test="editor" aria-label="Program editor">
            <header class="panel-header">
                <h2>{ "Program" }</h2>
                <select aria-label="Program file" onchange={on_choose}>
                    { for props.programs.iter().enumerate().map(|(position, program)| html! {
                        <option selected={position == index}>{ &program.file }</option>
                    }) }
                </select>
                <button data-test="assemble" title="Assemble with the project's assembler and boot again (Ctrl-Enter in the editor)" onclick={assemble}>{ "Assemble and restart" }</button>
            </header>
            // In a wrapper of its own: the editor's host element must stay
            // the same element while the lists around it change length.
            <div class="editor-body">
                if api.is_some() {
                    <div class="code-editor" ref={host} data-test="editor-host" aria-invalid={(!errors.is_empty()).to_string()} />
                } else {
                    <textarea key={program.file.clone()} ref={text} data-test="editor-text" spellcheck="false" aria-label={format!("Source of {}", program.file)}
                        aria-invalid={(!errors.is_empty()).to_string()} value={program.source.clone()} rows="22"
                        onclick={on_cursor.reform(|event: MouseEvent| event.into())} onkeyup={on_cursor.reform(|event: KeyboardEvent| event.into())} />
                }
            </div>
            <div class="source-made-slot">{ for made }</div>
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
