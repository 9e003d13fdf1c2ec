//! Atom feeds for searches and listings, and the OpenSearch description.

use super::params::SearchParams;
use super::{AppError, AppState, days, links, search};
use crate::domain::Paper;
use crate::index::{CategorySet, Sort};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use std::borrow::Cow;

const ATOM: &str = "application/atom+xml; charset=utf-8";

/// `/search/feed?q=…`: the newest matching papers.
pub async fn search(
    State(state): State<AppState>,
    Query(params): Query<SearchParams>,
    client: super::ClientAddr,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let params = SearchParams {
        sort: Some(params.sort.unwrap_or(Sort::Newest)),
        ..params
    };
    let found = search::run(&state, &params, client).await?;
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
    let base = BytesText::new(&xml_chars(&base_url(&state, &headers))).into_owned();
    let base: &str = &base;
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

/// An Atom 1.0 document (RFC 4287) listing `papers`, written by quick-xml (which
/// escapes every text and attribute).
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
    let mut w = Writer::new_with_indent(Vec::with_capacity(1024 + papers.len() * 1500), b' ', 2);
    let text = |s: &str| BytesText::new(&xml_chars(s)).into_owned();
    // Writing into memory cannot fail.
    let _ = w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)));
    let _ = w
        .create_element("feed")
        .with_attribute(("xmlns", "http://www.w3.org/2005/Atom"))
        .write_inner_content(|w| {
            w.create_element("title").write_text_content(text(title))?;
            w.create_element("id").write_text_content(text(self_url))?;
            w.create_element("link")
                .with_attributes([("rel", "self"), ("href", &xml_chars(self_url))])
                .write_empty()?;
            w.create_element("updated")
                .write_text_content(text(&updated))?;
            w.create_element("author")
                .write_inner_content(|w| name(w, "papers"))?;
            for p in papers {
                let page = format!("{base}{}", super::views::paper_href(p));
                w.create_element("entry").write_inner_content(|w| {
                    w.create_element("title")
                        .write_text_content(text(&p.title))?;
                    w.create_element("id").write_text_content(text(&page))?;
                    w.create_element("link")
                        .with_attribute(("href", xml_chars(&page).as_ref()))
                        .write_empty()?;
                    w.create_element("updated")
                        .write_text_content(text(&stamp(p)))?;
                    for a in &p.authors {
                        w.create_element("author")
                            .write_inner_content(|w| name(w, a))?;
                    }
                    for c in &p.categories {
                        w.create_element("category")
                            .with_attribute(("term", xml_chars(c).as_ref()))
                            .write_empty()?;
                    }
                    w.create_element("summary")
                        .write_text_content(text(&p.abstract_text))?;
                    Ok(())
                })?;
            }
            Ok(())
        });
    let mut out = String::from_utf8(w.into_inner()).unwrap_or_default();
    out.push('\n');
    out
}

fn name(w: &mut Writer<Vec<u8>>, name: &str) -> std::io::Result<()> {
    w.create_element("name")
        .write_text_content(BytesText::new(&xml_chars(name)))?;
    Ok(())
}

/// Drops the characters XML 1.0 does not allow (control characters, U+FFFE, U+FFFF).
fn xml_chars(s: &str) -> Cow<'_, str> {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r')
            || !((c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}')
    };
    if s.chars().all(allowed) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.chars().filter(|&c| allowed(c)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_invalid_characters() {
        let paper = Paper {
            id: "2401.00001".into(),
            title: "a<b>&\"'\u{0}\u{1b}]]>".into(),
            authors: vec!["A & B".into()],
            categories: vec!["cs.\"LG".into()],
            ..Paper::default()
        };
        let doc = atom("http://x", "http://x/feed?a=1&b=2", "t", &[paper]);
        assert!(
            doc.contains("<title>a&lt;b&gt;&amp;&quot;&apos;]]&gt;</title>"),
            "{doc}"
        );
        assert!(doc.contains("<name>A &amp; B</name>"), "{doc}");
        assert!(doc.contains("term=\"cs.&quot;LG\""), "{doc}");
        assert!(doc.contains("href=\"http://x/feed?a=1&amp;b=2\""), "{doc}");
        assert!(!doc.contains('\u{1b}'));
    }
}
