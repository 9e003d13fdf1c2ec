#!/usr/bin/env bash
# Import + index benchmark: `papers import` into SQLite and PostgreSQL, against baselines
# built from the same corpus file in the same run.
#
# Usage:
#   bench/import.sh real        [ENGINE...]    the 115,671 real papers (shared/bench/corpus.py real)
#   bench/import.sh synth N     [ENGINE...]    N synthetic papers (shared/bench/corpus.py synth N)
#
# ENGINE (default: all, in this order):
#   sqlite    papers import arxiv-snapshot into a fresh SQLite file + tantivy index
#   postgres  the same into a freshly created PostgreSQL database (dropped afterwards)
#   fts5      baseline: SQLite FTS5, porter unicode61, table + external-content FTS5
#   pgfts     baseline: PostgreSQL FTS, COPY + generated english tsvector + GIN index
#   tantivy   baseline: tantivy-py, title + abstract, default tokenizer (Cool Papers' config)
#
# Environment:
#   PAPERS_BIN      the binary to time (default: ${CARGO_TARGET_DIR:-<repo>/target}/release/papers;
#                   build it with `cargo build --release` first)
#   SCRATCH         scratch directory (default /tmp/papers-bench): the corpus is generated once
#                   into $SCRATCH/corpus/ (not timed) and reused; each run gets $SCRATCH/runs/<name>-<time>/
#   PG_URL          PostgreSQL server as a superuser (default postgres://postgres@127.0.0.1:5432)
#   REPEAT          rounds over the engines (default 1); the report takes each engine's fastest
#                   round (a shared machine is noisy) and lists the others
#   KEEP=1          keep the databases and indexes built (default: deleted once measured)
#   QUIET_WAIT      before each engine, wait up to this many seconds (default 300) for the
#                   machine to go quiet (other processes using under 0.25 core), so that a
#                   concurrent build or test run does not skew the figures; the report's
#                   "other CPU s" column shows what noise remained
#
# Every engine runs alone, under /usr/bin/time -v (wall, peak RSS, CPU) with bench/sample.py
# reading /proc meanwhile (CPU per thread, the PostgreSQL server backends' CPU and peak RSS,
# whole-machine CPU). bench/report.py prints the tables; they are also kept in
# $SCRATCH/runs/<name>-<time>/report.md, each engine's raw output in <engine>.<round>/ beside it.
# Ratios `× X` are X's wall time / this engine's wall time
# (above 1: faster than X).
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-0}"; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
SHARED=${SHARED:-$ROOT/../shared}
PAPERS_BIN=${PAPERS_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/papers}
SCRATCH=${SCRATCH:-/tmp/papers-bench}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
KEEP=${KEEP:-0}
REPEAT=${REPEAT:-1}
QUIET_WAIT=${QUIET_WAIT:-300}
ALL_ENGINES=(sqlite postgres fts5 pgfts tantivy)

[[ $# -ge 1 ]] || usage 2
case $1 in
    -h | --help) usage 0 ;;
    real) KIND=real; NAME=real; GEN=(real); shift ;;
    synth)
        [[ $# -ge 2 && $2 =~ ^[0-9]+$ ]] || usage 2
        KIND=synth; NAME=synth-$2; GEN=(synth "$2"); shift 2 ;;
    *) usage 2 ;;
esac
ENGINES=("$@")
[[ ${#ENGINES[@]} -gt 0 ]] || ENGINES=("${ALL_ENGINES[@]}")
for e in "${ENGINES[@]}"; do
    [[ " ${ALL_ENGINES[*]} " == *" $e "* ]] || { echo "unknown engine: $e" >&2; usage 2; }
done
wants() { [[ " ${ENGINES[*]} " == *" $1 "* ]]; }

# --- prerequisites --------------------------------------------------------------------------
if [[ ! -x /usr/bin/time ]]; then
    echo "installing GNU time (Debian package 'time')" >&2
    apt-get install -y -qq time >/dev/null
fi
for tool in zstd python3; do
    command -v "$tool" >/dev/null || { echo "$tool is required" >&2; exit 1; }
done
if wants sqlite || wants postgres; then
    [[ -x $PAPERS_BIN ]] || { echo "no binary at $PAPERS_BIN: cargo build --release (or set PAPERS_BIN)" >&2; exit 1; }
fi
if wants postgres || wants pgfts; then
    command -v psql >/dev/null || { echo "psql is required for postgres/pgfts" >&2; exit 1; }
    psql "$PG_URL/postgres" -XAtqc 'SELECT 1' >/dev/null
fi
if wants tantivy && ! python3 -c 'import tantivy' 2>/dev/null; then
    echo "installing tantivy-py (PyPI 'tantivy')" >&2
    if ! python3 -m pip install -q tantivy >&2; then
        echo "tantivy-py did not install: skipping the tantivy baseline" >&2
        ENGINES=("${ENGINES[@]/tantivy/}")
    fi
fi

# --- corpus, generated once (not timed) -------------------------------------------------------
mkdir -p "$SCRATCH/corpus" "$SCRATCH/runs"
CORPUS=$SCRATCH/corpus/$NAME.jsonl.zst
if [[ ! -s $CORPUS ]]; then
    echo "generating $CORPUS (not timed)" >&2
    python3 "$SHARED/bench/corpus.py" "${GEN[@]}" | zstd -q -o "$CORPUS.tmp"
    mv "$CORPUS.tmp" "$CORPUS"
fi
DOCS=$(zstd -dc "$CORPUS" | wc -l)

RUN=$SCRATCH/runs/$NAME-$(date +%Y%m%d-%H%M%S)
mkdir -p "$RUN"
{
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), nproc $(nproc)"
    echo "memory: $(free -h | awk '/^Mem:/ {print $2 " total, " $7 " available"}')"
    echo "kernel: $(uname -r)"
    echo "disk: $(df -h "$SCRATCH" | awk 'NR==2 {print $1 ", " $4 " free"}')"
    echo "papers: $([[ -x $PAPERS_BIN ]] && "$PAPERS_BIN" --version || echo -) at $PAPERS_BIN, built $([[ -x $PAPERS_BIN ]] && date -u -r "$(readlink -f "$PAPERS_BIN")" '+%Y-%m-%d %H:%M UTC' || echo -)"
    echo "checkout now: commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo -)$( [[ -n $(git -C "$ROOT" status --porcelain -- src Cargo.toml Cargo.lock migrations 2>/dev/null) ]] && echo ' + uncommitted changes') (the binary is what was built, which may be older)"
    echo "postgresql: $(psql "$PG_URL/postgres" -XAtqc "SELECT split_part(version(), ' on ', 1) || ', shared_buffers ' || current_setting('shared_buffers') || ', max_wal_size ' || current_setting('max_wal_size') || ', synchronous_commit ' || current_setting('synchronous_commit')" 2>/dev/null || echo -)"
    echo "python: $(python3 -c 'import sys, sqlite3; print(sys.version.split()[0], "sqlite", sqlite3.sqlite_version)'), tantivy-py $(python3 -c 'import importlib.metadata as m; print(m.version("tantivy"))' 2>/dev/null || echo -)"
    echo "corpus: $NAME, $DOCS records, $CORPUS ($(du -m "$CORPUS" | cut -f1) MB zstd)"
    echo "engines: ${ENGINES[*]}, rounds: $REPEAT"
    env | grep -E '^(MALLOC_|GLIBC_TUNABLES|RUST_LOG|PAPERS_)' | sort | sed 's/^/env: /' || true
} | tee "$RUN/machine.txt" >&2

# --- helpers ------------------------------------------------------------------------------------
DATABASES=()
cleanup() {
    local db
    for db in "${DATABASES[@]}"; do
        psql "$PG_URL/postgres" -XAtqc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    done
}
trap cleanup EXIT

new_database() { # prints the name of a fresh, empty database
    local db
    db=bench_$1_$$_$(date +%s)
    psql "$PG_URL/postgres" -XAtqc "CREATE DATABASE $db" >/dev/null
    DATABASES+=("$db")
    echo "$db"
}

drop_database() {
    [[ $KEEP == 1 ]] && return 0
    psql "$PG_URL/postgres" -XAtqc "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null
}

busy_cores() { # machine CPU in use over one second, in cores
    local a b
    a=$(awk '/^cpu / {print $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat)
    sleep 1
    b=$(awk '/^cpu / {print $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat)
    echo "$a $b" | awk '{busy = $3 - $1; idle = $4 - $2; printf "%.2f", (busy + idle) ? busy / (busy + idle) * '"$(nproc)"' : 0}'
}

wait_quiet() {
    local waited=0 busy
    while busy=$(busy_cores) && awk -v b="$busy" 'BEGIN {exit !(b > 0.25)}'; do
        if [[ $waited -ge $QUIET_WAIT ]]; then
            echo "   machine still busy ($busy cores in use by others) after ${waited}s: measuring anyway" >&2
            return 0
        fi
        [[ $waited -eq 0 ]] && echo "   waiting for the machine to go quiet ($busy cores in use by others)" >&2
        sleep 4
        waited=$((waited + 5))
    done
}

bytes() { du -sb "$@" 2>/dev/null | awk '{s += $1} END {print s + 0}'; }

# measure ENGINE PGDB CMD...: runs CMD under time -v with the sampler watching; output in $RUN/ENGINE/
measure() {
    local engine=$1 pgdb=$2 dir=$RUN/$1.$REP rc=0
    shift 2
    sync
    sleep 2 # let writeback of the previous engine settle
    wait_quiet
    echo "== $engine (round $REP): $* (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    /usr/bin/time -v -o "$dir/time.txt" "$@" >"$dir/stdout" 2>"$dir/stderr" &
    local tpid=$!
    python3 "$HERE/sample.py" --root "$tpid" ${pgdb:+--pgdb "$pgdb"} --out "$dir/sample.json" &
    local spid=$!
    wait "$tpid" || rc=$?
    wait "$spid" || echo "sampler failed for $engine" >&2
    echo "$rc" >"$dir/exit"
    grep -E 'Elapsed|Maximum resident' "$dir/time.txt" | sed 's/^\s*/   /' >&2
    if [[ $rc -ne 0 ]]; then
        echo "$engine FAILED (exit $rc); last lines of its stderr:" >&2
        tail -n 20 "$dir/stderr" >&2
    fi
    return 0
}

meta() { # meta ENGINE KEY=VALUE...: facts about the result (sizes, counts) for report.py
    local engine=$1
    shift
    printf '%s\n' "$@" >"$RUN/$engine.$REP/meta.txt"
}

# --- engines ------------------------------------------------------------------------------------
run_papers() { # run_papers sqlite|postgres
    local engine=$1 dir=$RUN/$1.$REP url db="" data
    data=$dir/data
    mkdir -p "$data"
    if [[ $engine == sqlite ]]; then
        url=sqlite://$data/papers.db
    else
        db=$(new_database papers)
        url=$PG_URL/$db
    fi
    measure "$engine" "$db" "$PAPERS_BIN" --database-url "$url" --data-dir "$data" \
        import arxiv-snapshot "$CORPUS" --json
    "$PAPERS_BIN" --database-url "$url" --data-dir "$data" status --json \
        >"$dir/status.json" 2>"$dir/status.stderr" || echo "status failed: $(tail -n 3 "$dir/status.stderr")" >&2
    local store_bytes
    if [[ $engine == sqlite ]]; then
        store_bytes=$(bytes "$data"/papers.db*)
    else
        store_bytes=$(psql "$PG_URL/$db" -XAtqc "SELECT pg_database_size(current_database())")
        psql "$PG_URL/$db" -XAtqc "SELECT 'papers table ' || pg_size_pretty(pg_table_size('papers')) || ', its indexes ' || pg_size_pretty(pg_indexes_size('papers'))" >"$dir/pg_sizes.txt"
    fi
    meta "$engine" "docs=$DOCS" "index_bytes=$(bytes "$data/index")" "store_bytes=$store_bytes" \
        "index_files=$(find "$data/index" -type f | wc -l)" "segments=$(find "$data/index" -name '*.idx' | wc -l)"
    [[ -n $db ]] && drop_database "$db"
    [[ $KEEP == 1 ]] || rm -rf "$data"
}

run_fts5() {
    local dir=$RUN/fts5.$REP
    mkdir -p "$dir/data"
    measure fts5 "" python3 "$HERE/baselines.py" fts5 "$CORPUS" "$dir/data/fts5.db" --out "$dir/phases.json"
    meta fts5 "docs=$DOCS" "index_bytes=$(bytes "$dir/data"/fts5.db*)" "store_bytes=0"
    [[ $KEEP == 1 ]] || rm -rf "$dir/data"
}

run_pgfts() {
    local dir=$RUN/pgfts.$REP db
    mkdir -p "$dir"
    db=$(new_database pgfts)
    cat >"$dir/build.sql" <<'SQL'
\set ON_ERROR_STOP 1
\timing on
\echo phase create
CREATE TABLE docs (
    id text PRIMARY KEY,
    title text NOT NULL,
    abstract text NOT NULL,
    tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', title || ' ' || abstract)) STORED
);
\echo phase copy+tsvector
\copy docs (id, title, abstract) FROM pstdin WITH (FORMAT csv)
\echo phase gin
CREATE INDEX docs_tsv ON docs USING gin (tsv);
\echo phase vacuum-analyze
VACUUM ANALYZE docs;
\timing off
SQL
    measure pgfts "$db" bash -o pipefail -c \
        'python3 "$1" csv "$2" | psql "$3" -X -q -f "$4"' _ "$HERE/baselines.py" "$CORPUS" "$PG_URL/$db" "$dir/build.sql"
    meta pgfts "docs=$(psql "$PG_URL/$db" -XAtqc 'SELECT count(*) FROM docs' 2>/dev/null || echo 0)" \
        "index_bytes=$(psql "$PG_URL/$db" -XAtqc "SELECT pg_database_size(current_database())")" "store_bytes=0"
    psql "$PG_URL/$db" -XAtqc "SELECT 'GIN ' || pg_size_pretty(pg_relation_size('docs_tsv')) || ', table with TOAST ' || pg_size_pretty(pg_table_size('docs')) || ', all indexes ' || pg_size_pretty(pg_indexes_size('docs'))" >"$dir/pg_sizes.txt" 2>/dev/null || true
    drop_database "$db"
}

run_tantivy() {
    local dir=$RUN/tantivy.$REP
    mkdir -p "$dir/data"
    measure tantivy "" python3 "$HERE/baselines.py" tantivy "$CORPUS" "$dir/data/index" --out "$dir/phases.json"
    meta tantivy "docs=$DOCS" "index_bytes=$(bytes "$dir/data/index")" "store_bytes=0"
    [[ $KEEP == 1 ]] || rm -rf "$dir/data"
}

for REP in $(seq 1 "$REPEAT"); do # rounds over all engines, so noise spreads evenly
    for engine in "${ENGINES[@]}"; do
        [[ -n $engine ]] || continue
        mkdir -p "$RUN/$engine.$REP"
        case $engine in
            sqlite | postgres) run_papers "$engine" ;;
            fts5) run_fts5 ;;
            pgfts) run_pgfts ;;
            tantivy) run_tantivy ;;
        esac
    done
done

python3 "$HERE/report.py" "$RUN" | tee "$RUN/report.md"
echo "raw results: $RUN" >&2
