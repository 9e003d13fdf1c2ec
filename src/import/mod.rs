//! Bulk import: stream records from a file into the store in batches, with the index following.

pub mod input;
mod jsonl;
pub(crate) mod snapshot;

/// Parses one line of the generic JSON-lines format (for tools and the fuzz tests).
pub use jsonl::parse as parse_jsonl_line;
/// Parses one line of the arXiv metadata snapshot (for benchmarks and tools).
pub use snapshot::parse as parse_snapshot_line;

use crate::domain::{DateError, IdError, Paper};
use crate::index::{CommitPolicy, Syncer};
use crate::progress::Progress;
use crate::store::{BatchOutcome, Store};
use input::Line;
use serde::Serialize;
use std::io::BufRead;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, mpsc};

/// Papers per database transaction.
pub const BATCH: usize = 1_000;
/// Skipped lines logged one by one before the rest are only counted.
const LOGGED_SKIPS: u64 = 20;

/// Why one line of an import was skipped.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The line's length in bytes, over `input::MAX_LINE`.
    #[error(
        "record of {:.1} MB is over the {} MB limit",
        *.0 as f64 / 1e6,
        input::MAX_LINE / (1024 * 1024)
    )]
    TooLong(usize),
    #[error("not valid UTF-8 ({0})")]
    Utf8(#[from] std::str::Utf8Error),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Id(#[from] IdError),
    /// A generic record's id that is neither a string nor a number.
    #[error("id must be a string, not {0}")]
    IdType(serde_json::Value),
    #[error("bad id {0:?}: 1 to {max} characters, no spaces", max = jsonl::MAX_ID)]
    BadId(String),
    #[error("missing title")]
    NoTitle,
    #[error("{field}: {source}")]
    Date {
        field: &'static str,
        source: DateError,
    },
    #[error("venue needs a year")]
    VenueWithoutYear,
}

/// The record formats `papers import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The arXiv metadata snapshot (Kaggle `arxiv-metadata-oai-snapshot`).
    ArxivSnapshot,
    /// One paper per line: `{"id", "title", "abstract", "authors", "categories", "published"}`.
    Jsonl,
}

impl Format {
    /// The subcommand that reads this format.
    pub fn name(self) -> &'static str {
        match self {
            Format::ArxivSnapshot => "arxiv-snapshot",
            Format::Jsonl => "jsonl",
        }
    }

    fn parser(self) -> fn(&str) -> Result<Paper, RecordError> {
        match self {
            Format::ArxivSnapshot => snapshot::parse,
            Format::Jsonl => jsonl::parse,
        }
    }
}

/// What an import did.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Summary {
    pub read: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub skipped: u64,
    pub seconds: f64,
    /// Set when the input ended in an error (a truncated download, say): every complete
    /// record before it was stored.
    pub input_error: Option<String>,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rate = self.read as f64 / self.seconds.max(1e-3);
        write!(
            f,
            "read {}, inserted {}, updated {}, unchanged {}, skipped {} in {:.1} s ({rate:.0} records/s)",
            self.read, self.inserted, self.updated, self.unchanged, self.skipped, self.seconds
        )
    }
}

/// Reads every line of `input`, writes the papers to `store` in transactions of `BATCH`,
/// and, given a syncer, keeps the index following the database as it fills.
pub async fn run(
    store: Arc<dyn Store>,
    syncer: Option<Syncer>,
    input: input::Input,
    format: Format,
) -> anyhow::Result<Summary> {
    // For a file, the share of it read so far gives the bar a length and an ETA.
    let progress = Progress::new("importing", input.meter.as_ref().map(|_| 0));
    let meter = input.meter;
    let input = input.reader;
    let (tx, mut rx) = mpsc::channel::<Vec<Paper>>(4);
    let parse = format.parser();
    let reader = std::thread::spawn(move || read_batches(input, parse, tx));

    // Filling an empty index, its segments are merged once, at the end.
    let bulk = match &syncer {
        Some(syncer) => syncer.begin_bulk().await?,
        None => false,
    };
    let written = Arc::new(Notify::new());
    let follower = syncer
        .clone()
        .map(|s| tokio::spawn(follow(s, written.clone())));
    let mut outcome = BatchOutcome::default();
    let mut failure = None;
    while let Some(batch) = rx.recv().await {
        match store.upsert_batch(&batch).await {
            Ok(o) => outcome += o,
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
        progress.advance(batch.len() as u64);
        if let Some(m) = &meter {
            let fraction = m.fraction();
            if fraction > 0.0 {
                progress.set_length((progress.done() as f64 / fraction) as u64);
            }
        }
        written.notify_one();
    }
    drop(rx); // stops the reader if the store failed
    let mut summary = reader
        .join()
        .map_err(|_| anyhow::anyhow!("the input reader panicked"))?;
    if let Some(f) = follower {
        f.abort();
        let _ = f.await;
    }
    if let Some(e) = failure {
        return Err(
            anyhow::Error::new(e).context("import stopped; every batch before this one is stored")
        );
    }
    if let Some(syncer) = syncer {
        syncer.catch_up(CommitPolicy::Now, None).await?;
        if bulk {
            // Part of the import's time: it leaves one segment, as a server would.
            tracing::info!("merging the index into one segment");
            let merged = syncer.end_bulk().await?;
            tracing::info!(segments = merged, "index merged");
        }
    }
    progress.finish();
    summary.inserted = outcome.inserted;
    summary.updated = outcome.updated;
    summary.unchanged = outcome.unchanged;
    summary.seconds = progress.elapsed().as_secs_f64();
    Ok(summary)
}

/// Indexes what the import has written, as it goes.
pub(crate) async fn follow(syncer: Syncer, written: Arc<Notify>) {
    loop {
        written.notified().await;
        if let Err(e) = syncer.catch_up(CommitPolicy::WhenDue, None).await {
            tracing::warn!(error = %e, "indexing during import failed; it is retried at the end");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

/// Runs on its own thread: reads and parses lines, sends full batches, counts skips.
fn read_batches(
    mut input: Box<dyn BufRead + Send>,
    parse: fn(&str) -> Result<Paper, RecordError>,
    tx: mpsc::Sender<Vec<Paper>>,
) -> Summary {
    let mut summary = Summary::default();
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut batch = Vec::with_capacity(BATCH);
    let mut line_no = 0u64;
    loop {
        let line = match input::read_line(&mut input, &mut buf, input::MAX_LINE) {
            Ok(Some(line)) => line,
            Ok(None) => break,
            Err(e) => {
                summary.input_error = Some(format!("input unreadable after line {line_no}: {e}"));
                break;
            }
        };
        line_no += 1;
        if line_no == 1 {
            input::strip_bom(&mut buf);
        }
        if line == Line::Text && buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        summary.read += 1;
        let parsed = match line {
            Line::TooLong(n) => Err(RecordError::TooLong(n)),
            Line::Text => std::str::from_utf8(&buf)
                .map_err(RecordError::from)
                .and_then(parse),
        };
        match parsed {
            Ok(paper) => batch.push(paper),
            Err(reason) => {
                summary.skipped += 1;
                if summary.skipped <= LOGGED_SKIPS {
                    tracing::warn!("line {line_no} skipped: {reason}");
                } else if summary.skipped == LOGGED_SKIPS + 1 {
                    tracing::warn!("more lines skipped; only counting them from now on");
                }
            }
        }
        if batch.len() == BATCH {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
            if tx.blocking_send(full).is_err() {
                return summary;
            }
        }
    }
    if !batch.is_empty() {
        let _ = tx.blocking_send(batch);
    }
    summary
}
