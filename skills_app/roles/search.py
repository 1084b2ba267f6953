"""Search the workforce for a role: the one service behind the search page, the
shortlist export and ``POST /api/v1/match``.

Views and API handlers build a ``SearchQuery`` (requirements by skill id, filters
by database values), call ``run_search`` and render the ``SearchResult``. The
ranking itself is ``matching.engine`` (DESIGN.md section 4) over the per-process
index that ``skills_app.matching_adapter.current_index`` keeps fresh.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import asdict, dataclass, field

import numpy as np
from django.utils import timezone

from matching.engine import (
    CURRENT,
    DEFAULT_THRESHOLD,
    PRIOR_ROLE_BONUS,
    Filters,
    PriorRole,
    Requirement,
)
from skills_app.audit.models import Action
from skills_app.audit.services import record_event, record_events_for_subjects
from skills_app.matching_adapter import WorkforceIndex, current_index
from skills_app.people.models import GRADE_ORDER, Person
from taxonomy.models import Skill

MAX_LIMIT = 500
EXPORT_LIMIT = 5000


@dataclass(frozen=True, slots=True)
class RequirementSpec:
    skill_id: int
    level: int  # 1-4
    weight: float = 1.0
    essential: bool = False


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Hard filters (DESIGN.md section 4 rule 9) in database terms.

    Org units are OrgUnit ids and include their whole subtree. Stored as JSON on
    a role profile (``to_json``/``from_json``) so a saved role keeps its filters.
    """

    grades: tuple[str, ...] = ()
    org_units: tuple[int, ...] = ()
    exclude_org_units: tuple[int, ...] = ()
    locations: tuple[str, ...] = ()
    min_clearance: int | None = None
    available_on: dt.date | None = None
    redeployable_only: bool = True
    min_weekly_hours: float | None = None

    def to_json(self) -> dict:
        data = asdict(self)
        for key in ("grades", "org_units", "exclude_org_units", "locations"):
            data[key] = list(data[key])
        data["available_on"] = self.available_on.isoformat() if self.available_on else None
        return data

    @classmethod
    def from_json(cls, data: dict | None) -> SearchFilters:
        data = data or {}
        available = data.get("available_on")
        hours = data.get("min_weekly_hours")
        clearance = data.get("min_clearance")
        return cls(
            grades=tuple(data.get("grades") or ()),
            org_units=tuple(int(u) for u in data.get("org_units") or ()),
            exclude_org_units=tuple(int(u) for u in data.get("exclude_org_units") or ()),
            locations=tuple(data.get("locations") or ()),
            min_clearance=int(clearance) if clearance is not None else None,
            available_on=dt.date.fromisoformat(available) if available else None,
            redeployable_only=bool(data.get("redeployable_only", True)),
            min_weekly_hours=float(hours) if hours is not None else None,
        )

    def summary(self) -> dict:
        """The filters in use, for the audit trail (no personal data in filters)."""
        return {k: v for k, v in self.to_json().items() if v not in ((), [], None)}


@dataclass(frozen=True, slots=True)
class SearchQuery:
    requirements: tuple[RequirementSpec, ...]
    filters: SearchFilters = field(default_factory=SearchFilters)
    threshold: float = DEFAULT_THRESHOLD
    include_prior_role: bool = True
    limit: int = 50
    offset: int = 0
    as_of: dt.date | None = None
    role_code: str = ""  # the saved role this query came from, for the audit trail

    def day(self) -> dt.date:
        return self.as_of or timezone.localdate()


@dataclass(frozen=True, slots=True)
class SkillRef:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class RequirementResult:
    skill: SkillRef
    required_level: int
    weight: float
    essential: bool
    level: int
    via_skill: SkillRef | None
    recency: float
    effective_level: float
    credit: float
    gap: int
    evidence: str | None

    @property
    def met(self) -> bool:
        return self.gap == 0


@dataclass(frozen=True, slots=True)
class PriorRoleResult:
    title: str
    end: dt.date | None  # None: still held
    similarity: float


@dataclass(frozen=True, slots=True)
class SearchHit:
    person_id: int
    staff_number: str
    name: str
    grade: str
    org_unit: str
    location: str
    score: float
    rank_score: float
    meets_essentials: bool
    prior_role: PriorRoleResult | None
    confidence: str
    requirements: tuple[RequirementResult, ...]

    @property
    def percent(self) -> float:
        return round(self.score * 100, 1)


@dataclass(frozen=True, slots=True)
class SearchResult:
    total: int
    took_ms: float
    hits: list[SearchHit]
    query: SearchQuery


_EVIDENCE_NAMES = {0: "self", 1: "manager_verified", 2: "assessed", 3: "certified"}


def engine_requirements(index: WorkforceIndex, specs) -> list[Requirement]:
    missing = [s.skill_id for s in specs if s.skill_id not in index.skill_column]
    if missing:
        raise ValueError(f"Unknown skill ids: {missing}")
    return [
        Requirement(index.skill_column[s.skill_id], s.level, float(s.weight), s.essential)
        for s in specs
    ]


def _unit_mask(index: WorkforceIndex, unit_ids) -> np.ndarray | None:
    if not unit_ids:
        return None
    wanted = {int(u) for u in unit_ids}
    roots = [
        path
        for pk, path in zip(index.org_unit_ids, index.org_unit_paths, strict=True)
        if pk in wanted
    ]
    prefixes = tuple(path + "/" for path in roots)
    roots_set = set(roots)
    return np.fromiter(
        (p in roots_set or p.startswith(prefixes) for p in index.org_unit_paths),
        dtype=bool,
        count=len(index.org_unit_paths),
    )


def engine_filters(index: WorkforceIndex, filters: SearchFilters) -> Filters:
    location_code = {name: code for code, name in enumerate(index.locations)}
    return Filters(
        grades=frozenset(GRADE_ORDER[g] for g in filters.grades if g in GRADE_ORDER)
        if filters.grades
        else None,
        org_units=_unit_mask(index, filters.org_units),
        exclude_org_units=_unit_mask(index, filters.exclude_org_units),
        locations=frozenset(location_code[x] for x in filters.locations if x in location_code)
        if filters.locations
        else None,
        min_clearance=filters.min_clearance,
        available_on=filters.available_on.toordinal() if filters.available_on else None,
        redeployable_only=filters.redeployable_only,
        min_weekly_hours=filters.min_weekly_hours,
    )


def _prior(prior: PriorRole | None) -> PriorRoleResult | None:
    if prior is None:
        return None
    end = None if prior.end == CURRENT else dt.date.fromordinal(prior.end)
    return PriorRoleResult(prior.title, end, round(prior.similarity, 4))


def _hydrate(index, specs, rows) -> list[SearchHit]:
    """rows: (position, score, rank_score, essentials, prior, confidence, explanations)."""
    person_ids = [int(index.person_ids[row[0]]) for row in rows]
    people = {
        p["pk"]: p
        for p in Person.objects.filter(pk__in=person_ids).values(
            "pk", "staff_number", "full_name", "grade", "org_unit__name", "location"
        )
    }
    skill_pks = {s.skill_id for s in specs}
    for row in rows:
        skill_pks.update(
            int(index.skill_ids[e.via_skill]) for e in row[6] if e.via_skill is not None
        )
    names = dict(Skill.objects.filter(pk__in=skill_pks).values_list("pk", "name"))
    hits = []
    for person_id, (_, score, rank_score, essentials, prior, confidence, explained) in zip(
        person_ids, rows, strict=True
    ):
        person = people.get(person_id)
        if person is None:  # deleted since the index last looked
            continue
        requirements = []
        for spec, e in zip(specs, explained, strict=True):
            via = int(index.skill_ids[e.via_skill]) if e.via_skill is not None else None
            requirements.append(
                RequirementResult(
                    skill=SkillRef(spec.skill_id, names.get(spec.skill_id, "")),
                    required_level=spec.level,
                    weight=float(spec.weight),
                    essential=spec.essential,
                    level=e.level,
                    via_skill=SkillRef(via, names.get(via, "")) if via is not None else None,
                    recency=round(e.recency, 4),
                    effective_level=round(e.effective_level, 4),
                    credit=round(e.credit, 4),
                    gap=e.gap,
                    evidence=_EVIDENCE_NAMES.get(e.evidence) if e.evidence is not None else None,
                )
            )
        hits.append(
            SearchHit(
                person_id=person_id,
                staff_number=person["staff_number"],
                name=person["full_name"],
                grade=person["grade"],
                org_unit=person["org_unit__name"],
                location=person["location"],
                score=round(score, 6),
                rank_score=round(rank_score, 6),
                meets_essentials=essentials,
                prior_role=_prior(prior),
                confidence=confidence,
                requirements=tuple(requirements),
            )
        )
    return hits


def search(query: SearchQuery) -> SearchResult:
    """Rank without writing an audit row: for callers that audit themselves."""
    started = time.perf_counter()
    index = current_index()
    workforce = index.workforce
    requirements = engine_requirements(index, query.requirements)
    ranked = workforce.rank(
        requirements,
        as_of=query.day(),
        filters=engine_filters(index, query.filters),
        threshold=query.threshold,
        include_prior_role=query.include_prior_role,
        limit=query.limit,
        offset=query.offset,
    )
    rows = [
        (
            m.person,
            m.score,
            m.rank_score,
            m.meets_essentials,
            m.prior_role,
            m.confidence,
            m.requirements,
        )
        for m in ranked.matches
    ]
    hits = _hydrate(index, query.requirements, rows)
    took = (time.perf_counter() - started) * 1000
    return SearchResult(total=ranked.total, took_ms=round(took, 2), hits=hits, query=query)


def _audit_parameters(query: SearchQuery, **extra) -> dict:
    return {
        "role": query.role_code,
        "requirements": len(query.requirements),
        "threshold": query.threshold,
        "include_prior_role": query.include_prior_role,
        "filters": query.filters.summary(),
        **extra,
    }


def run_search(*, actor, query: SearchQuery, action: str = Action.SEARCH) -> SearchResult:
    """Rank the workforce and record who searched and whom they were shown."""
    result = search(query)
    parameters = _audit_parameters(
        query, total=result.total, shown=len(result.hits), offset=query.offset
    )
    record_event(
        actor=actor,
        action=action,
        object_type="role",
        object_id=query.role_code,
        parameters=parameters,
    )
    if result.hits:
        record_events_for_subjects(
            actor=actor,
            action=action,
            subjects=[h.person_id for h in result.hits],
            parameters={"role": query.role_code},
        )
    return result


def explain_person(*, actor, query: SearchQuery, person_id: int) -> SearchHit | None:
    """One person's full explanation for a query, whether or not they qualify
    or pass the filters (a planner may ask why someone is not listed)."""
    index = current_index()
    position = index.position_of(person_id)
    if position is None:
        return None
    workforce = index.workforce
    requirements = engine_requirements(index, query.requirements)
    day = query.day().toordinal()
    score, essentials = workforce.scores(requirements, day)
    prior = workforce.prior_roles(requirements, day).get(position)
    explained = tuple(workforce.explain(position, r, day) for r in requirements)
    confidence = workforce.confidence(position, explained, [r.weight for r in requirements], day)
    s = float(score[position])
    rank_score = min(1.0, s + PRIOR_ROLE_BONUS * prior.similarity) if prior else s
    hits = _hydrate(
        index,
        query.requirements,
        [(position, s, rank_score, bool(essentials[position]), prior, confidence, explained)],
    )
    if not hits:
        return None
    record_event(
        actor=actor,
        action=Action.VIEW_EXPLANATION,
        object_type="person",
        object_id=person_id,
        subject=Person(pk=person_id),
        parameters={"role": query.role_code, "requirements": len(query.requirements)},
    )
    return hits[0]
