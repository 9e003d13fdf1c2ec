//! `/api/papers/{id}/faq` and `/faq/stream`: a paper's FAQ by the language model, whole or
//! as Server-Sent Events while it is written.

use super::{AppError, AppState};
use crate::faq::{Faq, FaqError, FaqService, Lang, Lookup, Progress};
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt, stream};
use serde::Deserialize;
use serde_json::json;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use utoipa::IntoParams;

/// Extra wait for a JSON answer beyond the model's own timeout, for the queue.
const QUEUE_GRACE: Duration = Duration::from_secs(30);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FaqParams {
    /// The language of the answer: `en` (default) or `zh`.
    pub lang: Option<String>,
}

/// `/api/papers/{id}`, `…/faq` and `…/faq/stream` share one route, since old-style arXiv
/// ids (`hep-th/9901001`) hold a slash.
pub async fn papers_path(
    State(state): State<AppState>,
    Path(path): Path<String>,
    params: Result<Query<FaqParams>, QueryRejection>,
    client: super::ClientAddr,
) -> Response {
    if let Some(id) = path.strip_suffix("/faq/stream") {
        return match lookup(&state, id, params, client).await {
            Ok((_, found)) => events(found).into_response(),
            Err(e) => e.into_response(),
        };
    }
    if let Some(id) = path.strip_suffix("/faq") {
        return match lookup(&state, id, params, client).await {
            Ok((service, found)) => faq(&service, found).await.into_response(),
            Err(e) => e.into_response(),
        };
    }
    super::api::paper(State(state), Path(path))
        .await
        .into_response()
}

/// The stored FAQ or the generation writing it, after checking what was asked.
async fn lookup(
    state: &AppState,
    id: &str,
    params: Result<Query<FaqParams>, QueryRejection>,
    client: super::ClientAddr,
) -> Result<(Arc<FaqService>, Lookup), AppError> {
    let Query(params) = params.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let service = state.faq.clone().ok_or(AppError::LlmDisabled)?;
    let lang = params.lang.as_deref().unwrap_or("en");
    let lang = Lang::parse(lang).ok_or_else(|| {
        AppError::BadRequest(format!("lang {lang:?}: FAQs are written in `en` or `zh`"))
    })?;
    let paper = super::stored_paper(state, id).await?;
    let found = service
        .lookup(&paper, lang, client.0)
        .await
        .map_err(from_faq)?;
    Ok((service, found))
}

fn from_faq(e: FaqError) -> AppError {
    match e {
        FaqError::Llm(llm) => AppError::LlmUnavailable(llm.to_string()),
        FaqError::RateLimited(secs) => {
            AppError::RateLimited(FaqError::RateLimited(secs).to_string(), secs)
        }
        FaqError::Store(e) => e.into(),
    }
}

/// A paper's FAQ, written first if it is not stored (at most the model's timeout).
#[utoipa::path(
    get,
    path = "/api/papers/{id}/faq",
    operation_id = "paper_faq",
    params(("id" = String, Path, description = "Paper id"), FaqParams),
    responses(
        (status = 200, description = "The FAQ, from the cache or just written", body = Faq),
        (status = 400, description = "An unknown language", body = super::error::ErrorBody),
        (status = 404, description = "No such paper", body = super::error::ErrorBody),
        (status = 429, description = "This address asked for too many new FAQs (`rate_limited`)", body = super::error::ErrorBody),
        (status = 502, description = "The language model failed or timed out (`llm_unavailable`); nothing was stored", body = super::error::ErrorBody),
        (status = 503, description = "The FAQ is off (`llm_disabled`), or still being written (`busy`, with Retry-After)", body = super::error::ErrorBody),
    )
)]
pub(super) async fn faq(service: &Arc<FaqService>, found: Lookup) -> Result<Json<Faq>, AppError> {
    let watcher = match found {
        Lookup::Ready(faq) => return Ok(Json(faq)),
        Lookup::Live(watcher) => watcher,
    };
    match crate::faq::finished(watcher, service.timeout() + QUEUE_GRACE).await {
        Some(Ok(faq)) => Ok(Json(faq)),
        Some(Err(message)) => Err(AppError::LlmUnavailable(message)),
        None => Err(AppError::Busy(
            "the FAQ is still being written; ask again in a moment".into(),
        )),
    }
}

/// The FAQ as Server-Sent Events while it is written: `queued` (`{"position"}`) while waiting
/// for a slot, `delta` (`{"text"}`) pieces of Markdown, then `done` (the FAQ, as
/// `/api/papers/{id}/faq` answers it) or `failed` (`{"code", "message"}`). A stored FAQ
/// comes at once as one `delta` and `done`.
#[utoipa::path(
    get,
    path = "/api/papers/{id}/faq/stream",
    operation_id = "paper_faq_stream",
    params(("id" = String, Path, description = "Paper id"), FaqParams),
    responses(
        (status = 200, description = "An event stream", content_type = "text/event-stream", body = String),
        (status = 400, description = "An unknown language", body = super::error::ErrorBody),
        (status = 404, description = "No such paper", body = super::error::ErrorBody),
        (status = 429, description = "This address asked for too many new FAQs (`rate_limited`)", body = super::error::ErrorBody),
        (status = 503, description = "The FAQ is off (`llm_disabled`)", body = super::error::ErrorBody),
    )
)]
pub(super) fn events(found: Lookup) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let events: stream::BoxStream<'static, Event> = match found {
        Lookup::Ready(faq) => stream::iter([delta(&faq.markdown), done(&faq)]).boxed(),
        Lookup::Live(watcher) => live(watcher).boxed(),
    };
    Sse::new(events.map(Ok)).keep_alive(KeepAlive::new().interval(Duration::from_secs(10)))
}

/// What a watcher has not been told yet.
struct Told {
    watcher: watch::Receiver<Progress>,
    text: usize,
    queued: Option<usize>,
}

fn live(watcher: watch::Receiver<Progress>) -> impl Stream<Item = Event> {
    let start = Told {
        watcher,
        text: 0,
        queued: None,
    };
    stream::unfold(Some(start), |told| async move {
        let mut told = told?;
        loop {
            let (news, ended) = told.news();
            if ended {
                return Some((news, None));
            }
            if !news.is_empty() {
                return Some((news, Some(told)));
            }
            if told.watcher.changed().await.is_err() {
                return Some((vec![failed("the generation stopped")], None));
            }
        }
    })
    .flat_map(stream::iter)
}

impl Told {
    /// Events for what changed since last time, and whether the generation ended.
    fn news(&mut self) -> (Vec<Event>, bool) {
        let progress = self.watcher.borrow_and_update();
        let mut news = Vec::new();
        if progress.queued != self.queued {
            self.queued = progress.queued;
            if let Some(place) = self.queued {
                news.push(event("queued", &json!({ "position": place })));
            }
        }
        if progress.text.len() > self.text {
            news.push(delta(&progress.text[self.text..]));
            self.text = progress.text.len();
        }
        match &progress.outcome {
            None => (news, false),
            Some(Ok(faq)) => {
                news.push(done(faq));
                (news, true)
            }
            Some(Err(message)) => {
                news.push(failed(message));
                (news, true)
            }
        }
    }
}

fn event(name: &str, data: &impl serde::Serialize) -> Event {
    Event::default()
        .event(name)
        .json_data(data)
        .expect("JSON values always serialise")
}

fn delta(text: &str) -> Event {
    event("delta", &json!({ "text": text }))
}

fn done(faq: &Faq) -> Event {
    event("done", faq)
}

fn failed(message: &str) -> Event {
    event(
        "failed",
        &json!({ "code": "llm_unavailable", "message": message }),
    )
}
