//! Reranking: the BM25 top K fused with query–document cosine similarity.
//!
//! Fusion is a normalised linear mix: over the K candidates, BM25 scores and cosines are
//! each scaled to [0, 1] by min–max, and a candidate scores
//! `(1 - weight) * bm25 + weight * cosine`. Min–max keeps the mix independent of the query's
//! BM25 scale (which grows with its length); the weight was tuned on SciFact train queries
//! (docs/quality.md). A candidate without a vector yet (a paper not embedded so far) gets
//! the candidates' mean cosine, neither pushed up nor down by meaning.

use super::semantic::Semantic;
use crate::index::Hit;
use crate::query::{Field, Query, Term};
use std::time::Duration;

/// How reranking runs.
#[derive(Debug, Clone, Copy)]
pub struct Fusion {
    /// Share of the cosine in the fused score, 0 to 1.
    pub weight: f32,
    /// BM25 candidates reranked.
    pub depth: usize,
    /// Longest wait for the query's vector before answering from BM25 alone.
    pub deadline: Duration,
}

impl Default for Fusion {
    fn default() -> Self {
        Fusion {
            weight: 0.6,
            depth: 100,
            deadline: Duration::from_millis(1_000),
        }
    }
}

/// Why reranking did not happen.
#[derive(Debug, thiserror::Error)]
pub enum Skipped {
    #[error("reranking skipped: the embedder did not answer within {0:?}")]
    Timeout(Duration),
    #[error("reranking skipped: the embedder failed")]
    Failed,
}

/// What a query means, for the embedder: its wanted words and phrases (not exclusions,
/// authors, categories, venues or years).
pub fn meaning_text(query: &Query) -> String {
    query
        .wanted()
        .into_iter()
        .filter(|c| matches!(c.field, Field::Any | Field::Title | Field::Abstract))
        .filter_map(|c| match &c.term {
            Term::Word(w) | Term::Phrase(w) => Some(w.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Reorders `hits` (BM25 order) by fused score; the hits get the fused score.
pub fn fuse(hits: Vec<Hit>, cosines: &[Option<f32>], weight: f32) -> Vec<Hit> {
    let known: Vec<f32> = cosines.iter().flatten().copied().collect();
    let mean = known.iter().sum::<f32>() / known.len().max(1) as f32;
    let cos: Vec<f32> = cosines.iter().map(|c| c.unwrap_or(mean)).collect();
    let bm25: Vec<f32> = hits.iter().map(|h| h.score).collect();
    let (cos, bm25) = (min_max(&cos), min_max(&bm25));
    let mut scored: Vec<(f32, usize, Hit)> = hits
        .into_iter()
        .enumerate()
        .map(|(i, h)| ((1.0 - weight) * bm25[i] + weight * cos[i], i, h))
        .collect();
    // Ties keep BM25 order.
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored
        .into_iter()
        .map(|(score, _, mut h)| {
            h.score = score;
            h
        })
        .collect()
}

/// Scales to [0, 1]; all equal becomes all 0.
fn min_max(xs: &[f32]) -> Vec<f32> {
    let lo = xs.iter().copied().fold(f32::INFINITY, f32::min);
    let hi = xs.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let span = hi - lo;
    xs.iter()
        .map(|x| if span > 0.0 { (x - lo) / span } else { 0.0 })
        .collect()
}

impl Semantic {
    /// Reranks BM25 candidates for `query`, or says why it could not within the deadline.
    pub async fn rerank(
        &self,
        query: &str,
        hits: Vec<Hit>,
        fusion: &Fusion,
    ) -> Result<Vec<Hit>, (Vec<Hit>, Skipped)> {
        let embedded = tokio::time::timeout(
            fusion.deadline,
            self.embedder.embed(vec![query.to_string()]),
        )
        .await;
        let q = match embedded {
            Ok(Ok(mut v)) if v.len() == 1 => v.remove(0),
            Ok(Ok(_)) | Ok(Err(_)) => {
                if let Ok(Err(e)) = &embedded {
                    tracing::warn!(error = %e, "query embedding failed");
                }
                return Err((hits, Skipped::Failed));
            }
            Err(_) => return Err((hits, Skipped::Timeout(fusion.deadline))),
        };
        let cosines: Vec<Option<f32>> = {
            let set = self.read();
            hits.iter().map(|h| set.cosine(&h.id, &q)).collect()
        };
        Ok(fuse(hits, &cosines, fusion.weight))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(id: &str, score: f32) -> Hit {
        Hit {
            id: id.into(),
            title: id.into(),
            score,
        }
    }

    #[test]
    fn meaning_moves_a_close_bm25_runner_up_to_the_top() {
        let hits = vec![hit("a", 10.0), hit("b", 9.5), hit("c", 2.0)];
        let ranked = fuse(hits, &[Some(0.1), Some(0.9), Some(0.2)], 0.6);
        let ids: Vec<&str> = ranked.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["b", "a", "c"]);
        assert!((ranked[0].score - (0.4 * 0.9375 + 0.6)).abs() < 1e-6);
    }

    #[test]
    fn weight_zero_keeps_bm25_order_and_missing_vectors_stay_neutral() {
        let hits = vec![hit("a", 3.0), hit("b", 2.0), hit("c", 1.0)];
        let ranked = fuse(hits.clone(), &[Some(0.0), None, Some(1.0)], 0.0);
        let ids: Vec<&str> = ranked.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        // b has no vector: it gets the mean cosine (0.5), between a and c.
        let ranked = fuse(hits, &[Some(0.0), None, Some(1.0)], 1.0);
        let ids: Vec<&str> = ranked.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["c", "b", "a"]);
    }
}
