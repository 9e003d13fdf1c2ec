//! Background jobs (venue imports) as the database keeps them: status, counters, checkpoint.

use serde::Serialize;

/// Where a job is in its life. `queued → running → done | failed | cancelled`; a failed or
/// cancelled job can be queued again (retry), and resumes from its checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    Queued,
    Running,
    Done,
    Failed,
    Cancelled,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            JobStatus::Queued,
            JobStatus::Running,
            JobStatus::Done,
            JobStatus::Failed,
            JobStatus::Cancelled,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }
}

/// One job row.
#[derive(Debug, Clone, Serialize)]
pub struct Job {
    pub id: i64,
    /// What the job does: `venue` (import a venue edition).
    pub kind: String,
    /// The job's parameters, as JSON.
    pub params: String,
    pub status: JobStatus,
    pub fetched: i64,
    pub stored: i64,
    pub skipped: i64,
    pub error: Option<String>,
    /// The last thing the job reported, for people.
    pub message: String,
    /// Where a resumed job starts again (source-specific, e.g. the next page's offset).
    pub checkpoint: Option<String>,
    /// Unix seconds.
    pub created: i64,
    pub started: Option<i64>,
    pub heartbeat: Option<i64>,
    pub finished: Option<i64>,
}

/// What a running job reports after each page.
#[derive(Debug, Clone, Default)]
pub struct JobProgress {
    pub fetched: i64,
    pub stored: i64,
    pub skipped: i64,
    pub message: String,
    pub checkpoint: Option<String>,
}

/// The columns job queries select, in `JobRow` order.
pub(super) const JOB_COLUMNS: &str = "id, kind, params, status, fetched, stored, skipped, \
     error, message, checkpoint, created, started, heartbeat, finished";

#[derive(Debug, sqlx::FromRow)]
pub(super) struct JobRow {
    id: i64,
    kind: String,
    params: String,
    status: String,
    fetched: i64,
    stored: i64,
    skipped: i64,
    error: Option<String>,
    message: String,
    checkpoint: Option<String>,
    created: i64,
    started: Option<i64>,
    heartbeat: Option<i64>,
    finished: Option<i64>,
}

impl JobRow {
    pub fn into_job(self) -> Result<Job, super::StoreError> {
        let status = JobStatus::parse(&self.status).ok_or_else(|| super::StoreError::Corrupt {
            id: format!("job {}", self.id),
            reason: format!("unknown status {}", self.status),
        })?;
        Ok(Job {
            id: self.id,
            kind: self.kind,
            params: self.params,
            status,
            fetched: self.fetched,
            stored: self.stored,
            skipped: self.skipped,
            error: self.error,
            message: self.message,
            checkpoint: self.checkpoint,
            created: self.created,
            started: self.started,
            heartbeat: self.heartbeat,
            finished: self.finished,
        })
    }
}

/// Now, in Unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
