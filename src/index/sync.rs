//! Keeps the index equal to the database by replaying changes after the index watermark.

use super::indexer::Indexer;
use super::{IndexResult, IndexWriter, SearchIndex};
use crate::progress::Progress;
use crate::store::Store;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Changes read from the database per round trip.
const PAGE: i64 = 2_000;
/// Commit after this many uncommitted documents...
const COMMIT_DOCS: u64 = 100_000;
/// ...or after this long, when the caller lets the syncer pick (`CommitPolicy::WhenDue`).
const COMMIT_INTERVAL: Duration = Duration::from_secs(10);

/// When `catch_up` commits what it applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitPolicy {
    /// Commit before returning: the index is durable and visible up to the database.
    Now,
    /// Commit only when enough has piled up (while following a running import).
    WhenDue,
}

/// What one catch-up did.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct SyncReport {
    /// Documents written to the index.
    pub applied: u64,
    /// The index followed another database or was ahead of this one, and was emptied.
    pub rebuilt: bool,
    /// The change sequence the index has now applied (committed or not).
    pub seq: i64,
}

struct State {
    writer: Indexer,
    /// Highest change applied to the writer; `None` until read from the watermark.
    applied_seq: Option<i64>,
    database_id: String,
    /// Empty the index and replay the whole database on the next catch-up.
    rebuild: bool,
    uncommitted: u64,
    last_commit: Instant,
}

/// Owns the index writer (on its own thread) and feeds it from the store. Clones share
/// one writer; one catch-up runs at a time.
#[derive(Clone)]
pub struct Syncer {
    state: Arc<Mutex<State>>,
    index: SearchIndex,
    store: Arc<dyn Store>,
}

impl Syncer {
    pub fn new(
        index: SearchIndex,
        writer: IndexWriter,
        store: Arc<dyn Store>,
    ) -> IndexResult<Self> {
        let state = State {
            writer: Indexer::spawn(writer)?,
            applied_seq: None,
            database_id: String::new(),
            rebuild: false,
            uncommitted: 0,
            last_commit: Instant::now(),
        };
        Ok(Syncer {
            state: Arc::new(Mutex::new(state)),
            index,
            store,
        })
    }

    /// Applies every change after the watermark. Reads the store here, on the runtime, and
    /// hands the writes to the indexing thread. Runs as its own task, so a caller that
    /// stops waiting never leaves changes applied but not recorded.
    pub async fn catch_up(
        &self,
        policy: CommitPolicy,
        progress: Option<Progress>,
    ) -> IndexResult<SyncReport> {
        let this = self.clone();
        tokio::spawn(async move { this.apply_changes(policy, progress.as_ref()).await }).await?
    }

    async fn apply_changes(
        &self,
        policy: CommitPolicy,
        progress: Option<&Progress>,
    ) -> IndexResult<SyncReport> {
        let mut state = self.state.lock().await;
        let mut report = SyncReport::default();
        let store = self.store.as_ref();
        if state.applied_seq.is_none() {
            let database_id = store.database_id().await?;
            let max_seq = store.max_seq().await?;
            let mark = self.index.watermark()?;
            state.database_id = database_id;
            state.applied_seq = Some(mark.seq);
            if mark.database_id != state.database_id || mark.seq > max_seq {
                let docs = self.index.num_docs();
                // Never wipe an index for a database that has nothing to put back in it,
                // unless asked to (`papers reindex`).
                if docs > 0 && max_seq == 0 && !state.rebuild {
                    state.applied_seq = None;
                    return Err(super::IndexError::ForeignIndex {
                        dir: self.index.dir().to_path_buf(),
                        docs,
                    });
                }
                if docs > 0 {
                    tracing::warn!(index = %self.index.dir().display(), "index follows another database, rebuilding");
                }
                state.rebuild = true;
            }
        }
        if state.rebuild {
            state.writer.run(|w| w.clear()).await?;
            state.applied_seq = Some(0);
            state.rebuild = false;
            report.rebuilt = true;
        }
        let mut seq = state.applied_seq.unwrap_or(0);
        loop {
            let changes = store.changes_since(seq, PAGE).await?;
            let Some(last) = changes.last() else { break };
            // A paper first written after what the index had applied cannot be in it yet.
            let applied = seq;
            seq = last.seq;
            // A venue record linked to its arXiv paper is not searched on its own: the
            // arXiv paper carries its venue.
            let ids: Vec<String> = changes.iter().map(|c| c.paper.id.clone()).collect();
            let versions: HashSet<String> = store
                .links_of(&ids)
                .await?
                .into_iter()
                .map(|l| l.id)
                .collect();
            let n = changes.len() as u64;
            state
                .writer
                .run(move |writer| {
                    for change in &changes {
                        if versions.contains(&change.paper.id) {
                            writer.delete(&change.paper.id);
                        } else {
                            writer.upsert(&change.paper, change.first_seq <= applied)?;
                        }
                    }
                    Ok(())
                })
                .await?;
            report.applied += n;
            state.uncommitted += n;
            state.applied_seq = Some(seq);
            if let Some(p) = progress {
                p.advance(n);
            }
            if state.uncommitted >= COMMIT_DOCS {
                self.commit(&mut state, seq, false).await?;
            }
        }
        let due = state.uncommitted > 0 && state.last_commit.elapsed() >= COMMIT_INTERVAL;
        if policy == CommitPolicy::Now || due || report.rebuilt {
            self.commit(&mut state, seq, true).await?;
        }
        report.seq = seq;
        Ok(report)
    }

    /// Commits up to `seq`; with `refresh`, searches see the commit when this returns.
    async fn commit(&self, state: &mut State, seq: i64, refresh: bool) -> IndexResult<()> {
        let database_id = state.database_id.clone();
        let index = self.index.clone();
        state
            .writer
            .run(move |writer| {
                writer.commit(&database_id, seq)?;
                if refresh {
                    index.refresh()?;
                }
                Ok(())
            })
            .await?;
        state.uncommitted = 0;
        state.last_commit = Instant::now();
        Ok(())
    }

    /// Empties the index and replays the whole database into it.
    pub async fn rebuild(&self, progress: Option<Progress>) -> IndexResult<SyncReport> {
        self.state.lock().await.rebuild = true;
        self.catch_up(CommitPolicy::Now, progress).await
    }

    /// Merges the index's segments into one, so that a search sets up one scorer per
    /// term instead of one per segment. Searches go on meanwhile (on the old segments);
    /// the syncer waits only for the merge to start. Returns how many segments were merged.
    pub async fn compact(&self) -> IndexResult<usize> {
        let merge = {
            let state = self.state.lock().await;
            state.writer.run(|w| w.merge_all()).await?
        };
        let Some(merge) = merge else { return Ok(0) };
        let index = self.index.clone();
        tokio::task::spawn_blocking(move || {
            let segments = merge.segments;
            merge.wait()?;
            index.refresh()?;
            Ok(segments)
        })
        .await?
    }

    /// Bulk mode, for filling an empty index: no merges while it fills, one at the end
    /// (`end_bulk`), so that each paper is merged once instead of level by level. Returns
    /// whether the index was empty, and bulk mode taken.
    pub async fn begin_bulk(&self) -> IndexResult<bool> {
        if self.index.num_docs() > 0 {
            return Ok(false);
        }
        self.set_bulk(true).await?;
        Ok(true)
    }

    /// Leaves bulk mode and merges the segments written into one (as a server leaves an
    /// index a minute after an import). Returns how many segments were merged.
    pub async fn end_bulk(&self) -> IndexResult<usize> {
        self.set_bulk(false).await?;
        self.compact().await
    }

    async fn set_bulk(&self, bulk: bool) -> IndexResult<()> {
        let state = self.state.lock().await;
        state
            .writer
            .run(move |w| {
                w.set_bulk(bulk);
                Ok(())
            })
            .await
    }

    /// Commits what is pending and lets merges finish; the writer lock is released.
    pub async fn close(self) -> IndexResult<()> {
        self.catch_up(CommitPolicy::Now, None).await?;
        let Ok(mutex) = Arc::try_unwrap(self.state) else {
            return Ok(()); // another clone still uses the writer and closes it
        };
        mutex.into_inner().writer.close().await
    }
}
