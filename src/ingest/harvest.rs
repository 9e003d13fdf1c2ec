//! The resumable OAI-PMH harvest: every page's records and the checkpoint (resumption
//! token and date window) commit in one transaction, so a killed harvest resumes where it
//! stopped, and a finished one makes the next run incremental.

use super::oai::{MetadataPrefix, Reply, Request};
use super::{Arxiv, IngestError};
use crate::domain::Date;
use crate::store::{BatchOutcome, Checkpoint, Extras, Store};
use serde::{Deserialize, Serialize};

/// What to harvest.
#[derive(Debug, Clone)]
pub struct HarvestOptions {
    pub set: Option<String>,
    pub prefix: MetadataPrefix,
    /// Start of the window; without it, a finished earlier harvest's last datestamp (an
    /// incremental run), else everything.
    pub from: Option<Date>,
    pub until: Option<Date>,
    /// Stop after this many pages, leaving the checkpoint to resume from.
    pub max_pages: Option<u64>,
}

/// The checkpoint stored with every page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HarvestState {
    pub from: Option<Date>,
    pub until: Option<Date>,
    /// The token for the next page; `None` before the first page and after the last.
    pub token: Option<String>,
    /// The window's pages are all stored.
    pub done: bool,
    /// The latest record datestamp seen: where the next incremental run starts.
    pub last_datestamp: Option<Date>,
    pub pages: u64,
    pub records: u64,
}

/// What a harvest run did.
#[derive(Debug, Default, Clone, Serialize)]
pub struct HarvestReport {
    pub pages: u64,
    pub stored: BatchOutcome,
    pub deleted: u64,
    pub skipped: u64,
    /// Identifiers of skipped records (the first 100).
    pub skipped_ids: Vec<String>,
    /// The run picked up an unfinished harvest's resumption token.
    pub resumed: bool,
    /// The whole window is harvested (false when `max_pages` stopped the run).
    pub complete: bool,
    /// Times an expired resumption token made the window restart.
    pub restarts: u64,
    pub from: Option<Date>,
    pub last_datestamp: Option<Date>,
}

/// The checkpoint name for a set and format.
pub fn checkpoint_name(set: Option<&str>, prefix: MetadataPrefix) -> String {
    format!("oai:{}:{}", set.unwrap_or("*"), prefix.as_str())
}

/// Harvests the window, page by page, calling `after_page` once each page is stored (the
/// caller indexes and reports progress there).
pub async fn run(
    arxiv: &Arxiv,
    store: &dyn Store,
    options: &HarvestOptions,
    mut after_page: impl FnMut(&HarvestReport),
) -> Result<HarvestReport, IngestError> {
    let name = checkpoint_name(options.set.as_deref(), options.prefix);
    let saved: Option<HarvestState> = store
        .checkpoint(&name)
        .await?
        .and_then(|s| serde_json::from_str(&s).ok());
    let mut report = HarvestReport::default();
    let mut state = match saved {
        // An unfinished window (same bounds, or none asked for) resumes from its token.
        Some(s)
            if !s.done
                && s.token.is_some()
                && options.from.is_none_or(|f| Some(f) == s.from)
                && options.until.is_none_or(|u| Some(u) == s.until) =>
        {
            report.resumed = true;
            s
        }
        Some(s) => HarvestState {
            from: options.from.or(s.last_datestamp),
            until: options.until,
            last_datestamp: s.last_datestamp,
            ..HarvestState::default()
        },
        None => HarvestState {
            from: options.from,
            until: options.until,
            ..HarvestState::default()
        },
    };
    report.from = state.from;
    let from = state
        .from
        .map_or_else(|| "the start".to_string(), |d| d.to_string());
    tracing::info!(checkpoint = %name, %from, resumed = report.resumed, "harvesting arXiv OAI-PMH");
    let mut restarted_without_progress = false;
    loop {
        if options.max_pages.is_some_and(|m| report.pages >= m) {
            return Ok(report);
        }
        let request = match &state.token {
            Some(token) => Request::Resume(token.clone()),
            None => Request::Window {
                prefix: options.prefix,
                set: options.set.clone(),
                from: state.from,
                until: state.until,
            },
        };
        let page = match arxiv.list_records(&request).await? {
            Reply::Page(page) => page,
            Reply::NoRecords => Default::default(),
            Reply::BadToken(message) => {
                if restarted_without_progress {
                    return Err(IngestError::Oai {
                        code: "badResumptionToken".into(),
                        message,
                    });
                }
                // Tokens expire daily: start the window again (stored pages re-upsert as
                // unchanged).
                tracing::warn!(%message, "resumption token rejected; restarting the window");
                restarted_without_progress = true;
                report.restarts += 1;
                state.token = None;
                continue;
            }
            Reply::Error { code, message } => return Err(IngestError::Oai { code, message }),
        };
        restarted_without_progress = false;
        state.token = page.token.clone();
        state.done = page.token.is_none();
        state.pages += 1;
        state.records += page.papers.len() as u64;
        state.last_datestamp = state.last_datestamp.max(page.max_datestamp);
        let checkpoint = Checkpoint {
            name: name.clone(),
            state: serde_json::to_string(&state).expect("the state always serialises"),
        };
        let extras = Extras {
            checkpoint: Some(&checkpoint),
            ..Extras::default()
        };
        report.stored += store.write_batch(&page.papers, extras).await?;
        report.pages += 1;
        report.deleted += page.deleted;
        report.skipped += page.skipped.len() as u64;
        for (id, _) in page.skipped {
            if report.skipped_ids.len() < 100 {
                report.skipped_ids.push(id);
            }
        }
        report.last_datestamp = state.last_datestamp;
        after_page(&report);
        if state.done {
            report.complete = true;
            return Ok(report);
        }
    }
}
