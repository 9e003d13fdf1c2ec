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
//!   cargo bench --bench embed -- ann N_VECTORS [DIM]
//!       the approximate related-papers index over N clustered vectors (a Gaussian mixture;
//!       fixed seed): build time, p50/p99 ms of nearest-10 for 300 stored papers and
//!       recall@10 against the exact scan of the same 8-bit set, per number of probes, beside
//!       the exact scan's p50/p99 in the same run; then the same over uniform random vectors
//!       (the worst case for any approximate index, unlike embeddings)

use papers::embed::ann::{self, AnnOptions};
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
        Some("ann") => {
            let (n, dim) = (
                arg(&args, 1),
                args.get(2).map_or(384, |d| d.parse().unwrap()),
            );
            approximate(n, dim, true);
            approximate(n, dim, false);
        }
        _ => panic!(
            "usage: embed throughput MODEL_DIR CORPUS N MAX_TOKENS | scan N [DIM] | ann N [DIM]"
        ),
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

    /// A standard normal deviate (Box–Muller).
    fn normal(&mut self) -> f32 {
        let (a, b) = (self.unit() + 0.5 + 1e-7, self.unit() + 0.5);
        (-2.0 * a.ln()).sqrt() * (std::f32::consts::TAU * b).cos()
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

/// Milliseconds at the 50th and 99th percentiles.
fn percentiles(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    let pct = |p: f64| ms[((ms.len() - 1) as f64 * p).round() as usize];
    (pct(0.5), pct(0.99))
}

/// Nearest 10 of each probe row (left out of its own answer), and the milliseconds each took.
fn timed(set: &VectorSet, probes: &[usize]) -> (Vec<Vec<similar::Neighbour>>, Vec<f64>) {
    probes
        .iter()
        .map(|&row| {
            let (id, probe) = (set.id(row), set.get(set.id(row)).unwrap());
            let started = Instant::now();
            let found = similar::nearest(set, &probe, 10, Some(id));
            (found, started.elapsed().as_secs_f64() * 1e3)
        })
        .unzip()
}

/// `n` vectors, the same every run: clustered like embeddings or uniform random.
fn generate(n: usize, dim: usize, clustered: bool) -> VectorSet {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut set = VectorSet::new(dim);
    if !clustered {
        for i in 0..n {
            set.insert(&format!("p{i}"), i as i64 + 1, &rng.vector(dim));
        }
        return set;
    }
    // Embeddings lie near a space of few dimensions: topics are a Gaussian mixture in 24
    // latent dimensions, mapped into `dim` by a fixed random matrix, plus noise in all.
    let latent = 24;
    let map: Vec<f32> = (0..dim * latent)
        .map(|_| rng.normal() / (dim as f32).sqrt())
        .collect();
    let topics: Vec<Vec<f32>> = (0..(n / 10_000).max(20))
        .map(|_| (0..latent).map(|_| 2.0 * rng.normal()).collect())
        .collect();
    let mut z = vec![0f32; latent];
    for i in 0..n {
        let topic = &topics[rng.0 as usize % topics.len()];
        z.iter_mut()
            .zip(topic)
            .for_each(|(z, t)| *z = t + rng.normal());
        let mut v: Vec<f32> = map
            .chunks_exact(latent)
            .map(|row| row.iter().zip(&z).map(|(a, b)| a * b).sum::<f32>() + 0.17 * rng.normal())
            .collect();
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter_mut().for_each(|x| *x /= norm);
        set.insert(&format!("p{i}"), i as i64 + 1, &v);
    }
    set
}

/// The approximate index against the exact scan on `n` vectors: clustered (a Gaussian
/// mixture of topics in a low-dimensional space) or uniform random.
fn approximate(n: usize, dim: usize, clustered: bool) {
    let kind = if clustered {
        "clustered"
    } else {
        "uniform random"
    };
    let started = Instant::now();
    let set = generate(n, dim, clustered);
    println!(
        "ann {n} {kind} vectors x {dim} (generated in {:.0} s)",
        started.elapsed().as_secs_f64()
    );
    let probes: Vec<usize> = (0..300).map(|i| (i * 7_919 + 13) % n).collect();
    let (truth, ms) = timed(&set, &probes);
    let (p50, p99) = percentiles(ms);
    println!("  exact scan: p50 {p50:.1} ms, p99 {p99:.1} ms");

    let options = AnnOptions {
        min_vectors: 1,
        ..AnnOptions::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bench.ivf");
    let vectors = std::sync::RwLock::new(set);
    let built = ann::index(&vectors, &options, Some(&file)).unwrap();
    let mut set = vectors.into_inner().unwrap();
    let index = set.ann().unwrap();
    println!(
        "  index: built and saved in {:.1} s on {} threads, {} lists, {:.0} MiB beside the vectors' {:.0} MiB ({:.0} MiB file)",
        built.seconds,
        rayon::current_num_threads(),
        built.lists,
        index.bytes() as f64 / (1 << 20) as f64,
        set.vector_bytes() as f64 / (1 << 20) as f64,
        std::fs::metadata(&file).unwrap().len() as f64 / (1 << 20) as f64
    );
    for probes_n in [4, 8, 16, 24, 32, 48] {
        set.set_ann_probes(probes_n);
        let (found, ms) = timed(&set, &probes);
        let hits: usize = truth
            .iter()
            .zip(&found)
            .map(|(t, f)| t.iter().filter(|x| f.iter().any(|y| y.id == x.id)).count())
            .sum();
        let (p50, p99) = percentiles(ms);
        println!(
            "  probes {probes_n:>3}{}: p50 {p50:.2} ms, p99 {p99:.2} ms, recall@10 against the exact scan {:.3}",
            if probes_n == options.probes {
                " (default)"
            } else {
                ""
            },
            hits as f64 / (10 * truth.len()) as f64
        );
    }
    // Keeping in step: each insert or replacement is placed in its list at once.
    let mut rng = Rng(0x0123_4567_89AB_CDEF);
    let fresh: Vec<Vec<f32>> = (0..1_000).map(|_| rng.vector(dim)).collect();
    let started = Instant::now();
    for (i, v) in fresh.iter().enumerate() {
        set.insert(&format!("p{}", i * 997 % n), (n + i) as i64, v);
    }
    println!(
        "  a replacement placed in its list: {:.3} ms each",
        started.elapsed().as_secs_f64()
    );
    drop(set);
    if clustered {
        // A restart: the same vectors again, the saved index loaded instead of built.
        let vectors = std::sync::RwLock::new(generate(n, dim, clustered));
        let loaded = ann::index(&vectors, &options, Some(&file)).unwrap();
        assert!(loaded.loaded && loaded.placed == 0);
        println!(
            "  restart: saved index loaded and checked in {:.2} s",
            loaded.seconds
        );
    }
}
