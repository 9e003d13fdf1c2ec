//! The `papers` table row and its conversion to and from the domain record.

use super::{Change, StoreError};
use crate::domain::{Date, Paper, Venue};

/// The columns every query selects, in this order.
pub(super) const COLUMNS: &str = "id, seq, title, abstract, authors, categories, published, \
     updated, comments, journal_ref, doi, license, venue, venue_year, track, first_seq";

#[derive(Debug, sqlx::FromRow)]
pub(super) struct PaperRow {
    pub id: String,
    pub seq: i64,
    pub title: String,
    #[sqlx(rename = "abstract")]
    pub abstract_text: String,
    pub authors: String,
    pub categories: String,
    pub published: Option<String>,
    pub updated: Option<String>,
    pub comments: Option<String>,
    pub journal_ref: Option<String>,
    pub doi: Option<String>,
    pub license: Option<String>,
    pub venue: Option<String>,
    pub venue_year: Option<i64>,
    pub track: Option<String>,
    /// Not selected by every query.
    #[sqlx(default)]
    pub first_seq: Option<i64>,
}

/// A paper flattened into column values, ready to bind.
pub(super) struct NewRow<'a> {
    pub paper: &'a Paper,
    pub seq: i64,
    pub authors: String,
    pub categories: String,
    pub published: Option<String>,
    pub updated: Option<String>,
    pub venue: Option<String>,
    pub venue_year: Option<i64>,
    pub track: Option<String>,
    pub title_hash: i64,
}

impl<'a> NewRow<'a> {
    pub fn new(paper: &'a Paper, seq: i64) -> Self {
        NewRow {
            paper,
            seq,
            authors: to_json(&paper.authors),
            categories: to_json(&paper.categories),
            published: paper.published.map(|d| d.to_string()),
            updated: paper.updated.map(|d| d.to_string()),
            venue: paper.venue.as_ref().map(|v| v.name.clone()),
            venue_year: paper.venue.as_ref().map(|v| i64::from(v.year)),
            track: paper.venue.as_ref().and_then(|v| v.track.clone()),
            title_hash: crate::domain::title_hash(&paper.title),
        }
    }
}

fn to_json(list: &[String]) -> String {
    serde_json::to_string(list).expect("a list of strings always serialises")
}

impl PaperRow {
    pub fn into_change(self) -> Result<Change, StoreError> {
        let (seq, first_seq) = (self.seq, self.first_seq.unwrap_or(0));
        Ok(Change {
            seq,
            first_seq,
            paper: self.into_paper()?,
        })
    }

    pub fn into_paper(self) -> Result<Paper, StoreError> {
        let corrupt = |reason: String| StoreError::Corrupt {
            id: self.id.clone(),
            reason,
        };
        let list = |raw: &str| {
            serde_json::from_str::<Vec<String>>(raw).map_err(|e| corrupt(e.to_string()))
        };
        let date = |raw: &Option<String>| {
            raw.as_deref()
                .map(Date::parse_iso)
                .transpose()
                .map_err(|e| corrupt(e.to_string()))
        };
        let authors = list(&self.authors)?;
        let categories = list(&self.categories)?;
        let published = date(&self.published)?;
        let updated = date(&self.updated)?;
        let venue = match (self.venue, self.venue_year) {
            (Some(name), Some(year)) => Some(Venue {
                name,
                year: u16::try_from(year).map_err(|e| corrupt(e.to_string()))?,
                track: self.track,
            }),
            _ => None,
        };
        Ok(Paper {
            id: self.id,
            title: self.title,
            abstract_text: self.abstract_text,
            authors,
            categories,
            published,
            updated,
            comments: self.comments,
            journal_ref: self.journal_ref,
            doi: self.doi,
            license: self.license,
            venue,
        })
    }
}
