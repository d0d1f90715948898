//! A lesson in the explorer: its programs booted, its steps followed with
//! time travel, its checks evaluated on the machine as it is.
//!
//! `n` does the next thing: at a step whose go has not run yet, run to it;
//! otherwise enter the next step. `p` undoes the last thing: back to where
//! the step began, or to the step before (its go done). Every step's moment
//! is reproducible — a lesson is deterministic — so going back, switching
//! the CPU or opening a link at step 5 replays the gos from the last boot,
//! and the machine is exactly where the lesson's text expects it. If the
//! student stepped or ran the machine elsewhere meanwhile, `n` first returns
//! to where the lesson left off, so the text never talks about a moment the
//! screen does not show.

use crate::session::Session;
use crate::view::{CpuChoice, LessonCheckView, LessonErrorView, LessonStepView, LessonSummaryView, LessonView};
use sim::lesson::{self, Baseline, Prepared, ResolvedGo, ResolvedTarget};
use sim::{Budget, RunResult};
use std::sync::OnceLock;

/// Where a lesson came from (what a link carries).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LessonSource {
    /// A built-in lesson by name.
    Builtin(String),
    /// A lesson file the user opened (or a link carried whole).
    File { file: String, text: String },
}

/// A moment the lesson left the machine at: (position, events logged), as
/// `Session::moment` gives it.
type Mark = (u64, u64);

/// The lesson being followed.
#[derive(Clone, Debug)]
pub(crate) struct LessonRun {
    pub source: LessonSource,
    pub prepared: Prepared,
    /// The lesson's text as HTML, made once: (introduction, per step: text, predict, reveal).
    html: LessonHtml,
    /// None: the introduction; Some(k): step k (0-based).
    pub step: Option<usize>,
    /// The step's go has run (or it has none).
    pub went: bool,
    pub revealed: Vec<bool>,
    /// The counters when the step began.
    baseline: Baseline,
    /// Why the step's go could not be reached.
    problem: Option<String>,
    /// Where the lesson left the machine.
    mark: Option<Mark>,
    /// The CPU the student chose (the lesson's first by default).
    pub cpu: lessons_cpu::Cpu,
}

mod lessons_cpu {
    pub use sim::lesson::format::Cpu;
}

#[derive(Clone, Debug)]
struct LessonHtml {
    introduction: String,
    steps: Vec<(String, Option<String>, Option<String>)>,
}

fn to_html(markdown: &str) -> String {
    lesson::format::html::to_html(markdown)
}

fn choice(cpu: lessons_cpu::Cpu) -> CpuChoice {
    match cpu {
        lessons_cpu::Cpu::I486 => CpuChoice::I486,
        lessons_cpu::Cpu::Pentium => CpuChoice::Pentium,
    }
}

fn lesson_cpu(cpu: CpuChoice) -> lessons_cpu::Cpu {
    match cpu {
        CpuChoice::I486 => lessons_cpu::Cpu::I486,
        CpuChoice::Pentium => lessons_cpu::Cpu::Pentium,
    }
}

/// The built-in lessons, for the list.
pub fn lessons() -> Vec<LessonSummaryView> {
    static LIST: OnceLock<Vec<LessonSummaryView>> = OnceLock::new();
    LIST.get_or_init(|| {
        lesson::LESSONS
            .iter()
            .filter_map(|builtin| {
                let parsed = lesson::format::parse(builtin.file, builtin.text).ok()?;
                Some(LessonSummaryView {
                    name: builtin.name.to_string(),
                    title: parsed.title,
                    summary: parsed.summary,
                    cpus: parsed.cpus.into_iter().map(choice).collect(),
                    steps: parsed.steps.len() as u32,
                })
            })
            .collect()
    })
    .clone()
}

/// Errors of a lesson file, for the page.
fn error_views(errors: &lesson::LessonErrors) -> Vec<LessonErrorView> {
    errors
        .list
        .iter()
        .map(|error| LessonErrorView {
            file: errors.file.clone(),
            line: error.line as u32,
            message: error.message.clone(),
            hint: error.hint.clone(),
        })
        .collect()
}

/// Parse and prepare a lesson from its source.
pub(crate) fn prepare(source: &LessonSource) -> Result<Prepared, Vec<LessonErrorView>> {
    let (file, text) = match source {
        LessonSource::Builtin(name) => match lesson::find(name) {
            Some(builtin) => (builtin.file.to_string(), builtin.text),
            None => {
                return Err(vec![LessonErrorView {
                    file: name.clone(),
                    line: 0,
                    message: format!("no built-in lesson is called `{name}`"),
                    hint: Some(format!("the lessons are: {}", lesson::names())),
                }]);
            }
        },
        LessonSource::File { file, text } => (file.clone(), text.as_str()),
    };
    lesson::prepare(&file, text).map_err(|errors| error_views(&errors))
}

impl LessonRun {
    pub(crate) fn new(source: LessonSource, prepared: Prepared, cpu: Option<CpuChoice>) -> Self {
        let html = LessonHtml {
            introduction: to_html(&prepared.lesson.introduction),
            steps: prepared
                .lesson
                .steps
                .iter()
                .map(|step| {
                    (to_html(&step.text), step.predict.as_deref().map(to_html), step.reveal.as_deref().map(to_html))
                })
                .collect(),
        };
        let chosen = cpu.map(lesson_cpu).filter(|cpu| prepared.lesson.cpus.contains(cpu));
        let steps = prepared.lesson.steps.len();
        Self {
            cpu: chosen.unwrap_or_else(|| prepared.lesson.cpu()),
            source,
            prepared,
            html,
            step: None,
            went: true,
            revealed: vec![false; steps],
            baseline: Baseline::default(),
            problem: None,
            mark: None,
        }
    }

    /// The CPU and small spaces at step `index` (None: the introduction),
    /// with the student's CPU in place of the lesson's first.
    pub(crate) fn machine_at(&self, index: Option<usize>) -> (CpuChoice, bool) {
        let mut lesson = self.prepared.lesson.clone();
        lesson.cpus.retain(|cpu| *cpu != self.cpu);
        lesson.cpus.insert(0, self.cpu);
        let (cpu, small_spaces) = match index {
            Some(index) => lesson.machine_at(index),
            None => (lesson.cpu(), lesson.small_spaces),
        };
        (choice(cpu), small_spaces)
    }

    fn go(&self, index: usize) -> Option<&ResolvedGo> {
        self.prepared.steps.get(index).and_then(|step| step.go.as_ref())
    }
}

fn finished(result: &RunResult) -> bool {
    !matches!(result, RunResult::Limit | RunResult::Event)
}

impl Session {
    /// Open a lesson: boot its programs on its first CPU (or `cpu`, if the
    /// lesson runs on it) and show its introduction.
    pub fn open_lesson(&mut self, source: LessonSource, cpu: Option<CpuChoice>) -> Result<(), Vec<LessonErrorView>> {
        let prepared = prepare(&source)?;
        self.finish_seek();
        self.programs = prepared
            .lesson
            .programs
            .iter()
            .map(|program| crate::view::ProgramView { file: program.file.clone(), source: program.source.clone() })
            .collect();
        self.loaded = None;
        let run = LessonRun::new(source, prepared, cpu);
        let (cpu, small_spaces) = run.machine_at(None);
        self.config.cpu = cpu;
        self.config.small_spaces = small_spaces;
        self.lesson = Some(run);
        self.restart();
        self.stop = "lesson opened: press n to begin".into();
        Ok(())
    }

    /// Leave the lesson (the machine and the programs stay).
    pub fn close_lesson(&mut self) {
        self.lesson = None;
    }

    /// The lesson's names (a link's `lesson=` or the file), if one is open.
    pub fn lesson_source(&self) -> Option<&LessonSource> {
        self.lesson.as_ref().map(|run| &run.source)
    }

    /// (step, went): where the lesson stands (step None: the introduction).
    pub fn lesson_position(&self) -> Option<(Option<usize>, bool)> {
        self.lesson.as_ref().map(|run| (run.step, run.went))
    }

    /// Do the next thing: run to the step's go, or enter the next step.
    pub fn lesson_next(&mut self) {
        let Some(run) = self.lesson.as_ref() else { return };
        let (step, went) = (run.step, run.went);
        let steps = run.prepared.lesson.steps.len();
        self.return_to_mark();
        match step {
            None if steps > 0 => self.enter_step(0),
            Some(index) if !went => self.perform_go(index),
            Some(index) if index + 1 < steps => self.enter_step(index + 1),
            _ => self.stop = "the lesson's last step: choose another lesson in the Lessons panel".into(),
        }
    }

    /// Undo the last thing: back to where the step began, or to the step before.
    pub fn lesson_previous(&mut self) {
        let Some(run) = self.lesson.as_ref() else { return };
        match (run.step, run.went && run.go(run.step.unwrap_or(0)).is_some()) {
            (None, _) => {}
            (Some(index), true) => self.lesson_go_to(Some(index), false),
            (Some(0), false) => self.lesson_go_to(None, false),
            (Some(index), false) => self.lesson_go_to(Some(index - 1), true),
        }
    }

    /// Show the current step's answer.
    pub fn lesson_reveal(&mut self) {
        if let Some(run) = self.lesson.as_mut()
            && let Some(index) = run.step
            && run.prepared.lesson.steps.get(index).is_some_and(|step| step.reveal.is_some())
            && let Some(revealed) = run.revealed.get_mut(index)
        {
            *revealed = true;
        }
    }

    /// The student chose another CPU: boot again and come back to the same step.
    pub fn lesson_choose_cpu(&mut self, cpu: CpuChoice) {
        let Some(run) = self.lesson.as_mut() else { return };
        let wanted = lesson_cpu(cpu);
        if !run.prepared.lesson.cpus.contains(&wanted) {
            let cpus: Vec<&str> = run.prepared.lesson.cpus.iter().map(|cpu| cpu.key()).collect();
            self.stop = format!("this lesson runs on {} only", cpus.join(" and "));
            return;
        }
        run.cpu = wanted;
        let (step, went) = (run.step, run.went);
        self.lesson_go_to(step, went);
    }

    /// Go to step `index` (None: the introduction), its go run or not:
    /// boot as that step wants, replay the gos since the last boot.
    pub fn lesson_go_to(&mut self, index: Option<usize>, went: bool) {
        let Some(run) = self.lesson.as_ref() else { return };
        let steps = run.prepared.lesson.steps.len();
        let index = index.map(|index| index.min(steps.saturating_sub(1))).filter(|_| steps > 0);
        let (cpu, small_spaces) = run.machine_at(index);
        let boot_step = index.and_then(|index| run.prepared.lesson.boot_step(index));
        let replay_from = boot_step.unwrap_or(0);
        if (cpu, small_spaces) != (self.config.cpu, self.config.small_spaces) || boot_step.is_some() {
            self.config.cpu = cpu;
            self.config.small_spaces = small_spaces;
            self.restart();
        } else {
            self.seek(0);
        }
        if let Some(run) = self.lesson.as_mut() {
            run.problem = None;
        }
        if let Some(index) = index {
            for earlier in replay_from..index {
                let go = self.lesson.as_ref().and_then(|run| run.go(earlier).cloned());
                if let Some(go) = go
                    && let Err(problem) = self.run_to_target(&go)
                {
                    self.set_lesson_state(Some(earlier), true, Some(problem));
                    return;
                }
            }
            self.set_lesson_state(Some(index), false, None);
            if went && self.lesson.as_ref().is_some_and(|run| run.go(index).is_some()) {
                self.perform_go(index);
            } else if self.lesson.as_ref().is_some_and(|run| run.go(index).is_none()) {
                self.set_lesson_went();
            }
        } else {
            self.set_lesson_state(None, true, None);
        }
    }

    /// Enter step `index` from where the machine is (forwards by one).
    fn enter_step(&mut self, index: usize) {
        let Some(run) = self.lesson.as_ref() else { return };
        let wanted = run.machine_at(Some(index));
        let boots = run.prepared.lesson.boot_step(index) == Some(index);
        if boots || wanted != (self.config.cpu, self.config.small_spaces) {
            self.lesson_go_to(Some(index), false);
            return;
        }
        self.set_lesson_state(Some(index), false, None);
        if self.lesson.as_ref().is_some_and(|run| run.go(index).is_none()) {
            self.set_lesson_went();
        }
    }

    fn set_lesson_state(&mut self, step: Option<usize>, went: bool, problem: Option<String>) {
        let baseline = Baseline::now(&self.system);
        let mark = self.here();
        if let Some(run) = self.lesson.as_mut() {
            run.step = step;
            run.went = went;
            run.problem = problem;
            run.baseline = baseline;
            run.mark = Some(mark);
        }
        self.stop = match step {
            None => "the lesson's introduction: press n to begin".into(),
            Some(index) => format!("lesson step {}", index + 1),
        };
    }

    fn set_lesson_went(&mut self) {
        let mark = self.here();
        if let Some(run) = self.lesson.as_mut() {
            run.went = true;
            run.mark = Some(mark);
        }
    }

    /// The moment the machine is at, as a mark.
    fn here(&self) -> Mark {
        self.moment()
    }

    /// If the machine was moved since the lesson left it, go back there.
    fn return_to_mark(&mut self) {
        let Some((position, sequence)) = self.lesson.as_ref().and_then(|run| run.mark) else { return };
        if self.here() != (position, sequence) {
            self.seek_moment(position, sequence);
        }
    }

    fn perform_go(&mut self, index: usize) {
        let Some(go) = self.lesson.as_ref().and_then(|run| run.go(index).cloned()) else {
            self.set_lesson_went();
            return;
        };
        let result = self.run_to_target(&go);
        self.set_lesson_went();
        if let Some(run) = self.lesson.as_mut() {
            run.problem = result.as_ref().err().cloned();
        }
        self.stop = match result {
            Ok(()) => format!("lesson step {}: reached `{}`", index + 1, go.text),
            Err(problem) => format!("lesson step {}: {problem}", index + 1),
        };
    }

    /// Run to a go's target (its `count`-th next occurrence).
    pub(crate) fn run_to_target(&mut self, go: &ResolvedGo) -> Result<(), String> {
        self.finish_seek();
        let start = self.position();
        let limit = lesson::GO_LIMIT;
        let too_far = || format!("`{}` did not happen within {limit} instructions", go.text);
        let ended = |result: &RunResult| format!("`{}` did not happen: {}", go.text, lesson::describe_end(result));
        match &go.target {
            ResolvedTarget::End => loop {
                let result = self.advance(Budget::instructions(1_000_000));
                if finished(&result) {
                    return Ok(());
                }
                if self.position() - start >= limit {
                    return Err(too_far());
                }
            },
            ResolvedTarget::Instruction { address, thread } => {
                let mut remaining = go.count;
                // An instruction that faults is reached again after the fault
                // is served, at the same position: that is one arrival.
                let mut last_arrival = None;
                loop {
                    let result = self.advance(Budget::instructions(1));
                    if finished(&result) {
                        return Err(ended(&result));
                    }
                    let current = self.system.kernel().current_thread().raw();
                    let here = self.position();
                    if self.system.machine().cpu.eip == *address
                        && thread.is_none_or(|thread| thread.is(current))
                        && last_arrival.replace(here) != Some(here)
                    {
                        remaining -= 1;
                        if remaining == 0 {
                            return Ok(());
                        }
                    }
                    if self.position() - start >= limit {
                        return Err(too_far());
                    }
                }
            }
            target => {
                self.watch = Some(crate::session::Watch { target: target.clone(), remaining: go.count });
                let outcome = loop {
                    let used = self.position() - start;
                    let result =
                        self.advance(Budget { stop_at_kernel_event: true, ..Budget::instructions(limit - used) });
                    if self.watch.as_ref().is_some_and(|watch| watch.remaining == 0) {
                        break Ok(());
                    }
                    if finished(&result) {
                        break Err(ended(&result));
                    }
                    if self.position() - start >= limit {
                        break Err(too_far());
                    }
                };
                self.watch = None;
                outcome
            }
        }
    }

    /// The lesson as the panel shows it.
    pub fn lesson(&self) -> Option<LessonView> {
        let run = self.lesson.as_ref()?;
        let lesson = &run.prepared.lesson;
        let current = run.step.map(|index| {
            let step = &lesson.steps[index];
            let resolved = &run.prepared.steps[index];
            let (text, predict, reveal) = run.html.steps[index].clone();
            let evaluated = run.went && run.problem.is_none();
            LessonStepView {
                index: index as u32,
                title: step.title.clone(),
                text_html: text,
                go: resolved.go.as_ref().map(|go| go.text.clone()),
                look: resolved.look.map(|look| look.key()),
                predict_html: predict,
                reveal_html: reveal,
                revealed: run.revealed[index],
                checks: resolved
                    .checks
                    .iter()
                    .map(|check| {
                        let outcome = evaluated
                            .then(|| lesson::evaluate(check, &self.system, &run.baseline, &run.prepared.names));
                        LessonCheckView {
                            text: check.text.clone(),
                            met: outcome.as_ref().map(|outcome| outcome.met),
                            found: outcome.map(|outcome| outcome.found).unwrap_or_default(),
                        }
                    })
                    .collect(),
            }
        });
        Some(LessonView {
            key: match &run.source {
                LessonSource::Builtin(name) => name.clone(),
                LessonSource::File { file, .. } => file.clone(),
            },
            builtin: matches!(run.source, LessonSource::Builtin(_)),
            title: lesson.title.clone(),
            introduction_html: run.html.introduction.clone(),
            step_titles: lesson.steps.iter().map(|step| step.title.clone()).collect(),
            current,
            went: run.went,
            problem: run.problem.clone(),
            cpus: lesson.cpus.iter().copied().map(choice).collect(),
            cpu: choice(run.cpu),
            step_cpu: self.config.cpu,
        })
    }
}

/// What a go waits for, while it runs (see `Session::take_events`).
pub(crate) fn matches(target: &ResolvedTarget, entry: &sim::LoggedEvent) -> bool {
    target.matches(entry)
}
