//! Running one venue import: page by page from the source into the store, linking each page
//! to arXiv, reporting progress and stopping when asked.

use super::lists::{self, FileFormat};
use super::{ImportRequest, Page, Record, Source, VenueConfig, link, openreview, pmlr};
use crate::fetch::{Fetcher, Limiter};
use crate::store::{JobProgress, Store};
use serde::Serialize;

/// Records stored per transaction when reading a saved file.
const FILE_PAGE: usize = 1_000;

/// What an import did, counted over every run of its job.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Outcome {
    /// Records read from the source.
    pub fetched: i64,
    /// Records inserted or changed.
    pub stored: i64,
    /// Records already stored as they are.
    pub unchanged: i64,
    /// Records left out: not accepted (unless asked for) or unreadable.
    pub skipped: i64,
    /// Venue records newly linked to their arXiv papers.
    pub linked: i64,
    /// Where the next page starts; `None` when the import is complete.
    pub checkpoint: Option<String>,
    /// The import stopped because its job was cancelled.
    pub cancelled: bool,
    /// Entries the whole import reads, when the source says (for progress bars).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
}

impl Outcome {
    /// Continues the counters of an earlier, interrupted run.
    pub fn resume(progress: &JobProgress) -> Self {
        Outcome {
            fetched: progress.fetched,
            stored: progress.stored,
            skipped: progress.skipped,
            checkpoint: progress.checkpoint.clone(),
            ..Outcome::default()
        }
    }

    pub fn progress(&self) -> JobProgress {
        JobProgress {
            fetched: self.fetched,
            stored: self.stored,
            skipped: self.skipped,
            message: self.to_string(),
            checkpoint: self.checkpoint.clone(),
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "fetched {}, stored {}, unchanged {}, skipped {}, linked to arXiv {}",
            self.fetched, self.stored, self.unchanged, self.skipped, self.linked
        )
    }
}

/// Imports `req` (validated) from `from` (a fresh `Outcome` or one resumed from a job),
/// calling `report` after every page; `report` returning `false` stops the import (the job
/// was cancelled). Each page is one transaction, so a failure loses nothing stored before.
pub async fn run<R>(
    store: &dyn Store,
    config: &VenueConfig,
    req: &ImportRequest,
    from: Outcome,
    mut report: impl FnMut(Outcome) -> R,
) -> anyhow::Result<Outcome>
where
    R: std::future::Future<Output = anyhow::Result<bool>>,
{
    let mut outcome = from;
    let fetcher = Fetcher::new(config.fetch.clone(), Some(Limiter::new(config.interval)));
    let saved = match &req.from_file {
        Some(path) => Some(read_file(path, req)?),
        None => None,
    };
    loop {
        let checkpoint = outcome.checkpoint.as_deref();
        let page = match &saved {
            Some((records, skipped)) => {
                let start: usize = checkpoint.and_then(|c| c.parse().ok()).unwrap_or(0);
                let end = (start + FILE_PAGE).min(records.len());
                Page {
                    records: records.get(start..end).unwrap_or_default().to_vec(),
                    unreadable: if start == 0 { *skipped } else { 0 },
                    next: (end < records.len()).then(|| end.to_string()),
                    total: Some(records.len() as u64 + skipped),
                }
            }
            None => fetch_page(&fetcher, config, req, checkpoint).await?,
        };
        outcome.fetched += page.unreadable as i64;
        outcome.skipped += page.unreadable as i64;
        store_page(store, req, &page.records, &mut outcome).await?;
        outcome.checkpoint = page.next;
        outcome.total = page.total.or(outcome.total);
        let go_on = report(outcome.clone()).await?;
        if !go_on {
            outcome.cancelled = true;
            return Ok(outcome);
        }
        if outcome.checkpoint.is_none() {
            return Ok(outcome);
        }
    }
}

async fn fetch_page(
    fetcher: &Fetcher,
    config: &VenueConfig,
    req: &ImportRequest,
    checkpoint: Option<&str>,
) -> anyhow::Result<Page> {
    let (venue, year, rejected) = (req.venue.as_str(), req.year, req.include_rejected);
    match req.source() {
        Source::Openreview => {
            openreview::fetch_page(fetcher, config, venue, year, false, rejected, checkpoint).await
        }
        Source::OpenreviewV1 => {
            openreview::fetch_page(fetcher, config, venue, year, true, rejected, checkpoint).await
        }
        Source::Pmlr => pmlr::fetch_page(fetcher, config, year, checkpoint).await,
    }
}

/// A saved OpenReview dump or paper list (plain, gzip or zstd) or a PMLR volume folder;
/// its records and how many entries were not. A file none of whose entries reads as the
/// format is an error that says what was expected.
fn read_file(path: &std::path::Path, req: &ImportRequest) -> anyhow::Result<(Vec<Record>, u64)> {
    if path.is_dir() {
        let volume = pmlr::volume(req.year).unwrap_or(0);
        return pmlr::read_folder(path, volume, req.year);
    }
    let name = path.display().to_string();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut crate::import::input::open(&name)?.reader, &mut text)
        .map_err(|e| anyhow::anyhow!("cannot read {name}: {e}"))?;
    let format = req.format.unwrap_or(FileFormat::Openreview);
    let (records, skipped) = match format {
        FileFormat::Openreview => openreview::parse_dump(&text, &req.venue, req.year),
        list => lists::parse(&text, list, &req.venue, req.year),
    }
    .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    if records.is_empty() {
        anyhow::bail!(
            "{name}: none of its {skipped} entries could be read; expected {}",
            format.expected()
        );
    }
    Ok((records, skipped))
}

/// Stores a page's wanted records in one transaction and links them to arXiv.
async fn store_page(
    store: &dyn Store,
    req: &ImportRequest,
    records: &[Record],
    outcome: &mut Outcome,
) -> anyhow::Result<()> {
    outcome.fetched += records.len() as i64;
    let wanted: Vec<Record> = records
        .iter()
        .filter(|r| req.include_rejected || r.accepted)
        .cloned()
        .collect();
    outcome.skipped += (records.len() - wanted.len()) as i64;
    if wanted.is_empty() {
        return Ok(());
    }
    let papers: Vec<_> = wanted
        .iter()
        .map(|r| {
            let mut paper = r.paper.clone();
            crate::domain::editions::in_edition(&mut paper);
            paper
        })
        .collect();
    let written = store.upsert_batch(&papers).await?;
    outcome.stored += (written.inserted + written.updated) as i64;
    outcome.unchanged += written.unchanged as i64;
    outcome.linked += link::link(store, &wanted).await? as i64;
    Ok(())
}
