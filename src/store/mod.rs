//! The source of truth: a `Store` trait with SQLite (embedded default) and PostgreSQL backends.

mod batch;
mod faqs;
mod jobs;
mod postgres;
mod row;
mod sql;
mod sqlite;
mod venues;

use crate::domain::{Announcement, Date, Paper};
use async_trait::async_trait;
use std::str::FromStr;
use std::sync::Arc;

pub use batch::BatchOutcome;
pub use faqs::FaqRow;
pub use jobs::{Job, JobProgress, JobStatus, now};
pub use venues::{Link, TrackCount};

/// Errors carry their cause in the message (not as a `source`), so a report prints it once.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(sqlx::migrate::MigrateError),
    #[error("stored row {id} is corrupt: {reason}")]
    Corrupt { id: String, reason: String },
    #[error("{0}")]
    Config(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Database(e)
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Migrate(e)
    }
}

/// A paper as it stands at one point of the change sequence.
#[derive(Debug, Clone)]
pub struct Change {
    pub seq: i64,
    /// The sequence number at which this paper was first written.
    pub first_seq: i64,
    pub paper: Paper,
}

/// Resumable state of a long-running ingest (an OAI-PMH harvest, the scheduler), saved
/// under a name in the same transaction as the records it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub name: String,
    /// JSON, owned by whoever writes it.
    pub state: String,
}

/// What a write batch carries besides papers; all of it commits together.
#[derive(Debug, Default, Clone, Copy)]
pub struct Extras<'a> {
    pub announcements: &'a [Announcement],
    pub checkpoint: Option<&'a Checkpoint>,
}

/// One day of announcements for some categories, with the nearest days around it.
#[derive(Debug, Clone, Default)]
pub struct AnnouncedDay {
    /// `None` when these categories have no announcements at all.
    pub day: Option<Date>,
    pub entries: Vec<Announcement>,
    pub prev: Option<Date>,
    pub next: Option<Date>,
}

/// Everything the service keeps durably. Both backends behave the same; the shared
/// integration tests hold them to it.
#[async_trait]
pub trait Store: Send + Sync {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    /// Writes one batch in one transaction: all of it or none. A paper whose stored copy
    /// is identical is left alone; one whose stored copy has a later `updated` date is
    /// kept as stored. Every written paper gets a new, strictly increasing `seq`. Papers
    /// must come through `Paper::normalise` (every parser does): PostgreSQL refuses NUL
    /// characters in text.
    async fn upsert_batch(&self, papers: &[Paper]) -> StoreResult<BatchOutcome> {
        self.write_batch(papers, Extras::default()).await
    }

    /// `upsert_batch` plus announcements (kept once per category, day and paper; a later
    /// kind replaces an earlier one) and a checkpoint, all in the one transaction.
    async fn write_batch(&self, papers: &[Paper], extras: Extras<'_>) -> StoreResult<BatchOutcome>;

    /// The state last saved under this checkpoint name.
    async fn checkpoint(&self, name: &str) -> StoreResult<Option<String>>;

    /// The announcements of `day` (or of the latest day that has any) in these categories.
    async fn announcements(
        &self,
        categories: &[String],
        day: Option<Date>,
    ) -> StoreResult<AnnouncedDay>;

    /// Papers written after `after_seq`, in sequence order, at most `limit`.
    async fn changes_since(&self, after_seq: i64, limit: i64) -> StoreResult<Vec<Change>>;

    /// The highest sequence number handed out (0 for an empty database).
    async fn max_seq(&self) -> StoreResult<i64>;

    /// A random id made when the database was created.
    async fn database_id(&self) -> StoreResult<String>;

    /// The papers with these ids, in the order given; unknown ids are left out.
    async fn papers_by_id(&self, ids: &[String]) -> StoreResult<Vec<Paper>>;

    /// The papers whose title has the same key (`domain::title_key`) as one of `titles`,
    /// by id: what venue linking looks at, read from the database, never from the index.
    async fn papers_titled(&self, titles: &[String]) -> StoreResult<Vec<Paper>>;

    /// The most recently published papers.
    async fn latest(&self, limit: i64) -> StoreResult<Vec<Paper>>;

    /// How many papers the database holds: kept by every write batch, never counted.
    async fn count(&self) -> StoreResult<i64>;

    /// Records that venue records are versions of arXiv papers (links already known are
    /// left alone) and re-stamps each newly linked venue record with a new `seq`, so the
    /// index drops it. Returns how many links are new. One transaction.
    async fn link_versions(&self, links: &[Link]) -> StoreResult<u64>;

    /// The links with either end among `ids`.
    async fn links_of(&self, ids: &[String]) -> StoreResult<Vec<Link>>;

    /// A venue edition's works, by title: its arXiv papers carrying the venue and its venue
    /// records not linked to one. `track` (case-insensitive) narrows to one group.
    async fn venue_papers(
        &self,
        venue: &str,
        year: u16,
        track: Option<&str>,
        offset: i64,
        limit: i64,
    ) -> StoreResult<Vec<Paper>>;

    /// Every venue edition and track with its number of works (linked records counted once).
    async fn venue_tracks(&self) -> StoreResult<Vec<TrackCount>>;

    /// Queues a job; `params` is JSON.
    async fn create_job(&self, kind: &str, params: &str) -> StoreResult<Job>;

    async fn job(&self, id: i64) -> StoreResult<Option<Job>>;

    /// The latest jobs, newest first.
    async fn jobs(&self, limit: i64) -> StoreResult<Vec<Job>>;

    /// How many jobs are in each state (states with none left out).
    async fn job_counts(&self) -> StoreResult<Vec<(String, i64)>>;

    /// Takes the oldest queued job and marks it running, atomically: two workers never
    /// get the same job.
    async fn claim_job(&self) -> StoreResult<Option<Job>>;

    /// Records a running job's progress and heartbeat; returns its status (a job cancelled
    /// meanwhile says so, and its worker stops).
    async fn job_progress(&self, id: i64, progress: &JobProgress) -> StoreResult<JobStatus>;

    /// Ends a running job as done or failed (with the reason). A job no longer running
    /// (cancelled) is left as it is.
    async fn finish_job(&self, id: i64, status: JobStatus, error: Option<&str>) -> StoreResult<()>;

    /// Cancels a queued or running job; `false` when it was in neither state.
    async fn cancel_job(&self, id: i64) -> StoreResult<bool>;

    /// Queues a failed or cancelled job again (it resumes from its checkpoint); `false`
    /// when it was in neither state.
    async fn retry_job(&self, id: i64) -> StoreResult<bool>;

    /// Takes the deployment-wide turn `name` for `holder` until `held_until` (ms since 1970)
    /// if it is free at `now` (never taken, released, expired, or already this holder's) and
    /// `next_at` has passed; `false` when another holder has it or it is too early. Renewing
    /// a turn one holds is taking it again.
    async fn take_turn(
        &self,
        name: &str,
        holder: &str,
        now: i64,
        held_until: i64,
    ) -> StoreResult<bool>;

    /// Gives the turn back (if `holder` still has it); the next holder may take it from
    /// `next_at` on.
    async fn end_turn(&self, name: &str, holder: &str, next_at: i64) -> StoreResult<()>;

    /// Queues a running job again (its process is stopping), with `reason` as its message.
    async fn requeue_job(&self, id: i64, reason: &str) -> StoreResult<()>;

    /// Queues again the running jobs whose heartbeat is older than `stale_before` (their
    /// process stopped), with `reason` as their message; returns how many.
    async fn requeue_stale_jobs(&self, stale_before: i64, reason: &str) -> StoreResult<u64>;

    /// The FAQ of a paper in a language by a model from a prompt version, if stored.
    async fn faq(
        &self,
        paper_id: &str,
        lang: &str,
        model: &str,
        prompt_version: &str,
    ) -> StoreResult<Option<FaqRow>>;

    /// Stores a FAQ; one already stored under the same key is kept.
    async fn save_faq(&self, faq: &FaqRow) -> StoreResult<()>;

    /// Waits for in-flight queries and closes the connections.
    async fn close(&self);
}

/// Opens the database the URL names (`sqlite:` or `postgres:`), creating a SQLite file if
/// needed, and runs the embedded migrations.
pub async fn connect(url: &str) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::connect(url).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Arc::new(postgres::connect(url).await?))
    } else {
        Err(StoreError::Config(format!(
            "unsupported database URL {}: use sqlite://PATH or postgres://…",
            redact(url)
        )))
    }
}

/// Opens the database the URL names only if it exists, for commands that only read: a
/// missing SQLite file is an error saying how to make one, not a new empty database.
pub async fn connect_existing(url: &str) -> StoreResult<Arc<dyn Store>> {
    if let Some(file) = sqlite_file(url)?
        && !file.exists()
    {
        return Err(StoreError::Config(format!(
            "no database at {}: import papers (`papers import …`) or start `papers serve` \
             first, or point PAPERS_DATA_DIR / PAPERS_DATABASE_URL at an existing one",
            file.display()
        )));
    }
    connect(url).await
}

/// The file a `sqlite:` URL names (`None` for other databases and in-memory SQLite).
pub fn sqlite_file(url: &str) -> StoreResult<Option<std::path::PathBuf>> {
    if !url.starts_with("sqlite:") || url.contains("mode=memory") {
        return Ok(None);
    }
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)?;
    let file = options.get_filename();
    Ok((file.as_os_str() != ":memory:").then(|| file.to_path_buf()))
}

/// The URL with any password replaced, for logs and error messages.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_string();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redacts_passwords_only() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://data/papers.db"), "sqlite://data/papers.db");
    }
}
