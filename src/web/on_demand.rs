//! Papers fetched from arXiv when their page is asked for and they are not stored yet
//! (as Cool Papers does): through the server's one polite client, a few at a time, with
//! misses remembered so a repeated unknown id does not reach arXiv again.

use super::AppError;
use crate::domain::{ArxivId, Paper};
use crate::ingest::Arxiv;
use crate::store::Store;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Fetches waiting for arXiv at once; more get an error page rather than a long queue.
const MAX_WAITING: usize = 8;
/// How long an id arXiv does not know is answered from memory.
const MISS_TTL: Duration = Duration::from_secs(3600);
/// Misses remembered at most (the memory is cleared when full).
const MAX_MISSES: usize = 10_000;
/// Longest a page waits for arXiv (its turn included) before answering 502.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);
/// After a failed fetch, pages answer 502 at once for this long instead of waiting again.
const DOWN_FOR: Duration = Duration::from_secs(60);

pub struct OnDemand {
    arxiv: Arc<Arxiv>,
    slots: Semaphore,
    misses: Mutex<HashMap<String, Instant>>,
    /// When the last fetch failed (and its UTC time), if it did.
    down: Mutex<Option<(Instant, String)>>,
}

impl OnDemand {
    pub fn new(arxiv: Arc<Arxiv>) -> Self {
        OnDemand {
            arxiv,
            slots: Semaphore::new(MAX_WAITING),
            misses: Mutex::new(HashMap::new()),
            down: Mutex::new(None),
        }
    }

    /// The paper from arXiv, stored so that it is indexed and served from then on;
    /// `Ok(None)` when arXiv does not know it.
    pub async fn fetch(&self, store: &dyn Store, id: &ArxivId) -> Result<Option<Paper>, AppError> {
        if self.is_known_miss(id.as_str()) {
            return Ok(None);
        }
        let _slot = self.slots.try_acquire().map_err(|_| {
            AppError::Busy(
                "busy: too many papers are being fetched from arXiv; retry in a few seconds".into(),
            )
        })?;
        if let Some(since) = self.recently_down() {
            return Err(AppError::Upstream(format!(
                "arXiv could not be reached at {since} (UTC), so {id} is not here yet; try \
                 again in a minute"
            )));
        }
        let fetch = self.arxiv.fetch_ids(std::slice::from_ref(id));
        let found = match tokio::time::timeout(FETCH_TIMEOUT, fetch).await {
            Ok(Ok(found)) => found,
            failed => {
                let why = match failed {
                    Ok(Err(e)) => e.to_string(),
                    _ => format!("no answer within {} s", FETCH_TIMEOUT.as_secs()),
                };
                tracing::warn!(%id, error = %why, "fetching a paper from arXiv failed");
                *self.down.lock().expect("never poisoned") =
                    Some((Instant::now(), crate::domain::utc_timestamp()));
                return Err(AppError::Upstream(format!(
                    "arXiv could not be reached for {id}; try again later"
                )));
            }
        };
        let Some(paper) = found.into_iter().find(|p| p.id == id.as_str()) else {
            let mut misses = self.misses.lock().expect("the miss list is never poisoned");
            if misses.len() >= MAX_MISSES {
                misses.clear();
            }
            misses.insert(id.to_string(), Instant::now());
            return Ok(None);
        };
        store.upsert_batch(std::slice::from_ref(&paper)).await?;
        Ok(Some(paper))
    }

    /// The time of the last failed fetch, if it was less than [`DOWN_FOR`] ago.
    fn recently_down(&self) -> Option<String> {
        let down = self.down.lock().expect("never poisoned");
        down.as_ref()
            .filter(|(at, _)| at.elapsed() < DOWN_FOR)
            .map(|(_, utc)| utc.clone())
    }

    fn is_known_miss(&self, id: &str) -> bool {
        let misses = self.misses.lock().expect("the miss list is never poisoned");
        misses.get(id).is_some_and(|at| at.elapsed() < MISS_TTL)
    }
}
