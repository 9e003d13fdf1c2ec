"""Baseline for `cargo bench --bench embed -- throughput`: sentence-transformers on PyTorch
CPU, same model directory, same texts (title + ". " + abstract), same token cap.

Usage: python bench/st_throughput.py MODEL_DIR CORPUS.jsonl N MAX_TOKENS [THREADS]
Needs `pip install torch sentence-transformers` (PyPI); not part of the product.
"""

import json
import sys
import time

import torch
from sentence_transformers import SentenceTransformer


def texts(path: str, n: int) -> list[str]:
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if len(out) == n:
                break
            v = json.loads(line)
            title = v.get("title") or ""
            body = v.get("abstract") or v.get("summary") or v.get("text") or ""
            out.append(f"{title}. {body}" if body else title)
    return out


def main() -> None:
    model_dir, corpus, n, max_tokens = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    threads = int(sys.argv[5]) if len(sys.argv) > 5 else 2
    torch.set_num_threads(threads)
    docs = texts(corpus, n)
    model = SentenceTransformer(model_dir, device="cpu")
    model.max_seq_length = max_tokens
    model.encode(docs[:16], normalize_embeddings=True)
    started = time.perf_counter()
    vectors = model.encode(docs, batch_size=32, normalize_embeddings=True)
    secs = time.perf_counter() - started
    assert len(vectors) == len(docs)
    print(
        f"sentence-transformers (torch {torch.__version__}, {threads} threads) {len(docs)} texts, "
        f"max_tokens {max_tokens}: {secs:.1f} s, {len(docs) / secs:.1f} abstracts/s"
    )


if __name__ == "__main__":
    main()
