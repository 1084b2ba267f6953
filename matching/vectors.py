"""English word vectors: what a word means, as a unit vector, for words in no title.

``WordVectors(words, matrix)`` holds one row per word, scaled to unit length, so a
dot product is a cosine. ``WordVectors.load(path)`` reads the file
``scripts/word_vectors.py`` writes (GloVe's 100-dimensional vectors from a pinned
registry package; see that script for the source and licences) and answers
``None`` when the file is absent, so callers fall back to lexical matching.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

__all__ = ["WordVectors"]


class WordVectors:
    """An immutable word -> unit vector table; one instance serves concurrent readers."""

    def __init__(self, words: Iterable[str], matrix: np.ndarray):
        matrix = np.asarray(matrix, dtype=np.float32)
        self._row = {word: n for n, word in enumerate(words)}
        if len(self._row) != len(matrix):
            raise ValueError("one vector per distinct word")
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        self._matrix = matrix / np.where(norms > 0, norms, 1.0)
        self.dimensions = matrix.shape[1] if matrix.ndim == 2 else 0

    @classmethod
    def load(cls, path: str | Path) -> WordVectors | None:
        path = Path(path)
        if not path.is_file():
            return None
        with np.load(path, allow_pickle=False) as data:
            return cls(str(data["words"]).split("\n"), data["vectors"])

    def __contains__(self, word: str) -> bool:
        return word in self._row

    def __len__(self) -> int:
        return len(self._row)

    def known(self, words: Iterable[str]) -> list[str]:
        return [w for w in words if w in self._row]

    def rows(self, words: Iterable[str]) -> np.ndarray:
        """The unit vectors of ``words`` (all must be known), one row each."""
        return self._matrix[[self._row[w] for w in words]].reshape(-1, self.dimensions)
