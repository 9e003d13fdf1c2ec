#!/usr/bin/env bash
# Embedding benchmarks in one run: local model (candle) against sentence-transformers on
# PyTorch CPU on the same texts, then the related-papers scan at 115k and 1M vectors, and the
# approximate index against the exact scan at 1M (ANN_VECTORS="1000000 2700000" for more).
#
# Usage: bench/embed.sh MODEL_DIR [CORPUS.jsonl] [N]
#   MODEL_DIR  all-MiniLM-L6-v2 (target/models/all-MiniLM-L6-v2 after .ci/run)
#   CORPUS     default ../shared/data/beir/scifact/corpus.jsonl; N default 1000 papers
#   PYTHON     a Python with torch + sentence-transformers (default python3)
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:?usage: bench/embed.sh MODEL_DIR [CORPUS] [N]}
corpus=${2:-../shared/data/beir/scifact/corpus.jsonl}
n=${3:-1000}
python=${PYTHON:-python3}
echo "# $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)"
cargo bench --bench embed --no-run -q 2>/dev/null || cargo bench --bench embed --no-run
for tokens in 256 128; do
  cargo bench -q --bench embed -- throughput "$model" "$corpus" "$n" "$tokens"
  "$python" bench/st_throughput.py "$model" "$corpus" "$n" "$tokens" 2
done
for vectors in 115671 1000000; do
  cargo bench -q --bench embed -- scan "$vectors"
done
for vectors in ${ANN_VECTORS:-1000000}; do
  cargo bench -q --bench embed -- ann "$vectors"
done
