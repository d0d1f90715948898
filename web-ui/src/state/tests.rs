use super::*;

fn explorer() -> Explorer {
    Explorer::new("ping-pong", CpuChoice::I486, false).expect("ping-pong boots")
}

#[test]
fn stepping_and_going_back_return_to_the_same_position() {
    let mut explorer = explorer();
    explorer.apply(Action::StepIpc);
    explorer.apply(Action::StepIpc);
    let position = explorer.session.position();
    let registers = explorer.session.cpu();
    for _ in 0..3 {
        explorer.apply(Action::StepInstruction);
    }
    assert_eq!(explorer.session.position(), position + 3);
    assert!(explorer.previous_cpu.is_some(), "the change marks compare with the step before");
    for _ in 0..3 {
        explorer.apply(Action::ReverseStep);
    }
    assert_eq!(explorer.session.position(), position);
    assert_eq!(explorer.session.cpu(), registers);
}

#[test]
fn the_timeline_window_zooms_pans_and_follows() {
    let mut explorer = explorer();
    explorer.apply(Action::StepIpc);
    let now = explorer.session.system().machine().cycles;
    let (from, to) = explorer.timeline_window();
    assert_eq!(to - from, TIMELINE_SPAN.min(to), "following shows the latest cycles");
    assert!(to >= now);
    explorer.apply(Action::ZoomTimeline { closer: true });
    let (zoomed_from, zoomed_to) = explorer.timeline_window();
    assert_eq!(zoomed_to - zoomed_from, (to - from) / 2);
    explorer.apply(Action::PanTimeline { later: false });
    let (panned_from, _) = explorer.timeline_window();
    assert!(panned_from < zoomed_from);
    explorer.apply(Action::FollowTimeline);
    assert_eq!(explorer.timeline_window, None);
}

#[test]
fn zooming_while_following_keeps_following_and_a_drag_pans() {
    let mut explorer = explorer();
    explorer.apply(Action::StepIpc);
    let now = explorer.session.system().machine().cycles;
    explorer.apply(Action::ZoomTimelineAround { cycle: now / 2, percent: 80 });
    assert_eq!(explorer.timeline_window, None, "still following the present");
    assert_eq!(explorer.timeline_span, TIMELINE_SPAN * 80 / 100);
    let (from, to) = explorer.timeline_window();
    assert_eq!((to - from, to), (TIMELINE_SPAN * 80 / 100, now.max(TIMELINE_SPAN * 80 / 100)));
    explorer.apply(Action::StepIpc);
    assert_eq!(explorer.timeline_window().1, explorer.session.system().machine().cycles.max(explorer.timeline_span));
    // A drag leaves the present; zooming then keeps the cycle under the pointer where it was.
    explorer.apply(Action::PanTimelineBy(-10_000));
    let (from, to) = explorer.timeline_window();
    assert!(explorer.timeline_window.is_some());
    let pointer = from + (to - from) / 4;
    explorer.apply(Action::ZoomTimelineAround { cycle: pointer, percent: 50 });
    let (zoomed_from, zoomed_to) = explorer.timeline_window();
    assert_eq!(zoomed_to - zoomed_from, (to - from) / 2);
    let before = (pointer - from) as f64 / (to - from) as f64;
    let after = (pointer - zoomed_from) as f64 / (zoomed_to - zoomed_from) as f64;
    assert!((before - after).abs() < 0.01, "the pointer's cycle stays under the pointer ({before} → {after})");
}

#[test]
fn dragging_the_scrubber_moves_the_views_and_its_release_arrives_exactly() {
    let mut explorer = Explorer::new("many-threads", CpuChoice::I486, false).expect("many-threads boots");
    explorer.session.seek(80_000);
    explorer.apply(Action::PreviewSeek(20_000));
    let previewed = explorer.session.position();
    assert!(previewed <= 20_000, "the preview moved towards the target ({previewed})");
    explorer.apply(Action::Seek(20_000));
    explorer.session.finish_seek();
    assert_eq!(explorer.session.position(), 20_000);
}

#[test]
fn a_run_stops_at_an_event_breakpoint() {
    let mut explorer = explorer();
    explorer.apply(Action::AddEventBreakpoint { kind: "ipc".into(), thread: None, to: None, frame: None });
    explorer.apply(Action::ToggleRun);
    assert!(explorer.running);
    for _ in 0..1_000 {
        if !explorer.running {
            break;
        }
        explorer.apply(Action::Tick);
    }
    assert!(!explorer.running, "the breakpoint stopped the run");
    assert!(explorer.session.status().stop.starts_with("breakpoint: next ipc"), "{}", explorer.session.status().stop);
}

#[test]
fn a_long_seek_goes_on_in_slices_and_any_other_action_finishes_it_first() {
    let mut explorer = Explorer::new("many-threads", CpuChoice::I486, false).expect("many-threads boots");
    explorer.session.seek(60_000);
    explorer.apply(Action::Seek(30_500));
    // Some of the way (or all of it, on a fast machine) is done at once.
    if explorer.session.seeking().is_some() {
        assert!(explorer.session.position() <= 30_500);
    }
    explorer.apply(Action::ShowMachineTab(MachineTab::Tlb));
    assert_eq!(explorer.session.seeking(), None);
    assert_eq!(explorer.session.position(), 30_500);
    // A seek in frames arrives too.
    explorer.apply(Action::Seek(10_000));
    while !explorer.continue_seek_for(1.0) {}
    assert_eq!(explorer.session.position(), 10_000);
}

#[test]
fn a_bad_choice_keeps_the_machine_and_says_why() {
    let mut explorer = explorer();
    explorer.apply(Action::StepIpc);
    let position = explorer.session.position();
    explorer.apply(Action::SelectScenario("nonesuch".into()));
    assert_eq!(explorer.session.position(), position, "the running machine is kept");
    assert!(explorer.notice.contains("nonesuch"), "{}", explorer.notice);
    explorer.apply(Action::SetSpeed(99));
    assert_eq!(explorer.speed, SPEEDS.len() - 1);
}
