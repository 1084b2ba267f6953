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
