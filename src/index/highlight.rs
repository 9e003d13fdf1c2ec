//! Marking query words in titles and abstracts as escaped HTML that KaTeX can still render.

use super::IndexResult;
use super::schema::{self, FirstLetters};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use tantivy::query::Query;
use tantivy::schema::Field;
use tantivy::snippet::SnippetGenerator;
use tantivy::{Searcher, Term};

/// Bytes of abstract shown around its best-matching words.
pub const ABSTRACT_WINDOW: usize = 320;
/// How far a window may stretch to avoid cutting a word or a formula.
const STRETCH: usize = 200;

/// Marks query words with `<mark>`. Each text has two generators: the stemmed field's
/// (loose words) and the exact field's (phrases). Words inside `$…$` math are not marked,
/// so formulas still render.
pub struct Highlighter {
    pub(super) title: [SnippetGenerator; 2],
    pub(super) abstract_text: [SnippetGenerator; 2],
}

impl Highlighter {
    /// The whole title as HTML with the query's words marked; `None` when none occurs.
    pub fn title(&self, text: &str) -> Option<String> {
        mark(&self.title, text, None)
    }

    /// The stretch of the abstract that best matches, as marked HTML; `None` when no
    /// query word occurs in it.
    pub fn abstract_text(&self, text: &str) -> Option<String> {
        mark(&self.abstract_text, text, Some(ABSTRACT_WINDOW))
    }
}

/// A snippet generator for the query's terms in `field`, rarer terms weighing more. In a
/// stemmed field (`stemmed`), only words that begin as a query term does are stemmed: the
/// rest cannot match.
pub(super) fn generator(
    searcher: &Searcher,
    query: &dyn Query,
    field: Field,
    stemmed: bool,
    max_chars: usize,
) -> IndexResult<SnippetGenerator> {
    let mut terms: BTreeSet<&Term> = BTreeSet::new();
    query.query_terms(&mut |term, _| {
        if term.field() == field {
            terms.insert(term);
        }
    });
    let mut weights = BTreeMap::new();
    for term in terms {
        let value = term.value();
        let Some(text) = value.as_str() else {
            continue;
        };
        let docs = searcher.doc_freq(term)?;
        if docs > 0 {
            weights.insert(text.to_string(), 1.0 / (1.0 + docs as f32));
        }
    }
    let analyser = match stemmed {
        true => schema::prose(FirstLetters::of(weights.keys().map(String::as_str))),
        false => searcher.index().tokenizer_for_field(field)?,
    };
    Ok(SnippetGenerator::new(weights, analyser, field, max_chars))
}

fn mark(generators: &[SnippetGenerator; 2], text: &str, window: Option<usize>) -> Option<String> {
    let snippet = generators
        .iter()
        .map(|g| g.snippet(text))
        .find(|s| !s.is_empty())?;
    let offset = snippet.fragment_range().start;
    let math = math_spans(text);
    let shown = match window {
        Some(w) if text.len() > w => window_from(text, offset, w, &math),
        _ => 0..text.len(),
    };
    let mut html = String::with_capacity(shown.len() + 64);
    if shown.start > 0 {
        html.push('…');
    }
    let mut at = shown.start;
    for r in snippet.highlighted() {
        let r = r.start + offset..r.end + offset;
        let inside_math = math.iter().any(|m| m.start < r.end && r.start < m.end);
        if r.start < at || r.end > shown.end || inside_math {
            continue;
        }
        escape_into(&mut html, &text[at..r.start]);
        html.push_str("<mark>");
        escape_into(&mut html, &text[r.clone()]);
        html.push_str("</mark>");
        at = r.end;
    }
    escape_into(&mut html, &text[at..shown.end]);
    if shown.end < text.len() {
        html.push('…');
    }
    Some(html)
}

/// About `width` bytes from `start`, moved so that no word and no formula is cut.
fn window_from(text: &str, start: usize, width: usize, math: &[Range<usize>]) -> Range<usize> {
    let mut start = if start < STRETCH / 4 { 0 } else { start };
    let mut end = (start + width).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    if let Some(space) = text[end..]
        .find(char::is_whitespace)
        .filter(|&i| i < STRETCH)
    {
        end += space;
    }
    for m in math {
        if m.start < start && start < m.end {
            start = m.start;
        }
        if m.start < end && end < m.end && m.end - end < STRETCH {
            end = m.end;
        }
    }
    start..end
}

/// Byte ranges of inline and display math: `$…$`, `$$…$$`, `\(…\)`, `\[…\]`.
fn math_spans(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let close: &[u8] = match &bytes[i..] {
            [b'\\', b'$', ..] => {
                i += 2; // an escaped dollar is text
                continue;
            }
            [b'$', b'$', ..] => b"$$",
            [b'$', ..] => b"$",
            [b'\\', b'(', ..] => b"\\)",
            [b'\\', b'[', ..] => b"\\]",
            _ => {
                i += 1;
                continue;
            }
        };
        let open_len = if close == b"$" { 1 } else { 2 };
        let body = i + open_len;
        match find(&bytes[body..], close) {
            Some(j) => {
                let end = body + j + close.len();
                spans.push(i..end);
                i = end;
            }
            None => i += open_len,
        }
    }
    spans
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_math_spans() {
        let t = r"a $x$ b $$y$$ c \(z\) d \[w\] e \$5 f $open";
        let spans: Vec<&str> = math_spans(t).into_iter().map(|r| &t[r]).collect();
        assert_eq!(spans, ["$x$", "$$y$$", r"\(z\)", r"\[w\]"]);
    }

    #[test]
    fn windows_do_not_cut_formulas_or_words() {
        let text = format!("{} $\\alpha + \\beta$ tail words here", "word ".repeat(10));
        let math = math_spans(&text);
        let w = window_from(&text, 0, 55, &math);
        assert!(text[w.clone()].ends_with("\\beta$"), "{:?}", &text[w]);
        let w = window_from(&text, 0, 7, &math);
        assert_eq!(&text[w], "word word");
    }
}
