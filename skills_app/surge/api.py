"""Surge scenarios in the API (DESIGN.md section 6): create, solve, read, approve."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Field, Router, Schema, Status

from matching.demand import DEFAULT_RAMP, MAX_WEEKS, DemandError
from skills_app.accounts.permissions import Cap
from skills_app.api_inputs import ErrorOut, StrictSchema, error_item
from skills_app.api_support import authorize, responses
from skills_app.audit.models import Action
from skills_app.core.concurrency import ConflictError
from skills_app.roles.api_match import FiltersIn, search_filters
from skills_app.roles.selectors import role_map
from skills_app.surge.forecasts import demand_from_json
from skills_app.surge.models import SurgeScenario
from skills_app.surge.services import (
    DEFAULT_CAP,
    DEFAULT_CAP_DEPTH,
    DEFAULT_LOAN_WEEKS,
    DEFAULT_TRAINING_DAYS,
    MAX_LINES,
    MAX_LOAN_WEEKS,
    MAX_TRAINING_DAYS,
    LineSpec,
    SurgeError,
    scenario_access_record,
    scenario_approve,
    scenario_create,
    scenario_queue_solve,
)

router = Router(tags=["surges"])


class DemandIn(StrictSchema):
    """A forecast (DESIGN 11): posts per week = ceil(items x handling minutes / 60 /
    productive hours / (1 - shrinkage)), the backlog spread over the first
    clearance_weeks weeks."""

    volumes: list[float] = Field(
        ..., min_length=1, max_length=MAX_WEEKS, description="Items arriving in week 1, 2, ..."
    )
    handling_minutes: float = Field(..., gt=0, description="Minutes of work per item")
    productive_hours: float = Field(
        ..., gt=0, le=168, description="Hours a person works on items in a week"
    )
    shrinkage: float = Field(0.35, ge=0, lt=1, description="Share of paid time not available")
    backlog: float = Field(0, ge=0, description="Items waiting at the start of week 1")
    clearance_weeks: int = Field(1, ge=1, description="Weeks to clear the backlog over")
    ramp: list[float] = Field(
        list(DEFAULT_RAMP),
        max_length=52,
        description="A starter's share of full output in their week 1, 2, ... then 1",
    )
    item_name: str = Field("items", min_length=1, max_length=60)


class DemandOut(Schema):
    volumes: list[float]
    handling_minutes: float
    productive_hours: float
    shrinkage: float
    backlog: float
    clearance_weeks: int
    ramp: list[float]
    item_name: str


class LineIn(StrictSchema):
    role: str = Field(..., description="Code of a role profile (in any case)")
    headcount: int | None = Field(
        None, ge=1, le=100_000, description="Posts to fill; not needed with a demand forecast"
    )
    location: str = ""
    start_date: dt.date | None = None
    min_score: float = Field(0.8, ge=0, le=1)
    filters: FiltersIn | None = Field(None, description="Absent: the role's own filters")
    loan_weeks: int = Field(
        DEFAULT_LOAN_WEEKS,
        ge=1,
        le=MAX_LOAN_WEEKS,
        description="How long each person moved onto the line stays, in weeks",
    )
    demand: DemandIn | None = Field(
        None, description="A forecast: posts per week come from it (the solve goes week by week)"
    )


class SurgeIn(StrictSchema):
    name: str = Field(..., min_length=1, max_length=255)
    description: str = ""
    release_cap: float = Field(DEFAULT_CAP, ge=0, le=1, description="Share of a unit's staff")
    cap_org_depth: int = Field(DEFAULT_CAP_DEPTH, ge=0, le=10, description="Org level of the cap")
    weeks_from: dt.date | None = Field(
        None, description="The day week 1 of the forecasts starts (absent: the day it is solved)"
    )
    training_days_per_level: float = Field(
        DEFAULT_TRAINING_DAYS,
        ge=0,
        le=MAX_TRAINING_DAYS,
        description="Working days of training per level of gap per skill (lead time)",
    )
    lines: list[LineIn] = Field(..., min_length=1, max_length=MAX_LINES)


class LineOut(Schema):
    id: int
    role: str
    role_title: str
    headcount: int
    location: str
    start_date: dt.date | None
    min_score: float
    loan_weeks: int
    demand: DemandOut | None


class WeekUnmetOut(Schema):
    week: int = Field(..., description="1-based")
    short: float = Field(..., description="Post-weeks of output missing")
    reason: Literal["no_eligible", "training_lead_time", "release_caps", "taken_by_other_lines"]


class WeeklyLineOut(Schema):
    line_id: int
    role: str
    forecast: bool = Field(..., description="False: a headcount needed every week")
    need: list[int] = Field(..., description="Posts needed per week")
    supplied: list[float] = Field(..., description="Output supplied per week (starters ramp up)")
    covered: list[float] = Field(..., description="min(need, supplied) per week")
    starters: list[int] = Field(..., description="People starting per week")
    people: int
    greedy_supplied: list[float]
    greedy_covered: list[float]
    greedy_people: int
    unmet: list[WeekUnmetOut]


class WeeklyOut(Schema):
    weeks_from: dt.date
    weeks: int
    week_dates: list[dt.date]
    needed: int = Field(..., description="Post-weeks needed over all lines and weeks")
    covered: float = Field(..., description="Post-weeks covered by the optimum")
    greedy_covered: float
    people: int
    greedy_people: int
    status: Literal["optimal", "time_limit", "time_limit_people", "time_limit_score"]
    gap: float | None = Field(..., description="Relative gap to the bound when a limit stopped it")
    solve_seconds: float
    lines: list[WeeklyLineOut]


class AllocationOut(Schema):
    staff_number: str
    name: str
    line: int
    score: float
    qualifies_by: Literal["score", "prior_role"] = Field(
        ..., description="score: at or above the line's minimum; prior_role: a recent covering role"
    )
    status: str
    start_date: dt.date | None = Field(..., description="Set when the solve staggers starts")


class SurgeOut(Schema):
    id: int
    name: str
    description: str
    status: str
    version: int
    release_cap: float
    cap_org_depth: int
    weeks_from: dt.date | None
    training_days_per_level: float
    solve_state: str
    solve_progress: int
    solve_message: str
    lines: list[LineOut]
    result: dict = Field(
        ...,
        description=(
            "Figures of the last solve: filled, posts, total_score, mean_score, lines "
            "(per line: filled, reason, greedy figures), greedy, units (releases vs cap), "
            "cap_units and zero_cap_units (units the cap applies to, and those where it rounds "
            "to 0 people), training. A line's reason for unfilled posts is one of no_eligible, "
            "caps_allow_no_release, release_caps (caps used up) or taken_by_other_lines"
        ),
    )
    weekly: WeeklyOut | None = Field(
        ..., description="Posts needed and filled per week, when a line has a forecast"
    )
    allocations: list[AllocationOut]


class SolveOut(Schema):
    id: int
    solve_state: str
    status_url: str


def _surge_json(scenario: SurgeScenario) -> dict:
    allocations = scenario.allocations.select_related("person").order_by("line__position", "-score")
    return {
        "id": scenario.pk,
        "name": scenario.name,
        "description": scenario.description,
        "status": scenario.status,
        "version": scenario.version,
        "release_cap": float(scenario.release_cap),
        "cap_org_depth": scenario.cap_org_depth,
        "weeks_from": scenario.weeks_from,
        "training_days_per_level": float(scenario.training_days_per_level),
        "solve_state": scenario.solve_state,
        "solve_progress": scenario.solve_progress,
        "solve_message": scenario.solve_message,
        "lines": [
            {
                "id": line.pk,
                "role": line.role_profile.code,
                "role_title": line.role_profile.title,
                "headcount": line.headcount,
                "location": line.location,
                "start_date": line.start_date,
                "min_score": float(line.min_score),
                "loan_weeks": line.loan_weeks,
                "demand": line.demand,
            }
            for line in scenario.lines.select_related("role_profile")
        ],
        "result": scenario.result,
        "weekly": scenario.result.get("weekly"),
        "allocations": [
            {
                "staff_number": a.person.staff_number,
                "name": a.person.full_name,
                "line": a.line_id,
                "score": a.score,
                "qualifies_by": a.qualifies_by,
                "status": a.status,
                "start_date": a.start_date,
            }
            for a in allocations
        ],
    }


@router.post(
    "",
    response=responses({201: SurgeOut}, body=True),
    auth=authorize(Cap.SURGE_EDIT),
    summary="Create a surge scenario",
)
def create_surge(request, payload: SurgeIn):
    errors, lines = [], []
    roles = role_map(codes=[x.role for x in payload.lines])
    for index, line in enumerate(payload.lines):
        role = roles.get(line.role)
        if role is None:
            errors.append(error_item(["body", "lines", index, "role"], f"No role {line.role}"))
            continue
        demand = None
        if line.demand is not None:
            try:
                demand = demand_from_json(line.demand.model_dump())
            except DemandError as exc:
                errors += [
                    error_item(["body", "lines", index, "demand", field], message)
                    for field, message in exc.errors.items()
                ]
        elif line.headcount is None:
            errors.append(
                error_item(
                    ["body", "lines", index, "headcount"],
                    "Give a headcount, or a demand forecast",
                )
            )
        filters = None
        if line.filters is not None:
            filters, filter_errors = search_filters(line.filters)
            for error in filter_errors:
                error["loc"] = ["body", "lines", index, *error["loc"][1:]]
            errors += filter_errors
        lines.append(
            LineSpec(
                role_id=role.pk,
                headcount=line.headcount or 0,
                location=line.location,
                start_date=line.start_date,
                min_score=line.min_score,
                filters=filters,
                loan_weeks=line.loan_weeks,
                demand=demand,
            )
        )
    if errors:
        return Status(422, {"detail": "The scenario could not be saved.", "errors": errors})
    try:
        scenario = scenario_create(
            actor=request.auth,
            name=payload.name,
            description=payload.description,
            release_cap=payload.release_cap,
            cap_org_depth=payload.cap_org_depth,
            weeks_from=payload.weeks_from,
            training_days_per_level=payload.training_days_per_level,
            lines=lines,
        )
    except SurgeError as exc:
        return Status(422, {"detail": str(exc), "errors": [error_item(["body"], str(exc))]})
    return Status(201, _surge_json(scenario))


@router.post(
    "/{surge_id}/solve",
    response=responses({202: SolveOut, 404: ErrorOut, 409: ErrorOut}),
    auth=authorize(Cap.SURGE_EDIT),
    summary="Solve a scenario in the background; poll GET /surges/{id}",
)
def solve_surge(request, surge_id: int):
    scenario = get_object_or_404(SurgeScenario, pk=surge_id)
    try:
        scenario = scenario_queue_solve(actor=request.auth, scenario_id=scenario.pk)
    except SurgeError as exc:
        return Status(409, {"detail": str(exc), "errors": []})
    url = reverse("api:get_surge", kwargs={"surge_id": scenario.pk})
    return Status(202, {"id": scenario.pk, "solve_state": scenario.solve_state, "status_url": url})


@router.get(
    "/{surge_id}",
    response=responses({200: SurgeOut, 404: ErrorOut}),
    auth=authorize(Cap.SURGE_VIEW),
    summary="A scenario with its last solution and allocations",
)
def get_surge(request, surge_id: int):
    scenario = get_object_or_404(SurgeScenario, pk=surge_id)
    scenario_access_record(
        actor=request.auth,
        scenario=scenario,
        action=Action.VIEW_SCENARIO,
        parameters={"page": "api", "allocations": scenario.allocations.count()},
    )
    return _surge_json(scenario)


class ApproveIn(StrictSchema):
    expected_version: int


@router.post(
    "/{surge_id}/approve",
    response=responses({200: SurgeOut, 404: ErrorOut, 409: ErrorOut}, body=True),
    auth=authorize(Cap.SURGE_EDIT),
    summary="Approve a solved scenario: its people become unavailable to other scenarios",
)
def approve_surge(request, surge_id: int, payload: ApproveIn):
    scenario = get_object_or_404(SurgeScenario, pk=surge_id)
    try:
        scenario = scenario_approve(
            actor=request.auth, scenario_id=scenario.pk, expected_version=payload.expected_version
        )
    except ConflictError:
        return Status(
            409,
            {"detail": "The scenario changed since you read it: read it again.", "errors": []},
        )
    except SurgeError as exc:
        return Status(409, {"detail": str(exc), "errors": []})
    return Status(200, _surge_json(scenario))
