//! Admin: writing the FAQs of a day's list or a venue track ahead of readers, from `/admin`
//! or `POST /api/admin/faq`, in the background at the configured concurrency.

use super::admin::{Authorized, check_csrf};
use super::{AppError, AppState};
use crate::domain::Date;
use crate::faq::pregen::{RunStatus, Selection, StartError};
use crate::faq::{FaqService, Lang};
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use std::sync::Arc;
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/faq", post(form_start))
        .route("/api/admin/faq", post(api_start).get(api_status))
}

/// What to cover: `category` (and `date`, default its latest day) or `venue` and `year`
/// (and `track`); `lang` is `en` (default) or `zh`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct StartFaq {
    category: Option<String>,
    /// YYYY-MM-DD.
    date: Option<String>,
    venue: Option<String>,
    year: Option<u16>,
    track: Option<String>,
    lang: Option<String>,
}

fn service(state: &AppState) -> Result<&Arc<FaqService>, AppError> {
    state.faq.as_ref().ok_or(AppError::LlmDisabled)
}

fn parse(body: StartFaq) -> Result<(Selection, Lang), AppError> {
    let given = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let lang = given(body.lang).unwrap_or_else(|| "en".into());
    let lang = Lang::parse(&lang)
        .ok_or_else(|| AppError::BadRequest(format!("lang {lang:?}: `en` or `zh`")))?;
    let selection = match (given(body.category), given(body.venue), body.year) {
        (Some(_), Some(_), _) => {
            return Err(AppError::BadRequest(
                "give a category or a venue, not both".into(),
            ));
        }
        (Some(category), None, _) => {
            let date =
                match given(body.date) {
                    Some(d) => Some(Date::parse_iso(&d).map_err(|_| {
                        AppError::BadRequest("date must look like 2026-11-27".into())
                    })?),
                    None => None,
                };
            Selection::Day { category, date }
        }
        (None, Some(name), Some(year)) => Selection::Venue {
            name,
            year,
            track: given(body.track),
        },
        (None, Some(_), None) => return Err(AppError::BadRequest("a venue needs a year".into())),
        (None, None, _) => {
            return Err(AppError::BadRequest(
                "give a category (and a date) or a venue and a year".into(),
            ));
        }
    };
    Ok((selection, lang))
}

async fn start(state: &AppState, body: StartFaq) -> Result<RunStatus, AppError> {
    let service = service(state)?;
    let (selection, lang) = parse(body)?;
    service
        .start_run(selection, lang)
        .await
        .map_err(|e| match e {
            StartError::Running => AppError::Conflict(e.to_string()),
            StartError::Nothing(why) => AppError::BadRequest(why),
        })
}

/// Starts writing the FAQs of a day's list or a venue track; FAQs stored already are
/// skipped. One run at a time.
#[utoipa::path(
    post,
    path = "/api/admin/faq",
    operation_id = "start_faq_run",
    request_body = StartFaq,
    security(("admin_token" = [])),
    responses(
        (status = 202, description = "Started", body = RunStatus),
        (status = 400, description = "Nothing to cover, or a bad field", body = super::error::ErrorBody),
        (status = 401, description = "No valid admin token", body = super::error::ErrorBody),
        (status = 409, description = "A run is under way", body = super::error::ErrorBody),
        (status = 503, description = "The FAQ is off (`llm_disabled`)", body = super::error::ErrorBody),
    )
)]
pub async fn api_start(
    _: Authorized,
    State(state): State<AppState>,
    body: Result<Json<StartFaq>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, AppError> {
    let Json(body) = body?;
    let status = start(&state, body).await?;
    Ok((StatusCode::ACCEPTED, Json(status)).into_response())
}

/// The last run started from /admin (`null` if none), with its counts so far.
#[utoipa::path(
    get,
    path = "/api/admin/faq",
    operation_id = "faq_run",
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "The run, or null", body = Option<RunStatus>),
        (status = 401, description = "No valid admin token", body = super::error::ErrorBody),
        (status = 503, description = "The FAQ is off (`llm_disabled`)", body = super::error::ErrorBody),
    )
)]
pub async fn api_status(
    _: Authorized,
    State(state): State<AppState>,
) -> Result<Json<Option<RunStatus>>, AppError> {
    Ok(Json(service(&state)?.run_status()))
}

#[derive(Deserialize)]
struct FaqForm {
    csrf: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    venue: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    track: String,
    #[serde(default)]
    lang: String,
}

async fn form_start(
    _: Authorized,
    State(state): State<AppState>,
    Form(form): Form<FaqForm>,
) -> Result<Response, super::error::PageError> {
    check_csrf(&state, &form.csrf)?;
    let year = match form.year.trim() {
        "" => None,
        y => Some(
            y.parse()
                .map_err(|_| AppError::BadRequest(format!("year {y:?} is not a year")))?,
        ),
    };
    let venue = (!form.venue.trim().is_empty() && year.is_some()).then_some(form.venue);
    start(
        &state,
        StartFaq {
            category: venue.is_none().then_some(form.category),
            date: Some(form.date),
            venue,
            year,
            track: Some(form.track),
            lang: Some(form.lang),
        },
    )
    .await?;
    Ok(Redirect::to("/admin").into_response())
}
