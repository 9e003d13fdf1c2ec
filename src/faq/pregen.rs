//! `papers faq`: writes the FAQs of a day's list or a venue track ahead of its readers, at
//! the configured concurrency; FAQs already stored are skipped, so a stopped run resumes.

use super::{FaqService, Lang, Lookup};
use crate::domain::{Date, Paper};
use crate::progress::Progress;
use crate::store::Store;
use clap::Args;
use futures_util::StreamExt;
use std::sync::Arc;

/// Venue works read for one track, at most.
const MAX_VENUE_PAPERS: i64 = 100_000;

#[derive(Debug, Args)]
pub struct FaqArgs {
    /// A category whose announced daily list to cover (`cs.CL`).
    #[arg(long, conflicts_with = "venue", required_unless_present = "venue")]
    pub category: Option<String>,
    /// The list's day (YYYY-MM-DD); default: the latest announced day.
    #[arg(long, requires = "category", value_parser = crate::config::parse_date)]
    pub date: Option<Date>,
    /// A venue (`ICLR`) whose edition to cover; needs --year.
    #[arg(long, requires = "year")]
    pub venue: Option<String>,
    #[arg(long, requires = "venue")]
    pub year: Option<u16>,
    /// Only this track (`Oral`, `Poster`…).
    #[arg(long, requires = "venue")]
    pub track: Option<String>,
    /// The language to write in: `en` or `zh`.
    #[arg(long, default_value = "en")]
    pub lang: String,
}

/// Which papers to cover.
#[derive(Debug, Clone)]
pub enum Selection {
    Day {
        category: String,
        date: Option<Date>,
    },
    Venue {
        name: String,
        year: u16,
        track: Option<String>,
    },
}

impl FaqArgs {
    pub fn selection(&self) -> Selection {
        match (&self.category, &self.venue, self.year) {
            (Some(category), _, _) => Selection::Day {
                category: category.clone(),
                date: self.date,
            },
            (None, Some(name), Some(year)) => Selection::Venue {
                name: name.clone(),
                year,
                track: self.track.clone(),
            },
            _ => unreachable!("clap requires --category or --venue with --year"),
        }
    }
}

impl std::fmt::Display for Selection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Selection::Day { category, date } => match date {
                Some(d) => write!(f, "{category} on {d}"),
                None => write!(f, "{category}'s latest day"),
            },
            Selection::Venue { name, year, track } => {
                write!(f, "{name} {year}")?;
                track.as_ref().map_or(Ok(()), |t| write!(f, " {t}"))
            }
        }
    }
}

/// The papers a selection covers, in list order; an error when there are none.
pub async fn papers(store: &dyn Store, selection: &Selection) -> anyhow::Result<Vec<Paper>> {
    let papers = match selection {
        Selection::Day { category, date } => {
            let day = store.announcements(&[category.clone()], *date).await?;
            let ids: Vec<String> = day.entries.into_iter().map(|a| a.paper_id).collect();
            store.papers_by_id(&ids).await?
        }
        Selection::Venue { name, year, track } => {
            store
                .venue_papers(name, *year, track.as_deref(), 0, MAX_VENUE_PAPERS)
                .await?
        }
    };
    anyhow::ensure!(
        !papers.is_empty(),
        "no stored papers for {selection} (is the day announced, the venue imported?)"
    );
    Ok(papers)
}

/// What a run did.
#[derive(Debug, Default, serde::Serialize)]
pub struct Report {
    pub generated: u64,
    pub stored_already: u64,
    /// Papers without a FAQ, with the reason.
    pub failed: Vec<(String, String)>,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "generated {}, stored already {}, failed {}",
            self.generated,
            self.stored_already,
            self.failed.len()
        )
    }
}

/// Writes the FAQ of each paper not stored yet, `concurrency` at a time.
pub async fn run(
    service: &Arc<FaqService>,
    papers: &[Paper],
    lang: Lang,
    concurrency: usize,
    progress: &Progress,
) -> Report {
    let mut report = Report::default();
    let mut outcomes = futures_util::stream::iter(papers)
        .map(|paper| async move {
            let outcome = match service.lookup(paper, lang, None).await {
                Ok(Lookup::Ready(_)) => Ok(false),
                Ok(Lookup::Live(watcher)) => {
                    match super::finished(watcher, service.timeout() * 2).await {
                        Some(Ok(_)) => Ok(true),
                        Some(Err(e)) => Err(e),
                        None => Err("no answer in time".to_string()),
                    }
                }
                Err(e) => Err(e.to_string()),
            };
            (paper.id.clone(), outcome)
        })
        .buffer_unordered(concurrency.max(1));
    while let Some((id, outcome)) = outcomes.next().await {
        match outcome {
            Ok(true) => report.generated += 1,
            Ok(false) => report.stored_already += 1,
            Err(e) => {
                tracing::warn!(paper = %id, error = %e, "no FAQ");
                report.failed.push((id, e));
            }
        }
        progress.advance(1);
    }
    progress.finish();
    report
}
