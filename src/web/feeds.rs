//! Atom feeds for searches and listings, and the OpenSearch description.

use super::params::SearchParams;
use super::{AppError, AppState, days, links, search};
use crate::domain::Paper;
use crate::index::{CategorySet, Sort};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use std::fmt::Write;

const ATOM: &str = "application/atom+xml; charset=utf-8";

/// `/search/feed?q=…`: the newest matching papers.
pub async fn search(
    State(state): State<AppState>,
    Query(params): Query<SearchParams>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let params = SearchParams {
        sort: Some(params.sort.unwrap_or(Sort::Newest)),
        ..params
    };
    let found = search::run(&state, &params).await?;
    let papers: Vec<Paper> = found.hits.into_iter().map(|h| h.paper).collect();
    let base = base_url(&state, &headers);
    let self_url = format!("{base}{}", links::search_url("/search/feed", &params));
    let title = format!("papers: {}", params.q);
    Ok(atom_response(&base, &self_url, &title, &papers))
}

/// `/arxiv/{categories}/feed`: the latest day's papers.
pub async fn listing(
    state: &AppState,
    path: &str,
    set: &CategorySet,
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    // The papers of the listing's page, in its order.
    let list = days::day_list(state, set, None).await?;
    let papers: Vec<Paper> = list.sections.into_iter().flat_map(|s| s.papers).collect();
    let base = base_url(state, headers);
    let self_url = format!("{base}/arxiv/{path}/feed");
    let title = format!("papers: {}", days::describe(set));
    Ok(atom_response(&base, &self_url, &title, &papers))
}

pub async fn opensearch(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let base = xml_escape(&base_url(&state, &headers));
    let body = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<OpenSearchDescription xmlns="http://a9.com/-/spec/opensearch/1.1/">
  <ShortName>papers</ShortName>
  <Description>Search arXiv and venue papers</Description>
  <InputEncoding>UTF-8</InputEncoding>
  <Url type="text/html" method="get" template="{base}/search?q={{searchTerms}}"/>
  <Url type="application/atom+xml" method="get" template="{base}/search/feed?q={{searchTerms}}"/>
</OpenSearchDescription>
"#
    );
    let ct = HeaderValue::from_static("application/opensearchdescription+xml; charset=utf-8");
    ([(header::CONTENT_TYPE, ct)], body).into_response()
}

pub(super) fn atom_response(base: &str, self_url: &str, title: &str, papers: &[Paper]) -> Response {
    let body = atom(base, self_url, title, papers);
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(ATOM))],
        body,
    )
        .into_response()
}

/// The site's address for absolute links: `PAPERS_BASE_URL` when set, else
/// `http(s)://host` of this request (a host header that is not a plain host name is not
/// echoed).
pub(super) fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(base) = &state.base_url {
        return base.clone();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() < 256
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("localhost");
    let scheme = if is_https(state, headers) {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

/// Whether clients reach this server over HTTPS: `PAPERS_BASE_URL` says so, or the proxy
/// in front does (`X-Forwarded-Proto: https`).
pub(super) fn is_https(state: &AppState, headers: &HeaderMap) -> bool {
    if let Some(base) = &state.base_url {
        return base.starts_with("https://");
    }
    headers
        .get("x-forwarded-proto")
        .is_some_and(|p| p.as_bytes().eq_ignore_ascii_case(b"https"))
}

/// An Atom 1.0 document (RFC 4287) listing `papers`.
pub fn atom(base: &str, self_url: &str, title: &str, papers: &[Paper]) -> String {
    let stamp = |p: &Paper| {
        let date = p
            .updated
            .or(p.published)
            .map_or("1970-01-01".to_string(), |d| d.to_string());
        format!("{date}T00:00:00Z")
    };
    let updated = papers
        .iter()
        .map(stamp)
        .max()
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into());
    let mut out = String::with_capacity(1024 + papers.len() * 1500);
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    let _ = writeln!(out, "  <title>{}</title>", xml_escape(title));
    let _ = writeln!(out, "  <id>{}</id>", xml_escape(self_url));
    let _ = writeln!(
        out,
        "  <link rel=\"self\" href=\"{}\"/>",
        xml_escape(self_url)
    );
    let _ = writeln!(out, "  <updated>{updated}</updated>");
    out.push_str("  <author><name>papers</name></author>\n");
    for p in papers {
        let page = format!("{base}{}", super::views::paper_href(p));
        out.push_str("  <entry>\n");
        let _ = writeln!(out, "    <title>{}</title>", xml_escape(&p.title));
        let _ = writeln!(out, "    <id>{}</id>", xml_escape(&page));
        let _ = writeln!(out, "    <link href=\"{}\"/>", xml_escape(&page));
        let _ = writeln!(out, "    <updated>{}</updated>", stamp(p));
        for a in &p.authors {
            let _ = writeln!(out, "    <author><name>{}</name></author>", xml_escape(a));
        }
        for c in &p.categories {
            let _ = writeln!(out, "    <category term=\"{}\"/>", xml_escape(c));
        }
        let _ = writeln!(
            out,
            "    <summary>{}</summary>",
            xml_escape(&p.abstract_text)
        );
        out.push_str("  </entry>\n");
    }
    out.push_str("</feed>\n");
    out
}

/// Escapes markup characters and drops characters XML 1.0 does not allow.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_invalid_characters() {
        assert_eq!(
            xml_escape("a<b>&\"'\u{0}\u{1b}]]>"),
            "a&lt;b&gt;&amp;&quot;&apos;]]&gt;"
        );
    }
}
