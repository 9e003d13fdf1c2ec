//! The local embedder: a sentence-transformers BERT model run in-process on the CPU from a
//! directory holding config.json, tokenizer.json and model.safetensors.

use super::Embedder;
use super::bert::{self, Bert, BertConfig};
use anyhow::{Context, anyhow};
use async_trait::async_trait;
use candle_core::{Device, Tensor};
use rayon::prelude::*;
use std::path::Path;
use std::sync::Arc;
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

/// Texts run through the model together. Texts are sorted by length first, so a batch pads
/// little.
const BATCH: usize = 16;

pub struct LocalEmbedder {
    inner: Arc<Model>,
    /// The threads batches run on (`PAPERS_EMBED_THREADS`).
    pool: Arc<rayon::ThreadPool>,
    name: String,
}

struct Model {
    bert: Bert,
    tokenizer: Tokenizer,
    dim: usize,
}

impl LocalEmbedder {
    /// Loads the model in `dir`; texts are cut at `max_tokens` word pieces; `threads`
    /// (default: every core) run it.
    pub fn open(dir: &Path, max_tokens: usize, threads: Option<usize>) -> anyhow::Result<Self> {
        let mut pool = rayon::ThreadPoolBuilder::new().thread_name(|i| format!("embed-{i}"));
        if let Some(n) = threads {
            pool = pool.num_threads(n.max(1));
        }
        let pool = Arc::new(pool.build()?);
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))
        };
        let config: BertConfig = serde_json::from_slice(&read("config.json")?)
            .with_context(|| format!("{}: not a BERT config", dir.join("config.json").display()))?;
        let mut tokenizer = Tokenizer::from_bytes(read("tokenizer.json")?)
            .map_err(|e| anyhow!("{}: {e}", dir.join("tokenizer.json").display()))?;
        // The shipped tokenizer pads every text to a fixed length; pad to the longest text of
        // each batch instead, and cut where asked.
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..PaddingParams::default()
        }));
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: max_tokens.min(config.max_position_embeddings),
                ..TruncationParams::default()
            }))
            .map_err(|e| anyhow!("tokenizer: {e}"))?;
        let bert = bert::load(&config, read("model.safetensors")?, &Device::Cpu)
            .with_context(|| format!("cannot load {}", dir.join("model.safetensors").display()))?;
        let name = format!("{}@{max_tokens}", model_name(dir));
        Ok(LocalEmbedder {
            inner: Arc::new(Model {
                bert,
                tokenizer,
                dim: config.hidden_size,
            }),
            pool,
            name,
        })
    }
}

impl Model {
    /// Embeds `texts` in batches of similar length, the batches spread over the threads of
    /// the current pool (each thread runs a whole forward pass, so the element-wise steps,
    /// not only the matrix products, use every core).
    fn embed(&self, texts: &[String]) -> anyhow::Result<Vec<Vec<f32>>> {
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| texts[i].len());
        // At least one batch per thread, when there are texts enough.
        let size = texts
            .len()
            .div_ceil(rayon::current_num_threads())
            .clamp(1, BATCH);
        let batches: Vec<Vec<Vec<f32>>> = order
            .par_chunks(size)
            .map(|chunk| self.embed_batch(chunk.iter().map(|&i| texts[i].as_str()).collect()))
            .collect::<anyhow::Result<_>>()?;
        let mut out = vec![Vec::new(); texts.len()];
        for (&i, v) in order.iter().zip(batches.into_iter().flatten()) {
            out[i] = v;
        }
        Ok(out)
    }

    /// Mean of the last hidden states over real tokens (not padding), L2-normalised.
    fn embed_batch(&self, texts: Vec<&str>) -> anyhow::Result<Vec<Vec<f32>>> {
        let encodings = self
            .tokenizer
            .encode_batch(texts, true)
            .map_err(|e| anyhow!("tokenizer: {e}"))?;
        let (n, len) = (encodings.len(), encodings[0].len());
        let ids: Vec<u32> = encodings
            .iter()
            .flat_map(|e| e.get_ids().to_vec())
            .collect();
        // Padding goes at the end, so a text's real tokens are its first ones.
        let lengths: Vec<usize> = encodings
            .iter()
            .map(|e| e.get_attention_mask().iter().filter(|&&m| m == 1).count())
            .collect();
        let ids = Tensor::from_vec(ids, (n, len), &Device::Cpu)?;
        let hidden = self.bert.forward(&ids, &lengths)?;
        let mut out = Vec::with_capacity(n);
        for (i, &real) in lengths.iter().enumerate() {
            let mean = hidden.get(i)?.narrow(0, 0, real.max(1))?.mean(0)?;
            let norm = mean.sqr()?.sum_all()?.sqrt()?;
            out.push(mean.broadcast_div(&norm)?.to_vec1()?);
        }
        Ok(out)
    }
}

/// The directory's name, or its parent's when it is just `model` (as pip packages ship it).
fn model_name(dir: &Path) -> String {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    dir.iter()
        .rev()
        .map(|c| c.to_string_lossy())
        .find(|c| c != "model")
        .map_or_else(|| "local".into(), |c| c.into_owned())
}

#[async_trait]
impl Embedder for LocalEmbedder {
    fn model(&self) -> &str {
        &self.name
    }

    fn dim(&self) -> Option<usize> {
        Some(self.inner.dim)
    }

    async fn embed(&self, texts: Vec<String>) -> anyhow::Result<Vec<Vec<f32>>> {
        let (inner, pool) = (self.inner.clone(), self.pool.clone());
        // A query (one text) does not queue behind a batch that is being embedded: it runs
        // outside the batch pool.
        if texts.len() <= 1 {
            return tokio::task::spawn_blocking(move || inner.embed(&texts)).await?;
        }
        tokio::task::spawn_blocking(move || pool.install(|| inner.embed(&texts))).await?
    }
}
