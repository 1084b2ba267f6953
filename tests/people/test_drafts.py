"""Draft skills over the real database (DESIGN 9): the write path in
people.drafts, and drafts kept out of every search unless it opts in."""

import datetime as dt

import pytest

from matching.drafting import Source
from skills_app.audit.models import AccessEvent, Action
from skills_app.core.concurrency import ConflictError
from skills_app.index.adapter import current_index
from skills_app.people.drafts import draft_confirm, draft_person, draft_reject
from skills_app.people.models import DraftRejection, EvidenceKind, PersonSkill
from skills_app.roles.search import RequirementSpec, SearchQuery, explain_person, search
from tests.factories import PersonFactory, PersonSkillFactory, SkillFactory, UserFactory

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 11, 21)
KINDS = {"role_level"}


def role(level, end=None):
    return Source(kind="role_level", label="Senior data analyst", level=level, end=end)


@pytest.fixture
def hr():
    return UserFactory()


def test_drafting_is_idempotent_audited_and_keeps_sources(hr):
    person = PersonFactory()
    python = SkillFactory(name="Python")
    end = dt.date(2024, 3, 31)
    first = draft_person(actor=hr, person=person, offers=[(python.pk, role(3, end))], kinds=KINDS)
    assert (first.created, first.updated) == (1, 0)
    again = draft_person(actor=hr, person=person, offers=[(python.pk, role(3, end))], kinds=KINDS)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    row = PersonSkill.objects.get(person=person, skill=python)
    assert row.evidence == EvidenceKind.INFERRED
    assert (row.level, row.last_used, row.source) == (3, end, "role_level")
    assert row.sources == [role(3, end).to_json()]
    events = AccessEvent.objects.filter(action=Action.DRAFT, subject=person)
    assert events.count() == 1  # the unchanged second run writes nothing


def test_a_rejected_draft_never_returns(hr):
    person = PersonFactory()
    python = SkillFactory(name="Python")
    draft_person(actor=hr, person=person, offers=[(python.pk, role(3))], kinds=KINDS)
    row = PersonSkill.objects.get(person=person, skill=python)
    draft_reject(actor=person.user, person=person, person_skill_id=row.pk, expected_version=1)
    assert DraftRejection.objects.filter(person=person, skill=python).exists()
    counts = draft_person(actor=hr, person=person, offers=[(python.pk, role(4))], kinds=KINDS)
    assert counts.skipped_rejected == 1
    assert not PersonSkill.objects.filter(person=person, skill=python).exists()


def test_drafting_never_lowers_or_changes_a_confirmed_skill(hr):
    person = PersonFactory()
    python = SkillFactory(name="Python")
    PersonSkillFactory(person=person, skill=python, level=4, evidence="manager_verified")
    counts = draft_person(actor=hr, person=person, offers=[(python.pk, role(2))], kinds=KINDS)
    assert counts.skipped_confirmed == 1
    row = PersonSkill.objects.get(person=person, skill=python)
    assert (row.level, row.evidence) == (4, "manager_verified")


def test_confirming_makes_it_self_assessed_at_the_chosen_level_and_a_stale_version_conflicts(hr):
    person = PersonFactory()
    python = SkillFactory(name="Python")
    draft_person(actor=hr, person=person, offers=[(python.pk, role(3))], kinds=KINDS)
    row = PersonSkill.objects.get(person=person, skill=python)
    with pytest.raises(ConflictError):
        draft_confirm(actor=hr, person=person, person_skill_id=row.pk, expected_version=0)
    confirmed = draft_confirm(
        actor=hr, person=person, person_skill_id=row.pk, expected_version=row.version, level=2
    )
    assert (confirmed.evidence, confirmed.level, confirmed.source) == ("self", 2, "role_level")
    decision = AccessEvent.objects.filter(action=Action.EDIT_PROFILE, subject=person).latest("id")
    assert decision.parameters["decision"] == "changed"
    # A confirmed skill is no longer a draft: confirming again finds nothing to confirm.
    with pytest.raises(ConflictError):
        draft_confirm(
            actor=hr, person=person, person_skill_id=row.pk, expected_version=confirmed.version
        )


def test_drafts_do_not_move_a_match_unless_the_search_includes_them(hr):
    python = SkillFactory(name="Python")
    drafted, holder = PersonFactory(staff_number="S1"), PersonFactory(staff_number="S2")
    PersonSkillFactory(person=holder, skill=python, level=2)
    current_index()  # built before the draft: the draft arrives through the patch
    draft_person(actor=hr, person=drafted, offers=[(python.pk, role(4))], kinds=KINDS)
    need = (RequirementSpec(python.pk, 4),)
    plain = search(SearchQuery(requirements=need, threshold=0.0, as_of=AS_OF))
    assert {h.staff_number: h.score for h in plain.hits} == {"S2": 0.5, "S1": 0.0}
    included = search(
        SearchQuery(requirements=need, threshold=0.0, as_of=AS_OF, include_drafts=True)
    )
    top = included.hits[0]
    assert (top.staff_number, top.score, top.requirements[0].evidence) == ("S1", 1.0, "inferred")
    explained = explain_person(
        actor=hr,
        query=SearchQuery(requirements=need, as_of=AS_OF, include_drafts=True),
        person_id=drafted.pk,
    )
    assert explained.evidence_value == pytest.approx(0.4)


def test_drafts_stay_out_of_a_freshly_built_index(hr):
    python = SkillFactory(name="Python")
    drafted = PersonFactory(staff_number="S1")
    draft_person(actor=hr, person=drafted, offers=[(python.pk, role(4))], kinds=KINDS)
    from skills_app.index.adapter import reset_index

    reset_index()
    need = (RequirementSpec(python.pk, 4),)
    assert search(SearchQuery(requirements=need, as_of=AS_OF)).hits == []
    included = search(SearchQuery(requirements=need, as_of=AS_OF, include_drafts=True))
    assert [h.staff_number for h in included.hits] == ["S1"]
