//! The embedded default backend: one SQLite file in WAL mode.

use super::row::{COLUMNS, NewRow};
use super::sql::{Dialect, Sql, UPSERT_TAIL};
use super::{BatchOutcome, Change, Store, StoreResult};
use crate::domain::Paper;
use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{AssertSqlSafe, Sqlite, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

const SQL: Sql<Sqlite> = Sql::new(Dialect {
    papers_in_json_ids: "SELECT id, seq, title, abstract, authors, categories, published, \
        updated, comments, journal_ref, doi, license FROM papers \
        WHERE id IN (SELECT value FROM json_each($1))",
});

pub(super) struct SqliteStore {
    pool: SqlitePool,
    insert: String,
}

impl SqliteStore {
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true);
        if let Some(dir) = options.get_filename().parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| {
                super::StoreError::Config(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&pool).await?;
        let insert = format!(
            "INSERT INTO papers ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) {UPSERT_TAIL}"
        );
        Ok(SqliteStore { pool, insert })
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    #[tracing::instrument(skip_all, fields(papers = papers.len()))]
    async fn upsert_batch(&self, papers: &[Paper]) -> StoreResult<BatchOutcome> {
        let mut tx = self.pool.begin().await?;
        let planned = SQL.plan_batch(&mut tx, papers).await?;
        for (i, paper) in planned.writes.iter().enumerate() {
            let row = NewRow::new(paper, planned.first_seq + i as i64);
            sqlx::query(AssertSqlSafe(self.insert.as_str()))
                .bind(&row.paper.id)
                .bind(row.seq)
                .bind(&row.paper.title)
                .bind(&row.paper.abstract_text)
                .bind(&row.authors)
                .bind(&row.categories)
                .bind(&row.published)
                .bind(&row.updated)
                .bind(&row.paper.comments)
                .bind(&row.paper.journal_ref)
                .bind(&row.paper.doi)
                .bind(&row.paper.license)
                .execute(&mut *tx)
                .await?;
        }
        SQL.finish_batch(&mut tx, &planned).await?;
        tx.commit().await?;
        Ok(planned.outcome)
    }

    async fn changes_since(&self, after_seq: i64, limit: i64) -> StoreResult<Vec<Change>> {
        SQL.changes_since(&self.pool, after_seq, limit).await
    }

    async fn max_seq(&self) -> StoreResult<i64> {
        SQL.max_seq(&self.pool).await
    }

    async fn database_id(&self) -> StoreResult<String> {
        SQL.database_id(&self.pool).await
    }

    async fn papers_by_id(&self, ids: &[String]) -> StoreResult<Vec<Paper>> {
        SQL.papers_by_id(&self.pool, ids).await
    }

    async fn latest(&self, limit: i64) -> StoreResult<Vec<Paper>> {
        SQL.latest(&self.pool, limit).await
    }

    async fn count(&self) -> StoreResult<i64> {
        SQL.count(&self.pool).await
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}
