//! Command-line options and their `PAPERS_*` environment variables.

use crate::domain::Date;
use crate::import::Format;
use crate::ingest::ArxivOptions;
use crate::ingest::oai::MetadataPrefix;
use crate::ingest::schedule::SyncOptions;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "papers",
    version,
    about = "Self-hosted paper search: arXiv and ML venues"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Clone, Args)]
pub struct Global {
    /// Database: `sqlite://PATH` (created on first use) or `postgres://USER@HOST/DB`.
    #[arg(
        long,
        global = true,
        env = "PAPERS_DATABASE_URL",
        default_value = "sqlite://data/papers.db"
    )]
    pub database_url: String,
    /// Directory for the search index and other derived data.
    #[arg(long, global = true, env = "PAPERS_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
}

impl Global {
    pub fn index_dir(&self) -> PathBuf {
        self.data_dir.join("index")
    }
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
    /// Search the index from the command line.
    Search(SearchArgs),
    /// Show what the database and the index hold.
    Status(StatusArgs),
    /// Measure ranking quality on a BEIR collection (nDCG@10, Recall@100, MRR@10).
    Eval(EvalArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "PAPERS_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    #[command(flatten)]
    pub arxiv: ArxivOptions,
    #[command(flatten)]
    pub sync: SyncOptions,
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    #[command(flatten)]
    pub arxiv: ArxivOptions,
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
        #[arg(long, value_parser = parse_date)]
        from: Option<Date>,
        /// Last datestamp (YYYY-MM-DD).
        #[arg(long, value_parser = parse_date)]
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

fn parse_date(raw: &str) -> Result<Date, String> {
    Date::parse_iso(raw).map_err(|e| e.to_string())
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// The arXiv metadata snapshot, JSON lines (`-` for stdin; .gz and .zst are read as such).
    ArxivSnapshot(ImportArgs),
    /// One paper per JSON line: {"id", "title", "abstract", "authors", "categories", "published"}.
    Jsonl(ImportArgs),
}

impl ImportCommand {
    pub fn format_and_args(&self) -> (Format, &ImportArgs) {
        match self {
            ImportCommand::ArxivSnapshot(a) => (Format::ArxivSnapshot, a),
            ImportCommand::Jsonl(a) => (Format::Jsonl, a),
        }
    }
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
    /// Which qrels to score against.
    #[arg(long, default_value = "test")]
    pub split: String,
    /// Weights to try for the title field (comma-separated); the first is the default.
    #[arg(long, value_delimiter = ',')]
    pub title_boost: Vec<f32>,
}
