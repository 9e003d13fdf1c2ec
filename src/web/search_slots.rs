//! How many searches run at once: two per core, the others waiting their turn in a
//! line of bounded length (past it, or after waiting too long, 429 Too Many Requests); and
//! one long query at a time per client, so that one client's pasted abstracts cannot hold
//! every core while others wait.

use super::AppError;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Searches waiting or running at once before more get 429.
pub const MAX_ADMITTED: usize = 1024;
/// Longest a search waits for its turn before it gets 429.
const MAX_WAIT: Duration = Duration::from_secs(10);
/// A query of more words than this is long: it costs several times a short one (each word
/// is a posting list to walk and score), so a client runs one such search at a time.
pub const LONG_QUERY_WORDS: usize = 12;
/// Clients remembered before those with no long search in flight are forgotten.
const SWEEP_AT: usize = 10_000;

/// Searches are CPU work on blocking threads: more of them at once than cores only adds
/// threads, memory and latency, so the rest wait here, in order.
#[derive(Clone)]
pub struct SearchSlots {
    admitted: Arc<Semaphore>,
    running: Arc<Semaphore>,
    /// Per client address, the one turn for a long query.
    long: Arc<Mutex<HashMap<IpAddr, Arc<Semaphore>>>>,
}

/// The right to run one search; hand it to the blocking task so that the turn lasts as long
/// as the work (a client that goes away does not free it early).
pub struct SearchSlot {
    _admitted: OwnedSemaphorePermit,
    _long: Option<OwnedSemaphorePermit>,
    _running: OwnedSemaphorePermit,
}

impl SearchSlots {
    /// `running` searches at once, up to `admitted` running or waiting.
    pub fn new(running: usize, admitted: usize) -> Self {
        SearchSlots {
            admitted: Arc::new(Semaphore::new(admitted)),
            running: Arc::new(Semaphore::new(running.min(admitted))),
            long: Arc::default(),
        }
    }

    /// Two searches per core of this machine (one waits on memory while the other computes:
    /// as fast as 256 at once, at a quarter of the memory; docs/benchmarks.md), with
    /// [`MAX_ADMITTED`] running or waiting.
    pub fn per_core() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        SearchSlots::new(2 * cores, MAX_ADMITTED)
    }

    /// Waits for a turn for a search of `words` words from `client`; `TooBusy` when the
    /// line is full or the turn is not reached in time. A long query first waits for the
    /// client's previous long query to finish.
    pub async fn acquire(
        &self,
        client: Option<IpAddr>,
        words: usize,
    ) -> Result<SearchSlot, AppError> {
        let admitted = self
            .admitted
            .clone()
            .try_acquire_owned()
            .map_err(|_| AppError::TooBusy)?;
        let turns = async {
            let long = match client.filter(|_| words > LONG_QUERY_WORDS) {
                Some(ip) => Some(self.long_turn(ip).acquire_owned().await),
                None => None,
            };
            (long.transpose(), self.running.clone().acquire_owned().await)
        };
        let (long, running) = tokio::time::timeout(MAX_WAIT, turns)
            .await
            .map_err(|_| AppError::TooBusy)?;
        Ok(SearchSlot {
            _admitted: admitted,
            _long: long.map_err(|_| AppError::TooBusy)?,
            _running: running.map_err(|_| AppError::TooBusy)?,
        })
    }

    /// The long-query turn of `client`.
    fn long_turn(&self, client: IpAddr) -> Arc<Semaphore> {
        let mut clients = self.long.lock().unwrap_or_else(|e| e.into_inner());
        if clients.len() >= SWEEP_AT {
            // Only the map holds the turn of a client with no long search in flight.
            clients.retain(|_, turn| Arc::strong_count(turn) > 1);
        }
        clients
            .entry(client)
            .or_insert_with(|| Arc::new(Semaphore::new(1)))
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn searches_past_the_cores_wait_and_past_the_line_are_refused() {
        let slots = SearchSlots::new(1, 2);
        let Ok(first) = slots.acquire(None, 2).await else {
            panic!("a free slot")
        };
        // The second waits for the first to finish...
        let waiting = tokio::spawn({
            let slots = slots.clone();
            async move { slots.acquire(None, 2).await.is_ok() }
        });
        tokio::task::yield_now().await;
        // ...and the line is full for a third.
        assert!(matches!(
            slots.acquire(None, 2).await,
            Err(AppError::TooBusy)
        ));
        assert!(!waiting.is_finished());
        drop(first);
        assert!(waiting.await.unwrap(), "the waiting search got its turn");
    }

    #[tokio::test]
    async fn a_client_runs_one_long_query_at_a_time_and_others_are_not_held_up() {
        let slots = SearchSlots::new(4, 16);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let long = LONG_QUERY_WORDS + 1;
        let Ok(first) = slots.acquire(Some(a), long).await else {
            panic!("a free slot")
        };
        let second = tokio::spawn({
            let slots = slots.clone();
            async move { slots.acquire(Some(a), long).await.is_ok() }
        });
        tokio::task::yield_now().await;
        assert!(
            !second.is_finished(),
            "a's second long query waits for its first"
        );
        // Short queries from a, and long ones from b, run meanwhile.
        let short = slots.acquire(Some(a), LONG_QUERY_WORDS).await;
        assert!(short.is_ok());
        let other = slots.acquire(Some(b), long).await;
        assert!(other.is_ok());
        drop(first);
        assert!(
            second.await.unwrap(),
            "a's second long query ran once the first ended"
        );
    }
}
