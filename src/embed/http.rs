//! The HTTP embedder: any OpenAI-compatible `/v1/embeddings` endpoint (OpenAI, Hugging Face
//! text-embeddings-inference, Ollama, vLLM), in batches, with timeouts and retries.

use super::Embedder;
use crate::fetch::{FetchConfig, Fetcher};
use anyhow::{Context, bail};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

/// Texts sent in one request.
const BATCH: usize = 64;
/// Requests in flight at once: a GPU server (text-embeddings-inference, vLLM) batches
/// concurrent requests together, and one at a time left it idle between round trips.
const IN_FLIGHT: usize = 4;

pub struct HttpEmbedder {
    fetcher: Fetcher,
    url: String,
    /// The model the endpoint is asked for.
    requested: String,
    api_key: Option<String>,
    /// The name recorded beside the vectors.
    model: String,
}

#[derive(Deserialize)]
struct Response {
    data: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    embedding: Vec<f32>,
    #[serde(default)]
    index: usize,
}

impl HttpEmbedder {
    /// `url` is the endpoint (`…/v1/embeddings`) or the server's base URL.
    pub fn new(url: &str, model: &str, api_key: Option<String>, timeout: Duration) -> Self {
        let url = url.trim_end_matches('/');
        let url = if url.ends_with("/embeddings") {
            url.to_string()
        } else if url.ends_with("/v1") {
            format!("{url}/embeddings")
        } else {
            format!("{url}/v1/embeddings")
        };
        let config = FetchConfig {
            timeout,
            connect_timeout: timeout.min(Duration::from_secs(10)),
            max_bytes: 64 << 20,
            attempts: 3,
            backoff: Duration::from_millis(500),
            max_retry_after: Duration::from_secs(30),
        };
        HttpEmbedder {
            fetcher: Fetcher::new(config, None),
            model: format!("http:{model}"),
            url,
            requested: model.to_string(),
            api_key,
        }
    }

    async fn embed_batch(&self, texts: &[String]) -> anyhow::Result<Vec<Vec<f32>>> {
        let body = json!({"model": self.requested, "input": texts});
        let fetched = self
            .fetcher
            .post_json(&self.url, &body, self.api_key.as_deref())
            .await?;
        if !fetched.is_success() {
            let text = fetched.text();
            let cut: String = text.chars().take(200).collect();
            bail!("{}: HTTP {}: {cut}", self.url, fetched.status);
        }
        let mut answer: Response = serde_json::from_slice(&fetched.body)
            .with_context(|| format!("{}: not an embeddings response", self.url))?;
        answer.data.sort_by_key(|d| d.index);
        if answer.data.len() != texts.len() {
            bail!(
                "{}: {} embeddings for {} texts",
                self.url,
                answer.data.len(),
                texts.len()
            );
        }
        Ok(answer
            .data
            .into_iter()
            .map(|d| normalised(d.embedding))
            .collect())
    }
}

/// Scaled to unit length (endpoints do not all normalise), so a dot product is a cosine.
fn normalised(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

#[async_trait]
impl Embedder for HttpEmbedder {
    fn model(&self) -> &str {
        &self.model
    }

    fn dim(&self) -> Option<usize> {
        None
    }

    async fn embed(&self, texts: Vec<String>) -> anyhow::Result<Vec<Vec<f32>>> {
        use futures_util::{StreamExt, TryStreamExt};
        let requests: Vec<_> = texts.chunks(BATCH).map(|c| self.embed_batch(c)).collect();
        let batches: Vec<Vec<Vec<f32>>> = futures_util::stream::iter(requests)
            .buffered(IN_FLIGHT)
            .try_collect()
            .await?;
        Ok(batches.into_iter().flatten().collect())
    }
}
