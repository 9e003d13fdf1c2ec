//! `/api/similar`: papers nearest in meaning to a paper or to free text.

use super::{AppError, AppState, MAX_QUERY};
use crate::domain::ArxivId;
use crate::embed::similar::{Probe, Same};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Neighbours returned unless `limit` says otherwise.
const DEFAULT_LIMIT: usize = 10;
const MAX_LIMIT: usize = 100;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/similar", get(similar))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SimilarParams {
    /// A paper id (arXiv ids in any form): papers like it, itself left out.
    pub id: Option<String>,
    /// Free text, such as an abstract: papers like it.
    pub text: Option<String>,
    /// Papers returned, 1 to 100 (default 10).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
    /// With `id`: only papers sharing a `category` or the `venue` of that paper.
    pub same: Option<Same>,
}

#[derive(Serialize, ToSchema)]
pub struct SimilarHit {
    id: String,
    title: String,
    /// Cosine similarity, -1 to 1.
    score: f32,
}

#[derive(Serialize, ToSchema)]
pub struct SimilarResults {
    hits: Vec<SimilarHit>,
}

/// Papers nearest in meaning to a stored paper (`id`) or to free text (`text`).
#[utoipa::path(
    get,
    path = "/api/similar",
    params(SimilarParams),
    responses(
        (status = 200, description = "Nearest papers, most similar first", body = SimilarResults),
        (status = 400, description = "Neither or both of id and text, or a bad limit", body = super::error::ErrorBody),
        (status = 404, description = "No such paper, or not embedded yet", body = super::error::ErrorBody),
        (status = 503, description = "No embedder is configured", body = super::error::ErrorBody),
    )
)]
pub async fn similar(
    State(state): State<AppState>,
    params: Result<Query<SimilarParams>, QueryRejection>,
) -> Result<Json<SimilarResults>, AppError> {
    let Query(params) = params.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let meaning = state.meaning.as_ref().ok_or_else(|| {
        AppError::Unavailable(
            "no embedder is configured (PAPERS_EMBED_MODEL_DIR or PAPERS_EMBED_URL)".into(),
        )
    })?;
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(AppError::BadRequest(format!(
            "limit must be 1 to {MAX_LIMIT}"
        )));
    }
    let probe = match (params.id, params.text) {
        (Some(id), None) if !id.trim().is_empty() => {
            let id = id.trim();
            Probe::Paper(ArxivId::parse(id).map_or_else(|_| id.to_string(), |a| a.to_string()))
        }
        (None, Some(text)) if !text.trim().is_empty() => {
            if text.len() > MAX_QUERY * 10 {
                return Err(AppError::BadRequest(format!(
                    "text is longer than {} bytes",
                    MAX_QUERY * 10
                )));
            }
            Probe::Text(text)
        }
        _ => {
            return Err(AppError::BadRequest(
                "give either id (a paper) or text, not both".into(),
            ));
        }
    };
    let related = meaning
        .semantic
        .related(&*state.store, &probe, limit, params.same)
        .await?
        .ok_or(AppError::NotFound)?;
    let hits = related
        .into_iter()
        .map(|(p, score)| SimilarHit {
            id: p.id,
            title: p.title,
            score,
        })
        .collect();
    Ok(Json(SimilarResults { hits }))
}
