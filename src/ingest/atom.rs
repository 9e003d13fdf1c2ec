//! The arXiv API's Atom feeds (`export.arxiv.org/api/query`): entries, and the error feed
//! it answers bad requests with.

use super::FeedError;
use super::xml::{self, Element};
use crate::domain::{ArxivId, Date, Paper};

/// Parses an API response into papers; the API's error entry becomes `FeedError::Api`.
pub fn parse(body: &str) -> Result<Vec<Paper>, FeedError> {
    let root = xml::parse(body)?;
    if root.name != "feed" {
        return Err(FeedError::WrongRoot {
            expected: "an Atom feed",
            root: root.name,
        });
    }
    let mut papers = Vec::new();
    for entry in root.children_named("entry") {
        let id = entry.text_of("id").unwrap_or_default();
        if id.contains("/api/errors") {
            let message = entry.text_of("summary").unwrap_or(id);
            return Err(FeedError::Api(message));
        }
        papers.push(entry_paper(entry, &id)?);
    }
    Ok(papers)
}

fn entry_paper(entry: &Element, raw_id: &str) -> Result<Paper, FeedError> {
    let id = ArxivId::parse(raw_id)?;
    let date = |name: &str| entry.text_of(name).and_then(|d| Date::parse_iso(&d).ok());
    let term = |e: &Element| e.attr("term").map(str::to_string);
    let mut categories: Vec<String> = entry
        .child("primary_category")
        .and_then(term)
        .into_iter()
        .collect();
    for c in entry.children_named("category").filter_map(term) {
        if !categories.contains(&c) {
            categories.push(c);
        }
    }
    let mut paper = Paper {
        id: id.to_string(),
        title: entry.text_of("title").ok_or(FeedError::Missing("title"))?,
        abstract_text: entry.text_of("summary").unwrap_or_default(),
        authors: entry
            .children_named("author")
            .filter_map(|a| a.text_of("name"))
            .collect(),
        categories,
        published: date("published"),
        updated: date("updated"),
        comments: entry.text_of("comment"),
        journal_ref: entry.text_of("journal_ref"),
        doi: entry.text_of("doi"),
        ..Paper::default()
    };
    paper.normalise();
    Ok(paper)
}
