#!/usr/bin/env python3
"""Slow clients against `papers serve`: memory with thousands of unfinished requests, and after.

Starts the server (empty SQLite database in a scratch dir), opens N connections that each send
the start of a request and never its end, and reads the server's RSS (anonymous and file-backed,
from /proc) at each step: idle, with N stuck connections, once the header timeout has closed
them, and once a normal client has been served after that. Also checks that the server still
answers while they are open (the connection cap leaves room) and that it closed every one.

    python3 bench/slow_clients.py [--bin target/release/papers] [--connections 5000]
"""

import argparse
import os
import socket
import subprocess
import tempfile
import time
import urllib.request


def rss(pid):
    """(anonymous, file-backed) resident memory in MiB."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("RssAnon", "RssFile", "RssShmem"):
                fields[key] = int(value.split()[0]) / 1024
    return fields.get("RssAnon", 0.0), fields.get("RssFile", 0.0) + fields.get("RssShmem", 0.0)


def wait_ready(port, deadline=60):
    end = time.time() + deadline
    while time.time() < end:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not become ready")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/papers")
    ap.add_argument("--connections", type=int, default=5000)
    ap.add_argument("--header-timeout", type=int, default=10)
    args = ap.parse_args()

    scratch = tempfile.mkdtemp(prefix="papers-slow-")
    port = 18000 + os.getpid() % 1000
    env = dict(
        os.environ,
        PAPERS_DATA_DIR=scratch,
        PAPERS_ARXIV_SYNC="false",
        PAPERS_HEADER_TIMEOUT_SECS=str(args.header_timeout),
        PAPERS_MAX_CONNECTIONS=str(args.connections + 64),
        RUST_LOG="papers=warn",
    )
    server = subprocess.Popen(
        [args.bin, "serve", "--bind", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(port)
        rows = [("idle", *rss(server.pid))]
        stuck = []
        for _ in range(args.connections):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"GET /api/search?q=graph HTTP/1.1\r\nHost: loc")
            stuck.append(s)
        time.sleep(1.0)
        rows.append((f"{args.connections} unfinished requests", *rss(server.pid)))
        started = time.time()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/search?q=graph", timeout=10) as r:
            answered = r.status
        # Each stuck connection is closed by the header timeout: reading gives EOF.
        closed = 0
        for s in stuck:
            s.settimeout(args.header_timeout + 10)
            try:
                while s.recv(65536):
                    pass
                closed += 1
            except OSError:
                pass
            s.close()
        waited = time.time() - started
        time.sleep(1.0)
        rows.append(("after the header timeout closed them", *rss(server.pid)))
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/search?q=graph", timeout=10) as r:
            r.read()
        time.sleep(1.0)
        rows.append(("after one more request", *rss(server.pid)))
    finally:
        server.terminate()
        server.wait(timeout=15)

    print(f"server: {args.bin}, header timeout {args.header_timeout} s, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.2f}")
    print(f"a normal request while they were open answered {answered}")
    print(f"closed by the server: {closed} of {args.connections} (all within {waited:.1f} s)")
    print("| moment | RSS anonymous MiB | RSS file MiB |")
    print("|---|---|---|")
    for name, anon, file in rows:
        print(f"| {name} | {anon:.1f} | {file:.1f} |")


if __name__ == "__main__":
    main()
