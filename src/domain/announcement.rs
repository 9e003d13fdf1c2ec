//! arXiv's daily announcements: a paper shown in a category's list on a day, and how.

use super::Date;
use serde::Serialize;

/// How a paper appears in a day's list, as arXiv's feeds say (`arxiv:announce_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AnnounceKind {
    /// First announced, in its primary category.
    New,
    /// First announced, cross-listed from another category.
    Cross,
    /// A new version of an earlier paper.
    Replace,
    /// A new version of a paper cross-listed here.
    ReplaceCross,
}

impl AnnounceKind {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "new" => Some(AnnounceKind::New),
            "cross" => Some(AnnounceKind::Cross),
            "replace" => Some(AnnounceKind::Replace),
            "replace-cross" => Some(AnnounceKind::ReplaceCross),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AnnounceKind::New => "new",
            AnnounceKind::Cross => "cross",
            AnnounceKind::Replace => "replace",
            AnnounceKind::ReplaceCross => "replace-cross",
        }
    }
}

/// One line of a category's daily list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    pub paper_id: String,
    pub category: String,
    pub day: Date,
    pub kind: AnnounceKind,
}
