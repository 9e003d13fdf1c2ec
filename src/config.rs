//! Command-line options and their `PAPERS_*` environment variables.

use crate::import::Format;
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
    #[command(flatten)]
    pub embed: crate::embed::EmbedOptions,
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
    /// Rebuild the search index from the database.
    Reindex,
    /// Search the index from the command line.
    Search(SearchArgs),
    /// Show what the database and the index hold.
    Status(StatusArgs),
    /// Measure ranking quality on a BEIR collection (nDCG@10, Recall@100, MRR@10).
    Eval(EvalArgs),
    /// Embed every paper not embedded yet with the configured embedder, then exit.
    Embed(crate::embed::backfill::EmbedArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "PAPERS_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
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
}
