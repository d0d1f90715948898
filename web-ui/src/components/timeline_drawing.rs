//! The timeline's drawing: where each bar and arrow goes ([`Plot`]), what is
//! under the pointer, the picture on a canvas, and the same picture as SVG
//! for export.
//!
//! Why a canvas: the timeline changes on every step (the window follows the
//! present, bars grow, arrows arrive), and as SVG — thousands of patterned
//! elements — each change cost the browser a restyle, a relayout and a
//! repaint of the whole drawing (8 ms of paint alone per step on
//! many-threads). A canvas is redrawn from the view in about a millisecond
//! and costs the browser one texture. What the SVG gave for free is done
//! here: hit testing (the read-out and clicks), and a list of the messages
//! in the page for keyboards, screen readers and tests (see the panel).

use super::escape;
use wasm_bridge::{ArrowView, SegmentView, TimelineView};

/// Room for a lane's name (ten characters of the 10 px font; longer ones are cut, whole on hover).
pub const LABEL_WIDTH: f64 = 64.0;
pub const WIDTH: f64 = 620.0;
pub const PLOT_WIDTH: f64 = WIDTH - LABEL_WIDTH;
pub const LANE_HEIGHT: f64 = 20.0;
pub const TOP: f64 = 18.0;
/// Arrows drawn at most; more are summarised (zoom in to see them).
pub const MOST_ARROWS: usize = 400;
/// The least room between two arrows drawn over the same lanes (a head is
/// 7 px wide): closer messages would paint the lanes between them solid.
pub const ARROW_SPACING: f64 = 6.0;
/// The states a bar can show, in the legend's order, and how each is drawn.
pub const STATES: [&str; 7] = ["running", "ready", "sending", "receiving", "waiting", "inactive", "dead"];

/// The short label drawn inside a state's bar.
pub fn state_label(state: &str) -> &'static str {
    match state {
        "running" => "run",
        "ready" => "ready",
        "sending" => "send",
        "receiving" => "recv",
        "waiting" => "wait",
        "inactive" => "inactive",
        "dead" => "dead",
        _ => "",
    }
}

/// What is at a point of the drawing.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Hit {
    /// An arrow: its index in the view's arrows.
    Arrow(usize),
    /// A state's bar: its index in the view's segments.
    Segment(usize),
}

/// The geometry of one window of the timeline, in CSS pixels of the plot
/// (0 is the window's first cycle; lanes start at [`TOP`]).
#[derive(Debug)]
pub struct Plot<'a> {
    pub view: &'a TimelineView,
    pub from: u64,
    pub to: u64,
    /// The machine's present (open bars end there; a line marks it).
    pub now: u64,
}

impl<'a> Plot<'a> {
    pub fn new(view: &'a TimelineView, from: u64, to: u64, now: u64) -> Self {
        Self { view, from, to: to.max(from + 1), now }
    }

    pub fn height(&self) -> f64 {
        TOP + self.view.lanes.len().max(1) as f64 * LANE_HEIGHT + 6.0
    }

    /// Where a cycle is (clamped to the window).
    pub fn x(&self, cycle: u64) -> f64 {
        let span = (self.to - self.from) as f64;
        (cycle.clamp(self.from, self.to) - self.from) as f64 * PLOT_WIDTH / span
    }

    pub fn lane(&self, thread: u32) -> Option<usize> {
        self.view.lanes.iter().position(|lane| *lane == thread)
    }

    pub fn lane_top(lane: usize) -> f64 {
        TOP + lane as f64 * LANE_HEIGHT
    }

    /// The arrows drawn: the latest [`MOST_ARROWS`] (index of the first, and them).
    pub fn shown_arrows(&self) -> (usize, &'a [ArrowView]) {
        let first = self.view.arrows.len().saturating_sub(MOST_ARROWS);
        (first, &self.view.arrows[first..])
    }

    /// The arrows the canvas draws (index in the view's arrows, and the
    /// arrow): of the shown ones, those in the window, the latest first,
    /// then each earlier one at least [`ARROW_SPACING`] left of the last
    /// drawn over the same lanes. A ping-pong has a message every few
    /// hundred cycles: zoomed out, every one drawn turned its lanes into a
    /// solid block. The SVG export keeps every shown arrow.
    pub fn drawn_arrows(&self) -> Vec<(usize, &'a ArrowView)> {
        let (first, arrows) = self.shown_arrows();
        let mut leftmost: Vec<((i64, i64), f64)> = Vec::new();
        let mut drawn = Vec::new();
        for (offset, arrow) in arrows.iter().enumerate().rev() {
            if arrow.cycle < self.from || arrow.cycle > self.to {
                continue;
            }
            let Some((x, from_y, to_y)) = self.arrow(arrow) else { continue };
            let span = (from_y.min(to_y) as i64, from_y.max(to_y) as i64);
            match leftmost.iter_mut().find(|(other, _)| *other == span) {
                Some((_, left)) if x > *left - ARROW_SPACING => continue,
                Some((_, left)) => *left = x,
                None => leftmost.push((span, x)),
            }
            drawn.push((first + offset, arrow));
        }
        drawn.reverse();
        drawn
    }

    /// A bar's left edge, width and top.
    pub fn bar(&self, segment: &SegmentView) -> Option<(f64, f64, f64)> {
        let lane = self.lane(segment.thread)?;
        let start = self.x(segment.from_cycle);
        let end = self.x(segment.to_cycle.unwrap_or(self.now).max(segment.from_cycle));
        Some((start, (end - start).max(0.5), Self::lane_top(lane)))
    }

    /// An arrow's x, and the y of its tail and head. A message from no
    /// thread on the timeline (an interrupt) comes from above the lanes.
    pub fn arrow(&self, arrow: &ArrowView) -> Option<(f64, f64, f64)> {
        let to_lane = self.lane(arrow.to)?;
        let from_y = self.lane(arrow.from).map_or(TOP - 8.0, |lane| Self::lane_top(lane) + LANE_HEIGHT / 2.0);
        Some((self.x(arrow.cycle), from_y, Self::lane_top(to_lane) + LANE_HEIGHT / 2.0))
    }

    /// What is drawn at (x, y): an arrow within a few pixels (the latest
    /// if several), else the bar under the point.
    pub fn hit(&self, x: f64, y: f64) -> Option<Hit> {
        let mut best: Option<(f64, usize)> = None;
        for (index, arrow) in self.drawn_arrows() {
            let Some((arrow_x, from_y, to_y)) = self.arrow(arrow) else { continue };
            let distance = (arrow_x - x).abs();
            let near = distance <= 4.0 && y >= from_y.min(to_y) - 4.0 && y <= from_y.max(to_y) + 4.0;
            if near && best.is_none_or(|(closest, _)| distance <= closest) {
                best = Some((distance, index));
            }
        }
        if let Some((_, index)) = best {
            return Some(Hit::Arrow(index));
        }
        if y < TOP {
            return None;
        }
        let lane = ((y - TOP) / LANE_HEIGHT) as usize;
        let thread = *self.view.lanes.get(lane)?;
        self.view
            .segments
            .iter()
            .enumerate()
            .filter(|(_, segment)| segment.thread == thread)
            .filter_map(|(index, segment)| Some((index, self.bar(segment)?)))
            .rfind(|(_, (start, width, _))| x >= *start && x <= start + width)
            .map(|(index, _)| Hit::Segment(index))
    }

    /// An arrow in words (the read-out, the message list, the SVG).
    pub fn arrow_words(&self, arrow: &ArrowView) -> String {
        format!(
            "{} from {} to {} at cycle {}: {}",
            arrow.kind,
            self.view.names.thread(arrow.from),
            self.view.names.thread(arrow.to),
            arrow.cycle,
            arrow.label
        )
    }

    /// What is at a hit, in words.
    pub fn describe(&self, hit: Hit) -> Option<String> {
        match hit {
            Hit::Arrow(index) => {
                Some(format!("{} (click or Enter goes there)", self.arrow_words(self.view.arrows.get(index)?)))
            }
            Hit::Segment(index) => {
                let segment = self.view.segments.get(index)?;
                Some(format!(
                    "{}: {} from cycle {} to {}",
                    self.view.names.thread(segment.thread),
                    segment.state,
                    segment.from_cycle,
                    segment.to_cycle.map_or_else(|| "now".to_string(), |end| end.to_string())
                ))
            }
        }
    }

    /// The whole window as a standalone SVG document (lane labels, bars,
    /// arrows, the present), styled by `style` (the light theme's rules).
    pub fn svg(&self, style: &str) -> String {
        use std::fmt::Write;
        let height = self.height();
        let mut out = String::with_capacity(64 * 1024);
        let _ = write!(
            out,
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}"><style>{style}</style><rect width="100%" height="100%" fill="#fff"/><defs>"##
        );
        out.push_str(concat!(
            r#"<pattern id="pattern-running" class="state-running" width="4" height="4" patternUnits="userSpaceOnUse"><rect width="4" height="4"/></pattern>"#,
            r#"<pattern id="pattern-ready" class="state-ready" width="6" height="6" patternUnits="userSpaceOnUse"><path d="M0,6 L6,0"/></pattern>"#,
            r#"<pattern id="pattern-sending" class="state-sending" width="6" height="6" patternUnits="userSpaceOnUse"><path d="M0,0 L6,6 M0,3 L6,3"/></pattern>"#,
            r#"<pattern id="pattern-receiving" class="state-receiving" width="5" height="5" patternUnits="userSpaceOnUse"><circle cx="2.5" cy="2.5" r="1.2"/></pattern>"#,
            r#"<pattern id="pattern-waiting" class="state-waiting" width="6" height="6" patternUnits="userSpaceOnUse"><path d="M0,0 L6,6 M6,0 L0,6"/></pattern>"#,
            r#"<pattern id="pattern-inactive" class="state-inactive" width="8" height="8" patternUnits="userSpaceOnUse"><path d="M0,4 L8,4"/></pattern>"#,
            r#"<pattern id="pattern-dead" class="state-dead" width="8" height="8" patternUnits="userSpaceOnUse"><path d="M0,0 L8,8"/></pattern>"#,
        ));
        for kind in ["ipc", "pagefault", "interrupt", "map"] {
            let _ = write!(
                out,
                r#"<marker id="head-{kind}" class="head kind-{kind}" viewBox="0 0 6 6" refX="5" refY="3" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L6,3 L0,6 z"/></marker>"#
            );
        }
        out.push_str("</defs>");
        let _ = write!(out, r#"<text x="4" y="12">cycles {}–{}</text>"#, self.from, self.to);
        for (lane, thread) in self.view.lanes.iter().enumerate() {
            let top = Self::lane_top(lane);
            let _ = write!(
                out,
                r#"<g class="lane" data-thread="{thread:#010x}"><text x="4" y="{}">{}</text><line class="lane-rule" x1="0" x2="{WIDTH}" y1="{}" y2="{}"/></g>"#,
                top + 14.0,
                escape(&self.view.names.thread(*thread)),
                top + LANE_HEIGHT,
                top + LANE_HEIGHT
            );
        }
        let _ = write!(out, r#"<g transform="translate({LABEL_WIDTH},0)">"#);
        for segment in &self.view.segments {
            let Some((start, width, top)) = self.bar(segment) else { continue };
            let state = segment.state;
            let _ = write!(
                out,
                r#"<rect class="segment state-{state}" data-state="{state}" data-thread="{:#010x}" data-from="{}" x="{start:.2}" y="{}" width="{width:.2}" height="{}" fill="url(#pattern-{state})"/>"#,
                segment.thread,
                segment.from_cycle,
                top + 3.0,
                LANE_HEIGHT - 6.0
            );
            let label = state_label(state);
            if width > 36.0 && !label.is_empty() {
                let _ = write!(
                    out,
                    r#"<text x="{:.2}" y="{}" class="segment-label">{label}</text>"#,
                    start + 3.0,
                    top + 14.0
                );
            }
        }
        for arrow in self.shown_arrows().1 {
            let Some((x, from_y, to_y)) = self.arrow(arrow) else { continue };
            let kind = arrow.kind;
            let _ = write!(
                out,
                r#"<g class="arrow kind-{kind}" data-test="ipc-arrow" data-kind="{kind}" data-from="{:#010x}" data-to="{:#010x}" data-cycle="{}"><title>{}</title><line x1="{x:.2}" x2="{x:.2}" y1="{from_y}" y2="{to_y}" marker-end="url(#head-{kind})"/><circle cx="{x:.2}" cy="{from_y}" r="2.5"/></g>"#,
                arrow.from,
                arrow.to,
                arrow.cycle,
                escape(&self.arrow_words(arrow))
            );
        }
        let now = self.x(self.now);
        let _ = write!(out, r#"<line class="now" x1="{now:.2}" x2="{now:.2}" y1="0" y2="{height}"/></g></svg>"#);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view() -> TimelineView {
        TimelineView {
            lanes: vec![0x0402_0001, 0x0404_0001],
            segments: vec![
                SegmentView { thread: 0x0404_0001, state: "running", from_cycle: 0, to_cycle: Some(500) },
                SegmentView { thread: 0x0404_0001, state: "sending", from_cycle: 500, to_cycle: None },
                SegmentView { thread: 0x0402_0001, state: "receiving", from_cycle: 0, to_cycle: None },
            ],
            arrows: vec![ArrowView {
                from: 0x0404_0001,
                to: 0x0402_0001,
                cycle: 500,
                event: 7,
                instruction: 3,
                kind: "pagefault",
                label: "fault at 0x400000".into(),
            }],
            first_cycle: 0,
            last_cycle: 600,
            names: wasm_bridge::NamesView::default(),
        }
    }

    #[test]
    fn the_geometry_places_bars_and_arrows_in_their_lanes() {
        let view = view();
        let plot = Plot::new(&view, 0, 1000, 800);
        assert_eq!(plot.x(500), PLOT_WIDTH / 2.0);
        assert_eq!(plot.x(5000), PLOT_WIDTH, "clamped to the window");
        let (x, from_y, to_y) = plot.arrow(&view.arrows[0]).unwrap();
        assert_eq!(x, PLOT_WIDTH / 2.0);
        assert!(from_y > to_y, "from the root task's lane (second) up to sigma0's (first)");
        // An open bar ends at the present.
        let (start, width, _) = plot.bar(&view.segments[1]).unwrap();
        assert_eq!((start, start + width), (plot.x(500), plot.x(800)));
    }

    #[test]
    fn pointing_finds_the_arrow_first_then_the_bar() {
        let view = view();
        let plot = Plot::new(&view, 0, 1000, 800);
        let middle = Plot::lane_top(0) + LANE_HEIGHT;
        assert_eq!(plot.hit(PLOT_WIDTH / 2.0 + 2.0, middle), Some(Hit::Arrow(0)));
        assert_eq!(plot.hit(10.0, Plot::lane_top(1) + 5.0), Some(Hit::Segment(0)));
        assert_eq!(plot.hit(400.0, Plot::lane_top(1) + 5.0), Some(Hit::Segment(1)));
        assert_eq!(plot.hit(400.0, Plot::lane_top(5)), None, "no lane there");
        assert_eq!(plot.hit(500.0, Plot::lane_top(1) + 5.0), None, "after the present");
        let words = plot.describe(Hit::Arrow(0)).unwrap();
        assert!(words.starts_with("pagefault from task 4 to task 2 at cycle 500: fault at 0x400000"), "{words}");
        assert_eq!(plot.describe(Hit::Segment(1)).unwrap(), "task 4: sending from cycle 500 to now");
    }

    #[test]
    fn crowded_arrows_are_thinned_to_one_per_few_pixels_keeping_the_latest() {
        let mut view = view();
        let template = view.arrows[0].clone();
        // 400 messages (all that are shown) between the same two threads in 400 cycles, both ways.
        view.arrows = (0..MOST_ARROWS as u64)
            .map(|index| {
                let (from, to) =
                    if index % 2 == 0 { (template.from, template.to) } else { (template.to, template.from) };
                ArrowView { cycle: index, event: index, from, to, ..template.clone() }
            })
            .collect();
        let plot = Plot::new(&view, 0, 400, 400);
        let drawn = plot.drawn_arrows();
        assert_eq!(drawn.last().map(|(index, _)| *index), Some(399), "the latest is drawn");
        assert!(drawn.len() as f64 <= PLOT_WIDTH / ARROW_SPACING + 1.0, "{} drawn", drawn.len());
        assert!(drawn.len() > 50, "the traffic still shows: {} drawn", drawn.len());
        for pair in drawn.windows(2) {
            let gap = plot.x(pair[1].1.cycle) - plot.x(pair[0].1.cycle);
            assert!(gap >= ARROW_SPACING, "arrows {gap:.1} px apart");
        }
        // Zoomed in on a few, each is drawn; outside the window, none.
        let plot = Plot::new(&view, 390, 400, 400);
        assert_eq!(plot.drawn_arrows().len(), 10);
        assert!(plot.drawn_arrows().iter().all(|(_, arrow)| arrow.cycle >= 390));
    }

    #[test]
    fn the_svg_has_every_lane_bar_and_arrow() {
        let view = view();
        let svg = Plot::new(&view, 0, 1000, 800).svg("");
        assert!(svg.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg""#));
        assert_eq!(svg.matches(r#"class="lane""#).count(), 2);
        assert_eq!(svg.matches(r#"data-state="#).count(), 3);
        assert_eq!(svg.matches(r#"data-test="ipc-arrow""#).count(), 1);
        assert!(svg.contains(r#"data-kind="pagefault" data-from="0x04040001" data-to="0x04020001""#));
    }
}
