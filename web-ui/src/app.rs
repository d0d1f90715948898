//! The root component: owns the [`Explorer`], turns events into
//! [`Action`]s, and does every side effect — the animation-frame loop that
//! runs the machine in time slices, the keyboard, the URL, reading files,
//! downloads, the theme.

use crate::components::*;
use crate::keys;
use crate::state::{
    Action, CodeTab, Explorer, MAX_FULL_SPEED_MILLISECONDS, MIN_FULL_SPEED_MILLISECONDS, MachineTab,
    SEEK_SLICE_MILLISECONDS,
};
use crate::url::{self, Place};
use gloo::events::EventListener;
use gloo::file::callbacks::FileReader;
use gloo::render::{AnimationFrame, request_animation_frame};
use web_sys::wasm_bindgen::JsCast;
use yew::prelude::*;

mod files;
mod run_rate;

/// What the root reacts to.
#[derive(Debug)]
pub enum Message {
    Do(Action),
    /// An animation frame while running.
    Frame,
    Key(KeyboardEvent),
    /// The URL's hash changed (the user edited or pasted a link).
    HashChanged,
    PickedFile(web_sys::File),
    FileRead {
        name: String,
        bytes: Result<Vec<u8>, String>,
    },
    /// A lesson file picked in the Lessons panel.
    PickedLessonFile(web_sys::File),
    LessonFileRead {
        name: String,
        text: Result<String, String>,
    },
    /// Make a link to the lesson at this step.
    ShareLesson,
    ExportTrace,
    /// Write the next part of the trace being exported.
    ExportChunk,
    /// The user paused: write the view into the URL.
    WriteHash,
    ExportSvg {
        element: String,
        file: String,
    },
    /// Save an SVG drawing a panel made itself.
    SaveSvg {
        file: String,
        text: String,
    },
}

/// The callbacks handed to the panels, made once: a callback made anew on
/// each render compares unequal, which would re-render every panel on every
/// step whether its data changed or not.
struct Callbacks {
    on_action: Callback<Action>,
    on_file: Callback<web_sys::File>,
    on_lesson_file: Callback<web_sys::File>,
    on_share: Callback<()>,
    on_export_trace: Callback<()>,
    on_export_svg: Callback<(String, String)>,
    on_save_svg: Callback<(String, String)>,
}

pub struct App {
    explorer: Explorer,
    callbacks: Callbacks,
    frame: Option<AnimationFrame>,
    reader: Option<FileReader>,
    hash_timer: Option<gloo::timers::callback::Timeout>,
    _keys: EventListener,
    _hash: EventListener,
    /// The hash we wrote last (so our own change is not read back).
    written_hash: String,
    /// How much of a moment a seek arrived at is shown yet.
    showing: Showing,
    /// The machine tab as last rendered (kept while [`Showing::Timeline`]).
    kept_machine_tab: std::cell::RefCell<Option<Html>>,
    /// When the last animation frame came (for the full-speed slice).
    last_frame: Option<f64>,
    /// The live speed of a run, for the status bar.
    run_rate: run_rate::RunRateTracker,
    /// The event log as last shown while running fast (see [`App::event_log`]).
    log_snapshot: std::cell::RefCell<Option<LogSnapshot>>,
    /// The built-in lessons (read once).
    lesson_list: Vec<wasm_bridge::LessonSummaryView>,
    /// The last share link made (or why none could be), until the lesson moves.
    share: Option<SharedLink>,
    /// A trace export under way: where it is, and the parts written so far
    /// (JavaScript strings: the WebAssembly memory holds one part at a time).
    export: Option<(wasm_bridge::export::TraceExport, js_sys::Array)>,
    /// The timer that writes the export's next part.
    export_timer: Option<gloo::timers::callback::Timeout>,
}

/// Trace events written per part of an export (a few milliseconds each).
const EXPORT_CHUNK: usize = 20_000;

/// A share link and the lesson position it was made at.
#[derive(Debug)]
struct SharedLink {
    /// (step, went) when it was made: the link shows until the lesson moves.
    at: Option<(Option<usize>, bool)>,
    link: Result<String, String>,
}

/// Showing the moment a seek arrived at changes every view at once — more
/// than one frame's work — so it is shown over three frames, a part in each:
/// the timeline, code, scrubber and status first; then the machine tab;
/// then the event log and the timeline's message list (the log then fills
/// itself a few pieces a frame). Until the last, `body[data-seeking]` stays
/// true. Any action shows everything at once.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Showing {
    /// Everything shown is current.
    Current,
    /// A seek arrived; nothing of it is shown yet.
    Arrived,
    /// Shown: all but the machine tab, the event log and the message list.
    Timeline,
    /// Shown: all but the event log and the message list.
    MachineTab,
}

/// The event log's rows at one moment.
#[derive(Debug)]
struct LogSnapshot {
    taken: f64,
    events: Vec<wasm_bridge::EventView>,
    present: usize,
    total: u64,
}

/// How often the event log is brought up to date while running fast.
const LOG_REFRESH_MILLISECONDS: f64 = 250.0;

impl std::fmt::Debug for App {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("App")
            .field("explorer", &self.explorer)
            .field("written_hash", &self.written_hash)
            .finish_non_exhaustive()
    }
}

fn current_hash() -> String {
    gloo::utils::window().location().hash().unwrap_or_default()
}

/// The explorer for a URL hash, with what was wrong with the hash.
fn explorer_for(hash: &str) -> Explorer {
    let (place, mut problems) = url::parse(hash);
    let mut explorer = match Explorer::new(&place.scenario, place.cpu, place.small_spaces) {
        Ok(explorer) => explorer,
        Err(message) => {
            problems.push(message);
            let fallback = Place::default();
            match Explorer::new(&fallback.scenario, fallback.cpu, fallback.small_spaces) {
                Ok(explorer) => explorer,
                Err(message) => panic!("the built-in default scenario does not boot: {message}"),
            }
        }
    };
    if let Some(lesson) = &place.lesson {
        let source = match &lesson.text {
            Some(text) => wasm_bridge::LessonSource::File { file: lesson.name.clone(), text: text.clone() },
            None => wasm_bridge::LessonSource::Builtin(lesson.name.clone()),
        };
        match explorer.session.open_lesson(source, Some(place.cpu)) {
            Ok(()) => {
                if lesson.step.is_some() || lesson.went {
                    explorer.apply(Action::LessonGoTo { step: lesson.step, went: lesson.went });
                }
            }
            Err(errors) => {
                problems.push(format!(
                    "the lesson in the address cannot be opened ({} mistakes: see the Lessons panel)",
                    errors.len()
                ));
                explorer.lesson_errors = errors;
            }
        }
    } else {
        if let Some((name, bytes)) = &place.elf {
            if let Err(problem) = explorer.session.load_elf(name, bytes.clone()) {
                problems.push(problem);
            }
        } else if let Some(programs) = &place.programs {
            explorer.session.set_programs(
                programs
                    .iter()
                    .map(|(file, source)| wasm_bridge::ProgramView { file: file.clone(), source: source.clone() })
                    .collect(),
            );
        }
        match place.sequence {
            Some(sequence) => explorer.session.seek_moment(place.position, sequence),
            None if place.position > 0 => {
                explorer.apply(Action::Seek(place.position));
                explorer.session.finish_seek();
            }
            None => {}
        }
    }
    let notice = problems.join("; ");
    if !notice.is_empty() {
        explorer.notice = notice;
    } else if hash.trim_start_matches('#').is_empty() {
        explorer.notice =
            "New here? The Lessons panel on the right walks you through the paper: press n to begin".into();
    }
    explorer
}

impl App {
    fn place(&self) -> Place {
        let session = &self.explorer.session;
        let status = session.status();
        let lesson = session.lesson_source().map(|source| {
            let (step, went) = session.lesson_position().unwrap_or((None, false));
            match source {
                wasm_bridge::LessonSource::Builtin(name) => {
                    url::LessonPlace { name: name.clone(), text: None, step, went }
                }
                wasm_bridge::LessonSource::File { file, text } => {
                    url::LessonPlace { name: file.clone(), text: Some(text.clone()), step, went }
                }
            }
        });
        let elf = session.loaded_elf().map(|(name, bytes)| (name.to_string(), bytes.to_vec()));
        let programs = (lesson.is_none() && elf.is_none() && session.programs_changed())
            .then(|| session.programs().into_iter().map(|program| (program.file, program.source)).collect());
        Place {
            scenario: session.config().scenario.clone(),
            cpu: status.cpu,
            small_spaces: status.small_spaces,
            position: status.instructions,
            sequence: Some(session.moment().1),
            programs,
            elf,
            lesson,
        }
    }

    /// Keep the URL naming the current view (no history entry per step).
    /// A view too large for a link keeps its last address.
    fn write_hash(&mut self) {
        let Ok(hash) = url::format(&self.place()) else { return };
        if hash == self.written_hash {
            return;
        }
        if let Ok(history) = gloo::utils::window().history() {
            let _ = history.replace_state_with_url(&web_sys::wasm_bindgen::JsValue::NULL, "", Some(&hash));
        }
        self.written_hash = hash;
    }

    /// Write the URL once the user pauses (200 ms): `history.replaceState`
    /// cost a millisecond on every step.
    fn write_hash_soon(&mut self, context: &Context<Self>) {
        if self.explorer.running {
            return;
        }
        let link = context.link().clone();
        self.hash_timer =
            Some(gloo::timers::callback::Timeout::new(200, move || link.send_message(Message::WriteHash)));
    }

    /// The theme on the document's root, before the panels render (the
    /// timeline's canvas reads its colours from it).
    fn apply_theme(&self) {
        let theme = if self.explorer.dark { "dark" } else { "light" };
        if let Some(root) = gloo::utils::document().document_element()
            && root.get_attribute("data-theme").as_deref() != Some(theme)
        {
            let _ = root.set_attribute("data-theme", theme);
        }
    }

    /// Running as fast as possible: simulate for as long per frame as the
    /// page can afford and still repaint at 30 frames/s — less when the
    /// last frame came late (over 40 ms: a 30 frames/s frame missed;
    /// rendering what the slice did took long), a millisecond more after
    /// each frame on time (within 34.5 ms). (Until 2026-12-06 it aimed at
    /// 60 frames/s and never simulated more than 12 ms a frame: ping-pong
    /// ran at 1.0 M instructions/s in Chromium, 1.5 M now.)
    fn adapt_full_speed_slice(&mut self) {
        let now = crate::state::now();
        let previous = self.last_frame.replace(now);
        if !self.explorer.running || self.explorer.frame_budget() != 0 {
            return;
        }
        let Some(previous) = previous else { return };
        let interval = now - previous;
        let slice = &mut self.explorer.full_speed_milliseconds;
        if interval > 40.0 {
            *slice = (*slice * 0.8).max(MIN_FULL_SPEED_MILLISECONDS);
        } else if interval < 34.5 {
            *slice = (*slice + 1.0).min(MAX_FULL_SPEED_MILLISECONDS);
        }
    }

    /// The event log's rows, how many are at or before the machine's
    /// position (the rest are its future, after a step back), and the
    /// number of events. Running fast (20,000 instructions a frame or as
    /// fast as possible) the log is brought up to date four times a
    /// second, not on every frame: rebuilding 200 rows per frame was the
    /// largest part of a frame's rendering, and no one reads rows at that
    /// speed. When a seek arrives, the log is shown last (see [`Showing`]).
    /// Paused or slower, it is always current.
    fn event_log(&self) -> (Vec<wasm_bridge::EventView>, usize, u64) {
        let explorer = &self.explorer;
        let fast = explorer.running && (explorer.frame_budget() == 0 || explorer.frame_budget() >= 20_000);
        let now = crate::state::now();
        let mut snapshot = self.log_snapshot.borrow_mut();
        let keep = matches!(self.showing, Showing::Timeline | Showing::MachineTab);
        let recent = |kept: &&LogSnapshot| keep || now - kept.taken < LOG_REFRESH_MILLISECONDS;
        if (fast || keep)
            && let Some(kept) = snapshot.as_ref().filter(recent)
        {
            return (kept.events.clone(), kept.present, kept.total);
        }
        let status = explorer.session.status();
        let events = explorer.session.events(&explorer.event_filter);
        let present = events.iter().take_while(|event| event.instruction <= status.instructions).count();
        *snapshot = Some(LogSnapshot { taken: now, events: events.clone(), present, total: status.events });
        (events, present, status.events)
    }

    /// Do what the user asked; returns whether to render.
    fn act(&mut self, context: &Context<Self>, action: Action) -> bool {
        if self.export.is_some() && action.moves_machine() {
            // The export reads the timeline as it was when it began.
            self.explorer.notice = "the trace is being exported: the machine waits until the file is written".into();
            return true;
        }
        if let Action::PreviewSeek(_) = action {
            // Dragging the scrubber: show where the replay got to at once
            // (the release seeks exactly; frames meanwhile go on towards it).
            self.explorer.apply(action);
            self.showing = Showing::Current;
            self.after_action(context);
            return true;
        }
        let seek = matches!(action, Action::Seek(_) | Action::SeekEvent { .. });
        self.explorer.apply(action);
        // A seek that arrived within its first slice of replay is shown from
        // the next frame on, like a longer one.
        self.showing =
            if seek && self.explorer.session.seeking().is_none() { Showing::Arrived } else { Showing::Current };
        self.after_action(context)
    }

    /// After the explorer changed: ask for the next frame if running or
    /// seeking, and say (for the page and the tests) whether a seek is
    /// under way. While it is, nothing is rendered: the views would show
    /// the replay's way through the past, and drawing them would take the
    /// time the replay needs. Returns whether to render.
    fn after_action(&mut self, context: &Context<Self>) -> bool {
        self.schedule(context);
        self.apply_theme();
        let seeking = self.explorer.session.seeking().is_some() || self.showing != Showing::Current;
        if let Some(body) = gloo::utils::document().body() {
            let _ = body.set_attribute("data-seeking", &seeking.to_string());
        }
        if !seeking {
            self.write_hash_soon(context);
        }
        !seeking
    }

    fn schedule(&mut self, context: &Context<Self>) {
        let seeking = self.explorer.session.seeking().is_some() || self.showing != Showing::Current;
        if (self.explorer.running || seeking) && self.frame.is_none() {
            let link = context.link().clone();
            self.frame = Some(request_animation_frame(move |_| link.send_message(Message::Frame)));
        }
    }

    /// Write the export's next part after the browser has had a frame.
    fn schedule_export(&mut self, context: &Context<Self>) {
        let link = context.link().clone();
        self.export_timer =
            Some(gloo::timers::callback::Timeout::new(0, move || link.send_message(Message::ExportChunk)));
    }
}

impl Component for App {
    type Message = Message;
    type Properties = ();

    fn create(context: &Context<Self>) -> Self {
        let document = gloo::utils::document();
        let link = context.link().clone();
        // Not passive: our shortcuts call preventDefault (space would scroll).
        let options = gloo::events::EventListenerOptions::enable_prevent_default();
        let keys = EventListener::new_with_options(&document, "keydown", options, move |event| {
            if let Some(event) = event.dyn_ref::<KeyboardEvent>() {
                link.send_message(Message::Key(event.clone()));
            }
        });
        let link = context.link().clone();
        let hash =
            EventListener::new(&gloo::utils::window(), "hashchange", move |_| link.send_message(Message::HashChanged));
        let written_hash = current_hash();
        let mut explorer = explorer_for(&written_hash);
        explorer.dark = gloo::utils::window()
            .match_media("(prefers-color-scheme: dark)")
            .ok()
            .flatten()
            .is_some_and(|query| query.matches());
        let link = context.link();
        let callbacks = Callbacks {
            on_action: link.callback(Message::Do),
            on_file: link.callback(Message::PickedFile),
            on_lesson_file: link.callback(Message::PickedLessonFile),
            on_share: link.callback(|_| Message::ShareLesson),
            on_export_trace: link.callback(|_| Message::ExportTrace),
            on_export_svg: link.callback(|(element, file)| Message::ExportSvg { element, file }),
            on_save_svg: link.callback(|(file, text)| Message::SaveSvg { file, text }),
        };
        let mut app = Self {
            explorer,
            callbacks,
            frame: None,
            reader: None,
            hash_timer: None,
            _keys: keys,
            _hash: hash,
            written_hash,
            showing: Showing::Current,
            kept_machine_tab: std::cell::RefCell::new(None),
            last_frame: None,
            run_rate: run_rate::RunRateTracker::default(),
            log_snapshot: std::cell::RefCell::new(None),
            lesson_list: wasm_bridge::lessons(),
            share: None,
            export: None,
            export_timer: None,
        };
        app.write_hash();
        app.apply_theme();
        app
    }

    fn update(&mut self, context: &Context<Self>, message: Message) -> bool {
        match message {
            Message::Do(Action::SelectScenario(name)) => {
                // A scenario replaces the programs: ask before an edit or a loaded file is lost.
                let session = &self.explorer.session;
                if session.programs_changed() && session.lesson_source().is_none() {
                    let question =
                        "Your edited or loaded program goes when another scenario boots. Boot the scenario anyway?";
                    if !gloo::utils::window().confirm_with_message(question).unwrap_or(false) {
                        return true;
                    }
                }
                self.act(context, Action::SelectScenario(name))
            }
            Message::Do(action) => self.act(context, action),
            Message::Frame => {
                self.frame = None;
                if self.explorer.session.seeking().is_some() {
                    // A seek that arrives is shown from the next frame on: a
                    // slice of replay and a render of a new moment together
                    // would not fit in one.
                    if self.explorer.continue_seek_for(SEEK_SLICE_MILLISECONDS) {
                        self.showing = Showing::Arrived;
                    }
                    return self.after_action(context);
                }
                let next = match self.showing {
                    Showing::Current => None,
                    Showing::Arrived => Some(Showing::Timeline),
                    Showing::Timeline => Some(Showing::MachineTab),
                    Showing::MachineTab => Some(Showing::Current),
                };
                if let Some(next) = next {
                    self.showing = next;
                    self.after_action(context);
                    return true;
                }
                self.adapt_full_speed_slice();
                self.explorer.apply(Action::Tick);
                if self.explorer.running {
                    let status = self.explorer.session.status();
                    self.run_rate.sample(crate::state::now(), status.instructions, status.microseconds);
                }
                self.after_action(context)
            }
            Message::WriteHash => {
                self.hash_timer = None;
                if !self.explorer.running {
                    self.write_hash();
                }
                false
            }
            Message::Key(event) => {
                if event.ctrl_key() || event.meta_key() || event.alt_key() {
                    return false;
                }
                let typing = event.target().and_then(|target| target.dyn_into::<web_sys::Element>().ok()).is_some_and(
                    |element| {
                        matches!(element.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                            || element.has_attribute("contenteditable")
                    },
                );
                if event.key() == "Escape" && self.explorer.help {
                    self.explorer.apply(Action::ToggleHelp);
                    return true;
                }
                if typing {
                    return false;
                }
                if event.key() == "m" {
                    if keys::focus_timeline() {
                        event.prevent_default();
                    }
                    return false;
                }
                match keys::action(&event.key(), self.explorer.speed) {
                    Some(action) => {
                        event.prevent_default();
                        self.act(context, action)
                    }
                    None => false,
                }
            }
            Message::HashChanged => {
                let hash = current_hash();
                if hash != self.written_hash {
                    let dark = self.explorer.dark;
                    self.explorer = explorer_for(&hash);
                    self.explorer.dark = dark;
                    self.written_hash = hash;
                    self.write_hash();
                    return true;
                }
                false
            }
            Message::PickedFile(file) => {
                let name = file.name();
                let link = context.link().clone();
                let file = gloo::file::File::from(file);
                self.reader = Some(gloo::file::callbacks::read_as_bytes(&file, move |result| {
                    let bytes = result.map_err(|error| format!("{error}"));
                    link.send_message(Message::FileRead { name, bytes });
                }));
                false
            }
            Message::FileRead { name, bytes } => {
                self.reader = None;
                match bytes {
                    Ok(bytes) => self.explorer.apply(Action::LoadElf { name, bytes }),
                    Err(error) => self.explorer.notice = format!("could not read {name}: {error}"),
                }
                true
            }
            Message::PickedLessonFile(file) => {
                let name = file.name();
                let link = context.link().clone();
                let file = gloo::file::File::from(file);
                self.reader = Some(gloo::file::callbacks::read_as_text(&file, move |result| {
                    let text = result.map_err(|error| format!("{error}"));
                    link.send_message(Message::LessonFileRead { name, text });
                }));
                false
            }
            Message::LessonFileRead { name, text } => {
                self.reader = None;
                match text {
                    Ok(text) => {
                        self.act(context, Action::OpenLessonFile { file: name, text });
                    }
                    Err(error) => {
                        self.explorer.notice = format!("could not read {name}: it is not a text file ({error})")
                    }
                }
                true
            }
            Message::ShareLesson => {
                let place = self.place();
                let made = url::format(&place).map(|hash| {
                    let location = gloo::utils::window().location();
                    let base = location.href().unwrap_or_default();
                    let base = base.split('#').next().unwrap_or_default().to_string();
                    self.write_hash();
                    format!("{base}{hash}")
                });
                let made = made.map_err(|problem| format!("This lesson is {problem}."));
                self.share = Some(SharedLink { at: self.explorer.session.lesson_position(), link: made });
                true
            }
            Message::ExportTrace => {
                if self.export.is_some() {
                    return false;
                }
                let export =
                    wasm_bridge::export::TraceExport::begin(&self.explorer.session, wasm_bridge::export::EXPORT_LIMIT);
                self.explorer.notice = export.describe();
                self.export = Some((export, js_sys::Array::new()));
                self.schedule_export(context);
                true
            }
            Message::ExportChunk => {
                self.export_timer = None;
                let Some((mut export, parts)) = self.export.take() else { return false };
                match export.next_chunk(&self.explorer.session, EXPORT_CHUNK) {
                    Some(Ok(chunk)) => {
                        parts.push(&web_sys::wasm_bindgen::JsValue::from_str(&chunk));
                        self.explorer.notice =
                            format!("exporting the trace: {} of {} events…", export.written, export.total);
                        self.export = Some((export, parts));
                        self.schedule_export(context);
                    }
                    Some(Err(problem)) => self.explorer.notice = problem,
                    None => {
                        self.explorer.notice = match Self::download_parts("l4-trace.json", "application/json", &parts) {
                            Ok(()) => format!(
                                "exported {} events to l4-trace.json{}",
                                export.total,
                                if export.left_out > 0 {
                                    format!(" (the latest; {} earlier ones left out)", export.left_out)
                                } else {
                                    String::new()
                                }
                            ),
                            Err(message) => message,
                        };
                    }
                }
                true
            }
            Message::SaveSvg { file, text } => {
                if let Err(message) = Self::download(&file, "image/svg+xml", &text) {
                    self.explorer.notice = message;
                }
                true
            }
            Message::ExportSvg { element, file } => {
                match Self::svg_text(&element) {
                    Some(text) => {
                        if let Err(message) = Self::download(&file, "image/svg+xml", &text) {
                            self.explorer.notice = message;
                        }
                    }
                    None => {
                        self.explorer.notice = format!("nothing to export: the {element} drawing is not on the page")
                    }
                }
                true
            }
        }
    }

    fn view(&self, _context: &Context<Self>) -> Html {
        let explorer = &self.explorer;
        let session = &explorer.session;
        let on_action = self.callbacks.on_action.clone();
        let on_file = self.callbacks.on_file.clone();
        let on_export_trace = self.callbacks.on_export_trace.clone();
        let on_export_svg = self.callbacks.on_export_svg.clone();
        let status = session.status();
        let scenarios: Vec<(String, String)> = wasm_bridge::scenarios()
            .into_iter()
            .map(|(name, title, _)| (name.to_string(), title.to_string()))
            .collect();
        let (from, to) = explorer.timeline_window();
        let (events, present, total) = self.event_log();
        let code_tab = |tab: CodeTab, label: &str, key: &str| {
            let on_action = on_action.clone();
            let selected = explorer.code_tab == tab;
            html! {
                <button role="tab" aria-selected={selected.to_string()} class={classes!(selected.then_some("active"))} data-test={format!("tab-{}", label.to_lowercase())}
                    onclick={Callback::from(move |_: MouseEvent| on_action.emit(Action::ShowCodeTab(tab)))} title={format!("{label} ({key})")}>{ label }</button>
            }
        };
        let machine_tab = |tab: MachineTab, label: &str, key: &str| {
            let on_action = on_action.clone();
            let selected = explorer.machine_tab == tab;
            html! {
                <button role="tab" aria-selected={selected.to_string()} class={classes!(selected.then_some("active"))} data-test={format!("tab-{}", label.split(' ').next().unwrap_or(label).to_lowercase())}
                    onclick={Callback::from(move |_: MouseEvent| on_action.emit(Action::ShowMachineTab(tab)))} title={format!("{label} ({key})")}>{ label }</button>
            }
        };
        let names = session.names();
        let lesson = session.lesson();
        let look = explorer.look.filter(|_| lesson.is_some());
        let looking = |views: &[&str]| look.is_some_and(|look| views.contains(&look)).then_some("look-here");
        let share = self
            .share
            .as_ref()
            .filter(|shared| shared.at == session.lesson_position())
            .map(|shared| shared.link.clone());
        let left = match explorer.code_tab {
            CodeTab::Code => {
                let chosen = explorer.source_line.clone();
                html! { <CodePanel code={session.code(40)} {chosen} on_action={on_action.clone()} /> }
            }
            CodeTab::Editor => {
                let chosen = explorer.source_line.clone();
                let made = chosen.as_ref().map(|(file, line)| session.instructions_of(file, *line)).unwrap_or_default();
                html! { <EditorPanel programs={session.programs()} errors={session.errors()} {chosen} {made} on_action={on_action.clone()} /> }
            }
            CodeTab::Console => {
                html! { <ConsolePanel console={session.console()} vga={session.vga()} on_action={on_action.clone()} /> }
            }
        };
        let kept_machine_tab =
            (self.showing == Showing::Timeline).then(|| self.kept_machine_tab.borrow().clone()).flatten();
        let middle = kept_machine_tab.unwrap_or_else(|| match explorer.machine_tab {
            MachineTab::Spaces => {
                let task = explorer.selected_space;
                html! {
                    <SpacesPanel trees={session.mapping_trees(explorer.all_trees)} spaces={session.spaces()} memory_map={session.memory_map(task)}
                        directory={session.page_directory(task)} table={explorer.selected_directory_entry.map(|index| session.page_table(task, index)).unwrap_or_default()}
                        selected_space={task} selected_entry={explorer.selected_directory_entry} all_trees={explorer.all_trees}
                        animate={explorer.moving_forward} on_action={on_action.clone()} on_export_svg={on_export_svg.clone()} />
                }
            }
            MachineTab::Tlb => html! { <TlbPanel tlbs={session.tlbs()} /> },
            MachineTab::Cpu => {
                html! { <CpuPanel cpu={session.cpu()} previous={explorer.previous_cpu.clone()} threads={session.threads()} on_action={on_action.clone()} /> }
            }
            MachineTab::Memory => html! {
                <MemoryPanel view={explorer.memory_view()} previous={explorer.previous_memory.clone()} follow={explorer.memory_follow.clone()}
                    spaces={session.spaces()} problem={explorer.memory_problem.clone()} on_action={on_action.clone()} />
            },
            MachineTab::Costs => html! {
                <CostsPanel costs={session.costs()} comparison={explorer.comparison.clone()} calibrated={status.calibrated}
                    average={session.ipc_breakdown_average()}
                    selected={explorer.selected_message
                        .filter(|(generation, _)| *generation == session.generation())
                        .map(|(_, event)| session.ipc_breakdown_of(event))}
                    on_action={on_action.clone()} />
            },
        });
        *self.kept_machine_tab.borrow_mut() = Some(middle.clone());
        let freeze_messages = explorer.running || matches!(self.showing, Showing::Timeline | Showing::MachineTab);
        html! {
            <div class="explorer" data-theme={if explorer.dark { "dark" } else { "light" }}>
                <Toolbar status={status.clone()} scenarios={scenarios} running={explorer.running} speed={explorer.speed} booted={session.booted()}
                    programs_label={session.programs_label()} load_problem={explorer.load_problem.clone()}
                    on_action={on_action.clone()} {on_file} {on_export_trace} />
                <Scrubber status={status.clone()} on_action={on_action.clone()} />
                <main class="columns">
                    <div class="column left">
                        <div class="tabs" role="tablist" aria-label="Code, editor, console">
                            { code_tab(CodeTab::Code, "Code", "c") }
                            { code_tab(CodeTab::Editor, "Editor", "d") }
                            { code_tab(CodeTab::Console, "Console", "o") }
                        </div>
                        <div class={classes!("tab-body", looking(&["code", "editor", "console"]))}>{ left }</div>
                        <BreakpointPanel breakpoints={session.breakpoint_list()} names={names.clone()} on_action={on_action.clone()} />
                    </div>
                    <div class={classes!("column", "middle", looking(&["timeline"]).map(|_| "look-timeline"))}>
                        <TimelinePanel view={session.timeline(from, to)} {from} {to} now={status.cycles} following={explorer.timeline_window.is_none()} running={freeze_messages}
                            dark={explorer.dark} on_action={on_action.clone()} on_save_svg={self.callbacks.on_save_svg.clone()} />
                        <div class="tabs" role="tablist" aria-label="Machine views">
                            { machine_tab(MachineTab::Spaces, "Spaces", "1") }
                            { machine_tab(MachineTab::Tlb, "TLB", "2") }
                            { machine_tab(MachineTab::Cpu, "CPU", "3") }
                            { machine_tab(MachineTab::Costs, "Costs", "4") }
                            { machine_tab(MachineTab::Memory, "Memory", "5") }
                        </div>
                        <div class={classes!("tab-body", looking(&["spaces", "tlb", "cpu", "costs"]))}>{ middle }</div>
                    </div>
                    <div class={classes!("column", "right", lesson.is_some().then_some("in-lesson"), looking(&["event log"]).map(|_| "look-events"))}>
                        <LessonsPanel lesson={lesson} list={self.lesson_list.clone()} errors={explorer.lesson_errors.clone()} {share}
                            on_action={on_action.clone()} on_file={self.callbacks.on_lesson_file.clone()} on_share={self.callbacks.on_share.clone()} />
                        <EventList events={events} filter={explorer.event_filter.clone()} {total}
                            {present} names={names} highlight={session.stop_event()} on_action={on_action.clone()} />
                    </div>
                </main>
                <StatusBar status={status} notice={explorer.notice.clone()} running={explorer.running}
                    rate={explorer.running.then(|| self.run_rate.rate()).flatten().map(run_rate::describe).unwrap_or_default()} />
                if explorer.help {
                    <HelpOverlay on_action={on_action.clone()} />
                }
            </div>
        }
    }

    fn rendered(&mut self, _context: &Context<Self>, first: bool) {
        // For the benchmarks and tests: when the page last finished a render.
        if let Some(body) = gloo::utils::document().body() {
            if first && let Some(performance) = gloo::utils::window().performance() {
                // Milliseconds since navigation began: `cargo xtask bench explorer` reads it.
                let _ = body.set_attribute("data-first-render-ms", &format!("{:.1}", performance.now()));
            }
            let count = body.get_attribute("data-renders").and_then(|value| value.parse::<u64>().ok()).unwrap_or(0) + 1;
            let _ = body.set_attribute("data-renders", &count.to_string());
            let _ = body.set_attribute("data-running", &self.explorer.running.to_string());
            // The modelled user instructions so far: the benchmark's measure
            // of the full-speed rate, frame by frame.
            let instructions = self.explorer.session.status().instructions;
            let _ = body.set_attribute("data-instructions", &instructions.to_string());
        }
    }
}
