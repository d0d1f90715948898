//! The Lessons panel: the list of lessons (what a newcomer sees first), and
//! the lesson being followed — its step's text, the question and its
//! answer, the checks with what the machine shows, the keys to go on.
//!
//! The lesson's text arrives as HTML made by `lessons::html::to_html`, which
//! cannot run script or load anything (a lesson may come from any link).

use crate::state::Action;
use wasm_bridge::{CpuChoice, LessonErrorView, LessonSummaryView, LessonView};
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq, Debug)]
pub struct LessonsPanelProps {
    /// The lesson being followed.
    pub lesson: Option<LessonView>,
    /// The built-in lessons.
    pub list: Vec<LessonSummaryView>,
    /// Why the last lesson file could not be opened.
    pub errors: Vec<LessonErrorView>,
    /// A link to the lesson at this step, once asked for (or why there is none).
    pub share: Option<Result<String, String>>,
    pub on_action: Callback<Action>,
    /// A lesson file picked from disk.
    pub on_file: Callback<web_sys::File>,
    pub on_share: Callback<()>,
}

fn cpus(list: &[CpuChoice]) -> String {
    list.iter().map(|cpu| cpu.label()).collect::<Vec<_>>().join(" and ")
}

fn look_name(look: &str) -> &'static str {
    match look {
        "timeline" => "the timeline (Threads and IPC)",
        "spaces" => "the Spaces tab: mapping trees and page tables (1)",
        "tlb" => "the TLB tab (2)",
        "cpu" => "the CPU tab (3)",
        "costs" => "the Costs tab (4)",
        "code" => "the Code tab (c)",
        "editor" => "the Editor tab (d)",
        "console" => "the Console tab (o)",
        "event log" => "the event log (below)",
        _ => "the views",
    }
}

fn errors_html(errors: &[LessonErrorView]) -> Html {
    if errors.is_empty() {
        return html! {};
    }
    html! {
        <div class="lesson-errors" role="alert" data-test="lesson-errors">
            <p><strong>{ format!("{} could not be opened:", errors[0].file) }</strong></p>
            <ul>
                { for errors.iter().map(|error| html! {
                    <li data-test="lesson-error" data-line={error.line.to_string()}>
                        <span class="where">{ if error.line == 0 { error.file.clone() } else { format!("{}:{}", error.file, error.line) } }</span>
                        { format!(" {}", error.message) }
                        if let Some(hint) = &error.hint { <br /><span class="hint">{ format!("hint: {hint}") }</span> }
                    </li>
                }) }
            </ul>
            <p class="note">{ "Fix the file and open it again; the machine goes on meanwhile." }</p>
        </div>
    }
}

/// Scroll `target` into the lesson panel's sight. The panel's
/// `scroll-padding-bottom` (style.css) keeps it clear of the Back/Next bar,
/// which stays at the panel's bottom over whatever is behind it.
fn bring_into_sight(target: &NodeRef) {
    if let Some(element) = target.cast::<web_sys::Element>() {
        let options = web_sys::ScrollIntoViewOptions::new();
        options.set_block(web_sys::ScrollLogicalPosition::Nearest);
        element.scroll_into_view_with_scroll_into_view_options(&options);
    }
}

#[component]
pub fn LessonsPanel(props: &LessonsPanelProps) -> Html {
    // A check's result, or the answer, appears below the step's text: bring
    // what just appeared into sight (a student pressed n or v and looks for
    // it) — the answer when it was revealed, the checks when the go ran,
    // whichever came last.
    let checks_ref = use_node_ref();
    let answer_ref = use_node_ref();
    let before = use_mut_ref(|| None::<(String, u32, bool, bool)>);
    {
        let (checks_ref, answer_ref) = (checks_ref.clone(), answer_ref.clone());
        let now = props.lesson.as_ref().and_then(|lesson| {
            let step = lesson.current.as_ref()?;
            Some((lesson.key.clone(), step.index, lesson.went && !step.checks.is_empty(), step.revealed))
        });
        use_effect_with(now, move |now| {
            let earlier = before.replace(now.clone());
            let Some((key, index, went, revealed)) = now else { return };
            let (went_before, revealed_before) = match earlier {
                Some((earlier_key, earlier_index, went, revealed))
                    if earlier_key == *key && earlier_index == *index =>
                {
                    (went, revealed)
                }
                _ => (false, false),
            };
            if *revealed && !revealed_before {
                bring_into_sight(&answer_ref);
            } else if *went && !went_before {
                bring_into_sight(&checks_ref);
            }
        });
    }
    let action = |action: Action| {
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(action.clone()))
    };
    let on_file = {
        let on_file = props.on_file.clone();
        Callback::from(move |event: Event| {
            let input: HtmlInputElement = event.target_unchecked_into();
            if let Some(file) = input.files().and_then(|files| files.get(0)) {
                on_file.emit(file);
            }
            input.set_value("");
        })
    };
    let file_input = html! {
        <label class="control file" title="A lesson file (Markdown, see docs/LESSONS.md) from your disk">
            { "Open a lesson file… " }
            <input type="file" data-test="lesson-file" accept=".md,.markdown,text/markdown,text/plain" onchange={on_file} />
        </label>
    };
    let Some(lesson) = &props.lesson else {
        return html! {
            <section class="panel lessons" aria-label="Lessons" data-test="lessons">
                <header class="panel-header"><h2>{ "Lessons" }</h2></header>
                { errors_html(&props.errors) }
                <p class="lessons-welcome">{ "New here? Each lesson shows one idea of Liedtke's paper on the running kernel, step by step. Start with the first (press n), or explore freely." }</p>
                <ol class="lesson-list">
                    { for props.list.iter().map(|summary| html! {
                        <li>
                            <button data-test="lesson-open" data-lesson={summary.name.clone()} title={summary.summary.clone()}
                                onclick={action(Action::OpenLesson(summary.name.clone()))}>{ &summary.title }</button>
                            <span class="note">{ format!(" {} steps · {}", summary.steps, cpus(&summary.cpus)) }</span>
                            <span class="summary">{ &summary.summary }</span>
                        </li>
                    }) }
                </ol>
                { file_input }
            </section>
        };
    };
    let total = lesson.step_titles.len();
    let current_index = lesson.current.as_ref().map(|step| step.index as usize);
    let dots = lesson.step_titles.iter().enumerate().map(|(index, title)| {
        let here = current_index == Some(index);
        html! {
            <li>
                <button class={classes!("step-dot", here.then_some("active"), current_index.is_some_and(|current| index < current).then_some("done"))}
                    aria-current={here.then_some("step")} data-test="lesson-step-dot" title={format!("Step {}: {title}", index + 1)}
                    onclick={action(Action::LessonGoTo { step: Some(index), went: false })}>{ index + 1 }</button>
            </li>
        }
    });
    let on_share = {
        let on_share = props.on_share.clone();
        Callback::from(move |_: MouseEvent| on_share.emit(()))
    };
    let body = match &lesson.current {
        None => html! {
            <>
                <div class="lesson-text" data-test="lesson-introduction">{ Html::from_html_unchecked(AttrValue::from(lesson.introduction_html.clone())) }</div>
                <div class="lesson-controls">
                    <button class="primary" data-test="lesson-next" onclick={action(Action::LessonNext)}>{ "Begin (n)" }</button>
                </div>
            </>
        },
        Some(step) => {
            let next_label = match (&step.go, lesson.went) {
                (Some(go), false) => format!("Run to: {go} (n)"),
                _ if step.index as usize + 1 == total => "The last step".to_string(),
                _ => "Next step (n)".to_string(),
            };
            let last_done = lesson.went && step.index as usize + 1 == total;
            html! {
                <>
                    <h3 class="step-title" data-test="lesson-step-title">{ format!("{}. {}", step.index + 1, step.title) }</h3>
                    if !step.text_html.trim().is_empty() {
                        <div class="lesson-text" data-test="lesson-text">{ Html::from_html_unchecked(AttrValue::from(step.text_html.clone())) }</div>
                    }
                    if let Some(predict) = &step.predict_html {
                        <div class="predict" data-test="lesson-predict">
                            <p class="label">{ "Predict" }</p>
                            { Html::from_html_unchecked(AttrValue::from(predict.clone())) }
                            if step.revealed {
                                <div class="reveal" data-test="lesson-reveal" ref={answer_ref.clone()}>
                                    <p class="label">{ "Answer" }</p>
                                    { Html::from_html_unchecked(AttrValue::from(step.reveal_html.clone().unwrap_or_default())) }
                                </div>
                            } else {
                                <button data-test="lesson-reveal-button" onclick={action(Action::LessonReveal)}
                                    title="Answer first in your head, then look">{ if lesson.went { "Reveal the answer (v)" } else { "Reveal the answer (v) — go first" } }</button>
                            }
                        </div>
                    }
                    if let Some(look) = step.look {
                        <p class="look" data-test="lesson-look" data-look={look}>{ "Look at " }<strong>{ look_name(look) }</strong></p>
                    }
                    if !step.checks.is_empty() {
                        <ul class="checks" data-test="lesson-checks" aria-label="Checks" ref={checks_ref.clone()}>
                            { for step.checks.iter().map(|check| {
                                let (mark, state, words) = match check.met {
                                    Some(true) => ("✔", "met", "met"),
                                    Some(false) => ("✘", "not-met", "not met"),
                                    None => ("…", "pending", "after the go"),
                                };
                                html! {
                                    <li class={classes!("check", state)} data-test="lesson-check" data-met={state}>
                                        <span class="mark" aria-label={words}>{ mark }</span>
                                        <span class="text">{ &check.text }</span>
                                        if !check.found.is_empty() { <span class="found">{ format!(" — {}", check.found) }</span> }
                                    </li>
                                }
                            }) }
                        </ul>
                    }
                    if let Some(problem) = &lesson.problem {
                        <p class="inline-error" role="alert" data-test="lesson-problem">{ problem.clone() }</p>
                    }
                    <div class="lesson-controls">
                        <button data-test="lesson-previous" onclick={action(Action::LessonPrevious)} title="Back to where this step began, or to the step before (p)">{ "◀ Back (p)" }</button>
                        <button class="primary" data-test="lesson-next" onclick={action(Action::LessonNext)} disabled={last_done}>{ next_label }</button>
                    </div>
                </>
            }
        }
    };
    let share = match &props.share {
        Some(Ok(link)) => html! {
            <p class="share" data-test="lesson-share-result">
                <label>{ "Link to this step: " }<input data-test="lesson-share-link" readonly=true value={link.clone()}
                    onfocus={Callback::from(|event: FocusEvent| event.target_unchecked_into::<HtmlInputElement>().select())} /></label>
            </p>
        },
        Some(Err(problem)) => {
            html! { <p class="inline-error" role="alert" data-test="lesson-share-problem">{ problem.clone() }</p> }
        }
        None => html! {},
    };
    html! {
        <section class="panel lessons active" aria-label="Lesson" data-test="lessons">
            <header class="panel-header">
                <h2>{ "Lesson" }</h2>
                <span class="group">
                    <button data-test="lesson-programs" onclick={action(Action::ShowLessonPrograms)} title="The lesson's programs, in the Editor tab (d)">{ "Programs" }</button>
                    <button data-test="lesson-share" onclick={on_share} title="A link that opens this lesson at this step">{ "Share" }</button>
                    <button data-test="lesson-close" onclick={action(Action::CloseLesson)} title="Leave the lesson (the machine stays) and see the list">{ "Close" }</button>
                </span>
            </header>
            <p class="lesson-title" data-test="lesson-title"><strong>{ &lesson.title }</strong></p>
            <nav class="lesson-progress" aria-label="Steps">
                <span class="note" data-test="lesson-progress">{ match current_index { None => format!("Introduction · {total} steps"), Some(index) => format!("Step {} of {total}", index + 1) } }</span>
                <ol>{ for dots }</ol>
            </nav>
            { errors_html(&props.errors) }
            { body }
            { share }
            if lesson.cpus.len() > 1 {
                <p class="note" data-test="lesson-cpu-note">{
                    if lesson.step_cpu == lesson.cpu {
                        format!("Runs on the {}: switch in the CPU box and the lesson comes back to this step (now on the {}).", cpus(&lesson.cpus), lesson.step_cpu.label())
                    } else {
                        format!("Runs on the {}. This step runs on the {} because the lesson says so; the others follow the CPU box (the {} chosen).", cpus(&lesson.cpus), lesson.step_cpu.label(), lesson.cpu.label())
                    }
                }</p>
            }
        </section>
    }
}
