//! Meaning on top of words: text embedders (a local model or an OpenAI-compatible
//! endpoint), the stored paper vectors, reranking and related papers.

pub mod ann;
pub mod backfill;
pub mod bert;
pub mod http;
pub mod kernels;
pub mod local;
pub mod rerank;
pub mod semantic;
pub mod similar;
pub mod vectors;

use anyhow::Context;
use async_trait::async_trait;
use clap::Args;
use rerank::Fusion;
use std::path::PathBuf;
use std::sync::Arc;

/// Turns texts into unit-length vectors.
#[async_trait]
pub trait Embedder: Send + Sync {
    /// Name recorded beside stored vectors: vectors of another model are never mixed in.
    fn model(&self) -> &str;
    /// Vector length, when known before the first call.
    fn dim(&self) -> Option<usize>;
    /// One vector per text, in order.
    async fn embed(&self, texts: Vec<String>) -> anyhow::Result<Vec<Vec<f32>>>;
}

/// Which embedder to use (none by default) and how.
#[derive(Debug, Clone, Args)]
pub struct EmbedOptions {
    /// Directory of a local sentence-transformers BERT model (config.json, tokenizer.json,
    /// model.safetensors).
    #[arg(long, global = true, env = "PAPERS_EMBED_MODEL_DIR")]
    pub embed_model_dir: Option<PathBuf>,
    /// Word pieces of a text the local model reads (title first, then the abstract).
    #[arg(
        long,
        global = true,
        env = "PAPERS_EMBED_MAX_TOKENS",
        default_value_t = 128
    )]
    pub embed_max_tokens: usize,
    /// An OpenAI-compatible embeddings endpoint (`http://host:port/v1/embeddings` or the
    /// server's base URL); needs `PAPERS_EMBED_MODEL`.
    #[arg(long, global = true, env = "PAPERS_EMBED_URL")]
    pub embed_url: Option<String>,
    /// The model the endpoint should use.
    #[arg(long, global = true, env = "PAPERS_EMBED_MODEL")]
    pub embed_model: Option<String>,
    /// Bearer token for the endpoint (environment only, so it stays out of `ps`).
    #[arg(
        long = "embed-api-key",
        hide = true,
        global = true,
        env = "PAPERS_EMBED_API_KEY",
        hide_env_values = true
    )]
    pub embed_api_key: Option<String>,
    /// Longest wait for one request to the endpoint, in seconds.
    #[arg(
        long,
        global = true,
        env = "PAPERS_EMBED_TIMEOUT_SECS",
        default_value_t = 30
    )]
    pub embed_timeout_secs: u64,
    /// Threads the local model embeds batches of papers on (default: every core).
    #[arg(long, global = true, env = "PAPERS_EMBED_THREADS")]
    pub embed_threads: Option<usize>,
    /// Whether searches rerank when `rerank` is not given.
    #[arg(
        long = "rerank-default",
        global = true,
        env = "PAPERS_RERANK",
        default_value_t = true,
        action = clap::ArgAction::Set
    )]
    pub rerank: bool,
    /// BM25 candidates reranked.
    #[arg(long, global = true, env = "PAPERS_RERANK_DEPTH", default_value_t = Fusion::default().depth)]
    pub rerank_depth: usize,
    /// Share of the cosine in the fused score (0 to 1).
    #[arg(long, global = true, env = "PAPERS_RERANK_WEIGHT", default_value_t = Fusion::default().weight)]
    pub rerank_weight_default: f32,
    /// Longest wait for a query's vector, in milliseconds, before answering from BM25.
    #[arg(
        long,
        global = true,
        env = "PAPERS_RERANK_TIMEOUT_MS",
        default_value_t = 1_000
    )]
    pub rerank_timeout_ms: u64,
    /// Stored vectors from which related papers use the approximate index (built in the
    /// background; below this they scan every vector).
    #[arg(long, global = true, env = "PAPERS_ANN_MIN_VECTORS", default_value_t = ann::AnnOptions::default().min_vectors)]
    pub ann_min_vectors: usize,
    /// Clusters of the approximate index a related-papers probe looks in (more: better recall,
    /// slower).
    #[arg(long, global = true, env = "PAPERS_ANN_PROBES", default_value_t = ann::AnnOptions::default().probes)]
    pub ann_probes: usize,
}

impl EmbedOptions {
    /// The configured embedder, or `None` when there is none.
    pub fn open(&self) -> anyhow::Result<Option<Arc<dyn Embedder>>> {
        if let Some(url) = &self.embed_url {
            anyhow::ensure!(
                self.embed_model_dir.is_none(),
                "set either PAPERS_EMBED_MODEL_DIR or PAPERS_EMBED_URL, not both"
            );
            let model = self
                .embed_model
                .as_deref()
                .context("PAPERS_EMBED_URL needs PAPERS_EMBED_MODEL (the model to ask for)")?;
            let timeout = std::time::Duration::from_secs(self.embed_timeout_secs.max(1));
            let key = self.embed_api_key.clone().filter(|k| !k.is_empty());
            let http = http::HttpEmbedder::new(url, model, key, timeout);
            tracing::info!(model = http.model(), "HTTP embedder configured");
            return Ok(Some(Arc::new(http)));
        }
        let Some(dir) = &self.embed_model_dir else {
            return Ok(None);
        };
        let local = local::LocalEmbedder::open(dir, self.embed_max_tokens, self.embed_threads)?;
        tracing::info!(model = local.model(), "local embedder loaded");
        Ok(Some(Arc::new(local)))
    }
}

impl EmbedOptions {
    /// How searches rerank.
    pub fn fusion(&self) -> Fusion {
        Fusion {
            weight: self.rerank_weight_default.clamp(0.0, 1.0),
            depth: self.rerank_depth.clamp(1, 1_000),
            deadline: std::time::Duration::from_millis(self.rerank_timeout_ms),
        }
    }

    /// When related papers use the approximate index.
    pub fn ann(&self) -> ann::AnnOptions {
        ann::AnnOptions {
            min_vectors: self.ann_min_vectors,
            probes: self.ann_probes.max(1),
        }
    }
}

/// Everything searches and pages need for meaning: the embedder, the stored vectors and how
/// to rerank.
#[derive(Clone)]
pub struct Meaning {
    pub semantic: semantic::Semantic,
    pub fusion: Fusion,
    /// Whether a search reranks when it does not say.
    pub rerank_by_default: bool,
}

impl Meaning {
    /// `None` when no embedder is configured.
    pub async fn open(
        opts: &EmbedOptions,
        data_dir: &std::path::Path,
        store: &dyn crate::store::Store,
    ) -> Result<Option<Self>, semantic::OpenError> {
        let Some(embedder) = opts.open()? else {
            return Ok(None);
        };
        let semantic = semantic::Semantic::open(embedder, data_dir, store, opts.ann()).await?;
        tracing::info!(
            vectors = semantic.read().len(),
            model = semantic.embedder.model(),
            "paper vectors loaded"
        );
        Ok(Some(Meaning {
            semantic,
            fusion: opts.fusion(),
            rerank_by_default: opts.rerank,
        }))
    }
}

/// The text of a paper that gets embedded: its title, then its abstract.
pub fn paper_text(title: &str, abstract_text: &str) -> String {
    if abstract_text.is_empty() {
        title.to_string()
    } else {
        format!("{title}. {abstract_text}")
    }
}

/// Cosine similarity of two unit vectors. Sixteen partial sums let the compiler use SIMD.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    lanes(a, b, |y: &f32| *y)
}

/// The dot product of `a` with 8-bit codes (a stored vector before its scale), vectorised
/// as [`dot`] is (AVX-512 wide inside [`kernels::dots`]).
#[inline(always)]
pub fn dot_codes(a: &[f32], codes: &[i8]) -> f32 {
    lanes(a, codes, |c: &i8| f32::from(*c))
}

#[inline(always)]
fn lanes<T>(a: &[f32], b: &[T], value: impl Fn(&T) -> f32) -> f32 {
    let mut acc = [0f32; 16];
    let (ca, cb) = (a.chunks_exact(16), b.chunks_exact(16));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * value(y))
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..16 {
            acc[i] += x[i] * value(&y[i]);
        }
    }
    acc.iter().sum::<f32>() + tail
}
