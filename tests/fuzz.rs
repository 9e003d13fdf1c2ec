//! Property tests of every parser of outside data: the query language, snapshot and
//! JSON-lines records, OAI-PMH / Atom / RSS XML, OpenReview JSON, PMLR front matter, dates
//! and arXiv ids. Inputs are recorded documents (../shared/data when present, else
//! tests/fixtures) mutated at random (bytes flipped, inserted, cut, spans repeated) and
//! arbitrary strings; no input may panic, and dates and ids round-trip.
//!
//! The suite runs 2,000 cases per parser. The fuzz command runs more and reports rates:
//! `PAPERS_FUZZ_CASES=100000 cargo test --test fuzz -- --nocapture` (docs/fuzz.md).

mod common;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::path::Path;
use std::time::{Duration, Instant};

fn cases() -> u32 {
    std::env::var("PAPERS_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000)
}

/// Recorded documents: from ../shared/data when it is there, else the fixtures.
fn seeds(shared: &[&str], fixtures: &[&str]) -> Vec<String> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared_dir = manifest.join("../shared/data");
    let mut out: Vec<String> = if shared_dir.is_dir() {
        shared
            .iter()
            .filter_map(|p| std::fs::read_to_string(shared_dir.join(p)).ok())
            .collect()
    } else {
        Vec::new()
    };
    out.extend(
        fixtures
            .iter()
            .filter_map(|p| std::fs::read_to_string(manifest.join("tests/fixtures").join(p)).ok()),
    );
    assert!(!out.is_empty(), "no seed documents");
    out
}

/// One random change to a document.
#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Cut(usize, usize),
    Repeat(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Edit::Flip(at, b)),
        (
            any::<usize>(),
            proptest::collection::vec(any::<u8>(), 1..16)
        )
            .prop_map(|(at, bytes)| Edit::Insert(at, bytes)),
        (any::<usize>(), 1usize..64).prop_map(|(at, n)| Edit::Cut(at, n)),
        (any::<usize>(), 1usize..64).prop_map(|(at, n)| Edit::Repeat(at, n)),
    ]
}

fn apply(doc: &str, edits: &[Edit]) -> String {
    let mut bytes = doc.as_bytes().to_vec();
    for e in edits {
        let len = bytes.len().max(1);
        match e {
            Edit::Flip(at, b) => {
                if !bytes.is_empty() {
                    bytes[at % len] = *b;
                }
            }
            Edit::Insert(at, new) => {
                let at = at % (bytes.len() + 1);
                bytes.splice(at..at, new.iter().copied());
            }
            Edit::Cut(at, n) => {
                let at = at % len;
                let end = (at + n).min(bytes.len());
                bytes.drain(at.min(end)..end);
            }
            Edit::Repeat(at, n) => {
                let at = at % len;
                let end = (at + n).min(bytes.len());
                let span: Vec<u8> = bytes[at.min(end)..end].to_vec();
                bytes.splice(end..end, span);
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A mutated seed or, one time in five, an arbitrary string.
fn input(seeds: Vec<String>) -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (proptest::sample::select(seeds), proptest::collection::vec(edit(), 0..8))
            .prop_map(|(doc, edits)| apply(&doc, &edits)),
        1 => any::<String>(),
    ]
}

/// Runs `check` on `cases()` inputs; prints the rate and the slowest input's time.
fn fuzz(
    name: &str,
    inputs: impl Strategy<Value = String>,
    check: impl Fn(&str) -> Result<(), TestCaseError>,
) {
    let n = cases();
    let mut runner = TestRunner::new(Config {
        cases: n,
        failure_persistence: None,
        ..Config::default()
    });
    let started = Instant::now();
    let slowest = std::cell::Cell::new(Duration::ZERO);
    let result = runner.run(&inputs, |text| {
        let t = Instant::now();
        let outcome = check(&text);
        slowest.set(slowest.get().max(t.elapsed()));
        outcome
    });
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "fuzz {name}: {n} inputs in {secs:.1} s ({:.0}/s), slowest {:.2} ms",
        f64::from(n) / secs,
        slowest.get().as_secs_f64() * 1e3
    );
}

#[test]
fn the_query_language_reads_anything() {
    let seeds = vec![
        "graph neural networks".into(),
        "\"exact phrase\" -excluded ti:title au:\"Ada Lovelace\" abs:abstract".into(),
        "(diffusion OR flow) AND NOT gan cat:cs.LG venue:ICLR year:2020..2024".into(),
        "2402.12354v2 hep-th/9901001 \"unclosed ((( ) ti: -".into(),
    ];
    fuzz("query", input(seeds), |q| {
        let parsed = papers::query::parse(q);
        prop_assert!(parsed.clauses.len() <= papers::query::MAX_CLAUSES + 16);
        Ok(())
    });
}

#[test]
fn record_lines_read_anything() {
    let snapshot: Vec<String> = seeds(&[], &["snapshot_sample.jsonl"])
        .iter()
        .flat_map(|doc| doc.lines().map(str::to_string).collect::<Vec<_>>())
        .collect();
    fuzz("snapshot line", input(snapshot), |line| {
        let _ = papers::import::parse_snapshot_line(line);
        Ok(())
    });
    let jsonl = vec![
        r#"{"id":"x1","title":"A title","abstract":"Text","authors":["A B"],"categories":["cs.CL"],"published":"2024-02-19","updated":"2024-03-01","doi":"10.1/x","comments":"c"}"#.into(),
        r#"{"id":"openreview:abc","title":"T","venue":"ICLR","year":2024,"track":"Oral"}"#.into(),
        r#"{"_id":"123","text":"beir text","title":""}"#.into(),
    ];
    fuzz("json line", input(jsonl), |line| {
        let _ = papers::import::parse_jsonl_line(line);
        Ok(())
    });
}

#[test]
fn arxiv_xml_reads_anything() {
    let oai = seeds(
        &[
            "arxiv_oai/mikesaelim_2015/GetRecordResponse.xml",
            "arxiv_oai/mikesaelim_2015/ErrorResponseBadResumptionToken.xml",
            "arxiv_oai/mikesaelim_2015/ErrorResponseNoRecordsMatch.xml",
        ],
        &[],
    );
    fuzz("OAI-PMH", input(oai), |xml| {
        let _ = papers::ingest::oai::parse(xml);
        Ok(())
    });
    let atom = seeds(
        &[
            "arxiv_api/recorded_2026/id_2104.12255v1_s0_m100_6ae69987ffe1.body.xml",
            "arxiv_api/recorded_2026/id_0000.0000_s0_m100_8b51d9633a68.body.xml",
        ],
        &[],
    );
    fuzz("Atom", input(atom), |xml| {
        let _ = papers::ingest::atom::parse(xml);
        Ok(())
    });
    let rss = seeds(
        &["arxiv_rss/rss_physics_empty_2025-12-31.xml"],
        &["arxiv_rss_cs.CL.xml"],
    );
    fuzz("RSS", input(rss), |xml| {
        let _ = papers::ingest::rss::parse(xml);
        Ok(())
    });
}

#[test]
fn venue_sources_read_anything() {
    let notes = seeds(&["openreview/api_v2_shape/iclr2024_notes_page.json"], &[]);
    fuzz("OpenReview", input(notes), |json| {
        let _ = papers::venues::openreview::parse_dump(json, "ICLR", 2024);
        Ok(())
    });
    let posts = seeds(
        &["pmlr/v235_icml2024_samples/2024-07-08-abe24a.md"],
        &["pmlr_hostile.md"],
    );
    fuzz("PMLR front matter", input(posts), |md| {
        let _ = papers::venues::pmlr::parse_front_matter(md, 235, 2024);
        Ok(())
    });
}

#[test]
fn dates_and_ids_read_anything_and_round_trip() {
    let dates = vec![
        "2024-02-19".into(),
        "Mon, 19 Feb 2024 00:00:00 -0500".into(),
        "0000-00-00".into(),
        "2024-2-30".into(),
    ];
    fuzz("dates", input(dates), |raw| {
        if let Ok(d) = papers::domain::Date::parse_iso(raw) {
            prop_assert_eq!(
                papers::domain::Date::parse_iso(&d.to_string()).ok(),
                Some(d)
            );
        }
        let _ = papers::domain::Date::parse_rfc2822(raw);
        Ok(())
    });
    let ids = vec![
        "2402.12354".into(),
        "2402.12354v2".into(),
        "hep-th/9901001v3".into(),
        "arXiv:0704.0001".into(),
        "math.AG/0601001".into(),
    ];
    fuzz("arXiv ids", input(ids), |raw| {
        if let Ok(id) = papers::domain::ArxivId::parse(raw) {
            let again = papers::domain::ArxivId::parse(&id.to_string());
            prop_assert_eq!(again.ok().map(|a| a.to_string()), Some(id.to_string()));
        }
        Ok(())
    });
}
