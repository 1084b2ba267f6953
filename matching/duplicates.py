"""Likely duplicate skills: pairs of names that say the same thing.

Pure Python (scikit-learn, scipy, rapidfuzz); no Django. Two stages, so a
whole taxonomy (~14,000 ESCO names) takes a few seconds rather than the
~100 million fuzzy comparisons of an all-pairs scan:

1. **Candidate generation**: every casefolded name becomes a tf-idf vector of
   character trigrams (``analyzer="char_wb"``, so n-grams stay inside words);
   the rows are L2-normalised, so ``X @ X.T`` is the cosine similarity. Rows
   are multiplied in blocks and each row keeps its ``neighbours`` most similar
   other names above ``cosine_cut``.
2. **Re-scoring**: each candidate pair is scored with rapidfuzz on the
   casefolded names, ``max(token_sort_ratio, ratio)`` (0-100), so word order
   ("management of projects" / "projects management of") and small spelling
   differences both count; pairs at or above ``threshold`` are returned.

The result is deterministic: sorted by score descending, then by the two ids.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rapidfuzz import fuzz
from sklearn.feature_extraction.text import TfidfVectorizer

__all__ = ["find_duplicate_pairs", "pair_similarity"]

BLOCK_ROWS = 2048  # rows per sparse block product (bounds peak memory)
DEFAULT_NEIGHBOURS = 10
DEFAULT_COSINE_CUT = 0.3


def _fold(name: str) -> str:
    return " ".join(name.casefold().split())


def pair_similarity(a: str, b: str) -> float:
    """The re-score used for every candidate pair: 0-100, symmetric."""
    fa, fb = _fold(a), _fold(b)
    return float(max(fuzz.token_sort_ratio(fa, fb), fuzz.ratio(fa, fb)))


def _candidate_pairs(
    names: list[str], *, neighbours: int, cosine_cut: float
) -> set[tuple[int, int]]:
    """Index pairs (i < j) whose trigram vectors are close."""
    vectoriser = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(3, 3), lowercase=False, dtype=np.float32
    )
    matrix = vectoriser.fit_transform(names).tocsr()
    transposed = matrix.T.tocsc()
    pairs: set[tuple[int, int]] = set()
    count = matrix.shape[0]
    for start in range(0, count, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, count)
        block = (matrix[start:stop] @ transposed).tocsr()
        block.data[block.data < cosine_cut] = 0
        block.eliminate_zeros()
        for offset in range(stop - start):
            row = start + offset
            lo, hi = block.indptr[offset], block.indptr[offset + 1]
            if hi - lo <= 1:  # only itself
                continue
            cols = block.indices[lo:hi]
            sims = block.data[lo:hi]
            keep = cols != row
            cols, sims = cols[keep], sims[keep]
            if len(cols) > neighbours:
                # Highest similarity first; ties broken by column for determinism.
                order = np.lexsort((cols, -sims))[:neighbours]
                cols = cols[order]
            for col in cols.tolist():
                pairs.add((row, col) if row < col else (col, row))
    return pairs


def find_duplicate_pairs(
    items: Sequence[tuple[int, str]],
    *,
    threshold: float = 90.0,
    limit: int = 200,
    neighbours: int = DEFAULT_NEIGHBOURS,
    cosine_cut: float = DEFAULT_COSINE_CUT,
) -> list[tuple[int, int, float]]:
    """Likely duplicate pairs among ``items`` (``(id, name)``).

    Returns at most ``limit`` tuples ``(id_a, id_b, score)`` with
    ``id_a < id_b`` and ``score`` (0-100, one decimal) at least ``threshold``,
    best first, then by ids. Blank names are ignored; an id that appears twice
    is compared once (its first name is used).
    """
    if limit <= 0:
        return []
    seen: set[int] = set()
    ids: list[int] = []
    names: list[str] = []
    for item_id, name in items:
        folded = _fold(name or "")
        if not folded or item_id in seen:
            continue
        seen.add(item_id)
        ids.append(int(item_id))
        names.append(folded)
    if len(names) < 2:
        return []

    found: list[tuple[int, int, float]] = []
    for i, j in _candidate_pairs(names, neighbours=neighbours, cosine_cut=cosine_cut):
        score = pair_similarity(names[i], names[j])
        if score >= threshold:
            a, b = sorted((ids[i], ids[j]))
            found.append((a, b, round(score, 1)))
    found.sort(key=lambda pair: (-pair[2], pair[0], pair[1]))
    return found[:limit]
