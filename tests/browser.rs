//! End to end in headless Chromium: search, filter, page, open a paper, the FAQ streaming in,
//! the daily reading workflow (whole abstracts, keys, stars and their export to a fresh
//! profile), venue feeds, every kind of page at phone width, rendered math, dark mode.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them); without them
//! the test is skipped, unless `CI=true`. Screenshots of every step go to
//! `target/browser-screenshots/` for people to look at.

mod common;

use anyhow::{Context, anyhow, ensure};
use common::llm::{Mode, StandIn};
use common::{fresh_db, run, write_jsonl};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use papers::domain::{Date, Paper};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
const QUERY: &str = "transformer";
/// Papers in the corpus, all matching [`QUERY`].
const TOTAL: usize = 45;
/// Of which this many are in cs.LG: more than a page (20), so the filtered results page on.
const IN_CS_LG: usize = 27;
const PAGE_SIZE: usize = 20;

/// The corpus: every paper mentions [`QUERY`] and has math in its abstract; every third
/// title has math too. Primary categories cs.LG, cs.CL, cs.CV; dates from 2019 to 2024.
fn corpus() -> Vec<Paper> {
    const TOPICS: [&str; 5] = [
        "sparse attention",
        "protein structure",
        "speech recognition",
        "image segmentation",
        "code generation",
    ];
    (0..TOTAL)
        .map(|i| {
            let topic = TOPICS[i % TOPICS.len()];
            let primary = match i {
                i if i < IN_CS_LG => "cs.LG",
                i if i < IN_CS_LG + 11 => "cs.CL",
                _ => "cs.CV",
            };
            let mut categories = vec![primary.to_string()];
            if i % 2 == 0 {
                categories.push("stat.ML".into());
            }
            let title = if i % 3 == 0 {
                format!("A transformer with $\\alpha^2 + \\beta$ scaling for {topic} ({i})")
            } else {
                format!("Transformer models for {topic}, part {i}")
            };
            Paper {
                id: format!("2301.{:05}", i + 1),
                title,
                abstract_text: format!(
                    "We train a transformer on {topic}. Its loss falls as $L(n) = \\alpha n^{{-\\beta}}$ \
                     and the cost is $\\sum_{{k=1}}^{{n}} k^2$ in case {i}."
                ),
                authors: vec![format!("Author{i} Family"), "Ada Lovelace".into()],
                categories,
                published: Date::new(2019 + (i % 6) as u16, 1 + (i % 12) as u8, 1 + (i % 28) as u8),
                updated: None,
                ..Paper::default()
            }
        })
        .collect()
}

/// Chromium and chromedriver, or `None` (skip) when missing outside CI.
fn browser() -> Option<PathBuf> {
    let driver = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("chromedriver"))
        .find(|p| p.is_file());
    match driver {
        Some(driver) if Path::new(CHROMIUM).is_file() => Some(driver),
        _ if std::env::var("CI").as_deref() == Ok("true") => panic!(
            "chromium is required under CI: {CHROMIUM} or chromedriver is missing \
             (apt-get install chromium chromium-driver; .ci/run does)"
        ),
        _ => {
            eprintln!(
                "NOTE: {CHROMIUM} or chromedriver not found: browser test NOT run \
                 (apt-get install chromium chromium-driver)"
            );
            None
        }
    }
}

/// Processes this test started, each in a process group of its own; the groups are killed
/// on drop (chromedriver's group holds the browser it started), also when the test panics.
struct Processes(Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .stderr(Stdio::null())
                .status();
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Reads `stream` line by line until `find` returns something; the rest is drained on a thread.
fn read_until<R: std::io::Read + Send + 'static, T>(
    stream: R,
    what: &str,
    mut find: impl FnMut(&str) -> Option<T>,
) -> T {
    let mut lines = BufReader::new(stream).lines();
    let found = loop {
        let line = lines
            .next()
            .unwrap_or_else(|| panic!("exited before printing {what}"))
            .unwrap();
        if let Some(found) = find(&line) {
            break found;
        }
    };
    std::thread::spawn(move || lines.for_each(drop)); // keep the pipe drained
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_searches_filters_pages_reads_and_goes_dark() {
    let Some(chromedriver) = browser() else {
        return;
    };
    let started = Instant::now();
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser-screenshots");
    let _ = std::fs::remove_dir_all(&shots);
    std::fs::create_dir_all(&shots).unwrap();

    let db = fresh_db("sqlite").await;
    let file = db.dir.path().join("papers.jsonl");
    write_jsonl(&file, corpus());
    let (out, _, stderr) = run(db.papers().args(["import", "jsonl"]).arg(&file));
    assert!(out.status.success(), "import failed: {stderr}");
    // Three ICLR 2024 works (no "transformer" in them), for the venue page.
    let venue_file = db.dir.path().join("venue.jsonl");
    let venue_lines: Vec<String> = ["Oral", "Spotlight", "Poster"]
        .iter()
        .enumerate()
        .map(|(i, track)| {
            json!({"id": format!("openreview:venue{i}"), "title": format!("Graph sampling with guarantees, part {i}"),
                   "abstract": "We sample graphs with a very long abstract that must wrap on a phone.",
                   "authors": ["Grace Hopper"], "venue": "ICLR", "year": 2024, "track": track})
            .to_string()
        })
        .collect();
    std::fs::write(&venue_file, venue_lines.join("\n")).unwrap();
    let (out, _, stderr) = run(db.papers().args(["import", "jsonl"]).arg(&venue_file));
    assert!(out.status.success(), "venue import failed: {stderr}");

    let mut procs = Processes(Vec::new());
    // A language model stand-in, slow enough that the answer visibly streams in.
    let llm = StandIn::start(Mode::Slow(Duration::from_millis(40))).await;
    let mut server = db
        .papers()
        .env("PAPERS_LLM_URL", llm.url())
        .env("PAPERS_LLM_MODEL", "stand-in-7b")
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap();
    let server_err = server.stderr.take().unwrap();
    procs.0.push(server);
    let addr = read_until(server_err, "the server's address", |line| {
        line.split("listening on http://")
            .nth(1)
            .map(|rest| rest.trim().to_string())
    });
    let base = format!("http://{addr}");

    // Port 0: chromedriver picks a free port and says which.
    let mut driver = Command::new(&chromedriver)
        .args(["--port=0", "--log-level=WARNING"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    let driver_out = driver.stdout.take().unwrap();
    procs.0.push(driver);
    let port: u16 = read_until(driver_out, "chromedriver's port", |line| {
        line.split("started successfully on port ")
            .nth(1)
            .map(|rest| rest.trim().trim_end_matches('.').parse().unwrap())
    });

    let driver = format!("http://127.0.0.1:{port}");
    let profile = tempfile::tempdir().unwrap();
    let client = session(&driver, profile.path()).await;

    let outcome = walk(&client, &base, &shots, &llm, &driver).await;
    let mut failed_at = String::new();
    if outcome.is_err() {
        if let Ok(png) = client.screenshot().await {
            let _ = std::fs::write(shots.join("failure.png"), png);
        }
        failed_at = client
            .current_url()
            .await
            .map(String::from)
            .unwrap_or_default();
    }
    let _ = client.close().await;
    drop(procs);
    if let Err(e) = outcome {
        panic!(
            "browser test failed on {failed_at}: {e:#}\n(see {})",
            shots.join("failure.png").display()
        );
    }
    eprintln!(
        "browser test passed in {:.1?}; screenshots in {}",
        started.elapsed(),
        shots.display()
    );
}

/// A Chromium session with a profile of its own in `profile`.
async fn session(driver: &str, profile: &Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--window-size=1280,1000",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(driver)
        .await
        .expect("chromedriver starts a Chromium session")
}

/// The user's walk through the site; each step leaves a screenshot.
async fn walk(
    c: &Client,
    base: &str,
    shots: &Path,
    llm: &StandIn,
    driver: &str,
) -> anyhow::Result<()> {
    let shot = |name: &'static str| async move {
        let png = c.screenshot().await?;
        std::fs::write(shots.join(name), png)?;
        anyhow::Ok(())
    };

    // Home: the latest papers, math rendered.
    c.goto(&format!("{base}/")).await?;
    find(c, "ol.papers .paper").await?;
    math_rendered(c).await.context("home page")?;
    shot("01-home.png").await?;

    // "/" focuses the search box.
    let active = script(c, "return document.activeElement.id").await?;
    ensure!(active != "q", "the search box has focus before pressing /");
    let slash = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: '/' })
        .then(KeyAction::Up { value: '/' });
    c.perform_actions(slash).await?;
    let active = script(c, "return document.activeElement.id").await?;
    ensure!(
        active == "q",
        "pressing / focuses #q, focus is on {active:?}"
    );
    shot("02-search-focused.png").await?;

    // Type a query and submit with Enter.
    let q = c.active_element().await?;
    q.send_keys(QUERY).await?;
    q.send_keys(&Key::Enter).await?;
    wait_url(c, "/search?").await?;
    let total = find(c, "#total").await?.text().await?;
    ensure!(total == TOTAL.to_string(), "#total {total}, want {TOTAL}");
    let hits = c.find_all(Locator::Css(".paper")).await?.len();
    ensure!(
        hits == PAGE_SIZE,
        "{hits} results on page 1, want {PAGE_SIZE}"
    );
    let value = find(c, "#q").await?.prop("value").await?;
    ensure!(
        value.as_deref() == Some(QUERY),
        "the box keeps the query: {value:?}"
    );
    math_rendered(c).await.context("results page")?;
    shot("03-results.png").await?;

    // A category facet in the aside narrows the results.
    let mut facet = None;
    for a in c.find_all(Locator::Css(".filters ul.facets a")).await? {
        if a.text().await? == "cs.LG" {
            facet = Some(a);
            break;
        }
    }
    facet
        .ok_or_else(|| anyhow!("no cs.LG facet link in .filters ul.facets"))?
        .click()
        .await?;
    wait_url(c, "category=").await?;
    let filtered = find(c, "#total").await?.text().await?;
    ensure!(
        filtered != total,
        "the facet changed nothing: #total {filtered}"
    );
    ensure!(
        filtered == IN_CS_LG.to_string(),
        "#total {filtered} in cs.LG, want {IN_CS_LG}"
    );
    shot("04-filtered.png").await?;

    // The pager goes on to page 2, keeping the filter.
    find(c, "a[rel=next]").await?.click().await?;
    wait_url(c, "page=2").await?;
    let url = c.current_url().await?;
    ensure!(
        url.as_str().contains("category="),
        "page 2 lost the filter: {url}"
    );
    let hits = c.find_all(Locator::Css(".paper")).await?.len();
    ensure!(
        hits == IN_CS_LG - PAGE_SIZE,
        "{hits} results on page 2, want {}",
        IN_CS_LG - PAGE_SIZE
    );
    find(c, "a[rel=prev]").await?;
    shot("05-page-2.png").await?;

    // Open a paper.
    let link = find(c, ".paper a.title").await?;
    let href = link.attr("href").await?.unwrap_or_default();
    link.click().await?;
    wait_url(c, &href).await?;
    let h1 = find(c, "article.paper-page h1").await?.text().await?;
    ensure!(h1.to_lowercase().contains(QUERY), "paper page h1: {h1:?}");
    find(c, "#bibtex").await?;
    math_rendered(c).await.context("paper page")?;
    shot("06-paper.png").await?;
    faq(c, llm, &shot).await?;
    reading(c, base, &shot, driver).await?;

    // Dark mode: the toggle flips the theme and the colours, and a reload keeps it.
    let light_bg = background(c).await?;
    let before = script(
        c,
        "return document.documentElement.dataset.theme || \
         (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light')",
    )
    .await?;
    let flipped = if before == "dark" { "light" } else { "dark" };
    find(c, "#theme-toggle").await?.click().await?;
    let theme = script(c, "return document.documentElement.dataset.theme").await?;
    ensure!(
        theme == flipped,
        "theme {theme:?} after toggling {before:?}"
    );
    let dark_bg = background(c).await?;
    ensure!(dark_bg != light_bg, "body background stayed {light_bg}");
    let stored = script(c, "return localStorage.getItem('theme')").await?;
    ensure!(stored == flipped, "localStorage theme {stored:?}");
    shot("07-toggled.png").await?;

    c.refresh().await?;
    find(c, "article.paper-page h1").await?;
    let theme = script(c, "return document.documentElement.dataset.theme").await?;
    ensure!(
        theme == flipped,
        "theme after reload {theme:?}, want {flipped}"
    );
    ensure!(
        background(c).await? == dark_bg,
        "background after reload is not {dark_bg}"
    );
    math_rendered(c).await.context("paper page after reload")?;
    shot("08-toggled-reloaded.png").await?;

    // The choice holds on other pages too, and toggling again restores the colours.
    c.goto(&format!("{base}/search?q={QUERY}")).await?;
    find(c, "#total").await?;
    ensure!(
        background(c).await? == dark_bg,
        "search page not in {flipped}"
    );
    shot("09-results-toggled.png").await?;
    find(c, "#theme-toggle").await?.click().await?;
    let theme = script(c, "return document.documentElement.dataset.theme").await?;
    ensure!(theme == before, "toggling back gave {theme:?}");
    ensure!(
        background(c).await? == light_bg,
        "background after toggling back is not {light_bg}"
    );
    shot("10-toggled-back.png").await?;

    // On a phone, a misspelt query offers "Did you mean", and following it finds the papers.
    c.set_window_size(390, 844).await?;
    c.goto(&format!("{base}/search?q=tranformer")).await?;
    let suggestion = find(c, "#suggestion").await?;
    let offered = suggestion.text().await?;
    ensure!(offered == QUERY, "suggested {offered:?}, want {QUERY}");
    shot("11-phone-did-you-mean.png").await?;
    suggestion.click().await?;
    wait_url(c, &format!("q={QUERY}")).await?;
    let total = find(c, "#total").await?.text().await?;
    ensure!(
        total == TOTAL.to_string(),
        "#total {total} after the suggestion, want {TOTAL}"
    );
    phone(c, base, &shot).await
}

/// At 390×844 nothing is wider than the screen on any kind of page, and a search's first
/// result is on the first screen; light and dark.
async fn phone<F, Fut>(c: &Client, base: &str, shot: &F) -> anyhow::Result<()>
where
    F: Fn(&'static str) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let pages: [(&str, &'static str, &'static str); 6] = [
        ("/", "12-phone-home.png", "ol.papers"),
        ("/search?q=transformer", "13-phone-search.png", "li.paper"),
        (
            "/arxiv/2301.00001",
            "14-phone-paper.png",
            "article.paper-page",
        ),
        ("/arxiv/cs.LG", "15-phone-daily-list.png", "li.paper"),
        ("/venue/ICLR.2024", "16-phone-venue.png", "li.paper"),
        ("/starred", "17-phone-starred.png", "h1"),
    ];
    for (path, name, wait_for) in pages {
        c.goto(&format!("{base}{path}")).await?;
        find(c, wait_for).await?;
        let widths = c
            .execute(
                "return {page: document.documentElement.scrollWidth, screen: window.innerWidth};",
                vec![],
            )
            .await?;
        let page = widths["page"].as_u64().unwrap_or(u64::MAX);
        ensure!(
            page <= 390,
            "{path} is {page} px wide on a 390 px phone ({widths})"
        );
        shot(name).await?;
    }
    c.goto(&format!("{base}/search?q=transformer")).await?;
    let top = script(
        c,
        "return document.querySelector('li.paper').getBoundingClientRect().top",
    )
    .await?;
    let top: f64 = top.parse()?;
    ensure!(
        top < 844.0 - 60.0,
        "the first result starts at {top} px, below the first screen"
    );
    find(c, "#theme-toggle").await?.click().await?;
    shot("18-phone-search-dark.png").await?;
    find(c, "#theme-toggle").await?.click().await?;
    Ok(())
}

/// The daily reading workflow: a day's list with whole abstracts and PDF links, keys to move
/// and star, the starred page, its export link opened in a browser without the stars, and
/// the venue feed's links.
async fn reading<F, Fut>(c: &Client, base: &str, shot: &F, driver: &str) -> anyhow::Result<()>
where
    F: Fn(&'static str) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let back_to = c.current_url().await?;
    c.goto(&format!("{base}/arxiv/cs.LG")).await?;
    find(c, "li.paper").await?;
    let cards = c
        .execute(
            "var cards = Array.from(document.querySelectorAll('li.paper'));
             return {cards: cards.length,
                     whole: cards.filter(function (li) {
                       return / in case \\d+\\.$/.test(li.querySelector('.abstract').textContent.trim()); }).length,
                     pdf: cards.filter(function (li) { return li.querySelector('a.pdf[href^=\"https://arxiv.org/pdf/\"]'); }).length};",
            vec![],
        )
        .await?;
    let n = cards["cards"].as_u64().unwrap_or(0);
    ensure!(n >= 1, "no paper on the day's list: {cards}");
    ensure!(
        cards["whole"] == n && cards["pdf"] == n,
        "abstracts cut or PDF links missing: {cards}"
    );
    math_rendered(c).await.context("daily list")?;
    shot("06d-daily-list.png").await?;

    // Keys, on three papers at once: j to the first card, s stars it; j, s the second; k
    // back; ? lists the keys.
    c.goto(&format!("{base}/arxiv/2301.00001,2301.00002,2301.00003"))
        .await?;
    find(c, "li.paper").await?;
    script(c, "localStorage.removeItem('papers.stars'); return ''").await?;
    let press = |key: char| async move {
        let keys = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key });
        c.perform_actions(keys).await
    };
    let current = || {
        script(
            c,
            "var li = document.querySelector('li.paper.current'); return li ? li.dataset.id : ''",
        )
    };
    press('j').await?;
    ensure!(
        current().await? == "2301.00001",
        "j did not mark the first card"
    );
    press('s').await?;
    press('j').await?;
    ensure!(current().await? == "2301.00002", "j did not move on");
    press('s').await?;
    press('k').await?;
    ensure!(current().await? == "2301.00001", "k did not move back");
    let want = "2301.00002,2301.00001".to_string();
    let starred = script(c, "return JSON.parse(localStorage.getItem('papers.stars')).map(function (s) { return s.id; }).join(',')").await?;
    ensure!(
        starred == want,
        "stars {starred:?}, want {want:?} (newest first)"
    );
    let pressed = script(
        c,
        "return document.querySelectorAll('button[data-star][aria-pressed=true]').length",
    )
    .await?;
    ensure!(pressed == "2", "{pressed} star buttons pressed, want 2");
    press('?').await?;
    ensure!(
        script(c, "return document.getElementById('keys-help').hidden").await? == "false",
        "? shows no key list"
    );
    shot("06e-keys.png").await?;
    press('\u{E00C}').await?; // Escape
    ensure!(
        script(c, "return document.getElementById('keys-help').hidden").await? == "true",
        "Esc leaves the key list open"
    );

    // Reloaded, the stars stay; /starred lists them, newest first.
    c.refresh().await?;
    find(c, "button[data-star][aria-pressed=true]").await?;
    c.goto(&format!("{base}/starred")).await?;
    wait_url(c, "/starred?ids=").await?;
    find(c, "li.paper").await?;
    let listed = script(c, "return Array.from(document.querySelectorAll('li.paper')).map(function (li) { return li.dataset.id; }).join(',')").await?;
    ensure!(listed == want, "/starred lists {listed:?}, want {want:?}");
    let all_bibtex = script(
        c,
        "return document.getElementById('all-bibtex').textContent",
    )
    .await?;
    ensure!(
        all_bibtex.matches("@misc{").count() == listed.split(',').count(),
        "copy-all BibTeX: {all_bibtex}"
    );
    shot("06f-starred.png").await?;

    // The export link, opened in a fresh browser profile: the papers show and become that
    // browser's stars.
    let share = find(c, "#share-url")
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    ensure!(
        share.contains("/starred?ids=") && share.contains("import=1"),
        "export link {share:?}"
    );
    let fresh_profile = tempfile::tempdir()?;
    let fresh = session(driver, fresh_profile.path()).await;
    let ids_of = "return JSON.parse(localStorage.getItem('papers.stars') || '[]').map(function (s) { return s.id; }).join(',')";
    let cards_of = "return Array.from(document.querySelectorAll('li.paper')).map(function (li) { return li.dataset.id; }).join(',')";
    let elsewhere = async {
        fresh.goto(&share).await?;
        find(&fresh, "li.paper").await?;
        let note = find(&fresh, "#import-note").await?.text().await?;
        ensure!(note.contains("Added 2 of 2 papers"), "import note {note:?}");
        let imported = script(&fresh, ids_of).await?;
        ensure!(
            imported == want,
            "the export link gave stars {imported:?}, want {want:?}"
        );
        fresh.goto(&format!("{base}/starred")).await?;
        wait_url(&fresh, "/starred?ids=").await?;
        find(&fresh, "li.paper").await?;
        let shown = script(&fresh, cards_of).await?;
        ensure!(
            shown == want,
            "the other browser's /starred shows {shown:?}"
        );
        anyhow::Ok(())
    }
    .await;
    let _ = fresh.close().await;
    elsewhere.context("the export link in a fresh profile")?;

    // The venue feed's links open pages.
    let statuses = c
        .execute_async(
            "var done = arguments[arguments.length - 1];
             fetch('/venue/ICLR.2024/feed').then(function (r) { return r.text(); }).then(function (xml) {
               var links = Array.from(new DOMParser().parseFromString(xml, 'application/xml')
                 .querySelectorAll('entry > link')).map(function (l) { return l.getAttribute('href'); });
               return Promise.all(links.map(function (href) {
                 return fetch(new URL(href).pathname).then(function (r) { return r.status; });
               }));
             }).then(done, function (e) { done(String(e)); });",
            vec![],
        )
        .await?;
    let statuses = statuses.as_array().cloned().unwrap_or_default();
    ensure!(
        statuses.len() == 3 && statuses.iter().all(|s| s == 200),
        "venue feed links answered {statuses:?}"
    );
    c.goto(back_to.as_str()).await?;
    Ok(())
}

/// The [FAQ] button: the answer streams in as text, then shows as HTML with rendered math;
/// a reload reads it from the cache; a hostile answer on a results card stays inert.
async fn faq<F, Fut>(c: &Client, llm: &StandIn, shot: &F) -> anyhow::Result<()>
where
    F: Fn(&'static str) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let page = c.current_url().await?;
    find(c, "button[data-faq]").await?.click().await?;
    // Part of the answer shows while the model is still writing.
    let deadline = Instant::now() + Duration::from_secs(10);
    let streamed = loop {
        let seen = c
            .execute(
                "var box = document.querySelector('.faq-answer');
                 var live = box && box.querySelector('.faq-live');
                 return {state: box ? box.dataset.state : null,
                         text: live ? live.textContent.length : 0};",
                vec![],
            )
            .await?;
        if seen["state"] == "loading" && seen["text"].as_u64().unwrap_or(0) > 0 {
            break true;
        }
        if seen["state"] == "done" || Instant::now() > deadline {
            break false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    ensure!(streamed, "no part of the FAQ showed before it was complete");
    shot("06a-faq-streaming.png").await?;
    find(c, ".faq-answer[data-state=done] h3").await?;
    let rendered = script(
        c,
        "return document.querySelectorAll('.faq-answer .katex').length",
    )
    .await?;
    ensure!(rendered != "0", "the FAQ's math was not rendered");
    let first = script(
        c,
        "return document.querySelector('.faq-answer h3').parentNode.innerHTML",
    )
    .await?;
    shot("06b-faq-done.png").await?;
    ensure!(llm.calls() == 1, "{} model calls for one FAQ", llm.calls());

    // Reloaded: from the cache, the same answer, no new call.
    c.goto(page.as_str()).await?;
    find(c, "button[data-faq]").await?.click().await?;
    find(c, ".faq-answer[data-state=done] h3").await?;
    let again = script(
        c,
        "return document.querySelector('.faq-answer h3').parentNode.innerHTML",
    )
    .await?;
    ensure!(
        again == first,
        "the cached FAQ differs from the streamed one"
    );
    ensure!(llm.calls() == 1, "the cached FAQ called the model again");

    // A hostile answer on a search result card: shown as text, nothing runs.
    llm.set_mode(Mode::Hostile);
    c.goto(page.join("/search?q=speech")?.as_str()).await?;
    find(c, "li.paper button[data-faq]").await?.click().await?;
    find(c, "li.paper .faq-answer[data-state=done]").await?;
    let live = c
        .execute(
            "var box = document.querySelector('li.paper .faq-answer');
             return {scripts: box.querySelectorAll('script, img, [onerror]').length,
                     js_links: box.querySelectorAll('a[href^=\"javascript\"]').length,
                     shown: box.textContent.indexOf('<script>alert(1)</script>') >= 0,
                     math: box.querySelectorAll('.katex').length};",
            vec![],
        )
        .await?;
    ensure!(
        live["scripts"] == 0 && live["js_links"] == 0,
        "live hostile markup: {live}"
    );
    ensure!(
        live["shown"] == true,
        "the hostile text is not shown as text: {live}"
    );
    ensure!(
        live["math"].as_u64().unwrap_or(0) > 0,
        "no math in the hostile answer: {live}"
    );
    shot("06c-faq-hostile-inert.png").await?;
    c.goto(page.as_str()).await?;
    Ok(())
}

/// Waits (up to 10 s) for an element.
async fn find(c: &Client, css: &str) -> anyhow::Result<fantoccini::elements::Element> {
    let found = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await;
    match found {
        Ok(element) => Ok(element),
        Err(e) => {
            let url = c.current_url().await.map(String::from).unwrap_or_default();
            Err(anyhow!(e).context(format!("no element {css} on {url}")))
        }
    }
}

/// Waits (up to 10 s) for the URL to contain `part`, then for the page to have loaded.
async fn wait_url(c: &Client, part: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let url = c.current_url().await?;
        if url.as_str().contains(part)
            && script(c, "return document.readyState").await? == "complete"
        {
            return Ok(());
        }
        ensure!(
            Instant::now() < deadline,
            "URL {url} never contained {part:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Runs `js` and returns its result as text (`""` for null).
async fn script(c: &Client, js: &str) -> anyhow::Result<String> {
    Ok(match c.execute(js, vec![]).await? {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    })
}

async fn background(c: &Client) -> anyhow::Result<String> {
    script(c, "return getComputedStyle(document.body).backgroundColor").await
}

/// KaTeX rendered the page's math: `.katex` inside `.math`, no `.katex-error`, and no
/// `$…$` left as raw text outside rendered math.
async fn math_rendered(c: &Client) -> anyhow::Result<()> {
    let found = c
        .execute(
            "var math = Array.from(document.querySelectorAll('.math'));
             var raw = math.filter(function (el) {
               var copy = el.cloneNode(true);
               copy.querySelectorAll('.katex').forEach(function (k) { k.remove(); });
               return /\\$[^$]+\\$/.test(copy.textContent);
             }).map(function (el) { return el.textContent; });
             return {
               rendered: document.querySelectorAll('.math .katex').length,
               errors: document.querySelectorAll('.math .katex-error').length,
               raw: raw
             };",
            vec![],
        )
        .await?;
    ensure!(
        found["rendered"].as_u64().unwrap_or(0) > 0,
        "no .katex inside .math: {found}"
    );
    ensure!(found["errors"] == 0, "KaTeX errors: {found}");
    ensure!(
        found["raw"].as_array().is_some_and(|r| r.is_empty()),
        "math left unrendered: {}",
        found["raw"]
    );
    Ok(())
}
