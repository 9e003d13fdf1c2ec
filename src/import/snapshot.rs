//! The arXiv metadata snapshot (Kaggle's `arxiv-metadata-oai-snapshot`, JSON lines).

use super::RecordError;
use crate::domain::{ArxivId, Date, Paper};
use serde::Deserialize;

#[derive(Deserialize)]
struct Record {
    id: String,
    title: Option<String>,
    #[serde(rename = "abstract")]
    abstract_text: Option<String>,
    authors: Option<String>,
    authors_parsed: Option<Vec<Vec<String>>>,
    categories: Option<String>,
    comments: Option<String>,
    #[serde(rename = "journal-ref")]
    journal_ref: Option<String>,
    doi: Option<String>,
    license: Option<String>,
    versions: Option<Vec<Version>>,
    update_date: Option<String>,
}

#[derive(Deserialize)]
struct Version {
    created: Option<String>,
}

/// Parses one snapshot line into a paper.
pub fn parse(line: &str) -> Result<Paper, RecordError> {
    let r: Record = serde_json::from_str(line)?;
    let id = ArxivId::parse(&r.id)?;
    let title = r
        .title
        .filter(|t| !t.trim().is_empty())
        .ok_or(RecordError::NoTitle)?;
    let authors = match r.authors_parsed {
        Some(parsed) if !parsed.is_empty() => parsed.iter().map(|p| join_name(p)).collect(),
        _ => split_authors(r.authors.as_deref().unwrap_or_default()),
    };
    let published = r
        .versions
        .as_deref()
        .and_then(|v| v.first())
        .and_then(|v| v.created.as_deref())
        .and_then(|d| Date::parse_rfc2822(d).ok());
    let mut paper = Paper {
        id: id.to_string(),
        title,
        abstract_text: r.abstract_text.unwrap_or_default(),
        authors,
        categories: r
            .categories
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect(),
        published,
        updated: r
            .update_date
            .as_deref()
            .and_then(|d| Date::parse_iso(d).ok()),
        comments: r.comments,
        journal_ref: r.journal_ref,
        doi: r.doi,
        license: r.license,
        venue: None,
    };
    paper.normalise();
    Ok(paper)
}

/// `["Vaswani", "Ashish", ""]` (family, given, suffix) → `Ashish Vaswani`.
pub(crate) fn join_name(parts: &[String]) -> String {
    let get = |i: usize| parts.get(i).map_or("", |s| s.trim());
    [get(1), get(0), get(2)]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The free-text author list: `A, B and C`.
pub(crate) fn split_authors(raw: &str) -> Vec<String> {
    raw.split(',')
        .flat_map(|part| part.split(" and "))
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_snapshot_record() {
        let line = r#"{"id":"0704.0001","submitter":"Pavel Nadolsky","authors":"C. Bal\u00e1zs, E. L. Berger",
          "title":"Calculation of prompt diphoton production cross sections at Tevatron and\n  LHC energies",
          "comments":"37 pages, 15 figures","journal-ref":"Phys.Rev.D76:013009,2007","doi":"10.1103/PhysRevD.76.013009",
          "report-no":"ANL-HEP-PR-07-12","categories":"hep-ph","license":null,
          "abstract":"  A fully differential calculation in perturbative quantum chromodynamics is\npresented.\n",
          "versions":[{"version":"v1","created":"Mon, 2 Apr 2007 19:18:42 GMT"},{"version":"v2","created":"Tue, 24 Jul 2007 20:10:27 GMT"}],
          "update_date":"2008-11-13","authors_parsed":[["Bal\u00e1zs","C.",""],["Berger","E. L.",""]]}"#;
        let p = parse(&line.replace('\n', " ")).unwrap();
        assert_eq!(p.id, "0704.0001");
        assert_eq!(
            p.title,
            "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
        );
        assert_eq!(p.authors, ["C. Balázs", "E. L. Berger"]);
        assert_eq!(p.categories, ["hep-ph"]);
        assert_eq!(p.published.unwrap().to_string(), "2007-04-02");
        assert_eq!(p.updated.unwrap().to_string(), "2008-11-13");
        assert_eq!(p.doi.as_deref(), Some("10.1103/PhysRevD.76.013009"));
        assert!(p.abstract_text.starts_with("A fully differential"));
    }

    #[test]
    fn falls_back_to_the_author_string() {
        let p = parse(
            r#"{"id":"hep-th/9901001v2","title":"T","authors":"A. One, B. Two and C. Three"}"#,
        )
        .unwrap();
        assert_eq!(p.id, "hep-th/9901001");
        assert_eq!(p.authors, ["A. One", "B. Two", "C. Three"]);
    }

    #[test]
    fn reports_what_is_wrong() {
        assert!(matches!(
            parse(r#"{"id":"0704.0001"}"#),
            Err(RecordError::NoTitle)
        ));
        let bad_id = parse(r#"{"id":"nope","title":"T"}"#).unwrap_err();
        assert!(matches!(bad_id, RecordError::Id(_)));
        assert!(bad_id.to_string().contains("arXiv id"), "{bad_id}");
        assert!(
            parse(r#"{"id":"0704.0001","title":7}"#)
                .unwrap_err()
                .to_string()
                .contains("invalid type")
        );
        assert!(matches!(parse("{"), Err(RecordError::Json(_))));
    }
}
