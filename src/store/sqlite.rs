//! The embedded default backend: one SQLite file in WAL mode, rows written one by one
//! inside the batch transaction.

use super::row::{COLUMNS, NewRow};
use super::sql::{Backend, SqlStore, UPSERT_TAIL};
use super::{StoreError, StoreResult};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, Sqlite};
use std::str::FromStr;
use std::sync::LazyLock;
use std::time::Duration;

static INSERT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO papers ({COLUMNS}, title_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $2, $16) {UPSERT_TAIL}"
    )
});

impl Backend for Sqlite {
    const BACKEND: &'static str = "sqlite";
    const JSON_STRINGS: &'static str = "SELECT value FROM json_each($1)";
    const PAPERS_IN_JSON_IDS: &'static str = "SELECT id, seq, title, abstract, authors, \
        categories, published, updated, comments, journal_ref, doi, license, venue, venue_year, \
        track FROM papers WHERE id IN (SELECT value FROM json_each($1))";
    const PAPERS_IN_JSON_TITLE_HASHES: &'static str = "SELECT id, seq, title, abstract, \
        authors, categories, published, updated, comments, journal_ref, doi, license, venue, \
        venue_year, track FROM papers WHERE title_hash IN (SELECT value FROM json_each($1))";

    async fn write_rows(conn: &mut SqliteConnection, rows: Vec<NewRow<'_>>) -> StoreResult<()> {
        for row in rows {
            let p = row.paper;
            sqlx::query(AssertSqlSafe(INSERT.as_str()))
                .bind(&p.id)
                .bind(row.seq)
                .bind(&p.title)
                .bind(&p.abstract_text)
                .bind(row.authors)
                .bind(row.categories)
                .bind(row.published)
                .bind(row.updated)
                .bind(&p.comments)
                .bind(&p.journal_ref)
                .bind(&p.doi)
                .bind(&p.license)
                .bind(row.venue)
                .bind(row.venue_year)
                .bind(row.track)
                .bind(row.title_hash)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }
}

/// How much of the database file SQLite reads through a memory map.
const MMAP_BYTES: u64 = 1 << 30;

/// Opens (creating if needed) the SQLite file the URL names and migrates it.
pub(super) async fn connect(url: &str) -> StoreResult<SqlStore<Sqlite>> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(30))
        .foreign_keys(true)
        // Reads through a memory map instead of a read call per page: a search page loads
        // its papers from pages spread over the whole file.
        .pragma("mmap_size", MMAP_BYTES.to_string());
    if let Some(dir) = options.get_filename().parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Config(format!("cannot create {}: {e}", dir.display())))?;
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await?;
    sqlx::migrate!("migrations/sqlite").run(&pool).await?;
    Ok(SqlStore { pool })
}
