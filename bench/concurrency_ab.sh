#!/usr/bin/env bash
# Many connections at once against two builds of `papers serve` on the same imported corpus:
# requests/s, latency p50/p99, errors (429s counted apart) and the server's memory (anonymous /
# file-backed RSS) after the load. Run in one go, so the machine's load is the same for both.
#
#   bench/concurrency_ab.sh OLD_BIN NEW_BIN [CONNECTIONS] [SECONDS]
#
# Environment: SCRATCH (default /tmp/papers-bench-concurrency) holds the corpus, imported once
# (CORPUS: `real` for the 115,671 real papers, or `synth N`). Needs wrk, python3, zstd.
set -euo pipefail
old=${1:?usage: bench/concurrency_ab.sh OLD_BIN NEW_BIN [CONNECTIONS] [SECONDS]}
new=${2:?usage: bench/concurrency_ab.sh OLD_BIN NEW_BIN [CONNECTIONS] [SECONDS]}
connections=${3:-400}
seconds=${4:-20}
scratch=${SCRATCH:-/tmp/papers-bench-concurrency}
corpus=${CORPUS:-real}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
export PAPERS_DATABASE_URL="sqlite://$scratch/papers.db" PAPERS_DATA_DIR="$scratch/data"
export PAPERS_ARXIV_SYNC=false PAPERS_MAX_CONNECTIONS=$((connections + 64)) RUST_LOG=papers=warn
if [ ! -f "$scratch/imported" ]; then
  rm -rf "$scratch" && mkdir -p "$scratch"
  # shellcheck disable=SC2086
  python3 ../shared/bench/corpus.py $corpus | "$new" import arxiv-snapshot - >&2
  "$new" compact >&2
  # 1,000 title fragments (two to four words from a random title), URL-encoded.
  python3 - "$scratch" <<'EOF'
import json, random, sqlite3, sys, urllib.parse
scratch = sys.argv[1]
rng = random.Random(7)
db = sqlite3.connect(f"{scratch}/papers.db")
titles = [t for (t,) in db.execute("SELECT title FROM papers ORDER BY random() LIMIT 5000")]
with open(f"{scratch}/queries.txt", "w") as out:
    for t in rng.sample(titles, 1000):
        words = t.split()
        n = min(len(words), rng.randint(2, 4))
        start = rng.randint(0, len(words) - n)
        out.write(urllib.parse.quote(" ".join(words[start:start + n])) + "\n")
EOF
  touch "$scratch/imported"
fi

echo "## $connections connections, $seconds s, corpus $corpus, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| build | req/s | p50 ms | p99 ms | non-2xx | socket errors | RSS anon MiB | RSS file MiB |"
echo "|---|---|---|---|---|---|---|---|"
port=18400
for which in old new; do
  bin=$old
  [ "$which" = new ] && bin=$new
  "$bin" serve --bind "127.0.0.1:$port" 2>"$scratch/serve-$which.log" &
  server=$!
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    sleep 0.2
  done
  QUERIES="$scratch/queries.txt" wrk -t2 -c64 -d3s -s bench/wrk_queries.lua "http://127.0.0.1:$port" >/dev/null
  out=$(QUERIES="$scratch/queries.txt" wrk -t2 -c"$connections" -d"${seconds}s" --timeout 10s \
    -s bench/wrk_queries.lua "http://127.0.0.1:$port")
  anon=$(awk '/RssAnon/ {printf "%.0f", $2/1024}' "/proc/$server/status")
  file=$(awk '/RssFile|RssShmem/ {s += $2} END {printf "%.0f", s/1024}' "/proc/$server/status")
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | sed -n 's/.*latency p50 \([0-9.]*\) ms.*/\1/p')
  p99=$(echo "$out" | sed -n 's/.*p99 \([0-9.]*\) ms.*/\1/p')
  non2xx=$(echo "$out" | awk '/Non-2xx/ {print $5}')
  errors=$(echo "$out" | sed -n 's/.*errors connect \([0-9]*\) read \([0-9]*\) write \([0-9]*\) status [0-9]* timeout \([0-9]*\).*/c\1 r\2 w\3 t\4/p')
  echo "| $which | $rps | $p50 | $p99 | ${non2xx:-0} | $errors | $anon | $file |"
  kill "$server"
  wait "$server" 2>/dev/null || true
done
