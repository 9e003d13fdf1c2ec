#!/usr/bin/env python3
"""Known-item lookups: find the paper a few of its title words came from.

Mirrors the "known-item lookups" anchor of ../shared/bench/ANCHORS.md (MRR@10 of the paper the
words came from, tantivy-py in Cool Papers' configuration) and measures papers on the same queries.

  known_items.py make [--corpus-cmd CMD] --out DIR [--seed S] [--n N]
      Draws query sets from the corpus into DIR/{dev,test}-{fragments,typos,dropped}.jsonl,
      one {"q": ..., "id": ...} per line. dev (seed S) and test (seed S+1) use disjoint papers,
      N of each; the three sets of a split share the same papers:
        fragments  3-6 consecutive title words
        typos      the same fragments, two adjacent letters swapped inside the longest word
        dropped    4-7 consecutive title words with one interior word removed
      Title words are split on whitespace with surrounding punctuation stripped; titles with `$`
      (LaTeX) or fewer than 4 words are skipped, as are fragments of stop words only.
  known_items.py tantivy [--corpus-cmd CMD] --index DIR --sets FILE... [--json OUT]
      Builds (once; reused when DIR/complete exists) a tantivy-py index in Cool Papers'
      configuration: `id` raw and stored, `title` and `abstract` text with the default tokenizer,
      writer defaults, one commit. Queries go through index.parse_query(q, ["title", "abstract"])
      (OR by default, no boosts), with the parser's special characters backslash-escaped and the
      operator words AND/OR/NOT/IN lowercased; a query that still fails to parse is a miss.
  known_items.py papers --url http://127.0.0.1:PORT --sets FILE... [--json OUT]
      GET {url}/api/search?q=...&limit=10 over one keep-alive connection.
  known_items.py table JSON...
      One markdown table (with header) from the --json files, rows grouped by set.

Both engines print markdown rows `| engine | set | queries | MRR@10 | found@10 | p50 ms | p99 ms |`
(latency: tantivy in process, parse + search + stored ids; papers over HTTP, request to body read).
The first --warmup queries of each set are run once unmeasured first.
The corpus command defaults to `python3 ../shared/bench/corpus.py real`, run from the repository
root; it must print arXiv-snapshot JSON lines (id, title, abstract, ...).
Standard library only, plus `pip install tantivy` for the tantivy subcommand.
"""
import argparse, http.client, json, math, os, random, re, subprocess, sys, time, urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CORPUS = "python3 ../shared/bench/corpus.py real"
# Lucene's (and tantivy's) English stop words.
STOP = set("a an and are as at be but by for if in into is it no not of on or such that the their "
           "then there these they this to was will with".split())
EDGE_PUNCT = re.compile(r"^[\W_]+|[\W_]+$")
# Characters with a meaning in tantivy's query grammar, and the operator words.
TANTIVY_SPECIAL = re.compile(r"""([+\-^:{}"\[\]()<>~!\\*'`=&|/@#$%?])""")
OPERATORS = {"AND", "OR", "NOT", "IN"}
STRIP_VERSION = re.compile(r"v\d+$")


def corpus(cmd):
    """Yields the corpus records (dicts) printed by `cmd`, run from the repository root."""
    proc = subprocess.Popen(cmd, shell=True, cwd=ROOT, stdout=subprocess.PIPE, text=True,
                            encoding="utf-8")
    for line in proc.stdout:
        if line.strip():
            yield json.loads(line)
    if proc.wait() != 0:
        sys.exit(f"corpus command failed ({proc.returncode}): {cmd}")


# ---- make --------------------------------------------------------------------------------------

def title_words(title):
    return [w for w in (EDGE_PUNCT.sub("", t) for t in title.split()) if w]


def all_stop(words):
    return all(w.lower() in STOP for w in words)


def swap_typo(words, rng):
    """The words with two adjacent interior letters swapped in the longest word that allows it
    (at least 4 letters, the two letters differ), or None."""
    for i in sorted(range(len(words)), key=lambda i: -len(words[i])):
        w = words[i]
        if sum(c.isalpha() for c in w) < 4:
            continue
        # Swap w[j] and w[j+1], never the first or the last character.
        spots = [j for j in range(1, len(w) - 2)
                 if w[j].isalpha() and w[j + 1].isalpha() and w[j].lower() != w[j + 1].lower()]
        if spots:
            j = rng.choice(spots)
            out = list(words)
            out[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
            return out
    return None


def draw(words, rng, tries=10):
    """(fragment, typo, dropped) queries from one title's words, or None."""
    for _ in range(tries):
        n = min(rng.randint(3, 6), len(words))
        start = rng.randint(0, len(words) - n)
        frag = words[start:start + n]
        typo = None if all_stop(frag) else swap_typo(frag, rng)
        if typo:
            break
    else:
        return None
    for _ in range(tries):
        n = min(rng.randint(4, 7), len(words))
        start = rng.randint(0, len(words) - n)
        span = words[start:start + n]
        k = rng.randint(1, n - 2)
        dropped = span[:k] + span[k + 1:]
        if not all_stop(dropped):
            break
    else:
        return None
    return " ".join(frag), " ".join(typo), " ".join(dropped)


def split(papers, rng, n, exclude):
    """n papers (id, words) in a shuffled order with their three queries."""
    pool = [p for p in papers if p[0] not in exclude]
    rng.shuffle(pool)
    out = []
    for pid, words in pool:
        qs = draw(words, rng)
        if qs:
            out.append((pid, qs))
            if len(out) == n:
                break
    if len(out) < n:
        sys.exit(f"only {len(out)} papers qualify, {n} wanted")
    return out


def cmd_make(args):
    papers, seen = [], set()
    for r in corpus(args.corpus_cmd):
        title = " ".join(r["title"].split())
        words = title_words(title)
        if r["id"] in seen or "$" in title or len(words) < 4:
            continue
        seen.add(r["id"])
        papers.append((r["id"], words))
    os.makedirs(args.out, exist_ok=True)
    used = set()
    for name, seed in (("dev", args.seed), ("test", args.seed + 1)):
        drawn = split(papers, random.Random(seed), args.n, used)
        used.update(pid for pid, _ in drawn)
        for k, kind in enumerate(("fragments", "typos", "dropped")):
            with open(os.path.join(args.out, f"{name}-{kind}.jsonl"), "w", encoding="utf-8") as f:
                for pid, qs in drawn:
                    f.write(json.dumps({"q": qs[k], "id": pid}, ensure_ascii=False) + "\n")
    print(f"{len(papers)} eligible titles; wrote {args.n} queries per set to {args.out}",
          file=sys.stderr)


# ---- measuring ---------------------------------------------------------------------------------

def load_set(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def same_id(a, b):
    return STRIP_VERSION.sub("", a) == STRIP_VERSION.sub("", b)


def measure(engine, sets, search, warmup):
    """search(q) -> list of ids (best first) or None on failure. Prints and returns the rows."""
    rows = []
    for path in sets:
        queries = load_set(path)
        for item in queries[:warmup]:
            search(item["q"])
        rr, found, failed, times = 0.0, 0, 0, []
        for item in queries:
            t = time.perf_counter()
            ids = search(item["q"])
            times.append((time.perf_counter() - t) * 1e3)
            if ids is None:
                failed += 1
                continue
            for rank, hit in enumerate(ids[:10], 1):
                if same_id(hit, item["id"]):
                    rr += 1 / rank
                    found += 1
                    break
        times.sort()
        n = len(queries)
        row = {"engine": engine, "set": os.path.basename(path).removesuffix(".jsonl"),
               "queries": n, "mrr10": rr / n, "found10": found / n, "failed": failed,
               "p50_ms": times[(n - 1) // 2], "p99_ms": times[math.ceil(0.99 * n) - 1]}
        rows.append(row)
        print(f"| {engine} | {row['set']} | {n} | {row['mrr10']:.3f} | {row['found10']:.3f} "
              f"| {row['p50_ms']:.2f} | {row['p99_ms']:.2f} |", flush=True)
        if failed:
            print(f"{engine} {row['set']}: {failed} queries failed (counted as misses)",
                  file=sys.stderr)
    return rows


def write_json(path, rows):
    if path:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(rows, f, indent=1)


# ---- tantivy -----------------------------------------------------------------------------------

def tantivy_index(path, corpus_cmd):
    import tantivy
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    sb.add_text_field("title")
    sb.add_text_field("abstract")
    schema = sb.build()
    done = os.path.join(path, "complete")
    if os.path.exists(done):
        return tantivy.Index(schema, path=path, reuse=True)
    if os.path.isdir(path):
        for name in os.listdir(path):
            os.remove(os.path.join(path, name))
    os.makedirs(path, exist_ok=True)
    started = time.perf_counter()
    index = tantivy.Index(schema, path=path, reuse=False)
    writer = index.writer()
    n = 0
    for r in corpus(corpus_cmd):
        writer.add_document(tantivy.Document(id=r["id"], title=r["title"],
                                             abstract=r.get("abstract") or ""))
        n += 1
    writer.commit()
    writer.wait_merging_threads()
    open(done, "w").close()
    print(f"tantivy: indexed {n} papers in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    index.reload()
    return index


def tantivy_query(q):
    """q with the parser's special characters escaped and operator words lowercased."""
    words = TANTIVY_SPECIAL.sub(r"\\\1", q).split()
    return " ".join(w.lower() if w in OPERATORS else w for w in words)


def cmd_tantivy(args):
    index = tantivy_index(args.index, args.corpus_cmd)
    searcher = index.searcher()
    fields = ["title", "abstract"]

    def search(q):
        try:
            query = index.parse_query(tantivy_query(q), fields)
        except ValueError:
            try:  # strip what escaping did not make acceptable
                query = index.parse_query(" ".join(TANTIVY_SPECIAL.sub(" ", q).split()), fields)
            except ValueError:
                return None
        hits = searcher.search(query, 10, count=False).hits
        return [searcher.doc(addr)["id"][0] for _score, addr in hits]

    write_json(args.json, measure("tantivy-py (Cool Papers config, OR)", args.sets, search,
                                  args.warmup))


# ---- papers ------------------------------------------------------------------------------------

def cmd_papers(args):
    url = urllib.parse.urlsplit(args.url)
    conn = None

    def search(q):
        nonlocal conn
        path = f"{url.path.rstrip('/')}/api/search?" + urllib.parse.urlencode({"q": q, "limit": 10})
        for attempt in (1, 2):  # a second try on a fresh connection if the old one was closed
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=60)
                conn.request("GET", path)
                resp = conn.getresponse()
                body = resp.read()
                break
            except (http.client.HTTPException, OSError):
                conn.close()
                conn = None
                if attempt == 2:
                    raise
        if resp.status != 200:
            print(f"HTTP {resp.status} for {q!r}: {body[:200]!r}", file=sys.stderr)
            return None
        return [h["id"] for h in json.loads(body)["hits"]]

    write_json(args.json, measure("papers", args.sets, search, args.warmup))


def cmd_table(args):
    rows = [r for path in args.files for r in json.load(open(path, encoding="utf-8"))]
    print("| engine | set | queries | MRR@10 | found@10 | p50 ms | p99 ms |")
    print("|---|---|---|---|---|---|---|")
    order = {}
    for r in rows:
        order.setdefault(r["set"], len(order))
    for r in sorted(rows, key=lambda r: order[r["set"]]):  # stable: engines keep file order
        print(f"| {r['engine']} | {r['set']} | {r['queries']} | {r['mrr10']:.3f} "
              f"| {r['found10']:.3f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    make = sub.add_parser("make", help="draw the query sets")
    make.add_argument("--corpus-cmd", default=DEFAULT_CORPUS)
    make.add_argument("--out", required=True)
    make.add_argument("--seed", type=int, default=13)
    make.add_argument("--n", type=int, default=300)
    make.set_defaults(run=cmd_make)
    for name, run in (("tantivy", cmd_tantivy), ("papers", cmd_papers)):
        p = sub.add_parser(name, help=f"measure {name}")
        if name == "tantivy":
            p.add_argument("--corpus-cmd", default=DEFAULT_CORPUS)
            p.add_argument("--index", required=True, help="index directory (built once)")
        else:
            p.add_argument("--url", required=True, help="e.g. http://127.0.0.1:18310")
        p.add_argument("--sets", nargs="+", required=True, help="query set files (.jsonl)")
        p.add_argument("--json", help="also write the numbers to this file")
        p.add_argument("--warmup", type=int, default=20,
                       help="unmeasured queries run first from each set (default 20)")
        p.set_defaults(run=run)
    table = sub.add_parser("table", help="merge --json outputs into one table")
    table.add_argument("files", nargs="+")
    table.set_defaults(run=cmd_table)
    args = ap.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
