//! The daily reading workflow, server side, on both backends: cards with whole abstracts and
//! their links, folded authors, separators, several ids at once, the starred page, daily
//! lists (sections, previous day, unread categories, unknown ones, the feed = the page) and
//! venue pages, feeds, dates and list imports.

mod common;

use common::{backends, fresh_db, get, paper};
use papers::domain::{AnnounceKind, Announcement, Date, Paper};
use papers::store::Extras;

fn titles_in_order(body: &str, ids: &[&str]) -> Vec<usize> {
    ids.iter()
        .map(|id| {
            body.find(&format!("data-id=\"{id}\""))
                .unwrap_or_else(|| panic!("{id} is not on the page"))
        })
        .collect()
}

/// An announced day in cs.CL: two new submissions, one cross-list, one replacement; and a
/// paper submitted the day before (no announcements then).
async fn announced_day(db: &common::TestDb) -> Vec<Paper> {
    let day = Date::new(2026, 11, 27).unwrap();
    let mut papers: Vec<Paper> = (1..=5).map(paper).collect();
    for p in &mut papers {
        p.categories = vec!["cs.CL".into()];
        p.published = Date::new(2026, 11, 26);
    }
    papers[4].published = Date::new(2026, 11, 20);
    papers[0].authors = (0..25).map(|i| format!("Author{i} Name")).collect();
    let kinds = [
        AnnounceKind::New,
        AnnounceKind::New,
        AnnounceKind::Cross,
        AnnounceKind::Replace,
    ];
    let announcements: Vec<Announcement> = papers[..4]
        .iter()
        .zip(kinds)
        .map(|(p, kind)| Announcement {
            paper_id: p.id.clone(),
            category: "cs.CL".into(),
            day,
            kind,
        })
        .collect();
    let store = papers::store::connect(&db.url).await.unwrap();
    let extras = Extras {
        announcements: &announcements,
        ..Extras::default()
    };
    store.write_batch(&papers, extras).await.unwrap();
    store.close().await;
    papers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_days_list_shows_whole_papers_with_their_links_and_sections() {
    for backend in backends() {
        let db = fresh_db(backend).await;
        let papers = announced_day(&db).await;
        let (addr, services) = common::serve(&db, &[]).await;
        let page = get(addr, b"/arxiv/cs.CL").await;
        assert_eq!(page.status, 200, "{backend}");
        let body = &page.body;
        // Whole abstracts, a PDF and a BibTeX link per card.
        for p in &papers[..4] {
            assert!(
                body.contains(&p.abstract_text),
                "{backend}: abstract of {}",
                p.id
            );
            assert!(body.contains(&format!("href=\"https://arxiv.org/pdf/{}\"", p.id)));
            assert!(body.contains(&format!("href=\"/bibtex/{}\"", p.id)));
            assert!(body.contains(&format!("data-star=\"{}\"", p.id)));
        }
        // 25 authors: 10 shown, 15 folded.
        assert!(
            body.contains("Author9 Name<details"),
            "{backend}: authors not folded"
        );
        assert!(body.contains("… and 15 more"), "{backend}");
        // Sections with jump links and counts.
        assert!(
            body.contains("<a href=\"#new\">New submissions (2)</a>"),
            "{body}"
        );
        assert!(body.contains("<a href=\"#cross\">Cross-lists (1)</a>"));
        assert!(body.contains("<a href=\"#replace\">Replacements (1)</a>"));
        assert!(body.contains("id=\"new\""));
        // Before the first announced day, the days by submission date, and a date picker.
        assert!(
            body.contains("rel=\"prev\" href=\"/arxiv/cs.CL?date=2026-11-26\""),
            "{backend}: no previous day"
        );
        let before = get(addr, b"/arxiv/cs.CL?date=2026-11-26").await;
        assert!(before.body.contains("by first submission date"));
        assert!(
            before
                .body
                .contains("rel=\"prev\" href=\"/arxiv/cs.CL?date=2026-11-20\"")
        );
        assert!(body.contains("type=\"date\" name=\"date\""));
        // The feed carries the page's papers in the page's order.
        let feed = get(addr, b"/arxiv/cs.CL/feed").await;
        assert_eq!(feed.status, 200);
        let page_order = ["2401.00002", "2401.00001", "2401.00003", "2401.00004"];
        let on_page = titles_in_order(body, &page_order);
        assert!(
            on_page.windows(2).all(|w| w[0] < w[1]),
            "{backend}: page order"
        );
        let in_feed: Vec<usize> = page_order
            .iter()
            .map(|id| {
                feed.body
                    .find(&format!("/arxiv/{id}</id>"))
                    .expect("in the feed")
            })
            .collect();
        assert!(
            in_feed.windows(2).all(|w| w[0] < w[1]),
            "{backend}: feed order differs from the page"
        );
        assert!(
            !feed.body.contains("2401.00005"),
            "the feed holds the page's papers only"
        );

        // A union with a category whose list was not read says so.
        let union = get(addr, b"/arxiv/cs.CL,cs.AI").await;
        assert_eq!(union.status, 200);
        assert!(
            union
                .body
                .contains("No daily list of cs.AI was read for this day"),
            "{backend}"
        );
        // An unknown category is a 404, page and feed.
        for target in [
            &b"/arxiv/cs.XX"[..],
            b"/arxiv/cs.XX/feed",
            b"/arxiv/cs.CL,cs.XX",
        ] {
            let r = get(addr, target).await;
            assert_eq!(r.status, 404, "{}", String::from_utf8_lossy(target));
        }
        assert!(
            get(addr, b"/arxiv/cs.XX")
                .await
                .body
                .contains("cs.XX is not an arXiv category")
        );

        // BibTeX as text.
        let bib = get(addr, b"/bibtex/2401.00001").await;
        assert_eq!(bib.status, 200);
        assert!(bib.headers.contains("content-type: text/plain"));
        assert!(bib.body.starts_with("@misc{"), "{}", bib.body);
        assert_eq!(get(addr, b"/bibtex/2401.99999").await.status, 404);
        services.close().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_ids_and_the_starred_page_list_papers_in_the_order_given() {
    for backend in backends() {
        let db = fresh_db(backend).await;
        let papers: Vec<Paper> = (1..=1_200).map(paper).collect();
        let (addr, services) = common::serve(&db, &papers).await;
        let r = get(addr, b"/arxiv/2401.00003,2401.00001v2").await;
        assert_eq!(r.status, 200, "{backend}");
        let at = titles_in_order(&r.body, &["2401.00003", "2401.00001"]);
        assert!(at[0] < at[1], "{backend}: not in the order given");
        assert!(r.body.contains("2 papers"));

        let r = get(addr, b"/starred?ids=2401.00002,2401.09999,2401.00001").await;
        assert_eq!(r.status, 200);
        let at = titles_in_order(&r.body, &["2401.00002", "2401.00001"]);
        assert!(at[0] < at[1]);
        assert!(r.body.contains("id=\"starred-page\""));
        assert!(r.body.contains("Not stored here: 2401.09999"), "{backend}");
        let all = r.body.split("id=\"all-bibtex\"").nth(1).unwrap();
        assert_eq!(
            all.matches("@misc{").count(),
            2,
            "{backend}: copy-all BibTeX"
        );
        let empty = get(addr, b"/starred").await;
        assert_eq!(empty.status, 200);
        assert!(empty.body.contains("No starred papers in this browser yet"));

        // Thousands separators.
        let home = get(addr, b"/").await;
        assert!(home.body.contains("Latest of 1,200 papers"), "{backend}");
        let search = get(addr, b"/search?q=study").await;
        assert!(
            search.body.contains("<span id=\"total\">1,200</span>"),
            "{backend}"
        );
        services.close().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn venue_pages_feeds_and_dates_place_a_work_in_its_edition() {
    for backend in backends() {
        let db = fresh_db(backend).await;
        // Through the JSON-lines import, without dates: each gets its edition's.
        let file = db.dir.path().join("venue.jsonl");
        let lines: Vec<String> = [(1, "Poster"), (2, "Oral"), (3, "Spotlight")]
            .iter()
            .map(|(i, t)| {
                let p = paper(100 + i);
                serde_json::json!({
                    "id": format!("openreview:forum{i}"), "title": p.title,
                    "abstract": p.abstract_text, "authors": p.authors,
                    "venue": "ICLR", "year": 2024, "track": t,
                })
                .to_string()
            })
            .collect();
        std::fs::write(&file, lines.join("\n")).unwrap();
        let (out, _, stderr) = common::run(db.papers().args(["import", "jsonl"]).arg(&file));
        assert!(out.status.success(), "{stderr}");
        let (addr, services) = common::serve(&db, &[]).await;
        let found = common::api(addr, "/api/search?q=venue:ICLR+year:2024").await;
        assert_eq!(found["total"], 3, "{backend}: {found}");
        assert_eq!(found["hits"][0]["published"], "2024-05-07");

        let page = get(addr, b"/venue/ICLR.2024").await;
        assert_eq!(page.status, 200);
        let order: Vec<usize> = [">Oral <", ">Spotlight <", ">Poster <"]
            .iter()
            .map(|t| page.body.find(t).unwrap_or_else(|| panic!("no tab {t}")))
            .collect();
        assert!(
            order.windows(2).all(|w| w[0] < w[1]),
            "{backend}: tabs out of order"
        );
        assert!(
            page.body.contains("name=\"venue\" value=\"ICLR\""),
            "no search-in-venue box"
        );
        assert!(
            page.body
                .contains("href=\"https://openreview.net/forum?id=forum1\"")
        );
        assert!(
            page.body
                .contains("href=\"https://openreview.net/pdf?id=forum1\"")
        );

        for target in ["/venue/ICLR.2024/feed?group=Oral", "/venue/ICLR/feed"] {
            let feed = get(addr, target.as_bytes()).await;
            assert_eq!(feed.status, 200, "{target}");
            assert!(
                !feed.body.contains("1970-01-01"),
                "{target}: undated entries"
            );
            for link in feed.body.split("<link href=\"").skip(1) {
                let url = link.split('"').next().unwrap();
                if let Some(path) = url.strip_prefix("http://localhost") {
                    let r = get(addr, path.as_bytes()).await;
                    assert_eq!(r.status, 200, "{backend}: feed link {url}");
                }
            }
        }
        let oral = get(addr, b"/venue/ICLR.2024/feed?group=Oral").await;
        assert!(
            oral.body.contains("<title>papers: ICLR 2024 Oral</title>"),
            "{}",
            oral.body
        );
        let bib = get(addr, b"/bibtex/openreview:forum2").await;
        assert!(bib.body.starts_with("@inproceedings{"), "{}", bib.body);
        assert!(bib.body.contains(
            "booktitle = {International Conference on Learning Representations (ICLR 2024)}"
        ));
        services.close().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn venue_lists_import_from_gzip_and_a_wrong_shape_fails_at_once() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let lists = shared.join("data/venues");
    for backend in backends() {
        let db = fresh_db(backend).await;
        let import = |args: &[&str], file: &std::path::Path| {
            let mut cmd = db.papers();
            cmd.args(["import", "venue"])
                .args(args)
                .arg("--from-file")
                .arg(file);
            common::run(&mut cmd)
        };
        // A Paper Copilot list read as an OpenReview dump: one line, non-zero, nothing stored.
        let copilot = lists.join("papercopilot/iclr2018.json.gz");
        let (out, stdout, stderr) = import(&["--venue", "ICLR", "--year", "2018"], &copilot);
        assert!(!out.status.success(), "{backend}: {stdout}");
        assert!(stderr.contains("expected OpenReview notes"), "{stderr}");
        assert!(stderr.contains("--format papercopilot"), "{stderr}");
        assert!(
            stderr.lines().count() <= 3,
            "{backend}: a flood of warnings: {stderr}"
        );

        let (out, stdout, stderr) = import(
            &[
                "--venue",
                "ICLR",
                "--year",
                "2018",
                "--format",
                "papercopilot",
            ],
            &copilot,
        );
        assert!(out.status.success(), "{backend}: {stderr}");
        // 23 Oral + 314 Poster accepted; the rest skipped.
        assert!(stdout.contains("fetched 995, stored 337"), "{stdout}");
        let airas = lists.join("airas_papers_db/iclr_2024.json.gz");
        let (out, stdout, stderr) = import(
            &["--venue", "ICLR", "--year", "2024", "--format", "airas"],
            &airas,
        );
        assert!(out.status.success(), "{backend}: {stderr}");
        // 2,382 entries of 2,287 distinct ids (the list repeats some of its papers).
        assert!(stdout.contains("fetched 2382,"), "{stdout}");

        let (addr, services) = common::serve(&db, &[]).await;
        let y2018 = common::api(addr, "/api/search?q=venue:ICLR+year:2018&limit=1").await;
        assert_eq!(y2018["total"], 337, "{backend}");
        let y2024 = common::api(addr, "/api/search?q=venue:ICLR+year:2024&limit=1").await;
        assert_eq!(y2024["total"], 2287, "{backend}");
        services.close().await.unwrap();
    }
}
