#!/usr/bin/env python3
"""Replica lag: how soon a paper written by one process is searchable on every replica.

  bench/replicas.py [--bin target/release/papers] [--replicas 3] [--rounds 20] [--papers 100]
                    [--admin postgres://postgres@127.0.0.1:5432/postgres]

Creates a scratch PostgreSQL database, starts N `papers serve` replicas on it (each with its own
data dir, on ports 18400+i), then for each round writes P new papers (each with a word of their
own in the title) through a separate `papers import jsonl` process and polls every replica's
/api/search for that word every 5 ms. Reports, per replica and over all, the time from the
importer's exit to the papers being searchable (p50, p90, max), and /readyz's lag figures at the
end. The database is dropped afterwards. Standard library only; needs psql.
"""
import argparse, http.client, json, os, shutil, statistics, subprocess, sys, tempfile, time

WORDS = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho " \
        "sigma tau upsilon phi chi psi omega".split()


def word(i):
    return "qzvreplica" + WORDS[i % len(WORDS)] + WORDS[(i // len(WORDS)) % len(WORDS)]


def search_total(conn, q):
    conn.request("GET", f"/api/search?q={q}&limit=1")
    r = conn.getresponse()
    body = r.read()
    return json.loads(body)["total"] if r.status == 200 else -1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default="target/release/papers")
    ap.add_argument("--replicas", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--papers", type=int, default=100)
    ap.add_argument("--admin", default="postgres://postgres@127.0.0.1:5432/postgres")
    args = ap.parse_args()
    name = f"papers_bench_replicas_{os.getpid()}"
    base = args.admin.rsplit("/", 1)[0]
    url = f"{base}/{name}"
    subprocess.run(["psql", args.admin, "-qc", f"CREATE DATABASE {name}"], check=True)
    scratch = tempfile.mkdtemp(prefix="papers-replicas-")
    env = dict(os.environ, PAPERS_DATABASE_URL=url, PAPERS_ARXIV_SYNC="false", RUST_LOG="papers=warn")
    servers = []
    try:
        for i in range(args.replicas):
            e = dict(env, PAPERS_DATA_DIR=f"{scratch}/r{i}")
            log = open(f"{scratch}/r{i}.log", "w")
            servers.append(subprocess.Popen([args.bin, "serve", "--bind", f"127.0.0.1:{18400 + i}"],
                                            env=e, stderr=log))
        conns = []
        for i in range(args.replicas):
            for _ in range(300):
                try:
                    c = http.client.HTTPConnection("127.0.0.1", 18400 + i, timeout=10)
                    c.request("GET", "/healthz")
                    c.getresponse().read()
                    conns.append(c)
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                sys.exit(f"replica {i} did not start; see {scratch}/r{i}.log")
        lags = [[] for _ in range(args.replicas)]
        for r in range(args.rounds):
            w = word(r)
            path = f"{scratch}/round{r}.jsonl"
            with open(path, "w") as f:
                for k in range(args.papers):
                    f.write(json.dumps({"id": f"bench-{r}-{k}", "title": f"Replica paper {k} {w}",
                                        "abstract": "Written by the replica benchmark."}) + "\n")
            subprocess.run([args.bin, "import", "jsonl", path], env=dict(env, PAPERS_DATA_DIR=f"{scratch}/importer"),
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            written = time.monotonic()
            pending = set(range(args.replicas))
            while pending:
                for i in list(pending):
                    if search_total(conns[i], w) == args.papers:
                        lags[i].append(time.monotonic() - written)
                        pending.discard(i)
                if time.monotonic() - written > 30:
                    sys.exit(f"round {r}: replicas {sorted(pending)} never found the papers")
                time.sleep(0.005)
        every = sorted(x for l in lags for x in l)
        q = lambda xs, p: xs[min(len(xs) - 1, int(p * len(xs)))]
        print(f"## Replica lag: {args.replicas} replicas on PostgreSQL, {args.rounds} rounds of {args.papers} papers "
              f"({os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}, {time.strftime('%Y-%m-%d')})\n")
        print("| replica | p50 s | p90 s | max s |\n|---|---:|---:|---:|")
        for i, l in enumerate(lags):
            l = sorted(l)
            print(f"| {i} | {statistics.median(l):.3f} | {q(l, 0.9):.3f} | {l[-1]:.3f} |")
        print(f"| all | {statistics.median(every):.3f} | {q(every, 0.9):.3f} | {every[-1]:.3f} |")
        for i, c in enumerate(conns):
            c.request("GET", "/readyz")
            print(f"\nreplica {i} /readyz: {c.getresponse().read().decode()}", end="")
        print()
    finally:
        for s in servers:
            s.terminate()
        for s in servers:
            s.wait()
        subprocess.run(["psql", args.admin, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"])
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
