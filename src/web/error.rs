//! One error type for every route: a status, a code and a message safe to show.

use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    /// Not found, saying what was looked for.
    #[error("{0}")]
    Missing(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("too many searches at once; retry in a moment")]
    TooBusy,
    /// A source this request needed (arXiv) did not answer; the message says which.
    #[error("{0}")]
    Upstream(String),
    #[error("a valid admin token is required")]
    Unauthorized,
    /// Too much work of one kind under way; the client should come back in a few seconds.
    #[error("{0}")]
    Busy(String),
    #[error("the request body is over the {0}-byte limit")]
    TooLarge(usize),
    #[error("{0}")]
    Conflict(String),
    /// A feature that is not configured on this server.
    #[error("{0}")]
    Unavailable(String),
    #[error("the paper FAQ is off on this server (it needs PAPERS_LLM_URL and PAPERS_LLM_MODEL)")]
    LlmDisabled,
    /// The language model did not give a complete answer; the message says why.
    #[error("{0}")]
    LlmUnavailable(String),
    /// This client used its allowance (the message says of what); it may ask again after
    /// this many seconds.
    #[error("{0}")]
    RateLimited(String, u64),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            AppError::NotFound | AppError::Missing(_) => (StatusCode::NOT_FOUND, "not_found"),
            AppError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            AppError::TooBusy => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            AppError::Upstream(_) => (StatusCode::BAD_GATEWAY, "upstream_unavailable"),
            AppError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            AppError::Busy(_) => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            AppError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            AppError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            AppError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            AppError::LlmDisabled => (StatusCode::SERVICE_UNAVAILABLE, "llm_disabled"),
            AppError::LlmUnavailable(_) => (StatusCode::BAD_GATEWAY, "llm_unavailable"),
            AppError::RateLimited(..) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    /// The message shown to users: internals are logged, never sent.
    pub fn public_message(&self) -> String {
        match self {
            AppError::Internal(e) => {
                tracing::error!(error = ?e, "request failed");
                "internal error".to_string()
            }
            other => other.to_string(),
        }
    }
}

impl From<crate::store::StoreError> for AppError {
    fn from(e: crate::store::StoreError) -> Self {
        AppError::Internal(e.into())
    }
}

/// A JSON body that could not be read: 413 when it passed the size limit (a chunked body
/// stops there while being read), else 400 with what was wrong (content type, syntax, fields).
impl From<axum::extract::rejection::JsonRejection> for AppError {
    fn from(e: axum::extract::rejection::JsonRejection) -> Self {
        match e.status() {
            StatusCode::PAYLOAD_TOO_LARGE => AppError::TooLarge(super::MAX_BODY),
            _ => AppError::BadRequest(e.body_text()),
        }
    }
}

impl From<crate::index::IndexError> for AppError {
    fn from(e: crate::index::IndexError) -> Self {
        AppError::Internal(e.into())
    }
}

/// The body of every JSON error: `{"error": {"code", "message"}}`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    error: ErrorDetail,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code: `bad_request`, `not_found`, `internal`.
    code: &'static str,
    /// What went wrong, for people.
    message: String,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let retry_after = self.retry_after();
        with_retry_after(json_error(status, code, self.public_message()), retry_after)
    }
}

impl AppError {
    /// Seconds after which the request may succeed, for errors that pass.
    fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::TooBusy => Some(1),
            AppError::Busy(_) => Some(BUSY_RETRY_SECS),
            AppError::RateLimited(_, secs) => Some(*secs),
            _ => None,
        }
    }
}

/// How long a client should wait when the server is busy fetching from arXiv (several
/// requests at arXiv's pace of one every 3 s).
const BUSY_RETRY_SECS: u64 = 10;

fn with_retry_after(mut response: Response, seconds: Option<u64>) -> Response {
    if let Some(s) = seconds {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(s));
    }
    response
}

fn json_error(status: StatusCode, code: &'static str, message: String) -> Response {
    (
        status,
        Json(ErrorBody {
            error: ErrorDetail { code, message },
        }),
    )
        .into_response()
}

/// Gives every error under `/api/` the JSON shape, also those that layers and the router
/// produce themselves (413 body too large, 405, 408 timeout, a caught panic).
pub async fn api_errors_as_json(request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !api || is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let code = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "timeout",
        StatusCode::NOT_FOUND => "not_found",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    let message = status.canonical_reason().unwrap_or("error").to_lowercase();
    let mut out = json_error(status, code, message);
    if let Some(retry) = response.headers().get(header::RETRY_AFTER) {
        out.headers_mut().insert(header::RETRY_AFTER, retry.clone());
    }
    out
}

/// The same error as an HTML page, for browser routes.
pub struct PageError(pub AppError);

impl<E: Into<AppError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

#[derive(askama::Template)]
#[template(path = "error.html")]
struct ErrorPage {
    status: u16,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, _) = self.0.status_and_code();
        let page = ErrorPage {
            status: status.as_u16(),
            message: self.0.public_message(),
        };
        let response = match askama::Template::render(&page) {
            Ok(html) => (status, axum::response::Html(html)).into_response(),
            Err(_) => status.into_response(),
        };
        with_retry_after(response, self.0.retry_after())
    }
}
