"""Where record-based drafts come from (DESIGN 9), one test per source, through the
one-person service ``draft_from_records``."""

import datetime as dt

import pytest

from matching.drafting import Source
from matching.titles import LEXICAL_FEATURES, TitleIndex
from skills_app.people.draft_runs import draft_from_records
from skills_app.people.draft_sources import title_indexes
from skills_app.people.drafts import draft_person
from skills_app.people.models import EvidenceKind, PersonSkill, Qualification, RoleHistory
from taxonomy.models import Occupation, OccupationSkill, QualificationSkill
from tests.factories import (
    PersonFactory,
    PersonSkillFactory,
    RoleProfileFactory,
    RoleRequirementFactory,
    SkillFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def hr():
    return UserFactory()


def drafts_of(person) -> dict[int, PersonSkill]:
    return {row.skill_id: row for row in PersonSkill.objects.filter(person=person).drafts()}


def analyst_role(code="senior-data-analyst", title="Senior data analyst"):
    role = RoleProfileFactory(code=code, title=title)
    sql = RoleRequirementFactory(role=role, skill=SkillFactory(name="SQL"), level=3)
    stats = RoleRequirementFactory(role=role, skill=SkillFactory(name="Statistics"), level=2)
    return role, {sql.skill_id: 3, stats.skill_id: 2}


def test_a_current_role_proposes_its_requirements_at_their_levels(hr):
    role, wanted = analyst_role()
    person = PersonFactory()
    RoleHistory.objects.create(
        person=person, title="Data person", role_profile=role, start=dt.date(2023, 4, 1)
    )
    counts = draft_from_records(actor=hr, person=person)
    drafts = drafts_of(person)
    assert {pk: row.level for pk, row in drafts.items()} == wanted
    assert counts.created == 2
    row = next(iter(drafts.values()))
    assert row.evidence == EvidenceKind.INFERRED
    assert row.last_used is None  # held now
    assert row.source == "role_level"
    assert row.sources[0]["label"] == "Senior data analyst"
    assert row.sources[0]["ref"] == "senior-data-analyst"
    assert row.sources[0]["start"] == "2023-04-01"


def test_a_past_role_sets_last_used_to_its_end(hr):
    role, wanted = analyst_role()
    person = PersonFactory()
    end = dt.date(2024, 3, 31)
    RoleHistory.objects.create(
        person=person, title="Analyst", role_profile=role, start=dt.date(2021, 1, 4), end=end
    )
    draft_from_records(actor=hr, person=person)
    drafts = drafts_of(person)
    assert set(drafts) == set(wanted)
    assert {row.last_used for row in drafts.values()} == {end}


def test_overlapping_sources_the_higher_level_wins_and_both_are_recorded(hr):
    python = SkillFactory(name="Python")
    junior = RoleProfileFactory(code="junior-dev", title="Junior developer")
    senior = RoleProfileFactory(code="senior-dev", title="Senior developer")
    RoleRequirementFactory(role=junior, skill=python, level=2)
    RoleRequirementFactory(role=senior, skill=python, level=4)
    person = PersonFactory()
    ended = dt.date(2025, 6, 30)
    RoleHistory.objects.create(
        person=person, title="Dev", role_profile=senior, start=dt.date(2022, 1, 1), end=ended
    )
    RoleHistory.objects.create(
        person=person, title="Dev now", role_profile=junior, start=dt.date(2025, 7, 1)
    )
    draft_from_records(actor=hr, person=person)
    row = drafts_of(person)[python.pk]
    assert row.level == 4
    assert row.last_used == ended  # the winner's: the senior role that ended
    assert [s["ref"] for s in row.sources] == ["senior-dev", "junior-dev"]
    assert [s["level"] for s in row.sources] == [4, 2]


def test_a_title_is_matched_to_the_role_library(hr):
    role, wanted = analyst_role()
    person = PersonFactory()
    RoleHistory.objects.create(
        person=person, title="SENIOR DATA ANALYST", start=dt.date(2024, 1, 1)
    )
    draft_from_records(actor=hr, person=person)
    drafts = drafts_of(person)
    assert {pk: row.level for pk, row in drafts.items()} == wanted
    row = next(iter(drafts.values()))
    assert row.source == "job_title"
    assert row.sources[0]["label"] == "SENIOR DATA ANALYST"  # what the person's record says
    assert row.sources[0]["ref"] == role.code


def test_a_title_is_matched_to_an_esco_occupation_by_an_alternative_title(hr):
    analyst_role()  # a role library that does not know this title
    essential = SkillFactory(name="Write computer code")
    optional = SkillFactory(name="Use version control")
    occupation = Occupation.objects.create(
        uri="http://data.europa.eu/esco/occupation/test-dev",
        name="software developer",
        alt_labels="programmer\nsoftware engineer\napplication developer",
    )
    OccupationSkill.objects.create(occupation=occupation, skill=essential, essential=True)
    OccupationSkill.objects.create(occupation=occupation, skill=optional, essential=False)
    person = PersonFactory()
    RoleHistory.objects.create(person=person, title="Software Engineer", start=dt.date(2024, 1, 1))
    draft_from_records(actor=hr, person=person)
    drafts = drafts_of(person)
    assert {pk: row.level for pk, row in drafts.items()} == {essential.pk: 3, optional.pk: 2}
    row = drafts[essential.pk]
    assert row.source == "occupation"
    assert row.sources[0]["ref"] == occupation.uri
    assert row.sources[0]["label"] == "Software Engineer"


def test_a_nonsense_title_drafts_nothing(hr):
    analyst_role()
    occupation = Occupation.objects.create(
        uri="http://data.europa.eu/esco/occupation/test-dev", name="software developer"
    )
    OccupationSkill.objects.create(occupation=occupation, skill=SkillFactory(), essential=True)
    person = PersonFactory()
    RoleHistory.objects.create(person=person, title="Zxqv blorp wibble", start=dt.date(2024, 1, 1))
    counts = draft_from_records(actor=hr, person=person)
    assert counts.created == 0
    assert not PersonSkill.objects.filter(person=person).exists()


def test_a_qualification_proposes_its_mapped_skills(hr):
    agile = SkillFactory(name="Agile working")
    planning = SkillFactory(name="Project planning")
    QualificationSkill.objects.create(qualification="PRINCE2 Practitioner", skill=planning, level=3)
    QualificationSkill.objects.create(qualification="PRINCE2 Practitioner", skill=agile, level=2)
    QualificationSkill.objects.create(qualification="Something else", skill=SkillFactory(), level=4)
    person = PersonFactory()
    Qualification.objects.create(person=person, name="Prince2 practitioner", issuer="Axelos")
    draft_from_records(actor=hr, person=person)
    drafts = drafts_of(person)
    assert {pk: row.level for pk, row in drafts.items()} == {planning.pk: 3, agile.pk: 2}
    assert drafts[planning.pk].source == "qualification"
    assert drafts[planning.pk].sources[0]["label"] == "Prince2 practitioner"


def test_records_leave_text_drafts_and_confirmed_skills_alone_and_withdraw_stale_ones(hr):
    role, wanted = analyst_role()
    person = PersonFactory()
    spell = RoleHistory.objects.create(
        person=person, title="x", role_profile=role, start=dt.date(2024, 1, 1)
    )
    from_cv = SkillFactory(name="Public speaking")
    text = Source(kind="text", label="public speaking", level=2, passage="I give talks")
    draft_person(actor=hr, person=person, offers=[(from_cv.pk, text)], kinds={"text"})
    sql_id = next(pk for pk, level in wanted.items() if level == 3)
    PersonSkillFactory(person=person, skill_id=sql_id, level=1, evidence=EvidenceKind.SELF)
    first = draft_from_records(actor=hr, person=person)
    assert (first.created, first.skipped_confirmed) == (1, 1)
    assert PersonSkill.objects.get(person=person, skill_id=sql_id).level == 1  # not raised
    again = draft_from_records(actor=hr, person=person)
    assert not again.changed
    spell.delete()  # the record that proposed them is gone
    gone = draft_from_records(actor=hr, person=person)
    assert gone.withdrawn == 1
    assert set(drafts_of(person)) == {from_cv.pk}  # the CV's draft stands


def test_the_title_indexes_are_rebuilt_when_the_role_library_changes():
    first = title_indexes()
    assert title_indexes() is first  # cached
    RoleProfileFactory(code="new-role", title="New role")
    second = title_indexes()
    assert second is not first
    assert second.role_titles.best("new role") is not None


def test_an_empty_title_index_matches_nothing():
    assert TitleIndex([]).best("Senior data analyst") is None
    assert TitleIndex([(1, "Data analyst", True)]).best("  ") is None


@pytest.fixture
def fresh_vectors(monkeypatch):
    """draft_sources reads the vectors once per process and path; start each test clean."""
    from skills_app.people import draft_sources

    monkeypatch.setattr(draft_sources, "_vectors", {})
    return draft_sources


def test_title_indexes_use_the_configured_word_vectors(fresh_vectors, settings, tmp_path):
    import numpy as np

    path = tmp_path / "vectors.npz"
    np.savez_compressed(
        path,
        words=np.array("wages\npayroll\nwater\nclerk\nofficer"),
        vectors=np.array([[1, 0, 0], [0.95, 0.1, 0], [0, 1, 0], [0, 0, 1], [0.1, 0, 0.9]]),
    )
    settings.MUSTER_WORD_VECTORS = str(path)
    indexes = fresh_vectors.build_title_indexes()
    assert indexes.occupation_titles._meanings is not None
    assert indexes.role_titles._meanings is not None
    assert fresh_vectors.word_vectors() is fresh_vectors.word_vectors()  # read once


def test_without_word_vectors_titles_are_matched_on_words_with_a_warning(
    fresh_vectors, settings, tmp_path, caplog, hr
):
    settings.MUSTER_WORD_VECTORS = str(tmp_path / "absent.npz")
    with caplog.at_level("WARNING", logger="skills_app.people.draft_sources"):
        indexes = fresh_vectors.build_title_indexes()
    assert indexes.occupation_titles._meanings is None
    assert indexes.occupation_titles.features == LEXICAL_FEATURES
    assert "make install writes them" in caplog.text
    # an ordinary title still matches
    analyst_role()
    person = PersonFactory()
    RoleHistory.objects.create(
        person=person, title="Senior data analyst", start=dt.date(2024, 1, 1)
    )
    draft_from_records(actor=hr, person=person)
    assert drafts_of(person)
