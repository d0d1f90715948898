//! A lesson's text as HTML for the page. A lesson may come from anyone (a
//! link someone sent), so the HTML must not be able to do anything but be
//! read: raw HTML in the Markdown is shown as text, links go only to
//! `http`, `https`, `mailto` or a fragment, and images show their
//! description instead of fetching anything.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

fn safe_link(destination: &str) -> bool {
    let lower = destination.trim().to_ascii_lowercase();
    ["http://", "https://", "mailto:", "#"].iter().any(|prefix| lower.starts_with(prefix))
}

/// Markdown → HTML that cannot run script or load anything.
pub fn to_html(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_SMART_PUNCTUATION;
    let mut dropped_links = Vec::new();
    let mut in_image = 0usize;
    let events = Parser::new_ext(markdown, options).filter_map(|event| match event {
        Event::Html(text) | Event::InlineHtml(text) => Some(Event::Text(text)),
        Event::Start(Tag::Link { ref dest_url, .. }) => {
            let safe = safe_link(dest_url);
            dropped_links.push(!safe);
            safe.then_some(event)
        }
        Event::End(TagEnd::Link) => (!dropped_links.pop().unwrap_or(false)).then_some(event),
        Event::Start(Tag::Image { .. }) => {
            in_image += 1;
            None
        }
        Event::End(TagEnd::Image) => {
            in_image = in_image.saturating_sub(1);
            None
        }
        other => Some(other),
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_formatted_and_nothing_can_run() {
        assert_eq!(to_html("A **map** adds a `node`."), "<p>A <strong>map</strong> adds a <code>node</code>.</p>\n");
        let html = to_html(
            "<script>alert(1)</script>\n\nx <img src=x onerror=alert(1)> [a](javascript:alert(1)) [b](https://example.org) ![c](http://tracker/pixel.png)",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(html.contains("<a href=\"https://example.org\">b</a>"), "{html}");
        assert!(html.contains(">a ") || html.contains(" a "), "the unsafe link keeps its text: {html}");
        assert!(html.contains('c'), "an image keeps its description: {html}");
    }
}
