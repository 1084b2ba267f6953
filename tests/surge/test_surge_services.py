"""Surge scenarios over the real database: solving, the greedy baseline, caps,
exclusions, the training plan and the draft -> solved -> approved -> closed workflow."""

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from skills_app.audit.models import AccessEvent, Action
from skills_app.core.concurrency import ConflictError
from skills_app.people.models import Person
from skills_app.surge.models import Allocation, AllocationStatus, DemandLine, ScenarioStatus
from skills_app.surge.services import (
    LineSpec,
    SurgeError,
    scenario_approve,
    scenario_close,
    scenario_create,
    scenario_queue_solve,
    scenario_solve,
    scenario_update,
)
from tests.factories import (
    OrgUnitFactory,
    PersonFactory,
    PersonSkillFactory,
    RoleRequirementFactory,
    SkillFactory,
)

pytestmark = pytest.mark.django_db
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def world():
    """Two roles; A is the only all-rounder. Greedy gives A to the first line and
    leaves the second empty; the optimum sends A to the second and B to the first."""
    python, sql = SkillFactory(name="Python"), SkillFactory(name="SQL")
    analyst = RoleRequirementFactory(skill=python, level=4).role
    dba = RoleRequirementFactory(skill=sql, level=4).role
    dept = OrgUnitFactory(name="Dept")
    team = OrgUnitFactory(name="Team", parent=dept)
    other = OrgUnitFactory(name="Other", parent=dept)
    a = PersonFactory(staff_number="A", org_unit=team)
    b = PersonFactory(staff_number="B", org_unit=team)
    PersonSkillFactory(person=a, skill=python, level=4)
    PersonSkillFactory(person=a, skill=sql, level=4)
    PersonSkillFactory(person=b, skill=python, level=4)
    # Fill the units so a 0.5 cap lets each release people.
    for i in range(4):
        PersonFactory(staff_number=f"T{i}", org_unit=team)
        PersonFactory(staff_number=f"O{i}", org_unit=other)
    return {"analyst": analyst, "dba": dba, "a": a, "b": b, "team": team, "python": python}


def create(world, actor=None, **kwargs):
    kwargs.setdefault("release_cap", 0.5)
    kwargs.setdefault("cap_org_depth", 1)
    return scenario_create(
        actor=actor,
        name="Flood response",
        lines=[
            LineSpec(world["analyst"].pk, 1, min_score=0.8),
            LineSpec(world["dba"].pk, 1, min_score=0.8),
        ],
        **kwargs,
    )


def test_optimum_beats_greedy_and_is_stored(world):
    scenario = scenario_solve(scenario_id=create(world).pk)
    assert scenario.status == ScenarioStatus.SOLVED
    got = dict(Allocation.objects.values_list("person__staff_number", "line__position"))
    assert got == {"B": 0, "A": 1}
    result = scenario.result
    assert result["filled"] == 2 and result["posts"] == 2
    assert result["greedy"]["filled"] == 1
    assert result["lines"][1]["greedy_filled"] == 0
    assert result["total_score"] == pytest.approx(2.0)
    assert [u["released"] for u in result["units"]] == [2]  # both from Dept/Team
    assert result["units"][0]["cap"] == 3  # floor(0.5 x 6)


def test_release_cap_binds(world):
    scenario = scenario_solve(scenario_id=create(world, release_cap=0.2).pk)  # floor(1.2) = 1
    assert scenario.result["filled"] == 1
    reasons = {line["reason"] for line in scenario.result["lines"]}
    assert "release_caps" in reasons


def test_protected_and_approved_elsewhere_are_never_used(world):
    world["b"].protected = True
    world["b"].save()
    first = scenario_solve(scenario_id=create(world).pk)
    assert set(
        Allocation.objects.filter(scenario=first).values_list("person__staff_number", flat=True)
    ) == {"A"}
    scenario_approve(actor=None, scenario_id=first.pk, expected_version=first.version)
    second = scenario_solve(scenario_id=create(world).pk)
    assert second.result["filled"] == 0
    assert {line["reason"] for line in second.result["lines"]} == {"no_eligible"}


def test_training_plan_counts_gaps_of_the_allocated(world):
    # Lower the bar so a Python-3 person is allocated and needs one level more.
    c = PersonFactory(staff_number="C", org_unit=world["team"])
    PersonSkillFactory(person=c, skill=world["python"], level=3)
    world["b"].protected = True
    world["b"].save()
    world["a"].protected = True
    world["a"].save()
    scenario = scenario_create(
        actor=None,
        name="Low bar",
        lines=[LineSpec(world["analyst"].pk, 1, min_score=0.7)],
        release_cap=0.5,
        cap_org_depth=1,
    )
    result = scenario_solve(scenario_id=scenario.pk).result
    assert result["training"] == [
        {"skill_id": world["python"].pk, "skill": "Python", "level": 4, "people": 1}
    ]


def test_workflow_approve_close_and_refusals(world, make_user):
    planner = make_user()
    scenario = scenario_solve(scenario_id=create(world, actor=planner).pk)
    with pytest.raises(ConflictError):
        scenario_approve(
            actor=planner, scenario_id=scenario.pk, expected_version=scenario.version - 1
        )
    approved = scenario_approve(
        actor=planner, scenario_id=scenario.pk, expected_version=scenario.version
    )
    assert approved.status == ScenarioStatus.APPROVED
    assert set(approved.allocations.values_list("status", flat=True)) == {AllocationStatus.APPROVED}
    with pytest.raises(SurgeError, match="cannot be solved again"):
        scenario_solve(scenario_id=scenario.pk)
    with pytest.raises(SurgeError, match="cannot be solved again"):
        scenario_queue_solve(actor=planner, scenario_id=scenario.pk)
    with pytest.raises(SurgeError, match="cannot change"):
        scenario_update(
            actor=planner,
            scenario_id=scenario.pk,
            expected_version=approved.version,
            name="x",
            lines=[LineSpec(world["dba"].pk, 1)],
        )
    people = AccessEvent.objects.filter(action=Action.ALLOCATE, subject__isnull=False)
    assert set(people.values_list("subject__staff_number", flat=True)) == {"A", "B"}
    closed = scenario_close(
        actor=planner, scenario_id=scenario.pk, expected_version=approved.version
    )
    assert closed.status == ScenarioStatus.CLOSED
    # Closed: its people are free again.
    again = scenario_solve(scenario_id=create(world).pk)
    assert again.result["filled"] == 2


def test_approving_over_someone_else_approval_is_refused(world):
    first = scenario_solve(scenario_id=create(world).pk)
    second = scenario_solve(scenario_id=create(world).pk)
    scenario_approve(actor=None, scenario_id=first.pk, expected_version=first.version)
    with pytest.raises(SurgeError, match="already allocated"):
        scenario_approve(actor=None, scenario_id=second.pk, expected_version=second.version)


@pytest.mark.parametrize(
    "change",
    [{"left_on": dt.date(2026, 1, 2)}, {"redeployable": False}, {"protected": True}],
)
def test_approval_is_refused_when_an_allocated_person_left_or_opted_out(world, change):
    scenario = scenario_solve(scenario_id=create(world).pk)
    Person.objects.filter(pk=world["a"].pk).update(**change)
    with pytest.raises(SurgeError, match="1 of the allocated people have left"):
        scenario_approve(actor=None, scenario_id=scenario.pk, expected_version=scenario.version)
    assert not Allocation.objects.filter(status=AllocationStatus.APPROVED).exists()


def test_editing_a_solved_scenario_discards_its_solution(world):
    scenario = scenario_solve(scenario_id=create(world).pk)
    edited = scenario_update(
        actor=None,
        scenario_id=scenario.pk,
        expected_version=scenario.version,
        name="Smaller",
        lines=[LineSpec(world["analyst"].pk, 1)],
        release_cap=0.5,
        cap_org_depth=1,
    )
    assert edited.status == ScenarioStatus.DRAFT
    assert not edited.allocations.exists()
    assert edited.result == {}


def _update(scenario, world, lines, **kwargs):
    return scenario_update(
        actor=None,
        scenario_id=scenario.pk,
        expected_version=scenario.version,
        name=kwargs.pop("name", "Flood response"),
        lines=lines,
        release_cap=0.5,
        cap_org_depth=1,
        **kwargs,
    )


def test_an_edit_keeps_the_ids_of_the_lines_it_keeps(world):
    scenario = scenario_solve(scenario_id=create(world).pk)
    analyst, dba = scenario.lines.order_by("position")
    assert scenario.allocations.filter(line=dba).exists()
    # Rename the scenario, change the DBA line, drop nothing, add a third line.
    edited = _update(
        scenario,
        world,
        [
            LineSpec(world["analyst"].pk, 1, min_score=0.8, line_id=analyst.pk),
            LineSpec(world["dba"].pk, 2, min_score=0.8, line_id=dba.pk),
            LineSpec(world["analyst"].pk, 3),
        ],
        name="Renamed",
    )
    first, second, third = edited.lines.order_by("position")
    assert (first.pk, second.pk) == (analyst.pk, dba.pk)
    assert third.pk not in (analyst.pk, dba.pk) and third.headcount == 3
    assert second.headcount == 2
    # Only the changed line's version moves on: the unchanged one's forecast page
    # opened before the edit still saves.
    assert (first.version, second.version, third.version) == (1, 2, 1)
    # The solution is discarded, as before.
    assert not edited.allocations.exists() and edited.result == {}
    assert edited.status == ScenarioStatus.DRAFT


def test_an_edit_deletes_removed_lines_and_moves_kept_ones_up(world):
    scenario = create(world)
    analyst, dba = scenario.lines.order_by("position")
    edited = _update(scenario, world, [LineSpec(world["dba"].pk, 1, line_id=dba.pk)])
    (only,) = edited.lines.all()
    assert only.pk == dba.pk and only.position == 0 and only.version == 1
    assert not DemandLine.objects.filter(pk=analyst.pk).exists()


def test_an_edit_never_takes_a_line_of_another_scenario_or_one_twice(world):
    scenario, other = create(world), create(world)
    theirs = other.lines.first()
    mine = scenario.lines.order_by("position").first()
    edited = _update(
        scenario,
        world,
        [
            LineSpec(world["analyst"].pk, 1, line_id=theirs.pk),
            LineSpec(world["analyst"].pk, 1, line_id=mine.pk),
            LineSpec(world["analyst"].pk, 2, line_id=mine.pk),
        ],
    )
    ids = list(edited.lines.order_by("position").values_list("pk", flat=True))
    assert len(ids) == 3 and ids[1] == mine.pk
    assert theirs.pk not in ids and len(set(ids)) == 3
    assert DemandLine.objects.get(pk=theirs.pk).scenario_id == other.pk


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": " "}, "name"),
        ({"lines": []}, "at least one"),
        ({"release_cap": 1.5}, "release cap"),
    ],
)
def test_invalid_scenarios_are_refused(world, kwargs, message):
    arguments = {"actor": None, "name": "X", "lines": [LineSpec(world["analyst"].pk, 1)], **kwargs}
    with pytest.raises(SurgeError, match=message):
        scenario_create(**arguments)


@override_settings(TASKS=IMMEDIATE)
def test_queued_solve_runs_as_a_task_with_progress(world, django_capture_on_commit_callbacks):
    scenario = create(world)
    with django_capture_on_commit_callbacks(execute=True):
        scenario_queue_solve(actor=None, scenario_id=scenario.pk)
    scenario.refresh_from_db()
    assert scenario.status == ScenarioStatus.SOLVED
    assert (scenario.solve_state, scenario.solve_progress) == ("done", 100)
    assert scenario.solved_at <= timezone.now()


def test_no_edit_or_approval_while_a_solve_is_running(world):
    from skills_app.surge.services import solve_progress_recorder

    scenario = scenario_solve(scenario_id=create(world).pk)
    solve_progress_recorder(scenario.pk)(10, "Scoring")
    scenario.refresh_from_db()
    with pytest.raises(SurgeError, match="solve is running"):
        scenario_approve(actor=None, scenario_id=scenario.pk, expected_version=scenario.version)
    with pytest.raises(SurgeError, match="solve is running"):
        scenario_update(
            actor=None,
            scenario_id=scenario.pk,
            expected_version=scenario.version,
            name="x",
            lines=[LineSpec(world["dba"].pk, 1)],
        )
    # A solve that stopped reporting long ago (its worker died) no longer blocks.
    from skills_app.surge.models import SurgeScenario

    SurgeScenario.objects.filter(pk=scenario.pk).update(
        updated_at=timezone.now() - timezone.timedelta(minutes=30)
    )
    approved = scenario_approve(
        actor=None, scenario_id=scenario.pk, expected_version=scenario.version
    )
    assert approved.status == ScenarioStatus.APPROVED
