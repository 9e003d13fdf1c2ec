//! The production backend: PostgreSQL, each batch written as arrays in one statement.

use super::row::{COLUMNS, NewRow};
use super::sql::{Backend, SqlStore, UPSERT_TAIL};
use super::{StoreError, StoreResult};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions};
use sqlx::{AssertSqlSafe, Postgres};
use std::str::FromStr;
use std::sync::LazyLock;
use std::time::Duration;

static INSERT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO papers ({COLUMNS}, title_hash) SELECT * FROM UNNEST($1::text[], $2::bigint[], \
         $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], \
         $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::bigint[], \
         $15::text[], $2::bigint[], $16::bigint[]) {UPSERT_TAIL}"
    )
});

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
    venue: Vec<Option<String>>,
    venue_year: Vec<Option<i64>>,
    track: Vec<Option<String>>,
    title_hash: Vec<i64>,
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
        self.venue.push(row.venue);
        self.venue_year.push(row.venue_year);
        self.track.push(row.track);
        self.title_hash.push(row.title_hash);
    }
}

impl Backend for Postgres {
    const BACKEND: &'static str = "postgres";
    const JSON_STRINGS: &'static str = "SELECT jsonb_array_elements_text($1::jsonb)";
    const PAPERS_IN_JSON_IDS: &'static str = "SELECT id, seq, title, abstract, authors, \
        categories, published, updated, comments, journal_ref, doi, license, venue, venue_year, \
        track FROM papers WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb))";
    const PAPERS_IN_JSON_TITLE_HASHES: &'static str = "SELECT id, seq, title, abstract, \
        authors, categories, published, updated, comments, journal_ref, doi, license, venue, \
        venue_year, track FROM papers WHERE title_hash IN \
        (SELECT jsonb_array_elements_text($1::jsonb)::bigint)";

    async fn write_rows(conn: &mut PgConnection, rows: Vec<NewRow<'_>>) -> StoreResult<()> {
        let mut cols = Columns::default();
        for row in rows {
            cols.push(row);
        }
        sqlx::query(AssertSqlSafe(INSERT.as_str()))
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
            .bind(cols.venue)
            .bind(cols.venue_year)
            .bind(cols.track)
            .bind(cols.title_hash)
            .execute(conn)
            .await?;
        Ok(())
    }
}

/// A database that does not exist (SQLSTATE 3D000) becomes one line naming the command that
/// creates it; other errors pass through.
fn missing_database(e: sqlx::Error, options: &PgConnectOptions) -> StoreError {
    let missing = matches!(&e, sqlx::Error::Database(d) if d.code().as_deref() == Some("3D000"));
    if !missing {
        return e.into();
    }
    let name = options.get_database().unwrap_or(options.get_username());
    StoreError::Config(format!(
        "PostgreSQL database {name:?} does not exist on {}:{}; create it with \
         `createdb -h {} -p {} -U {} {name}` (or `CREATE DATABASE {name};` in psql)",
        options.get_host(),
        options.get_port(),
        options.get_host(),
        options.get_port(),
        options.get_username(),
    ))
}

/// Connects to the PostgreSQL database the URL names and migrates it.
pub(super) async fn connect(url: &str) -> StoreResult<SqlStore<Postgres>> {
    let options = PgConnectOptions::from_str(url)?;
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options.clone())
        .await
        .map_err(|e| missing_database(e, &options))?;
    sqlx::migrate!("migrations/postgres").run(&pool).await?;
    Ok(SqlStore { pool })
}
