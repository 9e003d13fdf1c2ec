//! JSON API: search and readiness.

use super::pages::{SearchParams, run_search};
use super::{AppError, AppState};
use crate::domain::Paper;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::Serialize;

#[derive(Serialize)]
pub struct ApiHit {
    id: String,
    title: String,
    authors: Vec<String>,
    #[serde(rename = "abstract")]
    abstract_text: String,
    categories: Vec<String>,
    published: Option<String>,
    score: f32,
}

#[derive(Serialize)]
pub struct ApiResults {
    total: u64,
    page: usize,
    hits: Vec<ApiHit>,
    took_ms: f64,
}

pub async fn search(
    State(state): State<AppState>,
    Query(params): Query<SearchParams>,
) -> Result<Json<ApiResults>, AppError> {
    let started = std::time::Instant::now();
    let found = run_search(&state, &params).await?;
    let hits = found
        .hits
        .into_iter()
        .map(|(paper, score): (Paper, f32)| ApiHit {
            id: paper.id,
            title: paper.title,
            authors: paper.authors,
            abstract_text: paper.abstract_text,
            categories: paper.categories,
            published: paper.published.map(|d| d.to_string()),
            score,
        })
        .collect();
    Ok(Json(ApiResults {
        total: found.total,
        page: found.page,
        hits,
        took_ms: started.elapsed().as_secs_f64() * 1e3,
    }))
}

#[derive(Serialize)]
pub struct Readiness {
    ready: bool,
    database_seq: i64,
    index_seq: i64,
}

/// 200 when the database answers and the index has caught up with it, else 503.
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<serde_json::Value>) {
    let database_seq = state.store.max_seq().await;
    let index_seq = state.index.watermark().map(|w| w.seq);
    match (database_seq, index_seq) {
        (Ok(database_seq), Ok(index_seq)) => {
            let ready = index_seq >= database_seq;
            let status = if ready {
                StatusCode::OK
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            let body = Readiness {
                ready,
                database_seq,
                index_seq,
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
