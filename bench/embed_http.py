#!/usr/bin/env python3
"""`papers embed` through an HTTP embedder, against a local stand-in for a GPU server.

  embed_http.py --database-url URL --data-dir DIR [--ms-per-request MS] [--dim D] BIN...

Starts an OpenAI-compatible `/v1/embeddings` stand-in on a free loopback port. It answers each
request after MS milliseconds (default 20: text-embeddings-inference on one GPU takes roughly that
for a batch of 64 abstracts of MiniLM size), however many requests are in flight, as a GPU server
that batches concurrent requests together does; each vector is drawn from a fixed bank by a hash
of its text, so answers are deterministic and cost the stand-in little. Then, for each binary BIN
in turn, it deletes DIR/vectors and times `BIN embed` over every paper of the database (which must
already hold papers: `papers import ...`), with PAPERS_EMBED_URL pointing at the stand-in.

Prints one row per binary: papers, seconds, papers/s, requests served and the most in flight at
once, so the figure says how fast papers' own side (store reads, JSON, the vectors file, the
in-memory set) goes when the GPU is not the limit, and how much of the GPU it keeps busy.
Standard library only.
"""
import argparse, hashlib, json, os, random, shutil, subprocess, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = self.in_flight = self.most = 0

    def enter(self):
        with self.lock:
            self.requests += 1
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)

    def leave(self):
        with self.lock:
            self.in_flight -= 1


def stand_in(ms, dim):
    rng = random.Random(7)
    bank = []
    for _ in range(4096):  # pre-encoded unit vectors
        v = [rng.gauss(0, 1) for _ in range(dim)]
        n = sum(x * x for x in v) ** 0.5
        bank.append("[" + ",".join(f"{x / n:.6f}" for x in v) + "]")
    stats = Stats()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_POST(self):
            stats.enter()
            try:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
                time.sleep(ms / 1000)
                items = ",".join(
                    '{"object":"embedding","index":%d,"embedding":%s}'
                    % (i, bank[int.from_bytes(hashlib.blake2b(t.encode(), digest_size=4).digest(), "little") % len(bank)])
                    for i, t in enumerate(texts))
                out = ('{"object":"list","model":"%s","data":[%s]}' % (body.get("model", ""), items)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)
            finally:
                stats.leave()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, stats


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", required=True)
    p.add_argument("--data-dir", required=True)
    p.add_argument("--ms-per-request", type=float, default=20)
    p.add_argument("--dim", type=int, default=384)
    p.add_argument("bins", nargs="+")
    a = p.parse_args()
    server, stats = stand_in(a.ms_per_request, a.dim)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    env = dict(os.environ, PAPERS_EMBED_URL=url, PAPERS_EMBED_MODEL="stand-in",
               PAPERS_DATABASE_URL=a.database_url, PAPERS_DATA_DIR=a.data_dir)
    env.pop("PAPERS_EMBED_MODEL_DIR", None)
    print(f"stand-in: {a.ms_per_request:g} ms per request, {a.dim} dimensions; {os.cpu_count()} cores")
    print("| binary | papers | s | papers/s | requests | most in flight |")
    print("|---|---|---|---|---|---|")
    for bin in a.bins:
        shutil.rmtree(os.path.join(a.data_dir, "vectors"), ignore_errors=True)
        stats.requests = stats.most = 0
        started = time.monotonic()
        done = subprocess.run([bin, "embed"], env=env, capture_output=True, text=True)
        secs = time.monotonic() - started
        if done.returncode != 0:
            sys.exit(f"{bin} embed failed: {done.stderr[-2000:]}")
        papers = int(done.stdout.split("embedded ")[1].split()[0])
        print(f"| {bin} | {papers} | {secs:.1f} | {papers / secs:.0f} | {stats.requests} | {stats.most} |",
              flush=True)


if __name__ == "__main__":
    main()
