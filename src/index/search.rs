//! Ranked retrieval: query words OR-ed over title, title+abstract and authors, scored by BM25.

use super::schema::{EXACT, PROSE};
use super::{Fields, IndexResult, SearchIndex};
use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{DocAddress, Searcher, TantivyDocument, Term};

/// Query terms beyond this many are ignored: they cannot change a ranking much and would
/// make hostile queries expensive.
const MAX_TERMS: usize = 64;

/// Field weights, tuned on SciFact's train queries (docs/quality.md).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ranking {
    /// Weight of the title field relative to the title+abstract field.
    pub title_boost: f32,
    /// Weight of author names.
    pub author_boost: f32,
}

impl Default for Ranking {
    fn default() -> Self {
        Ranking {
            title_boost: 0.25,
            author_boost: 1.0,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub id: String,
    pub title: String,
    pub score: f32,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    pub total: u64,
    pub hits: Vec<Hit>,
}

impl SearchIndex {
    /// Ranks papers for a free-text query. Words are analysed like the indexed text
    /// (lower-cased, folded, stemmed) and OR-ed; a query without words matches nothing.
    pub fn search(
        &self,
        text: &str,
        limit: usize,
        offset: usize,
        ranking: Ranking,
    ) -> IndexResult<SearchResults> {
        let searcher = self.reader.searcher();
        let Some(query) = self.build_query(text, ranking) else {
            return Ok(SearchResults {
                total: 0,
                hits: Vec::new(),
            });
        };
        let top = TopDocs::with_limit(limit.max(1))
            .and_offset(offset)
            .order_by_score();
        let (top, total) = searcher.search(&query, &(top, Count))?;
        let hits = if limit == 0 {
            Vec::new()
        } else {
            self.hits(&searcher, top)?
        };
        Ok(SearchResults {
            total: total as u64,
            hits,
        })
    }

    /// Loose words are OR-ed over title+abstract, title and authors. A `"quoted phrase"`
    /// must appear exactly as written (unstemmed, in order); an unclosed quote counts as
    /// loose words.
    fn build_query(&self, text: &str, ranking: Ranking) -> Option<Box<dyn Query>> {
        let f = &self.fields;
        let (loose, phrases) = split_phrases(text);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for word in &self.analyse(PROSE, &loose) {
            clauses.push((Occur::Should, term_query(f.text, word, 1.0)));
            clauses.push((
                Occur::Should,
                term_query(f.title, word, ranking.title_boost),
            ));
        }
        for name in &self.analyse(EXACT, &loose) {
            clauses.push((
                Occur::Should,
                term_query(f.authors, name, ranking.author_boost),
            ));
        }
        for phrase in phrases {
            let words = self.analyse(EXACT, phrase);
            let query: Box<dyn Query> = match &words[..] {
                [] => continue,
                [word] => term_query(f.text_exact, word, 1.0),
                _ => Box::new(PhraseQuery::new(
                    words
                        .iter()
                        .map(|w| Term::from_field_text(f.text_exact, w))
                        .collect(),
                )),
            };
            clauses.push((Occur::Must, query));
        }
        (!clauses.is_empty()).then(|| Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>)
    }

    fn analyse(&self, analyser: &str, text: &str) -> Vec<String> {
        let Some(mut analyser) = self.index.tokenizers().get(analyser) else {
            return Vec::new();
        };
        let mut words = Vec::new();
        let mut stream = analyser.token_stream(text);
        while let Some(token) = stream.next() {
            if words.len() == MAX_TERMS {
                break;
            }
            words.push(token.text.clone());
        }
        words
    }

    fn hits(&self, searcher: &Searcher, top: Vec<(f32, DocAddress)>) -> IndexResult<Vec<Hit>> {
        let f = &self.fields;
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            hits.push(Hit {
                id: text_value(&doc, f.id),
                title: text_value(&doc, f.title),
                score,
            });
        }
        Ok(hits)
    }
}

/// Splits `a "b c" d` into the loose words `a  d` and the phrases `["b c"]`.
fn split_phrases(text: &str) -> (String, Vec<&str>) {
    let parts: Vec<&str> = text.split('"').collect();
    let closed = if parts.len() % 2 == 1 {
        parts.len()
    } else {
        parts.len() - 1
    };
    let mut loose = String::with_capacity(text.len());
    let mut phrases = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        if i % 2 == 1 && i < closed {
            phrases.push(*part);
        } else {
            loose.push_str(part);
            loose.push(' ');
        }
    }
    (loose, phrases)
}

fn term_query(field: tantivy::schema::Field, word: &str, boost: f32) -> Box<dyn Query> {
    let term = TermQuery::new(
        Term::from_field_text(field, word),
        IndexRecordOption::WithFreqs,
    );
    Box::new(BoostQuery::new(Box::new(term), boost))
}

fn text_value(doc: &TantivyDocument, field: tantivy::schema::Field) -> String {
    doc.get_first(field)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string()
}

/// Every live document's id.
pub(super) fn all_ids(searcher: &Searcher, fields: &Fields) -> IndexResult<Vec<String>> {
    let mut ids = Vec::new();
    for (ord, segment) in searcher.segment_readers().iter().enumerate() {
        for doc in segment.doc_ids_alive() {
            let doc: TantivyDocument = searcher.doc(DocAddress::new(ord as u32, doc))?;
            ids.push(text_value(&doc, fields.id));
        }
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::split_phrases;

    #[test]
    fn quotes_make_phrases_and_an_unclosed_quote_is_loose() {
        let split = |q| {
            let (loose, phrases) = split_phrases(q);
            (
                loose.split_whitespace().collect::<Vec<_>>().join(" "),
                phrases,
            )
        };
        assert_eq!(split(r#"a "b c" d"#), ("a d".to_string(), vec!["b c"]));
        assert_eq!(split(r#""x" y "z"#), ("y z".to_string(), vec!["x"]));
        assert_eq!(split("plain"), ("plain".to_string(), vec![]));
    }
}
