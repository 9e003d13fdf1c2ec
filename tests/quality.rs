//! Ranking quality on BEIR SciFact (real data): guards the tuned BM25 setup against regressions.

mod common;

use std::path::Path;

/// The default ranking on SciFact test must stay above the best BM25 anchor measured here
/// (bm25s 0.6863, tantivy en_stem over title+abstract 0.6868; ../shared/bench/ANCHORS.md).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scifact_test_ndcg_beats_the_bm25_anchors() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let scores = papers::eval::run(&shared.join("data/beir/scifact"), "test", &[])
        .await
        .unwrap();
    let s = &scores[0];
    assert_eq!(s.queries, 300);
    assert!(s.ndcg_at_10 > 0.6868, "nDCG@10 {:.4}", s.ndcg_at_10);
    assert!(s.recall_at_100 > 0.90, "Recall@100 {:.4}", s.recall_at_100);
    assert!(s.mrr_at_10 > 0.65, "MRR@10 {:.4}", s.mrr_at_10);
}

/// `--distractors`: an arXiv snapshot joins the collection, unjudged, and its papers compete
/// with the judged ones: here papers about the query's very words push the judged paper off
/// the first ten.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn distractors_compete_with_the_judged_papers() {
    let dir = tempfile::tempdir().unwrap();
    let beir = dir.path().join("beir");
    std::fs::create_dir_all(beir.join("qrels")).unwrap();
    std::fs::write(
        beir.join("corpus.jsonl"),
        concat!(
            r#"{"_id": "d1", "title": "Quokka habitats", "text": "Where the quokka lives: small islands off the coast."}"#,
            "\n",
            r#"{"_id": "d2", "title": "Wombat burrows", "text": "Wombats dig long burrows."}"#,
            "\n"
        ),
    )
    .unwrap();
    std::fs::write(
        beir.join("queries.jsonl"),
        "{\"_id\": \"q1\", \"text\": \"quokka islands\"}\n",
    )
    .unwrap();
    std::fs::write(
        beir.join("qrels/test.tsv"),
        "query-id\tcorpus-id\tscore\nq1\td1\t1\n",
    )
    .unwrap();
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/snapshot_sample.jsonl");
    let template: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(fixture)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let snapshot = dir.path().join("distractors.jsonl");
    let lines: Vec<String> = (0..12)
        .map(|i| {
            let mut paper = template.clone();
            paper["id"] = format!("2402.9{i:04}").into();
            paper["title"] = format!("Quokka islands, survey {i}").into();
            paper["abstract"] = "Quokka islands: quokka counts on islands.".into();
            paper.to_string()
        })
        .collect();
    std::fs::write(&snapshot, lines.join("\n") + "\n").unwrap();

    let split = ["test".to_string()];
    let alone = papers::eval::run_with(&beir, &split, &[], None, None)
        .await
        .unwrap();
    assert_eq!(
        alone[0].ndcg_at_10, 1.0,
        "the judged paper first on its own"
    );
    let crowded = papers::eval::run_with(&beir, &split, &[], None, snapshot.to_str())
        .await
        .unwrap();
    assert_eq!(crowded[0].queries, 1);
    assert_eq!(
        crowded[0].ndcg_at_10, 0.0,
        "12 closer papers push it past 10"
    );
    assert_eq!(crowded[0].recall_at_100, 1.0, "still among the first 100");
}
