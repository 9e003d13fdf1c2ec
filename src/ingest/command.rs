//! `papers ingest …`: the arXiv sources run from the command line, with the index following.

use super::daily::{self, SyncStatus};
use super::harvest::{self, HarvestOptions, HarvestReport};
use super::oai::MetadataPrefix;
use super::schedule::SyncOptions;
use super::{Arxiv, ArxivOptions, IngestError};
use crate::domain::{ArxivId, Date};
use crate::progress::Progress;
use crate::services::{Global, Services};
use clap::{Args, Subcommand};
use serde::Serialize;

pub async fn run(global: &Global, options: &ArxivOptions, args: IngestArgs) -> anyhow::Result<()> {
    let services = Services::open(global).await?;
    services.catch_up().await?;
    let arxiv = Arxiv::shared(options.clone(), services.store.clone());
    // The index follows the database while the source is read.
    let written = std::sync::Arc::new(tokio::sync::Notify::new());
    let follower = services
        .syncer
        .clone()
        .map(|s| tokio::spawn(crate::import::follow(s, written.clone())));
    let outcome = ingest(&services, &arxiv, &args.source, &written).await;
    if let Some(f) = follower {
        f.abort();
        let _ = f.await;
    }
    // Whatever was stored before a failure is indexed too.
    let indexed = services.catch_up().await;
    services.close().await?;
    let (summary, failure) = outcome?;
    indexed?;
    if args.json {
        println!("{summary}");
    } else {
        let value: serde_json::Value = serde_json::from_str(&summary)?;
        println!("{}", serde_json::to_string_pretty(&value)?);
    }
    match failure {
        Some(e) => anyhow::bail!("{e}"),
        None => Ok(()),
    }
}

/// The outcome as JSON, and the error that ended the run early, if any.
type Outcome = (String, Option<String>);

fn json(value: &impl Serialize) -> String {
    serde_json::to_string(value).expect("reports always serialise")
}

async fn ingest(
    services: &Services,
    arxiv: &Arxiv,
    source: &IngestSource,
    written: &tokio::sync::Notify,
) -> anyhow::Result<Outcome> {
    let store = services.store.as_ref();
    match source {
        IngestSource::ArxivOai {
            set,
            from,
            until,
            metadata_prefix,
            max_pages,
        } => {
            let options = HarvestOptions {
                set: set.clone(),
                prefix: *metadata_prefix,
                from: *from,
                until: *until,
                max_pages: *max_pages,
            };
            let progress = Progress::new("harvesting", None);
            let mut last = HarvestReport::default();
            let result = harvest::run(arxiv, store, &options, |report| {
                let s = report.stored;
                progress.advance(s.inserted + s.updated + s.unchanged - progress.done());
                written.notify_one();
                last = report.clone();
            })
            .await;
            progress.finish();
            match result {
                Ok(report) => Ok((json(&report), None)),
                Err(e) => Ok((
                    json(&last),
                    Some(format!(
                        "harvest stopped: {e} (every page before it is stored; run again to resume)"
                    )),
                )),
            }
        }
        IngestSource::ArxivIds { ids } => {
            let parsed = ids
                .iter()
                .map(|i| ArxivId::parse(i))
                .collect::<Result<Vec<_>, _>>()?;
            let papers = arxiv.fetch_ids(&parsed).await?;
            let stored = store
                .upsert_batch(&papers)
                .await
                .map_err(IngestError::from)?;
            let missing: Vec<&str> = parsed
                .iter()
                .map(ArxivId::as_str)
                .filter(|id| !papers.iter().any(|p| p.id == *id))
                .collect();
            #[derive(Serialize)]
            struct Fetched<'a> {
                found: usize,
                stored: crate::store::BatchOutcome,
                not_found: Vec<&'a str>,
            }
            let summary = json(&Fetched {
                found: papers.len(),
                stored,
                not_found: missing.clone(),
            });
            let failure = (!missing.is_empty())
                .then(|| format!("arXiv does not know {}", missing.join(", ")));
            Ok((summary, failure))
        }
        IngestSource::ArxivRss { categories } => {
            let mut all = Vec::new();
            let mut errors = Vec::new();
            for category in categories {
                match daily::announcements(arxiv, store, category).await {
                    Ok(a) => all.push(a),
                    Err(e) => errors.push(format!("{category}: {e}")),
                }
            }
            let failure = (!errors.is_empty()).then(|| errors.join("; "));
            Ok((json(&all), failure))
        }
        IngestSource::ArxivSync { sync } => {
            let status: SyncStatus =
                daily::sync(arxiv, store, &sync.categories, sync.backfill_days).await;
            status.save(store).await?;
            let failure = (!status.ok).then(|| status.errors.join("; "));
            Ok((json(&status), failure))
        }
    }
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Print the outcome as JSON.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub source: IngestSource,
}

#[derive(Debug, Subcommand)]
pub enum IngestSource {
    /// Harvest OAI-PMH `ListRecords`, resumably; without --from, continue from the last run.
    ArxivOai {
        /// OAI-PMH set: `cs`, `math`, `physics:hep-th`… (all of arXiv when absent).
        #[arg(long)]
        set: Option<String>,
        /// First datestamp (YYYY-MM-DD).
        #[arg(long, value_parser = Date::parse_iso)]
        from: Option<Date>,
        /// Last datestamp (YYYY-MM-DD).
        #[arg(long, value_parser = Date::parse_iso)]
        until: Option<Date>,
        #[arg(long, value_enum, default_value = "arXiv")]
        metadata_prefix: MetadataPrefix,
        /// Stop after this many pages (the next run resumes).
        #[arg(long)]
        max_pages: Option<u64>,
    },
    /// Fetch papers by arXiv id through the arXiv API.
    ArxivIds {
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Store today's announcements (new, cross-lists, replacements) of these categories.
    ArxivRss {
        #[arg(required = true, value_delimiter = ',')]
        categories: Vec<String>,
    },
    /// Run the server's daily sync once: OAI-PMH increments, then the daily lists.
    ArxivSync {
        #[command(flatten)]
        sync: SyncOptions,
    },
}
