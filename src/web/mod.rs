//! HTTP routes: HTML pages, the JSON API, feeds, health checks and static files.

mod admin;
mod admin_faq;
mod admin_session;
mod api;
mod assets;
mod days;
mod error;
mod faq;
mod feeds;
pub mod links;
pub mod metrics;
mod on_demand;
mod openapi;
mod pages;
pub mod params;
pub mod search;
pub mod search_slots;
pub mod server;
mod similar;
mod venues;
mod views;

use crate::index::{Ranking, SearchIndex};
use crate::ingest::Arxiv;
use crate::store::Store;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use error::AppError;
pub use search_slots::SearchSlots;

/// Longest accepted query, in bytes.
pub const MAX_QUERY: usize = 2_000;
/// Deepest result reachable by paging.
pub const MAX_OFFSET: usize = 10_000;

/// Request bodies above this get 413, whether their length is announced or not.
pub const MAX_BODY: usize = 64 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub index: SearchIndex,
    pub ranking: Ranking,
    /// Turns for searches: one per core at once, a bounded line behind them, then 429.
    pub search_slots: SearchSlots,
    /// Fetches papers that are not stored yet when their page is asked for.
    pub on_demand: Option<Arc<on_demand::OnDemand>>,
    /// The admin secret; `None` disables `/admin` and `/api/admin/…`.
    pub admin: Option<Arc<admin::Admin>>,
    /// Reranking and related papers, when an embedder is configured.
    pub meaning: Option<crate::embed::Meaning>,
    /// Paper FAQs, when a language model is configured.
    pub faq: Option<Arc<crate::faq::FaqService>>,
    /// `PAPERS_BASE_URL` (`https://papers.example.org`, no trailing slash): the address
    /// absolute links use instead of the request's Host header.
    pub base_url: Option<String>,
    /// Request counters and the `/metrics` exposition; `None` when `PAPERS_METRICS=false`.
    pub metrics: Option<Arc<metrics::Metrics>>,
    /// This replica's claim to run the schedules (`None` outside `serve`).
    pub leader: Option<Arc<crate::leader::Leadership>>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, index: SearchIndex) -> Self {
        AppState {
            store,
            index,
            ranking: Ranking::default(),
            search_slots: SearchSlots::per_core(),
            on_demand: None,
            admin: None,
            meaning: None,
            faq: None,
            base_url: None,
            metrics: Some(Arc::default()),
            leader: None,
        }
    }

    /// Fetch unknown arXiv papers on demand through this client.
    pub fn with_arxiv(mut self, arxiv: Arc<Arxiv>) -> Self {
        self.on_demand = Some(Arc::new(on_demand::OnDemand::new(arxiv)));
        self
    }

    /// Enables the admin pages with this token (`None` or blank leaves them disabled).
    pub fn with_admin_token(mut self, token: Option<String>) -> Self {
        self.admin = admin::Admin::new(token).map(Arc::new);
        self
    }
}

/// The client's address, when the server knows it (for the per-client generation limit).
pub struct ClientAddr(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, std::convert::Infallible> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
        Ok(ClientAddr(peer.map(|c| c.0.ip())))
    }
}

/// The stored paper with this id: an arXiv id in any form (`2402.12354v2`,
/// `hep-th/9901001`) or a venue record's id.
async fn stored_paper(state: &AppState, id: &str) -> Result<crate::domain::Paper, AppError> {
    let id = crate::domain::ArxivId::parse(id).map_or_else(|_| id.to_string(), |a| a.to_string());
    state
        .store
        .papers_by_id(&[id])
        .await?
        .pop()
        .ok_or(AppError::NotFound)
}

/// Longest a request may take before it is answered 408.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Answers 408 after [`REQUEST_TIMEOUT`], except FAQ requests, which wait for the language
/// model up to its own timeout (`PAPERS_LLM_TIMEOUT_SECS`).
async fn deadline(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let path = request.uri().path();
    let waits_for_model = path.starts_with("/api/papers/")
        && (path.ends_with("/faq") || path.ends_with("/faq/stream"));
    if waits_for_model {
        return next.run(request).await;
    }
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(request)).await {
        Ok(response) => response,
        Err(_) => StatusCode::REQUEST_TIMEOUT.into_response(),
    }
}

/// The one router: the server and the tests both build it here.
pub fn router(state: AppState) -> Router {
    let header =
        |name, value| SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value));
    Router::new()
        .route("/", get(pages::home))
        .route("/search", get(pages::search))
        .route("/search/feed", get(feeds::search))
        .route("/arxiv/{*path}", get(pages::arxiv))
        .route("/paper/{*id}", get(pages::paper))
        .route("/bibtex/{*id}", get(pages::bibtex_text))
        .route("/starred", get(pages::starred))
        .route("/opensearch.xml", get(feeds::opensearch))
        .route("/api/search", get(api::search))
        .route("/api/papers/{*id}", get(faq::papers_path))
        .route("/api/categories", get(api::categories))
        .route("/api/sync", get(api::sync))
        .route("/api/openapi.json", get(openapi::openapi))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(api::ready))
        .route("/metrics", get(metrics::scrape))
        .merge(admin::router())
        .merge(admin_faq::router())
        .merge(venues::router())
        .merge(similar::routes())
        .route("/static/{*path}", get(assets::file))
        .fallback(|| async { error::PageError(AppError::NotFound) })
        .with_state(state.clone())
        .layer(RequestBodyLimitLayer::new(MAX_BODY))
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn(deadline))
        .layer(CatchPanicLayer::new())
        .layer(TraceLayer::new_for_http().make_span_with(crate::telemetry::request_span))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(
            crate::telemetry::RequestIds::default(),
        ))
        // After the layers above, so that the errors they make become JSON too.
        .layer(axum::middleware::from_fn(error::api_errors_as_json))
        // Counts what the client got, the rewritten errors included.
        .layer(axum::middleware::from_fn_with_state(state, metrics::track))
        // Outermost, so that every response carries them, the errors rewritten just above
        // included.
        .layer(header(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
        ))
        .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(header::REFERRER_POLICY, "strict-origin-when-cross-origin"))
}
