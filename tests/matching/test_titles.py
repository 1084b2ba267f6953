"""matching.titles: job title -> the closest occupation, or nothing."""

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
