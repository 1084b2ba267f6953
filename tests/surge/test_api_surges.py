"""POST /api/v1/surges, POST /surges/{id}/solve, GET /surges/{id}, approve."""

import pytest
from django.test import override_settings

from skills_app.accounts.permissions import Role
from skills_app.audit.models import AccessEvent, Action
from skills_app.surge.models import AllocationStatus, SurgeScenario
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
def role():
    python = SkillFactory(name="Python")
    role = RoleRequirementFactory(skill=python, level=4, role__code="analyst").role
    unit = OrgUnitFactory(name="Unit")
    for i in range(10):
        PersonSkillFactory(
            person=PersonFactory(staff_number=f"P{i}", org_unit=unit), skill=python, level=4 - i % 2
        )
    return role


def body(**overrides):
    return {
        "name": "Flood",
        "release_cap": 0.2,
        "cap_org_depth": 0,
        "lines": [{"role": "analyst", "headcount": 3, "min_score": 0.8}],
        **overrides,
    }


@override_settings(TASKS=IMMEDIATE)
def test_create_solve_read_approve(client_for, role, django_capture_on_commit_callbacks):
    client = client_for(Role.PLANNER)
    created = client.post("/api/v1/surges", body(), content_type="application/json")
    assert created.status_code == 201, created.json()
    surge = created.json()
    assert surge["status"] == "draft" and surge["lines"][0]["role"] == "analyst"
    with django_capture_on_commit_callbacks(execute=True):
        solved = client.post(f"/api/v1/surges/{surge['id']}/solve")
    assert solved.status_code == 202
    result = client.get(solved.json()["status_url"]).json()
    assert result["status"] == "solved"
    # Cap 0.2 of 10 staff: 2 people may go although 3 posts and 10 qualify.
    assert result["result"]["filled"] == 2
    assert result["result"]["lines"][0]["reason"] == "release_caps"
    assert len(result["allocations"]) == 2
    assert AccessEvent.objects.filter(action=Action.VIEW_SCENARIO).exists()
    approved = client.post(
        f"/api/v1/surges/{surge['id']}/approve",
        {"expected_version": result["version"]},
        content_type="application/json",
    )
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    again = client.post(f"/api/v1/surges/{surge['id']}/solve")
    assert again.status_code == 409
    assert "cannot be solved again" in again.json()["detail"]


@pytest.mark.parametrize(
    ("overrides", "where"),
    [
        ({"lines": [{"role": "nope", "headcount": 1}]}, ["body", "lines", "0", "role"]),
        ({"lines": [{"role": "analyst", "headcount": 0}]}, None),
        ({"lines": []}, None),
        ({"release_cap": 2}, None),
        (
            {"lines": [{"role": "analyst", "headcount": 1, "filters": {"grades": ["Z"]}}]},
            ["body", "lines", "0", "filters", "grades", "0"],
        ),
        (
            {"lines": [{"role": "analyst", "headcount": 1, "loan_weeks": 0}]},
            ["body", "payload", "lines", "0", "loan_weeks"],
        ),
        (
            {"lines": [{"role": "analyst", "headcount": 1, "loan_weeks": 105}]},
            ["body", "payload", "lines", "0", "loan_weeks"],
        ),
    ],
)
def test_bad_scenarios_are_422(client_for, role, overrides, where):
    response = client_for(Role.PLANNER).post(
        "/api/v1/surges", body(**overrides), content_type="application/json"
    )
    assert response.status_code == 422
    if where:
        assert [str(p) for p in response.json()["errors"][0]["loc"]] == where
    assert not SurgeScenario.objects.exists()


@override_settings(TASKS=IMMEDIATE)
def test_stale_approval_is_409(client_for, role, django_capture_on_commit_callbacks):
    # A solved scenario, so that the version is the only thing wrong (a draft would be
    # refused whatever the version).
    client = client_for(Role.PLANNER)
    surge = client.post("/api/v1/surges", body(), content_type="application/json").json()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/api/v1/surges/{surge['id']}/solve")
    solved = client.get(f"/api/v1/surges/{surge['id']}").json()
    assert solved["status"] == "solved"
    url = f"/api/v1/surges/{surge['id']}/approve"
    response = client.post(
        url, {"expected_version": solved["version"] - 1}, content_type="application/json"
    )
    assert response.status_code == 409
    assert response.json()["detail"] == "The scenario changed since you read it: read it again."
    scenario = SurgeScenario.objects.get(pk=surge["id"])
    assert (scenario.status, scenario.version) == ("solved", solved["version"])
    statuses = set(scenario.allocations.values_list("status", flat=True))
    assert statuses == {AllocationStatus.PROPOSED}  # none approved
    # The version read is accepted.
    current = client.post(
        url, {"expected_version": solved["version"]}, content_type="application/json"
    )
    assert current.status_code == 200 and current.json()["status"] == "approved"


@pytest.mark.parametrize("who", [Role.STAFF, Role.LINE_MANAGER, Role.STEWARD, Role.HR])
def test_only_planners_create_and_solve(client_for, role, who):
    client = client_for(who)
    assert client.post("/api/v1/surges", body(), content_type="application/json").status_code == 403
    scenario = SurgeScenario.objects.create(name="x")
    assert client.post(f"/api/v1/surges/{scenario.pk}/solve").status_code == 403


@pytest.mark.parametrize(
    ("who", "status"), [(Role.HR, 200), (Role.STAFF, 403), (Role.LINE_MANAGER, 403)]
)
def test_reading_a_scenario(client_for, who, status):
    scenario = SurgeScenario.objects.create(name="x")
    assert client_for(who).get(f"/api/v1/surges/{scenario.pk}").status_code == status


def unknown_fields(response) -> dict[tuple, str]:
    """{loc below the body: message} of each unknown-field error in a 422."""
    assert response.status_code == 422, response.json()
    return {
        tuple(str(p) for p in e["loc"][2:]): e["message"]
        for e in response.json()["errors"]
        if e["type"] == "extra_forbidden"
    }


def test_a_scenario_with_unknown_fields_is_422_naming_each_and_writes_nothing(client_for, role):
    line = {"role": "analyst", "headcount": 1, "priority": 1, "filters": {"grade": ["HEO"]}}
    response = client_for(Role.PLANNER).post(
        "/api/v1/surges", body(cap_level=3, lines=[line]), content_type="application/json"
    )
    assert unknown_fields(response) == {
        ("cap_level",): "Unknown field: cap_level",
        ("lines", "0", "priority"): "Unknown field: priority",
        ("lines", "0", "filters", "grade"): "Unknown field: grade",
    }
    assert not SurgeScenario.objects.exists()


def test_an_approval_with_unknown_fields_is_422_and_changes_nothing(client_for, role):
    client = client_for(Role.PLANNER)
    surge = client.post("/api/v1/surges", body(), content_type="application/json").json()
    response = client.post(
        f"/api/v1/surges/{surge['id']}/approve",
        {"expected_version": surge["version"], "force": True},
        content_type="application/json",
    )
    assert unknown_fields(response) == {("force",): "Unknown field: force"}
    scenario = SurgeScenario.objects.get(pk=surge["id"])
    assert (scenario.status, scenario.version) == (surge["status"], surge["version"])


def test_a_line_may_name_its_role_code_in_another_case(client_for, role):
    response = client_for(Role.PLANNER).post(
        "/api/v1/surges",
        body(lines=[{"role": "ANALYST", "headcount": 1}, {"role": "Analyst", "headcount": 2}]),
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    assert [line["role"] for line in response.json()["lines"]] == ["analyst", "analyst"]
    scenario = SurgeScenario.objects.get()
    assert {line.role_profile_id for line in scenario.lines.all()} == {role.pk}


def test_a_line_keeps_its_loan_weeks_and_reserve_only_filter(client_for, role):
    client = client_for(Role.PLANNER)
    line = {"role": "analyst", "headcount": 1, "loan_weeks": 8}
    line_reserve = {**line, "filters": {"reserve_only": True}}
    created = client.post(
        "/api/v1/surges", body(lines=[line, line_reserve]), content_type="application/json"
    ).json()
    assert [x["loan_weeks"] for x in created["lines"]] == [8, 8]
    lines = SurgeScenario.objects.get().lines.order_by("position")
    assert [x.filters.get("reserve_only", False) for x in lines] == [False, True]


def forecast_line(**demand):
    return {
        "role": "analyst",
        "min_score": 0.8,
        "demand": {
            "volumes": [10, 30, 20],
            "handling_minutes": 60,
            "productive_hours": 10,
            "shrinkage": 0,
            "ramp": [1.0],
            **demand,
        },
    }


@override_settings(TASKS=IMMEDIATE)
def test_a_forecast_line_is_solved_week_by_week(
    client_for, role, django_capture_on_commit_callbacks
):
    client = client_for(Role.PLANNER)
    created = client.post(
        "/api/v1/surges",
        body(lines=[forecast_line()], release_cap=1.0, weeks_from="2026-01-05"),
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    surge = created.json()
    assert surge["lines"][0]["headcount"] == 3  # the busiest week
    assert surge["lines"][0]["demand"]["volumes"] == [10, 30, 20]
    assert surge["weekly"] is None
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/api/v1/surges/{surge['id']}/solve")
    solved = client.get(f"/api/v1/surges/{surge['id']}").json()
    weekly = solved["weekly"]
    assert weekly["week_dates"][0] == "2026-01-05"
    assert weekly["lines"][0]["need"] == [1, 3, 2]
    assert weekly["lines"][0]["covered"] == [1, 3, 2]
    assert weekly["needed"] == 6 and weekly["covered"] == 6
    assert all(a["start_date"] == "2026-01-05" for a in solved["allocations"])


@pytest.mark.parametrize(
    ("line", "where"),
    [
        (forecast_line(ramp=[1.5]), ["body", "lines", 0, "demand", "ramp"]),
        (
            forecast_line(clearance_weeks=9, backlog=5),
            ["body", "lines", 0, "demand", "clearance_weeks"],
        ),
        ({"role": "analyst", "min_score": 0.8}, ["body", "lines", 0, "headcount"]),
    ],
)
def test_a_bad_forecast_is_refused_with_its_field(client_for, role, line, where):
    response = client_for(Role.PLANNER).post(
        "/api/v1/surges", body(lines=[line]), content_type="application/json"
    )
    assert response.status_code == 422
    assert where in [e["loc"] for e in response.json()["errors"]]
    assert not SurgeScenario.objects.exists()
