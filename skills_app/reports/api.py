"""Reports in the API: ``GET /api/v1/reports/<name>?...&format=json|csv|xlsx``.

The same selectors and the same scope as the pages: HR and administrators see
everyone, line managers their team. CSV and XLSX downloads are audited.
"""

from __future__ import annotations

from typing import Literal

from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from skills_app.accounts.permissions import Cap, has_cap
from skills_app.api_inputs import ErrorOut, error_item
from skills_app.api_support import (
    CSV,
    XLSX,
    authorize,
    download_content,
    json_content,
    responses,
)
from skills_app.core.presenters import percent_value
from skills_app.core.throttle import UserThrottle
from skills_app.reports import inventory, selectors, services, supply
from skills_app.surge.models import SurgeScenario

router = Router(tags=["reports"])


class ReportParams(Schema):
    depth: int | None = Field(
        None, ge=0, le=selectors.MAX_DEPTH, description="Roll org units up to this depth"
    )
    format: Literal["json", "csv", "xlsx"] = "json"


class QualityRowOut(Schema):
    org_unit: str
    people: int
    reviewed_last_12_months: int
    reviewed_percent: float | None
    person_skills: int
    verified_or_assessed: int
    verified_percent: float | None
    expired_qualifications: int
    people_without_skills: int
    people_without_skills_percent: float | None
    quality_score_percent: float
    drafts_confirmed: int = Field(description="Draft skills the people confirmed")
    drafts_outstanding: int = Field(description="Draft skills waiting for the people to check")


class QualityOut(Schema):
    scope: str
    depth: int | None
    total: QualityRowOut
    units: list[QualityRowOut]


def _quality_row(r: selectors.QualityRow) -> dict:
    def share(value):
        return None if value is None else percent_value(value)

    return {
        "org_unit": r.unit,
        "people": r.people,
        "reviewed_last_12_months": r.reviewed,
        "reviewed_percent": share(r.reviewed_share),
        "person_skills": r.skills,
        "verified_or_assessed": r.verified,
        "verified_percent": share(r.verified_share),
        "expired_qualifications": r.expired_qualifications,
        "people_without_skills": r.no_skills,
        "people_without_skills_percent": share(r.no_skills_share),
        "quality_score_percent": percent_value(r.score),
        "drafts_confirmed": r.drafts_confirmed,
        "drafts_outstanding": r.drafts_outstanding,
    }


@router.get(
    "/data-quality",
    auth=authorize(Cap.REPORT_ALL, Cap.REPORT_TEAM),
    response=responses({200: QualityOut}, throttled=True),
    openapi_extra=download_content(json_content(QualityOut), CSV, XLSX),
    summary="Data quality per org unit, worst first",
    throttle=UserThrottle("export"),
)
def data_quality(request, params: Query[ReportParams]):
    report = selectors.data_quality(user=request.auth, depth=params.depth)
    if params.format != "json":
        return services.export_data_quality(user=request.auth, report=report, fmt=params.format)
    return {
        "scope": str(report.scope),
        "depth": report.depth,
        "total": _quality_row(report.total),
        "units": [_quality_row(r) for r in report.rows],
    }


class HeatmapParams(Schema):
    by: Literal["group", "skill"] = Field(
        "group",
        description=(
            "Columns: `group` = one per top-level skill group; `skill` = one per skill, "
            "either those named by `skill` or the skills of the group named by `group`"
        ),
    )
    depth: int = Field(0, ge=0, le=selectors.MAX_DEPTH, description="Org units at this depth")
    level: int = Field(3, ge=1, le=4, description="Count people at this level or above")
    group: int | None = Field(None, description="With by=skill: the skills of this top-level group")
    skill: list[int] = Field(
        default_factory=list,
        max_length=selectors.MAX_CHOSEN_SKILLS,
        description="With by=skill: these skills (repeat the parameter)",
    )
    format: Literal["json", "csv", "xlsx"] = "json"


class HeatmapColumnOut(Schema):
    key: str
    label: str


class HeatmapRowOut(Schema):
    org_unit_id: int
    org_unit: str
    people: int
    cells: list[int]


class HeatmapOut(Schema):
    scope: str
    depth: int
    level: int
    columns: list[HeatmapColumnOut]
    units: list[HeatmapRowOut]


def _refused(field: str, message: str) -> Status:
    return Status(422, {"detail": message, "errors": [error_item(["query", field], message)]})


@router.get(
    "/capability",
    auth=authorize(Cap.REPORT_ALL, Cap.REPORT_TEAM),
    response=responses({200: HeatmapOut}, throttled=True),
    openapi_extra=download_content(json_content(HeatmapOut), CSV, XLSX),
    summary="People at or above a level per org unit and skill group (or chosen skills)",
    throttle=UserThrottle("export"),
)
def capability(request, params: Query[HeatmapParams]):
    skill_ids = []
    if params.by == "skill":
        skill_ids = list(params.skill)
        if not skill_ids and params.group is not None:
            skill_ids = selectors.group_skill_ids(params.group)
        if not skill_ids:
            return _refused("skill", "by=skill needs skills: skill=<id> (repeated) or group=<id>")
    elif params.skill or params.group is not None:
        return _refused("by", "skill and group choose columns only with by=skill")
    heatmap = selectors.capability_heatmap(
        user=request.auth, depth=params.depth, level=params.level, skill_ids=skill_ids or None
    )
    if params.format != "json":
        return services.export_heatmap(user=request.auth, heatmap=heatmap, fmt=params.format)
    return {
        "scope": str(heatmap.scope),
        "depth": heatmap.depth,
        "level": heatmap.level,
        "columns": [{"key": c.key, "label": c.label} for c in heatmap.columns],
        "units": [
            {"org_unit_id": r.unit_id, "org_unit": r.unit, "people": r.people, "cells": r.cells}
            for r in heatmap.rows
        ],
    }


class SupplyParams(Schema):
    threshold: float = Field(80, ge=0, le=100, description="Match threshold, percent")
    scenario: int | None = Field(None, description="Only the roles of this surge scenario")
    format: Literal["json", "csv", "xlsx"] = "json"


class SupplyUnitOut(Schema):
    department: str
    qualify: int


class SupplyRowOut(Schema):
    role: str
    title: str
    demand_headcount: int | None
    qualify_now: int
    one_level_of_training_away: int
    where: list[SupplyUnitOut]


class SupplyOut(Schema):
    scope: str
    threshold: float
    people: int
    roles: list[SupplyRowOut]


@router.get(
    "/supply-demand",
    auth=authorize(Cap.REPORT_ALL, Cap.REPORT_TEAM, Cap.REPORT_SCENARIO),
    response=responses({200: SupplyOut, 404: ErrorOut}, throttled=True),
    openapi_extra=download_content(json_content(SupplyOut), CSV, XLSX),
    summary="Per role profile: who matches now, who is one level of training away, and where",
    throttle=UserThrottle("export"),
)
def supply_demand(request, params: Query[SupplyParams]):
    scenario = None
    if params.scenario is not None:
        if not has_cap(request.auth, Cap.SURGE_VIEW, Cap.SURGE_EDIT):
            raise Http404("No such scenario")
        scenario = get_object_or_404(SurgeScenario, pk=params.scenario)
    report = supply.supply_and_demand(
        user=request.auth, threshold=params.threshold / 100, scenario=scenario
    )
    if params.format != "json":
        return services.export_supply(user=request.auth, report=report, fmt=params.format)
    return {
        "scope": str(report.scope),
        "threshold": params.threshold,
        "people": report.people,
        "roles": [
            {
                "role": r.code,
                "title": r.title,
                "demand_headcount": r.headcount,
                "qualify_now": r.qualify,
                "one_level_of_training_away": r.one_level_away,
                "where": [{"department": u, "qualify": n} for u, n in r.units],
            }
            for r in report.rows
        ],
    }


class InventoryParams(Schema):
    format: Literal["csv", "xlsx", "json"] = "csv"


@router.get(
    "/inventory",
    auth=authorize(Cap.REPORT_ALL, Cap.REPORT_TEAM),
    response=responses({}, throttled=True),
    openapi_extra=download_content(
        CSV, XLSX, json_content({"type": "array", "items": {"type": "object"}})
    ),
    summary="The whole skills inventory (one row per person and skill), streamed",
    description=(
        "Everyone the caller may report on: HR and administrators everyone, a line "
        "manager their team. CSV (default), XLSX or a JSON array, streamed in bounded "
        "memory. Audited: one row for the export and one per person in it."
    ),
    throttle=UserThrottle("export"),
)
def inventory_export(request, params: Query[InventoryParams]):
    return inventory.export_inventory(user=request.auth, fmt=params.format)
