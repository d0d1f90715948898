//! Component tests: each component rendered alone, from a real session's
//! views, into the page of a headless Chromium (`cargo xtask test --only
//! components`). They assert what the component says (text, attributes) and
//! that its controls emit the right actions.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)]

use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use wasm_bridge::{Breakpoint, CpuChoice, EventQuery, Session, SessionConfig};
use web_sys::wasm_bindgen::JsCast;
use web_ui::components::*;
use web_ui::state::Action;
use yew::Callback;

wasm_bindgen_test_configure!(run_in_browser);

/// A fresh element appended to the body (never replace the body: the test
/// runner keeps its output there).
fn mount_point() -> web_sys::Element {
    let document = gloo::utils::document();
    let element = document.create_element("div").expect("a div can be created");
    document.body().expect("the page has a body").append_child(&element).expect("append works");
    element
}

/// The explorer's own stylesheet on the test page, for tests that measure
/// what they draw: without it an SVG label takes the browser's default font
/// (16 px serif here), not the page's 10 px monospace its box is sized for.
fn use_the_explorers_style() {
    let document = gloo::utils::document();
    if document.get_element_by_id("explorer-style").is_some() {
        return;
    }
    let style = document.create_element("style").expect("a style element can be created");
    style.set_id("explorer-style");
    style.set_text_content(Some(include_str!("../../static/style.css")));
    document.head().expect("the page has a head").append_child(&style).expect("append works");
}

async fn settle() {
    yew::platform::time::sleep(std::time::Duration::from_millis(20)).await;
}

fn session(scenario: &str, cpu: CpuChoice) -> Session {
    Session::new(SessionConfig { scenario: scenario.into(), cpu, small_spaces: false }).expect("the scenario boots")
}

/// A callback that records the actions it is given.
fn recorder() -> (Callback<Action>, Rc<RefCell<Vec<Action>>>) {
    let actions = Rc::new(RefCell::new(Vec::new()));
    let sink = actions.clone();
    (Callback::from(move |action| sink.borrow_mut().push(action)), actions)
}

fn all(root: &web_sys::Element, selector: &str) -> Vec<web_sys::Element> {
    let list = root.query_selector_all(selector).expect("the selector is valid");
    (0..list.length()).filter_map(|index| list.item(index)?.dyn_into().ok()).collect()
}

/// Clicks any element, HTML or SVG (SVG elements have no `click()` method).
fn click(element: &web_sys::Element) {
    let init = web_sys::MouseEventInit::new();
    init.set_bubbles(true);
    init.set_cancelable(true);
    let event = web_sys::MouseEvent::new_with_mouse_event_init_dict("click", &init).expect("a click event");
    element.dispatch_event(&event).expect("the click is dispatched");
}

#[wasm_bindgen_test]
async fn status_bar_names_the_cpu_the_run_and_the_build() {
    let session = session("hello", CpuChoice::Pentium);
    let root = mount_point();
    let props =
        StatusBarProps { status: session.status(), notice: "a notice".into(), running: false, rate: String::new() };
    let mut handle = yew::Renderer::<StatusBar>::with_root_and_props(root.clone(), props).render();
    settle().await;
    let text = root.text_content().unwrap_or_default();
    assert!(text.contains("Pentium at 166 MHz, 16384 KB"), "{text}");
    assert!(text.contains(&format!("l4-explorer {}", env!("CARGO_PKG_VERSION"))), "{text}");
    assert!(text.contains("a notice"), "{text}");
    assert_eq!(all(&root, "[data-test=scenario-name]")[0].text_content().as_deref(), Some("hello"));
    // A thread is on the CPU, but the explorer is paused: the bar says so.
    assert_eq!(session.status().state, "running");
    assert_eq!(all(&root, "[data-test=run-state]")[0].text_content().as_deref(), Some("paused"));
    assert!(all(&root, "[data-test=run-rate]").is_empty(), "no rate while paused");
    let rate = "12.3 M instructions/s · 0.41× real time";
    handle.update(StatusBarProps { status: session.status(), notice: String::new(), running: true, rate: rate.into() });
    settle().await;
    assert_eq!(all(&root, "[data-test=run-state]")[0].text_content().as_deref(), Some("running"));
    assert_eq!(all(&root, "[data-test=run-rate]")[0].text_content().as_deref(), Some(rate));
}

#[wasm_bindgen_test]
async fn timeline_draws_lanes_and_the_ipc_between_the_right_threads() {
    use web_ui::components::timeline_drawing::{LANE_HEIGHT, Plot};
    let mut session = session("ping-pong", CpuChoice::I486);
    session.step_ipc();
    session.step_ipc();
    let whole = session.timeline(0, u64::MAX);
    // A window around the two messages (the boot before them is long), so
    // that each arrow has room of its own.
    let (first, last) = (whole.arrows[0].cycle, whole.arrows[whole.arrows.len() - 1].cycle);
    let margin = (last - first).max(1_000);
    let (from, to, now) = (first.saturating_sub(margin), last + margin, whole.last_cycle);
    let view = session.timeline(from, to);
    let root = mount_point();
    let (on_action, actions) = recorder();
    let props = TimelinePanelProps {
        to,
        from,
        now,
        following: true,
        dark: false,
        running: false,
        view: view.clone(),
        on_action,
        on_save_svg: Callback::noop(),
    };
    yew::Renderer::<TimelinePanel>::with_root_and_props(root.clone(), props).render();
    settle().await;
    let lanes: Vec<String> =
        all(&root, "[data-test=lane]").iter().filter_map(|lane| lane.get_attribute("data-thread")).collect();
    assert_eq!(lanes, ["0x04020001", "0x04040001"], "sigma0 and the root task");
    // The messages, as the list of buttons screen readers see.
    let arrows = all(&root, "[data-test=ipc-arrow]");
    assert_eq!(arrows.len(), 2);
    assert_eq!(arrows[0].get_attribute("data-kind").as_deref(), Some("pagefault"));
    assert_eq!(arrows[0].get_attribute("data-from").as_deref(), Some("0x04040001"));
    assert_eq!(arrows[1].get_attribute("data-kind").as_deref(), Some("map"));
    assert_eq!(arrows[1].get_attribute("data-to").as_deref(), Some("0x04040001"));
    click(&arrows[1]);
    let second = Action::SeekEvent { index: view.arrows[1].event, instruction: view.arrows[1].instruction };
    assert_eq!(actions.borrow().last(), Some(&second));

    // The canvas: painted where the first arrow is, and pointing at it or at
    // a bar reads out what it is (states are named, not told by colour).
    let canvas: web_sys::HtmlCanvasElement = all(&root, "[data-test=timeline-canvas]")[0].clone().dyn_into().unwrap();
    let plot = Plot::new(&view, from, to, now);
    let (x, from_y, to_y) = plot.arrow(&view.arrows[0]).expect("both threads have lanes");
    let ratio = gloo::utils::window().device_pixel_ratio();
    let context: web_sys::CanvasRenderingContext2d = canvas.get_context("2d").unwrap().unwrap().dyn_into().unwrap();
    let middle = (from_y + to_y) / 2.0;
    let pixel = context.get_image_data(x * ratio, middle * ratio, 1.0, 1.0).unwrap().data();
    assert!(pixel[3] > 0, "the arrow is painted at ({x}, {middle})");
    let readout = || all(&root, "[data-test=timeline-readout]")[0].text_content().unwrap_or_default();
    let mouse = |kind: &str, x: f64, y: f64| {
        let bounds = canvas.get_bounding_client_rect();
        let init = web_sys::MouseEventInit::new();
        init.set_bubbles(true);
        init.set_client_x((bounds.left() + x).round() as i32);
        init.set_client_y((bounds.top() + y).round() as i32);
        let event = web_sys::MouseEvent::new_with_mouse_event_init_dict(kind, &init).unwrap();
        canvas.dispatch_event(&event).unwrap();
    };
    mouse("mousemove", x, middle);
    settle().await;
    assert!(readout().starts_with("pagefault from pager to sigma0"), "{}", readout());
    // A point in a bar, away from the arrows: the read-out names the state.
    let arrow_xs: Vec<f64> = view.arrows.iter().filter_map(|arrow| Some(plot.arrow(arrow)?.0)).collect();
    let (segment, bar_x, top) = view
        .segments
        .iter()
        .filter_map(|segment| Some((segment, plot.bar(segment)?)))
        .flat_map(|(segment, (start, width, top))| {
            (0..width as usize).map(move |step| (segment, start + step as f64 + 0.5, top))
        })
        .find(|(_, x, _)| arrow_xs.iter().all(|arrow_x| (arrow_x - x).abs() > 8.0))
        .expect("some bar is away from the arrows");
    mouse("mousemove", bar_x, top + LANE_HEIGHT / 2.0);
    settle().await;
    let expected = format!("{}: {} from cycle", view.names.thread(segment.thread), segment.state);
    assert!(readout().starts_with(&expected), "{} (expected {expected})", readout());
    mouse("click", x, middle);
    let first = Action::SeekEvent { index: view.arrows[0].event, instruction: view.arrows[0].instruction };
    assert_eq!(actions.borrow().last(), Some(&first));
    // By keyboard: → chooses the latest message, ← the one before, Enter goes there.
    let key = |name: &str| {
        let init = web_sys::KeyboardEventInit::new();
        init.set_key(name);
        init.set_bubbles(true);
        init.set_cancelable(true);
        let event = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
        canvas.dispatch_event(&event).unwrap();
    };
    key("ArrowRight");
    settle().await;
    assert!(readout().starts_with("map from sigma0 to pager"), "{}", readout());
    key("ArrowLeft");
    settle().await;
    key("Enter");
    assert_eq!(actions.borrow().last(), Some(&first));
}

/// A mapping node for hand-made trees.
fn mapping_node(
    index: u32,
    task: u32,
    address: u32,
    children: Vec<wasm_bridge::MappingNodeView>,
) -> wasm_bridge::MappingNodeView {
    wasm_bridge::MappingNodeView {
        index,
        task,
        name: format!("task {task}"),
        address,
        writable: true,
        large: false,
        children,
    }
}

#[wasm_bindgen_test]
async fn mapping_trees_animate_a_grant_as_a_move_and_an_unmap_as_a_removal() {
    use wasm_bridge::MappingTreeView;
    let props = |trees: Vec<MappingTreeView>| SpacesPanelProps {
        trees,
        animate: true,
        spaces: Vec::new(),
        memory_map: Vec::new(),
        directory: Vec::new(),
        table: Vec::new(),
        selected_space: 4,
        selected_entry: None,
        all_trees: false,
        on_action: Callback::noop(),
        on_export_svg: Callback::noop(),
    };
    let tree = |children| MappingTreeView { frame: 0x7000, root: mapping_node(0, 2, 0x7000, children), size: 3 };
    let other = MappingTreeView {
        frame: 0x8000,
        root: mapping_node(3, 2, 0x8000, vec![mapping_node(4, 4, 0x3000, vec![])]),
        size: 2,
    };
    let root = mount_point();
    let mut handle = yew::Renderer::<SpacesPanel>::with_root_and_props(
        root.clone(),
        props(vec![tree(vec![mapping_node(1, 4, 0x1000, vec![mapping_node(2, 5, 0x2000, vec![])])]), other.clone()]),
    )
    .render();
    settle().await;
    let granted_before = all(&root, "[data-test=mapping-node][data-index='1']")[0].clone();
    assert_eq!(granted_before.get_attribute("data-task").as_deref(), Some("4"));

    // Task 4 grants its page to task 7: the same node, moved, marked.
    handle.update(props(vec![tree(vec![mapping_node(1, 7, 0x9000, vec![mapping_node(2, 5, 0x2000, vec![])])]), other]));
    settle().await;
    let granted = all(&root, "[data-test=mapping-node][data-index='1']")[0].clone();
    assert!(granted.is_same_node(Some(&granted_before)), "a grant keeps the node (it moves, it is not replaced)");
    assert_eq!(granted.get_attribute("data-task").as_deref(), Some("7"));
    let classes = granted.get_attribute("class").unwrap_or_default();
    assert!(classes.split_whitespace().any(|class| class == "moved"), "{classes}");

    // Task 7 unmaps: task 5's node (its child) is removed, and fades out where
    // it was; frame 0x8000's tree, left with sigma0 alone, goes the same way.
    handle.update(props(vec![tree(vec![mapping_node(1, 7, 0x9000, vec![])])]));
    settle().await;
    assert_eq!(all(&root, "[data-test=mapping-node]").len(), 2, "sigma0's node and task 7's");
    let leaving = all(&root, "[data-test=mapping-node-leaving]");
    let leaving_tasks: Vec<String> = leaving.iter().filter_map(|node| node.get_attribute("data-task")).collect();
    assert_eq!(leaving_tasks, ["5", "2", "4"], "task 5's node, then the emptied tree's two");
    assert_eq!(all(&root, "[data-test=mapping-tree]").len(), 1);
    assert_eq!(all(&root, "[data-test=mapping-tree-leaving]").len(), 1);
    // A moment later they are gone.
    yew::platform::time::sleep(std::time::Duration::from_millis(700)).await;
    assert!(all(&root, "[data-test=mapping-node-leaving], [data-test=mapping-tree-leaving]").is_empty());
    assert_eq!(all(&root, "[data-test=mapping-node]").len(), 2);
    assert!(all(&root, ".moved").is_empty(), "the grant's mark is dropped too");

    // A map: the new node fades in. After a jump in time (a seek), nothing
    // moves, fades or lingers: the trees are shown as they are.
    handle.update(props(vec![tree(vec![mapping_node(1, 7, 0x9000, vec![mapping_node(5, 6, 0x4000, vec![])])])]));
    settle().await;
    let entering: Vec<String> =
        all(&root, ".entering").iter().filter_map(|node| node.get_attribute("data-task")).collect();
    assert_eq!(entering, ["6"]);
    handle.update(SpacesPanelProps { animate: false, ..props(vec![tree(vec![])]) });
    settle().await;
    assert!(all(&root, "[data-test=mapping-node-leaving], .entering, .moved").is_empty());
    assert_eq!(all(&root, "[data-test=mapping-node]").len(), 1);
}

#[wasm_bindgen_test]
async fn mapping_trees_show_nodes_rooted_in_sigma0() {
    let mut session = session("ping-pong", CpuChoice::I486);
    session.add_breakpoint(Breakpoint::Event { kind: "map".into(), thread: None, to: None, frame: None });
    session.run_slice(10_000_000);
    let task = 4;
    use_the_explorers_style();
    let root = mount_point();
    let (on_action, actions) = recorder();
    let props = SpacesPanelProps {
        trees: session.mapping_trees(false),
        spaces: session.spaces(),
        memory_map: session.memory_map(task),
        directory: session.page_directory(task),
        table: session.page_table(task, 1),
        selected_space: task,
        selected_entry: Some(1),
        all_trees: false,
        animate: true,
        on_action,
        on_export_svg: Callback::noop(),
    };
    yew::Renderer::<SpacesPanel>::with_root_and_props(root.clone(), props).render();
    settle().await;
    let trees = all(&root, "[data-test=mapping-tree]");
    assert!(!trees.is_empty());
    let nodes = all(&trees[0], "[data-test=mapping-node]");
    assert_eq!(nodes[0].get_attribute("data-task").as_deref(), Some("2"), "the root of a tree is sigma0's mapping");
    assert!(nodes.len() >= 2);
    assert!(!all(&root, "[data-test=range]").is_empty(), "the root task's memory map has a range");
    assert!(!all(&root, "[data-test=table-entry]").is_empty(), "page table 1 (0x400000) has entries");
    let space = all(&root, "[data-test=space][data-task='2']");
    click(&space[0]);
    assert_eq!(actions.borrow().last(), Some(&Action::SelectSpace(2)));
    // A page-directory row is chosen by a click anywhere on it, not only on its button.
    let row = all(&root, "[data-test=directory-entry]")[0].clone();
    let index: u32 = row.get_attribute("data-index").unwrap().parse().unwrap();
    click(&all(&row, "td")[2]);
    assert_eq!(actions.borrow().last(), Some(&Action::SelectDirectoryEntry(Some(index))));
    // A node's label fits its box (an exported drawing clipped long names).
    for node in all(&root, "[data-test=mapping-node]") {
        let label: web_sys::SvgGraphicsElement = all(&node, "text")[0].clone().dyn_into().unwrap();
        let frame: web_sys::SvgGraphicsElement = all(&node, "rect")[0].clone().dyn_into().unwrap();
        let (text, rect) = (label.get_b_box().unwrap(), frame.get_b_box().unwrap());
        assert!(text.x() + text.width() <= rect.x() + rect.width(), "{} fits", node.text_content().unwrap_or_default());
    }
}

#[wasm_bindgen_test]
async fn tlb_grids_have_sets_times_ways_and_mark_the_fill() {
    let mut session = session("hello", CpuChoice::Pentium);
    session.step_ipc();
    session.step_ipc();
    // Step until an instruction fills a TLB entry.
    let mut filled = false;
    for _ in 0..500 {
        session.step_instruction();
        if session.tlbs().iter().any(|tlb| tlb.entries.iter().any(|entry| entry.mark == "fill")) {
            filled = true;
            break;
        }
    }
    assert!(filled, "some step filled a TLB entry");
    let tlbs = session.tlbs();
    let root = mount_point();
    yew::Renderer::<TlbPanel>::with_root_and_props(root.clone(), TlbPanelProps { tlbs: tlbs.clone() }).render();
    settle().await;
    let grids = all(&root, "[data-test=tlb]");
    assert_eq!(grids.len(), 3, "the Pentium has code, data and 4 MB TLBs");
    for (grid, tlb) in grids.iter().zip(&tlbs) {
        assert_eq!(all(grid, "[data-test=tlb-entry]").len() as u32, tlb.sets * tlb.ways);
    }
    assert_eq!(all(&root, "[data-test=tlb-entry][data-mark=fill]").len(), 1);
}

#[wasm_bindgen_test]
async fn cpu_panel_shows_registers_segments_and_what_changed() {
    let mut session = session("hello", CpuChoice::I486);
    session.step_ipc();
    let previous = session.cpu();
    session.step_instruction();
    let root = mount_point();
    let props = CpuPanelProps {
        cpu: session.cpu(),
        previous: Some(previous),
        threads: session.threads(),
        on_action: Callback::noop(),
    };
    yew::Renderer::<CpuPanel>::with_root_and_props(root.clone(), props).render();
    settle().await;
    let text = root.text_content().unwrap_or_default();
    assert!(text.contains("CR3") && text.contains("EFLAGS") && text.contains("PE") && text.contains("PG"), "{text}");
    assert_eq!(all(&root, "[data-test=segment]").len(), 6);
    assert!(!all(&root, "tr.changed").is_empty(), "EIP changed at least");
    assert!(all(&root, "[data-test=thread]").len() >= 2);
    // The i486 has no CR4: the row says so instead of showing zeros.
    let cr4 = root.query_selector("[data-test=control-cr4]").ok().flatten().expect("a CR4 row");
    assert_eq!(cr4.get_attribute("data-absent").as_deref(), Some("true"));
    assert!(cr4.text_content().unwrap_or_default().contains("none on the i486"), "{:?}", cr4.text_content());
}

#[wasm_bindgen_test]
async fn cpu_panel_decodes_the_pentiums_cr4() {
    let mut session = session("hello", CpuChoice::Pentium);
    session.step_ipc();
    let root = mount_point();
    let props =
        CpuPanelProps { cpu: session.cpu(), previous: None, threads: session.threads(), on_action: Callback::noop() };
    yew::Renderer::<CpuPanel>::with_root_and_props(root.clone(), props).render();
    settle().await;
    let cr4 = root.query_selector("[data-test=control-cr4]").ok().flatten().expect("a CR4 row");
    assert_eq!(cr4.get_attribute("data-absent"), None);
    // The kernel turns on 4 MB pages (CR4.PSE, bit 4) on the Pentium.
    let text = cr4.text_content().unwrap_or_default();
    assert!(text.contains("0x00000010") && text.contains("PSE"), "{text}");
}

#[wasm_bindgen_test]
async fn code_gutter_toggles_a_breakpoint() {
    let mut session = session("hello", CpuChoice::I486);
    session.step_ipc();
    session.step_ipc();
    let code = session.code(20);
    let root = mount_point();
    let (on_action, actions) = recorder();
    yew::Renderer::<CodePanel>::with_root_and_props(
        root.clone(),
        CodePanelProps { code: code.clone(), chosen: None, on_action },
    )
    .render();
    settle().await;
    let current = all(&root, "[data-test=code-line][data-current=true]");
    assert_eq!(current.len(), 1, "one line is the current one");
    let gutter = all(&root, "[data-test=gutter]");
    click(&gutter[2]);
    assert_eq!(actions.borrow().last(), Some(&Action::ToggleAddressBreakpoint(code.lines[2].address)));
}

#[wasm_bindgen_test]
async fn a_source_line_marks_its_instructions_and_an_instruction_opens_its_line() {
    let mut session = session("hello", CpuChoice::I486);
    // Until the root task runs its own code (sigma0 and the kernel come first).
    let mut steps = 0;
    while session.code(20).lines.iter().all(|line| !line.current || line.source.is_none()) {
        session.step_instruction();
        steps += 1;
        assert!(steps < 100_000, "the root task never ran");
    }
    let code = session.code(20);
    // The current instruction came from a line of hello.asm.
    let current = code.lines.iter().find(|line| line.current).expect("a current line");
    let (file, line) = current.source.clone().expect("the program was assembled here");
    assert_eq!(file, "hello.asm");
    let made = session.instructions_of(&file, line);
    assert!(made.contains(&current.address));
    let root = mount_point();
    let (on_action, actions) = recorder();
    let props = CodePanelProps { code: code.clone(), chosen: Some((file.clone(), line)), on_action };
    yew::Renderer::<CodePanel>::with_root_and_props(root.clone(), props).render();
    settle().await;
    let marked: Vec<String> = all(&root, "[data-test=code-line][data-from-source=true]")
        .iter()
        .filter_map(|element| element.get_attribute("data-address"))
        .collect();
    let expected: Vec<String> = code
        .lines
        .iter()
        .filter(|shown| made.contains(&shown.address))
        .map(|shown| format!("{:#010x}", shown.address))
        .collect();
    assert_eq!(marked, expected, "exactly the line's instructions are marked");
    assert!(
        all(&root, "[data-test=code-chosen-line]")[0]
            .text_content()
            .unwrap_or_default()
            .contains(&format!("line {line}"))
    );
    // The instruction's source opens the editor at its line.
    let position = code.lines.iter().position(|shown| shown.current).unwrap_or_default();
    let sources = all(&root, "[data-test=code-line]");
    let button = sources[position].query_selector("[data-test=code-source]").unwrap().expect("a source button");
    assert_eq!(button.get_attribute("data-source"), Some(format!("hello.asm:{line}")));
    assert_eq!(button.text_content().unwrap_or_default(), line.to_string());
    click(&button);
    assert_eq!(actions.borrow().last(), Some(&Action::ShowSource { file: file.clone(), line }));

    // The editor (its text area here: the component tests load no CodeMirror)
    // chooses the line under the cursor and says where its instructions are.
    let editor_root = mount_point();
    let (on_action, actions) = recorder();
    let props = EditorPanelProps {
        programs: session.programs(),
        errors: Vec::new(),
        chosen: Some((file.clone(), line)),
        made: made.clone(),
        on_action,
    };
    yew::Renderer::<EditorPanel>::with_root_and_props(editor_root.clone(), props).render();
    settle().await;
    let note = all(&editor_root, "[data-test=source-made]")[0].text_content().unwrap_or_default();
    assert!(note.contains(&format!("Line {line} made the instruction at {:#010x}", made[0])), "{note}");
    let area: web_sys::HtmlTextAreaElement =
        all(&editor_root, "[data-test=editor-text]")[0].clone().dyn_into().unwrap();
    let source = area.value();
    let third_line_start = source.match_indices('\n').nth(1).map(|(at, _)| at as u32 + 1).unwrap_or_default();
    area.set_selection_range(third_line_start, third_line_start).unwrap();
    click(&area);
    assert_eq!(actions.borrow().last(), Some(&Action::SelectSourceLine { file: "hello.asm".into(), line: 3 }));
}

#[wasm_bindgen_test]
async fn editor_shows_errors_under_their_line() {
    let mut session = session("hello", CpuChoice::I486);
    let program = session.programs()[0].clone();
    session.set_program(
        &program.file,
        &program.source.replacen("    mov esp, stack_top", "    mov esp, stack_top, eax", 1),
    );
    let root = mount_point();
    let props = EditorPanelProps {
        programs: session.programs(),
        errors: session.errors(),
        chosen: None,
        made: Vec::new(),
        on_action: Callback::noop(),
    };
    yew::Renderer::<EditorPanel>::with_root_and_props(root.clone(), props).render();
    settle().await;
    let errors = all(&root, "[data-test=program-error]");
    assert_eq!(errors.len(), 1);
    let line = errors[0].get_attribute("data-line").unwrap_or_default();
    let expected = program.source.lines().position(|line| line.contains("mov esp, stack_top")).map(|index| index + 1);
    assert_eq!(line.parse().ok(), expected);
    let previous = errors[0].previous_element_sibling().expect("the line is drawn above its error");
    assert!(previous.text_content().unwrap_or_default().contains("mov esp, stack_top, eax"));
}

#[wasm_bindgen_test]
async fn event_list_filters_and_seeks() {
    let mut session = session("ping-pong", CpuChoice::I486);
    for _ in 0..4 {
        session.step_ipc();
    }
    let filter = EventQuery { kind: Some("ipc".into()), limit: 100, ..EventQuery::default() };
    let events = session.events(&filter);
    assert_eq!(events.len(), 4);
    let root = mount_point();
    let (on_action, actions) = recorder();
    let props = EventListProps {
        events: events.clone(),
        filter,
        total: session.status().events,
        // As after a step back to before the last of them.
        present: 3,
        names: session.names(),
        highlight: Some(events[2].index),
        on_action,
    };
    yew::Renderer::<EventList>::with_root_and_props(root.clone(), props).render();
    settle().await;
    let items = all(&root, "[data-test=event]");
    assert_eq!(items.len(), 4);
    assert!(items.iter().all(|item| item.get_attribute("data-kind").as_deref() == Some("ipc")));
    let future: Vec<bool> = items
        .iter()
        .map(|item| item.get_attribute("class").unwrap_or_default().split_whitespace().any(|class| class == "future"))
        .collect();
    assert_eq!(future, [false, false, false, true], "the event after the position is marked as the future");
    let stops: Vec<bool> =
        items.iter().map(|item| item.get_attribute("aria-current").as_deref() == Some("true")).collect();
    assert_eq!(stops, [false, false, true, false], "the event the stop was for is marked");
    click(&all(&root, "[data-test=event] button")[1]);
    assert_eq!(
        actions.borrow().last(),
        Some(&Action::SeekEvent { index: events[1].index, instruction: events[1].instruction })
    );
}

#[wasm_bindgen_test]
async fn breakpoint_form_rejects_a_bad_number_and_adds_a_good_one() {
    let root = mount_point();
    let (on_action, actions) = recorder();
    yew::Renderer::<BreakpointPanel>::with_root_and_props(
        root.clone(),
        BreakpointPanelProps { breakpoints: vec![], names: wasm_bridge::NamesView::default(), on_action },
    )
    .render();
    settle().await;
    let frame: web_sys::HtmlInputElement = all(&root, "[data-test=breakpoint-frame]")[0].clone().unchecked_into();
    frame.set_value("0xZZ");
    click(&all(&root, "[data-test=breakpoint-add]")[0]);
    settle().await;
    assert!(actions.borrow().is_empty());
    assert!(root.text_content().unwrap_or_default().contains("`0xZZ` is not a frame address"));
    frame.set_value("0x1000");
    let kind: web_sys::HtmlSelectElement = all(&root, "[data-test=breakpoint-kind]")[0].clone().unchecked_into();
    kind.set_value("unmap");
    click(&all(&root, "[data-test=breakpoint-add]")[0]);
    assert_eq!(
        actions.borrow().last(),
        Some(&Action::AddEventBreakpoint { kind: "unmap".into(), thread: None, to: None, frame: Some(0x1000) })
    );
}

#[wasm_bindgen_test]
async fn costs_panel_shows_both_cpus_side_by_side() {
    let session = session("hello", CpuChoice::I486);
    let rows = [CpuChoice::I486, CpuChoice::Pentium]
        .into_iter()
        .map(|cpu| wasm_bridge::compare_costs("hello", cpu, false).expect("hello runs"))
        .collect();
    let root = mount_point();
    let props = CostsPanelProps {
        costs: session.costs(),
        comparison: Some(web_ui::state::Comparison { rows }),
        calibrated: true,
        average: None,
        selected: None,
        on_action: Callback::noop(),
    };
    yew::Renderer::<CostsPanel>::with_root_and_props(root.clone(), props).render();
    settle().await;
    let cpus: Vec<String> = all(&root, "[data-test=comparison] [data-test=costs-row]")
        .iter()
        .filter_map(|row| row.get_attribute("data-cpu"))
        .collect();
    assert_eq!(cpus, ["486", "pentium"]);
}

#[wasm_bindgen_test]
async fn console_shows_the_kernel_banner_and_sends_input() {
    let mut session = session("hello", CpuChoice::I486);
    session.run_slice(2_000_000);
    let root = mount_point();
    let (on_action, actions) = recorder();
    let props = ConsolePanelProps { console: session.console(), vga: session.vga(), on_action };
    yew::Renderer::<ConsolePanel>::with_root_and_props(root.clone(), props).render();
    settle().await;
    let console = all(&root, "[data-test=console]")[0].text_content().unwrap_or_default();
    assert!(console.contains("L4/x86 X.0 microkernel") && console.contains("hello from the root task"), "{console}");
    let input: web_sys::HtmlInputElement = all(&root, "[data-test=console-input]")[0].clone().unchecked_into();
    input.set_value("g");
    let form: web_sys::HtmlFormElement = all(&root, "form")[0].clone().unchecked_into();
    let _ = form.request_submit();
    settle().await;
    assert_eq!(actions.borrow().last(), Some(&Action::TypeInput("g\r".into())));
}

/// Waits (a frame at a time, a second at most) until the event list is whole.
async fn until_filled(root: &web_sys::Element) {
    for _ in 0..60 {
        if all(root, "[data-test=event-list][aria-busy=true]").is_empty() {
            return;
        }
        yew::platform::time::sleep(std::time::Duration::from_millis(17)).await;
    }
    panic!("the event list was still filling after a second");
}

fn row_indices(root: &web_sys::Element) -> Vec<u64> {
    all(root, "[data-test=event]").iter().filter_map(|row| row.get_attribute("data-index")?.parse().ok()).collect()
}

#[wasm_bindgen_test]
async fn event_list_fills_across_frames_and_never_shows_rows_of_another_moment() {
    let mut session = session("ping-pong", CpuChoice::I486);
    let filter = EventQuery { limit: 200, ..EventQuery::default() };
    while session.status().events < 260 {
        session.step_ipc();
    }
    let earlier = session.events(&filter);
    while session.status().events < 700 {
        session.step_ipc();
    }
    let later = session.events(&filter);
    assert_eq!((earlier.len(), later.len()), (200, 200));
    assert!(earlier.last().unwrap().index < later[0].index, "two stretches of history with no event in common");
    let root = mount_point();
    let (on_action, _) = recorder();
    let props = |events: &Vec<wasm_bridge::EventView>| EventListProps {
        events: events.clone(),
        filter: filter.clone(),
        total: session.status().events,
        present: events.len(),
        names: session.names(),
        highlight: None,
        on_action: on_action.clone(),
    };
    let mut handle = yew::Renderer::<EventList>::with_root_and_props(root.clone(), props(&earlier)).render();
    yew::platform::time::sleep(std::time::Duration::ZERO).await;
    // 200 new rows: not all in one frame.
    assert!(!all(&root, "[data-test=event-list][aria-busy=true]").is_empty(), "the list says it is filling");
    assert!(!all(&root, ".event-piece.pending").is_empty(), "pieces still to come hold their place");
    assert!(row_indices(&root).len() < 200, "only part of the rows at first");
    until_filled(&root).await;
    let indices: Vec<u64> = earlier.iter().map(|event| event.index).collect();
    assert_eq!(row_indices(&root), indices, "then every row, in order");
    assert!(all(&root, ".event-piece.pending").is_empty());

    // Another moment: no row of the first may stay in the page meanwhile.
    handle.update(props(&later));
    yew::platform::time::sleep(std::time::Duration::ZERO).await;
    let wanted: Vec<u64> = later.iter().map(|event| event.index).collect();
    let shown = row_indices(&root);
    assert!(shown.iter().all(|index| wanted.contains(index)), "rows of the earlier moment are gone at once: {shown:?}");
    until_filled(&root).await;
    assert_eq!(row_indices(&root), wanted);
}

#[wasm_bindgen_test]
async fn costs_panel_breaks_the_selected_ipc_and_the_average_into_parts() {
    let mut session = session("ping-pong", CpuChoice::I486);
    session.run_slice(300_000);
    let arrow = session.timeline(0, u64::MAX).arrows.iter().rev().find(|arrow| arrow.kind == "ipc").cloned().unwrap();
    let root = mount_point();
    let props = CostsPanelProps {
        costs: session.costs(),
        comparison: None,
        calibrated: true,
        average: session.ipc_breakdown_average(),
        selected: Some(session.ipc_breakdown_of(arrow.event)),
        on_action: Callback::noop(),
    };
    yew::Renderer::<CostsPanel>::with_root_and_props(root.clone(), props).render();
    settle().await;
    let parts: Vec<String> =
        all(&root, "[data-test=breakdown-part]").iter().filter_map(|row| row.get_attribute("data-part")).collect();
    assert_eq!(parts[..2], ["CPU entry".to_string(), "Kernel path".to_string()], "{parts:?}");
    assert!(parts.contains(&"Address-space switch".to_string()) && parts.contains(&"CPU exit".to_string()));
    // The selected message's parts add up to its total, in the page too.
    let number = |cell: &web_sys::Element| cell.text_content().unwrap_or_default().parse::<f64>().unwrap();
    let selected: Vec<f64> =
        all(&root, "[data-test=breakdown-part] [data-test=selected-cycles]").iter().map(number).collect();
    let total = number(&all(&root, "[data-test=breakdown-total] [data-test=selected-cycles]")[0]);
    assert_eq!(selected.iter().sum::<f64>(), total, "{selected:?}");
    let which = all(&root, "[data-test=breakdown-which]")[0].text_content().unwrap_or_default();
    assert!(which.starts_with("Selected: the message from") && which.contains("average of all"), "{which}");
    let path = all(&root, "[data-part='Kernel path'] .detail")[0].text_content().unwrap_or_default();
    // The assembly fast path's calibrated count: at most the paper's 150,
    // far below the general path's ~950.
    let (count, rest) = path.split_once(' ').unwrap_or_default();
    let count: u32 = count.parse().unwrap_or(u32::MAX);
    assert!(rest.starts_with("instructions (ipc-fast)") && (100..=150).contains(&count), "{path}");
}
