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

pub struct OnDemand {
    arxiv: Arc<Arxiv>,
    slots: Semaphore,
    misses: Mutex<HashMap<String, Instant>>,
}

impl OnDemand {
    pub fn new(arxiv: Arc<Arxiv>) -> Self {
        OnDemand {
            arxiv,
            slots: Semaphore::new(MAX_WAITING),
            misses: Mutex::new(HashMap::new()),
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
        let found = self
            .arxiv
            .fetch_ids(std::slice::from_ref(id))
            .await
            .map_err(|e| {
                tracing::warn!(%id, error = %e, "fetching a paper from arXiv failed");
                AppError::Upstream(format!(
                    "arXiv could not be reached for {id}; try again later"
                ))
            })?;
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

    fn is_known_miss(&self, id: &str) -> bool {
        let misses = self.misses.lock().expect("the miss list is never poisoned");
        misses.get(id).is_some_and(|at| at.elapsed() < MISS_TTL)
    }
}
