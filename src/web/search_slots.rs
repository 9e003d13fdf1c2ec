//! How many searches run at once: two per core, the others waiting their turn in a
//! line of bounded length (past it, or after waiting too long, 429 Too Many Requests).

use super::AppError;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Searches waiting or running at once before more get 429.
pub const MAX_ADMITTED: usize = 1024;
/// Longest a search waits for its turn before it gets 429.
const MAX_WAIT: Duration = Duration::from_secs(10);

/// Searches are CPU work on blocking threads: more of them at once than cores only adds
/// threads, memory and latency, so the rest wait here, in order.
#[derive(Clone)]
pub struct SearchSlots {
    admitted: Arc<Semaphore>,
    running: Arc<Semaphore>,
}

/// The right to run one search; hand it to the blocking task so that the turn lasts as long
/// as the work (a client that goes away does not free it early).
pub struct SearchSlot {
    _admitted: OwnedSemaphorePermit,
    _running: OwnedSemaphorePermit,
}

impl SearchSlots {
    /// `running` searches at once, up to `admitted` running or waiting.
    pub fn new(running: usize, admitted: usize) -> Self {
        SearchSlots {
            admitted: Arc::new(Semaphore::new(admitted)),
            running: Arc::new(Semaphore::new(running.min(admitted))),
        }
    }

    /// Two searches per core of this machine (one waits on memory while the other computes:
    /// as fast as 256 at once, at a quarter of the memory; docs/benchmarks.md), with
    /// [`MAX_ADMITTED`] running or waiting.
    pub fn per_core() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        SearchSlots::new(2 * cores, MAX_ADMITTED)
    }

    /// Waits for a turn; `TooBusy` when the line is full or the turn is not reached in time.
    pub async fn acquire(&self) -> Result<SearchSlot, AppError> {
        let admitted = self
            .admitted
            .clone()
            .try_acquire_owned()
            .map_err(|_| AppError::TooBusy)?;
        let running = tokio::time::timeout(MAX_WAIT, self.running.clone().acquire_owned())
            .await
            .map_err(|_| AppError::TooBusy)?
            .map_err(|_| AppError::TooBusy)?;
        Ok(SearchSlot {
            _admitted: admitted,
            _running: running,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn searches_past_the_cores_wait_and_past_the_line_are_refused() {
        let slots = SearchSlots::new(1, 2);
        let Ok(first) = slots.acquire().await else {
            panic!("a free slot")
        };
        // The second waits for the first to finish...
        let waiting = tokio::spawn({
            let slots = slots.clone();
            async move { slots.acquire().await.is_ok() }
        });
        tokio::task::yield_now().await;
        // ...and the line is full for a third.
        assert!(matches!(slots.acquire().await, Err(AppError::TooBusy)));
        assert!(!waiting.is_finished());
        drop(first);
        assert!(waiting.await.unwrap(), "the waiting search got its turn");
    }
}
