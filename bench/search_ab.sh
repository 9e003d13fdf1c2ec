#!/usr/bin/env bash
# Throughput A/B: two (or more) `papers` binaries serve the same imported corpus in turn,
# each taking `wrk -t2 -c64` over the queries bench/search.sh wrote, for ROUNDS alternating
# rounds, so that a drift in the machine's speed weighs on every binary alike.
#
# Usage: bench/search_ab.sh BIN_A BIN_B [...]   (after `bench/search.sh real`)
# Environment: SCRATCH/CORPUS as bench/search.sh (default /tmp/papers-bench-search/real),
# ROUNDS (3), DURATION (15 s, after a 3 s warm-up).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${SCRATCH:-/tmp/papers-bench-search}/${CORPUS:-real}
[ -f "$dir/queries.txt" ] || { echo "run bench/search.sh first ($dir/queries.txt missing)" >&2; exit 1; }
export PAPERS_DATABASE_URL="sqlite://$dir/papers.db" PAPERS_DATA_DIR="$dir/data" PAPERS_ARXIV_SYNC=false
export QUERIES="$dir/queries.txt"
port=18500
for round in $(seq 1 "${ROUNDS:-3}"); do
  for bin in "$@"; do
    "$bin" serve --bind "127.0.0.1:$port" >/dev/null 2>&1 &
    server=$!
    for _ in $(seq 1 100); do
      curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
      sleep 0.2
    done
    wrk -t2 -c64 -d3s -s bench/wrk_queries.lua "http://127.0.0.1:$port" >/dev/null
    result=$(wrk -t2 -c64 -d"${DURATION:-15}s" -s bench/wrk_queries.lua "http://127.0.0.1:$port" \
      | grep -E "Requests/sec|errors" | tr -s ' \n' ' ')
    echo "round $round $bin: $result"
    kill "$server"
    wait "$server" 2>/dev/null || true
  done
done
