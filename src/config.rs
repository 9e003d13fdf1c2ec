//! Command-line options and their `PAPERS_*` environment variables.

use crate::import::Format;
use crate::ingest::ArxivOptions;
use crate::ingest::schedule::SyncOptions;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

pub use crate::ingest::command::{IngestArgs, IngestSource};
pub use crate::services::Global;

#[derive(Debug, Parser)]
#[command(
    name = "papers",
    version,
    about = "Self-hosted paper search: arXiv and ML venues"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(flatten)]
    pub embed: crate::embed::EmbedOptions,
    #[command(flatten)]
    pub llm: crate::faq::LlmOptions,
    #[command(flatten)]
    pub arxiv: ArxivOptions,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web pages and JSON API.
    Serve(ServeArgs),
    /// Import papers from a file.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Fetch papers from arXiv (OAI-PMH, the API, the daily RSS lists).
    Ingest(IngestArgs),
    /// Rebuild the search index from the database.
    Reindex,
    /// Merge the search index's segments into one, which makes searches cheaper (a running
    /// server does it by itself a minute after the last new paper).
    Compact,
    /// Search the index from the command line.
    Search(SearchArgs),
    /// Show what the database and the index hold.
    Status(StatusArgs),
    /// Measure ranking quality on a BEIR collection (nDCG@10, Recall@100, MRR@10).
    Eval(EvalArgs),
    /// Embed every paper not embedded yet with the configured embedder, then exit.
    Embed(crate::embed::backfill::EmbedArgs),
    /// Copy a SQLite database, consistently, while the server runs (PostgreSQL: pg_dump).
    Backup(BackupArgs),
    /// Ask a running server's `/healthz` (the container's HEALTHCHECK): exit 0 when it
    /// answers 200 within 5 s, 1 otherwise.
    Healthcheck(HealthcheckArgs),
    /// Write the paper FAQs of a day's list or a venue track ahead of readers (needs
    /// PAPERS_LLM_URL); FAQs stored already are skipped, so a stopped run resumes.
    Faq(crate::faq::pregen::FaqArgs),
}

#[derive(Debug, Args)]
pub struct HealthcheckArgs {
    /// The server's address (what `serve --bind` listens on; 0.0.0.0 is asked as 127.0.0.1).
    #[arg(long, env = "PAPERS_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The copy to write; it must not exist yet.
    pub file: std::path::PathBuf,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "PAPERS_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    #[command(flatten)]
    pub sync: SyncOptions,
    /// Secret for `/admin` and `/api/admin/…`; without it the admin pages are disabled.
    #[arg(long, env = "PAPERS_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// The site's public address (`https://papers.example.org`) for absolute links in feeds
    /// and OpenSearch, instead of the request's Host header; `https://` also marks the admin
    /// cookie Secure.
    #[arg(long, env = "PAPERS_BASE_URL", value_parser = parse_base_url)]
    pub base_url: Option<String>,
    /// Seconds without a new paper after which the server merges the index's segments into
    /// one (0: never).
    #[arg(long, env = "PAPERS_COMPACT_AFTER_SECS", default_value_t = 60)]
    pub compact_after_secs: u64,
    /// Seconds a replica's claim to run the schedules lasts without renewal: how soon
    /// another replica takes over from one that died (renewed every third of it).
    #[arg(long, env = "PAPERS_LEADER_LEASE_SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(3..=3600))]
    pub leader_lease_secs: u64,
    /// Serve `GET /metrics` (Prometheus text format); `false` turns it off.
    #[arg(long, env = "PAPERS_METRICS", default_value_t = true, action = clap::ArgAction::Set)]
    pub metrics: bool,
    /// Searches run at once (the others wait their turn) [default: two per core].
    #[arg(long, env = "PAPERS_SEARCH_CONCURRENCY", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub search_concurrency: Option<u32>,
    #[command(flatten)]
    pub connections: crate::web::server::ConnectionOptions,
    #[command(flatten)]
    pub sources: SourceArgs,
}

/// Why a `--base-url` was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
enum BaseUrlError {
    #[error("the base URL starts with http:// or https://")]
    Scheme,
    #[error("{0:?} is not a base URL like https://papers.example.org")]
    Host(String),
}

fn parse_base_url(raw: &str) -> Result<String, BaseUrlError> {
    let base = raw.trim().trim_end_matches('/');
    let host = base
        .strip_prefix("https://")
        .or_else(|| base.strip_prefix("http://"))
        .ok_or(BaseUrlError::Scheme)?;
    if host.is_empty() || host.contains(|c: char| c.is_whitespace() || "\"'<>".contains(c)) {
        return Err(BaseUrlError::Host(raw.to_string()));
    }
    Ok(base.to_string())
}

/// Where venue imports fetch from, and how politely.
#[derive(Debug, Clone, Args)]
pub struct SourceArgs {
    /// OpenReview API v2 (ICLR 2024 on).
    #[arg(
        long,
        env = "PAPERS_OPENREVIEW_URL",
        default_value = "https://api2.openreview.net"
    )]
    pub openreview_url: String,
    /// OpenReview API v1 (ICLR before 2024).
    #[arg(
        long,
        env = "PAPERS_OPENREVIEW_V1_URL",
        default_value = "https://api.openreview.net"
    )]
    pub openreview_v1_url: String,
    /// PMLR proceedings (ICML).
    #[arg(
        long,
        env = "PAPERS_PMLR_URL",
        default_value = "https://proceedings.mlr.press"
    )]
    pub pmlr_url: String,
    /// Seconds between two requests to a venue source.
    #[arg(long, env = "PAPERS_VENUE_INTERVAL", default_value_t = 1.0)]
    pub venue_interval: f64,
    /// Seconds without a heartbeat after which a running job's process counts as dead and
    /// another replica (or the next start) resumes the job from its checkpoint.
    #[arg(long, env = "PAPERS_JOB_STALE_SECS", default_value_t = 120,
          value_parser = clap::value_parser!(u64).range(2..=86400))]
    pub job_stale_secs: u64,
}

impl SourceArgs {
    pub fn venue_config(&self) -> crate::venues::VenueConfig {
        crate::venues::VenueConfig {
            openreview_url: self.openreview_url.clone(),
            openreview_v1_url: self.openreview_v1_url.clone(),
            pmlr_url: self.pmlr_url.clone(),
            interval: std::time::Duration::from_secs_f64(self.venue_interval.clamp(0.0, 3600.0)),
            stale: std::time::Duration::from_secs(self.job_stale_secs),
            ..Default::default()
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// The arXiv metadata snapshot, JSON lines (`-` for stdin; .gz and .zst are read as such).
    ArxivSnapshot(ImportArgs),
    /// One paper per JSON line: {"id", "title", "abstract", "authors", "categories", "published"}.
    Jsonl(ImportArgs),
    /// A venue edition (ICLR from OpenReview, ICML from PMLR), or its saved files.
    Venue(VenueArgs),
}

impl ImportCommand {
    /// The file format and arguments of a file import; `None` for a venue import.
    pub fn format_and_args(&self) -> Option<(Format, &ImportArgs)> {
        match self {
            ImportCommand::ArxivSnapshot(a) => Some((Format::ArxivSnapshot, a)),
            ImportCommand::Jsonl(a) => Some((Format::Jsonl, a)),
            ImportCommand::Venue(_) => None,
        }
    }
}

#[derive(Debug, Args)]
pub struct VenueArgs {
    /// `ICLR` or `ICML`.
    #[arg(long)]
    pub venue: String,
    #[arg(long)]
    pub year: u16,
    /// Where to read it (default: OpenReview for ICLR, PMLR for ICML).
    #[arg(long, value_enum)]
    pub source: Option<crate::venues::Source>,
    /// A saved OpenReview JSON dump, a paper list (see --format) or a PMLR volume folder,
    /// instead of the network; gzip and zstd files are read as such.
    #[arg(long)]
    pub from_file: Option<PathBuf>,
    /// The shape of --from-file: an OpenReview dump (default), a Paper Copilot list or an
    /// airas-papers-db list.
    #[arg(long, value_enum, requires = "from_file")]
    pub format: Option<crate::venues::lists::FileFormat>,
    /// Also store rejected, withdrawn and workshop papers.
    #[arg(long)]
    pub include_rejected: bool,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub sources: SourceArgs,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// File to read, or `-` for standard input.
    pub path: String,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Words to look for (OR-ed, ranked by BM25).
    #[arg(required = true)]
    pub query: Vec<String>,
    /// Print `{"total", "hits": [{"id", "title", "score"}]}`.
    #[arg(long)]
    pub json: bool,
    /// Number of hits.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(0..=1000))]
    pub limit: u16,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// A BEIR collection: corpus.jsonl, queries.jsonl, qrels/<split>.tsv.
    #[arg(long)]
    pub beir: PathBuf,
    /// Which qrels to score against (comma-separated for several in one run).
    #[arg(long, default_value = "test", value_delimiter = ',')]
    pub split: Vec<String>,
    /// Weights to try for the title field (comma-separated); the first is the default.
    #[arg(long, value_delimiter = ',')]
    pub title_boost: Vec<f32>,
    /// Also score BM25 reranked by the configured embedder (embeds the corpus first).
    #[arg(long)]
    pub rerank: bool,
    /// Cosine weights to try when reranking (comma-separated; default: the server's).
    #[arg(long, value_delimiter = ',')]
    pub rerank_weight: Vec<f32>,
    /// BM25 candidates to rerank, each scored (comma-separated; default: the server's).
    #[arg(long, value_delimiter = ',')]
    pub rerank_depths: Vec<usize>,
    /// An arXiv metadata snapshot (`.gz`/`.zst` read as such, `-` standard input) imported
    /// beside the collection: papers without judgements that the judged ones must outrank, to
    /// score the ranking on a corpus of realistic size.
    #[arg(long)]
    pub distractors: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::{Cli, Command};
    use clap::Parser;

    #[test]
    fn global_options_go_before_or_after_the_subcommand() {
        let orders = [
            &[
                "papers",
                "--arxiv-rss-url",
                "http://x/rss",
                "--data-dir",
                "d",
                "serve",
            ][..],
            &[
                "papers",
                "serve",
                "--arxiv-rss-url",
                "http://x/rss",
                "--data-dir",
                "d",
            ],
            &[
                "papers",
                "--data-dir",
                "d",
                "serve",
                "--arxiv-rss-url",
                "http://x/rss",
            ],
        ];
        for args in orders {
            let cli = Cli::try_parse_from(args).unwrap();
            assert_eq!(cli.arxiv.rss_url, "http://x/rss", "{args:?}");
            assert_eq!(cli.global.data_dir, std::path::Path::new("d"), "{args:?}");
            assert!(matches!(cli.command, Command::Serve(_)));
        }
        let cli = Cli::try_parse_from([
            "papers",
            "ingest",
            "arxiv-rss",
            "cs.CL",
            "--arxiv-delay-ms",
            "5",
            "--database-url",
            "sqlite://x.db",
        ])
        .unwrap();
        assert_eq!(cli.arxiv.delay_ms, 5);
        assert_eq!(cli.global.database_url.as_deref(), Some("sqlite://x.db"));
    }
}
