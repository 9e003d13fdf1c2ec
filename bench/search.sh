#!/usr/bin/env bash
# Search benchmark: query latency in process vs over HTTP, and HTTP throughput at 64
# concurrent connections (wrk), on an imported corpus; beside it, in the same run, tantivy-py
# in Cool Papers' configuration on the same corpus and queries, and the server's start time
# and memory (anonymous / file-backed) after the load.
#
# Usage:
#   bench/search.sh real            the 115,671 real papers (shared/bench/corpus.py real)
#   bench/search.sh synth N         N synthetic papers (shared/bench/corpus.py synth N)
#
# Environment: SCRATCH (default /tmp/papers-bench-search): the corpus is written once to
# $SCRATCH/<corpus>/corpus.jsonl.zst, imported into $SCRATCH/<corpus>/ (SQLite) and reused, and
# so is the tantivy-py index; CORPUS: an existing .jsonl.zst of that corpus to use instead of
# generating it; DURATION (default 20) seconds of wrk load.
# BIN: measure this papers binary instead of building target/release/papers (the in-process
# figures come from `cargo bench` on the working tree either way).
# Needs: python3 with tantivy (pip install tantivy), zstd, wrk (Debian package `wrk`), a
# release build (built here).
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:?usage: bench/search.sh real | synth N}
name=$corpus
if [ "$corpus" = synth ]; then name="synth-${2:?synth needs N}"; fi
scratch=${SCRATCH:-/tmp/papers-bench-search}/$name
duration=${DURATION:-20}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

if [ -n "${BIN:-}" ]; then
  bin=$BIN
else
  cargo build --release --quiet
  bin=target/release/papers
fi
export PAPERS_DATABASE_URL="sqlite://$scratch/papers.db" PAPERS_DATA_DIR="$scratch/data"
# A fixed corpus: no arXiv sync while measuring.
export PAPERS_ARXIV_SYNC=false
file=${CORPUS:-$scratch/corpus.jsonl.zst}
if [ ! -f "$scratch/imported" ]; then
  rm -rf "$scratch/papers.db"* "$scratch/data" && mkdir -p "$scratch"
  if [ ! -s "$file" ]; then
    echo "writing the corpus to $file" >&2
    if [ "$corpus" = synth ]; then
      python3 ../shared/bench/corpus.py synth "$2" | zstd -q -o "$file.tmp"
    else
      python3 ../shared/bench/corpus.py real | zstd -q -o "$file.tmp"
    fi
    mv "$file.tmp" "$file"
  fi
  echo "importing $name into $scratch" >&2
  "$bin" import arxiv-snapshot "$file" >&2
  touch "$scratch/imported"
fi
# One segment, as a running server leaves it a minute after an import.
"$bin" compact >&2

echo "## $name on $(nproc) cores, $(date -u +%Y-%m-%d)"
echo
cargo bench --quiet --bench search -- "$scratch/queries.txt" 500 2>/dev/null

port=18300
started=$(date +%s.%N)
"$bin" serve --bind "127.0.0.1:$port" 2>"$scratch/serve.log" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 1000); do
  curl -fs "http://127.0.0.1:$port/api/search?q=learning&limit=10" >/dev/null 2>&1 && break
  sleep 0.01
done
first=$(date +%s.%N)
echo
echo "start to first answer (\`papers serve\` launched to the first 200 of /api/search): $(awk -v a="$started" -v b="$first" 'BEGIN {printf "%.2f", b - a}') s"
echo
QUERIES="$scratch/queries.txt" wrk -t2 -c64 -d3s -s bench/wrk_queries.lua "http://127.0.0.1:$port" >/dev/null
echo "wrk: 2 threads, 64 connections, ${duration} s after 3 s of warm-up, /api/search?limit=10 over the 1,000 queries above"
echo '```'
QUERIES="$scratch/queries.txt" wrk -t2 -c64 -d"${duration}s" -s bench/wrk_queries.lua "http://127.0.0.1:$port" | grep -E "Requests/sec|requests .* errors|latency p50|Non-2xx"
echo '```'
echo
echo "server memory after the load (/proc/PID/status): $(awk '/^(VmHWM|VmRSS|RssAnon|RssFile):/ {printf "%s %.0f MiB, ", $1, $2 / 1024}' "/proc/$server/status" | sed 's/, $//')"
# The file-backed part by what is mapped: the database, the index, the rest (the binary).
echo "file-backed by mapping (/proc/PID/smaps): $(awk '
  /^[0-9a-f]+-[0-9a-f]+ / { path = $6; what = path ~ /papers\.db/ ? "database" : path ~ /\/index\// ? "index" : path == "" || path ~ /^\[/ ? "" : "other" }
  /^Rss:/ && what != "" { kib[what] += $2 }
  END { printf "database %.0f MiB, index %.0f MiB, other %.0f MiB", kib["database"] / 1024, kib["index"] / 1024, kib["other"] / 1024 }' "/proc/$server/smaps")"

# The same queries in tantivy-py, Cool Papers' configuration (title + abstract, default
# tokenizer, OR, in process, ids only), and papers over one HTTP connection, by one script.
python3 - "$scratch/queries.txt" "$scratch/queries.jsonl" <<'PY'
import json, sys, urllib.parse
with open(sys.argv[1]) as src, open(sys.argv[2], "w") as out:
    for line in src:
        if line.strip():
            out.write(json.dumps({"q": urllib.parse.unquote_plus(line.strip()), "id": ""}) + "\n")
PY
echo
echo "one connection, the same 1,000 queries, latency only (no ids to score):"
echo
echo "| engine | set | queries | MRR@10 | found@10 | p50 ms | p99 ms |"
echo "|---|---|---|---|---|---|---|"
python3 bench/known_items.py tantivy --corpus-cmd "zstd -dc $file" --index "$scratch/tantivy" \
  --sets "$scratch/queries.jsonl" | sed 's/| 0.000 | 0.000 |/| – | – |/'
python3 bench/known_items.py papers --url "http://127.0.0.1:$port" --sets "$scratch/queries.jsonl" \
  | sed 's/| 0.000 | 0.000 |/| – | – |/'
