//! The web server on a real port: pages, JSON, escaping of hostile text, bad requests.

mod common;

use common::{backends, fresh_db, paper};
use papers::domain::Paper;
use papers::index::Ranking;
use papers::services::Services;
use papers::web::{AppState, router};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Response {
    status: u16,
    headers: String,
    body: String,
}

/// One HTTP/1.1 request over a fresh connection; `target` goes on the wire as given.
async fn get(addr: std::net::SocketAddr, target: &[u8]) -> Response {
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = b"GET ".to_vec();
    req.extend_from_slice(target);
    req.extend_from_slice(b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    conn.write_all(&req).await.unwrap();
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head[9..12].parse().unwrap();
    Response {
        status,
        headers: head.to_ascii_lowercase(),
        body: body.to_string(),
    }
}

async fn serve(db: &common::TestDb, papers: &[Paper]) -> (std::net::SocketAddr, Services) {
    let services = Services::open(&db.global()).await.unwrap();
    if !papers.is_empty() {
        services.store.upsert_batch(papers).await.unwrap();
    }
    services.catch_up().await.unwrap();
    let state = AppState {
        store: services.store.clone(),
        index: services.index.clone(),
        ranking: Ranking::default(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router(state)).await.unwrap() });
    (addr, services)
}

fn hostile() -> Paper {
    Paper {
        id: "2402.66666".into(),
        title: "<script>alert('t')</script> Hostile zebra".into(),
        abstract_text: "Ends the CDATA ]]> and tries \"><img src=x onerror=alert(1)> zebra".into(),
        authors: vec!["\"><img src=x onerror=alert(2)>".into()],
        categories: vec!["cs.CR".into()],
        ..Paper::default()
    }
}

#[tokio::test]
async fn pages_escape_hostile_text_and_the_api_returns_it_verbatim() {
    for backend in backends() {
        let db = fresh_db(backend).await;
        let (addr, _services) = serve(&db, &[hostile(), paper(1), paper(2)]).await;

        let page = get(addr, b"/search?q=zebra").await;
        assert_eq!(page.status, 200, "{backend}");
        assert!(
            page.headers.contains("content-type: text/html"),
            "{}",
            page.headers
        );
        assert!(
            !page.body.contains("<script>alert"),
            "{backend}: script tag escaped"
        );
        assert!(
            !page.body.contains("<img src=x"),
            "{backend}: img tag escaped"
        );
        assert!(
            page.body.contains("&#60;script&#62;alert(&#39;t&#39;)"),
            "{backend}: {}",
            page.body
        );
        assert!(
            page.body.contains("1 papers match"),
            "{backend}: {}",
            page.body
        );

        let api = get(addr, b"/api/search?q=zebra&limit=5").await;
        assert_eq!(api.status, 200);
        assert!(api.headers.contains("content-type: application/json"));
        let json: serde_json::Value = serde_json::from_str(&api.body).unwrap();
        assert_eq!(json["total"], 1);
        assert_eq!(json["page"], 1);
        assert_eq!(json["hits"][0]["title"], hostile().title, "{backend}");
        assert_eq!(json["hits"][0]["authors"][0], hostile().authors[0]);
        assert!(json["took_ms"].is_number());

        let home = get(addr, b"/").await;
        assert_eq!(home.status, 200);
        assert!(
            home.body.contains("Latest of 3 papers"),
            "{backend}: {}",
            home.body
        );
        assert!(!home.body.contains("<script>alert"), "{backend}");
    }
}

#[tokio::test]
async fn bad_requests_get_clear_4xx_answers() {
    let db = fresh_db("sqlite").await;
    let papers: Vec<_> = (0..30).map(paper).collect();
    let (addr, _services) = serve(&db, &papers).await;
    let long = format!("/api/search?q={}", "a".repeat(3000));
    let cases: [(&[u8], u16); 6] = [
        (b"/api/search?q=graph&limit=0", 400),
        (b"/api/search?q=graph&limit=101", 400),
        (b"/api/search?q=graph&page=0", 400),
        (b"/api/search?q=graph&page=99999999999999999999999", 400),
        (long.as_bytes(), 400),
        (b"/no/such/page", 404),
    ];
    for (target, status) in cases {
        let r = get(addr, target).await;
        assert_eq!(
            r.status,
            status,
            "{}: {}",
            String::from_utf8_lossy(target),
            r.body
        );
    }
    let r = get(addr, b"/api/search?q=graph&limit=0").await;
    let json: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(json["error"]["code"], "bad_request");
    assert!(json["error"]["message"].as_str().unwrap().contains("limit"));

    let invalid_utf8 = get(addr, b"/api/search?q=%FF%FE").await;
    assert_eq!(
        invalid_utf8.status, 200,
        "decoded lossily, matching nothing"
    );
    assert!(
        invalid_utf8.body.contains("\"total\":0"),
        "{}",
        invalid_utf8.body
    );

    let junk = format!("/search?q={}", "%22%3A%28%29%5B%5D-".repeat(250));
    let r = get(addr, junk.as_bytes()).await;
    assert_eq!(r.status, 200, "punctuation is no error: {}", r.body);
    assert!(r.body.contains("0 papers match"));

    let page2 = get(addr, b"/api/search?q=graph&limit=2&page=2").await;
    let json: serde_json::Value = serde_json::from_str(&page2.body).unwrap();
    assert_eq!(
        json["total"], 6,
        "papers 0,5,..,25 are about graph neural networks"
    );
    assert_eq!(json["hits"].as_array().unwrap().len(), 2);
    let html = get(addr, b"/search?q=graph&limit=2&page=2").await;
    assert!(
        html.body.contains("rel=\"prev\"") && html.body.contains("rel=\"next\""),
        "{}",
        html.body
    );
}

#[tokio::test]
async fn health_readiness_headers_and_the_empty_state() {
    let db = fresh_db("sqlite").await;
    let (addr, _services) = serve(&db, &[]).await;
    let health = get(addr, b"/healthz").await;
    assert_eq!((health.status, health.body.as_str()), (200, "ok"));
    let ready = get(addr, b"/readyz").await;
    assert_eq!(ready.status, 200, "{}", ready.body);
    assert!(ready.body.contains("\"ready\":true"));
    let home = get(addr, b"/").await;
    assert!(
        home.body.contains("No papers yet") && home.body.contains("papers import arxiv-snapshot")
    );
    for header in [
        "content-security-policy: default-src 'self'",
        "x-content-type-options: nosniff",
        "referrer-policy:",
    ] {
        assert!(
            home.headers.contains(header),
            "{header} missing: {}",
            home.headers
        );
    }
    let css = get(addr, b"/static/css/site.css").await;
    assert_eq!(css.status, 200);
    assert!(css.body.contains("prefers-color-scheme"));
}
