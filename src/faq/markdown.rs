//! The model's Markdown as safe HTML: raw HTML shown as text, math kept for KaTeX, sanitised.

use pulldown_cmark::{Event, Options, Parser, html};

/// Renders untrusted Markdown. Raw HTML in it is shown as text, math (`$…$`, `$$…$$`) comes
/// out as `\(…\)` and `\[…\]` for KaTeX's auto-render, and the result goes through ammonia,
/// so no script, event attribute or `javascript:` link survives.
pub fn to_html(markdown: &str) -> String {
    let options = Options::ENABLE_MATH
        | Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS;
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::InlineMath(tex) => Event::Text(format!("\\({tex}\\)").into()),
        Event::DisplayMath(tex) => Event::Text(format!("\\[{tex}\\]").into()),
        other => other,
    });
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, events);
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&unsafe_html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::to_html;

    #[test]
    fn markdown_becomes_html() {
        let html =
            to_html("## What problem?\n\nIt **solves** [this](https://example.org).\n\n- a\n- b");
        assert!(html.contains("<h2>What problem?</h2>"), "{html}");
        assert!(html.contains("<strong>solves</strong>"), "{html}");
        assert!(html.contains("<a href=\"https://example.org\""), "{html}");
        assert!(html.contains("<li>a</li>"), "{html}");
    }

    #[test]
    fn hostile_output_is_inert() {
        let html = to_html(
            "<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)> \
             <a href=\"javascript:alert(2)\" onclick=\"alert(3)\">y</a>",
        );
        // Every tag left is harmless; the hostile ones only survive as escaped text.
        for tag in html
            .split('<')
            .skip(1)
            .map(|t| t.split('>').next().unwrap())
        {
            for bad in ["script", "img", "javascript:", "onerror", "onclick"] {
                assert!(!tag.contains(bad), "<{tag}> in {html}");
            }
        }
        // Shown as text, so a reader sees what the model wrote.
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
    }

    #[test]
    fn math_is_left_for_katex() {
        let html = to_html("Ratio $\\frac{a}{b}$ and $$x_1 * y_2 = z$$");
        assert!(html.contains("\\(\\frac{a}{b}\\)"), "{html}");
        // Underscores and stars inside math are not emphasis.
        assert!(html.contains("\\[x_1 * y_2 = z\\]"), "{html}");
    }
}
