//! The tantivy index: derived from the database, stamped with the change sequence it reached.

mod at_least;
mod facets;
mod filters;
mod highlight;
mod indexer;
mod listing;
mod matching;
mod ranking;
mod schema;
mod search;
mod spell;
mod stem;
mod sync;
mod writer;

pub use facets::{FacetCount, Facets};
pub use filters::Filters;
pub use highlight::Highlighter;
pub use listing::{CategorySet, DayListing};
pub use ranking::{Ranking, RankingError};
pub use schema::Fields;
pub use search::{Hit, SearchRequest, SearchResults, Sort};
pub use sync::{CommitPolicy, SyncReport, Syncer};
pub use writer::IndexWriter;

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use tantivy::directory::MmapDirectory;
use tantivy::{Index, IndexReader, ReloadPolicy, TantivyError};

/// Bumped whenever the schema or the analysers change: an index built with another
/// version is rebuilt from the database.
const SCHEMA_VERSION: u32 = 5;

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("search index error: {0}")]
    Tantivy(TantivyError),
    #[error("cannot use index directory {path}: {error}")]
    Dir {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// A blocking index task panicked or was cancelled.
    #[error("index task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
    /// A lock of the index (named) was poisoned by a task that panicked while holding it.
    #[error("the index's {0} lock is poisoned (a task panicked while holding it)")]
    Poisoned(&'static str),
    /// The indexing thread is gone: a write panicked on it.
    #[error("the indexing thread stopped (a write panicked); restart the process")]
    WriterGone,
    /// The indexing thread could not be started.
    #[error("cannot start the indexing thread: {0}")]
    Thread(#[source] std::io::Error),
    /// A facet column's dictionary could not be read.
    #[error("cannot read a facet column: {0}")]
    Column(#[source] std::io::Error),
    /// The index holds another database's papers and this database is empty: most likely
    /// the wrong database or data dir, so the index is left alone.
    #[error(
        "the index in {dir} holds {docs} papers of another database, and this database is \
         empty: check PAPERS_DATABASE_URL and PAPERS_DATA_DIR (the default database is \
         DATA_DIR/papers.db); `papers reindex` rebuilds the index for this database"
    )]
    ForeignIndex { dir: PathBuf, docs: u64 },
}

pub type IndexResult<T> = Result<T, IndexError>;

impl From<TantivyError> for IndexError {
    fn from(e: TantivyError) -> Self {
        IndexError::Tantivy(e)
    }
}

/// What the index has applied: the database it follows and the last change it holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watermark {
    pub database_id: String,
    pub seq: i64,
    pub schema: u32,
}

/// The on-disk index and a reader over it. Cheap to clone.
#[derive(Clone)]
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    dir: PathBuf,
    /// Whole-index facet counts and the searcher generation they were counted for.
    totals: std::sync::Arc<std::sync::Mutex<Option<(u64, Facets)>>>,
    /// Each segment's facet values, laid out once for counting.
    facet_cache: facets::FacetCache,
    /// When (ms since 1970) this process last saw the index hold everything the database
    /// held at that moment; 0 before it first did.
    fresh_at: std::sync::Arc<std::sync::atomic::AtomicI64>,
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it (and the directory) if needed. An index whose
    /// schema differs from this build's is discarded: the database rebuilds it.
    pub fn open(dir: &Path) -> IndexResult<Self> {
        let dir_err = |error| IndexError::Dir {
            path: dir.to_path_buf(),
            error,
        };
        std::fs::create_dir_all(dir).map_err(dir_err)?;
        let (schema, fields) = schema::build();
        let open = || -> tantivy::Result<Index> {
            let mmap =
                MmapDirectory::open(dir).map_err(|e| TantivyError::SystemError(e.to_string()))?;
            Index::builder()
                .schema(schema.clone())
                .tokenizers(schema::tokenizers())
                .open_or_create(mmap)
        };
        let index = match open() {
            Err(TantivyError::SchemaError(reason)) => {
                tracing::warn!(%reason, dir = %dir.display(), "index schema changed, rebuilding");
                std::fs::remove_dir_all(dir).map_err(dir_err)?;
                std::fs::create_dir_all(dir).map_err(dir_err)?;
                open()?
            }
            other => other?,
        };
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        Ok(SearchIndex {
            index,
            reader,
            fields,
            dir: dir.to_path_buf(),
            totals: Default::default(),
            facet_cache: Default::default(),
            fresh_at: Default::default(),
        })
    }

    /// The watermark of the last commit; the default (seq 0) for a new index or one built
    /// by another schema version.
    pub fn watermark(&self) -> IndexResult<Watermark> {
        let metas = self.index.load_metas()?;
        let mark = metas
            .payload
            .as_deref()
            .and_then(|p| serde_json::from_str::<Watermark>(p).ok())
            .filter(|w| w.schema == SCHEMA_VERSION);
        Ok(mark.unwrap_or_default())
    }

    /// Takes the index's single writer. `Ok(None)` when another process (a running server)
    /// holds it: that process keeps the index current.
    pub fn try_writer(&self) -> IndexResult<Option<IndexWriter>> {
        match IndexWriter::new(&self.index, self.fields.clone()) {
            Ok(w) => Ok(Some(w)),
            Err(TantivyError::LockFailure(..)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Records that at `at` (ms since 1970) the index held every change the database had.
    pub fn mark_fresh(&self, at: i64) {
        self.fresh_at
            .fetch_max(at, std::sync::atomic::Ordering::Relaxed);
    }

    /// Seconds since the index last held every change the database had (`None` before it
    /// first did in this process): how far searches here may trail writes made anywhere.
    pub fn lag_seconds(&self) -> Option<f64> {
        let at = self.fresh_at.load(std::sync::atomic::Ordering::Relaxed);
        (at > 0).then(|| (crate::domain::now_millis() - at).max(0) as f64 / 1000.0)
    }

    /// Makes the latest commit visible to searches now instead of after the reload delay.
    pub fn refresh(&self) -> IndexResult<()> {
        Ok(self.reader.reload()?)
    }

    /// Segments searches go through (each adds a per-term setup to every search).
    pub fn segments(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }

    /// Number of documents visible to searches.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every paper id visible to searches, in index order (duplicates included, if any).
    pub fn all_ids(&self) -> IndexResult<Vec<String>> {
        search::all_ids(&self.reader.searcher(), &self.fields)
    }
}
