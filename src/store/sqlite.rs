//! The embedded default backend: one SQLite file in WAL mode, rows written a hundred to a
//! statement inside the batch transaction.

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

/// Rows per `INSERT` statement. One statement per row made each batch a chain of 1,000
/// round trips to SQLite's worker thread; 100 rows of 17 values stay far below SQLite's
/// limit of 32,766 bound values, and the full-size statement is prepared once.
const ROWS_PER_STATEMENT: usize = 100;

/// `INSERT … VALUES (?, …), (?, …) …` for `rows` rows. Anonymous `?` parameters, bound in
/// order: finding a numbered `$N` costs SQLite a walk over every parameter name, which for
/// 1,700 of them took more time than the inserts.
fn insert_sql(rows: usize) -> String {
    // The 16 columns of COLUMNS (the last, `first_seq`, is bound to the row's `seq` again),
    // then `title_hash`.
    let tuple = format!("({})", ["?"; 17].join(", "));
    format!(
        "INSERT INTO papers ({COLUMNS}, title_hash) VALUES {} {UPSERT_TAIL}",
        vec![tuple; rows].join(", ")
    )
}

static INSERT_FULL: LazyLock<String> = LazyLock::new(|| insert_sql(ROWS_PER_STATEMENT));

impl Backend for Sqlite {
    const BACKEND: &'static str = "sqlite";
    const JSON_STRINGS: &'static str = "SELECT value FROM json_each($1)";
    const PAPERS_IN_JSON_IDS: &'static str = "SELECT id, seq, title, abstract, authors, \
        categories, published, updated, comments, journal_ref, doi, license, venue, venue_year, \
        track FROM papers WHERE id IN (SELECT value FROM json_each($1))";
    const PAPERS_IN_JSON_TITLE_HASHES: &'static str = "SELECT id, seq, title, abstract, \
        authors, categories, published, updated, comments, journal_ref, doi, license, venue, \
        venue_year, track FROM papers WHERE title_hash IN (SELECT value FROM json_each($1))";

    async fn write_rows(conn: &mut SqliteConnection, mut rows: Vec<NewRow<'_>>) -> StoreResult<()> {
        while !rows.is_empty() {
            let rest = rows.split_off(rows.len().min(ROWS_PER_STATEMENT));
            let chunk = std::mem::replace(&mut rows, rest);
            let full = chunk.len() == ROWS_PER_STATEMENT;
            let partial;
            let sql = if full {
                INSERT_FULL.as_str()
            } else {
                partial = insert_sql(chunk.len());
                partial.as_str()
            };
            let mut query = sqlx::query(AssertSqlSafe(sql)).persistent(full);
            for row in chunk {
                let p = row.paper;
                query = query
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
                    .bind(row.seq)
                    .bind(row.title_hash);
            }
            query.execute(&mut *conn).await?;
        }
        Ok(())
    }
}

/// Page cache per connection, in KiB.
const CACHE_KIB: u32 = 32 * 1024;

/// Opens (creating if needed) the SQLite file the URL names and migrates it.
pub(super) async fn connect(url: &str) -> StoreResult<SqlStore<Sqlite>> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(30))
        .foreign_keys(true)
        // No memory map (SQLite's default): each page fault on a mapped file maps the
        // neighbouring pages already cached too, so the papers of a few thousand searches
        // held 430 MiB of a 2.7M-paper file in the server's memory; a read call per page
        // into the page cache below keeps to what is read (docs/benchmarks.md).
        .pragma("mmap_size", "0")
        // Pages kept per connection (SQLite's default is 2 MB): a batch's inserts land all
        // over the title-hash and date indexes. Its effect was not measured apart from the
        // multi-row inserts' (docs/benchmarks.md).
        .pragma("cache_size", format!("-{CACHE_KIB}"));
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
