#!/usr/bin/env python3
"""Latency A/B with both binaries serving at once: A on --dir, B on --copy (a copy of the same
imported corpus: SQLite is served by one process per database), each query sent to one and
then the other (the order alternating), so that the machine's drift weighs on both alike even
within a round. Also checks that both answer the same total and the same ten ids.

  cp -r /tmp/papers-bench-search/synth-2700000 /tmp/synth-copy      # once (papers.db + data)
  bench/interleave_ab.py --dir /tmp/papers-bench-search/synth-2700000 --copy /tmp/synth-copy A B

Queries as bench/latency_ab.py draws them (--seed, default 17): --n topical queries of 2-3
abstract words, --n title fragments of 3-6 title words and the first words of the topical
queries alone, after 30 of each as warm-up. Prints
one markdown row per binary and set: p50, p99 and mean ms (request written to body read),
and how many queries the two answered differently. Standard library only.
"""
import argparse, http.client, json, math, os, sys, time, urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from latency_ab import draw, start, wait_ready  # noqa: E402

PORT = 18530


def ask(conn, q):
    path = "/api/search?" + urllib.parse.urlencode({"q": q, "limit": 10})
    t = time.perf_counter()
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read()
    ms = (time.perf_counter() - t) * 1e3
    if resp.status != 200:
        sys.exit(f"HTTP {resp.status} for {q!r}: {body[:200]!r}")
    found = json.loads(body)
    return ms, (found["total"], [h["id"] for h in found["hits"]])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--copy", required=True)
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("a")
    ap.add_argument("b")
    args = ap.parse_args()
    sets = draw(os.path.join(args.dir, "papers.db"), args.n, args.seed)
    sets["one word"] = [q.split()[0] for q in sets["topical (2-3 words)"]]
    procs = [start(args.a, args.dir, PORT), start(args.b, args.copy, PORT + 1)]
    try:
        for i, proc in enumerate(procs):
            wait_ready(proc, PORT + i)
        conns = [http.client.HTTPConnection("127.0.0.1", PORT + i, timeout=60) for i in range(2)]
        print("| binary | queries | n | p50 ms | p99 ms | mean ms |")
        print("|---|---|---:|---:|---:|---:|")
        differing = {}
        for name, queries in sets.items():
            for q in queries[:30]:
                ask(conns[0], q)
                ask(conns[1], q)
            times, differ = ([], []), 0
            for k, q in enumerate(queries):
                answers = [None, None]
                for i in ((0, 1) if k % 2 == 0 else (1, 0)):
                    ms, answers[i] = ask(conns[i], q)
                    times[i].append(ms)
                differ += answers[0] != answers[1]
            differing[name] = differ
            for binary, ts in zip((args.a, args.b), times):
                ts = sorted(ts)
                n = len(ts)
                print(f"| {binary} | {name} | {n} | {ts[(n - 1) // 2]:.2f} | "
                      f"{ts[math.ceil(0.99 * n) - 1]:.2f} | {sum(ts) / n:.2f} |")
        for name, differ in differing.items():
            print(f"\n{name}: {differ} of {args.n} queries answered differently (total or ids)")
    finally:
        for p in procs:
            p.terminate()
            p.wait()


if __name__ == "__main__":
    main()
