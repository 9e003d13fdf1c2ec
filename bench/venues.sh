#!/usr/bin/env bash
# Venue import rate, with the plain JSON-lines import of the same papers as the baseline of
# the same run: `papers import venue --from-file` on an OpenReview API v2 dump (ICML 2024,
# 2,610 notes with tracks, written from ../shared/data/venues/papercopilot/icml2024.json.gz)
# and on the real PMLR v48 volume folder (322 per-paper files), each into a fresh SQLite
# database, index included; and the dump again into a database that already holds an arXiv
# twin of every paper (same title and authors), so that all 2,610 get linked. Wall time of
# the whole command (start-up included); REPEAT=N keeps the fastest of N rounds.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared/data}
REPEAT=${REPEAT:-3}
BIN=target/release/papers
[ -x "$BIN" ] || cargo build --release
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

python3 - "$SHARED" "$TMP" <<'PY'
import gzip, json, sys
shared, out = sys.argv[1], sys.argv[2]
rows = json.load(gzip.open(f"{shared}/venues/papercopilot/icml2024.json.gz"))
notes, lines, twins = [], [], []
for r in rows:
    authors = [a for a in r["author"].split(";") if a.strip()]
    track = r["status"]
    notes.append({"id": r["id"], "forum": r["id"], "content": {
        "title": {"value": r["title"]}, "authors": {"value": authors},
        "venue": {"value": f"ICML 2024 {track}"}, "venueid": {"value": "ICML.cc/2024/Conference"}}})
    lines.append(json.dumps({"id": "openreview:" + r["id"], "title": r["title"], "authors": authors,
                             "venue": "ICML", "year": 2024, "track": track}))
    twins.append(json.dumps({"id": f"2402.{len(twins):05d}", "title": r["title"], "authors": authors,
                             "categories": ["cs.LG"], "published": "2024-02-01"}))
json.dump({"notes": notes}, open(f"{out}/icml2024_notes.json", "w"))
open(f"{out}/icml2024.jsonl", "w").write("\n".join(lines) + "\n")
open(f"{out}/arxiv_twins.jsonl", "w").write("\n".join(twins) + "\n")
PY

# Prints the best wall time (s) of REPEAT runs of `papers import ARGS...` into fresh databases.
best() {
  local best=""
  for _ in $(seq "$REPEAT"); do
    rm -rf "$TMP/run"; mkdir -p "$TMP/run"
    if [ -n "${PRELOAD:-}" ]; then
      PAPERS_DATABASE_URL="sqlite://$TMP/run/papers.db" PAPERS_DATA_DIR="$TMP/run" \
        "$BIN" import jsonl "$PRELOAD" > /dev/null 2>&1
    fi
    local start end
    start=$(date +%s.%N)
    PAPERS_DATABASE_URL="sqlite://$TMP/run/papers.db" PAPERS_DATA_DIR="$TMP/run" \
      "$BIN" import "$@" --json > "$TMP/out.json" 2>/dev/null
    end=$(date +%s.%N)
    local t; t=$(echo "$end - $start" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
  done
  echo "$best"
}

baseline=$(best jsonl "$TMP/icml2024.jsonl")
dump=$(best venue --venue ICML --year 2024 --from-file "$TMP/icml2024_notes.json")
dump_summary=$(cat "$TMP/out.json")
linked=$(PRELOAD="$TMP/arxiv_twins.jsonl" best venue --venue ICML --year 2024 --from-file "$TMP/icml2024_notes.json")
linked_summary=$(cat "$TMP/out.json")
folder=$(best venue --venue ICML --year 2016 --from-file "$SHARED/pmlr/v48_icml2016")
folder_summary=$(cat "$TMP/out.json")

printf '%-46s %8s %8s %10s %8s\n' "import (fresh SQLite, index included)" records seconds records/s ratio
row() { printf '%-46s %8d %8.2f %10.0f %8.2f\n' "$1" "$2" "$3" "$(echo "$2 / $3" | bc -l)" "$(echo "($2 / $3) / (2610 / $baseline)" | bc -l)"; }
row "jsonl, same 2,610 papers (baseline)" 2610 "$baseline"
row "venue, OpenReview v2 dump (ICML 2024)" 2610 "$dump"
row "venue, same dump, every paper linked to arXiv" 2610 "$linked"
row "venue, PMLR v48 folder (ICML 2016, YAML)" 322 "$folder"
echo "venue dump summary:   $dump_summary"
echo "venue linked summary: $linked_summary"
echo "venue folder summary: $folder_summary"
