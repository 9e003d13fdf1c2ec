"""Reference vectors from sentence-transformers (PyTorch), to check the local embedder.

Usage: python scripts/embed_reference.py MODEL_DIR tests/fixtures/embed_texts.json OUT.json

Needs `pip install torch sentence-transformers` (not a dependency of the product).
Writes {"model": ..., "max_seq_length": N, "vectors": [[...], ...]} with one unit vector
per input text, as `SentenceTransformer(MODEL_DIR).encode(texts, normalize_embeddings=True)`.
"""

import json
import sys

from sentence_transformers import SentenceTransformer


def main() -> None:
    model_dir, texts_path, out_path = sys.argv[1:4]
    texts = json.load(open(texts_path, encoding="utf-8"))
    model = SentenceTransformer(model_dir, device="cpu")
    vectors = model.encode(texts, normalize_embeddings=True, batch_size=len(texts))
    out = {
        "model": "sentence-transformers/all-MiniLM-L6-v2",
        "max_seq_length": model.max_seq_length,
        "vectors": [[round(float(x), 7) for x in v] for v in vectors],
    }
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(out, f)
        f.write("\n")


if __name__ == "__main__":
    main()
