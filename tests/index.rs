//! The index follows its database: across processes, and when pointed at another database.

mod common;

use common::{backends, fresh_db, paper, run, write_jsonl};
use std::process::Stdio;
use std::time::{Duration, Instant};

async fn http_get(addr: &str, path: &str) -> (u16, String) {
    let r = common::get(addr, path.as_bytes()).await;
    (r.status, r.body)
}

/// Waits until the server's index holds sequence `seq`.
async fn caught_up(addr: &str, seq: u64, backend: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = http_get(addr, "/readyz").await;
        if status == 200 && body.contains(&format!("\"index_seq\":{seq}")) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{backend}: server never caught up to {seq}: {body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A server holds the index; an import in another process writes only the database, and
/// the server indexes the new papers by following the change sequence. Once no paper has
/// arrived for `PAPERS_COMPACT_AFTER_SECS`, it merges the segments the imports left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_server_indexes_what_another_process_imports() {
    for backend in backends() {
        let db = fresh_db(backend).await;
        let mut server = db
            .papers()
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env("PAPERS_COMPACT_AFTER_SECS", "3")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (addr, lines) = common::server_address(server.stderr.take().unwrap());
        // Keep the pipe drained, and pass on what the server says about merging.
        let (merges, merged) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if line.contains("merged the index's segments into one") {
                    let _ = merges.send(line);
                }
            }
        });

        // Two imports, each indexed by the server as it comes: two segments.
        for (name, papers) in [("p.jsonl", 0..500), ("q.jsonl", 500..600)] {
            let file = db.dir.path().join(name);
            write_jsonl(&file, papers.clone().map(paper));
            let (out, _, stderr) = run(db.papers().args(["import", "jsonl"]).arg(&file));
            assert!(out.status.success(), "{backend}: {stderr}");
            assert!(
                stderr.contains("holds the index"),
                "{backend}: the import left indexing to the server: {stderr}"
            );
            caught_up(&addr, papers.end as u64, backend).await;
        }
        let search = async || {
            let (_, body) = http_get(&addr, "/api/search?q=protein+folding&limit=5").await;
            let json: serde_json::Value = serde_json::from_str(&body).unwrap();
            (json["total"].clone(), json["hits"].clone())
        };
        let before = search().await;
        assert_eq!(before.0, 120, "{backend}: {before:?}");

        let line = merged
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("{backend}: the idle server never merged its segments"));
        let segments: usize = line
            .split("segments=")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        assert!(segments >= 2, "{backend}: {line}");
        assert_eq!(
            search().await,
            before,
            "{backend}: the merge changed a search"
        );

        // SIGTERM stops it gracefully.
        std::process::Command::new("kill")
            .arg(server.id().to_string())
            .status()
            .unwrap();
        let status = server.wait().unwrap();
        assert!(status.success(), "{backend}: graceful exit, got {status}");
    }
}

/// A server whose log pipe was closed (its reader gone) still stops on SIGTERM: a log line
/// it cannot write is dropped, not a panic in the task that handles the signal.
#[tokio::test]
async fn a_server_whose_log_reader_is_gone_still_stops_on_sigterm() {
    let db = fresh_db("sqlite").await;
    let mut server = db
        .papers()
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (addr, lines) = common::server_address(server.stderr.take().unwrap());
    drop(lines);
    let (status, _) = http_get(&addr, "/healthz").await;
    assert_eq!(status, 200);
    std::process::Command::new("kill")
        .arg(server.id().to_string())
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = server.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            server.kill().unwrap();
            panic!("the server did not stop on SIGTERM with its log pipe closed");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status.success(), "graceful exit, got {status}");
}

/// Pointing a data dir at another database rebuilds the index from that database.
#[tokio::test]
async fn an_index_built_from_another_database_is_rebuilt() {
    let first = fresh_db("sqlite").await;
    let file = first.dir.path().join("p.jsonl");
    write_jsonl(&file, (0..50).map(paper));
    let (out, _, stderr) = run(first.papers().args(["import", "jsonl"]).arg(&file));
    assert!(out.status.success(), "{stderr}");

    let second = fresh_db("sqlite").await;
    let file = second.dir.path().join("q.jsonl");
    write_jsonl(&file, (100..110).map(paper));
    run(second.papers().args(["import", "jsonl"]).arg(&file));
    // Same data dir as the first database, so the same index: the first command that
    // writes the index rebuilds it.
    let (out, _, stderr) = run(second
        .papers()
        .arg("compact")
        .env("PAPERS_DATA_DIR", first.data_dir()));
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("index follows another database"),
        "{stderr}"
    );
    let (out, stdout, stderr) = run(second
        .papers()
        .args(["status", "--json"])
        .env("PAPERS_DATA_DIR", first.data_dir()));
    assert!(out.status.success(), "{stderr}");
    let status: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(status["papers"], 10);
    assert_eq!(
        status["index_docs"], 10,
        "rebuilt from the second database: {status}"
    );
}

/// `PAPERS_DATA_DIR` alone moves the database too, and a command run with the wrong (new,
/// empty) database leaves another database's index alone instead of emptying it.
#[tokio::test]
async fn the_data_dir_holds_the_database_and_an_empty_database_never_wipes_an_index() {
    let db = fresh_db("sqlite").await;
    let data = db.dir.path().join("elsewhere");
    let file = db.dir.path().join("p.jsonl");
    write_jsonl(&file, (0..30).map(paper));
    let elsewhere = tempfile::tempdir().unwrap();
    let papers = || {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_papers"));
        cmd.env_remove("PAPERS_DATABASE_URL")
            .env("PAPERS_DATA_DIR", &data)
            .env("PAPERS_ARXIV_SYNC", "false")
            .current_dir(elsewhere.path());
        cmd
    };
    let (out, _, stderr) = run(papers().args(["import", "jsonl"]).arg(&file));
    assert!(out.status.success(), "{stderr}");
    assert!(
        data.join("papers.db").is_file(),
        "the database is in the data dir"
    );
    assert!(
        !elsewhere.path().join("data").exists(),
        "nothing made in the working directory"
    );
    let (out, stdout, _) = run(papers().args(["status", "--json"]));
    assert!(out.status.success());
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&stdout).unwrap()["papers"],
        30
    );

    // A new, empty database beside the same index: refused, the index kept.
    let empty = format!("sqlite://{}", db.dir.path().join("typo.db").display());
    let (out, _, stderr) = run(papers()
        .env("PAPERS_DATABASE_URL", &empty)
        .args(["import", "jsonl"])
        .arg(&file));
    assert!(
        !out.status.success(),
        "an empty database took over the index"
    );
    assert!(
        stderr.contains("holds 30 papers of another database"),
        "{stderr}"
    );
    assert!(stderr.contains("papers reindex"), "{stderr}");
    let (_, stdout, _) = run(papers().args(["status", "--json"]));
    let status: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(status["index_docs"], 30, "the index is intact: {status}");
    // Asked for explicitly, the rebuild happens.
    let (out, _, stderr) = run(papers().env("PAPERS_DATABASE_URL", &empty).arg("reindex"));
    assert!(out.status.success(), "{stderr}");
}

/// `papers status` and `papers search` read the index as it is: they never take its
/// writer, so they neither index nor keep a server from taking it.
#[tokio::test]
async fn status_and_search_leave_the_index_to_its_writer() {
    let db = fresh_db("sqlite").await;
    let store = papers::store::connect(&db.url).await.unwrap();
    store
        .upsert_batch(&(0..10).map(paper).collect::<Vec<_>>())
        .await
        .unwrap();
    let database_seq = store.max_seq().await.unwrap();
    store.close().await;
    // An empty index, made before the papers were written.
    drop(papers::index::SearchIndex::open(&db.data_dir().join("index")).unwrap());
    // The papers are in the database only; reading leaves the index as it was.
    for _ in 0..2 {
        let (out, stdout, stderr) = run(db.papers().args(["status", "--json"]));
        assert!(out.status.success(), "{stderr}");
        let status: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(
            (&status["papers"], &status["database_seq"]),
            (&10.into(), &database_seq.into()),
            "{status}"
        );
        assert_eq!(
            (&status["index_seq"], &status["index_docs"]),
            (&0.into(), &0.into()),
            "status indexed: {status}"
        );
        let (out, hits, stderr) = run(db.papers().args(["search", "--json", "protein"]));
        assert!(out.status.success(), "{stderr}");
        assert!(hits.starts_with("{\"total\":0,"), "search indexed: {hits}");
    }
    // A command that writes takes the writer and catches up.
    let (out, _, stderr) = run(db.papers().arg("compact"));
    assert!(out.status.success(), "{stderr}");
    let (_, hits, _) = run(db.papers().args(["search", "--json", "protein"]));
    assert!(hits.starts_with("{\"total\":2,"), "{hits}");
}

/// A server started while another process holds the index writer (an import, say) takes
/// the writer over once that process lets go: it indexes what was written meanwhile,
/// becomes ready, and goes on indexing what other processes write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_takes_over_the_index_writer_once_it_is_free() {
    for backend in backends() {
        let db = fresh_db(backend).await;
        // This test process stands for the other `papers` process.
        let index = papers::index::SearchIndex::open(&db.data_dir().join("index")).unwrap();
        let writer = index
            .try_writer()
            .unwrap()
            .expect("the index writer is free");
        let mut server = db
            .papers()
            .args(["serve", "--bind", "127.0.0.1:0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (addr, lines) = common::server_address(server.stderr.take().unwrap());
        std::thread::spawn(move || lines.map_while(Result::ok).for_each(drop));

        // Nobody can index this import while the writer is held elsewhere.
        let file = db.dir.path().join("p.jsonl");
        write_jsonl(&file, (0..50).map(paper));
        let (out, _, stderr) = run(db.papers().args(["import", "jsonl"]).arg(&file));
        assert!(out.status.success(), "{backend}: {stderr}");
        let (status, body) = http_get(&addr, "/readyz").await;
        assert_eq!(status, 503, "{backend}: {body}");

        drop(writer); // the other process exits
        caught_up(&addr, 50, backend).await;
        let (_, body) = http_get(&addr, "/api/search?q=protein+folding&limit=1").await;
        assert!(body.contains("\"total\":10,"), "{backend}: {body}");

        // The server holds the writer now, and follows what another process imports.
        let file = db.dir.path().join("q.jsonl");
        write_jsonl(&file, (50..60).map(paper));
        let (out, _, stderr) = run(db.papers().args(["import", "jsonl"]).arg(&file));
        assert!(out.status.success(), "{backend}: {stderr}");
        assert!(stderr.contains("holds the index"), "{backend}: {stderr}");
        caught_up(&addr, 60, backend).await;
        let (_, body) = http_get(&addr, "/api/search?q=protein+folding&limit=1").await;
        assert!(body.contains("\"total\":12,"), "{backend}: {body}");

        std::process::Command::new("kill")
            .arg(server.id().to_string())
            .status()
            .unwrap();
        let status = server.wait().unwrap();
        assert!(status.success(), "{backend}: graceful exit, got {status}");
    }
}

/// Updated papers replace their documents (no duplicates, old text gone); new ones add.
#[tokio::test]
async fn updates_replace_documents_and_new_papers_add() {
    for backend in backends() {
        let db = fresh_db(backend).await;
        let first = db.dir.path().join("v1.jsonl");
        write_jsonl(&first, (0..50).map(paper));
        assert!(
            run(db.papers().args(["import", "jsonl"]).arg(&first))
                .0
                .status
                .success()
        );
        let second = db.dir.path().join("v2.jsonl");
        let revised = (0..10).map(|i| {
            let mut p = paper(i);
            p.title = format!("Zygomorphic revision {i}");
            p.updated = papers::domain::Date::new(2025, 6, 1);
            p
        });
        write_jsonl(&second, revised.chain((50..55).map(paper)));
        let (out, stdout, stderr) =
            run(db.papers().args(["import", "jsonl", "--json"]).arg(&second));
        assert!(out.status.success(), "{stderr}");
        assert!(
            stdout.contains("\"inserted\":5,\"updated\":10"),
            "{backend}: {stdout}"
        );
        let (_, status, _) = run(db.papers().args(["status", "--json"]));
        assert!(
            status.contains("\"papers\":55") && status.contains("\"index_docs\":55"),
            "{backend}: {status}"
        );
        let (_, hits, _) = run(db.papers().args(["search", "--json", "zygomorphic"]));
        assert!(hits.starts_with("{\"total\":10,"), "{backend}: {hits}");
        let (_, hits, _) =
            run(db
                .papers()
                .args(["search", "--json", "--limit", "0", "\"Study 3 of\""]));
        assert!(
            hits.starts_with("{\"total\":0,"),
            "{backend}: the old title is gone: {hits}"
        );

        // Two imports left two segments or more: `papers compact` merges them into one,
        // keeping every document and the watermark (so nothing is reindexed).
        let (out, merged, stderr) = run(db.papers().arg("compact"));
        assert!(out.status.success(), "{backend}: {stderr}");
        assert!(
            merged.starts_with("merged ") && merged.contains(" segments into one"),
            "{backend}: {merged}"
        );
        let (_, after, _) = run(db.papers().args(["status", "--json"]));
        assert_eq!(after, status, "{backend}");
        let (_, hits, _) = run(db.papers().args(["search", "--json", "zygomorphic"]));
        assert!(hits.starts_with("{\"total\":10,"), "{backend}: {hits}");
        let (_, again, _) = run(db.papers().arg("compact"));
        assert_eq!(
            again.trim(),
            "the index is one segment already",
            "{backend}"
        );
    }
}

/// Filling an empty index, an import merges nothing as it goes and leaves one segment at
/// the end; an index that already has papers is never put in bulk mode.
#[tokio::test]
async fn filling_an_empty_index_merges_once_at_the_end() {
    use papers::index::{CommitPolicy, SearchIndex, Syncer};
    const COMMITS: usize = 12;
    for backend in backends() {
        let db = fresh_db(backend).await;
        let store = papers::store::connect(&db.url).await.unwrap();
        let index = SearchIndex::open(&db.data_dir().join("index")).unwrap();
        let writer = index.try_writer().unwrap().unwrap();
        let syncer = Syncer::new(index.clone(), writer, store.clone()).unwrap();
        assert!(syncer.begin_bulk().await.unwrap(), "{backend}: empty");
        for batch in 0..COMMITS {
            let papers: Vec<_> = (batch * 10..batch * 10 + 10).map(paper).collect();
            store.upsert_batch(&papers).await.unwrap();
            syncer.catch_up(CommitPolicy::Now, None).await.unwrap();
        }
        index.refresh().unwrap();
        assert!(
            index.segments() >= COMMITS,
            "{backend}: {} segments, merged while filling",
            index.segments()
        );
        assert!(syncer.end_bulk().await.unwrap() >= COMMITS, "{backend}");
        assert_eq!(index.segments(), 1, "{backend}");
        assert_eq!(index.num_docs(), (COMMITS * 10) as u64, "{backend}");
        assert!(!syncer.begin_bulk().await.unwrap(), "{backend}: not empty");
        syncer.close().await.unwrap();
        store.close().await;
    }
}
