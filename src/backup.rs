//! `papers backup FILE`: a consistent copy of a SQLite database while it is in use, through
//! `VACUUM INTO` (one read transaction, so writers carry on and the copy is one point in
//! time). PostgreSQL is backed up with its own tools; the index is never backed up, since
//! every command rebuilds it from the database.

use crate::store::{self, StoreError};
use sqlx::Connection;
use sqlx::sqlite::SqliteConnectOptions;
use std::path::Path;
use std::str::FromStr;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "{0} is a PostgreSQL database: back it up with `pg_dump -Fc -f papers.dump {0}` \
         (and restore with pg_restore); the search index needs no backup, it rebuilds from \
         the database"
    )]
    Postgres(String),
    #[error("no database at {0}: nothing to back up (is PAPERS_DATA_DIR right?)")]
    Missing(String),
    #[error("{0} exists already: choose a new file name (a backup never overwrites)")]
    Exists(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("copying the database to {path} failed: {source}")]
    Copy { path: String, source: sqlx::Error },
    #[error("cannot move the finished copy to {path}: {source}")]
    Rename {
        path: String,
        source: std::io::Error,
    },
}

/// Copies the database `url` names to `target`, which must not exist. The copy is written
/// beside it under a temporary name and renamed when complete, so `target` is never half a
/// database.
pub async fn run(url: &str, target: &Path) -> Result<u64, BackupError> {
    let Some(file) = store::sqlite_file(url)? else {
        return Err(BackupError::Postgres(store::redact(url)));
    };
    if !file.exists() {
        return Err(BackupError::Missing(file.display().to_string()));
    }
    let shown = target.display().to_string();
    if target.exists() {
        return Err(BackupError::Exists(shown));
    }
    // Read-only: a backup never creates or migrates the database it copies.
    let options = SqliteConnectOptions::from_str(url)
        .map_err(StoreError::from)?
        .read_only(true);
    let mut conn = sqlx::SqliteConnection::connect_with(&options)
        .await
        .map_err(StoreError::from)?;
    let mut partial = target.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    let _ = std::fs::remove_file(&partial);
    let copy = |source| BackupError::Copy {
        path: shown.clone(),
        source,
    };
    sqlx::query("VACUUM INTO $1")
        .bind(partial.to_string_lossy().into_owned())
        .execute(&mut conn)
        .await
        .map_err(copy)?;
    conn.close().await.map_err(copy)?;
    std::fs::rename(&partial, target).map_err(|source| BackupError::Rename {
        path: shown.clone(),
        source,
    })?;
    Ok(std::fs::metadata(target).map_or(0, |m| m.len()))
}
