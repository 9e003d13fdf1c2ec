//! The paper record shared by every source, store and index, with its text normalisation.

mod announcement;
mod arxiv_id;
mod date;
pub mod editions;
mod random;
pub mod taxonomy;
mod title;

pub use announcement::{AnnounceKind, Announcement};
pub use arxiv_id::{ArxivId, IdError};
pub use date::{Date, DateError, now_millis, utc_timestamp, utc_timestamp_at};
pub use random::random_hex;
pub use title::{title_hash, title_key};

use serde::{Deserialize, Serialize};

/// One work as the service stores it: the common shape every source is parsed into.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Paper {
    /// Stable id: `2402.12354` or `hep-th/9901001` for arXiv papers (no version suffix).
    pub id: String,
    pub title: String,
    #[serde(rename = "abstract")]
    pub abstract_text: String,
    /// Display names in the order the paper lists them.
    pub authors: Vec<String>,
    /// Primary category first.
    pub categories: Vec<String>,
    /// First submitted.
    pub published: Option<Date>,
    /// Last updated.
    pub updated: Option<Date>,
    pub comments: Option<String>,
    pub journal_ref: Option<String>,
    pub doi: Option<String>,
    pub license: Option<String>,
    /// Where the paper was published, for venue papers (ICLR 2024, Oral).
    pub venue: Option<Venue>,
}

/// A venue edition and the track a paper appeared in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Venue {
    /// Short name as the community writes it: `ICLR`, `ICML`.
    pub name: String,
    pub year: u16,
    /// `Oral`, `Spotlight`, `Poster`…, when the source says.
    pub track: Option<String>,
}

impl std::fmt::Display for Venue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.name, self.year)?;
        match &self.track {
            Some(track) => write!(f, " {track}"),
            None => Ok(()),
        }
    }
}

impl Paper {
    /// Normalises every text field in place: whitespace runs become one space, control
    /// characters go, and empty optional fields become `None`. LaTeX is kept as written.
    pub fn normalise(&mut self) {
        self.id = clean_text(&self.id);
        self.title = clean_text(&self.title);
        self.abstract_text = clean_text(&self.abstract_text);
        clean_list(&mut self.authors);
        clean_list(&mut self.categories);
        for field in [
            &mut self.comments,
            &mut self.journal_ref,
            &mut self.doi,
            &mut self.license,
        ] {
            *field = field.as_deref().map(clean_text).filter(|s| !s.is_empty());
        }
        if let Some(v) = &mut self.venue {
            v.name = clean_text(&v.name);
            v.track = v.track.as_deref().map(clean_text).filter(|s| !s.is_empty());
        }
        self.venue = self.venue.take().filter(|v| !v.name.is_empty());
    }

    /// The arXiv id when this paper came from arXiv.
    pub fn arxiv_id(&self) -> Option<ArxivId> {
        ArxivId::parse(&self.id).ok()
    }
}

fn clean_list(items: &mut Vec<String>) {
    for item in items.iter_mut() {
        *item = clean_text(item);
    }
    items.retain(|s| !s.is_empty());
}

/// Collapses whitespace (arXiv hard-wraps abstracts), drops control characters and trims.
pub fn clean_text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut pending_space = false;
    for c in raw.chars() {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
        } else if !c.is_control() {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_text_collapses_wrapping_and_drops_controls() {
        assert_eq!(
            clean_text("  Sensor simulation is\n  pivotal\u{0} for $\\alpha$\t "),
            "Sensor simulation is pivotal for $\\alpha$"
        );
        assert_eq!(clean_text("\u{7}\u{1b}"), "");
    }

    #[test]
    fn normalise_empties_blank_optionals_and_lists() {
        let mut p = Paper {
            id: " 2402.12354 ".into(),
            title: "A\n title".into(),
            authors: vec![" Ada  Lovelace".into(), "  ".into()],
            comments: Some("  ".into()),
            doi: Some("10.1/x ".into()),
            ..Paper::default()
        };
        p.normalise();
        assert_eq!(p.id, "2402.12354");
        assert_eq!(p.title, "A title");
        assert_eq!(p.authors, vec!["Ada Lovelace"]);
        assert_eq!(p.comments, None);
        assert_eq!(p.doi.as_deref(), Some("10.1/x"));
    }
}
