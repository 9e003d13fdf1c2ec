//! The embedder together with the stored paper vectors: what reranking, related papers,
//! `papers embed` and the server's background embedding share.

use super::ann::{self, AnnOptions};
use super::vectors::{self, VectorFile, VectorSet};
use super::{Embedder, paper_text};
use crate::progress::Progress;
use crate::store::Store;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

#[derive(Clone)]
pub struct Semantic {
    pub embedder: Arc<dyn Embedder>,
    pub vectors: Arc<RwLock<VectorSet>>,
    file: Arc<tokio::sync::Mutex<VectorFile>>,
    ann: AnnOptions,
    /// Where the approximate index is saved, beside the vectors file.
    index_file: PathBuf,
    /// Held while the approximate index is built or loaded.
    indexing: Arc<Mutex<()>>,
}

/// The embedder did not answer when asked for its vector length, and no stored vectors of
/// its model tell it.
#[derive(Debug, thiserror::Error)]
#[error("the embedder did not answer ({0:#}) and no vectors of its model are stored yet")]
pub struct EmbedderDown(anyhow::Error);

/// Why the vectors of a model could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Nothing tells the vector length: a server may go on without reranking.
    #[error(transparent)]
    EmbedderDown(#[from] EmbedderDown),
    /// The vectors file or the database failed.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Counts of one catch-up.
#[derive(Debug, Default, Clone, Copy)]
pub struct Embedded {
    pub papers: u64,
    pub seq: i64,
}

impl Semantic {
    /// Opens the vectors of `embedder`'s model under `data_dir/vectors`. An endpoint that
    /// does not answer is no obstacle when vectors of its model are stored (their length is
    /// known); otherwise the error is [`EmbedderDown`]. With `ann.min_vectors` stored or
    /// more, the approximate index is loaded or built in the background.
    pub async fn open(
        embedder: Arc<dyn Embedder>,
        data_dir: &Path,
        store: &dyn Store,
        ann: AnnOptions,
    ) -> Result<Self, OpenError> {
        let dir = data_dir.join("vectors");
        let model = embedder.model().to_string();
        let dim = match embedder.dim() {
            Some(d) => d,
            None => match embedder.embed(vec!["dimension probe".into()]).await {
                Ok(v) => v.first().map_or(0, Vec::len),
                Err(e) => match vectors::stored_dim(&dir, &model) {
                    Some(d) => {
                        tracing::warn!(
                            error = crate::telemetry::error_chain(&e),
                            "the embedder did not answer: searches answer from BM25 until it does"
                        );
                        d
                    }
                    None => return Err(EmbedderDown(e).into()),
                },
            },
        };
        let semantic = Self::load(embedder, dir, model, dim, store, ann).await?;
        semantic.index_in_background();
        Ok(semantic)
    }

    /// Opens the vectors file of `model`, whose vectors have `dim` components.
    async fn load(
        embedder: Arc<dyn Embedder>,
        dir: std::path::PathBuf,
        model: String,
        dim: usize,
        store: &dyn Store,
        ann: AnnOptions,
    ) -> anyhow::Result<Self> {
        anyhow::ensure!(dim > 0, "the embedder returned an empty vector");
        let database_id = store.database_id().await?;
        let (file, set) =
            tokio::task::spawn_blocking(move || VectorFile::open(&dir, &model, dim, &database_id))
                .await??;
        let index_file = file.path().with_extension("ivf");
        Ok(Semantic {
            embedder,
            vectors: Arc::new(RwLock::new(set)),
            file: Arc::new(tokio::sync::Mutex::new(file)),
            ann,
            index_file,
            indexing: Arc::new(Mutex::new(())),
        })
    }

    /// Builds (or loads) the approximate index if the vectors want one, waiting for a build
    /// already running; `None` when none was needed.
    pub fn index(&self) -> Result<Option<ann::Built>, ann::AnnError> {
        let _building = self.indexing.lock().unwrap_or_else(|e| e.into_inner());
        index_if_wanted(&self.vectors, &self.ann, &self.index_file)
    }

    /// [`Semantic::index`] on a thread of its own, unless a build is running already: the
    /// exact scan answers related papers meanwhile. The thread holds the vectors, not the
    /// vectors file.
    fn index_in_background(&self) {
        if !ann::wanted(&self.read(), &self.ann) {
            return;
        }
        let (vectors, options) = (self.vectors.clone(), self.ann);
        let (file, indexing) = (self.index_file.clone(), self.indexing.clone());
        let spawned = std::thread::Builder::new()
            .name("ann-index".into())
            .spawn(move || {
                let Ok(_building) = indexing.try_lock() else {
                    return;
                };
                match index_if_wanted(&vectors, &options, &file) {
                    Ok(Some(b)) => tracing::info!(
                        vectors = b.rows,
                        lists = b.lists,
                        placed = b.placed,
                        loaded = b.loaded,
                        seconds = b.seconds,
                        "related-papers index ready"
                    ),
                    Ok(None) => {}
                    Err(e) => tracing::warn!(
                        error = crate::telemetry::error_chain(&e.into()),
                        "related-papers index not built: related papers scan every vector"
                    ),
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "cannot start the related-papers index thread");
        }
    }

    /// The highest change sequence number embedded.
    pub fn watermark(&self) -> i64 {
        self.read().watermark()
    }

    pub fn read(&self) -> std::sync::RwLockReadGuard<'_, VectorSet> {
        self.vectors.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Embeds every paper written after the watermark, `batch` papers at a time, each batch
    /// stored before the next starts (so an interrupted run resumes where it stopped).
    pub async fn catch_up(
        &self,
        store: &dyn Store,
        batch: usize,
        progress: Option<&Progress>,
    ) -> anyhow::Result<Embedded> {
        let mut file = self.file.lock().await;
        let mut done = Embedded {
            papers: 0,
            seq: self.watermark(),
        };
        loop {
            let changes = store.changes_since(done.seq, batch as i64).await?;
            let Some(last) = changes.last() else { break };
            done.seq = last.seq;
            let texts = changes
                .iter()
                .map(|c| paper_text(&c.paper.title, &c.paper.abstract_text))
                .collect();
            let vectors = self.embedder.embed(texts).await?;
            anyhow::ensure!(
                vectors.len() == changes.len(),
                "the embedder returned {} vectors for {} texts",
                vectors.len(),
                changes.len()
            );
            let rows: Vec<(String, i64, Vec<f32>)> = changes
                .into_iter()
                .zip(vectors)
                .map(|(c, v)| (c.paper.id, c.seq, v))
                .collect();
            let dim = self.read().dim();
            if let Some((id, _, v)) = rows.iter().find(|(_, _, v)| v.len() != dim) {
                anyhow::bail!("vector of {id} has {} dimensions, not {dim}", v.len());
            }
            file.append(&rows)?;
            let mut set = self.vectors.write().unwrap_or_else(|e| e.into_inner());
            for (id, seq, v) in &rows {
                set.insert(id, *seq, v);
            }
            drop(set);
            done.papers += rows.len() as u64;
            if let Some(p) = progress {
                p.advance(rows.len() as u64);
            }
        }
        if done.papers > 0 {
            self.index_in_background();
        }
        Ok(done)
    }
}

/// Builds (or loads) the approximate index of `vectors` if they want one.
fn index_if_wanted(
    vectors: &RwLock<VectorSet>,
    options: &AnnOptions,
    file: &Path,
) -> Result<Option<ann::Built>, ann::AnnError> {
    if ann::wanted(&vectors.read().unwrap_or_else(|e| e.into_inner()), options) {
        ann::index(vectors, options, Some(file)).map(Some)
    } else {
        Ok(None)
    }
}
