"""matching.titles: job title -> the closest occupation, or nothing."""

import math
from pathlib import Path

import numpy as np
import pytest

from matching.titles import TitleIndex, TitleMatch

ENTRIES = [
    ("occ:nurse", "specialist nurse", True),
    ("occ:nurse", "nurse specialist", False),
    ("occ:nurse", "clinical nurse specialist", False),
    ("occ:analyst", "data analyst", True),
    ("occ:analyst", "data analytics specialist", False),
    ("occ:park", "theme park technician", True),
    ("occ:park", "ride maintenance technician", False),
    ("occ:park", "amusement ride engineer", False),
    ("role:42", "software developer", True),
]


@pytest.fixture(scope="module")
def index():
    return TitleIndex(ENTRIES)


def test_a_preferred_title_matches_exactly(index):
    assert index.best("Data Analyst") == TitleMatch("occ:analyst", 100.0, "data analyst")


def test_an_alternative_title_finds_its_occupation(index):
    match = index.best("nurse specialist")
    assert (match.key, match.matched_label) == ("occ:nurse", "nurse specialist")


def test_a_title_spread_over_several_alternatives_finds_their_occupation(index):
    assert index.best("ride maintenance engineer").key == "occ:park"


def test_misspelt_title(index):
    assert index.best("sofware develper").key == "role:42"


@pytest.mark.parametrize("title", ["", "  ", "qwzx blorf", "xkcd"])
def test_a_title_that_matches_nothing_is_none(index, title):
    assert index.best(title) is None


def test_an_empty_index_matches_nothing():
    assert TitleIndex([]).best("data analyst") is None


# -- the re-ranker's evidence ----------------------------------------------------------------

LIFTS = [
    *ENTRIES,
    ("occ:lift", "lift maintenance engineer", True),
    ("occ:lift", "lift engineer", False),
]


def test_a_title_whose_words_all_belong_to_one_key_beats_a_closer_single_title():
    # "lift maintenance engineer" is the closer single title (the score order's pick);
    # every word of the query is among the theme park technician's titles.
    plain = TitleIndex(LIFTS, rerank_weights=())
    assert plain.best("ride maintenance engineer").key == "occ:lift"
    assert TitleIndex(LIFTS).best("ride maintenance engineer").key == "occ:park"


# "X teacher" / "X instructor" are titles of one occupation four times; "X instructor" /
# "X instructor trainer" are always two occupations'.
TEACHERS = [
    *[
        entry
        for subject in ("dance", "art", "drama", "piano")
        for entry in (
            (subject, f"{subject} teacher", True),
            (subject, f"{subject} instructor", False),
        )
    ],
    *[
        entry
        for sport in ("yoga", "ski", "swimming")
        for entry in (
            (sport, f"{sport} instructor", True),
            (f"{sport}+", f"{sport} instructor trainer", True),
        )
    ],
    ("music", "music teacher", True),
    ("music+", "music instructor trainer", True),
]


def test_an_edit_that_keeps_the_occupation_elsewhere_beats_one_that_changes_it():
    plain = TitleIndex(TEACHERS, rerank_weights=())
    assert plain.best("music instructor").key == "music+"
    assert TitleIndex(TEACHERS).best("music instructor") == TitleMatch(
        "music", 95.37, "music teacher"
    )


def test_paraphrase_rates_count_edits_within_and_across_keys():
    from matching.titles import UNSEEN_RATE, _Paraphrases

    table = _Paraphrases((key, label) for key, label, _ in TEACHERS)
    # teacher / instructor: within 4 keys, across none; "" / "trainer": across 3 pairs.
    assert table.rate("teacher", "instructor") == table.rate("instructor", "teacher") == 5 / 6
    assert table.rate("", "trainer") == 1 / 5
    assert table.rate("teacher", "plumber") == UNSEEN_RATE


def test_no_match_is_still_decided_on_the_best_score():
    order, _, top = TitleIndex(TEACHERS).candidates("music instructor")
    assert order and top > 100
    assert TitleIndex(TEACHERS, min_score=top + 1).best("music instructor") is None


def test_the_re_ranker_needs_one_weight_per_feature():
    with pytest.raises(ValueError):
        TitleIndex(ENTRIES, rerank_weights=(1.0, 2.0))


# -- word vectors: meaning features, candidates and the tree ranker ---------------------------

from matching.titles import FEATURES, NEAREST, RERANKED, TreeRanker  # noqa: E402
from matching.vectors import WordVectors  # noqa: E402

# Pay words point one way, shipping words another, office words a third.
TOY_VECTORS = WordVectors(
    ["wages", "payroll", "salary", "shipping", "cargo", "port", "clerk", "officer", "agent"],
    [
        [1.0, 0.0, 0.1],
        [0.95, 0.05, 0.1],
        [0.9, 0.1, 0.0],
        [0.0, 1.0, 0.1],
        [0.1, 0.95, 0.0],
        [0.05, 0.9, 0.1],
        [0.1, 0.1, 1.0],
        [0.0, 0.2, 0.9],
        [0.2, 0.0, 0.9],
    ],
)
CLERKS = [
    ("pay", "payroll officer", True),
    ("pay", "salary administrator", False),
    *[
        (f"clerk:{n}", f"{trade} clerk", True)
        for n, trade in enumerate(
            [
                "cargo",
                "port",
                "shipping",
                "filing",
                "court",
                "mail",
                "stock",
                "bank",
                "ward",
                "desk",
                "hotel",
                "sales",
            ]
        )
    ],
]


def meaning(index, title, key):
    order, features, _ = index.candidates(title)
    row = features[order.index(index._keys.index(key))]
    return dict(zip(index.features, row, strict=True))


def test_meaning_features_find_a_synonym_no_word_shares():
    index = TitleIndex(CLERKS, vectors=TOY_VECTORS, rerank_weights=())
    pay, cargo = meaning(index, "wages clerk", "pay"), meaning(index, "wages clerk", "clerk:0")
    assert pay["meaning_coverage"] > cargo["meaning_coverage"]
    assert pay["meaning_titles"] > cargo["meaning_titles"]
    assert pay["meaning_closest"] > cargo["meaning_closest"]
    # the last word, "clerk", is itself a title word of the cargo clerk's
    assert cargo["meaning_head"] == pytest.approx(1.0)
    assert pay["meaning_head"] < 1.0


def test_meaning_coverage_weighs_rare_words_more_than_common_ones():
    # 14 titles: "wages" is in none (idf ln 15 + 1), "clerk" in 12 (idf ln 15/13 + 1).
    index = TitleIndex(CLERKS, vectors=TOY_VECTORS, rerank_weights=())
    cosines = (
        TOY_VECTORS.rows(["wages", "clerk"]) @ TOY_VECTORS.rows(["payroll", "officer", "salary"]).T
    )
    weights = np.array([math.log(15) + 1, math.log(15 / 13) + 1])
    expected = cosines.max(axis=1) @ weights / weights.sum()
    assert meaning(index, "wages clerk", "pay")["meaning_coverage"] == pytest.approx(expected)


def test_the_keys_nearest_in_meaning_join_the_candidates():
    without = TitleIndex(CLERKS, rerank_weights=())
    order, _, _ = without.candidates("wages clerk")
    assert len(order) == RERANKED and without._keys.index("pay") not in order
    order, features, _ = TitleIndex(CLERKS, vectors=TOY_VECTORS).candidates("wages clerk")
    assert TitleIndex(CLERKS, vectors=TOY_VECTORS)._keys.index("pay") in order
    assert RERANKED < len(order) <= RERANKED + NEAREST
    assert features.shape == (len(order), len(FEATURES))


def test_meaning_features_are_zero_without_a_known_word():
    index = TitleIndex(CLERKS + [("x", "zyxw clerk", True)], vectors=TOY_VECTORS)
    meanings = slice(len(FEATURES) - 4, None)
    order, features, _ = index.candidates("filing clerks")  # neither word is known
    assert order and not features[:, meanings].any()
    order, features, _ = index.candidates("wages clerk")
    assert features[:, meanings].any()
    blank = TitleIndex([("x", "zyxw tuvs", True)], vectors=TOY_VECTORS)
    _, features, _ = blank.candidates("zyxw tuvs wages")  # the key has no known word
    assert features[0, meanings].tolist() == [0.0, 0.0, 0.0, 0.0]


def stump(column, threshold, left, right, features=FEATURES):
    """One tree of one split: inputs[column] <= threshold scores left, else right."""
    return TreeRanker(
        features,
        [column, 0, 0],
        [threshold, np.inf, np.inf],
        [1, 1, 2],
        [2, 1, 2],
        [0.0, left, right],
        [0],
    )


def test_a_tree_ranker_sums_the_leaves_each_row_reaches():
    coverage = FEATURES.index("meaning_coverage")
    features = np.zeros((3, len(FEATURES)))
    features[:, coverage] = [0.2, 0.9, 0.5]
    assert stump(coverage, 0.5, -1.0, 2.0).score(features).tolist() == [-1.0, 2.0, -1.0]
    # the second half of the inputs is each feature minus the best candidate's
    behind = stump(len(FEATURES) + coverage, -0.1, 0.0, 1.0)
    assert behind.score(features).tolist() == [0.0, 1.0, 0.0]
    two = TreeRanker(
        FEATURES,
        [coverage, 0, 0, coverage, 0, 0],
        [0.5, np.inf, np.inf, 0.8, np.inf, np.inf],
        [1, 1, 2, 4, 4, 5],
        [2, 1, 2, 5, 4, 5],
        [0, 1.0, 3.0, 0, 10.0, 20.0],
        [0, 3],
    )
    assert two.score(features).tolist() == [11.0, 23.0, 11.0]


def test_a_tree_ranker_survives_saving(tmp_path):
    ranker = stump(FEATURES.index("cosine"), 0.3, 0.0, 5.0)
    ranker.save(tmp_path / "ranker.npz")
    again = TreeRanker.load(tmp_path / "ranker.npz")
    features = np.random.default_rng(1).random((6, len(FEATURES)))
    assert again.features == FEATURES
    assert np.array_equal(again.score(features), ranker.score(features))


def test_a_tree_ranker_copied_from_scikit_learn_scores_as_it_does():
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(7)
    groups = [rng.random((rng.integers(2, 12), len(FEATURES))) for _ in range(300)]
    inputs = np.vstack([TreeRanker.inputs(g) for g in groups])
    right = inputs[:, 0] + inputs[:, len(FEATURES) + 1] > 0.6
    model = HistGradientBoostingClassifier(max_iter=30, max_leaf_nodes=15, random_state=0)
    model.fit(inputs, right)
    ranker = TreeRanker.from_sklearn(model, FEATURES)
    ours = np.concatenate([ranker.score(g) for g in groups])
    assert np.allclose(
        ours - model.decision_function(inputs), ours[0] - model.decision_function(inputs)[0]
    )
    assert np.ptp(ours) > 1  # the trees do split


def test_the_ranker_must_be_fitted_on_the_index_features():
    other = stump(0, 0.5, 0.0, 1.0, features=FEATURES[:9])
    with pytest.raises(ValueError):
        TitleIndex(CLERKS, vectors=TOY_VECTORS, ranker=other)


def test_the_shipped_ranker_reads_the_features_the_index_gives():
    assert TreeRanker.shipped().features == FEATURES


def test_the_ranker_chooses_among_all_candidates():
    coverage = FEATURES.index("meaning_coverage")
    index = TitleIndex(CLERKS, vectors=TOY_VECTORS, ranker=stump(coverage, 0.9, 0.0, 1.0))
    assert index.best("wages clerk").key == "pay"
    lexical = TitleIndex(CLERKS)
    assert lexical.best("wages clerk").key != "pay"


# -- with the real vectors (make install writes them) ---------------------------------------

PAYROLL_AND_SHIPPING = [
    *[
        ("payroll clerk", t, t == "payroll clerk")
        for t in (
            "payroll clerk",
            "payroll bookeeper",
            "payroll administrator",
            "personnel and payroll technician",
            "payroll and benefits clerk",
            "payroll accounting clerk",
            "payroll technician",
            "payroll officer",
            "payroll accounts clerk",
        )
    ],
    *[
        ("shipping agent", t, t == "shipping agent")
        for t in (
            "shipping agent",
            "ship representative",
            "cargo agent",
            "shipping representative",
            "water clerk",
            "ship local representative",
            "port agent",
            "shipping proxy",
            "owners charterers agent",
            "liner agent",
            "ships agent",
            "boarding clerk",
        )
    ],
]


@pytest.fixture(scope="module")
def real_vectors():
    from tests.conftest import skip_or_fail

    vectors = WordVectors.load(Path(__file__).resolve().parents[2] / "var/word_vectors.npz")
    if vectors is None:
        skip_or_fail("needs var/word_vectors.npz: run make install")
    return vectors


def test_with_real_vectors_wages_are_pay(real_vectors):
    # ESCO gives "wages clerk" to the payroll clerk; on words alone, "water clerk" is
    # the shipping agent's nearest title.
    assert TitleIndex(PAYROLL_AND_SHIPPING).best("wages clerk").key == "shipping agent"
    match = TitleIndex(PAYROLL_AND_SHIPPING, vectors=real_vectors).best("wages clerk")
    assert match.key == "payroll clerk"
