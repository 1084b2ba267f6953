"""POST /api/v1/match: rank the workforce against a role (DESIGN.md section 6).

The body names a saved role (``role``: its code) or gives ``requirements``
inline; skills by id, URI or name (names go through the taxonomy normaliser and
must resolve confidently), levels 1-4 or their names. Filters given in the body
replace a saved role's own filters; absent, the role's filters apply. Every call
is audited like a search on the page.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.db.models import Q
from django.http import JsonResponse
from ninja import Field, Router, Schema, Status

from skills_app.accounts.permissions import Cap
from skills_app.api_inputs import ErrorOut, StrictSchema, error_item
from skills_app.api_support import MAX_OFFSET, authorize, responses
from skills_app.core import vocabulary
from skills_app.core.throttle import UserThrottle
from skills_app.core.vocabulary import INT64_MAX, INT64_MIN, VocabularyError
from skills_app.people.models import OrgUnit
from skills_app.roles import selectors
from skills_app.roles.search import (
    MAX_LIMIT,
    RequirementSpec,
    SearchFilters,
    SearchQuery,
    run_search,
)
from skills_app.roles.services import MAX_REQUIREMENTS

router = Router(tags=["match"])


class RequirementIn(StrictSchema):
    skill: int | str = Field(..., description="Skill id, URI or name (names are normalised)")
    level: int | str = Field(..., description="1–4 or Awareness, Working, Practitioner, Expert")
    weight: float = Field(1.0, description="Relative importance, greater than 0")
    essential: bool = False


class FiltersIn(StrictSchema):
    grades: list[str] = Field(
        [], description="Grade codes or names, any case, e.g. HEO, G7, Grade 7"
    )
    org_units: list[int | str] = Field(
        [], description="Org units (id or path) to search in, subtrees included"
    )
    exclude_org_units: list[int | str] = Field(
        [], description="Org units (id or path) to leave out"
    )
    locations: list[str] = []
    min_clearance: int | str | None = Field(None, description="0–4 or None, BPSS, CTC, SC, DV")
    available_on: dt.date | None = Field(
        None, description="Available by this date and not allocated in an approved surge"
    )
    redeployable_only: bool = Field(
        True, description="Leave out protected people and those who opted out"
    )
    min_weekly_hours: float | None = None
    reserve_only: bool = Field(
        False,
        description="Only ready-reserve members on call on available_on (or today), "
        "agreed in advance by their line manager",
    )


class MatchIn(StrictSchema):
    role: str | None = Field(None, description="Code of a saved role profile")
    requirements: list[RequirementIn] | None = Field(None, description="Instead of a role")
    filters: FiltersIn | None = Field(None, description="Absent: the saved role's filters")
    threshold: float = Field(0.8, ge=0, le=1, description="Minimum score, 0–1")
    include_prior_role: bool = True
    include_drafts: bool = Field(
        False,
        description='Count people\'s unconfirmed draft skills (evidence "inferred", '
        "weight 0.4 in the confidence grade)",
    )
    qualifies_by: Literal["score", "prior_role"] | None = Field(
        None, description="Page through only the people who qualify this way (default both)"
    )
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    as_of: dt.date | None = Field(None, description="Score as of this date (default today)")


class MatchSkillOut(Schema):
    id: int
    name: str


class RequirementMatchOut(Schema):
    skill: MatchSkillOut
    required_level: int
    weight: float
    essential: bool
    level: int = Field(..., description="Level held in via_skill (0: nothing counts)")
    via_skill: MatchSkillOut | None
    recency: float
    effective_level: float
    credit: float
    gap: int = Field(..., description="Levels of training needed")
    evidence: str | None


class PriorRoleOut(Schema):
    title: str
    start: dt.date | None = Field(..., description="Null: not recorded")
    end: dt.date | None = Field(..., description="Null: still held")
    current: bool = Field(..., description="Held on the day of the search")
    coverage: float = Field(
        ..., description="How much of this role the earlier role's profile covers, 0–1"
    )


class MatchResultOut(Schema):
    staff_number: str
    name: str
    grade: str
    org_unit: str
    location: str
    score: float
    rank_score: float
    meets_essentials: bool
    qualifies_by: Literal["score", "prior_role"] = Field(
        ...,
        description="score: the score reaches the threshold; prior_role: in through a "
        "recent role whose profile covers this one (its score is below the threshold)",
    )
    prior_role: PriorRoleOut | None
    confidence: str
    requirements: list[RequirementMatchOut]


class MatchOut(Schema):
    total: int = Field(..., description="total_by_score + total_by_prior_role")
    total_by_score: int
    total_by_prior_role: int
    took_ms: float
    results: list[MatchResultOut]


def requirement_specs(items: list[RequirementIn], *, held: set[int] = frozenset()):
    """(specs, errors) for requirement items at body path ``requirements``."""
    if not items:
        return [], [error_item(["body", "requirements"], "Give at least one requirement")]
    if len(items) > MAX_REQUIREMENTS:
        return [], [
            error_item(["body", "requirements"], f"Give at most {MAX_REQUIREMENTS} requirements")
        ]
    specs, errors, seen = [], [], {}
    # Every skill the request names, read in one query (issue 17).
    skills = vocabulary.skill_refs([item.skill for item in items], held=held)
    for index, (item, skill) in enumerate(zip(items, skills, strict=True)):
        loc = ["body", "requirements", index]
        item_errors = []
        if isinstance(skill, VocabularyError):
            item_errors.append(
                error_item([*loc, "skill"], skill.message, suggestions=skill.suggestions)
            )
        else:
            if skill.pk in seen:
                item_errors.append(
                    error_item(
                        [*loc, "skill"],
                        f"“{skill.name}” is already requirement {seen[skill.pk]}: list it once",
                    )
                )
            seen.setdefault(skill.pk, index)
        try:
            level = vocabulary.level(item.level)
        except VocabularyError as exc:
            item_errors.append(error_item([*loc, "level"], exc.message))
        if not item.weight > 0:
            item_errors.append(error_item([*loc, "weight"], "Weight must be greater than 0"))
        if item_errors:
            errors.extend(item_errors)
        else:
            specs.append(RequirementSpec(skill.pk, level, float(item.weight), item.essential))
    return specs, errors


def _units(refs, field: str, errors: list) -> tuple[int, ...]:
    if not refs:
        return ()
    numbers = {ref for ref in refs if isinstance(ref, int) and INT64_MIN <= ref <= INT64_MAX}
    paths = {str(ref).strip() for ref in refs if not isinstance(ref, int)}
    found: dict[int | str, int] = {}
    for pk, path in OrgUnit.objects.filter(Q(pk__in=numbers) | Q(path__in=paths)).values_list(
        "pk", "path"
    ):  # every unit named, in one query
        found[pk] = found[path] = pk
    ids = []
    for index, ref in enumerate(refs):
        unit = found.get(ref if isinstance(ref, int) else str(ref).strip())
        if unit is None:
            errors.append(error_item(["body", "filters", field, index], f"No org unit {ref}"))
        else:
            ids.append(unit)
    return tuple(ids)


def search_filters(data: FiltersIn):
    """(SearchFilters, errors) for a filters object at body path ``filters``."""
    errors: list[dict] = []
    grades = []
    for index, raw in enumerate(data.grades):
        try:
            grades.append(vocabulary.grade(raw))
        except VocabularyError as exc:
            errors.append(error_item(["body", "filters", "grades", index], exc.message))
    clearance = None
    if data.min_clearance is not None:
        try:
            clearance = vocabulary.clearance(data.min_clearance)
        except VocabularyError as exc:
            errors.append(error_item(["body", "filters", "min_clearance"], exc.message))
    hours = data.min_weekly_hours
    if hours is not None and not 0 <= hours <= 168:
        errors.append(error_item(["body", "filters", "min_weekly_hours"], "Hours must be 0 to 168"))
    filters = SearchFilters(
        grades=tuple(grades),
        org_units=_units(data.org_units, "org_units", errors),
        exclude_org_units=_units(data.exclude_org_units, "exclude_org_units", errors),
        locations=tuple(x.strip() for x in data.locations if x.strip()),
        min_clearance=clearance,
        available_on=data.available_on,
        redeployable_only=data.redeployable_only,
        min_weekly_hours=hours,
        reserve_only=data.reserve_only,
    )
    return filters, errors


def _skill_json(ref) -> dict | None:
    return None if ref is None else {"id": ref.id, "name": ref.name}


def _result_json(hit) -> dict:
    """One result as ``MatchResultOut`` JSON, built directly: the hot path skips
    ninja's per-field validation (half an API call's time at 50 explained results;
    issue 17), and the contract tests hold this to the schema."""
    prior = hit.prior_role
    return {
        "staff_number": hit.staff_number,
        "name": hit.name,
        "grade": hit.grade,
        "org_unit": hit.org_unit,
        "location": hit.location,
        "score": hit.score,
        "rank_score": hit.rank_score,
        "meets_essentials": hit.meets_essentials,
        "qualifies_by": hit.qualifies_by,
        "prior_role": None
        if prior is None
        else {
            "title": prior.title,
            "start": prior.start.isoformat() if prior.start else None,
            "end": prior.end.isoformat() if prior.end else None,
            "current": prior.current,
            "coverage": prior.coverage,
        },
        "confidence": hit.confidence,
        "requirements": [
            {
                "skill": _skill_json(r.skill),
                "required_level": r.required_level,
                "weight": r.weight,
                "essential": r.essential,
                "level": r.level,
                "via_skill": _skill_json(r.via_skill),
                "recency": r.recency,
                "effective_level": r.effective_level,
                "credit": r.credit,
                "gap": r.gap,
                "evidence": r.evidence,
            }
            for r in hit.requirements
        ],
    }


@router.post(
    "/match",
    response=responses({200: MatchOut, 404: ErrorOut}, body=True, throttled=True),
    auth=authorize(Cap.SEARCH_RUN),
    summary="Rank the workforce against a role or a list of requirements",
    throttle=UserThrottle("search"),
)
def match(request, payload: MatchIn):
    if (payload.role is None) == (payload.requirements is None):
        return Status(
            422,
            {
                "detail": "Give either a role code or a list of requirements.",
                "errors": [error_item(["body"], "Give role or requirements, not both")],
            },
        )
    stored_filters = None
    if payload.role is not None:
        role = selectors.role_get(code=payload.role)
        specs = [
            RequirementSpec(r.skill_id, r.level, r.weight, r.essential)
            for r in role.requirements.all()
        ]
        if not specs:
            return Status(
                422,
                {
                    "detail": "This role has no requirements to match against.",
                    "errors": [error_item(["body", "role"], "The role has no requirements")],
                },
            )
        stored_filters = SearchFilters.from_json(role.filters)
        errors = []
    else:
        specs, errors = requirement_specs(payload.requirements)
    if payload.filters is not None:
        filters, filter_errors = search_filters(payload.filters)
        errors += filter_errors
    else:
        filters = stored_filters or SearchFilters()
    if errors:
        return Status(422, {"detail": "The search could not be run.", "errors": errors})
    result = run_search(
        actor=request.auth,
        query=SearchQuery(
            requirements=tuple(specs),
            filters=filters,
            threshold=payload.threshold,
            include_prior_role=payload.include_prior_role,
            include_drafts=payload.include_drafts,
            limit=payload.limit,
            offset=payload.offset,
            as_of=payload.as_of,
            role_code=role.code if payload.role is not None else "",
            qualifies_by=payload.qualifies_by,
        ),
    )
    # Returned as a response, so ninja passes it through unvalidated (see _result_json).
    return JsonResponse(
        {
            "total": result.total,
            "total_by_score": result.total_by_score,
            "total_by_prior_role": result.total_by_prior_role,
            "took_ms": result.took_ms,
            "results": [_result_json(hit) for hit in result.hits],
        },
        status=200,
    )
