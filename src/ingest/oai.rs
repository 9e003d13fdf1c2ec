//! OAI-PMH `ListRecords` pages from arXiv in the `arXiv` and `arXivRaw` metadata formats.

use super::FeedError;
use super::xml::{self, Element};
use crate::domain::{ArxivId, Date, Paper};
use crate::import::snapshot::{join_name, split_authors};

/// The metadata formats the harvester understands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum,
)]
pub enum MetadataPrefix {
    /// Structured authors, first and last dates.
    #[serde(rename = "arXiv")]
    #[value(name = "arXiv")]
    Arxiv,
    /// Every version with its date (the first one is the submission date).
    #[serde(rename = "arXivRaw")]
    #[value(name = "arXivRaw")]
    ArxivRaw,
}

impl MetadataPrefix {
    pub fn as_str(self) -> &'static str {
        match self {
            MetadataPrefix::Arxiv => "arXiv",
            MetadataPrefix::ArxivRaw => "arXivRaw",
        }
    }
}

/// A `ListRecords` request: the start of a date window, or the page after a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Window {
        prefix: MetadataPrefix,
        set: Option<String>,
        from: Option<Date>,
        until: Option<Date>,
    },
    Resume(String),
}

impl Request {
    /// The query string (without `?`).
    pub fn query(&self) -> String {
        let encode = |v: &str| form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
        match self {
            Request::Resume(token) => {
                format!("verb=ListRecords&resumptionToken={}", encode(token))
            }
            Request::Window {
                prefix,
                set,
                from,
                until,
            } => {
                let mut q = format!("verb=ListRecords&metadataPrefix={}", prefix.as_str());
                if let Some(set) = set {
                    q.push_str(&format!("&set={}", encode(set)));
                }
                if let Some(from) = from {
                    q.push_str(&format!("&from={from}"));
                }
                if let Some(until) = until {
                    q.push_str(&format!("&until={until}"));
                }
                q
            }
        }
    }
}

/// One page of records.
#[derive(Debug, Default)]
pub struct Page {
    pub papers: Vec<Paper>,
    /// Records arXiv marks deleted (withdrawn from the OAI feed); counted, not stored.
    pub deleted: u64,
    /// Records that did not parse: (OAI identifier, why).
    pub skipped: Vec<(String, String)>,
    /// `None` on the last page (an empty or missing `resumptionToken`).
    pub token: Option<String>,
    /// The latest datestamp among the page's records.
    pub max_datestamp: Option<Date>,
    pub complete_list_size: Option<u64>,
}

/// What an OAI-PMH response says.
#[derive(Debug)]
pub enum Reply {
    Page(Page),
    /// `noRecordsMatch`: an empty result, not a failure.
    NoRecords,
    /// `badResumptionToken`: the token expired; the window must be restarted.
    BadToken(String),
    /// Any other OAI error (`badArgument`, `cannotDisseminateFormat`, …).
    Error {
        code: String,
        message: String,
    },
}

/// Parses a `ListRecords` response. Malformed XML is an error; a record that does not
/// parse is skipped and reported in the page.
pub fn parse(body: &str) -> Result<Reply, FeedError> {
    let root = xml::parse(body)?;
    if root.name != "OAI-PMH" {
        return Err(FeedError::WrongRoot {
            expected: "an OAI-PMH response",
            root: root.name,
        });
    }
    if let Some(error) = root.child("error") {
        let code = error.attr("code").unwrap_or("unknown").to_string();
        let message = error.text.trim().to_string();
        return Ok(match code.as_str() {
            "noRecordsMatch" => Reply::NoRecords,
            "badResumptionToken" => Reply::BadToken(message),
            _ => Reply::Error { code, message },
        });
    }
    let list = root.child("ListRecords").ok_or(FeedError::Missing(
        "ListRecords or error in the OAI-PMH response",
    ))?;
    let mut page = Page::default();
    for record in list.children_named("record") {
        let header = record.child("header");
        let identifier = header
            .and_then(|h| h.text_of("identifier"))
            .unwrap_or_default();
        if let Some(d) = header
            .and_then(|h| h.text_of("datestamp"))
            .and_then(|d| Date::parse_iso(&d).ok())
        {
            page.max_datestamp = page.max_datestamp.max(Some(d));
        }
        if header.and_then(|h| h.attr("status")) == Some("deleted") {
            page.deleted += 1;
            continue;
        }
        match record_paper(record) {
            Ok(paper) => page.papers.push(paper),
            Err(reason) => {
                tracing::warn!(%identifier, %reason, "skipping an OAI-PMH record");
                page.skipped.push((identifier, reason.to_string()));
            }
        }
    }
    if let Some(token) = list.child("resumptionToken") {
        page.token = Some(token.text.trim().to_string()).filter(|t| !t.is_empty());
        page.complete_list_size = token.attr("completeListSize").and_then(|n| n.parse().ok());
    }
    Ok(Reply::Page(page))
}

fn record_paper(record: &Element) -> Result<Paper, FeedError> {
    let metadata = record
        .child("metadata")
        .ok_or(FeedError::Missing("metadata"))?;
    if let Some(m) = metadata.child("arXiv") {
        arxiv_format(m)
    } else if let Some(m) = metadata.child("arXivRaw") {
        arxiv_raw_format(m)
    } else {
        Err(FeedError::MetadataFormat)
    }
}

/// The fields both formats share.
fn common(m: &Element) -> Result<Paper, FeedError> {
    let raw_id = m.text_of("id").ok_or(FeedError::Missing("id"))?;
    let id = ArxivId::parse(&raw_id)?;
    let title = m.text_of("title").ok_or(FeedError::Missing("title"))?;
    Ok(Paper {
        id: id.to_string(),
        title,
        abstract_text: m.text_of("abstract").unwrap_or_default(),
        categories: m
            .text_of("categories")
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect(),
        comments: m.text_of("comments"),
        journal_ref: m.text_of("journal-ref"),
        doi: m.text_of("doi"),
        license: m.text_of("license"),
        ..Paper::default()
    })
}

fn arxiv_format(m: &Element) -> Result<Paper, FeedError> {
    let mut paper = common(m)?;
    let date = |name: &str| m.text_of(name).and_then(|d| Date::parse_iso(&d).ok());
    paper.published = date("created");
    paper.updated = date("updated").or(paper.published);
    if let Some(authors) = m.child("authors") {
        paper.authors = authors
            .children_named("author")
            .map(|a| {
                let part = |n: &str| a.text_of(n).unwrap_or_default();
                join_name(&[part("keyname"), part("forenames"), part("suffix")])
            })
            .collect();
    }
    paper.normalise();
    Ok(paper)
}

fn arxiv_raw_format(m: &Element) -> Result<Paper, FeedError> {
    let mut paper = common(m)?;
    let dates: Vec<Date> = m
        .children_named("version")
        .filter_map(|v| v.text_of("date"))
        .filter_map(|d| Date::parse_rfc2822(&d).ok())
        .collect();
    paper.published = dates.first().copied();
    paper.updated = dates.last().copied();
    paper.authors = split_authors(&m.text_of("authors").unwrap_or_default());
    paper.normalise();
    Ok(paper)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_records_and_the_resumption_token() {
        let body = r#"<?xml version="1.0"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>
<record><header><identifier>oai:arXiv.org:2401.00001</identifier><datestamp>2024-01-03</datestamp></header>
<metadata><arXiv xmlns="http://arxiv.org/OAI/arXiv/"><id>2401.00001</id><created>2024-01-01</created><updated>2024-01-02</updated>
<authors><author><keyname>Doe</keyname><forenames>Jane</forenames></author><author><keyname>Roe</keyname><forenames>R.</forenames><suffix>Jr</suffix></author></authors>
<title>A  title
 wrapped</title><categories>cs.CL cs.LG</categories><abstract>  Text &amp; more.</abstract></arXiv></metadata></record>
<record><header status="deleted"><identifier>oai:arXiv.org:2401.00002</identifier><datestamp>2024-01-04</datestamp></header></record>
<record><header><identifier>oai:arXiv.org:bad</identifier><datestamp>2024-01-02</datestamp></header><metadata><arXiv><id>not an id</id><title>x</title></arXiv></metadata></record>
<resumptionToken expirationDate="2024-01-05T00:00:00Z">tok|1001</resumptionToken></ListRecords></OAI-PMH>"#;
        let Reply::Page(page) = parse(body).unwrap() else {
            panic!("expected a page")
        };
        assert_eq!(page.papers.len(), 1);
        let p = &page.papers[0];
        assert_eq!(p.id, "2401.00001");
        assert_eq!(p.title, "A title wrapped");
        assert_eq!(p.authors, ["Jane Doe", "R. Roe Jr"]);
        assert_eq!(p.abstract_text, "Text & more.");
        assert_eq!(p.updated.unwrap().to_string(), "2024-01-02");
        assert_eq!(page.deleted, 1);
        assert_eq!(page.skipped.len(), 1);
        assert_eq!(page.token.as_deref(), Some("tok|1001"));
        assert_eq!(page.max_datestamp.unwrap().to_string(), "2024-01-04");
    }

    #[test]
    fn an_empty_token_ends_the_list() {
        let body = r#"<OAI-PMH><ListRecords><resumptionToken/></ListRecords></OAI-PMH>"#;
        let Reply::Page(page) = parse(body).unwrap() else {
            panic!()
        };
        assert!(page.token.is_none() && page.papers.is_empty());
    }
}
