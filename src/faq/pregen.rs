//! `papers faq`: writes the FAQs of a day's list or a venue track ahead of its readers, at
//! the configured concurrency; FAQs already stored are skipped, so a stopped run resumes.

use super::{FaqService, Lang, Lookup};
use crate::domain::{Date, Paper};
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
    #[arg(long, requires = "category", value_parser = crate::domain::Date::parse_iso)]
    pub date: Option<Date>,
    /// A venue (`ICLR`) whose edition to cover; needs --year.
    #[arg(long, requires = "year")]
    pub venue: Option<String>,
    /// The venue edition's year (`2024`).
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
            let day = store
                .announcements(std::slice::from_ref(category), *date)
                .await?;
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
#[derive(Debug, Clone, Default)]
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

/// Writes the FAQ of each paper not stored yet, at the service's concurrency; `observe`
/// sees the report after each paper.
pub async fn run(
    service: &Arc<FaqService>,
    papers: Vec<Paper>,
    lang: Lang,
    mut observe: impl FnMut(&Report),
) -> Report {
    let mut report = Report::default();
    let mut outcomes = futures_util::stream::iter(papers)
        .map(|paper| {
            let service = service.clone();
            async move { (paper.id.clone(), one(&service, &paper, lang).await) }
        })
        .buffer_unordered(service.concurrency());
    while let Some((id, outcome)) = outcomes.next().await {
        match outcome {
            Ok(true) => report.generated += 1,
            Ok(false) => report.stored_already += 1,
            Err(e) => {
                tracing::warn!(paper = %id, error = %e, "no FAQ");
                report.failed.push((id, e));
            }
        }
        observe(&report);
    }
    report
}

/// Whether a FAQ was written (`false`: it was stored already), or why there is none.
async fn one(service: &Arc<FaqService>, paper: &Paper, lang: Lang) -> Result<bool, String> {
    match service.lookup(paper, lang, None).await {
        Ok(Lookup::Ready(_)) => Ok(false),
        Ok(Lookup::Live(watcher)) => match super::finished(watcher, service.timeout() * 2).await {
            Some(Ok(_)) => Ok(true),
            Some(Err(e)) => Err(e),
            None => Err("no answer in time".to_string()),
        },
        Err(e) => Err(e.to_string()),
    }
}

/// A run started from /admin, as the admin page and `GET /api/admin/faq` show it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct RunStatus {
    /// `cs.CL on 2026-11-27`, `ICLR 2024 Oral`.
    pub selection: String,
    pub lang: String,
    pub total: usize,
    pub generated: u64,
    pub stored_already: u64,
    pub failed: usize,
    /// Why the last failed paper has no FAQ.
    pub last_error: Option<String>,
    pub running: bool,
    pub started: String,
}

impl FaqService {
    /// Starts writing the FAQs of `selection` in the background; an error when a run is
    /// under way already or the selection has no papers.
    pub async fn start_run(
        self: &Arc<Self>,
        selection: Selection,
        lang: Lang,
    ) -> Result<RunStatus, StartError> {
        let papers = papers(&*self.store, &selection)
            .await
            .map_err(|e| StartError::Nothing(crate::telemetry::error_chain(&e)))?;
        let status = RunStatus {
            selection: selection.to_string(),
            lang: lang.code().into(),
            total: papers.len(),
            generated: 0,
            stored_already: 0,
            failed: 0,
            last_error: None,
            running: true,
            started: crate::domain::utc_timestamp(),
        };
        {
            let mut run = self.run.lock().expect("not poisoned");
            if run.as_ref().is_some_and(|r| r.running) {
                return Err(StartError::Running);
            }
            *run = Some(status.clone());
        }
        let this = self.clone();
        tokio::spawn(async move {
            let update = |report: &Report, running: bool| {
                let mut run = this.run.lock().expect("not poisoned");
                if let Some(status) = run.as_mut() {
                    status.generated = report.generated;
                    status.stored_already = report.stored_already;
                    status.failed = report.failed.len();
                    status.last_error = report.failed.last().map(|(id, e)| format!("{id}: {e}"));
                    status.running = running;
                }
            };
            let report = run(&this, papers, lang, |r| update(r, true)).await;
            update(&report, false);
            tracing::info!(%selection, %report, "FAQ pre-generation finished");
        });
        Ok(status)
    }

    /// The run started from /admin, if any.
    pub fn run_status(&self) -> Option<RunStatus> {
        self.run.lock().expect("not poisoned").clone()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("a FAQ pre-generation is running already; wait for it to finish")]
    Running,
    #[error("{0}")]
    Nothing(String),
}
