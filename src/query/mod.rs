//! The query language, shared by the HTML pages, the API and the command line.
//!
//! Plain words are OR-ed and ranked; `"exact phrase"` must match as written; `-word` and
//! `-"phrase"` exclude; `ti:` `au:` `abs:` `cat:` `venue:` `year:` restrict to a field
//! (`year:2020..2024` is a range); a lone arXiv id or URL names one paper. Nothing here
//! fails: malformed syntax degrades to plain words and a note says how it was read.

mod parse;

pub use parse::parse;

use crate::domain::ArxivId;

/// Clauses beyond this many are dropped (with a note).
pub const MAX_CLAUSES: usize = 64;

/// Which part of a paper a clause looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Title, abstract and authors, ranked.
    Any,
    Title,
    Author,
    Abstract,
    Category,
    Venue,
}

impl Field {
    fn from_prefix(prefix: &str) -> Option<Field> {
        Some(match prefix.to_ascii_lowercase().as_str() {
            "ti" | "title" => Field::Title,
            "au" | "author" => Field::Author,
            "abs" | "abstract" => Field::Abstract,
            "cat" | "category" => Field::Category,
            "venue" => Field::Venue,
            _ => return None,
        })
    }

    fn prefix(self) -> &'static str {
        match self {
            Field::Any => "",
            Field::Title => "ti:",
            Field::Author => "au:",
            Field::Abstract => "abs:",
            Field::Category => "cat:",
            Field::Venue => "venue:",
        }
    }
}

/// What a clause matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    Word(String),
    Phrase(String),
    /// Publication years, both ends included.
    Years(u16, u16),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    pub field: Field,
    pub term: Term,
    /// `-word`: papers matching it are left out.
    pub excluded: bool,
}

/// A parsed query: its clauses, or the one paper it names, and how it was read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pub clauses: Vec<Clause>,
    /// Set when the whole query is an arXiv id or arXiv URL.
    pub arxiv_id: Option<ArxivId>,
    /// What was not taken literally (unbalanced quotes, unknown fields, bad years).
    pub notes: Vec<String>,
}

impl Query {
    /// The query as it was understood, in the query language itself.
    pub fn read_as(&self) -> String {
        let mut parts = Vec::with_capacity(self.clauses.len());
        for c in &self.clauses {
            let term = match &c.term {
                Term::Word(w) => w.clone(),
                Term::Phrase(p) => format!("\"{p}\""),
                Term::Years(a, b) if a == b => format!("year:{a}"),
                Term::Years(a, b) => format!("year:{a}..{b}"),
            };
            let field = if matches!(c.term, Term::Years(..)) {
                ""
            } else {
                c.field.prefix()
            };
            let minus = if c.excluded { "-" } else { "" };
            parts.push(format!("{minus}{field}{term}"));
        }
        parts.join(" ")
    }

    pub fn is_empty(&self) -> bool {
        self.clauses.is_empty()
    }
}
