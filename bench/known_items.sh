#!/usr/bin/env bash
# Known-item lookups on the 115,671 real papers: papers against tantivy-py in Cool Papers'
# configuration on the same title-fragment queries (see bench/known_items.py and the end of
# shared/bench/ANCHORS.md). Prints one markdown table: MRR@10, found@10, p50/p99 latency.
#
# Usage:
#   bench/known_items.sh [SCRATCH]     SCRATCH defaults to /tmp/papers-bench-search
#
# The corpus is imported once into $SCRATCH/real/ (the layout of bench/search.sh) and reused;
# the query sets (seed 13, 300 queries each) are drawn into $SCRATCH/real/known-items/ on
# every run; the tantivy index is built once into $SCRATCH/real/tantivy-coolpapers/.
# Environment: SETS (default "dev test"): which splits to run. BIN: measure this papers binary
# instead of building target/release/papers (e.g. a build of another commit). The server runs
# without the arXiv sync (PAPERS_ARXIV_SYNC=false) so the corpus stays fixed; PAPERS_EMBED_*
# pass through.
# Progress and per-phase times go to stderr, the table to stdout.
# Needs: python3 with `pip install tantivy`, zstd, curl, a release build (built here).
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=${1:-/tmp/papers-bench-search}/real
sets=${SETS:-dev test}
port=18310
log() { echo "[${SECONDS}s] $*" >&2; }
python3 -c 'import tantivy' 2>/dev/null || { echo "tantivy-py is missing: pip install tantivy" >&2; exit 1; }

if [ -n "${BIN:-}" ]; then
  bin=$BIN rev="binary $BIN"
else
  log "cargo build --release"
  cargo build --release --quiet
  bin=target/release/papers rev=$(git rev-parse --short HEAD)
  git diff --quiet HEAD -- src || rev="$rev + uncommitted src"
fi
export PAPERS_DATABASE_URL="sqlite://$scratch/papers.db" PAPERS_DATA_DIR="$scratch/data"
export PAPERS_ARXIV_SYNC=false
if [ ! -f "$scratch/imported" ]; then
  rm -rf "$scratch" && mkdir -p "$scratch"
  log "importing real into $scratch"
  python3 ../shared/bench/corpus.py real | "$bin" import arxiv-snapshot - >&2
  touch "$scratch/imported"
fi
# One segment, as a running server leaves it a minute after an import.
log "papers compact"
"$bin" compact >&2

log "drawing the query sets"
queries=$scratch/known-items
python3 bench/known_items.py make --out "$queries" --seed 13 --n 300
files=()
for split in $sets; do
  for kind in fragments typos dropped; do files+=("$queries/$split-$kind.jsonl"); done
done

log "tantivy-py"
python3 bench/known_items.py tantivy --index "$scratch/tantivy-coolpapers" --sets "${files[@]}" \
  --json "$scratch/known-items-tantivy.json" >&2

log "papers serve"
"$bin" serve --bind "127.0.0.1:$port" 2>"$scratch/serve.log" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 150); do
  curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fs "http://127.0.0.1:$port/readyz" >/dev/null || { echo "server not ready; see $scratch/serve.log" >&2; exit 1; }
python3 bench/known_items.py papers --url "http://127.0.0.1:$port" --sets "${files[@]}" \
  --json "$scratch/known-items-papers.json" >&2
log "done"

echo "## Known-item lookups, real ($(nproc) cores, $(date -u +%Y-%m-%d), $rev)"
echo
python3 bench/known_items.py table "$scratch/known-items-tantivy.json" "$scratch/known-items-papers.json"
