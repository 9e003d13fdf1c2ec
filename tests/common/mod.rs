//! Shared test helpers: a fresh database per backend, the `papers` binary, sample papers.
#![allow(dead_code)] // each test binary uses its own subset

pub mod llm;

use papers::domain::{Date, Paper};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use tempfile::TempDir;

/// A scratch database (SQLite file or PostgreSQL database) and a data dir, removed on drop.
pub struct TestDb {
    pub backend: &'static str,
    pub url: String,
    pub dir: TempDir,
    postgres: Option<(String, String)>, // (admin url, database name)
}

impl TestDb {
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// `papers` with this database and data dir.
    pub fn papers(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_papers"));
        cmd.env("PAPERS_DATABASE_URL", &self.url)
            .env("PAPERS_DATA_DIR", self.data_dir())
            .env("RUST_LOG", "papers=info")
            .env("PAPERS_ARXIV_SYNC", "false")
            .env_remove("PAPERS_BIND");
        cmd
    }

    pub fn global(&self) -> papers::config::Global {
        papers::config::Global {
            database_url: Some(self.url.clone()),
            data_dir: self.data_dir(),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.postgres.take() {
            // Drop runs outside any runtime we may use: do it on a thread of its own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    use sqlx::Connection;
                    if let Ok(mut c) = sqlx::PgConnection::connect(&admin).await {
                        let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                        let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut c).await;
                    }
                });
            })
            .join();
        }
    }
}

/// The backends to test: SQLite always; PostgreSQL when `TEST_DATABASE_URL` names a server
/// (required when `CI=true`).
pub fn backends() -> Vec<&'static str> {
    let mut all = vec!["sqlite"];
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => all.push("postgres"),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true but TEST_DATABASE_URL is not set: the PostgreSQL tests must run")
        }
        _ => eprintln!("TEST_DATABASE_URL not set: PostgreSQL NOT tested, SQLite only"),
    }
    all
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A fresh, empty database of this backend.
pub async fn fresh_db(backend: &'static str) -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    if backend == "sqlite" {
        let url = format!("sqlite://{}", dir.path().join("papers.db").display());
        return TestDb {
            backend,
            url,
            dir,
            postgres: None,
        };
    }
    let admin = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL");
    let name = format!(
        "papers_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {admin}: {e}"));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut c)
            .await
            .unwrap();
    }
    let (base, _) = admin
        .rsplit_once('/')
        .expect("TEST_DATABASE_URL ends in /DATABASE");
    let url = format!("{base}/{name}");
    TestDb {
        backend,
        url,
        dir,
        postgres: Some((admin, name)),
    }
}

/// A distinct, deterministic paper.
pub fn paper(i: usize) -> Paper {
    const TOPICS: [&str; 5] = [
        "graph neural networks",
        "diffusion models",
        "protein folding",
        "quantum error correction",
        "language model alignment",
    ];
    let topic = TOPICS[i % TOPICS.len()];
    Paper {
        id: format!("2401.{i:05}"),
        title: format!("Study {i} of {topic}"),
        abstract_text: format!("We study {topic} in setting number {i}, with experiments."),
        authors: vec![format!("Author{i} Family"), "Ada Lovelace".into()],
        categories: vec!["cs.LG".into(), "stat.ML".into()],
        published: Date::new(2024, 1, 1 + (i % 28) as u8),
        updated: Date::new(2024, 2, 1 + (i % 28) as u8),
        ..Paper::default()
    }
}

/// Runs a command to completion, returning its output (stdout and stderr as text).
pub fn run(cmd: &mut Command) -> (Output, String, String) {
    let out = cmd.output().expect("papers binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, stdout, stderr)
}

/// `../shared` beside the checkout; required under `CI=true`, else `None` skips.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if dir.join("data").is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "CI=true but {} is missing: the tests on real data must run",
            dir.display()
        );
    }
    eprintln!(
        "{} not found: tests on real recorded data NOT run",
        dir.display()
    );
    None
}

/// Writes papers as the generic JSON-lines import format.
pub fn write_jsonl(path: &Path, papers: impl IntoIterator<Item = Paper>) {
    use std::io::Write;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for p in papers {
        serde_json::to_writer(&mut f, &p).unwrap();
        f.write_all(b"\n").unwrap();
    }
}

/// One HTTP/1.1 response, read whole.
pub struct Response {
    pub status: u16,
    /// The header block, lower-cased.
    pub headers: String,
    pub body: String,
}

impl Response {
    /// The value of header `name` (lower case), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.lines().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            (n.trim() == name).then(|| v.trim())
        })
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// Sends `head` (request line and headers, without the final blank line) and `body` over
/// a fresh connection to `addr`; `target` bytes go on the wire exactly as given.
pub async fn http(addr: impl tokio::net::ToSocketAddrs, head: &[u8], body: &[u8]) -> Response {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = head.to_vec();
    req.extend_from_slice(b"\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    req.extend_from_slice(body);
    conn.write_all(&req).await.unwrap();
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    Response {
        status: head[9..12].parse().unwrap(),
        headers: head.to_ascii_lowercase(),
        body: body.to_string(),
    }
}

/// `GET target`.
pub async fn get(addr: impl tokio::net::ToSocketAddrs, target: &[u8]) -> Response {
    let mut head = b"GET ".to_vec();
    head.extend_from_slice(target);
    head.extend_from_slice(b" HTTP/1.1");
    http(addr, &head, b"").await
}

/// Opens the store and index of `db`, writes `papers`, and serves the router on a real
/// port. Keep the returned services alive for as long as the server is used.
pub async fn serve(
    db: &TestDb,
    papers: &[Paper],
) -> (std::net::SocketAddr, papers::services::Services) {
    let services = papers::services::Services::open(&db.global())
        .await
        .unwrap();
    if !papers.is_empty() {
        services.store.upsert_batch(papers).await.unwrap();
    }
    services.catch_up().await.unwrap();
    let state = papers::web::AppState::new(services.store.clone(), services.index.clone());
    (serve_state(state).await, services)
}

/// Serves the router over `state` on a real port.
pub async fn serve_state(state: papers::web::AppState) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, papers::web::router(state))
            .await
            .unwrap()
    });
    addr
}

/// Reads a starting `papers serve`'s log until it names its address; returns the address
/// and the rest of the log.
pub fn server_address(
    stderr: std::process::ChildStderr,
) -> (
    String,
    std::io::Lines<std::io::BufReader<std::process::ChildStderr>>,
) {
    use std::io::BufRead;
    let mut lines = std::io::BufReader::new(stderr).lines();
    loop {
        let line = lines.next().expect("server logs its address").unwrap();
        // Plain text or a JSON log line: the address ends at a quote or a space.
        if let Some(rest) = line.split("listening on http://").nth(1) {
            let addr = rest.split(['"', ' ']).next().unwrap_or_default();
            return (addr.trim().to_string(), lines);
        }
    }
}

/// A running `papers serve`, killed if the test ends before it stopped; the log lines it
/// wrote after its address are kept in `logs`.
pub struct ServeProcess {
    pub child: std::process::Child,
    pub addr: String,
    pub logs: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `papers serve` for `db` on a free port with these extra variables.
pub fn serve_process(db: &TestDb, env: &[(&str, &str)]) -> ServeProcess {
    let mut cmd = db.papers();
    cmd.args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    for (name, value) in env {
        cmd.env(name, value);
    }
    let mut child = cmd.spawn().unwrap();
    let (addr, lines) = server_address(child.stderr.take().unwrap());
    let logs: std::sync::Arc<std::sync::Mutex<Vec<String>>> = std::sync::Arc::default();
    let kept = std::sync::Arc::clone(&logs);
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            kept.lock().unwrap().push(line);
        }
    });
    ServeProcess { child, addr, logs }
}

/// Whether Python can import `module` (PyPI's `package`, which `.ci/run` installs): outside
/// CI a missing one is noted and the check that needs it skipped; under `CI=true` it fails.
pub fn python_module(module: &str, package: &str) -> bool {
    let available = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .status()
        .is_ok_and(|s| s.success());
    if !available {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI=true but {package} is missing (pip install {package})"
        );
        eprintln!("NOTE: {package} not installed: the check that needs it did NOT run");
    }
    available
}

/// GETs an API URL, checks it answered 200 and returns its JSON.
pub async fn api(addr: std::net::SocketAddr, target: &str) -> serde_json::Value {
    let r = get(addr, target.as_bytes()).await;
    assert_eq!(r.status, 200, "{target}: {}", r.body);
    r.json()
}

/// The paper ids of a search answer's hits, in order.
pub fn ids(json: &serde_json::Value) -> Vec<String> {
    json["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect()
}
