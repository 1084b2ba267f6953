"""Search the workforce for a role: the one service behind the search page, the
shortlist export and ``POST /api/v1/match``.

Views and API handlers build a ``SearchQuery`` (requirements by skill id, filters
by database values), call ``run_search`` and render the ``SearchResult``. The
ranking itself is ``matching.engine`` (DESIGN.md section 4) over the per-process
index that ``skills_app.index.adapter.current_index`` keeps fresh.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import asdict, dataclass, field
from uuid import UUID

import numpy as np
from django.utils import timezone

from matching import rules
from matching.engine import CURRENT, EVIDENCE_NAMES, Filters, PriorRole, Requirement
from matching.rules import DEFAULT_THRESHOLD, QualifiesBy
from skills_app.audit.models import Action
from skills_app.audit.services import record_event, record_event_with_subjects
from skills_app.index.adapter import WorkforceIndex, current_index
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
    # Only ready-reserve members on call (on ``available_on``, or today).
    reserve_only: bool = False

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
            reserve_only=bool(data.get("reserve_only", False)),
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
    # Count people's unconfirmed draft skills (DESIGN 9); off unless asked for.
    include_drafts: bool = False
    limit: int = 50
    offset: int = 0
    as_of: dt.date | None = None
    role_code: str = ""  # the saved role this query came from, for the audit trail
    qualifies_by: QualifiesBy | None = None  # page through one group of rule 7 only

    def day(self) -> dt.date:
        return self.as_of or timezone.localdate()

    def workforce(self, index: WorkforceIndex):
        """The workforce this query searches: with drafts only when it opts in."""
        if self.include_drafts:
            return index.workforce.including_drafts()
        return index.workforce


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
    """Rule 6: the recent role through which someone counts, and how much of this
    role its profile covers."""

    title: str
    start: dt.date | None
    end: dt.date | None  # None: still held
    current: bool  # held on the day of the search
    coverage: float


@dataclass(frozen=True, slots=True)
class SearchHit:
    person_id: int
    public_id: UUID  # what links to the person use; the primary key stays on the server
    staff_number: str
    name: str
    grade: str
    org_unit: str
    location: str
    score: float
    rank_score: float
    meets_essentials: bool
    qualifies_by: QualifiesBy | None  # None: an explanation of someone who does not qualify
    prior_role: PriorRoleResult | None
    confidence: str
    requirements: tuple[RequirementResult, ...]

    @property
    def percent(self) -> float:
        return round(self.score * 100, 1)


@dataclass(frozen=True, slots=True)
class SearchResult:
    total_by_score: int
    total_by_prior_role: int
    took_ms: float
    hits: list[SearchHit]
    query: SearchQuery

    @property
    def total(self) -> int:
        return self.total_by_score + self.total_by_prior_role

    @property
    def total_in_view(self) -> int:
        """How many people the hits page through: one group, or both."""
        if self.query.qualifies_by == rules.BY_SCORE:
            return self.total_by_score
        if self.query.qualifies_by == rules.BY_PRIOR_ROLE:
            return self.total_by_prior_role
        return self.total


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
        reserve_on=(filters.available_on or timezone.localdate()).toordinal()
        if filters.reserve_only
        else None,
    )


def _date(ordinal: int) -> dt.date | None:
    return None if ordinal == CURRENT else dt.date.fromordinal(ordinal)


def _prior(prior: PriorRole | None, as_of: dt.date) -> PriorRoleResult | None:
    if prior is None:
        return None
    end = _date(prior.end)
    return PriorRoleResult(
        title=prior.title,
        start=_date(prior.start),
        end=end,
        current=rules.role_held_now(end, as_of),
        coverage=round(prior.coverage, 4),
    )


def _hydrate(index, specs, matches, as_of: dt.date) -> list[SearchHit]:
    """Engine ``Match``es as hits, with names from the database."""
    person_ids = [int(index.person_ids[m.person]) for m in matches]
    people = {
        p["pk"]: p
        for p in Person.objects.filter(pk__in=person_ids).values(
            "pk", "public_id", "staff_number", "full_name", "grade", "org_unit__name", "location"
        )
    }
    skill_pks = {s.skill_id for s in specs}
    for match in matches:
        skill_pks.update(
            int(index.skill_ids[e.via_skill]) for e in match.requirements if e.via_skill is not None
        )
    names = dict(Skill.objects.filter(pk__in=skill_pks).values_list("pk", "name"))
    hits = []
    for person_id, match in zip(person_ids, matches, strict=True):
        person = people.get(person_id)
        if person is None:  # deleted since the index last looked
            continue
        requirements = []
        for spec, e in zip(specs, match.requirements, strict=True):
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
                    evidence=EVIDENCE_NAMES.get(e.evidence) if e.evidence is not None else None,
                )
            )
        hits.append(
            SearchHit(
                person_id=person_id,
                public_id=person["public_id"],
                staff_number=person["staff_number"],
                name=person["full_name"],
                grade=person["grade"],
                org_unit=person["org_unit__name"],
                location=person["location"],
                score=round(match.score, 6),
                rank_score=round(match.rank_score, 6),
                meets_essentials=match.meets_essentials,
                qualifies_by=match.qualifies_by,
                prior_role=_prior(match.prior_role, as_of),
                confidence=match.confidence,
                requirements=tuple(requirements),
            )
        )
    return hits


def search(query: SearchQuery) -> SearchResult:
    """Rank without writing an audit row: for callers that audit themselves."""
    started = time.perf_counter()
    index = current_index()
    as_of = query.day()
    ranked = query.workforce(index).rank(
        engine_requirements(index, query.requirements),
        as_of=as_of,
        filters=engine_filters(index, query.filters),
        threshold=query.threshold,
        include_prior_role=query.include_prior_role,
        qualifies_by=query.qualifies_by,
        limit=query.limit,
        offset=query.offset,
    )
    hits = _hydrate(index, query.requirements, ranked.matches, as_of)
    took = (time.perf_counter() - started) * 1000
    return SearchResult(
        total_by_score=ranked.total_by_score,
        total_by_prior_role=ranked.total_by_prior_role,
        took_ms=round(took, 2),
        hits=hits,
        query=query,
    )


def _audit_parameters(query: SearchQuery, **extra) -> dict:
    return {
        "role": query.role_code,
        "requirements": len(query.requirements),
        "threshold": query.threshold,
        "include_prior_role": query.include_prior_role,
        "include_drafts": query.include_drafts,
        "filters": query.filters.summary(),
        **extra,
    }


def run_search(*, actor, query: SearchQuery, action: str = Action.SEARCH) -> SearchResult:
    """Rank the workforce and record who searched and whom they were shown."""
    result = search(query)
    parameters = _audit_parameters(
        query,
        total=result.total,
        total_by_score=result.total_by_score,
        total_by_prior_role=result.total_by_prior_role,
        shown=len(result.hits),
        offset=query.offset,
        qualifies_by=query.qualifies_by or "",
    )
    # What was asked and whom it showed: one INSERT, however many people were shown.
    record_event_with_subjects(
        actor=actor,
        action=action,
        object_type="role",
        object_id=query.role_code,
        parameters=parameters,
        subjects=[h.person_id for h in result.hits],
        subject_parameters={"role": query.role_code},
    )
    return result


@dataclass(frozen=True, slots=True)
class Explanation:
    """One person's match, with what a planner needs to defend it later (rule 11):
    the day it was worked out for and the basis of the confidence grade."""

    hit: SearchHit
    as_of: dt.date
    evidence_value: float | None
    confidence_value: float | None
    profile_stale: bool
    reviewed_on: dt.date | None


def explain_person(*, actor, query: SearchQuery, person_id: int) -> Explanation | None:
    """One person's full explanation for a query, whether or not they qualify
    or pass the filters (a planner may ask why someone is not listed)."""
    index = current_index()
    position = index.position_of(person_id)
    if position is None:
        return None
    as_of = query.day()
    workforce = query.workforce(index)
    evaluation = workforce.evaluate(
        engine_requirements(index, query.requirements),
        as_of=as_of,
        threshold=query.threshold,
        include_prior_role=query.include_prior_role,
    )
    [match] = evaluation.matches(np.array([position]))
    hits = _hydrate(index, query.requirements, [match], as_of)
    if not hits:
        return None
    basis = workforce.confidence_basis(
        position, match.requirements, [r.weight for r in evaluation.requirements], evaluation.day
    )
    record_event(
        actor=actor,
        action=Action.VIEW_EXPLANATION,
        object_type="person",
        object_id=person_id,
        subject=Person(pk=person_id),
        parameters={"role": query.role_code, "requirements": len(query.requirements)},
    )
    return Explanation(
        hit=hits[0],
        as_of=as_of,
        evidence_value=basis.evidence,
        confidence_value=basis.value,
        profile_stale=basis.stale,
        reviewed_on=_date(basis.reviewed_on) if basis.reviewed_on else None,
    )
