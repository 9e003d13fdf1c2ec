//! Venue imports: ICLR and ICML editions from OpenReview (API v2 and v1) and PMLR, live or
//! from saved files, each paper stored with its venue, year and track and linked to its
//! arXiv version.

mod html;
mod link;
pub mod lists;
pub mod openreview;
pub mod pmlr;
mod run;
pub mod worker;

pub use run::{Outcome, run};

use crate::domain::{ArxivId, Paper};
use crate::fetch::FetchConfig;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// Where a venue edition is read from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum, utoipa::ToSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// OpenReview API v2 (`PAPERS_OPENREVIEW_URL`): ICLR 2024 on, ICML 2023 on.
    Openreview,
    /// OpenReview API v1 (`PAPERS_OPENREVIEW_V1_URL`): ICLR before 2024, decisions as replies.
    OpenreviewV1,
    /// PMLR proceedings (`PAPERS_PMLR_URL`): ICML, one volume per year.
    Pmlr,
}

impl Source {
    /// The name the API, the CLI and the admin form use: `openreview`, `openreview-v1`, `pmlr`.
    pub fn name(self) -> &'static str {
        match self {
            Source::Openreview => "openreview",
            Source::OpenreviewV1 => "openreview-v1",
            Source::Pmlr => "pmlr",
        }
    }

    /// The source used when none is named: PMLR for ICML, OpenReview v2 or v1 for ICLR.
    pub fn default_for(venue: &str, year: u16) -> Self {
        match (venue, year) {
            ("ICML", _) => Source::Pmlr,
            (_, y) if y < 2024 => Source::OpenreviewV1,
            _ => Source::Openreview,
        }
    }
}

/// One import of a venue edition: the job's parameters and the CLI's arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRequest {
    /// `ICLR` or `ICML` (any case on input).
    pub venue: String,
    pub year: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// A saved OpenReview JSON dump, a paper list or a PMLR volume folder instead of the
    /// network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_file: Option<PathBuf>,
    /// The shape of `from_file` (default: an OpenReview dump).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<lists::FileFormat>,
    /// Also store rejected, withdrawn and workshop papers.
    #[serde(default)]
    pub include_rejected: bool,
}

/// Venues this service knows how to import.
pub const VENUES: [&str; 2] = ["ICLR", "ICML"];

/// Why an import request was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RequestError {
    #[error("unknown venue {0:?}: use one of {venues}", venues = VENUES.join(", "))]
    UnknownVenue(String),
    #[error("year {0} is out of range")]
    YearOutOfRange(u16),
    #[error("PMLR holds ICML proceedings only")]
    PmlrNotIcml,
    #[error("no PMLR volume is known for ICML {0}")]
    NoPmlrVolume(u16),
}

impl ImportRequest {
    /// Checks the venue and year, and fills in the default source.
    pub fn validated(mut self) -> Result<Self, RequestError> {
        self.venue = self.venue.trim().to_ascii_uppercase();
        if !VENUES.contains(&self.venue.as_str()) {
            return Err(RequestError::UnknownVenue(self.venue));
        }
        if !(2013..=2100).contains(&self.year) {
            return Err(RequestError::YearOutOfRange(self.year));
        }
        let source = self
            .source
            .unwrap_or_else(|| Source::default_for(&self.venue, self.year));
        if source == Source::Pmlr && self.venue != "ICML" {
            return Err(RequestError::PmlrNotIcml);
        }
        if source == Source::Pmlr && self.from_file.is_none() && pmlr::volume(self.year).is_none() {
            return Err(RequestError::NoPmlrVolume(self.year));
        }
        self.source = Some(source);
        Ok(self)
    }

    pub fn source(&self) -> Source {
        self.source
            .unwrap_or_else(|| Source::default_for(&self.venue, self.year))
    }
}

/// Where the sources are and how politely to fetch from them.
#[derive(Debug, Clone)]
pub struct VenueConfig {
    pub openreview_url: String,
    pub openreview_v1_url: String,
    pub pmlr_url: String,
    /// Pause between two requests to one source.
    pub interval: Duration,
    pub fetch: FetchConfig,
    /// A running job whose heartbeat is older than this lost its process (a replica killed,
    /// say): it is queued again and resumes from its checkpoint. A page takes far less.
    pub stale: Duration,
}

impl Default for VenueConfig {
    fn default() -> Self {
        VenueConfig {
            openreview_url: "https://api2.openreview.net".into(),
            openreview_v1_url: "https://api.openreview.net".into(),
            pmlr_url: "https://proceedings.mlr.press".into(),
            interval: Duration::from_secs(1),
            fetch: FetchConfig::default(),
            stale: Duration::from_secs(120),
        }
    }
}

/// Why an entry of a venue source (an OpenReview note, a PMLR file or page) could not be
/// read.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("no front matter (the file does not start with ---)")]
    NoFrontMatter,
    #[error("front matter not closed by ---")]
    UnclosedFrontMatter,
    #[error("front matter: {0}")]
    FrontMatter(#[from] serde_norway::Error),
    /// A saved file that could not be read.
    #[error(transparent)]
    Unreadable(#[from] std::io::Error),
    #[error("{id}: the page has no citation_title")]
    NoCitationTitle { id: String },
    /// A note without this field (`content`, `id`).
    #[error("note without {0}")]
    NoteWithout(&'static str),
    #[error("note {forum} has no title")]
    UntitledNote { forum: String },
}

/// A paper as a venue source gives it, with the arXiv id the source names, if any.
#[derive(Debug, Clone)]
pub struct Record {
    pub paper: Paper,
    pub arxiv: Option<ArxivId>,
    /// Accepted at the main conference: by its track, or by where the source lists it.
    pub accepted: bool,
}

/// One page of a source: its records (accepted or not), and where the next page starts.
#[derive(Debug)]
pub struct Page {
    pub records: Vec<Record>,
    /// Entries of the page that could not be read (logged, counted as skipped).
    pub unreadable: u64,
    /// `None` after the last page.
    pub next: Option<String>,
    /// Entries the whole import will read, when the source says.
    pub total: Option<u64>,
}

/// Tracks that count as accepted at the main conference.
pub const ACCEPTED: [&str; 3] = ["Oral", "Spotlight", "Poster"];

/// A decision or venue string as a track: `ICLR 2024 oral`, `Accept (Oral)` and
/// `Accept (Talk)` are `Oral`, `Accept: notable-top-25%` is `Spotlight`, `Invite to Workshop
/// Track` is `Workshop`.
pub fn track_from(decision: &str) -> Option<String> {
    let d = decision.to_lowercase().replace('-', " ");
    let track = if d.contains("withdraw") {
        "Withdrawn"
    } else if d.contains("reject") || d.starts_with("submitted to") {
        "Rejected"
    } else if d.contains("oral") || d.contains("talk") || d.contains("top 5%") {
        "Oral"
    } else if d.contains("spotlight") || d.contains("top 25%") {
        "Spotlight"
    } else if d.contains("workshop") {
        "Workshop"
    } else if d.contains("poster") || d.contains("accept") || d.contains("notable") {
        "Poster"
    } else {
        return None;
    };
    Some(track.to_string())
}

/// Whether a paper of this track is accepted at the main conference.
pub fn is_accepted(track: Option<&str>) -> bool {
    track.is_some_and(|t| ACCEPTED.contains(&t))
}

/// An arXiv id in a link such as `https://arxiv.org/abs/2402.12354v2`.
pub fn arxiv_in_url(url: &str) -> Option<ArxivId> {
    let (_, rest) = url.split_once("arxiv.org/")?;
    let rest = rest
        .strip_prefix("abs/")
        .or_else(|| rest.strip_prefix("pdf/"))?;
    ArxivId::parse(rest.trim_end_matches(".pdf")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_become_tracks() {
        for (raw, track) in [
            ("ICLR 2024 oral", Some("Oral")),
            ("ICLR 2024 spotlight", Some("Spotlight")),
            ("ICLR 2024 poster", Some("Poster")),
            ("ICLR 2023 notable top 5%", Some("Oral")),
            ("Accept: notable-top-25%", Some("Spotlight")),
            ("Accept: poster", Some("Poster")),
            ("Accept (Talk)", Some("Oral")),
            ("Accept (Oral)", Some("Oral")),
            ("Accept (Poster)", Some("Poster")),
            ("ICLR 2017 Poster", Some("Poster")),
            ("Invite to Workshop Track", Some("Workshop")),
            ("Reject", Some("Rejected")),
            ("Submitted to ICLR 2024", Some("Rejected")),
            (
                "ICLR 2024 Conference Withdrawn Submission",
                Some("Withdrawn"),
            ),
            ("", None),
        ] {
            assert_eq!(track_from(raw).as_deref(), track, "{raw}");
        }
        assert!(is_accepted(Some("Spotlight")));
        assert!(!is_accepted(Some("Workshop")));
        assert!(!is_accepted(None));
    }

    #[test]
    fn source_names_match_their_serialised_form() {
        for s in [Source::Openreview, Source::OpenreviewV1, Source::Pmlr] {
            assert_eq!(serde_json::to_value(s).unwrap(), s.name());
        }
    }

    #[test]
    fn requests_are_checked_and_get_a_source() {
        let req = |venue: &str, year| ImportRequest {
            venue: venue.into(),
            year,
            source: None,
            from_file: None,
            format: None,
            include_rejected: false,
        };
        assert_eq!(
            req("iclr", 2024).validated().unwrap().source,
            Some(Source::Openreview)
        );
        assert_eq!(
            req("ICLR", 2018).validated().unwrap().source,
            Some(Source::OpenreviewV1)
        );
        assert_eq!(
            req("ICML", 2016).validated().unwrap().source,
            Some(Source::Pmlr)
        );
        let unknown = req("NeurIPS", 2024).validated().unwrap_err();
        assert_eq!(unknown, RequestError::UnknownVenue("NEURIPS".into()));
        assert_eq!(
            unknown.to_string(),
            "unknown venue \"NEURIPS\": use one of ICLR, ICML"
        );
        assert_eq!(
            req("ICML", 2015).validated(),
            Err(RequestError::NoPmlrVolume(2015)),
            "no volume known"
        );
        assert_eq!(
            arxiv_in_url("https://arxiv.org/pdf/1703.05175v2.pdf").map(|a| a.to_string()),
            Some("1703.05175".to_string())
        );
    }
}
