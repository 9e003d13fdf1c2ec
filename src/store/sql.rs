//! Queries both backends share, written once over `sqlx::Database`.

use super::batch::{self, BatchOutcome};
use super::row::{COLUMNS, PaperRow};
use super::{Change, StoreResult};
use crate::domain::Paper;
use sqlx::{AssertSqlSafe, Database, Decode, Encode, Executor, FromRow, IntoArguments, Type};
use std::collections::HashMap;

/// The queries that differ between backends.
pub(super) struct Dialect {
    /// Selects `COLUMNS` of the papers whose id is in the JSON array of ids bound as `$1`.
    pub papers_in_json_ids: &'static str,
}

/// Shared queries for one backend `DB`.
pub(super) struct Sql<DB> {
    pub dialect: Dialect,
    _db: std::marker::PhantomData<DB>,
}

/// What the first half of a write batch found: the writes to make and their first `seq`.
pub(super) struct Planned<'a> {
    pub writes: Vec<&'a Paper>,
    pub outcome: BatchOutcome,
    pub first_seq: i64,
}

impl<DB> Sql<DB>
where
    DB: Database,
    DB::Arguments: IntoArguments<DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'c> &'c sqlx::Pool<DB>: Executor<'c, Database = DB>,
    PaperRow: for<'r> FromRow<'r, DB::Row>,
    usize: sqlx::ColumnIndex<DB::Row>,
    i64: for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB> + Type<DB>,
    String: for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB> + Type<DB>,
{
    pub const fn new(dialect: Dialect) -> Self {
        Sql {
            dialect,
            _db: std::marker::PhantomData,
        }
    }

    pub async fn changes_since(
        &self,
        pool: &sqlx::Pool<DB>,
        after_seq: i64,
        limit: i64,
    ) -> StoreResult<Vec<Change>> {
        let sql = format!("SELECT {COLUMNS} FROM papers WHERE seq > $1 ORDER BY seq LIMIT $2");
        let rows = sqlx::query_as::<DB, PaperRow>(AssertSqlSafe(sql))
            .bind(after_seq)
            .bind(limit)
            .fetch_all(pool)
            .await?;
        rows.into_iter().map(PaperRow::into_change).collect()
    }

    pub async fn max_seq(&self, pool: &sqlx::Pool<DB>) -> StoreResult<i64> {
        let sql = "SELECT value FROM change_seq WHERE id = 1";
        Ok(sqlx::query_scalar::<DB, i64>(sql).fetch_one(pool).await?)
    }

    pub async fn database_id(&self, pool: &sqlx::Pool<DB>) -> StoreResult<String> {
        let sql = "SELECT database_id FROM instance WHERE id = 1";
        Ok(sqlx::query_scalar::<DB, String>(sql)
            .fetch_one(pool)
            .await?)
    }

    pub async fn count(&self, pool: &sqlx::Pool<DB>) -> StoreResult<i64> {
        let sql = "SELECT COUNT(*) FROM papers";
        Ok(sqlx::query_scalar::<DB, i64>(sql).fetch_one(pool).await?)
    }

    pub async fn latest(&self, pool: &sqlx::Pool<DB>, limit: i64) -> StoreResult<Vec<Paper>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM papers ORDER BY published DESC NULLS LAST, id DESC LIMIT $1"
        );
        let rows = sqlx::query_as::<DB, PaperRow>(AssertSqlSafe(sql))
            .bind(limit)
            .fetch_all(pool)
            .await?;
        rows.into_iter().map(PaperRow::into_paper).collect()
    }

    /// The stored papers with these ids, in the order of `ids`.
    pub async fn papers_by_id<'e, E>(&self, exec: E, ids: &[String]) -> StoreResult<Vec<Paper>>
    where
        E: Executor<'e, Database = DB>,
    {
        let json = serde_json::to_string(ids).expect("a list of strings always serialises");
        let rows = sqlx::query_as::<DB, PaperRow>(self.dialect.papers_in_json_ids)
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

    /// Starts a write batch inside the caller's transaction: locks the change sequence (so
    /// batches commit in sequence order), reads the stored copies and plans the writes.
    pub async fn plan_batch<'a>(
        &self,
        conn: &mut DB::Connection,
        papers: &'a [Paper],
    ) -> StoreResult<Planned<'a>> {
        let lock = "UPDATE change_seq SET value = value WHERE id = 1 RETURNING value";
        let last_seq = sqlx::query_scalar::<DB, i64>(lock)
            .fetch_one(&mut *conn)
            .await?;
        let ids: Vec<String> = papers.iter().map(|p| p.id.clone()).collect();
        let stored = self
            .papers_by_id(&mut *conn, &ids)
            .await?
            .into_iter()
            .map(|p| (p.id.clone(), p))
            .collect();
        let (writes, outcome) = batch::plan(papers, &stored);
        Ok(Planned {
            writes,
            outcome,
            first_seq: last_seq + 1,
        })
    }

    /// Ends a write batch: records the last sequence number it used.
    pub async fn finish_batch(
        &self,
        conn: &mut DB::Connection,
        planned: &Planned<'_>,
    ) -> StoreResult<()> {
        let last = planned.first_seq + planned.writes.len() as i64 - 1;
        sqlx::query::<DB>("UPDATE change_seq SET value = $1 WHERE id = 1")
            .bind(last)
            .execute(conn)
            .await?;
        Ok(())
    }
}

/// The insert-or-replace both backends run per row (SQLite) or over arrays (PostgreSQL).
pub(super) const UPSERT_TAIL: &str = "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, \
     title = excluded.title, abstract = excluded.abstract, authors = excluded.authors, \
     categories = excluded.categories, published = excluded.published, \
     updated = excluded.updated, comments = excluded.comments, \
     journal_ref = excluded.journal_ref, doi = excluded.doi, license = excluded.license";
