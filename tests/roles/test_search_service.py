"""The search service over the real database: hand-computed DESIGN section 4
cases, the audit trail, and freshness of the per-process index."""

import datetime as dt

import pytest
from django.db import connection

from skills_app.audit.models import AccessEvent, Action
from skills_app.index.adapter import current_index, reset_index
from skills_app.people.models import RoleHistory
from skills_app.roles.search import (
    RequirementSpec,
    SearchFilters,
    SearchQuery,
    explain_person,
    run_search,
    search,
)
from taxonomy.models import SkillRelation
from tests.factories import (
    OrgUnitFactory,
    PersonFactory,
    PersonSkillFactory,
    RoleRequirementFactory,
    SkillFactory,
)

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 11, 21)


@pytest.fixture
def world():
    python, sql, programming = (SkillFactory(name=n) for n in ("Python", "SQL", "Programming"))
    SkillRelation.objects.create(from_skill=programming, to_skill=python, kind="narrower")
    unit = OrgUnitFactory(name="Digital")
    ada = PersonFactory(staff_number="S1", org_unit=unit, grade="SEO", location="Leeds")
    bo = PersonFactory(staff_number="S2", org_unit=unit, grade="HEO", location="York")
    PersonSkillFactory(person=ada, skill=python, level=4)
    PersonSkillFactory(person=ada, skill=sql, level=2, last_used=dt.date(2022, 11, 21))
    PersonSkillFactory(person=bo, skill=python, level=3, evidence="certified")
    PersonSkillFactory(person=bo, skill=sql, level=4, evidence="certified")
    return {"python": python, "sql": sql, "programming": programming, "ada": ada, "bo": bo}


def query(world, **kwargs):
    requirements = kwargs.pop(
        "requirements",
        (
            RequirementSpec(world["python"].pk, 4, 2.0, True),
            RequirementSpec(world["sql"].pk, 4, 1.0),
        ),
    )
    kwargs.setdefault("threshold", 0.0)
    return SearchQuery(requirements=requirements, as_of=AS_OF, **kwargs)


def test_hand_computed_scores_and_explanations(world):
    result = search(query(world))
    by_staff = {hit.staff_number: hit for hit in result.hits}
    # Ada: Python 4/4 (weight 2) + SQL 2 x recency(4.0 years -> 0.8) = 1.6/4 = 0.4
    ada = by_staff["S1"]
    sql_years = (AS_OF - dt.date(2022, 11, 21)).days / 365.25
    sql_recency = max(0.5, 1 - 0.1 * (sql_years - 2))
    assert ada.score == pytest.approx((2 * 1 + 1 * (2 * sql_recency / 4)) / 3, abs=1e-6)
    assert ada.meets_essentials is True
    assert ada.requirements[1].recency == pytest.approx(sql_recency, abs=1e-4)
    assert ada.requirements[1].gap == 3  # 4 - 1.6 = 2.4 -> 3 levels
    # Bo: Python 3/4 (essential not met) x 2 + SQL 1 -> 2.5/3
    bo = by_staff["S2"]
    assert bo.score == pytest.approx(2.5 / 3, abs=1e-6)
    assert bo.meets_essentials is False
    # Confidence: certified (1.0) but never reviewed (x 0.8) = 0.8 -> B; Ada self-assessed
    # 0.6 x 0.8 = 0.48 -> D.
    assert bo.confidence == "B"
    assert ada.confidence == "D"
    assert [h.staff_number for h in result.hits] == ["S2", "S1"]


def test_related_skill_supplies_the_level(world):
    q = query(world, requirements=(RequirementSpec(world["programming"].pk, 4),))
    hit = {h.staff_number: h for h in search(q).hits}["S1"]
    assert hit.score == pytest.approx(0.8)  # narrower Python 4 x 0.8 strength
    assert hit.requirements[0].via_skill.name == "Python"


def test_threshold_and_filters(world):
    assert [h.staff_number for h in search(query(world, threshold=0.8)).hits] == ["S2", "S1"]
    assert [h.staff_number for h in search(query(world, threshold=0.81)).hits] == ["S2"]
    only_leeds = query(world, filters=SearchFilters(locations=("Leeds",)))
    assert [h.staff_number for h in search(only_leeds).hits] == ["S1"]
    seo = query(world, filters=SearchFilters(grades=("SEO",)))
    assert [h.staff_number for h in search(seo).hits] == ["S1"]
    other = OrgUnitFactory(name="Elsewhere")
    assert search(query(world, filters=SearchFilters(org_units=(other.pk,)))).total == 0


def test_prior_role_lifts_rank_score(world):
    role = RoleRequirementFactory(skill=world["python"], level=4, weight=2.0).role
    RoleRequirementFactory(role=role, skill=world["sql"], level=4)
    RoleHistory.objects.create(
        person=world["ada"], title="Data engineer", role_profile=role, start=dt.date(2020, 1, 1)
    )
    hit = {h.staff_number: h for h in search(query(world)).hits}["S1"]
    assert hit.prior_role.title == "Data engineer"
    assert hit.prior_role.coverage == pytest.approx(1.0)
    assert hit.prior_role.current is True and hit.prior_role.start == dt.date(2020, 1, 1)
    assert hit.rank_score == pytest.approx(min(1.0, hit.score + 0.1))


def test_search_and_explanation_are_audited(world, make_user):
    planner = make_user()
    run_search(actor=planner, query=query(world, role_code="r1"))
    events = AccessEvent.objects.filter(actor=planner, action=Action.SEARCH)
    summary = events.get(subject__isnull=True)
    assert summary.parameters["total"] == 2
    assert summary.parameters["role"] == "r1"
    assert set(
        events.filter(subject__isnull=False).values_list("subject__staff_number", flat=True)
    ) == {"S1", "S2"}
    explained = explain_person(actor=planner, query=query(world), person_id=world["ada"].pk)
    assert explained.hit.staff_number == "S1"
    assert explained.as_of == query(world).day()
    assert AccessEvent.objects.get(action=Action.VIEW_EXPLANATION).subject == world["ada"]


def test_profile_change_is_visible_to_the_next_search_at_once(world):
    q = query(world)
    before = {h.staff_number: h.score for h in search(q).hits}
    row = world["bo"].skills.get(skill=world["python"])
    row.level = 4
    row.save()
    after = {h.staff_number: h.score for h in search(q).hits}
    assert after["S2"] == pytest.approx(1.0)
    assert after["S1"] == before["S1"]
    assert current_index().workforce.patched_people == 1


def test_new_person_and_attribute_changes_are_picked_up_without_a_rebuild(world):
    search(query(world))
    from skills_app.index.adapter import _fresh

    rebuilds = _fresh.rebuilds
    newcomer = PersonFactory(staff_number="S0", location="Hull")
    PersonSkillFactory(person=newcomer, skill=world["python"], level=4)
    PersonSkillFactory(person=newcomer, skill=world["sql"], level=4)
    world["ada"].location = "Hull"
    world["ada"].save()
    hits = search(query(world, filters=SearchFilters(locations=("Hull",)))).hits
    assert [h.staff_number for h in hits] == ["S0", "S1"]
    assert hits[0].score == pytest.approx(1.0)
    assert _fresh.rebuilds == rebuilds


def test_another_process_sees_the_change_through_the_sequence(world):
    """A second index (as another worker process would hold) built before the
    change applies it from the change table on its next search."""
    q = query(world)
    search(q)
    from skills_app.index import adapter as matching_adapter

    other = matching_adapter.FreshIndex()
    other.current()
    row = world["ada"].skills.get(skill=world["sql"])
    row.level, row.last_used = 4, None
    row.save()
    index = other.current()
    position = index.position_of(world["ada"].pk)
    scores, _ = index.workforce.scores(
        [
            matching_adapter_requirement(index, world["python"].pk, 4, 2.0),
            matching_adapter_requirement(index, world["sql"].pk, 4, 1.0),
        ],
        AS_OF.toordinal(),
    )
    assert scores[position] == pytest.approx(1.0)


def matching_adapter_requirement(index, skill_id, level, weight):
    from matching.engine import Requirement

    return Requirement(index.skill_column[skill_id], level, weight)


def test_bulk_change_rebuilds(world):
    from skills_app.index import adapter as matching_adapter
    from skills_app.index.changes import workforce_changed

    search(query(world))
    rebuilds = matching_adapter._fresh.rebuilds
    with connection.cursor() as cursor:
        cursor.execute("UPDATE people_personskill SET level = 1")
    workforce_changed("all")
    hits = search(query(world)).hits
    assert matching_adapter._fresh.rebuilds == rebuilds + 1
    assert max(h.score for h in hits) == pytest.approx(0.25)
    reset_index()


def test_pruning_old_changes_makes_every_process_rebuild(world):
    import io

    from django.core.management import call_command
    from django.utils import timezone

    from skills_app.index import adapter as matching_adapter
    from skills_app.people.models import WorkforceChange

    search(query(world))
    rebuilds = matching_adapter._fresh.rebuilds
    WorkforceChange.objects.update(at=timezone.now() - dt.timedelta(days=8))
    call_command("prune_workforce_changes", "--days", "7", stdout=io.StringIO())
    assert list(WorkforceChange.objects.values_list("scope", flat=True)) == ["all"]
    search(query(world))
    assert matching_adapter._fresh.rebuilds == rebuilds + 1


def test_a_changed_staff_number_reorders_ties(world):
    # Equal scores order by staff number; renumbering Ada must move her.
    bo_python = world["bo"].skills.get(skill=world["python"])
    bo_python.level = 4
    bo_python.save()
    ada_sql = world["ada"].skills.get(skill=world["sql"])
    ada_sql.level, ada_sql.last_used = 4, None
    ada_sql.save()
    assert [h.staff_number for h in search(query(world)).hits] == ["S1", "S2"]
    world["ada"].staff_number = "S3"
    world["ada"].save()
    assert [h.staff_number for h in search(query(world)).hits] == ["S2", "S3"]
