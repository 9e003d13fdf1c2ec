//! One search as every front end runs it: parse, search off the runtime, load the papers.

use super::params::SearchParams;
use super::{AppError, AppState, ClientAddr};
use crate::domain::Paper;
use crate::embed::rerank::meaning_text;
use crate::index::{Facets, Sort};
use crate::query;

/// A page of results, with each paper as the store has it.
pub struct Found {
    pub total: u64,
    pub page: usize,
    pub limit: usize,
    pub hits: Vec<FoundHit>,
    pub facets: Facets,
    pub query: query::Query,
    /// The query with likely typos corrected, when some word looks like one.
    pub suggestion: Option<String>,
    /// Whether the hits were reranked by meaning; `None` without an embedder.
    pub reranked: Option<bool>,
}

pub struct FoundHit {
    pub paper: Paper,
    pub score: f32,
    /// Escaped HTML with the query's words in `<b>`; `None` when no word occurs.
    pub title_html: Option<String>,
    pub abstract_html: Option<String>,
}

/// Runs the search `params` describe. A query that is just an arXiv id finds that paper.
/// `client` is who asked, for the per-client limit on long queries.
pub async fn run(
    state: &AppState,
    params: &SearchParams,
    client: ClientAddr,
) -> Result<Found, AppError> {
    let mut req = params.to_request()?;
    let (page, limit, offset) = (params.page(), req.limit, req.offset);
    let meaning = state.meaning.as_ref();
    let text = meaning_text(&req.query);
    let rerank = meaning.filter(|m| {
        params.rerank.unwrap_or(m.rerank_by_default)
            && !text.is_empty()
            && req.sort == Sort::Relevance
            && offset + limit <= m.fusion.depth
    });
    if let Some(m) = rerank {
        // Rerank the top K, then cut this page from them.
        req.offset = 0;
        req.limit = m.fusion.depth;
    }
    if let Some(id) = &req.query.arxiv_id {
        let papers = state.store.papers_by_id(&[id.to_string()]).await?;
        let hits = papers
            .into_iter()
            .map(|paper| FoundHit {
                paper,
                score: 1.0,
                title_html: None,
                abstract_html: None,
            })
            .collect::<Vec<_>>();
        return Ok(Found {
            total: hits.len() as u64,
            page,
            limit,
            hits,
            facets: Facets::default(),
            query: req.query,
            suggestion: None,
            reranked: None,
        });
    }
    let slot = state
        .search_slots
        .acquire(client.0, req.query.words())
        .await?;
    let index = state.index.clone();
    let ranking = state.ranking;
    let (req, results) = tokio::task::spawn_blocking(move || {
        let _slot = slot;
        let results = index.search(&req, ranking);
        (req, results)
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?;
    let mut results = results?;
    let mut query = req.query;
    query.notes.append(&mut results.notes);
    let reranked = match rerank {
        Some(m) => {
            let hits = std::mem::take(&mut results.hits);
            let (hits, done) = match m.semantic.rerank(&text, hits, &m.fusion).await {
                Ok(hits) => (hits, true),
                Err((hits, skipped)) => {
                    query.notes.push(skipped.to_string());
                    (hits, false)
                }
            };
            results.hits = hits.into_iter().skip(offset).take(limit).collect();
            Some(done)
        }
        None => meaning.map(|_| false),
    };
    let ids: Vec<String> = results.hits.iter().map(|h| h.id.clone()).collect();
    let mut papers: std::collections::HashMap<String, Paper> = state
        .store
        .papers_by_id(&ids)
        .await?
        .into_iter()
        .map(|p| (p.id.clone(), p))
        .collect();
    let highlighter = results.highlighter;
    let hits = results
        .hits
        .into_iter()
        .filter_map(|hit| {
            let paper = papers.remove(&hit.id)?;
            let (title_html, abstract_html) = match &highlighter {
                Some(h) => (h.title(&paper.title), h.abstract_text(&paper.abstract_text)),
                None => (None, None),
            };
            Some(FoundHit {
                paper,
                score: hit.score,
                title_html,
                abstract_html,
            })
        })
        .collect();
    Ok(Found {
        total: results.total,
        page,
        limit,
        hits,
        facets: results.facets.unwrap_or_default(),
        query,
        suggestion: results.suggestion,
        reranked,
    })
}
