//! Opening the store and the index together, with the index caught up to the database.

use crate::index::{CommitPolicy, SearchIndex, SyncReport, Syncer};
use crate::progress::Progress;
use crate::store::{self, Store};
use anyhow::Context;
use clap::Args;
use std::path::PathBuf;
use std::sync::Arc;

/// Catch-ups larger than this show progress.
const SHOW_PROGRESS_ABOVE: i64 = 20_000;

pub struct Services {
    pub store: Arc<dyn Store>,
    pub index: SearchIndex,
    /// `None` when another process (a running server) holds the index writer, or when
    /// opened read-only.
    pub syncer: Option<Syncer>,
}

impl Services {
    /// Connects to the database (running migrations), opens the index and takes its writer
    /// unless another process holds it.
    pub async fn open(global: &Global) -> anyhow::Result<Self> {
        let mut services = Self::connect(global).await?;
        services.syncer = services
            .index
            .try_writer()?
            .map(|w| Syncer::new(services.index.clone(), w, services.store.clone()))
            .transpose()?;
        if services.syncer.is_none() {
            tracing::info!("another papers process holds the index and keeps it current");
        }
        Ok(services)
    }

    /// Connects to an existing database (running migrations) and opens an existing index to
    /// read it as it is, leaving its writer to other processes. Creates nothing: a missing
    /// SQLite file or index is an error that says how to make one.
    pub async fn open_read_only(global: &Global) -> anyhow::Result<Self> {
        let url = global.database_url();
        let store = store::connect_existing(&url)
            .await
            .with_context(|| format!("cannot open database {}", store::redact(&url)))?;
        let dir = global.index_dir();
        if !dir.exists() {
            store.close().await;
            anyhow::bail!(
                "no search index at {}: `papers reindex` builds it from the database (so do \
                 imports and `papers serve`), or point PAPERS_DATA_DIR at an existing one",
                dir.display()
            );
        }
        let index = SearchIndex::open(&dir)?;
        Ok(Services {
            store,
            index,
            syncer: None,
        })
    }

    /// Connects to the database (creating a SQLite file if needed, running migrations) and
    /// opens the index (creating it if needed), without its writer.
    async fn connect(global: &Global) -> anyhow::Result<Self> {
        let url = global.database_url();
        let store = store::connect(&url)
            .await
            .with_context(|| format!("cannot open database {}", store::redact(&url)))?;
        let index = SearchIndex::open(&global.index_dir())?;
        Ok(Services {
            store,
            index,
            syncer: None,
        })
    }

    /// Applies every database change the index has not seen (after a crash, or changes
    /// another process wrote), committing before it returns.
    pub async fn catch_up(&self) -> anyhow::Result<SyncReport> {
        let Some(syncer) = &self.syncer else {
            return Ok(SyncReport::default());
        };
        let behind = self.store.max_seq().await? - self.index.watermark()?.seq;
        let progress =
            (behind > SHOW_PROGRESS_ABOVE).then(|| Progress::new("indexing", Some(behind as u64)));
        let report = syncer.catch_up(CommitPolicy::Now, progress.clone()).await?;
        if let Some(p) = progress {
            p.finish();
        }
        if report.applied > 0 {
            tracing::info!(
                applied = report.applied,
                seq = report.seq,
                "index caught up with the database"
            );
        }
        Ok(report)
    }

    /// Commits the index, releases its lock and closes the database connections.
    pub async fn close(self) -> anyhow::Result<()> {
        if let Some(syncer) = self.syncer {
            syncer.close().await?;
        }
        self.store.close().await;
        Ok(())
    }
}

/// Options every command takes.
#[derive(Debug, Clone, Args)]
pub struct Global {
    /// Database: `sqlite://PATH` (created on first use) or `postgres://USER@HOST/DB`
    /// [default: sqlite://DATA_DIR/papers.db].
    #[arg(long, global = true, env = "PAPERS_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Directory for the search index and other derived data.
    #[arg(long, global = true, env = "PAPERS_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
}

impl Global {
    /// The database's URL: the one given, else `papers.db` in the data dir.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) if !url.trim().is_empty() => url.clone(),
            _ => format!("sqlite://{}", self.data_dir.join("papers.db").display()),
        }
    }

    pub fn index_dir(&self) -> PathBuf {
        self.data_dir.join("index")
    }
}
