//! The store both backends share, written once over `sqlx::Database`; each backend adds
//! its connection setup and how it writes a batch of rows.

use super::batch::{self, BatchOutcome};
use super::jobs::{JOB_COLUMNS, JobRow, now};
use super::row::{COLUMNS, NewRow, PaperRow};
use super::{
    AnnouncedDay, Change, Extras, FaqRow, Job, JobProgress, JobStatus, Link, Store, StoreError,
    StoreResult, TrackCount,
};
use crate::domain::{AnnounceKind, Announcement, Date, Paper};
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
    /// Selects `COLUMNS` of the papers whose `title_hash` is in the JSON array bound as `$1`.
    const PAPERS_IN_JSON_TITLE_HASHES: &'static str;
    /// A subquery yielding the strings of the JSON array bound as `$1`.
    const JSON_STRINGS: &'static str;

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
    JobRow: for<'r> FromRow<'r, DB::Row>,
    TrackCount: for<'r> FromRow<'r, DB::Row>,
    FaqRow: for<'r> FromRow<'r, DB::Row>,
    usize: ColumnIndex<DB::Row>,
    i64: for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB> + Type<DB>,
    String: for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB> + Type<DB>,
    Option<String>: for<'q> Encode<'q, DB>,
{
    fn backend(&self) -> &'static str {
        DB::BACKEND
    }

    #[tracing::instrument(skip_all, fields(papers = papers.len()))]
    async fn write_batch(&self, papers: &[Paper], extras: Extras<'_>) -> StoreResult<BatchOutcome> {
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
                .zip(&writes)
                .map(|(seq, p)| NewRow::new(p, seq))
                .collect();
            DB::write_rows(&mut tx, rows).await?;
            let advance = "UPDATE change_seq SET value = $1, papers = papers + $2 WHERE id = 1";
            sqlx::query::<DB>(advance)
                .bind(new_last)
                .bind(outcome.inserted as i64)
                .execute(&mut *tx)
                .await?;
        }
        for a in extras.announcements {
            sqlx::query::<DB>(
                "INSERT INTO announcements (paper_id, category, day, kind) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (category, day, paper_id) DO UPDATE SET kind = excluded.kind",
            )
            .bind(a.paper_id.clone())
            .bind(a.category.clone())
            .bind(a.day.to_string())
            .bind(a.kind.as_str().to_string())
            .execute(&mut *tx)
            .await?;
        }
        if let Some(c) = extras.checkpoint {
            sqlx::query::<DB>(
                "INSERT INTO checkpoints (name, state, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO UPDATE SET state = excluded.state, \
                 updated_at = excluded.updated_at",
            )
            .bind(c.name.clone())
            .bind(c.state.clone())
            .bind(crate::domain::utc_timestamp())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(outcome)
    }

    async fn checkpoint(&self, name: &str) -> StoreResult<Option<String>> {
        let sql = "SELECT state FROM checkpoints WHERE name = $1";
        Ok(sqlx::query_scalar::<DB, String>(sql)
            .bind(name.to_string())
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn announcements(
        &self,
        categories: &[String],
        day: Option<Date>,
    ) -> StoreResult<AnnouncedDay> {
        let cats = serde_json::to_string(categories).expect("strings always serialise");
        let in_cats = format!("category IN ({})", DB::JSON_STRINGS);
        // The nearest day with announcements on one side of `day` (or the latest of all).
        let edge = |aggregate: &'static str, op: &'static str, day: Option<Date>| {
            let cats = cats.clone();
            let sql = format!(
                "SELECT {aggregate}(day) FROM announcements WHERE {in_cats} AND day {op} $2"
            );
            let pool = &self.pool;
            async move {
                let found = sqlx::query_scalar::<DB, Option<String>>(AssertSqlSafe(sql))
                    .bind(cats)
                    .bind(day.map(|d| d.to_string()).unwrap_or_default())
                    .fetch_one(pool)
                    .await?;
                found.map(|d| stored_date(&d)).transpose()
            }
        };
        let day = match day {
            Some(d) => d,
            None => match edge("MAX", ">=", None).await? {
                Some(d) => d,
                None => return Ok(AnnouncedDay::default()),
            },
        };
        let sql = format!(
            "SELECT paper_id, category, kind FROM announcements WHERE {in_cats} AND day = $2 \
             ORDER BY paper_id DESC"
        );
        let rows = sqlx::query_as::<DB, (String, String, String)>(AssertSqlSafe(sql))
            .bind(cats.clone())
            .bind(day.to_string())
            .fetch_all(&self.pool)
            .await?;
        let entries = rows
            .into_iter()
            .map(|(paper_id, category, kind)| {
                let kind = AnnounceKind::parse(&kind).ok_or_else(|| StoreError::Corrupt {
                    id: paper_id.clone(),
                    reason: format!("unknown announcement kind {kind:?}"),
                })?;
                Ok(Announcement {
                    paper_id,
                    category,
                    day,
                    kind,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(AnnouncedDay {
            day: Some(day),
            entries,
            prev: edge("MAX", "<", Some(day)).await?,
            next: edge("MIN", ">", Some(day)).await?,
        })
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

    async fn papers_titled(&self, titles: &[String]) -> StoreResult<Vec<Paper>> {
        hash_old_titles::<DB>(&self.pool).await?;
        let mut hashes: Vec<i64> = titles
            .iter()
            .map(|t| crate::domain::title_hash(t))
            .collect();
        hashes.sort_unstable();
        hashes.dedup();
        let keys: std::collections::HashSet<String> =
            titles.iter().map(|t| crate::domain::title_key(t)).collect();
        let json = serde_json::to_string(&hashes).expect("a list of numbers always serialises");
        let rows = sqlx::query_as::<DB, PaperRow>(DB::PAPERS_IN_JSON_TITLE_HASHES)
            .bind(json)
            .fetch_all(&self.pool)
            .await?;
        let mut papers = Vec::with_capacity(rows.len());
        for row in rows {
            let paper = row.into_paper()?;
            if keys.contains(&crate::domain::title_key(&paper.title)) {
                papers.push(paper);
            }
        }
        papers.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(papers)
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
        // Kept by `write_batch`: counting the rows walks them all.
        let sql = "SELECT papers FROM change_seq WHERE id = 1";
        Ok(sqlx::query_scalar::<DB, i64>(sql)
            .fetch_one(&self.pool)
            .await?)
    }

    async fn link_versions(&self, links: &[Link]) -> StoreResult<u64> {
        let mut tx = self.pool.begin().await?;
        let lock = "UPDATE change_seq SET value = value WHERE id = 1 RETURNING value";
        let mut seq = sqlx::query_scalar::<DB, i64>(lock)
            .fetch_one(&mut *tx)
            .await?;
        let mut new = 0;
        for link in links {
            let insert = "INSERT INTO paper_links (id, arxiv_id, method) VALUES ($1, $2, $3) \
                 ON CONFLICT (id) DO NOTHING RETURNING id";
            let inserted = sqlx::query_scalar::<DB, String>(insert)
                .bind(link.id.clone())
                .bind(link.arxiv_id.clone())
                .bind(link.method.clone())
                .fetch_optional(&mut *tx)
                .await?;
            if inserted.is_some() {
                seq += 1;
                new += 1;
                sqlx::query::<DB>("UPDATE papers SET seq = $1 WHERE id = $2")
                    .bind(seq)
                    .bind(link.id.clone())
                    .execute(&mut *tx)
                    .await?;
            }
        }
        sqlx::query::<DB>("UPDATE change_seq SET value = $1 WHERE id = 1")
            .bind(seq)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(new)
    }

    async fn links_of(&self, ids: &[String]) -> StoreResult<Vec<Link>> {
        let sql = format!(
            "SELECT id, arxiv_id, method FROM paper_links WHERE id IN ({list}) \
             OR arxiv_id IN ({list}) ORDER BY id",
            list = DB::JSON_STRINGS
        );
        let json = serde_json::to_string(ids).expect("a list of strings always serialises");
        let rows = sqlx::query_as::<DB, (String, String, String)>(AssertSqlSafe(sql))
            .bind(json)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, arxiv_id, method)| Link {
                id,
                arxiv_id,
                method,
            })
            .collect())
    }

    async fn venue_papers(
        &self,
        venue: &str,
        year: u16,
        track: Option<&str>,
        offset: i64,
        limit: i64,
    ) -> StoreResult<Vec<Paper>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM papers WHERE venue = $1 AND venue_year = $2 \
             AND ($3 = '' OR lower(track) = lower($3)) \
             AND id NOT IN (SELECT id FROM paper_links) ORDER BY title, id LIMIT $4 OFFSET $5"
        );
        let rows = sqlx::query_as::<DB, PaperRow>(AssertSqlSafe(sql))
            .bind(venue.to_string())
            .bind(i64::from(year))
            .bind(track.unwrap_or_default().to_string())
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(PaperRow::into_paper).collect()
    }

    async fn venue_tracks(&self) -> StoreResult<Vec<TrackCount>> {
        let sql = "SELECT venue, venue_year AS year, track, COUNT(*) AS count FROM papers \
             WHERE venue IS NOT NULL AND venue_year IS NOT NULL \
             AND id NOT IN (SELECT id FROM paper_links) \
             GROUP BY venue, venue_year, track ORDER BY venue, venue_year DESC, track";
        Ok(sqlx::query_as::<DB, TrackCount>(sql)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn create_job(&self, kind: &str, params: &str) -> StoreResult<Job> {
        let sql = format!(
            "INSERT INTO jobs (kind, params, status, created) VALUES ($1, $2, 'queued', $3) \
             RETURNING {JOB_COLUMNS}"
        );
        sqlx::query_as::<DB, JobRow>(AssertSqlSafe(sql))
            .bind(kind.to_string())
            .bind(params.to_string())
            .bind(now())
            .fetch_one(&self.pool)
            .await?
            .into_job()
    }

    async fn job(&self, id: i64) -> StoreResult<Option<Job>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1");
        sqlx::query_as::<DB, JobRow>(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(JobRow::into_job)
            .transpose()
    }

    async fn jobs(&self, limit: i64) -> StoreResult<Vec<Job>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs ORDER BY id DESC LIMIT $1");
        sqlx::query_as::<DB, JobRow>(AssertSqlSafe(sql))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(JobRow::into_job)
            .collect()
    }

    async fn job_counts(&self) -> StoreResult<Vec<(String, i64)>> {
        let sql = "SELECT status, COUNT(*) FROM jobs GROUP BY status";
        Ok(sqlx::query_as::<DB, (String, i64)>(sql)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn take_turn(
        &self,
        name: &str,
        holder: &str,
        now: i64,
        held_until: i64,
    ) -> StoreResult<bool> {
        // One statement, so two processes racing for a free turn cannot both win: the
        // update's condition is checked against the row as the winner left it.
        let sql = "INSERT INTO turns (name, holder, held_until) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, \
             held_until = excluded.held_until \
             WHERE (turns.holder = excluded.holder OR turns.held_until < $4) \
             AND turns.next_at <= $4 \
             RETURNING holder";
        let taken = sqlx::query_scalar::<DB, String>(sql)
            .bind(name.to_string())
            .bind(holder.to_string())
            .bind(held_until)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
        Ok(taken.is_some())
    }

    async fn end_turn(&self, name: &str, holder: &str, next_at: i64) -> StoreResult<()> {
        let sql = "UPDATE turns SET held_until = 0, next_at = $3 WHERE name = $1 AND holder = $2";
        sqlx::query::<DB>(sql)
            .bind(name.to_string())
            .bind(holder.to_string())
            .bind(next_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn claim_job(&self) -> StoreResult<Option<Job>> {
        // The status test is repeated outside the subquery: of two workers that picked the
        // same row, the second finds it no longer queued and updates nothing.
        let sql = format!(
            "UPDATE jobs SET status = 'running', started = COALESCE(started, $1), \
             heartbeat = $1, finished = NULL, error = NULL \
             WHERE id = (SELECT id FROM jobs WHERE status = 'queued' ORDER BY id LIMIT 1) \
             AND status = 'queued' RETURNING {JOB_COLUMNS}"
        );
        sqlx::query_as::<DB, JobRow>(AssertSqlSafe(sql))
            .bind(now())
            .fetch_optional(&self.pool)
            .await?
            .map(JobRow::into_job)
            .transpose()
    }

    async fn job_progress(&self, id: i64, p: &JobProgress) -> StoreResult<JobStatus> {
        let sql = "UPDATE jobs SET fetched = $1, stored = $2, skipped = $3, message = $4, \
             checkpoint = $5, heartbeat = $6 WHERE id = $7 AND status = 'running' \
             RETURNING status";
        let running = sqlx::query_scalar::<DB, String>(sql)
            .bind(p.fetched)
            .bind(p.stored)
            .bind(p.skipped)
            .bind(p.message.clone())
            .bind(p.checkpoint.clone())
            .bind(now())
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        if running.is_some() {
            return Ok(JobStatus::Running);
        }
        let job = self.job(id).await?;
        Ok(job.map_or(JobStatus::Cancelled, |j| j.status))
    }

    async fn finish_job(&self, id: i64, status: JobStatus, error: Option<&str>) -> StoreResult<()> {
        let sql = "UPDATE jobs SET status = $1, error = $2, finished = $3, heartbeat = $3 \
             WHERE id = $4 AND status = 'running'";
        sqlx::query::<DB>(sql)
            .bind(status.as_str().to_string())
            .bind(error.map(str::to_string))
            .bind(now())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn cancel_job(&self, id: i64) -> StoreResult<bool> {
        let sql = "UPDATE jobs SET status = 'cancelled', finished = $1 \
             WHERE id = $2 AND status IN ('queued', 'running') RETURNING id";
        let done = sqlx::query_scalar::<DB, i64>(sql)
            .bind(now())
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(done.is_some())
    }

    async fn retry_job(&self, id: i64) -> StoreResult<bool> {
        let sql = "UPDATE jobs SET status = 'queued', error = NULL, finished = NULL, \
             message = 'queued again' WHERE id = $1 AND status IN ('failed', 'cancelled') \
             RETURNING id";
        let done = sqlx::query_scalar::<DB, i64>(sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(done.is_some())
    }

    async fn requeue_job(&self, id: i64, reason: &str) -> StoreResult<()> {
        let sql = "UPDATE jobs SET status = 'queued', message = $1 \
             WHERE id = $2 AND status = 'running'";
        sqlx::query::<DB>(sql)
            .bind(reason.to_string())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn requeue_stale_jobs(&self, stale_before: i64, reason: &str) -> StoreResult<u64> {
        let sql = "UPDATE jobs SET status = 'queued', message = $1 \
             WHERE status = 'running' AND (heartbeat IS NULL OR heartbeat < $2) RETURNING id";
        let ids = sqlx::query_scalar::<DB, i64>(sql)
            .bind(reason.to_string())
            .bind(stale_before)
            .fetch_all(&self.pool)
            .await?;
        Ok(ids.len() as u64)
    }

    async fn faq(
        &self,
        paper_id: &str,
        lang: &str,
        model: &str,
        prompt_version: &str,
    ) -> StoreResult<Option<FaqRow>> {
        let sql = "SELECT paper_id, lang, model, prompt_version, markdown, created FROM faqs \
                   WHERE paper_id = $1 AND lang = $2 AND model = $3 AND prompt_version = $4";
        Ok(sqlx::query_as::<DB, FaqRow>(sql)
            .bind(paper_id.to_string())
            .bind(lang.to_string())
            .bind(model.to_string())
            .bind(prompt_version.to_string())
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn save_faq(&self, faq: &FaqRow) -> StoreResult<()> {
        let sql = "INSERT INTO faqs (paper_id, lang, model, prompt_version, markdown, created) \
                   VALUES ($1, $2, $3, $4, $5, $6) \
                   ON CONFLICT (paper_id, lang, model, prompt_version) DO NOTHING";
        sqlx::query::<DB>(sql)
            .bind(faq.paper_id.clone())
            .bind(faq.lang.clone())
            .bind(faq.model.clone())
            .bind(faq.prompt_version.clone())
            .bind(faq.markdown.clone())
            .bind(faq.created.clone())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}

fn stored_date(raw: &str) -> StoreResult<Date> {
    Date::parse_iso(raw).map_err(|e| StoreError::Corrupt {
        id: raw.to_string(),
        reason: e.to_string(),
    })
}

/// Hashes the titles of rows written before the `title_hash` column existed, a batch at a
/// time; once done (or on a database that never lacked it), one indexed lookup finds none.
async fn hash_old_titles<DB>(pool: &Pool<DB>) -> StoreResult<()>
where
    DB: Backend,
    DB::Arguments: IntoArguments<DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    PaperRow: for<'r> FromRow<'r, DB::Row>,
    i64: for<'q> Encode<'q, DB> + Type<DB>,
    String: for<'q> Encode<'q, DB> + Type<DB>,
{
    const BATCH: usize = 5_000;
    let select = format!("SELECT {COLUMNS} FROM papers WHERE title_hash IS NULL LIMIT {BATCH}");
    loop {
        let rows = sqlx::query_as::<DB, PaperRow>(AssertSqlSafe(select.as_str()))
            .fetch_all(pool)
            .await?;
        if rows.is_empty() {
            return Ok(());
        }
        tracing::info!(
            papers = rows.len(),
            "hashing the titles of papers stored before title hashes"
        );
        let mut tx = pool.begin().await?;
        for row in rows {
            // A writer that rewrote the row meanwhile has hashed its new title already.
            sqlx::query::<DB>(
                "UPDATE papers SET title_hash = $1 WHERE id = $2 AND title_hash IS NULL",
            )
            .bind(crate::domain::title_hash(&row.title))
            .bind(row.id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
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
     venue = excluded.venue, venue_year = excluded.venue_year, track = excluded.track, \
     title_hash = excluded.title_hash";
