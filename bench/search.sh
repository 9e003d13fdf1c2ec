#!/usr/bin/env bash
# Search benchmark: query latency in process vs over HTTP, and HTTP throughput at 64
# concurrent connections (wrk), on an imported corpus.
#
# Usage:
#   bench/search.sh real            the 115,671 real papers (shared/bench/corpus.py real)
#   bench/search.sh synth N         N synthetic papers (shared/bench/corpus.py synth N)
#
# Environment: SCRATCH (default /tmp/papers-bench-search): the corpus is imported once into
# $SCRATCH/<corpus>/ (SQLite) and reused; DURATION (default 20) seconds of wrk load.
# Needs: python3, zstd, wrk (Debian package `wrk`), a release build (built here).
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:?usage: bench/search.sh real | synth N}
name=$corpus
if [ "$corpus" = synth ]; then name="synth-${2:?synth needs N}"; fi
scratch=${SCRATCH:-/tmp/papers-bench-search}/$name
duration=${DURATION:-20}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

cargo build --release --quiet
bin=target/release/papers
export PAPERS_DATABASE_URL="sqlite://$scratch/papers.db" PAPERS_DATA_DIR="$scratch/data"
# A fixed corpus: no arXiv sync while measuring.
export PAPERS_ARXIV_SYNC=false
if [ ! -f "$scratch/imported" ]; then
  rm -rf "$scratch" && mkdir -p "$scratch"
  echo "importing $name into $scratch" >&2
  if [ "$corpus" = synth ]; then
    python3 ../shared/bench/corpus.py synth "$2" | "$bin" import arxiv-snapshot - >&2
  else
    python3 ../shared/bench/corpus.py real | "$bin" import arxiv-snapshot - >&2
  fi
  touch "$scratch/imported"
fi
# One segment, as a running server leaves it a minute after an import.
"$bin" compact >&2

echo "## $name on $(nproc) cores, $(date -u +%Y-%m-%d)"
echo
cargo bench --quiet --bench search -- "$scratch/queries.txt" 500 2>/dev/null

port=18300
"$bin" serve --bind "127.0.0.1:$port" 2>"$scratch/serve.log" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
echo
QUERIES="$scratch/queries.txt" wrk -t2 -c64 -d3s -s bench/wrk_queries.lua "http://127.0.0.1:$port" >/dev/null
echo "wrk: 2 threads, 64 connections, ${duration} s after 3 s of warm-up, /api/search?limit=10 over the 1,000 queries above"
echo '```'
QUERIES="$scratch/queries.txt" wrk -t2 -c64 -d"${duration}s" -s bench/wrk_queries.lua "http://127.0.0.1:$port" | grep -E "Requests/sec|requests .* errors|latency p50|Non-2xx"
echo '```'
