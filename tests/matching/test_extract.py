"""matching.extract: phrases found with their spans, overlaps, nonsense, limits."""

import pytest

from matching.extract import Extractor, Hit

DATA, ANALYSIS, DATA_ANALYSIS, PM, STAFF, PYTHON, NURSING = range(1, 8)

LABELS = [
    (DATA, "data", True),
    (ANALYSIS, "analysis", True),
    (DATA_ANALYSIS, "data analysis", True),
    (DATA_ANALYSIS, "analyse data", False),
    (PM, "project management", True),
    (STAFF, "manage staff", True),
    (PYTHON, "Python (computer programming)", True),
    (PYTHON, "Python", False),
    (NURSING, "patient care", True),
]
DESCRIPTIONS = {PM: "Plan and run projects.", NURSING: "Look after patients on a ward."}
OCCUPATIONS = [("Nurses look after patients on wards and lead teams.", [NURSING], [STAFF])]


@pytest.fixture(scope="module")
def extractor():
    return Extractor(LABELS, DESCRIPTIONS, OCCUPATIONS)


def by_skill(hits: list[Hit]) -> dict[int, Hit]:
    return {hit.skill_id: hit for hit in hits}


def test_a_phrase_is_found_with_its_span(extractor):
    text = "Since 2021 I have done Project-Management at scale."
    hit = by_skill(extractor.extract(text))[PM]
    assert text[hit.span[0] : hit.span[1]] == "Project-Management"
    assert hit.matched_label == "project management"
    assert 0 < hit.score <= 1


def test_stemmed_and_reordered_phrases_count(extractor):
    text = "I managed staff. Later: the analysis of data for the board."
    hits = by_skill(extractor.extract(text))
    assert text[slice(*hits[STAFF].span)] == "managed staff"
    assert text[slice(*hits[DATA_ANALYSIS].span)] == "analysis of data"


def test_overlapping_phrases_the_longest_wins(extractor):
    """ "data analysis" claims its words: "data" and "analysis" inside it are no
    phrase of their own (they may still rank lower, on word overlap alone)."""
    text = "Mostly data analysis."
    hits = extractor.extract(text)
    assert hits[0].skill_id == DATA_ANALYSIS
    assert text[slice(*hits[0].span)] == "data analysis"
    for hit in hits[1:]:
        assert text[slice(*hit.span)] not in {"data", "analysis"}
        assert hit.score < hits[0].score


def test_an_alias_reports_the_label_that_matched(extractor):
    text = "Wrote Python daily"
    hit = by_skill(extractor.extract(text))[PYTHON]
    assert (hit.matched_label, text[slice(*hit.span)]) == ("Python", "Python")


def test_phrases_do_not_cross_punctuation(extractor):
    text = "The project, management said no."
    hit = by_skill(extractor.extract(text)).get(PM)
    assert hit is None or text[slice(*hit.span)] == text  # the sentence, not a phrase
    assert hit is None or hit.score < by_skill(extractor.extract("project management"))[PM].score


def test_similar_occupations_propose_their_skills(extractor):
    hits = by_skill(extractor.extract("I look after patients on a busy ward."))
    assert NURSING in hits
    assert hits[NURSING].score > hits.get(STAFF, Hit(STAFF, 0, (0, 0), "")).score


@pytest.mark.parametrize("text", ["", "   ", "qwzx blorf vrrk", "the of and"])
def test_nonsense_answers_nothing(extractor, text):
    assert extractor.extract(text) == []


def test_limit_is_honoured(extractor):
    text = "Data analysis, project management, Python and patient care; I managed staff."
    every = extractor.extract(text, limit=20)
    assert len(every) > 3
    assert [h.skill_id for h in extractor.extract(text, limit=3)] == [h.skill_id for h in every[:3]]
    assert extractor.extract(text, limit=0) == []


def test_an_empty_taxonomy_answers_nothing():
    assert Extractor([]).extract("project management") == []
