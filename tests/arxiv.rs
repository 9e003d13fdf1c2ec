//! arXiv ingestion against a local server replaying recorded arXiv responses: resumable
//! OAI-PMH harvests (stops and kills at every page boundary, expired tokens, 503s,
//! truncated and stalled bodies), fetch by id, daily RSS lists, on-demand paper pages.

mod common;

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use common::{backends, fresh_db, get, run, serve_state, shared_dir};
use papers::domain::{AnnounceKind, ArxivId, Date};
use papers::fetch::FetchConfig;
use papers::ingest::harvest::{self, HarvestOptions};
use papers::ingest::oai::MetadataPrefix;
use papers::ingest::{Arxiv, ArxivOptions, IngestError, daily};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the replay server does to a request instead of answering it normally.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    /// The recorded 503 with `Retry-After: 10`.
    Unavailable,
    /// The recorded `badResumptionToken` error.
    ExpiredToken,
    /// Headers promise more bytes than the body has; the connection closes early.
    CutShort,
    /// A 200 whose XML stops half-way.
    HalfDocument,
    /// Never answers.
    Stall,
}

#[derive(Default)]
struct Replay {
    /// `pages[0]` answers a window's first request, `pages[i]` the token `t{i}`.
    pages: Vec<String>,
    api_head: String,
    api_entries: HashMap<String, String>,
    api_error: String,
    rss: HashMap<String, String>,
    /// Faults to inject, per token (`""` for a window's first request), used up in order.
    faults: Mutex<HashMap<String, Vec<Fault>>>,
    /// Every OAI request's token (`""` for a first request), in order.
    oai_log: Mutex<Vec<String>>,
    api_log: Mutex<Vec<String>>,
}

fn data(path: &str) -> PathBuf {
    shared_dir()
        .expect("../shared holds the recorded arXiv responses")
        .join("data")
        .join(path)
}

fn read(path: &str) -> String {
    std::fs::read_to_string(data(path)).unwrap()
}

/// Puts a resumption token (or an empty one, as arXiv ends a list) into a recorded page.
fn with_token(page: String, token: Option<&str>) -> String {
    let element = match token {
        Some(t) => format!("<resumptionToken cursor=\"0\">{t}</resumptionToken>"),
        None => "<resumptionToken/>".to_string(),
    };
    page.replace("</ListRecords>", &format!("{element}</ListRecords>"))
}

impl Replay {
    /// Three recorded ListRecords pages (8 records), chained by tokens t1 and t2.
    fn recorded() -> Replay {
        let pages = vec![
            with_token(
                read("arxiv_oai/hepcrawl/arxiv-physics-hep-ex.xml"),
                Some("t1"),
            ),
            with_token(
                read("arxiv_oai/hepcrawl/arxiv-physics-hep-th.xml"),
                Some("t2"),
            ),
            with_token(
                read(
                    "arxiv_oai/paperhive_nock_2018/oaipmh-listrecords---should-list-identifiers-from-arxiv.1.body.xml",
                ),
                None,
            ),
        ];
        // API entries cut out of recorded responses; a response is reassembled from them.
        let mut api_entries = HashMap::new();
        let mut api_head = String::new();
        for file in [
            "id_1707.08567_s0_m100_6a1afebfc6a3",
            "id_2104.12255v1_s0_m100_6ae69987ffe1",
            "id_quant-ph_0201082v1_s0_m100_86989fe779ef",
        ] {
            let body = read(&format!("arxiv_api/recorded_2026/{file}.body.xml"));
            let start = body.find("<entry>").unwrap();
            let end = body.rfind("</entry>").unwrap() + "</entry>".len();
            api_head = body[..start].to_string();
            let entry = body[start..end].to_string();
            let id = entry
                .split("<id>")
                .nth(1)
                .unwrap()
                .split('<')
                .next()
                .unwrap();
            api_entries.insert(ArxivId::parse(id).unwrap().to_string(), entry);
        }
        let rss_fixture = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/arxiv_rss_cs.CL.xml"
        );
        Replay {
            pages,
            api_head,
            api_entries,
            api_error: read("arxiv_api/recorded_2026/id_abc_s0_m100_b79c8dcf6bc3.body.xml"),
            rss: HashMap::from([
                (
                    "cs.CL".to_string(),
                    std::fs::read_to_string(rss_fixture).unwrap(),
                ),
                (
                    "physics".to_string(),
                    read("arxiv_rss/rss_physics_empty_2025-12-31.xml"),
                ),
            ]),
            ..Replay::default()
        }
    }

    fn inject(&self, token: &str, faults: &[Fault]) {
        self.faults
            .lock()
            .unwrap()
            .insert(token.to_string(), faults.to_vec());
    }

    fn oai_requests(&self) -> Vec<String> {
        self.oai_log.lock().unwrap().clone()
    }
}

fn xml(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/xml")], body).into_response()
}

async fn oai(State(r): State<Arc<Replay>>, Query(q): Query<HashMap<String, String>>) -> Response {
    let token = q.get("resumptionToken").cloned().unwrap_or_default();
    r.oai_log.lock().unwrap().push(token.clone());
    let fault = {
        let mut faults = r.faults.lock().unwrap();
        faults
            .get_mut(&token)
            .and_then(|f| (!f.is_empty()).then(|| f.remove(0)))
    };
    let page = match token.as_str() {
        "" => 0,
        t => match t.strip_prefix('t').and_then(|n| n.parse::<usize>().ok()) {
            Some(n) if n < r.pages.len() => n,
            _ => {
                let body = read("arxiv_oai/mikesaelim_2015/ErrorResponseBadResumptionToken.xml");
                return xml(StatusCode::OK, body);
            }
        },
    };
    let body = r.pages[page].clone();
    match fault {
        None => xml(StatusCode::OK, body),
        Some(Fault::Unavailable) => {
            let html = read(
                "arxiv_oai/paperhive_nock_2018/oaipmh-listrecords---should-list-identifiers-from-arxiv.0.body.html",
            );
            let mut response = (StatusCode::SERVICE_UNAVAILABLE, html).into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("10"));
            response
        }
        Some(Fault::ExpiredToken) => xml(
            StatusCode::OK,
            read("arxiv_oai/mikesaelim_2015/ErrorResponseBadResumptionToken.xml"),
        ),
        Some(Fault::CutShort) => {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
            let promised = (body.len() * 2).to_string();
            headers.insert(header::CONTENT_LENGTH, promised.parse().unwrap());
            (StatusCode::OK, headers, body).into_response()
        }
        Some(Fault::HalfDocument) => xml(StatusCode::OK, body[..body.len() / 2].to_string()),
        Some(Fault::Stall) => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            xml(StatusCode::OK, body)
        }
    }
}

async fn api(State(r): State<Arc<Replay>>, Query(q): Query<HashMap<String, String>>) -> Response {
    let ids = q.get("id_list").cloned().unwrap_or_default();
    r.api_log.lock().unwrap().push(ids.clone());
    let mut body = r.api_head.clone();
    for raw in ids.split(',') {
        let Ok(id) = ArxivId::parse(raw) else {
            return xml(StatusCode::BAD_REQUEST, r.api_error.clone());
        };
        if let Some(entry) = r.api_entries.get(id.as_str()) {
            body.push_str(entry);
        }
    }
    body.push_str("</feed>");
    xml(StatusCode::OK, body)
}

async fn rss(State(r): State<Arc<Replay>>, UrlPath(category): UrlPath<String>) -> Response {
    match r.rss.get(&category) {
        Some(body) => xml(StatusCode::OK, body.clone()),
        None => (StatusCode::NOT_FOUND, "no such feed").into_response(),
    }
}

async fn start(replay: Arc<Replay>) -> SocketAddr {
    let app = axum::Router::new()
        .route("/oai", axum::routing::get(oai))
        .route("/api/query", axum::routing::get(api))
        .route("/rss/{category}", axum::routing::get(rss))
        .with_state(replay);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

fn options(addr: SocketAddr) -> ArxivOptions {
    ArxivOptions {
        oai_url: format!("http://{addr}/oai"),
        api_url: format!("http://{addr}/api/query"),
        rss_url: format!("http://{addr}/rss"),
        delay_ms: 0,
        retries: 2,
    }
}

/// A client with quick retries and a short deadline, for faults to show fast.
fn client(addr: SocketAddr) -> Arxiv {
    Arxiv::with_fetch_config(
        options(addr),
        FetchConfig {
            timeout: Duration::from_secs(2),
            attempts: 3,
            backoff: Duration::from_millis(10),
            max_retry_after: Duration::from_millis(50),
            ..FetchConfig::default()
        },
    )
}

fn window(max_pages: Option<u64>) -> HarvestOptions {
    HarvestOptions {
        set: Some("physics".into()),
        prefix: MetadataPrefix::Arxiv,
        from: None,
        until: None,
        max_pages,
    }
}

const HARVESTED: [&str; 8] = [
    "1706.05371",
    "1706.09418",
    "1707.00874",
    "1412.8323",
    "1507.07790",
    "1607.01710",
    "1412.8544",
    "hep-th/9504118",
];

async fn stored_ids(store: &dyn papers::store::Store) -> Vec<String> {
    let all: Vec<String> = HARVESTED.iter().map(|s| s.to_string()).collect();
    store
        .papers_by_id(&all)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect()
}

#[tokio::test]
async fn a_harvest_stopped_at_any_page_boundary_resumes_without_refetching() {
    let Some(_) = shared_dir() else { return };
    for backend in backends() {
        for stop_after in 1..=3u64 {
            let replay = Arc::new(Replay::recorded());
            let arxiv = client(start(replay.clone()).await);
            let db = fresh_db(backend).await;
            let store = papers::store::connect(&db.url).await.unwrap();
            let first = harvest::run(&arxiv, store.as_ref(), &window(Some(stop_after)), |_| {})
                .await
                .unwrap();
            assert_eq!(first.pages, stop_after);
            assert_eq!(first.complete, stop_after == 3, "{backend} {stop_after}");
            let second = harvest::run(&arxiv, store.as_ref(), &window(None), |_| {})
                .await
                .unwrap();
            assert!(second.complete);
            assert_eq!(second.resumed, stop_after < 3, "{backend} {stop_after}");
            assert_eq!(
                stored_ids(store.as_ref()).await.len(),
                8,
                "{backend} {stop_after}"
            );
            assert_eq!(store.count().await.unwrap(), 8);
            // Each page was fetched once; a finished window starts an incremental one.
            let requests = replay.oai_requests();
            // (after a complete window the second run is an incremental one: all again)
            let expected: Vec<&str> = match stop_after {
                3 => vec!["", "t1", "t2", "", "t1", "t2"],
                _ => vec!["", "t1", "t2"],
            };
            assert_eq!(requests, expected, "{backend} stopped after {stop_after}");
            store.close().await;
        }
    }
}

#[tokio::test]
async fn repeated_harvests_change_nothing_and_go_incremental() {
    let Some(_) = shared_dir() else { return };
    for backend in backends() {
        let replay = Arc::new(Replay::recorded());
        let arxiv = client(start(replay.clone()).await);
        let db = fresh_db(backend).await;
        let store = papers::store::connect(&db.url).await.unwrap();
        let first = harvest::run(&arxiv, store.as_ref(), &window(None), |_| {})
            .await
            .unwrap();
        assert_eq!(first.stored.inserted, 8);
        let seq = store.max_seq().await.unwrap();
        let again = HarvestOptions {
            from: Date::new(2015, 1, 1),
            ..window(None)
        };
        let second = harvest::run(&arxiv, store.as_ref(), &again, |_| {})
            .await
            .unwrap();
        assert_eq!(second.stored.inserted + second.stored.updated, 0);
        assert_eq!(second.stored.unchanged, 8);
        assert_eq!(store.max_seq().await.unwrap(), seq, "nothing rewritten");
        // Without --from, the next run starts at the last datestamp seen.
        let third = harvest::run(&arxiv, store.as_ref(), &window(None), |_| {})
            .await
            .unwrap();
        assert_eq!(third.from.unwrap().to_string(), "2017-12-14");
        store.close().await;
    }
}

#[tokio::test]
async fn upstream_faults_are_retried_or_end_in_a_clear_error() {
    let Some(_) = shared_dir() else { return };
    let db = fresh_db("sqlite").await;
    let store = papers::store::connect(&db.url).await.unwrap();
    let replay = Arc::new(Replay::recorded());
    let arxiv = client(start(replay.clone()).await);
    // A 503 with Retry-After and a body cut short are retried; an expired token restarts
    // the window from its checkpoint.
    replay.inject("", &[Fault::Unavailable]);
    replay.inject("t1", &[Fault::CutShort]);
    replay.inject("t2", &[Fault::ExpiredToken]);
    let report = harvest::run(&arxiv, store.as_ref(), &window(None), |_| {})
        .await
        .unwrap();
    assert!(report.complete);
    assert_eq!(report.restarts, 1);
    assert_eq!(store.count().await.unwrap(), 8);
    assert_eq!(
        replay.oai_requests(),
        ["", "", "t1", "t1", "t2", "", "t1", "t2"]
    );
    store.close().await;

    // A malformed page stops the harvest with the reason; the next run resumes there.
    let db = fresh_db("sqlite").await;
    let store = papers::store::connect(&db.url).await.unwrap();
    replay.oai_log.lock().unwrap().clear();
    replay.inject("t1", &[Fault::HalfDocument]);
    let err = harvest::run(&arxiv, store.as_ref(), &window(None), |_| {})
        .await
        .unwrap_err();
    assert!(matches!(err, IngestError::Parse { .. }), "{err}");
    assert!(err.to_string().contains("cut short"), "{err}");
    assert_eq!(store.count().await.unwrap(), 3, "the first page is kept");
    // A server that stalls runs into the deadline, on every attempt.
    replay.inject("t1", &[Fault::Stall, Fault::Stall, Fault::Stall]);
    let err = harvest::run(&arxiv, store.as_ref(), &window(None), |_| {})
        .await
        .unwrap_err();
    assert!(err.to_string().contains("timed out"), "{err}");
    let done = harvest::run(&arxiv, store.as_ref(), &window(None), |_| {})
        .await
        .unwrap();
    assert!(done.resumed && done.complete);
    assert_eq!(store.count().await.unwrap(), 8);
    store.close().await;
}

#[tokio::test]
async fn oai_error_responses_are_statuses_not_crashes() {
    let Some(_) = shared_dir() else { return };
    use papers::ingest::oai::{Reply, parse};
    let no_records = read("arxiv_oai/mikesaelim_2015/ErrorResponseNoRecordsMatch.xml");
    assert!(matches!(parse(&no_records), Ok(Reply::NoRecords)));
    for (file, code) in [
        ("ErrorResponseBadArgument.xml", "badArgument"),
        ("ErrorResponseBadVerb.xml", "badVerb"),
        ("ErrorResponseIdDoesNotExist.xml", "idDoesNotExist"),
    ] {
        match parse(&read(&format!("arxiv_oai/mikesaelim_2015/{file}"))) {
            Ok(Reply::Error { code: c, message }) => {
                assert_eq!(c, code);
                assert!(!message.is_empty());
            }
            other => panic!("{file}: {other:?}"),
        }
    }
    // arXivRaw: version history gives the first and last dates; the real token is kept.
    let Ok(Reply::Page(raw)) = parse(&read("arxiv_oai/mikesaelim_2015/ListRecordsResponse.xml"))
    else {
        panic!("arXivRaw page")
    };
    assert_eq!(raw.papers.len(), 6);
    assert_eq!(raw.token.as_deref(), Some("726959|1001"));
    assert_eq!(raw.complete_list_size, Some(58011));
    let first = &raw.papers[0];
    assert_eq!(first.id, "0704.0471");
    assert_eq!(first.published.unwrap().to_string(), "2007-04-03");
    assert_eq!(
        first.authors,
        ["D.V. Shetty", "S.J. Yennello", "G.A. Souliotis"]
    );
    // Every recorded hepcrawl file parses (some had their namespaces edited by hand).
    for entry in std::fs::read_dir(data("arxiv_oai/hepcrawl")).unwrap() {
        let path = entry.unwrap().path();
        let body = std::fs::read_to_string(&path).unwrap();
        if body.contains("ListRecords") {
            let Ok(Reply::Page(page)) = parse(&body) else {
                panic!("{}", path.display())
            };
            assert!(!page.papers.is_empty(), "{}", path.display());
        }
    }
}

/// With every on-demand fetch slot waiting on arXiv, one more unknown paper is a 503 "busy"
/// with Retry-After, not a 502 saying arXiv is unreachable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_on_demand_fetch_says_retry_with_503() {
    // An arXiv stand-in that accepts connections and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let arxiv = silent.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((conn, _)) = silent.accept().await {
            held.push(conn);
        }
    });
    let db = fresh_db("sqlite").await;
    let services = papers::services::Services::open(&db.global())
        .await
        .unwrap();
    let state = papers::web::AppState::new(services.store.clone(), services.index.clone())
        .with_arxiv(Arc::new(client(arxiv)));
    let web = serve_state(state).await;
    let waiting: Vec<_> = (1..=8)
        .map(|i| {
            let path = format!("/arxiv/2401.0000{i}");
            tokio::spawn(async move { get(web, path.as_bytes()).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let busy = get(web, b"/arxiv/2401.00009").await;
    assert_eq!(busy.status, 503, "{}", busy.body);
    assert!(busy.headers.contains("retry-after: 10"), "{}", busy.headers);
    assert!(
        busy.body.contains("retry in a few seconds"),
        "{}",
        busy.body
    );
    waiting.iter().for_each(|w| w.abort());
    services.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_by_id_stores_papers_and_reports_bad_ids() {
    let Some(_) = shared_dir() else { return };
    let replay = Arc::new(Replay::recorded());
    let arxiv = client(start(replay.clone()).await);
    let ids =
        ["1707.08567", "quant-ph/0201082v1", "0808.05394"].map(|i| ArxivId::parse(i).unwrap());
    let papers = arxiv.fetch_ids(&ids).await.unwrap();
    let found: Vec<&str> = papers.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(found, ["1707.08567", "quant-ph/0201082"]);
    assert_eq!(papers[0].categories[0], "cs.IT");
    assert!(papers[0].title.starts_with("Proceedings of Workshop AEW10"));
    assert_eq!(
        replay.api_log.lock().unwrap().len(),
        1,
        "one request for three ids"
    );

    // The CLI: found papers are stored and searchable; an unknown id fails the command.
    let addr = start(replay.clone()).await;
    for backend in backends() {
        let db = fresh_db(backend).await;
        let ingest = |ids: &[&str]| {
            let mut cmd = db.papers();
            cmd.env("PAPERS_ARXIV_API_URL", format!("http://{addr}/api/query"))
                .env("PAPERS_ARXIV_DELAY_MS", "0")
                .args(["ingest", "--json", "arxiv-ids"])
                .args(ids);
            run(&mut cmd)
        };
        let (out, stdout, stderr) = ingest(&["1707.08567v1", "0808.05394"]);
        assert!(!out.status.success(), "{stdout}");
        assert!(
            stderr.contains("arXiv does not know 0808.05394"),
            "{stderr}"
        );
        let summary: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(summary["found"], 1);
        let (out, stdout, _) = run(db.papers().args(["search", "--json", "Boppard"]));
        assert!(out.status.success());
        assert!(stdout.contains("1707.08567"), "{backend}: {stdout}");
        let (out, _, stderr) = ingest(&["abc"]);
        assert!(!out.status.success());
        assert!(stderr.contains("not an arXiv id"), "{stderr}");
    }
    // The API's own error feed (HTTP 400) is a clear error.
    let raw = papers::fetch::Fetcher::new(FetchConfig::default(), None)
        .get(&format!("http://{addr}/api/query?id_list=abc"))
        .await
        .unwrap();
    assert_eq!(raw.status, 400);
    let err = papers::ingest::atom::parse(&raw.text()).unwrap_err();
    assert!(
        matches!(&err, papers::ingest::FeedError::Api(m) if m.contains("incorrect id format for abc")),
        "{err}"
    );
}

#[tokio::test]
async fn daily_lists_keep_new_cross_and_replaced_papers() {
    let Some(_) = shared_dir() else { return };
    for backend in backends() {
        let replay = Arc::new(Replay::recorded());
        let addr = start(replay.clone()).await;
        let arxiv = client(addr);
        let db = fresh_db(backend).await;
        let services = papers::services::Services::open(&db.global())
            .await
            .unwrap();
        let store = services.store.clone();
        harvest::run(&arxiv, store.as_ref(), &window(None), |_| {})
            .await
            .unwrap();
        let day = daily::announcements(&arxiv, store.as_ref(), "cs.CL")
            .await
            .unwrap();
        assert_eq!(day.day.unwrap().to_string(), "2026-11-03");
        assert_eq!(day.papers, 4, "the item without an id is skipped");
        assert_eq!(
            day.fetched, 2,
            "two of the three unknown papers came from the API"
        );
        // Twice changes nothing.
        let seq = store.max_seq().await.unwrap();
        daily::announcements(&arxiv, store.as_ref(), "cs.CL")
            .await
            .unwrap();
        assert_eq!(store.max_seq().await.unwrap(), seq);
        // A holiday feed is an empty day, not an error.
        let holiday = daily::announcements(&arxiv, store.as_ref(), "physics")
            .await
            .unwrap();
        assert_eq!(holiday.papers, 0);

        let listed = store
            .announcements(&["cs.CL".to_string()], None)
            .await
            .unwrap();
        let kinds: HashMap<String, AnnounceKind> = listed
            .entries
            .iter()
            .map(|a| (a.paper_id.clone(), a.kind))
            .collect();
        assert_eq!(kinds["1412.8544"], AnnounceKind::Replace);
        assert_eq!(kinds["2104.12255"], AnnounceKind::Cross);
        // The paper only the feed described is stored from it (its markup escaped later).
        let feed_only = store.papers_by_id(&["2611.00042".into()]).await.unwrap();
        assert_eq!(
            feed_only[0].title,
            "A paper the API does not return <b>yet</b>"
        );
        // The replaced paper kept its full harvested record.
        let replaced = store.papers_by_id(&["1412.8544".into()]).await.unwrap();
        assert_ne!(replaced[0].abstract_text, "Replaced.");

        services.catch_up().await.unwrap();
        let state = papers::web::AppState::new(store.clone(), services.index.clone());
        let web = serve_state(state).await;
        let page = get(web, b"/arxiv/cs.CL").await;
        assert_eq!(page.status, 200);
        let body = &page.body;
        let new = body.find("New submissions").expect("new section");
        let cross = body.find("Cross-lists").expect("cross section");
        let replaced = body.find("Replacements").expect("replacements section");
        assert!(new < cross && cross < replaced);
        assert!(body.contains("as announced on arXiv"));
        assert!(!body.contains("<b>yet"), "feed text is escaped");
        assert!(body.contains("&#60;b&#62;yet&#60;/b&#62;"), "{body}");
        // Exclusions apply to announced days too: 2611.00042 is also in cs.LG.
        let page = get(web, b"/arxiv/cs.CL-cs.LG?date=2026-11-03").await;
        assert!(!page.body.contains("2611.00042"));
        assert!(page.body.contains("1707.08567"));
        services.close().await.unwrap();
    }
}

#[tokio::test]
async fn paper_pages_fetch_unknown_papers_once_and_say_when_arxiv_is_down() {
    let Some(_) = shared_dir() else { return };
    let replay = Arc::new(Replay::recorded());
    let addr = start(replay.clone()).await;
    let db = fresh_db("sqlite").await;
    let services = papers::services::Services::open(&db.global())
        .await
        .unwrap();
    let state = papers::web::AppState::new(services.store.clone(), services.index.clone())
        .with_arxiv(Arc::new(client(addr)));
    let web = serve_state(state).await;
    let page = get(web, b"/arxiv/1707.08567").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Proceedings of Workshop AEW10"));
    assert_eq!(
        services.store.count().await.unwrap(),
        1,
        "stored for next time"
    );
    get(web, b"/arxiv/1707.08567v1").await;
    // Unknown to arXiv: a 404 page, and the miss is remembered.
    assert_eq!(get(web, b"/arxiv/0808.05394").await.status, 404);
    assert_eq!(get(web, b"/arxiv/0808.05394").await.status, 404);
    assert_eq!(replay.api_log.lock().unwrap().len(), 2);

    // arXiv unreachable: a clear 502, not a 500 or a hang.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead = closed.local_addr().unwrap();
    drop(closed);
    let state = papers::web::AppState::new(services.store.clone(), services.index.clone())
        .with_arxiv(Arc::new(client(dead)));
    let web = serve_state(state).await;
    let page = get(web, b"/arxiv/2104.12255").await;
    assert_eq!(page.status, 502);
    assert!(
        page.body.contains("arXiv could not be reached"),
        "{}",
        page.body
    );
    services.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_harvest_resumes_at_its_page_and_papers_become_searchable() {
    let Some(_) = shared_dir() else { return };
    for backend in backends() {
        for kill_at in ["t1", "t2"] {
            let replay = Arc::new(Replay::recorded());
            replay.inject(kill_at, &[Fault::Stall]);
            let addr = start(replay.clone()).await;
            let db = fresh_db(backend).await;
            let harvest = |db: &common::TestDb| {
                let mut cmd = db.papers();
                cmd.env("PAPERS_ARXIV_OAI_URL", format!("http://{addr}/oai"))
                    .env("PAPERS_ARXIV_DELAY_MS", "0")
                    .args(["ingest", "--json", "arxiv-oai", "--set", "physics"]);
                cmd
            };
            let mut child = harvest(&db)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            // Wait until the harvester is stuck on the page after the boundary, then kill it.
            for _ in 0..400 {
                if replay.oai_requests().last().map(String::as_str) == Some(kill_at) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            assert_eq!(
                replay.oai_requests().last().map(String::as_str),
                Some(kill_at)
            );
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            let (out, stdout, stderr) = run(&mut harvest(&db));
            assert!(out.status.success(), "{backend} {kill_at}: {stderr}");
            let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
            assert_eq!(report["resumed"], true, "{stdout}");
            // The pages before the kill were not fetched again.
            let requests = replay.oai_requests();
            let again = requests.iter().filter(|t| t.as_str() == kill_at).count();
            assert_eq!(again, 2, "{requests:?}");
            assert_eq!(
                requests.iter().filter(|t| t.is_empty()).count(),
                1,
                "{requests:?}"
            );
            let (_, stdout, _) = run(db.papers().args(["search", "--json", "Planck-Scale"]));
            assert!(stdout.contains("hep-th/9504118"), "{backend}: {stdout}");
            let (_, stdout, _) = run(db.papers().args(["status", "--json"]));
            let status: serde_json::Value = serde_json::from_str(&stdout).unwrap();
            assert_eq!(status["papers"], 8);
            assert_eq!(status["index_docs"], 8);
        }
    }
}

/// A child process killed when dropped, so a failing test leaves no server behind.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Killed {
    /// SIGTERM, and the exit status once it has stopped.
    fn terminate(&mut self) -> std::process::ExitStatus {
        std::process::Command::new("kill")
            .arg(self.0.id().to_string())
            .status()
            .unwrap();
        self.0.wait().unwrap()
    }
}

/// Starts `papers serve` with the arXiv sync on; returns the process, its address, and its
/// log lines as they come.
fn serve_with_sync(
    db: &common::TestDb,
    arxiv: &str,
) -> (Killed, String, std::sync::mpsc::Receiver<String>) {
    let mut server = db
        .papers()
        .env("PAPERS_ARXIV_SYNC", "true")
        .env("PAPERS_ARXIV_OAI_URL", format!("http://{arxiv}/oai"))
        .env("PAPERS_ARXIV_API_URL", format!("http://{arxiv}/api/query"))
        .env("PAPERS_ARXIV_RSS_URL", format!("http://{arxiv}/rss"))
        .env("PAPERS_ARXIV_DELAY_MS", "0")
        .env("PAPERS_ARXIV_RETRIES", "0")
        .env("PAPERS_ARXIV_CATEGORIES", "cs.CL")
        .env("NO_COLOR", "1")
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (addr, lines) = common::server_address(server.stderr.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    (Killed(server), addr, rx)
}

async fn sync_status(addr: &str) -> serde_json::Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let r = get(addr, b"/api/sync").await;
        let json = r.json();
        // A run in progress is recorded too (`running: true`): wait for one that ended.
        if !json["last"].is_null() && json["last"]["running"] == false {
            return json["last"].clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no sync finished: {}",
            r.body
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_server_fills_itself_from_arxiv_and_survives_without_network() {
    let Some(_) = shared_dir() else { return };
    for backend in backends() {
        let replay = Arc::new(Replay::recorded());
        // The harvest of set `cs` gets the recorded pages (whatever their sets).
        let arxiv = start(replay.clone()).await;
        let db = fresh_db(backend).await;
        let (mut server, addr, _logs) = serve_with_sync(&db, &arxiv.to_string());
        let status = sync_status(&addr).await;
        assert_eq!(status["ok"], true, "{status}");
        assert_eq!(status["records"], 8, "{status}");
        assert_eq!(status["announced"][0]["papers"], 4, "{status}");
        assert!(
            status["next_run"].as_str().unwrap().ends_with(":00:00Z"),
            "{status}"
        );
        // The harvest asked for the last week of set cs.
        let first = replay.oai_requests();
        assert_eq!(first[0], "", "{first:?}");
        // Papers are searchable and the day's list is there once the index follows.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let r = get(&addr, b"/api/search?q=%22Planck-Scale%22").await;
            if r.json()["hits"][0]["id"] == "hep-th/9504118" {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "{}", r.body);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let listing = get(&addr, b"/arxiv/cs.CL").await;
        assert!(listing.body.contains("New submissions"), "{backend}");
        assert!(server.terminate().success());
    }

    // No network: the server serves, and each failed run is one log line.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead = closed.local_addr().unwrap().to_string();
    drop(closed);
    let db = fresh_db("sqlite").await;
    let (mut server, addr, logs) = serve_with_sync(&db, &dead);
    let status = sync_status(&addr).await;
    assert_eq!(status["ok"], false);
    let errors = status["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "one per step: {status}");
    assert!(
        errors[0].as_str().unwrap().contains("could not connect"),
        "{status}"
    );
    assert_eq!(get(&addr, b"/healthz").await.status, 200);
    assert_eq!(get(&addr, b"/api/search?q=anything").await.status, 200);
    assert!(server.terminate().success());
    let logged: Vec<String> = logs.try_iter().collect();
    let warnings: Vec<&String> = logged.iter().filter(|l| l.contains("WARN")).collect();
    assert_eq!(warnings.len(), 1, "{logged:#?}");
    assert!(warnings[0].contains("arXiv sync failed"), "{logged:#?}");
}
