//! The single index writer: turns papers into documents and commits with a watermark.

use super::{Fields, IndexResult, SCHEMA_VERSION, Watermark};
use crate::domain::Paper;
use tantivy::indexer::{LogMergePolicy, NoMergePolicy};
use tantivy::{Index, TantivyDocument, Term};

/// Memory for the writer's in-flight segments, shared by its threads.
const WRITER_MEMORY: usize = 128 * 1024 * 1024;

/// A merge under way.
pub struct MergeDone {
    pub segments: usize,
    future: tantivy::FutureResult<Option<tantivy::index::SegmentMeta>>,
}

impl MergeDone {
    /// Blocks until the merge is committed.
    pub fn wait(self) -> IndexResult<()> {
        self.future.wait()?;
        Ok(())
    }
}

/// Owns the index lock. Documents added are invisible until `commit`.
pub struct IndexWriter {
    inner: tantivy::IndexWriter,
    fields: Fields,
}

impl IndexWriter {
    pub(super) fn new(index: &Index, fields: Fields) -> tantivy::Result<Self> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        let inner = index.writer_with_num_threads(threads, WRITER_MEMORY)?;
        Ok(IndexWriter { inner, fields })
    }

    /// Adds the paper's document; with `replace`, first deletes any document with its id
    /// (a queued delete costs memory until the commit, so new papers skip it).
    pub fn upsert(&self, paper: &Paper, replace: bool) -> IndexResult<()> {
        let f = &self.fields;
        if replace {
            self.inner
                .delete_term(Term::from_field_text(f.id, &paper.id));
        }
        let mut doc = TantivyDocument::new();
        doc.add_text(f.id, &paper.id);
        doc.add_text(f.title, &paper.title);
        doc.add_text(f.title_exact, &paper.title);
        doc.add_text(f.text, &paper.title);
        doc.add_text(f.text, &paper.abstract_text);
        doc.add_text(f.abstract_exact, &paper.abstract_text);
        for author in &paper.authors {
            doc.add_text(f.authors, author);
        }
        for category in &paper.categories {
            doc.add_text(f.categories, category);
            doc.add_text(f.categories_lc, category);
        }
        if let Some(venue) = &paper.venue {
            doc.add_text(f.venue, &venue.name);
            doc.add_text(f.venue_facet, &venue.name);
            if let Some(track) = &venue.track {
                doc.add_text(f.track, track);
                doc.add_text(f.track_facet, track);
            }
        }
        if let Some(date) = paper.published {
            doc.add_u64(f.published, date.as_number());
            doc.add_u64(f.year, u64::from(date.year()));
        }
        self.inner.add_document(doc)?;
        Ok(())
    }

    /// Removes the paper's document, if any (a venue record linked to its arXiv version).
    pub fn delete(&self, id: &str) {
        self.inner
            .delete_term(Term::from_field_text(self.fields.id, id));
    }

    /// Drops every document (used when the index follows a different database).
    pub fn clear(&self) -> IndexResult<()> {
        self.inner.delete_all_documents()?;
        Ok(())
    }

    /// Makes everything added so far durable and visible, recording that the index now
    /// holds every change of `database_id` up to `seq`.
    pub fn commit(&mut self, database_id: &str, seq: i64) -> IndexResult<()> {
        let mark = Watermark {
            database_id: database_id.to_string(),
            seq,
            schema: SCHEMA_VERSION,
        };
        let payload = serde_json::to_string(&mark).expect("watermark serialises");
        let mut prepared = self.inner.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        Ok(())
    }

    /// Starts merging the index's committed segments into one; the result is ready when
    /// the merge is done (searches see the old segments until then).
    pub fn merge_all(&mut self) -> IndexResult<Option<MergeDone>> {
        let ids = self.inner.index().searchable_segment_ids()?;
        Ok((ids.len() > 1).then(|| MergeDone {
            segments: ids.len(),
            future: self.inner.merge(&ids),
        }))
    }

    /// In bulk (filling an empty index), segments are not merged as they come, level by
    /// level, only once at the end (`merge_all`): each paper is merged once.
    pub fn set_bulk(&self, bulk: bool) {
        match bulk {
            true => self.inner.set_merge_policy(Box::new(NoMergePolicy)),
            false => self
                .inner
                .set_merge_policy(Box::new(LogMergePolicy::default())),
        }
    }

    /// Waits for background merges to finish and releases the lock.
    pub fn close(self) -> IndexResult<()> {
        self.inner.wait_merging_threads()?;
        Ok(())
    }
}
