//! Spelling: the index's own words near a typed one, for "did you mean" and the fuzzy fallback.

use super::IndexResult;
use std::collections::HashMap;
use tantivy::query::FuzzyTermQuery;
use tantivy::schema::Field;
use tantivy::{Searcher, Term};

/// Tokens shorter than this are neither corrected nor given near spellings (too many short
/// words are one edit apart).
const MIN_LEN: usize = 4;
/// Words in fewer papers than this (title or abstract), or than one in `RARE_SHARE`, are
/// looked at for typos.
const RARE: u64 = 5;
const RARE_SHARE: u64 = 20_000;

/// The index's spelling as one search sees it: each rare token's papers and near words,
/// looked up once.
pub struct Speller<'a> {
    searcher: &'a Searcher,
    /// Where words are looked for: the unstemmed title and abstract.
    fields: [Field; 2],
    seen: HashMap<String, Option<(u64, Vec<Near>)>>,
}

impl<'a> Speller<'a> {
    pub fn new(searcher: &'a Searcher, fields: [Field; 2]) -> Self {
        Speller {
            searcher,
            fields,
            seen: HashMap::new(),
        }
    }

    /// For a rare token: the papers having it and the words within one edit, or two when
    /// one gives no correction (most papers first); `None` for a short or common one, taken
    /// as typed.
    pub fn rare(&mut self, token: &str) -> IndexResult<Option<&(u64, Vec<Near>)>> {
        if !self.seen.contains_key(token) {
            let found = self.look_up(token)?;
            self.seen.insert(token.to_string(), found);
        }
        Ok(self.seen[token].as_ref())
    }

    fn look_up(&self, token: &str) -> IndexResult<Option<(u64, Vec<Near>)>> {
        if token.chars().count() < MIN_LEN {
            return Ok(None);
        }
        let docs = doc_freq(self.searcher, &self.fields, token)?;
        if docs >= RARE.max(self.searcher.num_docs() / RARE_SHARE) {
            return Ok(None);
        }
        // Two edits cost several times one: looked for only when one edit finds no fix.
        let one = near(self.searcher, &self.fields, token, 1)?;
        if correction(docs, &one).is_some() {
            return Ok(Some((docs, one)));
        }
        Ok(Some((docs, near(self.searcher, &self.fields, token, 2)?)))
    }
}

/// A word of the index near a typed one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Near {
    pub word: String,
    /// Edits from the typed word (a swap of two neighbouring letters is one).
    pub distance: u8,
    /// Papers that have the word (summed over the fields looked in).
    pub docs: u64,
}

/// Papers having `word` in any of `fields` (summed: a paper may count once per field).
fn doc_freq(searcher: &Searcher, fields: &[Field], word: &str) -> IndexResult<u64> {
    let mut docs = 0;
    for &field in fields {
        docs += searcher.doc_freq(&Term::from_field_text(field, word))?;
    }
    Ok(docs)
}

/// The words of `fields` within `max_distance` edits of `word` (itself excluded), most
/// papers first.
fn near(
    searcher: &Searcher,
    fields: &[Field],
    word: &str,
    max_distance: u8,
) -> IndexResult<Vec<Near>> {
    let mut docs: HashMap<String, u64> = HashMap::new();
    for &field in fields {
        let fuzzy = FuzzyTermQuery::new(Term::from_field_text(field, word), max_distance, true);
        let automaton = fuzzy.automaton()?;
        for segment in searcher.segment_readers() {
            let inverted = segment.inverted_index(field)?;
            let mut stream = inverted
                .terms()
                .search(&automaton)
                .into_stream()
                .map_err(tantivy::TantivyError::from)?;
            while stream.advance() {
                let Ok(text) = std::str::from_utf8(stream.key()) else {
                    continue;
                };
                if text != word {
                    *docs.entry(text.to_string()).or_default() +=
                        u64::from(stream.value().doc_freq);
                }
            }
        }
    }
    let mut near: Vec<Near> = docs
        .into_iter()
        .map(|(w, docs)| Near {
            distance: distance(word, &w),
            word: w,
            docs,
        })
        .collect();
    near.sort_by(|a, b| b.docs.cmp(&a.docs).then_with(|| a.word.cmp(&b.word)));
    Ok(near)
}

/// The correction for a typed word seen in `docs` papers: the nearest word by edits, among
/// those at that distance the one in most papers, and only when it is far more common than
/// the word as typed. `None` keeps the word.
pub fn correction(typed_docs: u64, near: &[Near]) -> Option<&Near> {
    let common = |n: &&Near| n.docs >= 2 && n.docs > 10 * typed_docs;
    let best_at = |d: u8| near.iter().filter(|n| n.distance == d).find(common);
    best_at(1).or_else(|| best_at(2))
}

/// `word` (lower case) in the case `typed` was written in: all capitals, a capital first
/// letter, or as it is.
pub fn cased_as(typed: &str, word: &str) -> String {
    let letters = || typed.chars().filter(|c| c.is_alphabetic());
    if letters().count() > 1 && letters().all(char::is_uppercase) {
        return word.to_uppercase();
    }
    let mut chars = word.chars();
    match (typed.chars().next(), chars.next()) {
        (Some(t), Some(first)) if t.is_uppercase() => first.to_uppercase().chain(chars).collect(),
        _ => word.to_string(),
    }
}

/// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
/// neighbouring characters each cost one.
pub fn distance(a: &str, b: &str) -> u8 {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = d;
        }
    }
    u8::try_from(rows[a.len()][b.len()]).unwrap_or(u8::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_swap_costs_one() {
        assert_eq!(distance("retreival", "retrieval"), 1);
        assert_eq!(distance("generaton", "generation"), 1);
        assert_eq!(distance("bandit", "bandit"), 0);
        assert_eq!(distance("abc", "cab"), 2);
        assert_eq!(distance("", "ab"), 2);
    }

    #[test]
    fn corrections_keep_the_typed_case() {
        assert_eq!(cased_as("Retreival", "retrieval"), "Retrieval");
        assert_eq!(cased_as("GENRATION", "generation"), "GENERATION");
        assert_eq!(cased_as("retreival", "retrieval"), "retrieval");
    }

    #[test]
    fn corrections_prefer_fewer_edits_then_more_papers() {
        let near = |word: &str, distance, docs| Near {
            word: word.into(),
            distance,
            docs,
        };
        let found = [
            near("retrieval", 1, 900),
            near("retrievals", 2, 5000),
            near("retrieved", 2, 40),
        ];
        assert_eq!(correction(0, &found).unwrap().word, "retrieval");
        assert_eq!(correction(500, &found), None, "a common word is kept");
        let far = [near("generation", 2, 80)];
        assert_eq!(correction(3, &far).unwrap().word, "generation");
        assert_eq!(correction(0, &[near("gan", 1, 1)]), None);
    }
}
