//! The production backend: PostgreSQL, with batches written as arrays in one statement.

use super::row::{COLUMNS, NewRow};
use super::sql::{Dialect, Sql, UPSERT_TAIL};
use super::{BatchOutcome, Change, Store, StoreResult};
use crate::domain::Paper;
use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, PgPool, Postgres};
use std::str::FromStr;
use std::time::Duration;

const SQL: Sql<Postgres> = Sql::new(Dialect {
    papers_in_json_ids: "SELECT id, seq, title, abstract, authors, categories, published, \
        updated, comments, journal_ref, doi, license FROM papers \
        WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb))",
});

pub(super) struct PostgresStore {
    pool: PgPool,
    insert: String,
}

impl PostgresStore {
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        let insert = format!(
            "INSERT INTO papers ({COLUMNS}) SELECT * FROM UNNEST($1::text[], $2::bigint[], \
             $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], \
             $9::text[], $10::text[], $11::text[], $12::text[]) {UPSERT_TAIL}"
        );
        Ok(PostgresStore { pool, insert })
    }
}

/// A batch as one array per column, for `UNNEST`.
#[derive(Default)]
struct Columns {
    id: Vec<String>,
    seq: Vec<i64>,
    title: Vec<String>,
    abstract_text: Vec<String>,
    authors: Vec<String>,
    categories: Vec<String>,
    published: Vec<Option<String>>,
    updated: Vec<Option<String>>,
    comments: Vec<Option<String>>,
    journal_ref: Vec<Option<String>>,
    doi: Vec<Option<String>>,
    license: Vec<Option<String>>,
}

impl Columns {
    fn push(&mut self, row: NewRow<'_>) {
        let p = row.paper;
        self.id.push(p.id.clone());
        self.seq.push(row.seq);
        self.title.push(p.title.clone());
        self.abstract_text.push(p.abstract_text.clone());
        self.authors.push(row.authors);
        self.categories.push(row.categories);
        self.published.push(row.published);
        self.updated.push(row.updated);
        self.comments.push(p.comments.clone());
        self.journal_ref.push(p.journal_ref.clone());
        self.doi.push(p.doi.clone());
        self.license.push(p.license.clone());
    }
}

#[async_trait]
impl Store for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    #[tracing::instrument(skip_all, fields(papers = papers.len()))]
    async fn upsert_batch(&self, papers: &[Paper]) -> StoreResult<BatchOutcome> {
        let mut tx = self.pool.begin().await?;
        let planned = SQL.plan_batch(&mut tx, papers).await?;
        if !planned.writes.is_empty() {
            let mut cols = Columns::default();
            for (i, paper) in planned.writes.iter().enumerate() {
                cols.push(NewRow::new(paper, planned.first_seq + i as i64));
            }
            sqlx::query(AssertSqlSafe(self.insert.as_str()))
                .bind(cols.id)
                .bind(cols.seq)
                .bind(cols.title)
                .bind(cols.abstract_text)
                .bind(cols.authors)
                .bind(cols.categories)
                .bind(cols.published)
                .bind(cols.updated)
                .bind(cols.comments)
                .bind(cols.journal_ref)
                .bind(cols.doi)
                .bind(cols.license)
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
