//! The lenient parser: every input yields a query, never an error.

use super::{Clause, Field, MAX_CLAUSES, Query, Term};
use crate::domain::ArxivId;

/// Earliest and latest years a `year:` clause accepts.
const YEARS: std::ops::RangeInclusive<u16> = 1900..=2200;

pub fn parse(input: &str) -> Query {
    let mut query = Query::default();
    let trimmed = input.trim();
    if let Ok(id) = ArxivId::parse(trimmed) {
        query.arxiv_id = Some(id);
        return query;
    }
    let mut rest = trimmed;
    while !rest.is_empty() {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        let (excluded, body) = match rest.strip_prefix('-') {
            Some(after) if !after.is_empty() && !after.starts_with(char::is_whitespace) => {
                (true, after)
            }
            _ => (false, rest),
        };
        let (field, body) = split_field(body, &mut query.notes);
        let (term, after) = if let Some(inner) = body.strip_prefix('"') {
            match inner.find('"') {
                Some(end) => (
                    Some(Term::Phrase(inner[..end].trim().to_string())),
                    &inner[end + 1..],
                ),
                None => {
                    query.notes.push("unbalanced quote ignored".into());
                    let (word, after) = next_word(inner);
                    (Some(Term::Word(word.to_string())), after)
                }
            }
        } else {
            let (word, after) = next_word(body);
            (word_term(field, word, &mut query.notes), after)
        };
        rest = after;
        let Some(term) =
            term.filter(|t| !matches!(t, Term::Word(w) | Term::Phrase(w) if w.is_empty()))
        else {
            continue;
        };
        if query.clauses.len() == MAX_CLAUSES {
            query
                .notes
                .push(format!("only the first {MAX_CLAUSES} terms are used"));
            break;
        }
        let field = field.unwrap_or(Field::Any);
        query.clauses.push(Clause {
            field,
            term,
            excluded,
        });
    }
    if query.clauses.iter().all(|c| c.excluded) && !query.clauses.is_empty() {
        query
            .notes
            .push("only exclusions: matching every other paper".into());
    }
    query
}

/// Splits a known `field:` prefix off; an unknown one is kept as a plain word.
fn split_field<'a>(body: &'a str, notes: &mut Vec<String>) -> (Option<Field>, &'a str) {
    let word_end = body.find(char::is_whitespace).unwrap_or(body.len());
    let Some(colon) = body[..word_end].find(':') else {
        return (Some(Field::Any), body);
    };
    let prefix = &body[..colon];
    if prefix.eq_ignore_ascii_case("year") {
        return (None, &body[colon + 1..]);
    }
    match Field::from_prefix(prefix) {
        Some(field) => (Some(field), &body[colon + 1..]),
        None => {
            if !prefix.starts_with('"') {
                notes.push(format!("unknown field {prefix:?} read as words"));
            }
            (Some(Field::Any), body)
        }
    }
}

/// The next whitespace-delimited word (up to a quote, which starts the next term).
fn next_word(s: &str) -> (&str, &str) {
    let end = s
        .char_indices()
        .skip(1)
        .find(|&(_, c)| c.is_whitespace() || c == '"')
        .map_or(s.len(), |(i, _)| i);
    (&s[..end], &s[end..])
}

/// A bare word for `field`; `None` field means `year:`.
fn word_term(field: Option<Field>, word: &str, notes: &mut Vec<String>) -> Option<Term> {
    let Some(field) = field else {
        let years = parse_years(word);
        if years.is_none() {
            notes.push(format!(
                "year:{word} is not a year or range (like 2020..2024), ignored"
            ));
        }
        return years.map(|(a, b)| Term::Years(a, b));
    };
    // A stray colon inside a plain word (`foo:bar`, `::`) separates words.
    let word = if field == Field::Any {
        word.replace(':', " ")
    } else {
        word.to_string()
    };
    Some(Term::Word(word.trim().to_string()))
}

fn parse_years(s: &str) -> Option<(u16, u16)> {
    let year = |t: &str| t.parse::<u16>().ok().filter(|y| YEARS.contains(y));
    let (from, to) = match s.split_once("..") {
        Some((a, b)) => (
            if a.is_empty() {
                Some(*YEARS.start())
            } else {
                year(a)
            },
            if b.is_empty() {
                Some(*YEARS.end())
            } else {
                year(b)
            },
        ),
        None => (year(s), year(s)),
    };
    match (from?, to?) {
        (a, b) if a <= b => Some((a, b)),
        (a, b) => Some((b, a)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(q: &str) -> String {
        parse(q).read_as()
    }

    #[test]
    fn words_phrases_fields_and_exclusions() {
        assert_eq!(read("graph  neural"), "graph neural");
        assert_eq!(read(r#""message passing" gnn"#), r#""message passing" gnn"#);
        assert_eq!(
            read(r#"ti:transformer au:"Ada Lovelace" -survey -"deep learning""#),
            r#"ti:transformer au:"Ada Lovelace" -survey -"deep learning""#
        );
        assert_eq!(
            read("cat:cs.CL venue:ICLR abs:sparse"),
            "cat:cs.CL venue:ICLR abs:sparse"
        );
        assert_eq!(read("TI:x Title:y"), "ti:x ti:y");
    }

    #[test]
    fn years_and_ranges() {
        assert_eq!(read("year:2020..2024 llm"), "year:2020..2024 llm");
        assert_eq!(read("year:2021"), "year:2021");
        assert_eq!(read("year:2024..2020"), "year:2020..2024");
        assert_eq!(read("year:2019.."), "year:2019..2200");
        let q = parse("year:soon x");
        assert_eq!(q.read_as(), "x");
        assert!(q.notes[0].contains("year:soon"));
    }

    #[test]
    fn malformed_input_degrades_to_words_with_notes() {
        let q = parse(r#"graph "neural net"#);
        assert_eq!(q.read_as(), "graph neural net");
        assert_eq!(q.notes, ["unbalanced quote ignored"]);
        let q = parse("foo:bar baz");
        assert_eq!(q.read_as(), "foo bar baz");
        assert!(q.notes[0].contains("unknown field"));
        assert_eq!(
            read(":::: - -- \"\""),
            "- --",
            "punctuation stays words; the index finds no terms in them"
        );
        let noise = "\"':;()[]{}-".repeat(200);
        let q = parse(&noise);
        assert!(q.clauses.len() <= MAX_CLAUSES);
    }

    #[test]
    fn an_arxiv_id_or_url_names_a_paper() {
        for q in [
            "2402.12354",
            " arXiv:2402.12354v2 ",
            "https://arxiv.org/abs/2402.12354",
            "hep-th/9901001",
        ] {
            assert!(parse(q).arxiv_id.is_some(), "{q}");
        }
        assert!(parse("2402.12354 transformers").arxiv_id.is_none());
    }

    #[test]
    fn exclusions_alone_are_noted() {
        let q = parse("-survey");
        assert!(q.clauses[0].excluded);
        assert!(q.notes[0].contains("only exclusions"));
    }
}
