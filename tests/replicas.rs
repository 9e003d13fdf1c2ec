//! Several `papers serve` replicas on one PostgreSQL database, each with its own data dir:
//! a write through any process is searchable on every replica within seconds, exactly one
//! replica runs the arXiv sync, and another takes over when it dies.

mod common;

use common::{TestDb, backends, fresh_db, get, paper, run, serve_process, write_jsonl};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A PostgreSQL database for replicas, or `None` (with a note) when there is none outside CI.
async fn postgres() -> Option<TestDb> {
    if backends().contains(&"postgres") {
        Some(fresh_db("postgres").await)
    } else {
        eprintln!("NOTE: replicas need PostgreSQL (TEST_DATABASE_URL): NOT tested");
        None
    }
}

/// Polls `addr` until `/api/search?q=word` finds `n` papers; the time it took.
async fn until_found(addr: &str, word: &str, n: u64, within: Duration) -> Duration {
    let start = Instant::now();
    let target = format!("/api/search?q={word}&limit=1");
    loop {
        let r = get(addr, target.as_bytes()).await;
        if r.status == 200 && r.json()["total"].as_u64() == Some(n) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < within,
            "{addr} does not find {n} papers for {word} after {within:?}: {}",
            r.body
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn papers_written_by_another_process_are_searchable_on_every_replica() {
    let Some(db) = postgres().await else { return };
    let replicas: Vec<_> = (0..3)
        .map(|i| {
            let dir = db.dir.path().join(format!("replica{i}"));
            serve_process(&db, &[("PAPERS_DATA_DIR", dir.to_str().unwrap())])
        })
        .collect();
    for round in 0..3 {
        // A fourth process, with a data dir of its own, writes 30 papers with a new word.
        let word = format!("zyxquorbit{}", ["alpha", "beta", "gamma"][round]);
        let file = db.dir.path().join(format!("round{round}.jsonl"));
        write_jsonl(
            &file,
            (0..30).map(|i| {
                let mut p = paper(1000 * (round + 1) + i);
                p.title = format!("{} {word}", p.title);
                p
            }),
        );
        let importer = db.dir.path().join("importer");
        let (out, _, stderr) = run(db
            .papers()
            .args(["import", "jsonl"])
            .arg(&file)
            .env("PAPERS_DATA_DIR", &importer));
        assert!(out.status.success(), "{stderr}");
        let mut lags = Vec::new();
        for r in &replicas {
            lags.push(until_found(&r.addr, &word, 30, Duration::from_secs(20)).await);
        }
        // Measured from the importer's exit, replica after replica: the later ones have
        // had the earlier ones' time too, so the last figure bounds them all.
        eprintln!("round {round}: searchable on the 3 replicas after {lags:?}");
    }
    for r in &replicas {
        let ready = get(&*r.addr, b"/readyz").await;
        assert_eq!(ready.status, 200, "{}", ready.body);
        let body = ready.json();
        assert_eq!(body["lag"], 0, "{body}");
        assert!(
            body["lag_seconds"].as_f64().is_some_and(|s| s < 5.0),
            "{body}"
        );
    }
}

/// A stand-in for arXiv that answers every request 503 after a short pause and records, per
/// replica (each is given its own path prefix), how many requests it sent, and the most
/// requests ever in flight at once.
struct ArxivStandIn {
    addr: std::net::SocketAddr,
    seen: Arc<Mutex<BTreeMap<String, usize>>>,
    most_at_once: Arc<Mutex<(usize, usize)>>, // (in flight now, most ever)
}

async fn arxiv_stand_in() -> ArxivStandIn {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let stand_in = ArxivStandIn {
        addr: listener.local_addr().unwrap(),
        seen: Arc::default(),
        most_at_once: Arc::default(),
    };
    let (seen, flight) = (stand_in.seen.clone(), stand_in.most_at_once.clone());
    tokio::spawn(async move {
        loop {
            let Ok((mut conn, _)) = listener.accept().await else {
                return;
            };
            let (seen, flight) = (seen.clone(), flight.clone());
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let n = conn.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).into_owned();
                let path = head.split_whitespace().nth(1).unwrap_or("/");
                let replica = path.trim_start_matches('/').split('/').next().unwrap_or("");
                *seen.lock().unwrap().entry(replica.to_string()).or_default() += 1;
                {
                    let mut f = flight.lock().unwrap();
                    f.0 += 1;
                    f.1 = f.1.max(f.0);
                }
                tokio::time::sleep(Duration::from_millis(150)).await;
                flight.lock().unwrap().0 -= 1;
                let _ = conn
                    .write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    stand_in
}

/// `/metrics` of a replica says it leads.
async fn leads(addr: &str) -> bool {
    get(addr, b"/metrics")
        .await
        .body
        .lines()
        .any(|l| l == "papers_leader 1")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_replica_syncs_with_arxiv_and_another_takes_over_when_it_dies() {
    let Some(db) = postgres().await else { return };
    let arxiv = arxiv_stand_in().await;
    let start = |i: usize| {
        let dir = db.dir.path().join(format!("replica{i}"));
        let base = format!("http://{}/r{i}", arxiv.addr);
        serve_process(
            &db,
            &[
                ("PAPERS_DATA_DIR", dir.to_str().unwrap()),
                ("PAPERS_ARXIV_SYNC", "true"),
                ("PAPERS_ARXIV_OAI_URL", &format!("{base}/oai")),
                ("PAPERS_ARXIV_API_URL", &format!("{base}/api")),
                ("PAPERS_ARXIV_RSS_URL", &format!("{base}/rss")),
                ("PAPERS_ARXIV_RETRIES", "0"),
                ("PAPERS_ARXIV_DELAY_MS", "100"),
                ("PAPERS_LEADER_LEASE_SECS", "3"),
            ],
        )
    };
    let mut replicas: Vec<_> = (0..3).map(|i| Some(start(i))).collect();

    // The leader's catch-up reaches the stand-in; nobody else's does.
    let deadline = Instant::now() + Duration::from_secs(30);
    while arxiv.seen.lock().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "no replica synced with arXiv");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let seen = arxiv.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "more than one replica synced: {seen:?}");
    let first: usize = seen.keys().next().unwrap()[1..].parse().unwrap();
    let mut leaders = Vec::new();
    for (i, r) in replicas.iter().enumerate() {
        if leads(&r.as_ref().unwrap().addr).await {
            leaders.push(i);
        }
    }
    assert_eq!(leaders, [first], "/metrics disagrees with who synced");

    // The leader dies without a word (SIGKILL): its claim expires and another replica takes
    // over, and runs its catch-up.
    let killed = Instant::now();
    drop(replicas[first].take());
    let deadline = Instant::now() + Duration::from_secs(60);
    let second = loop {
        let seen = arxiv.seen.lock().unwrap().clone();
        if let Some(other) = seen.keys().find(|k| **k != format!("r{first}")) {
            break other[1..].parse::<usize>().unwrap();
        }
        assert!(Instant::now() < deadline, "no replica took over: {seen:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    eprintln!(
        "leadership moved from replica {first} to {second} in {:?}",
        killed.elapsed()
    );
    assert!(leads(&replicas[second].as_ref().unwrap().addr).await);
    assert_eq!(
        arxiv.most_at_once.lock().unwrap().1,
        1,
        "two requests reached arXiv at once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_on_one_database_take_turns_with_arxiv() {
    // Two `papers ingest` commands and no server: their requests never overlap and keep the
    // configured spacing between them, although each process has its own limiter.
    let Some(db) = postgres().await else { return };
    let arxiv = arxiv_stand_in().await;
    let ingest = |i: usize| {
        let mut cmd = db.papers();
        cmd.args(["ingest", "arxiv-ids"])
            .args(["2401.00001", "2401.00002", "2401.00003"])
            .env("PAPERS_DATA_DIR", db.dir.path().join(format!("cli{i}")))
            .env(
                "PAPERS_ARXIV_API_URL",
                format!("http://{}/c{i}/api", arxiv.addr),
            )
            .env("PAPERS_ARXIV_RETRIES", "1")
            .env("PAPERS_ARXIV_DELAY_MS", "300")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        cmd.spawn().unwrap()
    };
    let mut children = [ingest(0), ingest(1)];
    for c in &mut children {
        c.wait().unwrap();
    }
    let seen = arxiv.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "both processes asked arXiv: {seen:?}");
    assert_eq!(
        arxiv.most_at_once.lock().unwrap().1,
        1,
        "two processes' requests reached arXiv at once: {seen:?}"
    );
}
