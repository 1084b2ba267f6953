"""Forecast lines (DESIGN 11) through the surge services: a line's posts per week
come from its demand model, people start when they are available and trained, the
weekly figures are stored, and approval staggers the moves' start dates."""

import datetime as dt

import pytest

from matching.demand import DemandModel
from skills_app.moves.models import Move
from skills_app.surge.forecasts import demand_from_json, demand_json
from skills_app.surge.models import Allocation, DemandLine
from skills_app.surge.services import (
    LineSpec,
    SurgeError,
    line_forecast_set,
    scenario_approve,
    scenario_create,
    scenario_solve,
)
from tests.factories import (
    OrgUnitFactory,
    PersonFactory,
    PersonSkillFactory,
    RoleRequirementFactory,
    SkillFactory,
)

pytestmark = pytest.mark.django_db
MONDAY = dt.date(2026, 1, 5)


def forecast(volumes, ramp=(1.0,)):
    # 60 minutes an item, 10 productive hours a week, no shrinkage: a post per 10 items.
    return DemandModel(
        volumes=tuple(volumes), handling_minutes=60, productive_hours=10, shrinkage=0, ramp=ramp
    )


@pytest.fixture
def world():
    """A is a full match and free now; B is two levels short (2 levels x 2 days =
    4 days of training: ready in week 2); C is a full match available in week 3.
    Each is alone in a unit, and a cap of 100% lets every unit release its one."""
    python = SkillFactory(name="Python")
    role = RoleRequirementFactory(skill=python, level=4).role
    dept = OrgUnitFactory(name="Dept")
    people = {}
    for name, level, available in (
        ("A", 4, MONDAY),
        ("B", 2, MONDAY),
        ("C", 4, MONDAY + dt.timedelta(days=10)),
    ):
        unit = OrgUnitFactory(name=f"Unit {name}", parent=dept)
        person = PersonFactory(staff_number=name, org_unit=unit, available_from=available)
        PersonSkillFactory(person=person, skill=python, level=level)
        people[name] = person
    return {"role": role, "python": python, **people}


def create(world, volumes, **kwargs):
    return scenario_create(
        actor=None,
        name="Claims surge",
        lines=[LineSpec(world["role"].pk, 1, min_score=0.4, loan_weeks=12, demand=volumes)],
        release_cap=1.0,
        cap_org_depth=1,
        weeks_from=MONDAY,
        **kwargs,
    )


def test_a_forecast_line_stores_its_model_and_its_peak_as_headcount(world):
    scenario = create(world, forecast([10, 30, 20]))
    line = DemandLine.objects.get(scenario=scenario)
    assert line.headcount == 3  # the busiest week: 30 items / 10 per post
    assert demand_from_json(line.demand) == forecast([10, 30, 20])


def test_people_start_when_available_and_trained(world):
    scenario = scenario_solve(scenario_id=create(world, forecast([10, 20, 30])).pk)
    starts = dict(Allocation.objects.values_list("person__staff_number", "start_date"))
    assert starts == {
        "A": MONDAY,
        "B": MONDAY + dt.timedelta(weeks=1),  # 4 training days: one week
        "C": MONDAY + dt.timedelta(weeks=2),  # available on day 10: week 3
    }
    weekly = scenario.result["weekly"]
    assert weekly["needed"] == 6 and weekly["covered"] == 6
    assert weekly["week_dates"][:2] == ["2026-01-05", "2026-01-12"]
    line = weekly["lines"][0]
    assert line["need"] == [1, 2, 3] and line["covered"] == [1, 2, 3]
    assert line["starters"] == [1, 1, 1]
    assert line["unmet"] == []
    training = dict(Allocation.objects.values_list("person__staff_number", "training"))
    assert training == {"A": [], "B": [[world["python"].pk, 4, 2]], "C": []}


def test_more_training_days_start_people_later(world):
    scenario = create(world, forecast([10, 20, 30]), training_days_per_level=5)
    scenario_solve(scenario_id=scenario.pk)
    b = Allocation.objects.get(person__staff_number="B")
    assert b.start_date == MONDAY + dt.timedelta(weeks=2)  # 10 days: two weeks


def test_a_week_short_of_posts_says_why(world):
    scenario = scenario_solve(scenario_id=create(world, forecast([30, 30, 30])).pk)
    line = scenario.result["weekly"]["lines"][0]
    assert line["covered"] == [1, 2, 3]
    assert line["unmet"] == [
        {"week": 1, "short": 2.0, "reason": "training_lead_time"},
        {"week": 2, "short": 1.0, "reason": "training_lead_time"},
    ]
    assert scenario.result["lines"][0]["reason"] == "training_lead_time"


def test_the_ramp_counts_a_starter_below_full_output(world):
    scenario = scenario_solve(scenario_id=create(world, forecast([10, 10, 10], ramp=(0.5,))).pk)
    line = scenario.result["weekly"]["lines"][0]
    # One post each week: a starter gives half in their first week, so the first week
    # is short whoever starts, and the fewest people cover the rest.
    assert line["covered"] == [0.5, 1, 1]
    assert line["people"] == 1


def test_approval_staggers_the_moves_start_dates(world):
    scenario = scenario_solve(scenario_id=create(world, forecast([10, 20, 30])).pk)
    scenario_approve(actor=None, scenario_id=scenario.pk, expected_version=scenario.version)
    moves = dict(Move.objects.values_list("person__staff_number", "start_date"))
    assert moves == {
        "A": MONDAY,
        "B": MONDAY + dt.timedelta(weeks=1),
        "C": MONDAY + dt.timedelta(weeks=2),
    }
    ends = dict(Move.objects.values_list("person__staff_number", "end_date"))
    assert ends["B"] == MONDAY + dt.timedelta(weeks=13)  # 12-week loan


def test_setting_a_forecast_discards_the_solution(world):
    scenario = scenario_solve(scenario_id=create(world, forecast([10])).pk)
    line = scenario.lines.get()
    changed = line_forecast_set(
        actor=None,
        scenario_id=scenario.pk,
        line_id=line.pk,
        expected_version=line.version,
        demand=forecast([50, 10]),
    )
    assert changed.status == "draft" and changed.result == {}
    assert not Allocation.objects.exists()
    line.refresh_from_db()
    assert line.headcount == 5 and line.demand["volumes"] == [50.0, 10.0]
    assert changed.version == scenario.version + 1 and line.version == 2
    removed = line_forecast_set(
        actor=None,
        scenario_id=scenario.pk,
        line_id=line.pk,
        expected_version=line.version,
        demand=None,
    )
    line.refresh_from_db()
    assert line.demand is None and line.headcount == 5 and removed.version > changed.version


def test_a_forecast_cannot_be_set_on_another_scenarios_line(world):
    first = create(world, forecast([10]))
    second = create(world, forecast([10]))
    with pytest.raises(SurgeError):
        line_forecast_set(
            actor=None,
            scenario_id=first.pk,
            line_id=second.lines.get().pk,
            expected_version=first.version,
            demand=None,
        )


def test_a_headcount_line_beside_a_forecast_needs_its_posts_every_week(world):
    scenario = scenario_create(
        actor=None,
        name="Mixed",
        lines=[
            LineSpec(world["role"].pk, 1, min_score=0.4, demand=forecast([10, 10])),
            LineSpec(world["role"].pk, 1, min_score=0.4),
        ],
        release_cap=1.0,
        cap_org_depth=1,
        weeks_from=MONDAY,
    )
    scenario = scenario_solve(scenario_id=scenario.pk)
    lines = scenario.result["weekly"]["lines"]
    assert lines[1]["need"] == [1, 1] and lines[1]["forecast"] is False


def test_training_days_out_of_range_are_refused(world):
    with pytest.raises(SurgeError, match="Training days"):
        create(world, forecast([10]), training_days_per_level=101)


def test_demand_json_round_trips():
    model = forecast([1, 2.5])
    assert demand_from_json(demand_json(model)) == model


def test_each_line_keeps_its_own_ramp_in_a_mixed_scenario(world):
    """The headcount line gives full output at once, the forecast line ramps at 50%:
    with A (free now) on each line's first week, only the forecast line is short."""
    scenario = scenario_create(
        actor=None,
        name="Mixed ramps",
        lines=[
            LineSpec(world["role"].pk, 1, min_score=0.9, demand=forecast([10], ramp=(0.5,))),
            LineSpec(world["role"].pk, 1, min_score=0.9, loan_weeks=4),
        ],
        release_cap=1.0,
        cap_org_depth=1,
        weeks_from=MONDAY,
    )
    lines = scenario_solve(scenario_id=scenario.pk).result["weekly"]["lines"]
    # A and C are full matches; only A is free in week 1. Covering the headcount line
    # in full (1.0) beats the forecast line's half post (0.5).
    assert lines[1]["covered"] == [1] and lines[0]["covered"] == [0]
