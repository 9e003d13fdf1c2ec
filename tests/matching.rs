//! Search means what was typed: property checks over a generated corpus whose true answers
//! are known, on both backends, through the real HTTP API.

mod common;

use common::{api, backends, fresh_db, ids, serve};
use papers::domain::{Date, Paper, Venue};
use serde_json::Value;
use std::collections::HashSet;

/// Distinct words in base form (no two share a stem, none is a stop word).
const VOCAB: &[&str] = &[
    "graph",
    "neural",
    "bandit",
    "linear",
    "kernel",
    "protein",
    "quantum",
    "diffusion",
    "language",
    "vision",
    "robot",
    "policy",
    "reward",
    "sparse",
    "tensor",
    "matrix",
    "convex",
    "stochastic",
    "gradient",
    "bayesian",
    "causal",
    "privacy",
    "federated",
    "adversarial",
    "attention",
    "transformer",
    "contrastive",
    "retrieval",
    "compiler",
    "theorem",
    "galaxy",
    "plasma",
    "lattice",
    "spectral",
    "manifold",
    "topology",
    "entropy",
    "wavelet",
    "fluid",
    "turbulence",
    "neutrino",
    "boson",
    "enzyme",
    "genome",
    "epidemic",
    "climate",
    "auction",
    "portfolio",
    "traffic",
    "wireless",
    "antenna",
    "circuit",
    "battery",
    "catalyst",
    "polymer",
    "crystal",
    "magnet",
    "photon",
    "laser",
    "sensor",
    "speech",
    "music",
    "tumor",
    "molecule",
    "chemistry",
    "benchmark",
    "emulator",
    "hashing",
    "sketch",
    "streaming",
    "scheduling",
    "routing",
    "consensus",
    "blockchain",
    "auditing",
];
const NAMES: &[&str] = &[
    "Ada Moreau",
    "Bo Tanaka",
    "Chen Wu",
    "Dara Okafor",
    "Eli Novak",
    "Fay Lindqvist",
    "Gus Ferreira",
    "Hana Kim",
    "Ivo Petrov",
    "Jun Sato",
];
const CATEGORIES: &[&str] = &["cs.LG", "cs.CL", "cs.CV", "stat.ML", "math.OC", "q-bio.BM"];
const PAPERS: usize = 1_200;

/// xorshift64*: deterministic and dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A vocabulary word, the first ones more often (as real term frequencies go).
    fn word(&mut self) -> &'static str {
        let a = self.below(VOCAB.len());
        let b = self.below(VOCAB.len());
        VOCAB[a.min(b)]
    }
}

fn corpus() -> Vec<Paper> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut papers: Vec<Paper> = (0..PAPERS)
        .map(|i| {
            let title: Vec<&str> = (0..4 + rng.below(4)).map(|_| rng.word()).collect();
            let abstract_text: Vec<&str> = (0..20 + rng.below(15)).map(|_| rng.word()).collect();
            let mut categories = vec![CATEGORIES[rng.below(CATEGORIES.len())].to_string()];
            if rng.below(3) == 0 {
                let other = CATEGORIES[rng.below(CATEGORIES.len())].to_string();
                if other != categories[0] {
                    categories.push(other);
                }
            }
            let year = 2018 + rng.below(7) as u16;
            Paper {
                id: format!("2401.{i:05}"),
                title: format!(
                    "On {} for the {}",
                    title[..2].join(" "),
                    title[2..].join(" ")
                ),
                abstract_text: format!("We study {}.", abstract_text.join(" ")),
                authors: vec![
                    NAMES[rng.below(NAMES.len())].to_string(),
                    NAMES[rng.below(NAMES.len())].to_string(),
                ],
                categories,
                published: Date::new(year, 1 + rng.below(12) as u8, 1 + rng.below(28) as u8),
                venue: (rng.below(8) == 0).then(|| Venue {
                    name: ["ICLR", "ICML"][rng.below(2)].to_string(),
                    year,
                    track: None,
                }),
                ..Paper::default()
            }
        })
        .collect();
    // Acronyms that are also first names: five papers about each acronym, and one paper by
    // someone of that first name about something else.
    for (n, (acronym, person)) in [("LoRA", "Lora Rossi"), ("ViT", "Vít Garcia")]
        .into_iter()
        .enumerate()
    {
        for k in 0..5 {
            let p = &mut papers[100 * n + k];
            p.title = format!("{acronym} for {} {}", VOCAB[k], VOCAB[k + 10]);
        }
        let p = &mut papers[100 * n + 50];
        p.authors = vec![person.to_string()];
    }
    // A word that is also someone's name: it matches papers by her and papers about it.
    let by_name = named_paper(&papers);
    papers[by_name].authors = vec!["Sketch Moreau".to_string()];
    papers
}

/// The first paper past the planted ones whose title and abstract have `graph` but not
/// `sketch`: written by "Sketch Moreau", it has `sketch` in its authors alone.
fn named_paper(papers: &[Paper]) -> usize {
    (200..papers.len())
        .find(|&i| {
            let text = format!("{} {}", papers[i].title, papers[i].abstract_text);
            text.contains("graph") && !text.contains("sketch")
        })
        .expect("a graph paper without sketch")
}

/// `n` different words of `pool`, drawn at random.
fn distinct<'a>(rng: &mut Rng, pool: &[&'a str], n: usize) -> Vec<&'a str> {
    let mut words: Vec<&str> = Vec::new();
    while words.len() < n {
        let w = pool[rng.below(pool.len())];
        if !words.contains(&w) {
            words.push(w);
        }
    }
    words
}

/// How many papers hold at least `k` of `words`.
fn holding_at_least(truth: &[HashSet<String>], words: &[&str], k: usize) -> u64 {
    truth
        .iter()
        .filter(|t| words.iter().filter(|w| t.contains(**w)).count() >= k)
        .count() as u64
}

/// The answer to `q` and its notes, unless near spellings stood in (which a count of the
/// typed words cannot check).
async fn relaxed_search(addr: std::net::SocketAddr, q: &str) -> Option<(Value, String)> {
    let json = api(addr, &format!("/api/search?q={q}&limit=5")).await;
    let notes = json["query"]["notes"].to_string();
    (!notes.contains("near spellings")).then_some((json, notes))
}

/// The level a relaxed query should reach: `k` of its `n` words (1: any), found in `total`
/// papers.
struct Level {
    k: usize,
    n: usize,
    total: u64,
}

impl Level {
    /// The answer `json` (with `notes`) to `q` says the level and has its total, and the query
    /// keeps it under a filter and newest first: filtered, its total is the count its facet
    /// showed unfiltered; newest first, the same total.
    async fn check(
        &self,
        addr: std::net::SocketAddr,
        q: &str,
        json: &Value,
        notes: &str,
        category: &str,
        backend: &str,
    ) {
        let (k, n) = (self.k, self.n);
        let shown = if k == 1 { "any".into() } else { k.to_string() };
        assert!(
            notes.contains(&format!("match {shown} of {n} words")),
            "{backend}: {q}: {notes}"
        );
        assert_eq!(json["total"], self.total, "{backend}: {q}");
        let filtered = api(addr, &format!("/api/search?q={q}&category={category}")).await;
        assert_eq!(
            filtered["total"],
            facet(json, "categories", category),
            "{backend}: {q} in {category}"
        );
        let newest = api(addr, &format!("/api/search?q={q}&sort=newest&limit=5")).await;
        assert_eq!(
            newest["total"], json["total"],
            "{backend}: {q} newest first"
        );
    }
}

/// Lower-cased words of a paper's title, abstract and authors.
fn words_of(p: &Paper) -> HashSet<String> {
    let text = format!("{} {} {}", p.title, p.abstract_text, p.authors.join(" "));
    text.split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .collect()
}

fn facet(json: &Value, name: &str, value: &str) -> u64 {
    json["facets"][name]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["value"] == value)
        .map_or(0, |f| f["count"].as_u64().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_means_what_was_typed() {
    let papers = corpus();
    let truth: Vec<HashSet<String>> = papers.iter().map(words_of).collect();
    let having = |words: &[&str]| {
        truth
            .iter()
            .filter(|t| words.iter().all(|w| t.contains(*w)))
            .count()
    };
    for backend in backends() {
        let db = fresh_db(backend).await;
        let (addr, _services) = serve(&db, &papers).await;
        let mut rng = Rng(7);

        // Totals are exactly the papers holding every word; a filter's total is the count
        // its facet showed without it, whether in the page's filters or the query's fields.
        let mut strict = 0;
        for _ in 0..40 {
            let words = [rng.word(), rng.word()];
            let q = words.join("+");
            let all = api(addr, &format!("/api/search?q={q}&limit=5")).await;
            let relaxed = all["query"]["notes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n.as_str().unwrap().contains("showing papers that match"));
            if !relaxed {
                strict += 1;
                assert_eq!(all["total"], having(&words) as u64, "{backend}: {q}");
            }
            let category = CATEGORIES[rng.below(CATEGORIES.len())];
            let year = (2018 + rng.below(7)).to_string();
            let venue = ["ICLR", "ICML"][rng.below(2)];
            for (target, count) in [
                (
                    format!("{q}&category={category}"),
                    facet(&all, "categories", category),
                ),
                (
                    format!("{q}+cat:{category}"),
                    facet(&all, "categories", category),
                ),
                (format!("{q}+year:{year}"), facet(&all, "years", &year)),
                (format!("{q}&venue={venue}"), facet(&all, "venues", venue)),
            ] {
                let filtered = api(addr, &format!("/api/search?q={target}&limit=5")).await;
                assert_eq!(filtered["total"], count, "{backend}: {target}");
            }
        }
        assert!(
            strict >= 30,
            "{backend}: most word pairs match strictly ({strict}/40)"
        );

        // A word in an author's name matches there as well as in the text, alone or with
        // words found only in the text, filtered or not.
        let by_name = &papers[named_paper(&papers)];
        let named = api(addr, "/api/search?q=sketch+graph&limit=100").await;
        assert_eq!(
            named["total"],
            having(&["sketch", "graph"]) as u64,
            "{backend}"
        );
        assert!(
            ids(&named).contains(&by_name.id),
            "{backend}: {}",
            by_name.id
        );
        let category = &by_name.categories[0];
        let filtered = api(
            addr,
            &format!("/api/search?q=sketch+graph&category={category}&limit=5"),
        )
        .await;
        assert_eq!(
            filtered["total"],
            facet(&named, "categories", category),
            "{backend}"
        );

        // Newest first lists only papers with every word (stop words aside).
        let mut strict = 0;
        for _ in 0..10 {
            let words = [rng.word(), rng.word()];
            let json = api(
                addr,
                &format!(
                    "/api/search?q=the+{}+of+{}&sort=newest&limit=50",
                    words[0], words[1]
                ),
            )
            .await;
            let dates: Vec<&str> = json["hits"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h["published"].as_str().unwrap())
                .collect();
            assert!(
                dates.windows(2).all(|d| d[0] >= d[1]),
                "{backend}: newest first"
            );
            if !json["query"]["notes"].as_array().unwrap().is_empty() {
                continue;
            }
            strict += 1;
            assert_eq!(json["total"], having(&words) as u64, "{backend}: {words:?}");
            for id in ids(&json) {
                let i: usize = id[5..].parse().unwrap();
                assert!(
                    words.iter().all(|w| truth[i].contains(*w)),
                    "{backend}: {id} lacks {words:?}"
                );
            }
        }
        assert!(
            strict >= 7,
            "{backend}: most newest-first pairs match strictly ({strict}/10)"
        );

        // AND narrows, OR widens; operators are never relaxed.
        for _ in 0..10 {
            let (a, b) = (rng.word(), rng.word());
            let total = async |q: String| {
                api(addr, &format!("/api/search?q={q}")).await["total"]
                    .as_u64()
                    .unwrap()
            };
            let (ta, tb) = (total(a.to_string()).await, total(b.to_string()).await);
            let and = total(format!("{a}+AND+{b}")).await;
            let or = total(format!("{a}+OR+{b}")).await;
            assert!(and <= ta.min(tb), "{backend}: {a} AND {b}");
            assert!(or >= ta.max(tb), "{backend}: {a} OR {b}");
            assert_eq!(
                or as usize,
                truth
                    .iter()
                    .filter(|t| t.contains(a) || t.contains(b))
                    .count()
            );
        }
        let four = ["auditing", "blockchain", "consensus", "routing"];
        assert_eq!(having(&four), 0, "no paper has all four rare words");
        let relaxed = api(addr, &format!("/api/search?q={}", four.join("+"))).await;
        let notes = relaxed["query"]["notes"].to_string();
        assert!(notes.contains("of 4 words"), "{backend}: {notes}");
        assert!(relaxed["total"].as_u64().unwrap() > 0);
        let explicit = api(addr, &format!("/api/search?q={}", four.join("+AND+"))).await;
        assert_eq!(
            explicit["total"], 0,
            "{backend}: operators are matched as written"
        );
        // Relaxed or not, exclusions and filters hold.
        let excluded = api(
            addr,
            &format!(
                "/api/search?q={}+-graph&category=cs.CL&limit=100",
                four.join("+")
            ),
        )
        .await;
        for hit in excluded["hits"].as_array().unwrap() {
            let i: usize = hit["id"].as_str().unwrap()[5..].parse().unwrap();
            assert!(!truth[i].contains("graph"), "{backend}: exclusion kept");
            assert!(
                papers[i].categories.iter().any(|c| c == "cs.CL"),
                "{backend}: filter kept"
            );
        }

        // Relaxed, a query matches exactly the papers holding the most of its words that still
        // fill a page (20), as its note says, and a filter's total is still its facet's count.
        let mut loosened = 0;
        for _ in 0..200 {
            let words = distinct(&mut rng, VOCAB, 4);
            if having(&words) > 0 {
                continue;
            }
            let at_least = |k: usize| holding_at_least(&truth, &words, k);
            let q = words.join("+");
            let Some((json, notes)) = relaxed_search(addr, &q).await else {
                continue;
            };
            let k = (2..4).rev().find(|&k| at_least(k) >= 20).unwrap_or(1);
            let category = CATEGORIES[rng.below(CATEGORIES.len())];
            let level = Level {
                k,
                n: 4,
                total: at_least(k),
            };
            level
                .check(addr, &q, &json, &notes, category, backend)
                .await;
            loosened += 1;
        }
        assert!(
            loosened >= 10,
            "{backend}: {loosened} relaxed queries tried"
        );

        // A sentence (five or more words) that some papers hold whole, fewer than a page, keeps
        // the most words that still fill a page; one that no paper holds whole takes any word.
        let (mut stepped, mut any) = (0, 0);
        for round in 0..160 {
            let n = 5 + round % 2;
            let pool: Vec<&str> = match round % 3 {
                0 => VOCAB.to_vec(),
                _ => {
                    let paper = &truth[rng.below(PAPERS)];
                    VOCAB
                        .iter()
                        .copied()
                        .filter(|w| paper.contains(*w))
                        .collect()
                }
            };
            if pool.len() < n {
                continue;
            }
            let words = distinct(&mut rng, &pool, n);
            let found = having(&words);
            if found >= 20 {
                continue;
            }
            let at_least = |k: usize| holding_at_least(&truth, &words, k);
            let q = words.join("+");
            let Some((json, notes)) = relaxed_search(addr, &q).await else {
                continue;
            };
            let k = match found {
                0 => 1,
                _ => (2..n).rev().find(|&k| at_least(k) >= 20).unwrap_or(1),
            };
            let category = CATEGORIES[rng.below(CATEGORIES.len())];
            let level = Level {
                k,
                n,
                total: at_least(k),
            };
            level
                .check(addr, &q, &json, &notes, category, backend)
                .await;
            match k {
                1 => any += 1,
                _ => stepped += 1,
            }
        }
        assert!(
            stepped >= 10 && any >= 10,
            "{backend}: {stepped} sentences stepped down, {any} to any word"
        );

        // A title with two letters swapped in its longest word still finds its paper, and the
        // suggestion spells it right.
        let mut found = 0;
        for i in (0..PAPERS).step_by(97) {
            let title = &papers[i].title;
            let longest = title.split(' ').max_by_key(|w| w.len()).unwrap();
            let mut chars: Vec<char> = longest.chars().collect();
            chars.swap(1, 2);
            let typo: String = chars.iter().collect();
            if typo == longest || VOCAB.contains(&typo.as_str()) {
                continue;
            }
            let q = title.replace(longest, &typo).replace(' ', "+");
            let json = api(addr, &format!("/api/search?q={q}&limit=10")).await;
            let rank = ids(&json).iter().position(|id| *id == papers[i].id);
            assert!(rank.is_some_and(|r| r < 3), "{backend}: {q} ranks {rank:?}");
            found += 1;
            let suggestion = json["query"]["suggestion"].as_str().unwrap_or_default();
            assert!(
                suggestion.contains(longest),
                "{backend}: {q} suggested {suggestion:?}"
            );
        }
        assert!(found >= 10, "{backend}: {found} typo queries tried");
        // The page shows the suggestion, and says what a search finding little tried.
        let typo = &papers[97].title.replace(' ', "+");
        let page = common::get(
            addr,
            format!("/search?q={}", typo.replacen("a", "aa", 1)).as_bytes(),
        )
        .await;
        assert_eq!(page.status, 200);
        let explicit_page =
            common::get(addr, format!("/search?q={}", four.join("+AND+")).as_bytes()).await;
        assert!(explicit_page.body.contains("No paper matches"), "{backend}");
        assert!(
            explicit_page
                .body
                .contains("auditing OR blockchain OR consensus OR routing"),
            "{backend}"
        );
        let misspelt = common::get(addr, b"/search?q=blokchain+auditing").await;
        assert!(misspelt.body.contains("Did you mean <a id=\"suggestion\" href=\"/search?q=blockchain+auditing\">blockchain auditing</a>"), "{backend}: {}", misspelt.body);
        let plain = api(addr, "/api/search?q=graph+neural").await;
        assert_eq!(
            plain["query"]["suggestion"],
            Value::Null,
            "{backend}: no typo, no suggestion"
        );

        // An acronym ranks its papers above a person of that first name; her whole name finds her.
        for (n, (acronym, person)) in [("LoRA", "Lora+Rossi"), ("ViT", "Vit+Garcia")]
            .into_iter()
            .enumerate()
        {
            let json = api(addr, &format!("/api/search?q={acronym}")).await;
            let top: Vec<String> = ids(&json).into_iter().take(5).collect();
            let expected: Vec<String> = (0..5).map(|k| papers[100 * n + k].id.clone()).collect();
            assert_eq!(
                top.iter().collect::<HashSet<_>>(),
                expected.iter().collect::<HashSet<_>>(),
                "{backend}: {acronym}"
            );
            let json = api(addr, &format!("/api/search?q={person}")).await;
            assert_eq!(
                ids(&json)[0],
                papers[100 * n + 50].id,
                "{backend}: {person}"
            );
        }
    }
}

/// The title-pair bonus reaches every candidate: papers whose titles hold the same words
/// (so the same BM25), interleaved in the index, rank typed words side by side first, one
/// word apart next, further apart last. (The index alone decides: one backend.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn words_side_by_side_in_the_title_rank_first_wherever_the_paper_sits() {
    const TITLES: [&str; 3] = [
        "Zorblat quexing mirvane toplish",
        "Zorblat mirvane quexing toplish",
        "Zorblat mirvane toplish quexing",
    ];
    let papers: Vec<Paper> = (0..45)
        .map(|i| Paper {
            title: TITLES[i % 3].to_string(),
            abstract_text: "A study.".to_string(),
            authors: vec!["Ada Lovelace".to_string()],
            ..common::paper(i)
        })
        .collect();
    let db = fresh_db("sqlite").await;
    let (addr, _services) = serve(&db, &papers).await;
    for q in ["zorblat+quexing", "Zorblat+quexing+paper+study"] {
        let json = api(addr, &format!("/api/search?q={q}&limit=45")).await;
        let classes: Vec<usize> = ids(&json)
            .iter()
            .map(|id| papers.iter().position(|p| p.id == *id).unwrap() % 3)
            .collect();
        let mut sorted = classes.clone();
        sorted.sort();
        assert_eq!(classes.len(), 45, "{q}");
        assert_eq!(classes, sorted, "{q}: classes by rank {classes:?}");
    }
}
