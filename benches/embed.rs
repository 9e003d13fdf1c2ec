//! Embedding benchmarks: local-model throughput and related-papers scan latency.
//! `bench/embed.sh` runs them beside sentence-transformers.
//!
//! Usage:
//!   cargo bench --bench embed -- throughput MODEL_DIR CORPUS.jsonl N MAX_TOKENS
//!       embeds the first N papers of CORPUS (BEIR `title`/`text`, arXiv `title`/`summary` or
//!       `id`/`title`/`abstract` lines; .zst read as such) and prints abstracts/s
//!   cargo bench --bench embed -- scan N_VECTORS [DIM]
//!       nearest-10 scan over N random unit vectors (fixed seed, 8-bit in memory as the
//!       server keeps them): p50/p95 ms, the memory the vectors take, and recall@10 against
//!       an exact f32 scan

use papers::embed::vectors::VectorSet;
use papers::embed::{EmbedOptions, paper_text, similar};
use std::io::BufRead;
use std::time::Instant;

/// As in the `papers` binary: the allocator changes the model's speed.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match args.first().map(String::as_str) {
        Some("throughput") => throughput(&args[1], &args[2], arg(&args, 3), arg(&args, 4)),
        Some("scan") => scan(
            arg(&args, 1),
            args.get(2).map_or(384, |d| d.parse().unwrap()),
        ),
        _ => panic!("usage: embed throughput MODEL_DIR CORPUS N MAX_TOKENS | scan N [DIM]"),
    }
}

fn arg(args: &[String], i: usize) -> usize {
    args.get(i)
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("argument {i} must be a number"))
}

/// The first `n` papers' texts, as `papers embed` builds them.
fn texts(corpus: &str, n: usize) -> Vec<String> {
    let input = papers::import::input::open(corpus).unwrap();
    let s = |v: &serde_json::Value, keys: &[&str]| {
        keys.iter()
            .find_map(|k| v[*k].as_str())
            .unwrap_or_default()
            .to_string()
    };
    input
        .reader
        .lines()
        .take(n)
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
            paper_text(&s(&v, &["title"]), &s(&v, &["abstract", "summary", "text"]))
        })
        .collect()
}

fn throughput(model: &str, corpus: &str, n: usize, max_tokens: usize) {
    use clap::Parser;
    #[derive(Parser)]
    struct Opts {
        #[command(flatten)]
        embed: EmbedOptions,
    }
    let mut opts = Opts::parse_from(["bench"]).embed;
    opts.embed_model_dir = Some(model.into());
    opts.embed_url = None;
    opts.embed_max_tokens = max_tokens;
    let texts = texts(corpus, n);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let embedder = opts.open().unwrap().unwrap();
    // Warm up (page in the weights, start the threads).
    rt.block_on(embedder.embed(texts[..16.min(texts.len())].to_vec()))
        .unwrap();
    let started = Instant::now();
    let vectors = rt.block_on(embedder.embed(texts.clone())).unwrap();
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(vectors.len(), texts.len());
    println!(
        "local {} texts, max_tokens {max_tokens}: {secs:.1} s, {:.1} abstracts/s",
        texts.len(),
        texts.len() as f64 / secs
    );
}

/// xorshift: the same vectors every run.
struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    }

    fn vector(&mut self, dim: usize) -> Vec<f32> {
        let v: Vec<f32> = (0..dim).map(|_| self.unit()).collect();
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.into_iter().map(|x| x / norm).collect()
    }
}

fn scan(n: usize, dim: usize) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut set = VectorSet::new(dim);
    let mut exact = Vec::with_capacity(n * dim);
    for i in 0..n {
        let v = rng.vector(dim);
        set.insert(&format!("p{i}"), i as i64 + 1, &v);
        exact.extend_from_slice(&v);
    }
    let probes: Vec<Vec<f32>> = (0..50).map(|_| rng.vector(dim)).collect();
    let mut found = Vec::new();
    let mut ms: Vec<f64> = probes
        .iter()
        .map(|p| {
            let started = Instant::now();
            found.push(similar::nearest(&set, p, 10, None));
            started.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    let pct = |p: f64| ms[((ms.len() - 1) as f64 * p).round() as usize];
    // Recall of the 8-bit scan against the exact f32 nearest 10.
    let mut hits = 0;
    for (p, found) in probes.iter().zip(&found) {
        let mut scored: Vec<(f32, usize)> = exact
            .chunks_exact(dim)
            .enumerate()
            .map(|(i, v)| (papers::embed::dot(p, v), i))
            .collect();
        scored.select_nth_unstable_by(9, |a, b| b.0.total_cmp(&a.0));
        hits += scored[..10]
            .iter()
            .filter(|(_, i)| found.iter().any(|f| f.id == format!("p{i}")))
            .count();
    }
    println!(
        "scan {n} vectors x {dim}: p50 {:.1} ms, p95 {:.1} ms, vectors {:.0} MiB in memory ({} bytes each + id), recall@10 against exact f32 {:.3}",
        pct(0.5),
        pct(0.95),
        set.vector_bytes() as f64 / (1 << 20) as f64,
        set.vector_bytes() / n,
        hits as f64 / (10 * probes.len()) as f64
    );
}
