//! Venue imports against a local replay of OpenReview (API v2, v1) and PMLR filled with real
//! recorded data: counts per track, idempotence, a failing page and its retry, arXiv linking,
//! escaping of abstracts, and the admin API's protection.

mod common;
mod replay;

use common::{backends, fresh_db, get, http, serve_state, shared_dir};
use papers::domain::{Date, Paper};
use papers::services::Services;
use papers::venues::{ImportRequest, Outcome, Source, VenueConfig};
use papers::web::AppState;
use std::collections::HashMap;
use std::sync::atomic::Ordering;

const TOKEN: &str = "s3cret-admin-token-for-tests";

fn request(venue: &str, year: u16) -> ImportRequest {
    ImportRequest {
        venue: venue.into(),
        year,
        source: None,
        from_file: None,
        format: None,
        include_rejected: false,
    }
    .validated()
    .unwrap()
}

async fn import(services: &Services, config: &VenueConfig, req: &ImportRequest) -> Outcome {
    let outcome = papers::venues::run(
        services.store.as_ref(),
        config,
        req,
        Outcome::default(),
        |_| async { Ok(true) },
    )
    .await
    .unwrap();
    services.catch_up().await.unwrap();
    outcome
}

/// Track → works, for one edition, as `/api/venues` reports them.
async fn tracks(services: &Services, venue: &str, year: i64) -> HashMap<String, i64> {
    services
        .store
        .venue_tracks()
        .await
        .unwrap()
        .into_iter()
        .filter(|t| t.venue == venue && t.year == year)
        .map(|t| (t.track.unwrap_or_else(|| "none".into()), t.count))
        .collect()
}

async fn api(
    addr: std::net::SocketAddr,
    method: &str,
    target: &str,
    body: &str,
    token: Option<&str>,
) -> common::Response {
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: {}",
        body.len()
    );
    if let Some(t) = token {
        head.push_str(&format!("\r\nAuthorization: Bearer {t}"));
    }
    http(addr, head.as_bytes(), body.as_bytes()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editions_import_with_their_tracks_and_skip_what_was_not_accepted() {
    let Some(shared) = shared_dir() else { return };
    let replay = replay::start(&shared.join("data")).await;
    let config = replay.config();
    for backend in backends() {
        let db = fresh_db(backend).await;
        let services = Services::open(&db.global()).await.unwrap();

        // ICML 2024 on OpenReview API v2: the track is in content.venue.value.
        let icml = ImportRequest {
            source: Some(Source::Openreview),
            ..request("ICML", 2024)
        };
        let out = import(&services, &config, &icml).await;
        assert_eq!(
            (out.fetched, out.stored, out.skipped),
            (2610, 2610, 0),
            "{backend}"
        );
        let expect: HashMap<String, i64> = [("Oral", 144), ("Spotlight", 191), ("Poster", 2275)]
            .map(|(t, n)| (t.to_string(), n))
            .into();
        assert_eq!(tracks(&services, "ICML", 2024).await, expect, "{backend}");

        // ICLR 2018 on API v1: decisions are reply notes; only accepted papers by default.
        let out = import(&services, &config, &request("ICLR", 2018)).await;
        assert_eq!(
            (out.fetched, out.stored, out.skipped),
            (995, 337, 658),
            "{backend}"
        );
        let expect: HashMap<String, i64> = [("Oral", 23), ("Poster", 314)]
            .map(|(t, n)| (t.to_string(), n))
            .into();
        assert_eq!(tracks(&services, "ICLR", 2018).await, expect, "{backend}");

        // ICLR 2017 with the rejected and workshop papers asked for. One rejected
        // submission of the list has an empty title: it is counted and skipped.
        let all = ImportRequest {
            include_rejected: true,
            ..request("ICLR", 2017)
        };
        let out = import(&services, &config, &all).await;
        assert_eq!(
            (out.fetched, out.stored, out.skipped),
            (490, 489, 1),
            "{backend}"
        );
        let expect: HashMap<String, i64> = [
            ("Oral", 15),
            ("Poster", 183),
            ("Workshop", 47),
            ("Rejected", 244),
        ]
        .map(|(t, n)| (t.to_string(), n))
        .into();
        assert_eq!(tracks(&services, "ICLR", 2017).await, expect, "{backend}");

        // Search filters by venue and returns venue, year and track.
        let state = AppState::new(services.store.clone(), services.index.clone());
        let addr = serve_state(state).await;
        let r = get(addr, b"/api/search?q=venue:ICLR&limit=1").await;
        let hits = r.json();
        assert_eq!(hits["total"], 337 + 489, "{backend}: {}", r.body);
        assert_eq!(hits["hits"][0]["venue"], "ICLR");
        let r = get(addr, b"/api/search?q=&venue=ICML&limit=1").await;
        let hit = &r.json()["hits"][0];
        assert_eq!(hit["year"], 2024, "{backend}: {}", r.body);
        assert!(["Oral", "Spotlight", "Poster"].contains(&hit["track"].as_str().unwrap()));

        // Track as a filter and a facet.
        let r = get(
            addr,
            b"/api/search?q=&venue=ICLR&track=oral,Spotlight&limit=1",
        )
        .await;
        let json = r.json();
        assert_eq!(json["total"], 23 + 15, "{backend}: {}", r.body);
        assert_eq!(json["facets"]["tracks"][0]["value"], "Oral", "{}", r.body);
        assert_eq!(json["facets"]["tracks"][0]["count"], 38);
        let r = get(addr, b"/search?q=&venue=ICLR").await;
        assert!(r.body.contains("<h3>Track</h3>"), "{backend}");
        assert!(r.body.contains("track=Workshop"), "{backend}: a facet link");

        // The venue pages: latest edition, group tabs, feed, API.
        let r = get(addr, b"/venue/iclr").await;
        assert_eq!(r.status, 303, "{backend}");
        assert!(
            r.headers.contains("location: /venue/iclr.2018"),
            "{}",
            r.headers
        );
        let r = get(addr, b"/venue/ICLR.2018?group=Oral").await;
        assert_eq!(r.status, 200);
        assert_eq!(
            r.body.matches("<li class=\"paper\" data-id=").count(),
            23,
            "{backend}"
        );
        assert!(
            r.body.contains("Oral <span class=\"n\">23</span>"),
            "{}",
            r.body
        );
        let r = get(addr, b"/venue/ICLR.2018/feed?group=Oral").await;
        assert_eq!(r.body.matches("<entry>").count(), 23, "{backend}");
        let page = get(addr, b"/venues").await;
        assert!(
            page.body.contains(
                "<a href=\"/venue/ICLR.2018\">ICLR 2018</a> <span class=\"n\">337</span>"
            ),
            "{}",
            page.body
        );
        assert!(
            page.body.contains("/venue/ICML.2024?group=Spotlight"),
            "{backend}"
        );
        let r = get(addr, b"/api/venues").await;
        let venues = r.json();
        let editions: Vec<String> = venues["venues"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| format!("{} {} {}", e["venue"], e["year"], e["count"]))
            .collect();
        assert_eq!(
            editions,
            [
                "\"ICLR\" 2018 337",
                "\"ICLR\" 2017 489",
                "\"ICML\" 2024 2610"
            ],
            "{backend}"
        );
        services.close().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_failing_fails_the_job_and_a_retry_completes_without_duplicates() {
    let Some(shared) = shared_dir() else { return };
    let replay = replay::start(&shared.join("data")).await;
    for backend in backends() {
        let db = fresh_db(backend).await;
        let services = Services::open(&db.global()).await.unwrap();
        let state = AppState::new(services.store.clone(), services.index.clone())
            .with_admin_token(Some(TOKEN.into()));
        let addr = serve_state(state).await;
        let worker = papers::venues::worker::Worker {
            store: services.store.clone(),
            index: services.index.clone(),
            config: replay.config(),
        };

        // Pages of 1,000: the third (offset 2000) fails.
        replay.fail_from_offset.store(2_000, Ordering::SeqCst);
        let r = api(
            addr,
            "POST",
            "/api/admin/imports",
            r#"{"venue": "ICLR", "year": 2024}"#,
            Some(TOKEN),
        )
        .await;
        assert_eq!(r.status, 202, "{backend}: {}", r.body);
        let queued = r.json();
        assert_eq!(queued["status"], "queued");
        let id = queued["id"].as_i64().unwrap();
        assert!(worker.run_once().await.unwrap());
        let job = api(
            addr,
            "GET",
            &format!("/api/admin/imports/{id}"),
            "",
            Some(TOKEN),
        )
        .await
        .json();
        assert_eq!(job["status"], "failed", "{backend}: {job}");
        let error = job["error"].as_str().unwrap();
        assert!(
            error.contains("HTTP 500") && error.contains("offset=2000"),
            "{error}"
        );
        assert_eq!(
            (job["fetched"].as_i64(), job["stored"].as_i64()),
            (Some(2000), Some(2000))
        );
        assert_eq!(
            services.store.count().await.unwrap(),
            2000,
            "{backend}: the pages before stay"
        );

        // Retry: it resumes at the failed page.
        replay.fail_from_offset.store(usize::MAX, Ordering::SeqCst);
        let r = api(
            addr,
            "POST",
            &format!("/api/admin/imports/{id}/retry"),
            "",
            Some(TOKEN),
        )
        .await;
        assert_eq!(r.json()["status"], "queued", "{backend}: {}", r.body);
        assert!(worker.run_once().await.unwrap());
        let job = api(
            addr,
            "GET",
            &format!("/api/admin/imports/{id}"),
            "",
            Some(TOKEN),
        )
        .await
        .json();
        assert_eq!(job["status"], "done", "{backend}: {job}");
        assert_eq!(job["error"], serde_json::Value::Null);
        assert_eq!(
            (
                job["fetched"].as_i64(),
                job["stored"].as_i64(),
                job["skipped"].as_i64()
            ),
            (Some(2287), Some(2287), Some(0))
        );
        assert_eq!(
            services.store.count().await.unwrap(),
            2287,
            "{backend}: no duplicates"
        );
        services.catch_up().await.unwrap();
        assert_eq!(services.index.num_docs() as i64, 2287, "{backend}");

        // Importing again changes nothing.
        let seq = services.store.max_seq().await.unwrap();
        let r = api(
            addr,
            "POST",
            "/api/admin/imports",
            r#"{"venue": "iclr", "year": 2024}"#,
            Some(TOKEN),
        )
        .await;
        let again = r.json()["id"].as_i64().unwrap();
        assert!(worker.run_once().await.unwrap());
        let job = api(
            addr,
            "GET",
            &format!("/api/admin/imports/{again}"),
            "",
            Some(TOKEN),
        )
        .await
        .json();
        assert_eq!(
            (job["status"].as_str(), job["stored"].as_i64()),
            (Some("done"), Some(0)),
            "{job}"
        );
        assert_eq!(services.store.max_seq().await.unwrap(), seq, "{backend}");
        assert!(!worker.run_once().await.unwrap(), "nothing left queued");

        // Cancelling a finished job is refused; a queued one is cancelled.
        let r = api(
            addr,
            "POST",
            &format!("/api/admin/imports/{again}/cancel"),
            "",
            Some(TOKEN),
        )
        .await;
        assert_eq!(r.status, 409, "{}", r.body);
        let r = api(
            addr,
            "POST",
            "/api/admin/imports",
            r#"{"venue": "ICML", "year": 2016}"#,
            Some(TOKEN),
        )
        .await;
        let third = r.json()["id"].as_i64().unwrap();
        let r = api(
            addr,
            "POST",
            &format!("/api/admin/imports/{third}/cancel"),
            "",
            Some(TOKEN),
        )
        .await;
        assert_eq!(r.json()["status"], "cancelled", "{}", r.body);
        assert!(
            !worker.run_once().await.unwrap(),
            "a cancelled job is not run"
        );
        let list = api(addr, "GET", "/api/admin/imports", "", Some(TOKEN))
            .await
            .json();
        assert_eq!(list["jobs"].as_array().unwrap().len(), 3);
        // The answers are what the OpenAPI document says.
        let mut doc = get(addr, b"/api/openapi.json").await.json();
        assert!(doc["paths"]["/api/admin/imports"]["post"].is_object());
        doc["$ref"] = serde_json::json!("#/components/schemas/JobList");
        let validator = jsonschema::draft202012::new(&doc).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&list)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
        services.close().await.unwrap();
    }
}

/// arXiv copies of real ICML 2024 papers, as arXiv lists them (title case and punctuation
/// may differ), and one arXiv paper sharing a title but not the first author.
fn arxiv_copies(shared: &std::path::Path) -> Vec<Paper> {
    let mut text = String::new();
    use std::io::Read;
    flate2::read::GzDecoder::new(
        std::fs::File::open(shared.join("data/venues/papercopilot/icml2024.json.gz")).unwrap(),
    )
    .read_to_string(&mut text)
    .unwrap();
    let records: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let oral: Vec<&serde_json::Value> = records
        .iter()
        .filter(|r| r["status"] == "Oral")
        .take(4)
        .collect();
    oral.iter()
        .enumerate()
        .map(|(i, r)| {
            let mut authors: Vec<String> = r["author"]
                .as_str()
                .unwrap()
                .split(';')
                .map(String::from)
                .collect();
            let title = r["title"].as_str().unwrap();
            let title = if i == 0 {
                format!("{}.", title.to_uppercase())
            } else {
                title.to_string()
            };
            if i == 3 {
                authors.insert(0, "Someone Else".into());
            }
            let mut p = Paper {
                id: format!("2402.{:05}", 90_000 + i),
                title,
                abstract_text: "The arXiv version.".into(),
                authors,
                categories: vec!["cs.LG".into()],
                published: Date::new(2024, 2, 1),
                ..Paper::default()
            };
            p.normalise();
            p
        })
        .collect()
}

/// Clears the stored title hash of these papers, as for rows written before the column.
async fn forget_title_hashes(db: &common::TestDb, ids: &[&str]) {
    use sqlx::Connection;
    let sql = "UPDATE papers SET title_hash = NULL WHERE id = $1";
    for id in ids {
        let changed = if db.backend == "postgres" {
            let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
            sqlx::query(sql)
                .bind(id)
                .execute(&mut c)
                .await
                .unwrap()
                .rows_affected()
        } else {
            let mut c = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
            sqlx::query(sql)
                .bind(id)
                .execute(&mut c)
                .await
                .unwrap()
                .rows_affected()
        };
        assert_eq!(changed, 1, "{id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn venue_records_link_to_their_arxiv_papers_and_search_shows_each_work_once() {
    let Some(shared) = shared_dir() else { return };
    let replay = replay::start(&shared.join("data")).await;
    let copies = arxiv_copies(&shared);
    for backend in backends() {
        let db = fresh_db(backend).await;
        let services = Services::open(&db.global()).await.unwrap();
        services.store.upsert_batch(&copies).await.unwrap();
        // Two of them as stored before titles were hashed: linking hashes them when needed.
        forget_title_hashes(&db, &[&copies[0].id, &copies[1].id]).await;
        // The index has not seen the arXiv papers: linking reads the database, so an index
        // that lags cannot miss a link.
        assert_eq!(services.index.num_docs(), 0, "{backend}");
        let req = ImportRequest {
            source: Some(Source::Openreview),
            ..request("ICML", 2024)
        };
        let out = import(&services, &replay.config(), &req).await;
        assert_eq!(
            out.linked, 3,
            "{backend}: the fourth has another first author"
        );
        let ids: Vec<String> = copies.iter().map(|p| p.id.clone()).collect();
        let links = services.store.links_of(&ids).await.unwrap();
        let linked: Vec<&str> = links.iter().map(|l| l.arxiv_id.as_str()).collect();
        assert_eq!(linked.len(), 3);
        assert!(!linked.contains(&ids[3].as_str()), "{backend}: {links:?}");
        assert!(links.iter().all(|l| l.method == "title-author"));

        // The arXiv paper carries the venue; the venue record is not searched on its own.
        let state = AppState::new(services.store.clone(), services.index.clone());
        let addr = serve_state(state).await;
        assert_eq!(services.index.num_docs(), 4 + 2610 - 3, "{backend}");
        let words: String = copies[1]
            .title
            .split_whitespace()
            .collect::<Vec<_>>()
            .join("+");
        let r = get(
            addr,
            format!(
                "/api/search?q=ti:%22{}%22",
                words.replace(['(', ')', ':', '?', '&', '#'], "")
            )
            .as_bytes(),
        )
        .await;
        let json = r.json();
        assert_eq!(json["total"], 1, "{backend}: {}", r.body);
        let hit = &json["hits"][0];
        assert_eq!(hit["id"], copies[1].id.as_str());
        assert_eq!(
            (
                hit["venue"].as_str(),
                hit["year"].as_i64(),
                hit["track"].as_str()
            ),
            (Some("ICML"), Some(2024), Some("Oral"))
        );
        let r = get(addr, b"/api/search?q=%22The+arXiv+version%22&venue=ICML").await;
        assert_eq!(
            r.json()["total"],
            3,
            "{backend}: venue filter finds the linked arXiv papers"
        );

        // Both pages show the link.
        let page = get(addr, format!("/arxiv/{}", copies[1].id).as_bytes()).await;
        assert!(
            page.body.contains("ICML 2024 Oral"),
            "{backend}: {}",
            page.body
        );
        assert!(page.body.contains("OpenReview version"), "{}", page.body);
        let record = links.iter().find(|l| l.arxiv_id == copies[1].id).unwrap();
        let page = get(addr, format!("/paper/{}", record.id).as_bytes()).await;
        assert!(
            page.body.contains(&format!("arXiv:{}", copies[1].id)),
            "{backend}: {}",
            page.body
        );
        // The listing shows the work once, as its arXiv paper.
        let oral: Vec<String> = services
            .store
            .venue_papers("ICML", 2024, Some("oral"), 0, 1000)
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.id)
            .collect();
        assert!(oral.contains(&copies[1].id), "{backend}");
        assert!(!oral.contains(&record.id), "{backend}");
        let r = get(addr, b"/venue/ICML.2024?group=Oral&page=2").await;
        assert_eq!(
            r.body.matches("<li class=\"paper\" data-id=").count(),
            44,
            "{backend}"
        );
        assert_eq!(
            tracks(&services, "ICML", 2024).await["Oral"],
            144,
            "{backend}: counted once"
        );

        // The index is derived: a rebuild gives the same documents.
        let before = {
            let mut ids = services.index.all_ids().unwrap();
            ids.sort();
            ids
        };
        services
            .syncer
            .as_ref()
            .unwrap()
            .rebuild(None)
            .await
            .unwrap();
        let mut after = services.index.all_ids().unwrap();
        after.sort();
        assert_eq!(before, after, "{backend}");

        // Importing again links nothing new and changes nothing.
        let seq = services.store.max_seq().await.unwrap();
        let out = import(&services, &replay.config(), &req).await;
        assert_eq!((out.stored, out.linked), (0, 0), "{backend}");
        assert_eq!(services.store.max_seq().await.unwrap(), seq);
        services.close().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pmlr_volumes_import_live_and_from_a_folder_alike_with_abstracts_made_safe() {
    let Some(shared) = shared_dir() else { return };
    let replay = replay::start(&shared.join("data")).await;
    for backend in backends() {
        let live_db = fresh_db(backend).await;
        let live = Services::open(&live_db.global()).await.unwrap();
        let out = import(&live, &replay.config(), &request("ICML", 2016)).await;
        assert_eq!(
            (out.fetched, out.stored, out.skipped),
            (322, 322, 0),
            "{backend}"
        );

        let folder_db = fresh_db(backend).await;
        let folder = Services::open(&folder_db.global()).await.unwrap();
        let from_folder = ImportRequest {
            from_file: Some(shared.join("data/pmlr/v48_icml2016")),
            format: None,
            ..request("ICML", 2016)
        };
        let out = import(&folder, &VenueConfig::default(), &from_folder).await;
        assert_eq!((out.fetched, out.stored), (322, 322), "{backend}");
        let a = live
            .store
            .venue_papers("ICML", 2016, None, 0, 1000)
            .await
            .unwrap();
        let b = folder
            .store
            .venue_papers("ICML", 2016, None, 0, 1000)
            .await
            .unwrap();
        assert_eq!(a.len(), 322);
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(
                (&x.id, &x.title, &x.authors, &x.abstract_text, x.published),
                (&y.id, &y.title, &y.authors, &y.abstract_text, y.published),
                "{backend}"
            );
        }
        assert!(
            a.iter()
                .all(|p| p.id.starts_with("pmlr:v48/") && !p.abstract_text.is_empty())
        );

        // ICML 2024 samples hold <em> in abstracts; a hostile file holds a script.
        let dir = tempfile::tempdir().unwrap();
        for f in ["2024-07-08-abe24a.md", "2024-07-08-achituve24a.md"] {
            std::fs::copy(
                shared.join("data/pmlr/v235_icml2024_samples").join(f),
                dir.path().join(f),
            )
            .unwrap();
        }
        std::fs::copy(
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/pmlr_hostile.md"
            ),
            dir.path().join("2024-07-08-zebra24a.md"),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("2024-07-08-broken24a.md"),
            "no front matter",
        )
        .unwrap();
        let req = ImportRequest {
            from_file: Some(dir.path().to_path_buf()),
            format: None,
            ..request("ICML", 2024)
        };
        let out = import(&folder, &VenueConfig::default(), &req).await;
        assert_eq!(
            (out.fetched, out.stored, out.skipped),
            (4, 3, 1),
            "{backend}"
        );
        let p = folder
            .store
            .papers_by_id(&["pmlr:v235/abe24a".into(), "pmlr:v235/zebra24a".into()])
            .await
            .unwrap();
        assert!(
            p[0].abstract_text
                .contains("achieves last-iterate convergence"),
            "{}",
            p[0].abstract_text
        );
        assert!(!p[0].abstract_text.contains('<'));
        assert_eq!(p[0].authors[0], "Kenshi Abe");
        assert!(p[0].comments.as_deref().unwrap().contains("9U29U3cDKq"));
        let addr = serve_state(AppState::new(folder.store.clone(), folder.index.clone())).await;
        for target in [
            "/paper/pmlr:v235/zebra24a",
            "/venue/ICML.2024",
            "/search?q=zebra",
        ] {
            let page = get(addr, target.as_bytes()).await;
            assert_eq!(page.status, 200, "{target}");
            assert!(page.body.contains("zebra"), "{target}: {}", page.body);
            assert!(
                !page.body.contains("<script>alert") && !page.body.contains("<img src"),
                "{backend} {target}: {}",
                page.body
            );
        }
        live.close().await.unwrap();
        folder.close().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_is_off_without_a_token_and_refuses_wrong_tokens_without_logging_them() {
    let db = fresh_db("sqlite").await;
    let services = Services::open(&db.global()).await.unwrap();
    let closed = serve_state(AppState::new(
        services.store.clone(),
        services.index.clone(),
    ))
    .await;
    let r = api(
        closed,
        "POST",
        "/api/admin/imports",
        r#"{"venue": "ICLR", "year": 2024}"#,
        Some(TOKEN),
    )
    .await;
    assert_eq!(r.status, 404, "no token configured: no admin");
    assert_eq!(get(closed, b"/admin").await.status, 404);
    services.close().await.unwrap();

    let Some(shared) = shared_dir() else { return };
    let replay = replay::start(&shared.join("data")).await;
    for backend in backends() {
        let db = fresh_db(backend).await;
        let config = replay.config();
        let (mut server, addr, log) = spawn_server(&db, &config, "0", "debug", &[]);
        let wrong = "wrong-token-guess-1234";
        let body = r#"{"venue": "ICLR", "year": 2018}"#;
        assert_eq!(
            api(addr, "POST", "/api/admin/imports", body, None)
                .await
                .status,
            401,
            "{backend}"
        );
        let r = api(addr, "POST", "/api/admin/imports", body, Some(wrong)).await;
        assert_eq!(r.status, 401, "{backend}");
        assert_eq!(r.json()["error"]["code"], "unauthorized");
        assert_eq!(
            api(addr, "GET", "/api/admin/imports/1", "", Some(wrong))
                .await
                .status,
            401
        );
        let page = http(
            addr,
            format!("GET /admin HTTP/1.1\r\nCookie: papers_admin={wrong}").as_bytes(),
            b"",
        )
        .await;
        assert_eq!(page.status, 401);
        assert!(page.body.contains("name=\"token\""), "the login form");
        let login = format!("token={wrong}");
        let r = http(addr, format!("POST /admin/login HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}", login.len()).as_bytes(), login.as_bytes()).await;
        assert_eq!(r.status, 401);
        assert!(!r.headers.contains("set-cookie"));

        // The right token: log in from the browser, start from the form, watch it finish.
        let login = format!("token={TOKEN}");
        let r = http(addr, format!("POST /admin/login HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}", login.len()).as_bytes(), login.as_bytes()).await;
        assert_eq!(r.status, 303, "{backend}: {}", r.body);
        let cookie = r
            .headers
            .lines()
            .find_map(|l| l.strip_prefix("set-cookie: "))
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        assert!(r.headers.contains("httponly") && r.headers.contains("samesite=strict"));
        assert!(!cookie.contains(TOKEN), "the cookie is not the token");
        let page = http(
            addr,
            format!("GET /admin HTTP/1.1\r\nCookie: {cookie}").as_bytes(),
            b"",
        )
        .await;
        assert_eq!(page.status, 200, "{backend}");
        let r = http(
            addr,
            format!("GET /api/admin/imports HTTP/1.1\r\nCookie: {cookie}").as_bytes(),
            b"",
        )
        .await;
        assert_eq!(r.status, 401, "{backend}: the API takes the token only");
        let csrf = page
            .body
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        let form = "venue=ICLR&year=2018&source=default&csrf=forged";
        let r = http(addr, format!("POST /admin/imports HTTP/1.1\r\nCookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}", form.len()).as_bytes(), form.as_bytes()).await;
        assert_eq!(r.status, 400, "a forged CSRF token is refused");
        let form = format!("venue=ICLR&year=2018&source=openreview-v1&csrf={csrf}");
        let r = http(addr, format!("POST /admin/imports HTTP/1.1\r\nCookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}", form.len()).as_bytes(), form.as_bytes()).await;
        assert_eq!(r.status, 303, "{backend}: {}", r.body);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let job = loop {
            let job = api(addr, "GET", "/api/admin/imports/1", "", Some(TOKEN))
                .await
                .json();
            if job["status"] == "done" || job["status"] == "failed" {
                break job;
            }
            assert!(std::time::Instant::now() < deadline, "{backend}: {job}");
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        };
        assert_eq!(job["status"], "done", "{backend}: {job}");
        assert_eq!(
            (
                job["fetched"].as_i64(),
                job["stored"].as_i64(),
                job["skipped"].as_i64()
            ),
            (Some(995), Some(337), Some(658))
        );
        let page = http(
            addr,
            format!("GET /admin HTTP/1.1\r\nCookie: {cookie}").as_bytes(),
            b"",
        )
        .await;
        assert!(
            page.body.contains("<td class=\"status\">done</td>"),
            "{}",
            page.body
        );

        // Stop the server; its log holds neither token.
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(server.id().to_string())
            .status();
        server.wait().unwrap();
        let log = log.join().unwrap();
        assert!(
            log.contains("admin request refused"),
            "{backend}: refusals are logged"
        );
        assert!(
            !log.contains(TOKEN) && !log.contains(wrong),
            "{backend}: {log}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_are_claimed_once_and_a_stopped_process_leaves_none_running() {
    for backend in backends() {
        let db = fresh_db(backend).await;
        let store = papers::store::connect(&db.url).await.unwrap();
        let params = r#"{"venue":"ICLR","year":2018}"#;
        let job = store.create_job("venue", params).await.unwrap();
        assert_eq!(job.status, papers::store::JobStatus::Queued);
        // Two workers race for one job: exactly one gets it.
        let (a, b) = tokio::join!(store.claim_job(), store.claim_job());
        let claimed: Vec<_> = [a.unwrap(), b.unwrap()].into_iter().flatten().collect();
        assert_eq!(claimed.len(), 1, "{backend}");
        assert_eq!(claimed[0].status, papers::store::JobStatus::Running);
        // Its process stops: a fresh heartbeat keeps it, a stale one queues it again.
        let now = papers::store::now();
        let reason = "resumed: the process running it stopped";
        assert_eq!(
            store.requeue_stale_jobs(now - 120, reason).await.unwrap(),
            0
        );
        assert_eq!(store.requeue_stale_jobs(now + 1, reason).await.unwrap(), 1);
        let job = store.job(job.id).await.unwrap().unwrap();
        assert_eq!(job.status, papers::store::JobStatus::Queued, "{backend}");
        assert_eq!(job.message, reason);
        assert!(store.claim_job().await.unwrap().is_some());
        store.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_imports_saved_files_and_prints_a_summary() {
    let Some(shared) = shared_dir() else { return };
    for backend in backends() {
        let db = fresh_db(backend).await;
        let dump = shared.join("data/openreview/api_v2_shape/iclr2024_notes_page.json");
        let (out, stdout, stderr) = common::run(
            db.papers()
                .args([
                    "import", "venue", "--venue", "ICLR", "--year", "2024", "--json",
                ])
                .arg("--from-file")
                .arg(&dump),
        );
        assert!(out.status.success(), "{backend}: {stderr}");
        let summary: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
        assert_eq!(
            (summary["fetched"].as_i64(), summary["stored"].as_i64()),
            (Some(3), Some(3)),
            "{stdout}"
        );
        let (out, stdout, stderr) = common::run(
            db.papers()
                .args([
                    "import",
                    "venue",
                    "--venue",
                    "icml",
                    "--year",
                    "2016",
                    "--from-file",
                ])
                .arg(shared.join("data/pmlr/v48_icml2016")),
        );
        assert!(out.status.success(), "{backend}: {stderr}");
        assert!(
            stdout.starts_with("ICML 2016: fetched 322, stored 322, unchanged 0, skipped 0"),
            "{stdout}"
        );
        let (_, stdout, _) = common::run(db.papers().args(["search", "--json", "venue:ICLR"]));
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&stdout).unwrap()["total"],
            3,
            "{backend}: the index follows"
        );
        let (out, _, stderr) = common::run(
            db.papers()
                .args(["import", "venue", "--venue", "NeurIPS", "--year", "2024"]),
        );
        assert!(!out.status.success());
        assert!(
            stderr.contains("unknown venue \"NEURIPS\": use one of ICLR, ICML"),
            "{stderr}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_venue_record_naming_its_arxiv_id_links_by_it() {
    for backend in backends() {
        let db = fresh_db(backend).await;
        let services = Services::open(&db.global()).await.unwrap();
        let mut preprint = common::paper(7);
        preprint.title = "An early title of the work".into();
        services
            .store
            .upsert_batch(&[preprint.clone()])
            .await
            .unwrap();
        services.catch_up().await.unwrap();
        // The camera-ready has another title; its PDF link names the arXiv version.
        let dump = db.dir.path().join("notes.json");
        let note = serde_json::json!({"notes": [{
            "id": "abcXYZ", "forum": "abcXYZ",
            "content": {
                "title": {"value": "The final title of the work"},
                "authors": {"value": ["Someone Else"]},
                "pdf": {"value": format!("https://arxiv.org/pdf/{}v2", preprint.id)},
                "venue": {"value": "ICLR 2024 spotlight"},
                "venueid": {"value": "ICLR.cc/2024/Conference"}
            }
        }]});
        std::fs::write(&dump, note.to_string()).unwrap();
        let req = ImportRequest {
            from_file: Some(dump),
            format: None,
            ..request("ICLR", 2024)
        };
        let out = import(&services, &VenueConfig::default(), &req).await;
        assert_eq!((out.stored, out.linked), (1, 1), "{backend}");
        let links = services
            .store
            .links_of(&[preprint.id.clone()])
            .await
            .unwrap();
        assert_eq!(links.len(), 1);
        assert_eq!(
            (links[0].id.as_str(), links[0].method.as_str()),
            ("openreview:abcXYZ", "arxiv-id")
        );
        let stamped = services
            .store
            .papers_by_id(&[preprint.id.clone()])
            .await
            .unwrap();
        assert_eq!(
            stamped[0].venue.as_ref().map(|v| v.to_string()).as_deref(),
            Some("ICLR 2024 Spotlight")
        );
        assert_eq!(
            stamped[0].title, preprint.title,
            "{backend}: the arXiv record keeps its own fields"
        );
        assert_eq!(
            services.index.all_ids().unwrap(),
            [preprint.id.clone()],
            "{backend}: one work, one document"
        );
        services.close().await.unwrap();
    }
}

/// Starts `papers serve` on `db` with the replay as its sources, logging at `log`; returns
/// the process, its address, and a thread that ends with the whole log once it stops.
fn spawn_server(
    db: &common::TestDb,
    config: &VenueConfig,
    interval: &str,
    log: &str,
    env: &[(&str, &std::ffi::OsStr)],
) -> (
    std::process::Child,
    std::net::SocketAddr,
    std::thread::JoinHandle<String>,
) {
    use std::io::BufRead;
    let mut server = db
        .papers()
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("PAPERS_ADMIN_TOKEN", TOKEN)
        .env("PAPERS_OPENREVIEW_URL", &config.openreview_url)
        .env("PAPERS_OPENREVIEW_V1_URL", &config.openreview_v1_url)
        .env("PAPERS_PMLR_URL", &config.pmlr_url)
        .env("PAPERS_VENUE_INTERVAL", interval)
        .env("RUST_LOG", log)
        .envs(env.iter().copied())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let stderr = server.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line.clone());
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let addr = loop {
        let line = rx.recv().expect("the server logs its address");
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.trim().parse().unwrap();
        }
    };
    (server, addr, reader)
}

/// Queues the ICML 2016 import (322 PMLR pages) on the server at `addr` and waits until 50
/// are fetched; its job id.
async fn import_icml_2016_under_way(addr: std::net::SocketAddr) -> i64 {
    let r = api(
        addr,
        "POST",
        "/api/admin/imports",
        r#"{"venue": "ICML", "year": 2016}"#,
        Some(TOKEN),
    )
    .await;
    let id = r.json()["id"].as_i64().unwrap();
    wait_for_job(addr, id, |j| j["fetched"].as_i64() >= Some(50)).await;
    id
}

async fn wait_for_job(
    addr: std::net::SocketAddr,
    id: i64,
    done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let job = api(
            addr,
            "GET",
            &format!("/api/admin/imports/{id}"),
            "",
            Some(TOKEN),
        )
        .await
        .json();
        if done(&job) {
            return job;
        }
        assert!(std::time::Instant::now() < deadline, "{job}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_stopping_mid_import_queues_the_job_and_the_next_start_finishes_it() {
    let Some(shared) = shared_dir() else { return };
    let replay = replay::start(&shared.join("data")).await;
    for backend in backends() {
        let db = fresh_db(backend).await;
        // 322 PMLR paper pages, 20 ms apart: time enough to stop the server mid-way.
        let (mut server, addr, _) = spawn_server(&db, &replay.config(), "0.02", "papers=info", &[]);
        let id = import_icml_2016_under_way(addr).await;
        // A client that never finishes its request does not hold the job up either.
        let mut stuck = tokio::net::TcpStream::connect(addr).await.unwrap();
        tokio::io::AsyncWriteExt::write_all(&mut stuck, b"GET /api/venues HTTP/1.1\r\nHo")
            .await
            .unwrap();
        let store = papers::store::connect(&db.url).await.unwrap();
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(server.id().to_string())
            .status();
        // Queued again at once, not when the server has drained its connections.
        let stopped = std::time::Instant::now();
        let job = loop {
            let job = store.job(id).await.unwrap().unwrap();
            if job.status != papers::store::JobStatus::Running {
                break job;
            }
            assert!(
                stopped.elapsed() < std::time::Duration::from_secs(2),
                "{backend}: still running 2 s after SIGTERM"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        };
        assert_eq!(
            job.status,
            papers::store::JobStatus::Queued,
            "{backend}: never left running"
        );
        assert!(server.wait().unwrap().success(), "{backend}: a clean stop");
        drop(stuck);
        assert!(job.message.contains("interrupted"), "{}", job.message);
        assert!(job.checkpoint.is_some() && job.fetched < 322, "{job:?}");
        store.close().await;

        let (mut server, addr, _) = spawn_server(&db, &replay.config(), "0", "papers=info", &[]);
        let job = wait_for_job(addr, id, |j| {
            j["status"] == "done" || j["status"] == "failed"
        })
        .await;
        assert_eq!(
            (job["status"].as_str(), job["fetched"].as_i64()),
            (Some("done"), Some(322)),
            "{backend}: {job}"
        );
        let r = get(addr, b"/api/venues").await;
        assert_eq!(r.json()["venues"][0]["count"], 322, "{backend}: {}", r.body);
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(server.id().to_string())
            .status();
        server.wait().unwrap();
    }
}

/// Two replicas on one PostgreSQL database: the job is claimed by one; that replica is killed
/// (SIGKILL) mid-import; the other finds its heartbeat stale, resumes it from its checkpoint
/// and finishes it, with every paper stored once and searchable on the replica that ran it
/// as soon as the job says done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_mid_job_leaves_it_to_another_without_duplicates() {
    let Some(shared) = shared_dir() else { return };
    if !backends().contains(&"postgres") {
        eprintln!("NOTE: replicas need PostgreSQL (TEST_DATABASE_URL): NOT tested");
        return;
    }
    let replay = replay::start(&shared.join("data")).await;
    let db = fresh_db("postgres").await;
    let dirs: Vec<_> = ["a", "b"].iter().map(|n| db.dir.path().join(n)).collect();
    let stale: &std::ffi::OsStr = "3".as_ref();
    let replica = |dir: &std::path::PathBuf, interval| {
        let env = [
            ("PAPERS_DATA_DIR", dir.as_os_str()),
            ("PAPERS_JOB_STALE_SECS", stale),
        ];
        spawn_server(&db, &replay.config(), interval, "papers=info", &env)
    };
    let (mut first, first_addr, _) = replica(&dirs[0], "0.02");
    let id = import_icml_2016_under_way(first_addr).await;
    // The second replica starts while the first runs the job: it must not take it.
    let (mut second, second_addr, _) = replica(&dirs[1], "0");
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let job = api(
        second_addr,
        "GET",
        &format!("/api/admin/imports/{id}"),
        "",
        Some(TOKEN),
    )
    .await
    .json();
    assert_eq!(job["status"], "running", "{job}");
    first.kill().unwrap();
    first.wait().unwrap();

    let job = wait_for_job(second_addr, id, |j| {
        j["status"] == "done" || j["status"] == "failed"
    })
    .await;
    assert_eq!(
        (job["status"].as_str(), job["fetched"].as_i64()),
        (Some("done"), Some(322)),
        "{job}"
    );
    assert!(job["message"].as_str().unwrap_or("").contains("resumed") || job["fetched"] == 322);
    // Done means searchable on the replica that finished it: every paper, each once.
    let r = get(second_addr, b"/api/search?venue=ICML&limit=1").await;
    assert_eq!(r.json()["total"], 322, "{}", r.body);
    let store = papers::store::connect(&db.url).await.unwrap();
    assert_eq!(store.count().await.unwrap(), 322);
    store.close().await;
    let _ = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(second.id().to_string())
        .status();
    second.wait().unwrap();
}
