"""Capability reports (issue 7): the figures, from SQL aggregates.

Every report is scoped to what its reader may see (DESIGN.md section 8): HR and
administrators (``Cap.REPORT_ALL``) see the whole organisation, a line manager
(``Cap.REPORT_TEAM``) only their team (direct and indirect reports, see
``skills_app.people.team``). ``people_in_scope`` is the one place that decides.

Aggregates are a few ``GROUP BY org_unit`` queries (PostgreSQL and SQLite), one
per table so no join multiplies another's rows; rolling org units up to a
chosen depth of the tree is a sum over units in Python (there are thousands of
units, not millions), using the materialised ``OrgUnit.path``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from skills_app.accounts.permissions import Cap, has_cap
from skills_app.people.models import EvidenceKind, OrgUnit, Person, PersonSkill, Qualification
from skills_app.people.team import REVIEW_OVERDUE_AFTER, team_queryset, viewer_person

# Evidence stronger than the person's own word.
VERIFIED_EVIDENCE = (EvidenceKind.MANAGER_VERIFIED, EvidenceKind.ASSESSED, EvidenceKind.CERTIFIED)
MAX_DEPTH = 20


class Scope(StrEnum):
    ALL = "all"
    TEAM = "team"


def report_scope(user) -> Scope | None:
    """Which people ``user``'s reports cover, or None for nobody."""
    if has_cap(user, Cap.REPORT_ALL):
        return Scope.ALL
    if has_cap(user, Cap.REPORT_TEAM):
        return Scope.TEAM
    return None


def people_in_scope(user) -> QuerySet[Person]:
    """Everyone whose data ``user``'s reports may count."""
    scope = report_scope(user)
    if scope == Scope.ALL:
        return Person.objects.all()
    if scope == Scope.TEAM:
        return team_queryset(manager=viewer_person(user))
    return Person.objects.none()


def rollup_path(path: str, depth: int | None) -> str:
    """The path of ``path``'s ancestor at ``depth`` (itself when it is no deeper,
    or when ``depth`` is None)."""
    if depth is None:
        return path
    return "/".join(path.split("/")[: depth + 1])


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# --- data quality --------------------------------------------------------------------


@dataclass
class QualityRow:
    unit: str  # org unit path
    people: int = 0
    reviewed: int = 0  # profile reviewed in the last 12 months
    skills: int = 0  # person-skill rows
    verified: int = 0  # ... verified by a manager, assessed or certified
    with_skills: int = 0  # people holding at least one skill
    expired_qualifications: int = 0  # qualifications whose expiry date has passed

    @property
    def no_skills(self) -> int:
        return self.people - self.with_skills

    @property
    def reviewed_share(self) -> float | None:
        return _share(self.reviewed, self.people)

    @property
    def verified_share(self) -> float | None:
        return _share(self.verified, self.skills)

    @property
    def no_skills_share(self) -> float | None:
        return _share(self.no_skills, self.people)

    @property
    def score(self) -> float:
        """0 (worst) to 1: the mean of the reviewed share, the verified share
        and the share of people with skills; a missing share counts as 0."""
        with_skills = 1 - (self.no_skills_share or 0) if self.people else 0
        return ((self.reviewed_share or 0) + (self.verified_share or 0) + with_skills) / 3


@dataclass
class QualityReport:
    scope: Scope
    depth: int | None
    rows: list[QualityRow] = field(default_factory=list)
    total: QualityRow = field(default_factory=lambda: QualityRow(unit="All units"))


def data_quality(*, user, depth: int | None = None, now=None) -> QualityReport:
    """Data quality per org unit (rolled up to ``depth`` when given), worst
    first: lowest ``score``, then most expired qualifications, then path."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    reviewed_since = now - REVIEW_OVERDUE_AFTER
    people = people_in_scope(user)

    per_unit: dict[int, QualityRow] = {}

    def row(unit_id: int) -> QualityRow:
        return per_unit.setdefault(unit_id, QualityRow(unit=""))

    for item in (
        people.order_by()
        .values("org_unit_id")
        .annotate(
            people=Count("pk"),
            reviewed=Count("pk", filter=Q(profile_reviewed_at__gte=reviewed_since)),
        )
    ):
        r = row(item["org_unit_id"])
        r.people, r.reviewed = item["people"], item["reviewed"]
    for item in (
        PersonSkill.objects.filter(person__in=people.values("pk"))
        .order_by()
        .values("person__org_unit_id")
        .annotate(
            skills=Count("pk"),
            verified=Count("pk", filter=Q(evidence__in=VERIFIED_EVIDENCE)),
            with_skills=Count("person_id", distinct=True),
        )
    ):
        r = row(item["person__org_unit_id"])
        r.skills, r.verified, r.with_skills = item["skills"], item["verified"], item["with_skills"]
    for item in (
        Qualification.objects.filter(person__in=people.values("pk"), expires__lt=today)
        .order_by()
        .values("person__org_unit_id")
        .annotate(expired=Count("pk"))
    ):
        row(item["person__org_unit_id"]).expired_qualifications = item["expired"]

    paths = dict(OrgUnit.objects.filter(pk__in=per_unit).values_list("pk", "path"))
    report = QualityReport(scope=report_scope(user), depth=depth)
    rolled: dict[str, QualityRow] = {}
    for unit_id, r in per_unit.items():
        key = rollup_path(paths[unit_id], depth)
        target = rolled.setdefault(key, QualityRow(unit=key))
        for total in (target, report.total):
            total.people += r.people
            total.reviewed += r.reviewed
            total.skills += r.skills
            total.verified += r.verified
            total.with_skills += r.with_skills
            total.expired_qualifications += r.expired_qualifications
    report.rows = sorted(
        rolled.values(), key=lambda r: (r.score, -r.expired_qualifications, r.unit)
    )
    return report


def org_depths(user) -> list[int]:
    """The depths of the org tree the reader's people sit at or under (for the
    "group by" choice): 0 .. the deepest unit holding one of them."""
    deepest = (
        OrgUnit.objects.filter(people__in=people_in_scope(user).values("pk"))
        .order_by("-depth")
        .values_list("depth", flat=True)
        .first()
    )
    return list(range(0, min(deepest, MAX_DEPTH) + 1)) if deepest is not None else []
