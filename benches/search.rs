//! Query latency on an imported corpus: in-process index search against `/api/search` over
//! HTTP (loopback, one keep-alive connection), on the same queries. `bench/search.sh` runs it.
//!
//! Usage: `PAPERS_DATABASE_URL=… PAPERS_DATA_DIR=… cargo bench --bench search -- OUT_QUERIES [N]`
//! Queries are drawn from the corpus itself (fixed seed): N short topical queries of 2–3
//! consecutive abstract words, and N known-item queries of 3–6 consecutive title words
//! (scored by MRR@10 of the paper they came from). They are written to OUT_QUERIES for wrk.

use papers::config::Global;
use papers::index::{Ranking, SearchRequest};
use papers::services::Services;
use papers::web::links::encode;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Instant;

/// A small deterministic generator (xorshift), so every run draws the same queries.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn words(text: &str) -> Vec<&str> {
    text.split_whitespace()
        .filter(|w| w.len() > 3 && w.chars().all(|c| c.is_alphanumeric() || c == '-'))
        .collect()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn summary(name: &str, mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    let (p50, p99) = (percentile(&ms, 0.5), percentile(&ms, 0.99));
    let mean = ms.iter().sum::<f64>() / ms.len() as f64;
    println!(
        "| {name} | {} | {p50:.3} | {:.3} | {p99:.3} | {mean:.3} |",
        ms.len(),
        percentile(&ms, 0.95)
    );
    (p50, p99)
}

/// `GET path` on a keep-alive connection; returns the body.
fn http_get(conn: &mut BufReader<TcpStream>, path: &str) -> String {
    let req = format!("GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n");
    conn.get_mut().write_all(req.as_bytes()).unwrap();
    let mut length = 0;
    loop {
        let mut line = String::new();
        conn.read_line(&mut line).unwrap();
        if line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    conn.read_exact(&mut body).unwrap();
    String::from_utf8(body).unwrap()
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let out = args.first().expect("usage: search OUT_QUERIES [N]").clone();
    let n: usize = args.get(1).map_or(500, |s| s.parse().unwrap());
    let global = Global {
        database_url: Some(std::env::var("PAPERS_DATABASE_URL").expect("PAPERS_DATABASE_URL")),
        data_dir: std::env::var("PAPERS_DATA_DIR")
            .expect("PAPERS_DATA_DIR")
            .into(),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let services = rt.block_on(Services::open(&global)).unwrap();
    rt.block_on(services.catch_up()).unwrap();
    let total = rt.block_on(services.store.count()).unwrap() as usize;

    // Draw the queries from the stored papers.
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut topical, mut known) = (Vec::new(), Vec::new());
    let all = rt
        .block_on(services.store.changes_since(0, i64::MAX))
        .unwrap();
    while topical.len() < n || known.len() < n {
        let paper = &all[rng.below(all.len())].paper;
        let abs = words(&paper.abstract_text);
        if topical.len() < n && abs.len() > 3 {
            let len = 2 + rng.below(2);
            let start = rng.below(abs.len() - len);
            topical.push(abs[start..start + len].join(" "));
        }
        let title = words(&paper.title);
        if known.len() < n && title.len() >= 3 {
            let len = (3 + rng.below(4)).min(title.len());
            let start = rng.below(title.len() - len + 1);
            known.push((title[start..start + len].join(" "), paper.id.clone()));
        }
    }
    drop(all);
    let mut file = std::fs::File::create(&out).unwrap();
    for q in topical.iter().chain(known.iter().map(|(q, _)| q)) {
        writeln!(file, "{}", encode(q)).unwrap();
    }

    // In process: the index alone, top 10 (with and without facets).
    let index = services.index.clone();
    let search = |q: &str, facets: bool| {
        let mut req = SearchRequest::new(q, 10);
        req.facets = facets;
        index.search(&req, Ranking::default()).unwrap()
    };
    let mut rr = 0.0;
    let mut found = 0;
    for (q, id) in &known {
        let hits = search(q, false).hits;
        if let Some(rank) = hits.iter().position(|h| &h.id == id) {
            rr += 1.0 / (rank + 1) as f64;
            found += 1;
        }
    }

    // Over HTTP: the full API (parse, search, load from the store, highlight, JSON).
    let state = papers::web::AppState::new(services.store.clone(), services.index.clone());
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let router = papers::web::router(state.clone());
    rt.spawn(async move { axum::serve(listener, router).await.unwrap() });
    let mut conn = BufReader::new(TcpStream::connect(addr).unwrap());
    conn.get_ref().set_nodelay(true).unwrap();
    let mut http = |q: &str| {
        let body = http_get(&mut conn, &format!("/api/search?limit=10&q={}", encode(q)));
        assert!(body.starts_with("{\"total\""), "{body}");
    };
    // In process: what `/api/search` runs before serialising.
    let pipeline = |q: &str| {
        let params = papers::web::params::SearchParams {
            q: q.to_string(),
            limit: Some(10),
            ..Default::default()
        };
        rt.block_on(papers::web::search::run(
            &state,
            &params,
            papers::web::ClientAddr(None),
        ))
        .unwrap();
    };

    // Each query goes through every variant in turn, so that a change in the machine's speed
    // during the run weighs on all of them alike.
    let ms = |f: &mut dyn FnMut()| {
        let t = Instant::now();
        f();
        t.elapsed().as_secs_f64() * 1e3
    };
    for q in topical.iter().take(50) {
        search(q, true);
        pipeline(q);
        http(q);
    }
    let mut topical_ms: [Vec<f64>; 4] = Default::default();
    for q in &topical {
        topical_ms[0].push(ms(&mut || drop(search(q, false))));
        topical_ms[1].push(ms(&mut || drop(search(q, true))));
        topical_ms[2].push(ms(&mut || pipeline(q)));
        topical_ms[3].push(ms(&mut || http(q)));
    }
    let mut known_ms: [Vec<f64>; 2] = Default::default();
    for (q, _) in &known {
        known_ms[0].push(ms(&mut || drop(search(q, false))));
        known_ms[1].push(ms(&mut || http(q)));
    }

    println!(
        "corpus: {total} papers ({}), {n} topical + {n} known-item queries",
        services.store.backend()
    );
    println!();
    println!("| run | n | p50 ms | p95 ms | p99 ms | mean ms |");
    println!("|---|---|---|---|---|---|");
    let [index_ms, facets_ms, pipe_ms, http_ms] = topical_ms;
    let (in_p50, in_p99) = summary("in-process index, topical", index_ms);
    summary("in-process index + facets, topical", facets_ms);
    let (pipe_p50, pipe_p99) = summary("in-process API pipeline, topical", pipe_ms);
    let (http_p50, http_p99) = summary("HTTP /api/search, topical", http_ms);
    let [known_index, known_http] = known_ms;
    summary("in-process index, known-item", known_index);
    summary("HTTP /api/search, known-item", known_http);
    println!();
    println!(
        "HTTP / in-process API pipeline: p50 ×{:.2}, p99 ×{:.2}",
        http_p50 / pipe_p50,
        http_p99 / pipe_p99
    );
    println!(
        "HTTP / in-process index: p50 ×{:.2}, p99 ×{:.2}; known-item MRR@10 {:.3}, found@10 {:.3}",
        http_p50 / in_p50,
        http_p99 / in_p99,
        rr / n as f64,
        found as f64 / n as f64
    );
}
