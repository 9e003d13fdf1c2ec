//! Ranking quality on a BEIR collection: nDCG@10, Recall@100, MRR@10 and latency.

use crate::embed::Embedder;
use crate::embed::rerank::{fuse, meaning_text};
use crate::embed::semantic::Semantic;
use crate::import::{self, Format};
use crate::index::{Hit, Ranking, SearchIndex, SearchRequest, Syncer};
use crate::progress::Progress;
use crate::store;
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// Hits retrieved per query (the depth of Recall@100).
const DEPTH: usize = 100;

#[derive(Debug, Clone, Serialize)]
pub struct Scores {
    /// Which qrels were scored.
    pub split: String,
    pub title_boost: f32,
    /// The cosine's share in the fused score, when reranked.
    pub rerank_weight: Option<f32>,
    /// BM25 candidates reranked.
    pub rerank_depth: Option<usize>,
    pub queries: usize,
    pub ndcg_at_10: f64,
    pub recall_at_100: f64,
    pub mrr_at_10: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
}

#[derive(Deserialize)]
struct Query {
    #[serde(rename = "_id")]
    id: String,
    text: String,
}

/// Relevance judgements: query id → (document id → grade).
type Qrels = HashMap<String, HashMap<String, u32>>;

/// Reranking to score: the embedder, the candidates reranked and the weights to try.
pub struct RerankEval {
    pub embedder: Arc<dyn Embedder>,
    /// BM25 candidates reranked (each scored).
    pub depths: Vec<usize>,
    pub weights: Vec<f32>,
}

/// Imports `dir/corpus.jsonl` into a scratch database and index, then scores the queries
/// of `dir/qrels/<split>.tsv` once per title weight.
pub async fn run(dir: &Path, split: &str, title_boosts: &[f32]) -> anyhow::Result<Vec<Scores>> {
    run_with(dir, &[split.to_string()], title_boosts, None, None).await
}

/// `run` over several splits (one import, one embedding), and with `rerank` also the
/// reranked rankings (once per title weight and rerank weight), after embedding the corpus;
/// `distractors`, an arXiv snapshot, is imported beside the collection first.
pub async fn run_with(
    dir: &Path,
    splits: &[String],
    title_boosts: &[f32],
    rerank: Option<RerankEval>,
    distractors: Option<&str>,
) -> anyhow::Result<Vec<Scores>> {
    let scratch = tempfile::tempdir().context("cannot make a scratch directory")?;
    let url = format!("sqlite://{}", scratch.path().join("eval.db").display());
    let store = store::connect(&url).await?;
    let index = SearchIndex::open(&scratch.path().join("index"))?;
    let writer = index.try_writer()?.context("scratch index is locked")?;
    let syncer = Syncer::new(index.clone(), writer, store.clone())?;
    if let Some(path) = distractors {
        let input = import::input::open(path)?;
        let summary = import::run(
            store.clone(),
            Some(syncer.clone()),
            input,
            Format::ArxivSnapshot,
        )
        .await?;
        tracing::info!(%summary, "distractors imported");
    }
    let corpus = dir.join("corpus.jsonl");
    let input = import::input::open(&corpus.to_string_lossy())?;
    let summary = import::run(store.clone(), Some(syncer.clone()), input, Format::Jsonl).await?;
    tracing::info!(%summary, "corpus imported");
    syncer.close().await?;
    index.refresh()?;

    let semantic = match &rerank {
        Some(r) => {
            let semantic = Semantic::open(
                r.embedder.clone(),
                scratch.path(),
                &*store,
                crate::embed::ann::AnnOptions::default(),
            )
            .await?;
            let progress = Progress::new("embedding", Some(store.count().await? as u64));
            semantic.catch_up(&*store, 64, Some(&progress)).await?;
            progress.finish();
            Some(semantic)
        }
        None => None,
    };
    let base = Ranking::from_env()?;
    let boosts = if title_boosts.is_empty() {
        vec![base.title_boost]
    } else {
        title_boosts.to_vec()
    };
    let mut all = Vec::new();
    for split in splits {
        let qrels = read_qrels(&dir.join("qrels").join(format!("{split}.tsv")))?;
        let queries = read_queries(&dir.join("queries.jsonl"), &qrels)?;
        for &title_boost in &boosts {
            let ranking = Ranking {
                title_boost,
                ..base
            };
            let mut scores = vec![score(&index, &queries, &qrels, ranking)?];
            if let (Some(semantic), Some(rerank)) = (&semantic, &rerank) {
                let reranked =
                    score_reranked(&index, semantic, &queries, &qrels, ranking, rerank).await?;
                scores.extend(reranked);
            }
            for mut s in scores {
                s.split = split.clone();
                all.push(s);
            }
        }
    }
    store.close().await;
    Ok(all)
}

fn score(
    index: &SearchIndex,
    queries: &[Query],
    qrels: &Qrels,
    ranking: Ranking,
) -> anyhow::Result<Scores> {
    let mut tally = Tally::default();
    for q in queries {
        let started = Instant::now();
        let results = index.search(&SearchRequest::new(&q.text, DEPTH), ranking)?;
        tally.add(&results.hits, &qrels[&q.id], started);
    }
    Ok(tally.scores(ranking.title_boost, None))
}

/// Scores BM25 top K reranked, for each K of `rerank.depths` and each weight; latency counts
/// the BM25 search, the query's embedding and the fusion.
async fn score_reranked(
    index: &SearchIndex,
    semantic: &Semantic,
    queries: &[Query],
    qrels: &Qrels,
    ranking: Ranking,
    rerank: &RerankEval,
) -> anyhow::Result<Vec<Scores>> {
    let mut all = Vec::new();
    for &depth in &rerank.depths {
        let mut tallies: Vec<Tally> = rerank.weights.iter().map(|_| Tally::default()).collect();
        for q in queries {
            let started = Instant::now();
            let hits = index
                .search(&SearchRequest::new(&q.text, depth.max(DEPTH)), ranking)?
                .hits;
            let text = meaning_text(&crate::query::parse(&q.text));
            let vector = semantic.embedder.embed(vec![text]).await?;
            let vector = vector.first().context("no query vector")?;
            let cosines: Vec<Option<f32>> = {
                let set = semantic.read();
                hits.iter()
                    .take(depth)
                    .map(|h| set.cosine(&h.id, vector))
                    .collect()
            };
            for (tally, &weight) in tallies.iter_mut().zip(&rerank.weights) {
                let mut ranked = fuse(hits[..cosines.len()].to_vec(), &cosines, weight);
                ranked.extend_from_slice(&hits[cosines.len()..]);
                tally.add(&ranked, &qrels[&q.id], started);
            }
        }
        all.extend(tallies.into_iter().zip(&rerank.weights).map(|(t, &w)| {
            let mut s = t.scores(ranking.title_boost, Some(w));
            s.rerank_depth = Some(depth);
            s
        }));
    }
    Ok(all)
}

/// Sums of the metrics over queries, and their latencies.
#[derive(Default)]
struct Tally {
    ndcg: f64,
    recall: f64,
    mrr: f64,
    latencies: Vec<f64>,
}

impl Tally {
    /// Adds one query's ranking; its latency runs from `started` to now.
    fn add(&mut self, hits: &[Hit], judged: &HashMap<String, u32>, started: Instant) {
        self.latencies.push(started.elapsed().as_secs_f64() * 1e3);
        let ranked: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
        self.ndcg += ndcg_at(&ranked, judged, 10);
        self.recall += recall_at(&ranked, judged, DEPTH);
        self.mrr += mrr_at(&ranked, judged, 10);
    }

    fn scores(mut self, title_boost: f32, rerank_weight: Option<f32>) -> Scores {
        let queries = self.latencies.len();
        let latencies = &mut self.latencies;
        latencies.sort_by(f64::total_cmp);
        let n = queries.max(1) as f64;
        let pct = |p: f64| {
            latencies
                .get(((latencies.len() as f64 - 1.0) * p).round() as usize)
                .copied()
                .unwrap_or(0.0)
        };
        Scores {
            split: String::new(),
            title_boost,
            rerank_weight,
            rerank_depth: None,
            queries,
            ndcg_at_10: self.ndcg / n,
            recall_at_100: self.recall / n,
            mrr_at_10: self.mrr / n,
            p50_ms: pct(0.5),
            p95_ms: pct(0.95),
        }
    }
}

/// nDCG with linear gains, as trec_eval and BEIR compute it.
pub fn ndcg_at(ranked: &[&str], judged: &HashMap<String, u32>, k: usize) -> f64 {
    let discount = |i: usize| 1.0 / ((i + 2) as f64).log2();
    let dcg: f64 = ranked
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, id)| f64::from(judged.get(*id).copied().unwrap_or(0)) * discount(i))
        .sum();
    let mut ideal: Vec<u32> = judged.values().copied().filter(|&g| g > 0).collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, &g)| f64::from(g) * discount(i))
        .sum();
    if idcg == 0.0 { 0.0 } else { dcg / idcg }
}

pub fn recall_at(ranked: &[&str], judged: &HashMap<String, u32>, k: usize) -> f64 {
    let relevant = judged.values().filter(|&&g| g > 0).count();
    let found = ranked
        .iter()
        .take(k)
        .filter(|id| judged.get(**id).is_some_and(|&g| g > 0))
        .count();
    if relevant == 0 {
        0.0
    } else {
        found as f64 / relevant as f64
    }
}

pub fn mrr_at(ranked: &[&str], judged: &HashMap<String, u32>, k: usize) -> f64 {
    ranked
        .iter()
        .take(k)
        .position(|id| judged.get(*id).is_some_and(|&g| g > 0))
        .map_or(0.0, |i| 1.0 / (i + 1) as f64)
}

fn read_qrels(path: &Path) -> anyhow::Result<Qrels> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut qrels = Qrels::new();
    for (no, line) in text.lines().enumerate().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [query, doc, grade] = cols[..] else {
            anyhow::bail!(
                "{}:{}: expected query-id, corpus-id, score",
                path.display(),
                no + 1
            );
        };
        let grade: u32 = grade
            .trim()
            .parse()
            .with_context(|| format!("{}:{}: bad score", path.display(), no + 1))?;
        qrels
            .entry(query.to_string())
            .or_default()
            .insert(doc.to_string(), grade);
    }
    Ok(qrels)
}

/// The queries that have judgements, in file order.
fn read_queries(path: &Path, qrels: &Qrels) -> anyhow::Result<Vec<Query>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut queries = Vec::new();
    for (no, line) in text.lines().enumerate() {
        let q: Query =
            serde_json::from_str(line).with_context(|| format!("{}:{}", path.display(), no + 1))?;
        if qrels.contains_key(&q.id) {
            queries.push(q);
        }
    }
    Ok(queries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(ids: &[&str]) -> HashMap<String, u32> {
        ids.iter().map(|id| (id.to_string(), 1)).collect()
    }

    #[test]
    fn metrics_match_hand_computed_values() {
        let j = judged(&["a", "c"]);
        let ranked = ["a", "b", "c"];
        let dcg = 1.0 + 1.0 / 4f64.log2();
        let idcg = 1.0 + 1.0 / 3f64.log2();
        assert!((ndcg_at(&ranked, &j, 10) - dcg / idcg).abs() < 1e-12);
        assert_eq!(recall_at(&ranked, &j, 2), 0.5);
        assert_eq!(mrr_at(&["b", "c"], &j, 10), 0.5);
        assert_eq!(mrr_at(&["b"], &j, 10), 0.0);
    }
}
