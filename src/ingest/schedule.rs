//! The server's sync scheduler: on the replica that leads, a catch-up when it starts leading,
//! then one run a day after arXiv's announcements, an hour later again after a failed run;
//! one log line per run.

use super::Arxiv;
use super::daily;
use crate::leader::Leadership;
use crate::store::Store;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio_util::sync::CancellationToken;

/// After a failed run, try again this soon rather than waiting a day.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(3600);

/// What the scheduler keeps current, and when.
#[derive(Debug, Clone, clap::Args)]
pub struct SyncOptions {
    /// Keep arXiv current while serving: a catch-up at start, then daily.
    #[arg(long = "arxiv-sync", env = "PAPERS_ARXIV_SYNC", default_value_t = true, action = clap::ArgAction::Set)]
    pub enabled: bool,
    /// Categories whose daily lists are kept, and whose OAI-PMH sets are harvested.
    #[arg(
        long = "arxiv-categories",
        env = "PAPERS_ARXIV_CATEGORIES",
        value_delimiter = ',',
        default_value = "cs.AI,cs.CL,cs.CV,cs.LG"
    )]
    pub categories: Vec<String>,
    /// Hour (UTC) of the daily run; arXiv announces at 00:00 UTC and its feeds follow.
    #[arg(long = "arxiv-sync-hour", env = "PAPERS_ARXIV_SYNC_HOUR", default_value_t = 6,
          value_parser = clap::value_parser!(u8).range(0..24))]
    pub hour_utc: u8,
    /// How far back the first harvest of a set reaches, in days.
    #[arg(
        long = "arxiv-backfill-days",
        env = "PAPERS_ARXIV_BACKFILL_DAYS",
        default_value_t = 7
    )]
    pub backfill_days: u32,
}

/// Seconds until the next `hour_utc:00` after `now` (seconds since the epoch).
fn until_next(now: u64, hour_utc: u8) -> Duration {
    let today = now - now % 86_400 + u64::from(hour_utc) * 3600;
    let next = if today > now { today } else { today + 86_400 };
    Duration::from_secs(next - now)
}

/// Runs until `shutdown`; syncs only while `leader` leads.
pub async fn run(
    arxiv: Arc<Arxiv>,
    store: Arc<dyn Store>,
    options: SyncOptions,
    leader: Arc<Leadership>,
    shutdown: CancellationToken,
) {
    tracing::info!(categories = ?options.categories, hour_utc = options.hour_utc, "arXiv sync scheduled (catch-up as soon as this replica leads)");
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = leader.until_leading() => {}
        }
        let before = daily::SyncStatus::load(store.as_ref()).await.ok().flatten();
        let begun = daily::SyncStatus::begun(before.clone());
        if let Err(e) = begun.save(store.as_ref()).await {
            tracing::warn!(error = %e, "cannot record the sync status");
        }
        let status = tokio::select! {
            _ = shutdown.cancelled() => {
                let stopped = daily::SyncStatus { running: false, ..begun };
                let _ = stopped.save(store.as_ref()).await;
                return;
            }
            s = daily::sync(&arxiv, store.as_ref(), &options.categories, options.backfill_days) => s,
        };
        let mut status = status.follow(&before.unwrap_or_default());
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut wait = until_next(now, options.hour_utc);
        if status.ok {
            tracing::info!(
                records = status.records,
                announced = status.announced.iter().map(|a| a.papers).sum::<u64>(),
                "arXiv sync done"
            );
        } else {
            wait = wait.min(RETRY_AFTER_FAILURE);
            tracing::warn!(errors = %status.errors.join("; "), "arXiv sync failed; the service keeps serving what it has");
        }
        status.next_run = Some(crate::domain::utc_timestamp_at(SystemTime::now() + wait));
        if let Err(e) = status.save(store.as_ref()).await {
            tracing::warn!(error = %e, "cannot record the sync status");
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::until_next;
    use std::time::Duration;

    #[test]
    fn next_run_is_the_coming_hour() {
        let midnight = 20_000 * 86_400;
        assert_eq!(until_next(midnight, 6), Duration::from_secs(6 * 3600));
        assert_eq!(
            until_next(midnight + 7 * 3600, 6),
            Duration::from_secs(23 * 3600)
        );
        assert_eq!(
            until_next(midnight + 6 * 3600, 6),
            Duration::from_secs(86_400)
        );
    }
}
