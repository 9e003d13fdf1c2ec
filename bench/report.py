#!/usr/bin/env python3
"""Prints the markdown report of one bench/import.sh run: report.py RUN_DIR

Reads, per engine directory of RUN_DIR: time.txt (/usr/bin/time -v), sample.json
(bench/sample.py), meta.txt (sizes, counts), exit, and the engine's own output.
"""
import json, os, re, sys

LABELS = {
    "sqlite": "papers → SQLite + tantivy index",
    "postgres": "papers → PostgreSQL + tantivy index",
    "fts5": "baseline: SQLite FTS5 (porter unicode61)",
    "pgfts": "baseline: PostgreSQL FTS (english tsvector, GIN)",
    "tantivy": "baseline: tantivy-py (default tokenizer)",
}
ORDER = ["sqlite", "postgres", "fts5", "pgfts", "tantivy"]
BASELINES = [("fts5", "× FTS5"), ("pgfts", "× PG FTS"), ("tantivy", "× tantivy-py")]
TARGETS = {"sqlite": 5000, "postgres": 3000}
RSS_LIMIT_MB = 500


def read(path, default=""):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return default


def parse_time(text):
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("Elapsed (wall clock)"):
            parts = [float(p) for p in line.rsplit(" ", 1)[1].split(":")]
            secs = 0.0
            for p in parts:
                secs = secs * 60 + p
            out["wall"] = secs
        elif line.startswith("Maximum resident set size"):
            out["rss_mb"] = int(line.rsplit(" ", 1)[1]) / 1024
        elif line.startswith("User time"):
            out["user"] = float(line.rsplit(" ", 1)[1])
        elif line.startswith("System time"):
            out["sys"] = float(line.rsplit(" ", 1)[1])
        elif line.startswith("Percent of CPU"):
            out["cpu_pct"] = line.rsplit(" ", 1)[1]
    return out


def fmt(x, digits=3):
    """Three significant figures, no exponent."""
    if x is None:
        return "–"
    if x >= 100:
        return f"{x:,.0f}"
    return f"{x:.{max(0, digits - 1 - len(str(int(abs(x)))) + (1 if abs(x) < 1 else 0))}f}"


def load_one(d):
    e = {"dir": d}
    e.update(parse_time(read(os.path.join(d, "time.txt"))))
    e["exit"] = read(os.path.join(d, "exit"), "?").strip()
    e["meta"] = dict(l.split("=", 1) for l in read(os.path.join(d, "meta.txt")).split() if "=" in l)
    try:
        e["sample"] = json.load(open(os.path.join(d, "sample.json")))
    except (OSError, ValueError):
        e["sample"] = {}
    return e


def load(run):
    """Per engine, its fastest successful round (all rounds listed in e["rounds"])."""
    engines = {}
    for name in ORDER:
        dirs = sorted(os.path.join(run, d) for d in os.listdir(run)
                      if d == name or re.fullmatch(re.escape(name) + r"\.\d+", d))
        rounds = [load_one(d) for d in dirs if os.path.isdir(d)]
        if not rounds:
            continue
        ok = [r for r in rounds if r["exit"] == "0" and r.get("wall")]
        best = min(ok, key=lambda r: r["wall"]) if ok else rounds[-1]
        best["name"] = name
        best["rss_mb"] = max((r.get("rss_mb") or 0) for r in rounds) or None  # worst round
        best["rounds"] = rounds
        engines[name] = best
    return engines


def main():
    run = sys.argv[1]
    engines = load(run)
    machine = read(os.path.join(run, "machine.txt")).strip()
    corpus = re.search(r"^corpus: (\S+), (\d+) records", machine, re.M)
    cname, docs = (corpus.group(1), int(corpus.group(2))) if corpus else ("?", 0)
    nproc = int((re.search(r"nproc (\d+)", machine) or [0, 1])[1])

    print(f"### Import + index, corpus `{cname}` ({docs:,} records)\n")
    print("```\n" + machine + "\n```\n")
    head = ["engine", "records", "wall s", "records/s"] + [b[1] for b in BASELINES if b[0] in engines]
    head += ["CPU %", "peak RSS MB (client)", "PG server backend peak MB", "index MB", "database MB"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for name, e in engines.items():
        wall = e.get("wall")
        ok = e["exit"] == "0" and wall
        n = int(e["meta"].get("docs", docs) or 0)
        row = [LABELS[name] + ("" if e["exit"] == "0" else f" (FAILED, exit {e['exit']})"), f"{n:,}",
               fmt(wall) if wall else "–", f"{n / wall:,.0f}" if ok else "–"]
        for b, _ in BASELINES:
            if b in engines:
                bw = engines[b].get("wall")
                row.append(f"{bw / wall:.2f}" if ok and bw and engines[b]["exit"] == "0" else "–")
        row.append(e.get("cpu_pct", "–"))
        row.append(fmt(e.get("rss_mb")))
        backends = e["sample"].get("pg_backends") or []
        if backends:
            top = max(backends, key=lambda b: b["vmhwm_mb"])
            row.append(f"{fmt(top['vmhwm_mb'])} (shmem {fmt(top['rss_shmem_mb'])}; {len(backends)} backend{'s' if len(backends) > 1 else ''})")
        else:
            row.append("–")
        ib, sb = int(e["meta"].get("index_bytes", 0) or 0), int(e["meta"].get("store_bytes", 0) or 0)
        row.append(fmt(ib / 1e6) if ib else "–")
        row.append(fmt(sb / 1e6) if sb else "–")
        print("| " + " | ".join(row) + " |")
    print()
    print("Times and sizes from each engine's fastest round; peak RSS is the highest of all rounds. "
          "Index MB: the tantivy directory for papers and tantivy-py; the whole SQLite file (text "
          "+ FTS5) for FTS5; pg_database_size (heap, TOAST, tsvector, GIN, primary key) for PG FTS. "
          "Database MB: the papers store (SQLite file + WAL, or pg_database_size).\n")

    # Targets
    lines = []
    for name, target in TARGETS.items():
        e = engines.get(name)
        if not e or not e.get("wall"):
            continue
        n = int(e["meta"].get("docs", docs) or 0)
        rate = n / e["wall"]
        lines.append(f"- {LABELS[name]}: {rate:,.0f} records/s vs target {target:,} → "
                     f"{'met' if rate >= target and e['exit'] == '0' else 'MISSED'}; peak RSS "
                     f"{fmt(e.get('rss_mb'))} MB vs {RSS_LIMIT_MB} → "
                     f"{'met' if (e.get('rss_mb') or 1e9) < RSS_LIMIT_MB else 'MISSED'}")
    if lines:
        print("Targets (2 cores):\n")
        print("\n".join(lines) + "\n")

    # Where the CPU goes
    print("Where the time goes (CPU seconds over the whole run; 'other' = machine CPU not used by "
          f"the engine or the PostgreSQL server, i.e. noise; capacity = wall × {nproc} cores):\n")
    print("| engine | wall s | capacity CPU s | client CPU s (user+sys) | client threads (CPU s) | "
          "PG backends CPU s | PG other CPU s | other CPU s |")
    print("|---|---|---|---|---|---|---|---|")
    for name, e in engines.items():
        s = e["sample"]
        if not e.get("wall"):
            continue
        threads = ", ".join(f"{k} {v:.1f}" for k, v in list((s.get("client_threads_cpu_s") or {}).items())[:6]
                            if v >= 0.1)
        pgb = sum(b["cpu_s"] for b in s.get("pg_backends") or [])
        pgo = sum((s.get("pg_other_cpu_s") or {}).values())
        print(f"| {name} | {fmt(e['wall'])} | {fmt(e['wall'] * nproc)} | "
              f"{fmt(e.get('user', 0) + e.get('sys', 0))} | {threads or '–'} | "
              f"{fmt(pgb) if s.get('pg_backends') else '–'} | {fmt(pgo) if pgo else '–'} | "
              f"{fmt(max(0.0, s.get('unaccounted_cpu_s', 0)))}"
              f"{' (noisy)' if s.get('unaccounted_cpu_s', 0) > 0.1 * e['wall'] * nproc else ''} |")
    print()

    # Per engine details
    print("Details:\n")
    for name, e in engines.items():
        d = e["dir"]
        bits = []
        if name in ("sqlite", "postgres"):
            out = read(os.path.join(d, "stdout")).strip().splitlines()
            if out:
                try:
                    summ = json.loads(out[-1])
                    bits.append(f"papers' own summary: read {summ['read']:,}, inserted {summ['inserted']:,}, "
                                f"skipped {summ['skipped']:,}, {summ['seconds']:.1f} s inside import::run")
                except (ValueError, KeyError):
                    bits.append("stdout: " + out[-1][:200])
            st = read(os.path.join(d, "status.json")).strip()
            if st:
                try:
                    st = json.loads(st)
                    bits.append(f"status afterwards: {st['papers']:,} papers, index {st['index_docs']:,} docs "
                                f"at change {st['index_seq']:,} of {st['database_seq']:,}")
                except (ValueError, KeyError):
                    pass
            m = e["meta"]
            if m.get("segments"):
                bits.append(f"{m['segments']} index segments")
            tl = e["sample"].get("client_rss_timeline_mb") or []
            if tl:
                pts = tl[:: max(1, len(tl) // 8)] + ([tl[-1]] if tl[-1] not in tl[:: max(1, len(tl) // 8)] else [])
                bits.append("client RSS over time (s: total MB / anonymous MB) "
                            + ", ".join(f"{p[0]:.0f}: {p[1]:.0f}/{p[2]:.0f}" if len(p) > 2 else f"{p[0]:.0f}: {p[1]:.0f}"
                                        for p in pts))
        phases = read(os.path.join(d, "phases.json")).strip()
        if phases:
            bits.append("phases " + phases)
        if name == "pgfts":
            out = read(os.path.join(d, "stdout"))
            ph = re.findall(r"phase (\S+)\n(?:.*\n)*?Time: ([\d.]+) ms", out)
            if ph:
                bits.append("phases " + ", ".join(f"{p} {float(ms) / 1000:.1f} s" for p, ms in ph))
        sizes = read(os.path.join(d, "pg_sizes.txt")).strip()
        if sizes:
            bits.append(sizes)
        for b in e["sample"].get("pg_backends") or []:
            if b["cpu_s"] >= 0.5 or b["vmhwm_mb"] >= 50:
                bits.append(f"PG backend {b['pid']}: CPU {b['cpu_s']:.1f} s, VmHWM {b['vmhwm_mb']:.0f} MB "
                            f"(RssShmem {b['rss_shmem_mb']:.0f}, RssAnon {b['rss_anon_mb']:.0f})")
        if e["sample"].get("pg_other_cpu_s"):
            bits.append("PG other processes CPU s " + json.dumps(e["sample"]["pg_other_cpu_s"]))
        if e["sample"].get("other_processes_cpu_s"):
            bits.append("other processes CPU s " + json.dumps(e["sample"]["other_processes_cpu_s"]))
        if len(e["rounds"]) > 1:
            bits.append(f"best of {len(e['rounds'])} rounds; all rounds (wall s, other CPU s, peak RSS MB): "
                        + ", ".join(f"{fmt(r.get('wall'))}/{fmt(max(0.0, r['sample'].get('unaccounted_cpu_s', 0)))}"
                                    f"/{fmt(r.get('rss_mb'))}" + ("" if r["exit"] == "0" else f" exit {r['exit']}")
                                    for r in e["rounds"]))
        if e["exit"] != "0":
            bits.append("stderr tail: " + " / ".join(read(os.path.join(d, "stderr")).strip().splitlines()[-5:]))
        print(f"- **{name}**: " + "; ".join(bits))
    print()


if __name__ == "__main__":
    main()
