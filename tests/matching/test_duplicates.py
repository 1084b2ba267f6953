"""matching.duplicates: likely duplicate skill names, no database."""

import random
import string
import time

from matching.duplicates import find_duplicate_pairs, pair_similarity

NAMES = [
    (1, "project management"),
    (2, "Project Managment"),
    (3, "welding"),
    (4, "graphic design"),
    (5, "design graphics"),
    (6, "data analysis"),
    (7, "underwater basket weaving"),
    (8, "speak Welsh"),
]


def test_finds_near_identical_names():
    pairs = find_duplicate_pairs(NAMES)
    found = {(a, b) for a, b, _ in pairs}
    assert (1, 2) in found  # case and a missing letter
    assert (4, 5) in found  # word order
    score = dict(((a, b), s) for a, b, s in pairs)[(1, 2)]
    assert 90 <= score < 100


def test_ignores_dissimilar_names():
    found = {frozenset((a, b)) for a, b, _ in find_duplicate_pairs(NAMES)}
    for a, b in [(1, 3), (3, 8), (6, 7), (1, 6)]:
        assert frozenset((a, b)) not in found


def test_identical_names_score_100():
    pairs = find_duplicate_pairs([(10, "Python"), (11, "python "), (12, "Java")])
    assert pairs == [(10, 11, 100.0)]


def test_respects_threshold():
    strict = find_duplicate_pairs(NAMES, threshold=99.0)
    assert all(score >= 99.0 for _, _, score in strict)
    assert (1, 2) not in {(a, b) for a, b, _ in strict}
    loose = find_duplicate_pairs(NAMES, threshold=60.0)
    assert len(loose) >= len(find_duplicate_pairs(NAMES))
    assert all(score >= 60.0 for _, _, score in loose)


def test_respects_limit_and_keeps_the_best():
    words = ["risk", "change", "stakeholder", "vendor", "contract", "asset", "event", "data"]
    items = []
    for i, word in enumerate(words):
        items += [(2 * i, f"{word} management"), (2 * i + 1, f"{word} managment")]
    everything = find_duplicate_pairs(items, limit=10_000)
    assert {(a, b) for a, b, _ in everything} >= {(2 * i, 2 * i + 1) for i in range(8)}
    top = find_duplicate_pairs(items, limit=5)
    assert len(top) == 5
    assert top == everything[:5]
    assert find_duplicate_pairs(items, limit=0) == []


def test_result_is_ordered_and_deterministic():
    shuffled = NAMES[:]
    random.Random(4).shuffle(shuffled)
    first = find_duplicate_pairs(NAMES, threshold=70.0)
    assert first == find_duplicate_pairs(shuffled, threshold=70.0)
    assert first == sorted(first, key=lambda p: (-p[2], p[0], p[1]))
    assert all(a < b for a, b, _ in first)


def test_blank_names_and_repeated_ids_are_ignored():
    assert find_duplicate_pairs([(1, ""), (2, "   "), (3, "welding")]) == []
    assert find_duplicate_pairs([(1, "welding"), (1, "welding")]) == []
    assert find_duplicate_pairs([]) == []


def test_pair_similarity_is_symmetric_and_casefolded():
    assert pair_similarity("Graphic Design", "design graphic") == 100.0
    assert pair_similarity("a b c", "c b a") == pair_similarity("c b a", "a b c")


def test_scales_to_a_whole_taxonomy():
    rng = random.Random(7)
    words = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(4, 9))) for _ in range(3000)]
    items = [(i, " ".join(rng.sample(words, 3))) for i in range(14_000)]
    items.append((99_999, items[0][1] + "s"))  # one planted near-duplicate
    started = time.perf_counter()
    pairs = find_duplicate_pairs(items)
    elapsed = time.perf_counter() - started
    assert (0, 99_999) in {(a, b) for a, b, _ in pairs}
    assert elapsed < 30, f"{elapsed:.1f}s"
