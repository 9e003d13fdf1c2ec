#!/usr/bin/env python3
"""Paper FAQ figures (docs/benchmarks.md): what `papers serve` adds to a language model's time
to first token, how fast a cached FAQ is served, and the rate of a pre-generation run.

  bench/faq.py [--bin target/release/papers] [--papers 2000] [--venue-papers 200]

A stand-in OpenAI-compatible server (this script, standard library) answers every
`/v1/chat/completions` after --think seconds with --chunks pieces --chunk-ms apart, so the
model's own time is known. The script imports --papers real arXiv papers (../shared, via
bench/corpus.py) and --venue-papers venue records into a scratch SQLite database, serves them
with PAPERS_LLM_URL pointing at the stand-in, and measures:

  1. time to first token: the first streamed piece, asked of the stand-in directly and through
     `GET /api/papers/{id}/faq/stream` (first `delta` event), alternating, 30 papers;
  2. cached FAQ latency: `GET /api/papers/{id}/faq` for those 30, 1,000 requests over one
     keep-alive connection, beside `GET /api/papers/{id}` in the same run;
  3. `papers faq --venue BENCH --year 2024` over the venue records: papers per second, beside
     what the concurrency allows (concurrency / one answer's time).
"""
import argparse, http.client, http.server, json, os, statistics, subprocess, sys, tempfile
import threading, time

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, "..", "..", "shared")


class StandIn(http.server.BaseHTTPRequestHandler):
    think, chunks, chunk_ms = 0.3, 40, 5

    def log_message(self, *args):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        time.sleep(self.think)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for i in range(self.chunks):
            piece = json.dumps({"choices": [{"index": 0, "delta": {"content": f"word{i} "}}]})
            self.wfile.write(f"data: {piece}\n\n".encode())
            self.wfile.flush()
            time.sleep(self.chunk_ms / 1000)
        done = json.dumps({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        self.wfile.write(f"data: {done}\n\ndata: [DONE]\n\n".encode())


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def first_piece(conn, method, path, body, marker):
    """Seconds from sending the request to the first line holding `marker`, then the rest."""
    t0 = time.perf_counter()
    conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    assert r.status == 200, (path, r.status, r.read()[:300])
    first = None
    while True:
        line = r.readline()
        if not line:
            break
        if first is None and marker in line:
            first = time.perf_counter() - t0
    total = time.perf_counter() - t0
    conn.close()
    return first, total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "target", "release", "papers"))
    ap.add_argument("--papers", type=int, default=2000)
    ap.add_argument("--venue-papers", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=2)
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="papers-bench-faq-")
    env = dict(os.environ, PAPERS_DATABASE_URL=f"sqlite://{tmp}/papers.db",
               PAPERS_DATA_DIR=f"{tmp}/data", PAPERS_ARXIV_SYNC="false", RUST_LOG="warn")
    snapshot = os.path.join(tmp, "real.jsonl")
    with open(snapshot, "w") as out:
        subprocess.run([sys.executable, os.path.join(SHARED, "bench", "corpus.py"), "real",
                        "--limit", str(args.papers)], stdout=out, check=True)
    ids, venue = [], []
    with open(snapshot) as f:
        for i, line in enumerate(f):
            rec = json.loads(line)
            ids.append(rec["id"])
            if i < args.venue_papers:
                venue.append({"id": f"bench:{i}", "title": rec["title"] + " (venue)",
                              "abstract": rec["abstract"], "authors": ["A. Author"],
                              "venue": "BENCH", "year": 2024, "track": "Oral"})
    venue_file = os.path.join(tmp, "venue.jsonl")
    with open(venue_file, "w") as f:
        f.writelines(json.dumps(v) + "\n" for v in venue)
    subprocess.run([args.bin, "import", "arxiv-snapshot", snapshot], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([args.bin, "import", "jsonl", venue_file], env=env, check=True,
                   stdout=subprocess.DEVNULL)

    model = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    threading.Thread(target=model.serve_forever, daemon=True).start()
    mport = model.server_address[1]
    env.update(PAPERS_LLM_URL=f"http://127.0.0.1:{mport}/v1", PAPERS_LLM_MODEL="bench",
               PAPERS_LLM_CONCURRENCY=str(args.concurrency), PAPERS_LLM_HOURLY_LIMIT="0")
    port = 18530
    server = subprocess.Popen([args.bin, "serve", "--bind", f"127.0.0.1:{port}"], env=env,
                              stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", "/readyz")
                if c.getresponse().status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        request = json.dumps({"model": "bench", "stream": True,
                              "messages": [{"role": "user", "content": "hi"}]})
        direct, served, direct_total = [], [], []
        for pid in ids[:30]:
            f, t = first_piece(http.client.HTTPConnection("127.0.0.1", mport), "POST",
                               "/v1/chat/completions", request, b"data:")
            direct.append(f)
            direct_total.append(t)
            f, _ = first_piece(http.client.HTTPConnection("127.0.0.1", port), "GET",
                               f"/api/papers/{pid}/faq/stream", None, b"event: delta")
            served.append(f)
        added = [s - d for s, d in zip(served, direct)]

        def latency(path_of, n=1000):
            conn = http.client.HTTPConnection("127.0.0.1", port)
            times = []
            for i in range(n):
                t0 = time.perf_counter()
                conn.request("GET", path_of(ids[i % 30]))
                r = conn.getresponse()
                r.read()
                assert r.status == 200, r.status
                times.append(time.perf_counter() - t0)
            conn.close()
            return times

        latency(lambda p: f"/api/papers/{p}/faq", 100)  # warm up
        cached = latency(lambda p: f"/api/papers/{p}/faq")
        plain = latency(lambda p: f"/api/papers/{p}")
    finally:
        server.terminate()
        server.wait()

    t0 = time.perf_counter()
    out = subprocess.run([args.bin, "faq", "--venue", "BENCH", "--year", "2024"], env=env,
                         check=True, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    rate = args.venue_papers / elapsed
    ideal = args.concurrency / statistics.mean(direct_total)
    model.shutdown()

    ms = lambda s: f"{s * 1e3:.2f}"
    print(f"corpus: {args.papers} real papers + {args.venue_papers} venue records, SQLite; "
          f"stand-in: first piece after {StandIn.think * 1e3:.0f} ms, "
          f"{StandIn.chunks} pieces {StandIn.chunk_ms} ms apart\n")
    print("| measure | p50 ms | p99 ms |\n| --- | --- | --- |")
    print(f"| time to first token, stand-in directly | {ms(pct(direct, 50))} | {ms(pct(direct, 99))} |")
    print(f"| time to first token, through /faq/stream | {ms(pct(served, 50))} | {ms(pct(served, 99))} |")
    print(f"| added by the server (per paper, streamed minus direct) | {ms(pct(added, 50))} | {ms(pct(added, 99))} |")
    print(f"| cached `GET /api/papers/{{id}}/faq` (1,000, one connection) | {ms(pct(cached, 50))} | {ms(pct(cached, 99))} |")
    print(f"| `GET /api/papers/{{id}}` in the same run | {ms(pct(plain, 50))} | {ms(pct(plain, 99))} |")
    print(f"\npre-generation: {args.venue_papers} FAQs in {elapsed:.1f} s = {rate:.2f}/s at "
          f"concurrency {args.concurrency}; one answer takes {statistics.mean(direct_total) * 1e3:.0f} ms "
          f"directly, so the concurrency allows {ideal:.2f}/s (x{rate / ideal:.2f} of that). "
          f"`papers faq` said: {out.stdout.strip()}")


if __name__ == "__main__":
    main()
