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

from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from skills_app.accounts.permissions import Cap, has_cap
from skills_app.people.models import EvidenceKind, OrgUnit, Person, PersonSkill, Qualification
from skills_app.people.team import REVIEW_OVERDUE_AFTER, team_queryset, viewer_person
from taxonomy.models import Skill, SkillGroup

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


# --- capability heatmap ----------------------------------------------------------------

UNGROUPED = 0  # the column for skills outside every group
MAX_CHOSEN_SKILLS = 30


@dataclass(frozen=True)
class Column:
    key: str  # "g<id>" for a top-level skill group, "s<id>" for one skill
    label: str


@dataclass
class HeatmapRow:
    unit_id: int
    unit: str  # org unit path
    people: int  # everyone in scope in the unit (the denominator)
    cells: list[int] = field(default_factory=list)  # one per column


@dataclass
class Heatmap:
    scope: Scope
    depth: int
    level: int
    columns: list[Column]
    rows: list[HeatmapRow]

    @property
    def peak(self) -> int:
        return max((c for r in self.rows for c in r.cells), default=0)


def top_groups() -> dict[int, tuple[int, str]]:
    """Every skill group's top-level ancestor: {group id: (root id, root name)}."""
    groups = {g["pk"]: g for g in SkillGroup.objects.values("pk", "parent_id", "name")}
    roots: dict[int, tuple[int, str]] = {}
    for pk in groups:
        seen, node = set(), groups[pk]
        while node["parent_id"] is not None and node["parent_id"] in groups:
            if node["pk"] in seen:  # a loop in bad data: stop where it closes
                break
            seen.add(node["pk"])
            node = groups[node["parent_id"]]
        roots[pk] = (node["pk"], node["name"])
    return roots


def _rollup_units(unit_paths: dict[int, str], depth: int) -> tuple[dict[int, str], dict]:
    """{unit id: rolled-up path} and {rolled-up path: OrgUnit row values}."""
    rolled = {pk: rollup_path(path, depth) for pk, path in unit_paths.items()}
    targets = {
        u["path"]: u
        for u in OrgUnit.objects.filter(path__in=set(rolled.values())).values("pk", "path")
    }
    return rolled, targets


def capability_heatmap(
    *, user, depth: int = 0, level: int = 3, skill_ids: list[int] | None = None
) -> Heatmap:
    """People at or above ``level`` per org unit (rolled up to ``depth``) and per
    column: each top-level skill group, or each of ``skill_ids`` when given.
    A person counts once in a cell however many of the group's skills they hold."""
    people = people_in_scope(user)
    holdings = PersonSkill.objects.filter(person__in=people.values("pk"), level__gte=level)
    if skill_ids:
        skills = list(Skill.objects.filter(pk__in=skill_ids).order_by("name", "pk"))
        columns = [Column(key=f"s{s.pk}", label=s.name) for s in skills]
        counts = (
            holdings.filter(skill_id__in=[s.pk for s in skills])
            .order_by()
            .values("person__org_unit_id", column=F("skill_id"))
            .annotate(n=Count("person_id", distinct=True))
        )
        prefix = "s"
    else:
        roots = top_groups()
        by_root: dict[int, list[int]] = defaultdict(list)
        for group_id, (root_id, _) in roots.items():
            by_root[root_id].append(group_id)
        root_column = Case(
            *[
                When(skill__group_id__in=members, then=Value(root_id))
                for root_id, members in sorted(by_root.items())
            ],
            default=Value(UNGROUPED),
            output_field=IntegerField(),
        )
        counts = list(
            holdings.order_by()
            .annotate(column=root_column)
            .values("person__org_unit_id", "column")
            .annotate(n=Count("person_id", distinct=True))
        )
        names = {root_id: name for root_id, name in roots.values()}
        present = {c["column"] for c in counts}
        columns = [
            Column(key=f"g{root_id}", label=names[root_id])
            for root_id in sorted(by_root, key=lambda r: (names[r].lower(), r))
        ]
        if UNGROUPED in present:
            columns.append(Column(key=f"g{UNGROUPED}", label="Skills in no group"))
        prefix = "g"

    headcount = dict(
        people.order_by()
        .values("org_unit_id")
        .annotate(n=Count("pk"))
        .values_list("org_unit_id", "n")
    )
    unit_paths = dict(OrgUnit.objects.filter(pk__in=headcount).values_list("pk", "path"))
    rolled, targets = _rollup_units(unit_paths, depth)
    index = {column.key: number for number, column in enumerate(columns)}
    rows: dict[str, HeatmapRow] = {}

    def row(unit_id: int) -> HeatmapRow:
        path = rolled[unit_id]
        if path not in rows:
            rows[path] = HeatmapRow(
                unit_id=targets[path]["pk"], unit=path, people=0, cells=[0] * len(columns)
            )
        return rows[path]

    for unit_id, n in headcount.items():
        row(unit_id).people += n
    for item in counts:
        number = index.get(f"{prefix}{item['column']}")
        if number is not None:
            row(item["person__org_unit_id"]).cells[number] += item["n"]
    return Heatmap(
        scope=report_scope(user),
        depth=depth,
        level=level,
        columns=columns,
        rows=sorted(rows.values(), key=lambda r: r.unit),
    )


def heatmap_people(
    *, user, unit_id: int, depth: int, level: int, column: str
) -> tuple[OrgUnit, str, QuerySet[Person]]:
    """The people behind one heatmap cell, within the reader's scope: those in
    the unit (and, for a unit at ``depth``, below it) holding the column's skill,
    or any skill of the column's top-level group, at ``level`` or above.
    Raises LookupError for an unknown unit or column."""
    unit = OrgUnit.objects.filter(pk=unit_id).first()
    if unit is None or column[:1] not in ("g", "s") or not column[1:].isdigit():
        raise LookupError(column)
    column_id = int(column[1:])
    if column[0] == "s":
        skill = Skill.objects.filter(pk=column_id).first()
        if skill is None:
            raise LookupError(column)
        label, held = skill.name, Q(skill_id=column_id)
    elif column_id == UNGROUPED:
        label, held = "Skills in no group", Q(skill__group__isnull=True)
    else:
        roots = top_groups()
        members = [g for g, (root, _) in roots.items() if root == column_id]
        if column_id not in roots or roots[column_id][0] != column_id:
            raise LookupError(column)
        label, held = roots[column_id][1], Q(skill__group_id__in=members)
    if unit.depth < depth:
        where = Q(org_unit=unit)  # a shallower unit's own row holds only its own people
    else:
        where = Q(org_unit__path=unit.path) | Q(org_unit__path__startswith=unit.path + "/")
    holders = PersonSkill.objects.filter(held, level__gte=level).values("person_id")
    people = (
        people_in_scope(user)
        .filter(where, pk__in=holders)
        .select_related("org_unit")
        .order_by("full_name", "pk")
    )
    return unit, label, people


def group_skill_ids(root_id: int, *, limit: int = MAX_CHOSEN_SKILLS) -> list[int]:
    """The active skills under top-level group ``root_id`` (at most ``limit``, by
    name): the columns when a reader picks "skills in this group"."""
    members = [g for g, (root, _) in top_groups().items() if root == root_id]
    return list(
        Skill.objects.filter(group_id__in=members, status="active")
        .order_by("name", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def root_group_choices() -> list[tuple[int, str]]:
    return sorted(
        {(root, name) for root, name in top_groups().values()}, key=lambda c: (c[1].lower(), c[0])
    )


# Five bands for the heatmap's colour, lightest (nobody) to darkest (the most in
# any cell); every cell also shows its number, so the colour is never the only cue.
BANDS = [
    ("None", "#f3f2f1", "#0b0c0c"),
    ("Few", "#d2e2f1", "#0b0c0c"),
    ("Some", "#8eb8dc", "#0b0c0c"),
    ("Many", "#1d70b8", "#ffffff"),
    ("Most", "#003078", "#ffffff"),
]


def band(count: int, peak: int) -> int:
    """0 for nobody; otherwise 1-4 by quarter of the largest cell."""
    if count <= 0 or peak <= 0:
        return 0
    return min(4, 1 + (4 * (count - 1)) // peak)
