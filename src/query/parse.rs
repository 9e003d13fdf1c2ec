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
    let tokens = lex(trimmed, &mut query.notes);
    let mut parser = Parser {
        tokens,
        pos: 0,
        leaves: 0,
        query: &mut query,
    };
    let clauses = parser.sequence(0);
    query.clauses = clauses;
    if query.clauses.iter().all(|c| c.excluded) && !query.clauses.is_empty() {
        query
            .notes
            .push("only exclusions: matching every other paper".into());
    }
    query
}

/// A lexical unit of the query.
#[derive(Debug)]
enum Token {
    /// `(`, or `-(` when excluded.
    Open {
        excluded: bool,
    },
    Close,
    And,
    Or,
    /// `NOT` or `ANDNOT`: excludes what follows.
    Not,
    Item(Clause),
}

/// Splits the query into words, phrases, fields, operators and parentheses.
fn lex(mut rest: &str, notes: &mut Vec<String>) -> Vec<Token> {
    let mut tokens = Vec::new();
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            return tokens;
        }
        if let Some(after) = rest.strip_prefix('(') {
            tokens.push(Token::Open { excluded: false });
            rest = after;
            continue;
        }
        if let Some(after) = rest.strip_prefix(')') {
            tokens.push(Token::Close);
            rest = after;
            continue;
        }
        let (word, after) = next_word(rest);
        let operator = match word {
            "AND" => Some(Token::And),
            "OR" => Some(Token::Or),
            "NOT" | "ANDNOT" => Some(Token::Not),
            _ => None,
        };
        if let Some(op) = operator {
            tokens.push(op);
            rest = after;
            continue;
        }
        let (excluded, body) = match rest.strip_prefix('-') {
            Some(after) if !after.is_empty() && !after.starts_with(char::is_whitespace) => {
                (true, after)
            }
            _ => (false, rest),
        };
        if let Some(after) = body.strip_prefix('(') {
            tokens.push(Token::Open { excluded });
            rest = after;
            continue;
        }
        let (field, body) = split_field(body, notes);
        let (term, after) = if let Some(inner) = body.strip_prefix('"') {
            match inner.find('"') {
                Some(end) => (
                    Some(Term::Phrase(inner[..end].trim().to_string())),
                    &inner[end + 1..],
                ),
                None => {
                    notes.push("unbalanced quote ignored".into());
                    let (word, after) = next_word(inner);
                    (Some(Term::Word(word.to_string())), after)
                }
            }
        } else {
            let (word, after) = next_word(body);
            (word_term(field, word, notes), after)
        };
        rest = after;
        let Some(term) =
            term.filter(|t| !matches!(t, Term::Word(w) | Term::Phrase(w) if w.is_empty()))
        else {
            continue;
        };
        tokens.push(Token::Item(Clause {
            field: field.unwrap_or(Field::Any),
            term,
            excluded,
        }));
    }
}

/// Recursive descent over the tokens: a sequence is clauses all wanted, a clause may be a
/// chain of `OR`ed units, a unit is a word, a phrase or a parenthesised sequence.
struct Parser<'q> {
    tokens: Vec<Token>,
    pos: usize,
    /// Words and phrases taken so far (at most `MAX_CLAUSES`).
    leaves: usize,
    query: &'q mut Query,
}

impl Parser<'_> {
    fn note(&mut self, note: &str) {
        if !self.query.notes.iter().any(|n| n == note) {
            self.query.notes.push(note.to_string());
        }
    }

    /// Clauses up to the end (depth 0) or the `)` closing this depth.
    fn sequence(&mut self, depth: usize) -> Vec<Clause> {
        let mut clauses = Vec::new();
        let mut negate = false;
        while let Some(token) = self.tokens.get(self.pos) {
            match token {
                Token::Close if depth > 0 => {
                    self.pos += 1;
                    return clauses;
                }
                Token::Close => {
                    self.pos += 1;
                    self.note("unbalanced ) ignored");
                }
                Token::And => {
                    self.pos += 1;
                    self.query.operators = true;
                }
                Token::Not => {
                    self.pos += 1;
                    self.query.operators = true;
                    negate = true;
                }
                Token::Or => {
                    self.pos += 1;
                    self.note("OR needs words on both sides: ignored");
                }
                Token::Open { .. } | Token::Item(_) => {
                    let Some(mut clause) = self.alternatives() else {
                        continue;
                    };
                    if std::mem::take(&mut negate) {
                        clause.excluded = true;
                    }
                    match clause.term {
                        // `(a b)` wanted is just `a b`.
                        Term::AllOf(inner) if !clause.excluded => clauses.extend(inner),
                        _ => clauses.push(clause),
                    }
                }
            }
        }
        if depth > 0 {
            self.note("unbalanced ( closed at the end");
        }
        if negate {
            self.note("NOT with nothing after it ignored");
        }
        clauses
    }

    /// A unit, or several joined by `OR`.
    fn alternatives(&mut self) -> Option<Clause> {
        let first = self.unit();
        let mut any: Vec<Clause> = first.into_iter().collect();
        while matches!(self.tokens.get(self.pos), Some(Token::Or)) {
            self.pos += 1;
            self.query.operators = true;
            match self.unit() {
                Some(next) => any.push(next),
                None => self.note("OR needs words on both sides: ignored"),
            }
        }
        if any.iter().any(|c| c.excluded) && any.len() > 1 {
            self.note("an exclusion inside OR is ignored");
            any.retain(|c| !c.excluded);
        }
        match any.len() {
            0 => None,
            1 => any.pop(),
            _ => Some(Clause {
                field: Field::Any,
                term: Term::AnyOf(any),
                excluded: false,
            }),
        }
    }

    /// A word, a phrase or a parenthesised sequence; `None` when there is none here.
    fn unit(&mut self) -> Option<Clause> {
        match self.tokens.get_mut(self.pos)? {
            Token::Item(clause) => {
                let clause = clause.clone();
                self.pos += 1;
                if self.leaves == MAX_CLAUSES {
                    self.note(&format!("only the first {MAX_CLAUSES} terms are used"));
                    return None;
                }
                self.leaves += 1;
                Some(clause)
            }
            &mut Token::Open { excluded } => {
                self.pos += 1;
                let mut inner = self.sequence(1);
                match inner.len() {
                    0 => {
                        self.note("empty parentheses ignored");
                        None
                    }
                    1 if !excluded => inner.pop(),
                    _ => Some(Clause {
                        field: Field::Any,
                        term: Term::AllOf(inner),
                        excluded,
                    }),
                }
            }
            _ => None,
        }
    }
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

/// The next whitespace-delimited word (up to a quote, which starts the next term, or a
/// parenthesis).
fn next_word(s: &str) -> (&str, &str) {
    let end = s
        .char_indices()
        .skip(1)
        .find(|&(_, c)| c.is_whitespace() || matches!(c, '"' | '(' | ')'))
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

    #[test]
    fn operators_group_and_bind_as_documented() {
        let q = parse("diffusion AND flow");
        assert!(q.operators);
        assert_eq!(q.read_as(), "diffusion flow");
        assert_eq!(read("diffusion OR flow"), "diffusion OR flow");
        assert_eq!(
            read("lora OR qlora finetuning"),
            "(lora OR qlora) finetuning",
            "OR binds tighter than the implicit AND"
        );
        assert_eq!(
            read("transformer (vision OR image) -survey"),
            "transformer (vision OR image) -survey"
        );
        assert_eq!(read("(graph neural) networks"), "graph neural networks");
        assert_eq!(
            read("bandits NOT (linear OR contextual)"),
            "bandits -(linear OR contextual)"
        );
        assert_eq!(read("bandits ANDNOT linear"), "bandits -linear");
        assert_eq!(read("-(a b) c"), "-(a b) c");
        assert_eq!(
            read("ti:attention OR au:vaswani"),
            "ti:attention OR au:vaswani"
        );
        assert!(
            !parse("graph and or networks").operators,
            "lower case is words"
        );
        assert!(
            !parse("(graph) networks").operators,
            "parentheses alone are no operator"
        );
    }

    #[test]
    fn stray_operators_and_parentheses_are_noted() {
        let q = parse("OR graph");
        assert_eq!(q.read_as(), "graph");
        assert!(q.notes[0].contains("OR needs words"));
        let q = parse("graph OR");
        assert_eq!(q.read_as(), "graph");
        assert!(q.notes[0].contains("OR needs words"));
        let q = parse("(graph OR tree");
        assert_eq!(q.read_as(), "graph OR tree");
        assert!(q.notes.iter().any(|n| n.contains("unbalanced (")));
        let q = parse("graph) tree");
        assert_eq!(q.read_as(), "graph tree");
        assert!(q.notes.iter().any(|n| n.contains("unbalanced )")));
        let q = parse("a OR -b");
        assert_eq!(q.read_as(), "a");
        assert!(q.notes.iter().any(|n| n.contains("exclusion inside OR")));
        let q = parse("() x NOT");
        assert_eq!(q.read_as(), "x");
        assert_eq!(q.notes.len(), 2, "{:?}", q.notes);
    }
}
