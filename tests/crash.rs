//! SIGKILL at any moment of an import, then start again: the index must equal the database.

mod common;

use common::{backends, fresh_db, paper, write_jsonl};
use papers::index::SearchIndex;
use papers::services::Services;
use std::collections::HashSet;
use std::process::Stdio;
use std::time::Duration;

const PAPERS: usize = 20_000;
const BATCH: usize = papers::import::BATCH;

/// Index ids and database ids after a restart's catch-up: same set, no duplicates.
async fn assert_index_equals_database(db: &common::TestDb, round: usize) -> usize {
    let services = Services::open(&db.global()).await.unwrap();
    services.catch_up().await.unwrap();
    let index_ids = services.index.all_ids().unwrap();
    let unique: HashSet<&String> = index_ids.iter().collect();
    assert_eq!(
        unique.len(),
        index_ids.len(),
        "{} round {round}: duplicates in the index",
        db.backend
    );
    let stored: HashSet<String> = services
        .store
        .changes_since(0, i64::MAX)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.paper.id)
        .collect();
    assert_eq!(
        unique.len(),
        stored.len(),
        "{} round {round}: index and database differ in size",
        db.backend
    );
    assert!(
        stored.iter().all(|id| unique.contains(id)),
        "{} round {round}: ids differ",
        db.backend
    );
    services.close().await.unwrap();
    stored.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_import_never_loses_or_duplicates() {
    for backend in backends() {
        let db = fresh_db(backend).await;
        let file = db.dir.path().join("papers.jsonl");
        write_jsonl(&file, (0..PAPERS).map(paper));
        let mut index_lagged = false;
        // Kill points spread over the import (it takes a few seconds in a debug build).
        for (round, delay_ms) in [120u64, 350, 700, 1100, 1600, 2300, 3100]
            .into_iter()
            .enumerate()
        {
            let mut child = db
                .papers()
                .args(["import", "jsonl"])
                .arg(&file)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
            let finished = child.try_wait().unwrap().is_some();
            child.kill().ok(); // SIGKILL
            child.wait().unwrap();

            let store = papers::store::connect(&db.url).await.unwrap();
            // PostgreSQL may still commit the killed client's last transaction (its COMMIT
            // was sent, the reply never read): wait until the count stops moving.
            let mut count = store.count().await.unwrap() as usize;
            loop {
                tokio::time::sleep(Duration::from_millis(300)).await;
                let now = store.count().await.unwrap() as usize;
                if now == count {
                    break;
                }
                count = now;
            }
            let db_seq = store.max_seq().await.unwrap();
            store.close().await;
            if round == 0 && count < PAPERS {
                assert_eq!(
                    count % BATCH,
                    0,
                    "{backend}: a killed import left half a batch ({count})"
                );
            }
            let index_seq = SearchIndex::open(&db.data_dir().join("index"))
                .unwrap()
                .watermark()
                .unwrap()
                .seq;
            index_lagged |= index_seq < db_seq;
            let after = assert_index_equals_database(&db, round).await;
            assert_eq!(after, count, "{backend}");
            if finished {
                break;
            }
        }
        assert!(
            index_lagged,
            "{backend}: no kill caught the index behind the database; the test proved nothing"
        );

        let (out, _, stderr) = common::run(db.papers().args(["import", "jsonl"]).arg(&file));
        assert!(out.status.success(), "{stderr}");
        assert_eq!(
            assert_index_equals_database(&db, 99).await,
            PAPERS,
            "{backend}: the last run completes the import"
        );
    }
}

/// A crash while the index catches up (at start) is recovered by the next start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_catch_up_and_reindex() {
    let db = fresh_db("sqlite").await;
    let store = papers::store::connect(&db.url).await.unwrap();
    let all: Vec<_> = (0..PAPERS).map(paper).collect();
    for batch in all.chunks(BATCH) {
        store.upsert_batch(batch).await.unwrap();
    }
    store.close().await;
    for delay_ms in [200u64, 600, 1200] {
        let mut child = db
            .papers()
            .arg("reindex")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        child.kill().ok();
        child.wait().unwrap();
        assert_eq!(
            assert_index_equals_database(&db, delay_ms as usize).await,
            PAPERS
        );
    }
}
