//! Ranked retrieval over the query language: filters, facets, sorting and highlights.

use super::facets::{FACET_SIZE, Facets};
use super::highlight::{ABSTRACT_WINDOW, Highlighter, generator};
use super::schema::{EXACT, PROSE};
use super::{Fields, IndexResult, SearchIndex};
use crate::domain::Date;
use crate::query::{self, Field, Term as QTerm};
use serde::{Deserialize, Serialize};
use std::ops::Bound;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{DocAddress, Order, Searcher, TantivyDocument, Term};

/// Field weights, tuned on SciFact's train queries (docs/quality.md).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ranking {
    /// Weight of the title field relative to the title+abstract field.
    pub title_boost: f32,
    /// Weight of author names.
    pub author_boost: f32,
}

impl Default for Ranking {
    fn default() -> Self {
        Ranking {
            title_boost: 0.25,
            author_boost: 1.0,
        }
    }
}

/// Restrictions that come from the page's filter controls rather than the query text.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// Any of these categories (case-insensitive).
    pub categories: Vec<String>,
    /// Any of these venues (case-insensitive).
    pub venues: Vec<String>,
    /// Any of these tracks (`Oral`, `Poster`; case-insensitive).
    pub tracks: Vec<String>,
    /// First submitted on or after.
    pub from: Option<Date>,
    /// First submitted on or before.
    pub to: Option<Date>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    #[default]
    Relevance,
    Newest,
}

/// One search: what to match, how to order, which page, whether to count facets.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub query: query::Query,
    pub filters: Filters,
    pub sort: Sort,
    pub limit: usize,
    pub offset: usize,
    pub facets: bool,
}

impl SearchRequest {
    /// The first `limit` hits of a query in the query language, by relevance.
    pub fn new(text: &str, limit: usize) -> Self {
        SearchRequest {
            query: query::parse(text),
            filters: Filters::default(),
            sort: Sort::Relevance,
            limit,
            offset: 0,
            facets: false,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub id: String,
    pub title: String,
    pub score: f32,
}

#[derive(Serialize)]
pub struct SearchResults {
    pub total: u64,
    pub hits: Vec<Hit>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facets: Option<Facets>,
    /// Marks the query's words in titles and abstracts.
    #[serde(skip)]
    pub highlighter: Option<Highlighter>,
}

impl SearchIndex {
    pub fn search(&self, req: &SearchRequest, ranking: Ranking) -> IndexResult<SearchResults> {
        let searcher = self.reader.searcher();
        let Some(query) = self.compile(req, ranking) else {
            return Ok(SearchResults {
                total: 0,
                hits: Vec::new(),
                facets: req.facets.then(Facets::default),
                highlighter: None,
            });
        };
        let counter = match req.facets {
            true => Some(self.facet_cache.collector(&searcher, FACET_SIZE)?),
            false => None,
        };
        let limit = req.limit.max(1);
        let (top, total, facets) = match req.sort {
            Sort::Relevance => {
                let top = TopDocs::with_limit(limit)
                    .and_offset(req.offset)
                    .order_by_score();
                searcher.search(&query, &(top, Count, counter))?
            }
            Sort::Newest => {
                let top = TopDocs::with_limit(limit)
                    .and_offset(req.offset)
                    .order_by_fast_field::<u64>("published", Order::Desc);
                let (top, total, facets) = searcher.search(&query, &(top, Count, counter))?;
                let top = top.into_iter().map(|(_, addr)| (0.0, addr)).collect();
                (top, total, facets)
            }
        };
        let hits = if req.limit == 0 {
            Vec::new()
        } else {
            self.hits(&searcher, top)?
        };
        let f = &self.fields;
        let generator =
            |field, stemmed, max_chars| generator(&searcher, &*query, field, stemmed, max_chars);
        let title = [
            generator(f.title, true, 10_000)?,
            generator(f.title_exact, false, 10_000)?,
        ];
        let abstract_text = [
            generator(f.text, true, ABSTRACT_WINDOW)?,
            generator(f.abstract_exact, false, ABSTRACT_WINDOW)?,
        ];
        Ok(SearchResults {
            total: total as u64,
            hits,
            facets,
            highlighter: Some(Highlighter {
                title,
                abstract_text,
            }),
        })
    }

    /// Turns the parsed query and filters into a tantivy query; `None` matches nothing.
    fn compile(&self, req: &SearchRequest, ranking: Ranking) -> Option<Box<dyn Query>> {
        let f = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut loose = String::new();
        for clause in &req.query.clauses {
            let occur = if clause.excluded {
                Occur::MustNot
            } else {
                Occur::Must
            };
            let q = match (clause.field, &clause.term) {
                (Field::Any, QTerm::Word(w)) if !clause.excluded => {
                    loose.push_str(w);
                    loose.push(' ');
                    continue;
                }
                (Field::Any, QTerm::Word(w)) => self.all_words(f.text, PROSE, w),
                (Field::Any, QTerm::Phrase(p)) => {
                    let either: Vec<_> = [
                        self.phrase(f.title_exact, p),
                        self.phrase(f.abstract_exact, p),
                    ]
                    .into_iter()
                    .flatten()
                    .map(|q| (Occur::Should, q))
                    .collect();
                    (!either.is_empty())
                        .then(|| Box::new(BooleanQuery::new(either)) as Box<dyn Query>)
                }
                (Field::Title, QTerm::Word(w)) => self.all_words(f.title, PROSE, w),
                (Field::Title, QTerm::Phrase(p)) => self.phrase(f.title_exact, p),
                (Field::Abstract, QTerm::Word(p) | QTerm::Phrase(p)) => {
                    self.phrase(f.abstract_exact, p)
                }
                (Field::Author, QTerm::Word(p) | QTerm::Phrase(p)) => self.phrase(f.authors, p),
                (Field::Category, QTerm::Word(c) | QTerm::Phrase(c)) => Some(self.category(c)),
                (Field::Venue, QTerm::Word(v) | QTerm::Phrase(v)) => {
                    Some(term_query_lc(f.venue, v))
                }
                (_, QTerm::Years(a, b)) => Some(published_between(
                    f.published,
                    Date::new(*a, 1, 1),
                    Date::new(*b, 12, 31),
                )),
            };
            if let Some(q) = q {
                clauses.push((occur, q));
            }
        }
        for word in self.analyse(PROSE, &loose) {
            clauses.push((Occur::Should, term_query(f.text, &word, 1.0)));
            clauses.push((
                Occur::Should,
                term_query(f.title, &word, ranking.title_boost),
            ));
        }
        for name in self.analyse(EXACT, &loose) {
            clauses.push((
                Occur::Should,
                term_query(f.authors, &name, ranking.author_boost),
            ));
        }
        let filters = &req.filters;
        if !filters.categories.is_empty() {
            clauses.push((
                Occur::Must,
                any_keyword(f.categories_lc, &filters.categories),
            ));
        }
        if !filters.venues.is_empty() {
            clauses.push((Occur::Must, any_keyword(f.venue, &filters.venues)));
        }
        if !filters.tracks.is_empty() {
            clauses.push((Occur::Must, any_keyword(f.track, &filters.tracks)));
        }
        if filters.from.is_some() || filters.to.is_some() {
            clauses.push((
                Occur::Must,
                published_between(f.published, filters.from, filters.to),
            ));
        }
        let positive = clauses.iter().any(|(o, _)| *o != Occur::MustNot);
        if !positive {
            if clauses.is_empty() || !req.query.clauses.iter().any(|c| c.excluded) {
                return None;
            }
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        Some(Box::new(BooleanQuery::new(clauses)))
    }

    /// Every word of `text` (as `analyser` reads it) must be in `field`.
    fn all_words(
        &self,
        field: tantivy::schema::Field,
        analyser: &str,
        text: &str,
    ) -> Option<Box<dyn Query>> {
        let words = self.analyse(analyser, text);
        let all: Vec<_> = words
            .iter()
            .map(|w| (Occur::Must, term_query(field, w, 1.0)))
            .collect();
        (!all.is_empty()).then(|| Box::new(BooleanQuery::new(all)) as Box<dyn Query>)
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

    fn category(&self, code: &str) -> Box<dyn Query> {
        term_query_lc(self.fields.categories_lc, code)
    }

    fn analyse(&self, analyser: &str, text: &str) -> Vec<String> {
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

    /// Every category, venue, track and year with its number of papers (at most `size`
    /// values each), most papers first. Counted once per index generation.
    pub fn facet_counts(&self, size: usize) -> IndexResult<Facets> {
        let searcher = self.reader.searcher();
        let generation = searcher.generation().generation_id();
        let mut totals = self
            .totals
            .lock()
            .map_err(|e| super::IndexError::Task(e.to_string()))?;
        if let Some((g, facets)) = totals.as_ref()
            && *g == generation
        {
            return Ok(facets.truncated(size));
        }
        let counter = self.facet_cache.collector(&searcher, usize::MAX)?;
        let facets = searcher.search(&AllQuery, &counter)?;
        *totals = Some((generation, facets.clone()));
        Ok(facets.truncated(size))
    }

    fn hits(&self, searcher: &Searcher, top: Vec<(f32, DocAddress)>) -> IndexResult<Vec<Hit>> {
        let f = &self.fields;
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            hits.push(Hit {
                id: text_value(&doc, f.id),
                title: text_value(&doc, f.title),
                score,
            });
        }
        Ok(hits)
    }
}

fn published_between(
    field: tantivy::schema::Field,
    from: Option<Date>,
    to: Option<Date>,
) -> Box<dyn Query> {
    let bound = |d: Option<Date>| match d {
        Some(d) => Bound::Included(Term::from_field_u64(field, d.as_number())),
        None => Bound::Unbounded,
    };
    Box::new(RangeQuery::new(bound(from), bound(to)))
}

/// A keyword field's term, lower-cased as the `KEYWORD` analyser indexes it.
pub(super) fn term_query_lc(field: tantivy::schema::Field, value: &str) -> Box<dyn Query> {
    term_query(field, &value.to_lowercase(), 1.0)
}

/// Any of these values of a keyword field.
pub(super) fn any_keyword(field: tantivy::schema::Field, values: &[String]) -> Box<dyn Query> {
    let any = values
        .iter()
        .map(|v| (Occur::Should, term_query_lc(field, v)))
        .collect();
    Box::new(BooleanQuery::new(any))
}

fn term_query(field: tantivy::schema::Field, word: &str, boost: f32) -> Box<dyn Query> {
    let term = TermQuery::new(
        Term::from_field_text(field, word),
        IndexRecordOption::WithFreqs,
    );
    if boost == 1.0 {
        return Box::new(term);
    }
    Box::new(BoostQuery::new(Box::new(term), boost))
}

fn text_value(doc: &TantivyDocument, field: tantivy::schema::Field) -> String {
    doc.get_first(field)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string()
}

/// Every live document's id.
pub(super) fn all_ids(searcher: &Searcher, fields: &Fields) -> IndexResult<Vec<String>> {
    let mut ids = Vec::new();
    for (ord, segment) in searcher.segment_readers().iter().enumerate() {
        for doc in segment.doc_ids_alive() {
            let doc: TantivyDocument = searcher.doc(DocAddress::new(ord as u32, doc))?;
            ids.push(text_value(&doc, fields.id));
        }
    }
    Ok(ids)
}
