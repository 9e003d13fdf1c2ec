//! OAI-PMH page throughput: parsing and storing `ListRecords` pages of 1,000 records, against
//! the bulk import path (snapshot JSON lines parsed and stored) on the same papers, same run.
//!
//! Usage: `cargo bench --bench oai [-- PAGES]` (default 20 pages). The records are the
//! recorded arXiv OAI-PMH records in ../shared/data, repeated under fresh ids. Stores into a
//! scratch SQLite file, and into PostgreSQL when `BENCH_DATABASE_URL` names a database (it
//! must be empty or disposable: the bench writes papers into it).

use papers::domain::Paper;
use papers::ingest::oai::{Reply, parse};
use papers::store::{Checkpoint, Extras, Store};
use std::path::Path;
use std::time::Instant;

const PER_PAGE: usize = 1_000;

/// The recorded `<record>…</record>` elements (metadataPrefix=arXiv).
fn recorded_records() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/arxiv_oai");
    let files = [
        "hepcrawl/arxiv-physics-hep-ex.xml",
        "hepcrawl/arxiv-physics-hep-th.xml",
        "paperhive_nock_2018/oaipmh-listrecords---should-list-identifiers-from-arxiv.1.body.xml",
    ];
    let mut records = Vec::new();
    for f in files {
        let body = std::fs::read_to_string(dir.join(f))
            .unwrap_or_else(|e| panic!("{f}: {e} (../shared must be beside the checkout)"));
        let mut rest = body.as_str();
        while let Some(start) = rest.find("<record>") {
            let end = rest[start..].find("</record>").unwrap() + start + "</record>".len();
            records.push(rest[start..end].to_string());
            rest = &rest[end..];
        }
    }
    records
}

/// Page `n`: 1,000 recorded records under fresh ids, with a token unless it is the last.
fn page(records: &[String], n: usize, last: bool) -> String {
    let mut body = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<OAI-PMH xmlns=\"http://www.openarchives.org/OAI/2.0/\"><ListRecords>\n",
    );
    for i in 0..PER_PAGE {
        let record = &records[i % records.len()];
        let old = record
            .split("<id>")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap();
        let new = format!("26{:02}.{:05}", 1 + n % 12, (n / 12) * PER_PAGE + i);
        body.push_str(&record.replace(old, &new));
        body.push('\n');
    }
    if !last {
        body.push_str(&format!("<resumptionToken>t{}</resumptionToken>", n + 1));
    }
    body.push_str("</ListRecords></OAI-PMH>\n");
    body
}

/// The same papers as snapshot JSON lines, for the bulk-import baseline.
fn snapshot_line(p: &Paper) -> String {
    serde_json::json!({
        "id": p.id, "title": p.title, "abstract": p.abstract_text,
        "authors": p.authors.join(", "), "categories": p.categories.join(" "),
        "comments": p.comments, "journal-ref": p.journal_ref, "doi": p.doi, "license": p.license,
        "versions": [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}],
        "update_date": p.updated.map(|d| d.to_string()),
    })
    .to_string()
}

fn rate(records: usize, seconds: f64) -> f64 {
    records as f64 / seconds
}

async fn store_pages(store: &dyn Store, pages: &[Vec<Paper>], checkpoint: bool) -> f64 {
    let started = Instant::now();
    for (n, papers) in pages.iter().enumerate() {
        let state = Checkpoint {
            name: "oai:bench:arXiv".into(),
            state: format!("{{\"token\":\"t{n}\"}}"),
        };
        let extras = Extras {
            checkpoint: checkpoint.then_some(&state),
            ..Extras::default()
        };
        store.write_batch(papers, extras).await.unwrap();
    }
    started.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let n_pages: usize = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .map_or(20, |a| a.parse().expect("PAGES is a number"));
    let records = recorded_records();
    let bodies: Vec<String> = (0..n_pages)
        .map(|n| page(&records, n, n + 1 == n_pages))
        .collect();
    let total = n_pages * PER_PAGE;
    let mb = bodies.iter().map(String::len).sum::<usize>() as f64 / 1e6;

    let started = Instant::now();
    let pages: Vec<Vec<Paper>> = bodies
        .iter()
        .map(|b| match parse(b).unwrap() {
            Reply::Page(p) => p.papers,
            other => panic!("{other:?}"),
        })
        .collect();
    let oai_parse = started.elapsed().as_secs_f64();
    assert_eq!(pages.iter().map(Vec::len).sum::<usize>(), total);

    let lines: Vec<String> = pages.iter().flatten().map(snapshot_line).collect();
    let started = Instant::now();
    let parsed: Vec<Paper> = lines
        .iter()
        .map(|l| papers::import::parse_snapshot_line(l).unwrap())
        .collect();
    let json_parse = started.elapsed().as_secs_f64();
    assert_eq!(parsed.len(), total);

    println!("{n_pages} pages × {PER_PAGE} records ({mb:.1} MB of XML)\n");
    println!("| step | records/s | × bulk import |");
    println!("| --- | ---: | ---: |");
    println!(
        "| parse OAI-PMH XML | {:.0} | {:.2} |",
        rate(total, oai_parse),
        json_parse / oai_parse
    );
    println!(
        "| parse snapshot JSON (baseline) | {:.0} | 1.00 |",
        rate(total, json_parse)
    );

    let mut targets = vec![("SQLite".to_string(), None)];
    if let Ok(url) = std::env::var("BENCH_DATABASE_URL") {
        targets.push(("PostgreSQL".to_string(), Some(url)));
    }
    // The baseline's papers get other ids, so both paths insert into the same store.
    let baseline: Vec<Vec<Paper>> = parsed
        .chunks(PER_PAGE)
        .map(|c| {
            c.iter()
                .map(|p| Paper {
                    id: format!("{}b", p.id),
                    ..p.clone()
                })
                .collect()
        })
        .collect();
    for (name, url) in targets {
        let dir = tempfile::tempdir().unwrap();
        let url = url.unwrap_or_else(|| format!("sqlite://{}", dir.path().join("b.db").display()));
        let store = papers::store::connect(&url).await.unwrap();
        let bulk = store_pages(store.as_ref(), &baseline, false).await;
        let harvest = store_pages(store.as_ref(), &pages, true).await;
        store.close().await;
        println!(
            "| store pages + checkpoint, {name} | {:.0} | {:.2} |",
            rate(total, harvest),
            bulk / harvest
        );
        println!(
            "| store import batches, {name} (baseline) | {:.0} | 1.00 |",
            rate(total, bulk)
        );
        println!(
            "| parse + store, {name} | {:.0} | {:.2} |",
            rate(total, oai_parse + harvest),
            (json_parse + bulk) / (oai_parse + harvest)
        );
    }
}
