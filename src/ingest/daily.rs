//! The daily sync: an incremental OAI-PMH harvest of the configured categories' sets, then
//! each category's RSS announcements (with any paper not yet stored fetched by id).

use super::harvest::{self, HarvestOptions};
use super::oai::MetadataPrefix;
use super::{Arxiv, IngestError};
use crate::domain::taxonomy::oai_set;
use crate::domain::{Announcement, ArxivId, Date, Paper};
use crate::store::{Extras, Store};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashSet};

/// The checkpoint under which the last sync's outcome is kept.
pub const STATUS_CHECKPOINT: &str = "sync:arxiv";

/// What one category's feed added.
#[derive(Debug, Default, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Announced {
    pub category: String,
    /// `None` for a feed without items (weekends and holidays).
    #[schema(value_type = Option<String>, format = Date)]
    pub day: Option<Date>,
    pub papers: u64,
    /// Announced papers that were not stored yet, fetched through the API.
    pub fetched: u64,
}

/// The outcome of a sync run, kept in the database and shown by `/api/sync`.
#[derive(Debug, Default, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct SyncStatus {
    pub started: Option<String>,
    pub finished: Option<String>,
    pub ok: bool,
    /// Papers inserted or updated by the harvest.
    pub records: u64,
    pub announced: Vec<Announced>,
    /// One line per failed step.
    pub errors: Vec<String>,
    /// When the server's scheduler runs next (UTC).
    pub next_run: Option<String>,
    /// A run is under way (started at `started`); the other fields are the last run's.
    #[serde(default)]
    pub running: bool,
    /// When the current streak of failed runs began (UTC); `None` after a good run.
    #[serde(default)]
    pub failing_since: Option<String>,
}

impl SyncStatus {
    /// What to show while a run goes on: the last run's outcome, marked running since now.
    pub fn begun(last: Option<SyncStatus>) -> SyncStatus {
        SyncStatus {
            running: true,
            started: Some(crate::domain::utc_timestamp()),
            ..last.unwrap_or_default()
        }
    }

    /// Carries the start of a failure streak over from the run before this one.
    pub fn follow(mut self, before: &SyncStatus) -> SyncStatus {
        self.failing_since = if self.ok {
            None
        } else {
            before.failing_since.clone().or(self.started.clone())
        };
        self
    }

    fn finish(mut self) -> Self {
        self.ok = self.errors.is_empty();
        self.finished = Some(crate::domain::utc_timestamp());
        self
    }

    /// The status kept in the database, if a sync ever ran.
    pub async fn load(store: &dyn Store) -> Result<Option<SyncStatus>, IngestError> {
        Ok(store
            .checkpoint(STATUS_CHECKPOINT)
            .await?
            .and_then(|s| serde_json::from_str(&s).ok()))
    }

    pub async fn save(&self, store: &dyn Store) -> Result<(), IngestError> {
        let checkpoint = crate::store::Checkpoint {
            name: STATUS_CHECKPOINT.to_string(),
            state: serde_json::to_string(self).expect("the status always serialises"),
        };
        let extras = Extras {
            checkpoint: Some(&checkpoint),
            ..Extras::default()
        };
        store.write_batch(&[], extras).await?;
        Ok(())
    }
}

/// Runs the whole sync; a failing step is recorded and the others still run. Whoever
/// follows the database (the server, or the command after it) indexes what it stored.
pub async fn sync(
    arxiv: &Arxiv,
    store: &dyn Store,
    categories: &[String],
    backfill_days: u32,
) -> SyncStatus {
    let mut status = SyncStatus {
        started: Some(crate::domain::utc_timestamp()),
        ..SyncStatus::default()
    };
    let sets: BTreeSet<String> = categories.iter().map(|c| oai_set(c)).collect();
    for set in sets {
        match harvest_set(arxiv, store, &set, backfill_days).await {
            Ok(records) => status.records += records,
            Err(e) => {
                let unreachable = e.is_unreachable();
                status.errors.push(format!("OAI-PMH set {set}: {e}"));
                if unreachable {
                    // No network: the other steps would only wait out their retries.
                    status
                        .errors
                        .push("arXiv unreachable: the remaining steps were skipped".into());
                    return status.finish();
                }
            }
        }
    }
    for category in categories {
        match announcements(arxiv, store, category).await {
            Ok(a) => status.announced.push(a),
            Err(e) => status.errors.push(format!("RSS {category}: {e}")),
        }
    }
    status.finish()
}

/// Harvests one set incrementally; a set never harvested starts `backfill_days` back.
async fn harvest_set(
    arxiv: &Arxiv,
    store: &dyn Store,
    set: &str,
    backfill_days: u32,
) -> Result<u64, IngestError> {
    let prefix = MetadataPrefix::Arxiv;
    let first_time = store
        .checkpoint(&harvest::checkpoint_name(Some(set), prefix))
        .await?
        .is_none();
    let options = HarvestOptions {
        set: Some(set.to_string()),
        prefix,
        from: first_time.then(|| Date::today().add_days(-i64::from(backfill_days))),
        until: None,
        max_pages: None,
    };
    let report = harvest::run(arxiv, store, &options, |_| {}).await?;
    Ok(report.stored.inserted + report.stored.updated)
}

/// Stores today's announcements of one category, fetching papers not stored yet.
pub async fn announcements(
    arxiv: &Arxiv,
    store: &dyn Store,
    category: &str,
) -> Result<Announced, IngestError> {
    let feed = arxiv.rss(category).await?;
    for (label, reason) in &feed.skipped {
        tracing::warn!(%category, item = %label, %reason, "skipping an RSS item");
    }
    let mut outcome = Announced {
        category: category.to_string(),
        day: feed.day,
        ..Announced::default()
    };
    let Some(day) = feed.day.filter(|_| !feed.items.is_empty()) else {
        return Ok(outcome);
    };
    let ids: Vec<String> = feed.items.iter().map(|(p, _)| p.id.clone()).collect();
    let known: HashSet<String> = store
        .papers_by_id(&ids)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    let missing: Vec<ArxivId> = ids
        .iter()
        .filter(|id| !known.contains(*id))
        .filter_map(|id| ArxivId::parse(id).ok())
        .collect();
    let mut papers: Vec<Paper> = Vec::new();
    if !missing.is_empty() {
        match arxiv.fetch_ids(&missing).await {
            Ok(found) => papers = found,
            // The feed's own description of a paper still makes the day's list complete.
            Err(e) => {
                tracing::warn!(%category, error = %e, "cannot fetch announced papers; storing the feed's copies")
            }
        }
    }
    outcome.fetched = papers.len() as u64;
    let fetched: HashSet<String> = papers.iter().map(|p| p.id.clone()).collect();
    let mut announced = Vec::with_capacity(feed.items.len());
    for (paper, kind) in feed.items {
        announced.push(Announcement {
            paper_id: paper.id.clone(),
            category: category.to_string(),
            day,
            kind,
        });
        if !known.contains(&paper.id) && !fetched.contains(&paper.id) {
            papers.push(paper);
        }
    }
    outcome.papers = announced.len() as u64;
    let extras = Extras {
        announcements: &announced,
        ..Extras::default()
    };
    store.write_batch(&papers, extras).await?;
    Ok(outcome)
}
