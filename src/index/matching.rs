//! What a parsed query matches and how it scores: its plain words all wanted (fewer, or
//! near spellings, when the search relaxes), its other clauses and the filters required.

use super::at_least::AtLeast;
use super::filters::{Filters, any_keyword, published_between, term_query, term_query_lc};
use super::ranking::Ranking;
use super::schema::{EXACT, PROSE};
use super::{Fields, SearchIndex};
use crate::domain::Date;
use crate::query::{self, Clause, Field, Term as QTerm};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, Occur, PhraseQuery, Query,
};
use tantivy::{Searcher, Term};

type Clauses = Vec<(Occur, Box<dyn Query>)>;

/// Words that neither count against matching nor, alone, make a query.
const STOP_WORDS: &[&str] = &[
    "a", "about", "all", "an", "and", "any", "are", "as", "at", "be", "been", "being", "between",
    "both", "but", "by", "can", "do", "does", "each", "for", "from", "has", "have", "how", "i",
    "if", "in", "into", "is", "it", "its", "more", "most", "no", "not", "of", "on", "or", "other",
    "our", "over", "own", "same", "should", "so", "some", "such", "than", "that", "the", "their",
    "them", "then", "there", "these", "they", "this", "those", "through", "to", "too", "under",
    "up", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "why",
    "will", "with", "you", "your",
];

/// One plain word of the query: all of its tokens must occur (in the title, the abstract or
/// the authors).
#[derive(Debug, Clone)]
pub struct Word {
    /// As typed.
    pub typed: String,
    /// Stemmed tokens (the `PROSE` analyser).
    pub stems: Vec<String>,
    /// Unstemmed tokens (the `EXACT` analyser), one per stem.
    pub exact: Vec<String>,
    /// Stems of near spellings of each token with their weights, matched in its place by the
    /// fuzzy fallback.
    pub near: Vec<Vec<(String, f32)>>,
    /// Whether each token may stand in an author's name (true until the index says not).
    pub named: Vec<bool>,
}

impl Word {
    /// Each token as a word of its own (`heavy-tailed` is `heavy` and `tailed`); `typed`
    /// stays the whole word only where it has one token.
    fn tokens(self) -> Vec<Word> {
        let whole = self.stems.len() == 1;
        (0..self.stems.len())
            .map(|i| Word {
                typed: if whole {
                    self.typed.clone()
                } else {
                    String::new()
                },
                stems: vec![self.stems[i].clone()],
                exact: vec![self.exact[i].clone()],
                near: vec![Vec::new()],
                named: vec![self.named[i]],
            })
            .collect()
    }
}

/// How strictly the plain words are matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Level {
    /// Plain words a paper must have (all of them when strict).
    pub min: usize,
    /// Whether near spellings stand in for the typed words.
    pub fuzzy: bool,
}

/// The parsed query and the page's filters, compiled once and matched at any `Level`.
pub struct Plan {
    /// Plain words that count towards matching.
    pub words: Vec<Word>,
    /// Stop words among the plain words: in a sentence they add to the score; never to
    /// matching.
    stop: Vec<Word>,
    /// Every plain word's unstemmed tokens in typed order (for the title proximity bonus).
    sequence: Vec<String>,
    /// The other clauses of the query text: fields, phrases, exclusions, operators.
    text: Clauses,
    /// Categories, venues, tracks and dates, from the query text or the page's filters.
    filters: Clauses,
    /// Whether the query may be relaxed (no operators written).
    pub relaxable: bool,
    fields: Fields,
    ranking: Ranking,
}

impl Plan {
    /// `None` when the query asks for nothing (empty, or only words the index drops).
    pub fn new(
        index: &SearchIndex,
        searcher: &Searcher,
        query: &query::Query,
        filters: &Filters,
        ranking: Ranking,
    ) -> Option<Plan> {
        let f = index.fields.clone();
        let mut plan = Plan {
            words: Vec::new(),
            stop: Vec::new(),
            sequence: Vec::new(),
            text: Vec::new(),
            filters: Vec::new(),
            relaxable: !query.operators,
            fields: f.clone(),
            ranking,
        };
        let mut stop_words = Vec::new();
        for clause in &query.clauses {
            let occur = match clause.excluded {
                true => Occur::MustNot,
                false => Occur::Must,
            };
            match (&clause.term, clause.field, clause.excluded) {
                (QTerm::Word(w), Field::Any, false) => {
                    let Some(mut word) = index.word(w) else {
                        continue;
                    };
                    for (named, token) in word.named.iter_mut().zip(&word.exact) {
                        let term = Term::from_field_text(f.authors, token);
                        *named = searcher.doc_freq(&term).map_or(true, |n| n > 0);
                    }
                    plan.sequence.extend(word.exact.iter().cloned());
                    for token in word.tokens() {
                        match STOP_WORDS.contains(&token.exact[0].as_str()) {
                            true => stop_words.push(token),
                            false => plan.words.push(token),
                        }
                    }
                }
                (QTerm::Years(..), ..) | (_, Field::Category | Field::Venue, _) => {
                    if let Some(q) = index.clause(clause, ranking) {
                        plan.filters.push((occur, q));
                    }
                }
                _ => {
                    if let Some(q) = index.clause(clause, ranking) {
                        plan.text.push((occur, q));
                    }
                }
            }
        }
        // Stop words alone are the query ("to be or not to be").
        if plan.words.is_empty() && !plan.text.iter().any(|(o, _)| *o == Occur::Must) {
            plan.words = stop_words;
        } else {
            plan.stop = stop_words;
        }
        if !filters.categories.is_empty() {
            plan.filters.push((
                Occur::Must,
                any_keyword(f.categories_lc, &filters.categories),
            ));
        }
        if !filters.venues.is_empty() {
            plan.filters
                .push((Occur::Must, any_keyword(f.venue, &filters.venues)));
        }
        if !filters.tracks.is_empty() {
            plan.filters
                .push((Occur::Must, any_keyword(f.track, &filters.tracks)));
        }
        if filters.from.is_some() || filters.to.is_some() {
            plan.filters.push((
                Occur::Must,
                published_between(f.published, filters.from, filters.to),
            ));
        }
        let positive = !plan.words.is_empty()
            || plan
                .text
                .iter()
                .chain(&plan.filters)
                .any(|(o, _)| *o == Occur::Must);
        let excluded = plan
            .text
            .iter()
            .chain(&plan.filters)
            .any(|(o, _)| *o == Occur::MustNot);
        (positive || excluded).then_some(plan)
    }

    /// The strictest level: every plain word as typed.
    pub fn strict(&self) -> Level {
        Level {
            min: self.words.len(),
            fuzzy: false,
        }
    }

    /// Whether the page's filters narrow the query.
    pub fn filtered(&self) -> bool {
        !self.filters.is_empty()
    }

    /// Papers matching at `level`, with or without the filters, unscored.
    pub fn matching(&self, level: Level, with_filters: bool) -> Box<dyn Query> {
        let mut all: Clauses = Vec::new();
        if !self.words.is_empty() {
            // One word leads the walk alone; several seek each other.
            let sought = self.words.len() > 1;
            let words: Vec<Box<dyn Query>> = self
                .words
                .iter()
                .map(|w| word_query(&self.fields, self.ranking, w, level.fuzzy, sought))
                .collect();
            let min = level.min.clamp(1, words.len());
            let words: Box<dyn Query> = if min == words.len() {
                Box::new(BooleanQuery::intersection(words))
            } else if min == 1 && self.words.iter().all(|w| w.stems.len() == 1) {
                // Any word: one flat union scores the same as a union of each word's union,
                // and walks a large match set (most of the corpus, for a sentence) faster.
                let parts = self
                    .words
                    .iter()
                    .flat_map(|w| token_parts(&self.fields, self.ranking, w, 0, level.fuzzy));
                Box::new(BooleanQuery::union(parts.collect()))
            } else {
                Box::new(AtLeast::new(words, min))
            };
            all.push((Occur::Must, words));
        }
        all.extend(self.text.iter().map(|(o, q)| (*o, q.box_clone())));
        if with_filters {
            all.extend(self.filters.iter().map(|(o, q)| (*o, q.box_clone())));
        }
        if !all.iter().any(|(o, _)| *o == Occur::Must) {
            all.push((Occur::Must, Box::new(AllQuery)));
        }
        Box::new(BooleanQuery::new(all))
    }

    /// Reads `fixed` where `typed` was typed, for the title proximity bonus.
    pub fn respell(&mut self, typed: &str, fixed: &str) {
        for word in self.sequence.iter_mut().filter(|w| *w == typed) {
            *word = fixed.to_string();
        }
    }

    /// `matching` with the filters, scored: the words' BM25 and two typed words forming an
    /// author's name. The title-pair bonus and a sentence's stop words come on top of the
    /// best candidates, from `bonus`.
    pub fn scored(&self, level: Level) -> Box<dyn Query> {
        let f = &self.fields;
        let mut all: Clauses = vec![(Occur::Must, self.matching(level, true))];
        let r = self.ranking;
        if r.author_boost > 0.0 {
            let names: Vec<&str> = self
                .words
                .iter()
                .filter(|w| w.exact.len() == 1)
                .map(|w| w.exact[0].as_str())
                .collect();
            for pair in names.windows(2) {
                let phrase = PhraseQuery::new(
                    pair.iter()
                        .map(|w| Term::from_field_text(f.authors, w))
                        .collect(),
                );
                all.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(phrase), r.author_boost)),
                ));
            }
        }
        Box::new(BooleanQuery::new(all))
    }

    /// What is added to the best candidates only: the bonus that orders known items first
    /// (typed words next to each other, or one word apart, in the title: it reads positions)
    /// and a sentence's stop words (SciFact nDCG +0.001; their lists hold nearly every paper,
    /// too long to walk for every match), each part its own query. Empty when the query has
    /// neither.
    pub fn bonus(&self) -> Vec<Box<dyn Query>> {
        let (f, r) = (&self.fields, self.ranking);
        let mut any: Vec<Box<dyn Query>> = Vec::new();
        if self.words.len() >= r.sentence {
            for stem in self.stop.iter().flat_map(|w| &w.stems) {
                any.push(term_query(f.text, stem, 1.0));
                any.push(term_query(f.title, stem, r.title_boost));
            }
        }
        // A sentence is no remembered title: its pairs share one pair's bonus (whole, they
        // cost SciFact nDCG), while a shorter query's pairs each get it.
        let stop = |w: &String| STOP_WORDS.contains(&w.as_str());
        let pairs: Vec<&[String]> = self
            .sequence
            .windows(2)
            .filter(|pair| !(stop(&pair[0]) && stop(&pair[1])))
            .collect();
        let share = match self.words.len() < r.sentence {
            true => 1.0,
            false => (1.0 / pairs.len().max(1) as f32).min(1.0),
        };
        for (slop, boost) in [(0, r.title_phrase_boost), (1, r.title_near_boost)] {
            if boost <= 0.0 {
                continue;
            }
            for pair in &pairs {
                let mut phrase = PhraseQuery::new(
                    pair.iter()
                        .map(|w| Term::from_field_text(f.title_exact, w))
                        .collect(),
                );
                phrase.set_slop(slop);
                any.push(Box::new(BoostQuery::new(Box::new(phrase), boost * share)));
            }
        }
        // The whole query in the title, as typed (or with one word between): what tells a
        // remembered title from others sharing most of its pairs.
        let whole = self.sequence.len() >= 3 && self.words.len() < r.sentence;
        for (slop, boost) in [(0, r.title_whole_boost), (1, r.title_whole_near_boost)] {
            if !whole || boost <= 0.0 {
                continue;
            }
            let mut phrase = PhraseQuery::new(
                self.sequence
                    .iter()
                    .map(|w| Term::from_field_text(f.title_exact, w))
                    .collect(),
            );
            phrase.set_slop(slop);
            any.push(Box::new(BoostQuery::new(Box::new(phrase), boost)));
        }
        any
    }
}

/// One plain word: each of its tokens in the title and abstract (scored, the title weighted)
/// or in the authors (matching, never scoring: a stray first name must not outrank an
/// acronym; whole names score through `Plan::scored`). `fuzzy` lets near spellings stand in;
/// `sought`: other words lead the walk (see `token_query`).
fn word_query(f: &Fields, r: Ranking, word: &Word, fuzzy: bool, sought: bool) -> Box<dyn Query> {
    let tokens: Vec<Box<dyn Query>> = (0..word.stems.len())
        .map(|i| token_query(f, r, word, i, fuzzy, sought || word.stems.len() > 1))
        .collect();
    match tokens.len() {
        1 => tokens.into_iter().next().expect("one token"),
        _ => Box::new(BooleanQuery::intersection(tokens)),
    }
}

/// Token `i` of `word`: its stem (and near spellings when `fuzzy`) in the title + abstract,
/// each scored with its title weighted, or the unstemmed token in the authors when it may
/// stand in a name (matching, never scoring: a stray first name must not outrank an acronym).
/// The title only adds to the score of what the title + abstract field matched (it holds the
/// title too). When the token has several places and is `sought` (other words lead the walk
/// and seek it), they are joined by a union that scores only the papers asked about:
/// tantivy's own union scores every paper of its window, most of which the other words then
/// rule out; walked whole, tantivy's is the faster.
fn token_query(
    f: &Fields,
    r: Ranking,
    word: &Word,
    i: usize,
    fuzzy: bool,
    sought: bool,
) -> Box<dyn Query> {
    let places = word.named[i] || (fuzzy && !word.near[i].is_empty());
    if places && !sought {
        return Box::new(BooleanQuery::union(token_parts(f, r, word, i, fuzzy)));
    }
    let mut any: Vec<Box<dyn Query>> = stems(word, i, fuzzy)
        .map(|(stem, weight)| {
            Box::new(BooleanQuery::new(vec![
                (Occur::Must, term_query(f.text, stem, weight)),
                (
                    Occur::Should,
                    term_query(f.title, stem, r.title_boost * weight),
                ),
            ])) as Box<dyn Query>
        })
        .collect();
    if word.named[i] {
        any.push(name_query(f, word, i));
    }
    match any.len() {
        1 => any.pop().expect("one place"),
        _ => Box::new(AtLeast::new(any, 1)),
    }
}

/// Token `i`'s stem with its weight, and with `fuzzy` its near spellings with theirs.
fn stems(word: &Word, i: usize, fuzzy: bool) -> impl Iterator<Item = (&str, f32)> {
    let near = word.near[i].iter().filter(move |_| fuzzy);
    std::iter::once((word.stems[i].as_str(), 1.0)).chain(near.map(|(s, w)| (s.as_str(), *w)))
}

/// Token `i` in the author names: it matches there, scoring nothing.
fn name_query(f: &Fields, word: &Word, i: usize) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(
        term_query(f.authors, &word.exact[i], 1.0),
        0.0,
    ))
}

/// The places token `i` of `word` may match, any one enough: its stem (and near spellings
/// when `fuzzy`) in the title and abstract, and the unstemmed token in the authors when it
/// may stand in a name.
fn token_parts(f: &Fields, r: Ranking, word: &Word, i: usize, fuzzy: bool) -> Vec<Box<dyn Query>> {
    let mut any: Vec<Box<dyn Query>> = Vec::new();
    for (stem, weight) in stems(word, i, fuzzy) {
        any.push(term_query(f.text, stem, weight));
        any.push(term_query(f.title, stem, r.title_boost * weight));
    }
    if word.named[i] {
        any.push(name_query(f, word, i));
    }
    any
}

impl SearchIndex {
    /// A plain word as the index reads it; `None` when it has no token (punctuation).
    pub(super) fn word(&self, typed: &str) -> Option<Word> {
        let stems = self.analyse(PROSE, typed);
        let exact = self.analyse(EXACT, typed);
        if stems.is_empty() || stems.len() != exact.len() {
            return None;
        }
        Some(Word {
            typed: typed.to_string(),
            near: vec![Vec::new(); stems.len()],
            named: vec![true; stems.len()],
            stems,
            exact,
        })
    }

    /// A clause other than a top-level plain word, matched as written; `None` when it has
    /// no words the index keeps.
    pub(super) fn clause(&self, clause: &Clause, ranking: Ranking) -> Option<Box<dyn Query>> {
        let f = &self.fields;
        match (clause.field, &clause.term) {
            (Field::Any, QTerm::Word(w)) if clause.excluded => self.all_words(f.text, w),
            (Field::Any, QTerm::Word(w)) => {
                Some(word_query(f, ranking, &self.word(w)?, false, false))
            }
            (Field::Any, QTerm::Phrase(p)) => {
                let either: Vec<_> = [
                    self.phrase(f.title_exact, p),
                    self.phrase(f.abstract_exact, p),
                ]
                .into_iter()
                .flatten()
                .collect();
                (!either.is_empty())
                    .then(|| Box::new(BooleanQuery::union(either)) as Box<dyn Query>)
            }
            (Field::Title, QTerm::Word(w)) => self.all_words(f.title, w),
            (Field::Title, QTerm::Phrase(p)) => self.phrase(f.title_exact, p),
            (Field::Abstract, QTerm::Word(p) | QTerm::Phrase(p)) => {
                self.phrase(f.abstract_exact, p)
            }
            (Field::Author, QTerm::Word(p) | QTerm::Phrase(p)) => self.phrase(f.authors, p),
            (Field::Category, QTerm::Word(c) | QTerm::Phrase(c)) => {
                Some(term_query_lc(f.categories_lc, c))
            }
            (Field::Venue, QTerm::Word(v) | QTerm::Phrase(v)) => Some(term_query_lc(f.venue, v)),
            (_, QTerm::Years(a, b)) => Some(published_between(
                f.published,
                Date::new(*a, 1, 1),
                Date::new(*b, 12, 31),
            )),
            (_, QTerm::AnyOf(alternatives)) => {
                let any: Vec<_> = alternatives
                    .iter()
                    .filter_map(|c| self.clause(c, ranking))
                    .collect();
                (!any.is_empty()).then(|| Box::new(BooleanQuery::union(any)) as Box<dyn Query>)
            }
            (_, QTerm::AllOf(clauses)) => {
                let all: Clauses = clauses
                    .iter()
                    .filter_map(|c| {
                        let occur = if c.excluded {
                            Occur::MustNot
                        } else {
                            Occur::Must
                        };
                        Some((occur, self.clause(c, ranking)?))
                    })
                    .collect();
                all.iter()
                    .any(|(o, _)| *o == Occur::Must)
                    .then(|| Box::new(BooleanQuery::new(all)) as Box<dyn Query>)
            }
        }
    }

    /// Every word of `text` (stemmed) must be in `field`.
    fn all_words(&self, field: tantivy::schema::Field, text: &str) -> Option<Box<dyn Query>> {
        let all: Vec<_> = self
            .analyse(PROSE, text)
            .iter()
            .map(|w| term_query(field, w, 1.0))
            .collect();
        (!all.is_empty()).then(|| Box::new(BooleanQuery::intersection(all)) as Box<dyn Query>)
    }

    /// The words of `text`, unstemmed and in order, in a positional `field`.
    fn phrase(&self, field: tantivy::schema::Field, text: &str) -> Option<Box<dyn Query>> {
        let words = self.analyse(EXACT, text);
        match &words[..] {
            [] => None,
            [word] => Some(term_query(field, word, 1.0)),
            _ => Some(Box::new(PhraseQuery::new(
                words
                    .iter()
                    .map(|w| Term::from_field_text(field, w))
                    .collect(),
            ))),
        }
    }

    /// The tokens `analyser` makes of `text` (at most `MAX_CLAUSES`).
    pub(super) fn analyse(&self, analyser: &str, text: &str) -> Vec<String> {
        let Some(mut analyser) = self.index.tokenizers().get(analyser) else {
            return Vec::new();
        };
        let mut words = Vec::new();
        let mut stream = analyser.token_stream(text);
        while let Some(token) = stream.next() {
            if words.len() == query::MAX_CLAUSES {
                break;
            }
            words.push(token.text.clone());
        }
        words
    }
}
