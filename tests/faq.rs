//! The paper FAQ against a local OpenAI-compatible stand-in, on both backends: generated
//! once then cached, one upstream call for many readers, streamed, queued, rate-limited,
//! hostile output made inert, failures cached never, and the feature off.

mod common;

use common::llm::{Mode, StandIn};
use common::{backends, fresh_db, paper};
use papers::domain::{AnnounceKind, Announcement, Date, Paper, Venue};
use papers::faq::LlmOptions;
use papers::services::Services;
use papers::store::Extras;
use papers::web::AppState;
use serde_json::Value;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const ADMIN: &str = "admin-secret";

fn options(url: &str) -> LlmOptions {
    LlmOptions {
        llm_url: Some(url.to_string()),
        llm_model: Some("stand-in-7b".into()),
        llm_api_key: Some("secret-key".into()),
        llm_concurrency: 2,
        llm_timeout_secs: 10,
        llm_hourly_limit: 0,
    }
}

/// A server with `papers` stored, the FAQ on `opts` (off with `None`), and the client's
/// address known (as `papers serve` knows it).
async fn server(
    db: &common::TestDb,
    papers: &[Paper],
    opts: Option<LlmOptions>,
) -> (SocketAddr, Services) {
    let services = Services::open(&db.global()).await.unwrap();
    services.store.upsert_batch(papers).await.unwrap();
    services.catch_up().await.unwrap();
    let mut state = AppState::new(services.store.clone(), services.index.clone())
        .with_admin_token(Some(ADMIN.into()));
    state.faq = opts.and_then(|o| o.open(services.store.clone()).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = papers::web::router(state).into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, services)
}

async fn get(addr: SocketAddr, target: &str) -> (u16, Value) {
    let r = common::get(addr, target.as_bytes()).await;
    (
        r.status,
        serde_json::from_str(&r.body).unwrap_or(Value::Null),
    )
}

/// Reads an event stream to its end: the events (name, data) and when each chunk came.
async fn events(addr: SocketAddr, target: &str) -> (u16, Vec<(String, Value)>, Vec<Instant>) {
    let mut response = reqwest::get(format!("http://{addr}{target}"))
        .await
        .unwrap();
    let status = response.status().as_u16();
    let mut raw = String::new();
    let mut arrivals = Vec::new();
    while let Some(chunk) = response.chunk().await.unwrap() {
        arrivals.push(Instant::now());
        raw.push_str(&String::from_utf8_lossy(&chunk));
    }
    let mut out = Vec::new();
    for block in raw.split("\n\n") {
        let mut name = String::from("message");
        let mut data = String::new();
        for line in block.lines() {
            if let Some(n) = line.strip_prefix("event:") {
                name = n.trim().to_string();
            } else if let Some(d) = line.strip_prefix("data:") {
                data.push_str(d.trim_start());
            }
        }
        if !data.is_empty() {
            out.push((name, serde_json::from_str(&data).unwrap()));
        }
    }
    (status, out, arrivals)
}

fn streamed_text(events: &[(String, Value)]) -> String {
    events
        .iter()
        .filter(|(n, _)| n == "delta")
        .map(|(_, d)| d["text"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_faq_is_generated_once_then_served_from_the_database() {
    for backend in backends() {
        let llm = StandIn::start(Mode::Normal).await;
        let db = fresh_db(backend).await;
        let p = paper(1);
        let (addr, services) = server(&db, &[p.clone(), paper(2)], Some(options(&llm.url()))).await;

        let (status, faq) = get(addr, "/api/papers/2401.00001/faq").await;
        assert_eq!(status, 200, "{backend}: {faq}");
        assert_eq!(faq["id"], "2401.00001");
        assert_eq!(faq["lang"], "en");
        assert_eq!(faq["model"], "stand-in-7b");
        assert_eq!(faq["markdown"], common::llm::answer(&p.title));
        let html = faq["html"].as_str().unwrap();
        assert!(
            html.contains("<h3>What problem does this paper try to solve?</h3>"),
            "{html}"
        );
        assert!(html.contains("\\(L = \\frac{a}{b}\\)"), "{html}");
        assert!(faq["created"].as_str().unwrap().ends_with('Z'));
        assert_eq!(llm.calls(), 1, "{backend}");
        // The prompt carried the paper, the model, streaming and the key.
        let request = llm.last_request().unwrap();
        assert_eq!(request["model"], "stand-in-7b");
        assert_eq!(request["stream"], true);
        let prompt = request["messages"][1]["content"].as_str().unwrap();
        assert!(
            prompt.contains(&p.title) && prompt.contains(&p.abstract_text),
            "{prompt}"
        );
        assert!(prompt.contains("Ada Lovelace") && prompt.contains("in English"));

        // Cached: the same answer, no new call, also as a stream and after any version form.
        let (status, again) = get(addr, "/api/papers/2401.00001v3/faq?lang=en").await;
        assert_eq!(status, 200);
        assert_eq!(again, faq);
        let (status, evs, _) = events(addr, "/api/papers/2401.00001/faq/stream").await;
        assert_eq!(status, 200);
        assert_eq!(streamed_text(&evs), faq["markdown"].as_str().unwrap());
        assert_eq!(evs.last().unwrap().0, "done");
        assert_eq!(evs.last().unwrap().1, faq);
        assert_eq!(
            llm.calls(),
            1,
            "{backend}: a cached FAQ never calls the model"
        );

        // Another language is another FAQ.
        let (status, zh) = get(addr, "/api/papers/2401.00001/faq?lang=zh").await;
        assert_eq!(status, 200);
        assert_eq!(zh["lang"], "zh");
        assert_eq!(llm.calls(), 2);
        let prompt = llm.last_request().unwrap()["messages"][1]["content"].clone();
        assert!(prompt.as_str().unwrap().contains("Chinese"));

        // Stored in the database, not in the process: a new server over it has it.
        let stored = services
            .store
            .faq(
                "2401.00001",
                "en",
                "stand-in-7b",
                papers::faq::prompt::version(),
            )
            .await
            .unwrap()
            .expect("stored");
        assert_eq!(stored.markdown, faq["markdown"].as_str().unwrap());

        // Bad requests.
        let (status, e) = get(addr, "/api/papers/2401.09999/faq").await;
        assert_eq!(
            (status, e["error"]["code"].as_str()),
            (404, Some("not_found"))
        );
        let (status, e) = get(addr, "/api/papers/2401.00001/faq?lang=fr").await;
        assert_eq!(
            (status, e["error"]["code"].as_str()),
            (400, Some("bad_request"))
        );
        let (status, e) = get(addr, "/api/papers/2401.09999/faq/stream").await;
        assert_eq!(
            (status, e["error"]["code"].as_str()),
            (404, Some("not_found"))
        );
        // The paper itself is still served on the same route.
        let (status, paper_json) = get(addr, "/api/papers/2401.00002").await;
        assert_eq!(
            (status, paper_json["id"].as_str()),
            (200, Some("2401.00002"))
        );
        assert_eq!(llm.calls(), 2);
        services.close().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_readers_of_one_paper_make_one_upstream_call_and_see_it_stream() {
    for backend in backends() {
        let llm = StandIn::start(Mode::Slow(Duration::from_millis(40))).await;
        let db = fresh_db(backend).await;
        let p = paper(3);
        let (addr, services) =
            server(&db, std::slice::from_ref(&p), Some(options(&llm.url()))).await;
        let mut readers = Vec::new();
        for i in 0..20 {
            readers.push(tokio::spawn(async move {
                if i % 2 == 0 {
                    let (status, faq) = get(addr, "/api/papers/2401.00003/faq").await;
                    assert_eq!(status, 200, "{faq}");
                    (faq["markdown"].as_str().unwrap().to_string(), None)
                } else {
                    let (status, evs, arrivals) =
                        events(addr, "/api/papers/2401.00003/faq/stream").await;
                    assert_eq!(status, 200);
                    let (last, done) = evs.last().unwrap();
                    assert_eq!(last, "done", "{evs:?}");
                    assert_eq!(streamed_text(&evs), done["markdown"].as_str().unwrap());
                    let spread = *arrivals.last().unwrap() - arrivals[0];
                    (streamed_text(&evs), Some(spread))
                }
            }));
        }
        let mut spreads = Vec::new();
        for reader in readers {
            let (markdown, spread) = reader.await.unwrap();
            assert_eq!(markdown, common::llm::answer(&p.title));
            spreads.extend(spread);
        }
        assert_eq!(llm.calls(), 1, "{backend}: 20 readers, one generation");
        // The answer took ~1.5 s to write: readers saw it arrive in pieces, not at the end.
        assert!(
            spreads.iter().any(|s| *s > Duration::from_millis(500)),
            "{backend}: no reader saw the answer stream: {spreads:?}"
        );
        services.close().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn generations_past_the_concurrency_queue_with_their_place_shown() {
    let llm = StandIn::start(Mode::Slow(Duration::from_millis(30))).await;
    let db = fresh_db("sqlite").await;
    let papers: Vec<Paper> = (10..14).map(paper).collect();
    let mut opts = options(&llm.url());
    opts.llm_concurrency = 1;
    let (addr, services) = server(&db, &papers, Some(opts)).await;
    let mut readers = Vec::new();
    for p in &papers {
        let target = format!("/api/papers/{}/faq/stream", p.id);
        readers.push(tokio::spawn(async move { events(addr, &target).await }));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut places = Vec::new();
    for reader in readers {
        let (status, evs, _) = reader.await.unwrap();
        assert_eq!(status, 200);
        assert_eq!(evs.last().unwrap().0, "done", "{evs:?}");
        places.push(
            evs.iter()
                .filter(|(n, _)| n == "queued")
                .map(|(_, d)| d["position"].as_u64().unwrap())
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(llm.calls(), 4);
    assert!(
        places[0].is_empty(),
        "the first one runs at once: {places:?}"
    );
    assert_eq!(
        places[3].first(),
        Some(&3),
        "the fourth waits third in line: {places:?}"
    );
    assert_eq!(places[3].last(), Some(&1), "and moves up: {places:?}");
    services.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hostile_model_output_is_inert_html() {
    for backend in backends() {
        let llm = StandIn::start(Mode::Hostile).await;
        let db = fresh_db(backend).await;
        let (addr, services) = server(&db, &[paper(4)], Some(options(&llm.url()))).await;
        let (status, faq) = get(addr, "/api/papers/2401.00004/faq").await;
        assert_eq!(status, 200, "{faq}");
        assert_eq!(faq["markdown"], common::llm::HOSTILE);
        let html = faq["html"].as_str().unwrap();
        // Every tag left is harmless; the hostile ones only survive as escaped text.
        for tag in html
            .split('<')
            .skip(1)
            .map(|t| t.split('>').next().unwrap())
        {
            for bad in ["script", "img", "javascript:", "onerror"] {
                assert!(!tag.contains(bad), "{backend}: <{tag}> in {html}");
            }
        }
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(html.contains("\\(\\frac{a}{b}\\)"), "{html}");
        services.close().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_model_that_fails_or_stops_halfway_gives_502_and_nothing_is_cached() {
    for backend in backends() {
        let llm = StandIn::start(Mode::Fail).await;
        let db = fresh_db(backend).await;
        let (addr, services) = server(&db, &[paper(5)], Some(options(&llm.url()))).await;
        let faq_of = |store: std::sync::Arc<dyn papers::store::Store>| async move {
            store
                .faq(
                    "2401.00005",
                    "en",
                    "stand-in-7b",
                    papers::faq::prompt::version(),
                )
                .await
                .unwrap()
        };

        let (status, e) = get(addr, "/api/papers/2401.00005/faq").await;
        assert_eq!(
            (status, e["error"]["code"].as_str()),
            (502, Some("llm_unavailable")),
            "{e}"
        );
        assert!(
            e["error"]["message"].as_str().unwrap().contains("HTTP 500"),
            "{e}"
        );
        assert!(faq_of(services.store.clone()).await.is_none());

        llm.set_mode(Mode::CutShort);
        let (status, evs, _) = events(addr, "/api/papers/2401.00005/faq/stream").await;
        assert_eq!(status, 200);
        let (last, data) = evs.last().unwrap();
        assert_eq!(last, "failed", "{evs:?}");
        assert_eq!(data["code"], "llm_unavailable");
        assert!(
            !streamed_text(&evs).is_empty(),
            "the start of the answer was streamed"
        );
        let (status, _) = get(addr, "/api/papers/2401.00005/faq").await;
        assert_eq!(status, 502, "{backend}: a cut answer is not cached");
        assert!(faq_of(services.store.clone()).await.is_none());

        // Once the model is back, the next request generates and stores it.
        llm.set_mode(Mode::Normal);
        let (status, faq) = get(addr, "/api/papers/2401.00005/faq").await;
        assert_eq!(status, 200, "{faq}");
        assert!(faq_of(services.store.clone()).await.is_some());
        assert_eq!(llm.calls(), 4);
        services.close().await.unwrap();

        // Nobody listening at the URL at all.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/v1", closed.local_addr().unwrap());
        drop(closed);
        let db = fresh_db(backend).await;
        let (addr, services) = server(&db, &[paper(6)], Some(options(&url))).await;
        let (status, e) = get(addr, "/api/papers/2401.00006/faq").await;
        assert_eq!(
            (status, e["error"]["code"].as_str()),
            (502, Some("llm_unavailable")),
            "{e}"
        );
        services.close().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_client_may_start_only_so_many_generations_an_hour() {
    let llm = StandIn::start(Mode::Normal).await;
    let db = fresh_db("sqlite").await;
    let papers: Vec<Paper> = (20..24).map(paper).collect();
    let mut opts = options(&llm.url());
    opts.llm_hourly_limit = 2;
    let (addr, services) = server(&db, &papers, Some(opts)).await;
    for id in ["2401.00020", "2401.00021"] {
        let (status, _) = get(addr, &format!("/api/papers/{id}/faq")).await;
        assert_eq!(status, 200);
    }
    let r = common::get(addr, b"/api/papers/2401.00022/faq").await;
    assert_eq!(r.status, 429, "{}", r.body);
    assert!(r.body.contains("rate_limited"), "{}", r.body);
    assert!(r.headers.contains("retry-after:"), "{}", r.headers);
    let (status, _) = get(addr, "/api/papers/2401.00022/faq/stream").await;
    assert_eq!(status, 429);
    // Reading a cached FAQ costs nothing.
    let (status, _) = get(addr, "/api/papers/2401.00020/faq").await;
    assert_eq!(status, 200);
    assert_eq!(llm.calls(), 2);
    services.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_the_feature_off_there_is_no_button_and_the_api_says_why() {
    for backend in backends() {
        let llm = StandIn::start(Mode::Normal).await;
        let db = fresh_db(backend).await;
        let (off, services) = server(&db, &[paper(7)], None).await;
        let (status, e) = get(off, "/api/papers/2401.00007/faq").await;
        assert_eq!(
            (status, e["error"]["code"].as_str()),
            (503, Some("llm_disabled")),
            "{e}"
        );
        let (status, e) = get(off, "/api/papers/2401.00007/faq/stream").await;
        assert_eq!(
            (status, e["error"]["code"].as_str()),
            (503, Some("llm_disabled"))
        );
        for page in ["/arxiv/2401.00007", "/search?q=study", "/"] {
            let r = common::get(off, page.as_bytes()).await;
            assert_eq!(r.status, 200, "{page}");
            assert!(
                !r.body.contains("data-faq"),
                "{backend}: FAQ button on {page} while off"
            );
        }
        services.close().await.unwrap();

        let (on, services) = server(&db, &[], Some(options(&llm.url()))).await;
        for page in ["/arxiv/2401.00007", "/search?q=study", "/"] {
            let r = common::get(on, page.as_bytes()).await;
            assert!(
                r.body.contains("data-faq=\"2401.00007\""),
                "{backend}: no FAQ button on {page}"
            );
        }
        assert_eq!(llm.calls(), 0, "showing the button calls nothing");
        services.close().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn papers_faq_pregenerates_a_day_or_a_venue_track_and_resumes() {
    for backend in backends() {
        let llm = StandIn::start(Mode::Normal).await;
        let db = fresh_db(backend).await;
        let day = Date::new(2026, 11, 27).unwrap();
        let listed: Vec<Paper> = (30..35).map(paper).collect();
        let announcements: Vec<Announcement> = listed
            .iter()
            .map(|p| Announcement {
                paper_id: p.id.clone(),
                category: "cs.CL".into(),
                day,
                kind: AnnounceKind::New,
            })
            .collect();
        let oral: Vec<Paper> = (40..43)
            .map(|i| Paper {
                id: format!("openreview:paper{i}"),
                venue: Some(Venue {
                    name: "ICLR".into(),
                    year: 2024,
                    track: Some("Oral".into()),
                }),
                ..paper(i)
            })
            .collect();
        {
            let store = papers::store::connect(&db.url).await.unwrap();
            let extras = Extras {
                announcements: &announcements,
                ..Extras::default()
            };
            store.write_batch(&listed, extras).await.unwrap();
            store.upsert_batch(&oral).await.unwrap();
            store.close().await;
        }
        let faq = |args: &[&str]| {
            let mut cmd = db.papers();
            cmd.env("PAPERS_LLM_URL", llm.url())
                .env("PAPERS_LLM_MODEL", "stand-in-7b")
                .arg("faq")
                .args(args);
            common::run(&mut cmd)
        };
        let (out, stdout, stderr) = faq(&["--category", "cs.CL", "--date", "2026-11-27"]);
        assert!(out.status.success(), "{backend}: {stderr}");
        assert!(
            stdout.contains("generated 5, stored already 0, failed 0"),
            "{stdout}"
        );
        assert_eq!(llm.calls(), 5);
        // Run again: everything is stored, nothing is asked.
        let (out, stdout, _) = faq(&["--category", "cs.CL", "--date", "2026-11-27"]);
        assert!(out.status.success());
        assert!(stdout.contains("generated 0, stored already 5"), "{stdout}");
        assert_eq!(llm.calls(), 5);

        let (out, stdout, stderr) = faq(&["--venue", "ICLR", "--year", "2024", "--track", "Oral"]);
        assert!(out.status.success(), "{backend}: {stderr}");
        assert!(stdout.contains("generated 3,"), "{stdout}");
        assert_eq!(llm.calls(), 8);

        // Failures: reported, non-zero exit, nothing stored, a rerun retries.
        let (out, _, stderr) = faq(&["--venue", "ICLR", "--year", "2024", "--lang", "zh"]);
        assert!(out.status.success(), "{stderr}");
        llm.set_mode(Mode::Fail);
        let (out, stdout, stderr) = faq(&[
            "--category",
            "cs.CL",
            "--date",
            "2026-11-27",
            "--lang",
            "zh",
        ]);
        assert!(!out.status.success(), "{stdout}");
        assert!(stdout.contains("failed 5"), "{stdout}");
        assert!(stderr.contains("run it again"), "{stderr}");
        let (out, _, stderr) = faq(&["--category", "cs.XX", "--date", "2026-11-27"]);
        assert!(!out.status.success());
        assert!(stderr.contains("no stored papers for cs.XX"), "{stderr}");
        let mut off = db.papers();
        off.env_remove("PAPERS_LLM_URL")
            .args(["faq", "--category", "cs.CL"]);
        let (out, _, stderr) = common::run(&mut off);
        assert!(!out.status.success());
        assert!(stderr.contains("PAPERS_LLM_URL"), "{stderr}");
    }
}

/// `POST /api/admin/faq` with `body`, with the admin token or without.
async fn admin_start(addr: SocketAddr, body: &Value, token: bool) -> (u16, Value) {
    let body = body.to_string();
    let auth = if token {
        format!("\r\nAuthorization: Bearer {ADMIN}")
    } else {
        String::new()
    };
    let head = format!(
        "POST /api/admin/faq HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: {}{auth}",
        body.len()
    );
    let r = common::http(addr, head.as_bytes(), body.as_bytes()).await;
    (
        r.status,
        serde_json::from_str(&r.body).unwrap_or(Value::Null),
    )
}

/// Polls `GET /api/admin/faq` until the run has finished.
async fn admin_finished(addr: SocketAddr) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let head = format!("GET /api/admin/faq HTTP/1.1\r\nAuthorization: Bearer {ADMIN}");
        let r = common::http(addr, head.as_bytes(), b"").await;
        assert_eq!(r.status, 200, "{}", r.body);
        let status: Value = serde_json::from_str(&r.body).unwrap();
        if status["running"] == false {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "the run never finished: {status}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_admin_pregenerates_a_venue_track_over_the_api() {
    for backend in backends() {
        let llm = StandIn::start(Mode::Slow(Duration::from_millis(5))).await;
        let db = fresh_db(backend).await;
        let track: Vec<Paper> = (50..54)
            .map(|i| Paper {
                id: format!("openreview:track{i}"),
                venue: Some(Venue {
                    name: "ICML".into(),
                    year: 2024,
                    track: Some("Spotlight".into()),
                }),
                ..paper(i)
            })
            .collect();
        let (addr, services) = server(&db, &track, Some(options(&llm.url()))).await;
        let body = serde_json::json!({"venue": "ICML", "year": 2024, "track": "Spotlight"});
        let (status, e) = admin_start(addr, &body, false).await;
        assert_eq!(
            (status, e["error"]["code"].as_str()),
            (401, Some("unauthorized"))
        );
        let (status, started) = admin_start(addr, &body, true).await;
        assert_eq!(status, 202, "{backend}: {started}");
        assert_eq!(started["total"], 4);
        assert_eq!(started["selection"], "ICML 2024 Spotlight");
        let (status, e) = admin_start(addr, &body, true).await;
        assert_eq!(
            (status, e["error"]["code"].as_str()),
            (409, Some("conflict")),
            "{e}"
        );
        let done = admin_finished(addr).await;
        assert_eq!(
            (done["generated"].as_u64(), done["failed"].as_u64()),
            (Some(4), Some(0)),
            "{done}"
        );
        assert_eq!(llm.calls(), 4);
        // Resumable: a second run finds them all stored.
        let (status, _) = admin_start(addr, &body, true).await;
        assert_eq!(status, 202);
        let done = admin_finished(addr).await;
        assert_eq!(done["stored_already"], 4, "{done}");
        assert_eq!(llm.calls(), 4);
        // Nothing to cover, or half a selection: a clear 400.
        for bad in [
            serde_json::json!({"venue": "ICML", "year": 1999}),
            serde_json::json!({"venue": "ICML"}),
            serde_json::json!({}),
            serde_json::json!({"category": "cs.CL", "date": "yesterday"}),
        ] {
            let (status, e) = admin_start(addr, &bad, true).await;
            assert_eq!(status, 400, "{bad}: {e}");
        }
        services.close().await.unwrap();
    }
}
