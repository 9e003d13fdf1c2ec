//! HTML pages: the home page and search results.

use super::error::PageError;
use super::{AppError, AppState, MAX_OFFSET, MAX_QUERY};
use crate::domain::Paper;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Html;
use serde::Deserialize;

/// Hits per page unless `limit` says otherwise.
const PAGE_SIZE: usize = 20;
const MAX_LIMIT: usize = 100;
/// Characters of abstract shown under each result.
const TEASER: usize = 320;

#[derive(Debug, Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    pub q: String,
    pub page: Option<usize>,
    pub limit: Option<usize>,
}

/// A page of ranked papers, as the store has them.
pub struct Found {
    pub total: u64,
    pub page: usize,
    pub limit: usize,
    pub hits: Vec<(Paper, f32)>,
}

/// Validates the parameters, searches the index off the async runtime, and loads the
/// hits from the store.
pub async fn run_search(state: &AppState, params: &SearchParams) -> Result<Found, AppError> {
    if params.q.len() > MAX_QUERY {
        return Err(AppError::BadRequest(format!(
            "query longer than {MAX_QUERY} bytes"
        )));
    }
    let limit = params.limit.unwrap_or(PAGE_SIZE);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(AppError::BadRequest(format!(
            "limit must be 1 to {MAX_LIMIT}"
        )));
    }
    let page = params.page.unwrap_or(1);
    let offset = page
        .checked_sub(1)
        .and_then(|p| p.checked_mul(limit))
        .filter(|&o| o <= MAX_OFFSET)
        .ok_or_else(|| {
            AppError::BadRequest(format!("page must be 1 to {}", MAX_OFFSET / limit + 1))
        })?;
    let index = state.index.clone();
    let (q, ranking) = (params.q.clone(), state.ranking);
    let results = tokio::task::spawn_blocking(move || index.search(&q, limit, offset, ranking))
        .await
        .map_err(|e| AppError::Internal(e.into()))??;
    let ids: Vec<String> = results.hits.iter().map(|h| h.id.clone()).collect();
    let papers = state.store.papers_by_id(&ids).await?;
    let scores: std::collections::HashMap<&str, f32> = results
        .hits
        .iter()
        .map(|h| (h.id.as_str(), h.score))
        .collect();
    let hits = papers
        .into_iter()
        .map(|p| {
            let score = scores.get(p.id.as_str()).copied().unwrap_or(0.0);
            (p, score)
        })
        .collect();
    Ok(Found {
        total: results.total,
        page,
        limit,
        hits,
    })
}

/// What a result list shows of a paper.
pub struct PaperView {
    id: String,
    title: String,
    authors: String,
    teaser: String,
    published: String,
    categories: String,
}

impl From<&Paper> for PaperView {
    fn from(p: &Paper) -> Self {
        let mut teaser: String = p.abstract_text.chars().take(TEASER).collect();
        if teaser.len() < p.abstract_text.len() {
            teaser.push('…');
        }
        PaperView {
            id: p.id.clone(),
            title: p.title.clone(),
            authors: p.authors.join(", "),
            teaser,
            published: p.published.map(|d| d.to_string()).unwrap_or_default(),
            categories: p.categories.join(" "),
        }
    }
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    count: i64,
    latest: Vec<PaperView>,
}

pub async fn home(State(state): State<AppState>) -> Result<Html<String>, PageError> {
    let count = state.store.count().await?;
    let latest = state.store.latest(PAGE_SIZE as i64).await?;
    let page = HomePage {
        count,
        latest: latest.iter().map(PaperView::from).collect(),
    };
    Ok(Html(
        page.render().map_err(|e| AppError::Internal(e.into()))?,
    ))
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    q: String,
    total: u64,
    page: usize,
    hits: Vec<PaperView>,
    prev: Option<usize>,
    next: Option<usize>,
}

pub async fn search(
    State(state): State<AppState>,
    Query(params): Query<SearchParams>,
) -> Result<Html<String>, PageError> {
    let found = run_search(&state, &params).await?;
    let shown = (found.page * found.limit) as u64;
    let page = SearchPage {
        q: params.q.clone(),
        total: found.total,
        page: found.page,
        hits: found.hits.iter().map(|(p, _)| PaperView::from(p)).collect(),
        prev: (found.page > 1).then(|| found.page - 1),
        next: (shown < found.total && found.page * found.limit < MAX_OFFSET)
            .then_some(found.page + 1),
    };
    Ok(Html(
        page.render().map_err(|e| AppError::Internal(e.into()))?,
    ))
}
