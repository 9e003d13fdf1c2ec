//! What an operator relies on: `/metrics` read by a standard Prometheus parser, JSON log
//! lines carrying the request id, and static files answered with ETags.

mod common;

use common::{backends, fresh_db, get, paper, run, serve_process, write_jsonl};
use serde_json::Value;
use std::io::Write;
use std::process::Stdio;

/// Parses an OpenMetrics exposition with PyPI's prometheus-client: the families' types and
/// every sample as `[name, labels, value]`.
fn parse_openmetrics(text: &str) -> Value {
    const SCRIPT: &str = r#"
import json, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
families, samples = {}, []
for f in text_string_to_metric_families(sys.stdin.read()):
    families[f.name] = f.type
    samples += [[s.name, s.labels, s.value] for s in f.samples]
print(json.dumps({"families": families, "samples": samples}))
"#;
    let mut child = std::process::Command::new("python3")
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the Prometheus parser refuses /metrics:\n{}\n---\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The value of the sample `name` whose labels include all of `labels`.
fn sample(parsed: &Value, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    parsed["samples"].as_array().unwrap().iter().find_map(|s| {
        let matches = s[0] == name && labels.iter().all(|(k, v)| s[1][k] == *v);
        matches.then(|| s[2].as_f64().unwrap())
    })
}

#[tokio::test]
async fn metrics_are_valid_prometheus_text_with_routes_papers_lag_and_jobs() {
    let have_parser = common::python_module("prometheus_client", "prometheus-client");
    for backend in backends() {
        let db = fresh_db(backend).await;
        let file = db.dir.path().join("papers.jsonl");
        write_jsonl(&file, (0..7).map(paper));
        let (out, _, stderr) = run(db
            .papers()
            .args(["import", "jsonl"])
            .arg(&file)
            .stdin(Stdio::null()));
        assert!(out.status.success(), "{backend}: import failed: {stderr}");

        let server = serve_process(&db, &[]);
        let addr = &*server.addr;
        for target in [
            &b"/api/search?q=graph"[..],
            b"/api/search?q=diffusion",
            b"/nope",
        ] {
            get(addr, target).await;
        }
        get(addr, b"/paper/2401.00001").await;
        let r = get(addr, b"/metrics").await;
        assert_eq!(r.status, 200, "{backend}: {}", r.body);
        assert!(
            r.header("content-type")
                .unwrap()
                .starts_with("application/openmetrics-text"),
            "{}",
            r.headers
        );
        assert!(r.body.ends_with("# EOF\n"), "{backend}: {}", r.body);
        // Route templates, not raw paths: no paper id or query string becomes a label.
        assert!(!r.body.contains("2401.00001") && !r.body.contains("q=graph"));
        if !have_parser {
            continue;
        }
        let m = parse_openmetrics(&r.body);
        let search = [("route", "/api/search"), ("status", "200")];
        assert_eq!(
            sample(&m, "papers_http_requests_total", &search),
            Some(2.0),
            "{backend}: {m}"
        );
        let unmatched = [("route", "unmatched"), ("status", "404")];
        assert_eq!(
            sample(&m, "papers_http_requests_total", &unmatched),
            Some(1.0)
        );
        assert_eq!(
            m["families"]["papers_http_request_duration_seconds"],
            "histogram"
        );
        let count = sample(
            &m,
            "papers_http_request_duration_seconds_count",
            &[("route", "/api/search")],
        );
        assert_eq!(count, Some(2.0));
        let inf = [("route", "/api/search"), ("le", "+Inf")];
        assert_eq!(
            sample(&m, "papers_http_request_duration_seconds_bucket", &inf),
            Some(2.0)
        );
        assert_eq!(sample(&m, "papers_papers_total", &[]), Some(7.0), "{m}");
        assert_eq!(sample(&m, "papers_index_lag", &[]), Some(0.0));
        assert_eq!(sample(&m, "papers_jobs", &[("state", "queued")]), Some(0.0));
        assert_eq!(sample(&m, "papers_jobs", &[("state", "done")]), Some(0.0));
        assert_eq!(sample(&m, "papers_arxiv_sync_last_ok", &[]), Some(0.0));
        assert_eq!(
            sample(&m, "papers_arxiv_sync_last_finished_seconds", &[]),
            Some(0.0)
        );
        assert_eq!(sample(&m, "papers_embed_queue", &[]), Some(0.0));
        assert_eq!(sample(&m, "papers_faq_queue", &[]), Some(0.0));
    }
}

#[tokio::test]
async fn papers_metrics_false_turns_the_endpoint_off() {
    let db = fresh_db("sqlite").await;
    let server = serve_process(&db, &[("PAPERS_METRICS", "false")]);
    assert_eq!(get(&*server.addr, b"/metrics").await.status, 404);
    assert_eq!(get(&*server.addr, b"/healthz").await.status, 200);
}

#[tokio::test]
async fn json_logs_are_one_object_a_line_and_carry_the_request_id() {
    let db = fresh_db("sqlite").await;
    let server = serve_process(
        &db,
        &[
            ("PAPERS_LOG_FORMAT", "json"),
            ("RUST_LOG", "papers=info,tower_http=debug"),
        ],
    );
    let r = get(&*server.addr, b"/api/search?q=graph").await;
    assert_eq!(r.status, 200);
    let id = r.header("x-request-id").expect("a request id").to_string();
    // A proxy's id is kept and echoed.
    let head = b"GET /healthz HTTP/1.1\r\nX-Request-Id: from-the-proxy-7";
    let kept = common::http(&*server.addr, head, b"").await;
    assert_eq!(kept.header("x-request-id"), Some("from-the-proxy-7"));

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let logs = server.logs.lock().unwrap().clone();
        let lines: Vec<Value> = logs
            .iter()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect();
        let of = |id: &str| {
            lines
                .iter()
                .any(|l| l["span"]["request_id"] == id && l["span"]["path"].is_string())
        };
        if of(&id) && of("from-the-proxy-7") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no log line carries request ids {id} and from-the-proxy-7:\n{}",
            logs.join("\n")
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn an_unknown_log_format_is_refused_with_the_choices() {
    let db = fresh_db("sqlite").await;
    let (out, _, stderr) = run(db.papers().arg("status").env("PAPERS_LOG_FORMAT", "xml"));
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("PAPERS_LOG_FORMAT") && stderr.contains("json"),
        "{stderr}"
    );
}

#[tokio::test]
async fn static_files_come_from_the_binary_with_an_etag_and_304() {
    let db = fresh_db("sqlite").await;
    let server = serve_process(&db, &[]);
    let addr = &*server.addr;
    let r = get(addr, b"/static/css/site.css").await;
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/css"));
    assert!(r.body.len() > 100, "{}", r.body);
    assert!(r.header("cache-control").unwrap().contains("max-age"));
    let etag = r.header("etag").expect("an ETag").to_string();
    let head = format!("GET /static/css/site.css HTTP/1.1\r\nIf-None-Match: {etag}");
    let again = common::http(addr, head.as_bytes(), b"").await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    let stale = common::http(
        addr,
        b"GET /static/css/site.css HTTP/1.1\r\nIf-None-Match: \"0000\"",
        b"",
    )
    .await;
    assert_eq!(stale.status, 200);
    assert_eq!(get(addr, b"/static/css/nope.css").await.status, 404);
    assert_eq!(get(addr, b"/static/../Cargo.toml").await.status, 404);
}

#[tokio::test]
async fn read_only_commands_create_nothing_and_say_what_to_do() {
    let db = fresh_db("sqlite").await;
    let data = db.dir.path().join("fresh");
    for args in [&["status"][..], &["search", "graph"]] {
        let (out, _, stderr) = run(db
            .papers()
            .args(args)
            .env("PAPERS_DATA_DIR", &data)
            .env_remove("PAPERS_DATABASE_URL"));
        assert!(!out.status.success(), "{args:?}: {stderr}");
        assert!(stderr.contains("no database at"), "{args:?}: {stderr}");
        assert!(stderr.contains("papers import"), "{args:?}: {stderr}");
        assert!(!data.exists(), "{args:?} created {}", data.display());
    }
    // A database with no index yet: status reports it empty, search says how to build it,
    // and neither makes the index.
    let store = papers::store::connect(&db.url).await.unwrap();
    store.upsert_batch(&[paper(1)]).await.unwrap();
    store.close().await;
    let (out, stdout, stderr) = run(db.papers().args(["status", "--json"]));
    assert!(out.status.success(), "{stderr}");
    let status: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (&status["papers"], &status["index_docs"]),
        (&1.into(), &0.into())
    );
    let (out, _, stderr) = run(db.papers().args(["search", "graph"]));
    assert!(!out.status.success());
    assert!(stderr.contains("papers reindex"), "{stderr}");
    assert!(!db.data_dir().join("index").exists());
}

#[tokio::test]
async fn a_missing_postgresql_database_names_the_createdb_command() {
    let Ok(admin) = std::env::var("TEST_DATABASE_URL") else {
        backends(); // fails under CI=true
        return;
    };
    let base = admin.rsplit_once('/').unwrap().0;
    let db = fresh_db("sqlite").await;
    let url = format!("{base}/papers_no_such_db_17");
    let (out, _, stderr) = run(db.papers().arg("status").env("PAPERS_DATABASE_URL", &url));
    assert!(!out.status.success());
    let last = stderr.trim_end().lines().last().unwrap();
    assert!(
        last.contains("does not exist")
            && last.contains("createdb")
            && last.contains("papers_no_such_db_17"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_second_server_on_one_sqlite_database_is_refused() {
    let db = fresh_db("sqlite").await;
    let first = serve_process(&db, &[]);
    let (out, _, stderr) = run(db
        .papers()
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdin(Stdio::null()));
    assert!(!out.status.success(), "a second server started: {stderr}");
    let last = stderr.trim_end().lines().last().unwrap();
    assert!(
        last.contains("another `papers serve` is running") && last.contains("PostgreSQL"),
        "{stderr}"
    );
    assert_eq!(get(&*first.addr, b"/healthz").await.status, 200);
    // Once the first is gone (even killed), a server starts again.
    drop(first);
    let second = serve_process(&db, &[]);
    assert_eq!(get(&*second.addr, b"/healthz").await.status, 200);
}

#[tokio::test]
async fn backup_copies_a_running_sqlite_database_and_never_overwrites() {
    let db = fresh_db("sqlite").await;
    let store = papers::store::connect(&db.url).await.unwrap();
    store
        .upsert_batch(&(0..40).map(paper).collect::<Vec<_>>())
        .await
        .unwrap();
    store.close().await;
    let server = serve_process(&db, &[]);
    let copy = db.dir.path().join("backup.db");
    let (out, stdout, stderr) = run(db.papers().arg("backup").arg(&copy));
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("backed up to"), "{stdout}");
    assert!(!db.dir.path().join("backup.db.partial").exists());
    // The copy is a whole database: another instance serves it.
    let restored = papers::store::connect(&format!("sqlite://{}", copy.display()))
        .await
        .unwrap();
    assert_eq!(restored.count().await.unwrap(), 40);
    restored.close().await;
    let (out, _, stderr) = run(db.papers().arg("backup").arg(&copy));
    assert!(!out.status.success());
    assert!(stderr.contains("exists already"), "{stderr}");
    drop(server);

    let pg = db
        .papers()
        .arg("backup")
        .arg(db.dir.path().join("pg.db"))
        .env("PAPERS_DATABASE_URL", "postgres://u:pw@127.0.0.1:1/x")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&pg.stderr);
    assert!(!pg.status.success());
    assert!(
        stderr.contains("pg_dump") && !stderr.contains("pw@"),
        "{stderr}"
    );
}

/// A port where a server accepts connections and never answers.
async fn silent_server() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((conn, _)) = listener.accept().await {
            held.push(conn);
        }
    });
    addr
}

/// A port nothing listens on.
fn closed_port() -> std::net::SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

fn arxiv_at(addr: std::net::SocketAddr) -> [(&'static str, String); 5] {
    [
        ("PAPERS_ARXIV_SYNC", "true".into()),
        ("PAPERS_ARXIV_OAI_URL", format!("http://{addr}/oai")),
        ("PAPERS_ARXIV_API_URL", format!("http://{addr}/api")),
        ("PAPERS_ARXIV_RSS_URL", format!("http://{addr}/rss")),
        ("PAPERS_ARXIV_RETRIES", "0".into()),
    ]
}

/// The home page says what the sync is doing, and a page for an unstored paper answers 502
/// within the fetch timeout while arXiv is silent, and at once after a failure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_sees_the_sync_state_and_unreachable_arxiv_fails_fast() {
    let db = fresh_db("sqlite").await;
    let env = arxiv_at(silent_server().await);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = serve_process(&db, &env);
    let addr = &*server.addr;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let home = get(addr, b"/").await;
        if home.body.contains("Fetching new papers from arXiv") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{}", home.body);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        common::api(addr.parse().unwrap(), "/api/sync").await["last"]["running"],
        true
    );
    let started = std::time::Instant::now();
    let page = get(addr, b"/arxiv/2401.99999").await;
    let first = started.elapsed();
    assert_eq!(page.status, 502, "{}", page.body);
    assert!(first < std::time::Duration::from_secs(15), "{first:?}");
    let started = std::time::Instant::now();
    let again = get(addr, b"/arxiv/2401.99998").await;
    assert_eq!(again.status, 502, "{}", again.body);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "the second page waited {:?} for an arXiv that just failed",
        started.elapsed()
    );
    assert!(
        again.body.contains("could not be reached"),
        "{}",
        again.body
    );
    drop(server);

    // arXiv refusing connections: the run fails at once, and the home page says since when,
    // when the next try is, and what to do instead.
    let db = fresh_db("sqlite").await;
    let env = arxiv_at(closed_port());
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = serve_process(&db, &env);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let home = get(&*server.addr, b"/").await;
        if home.body.contains("arXiv unreachable since") {
            assert!(home.body.contains("next try"), "{}", home.body);
            assert!(home.body.contains("papers import arxiv-snapshot"));
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{}", home.body);
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let sync = common::api(server.addr.parse().unwrap(), "/api/sync").await;
    assert_eq!(sync["last"]["ok"], false, "{sync}");
    assert!(sync["last"]["failing_since"].is_string(), "{sync}");
    assert_eq!(sync["last"]["running"], false, "{sync}");
}
