//! Log output: compact human-readable lines on stderr by default, or one JSON object a line
//! with `PAPERS_LOG_FORMAT=json`, filtered by `RUST_LOG`; colours only when stderr is a
//! terminal. A log line that cannot be written (stderr a closed pipe) is dropped: reporting
//! it would panic the task that logged. Each HTTP request gets an id (`x-request-id`, kept
//! from a proxy that sent one) carried by every line logged while answering it.

use axum::http::{HeaderValue, Request};
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tower_http::request_id::{MakeRequestId, RequestId};
use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// A `PAPERS_LOG_FORMAT` value that names no format.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("PAPERS_LOG_FORMAT={0:?}: use `text` (the default) or `json`")]
pub struct LogFormatError(pub String);

impl LogFormat {
    /// `PAPERS_LOG_FORMAT`: `text` (the default) or `json`.
    pub fn from_env() -> Result<Self, LogFormatError> {
        match std::env::var("PAPERS_LOG_FORMAT").as_deref().map(str::trim) {
            Err(_) | Ok("") | Ok("text") => Ok(LogFormat::Text),
            Ok("json") => Ok(LogFormat::Json),
            Ok(other) => Err(LogFormatError(other.to_string())),
        }
    }
}

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("papers=info,tower_http=info,sqlx=warn,tantivy=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .log_internal_errors(false)
        .with_target(false);
    match format {
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .compact()
            .init(),
        LogFormat::Json => builder
            .with_ansi(false)
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}

/// Request ids: this process's random prefix and a counter (`3f9a…-42`).
#[derive(Clone)]
pub struct RequestIds {
    prefix: Arc<str>,
    next: Arc<AtomicU64>,
}

impl Default for RequestIds {
    fn default() -> Self {
        RequestIds {
            prefix: crate::domain::random_hex(4).into(),
            next: Arc::new(AtomicU64::new(1)),
        }
    }
}

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{}-{n}", self.prefix))
            .ok()
            .map(RequestId::new)
    }
}

/// The span a request is answered in: its method, path and id.
pub fn request_span<B>(request: &Request<B>) -> tracing::Span {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = %id,
    )
}

/// An error and its causes on one line, `: `-separated, each text once: a message that
/// already holds its cause's text (thiserror's `"…: {0}"` over a `#[from]` field) does not
/// repeat it. What the terminal, logs and job records show.
pub fn error_chain(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

#[cfg(test)]
mod chain_tests {
    use super::error_chain;

    #[derive(Debug, thiserror::Error)]
    #[error("bad line: {0}")]
    struct Line(#[from] std::num::ParseIntError);

    #[test]
    fn each_cause_is_shown_once() {
        let e = anyhow::Error::from(Line::from("x".parse::<u8>().unwrap_err()))
            .context("reading input.txt");
        assert_eq!(
            error_chain(&e),
            "reading input.txt: bad line: invalid digit found in string"
        );
    }
}
