//! The generic import format: one paper per JSON line, only `id` and `title` required.
//! BEIR corpora (`_id`, `title`, `text`) import as they are.

use super::RecordError;
use crate::domain::{ArxivId, Date, Paper, Venue};
use serde::Deserialize;

/// Longest id accepted.
pub(super) const MAX_ID: usize = 200;

#[derive(Deserialize)]
struct Record {
    #[serde(alias = "_id")]
    id: serde_json::Value,
    title: Option<String>,
    #[serde(rename = "abstract", alias = "text", default)]
    abstract_text: Option<String>,
    #[serde(default)]
    authors: Vec<String>,
    #[serde(default)]
    categories: Vec<String>,
    published: Option<String>,
    updated: Option<String>,
    comments: Option<String>,
    journal_ref: Option<String>,
    doi: Option<String>,
    license: Option<String>,
    /// Venue papers: `"venue": "ICLR", "year": 2024, "track": "Oral"`.
    venue: Option<String>,
    year: Option<u16>,
    track: Option<String>,
}

pub fn parse(line: &str) -> Result<Paper, RecordError> {
    let r: Record = serde_json::from_str(line)?;
    let id = match r.id {
        serde_json::Value::String(s) => s,
        serde_json::Value::Number(n) => n.to_string(),
        other => return Err(RecordError::IdType(other)),
    };
    let id = match ArxivId::parse(&id) {
        Ok(arxiv) => arxiv.to_string(),
        Err(_) => id.trim().to_string(),
    };
    if id.is_empty() || id.len() > MAX_ID || id.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(RecordError::BadId(id));
    }
    let title = r
        .title
        .filter(|t| !t.trim().is_empty())
        .ok_or(RecordError::NoTitle)?;
    let date = |field: &'static str, raw: Option<String>| {
        raw.map(|d| Date::parse_iso(&d).map_err(|source| RecordError::Date { field, source }))
            .transpose()
    };
    let mut paper = Paper {
        id,
        title,
        abstract_text: r.abstract_text.unwrap_or_default(),
        authors: r.authors,
        categories: r.categories,
        published: date("published", r.published)?,
        updated: date("updated", r.updated)?,
        comments: r.comments,
        journal_ref: r.journal_ref,
        doi: r.doi,
        license: r.license,
        venue: match (r.venue, r.year) {
            (Some(name), Some(year)) => Some(Venue {
                name,
                year,
                track: r.track,
            }),
            (Some(_), None) => return Err(RecordError::VenueWithoutYear),
            _ => None,
        },
    };
    // A venue's paper without a date is placed at its edition.
    if let (None, Some(v)) = (paper.published, &paper.venue) {
        paper.published = crate::domain::editions::edition_date(&v.name, v.year);
    }
    paper.normalise();
    Ok(paper)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_generic_shape() {
        let p = parse(r#"{"id":"x-1","title":"A  title","abstract":"Body","authors":["A B"],"categories":["cs.CL"],"published":"2024-02-01"}"#).unwrap();
        assert_eq!(
            (p.id.as_str(), p.title.as_str(), p.abstract_text.as_str()),
            ("x-1", "A title", "Body")
        );
        assert_eq!(p.published.unwrap().to_string(), "2024-02-01");
        let v =
            parse(r#"{"id":"v","title":"T","venue":"ICLR","year":2024,"track":"Oral"}"#).unwrap();
        assert_eq!(v.published, Date::new(2024, 5, 7), "the edition's date");
        assert_eq!(v.venue.unwrap().to_string(), "ICLR 2024 Oral");
        assert!(matches!(
            parse(r#"{"id":"a","title":"T","venue":"ICLR"}"#),
            Err(RecordError::VenueWithoutYear)
        ));
    }

    #[test]
    fn reads_beir_corpus_lines() {
        let p = parse(r#"{"_id": "4983", "title": "Microstructural development", "text": "Alterations of the architecture", "metadata": {}}"#).unwrap();
        assert_eq!(p.id, "4983");
        assert_eq!(p.abstract_text, "Alterations of the architecture");
    }

    #[test]
    fn rejects_bad_records() {
        let message = |line: &str| parse(line).unwrap_err().to_string();
        assert!(message(r#"{"title":"no id"}"#).contains("id"));
        assert!(matches!(
            parse(r#"{"id":[1],"title":"T"}"#),
            Err(RecordError::IdType(_))
        ));
        assert!(message(r#"{"id":"a b","title":"T"}"#).starts_with("bad id \"a b\": 1 to 200"));
        assert!(
            message(r#"{"id":"a","title":"T","published":"soon"}"#)
                .starts_with("published: not a date")
        );
        assert!(matches!(
            parse(r#"{"id":"a","title":"T","authors":"A B"}"#),
            Err(RecordError::Json(e)) if e.to_string().contains("invalid type")
        ));
    }
}
