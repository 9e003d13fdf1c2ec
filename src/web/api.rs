//! The JSON API: search, papers, categories and readiness.

use super::params::SearchParams;
use super::{AppError, AppState, search};
use crate::domain::Paper;
use crate::index::{FacetCount, Facets};
use crate::ingest::daily::SyncStatus;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

/// Categories `/api/categories` lists at most.
const MAX_CATEGORIES: usize = 1_000;

#[derive(Serialize, ToSchema)]
pub struct ApiPaper {
    id: String,
    title: String,
    authors: Vec<String>,
    #[serde(rename = "abstract")]
    abstract_text: String,
    categories: Vec<String>,
    published: Option<String>,
    updated: Option<String>,
    comments: Option<String>,
    journal_ref: Option<String>,
    doi: Option<String>,
    license: Option<String>,
    /// Venue name for venue papers (`ICLR`), with the edition `year` and the `track`.
    venue: Option<String>,
    year: Option<u16>,
    track: Option<String>,
}

impl From<Paper> for ApiPaper {
    fn from(p: Paper) -> Self {
        let (venue, year, track) = match p.venue {
            Some(v) => (Some(v.name), Some(v.year), v.track),
            None => (None, None, None),
        };
        ApiPaper {
            venue,
            year,
            track,
            id: p.id,
            title: p.title,
            authors: p.authors,
            abstract_text: p.abstract_text,
            categories: p.categories,
            published: p.published.map(|d| d.to_string()),
            updated: p.updated.map(|d| d.to_string()),
            comments: p.comments,
            journal_ref: p.journal_ref,
            doi: p.doi,
            license: p.license,
        }
    }
}

/// Escaped HTML fragments with the query's words in `<mark>`, where they occur.
#[derive(Serialize, ToSchema)]
pub struct Highlights {
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    #[serde(rename = "abstract", skip_serializing_if = "Option::is_none")]
    abstract_text: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ApiHit {
    #[serde(flatten)]
    paper: ApiPaper,
    score: f32,
    highlights: Highlights,
}

#[derive(Serialize, ToSchema)]
pub struct QueryInfo {
    /// The query as it was understood.
    read_as: String,
    /// What was not taken literally, and how the words were matched when not all as typed.
    notes: Vec<String>,
    /// The query with likely typos corrected from the index's own words, or null.
    suggestion: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ApiResults {
    total: u64,
    page: usize,
    hits: Vec<ApiHit>,
    facets: Facets,
    query: QueryInfo,
    /// Whether the hits were reranked by meaning (absent when no embedder is configured).
    #[serde(skip_serializing_if = "Option::is_none")]
    reranked: Option<bool>,
    took_ms: f64,
}

/// Ranked search in the query language, with the filters, facets and paging of `/search`.
#[utoipa::path(
    get,
    path = "/api/search",
    params(SearchParams),
    responses(
        (status = 200, description = "A page of results", body = ApiResults),
        (status = 400, description = "A parameter is malformed or out of range", body = super::error::ErrorBody),
    )
)]
pub async fn search(
    State(state): State<AppState>,
    client: super::ClientAddr,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Json<ApiResults>, AppError> {
    let started = std::time::Instant::now();
    let Query(params) = params.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let found = search::run(&state, &params, client).await?;
    let hits = found
        .hits
        .into_iter()
        .map(|h| ApiHit {
            paper: h.paper.into(),
            score: h.score,
            highlights: Highlights {
                title: h.title_html,
                abstract_text: h.abstract_html,
            },
        })
        .collect();
    Ok(Json(ApiResults {
        total: found.total,
        page: found.page,
        hits,
        facets: found.facets,
        query: QueryInfo {
            read_as: found.query.read_as(),
            notes: found.query.notes,
            suggestion: found.suggestion,
        },
        reranked: found.reranked,
        took_ms: started.elapsed().as_secs_f64() * 1e3,
    }))
}

/// One paper by arXiv id (any form: `2402.12354v2`, `hep-th/9901001`) or stored id.
#[utoipa::path(
    get,
    path = "/api/papers/{id}",
    params(("id" = String, Path, description = "Paper id")),
    responses(
        (status = 200, description = "The paper", body = ApiPaper),
        (status = 404, description = "No such paper", body = super::error::ErrorBody),
    )
)]
pub async fn paper(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ApiPaper>, AppError> {
    Ok(Json(super::stored_paper(&state, &id).await?.into()))
}

#[derive(Serialize, ToSchema)]
pub struct Categories {
    categories: Vec<FacetCount>,
}

/// Every category with its number of papers, most papers first.
#[utoipa::path(
    get,
    path = "/api/categories",
    responses((status = 200, description = "Categories and counts", body = Categories))
)]
pub async fn categories(State(state): State<AppState>) -> Result<Json<Categories>, AppError> {
    let index = state.index.clone();
    let facets = tokio::task::spawn_blocking(move || index.facet_counts(MAX_CATEGORIES))
        .await
        .map_err(|e| AppError::Internal(e.into()))??;
    Ok(Json(Categories {
        categories: facets.categories,
    }))
}

/// The arXiv sync: whether the server runs it, and how the last run went.
#[derive(Serialize, ToSchema)]
pub struct Sync {
    /// The last run (by the server's scheduler or `papers ingest arxiv-sync`), if any.
    last: Option<SyncStatus>,
}

/// The last arXiv sync's outcome and the next scheduled run.
#[utoipa::path(
    get,
    path = "/api/sync",
    responses((status = 200, description = "Sync status", body = Sync))
)]
pub async fn sync(State(state): State<AppState>) -> Result<Json<Sync>, AppError> {
    let last = SyncStatus::load(state.store.as_ref())
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(Json(Sync { last }))
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    ready: bool,
    database_seq: i64,
    index_seq: i64,
    /// Database changes not in this replica's index yet.
    lag: i64,
    /// Seconds since this replica's index last held every change the database had (null
    /// before it first did).
    lag_seconds: Option<f64>,
}

/// How far a replica that follows the database may trail it and still take requests: an
/// import elsewhere keeps the sequence ahead of every index for its whole length, yet each
/// replica indexes what it sees within a second.
const READY_LAG_SECONDS: f64 = 10.0;

/// 200 when the database answers and the index has caught up with it (or follows it, at
/// most [`READY_LAG_SECONDS`] behind), else 503.
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<serde_json::Value>) {
    let database_seq = state.store.max_seq().await;
    let index_seq = state.index.watermark().map(|w| w.seq);
    match (database_seq, index_seq) {
        (Ok(database_seq), Ok(index_seq)) => {
            let lag_seconds = state.index.lag_seconds();
            let ready =
                index_seq >= database_seq || lag_seconds.is_some_and(|s| s <= READY_LAG_SECONDS);
            let status = if ready {
                StatusCode::OK
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            let body = Readiness {
                ready,
                database_seq,
                index_seq,
                lag: (database_seq - index_seq).max(0),
                lag_seconds,
            };
            (status, Json(serde_json::to_value(body).unwrap_or_default()))
        }
        (db, index) => {
            tracing::warn!(
                database_ok = db.is_ok(),
                index_ok = index.is_ok(),
                "not ready"
            );
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"ready": false})),
            )
        }
    }
}
