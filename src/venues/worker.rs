//! The background worker of `papers serve`: takes queued import jobs one at a time, runs
//! them, records their progress, and resumes jobs whose process stopped.

use super::{ImportRequest, Outcome, VenueConfig};
use crate::index::SearchIndex;
use crate::store::{Job, JobProgress, JobStatus, Store, now};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often an idle worker looks for queued jobs.
const POLL: Duration = Duration::from_secs(1);
/// Longest a finished job waits for the index before it is marked done anyway.
const SEARCHABLE_WAIT: Duration = Duration::from_secs(60);

/// The job kind of a venue import.
pub const KIND: &str = "venue";

#[derive(Clone)]
pub struct Worker {
    pub store: Arc<dyn Store>,
    pub index: SearchIndex,
    pub config: VenueConfig,
}

impl Worker {
    /// Runs jobs until `shutdown`. A job interrupted by shutdown is queued again and resumes
    /// from its checkpoint at the next start; one whose process died is queued again once
    /// its heartbeat is stale.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut tick = tokio::time::interval(POLL);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tick.tick() => {}
            }
            let stale_before = now() - self.config.stale.as_secs() as i64;
            let reason = "resumed: the process running it stopped";
            match self.store.requeue_stale_jobs(stale_before, reason).await {
                Ok(0) => {}
                Ok(n) => tracing::warn!(jobs = n, "requeued jobs whose process stopped"),
                Err(e) => tracing::warn!(error = %e, "cannot look for stale jobs"),
            }
            loop {
                let job = match self.store.claim_job().await {
                    Ok(Some(job)) => job,
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot take a job");
                        break;
                    }
                };
                tokio::select! {
                    _ = shutdown.cancelled() => {
                        let reason = "interrupted by a server stop; resumes at the next start";
                        if let Err(e) = self.store.requeue_job(job.id, reason).await {
                            tracing::warn!(job = job.id, error = %e, "cannot queue the interrupted job again");
                        }
                        return;
                    }
                    result = self.execute(&job) => {
                        if let Err(e) = self.finish(&job, result).await {
                            tracing::warn!(job = job.id, error = %e, "cannot record the end of a job");
                        }
                    }
                }
            }
        }
    }

    /// Takes one queued job and runs it to its end; `false` when none was queued.
    pub async fn run_once(&self) -> anyhow::Result<bool> {
        let Some(job) = self.store.claim_job().await? else {
            return Ok(false);
        };
        let result = self.execute(&job).await;
        self.finish(&job, result).await?;
        Ok(true)
    }

    /// Records how a job ended: done, failed with the reason, or left cancelled.
    async fn finish(&self, job: &Job, result: anyhow::Result<Outcome>) -> anyhow::Result<()> {
        match result {
            Ok(outcome) if outcome.cancelled => {
                tracing::info!(job = job.id, %outcome, "job cancelled");
            }
            Ok(outcome) => {
                self.until_searchable().await;
                tracing::info!(job = job.id, %outcome, "job done");
                self.store.finish_job(job.id, JobStatus::Done, None).await?;
            }
            Err(e) => {
                let reason = crate::telemetry::error_chain(&e);
                tracing::warn!(job = job.id, error = %reason, "job failed");
                self.store
                    .finish_job(job.id, JobStatus::Failed, Some(&reason))
                    .await?;
            }
        }
        Ok(())
    }

    /// Waits until this replica's index holds every change the database has now (what the
    /// job wrote included), so that a job's `done` means searchable here; gives up after
    /// [`SEARCHABLE_WAIT`]. Only where this process follows the database into its index
    /// (`serve` does; a process without the index writer cannot).
    async fn until_searchable(&self) {
        if self.index.lag_seconds().is_none() {
            return;
        }
        let Ok(target) = self.store.max_seq().await else {
            return;
        };
        let deadline = tokio::time::Instant::now() + SEARCHABLE_WAIT;
        while self.index.watermark().is_ok_and(|w| w.seq < target) {
            if tokio::time::Instant::now() >= deadline {
                tracing::warn!(seq = target, "the index has not caught up with the job yet");
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn execute(&self, job: &Job) -> anyhow::Result<Outcome> {
        tracing::info!(job = job.id, params = %job.params, "job started");
        if job.kind != KIND {
            anyhow::bail!("unknown job kind {:?}", job.kind);
        }
        let req: ImportRequest = serde_json::from_str(&job.params)
            .map_err(|e| anyhow::anyhow!("bad job parameters: {e}"))?;
        let req = req.validated()?;
        let from = Outcome::resume(&JobProgress {
            fetched: job.fetched,
            stored: job.stored,
            skipped: job.skipped,
            message: String::new(),
            checkpoint: job.checkpoint.clone(),
        });
        let store = self.store.clone();
        let id = job.id;
        super::run(
            self.store.as_ref(),
            &self.config,
            &req,
            from,
            |outcome: Outcome| {
                let store = store.clone();
                async move {
                    let status = store.job_progress(id, &outcome.progress()).await?;
                    Ok(status == JobStatus::Running)
                }
            },
        )
        .await
    }
}
