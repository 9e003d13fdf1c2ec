//! Ranking quality on BEIR SciFact (real data): guards the tuned BM25 setup against regressions.

mod common;

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
