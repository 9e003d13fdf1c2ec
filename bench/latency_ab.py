#!/usr/bin/env python3
"""Latency A/B: two (or more) `papers` binaries serve the same imported corpus in turn, and each
answers the same queries over one keep-alive HTTP connection (`/api/search?limit=10`, facets
and highlights included), for --rounds alternating rounds, so that a drift in the machine's
speed weighs on every binary alike.

  bench/latency_ab.py --dir /tmp/papers-bench-search/synth-1000000 [--n 500] [--rounds 2] BIN...

--dir is a corpus imported by bench/search.sh (DIR/papers.db and DIR/data). Queries are drawn
from the stored papers (seed 17): --n topical queries of 2-3 consecutive abstract words and
--n title fragments of 3-6 consecutive title words (words of 4+ letters or digits, as
benches/search.rs draws them). Prints one markdown row per binary and query set from the last
round: p50, p99 and mean milliseconds (request written to body read). Standard library only.
"""
import argparse, http.client, json, math, os, random, sqlite3, subprocess, sys, time, urllib.parse

PORT = 18520


def words(text):
    return [w for w in text.split() if len(w) > 3 and all(c.isalnum() or c == "-" for c in w)]


def draw(db, n, seed):
    rng = random.Random(seed)
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    top = con.execute("select max(rowid) from papers").fetchone()[0]
    topical, fragments = [], []
    while len(topical) < n or len(fragments) < n:
        row = con.execute("select title, abstract from papers where rowid = ?",
                          (rng.randint(1, top),)).fetchone()
        if row is None:
            continue
        abstract, title = words(row[1]), words(row[0])
        if len(topical) < n and len(abstract) > 3:
            k = rng.randint(2, 3)
            s = rng.randint(0, len(abstract) - k)
            topical.append(" ".join(abstract[s:s + k]))
        if len(fragments) < n and len(title) >= 3:
            k = min(rng.randint(3, 6), len(title))
            s = rng.randint(0, len(title) - k)
            fragments.append(" ".join(title[s:s + k]))
    return {"topical (2-3 words)": topical, "title fragments": fragments}


def start(binary, corpus, port=PORT):
    """`papers serve` on the corpus imported in `corpus`, without waiting for it."""
    env = dict(os.environ, PAPERS_DATABASE_URL=f"sqlite://{corpus}/papers.db",
               PAPERS_DATA_DIR=f"{corpus}/data", PAPERS_ARXIV_SYNC="false")
    return subprocess.Popen([binary, "serve", "--bind", f"127.0.0.1:{port}"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_ready(proc, port=PORT):
    """Waits until the server on `port` answers /readyz; kills it and exits if it never does."""
    for _ in range(600):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/readyz")
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    proc.kill()
    sys.exit(f"the server on port {port} did not become ready")


def serve(binary, corpus):
    proc = start(binary, corpus)
    wait_ready(proc)
    return proc


def measure(queries):
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    times = []
    for q in queries:
        path = "/api/search?" + urllib.parse.urlencode({"q": q, "limit": 10})
        t = time.perf_counter()
        conn.request("GET", path)
        resp = conn.getresponse()
        body = resp.read()
        times.append((time.perf_counter() - t) * 1e3)
        if resp.status != 200:
            sys.exit(f"HTTP {resp.status} for {q!r}: {body[:200]!r}")
    times.sort()
    n = len(times)
    return times[(n - 1) // 2], times[math.ceil(0.99 * n) - 1], sum(times) / n


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("binaries", nargs="+")
    args = ap.parse_args()
    sets = draw(os.path.join(args.dir, "papers.db"), args.n, 17)
    rows = {}
    for r in range(1, args.rounds + 1):
        for binary in args.binaries:
            proc = serve(binary, args.dir)
            try:
                for name, queries in sets.items():
                    measure(queries[:50])  # warm-up
                    rows[(binary, name)] = measure(queries)
                    p50, p99, mean = rows[(binary, name)]
                    print(f"round {r} {binary} {name}: p50 {p50:.2f} p99 {p99:.2f} mean {mean:.2f}",
                          file=sys.stderr, flush=True)
            finally:
                proc.terminate()
                proc.wait()
    print("| binary | queries | n | p50 ms | p99 ms | mean ms |")
    print("|---|---|---:|---:|---:|---:|")
    for (binary, name), (p50, p99, mean) in rows.items():
        print(f"| {binary} | {name} | {args.n} | {p50:.2f} | {p99:.2f} | {mean:.2f} |")


if __name__ == "__main__":
    main()
