#!/usr/bin/env python3
"""The baselines import.sh times against papers, fed from the same corpus file.

  baselines.py fts5    CORPUS.jsonl.zst DB_PATH    --out PHASES.json
  baselines.py tantivy CORPUS.jsonl.zst INDEX_DIR  --out PHASES.json
  baselines.py csv     CORPUS.jsonl.zst            (id,title,abstract as CSV on stdout, for
                                                    PostgreSQL's COPY; import.sh does the rest)

fts5: SQLite (Python's sqlite3), a `papers(id, title, abstract)` table and an
external-content FTS5 table over title and abstract with `tokenize='porter unicode61'`,
inserted in transactions of 1,000 rows, then FTS5 'optimize' (the configuration of
shared/bench/ANCHORS.md "SQLite FTS5, porter unicode61", less its final VACUUM).
WAL, synchronous=NORMAL as papers opens SQLite.

tantivy: tantivy-py (PyPI `tantivy`) the way Cool Papers runs its site search: text
fields title and abstract, default tokenizer (positions indexed), not stored (the index
size then matches ANCHORS.md's 52 MB on `real`; storing both fields triples it);
`index.writer()` with its defaults (128 MB heap, threads chosen by tantivy); one commit at
the end, then wait for merges.

Each reads the corpus through `zstd -dc` and parses every line with json.loads, as papers
must. Phase timings go to --out as JSON.
"""
import argparse, csv, json, os, subprocess, sys, time


def records(path):
    proc = subprocess.Popen(["zstd", "-dc", path], stdout=subprocess.PIPE)
    for line in proc.stdout:
        if line.strip():
            r = json.loads(line)
            yield r["id"], " ".join(r["title"].split()), r["abstract"].strip()
    if proc.wait() != 0:
        sys.exit("zstd failed")


def fts5(a):
    import sqlite3
    phases, t = {}, time.monotonic()
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(a.target + suffix):
            os.remove(a.target + suffix)
    db = sqlite3.connect(a.target, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE papers (id TEXT PRIMARY KEY, title TEXT NOT NULL, abstract TEXT NOT NULL)")
    db.execute("CREATE VIRTUAL TABLE papers_fts USING fts5(title, abstract, content='papers', "
               "content_rowid='rowid', tokenize='porter unicode61')")
    n, batch = 0, []

    def flush():
        db.execute("BEGIN")
        db.executemany("INSERT INTO papers (rowid, id, title, abstract) VALUES (?, ?, ?, ?)", batch)
        db.executemany("INSERT INTO papers_fts (rowid, title, abstract) VALUES (?, ?, ?)",
                       [(r, t, ab) for r, _, t, ab in batch])
        db.execute("COMMIT")
        batch.clear()

    for rec in records(a.corpus):
        n += 1
        batch.append((n, *rec))
        if len(batch) == 1000:
            flush()
    if batch:
        flush()
    phases["insert_s"] = round(time.monotonic() - t, 2)
    t = time.monotonic()
    db.execute("INSERT INTO papers_fts (papers_fts) VALUES ('optimize')")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    phases["optimize_s"] = round(time.monotonic() - t, 2)
    phases["docs"] = db.execute("SELECT count(*) FROM papers").fetchone()[0]
    db.close()
    phases["read"] = n
    return phases


def tantivy_build(a):
    import shutil, tantivy
    phases, t = {}, time.monotonic()
    shutil.rmtree(a.target, ignore_errors=True)
    os.makedirs(a.target)
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("title")
    sb.add_text_field("abstract")
    index = tantivy.Index(sb.build(), path=a.target)
    writer = index.writer()
    n = 0
    for _id, title, abstract in records(a.corpus):
        writer.add_document(tantivy.Document(title=title, abstract=abstract))
        n += 1
    phases["add_s"] = round(time.monotonic() - t, 2)
    t = time.monotonic()
    writer.commit()
    phases["commit_s"] = round(time.monotonic() - t, 2)
    t = time.monotonic()
    writer.wait_merging_threads()
    phases["merge_wait_s"] = round(time.monotonic() - t, 2)
    index.reload()
    phases["docs"] = index.searcher().num_docs
    phases["segments"] = len([f for f in os.listdir(a.target) if f.endswith(".idx")])
    phases["read"] = n
    return phases


def to_csv(a):
    w = csv.writer(sys.stdout, lineterminator="\n")
    for rec in records(a.corpus):
        w.writerow(rec)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("engine", choices=["fts5", "tantivy", "csv"])
    p.add_argument("corpus")
    p.add_argument("target", nargs="?")
    p.add_argument("--out")
    a = p.parse_args()
    if a.engine == "csv":
        return to_csv(a)
    phases = fts5(a) if a.engine == "fts5" else tantivy_build(a)
    with open(a.out, "w") as f:
        json.dump(phases, f)


if __name__ == "__main__":
    main()
