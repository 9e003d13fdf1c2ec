//! Ranked retrieval over the query language: filters, facets, sorting and highlights.

use super::facets::{FACET_SIZE, Facets};
use super::filters::Filters;
use super::highlight::{ABSTRACT_WINDOW, Highlighter, generator};
use super::matching::{Level, Plan};
use super::ranking::Ranking;
use super::schema::PROSE;
use super::spell::{self, Speller};
use super::{Fields, IndexResult, SearchIndex};
use crate::query::{self, Field, Term as QTerm};
use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::Scorer;
use tantivy::query::{AllQuery, EnableScoring, Query};
use tantivy::schema::Value;
use tantivy::{DocAddress, DocSet, Order, Searcher, SeekDangerResult, TantivyDocument};

/// Near spellings a rare word may take in the fuzzy fallback.
const NEAR_SPELLINGS: usize = 3;

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
    /// How the words were matched when not all as typed ("showing papers that match 3 of 4
    /// words").
    pub notes: Vec<String>,
    /// The query with likely typos corrected from the index's own words.
    pub suggestion: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facets: Option<Facets>,
    /// Marks the query's words in titles and abstracts.
    #[serde(skip)]
    pub highlighter: Option<Highlighter>,
}

impl SearchIndex {
    /// Runs one search. Plain words are matched all together first; when that finds nothing
    /// (a sentence: less than a page), counted without the page's filters so that a facet's
    /// count is what choosing it finds, near spellings stand in for rare words, then fewer of
    /// the words are required, each step noted. Written operators are never relaxed.
    pub fn search(&self, req: &SearchRequest, ranking: Ranking) -> IndexResult<SearchResults> {
        let searcher = self.reader.searcher();
        let f = &self.fields;
        let Some(mut plan) = Plan::new(self, &searcher, &req.query, &req.filters, ranking) else {
            return Ok(SearchResults {
                total: 0,
                hits: Vec::new(),
                notes: Vec::new(),
                suggestion: None,
                facets: req.facets.then(Facets::default),
                highlighter: None,
            });
        };
        let mut speller = Speller::new(&searcher, [f.title_exact, f.abstract_exact]);
        let suggestion = suggestion(&mut speller, &req.query, &plan)?;
        let strict = plan.strict();
        let relaxable = plan.relaxable && !plan.words.is_empty();
        // Unfiltered, the strict search itself tells whether to relax.
        let mut first = None;
        let strict_total = match (relaxable, plan.filtered()) {
            (false, _) => None,
            (true, false) => {
                let run = self.run(&searcher, &plan, strict, req)?;
                let total = run.total;
                first = Some(run);
                Some(total)
            }
            (true, true) => Some(count(&searcher, &*plan.matching(strict, false))?),
        };
        let mut notes = Vec::new();
        // A short query whose words are all found together is taken as typed: a few exact
        // matches beat a page of partial ones. A sentence is loosened until a page is full.
        let enough = match plan.words.len() < ranking.sentence {
            true => 1,
            false => ranking.fill as u64,
        };
        let level = match strict_total {
            Some(total) if total < enough => self.relax(
                &searcher,
                &mut speller,
                &mut plan,
                ranking,
                (total, enough),
                &mut notes,
            )?,
            _ => strict,
        };
        let mut results = match first {
            Some(run) if level == strict => run,
            _ => self.run(&searcher, &plan, level, req)?,
        };
        results.notes = notes;
        results.suggestion = suggestion;
        Ok(results)
    }

    /// The strictest level that finds `enough` papers (unfiltered; the strict level found
    /// `found`): near spellings, then fewer words, as many as still fill a page; the loosest
    /// when none does.
    fn relax(
        &self,
        searcher: &Searcher,
        speller: &mut Speller,
        plan: &mut Plan,
        ranking: Ranking,
        (mut found, enough): (u64, u64),
        notes: &mut Vec<String>,
    ) -> IndexResult<Level> {
        let (fill, near_weight) = (ranking.fill as u64, ranking.near_weight);
        let mut level = plan.strict();
        let n = plan.words.len();
        let have_all = |found: u64, how: &str| match found {
            0 => format!("no paper has all the words{how}"),
            1 => format!("only 1 paper has all the words{how}"),
            f => format!("only {f} papers have all the words{how}"),
        };
        let spelt = self.near_spellings(speller, plan, near_weight)?;
        if !spelt.is_empty() {
            notes.push(format!(
                "{}: near spellings included ({})",
                have_all(found, " as typed"),
                spelt.join(", ")
            ));
            level.fuzzy = true;
            found = count(searcher, &*plan.matching(level, false))?;
        }
        if found >= enough || n == 1 {
            return Ok(level);
        }
        // Counts only grow as fewer words are required: the most words that still fill,
        // counted from the top (cheap while most words are required; any word is never
        // counted). A long query that no paper holds whole is a sentence in other words: any
        // of its words will do, BM25 ranks those with more first.
        let lowest = match n >= ranking.sentence && found == 0 {
            true => n,
            false => 2,
        };
        let mut best = 1;
        for min in (lowest..n).rev() {
            let at = Level { min, ..level };
            if reaches(searcher, &*plan.matching(at, false), fill)? {
                best = min;
                break;
            }
        }
        level.min = best;
        let words = if best == 1 {
            "any".to_string()
        } else {
            best.to_string()
        };
        notes.push(format!(
            "{}: showing papers that match {words} of {n} words",
            have_all(found, "")
        ));
        Ok(level)
    }

    /// Fills each rare word's near spellings (one edit, ten times as common as the word):
    /// the most common weighs as the typed word (it is most likely what was meant), the
    /// others `near_weight`. Returns the spellings added.
    fn near_spellings(
        &self,
        speller: &mut Speller,
        plan: &mut Plan,
        near_weight: f32,
    ) -> IndexResult<Vec<String>> {
        let mut added = Vec::new();
        let mut respelt = Vec::new();
        for word in &mut plan.words {
            for i in 0..word.exact.len() {
                let token = &word.exact[i];
                let Some((typed_docs, near)) = speller.rare(token)? else {
                    continue;
                };
                let common = |n: &&spell::Near| n.distance == 1 && n.docs > 10 * typed_docs;
                for n in near.iter().filter(common).take(NEAR_SPELLINGS) {
                    let Some(stem) = self.analyse(PROSE, &n.word).pop() else {
                        continue;
                    };
                    if stem == word.stems[i] || word.near[i].iter().any(|(s, _)| *s == stem) {
                        continue;
                    }
                    let weight = if word.near[i].is_empty() {
                        respelt.push((token.clone(), n.word.clone()));
                        1.0
                    } else {
                        near_weight
                    };
                    word.near[i].push((stem, weight));
                    added.push(n.word.clone());
                }
            }
        }
        for (typed, fixed) in respelt {
            plan.respell(&typed, &fixed);
        }
        Ok(added)
    }

    /// One page of the papers matching `plan` at `level`, with the total and the facets.
    fn run(
        &self,
        searcher: &Searcher,
        plan: &Plan,
        level: Level,
        req: &SearchRequest,
    ) -> IndexResult<SearchResults> {
        let counter = match req.facets {
            true => Some(self.facet_cache.collector(searcher, FACET_SIZE)?),
            false => None,
        };
        let limit = req.limit.max(1);
        let matching = plan.matching(level, true);
        let (top, total, facets) = match req.sort {
            Sort::Relevance => {
                // The best candidates, then the title-pair bonus (and a sentence's stop
                // words) on them alone.
                let candidates =
                    TopDocs::with_limit(RESCORED.max(req.offset + limit)).order_by_score();
                let (top, total, facets) =
                    searcher.search(&*plan.scored(level), &(candidates, Count, counter))?;
                let top = with_bonus(searcher, &plan.bonus(), top)?;
                let page = top.into_iter().skip(req.offset).take(limit).collect();
                (page, total, facets)
            }
            Sort::Newest => {
                let top = TopDocs::with_limit(limit)
                    .and_offset(req.offset)
                    .order_by_fast_field::<u64>("published", Order::Desc);
                let (top, total, facets) = searcher.search(&*matching, &(top, Count, counter))?;
                let top = top.into_iter().map(|(_, addr)| (0.0, addr)).collect();
                (top, total, facets)
            }
        };
        let hits = if req.limit == 0 {
            Vec::new()
        } else {
            self.hits(searcher, top)?
        };
        let f = &self.fields;
        let generator =
            |field, stemmed, max_chars| generator(searcher, &*matching, field, stemmed, max_chars);
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
            notes: Vec::new(),
            suggestion: None,
            facets,
            highlighter: Some(Highlighter {
                title,
                abstract_text,
            }),
        })
    }

    /// Every category, venue, track and year with its number of papers (at most `size`
    /// values each), most papers first. Counted once per index generation.
    pub fn facet_counts(&self, size: usize) -> IndexResult<Facets> {
        let searcher = self.reader.searcher();
        let generation = searcher.generation().generation_id();
        let mut totals = self
            .totals
            .lock()
            .map_err(|_| super::IndexError::Poisoned("facet totals"))?;
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

/// The query with each plain word that few papers have replaced by a much more common
/// word at most two edits away; `None` when no word is replaced.
fn suggestion(
    speller: &mut Speller,
    query: &query::Query,
    plan: &Plan,
) -> IndexResult<Option<String>> {
    let mut fixes: Vec<(String, String)> = Vec::new();
    for word in &plan.words {
        let ([token], false) = (&word.exact[..], word.typed.is_empty()) else {
            continue;
        };
        let Some((docs, near)) = speller.rare(token)? else {
            continue;
        };
        if let Some(fix) = spell::correction(*docs, near) {
            fixes.push((word.typed.clone(), spell::cased_as(&word.typed, &fix.word)));
        }
    }
    if fixes.is_empty() {
        return Ok(None);
    }
    let mut fixed = query.clone();
    for clause in &mut fixed.clauses {
        if let (Field::Any, QTerm::Word(w), false) = (clause.field, &clause.term, clause.excluded)
            && let Some((_, fix)) = fixes.iter().find(|(typed, _)| typed == w)
        {
            clause.term = QTerm::Word(fix.clone());
        }
    }
    Ok(Some(fixed.read_as()))
}

/// How many papers `query` matches.
fn count(searcher: &Searcher, query: &dyn Query) -> IndexResult<u64> {
    Ok(searcher.search(query, &Count)? as u64)
}

/// Whether `query` matches at least `enough` papers: the walk stops there.
fn reaches(searcher: &Searcher, query: &dyn Query, enough: u64) -> IndexResult<bool> {
    let weight = query.weight(EnableScoring::disabled_from_searcher(searcher))?;
    let mut found = 0;
    for segment in searcher.segment_readers() {
        let alive = segment.alive_bitset();
        let mut matches = weight.scorer(segment, 1.0)?;
        while matches.doc() != tantivy::TERMINATED {
            if alive.is_none_or(|a| a.is_alive(matches.doc())) {
                found += 1;
                if found >= enough {
                    return Ok(true);
                }
            }
            matches.advance();
        }
    }
    Ok(false)
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

/// Candidates the bonus reorders: ranks past these come from BM25 alone.
const RESCORED: usize = 1000;

/// `top` (best first) with the score of each `bonus` query added to each paper it matches,
/// best first again.
fn with_bonus(
    searcher: &Searcher,
    bonus: &[Box<dyn Query>],
    mut top: Vec<(f32, DocAddress)>,
) -> IndexResult<Vec<(f32, DocAddress)>> {
    if bonus.is_empty() {
        return Ok(top);
    }
    let scoring = EnableScoring::enabled_from_searcher(searcher);
    let weights = bonus
        .iter()
        .map(|q| q.weight(scoring))
        .collect::<tantivy::Result<Vec<_>>>()?;
    let mut order: Vec<usize> = (0..top.len()).collect();
    order.sort_by_key(|&i| top[i].1);
    let mut scorers = Vec::new();
    let mut segment = None;
    for i in order {
        let address = top[i].1;
        if segment != Some(address.segment_ord) {
            let reader = searcher.segment_reader(address.segment_ord);
            scorers = weights
                .iter()
                .map(|w| w.scorer(reader, 1.0))
                .collect::<tantivy::Result<Vec<_>>>()?;
            segment = Some(address.segment_ord);
        }
        for scorer in &mut scorers {
            // Asks about this paper alone: `seek` would walk on to the next match, which for
            // a phrase of common words means checking the positions of every paper between.
            // A scorer already past it (its lower bound) does not match it.
            if scorer.doc() <= address.doc_id
                && scorer.seek_danger(address.doc_id) == SeekDangerResult::Found
            {
                top[i].0 += scorer.score();
            }
        }
    }
    top.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    Ok(top)
}
