//! `GET /metrics` in the Prometheus (OpenMetrics) text format: requests and their durations by
//! route template, counted as they are answered, and the service's state read at scrape time.

use super::AppState;
use crate::ingest::daily::SyncStatus;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteStatus {
    route: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Route {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobState {
    state: String,
}

/// Every job state, so that a state with no job reads 0 rather than vanishing.
const JOB_STATES: [&str; 5] = ["queued", "running", "done", "failed", "cancelled"];

/// Request duration buckets, in seconds: 1 ms to 10 s.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

fn duration_histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

/// The registry and the handles the server updates.
pub struct Metrics {
    registry: Registry,
    requests: Family<RouteStatus, Counter>,
    durations: Family<Route, Histogram, fn() -> Histogram>,
    index_lag: Gauge,
    index_lag_seconds: Gauge<f64, AtomicU64>,
    papers: Gauge,
    sync_finished: Gauge<f64, AtomicU64>,
    sync_ok: Gauge,
    jobs: Family<JobState, Gauge>,
    embed_queue: Gauge,
    faq_queue: Gauge,
    leader: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut m = Metrics {
            registry: Registry::default(),
            requests: Family::default(),
            durations: Family::new_with_constructor(duration_histogram),
            index_lag: Gauge::default(),
            index_lag_seconds: Gauge::default(),
            papers: Gauge::default(),
            sync_finished: Gauge::default(),
            sync_ok: Gauge::default(),
            jobs: Family::default(),
            embed_queue: Gauge::default(),
            faq_queue: Gauge::default(),
            leader: Gauge::default(),
        };
        let r = &mut m.registry;
        // The text encoder adds `_total` to a counter's name.
        r.register(
            "papers_http_requests",
            "HTTP requests answered, by route template and status",
            m.requests.clone(),
        );
        r.register(
            "papers_http_request_duration_seconds",
            "Time to answer an HTTP request (to its first byte), by route template",
            m.durations.clone(),
        );
        r.register(
            "papers_index_lag",
            "Database changes not yet in this replica's search index",
            m.index_lag.clone(),
        );
        r.register(
            "papers_index_lag_seconds",
            "Seconds since this replica's index last held every database change (-1: not yet)",
            m.index_lag_seconds.clone(),
        );
        r.register(
            "papers_papers_total",
            "Papers in the database",
            m.papers.clone(),
        );
        r.register(
            "papers_arxiv_sync_last_finished_seconds",
            "When the last arXiv sync ended, in seconds since 1970 (0: never)",
            m.sync_finished.clone(),
        );
        r.register(
            "papers_arxiv_sync_last_ok",
            "Whether the last arXiv sync succeeded (1) or failed (0)",
            m.sync_ok.clone(),
        );
        r.register("papers_jobs", "Admin jobs by state", m.jobs.clone());
        r.register(
            "papers_embed_queue",
            "Database changes not yet embedded (0 without an embedder)",
            m.embed_queue.clone(),
        );
        r.register(
            "papers_faq_queue",
            "FAQ generations waiting for a free slot (0 without a language model)",
            m.faq_queue.clone(),
        );
        r.register(
            "papers_leader",
            "Whether this replica runs the schedules (1) or not (0)",
            m.leader.clone(),
        );
        m
    }
}

impl Metrics {
    fn observe(&self, route: &str, status: StatusCode, seconds: f64) {
        let labels = RouteStatus {
            route: route.to_string(),
            status: status.as_u16().to_string(),
        };
        self.requests.get_or_create(&labels).inc();
        let route = Route {
            route: route.to_string(),
        };
        self.durations.get_or_create(&route).observe(seconds);
    }
}

/// Counts each request under its route template (`/paper/{*id}`, not the raw path; requests
/// no route matched count as `unmatched`), with the status it was answered.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(metrics) = state.metrics.clone() else {
        return next.run(request).await;
    };
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_string();
    let start = Instant::now();
    let response = next.run(request).await;
    metrics.observe(&route, response.status(), start.elapsed().as_secs_f64());
    response
}

/// The exposition; 404 when `PAPERS_METRICS=false`.
pub async fn scrape(State(state): State<AppState>) -> Response {
    let Some(metrics) = state.metrics.clone() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if let Err(e) = refresh(&state, &metrics).await {
        tracing::warn!(error = %e, "metrics: reading the service's state failed");
    }
    let mut body = String::new();
    if prometheus_client::encoding::text::encode(&mut body, &metrics.registry).is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// Reads the gauges from the store, the index and the services.
async fn refresh(state: &AppState, m: &Arc<Metrics>) -> anyhow::Result<()> {
    let store = state.store.as_ref();
    let database_seq = store.max_seq().await?;
    let index_seq = state.index.watermark()?.seq;
    m.index_lag.set((database_seq - index_seq).max(0));
    m.index_lag_seconds
        .set(state.index.lag_seconds().unwrap_or(-1.0));
    m.papers.set(store.count().await?);
    let sync = SyncStatus::load(store).await?;
    let finished = sync
        .as_ref()
        .and_then(|s| s.finished.as_deref()?.parse::<jiff::Timestamp>().ok());
    m.sync_finished
        .set(finished.map_or(0.0, |t| t.as_second() as f64));
    m.sync_ok.set(i64::from(sync.is_some_and(|s| s.ok)));
    let counts = store.job_counts().await?;
    for state in JOB_STATES {
        let n = counts
            .iter()
            .find(|(s, _)| s == state)
            .map_or(0, |(_, n)| *n);
        m.jobs
            .get_or_create(&JobState {
                state: state.to_string(),
            })
            .set(n);
    }
    let embedded = state.meaning.as_ref().map(|m| m.semantic.watermark());
    m.embed_queue
        .set(embedded.map_or(0, |seq| (database_seq - seq).max(0)));
    let waiting = state.faq.as_ref().map_or(0, |f| f.waiting());
    m.faq_queue.set(waiting as i64);
    m.leader.set(i64::from(
        state.leader.as_ref().is_some_and(|l| l.is_leader()),
    ));
    Ok(())
}
