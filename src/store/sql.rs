//! The store both backends share, written once over `sqlx::Database`; each backend adds
//! its connection setup and how it writes a batch of rows.

use super::batch::{self, BatchOutcome};
use super::row::{COLUMNS, NewRow, PaperRow};
use super::{Change, Store, StoreResult};
use crate::domain::Paper;
use async_trait::async_trait;
use sqlx::{
    AssertSqlSafe, ColumnIndex, Database, Decode, Encode, Executor, FromRow, IntoArguments, Pool,
    Type,
};
use std::collections::HashMap;
use std::future::Future;

/// What differs between the SQL backends.
pub(super) trait Backend: Database {
    /// `sqlite` or `postgres`.
    const BACKEND: &'static str;
    /// Selects `COLUMNS` of the papers whose id is in the JSON array of ids bound as `$1`.
    const PAPERS_IN_JSON_IDS: &'static str;

    /// Inserts or replaces these rows inside the caller's transaction.
    fn write_rows(
        conn: &mut Self::Connection,
        rows: Vec<NewRow<'_>>,
    ) -> impl Future<Output = StoreResult<()>> + Send;
}

/// A `Store` over a connection pool of backend `DB`.
pub(super) struct SqlStore<DB: Database> {
    pub pool: Pool<DB>,
}

#[async_trait]
impl<DB> Store for SqlStore<DB>
where
    DB: Backend,
    DB::Arguments: IntoArguments<DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    PaperRow: for<'r> FromRow<'r, DB::Row>,
    usize: ColumnIndex<DB::Row>,
    i64: for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB> + Type<DB>,
    String: for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB> + Type<DB>,
{
    fn backend(&self) -> &'static str {
        DB::BACKEND
    }

    #[tracing::instrument(skip_all, fields(papers = papers.len()))]
    async fn upsert_batch(&self, papers: &[Paper]) -> StoreResult<BatchOutcome> {
        let mut tx = self.pool.begin().await?;
        // Locking the sequence row first serialises write batches: they commit in
        // sequence order, so a reader never sees change N+1 before change N.
        let lock = "UPDATE change_seq SET value = value WHERE id = 1 RETURNING value";
        let last_seq = sqlx::query_scalar::<DB, i64>(lock)
            .fetch_one(&mut *tx)
            .await?;
        let ids: Vec<String> = papers.iter().map(|p| p.id.clone()).collect();
        let stored = papers_by_id::<DB, _>(&mut *tx, &ids)
            .await?
            .into_iter()
            .map(|p| (p.id.clone(), p))
            .collect();
        let (writes, outcome) = batch::plan(papers, &stored);
        if !writes.is_empty() {
            let new_last = last_seq + writes.len() as i64;
            let rows = (last_seq + 1..)
                .zip(writes)
                .map(|(seq, p)| NewRow::new(p, seq))
                .collect();
            DB::write_rows(&mut tx, rows).await?;
            sqlx::query::<DB>("UPDATE change_seq SET value = $1 WHERE id = 1")
                .bind(new_last)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(outcome)
    }

    async fn changes_since(&self, after_seq: i64, limit: i64) -> StoreResult<Vec<Change>> {
        let sql = format!("SELECT {COLUMNS} FROM papers WHERE seq > $1 ORDER BY seq LIMIT $2");
        let rows = sqlx::query_as::<DB, PaperRow>(AssertSqlSafe(sql))
            .bind(after_seq)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(PaperRow::into_change).collect()
    }

    async fn max_seq(&self) -> StoreResult<i64> {
        let sql = "SELECT value FROM change_seq WHERE id = 1";
        Ok(sqlx::query_scalar::<DB, i64>(sql)
            .fetch_one(&self.pool)
            .await?)
    }

    async fn database_id(&self) -> StoreResult<String> {
        let sql = "SELECT database_id FROM instance WHERE id = 1";
        Ok(sqlx::query_scalar::<DB, String>(sql)
            .fetch_one(&self.pool)
            .await?)
    }

    async fn papers_by_id(&self, ids: &[String]) -> StoreResult<Vec<Paper>> {
        papers_by_id::<DB, _>(&self.pool, ids).await
    }

    async fn latest(&self, limit: i64) -> StoreResult<Vec<Paper>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM papers ORDER BY published DESC NULLS LAST, id DESC LIMIT $1"
        );
        let rows = sqlx::query_as::<DB, PaperRow>(AssertSqlSafe(sql))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(PaperRow::into_paper).collect()
    }

    async fn count(&self) -> StoreResult<i64> {
        let sql = "SELECT COUNT(*) FROM papers";
        Ok(sqlx::query_scalar::<DB, i64>(sql)
            .fetch_one(&self.pool)
            .await?)
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}

/// The stored papers with these ids, in the order of `ids`.
async fn papers_by_id<'e, DB, E>(exec: E, ids: &[String]) -> StoreResult<Vec<Paper>>
where
    DB: Backend,
    E: Executor<'e, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    PaperRow: for<'r> FromRow<'r, DB::Row>,
    String: for<'q> Encode<'q, DB> + Type<DB>,
{
    let json = serde_json::to_string(ids).expect("a list of strings always serialises");
    let rows = sqlx::query_as::<DB, PaperRow>(DB::PAPERS_IN_JSON_IDS)
        .bind(json)
        .fetch_all(exec)
        .await?;
    let mut found: HashMap<String, Paper> = HashMap::with_capacity(rows.len());
    for row in rows {
        let paper = row.into_paper()?;
        found.insert(paper.id.clone(), paper);
    }
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
}

/// The insert-or-replace both backends run per row (SQLite) or over arrays (PostgreSQL).
pub(super) const UPSERT_TAIL: &str = "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, \
     title = excluded.title, abstract = excluded.abstract, authors = excluded.authors, \
     categories = excluded.categories, published = excluded.published, \
     updated = excluded.updated, comments = excluded.comments, \
     journal_ref = excluded.journal_ref, doi = excluded.doi, license = excluded.license, \
     venue = excluded.venue, venue_year = excluded.venue_year, track = excluded.track";
