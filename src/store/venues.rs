//! Venue editions and the links between venue records and their arXiv papers.

use serde::Serialize;

/// A venue record that is a version of an arXiv paper, and how the match was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    /// The venue record (`openreview:…`, `pmlr:…`).
    pub id: String,
    pub arxiv_id: String,
    /// `arxiv-id` (the source named it) or `title-author`.
    pub method: String,
}

/// One venue edition's track and how many works it lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TrackCount {
    pub venue: String,
    pub year: i64,
    pub track: Option<String>,
    pub count: i64,
}
