//! The web server on a real port: pages, JSON, escaping of hostile text, bad requests.

mod common;

use common::{api, backends, fresh_db, get, http, ids, paper, serve, serve_state};
use papers::domain::Paper;
use papers::web::AppState;

/// A paper whose fields attack HTML, XML and terminals, normalised as every import does.
fn hostile() -> Paper {
    let mut p = Paper {
        id: "2402.66666".into(),
        title: "<script>alert('t')</script> Hostile zebra".into(),
        abstract_text: "Ends the CDATA ]]> and tries \"><img src=x onerror=alert(1)> zebra \u{7}\u{1b}[31m\u{0}".into(),
        authors: vec!["\"><img src=x onerror=alert(2)>".into()],
        categories: vec!["cs.CR".into()],
        ..Paper::default()
    };
    p.normalise();
    assert!(
        !p.abstract_text.contains(['\u{0}', '\u{7}', '\u{1b}']),
        "imports drop control characters"
    );
    p
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
            page.body.contains(
                "&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt; Hostile <mark>zebra</mark>"
            ),
            "{backend}: {}",
            page.body
        );
        assert!(
            page.body
                .contains("<span id=\"total\">1</span> papers match"),
            "{backend}: {}",
            page.body
        );

        let api = get(addr, b"/api/search?q=zebra&limit=5&utm_source=x&unknown=1").await;
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
    assert!(
        r.body.contains("<span id=\"total\">0</span> papers match"),
        "{}",
        r.body
    );

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

/// A small library with known dates and categories, for the query language and listings.
fn library() -> Vec<Paper> {
    let p =
        |id: &str, title: &str, abs: &str, authors: &[&str], cats: &[&str], date: (u16, u8, u8)| {
            Paper {
                id: id.into(),
                title: title.into(),
                abstract_text: abs.into(),
                authors: authors.iter().map(|a| a.to_string()).collect(),
                categories: cats.iter().map(|c| c.to_string()).collect(),
                published: papers::domain::Date::new(date.0, date.1, date.2),
                updated: papers::domain::Date::new(date.0, date.1, date.2),
                ..Paper::default()
            }
        };
    let mut all = vec![
        p(
            "2401.00001",
            "Message passing neural networks",
            "Graph neural networks pass messages.",
            &["Ada Lovelace"],
            &["cs.LG", "cs.AI"],
            (2024, 1, 10),
        ),
        p(
            "2401.00002",
            "Neural message decoding",
            "Decoding networks for channels $O(n \\log n)$.",
            &["Alan Turing"],
            &["cs.IT"],
            (2024, 1, 10),
        ),
        p(
            "2402.00003",
            "A survey of graph networks",
            "We survey graph neural networks.",
            &["Grace Hopper"],
            &["cs.LG", "cs.CY"],
            (2024, 2, 5),
        ),
        p(
            "2002.00004",
            "Graph kernels",
            "Kernels on graphs, before deep learning.",
            &["Ada Lovelace"],
            &["stat.ML"],
            (2020, 2, 1),
        ),
        p(
            "hep-th/9901001",
            "Strings on graphs",
            "Graph theory meets string theory.",
            &["E. Noether"],
            &["hep-th"],
            (1999, 1, 4),
        ),
    ];
    all[0].venue = Some(papers::domain::Venue {
        name: "ICML".into(),
        year: 2024,
        track: None,
    });
    all[2].venue = Some(papers::domain::Venue {
        name: "ICLR".into(),
        year: 2024,
        track: Some("Oral".into()),
    });
    all
}

#[tokio::test]
async fn the_query_language_end_to_end() {
    for backend in backends() {
        let db = fresh_db(backend).await;
        let (addr, _services) = serve(&db, &library()).await;
        let cases: &[(&str, &[&str])] = &[
            ("%22message+passing%22", &["2401.00001"]),
            ("message+-decoding", &["2401.00001"]),
            (
                "graph+-%22neural+networks%22",
                &["2002.00004", "hep-th/9901001"],
            ),
            ("ti:survey", &["2402.00003"]),
            ("au:%22ada+lovelace%22", &["2401.00001", "2002.00004"]),
            ("abs:kernels", &["2002.00004"]),
            ("graph+cat:cs.lg", &["2401.00001", "2402.00003"]),
            ("graph+year:2019..2020", &["2002.00004"]),
            ("-graph+-neural+-strings", &[]),
            ("venue:ICLR", &["2402.00003"]),
            ("graph+venue:iclr", &["2402.00003"]),
        ];
        for (q, want) in cases {
            let json = api(addr, &format!("/api/search?q={q}")).await;
            let mut got = ids(&json);
            got.sort();
            let mut want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
            want.sort();
            assert_eq!(got, want, "{backend}: {q}: {}", json["query"]);
        }
        let json = api(addr, "/api/search?q=graph+%22unclosed").await;
        assert_eq!(json["query"]["notes"][0], "unbalanced quote ignored");
        assert_eq!(json["query"]["read_as"], "graph unclosed");

        let json = api(addr, "/api/search?q=graph&sort=newest").await;
        assert_eq!(ids(&json)[0], "2402.00003", "{backend}: newest first");
        let json = api(
            addr,
            "/api/search?q=graph&category=cs.LG,hep-th&from=1999-01-01&to=2024-01-31",
        )
        .await;
        let mut got = ids(&json);
        got.sort();
        assert_eq!(got, ["2401.00001", "hep-th/9901001"], "{backend}: {json}");
        let facets = &json["facets"]["categories"];
        assert!(
            facets
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["value"] == "hep-th" && f["count"] == 1),
            "{facets}"
        );
        let json = api(addr, "/api/search?q=decoding+log").await;
        let h = &json["hits"][0]["highlights"];
        assert_eq!(
            h["title"], "Neural message <mark>decoding</mark>",
            "{backend}: the whole title"
        );
        assert_eq!(
            h["abstract"], "<mark>Decoding</mark> networks for channels $O(n \\log n)$.",
            "{backend}: no mark inside math, nothing cut"
        );
        let json = api(addr, "/api/search?q=graph&venue=ICLR,ICML").await;
        assert_eq!(json["total"], 2, "{backend}: {json}");
        let venues = &json["facets"]["venues"];
        assert!(
            venues
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["value"] == "ICLR" && f["count"] == 1),
            "{venues}"
        );
        let hit = json["hits"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["id"] == "2402.00003")
            .unwrap();
        assert_eq!(
            (&hit["venue"], &hit["year"], &hit["track"]),
            (&"ICLR".into(), &2024.into(), &"Oral".into())
        );
        let page = get(addr, b"/search?q=graph").await;
        assert!(
            page.body
                .contains("<span class=\"venue\">ICLR 2024 Oral</span>"),
            "{backend}"
        );
        assert!(page.body.contains("<h3>Venue</h3>"), "{backend}");
        let json = api(addr, "/api/search?q=graph").await;
        assert_eq!(
            json["facets"]["years"][0]["value"], "2024",
            "years newest first: {}",
            json["facets"]
        );
        let hit = &json["hits"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["id"] == "2402.00003")
            .unwrap()["highlights"];
        assert!(
            hit["title"]
                .as_str()
                .unwrap()
                .contains("<mark>graph</mark>"),
            "{hit}"
        );
    }
}

#[tokio::test]
async fn paper_pages_listings_feeds_and_the_api() {
    let db = fresh_db("sqlite").await;
    let (addr, _services) = serve(&db, &library()).await;

    let page = get(addr, b"/arxiv/hep-th/9901001").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("Strings on graphs") && page.body.contains("@misc{noether1999strings")
    );
    assert!(page.body.contains("https://arxiv.org/pdf/hep-th/9901001"));
    assert_eq!(
        get(addr, b"/arxiv/2401.00002v3").await.status,
        200,
        "versions resolve"
    );
    assert_eq!(get(addr, b"/arxiv/2501.99999").await.status, 404);
    assert_eq!(get(addr, b"/arxiv/not-a-thing").await.status, 404);

    let redirect = get(addr, b"/search?q=arXiv:2401.00001v2").await;
    assert_eq!(redirect.status, 303);
    assert!(redirect.headers.contains("location: /arxiv/2401.00001"));

    // The latest day of cs.LG or cs.IT, then the day before it.
    let listing = get(addr, b"/arxiv/cs.LG,cs.IT").await;
    assert_eq!(listing.status, 200);
    assert!(
        listing.body.contains("2024-02-05") && listing.body.contains("A survey of graph networks")
    );
    assert!(
        listing
            .body
            .contains("href=\"/arxiv/cs.LG,cs.IT?date=2024-01-10\""),
        "previous day link"
    );
    let day = get(addr, b"/arxiv/cs.LG,cs.IT?date=2024-01-10").await;
    assert!(day.body.contains("Message passing") && day.body.contains("Neural message decoding"));
    let without = get(addr, b"/arxiv/cs.LG+cs.IT-cs.CY").await;
    assert!(
        !without.body.contains("A survey of graph networks"),
        "cs.CY excluded"
    );
    assert!(without.body.contains("2024-01-10"));
    assert_eq!(get(addr, b"/arxiv/cs.LG?date=someday").await.status, 400);

    for feed in ["/arxiv/cs.LG,cs.IT/feed", "/search/feed?q=graph"] {
        let r = get(addr, feed.as_bytes()).await;
        assert_eq!(r.status, 200, "{feed}");
        assert!(
            r.headers.contains("content-type: application/atom+xml"),
            "{}",
            r.headers
        );
        let entries = atom_entries(&r.body);
        assert!(!entries.is_empty(), "{feed}: {}", r.body);
    }
    let os = get(addr, b"/opensearch.xml").await;
    assert!(
        os.body
            .contains("template=\"http://localhost/search?q={searchTerms}\""),
        "{}",
        os.body
    );

    let paper = api(addr, "/api/papers/hep-th/9901001v2").await;
    assert_eq!(paper["title"], "Strings on graphs");
    let missing = get(addr, b"/api/papers/2501.99999").await;
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("\"code\":\"not_found\""));
    let cats = api(addr, "/api/categories").await;
    assert_eq!(
        cats["categories"][0],
        serde_json::json!({"value": "cs.LG", "count": 2})
    );
    let bad = get(addr, b"/api/search?q=x&page=abc").await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.body.contains("\"code\":\"bad_request\""),
        "{}",
        bad.body
    );
}

/// Parses an Atom document strictly and returns its entries' titles.
fn atom_entries(xml: &str) -> Vec<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let (mut path, mut titles, mut saw_feed) = (Vec::<String>::new(), Vec::new(), false);
    let mut title = String::new();
    let in_entry_title =
        |path: &[String]| path.ends_with(&["entry".to_string(), "title".to_string()]);
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => {
                let name = e.name().0.to_string();
                if name == "feed" {
                    let ns = e.try_get_attribute("xmlns").unwrap().unwrap();
                    assert_eq!(&*ns.value, "http://www.w3.org/2005/Atom");
                    saw_feed = true;
                }
                path.push(name);
            }
            Event::End(_) => {
                if in_entry_title(&path) {
                    titles.push(std::mem::take(&mut title));
                }
                path.pop();
            }
            Event::Text(t) if in_entry_title(&path) => title.push_str(&t),
            Event::GeneralRef(r) if in_entry_title(&path) => {
                title.push_str(&format!("&{};", &*r));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert!(saw_feed && path.is_empty());
    titles
}

#[tokio::test]
async fn feeds_carry_hostile_text_safely() {
    let db = fresh_db("sqlite").await;
    let (addr, _services) = serve(&db, &[hostile()]).await;
    let r = get(addr, b"/search/feed?q=zebra").await;
    assert!(!r.body.contains("<script>"), "{}", r.body);
    assert!(!r.body.contains("]]>"), "{}", r.body);
    let titles = atom_entries(&r.body);
    assert_eq!(titles.len(), 1);
}

#[tokio::test]
async fn overload_big_bodies_and_wrong_methods_get_json_errors() {
    let db = fresh_db("sqlite").await;
    let (_addr, services) = serve(&db, &[paper(1)]).await;
    let mut state = AppState::new(services.store.clone(), services.index.clone());
    state.search_slots = papers::web::SearchSlots::new(0, 0);
    let busy = serve_state(state).await;
    let r = get(busy, b"/api/search?q=graph").await;
    assert_eq!(r.status, 429, "{}", r.body);
    assert!(r.headers.contains("retry-after: 1"), "{}", r.headers);
    assert_eq!(r.json()["error"]["code"], "too_many_requests");

    let (addr, _services) = serve(&db, &[]).await;
    let big = vec![b'x'; 100_000];
    let head = format!("POST /api/search HTTP/1.1\r\nContent-Length: {}", big.len());
    let r = http(addr, head.as_bytes(), &big).await;
    assert_eq!(r.status, 413, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "payload_too_large");
    let r = http(addr, b"POST /api/search HTTP/1.1\r\nContent-Length: 0", b"").await;
    assert_eq!(r.status, 405, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "method_not_allowed");
    let r = get(addr, b"/api/no/such/thing").await;
    assert_eq!(
        (r.status, r.json()["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
}

/// The errors rewritten as JSON (405, an unknown `/api` path, 413) carry the same security
/// headers as a page.
#[tokio::test]
async fn rewritten_api_errors_carry_the_security_headers() {
    let db = fresh_db("sqlite").await;
    let (addr, _services) = serve(&db, &[]).await;
    let security = |r: &common::Response| -> Vec<String> {
        r.headers
            .lines()
            .filter(|l| {
                [
                    "content-security-policy:",
                    "x-content-type-options:",
                    "referrer-policy:",
                ]
                .iter()
                .any(|name| l.starts_with(name))
            })
            .map(str::to_string)
            .collect()
    };
    let page = security(&get(addr, b"/").await);
    assert_eq!(page.len(), 3, "{page:?}");
    let big = vec![b'x'; 100_000];
    let head = format!("POST /api/search HTTP/1.1\r\nContent-Length: {}", big.len());
    let errors = [
        (
            405,
            http(addr, b"POST /api/search HTTP/1.1\r\nContent-Length: 0", b"").await,
        ),
        (404, get(addr, b"/api/no/such/thing").await),
        (413, http(addr, head.as_bytes(), &big).await),
    ];
    for (status, r) in errors {
        assert_eq!(r.status, status, "{}", r.body);
        assert!(r.headers.contains("application/json"), "{}", r.headers);
        assert_eq!(security(&r), page, "{status}: {}", r.headers);
    }
}

/// A chunked JSON body over the limit is 413, like one whose length says so up front.
#[tokio::test]
async fn a_chunked_body_over_the_limit_is_413() {
    let db = fresh_db("sqlite").await;
    let services = papers::services::Services::open(&db.global())
        .await
        .unwrap();
    let state = papers::web::AppState::new(services.store.clone(), services.index.clone())
        .with_admin_token(Some("chunked-test-token".into()));
    let addr = common::serve_state(state).await;
    let head = "POST /api/admin/imports HTTP/1.1\r\nAuthorization: Bearer chunked-test-token\r\n\
                Content-Type: application/json\r\nTransfer-Encoding: chunked";
    let chunk = format!("{{\"venue\":\"{}", "x".repeat(8 * 1024));
    let mut body = Vec::new();
    for _ in 0..10 {
        body.extend_from_slice(format!("{:x}\r\n{chunk}\r\n", chunk.len()).as_bytes());
    }
    body.extend_from_slice(b"0\r\n\r\n");
    let r = http(addr, head.as_bytes(), &body).await;
    assert_eq!(r.status, 413, "{}", r.body);
    assert!(r.body.contains("payload_too_large"), "{}", r.body);
    let small = b"{\"venue\":\"NOPE\",\"year\":2024}";
    let mut body = format!("{:x}\r\n", small.len()).into_bytes();
    body.extend_from_slice(small);
    body.extend_from_slice(b"\r\n0\r\n\r\n");
    let r = http(addr, head.as_bytes(), &body).await;
    assert_eq!(r.status, 400, "a small chunked body is read: {}", r.body);
}

/// Facet counts are what clicking the facet finds, across segments and after updates.
#[tokio::test]
async fn facet_counts_match_what_each_filter_finds() {
    let db = fresh_db("sqlite").await;
    let varied = |i: usize| {
        let mut p = paper(i);
        p.categories = [["cs.CL"], ["cs.LG"], ["math.OC"]][i % 3]
            .iter()
            .chain(["stat.ML"].iter().filter(|_| i.is_multiple_of(4)))
            .map(|c| c.to_string())
            .collect();
        p.published = papers::domain::Date::new(2019 + (i % 5) as u16, 3, 1);
        p
    };
    let (addr, services) = serve(&db, &(0..300).map(varied).collect::<Vec<_>>()).await;
    // Two more commits (more segments); the second moves some papers to another category.
    for batch in [300..600, 0..100] {
        let papers: Vec<Paper> = batch
            .map(|i| {
                let mut p = varied(i);
                if i < 100 {
                    p.categories = vec!["q-bio.BM".into()];
                }
                p
            })
            .collect();
        services.store.upsert_batch(&papers).await.unwrap();
        services.catch_up().await.unwrap();
    }
    let all = api(addr, "/api/search?q=experiments").await;
    assert_eq!(all["total"], 600);
    assert_eq!(all["facets"]["counted"], 600);
    let categories = all["facets"]["categories"].as_array().unwrap();
    assert_eq!(categories[0]["value"], "cs.LG", "{categories:?}");
    assert!(
        categories
            .iter()
            .any(|c| c["value"] == "q-bio.BM" && c["count"] == 100)
    );
    for facet in categories {
        let value = facet["value"].as_str().unwrap();
        let filtered = api(addr, &format!("/api/search?q=experiments&category={value}")).await;
        assert_eq!(filtered["total"], facet["count"], "category {value}");
    }
    let years = all["facets"]["years"].as_array().unwrap();
    let listed: Vec<&str> = years.iter().map(|y| y["value"].as_str().unwrap()).collect();
    assert_eq!(listed, ["2023", "2022", "2021", "2020", "2019"]);
    for facet in years {
        let year = facet["value"].as_str().unwrap();
        let filtered = api(addr, &format!("/api/search?q=experiments+year:{year}")).await;
        assert_eq!(filtered["total"], facet["count"], "year {year}");
    }
}

#[tokio::test]
async fn facets_count_every_match() {
    let db = fresh_db("sqlite").await;
    let papers: Vec<_> = (0..1_100).map(paper).collect();
    let (addr, _services) = serve(&db, &papers).await;
    let narrow = api(addr, "/api/search?q=%22protein+folding%22").await;
    assert_eq!(
        (
            narrow["total"].as_u64(),
            narrow["facets"]["counted"].as_u64()
        ),
        (Some(220), Some(220))
    );
    assert_eq!(
        narrow["facets"]["categories"][0],
        serde_json::json!({"value": "cs.LG", "count": 220})
    );
    let broad = api(addr, "/api/search?q=experiments").await;
    assert_eq!(
        (broad["total"].as_u64(), broad["facets"]["counted"].as_u64()),
        (Some(1_100), Some(1_100))
    );
}

#[tokio::test]
async fn papers_base_url_is_the_address_of_every_absolute_link() {
    let db = fresh_db("sqlite").await;
    let services = papers::services::Services::open(&db.global())
        .await
        .unwrap();
    services
        .store
        .upsert_batch(&(0..3).map(paper).collect::<Vec<_>>())
        .await
        .unwrap();
    services.catch_up().await.unwrap();
    let mut state = AppState::new(services.store.clone(), services.index.clone());
    state.base_url = Some("https://papers.example.org".into());
    let addr = serve_state(state).await;
    for target in [
        "/search/feed?q=study",
        "/arxiv/cs.LG/feed",
        "/opensearch.xml",
    ] {
        let head = format!(
            "GET {target} HTTP/1.1\r\nX-Forwarded-Host: evil.example\r\nHost: evil.example"
        );
        let r = http(addr, head.as_bytes(), b"").await;
        assert_eq!(r.status, 200, "{target}");
        assert!(
            !r.body.contains("evil.example"),
            "{target} echoes the Host: {}",
            r.body
        );
        assert!(
            r.body.contains("https://papers.example.org/"),
            "{target}: {}",
            r.body
        );
    }
    services.close().await.unwrap();
}
