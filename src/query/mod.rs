//! The query language, shared by the HTML pages, the API and the command line.
//!
//! Plain words are all wanted (the index may relax that when too few papers have them all);
//! `"exact phrase"` must match as written; `-word` and `-"phrase"` exclude; `ti:` `au:`
//! `abs:` `cat:` `venue:` `year:` restrict to a field (`year:2020..2024` is a range);
//! `OR` (upper case) joins alternatives and binds tighter than the implicit `AND`, so
//! `lora OR qlora finetuning` is `(lora OR qlora) finetuning`; parentheses group; `AND` may
//! be written out; `NOT` and `ANDNOT` exclude what follows. A lone arXiv id or URL names one
//! paper. Nothing here fails: malformed syntax degrades to plain words and a note says how it
//! was read.

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
    /// `a OR b OR (c d)`: any one of these clauses.
    AnyOf(Vec<Clause>),
    /// `-(a b)`: all of these clauses (only ever excluded: a wanted group is flattened).
    AllOf(Vec<Clause>),
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
    /// Whether `AND`, `OR` or `NOT` were written: such a query is matched as written, never
    /// relaxed.
    pub operators: bool,
}

impl Query {
    /// The query as it was understood, in the query language itself.
    pub fn read_as(&self) -> String {
        match &self.clauses[..] {
            [only] if !only.excluded => match &only.term {
                Term::AnyOf(alternatives) => join(alternatives, " OR "),
                _ => only.read_as(),
            },
            clauses => join(clauses, " "),
        }
    }

    /// The wanted words and phrases (not exclusions), with their fields, at any depth.
    pub fn wanted(&self) -> Vec<&Clause> {
        fn walk<'a>(clauses: &'a [Clause], out: &mut Vec<&'a Clause>) {
            for c in clauses.iter().filter(|c| !c.excluded) {
                match &c.term {
                    Term::AnyOf(inner) | Term::AllOf(inner) => walk(inner, out),
                    Term::Word(_) | Term::Phrase(_) => out.push(c),
                    Term::Years(..) => {}
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.clauses, &mut out);
        out
    }

    /// How many words the wanted words and phrases hold.
    pub fn words(&self) -> usize {
        self.wanted()
            .iter()
            .map(|c| match &c.term {
                Term::Phrase(p) => p.split_whitespace().count(),
                _ => 1,
            })
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.clauses.is_empty()
    }
}

impl Clause {
    /// This clause in the query language.
    fn read_as(&self) -> String {
        let minus = if self.excluded { "-" } else { "" };
        let body = match &self.term {
            Term::Word(w) => format!("{}{w}", self.field.prefix()),
            Term::Phrase(p) => format!("{}\"{p}\"", self.field.prefix()),
            Term::Years(a, b) if a == b => format!("year:{a}"),
            Term::Years(a, b) => format!("year:{a}..{b}"),
            Term::AnyOf(alternatives) => format!("({})", join(alternatives, " OR ")),
            Term::AllOf(clauses) => format!("({})", join(clauses, " ")),
        };
        format!("{minus}{body}")
    }
}

fn join(clauses: &[Clause], separator: &str) -> String {
    clauses
        .iter()
        .map(Clause::read_as)
        .collect::<Vec<_>>()
        .join(separator)
}
