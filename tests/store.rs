//! The store's contract, held against every backend.

mod common;

use common::{backends, fresh_db, paper};
use papers::domain::Date;
use papers::store::{self, BatchOutcome};
use std::collections::HashSet;

#[tokio::test]
async fn upserts_are_idempotent_and_newer_wins() {
    for backend in backends() {
        let db = fresh_db(backend).await;
        let store = store::connect(&db.url).await.unwrap();
        let batch: Vec<_> = (0..3).map(paper).collect();
        let o = store.upsert_batch(&batch).await.unwrap();
        assert_eq!(
            o,
            BatchOutcome {
                inserted: 3,
                updated: 0,
                unchanged: 0
            },
            "{backend}"
        );
        assert_eq!(store.max_seq().await.unwrap(), 3, "{backend}");

        let again = store.upsert_batch(&batch).await.unwrap();
        assert_eq!(
            again,
            BatchOutcome {
                inserted: 0,
                updated: 0,
                unchanged: 3
            },
            "{backend}"
        );
        assert_eq!(
            store.max_seq().await.unwrap(),
            3,
            "{backend}: unchanged rows take no seq"
        );

        let mut newer = paper(1);
        newer.title = "Revised title".into();
        newer.updated = Date::new(2025, 1, 1);
        newer.venue = Some(papers::domain::Venue {
            name: "ICLR".into(),
            year: 2025,
            track: Some("Oral".into()),
        });
        let mut older = paper(2);
        older.title = "Stale title".into();
        older.updated = Date::new(2020, 1, 1);
        let o = store.upsert_batch(&[newer.clone(), older]).await.unwrap();
        assert_eq!(
            o,
            BatchOutcome {
                inserted: 0,
                updated: 1,
                unchanged: 1
            },
            "{backend}"
        );

        let got = store
            .papers_by_id(&["2401.00002".into(), "nope".into(), "2401.00001".into()])
            .await
            .unwrap();
        assert_eq!(got.len(), 2, "{backend}");
        assert_eq!(
            got[0],
            paper(2),
            "{backend}: the older copy was not applied"
        );
        assert_eq!(got[1], newer, "{backend}: round trip keeps every field");

        let changes = store.changes_since(0, 100).await.unwrap();
        let seqs: Vec<i64> = changes.iter().map(|c| c.seq).collect();
        assert_eq!(
            seqs,
            [1, 3, 4],
            "{backend}: one row per paper at its latest seq"
        );
        assert_eq!(changes.last().unwrap().paper, newer, "{backend}");
        assert_eq!(
            store.changes_since(3, 100).await.unwrap().len(),
            1,
            "{backend}"
        );
        assert_eq!(store.count().await.unwrap(), 3, "{backend}");
        assert_eq!(
            store.latest(1).await.unwrap()[0].id,
            "2401.00002",
            "{backend}: newest published first"
        );
        store.close().await;
    }
}

#[tokio::test]
async fn a_failing_batch_writes_nothing() {
    for backend in backends() {
        let db = fresh_db(backend).await;
        let store = store::connect(&db.url).await.unwrap();
        store.upsert_batch(&[paper(0)]).await.unwrap();
        let mut bad = paper(2);
        bad.id = String::new(); // violates the schema's CHECK, as only a bug could
        let err = store.upsert_batch(&[paper(1), bad, paper(3)]).await;
        assert!(err.is_err(), "{backend}");
        assert_eq!(
            store.count().await.unwrap(),
            1,
            "{backend}: no part of the batch landed"
        );
        assert_eq!(
            store.max_seq().await.unwrap(),
            1,
            "{backend}: no seq was consumed"
        );
        store.upsert_batch(&[paper(1)]).await.unwrap();
        assert_eq!(store.max_seq().await.unwrap(), 2, "{backend}");
        store.close().await;
    }
}

/// Concurrent writers and a reader following `changes_since` from its watermark: the
/// reader must see every paper, because sequence numbers become visible in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_follower_misses_nothing_under_concurrent_writers() {
    for backend in backends() {
        let db = fresh_db(backend).await;
        let store = store::connect(&db.url).await.unwrap();
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let store = store.clone();
                tokio::spawn(async move {
                    for b in 0..10 {
                        let batch: Vec<_> = (0..20).map(|i| paper(w * 1000 + b * 20 + i)).collect();
                        store.upsert_batch(&batch).await.unwrap();
                    }
                })
            })
            .collect();
        let follower = {
            let store = store.clone();
            tokio::spawn(async move {
                let mut seen = HashSet::new();
                let mut mark = 0;
                while seen.len() < 800 {
                    for c in store.changes_since(mark, 50).await.unwrap() {
                        assert!(c.seq > mark, "sequence goes forward");
                        mark = c.seq;
                        seen.insert(c.paper.id);
                    }
                    tokio::task::yield_now().await;
                }
                (seen.len(), mark)
            })
        };
        for w in writers {
            w.await.unwrap();
        }
        let (seen, mark) = tokio::time::timeout(std::time::Duration::from_secs(60), follower)
            .await
            .unwrap_or_else(|_| panic!("{backend}: the follower missed papers"))
            .unwrap();
        assert_eq!(seen, 800, "{backend}");
        assert_eq!(mark, 800, "{backend}: one seq per written paper");
        store.close().await;
    }
}

#[tokio::test]
async fn bad_urls_fail_with_a_clear_error() {
    let err = store::connect("mysql://localhost/x").await.err().unwrap();
    assert!(
        err.to_string().contains("unsupported database URL"),
        "{err}"
    );
    let err = store::connect("postgres://nobody:secret@127.0.0.1:1/none")
        .await
        .err()
        .unwrap();
    assert!(!err.to_string().contains("secret"), "{err}");
}

#[tokio::test]
async fn a_large_batch_of_new_and_changed_papers_is_stored_whole_and_in_order() {
    // 250 rows: more than one multi-row statement, and a last one shorter than the others.
    for backend in backends() {
        let db = fresh_db(backend).await;
        let store = store::connect(&db.url).await.unwrap();
        let first: Vec<_> = (0..150).map(paper).collect();
        store.upsert_batch(&first).await.unwrap();
        let mut batch: Vec<_> = (100..350).map(paper).collect();
        for p in &mut batch[..50] {
            p.title = format!("{} (revised)", p.title);
            p.updated = Date::new(2030, 1, 1);
        }
        let o = store.upsert_batch(&batch).await.unwrap();
        assert_eq!(
            o,
            BatchOutcome {
                inserted: 200,
                updated: 50,
                unchanged: 0
            },
            "{backend}"
        );
        assert_eq!(store.max_seq().await.unwrap(), 400, "{backend}");
        let ids: Vec<String> = batch.iter().map(|p| p.id.clone()).collect();
        let mut stored = store.papers_by_id(&ids).await.unwrap();
        stored.sort_by(|a, b| a.id.cmp(&b.id));
        let mut wanted = batch.clone();
        wanted.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(
            stored, wanted,
            "{backend}: every field of every row as written"
        );
        // Sequence numbers follow the batch's order, one per written paper.
        let changes = store.changes_since(150, 1000).await.unwrap();
        let order: Vec<&str> = changes.iter().map(|c| c.paper.id.as_str()).collect();
        let expected: Vec<&str> = batch.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(order, expected, "{backend}");
    }
}
