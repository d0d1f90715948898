//! Files the page hands to the user: downloads made of string parts (the
//! trace export, SVG drawings), and the SVG of a drawing with its styles.

use super::*;

impl App {
    pub(super) fn download(name: &str, mime: &str, text: &str) -> Result<(), String> {
        Self::download_parts(name, mime, &js_sys::Array::of1(&web_sys::wasm_bindgen::JsValue::from_str(text)))
    }

    /// Download a file made of string parts (the browser joins them).
    pub(super) fn download_parts(name: &str, mime: &str, parts: &js_sys::Array) -> Result<(), String> {
        let options = web_sys::BlobPropertyBag::new();
        options.set_type(mime);
        let blob = web_sys::Blob::new_with_str_sequence_and_options(parts, &options)
            .map_err(|_| "the browser refused to make the file".to_string())?;
        let address = web_sys::Url::create_object_url_with_blob(&blob)
            .map_err(|_| "the browser refused a download link".to_string())?;
        let anchor: web_sys::HtmlAnchorElement =
            gloo::utils::document().create_element("a").map_err(|_| "no link element".to_string())?.unchecked_into();
        anchor.set_href(&address);
        anchor.set_download(name);
        anchor.click();
        let _ = web_sys::Url::revoke_object_url(&address);
        Ok(())
    }

    /// One SVG file from an `svg` element, or from every `svg` inside an
    /// element (stacked), with the styles they need inlined.
    pub(super) fn svg_text(element: &str) -> Option<String> {
        let root = gloo::utils::document().get_element_by_id(element)?;
        let drawings: Vec<web_sys::Element> = if root.tag_name().eq_ignore_ascii_case("svg") {
            vec![root.clone()]
        } else {
            let list = root.query_selector_all("svg").ok()?;
            (0..list.length()).filter_map(|index| list.item(index)?.dyn_into().ok()).collect()
        };
        let mut body = String::new();
        let (mut width, mut height) = (0.0f64, 0.0f64);
        for drawing in drawings {
            let number =
                |name: &str| drawing.get_attribute(name).and_then(|value| value.parse::<f64>().ok()).unwrap_or(0.0);
            let (drawing_width, drawing_height) = (number("width"), number("height"));
            let caption = drawing
                .parent_element()
                .and_then(|parent| parent.query_selector("figcaption").ok().flatten())
                .and_then(|caption| caption.text_content());
            if let Some(caption) = caption {
                height += 16.0;
                body.push_str(&format!(
                    "<text x=\"2\" y=\"{}\" class=\"caption\">{}</text>",
                    height - 4.0,
                    escape(&caption)
                ));
            }
            body.push_str(&format!("<g transform=\"translate(0,{height})\">{}</g>", drawing.inner_html()));
            width = width.max(drawing_width);
            height += drawing_height + 8.0;
        }
        Some(format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\"><style>{SVG_STYLE}</style><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>{body}</svg>"
        ))
    }
}

/// The drawing styles of `style.css` that an exported mapping-tree SVG needs
/// (light theme; the timeline makes its own SVG, see `timeline_drawing`).
const SVG_STYLE: &str = "text{font:11px monospace;fill:#1a1a1a}.caption{font-weight:bold}\
.tree-node rect{fill:#e8f1f8;stroke:#0072B2}.tree-node.root rect{fill:#fff4d6;stroke:#E69F00}\
.tree-node.read-only rect{stroke-dasharray:3 2}.tree-link{fill:none;stroke:#777}.leaving{display:none}";
