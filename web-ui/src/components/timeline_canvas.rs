//! Painting a [`Plot`] on a canvas, in the theme's colours (read from the
//! style sheet's custom properties, so the canvas follows the theme like
//! the rest of the page). States are told apart by pattern and label, as in
//! the legend, never by colour alone; message kinds by dash and width.

use super::timeline_drawing::{LANE_HEIGHT, PLOT_WIDTH, Plot, state_label};
use web_sys::wasm_bindgen::{JsCast, JsValue};
use web_sys::{CanvasPattern, CanvasRenderingContext2d, HtmlCanvasElement};

/// The theme's colours, by custom property name, and the bars' patterns in
/// them — read once per theme: reading a computed style makes the browser
/// bring the whole page's style up to date there and then.
struct Palette {
    theme: String,
    colours: Vec<(&'static str, String)>,
    patterns: Vec<(&'static str, CanvasPattern)>,
}

/// The bars' labels' font.
const LABEL_FONT: &str = "9px ui-monospace, \"DejaVu Sans Mono\", Menlo, Consolas, monospace";

const COLOURS: [&str; 11] = [
    "--blue",
    "--green",
    "--vermillion",
    "--sky",
    "--purple",
    "--grey",
    "--text",
    "--border",
    "--orange",
    "--background",
    "--focus",
];

thread_local! {
    static PALETTE: std::cell::RefCell<Option<Palette>> = const { std::cell::RefCell::new(None) };
}

impl Palette {
    /// The current theme's (the `data-theme` of the document's root element).
    fn current<T>(context: &CanvasRenderingContext2d, use_it: impl FnOnce(&Palette) -> T) -> Option<T> {
        let root = gloo::utils::document().document_element()?;
        let theme = root.get_attribute("data-theme").unwrap_or_default();
        PALETTE.with(|cell| {
            let mut cell = cell.borrow_mut();
            if cell.as_ref().is_none_or(|palette| palette.theme != theme) {
                let style = gloo::utils::window().get_computed_style(&root).ok()??;
                let colours = COLOURS
                    .iter()
                    .map(|name| {
                        let value = style.get_property_value(name).unwrap_or_default();
                        let value = value.trim();
                        (*name, if value.is_empty() { "#808080".to_string() } else { value.to_string() })
                    })
                    .collect();
                let mut palette = Palette { theme, colours, patterns: Vec::new() };
                for state in super::timeline_drawing::STATES.iter().chain(["interrupt"].iter()) {
                    if let Some(fill) = pattern(context, state, &palette) {
                        palette.patterns.push((state, fill));
                    }
                }
                *cell = Some(palette);
            }
            cell.as_ref().map(use_it)
        })
    }

    fn colour(&self, name: &str) -> &str {
        self.colours.iter().find(|(known, _)| *known == name).map_or("#808080", |(_, value)| value.as_str())
    }
}

fn context_of(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok()??.dyn_into().ok()
}

/// The fill of a state's bar: the legend's pattern, drawn on a small tile.
fn pattern(context: &CanvasRenderingContext2d, state: &str, palette: &Palette) -> Option<CanvasPattern> {
    let tile: HtmlCanvasElement = gloo::utils::document().create_element("canvas").ok()?.dyn_into().ok()?;
    let size = match state {
        "running" => 4,
        "receiving" => 5,
        "inactive" | "dead" => 8,
        _ => 6,
    };
    tile.set_width(size);
    tile.set_height(size);
    let draw = context_of(&tile)?;
    let size = f64::from(size);
    let line = |colour: &str, width: f64, path: &[(f64, f64, f64, f64)]| {
        draw.set_stroke_style_str(colour);
        draw.set_line_width(width);
        draw.begin_path();
        for (x1, y1, x2, y2) in path {
            draw.move_to(*x1, *y1);
            draw.line_to(*x2, *y2);
        }
        draw.stroke();
    };
    match state {
        "running" => {
            draw.set_global_alpha(0.55);
            draw.set_fill_style_str(palette.colour("--blue"));
            draw.fill_rect(0.0, 0.0, size, size);
        }
        "ready" => line(palette.colour("--green"), 1.5, &[(0.0, size, size, 0.0)]),
        "sending" => {
            line(palette.colour("--vermillion"), 1.2, &[(0.0, 0.0, size, size), (0.0, size / 2.0, size, size / 2.0)])
        }
        "receiving" => {
            draw.set_fill_style_str(palette.colour("--sky"));
            draw.begin_path();
            let _ = draw.arc(2.5, 2.5, 1.2, 0.0, std::f64::consts::TAU);
            draw.fill();
        }
        "waiting" => line(palette.colour("--purple"), 1.2, &[(0.0, 0.0, size, size), (size, 0.0, 0.0, size)]),
        "dead" => line(palette.colour("--grey"), 1.0, &[(0.0, 0.0, size, size)]),
        _ => line(palette.colour("--grey"), 1.0, &[(0.0, size / 2.0, size, size / 2.0)]),
    }
    context.create_pattern_with_html_canvas_element(&tile, "repeat").ok()?
}

/// Paint the plot; `selected` (an index in the view's arrows) is drawn
/// thicker and ringed, for the keyboard.
pub fn paint(canvas: &HtmlCanvasElement, plot: &Plot, selected: Option<usize>) -> Option<()> {
    let ratio = gloo::utils::window().device_pixel_ratio().max(1.0);
    let height = plot.height();
    let (pixels_wide, pixels_high) = ((PLOT_WIDTH * ratio).round() as u32, (height * ratio).round() as u32);
    if canvas.width() != pixels_wide || canvas.height() != pixels_high {
        canvas.set_width(pixels_wide);
        canvas.set_height(pixels_high);
    }
    let context = context_of(canvas)?;
    Palette::current(&context, |palette| draw(&context, plot, selected, palette, ratio))
}

/// Each message kind's colour, line width and dash ("ipc": every kind not
/// named after it).
const ARROW_STYLES: [(&str, &str, f64, &[f64]); 4] = [
    ("ipc", "--text", 1.5, &[]),
    ("pagefault", "--vermillion", 1.5, &[4.0, 2.0]),
    ("interrupt", "--purple", 1.5, &[1.0, 2.0]),
    ("map", "--green", 2.5, &[]),
];

/// The style an arrow of `kind` is drawn in.
fn arrow_style(kind: &str) -> &'static (&'static str, &'static str, f64, &'static [f64]) {
    ARROW_STYLES.iter().find(|(known, ..)| *known == kind).unwrap_or(&ARROW_STYLES[0])
}

fn dash(pattern: &[f64]) -> js_sys::Array {
    pattern.iter().map(|length| JsValue::from_f64(*length)).collect()
}

fn draw(context: &CanvasRenderingContext2d, plot: &Plot, selected: Option<usize>, palette: &Palette, ratio: f64) {
    let height = plot.height();
    let _ = context.set_transform(ratio, 0.0, 0.0, ratio, 0.0, 0.0);
    context.clear_rect(0.0, 0.0, PLOT_WIDTH, height);

    // Lane rules.
    context.set_stroke_style_str(palette.colour("--border"));
    context.set_line_width(1.0);
    context.begin_path();
    for lane in 0..plot.view.lanes.len() {
        let y = Plot::lane_top(lane) + LANE_HEIGHT - 0.5;
        context.move_to(0.0, y);
        context.line_to(PLOT_WIDTH, y);
    }
    context.stroke();

    // Bars, a pattern per state, each labelled where there is room, with a
    // halo in the background colour (as the SVG export draws them).
    // Setting a font makes the browser bring the page's style up to date
    // there and then (in the middle of a render); the context keeps it
    // until the canvas is resized.
    if context.font() != LABEL_FONT {
        context.set_font(LABEL_FONT);
    }
    context.set_text_baseline("alphabetic");
    context.set_line_width(3.0);
    for (state, fill) in &palette.patterns {
        context.set_fill_style_canvas_pattern(fill);
        let label = state_label(state);
        let mut labels = Vec::new();
        for segment in plot.view.segments.iter().filter(|segment| segment.state == *state) {
            let Some((start, width, top)) = plot.bar(segment) else { continue };
            context.fill_rect(start, top + 3.0, width, LANE_HEIGHT - 6.0);
            if width > 36.0 && !label.is_empty() {
                labels.push((start + 3.0, top + 14.0));
            }
        }
        context.set_stroke_style_str(palette.colour("--background"));
        context.set_fill_style_str(palette.colour("--text"));
        for (x, y) in labels {
            let _ = context.stroke_text(label, x, y);
            let _ = context.fill_text(label, x, y);
        }
    }

    // Messages: line style by kind, a dot at the sender, a head at the
    // receiver — one path per kind for the lines and one for the dots and
    // heads (a path per arrow cost a dozen calls into the browser each).
    let (first, arrows) = plot.shown_arrows();
    let chosen = selected.and_then(|index| index.checked_sub(first)).and_then(|offset| arrows.get(offset));
    let drawn = plot.drawn_arrows();
    for (kind, colour, width, pattern) in ARROW_STYLES {
        let placed: Vec<(f64, f64, f64)> = drawn
            .iter()
            .map(|(_, arrow)| *arrow)
            .filter(|arrow| arrow_style(arrow.kind).0 == kind)
            .filter_map(|arrow| plot.arrow(arrow))
            .collect();
        if placed.is_empty() {
            continue;
        }
        let colour = palette.colour(colour);
        context.set_stroke_style_str(colour);
        context.set_fill_style_str(colour);
        context.set_line_width(width);
        let _ = context.set_line_dash(&dash(pattern));
        context.begin_path();
        for (x, from_y, to_y) in &placed {
            context.move_to(*x, *from_y);
            context.line_to(*x, *to_y);
        }
        context.stroke();
        let _ = context.set_line_dash(&dash(&[]));
        context.begin_path();
        for (x, from_y, to_y) in &placed {
            context.move_to(x + 2.5, *from_y);
            let _ = context.arc(*x, *from_y, 2.5, 0.0, std::f64::consts::TAU);
            let direction = if to_y >= from_y { 1.0 } else { -1.0 };
            context.move_to(*x, *to_y);
            context.line_to(x - 3.5, to_y - 6.0 * direction);
            context.line_to(x + 3.5, to_y - 6.0 * direction);
            context.close_path();
        }
        context.fill();
    }
    // The arrow chosen with the keyboard: thicker, and ringed.
    if let Some((arrow, (x, from_y, to_y))) = chosen.and_then(|arrow| Some((arrow, plot.arrow(arrow)?))) {
        let (_, colour, width, pattern) = arrow_style(arrow.kind);
        context.set_stroke_style_str(palette.colour(colour));
        context.set_line_width(width + 1.5);
        let _ = context.set_line_dash(&dash(pattern));
        context.begin_path();
        context.move_to(x, from_y);
        context.line_to(x, to_y);
        context.stroke();
        let _ = context.set_line_dash(&dash(&[]));
        context.set_stroke_style_str(palette.colour("--focus"));
        context.set_line_width(2.0);
        let (top, bottom) = (from_y.min(to_y) - 5.0, from_y.max(to_y) + 5.0);
        context.stroke_rect(x - 6.0, top, 12.0, bottom - top);
    }

    // The present.
    let now = plot.x(plot.now);
    context.set_stroke_style_str(palette.colour("--orange"));
    context.set_line_width(2.0);
    context.begin_path();
    context.move_to(now, 0.0);
    context.line_to(now, height);
    context.stroke();
}
