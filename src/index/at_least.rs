//! "At least k of these clauses", walking only the cheapest lists whole (Lucene's
//! minimum-should-match walk): a paper holding k of n words is in one of the n − k + 1
//! shortest lists, and the k − 1 longest are only sought at those papers.

use tantivy::query::{EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, TantivyError, Term};

/// Matches papers that match at least `min` of `clauses`, scored by the sum of the scores of
/// those they match (the same score a union gives them).
#[derive(Debug)]
pub struct AtLeast {
    clauses: Vec<Box<dyn Query>>,
    min: usize,
}

impl AtLeast {
    /// `min` is clamped to 1..=clauses.len().
    pub fn new(clauses: Vec<Box<dyn Query>>, min: usize) -> Self {
        let min = min.clamp(1, clauses.len().max(1));
        AtLeast { clauses, min }
    }
}

impl Clone for AtLeast {
    fn clone(&self) -> Self {
        AtLeast {
            clauses: self.clauses.iter().map(|q| q.box_clone()).collect(),
            min: self.min,
        }
    }
}

impl Query for AtLeast {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let weights = self
            .clauses
            .iter()
            .map(|q| q.weight(scoring))
            .collect::<tantivy::Result<_>>()?;
        Ok(Box::new(AtLeastWeight {
            weights,
            min: self.min,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for clause in &self.clauses {
            clause.query_terms(visitor);
        }
    }
}

struct AtLeastWeight {
    weights: Vec<Box<dyn Weight>>,
    min: usize,
}

impl Weight for AtLeastWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut scorers = Vec::with_capacity(self.weights.len());
        for weight in &self.weights {
            let scorer = weight.scorer(reader, boost)?;
            if scorer.doc() != TERMINATED {
                scorers.push(scorer);
            }
        }
        if scorers.len() < self.min {
            return Ok(Box::new(EmptyScorer));
        }
        Ok(Box::new(AtLeastScorer::new(scorers, self.min)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.doc() > doc || scorer.seek(doc) != doc {
            return Err(TantivyError::InvalidArgument(format!(
                "document #({doc}) does not match"
            )));
        }
        Ok(Explanation::new(
            "at least this many of the clauses",
            scorer.score(),
        ))
    }
}

/// The walk: candidates come from the union of the lead (the n − min + 1 cheapest
/// scorers); the tail (the others) is sought at each candidate, until the candidate has `min`
/// clauses or can no longer reach them. Each scorer's position is kept beside it, so that
/// finding the next candidate reads an array rather than asking every scorer.
struct AtLeastScorer {
    /// Cheapest first: the first `lead` are the lead.
    scorers: Vec<Box<dyn Scorer>>,
    docs: Vec<DocId>,
    lead: usize,
    min: usize,
    doc: DocId,
}

impl AtLeastScorer {
    fn new(mut scorers: Vec<Box<dyn Scorer>>, min: usize) -> Self {
        scorers.sort_by_key(|s| s.cost());
        let docs = scorers.iter().map(|s| s.doc()).collect();
        let lead = scorers.len() + 1 - min;
        let mut scorer = AtLeastScorer {
            scorers,
            docs,
            lead,
            min,
            doc: 0,
        };
        scorer.doc = scorer.settle();
        scorer
    }

    /// The first match at or after the lead's current positions.
    fn settle(&mut self) -> DocId {
        let (lead, min) = (self.lead, self.min);
        loop {
            let candidate = self.docs[..lead]
                .iter()
                .copied()
                .min()
                .unwrap_or(TERMINATED);
            if candidate == TERMINATED {
                return TERMINATED;
            }
            let mut matched = self.docs[..lead]
                .iter()
                .filter(|&&d| d == candidate)
                .count();
            let mut left = self.scorers.len() - lead;
            for i in lead..self.scorers.len() {
                if matched + left < min {
                    break;
                }
                left -= 1;
                if self.docs[i] < candidate {
                    self.docs[i] = self.scorers[i].seek(candidate);
                }
                if self.docs[i] == candidate {
                    matched += 1;
                }
            }
            if matched >= min {
                return candidate;
            }
            self.advance_lead_past(candidate);
        }
    }

    fn advance_lead_past(&mut self, doc: DocId) {
        for i in 0..self.lead {
            if self.docs[i] == doc {
                self.docs[i] = self.scorers[i].advance();
            }
        }
    }
}

impl DocSet for AtLeastScorer {
    fn advance(&mut self) -> DocId {
        if self.doc != TERMINATED {
            self.advance_lead_past(self.doc);
            self.doc = self.settle();
        }
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        for i in 0..self.lead {
            if self.docs[i] < target {
                self.docs[i] = self.scorers[i].seek(target);
            }
        }
        self.doc = self.settle();
        self.doc
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.scorers[..self.lead]
            .iter()
            .map(|s| s.size_hint())
            .fold(0, u32::saturating_add)
    }

    fn cost(&self) -> u64 {
        self.scorers[..self.lead].iter().map(|s| s.cost()).sum()
    }
}

impl Scorer for AtLeastScorer {
    fn score(&mut self) -> Score {
        let doc = self.doc;
        let mut sum = 0.0;
        for (scorer, at) in self.scorers.iter_mut().zip(&self.docs) {
            if *at == doc {
                sum += scorer.score();
            }
        }
        sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::{BooleanQuery, TermQuery};
    use tantivy::schema::{IndexRecordOption, Schema, TEXT};
    use tantivy::{Index, TantivyDocument};

    /// Papers of up to four words out of eight, each paper's words drawn from its number.
    fn index() -> (Index, tantivy::schema::Field) {
        let mut schema = Schema::builder();
        let body = schema.add_text_field("body", TEXT);
        let index = Index::create_in_ram(schema.build());
        let mut writer: tantivy::IndexWriter = index.writer(20_000_000).unwrap();
        for n in 0u32..3_000 {
            let words: Vec<String> = (0..8)
                .filter(|w| (n.wrapping_mul(2_654_435_761) >> (w * 3)) % (w + 2) == 0)
                .map(|w| format!("w{w}"))
                .collect();
            let mut doc = TantivyDocument::new();
            doc.add_text(body, words.join(" "));
            writer.add_document(doc).unwrap();
        }
        writer.commit().unwrap();
        (index, body)
    }

    fn words(body: tantivy::schema::Field, n: usize) -> Vec<Box<dyn Query>> {
        (0..n)
            .map(|w| -> Box<dyn Query> {
                Box::new(TermQuery::new(
                    Term::from_field_text(body, &format!("w{w}")),
                    IndexRecordOption::WithFreqs,
                ))
            })
            .collect()
    }

    #[test]
    fn finds_and_scores_what_tantivys_own_minimum_match_does() {
        let (index, body) = index();
        let searcher = index.reader().unwrap().searcher();
        for n in 2..=8 {
            for min in 1..=n {
                let ours = AtLeast::new(words(body, n), min);
                let theirs = BooleanQuery::union_with_minimum_required_clauses(words(body, n), min);
                let count = |q: &dyn Query| searcher.search(q, &Count).unwrap();
                assert_eq!(count(&ours), count(&theirs), "{min} of {n}");
                assert!(
                    count(&ours) > 0,
                    "{min} of {n} matches nothing: a weak test"
                );
                let top = |q: &dyn Query| {
                    searcher
                        .search(q, &TopDocs::with_limit(3_000).order_by_score())
                        .unwrap()
                };
                // The same papers with the same scores (ties may come in another order).
                let theirs: std::collections::HashMap<_, _> =
                    top(&theirs).into_iter().map(|(s, d)| (d, s)).collect();
                let ours = top(&ours);
                assert_eq!(ours.len(), theirs.len(), "{min} of {n}");
                for (score, doc) in ours {
                    let expected = theirs[&doc];
                    assert!(
                        (score - expected).abs() < 1e-4,
                        "{min} of {n}: {score} vs {expected}"
                    );
                }
            }
        }
    }

    #[test]
    fn seeks_land_on_the_next_match() {
        let (index, body) = index();
        let searcher = index.reader().unwrap().searcher();
        let segment = &searcher.segment_readers()[0];
        let weight = |q: &dyn Query| q.weight(EnableScoring::disabled_from_searcher(&searcher));
        let all = |s: &mut Box<dyn Scorer>| {
            let mut docs = Vec::new();
            while s.doc() != TERMINATED {
                docs.push(s.doc());
                s.advance();
            }
            docs
        };
        let ours = weight(&AtLeast::new(words(body, 6), 3)).unwrap();
        let matches = all(&mut ours.scorer(segment, 1.0).unwrap());
        assert!(matches.len() > 10);
        for target in [0, 1, 17, 500, 1_234, 2_999, 3_000] {
            let mut scorer = ours.scorer(segment, 1.0).unwrap();
            let expected = matches
                .iter()
                .copied()
                .find(|&d| d >= target)
                .unwrap_or(TERMINATED);
            let got = if scorer.doc() >= target {
                scorer.doc()
            } else {
                scorer.seek(target)
            };
            assert_eq!(got, expected, "seek {target}");
        }
    }
}
