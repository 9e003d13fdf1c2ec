//! `papers import` end to end through the real binary: formats, compression, bad input.

mod common;

use common::{backends, fresh_db, run, shared_dir};
use std::io::Write;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn search_json(db: &common::TestDb, query: &str) -> serde_json::Value {
    let (out, stdout, stderr) = run(db
        .papers()
        .args(["search", "--json", "--limit", "5", query]));
    assert!(out.status.success(), "{stderr}");
    serde_json::from_str(&stdout).unwrap()
}

#[tokio::test]
async fn snapshot_import_skips_bad_lines_by_number_and_is_idempotent() {
    for backend in backends() {
        let db = fresh_db(backend).await;
        let path = fixture("snapshot_sample.jsonl");
        let (out, stdout, stderr) = run(db
            .papers()
            .args(["import", "arxiv-snapshot", "--json"])
            .arg(&path));
        assert!(out.status.success(), "{backend}: {stderr}");
        let summary: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(summary["read"], 6, "{backend}: {summary}");
        assert_eq!(summary["inserted"], 3, "{backend}: {summary}");
        assert_eq!(summary["skipped"], 3, "{backend}: {summary}");
        for line in [
            "line 3 skipped",
            "line 4 skipped: missing title",
            "line 5 skipped: invalid type",
        ] {
            assert!(stderr.contains(line), "{backend}: {line:?} not in {stderr}");
        }

        let hits = search_json(&db, "graph compilers");
        assert_eq!(hits["hits"][0]["id"], "2402.00006", "{backend}: {hits}");
        assert!(hits["hits"][0]["score"].as_f64().unwrap() > 0.0);
        assert_eq!(
            search_json(&db, "noether")["hits"][0]["id"],
            "hep-th/9901001",
            "{backend}: authors are searchable"
        );
        assert_eq!(
            search_json(&db, "symmetry")["hits"][0]["id"],
            "hep-th/9901001",
            "{backend}: words are stemmed"
        );

        let (out, stdout, _) = run(db
            .papers()
            .args(["import", "arxiv-snapshot", "--json"])
            .arg(&path));
        assert!(out.status.success());
        let again: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(
            (again["inserted"].as_u64(), again["unchanged"].as_u64()),
            (Some(0), Some(3)),
            "{backend}"
        );
        let (_, status, _) = run(db.papers().args(["status", "--json"]));
        let status: serde_json::Value = serde_json::from_str(&status).unwrap();
        assert_eq!(status["papers"], 3, "{backend}");
        assert_eq!(
            status["index_docs"], 3,
            "{backend}: re-import left no duplicates"
        );
        assert_eq!(status["index_seq"], status["database_seq"], "{backend}");
    }
}

#[tokio::test]
async fn reads_gzip_zstd_and_stdin_and_reports_truncation() {
    let db = fresh_db("sqlite").await;
    let plain = std::fs::read(fixture("snapshot_sample.jsonl")).unwrap();
    let gz = db.dir.path().join("s.jsonl.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    enc.write_all(&plain).unwrap();
    enc.finish().unwrap();
    let zst = db.dir.path().join("s.jsonl.zst");
    std::fs::write(&zst, zstd::encode_all(&plain[..], 3).unwrap()).unwrap();
    for path in [&gz, &zst] {
        let (out, stdout, stderr) = run(db
            .papers()
            .args(["import", "arxiv-snapshot", "--json"])
            .arg(path));
        assert!(out.status.success(), "{}: {stderr}", path.display());
        assert!(stdout.contains("\"read\":6"), "{stdout}");
    }

    let mut child = db
        .papers()
        .args(["import", "jsonl", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"{\"id\":\"stdin-1\",\"title\":\"From a pipe\"}\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("inserted 1"));

    // A download cut short: many records, then the gzip stream stops mid-way.
    let many: Vec<u8> = (0..5000)
        .flat_map(|i| {
            format!(
                "{{\"id\":\"t-{i}\",\"title\":\"Record number {i}\",\"abstract\":\"text {}\"}}\n",
                i * 7919
            )
            .into_bytes()
        })
        .collect();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&many).unwrap();
    let full = enc.finish().unwrap();
    let cut = db.dir.path().join("cut.jsonl.gz");
    std::fs::write(&cut, &full[..full.len() * 2 / 3]).unwrap();
    let (out, stdout, stderr) = run(db.papers().args(["import", "jsonl", "--json"]).arg(&cut));
    assert!(!out.status.success(), "a truncated file is an error");
    let last = stderr.lines().last().unwrap();
    assert!(
        last.starts_with("error: input unreadable after line"),
        "{stderr}"
    );
    let summary: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let stored = summary["inserted"].as_u64().unwrap();
    assert!(
        stored > 1000 && stored < 5000,
        "complete records before the cut are kept: {summary}"
    );
    let (_, status, _) = run(db.papers().args(["status", "--json"]));
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(
        status["papers"].as_u64(),
        Some(stored + 4),
        "3 from the sample, 1 from stdin: {status}"
    );
    assert_eq!(
        status["index_docs"], status["papers"],
        "index holds what the database holds"
    );

    let zcut = db.dir.path().join("cut.jsonl.zst");
    let zfull = zstd::encode_all(&many[..], 3).unwrap();
    std::fs::write(&zcut, &zfull[..zfull.len() / 2]).unwrap();
    let (out, _, stderr) = run(db.papers().args(["import", "jsonl"]).arg(&zcut));
    assert!(
        !out.status.success(),
        "a truncated zstd file is an error: {stderr}"
    );
}

#[tokio::test]
async fn hostile_lines_are_skipped_with_their_numbers() {
    let db = fresh_db("sqlite").await;
    let path = db.dir.path().join("bad.jsonl");
    let mut f = std::fs::File::create(&path).unwrap();
    writeln!(f, "{{\"id\":\"ok-1\",\"title\":\"Fine\"}}").unwrap();
    f.write_all(b"{\"id\":\"bad-utf8\",\"title\":\"\xff\xfe\"}\n")
        .unwrap();
    writeln!(
        f,
        "{{\"id\":\"huge\",\"title\":\"Huge\",\"abstract\":\"{}\"}}",
        "a".repeat(10 << 20)
    )
    .unwrap();
    writeln!(
        f,
        "{{\"id\":\"ctrl\",\"title\":\"Bell\\u0007 and\\u0000 nul\"}}"
    )
    .unwrap();
    writeln!(f, "[1,2,3]").unwrap();
    writeln!(f, "{{\"id\":\"ok-2\",\"title\":\"Also fine\",\"authors\":[\"A\"],\"published\":\"2024-13-45\"}}").unwrap();
    drop(f);
    let (out, stdout, stderr) = run(db.papers().args(["import", "jsonl", "--json"]).arg(&path));
    assert!(out.status.success(), "{stderr}");
    let summary: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (summary["inserted"].as_u64(), summary["skipped"].as_u64()),
        (Some(2), Some(4)),
        "{summary}"
    );
    assert!(
        stderr.contains("line 2 skipped: not valid UTF-8"),
        "{stderr}"
    );
    assert!(
        stderr.contains("line 3 skipped: record of 10.5 MB is over the 4 MB limit"),
        "{stderr}"
    );
    assert!(stderr.contains("line 5 skipped"), "{stderr}");
    assert!(stderr.contains("line 6 skipped: published"), "{stderr}");
    let hits = search_json(&db, "bell nul");
    assert_eq!(
        hits["hits"][0]["title"], "Bell and nul",
        "control characters are dropped: {hits}"
    );
}

#[tokio::test]
async fn unusable_database_or_data_dir_gives_one_clear_line() {
    let db = fresh_db("sqlite").await;
    let (out, _, stderr) = run(db
        .papers()
        .args(["status"])
        .env("PAPERS_DATABASE_URL", "postgres://u:pw@127.0.0.1:1/x"));
    assert!(!out.status.success());
    let last = stderr.trim_end().lines().last().unwrap();
    assert!(
        last.starts_with("error: cannot open database postgres://u:***@127.0.0.1:1/x"),
        "{stderr}"
    );

    let file = db.dir.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let (out, _, stderr) = run(db.papers().args(["reindex"]).env("PAPERS_DATA_DIR", &file));
    assert!(!out.status.success());
    assert!(
        stderr.contains("error: cannot use index directory"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");

    let (out, _, stderr) = run(db.papers().args(["import", "jsonl", "/no/such/file.jsonl"]));
    assert!(!out.status.success());
    assert!(
        stderr.contains("error: cannot open /no/such/file.jsonl"),
        "{stderr}"
    );
}

/// The real recorded arXiv papers, through the snapshot format `corpus.py` writes.
#[tokio::test]
async fn imports_real_arxiv_records() {
    let Some(shared) = shared_dir() else { return };
    for backend in backends() {
        let db = fresh_db(backend).await;
        let file = db.dir.path().join("real.jsonl");
        let out = std::process::Command::new("python3")
            .arg(shared.join("bench/corpus.py"))
            .args(["real", "--limit", "3000"])
            .output()
            .expect("python3 runs corpus.py");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(&file, &out.stdout).unwrap();
        let first: serde_json::Value =
            serde_json::from_slice(out.stdout.split(|&b| b == b'\n').next().unwrap()).unwrap();

        let (out, stdout, stderr) = run(db
            .papers()
            .args(["import", "arxiv-snapshot", "--json"])
            .arg(&file));
        assert!(out.status.success(), "{backend}: {stderr}");
        let summary: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(summary["read"], 3000, "{backend}");
        assert_eq!(summary["skipped"], 0, "{backend}: {stderr}");

        // The first paper's exact title finds it first.
        let title = first["title"]
            .as_str()
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let hits = search_json(&db, &title);
        assert_eq!(hits["hits"][0]["id"], first["id"], "{backend}: {hits}");
        assert_eq!(
            hits["hits"][0]["title"].as_str(),
            Some(title.as_str()),
            "{backend}"
        );
    }
}

/// A byte order mark costs no record; a file with nothing readable in the format, and a
/// directory, are errors that name the file.
#[tokio::test]
async fn a_bom_is_read_and_unreadable_inputs_fail_naming_the_file() {
    let db = fresh_db("sqlite").await;
    let bom = db.dir.path().join("bom.jsonl");
    std::fs::write(
        &bom,
        b"\xef\xbb\xbf{\"id\":\"bom-1\",\"title\":\"First after a mark\"}\n{\"id\":\"bom-2\",\"title\":\"Second\"}\n",
    )
    .unwrap();
    let (out, stdout, stderr) = run(db.papers().args(["import", "jsonl", "--json"]).arg(&bom));
    assert!(out.status.success(), "{stderr}");
    let summary: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (summary["inserted"].as_u64(), summary["skipped"].as_u64()),
        (Some(2), Some(0)),
        "{summary}"
    );

    let csv = db.dir.path().join("papers.csv");
    std::fs::write(&csv, "id,title\n2401.00001,A title\n2401.00002,Another\n").unwrap();
    let binary = db.dir.path().join("blob.bin");
    std::fs::write(
        &binary,
        (0..4096u32)
            .map(|i| (i * 7919 % 251) as u8)
            .collect::<Vec<u8>>(),
    )
    .unwrap();
    for (file, format) in [(&csv, "jsonl"), (&binary, "arxiv-snapshot")] {
        let (out, _, stderr) = run(db.papers().args(["import", format]).arg(file));
        assert!(!out.status.success(), "{}: {stderr}", file.display());
        let want = format!("could be read as {format}");
        assert!(stderr.contains(&want), "{stderr}");
        assert!(stderr.contains(&*file.to_string_lossy()), "{stderr}");
    }

    let dir = db.dir.path().join("a-folder");
    std::fs::create_dir(&dir).unwrap();
    let (out, _, stderr) = run(db.papers().args(["import", "jsonl"]).arg(&dir));
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!("cannot read {}: it is a directory", dir.display())),
        "{stderr}"
    );
    let (out, stdout, _) = run(db.papers().args(["status", "--json"]));
    assert!(out.status.success());
    assert!(
        stdout.contains("\"papers\":2"),
        "only the two marked records: {stdout}"
    );
}
