//! Text out of the little HTML venue sources put in abstracts (`<em>`, `<sub>`, entities).

/// Drops tags and decodes the common entities, so the text is stored plain and every page
/// escapes it like any other text: markup from a source is never executed.
pub fn to_text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find(['<', '&']) {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if rest.starts_with('<') {
            match rest.find('>') {
                Some(end) => {
                    // Block-level breaks become spaces so words do not run together.
                    let tag = rest[1..end].trim_start_matches('/').to_ascii_lowercase();
                    if ["p", "br", "div", "li"]
                        .iter()
                        .any(|t| tag.split_whitespace().next() == Some(t))
                    {
                        out.push(' ');
                    }
                    rest = &rest[end + 1..];
                }
                None => {
                    out.push('<');
                    rest = &rest[1..];
                }
            }
            continue;
        }
        let decoded = rest.find(';').filter(|&end| end <= 10).and_then(|end| {
            let name = &rest[1..end];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            }?;
            Some((c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::to_text;

    #[test]
    fn tags_go_and_entities_decode() {
        assert_eq!(
            to_text("achieves <em>last-iterate</em> convergence"),
            "achieves last-iterate convergence"
        );
        assert_eq!(
            to_text("<script>alert(1)</script>x &lt;b&gt; &amp; &#233;&#x41;"),
            "alert(1)x <b> & éA"
        );
        assert_eq!(to_text("a<p>b"), "a b");
        assert_eq!(to_text("1 < 2 & 3"), "1 < 2 & 3");
    }
}
