//! HTTP routes: HTML pages, the JSON API, health checks and static files.

mod api;
mod error;
mod pages;

use crate::index::{Ranking, SearchIndex};
use crate::store::Store;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::routing::get;
use std::sync::Arc;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use error::AppError;

/// Longest accepted query, in bytes.
pub const MAX_QUERY: usize = 2_000;
/// Deepest result reachable by paging.
pub const MAX_OFFSET: usize = 10_000;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub index: SearchIndex,
    pub ranking: Ranking,
}

/// The one router: the server and the tests both build it here.
pub fn router(state: AppState) -> Router {
    let static_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/static");
    Router::new()
        .route("/", get(pages::home))
        .route("/search", get(pages::search))
        .route("/api/search", get(api::search))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(api::ready))
        .nest_service("/static", ServeDir::new(static_dir))
        .fallback(|| async { AppError::NotFound })
        .with_state(state)
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
            ),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(CatchPanicLayer::new())
        .layer(TraceLayer::new_for_http())
}
