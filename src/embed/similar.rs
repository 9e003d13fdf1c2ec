//! Related papers: the stored vectors nearest to a paper's or a text's, by exact scan or,
//! in large sets, through the approximate index (src/embed/ann.rs).

use super::semantic::Semantic;
use super::vectors::VectorSet;
use crate::domain::Paper;
use crate::store::Store;
use anyhow::Context;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A paper and its cosine similarity to the probe.
#[derive(Debug, Clone, PartialEq)]
pub struct Neighbour {
    pub id: String,
    pub score: f32,
}

/// A score ordered totally, for the heap.
#[derive(PartialEq)]
struct Scored(f32, usize);

impl Eq for Scored {}

impl PartialOrd for Scored {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Scored {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0).then(other.1.cmp(&self.1))
    }
}

/// The `k` vectors most similar to `probe`, best first, leaving out `exclude`: from the
/// approximate index when the set has one, by exact scan otherwise.
pub fn nearest(set: &VectorSet, probe: &[f32], k: usize, exclude: Option<&str>) -> Vec<Neighbour> {
    if k == 0 || probe.is_empty() || probe.len() != set.dim() {
        return Vec::new();
    }
    match set.ann() {
        Some(ann) => {
            let rows = ann.candidates(probe);
            let mut scores = vec![0f32; rows.len()];
            set.cosines_of(probe, &rows, &mut scores);
            let scored = rows.into_iter().map(|r| r as usize).zip(scores);
            best(set, scored, k, exclude)
        }
        None => {
            let mut scores = vec![0f32; set.len()];
            set.cosines(probe, &mut scores);
            best(set, scores.into_iter().enumerate(), k, exclude)
        }
    }
}

/// The `k` best of `scored` (row, cosine), best first, leaving out `exclude`.
fn best(
    set: &VectorSet,
    scored: impl Iterator<Item = (usize, f32)>,
    k: usize,
    exclude: Option<&str>,
) -> Vec<Neighbour> {
    let mut best: BinaryHeap<Reverse<Scored>> = BinaryHeap::with_capacity(k + 1);
    for (row, score) in scored {
        if best.len() == k && best.peek().is_some_and(|Reverse(s)| s.0 >= score) {
            continue;
        }
        if exclude == Some(set.id(row)) {
            continue;
        }
        best.push(Reverse(Scored(score, row)));
        if best.len() > k {
            best.pop();
        }
    }
    let mut found: Vec<Scored> = best.into_iter().map(|Reverse(s)| s).collect();
    found.sort_by(|a, b| b.cmp(a));
    found
        .into_iter()
        .map(|Scored(score, row)| Neighbour {
            id: set.id(row).to_string(),
            score,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_closest_vectors_best_first_without_the_probe_itself() {
        let mut set = VectorSet::new(2);
        let unit = |a: f32| [a.cos(), a.sin()];
        for (i, angle) in [0.0f32, 0.1, 0.5, 1.0, 3.0].iter().enumerate() {
            set.insert(&format!("p{i}"), i as i64 + 1, &unit(*angle));
        }
        let found = nearest(&set, &unit(0.0), 2, Some("p0"));
        let ids: Vec<&str> = found.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids, ["p1", "p2"]);
        assert!((found[0].score - 0.1f32.cos()).abs() < 1e-6);
        assert_eq!(nearest(&set, &unit(0.0), 10, None).len(), 5);
        assert!(nearest(&set, &[1.0, 0.0, 0.0], 3, None).is_empty());
    }
}

/// What to find papers like.
#[derive(Debug, Clone)]
pub enum Probe {
    /// A stored paper (left out of its own neighbours).
    Paper(String),
    /// Free text, such as an abstract.
    Text(String),
}

/// Keeps only neighbours sharing something with the probe paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Same {
    /// At least one category in common.
    Category,
    /// The same venue.
    Venue,
}

/// Nearest neighbours scanned when a `Same` filter thins them out.
const FILTERED_POOL: usize = 200;

impl Semantic {
    /// The `k` papers nearest to `probe`, best first, with their cosine; `None` when the
    /// probe paper is unknown or not embedded yet.
    pub async fn related(
        &self,
        store: &dyn Store,
        probe: &Probe,
        k: usize,
        same: Option<Same>,
    ) -> anyhow::Result<Option<Vec<(Paper, f32)>>> {
        let (vector, source) = match probe {
            Probe::Paper(id) => {
                let Some(v) = self.read().get(id) else {
                    return Ok(None);
                };
                let source = match same {
                    Some(_) => store.papers_by_id(std::slice::from_ref(id)).await?.pop(),
                    None => None,
                };
                (v, source)
            }
            Probe::Text(text) => {
                let mut v = self.embedder.embed(vec![text.clone()]).await?;
                (v.pop().context("the embedder returned no vector")?, None)
            }
        };
        let pool = if source.is_some() { FILTERED_POOL } else { k };
        let exclude = match probe {
            Probe::Paper(id) => Some(id.clone()),
            Probe::Text(_) => None,
        };
        let vectors = self.vectors.clone();
        let found = tokio::task::spawn_blocking(move || {
            let set = vectors.read().unwrap_or_else(|e| e.into_inner());
            nearest(&set, &vector, pool, exclude.as_deref())
        })
        .await?;
        let ids: Vec<String> = found.iter().map(|n| n.id.clone()).collect();
        let mut papers: std::collections::HashMap<String, Paper> = store
            .papers_by_id(&ids)
            .await?
            .into_iter()
            .map(|p| (p.id.clone(), p))
            .collect();
        let shares = |p: &Paper| match (&source, same) {
            (Some(s), Some(Same::Category)) => {
                p.categories.iter().any(|c| s.categories.contains(c))
            }
            (Some(s), Some(Same::Venue)) => {
                p.venue.as_ref().map(|v| &v.name) == s.venue.as_ref().map(|v| &v.name)
                    && p.venue.is_some()
            }
            _ => true,
        };
        Ok(Some(
            found
                .into_iter()
                .filter_map(|n| Some((papers.remove(&n.id)?, n.score)))
                .filter(|(p, _)| shares(p))
                .take(k)
                .collect(),
        ))
    }
}
