//! Outbound HTTP for every source: timeouts, a body size cap, retries with backoff that
//! honour `Retry-After`, and an optional politeness limiter shared across the process.

use crate::store::Store;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, MutexGuard};
use tokio::time::Instant;

/// At most one request at a time, and the next one starts no sooner than `interval` after
/// the previous one finished. Time is tokio's, so tests drive it with a paused clock. A
/// limiter [`shared`](Limiter::shared) through the database extends both rules to every
/// process on that database (every replica and command of a deployment).
pub struct Limiter {
    interval: Duration,
    last_done: Mutex<Option<Instant>>,
    shared: Option<SharedTurn>,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter")
            .field("interval", &self.interval)
            .field("shared", &self.shared.as_ref().map(|s| s.name))
            .finish()
    }
}

/// The deployment-wide turn a shared limiter takes in the database before each request.
struct SharedTurn {
    store: Arc<dyn Store>,
    name: &'static str,
    /// This process (random), so that a restarted process is a new holder.
    holder: String,
    /// How long a turn stays taken if its process dies mid-request.
    hold: Duration,
}

/// How often a process waiting for another's turn asks again.
const SHARED_POLL: Duration = Duration::from_millis(100);

/// Held while a request is in flight; dropping it starts the interval.
pub struct Turn<'a> {
    last_done: MutexGuard<'a, Option<Instant>>,
    limiter: &'a Limiter,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        *self.last_done = Some(Instant::now());
        if let Some(shared) = &self.limiter.shared
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            let (store, name, holder) = (shared.store.clone(), shared.name, shared.holder.clone());
            let next_at = crate::domain::now_millis() + self.limiter.interval.as_millis() as i64;
            runtime.spawn(async move {
                if let Err(e) = store.end_turn(name, &holder, next_at).await {
                    tracing::warn!(turn = name, error = %e, "cannot give back the shared turn");
                }
            });
        }
    }
}

impl Limiter {
    pub fn new(interval: Duration) -> Arc<Self> {
        Arc::new(Limiter {
            interval,
            last_done: Mutex::new(None),
            shared: None,
        })
    }

    /// A limiter whose turn `name` is taken in `store` for every request, so that every
    /// process on that database waits its turn; `hold` bounds how long a turn outlives a
    /// process that died holding it.
    pub fn shared(
        interval: Duration,
        store: Arc<dyn Store>,
        name: &'static str,
        hold: Duration,
    ) -> Arc<Self> {
        Arc::new(Limiter {
            interval,
            last_done: Mutex::new(None),
            shared: Some(SharedTurn {
                store,
                name,
                holder: crate::domain::random_hex(8),
                hold,
            }),
        })
    }

    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Waits until this caller may send, and keeps others waiting until the turn is dropped.
    pub async fn turn(&self) -> Turn<'_> {
        let last_done = self.last_done.lock().await;
        if let Some(done) = *last_done {
            tokio::time::sleep_until(done + self.interval).await;
        }
        if let Some(shared) = &self.shared {
            shared.take().await;
        }
        Turn {
            last_done,
            limiter: self,
        }
    }
}

impl SharedTurn {
    /// Waits until the database gives this process the turn. A database that cannot be
    /// asked does not stop the requests: the process's own spacing still holds.
    async fn take(&self) {
        loop {
            let now = crate::domain::now_millis();
            let until = now + self.hold.as_millis() as i64;
            match self
                .store
                .take_turn(self.name, &self.holder, now, until)
                .await
            {
                Ok(true) => return,
                Ok(false) => tokio::time::sleep(SHARED_POLL).await,
                Err(e) => {
                    tracing::warn!(turn = self.name, error = %e, "cannot take the shared turn; going on");
                    return;
                }
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// No HTTP answer: `kind` says what failed, `reason` adds the lowest cause.
    #[error("{url}: {reason}")]
    Transport {
        url: String,
        kind: TransportKind,
        reason: String,
    },
    #[error("{url}: HTTP {status} after {attempts} attempts")]
    Status {
        url: String,
        status: u16,
        attempts: u32,
    },
    #[error("{url}: response larger than {limit} bytes")]
    TooLarge { url: String, limit: usize },
    #[error("{url}: invalid URL")]
    BadUrl { url: String },
}

/// What failed below HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    TimedOut,
    Connect,
    BodyCutShort,
    Other,
}

impl TransportKind {
    fn of(e: &reqwest::Error) -> Self {
        if e.is_timeout() {
            TransportKind::TimedOut
        } else if e.is_connect() {
            TransportKind::Connect
        } else if e.is_body() || e.is_decode() {
            TransportKind::BodyCutShort
        } else {
            TransportKind::Other
        }
    }

    fn describe(self) -> &'static str {
        match self {
            TransportKind::TimedOut => "timed out",
            TransportKind::Connect => "could not connect",
            TransportKind::BodyCutShort => "response body cut short",
            TransportKind::Other => "request failed",
        }
    }
}

impl FetchError {
    /// The source could not be reached at all (no connection, or no answer in time), as
    /// opposed to answering with an error.
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            FetchError::Transport {
                kind: TransportKind::TimedOut | TransportKind::Connect,
                ..
            }
        )
    }
}

/// How a fetcher behaves; the defaults suit arXiv and the venue sites.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// Whole-request deadline (connect, headers and body).
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub max_bytes: usize,
    /// Attempts per request, the first included.
    pub attempts: u32,
    /// First backoff; it doubles after every failed attempt.
    pub backoff: Duration,
    /// A longer `Retry-After` than this is capped to it.
    pub max_retry_after: Duration,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            max_bytes: 64 << 20,
            attempts: 5,
            backoff: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(600),
        }
    }
}

/// A response whose status the caller decides about (arXiv's API answers errors as an Atom
/// feed with HTTP 400, so 4xx bodies are returned, not turned into errors).
#[derive(Debug)]
pub struct Fetched {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Fetched {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }
}

#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    config: FetchConfig,
    limiter: Option<Arc<Limiter>>,
}

impl Fetcher {
    pub fn new(config: FetchConfig, limiter: Option<Arc<Limiter>>) -> Self {
        // reqwest is built without a default crypto provider so that only ring is compiled;
        // installing it twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .user_agent(concat!(
                "papers/",
                env!("CARGO_PKG_VERSION"),
                " (self-hosted paper search)"
            ))
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .build()
            .expect("the HTTP client configuration is static and valid");
        Fetcher {
            client,
            config,
            limiter,
        }
    }

    pub fn limiter(&self) -> Option<&Arc<Limiter>> {
        self.limiter.as_ref()
    }

    /// GET with retries: connection errors, timeouts, truncated bodies, 429 and 5xx are
    /// retried (after `Retry-After` when the server sends one); other statuses are returned.
    pub async fn get(&self, url: &str) -> Result<Fetched, FetchError> {
        self.send(url, None).await
    }

    /// POST a JSON body, with the same retry rules as [`Fetcher::get`].
    pub async fn post_json(
        &self,
        url: &str,
        body: &serde_json::Value,
        bearer: Option<&str>,
    ) -> Result<Fetched, FetchError> {
        self.send(url, Some((body, bearer))).await
    }

    async fn send(
        &self,
        url: &str,
        post: Option<(&serde_json::Value, Option<&str>)>,
    ) -> Result<Fetched, FetchError> {
        let parsed = reqwest::Url::parse(url).map_err(|_| FetchError::BadUrl {
            url: url.to_string(),
        })?;
        let mut backoff = self.config.backoff;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = {
                let _turn = match &self.limiter {
                    Some(limiter) => Some(limiter.turn().await),
                    None => None,
                };
                let request = match post {
                    None => self.client.get(parsed.clone()),
                    Some((body, bearer)) => {
                        let request = self.client.post(parsed.clone()).json(body);
                        match bearer {
                            Some(token) => request.bearer_auth(token),
                            None => request,
                        }
                    }
                };
                self.attempt(request, url).await
            };
            let wait = match outcome {
                Attempt::Done(fetched) => return Ok(fetched),
                Attempt::Fatal(e) => return Err(e),
                Attempt::Retry { error, retry_after } => {
                    if attempt >= self.config.attempts {
                        return Err(match error {
                            FetchError::Status { url, status, .. } => FetchError::Status {
                                url,
                                status,
                                attempts: attempt,
                            },
                            other => other,
                        });
                    }
                    tracing::debug!(%error, attempt, "fetch failed; retrying");
                    retry_after
                        .map(|d| d.min(self.config.max_retry_after))
                        .unwrap_or(backoff)
                }
            };
            tokio::time::sleep(wait).await;
            backoff = backoff.saturating_mul(2);
        }
    }

    async fn attempt(&self, request: reqwest::RequestBuilder, url: &str) -> Attempt {
        let transport = |e: reqwest::Error| Attempt::Retry {
            error: FetchError::Transport {
                url: url.to_string(),
                kind: TransportKind::of(&e),
                reason: describe(&e),
            },
            retry_after: None,
        };
        let mut response = match request.send().await {
            Ok(r) => r,
            Err(e) => return transport(e),
        };
        let status = response.status().as_u16();
        if status == 429 || status >= 500 {
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            return Attempt::Retry {
                error: FetchError::Status {
                    url: url.to_string(),
                    status,
                    attempts: 0,
                },
                retry_after,
            };
        }
        let limit = self.config.max_bytes;
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Attempt::Fatal(FetchError::TooLarge {
                url: url.to_string(),
                limit,
            });
        }
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > limit {
                        return Attempt::Fatal(FetchError::TooLarge {
                            url: url.to_string(),
                            limit,
                        });
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => return Attempt::Done(Fetched { status, body }),
                Err(e) => return transport(e),
            }
        }
    }
}

enum Attempt {
    Done(Fetched),
    Retry {
        error: FetchError,
        retry_after: Option<Duration>,
    },
    Fatal(FetchError),
}

/// reqwest's top-level message hides the cause ("error sending request"); name it.
fn describe(e: &reqwest::Error) -> String {
    let kind = TransportKind::of(e).describe();
    let mut cause = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    if cause.is_empty() {
        kind.to_string()
    } else {
        format!("{kind} ({cause})")
    }
}

#[cfg(test)]
mod tests {
    use super::Limiter;
    use std::time::Duration;
    use tokio::time::Instant;

    #[tokio::test(start_paused = true)]
    async fn limiter_spaces_requests_and_serialises_them() {
        let limiter = Limiter::new(Duration::from_secs(3));
        let starts = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for _ in 0..5 {
            let limiter = limiter.clone();
            let starts = starts.clone();
            tasks.push(tokio::spawn(async move {
                let _turn = limiter.turn().await;
                let start = Instant::now();
                starts.lock().unwrap().push((start, None));
                // A request that takes a while: the interval counts from its end.
                tokio::time::sleep(Duration::from_millis(700)).await;
                let end = Instant::now();
                starts.lock().unwrap().last_mut().unwrap().1 = Some(end);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let spans = starts.lock().unwrap().clone();
        assert_eq!(spans.len(), 5);
        for pair in spans.windows(2) {
            let (_, prev_end) = pair[0];
            let (next_start, _) = pair[1];
            assert!(next_start >= prev_end.unwrap() + Duration::from_secs(3));
        }
    }
}
