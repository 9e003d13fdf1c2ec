//! `papers serve` against slow and stuck clients: header and idle timeouts, the connection
//! cap, and a shutdown that does not wait for them.

mod common;

use common::{fresh_db, get, serve_process as start};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Opens a connection and sends the start of a request, never its end.
async fn partial_request(addr: &str) -> TcpStream {
    let mut conn = TcpStream::connect(addr).await.unwrap();
    conn.write_all(b"GET /api/search?q=graph HTTP/1.1\r\nHost: loc")
        .await
        .unwrap();
    conn
}

/// Whether the server closes `conn` within `wait` (whatever it sends before).
async fn closed_within(conn: &mut TcpStream, wait: Duration) -> bool {
    let mut rest = Vec::new();
    tokio::time::timeout(wait, conn.read_to_end(&mut rest))
        .await
        .is_ok()
}

#[tokio::test]
async fn stuck_and_idle_connections_are_closed_after_their_timeouts() {
    let db = fresh_db("sqlite").await;
    let server = start(&db, &[("PAPERS_HEADER_TIMEOUT_SECS", "1")]);
    let mut stuck = partial_request(&server.addr).await;
    assert!(
        closed_within(&mut stuck, Duration::from_secs(20)).await,
        "a request that never ends its headers keeps its connection"
    );
    assert_eq!(get(&*server.addr, b"/healthz").await.status, 200);

    // Idle: a connection kept alive after its answer, and one that never sends a byte (on
    // a new server: one SQLite database has one server at a time).
    drop(server);
    let server = start(
        &db,
        &[
            ("PAPERS_HEADER_TIMEOUT_SECS", "30"),
            ("PAPERS_IDLE_TIMEOUT_SECS", "1"),
        ],
    );
    let mut kept = TcpStream::connect(&*server.addr).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    while !answer.ends_with(b"\r\n\r\nok") {
        let mut buf = [0; 512];
        let n = kept.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed before answering");
        answer.extend_from_slice(&buf[..n]);
    }
    let mut silent = TcpStream::connect(&*server.addr).await.unwrap();
    for (what, conn) in [("kept alive", &mut kept), ("silent", &mut silent)] {
        assert!(
            closed_within(conn, Duration::from_secs(20)).await,
            "an idle connection ({what}) stays open"
        );
    }
}

#[tokio::test]
async fn past_the_connection_cap_clients_wait_until_a_connection_closes() {
    let db = fresh_db("sqlite").await;
    let server = start(&db, &[("PAPERS_MAX_CONNECTIONS", "2")]);
    let stuck = [
        partial_request(&server.addr).await,
        partial_request(&server.addr).await,
    ];
    let addr = server.addr.clone();
    let third = tokio::spawn(async move { get(&*addr, b"/healthz").await.status });
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        !third.is_finished(),
        "a third connection was served while two were open"
    );
    drop(stuck);
    let status = tokio::time::timeout(Duration::from_secs(30), third)
        .await
        .expect("the waiting client is served once the others close")
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(get(&*server.addr, b"/healthz").await.status, 200);
}

#[tokio::test]
async fn sigterm_stops_the_server_while_a_client_holds_an_unfinished_request() {
    let db = fresh_db("sqlite").await;
    let mut server = start(&db, &[]);
    let _stuck = partial_request(&server.addr).await;
    assert_eq!(get(&*server.addr, b"/healthz").await.status, 200);
    std::process::Command::new("kill")
        .arg(server.child.id().to_string())
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not stop on SIGTERM while a request was unfinished"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status.success(), "graceful exit, got {status}");
}

/// `POST /admin/login` with `token` (and extra header lines), as a browser sends the form.
async fn login(addr: &str, token: &str, extra: &str) -> common::Response {
    let body = format!("token={token}");
    let head = format!(
        "POST /admin/login HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}{extra}",
        body.len()
    );
    common::http(addr, head.as_bytes(), body.as_bytes()).await
}

fn session_cookie(r: &common::Response) -> String {
    r.headers
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .expect("a session cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn admin_sessions_are_random_end_at_logout_and_guessing_is_throttled() {
    const TOKEN: &str = "a-long-admin-secret-for-the-test";
    let db = fresh_db("sqlite").await;
    let server = start(&db, &[("PAPERS_ADMIN_TOKEN", TOKEN)]);
    let addr = server.addr.as_str();

    // Two logins: two different random sessions, neither derived from the token.
    let (first, second) = (login(addr, TOKEN, "").await, login(addr, TOKEN, "").await);
    assert_eq!((first.status, second.status), (303, 303), "{}", first.body);
    let (a, b) = (session_cookie(&first), session_cookie(&second));
    assert_ne!(a, b, "each login gets its own session");
    assert!(
        !first.headers.contains("; secure"),
        "plain HTTP: no Secure flag"
    );
    let page = |cookie: String| async move {
        let head = format!("GET /admin HTTP/1.1\r\nCookie: {cookie}");
        common::http(addr, head.as_bytes(), b"").await
    };
    let admin = page(a.clone()).await;
    assert_eq!(admin.status, 200);
    // Logging out ends that session on the server: the cookie is worthless afterwards.
    let csrf = admin
        .body
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let form = format!("csrf={csrf}");
    let head = format!(
        "POST /admin/logout HTTP/1.1\r\nCookie: {a}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}",
        form.len()
    );
    assert_eq!(
        common::http(addr, head.as_bytes(), form.as_bytes())
            .await
            .status,
        303
    );
    assert_eq!(page(a).await.status, 401, "a logged-out session is refused");
    assert_eq!(page(b).await.status, 200, "the other session stays");

    // Behind an HTTPS proxy the cookie is Secure.
    let proxied = login(addr, TOKEN, "\r\nX-Forwarded-Proto: https").await;
    assert!(proxied.headers.contains("; secure"), "{}", proxied.headers);

    // Guessing: five wrong tokens, then even the right one must wait.
    for i in 0..5 {
        let r = login(addr, &format!("guess-{i}"), "").await;
        assert_eq!(r.status, 401, "guess {i}");
    }
    let r = login(addr, "guess-5", "").await;
    assert_eq!(r.status, 429, "{}", r.body);
    assert!(r.headers.contains("retry-after:"), "{}", r.headers);
    assert!(r.body.contains("too many failed logins"), "{}", r.body);
    assert_eq!(login(addr, TOKEN, "").await.status, 429);
    drop(server);
}

/// The whole server runs in this test process: built on port 0 it answers and indexes what
/// another process writes to its database; once stopped it has joined every task, so the
/// index writer is free again and what it indexed was committed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_application_runs_in_process_and_joins_every_task_when_stopped() {
    use clap::Parser;
    for backend in common::backends() {
        let db = fresh_db(backend).await;
        let data = db.data_dir().display().to_string();
        let cli = papers::config::Cli::try_parse_from([
            "papers",
            "--database-url",
            &db.url,
            "--data-dir",
            &data,
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--arxiv-sync",
            "false",
        ])
        .unwrap();
        let papers::config::Command::Serve(args) = cli.command else {
            unreachable!("parsed a serve command")
        };
        let app =
            papers::app::Application::build(&cli.global, &args, &cli.arxiv, &cli.embed, &cli.llm)
                .await
                .unwrap();
        let addr = format!("127.0.0.1:{}", app.port().unwrap());
        let stop = app.shutdown.clone();
        let running = tokio::spawn(app.run_until_stopped());
        assert_eq!(get(&addr, b"/readyz").await.status, 200, "{backend}");

        let store = papers::store::connect(&db.url).await.unwrap();
        store.upsert_batch(&[common::paper(7)]).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let found = get(&addr, b"/api/search?q=study+protein").await.json();
            if found["total"] == 1 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{backend}: never indexed: {found}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }

        stop.cancel();
        tokio::time::timeout(Duration::from_secs(10), running)
            .await
            .expect("stopped within 10 s")
            .unwrap()
            .unwrap();
        let index = papers::index::SearchIndex::open(&db.data_dir().join("index")).unwrap();
        assert!(
            index.try_writer().unwrap().is_some(),
            "{backend}: the follower was joined and let the writer go"
        );
        assert_eq!(
            index.num_docs(),
            1,
            "{backend}: committed before it stopped"
        );
        store.close().await;
    }
}
