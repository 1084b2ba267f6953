"""Capability reports (issue 7): the figures.

Every report is scoped to what its reader may see (DESIGN.md section 8): HR and
administrators (``Cap.REPORT_ALL``) see the whole organisation, a line manager
(``Cap.REPORT_TEAM``) only their team (direct and indirect reports, see
``skills_app.people.team``). ``people_in_scope`` is the one place that decides.

Data quality, the capability heatmap and the people behind a heatmap cell count
from the matching index (``skills_app.index.adapter.current_index()``, kept
fresh on every call): who sits in which unit, when they last reviewed their
profile and every person skill's level and evidence are already there as
arrays, so a report is a few numpy counts per unit. At 500,000 people and 7.5
million person skills that takes 0.2-1.2 s, where the same ``GROUP BY org_unit``
aggregates in PostgreSQL take 8-13 s (``benchmarks/report_bench.py``); the price
is that a process's first report builds the index if no search has (about 40 s
at that size). What the index does not hold is read from the database: org unit
paths (units are renamed without a change to the index), skill groups,
qualifications, the exact time of the reviews that fall on the 12-month
cut-off's own day (the index keeps dates), and a drill-down's names and order.
Rolling org units up to a chosen depth of the tree is a sum over units in
Python (there are thousands of units, not millions), using the materialised
``OrgUnit.path``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
from django.db import connection
from django.db.models import BooleanField, Count, Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from matching import rules
from matching.engine import EVIDENCE_CODES
from skills_app.accounts.permissions import Cap, has_cap
from skills_app.index.adapter import WorkforceIndex, current_index
from skills_app.people.models import EvidenceKind, OrgUnit, Person, PersonSkill, Qualification
from skills_app.people.team import team_queryset, viewer_person
from taxonomy.models import Skill, SkillGroup, Source

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


# --- counting over the matching index ------------------------------------------------


def scope_mask(index: WorkforceIndex, user, scope: Scope) -> np.ndarray | None:
    """Which of the index's people ``user``'s reports count (bool per position), or
    None for everyone."""
    if scope == Scope.ALL:
        return None
    ids = np.fromiter(people_in_scope(user).values_list("pk", flat=True), dtype=np.int64)
    return np.isin(index.person_ids, ids)


def _counted(in_scope: np.ndarray | None, rows: np.ndarray, keep: np.ndarray | None):
    """Which of the entries at ``rows`` count: in scope and not replaced by the patch
    (None: all of them)."""
    if in_scope is None:
        return keep
    return in_scope[rows] if keep is None else in_scope[rows] & keep


def _positions(index: WorkforceIndex, person_ids) -> np.ndarray:
    """Index positions of ``person_ids`` (those the index does not hold are left out)."""
    ids = np.asarray(person_ids, dtype=np.int64)
    at = np.minimum(np.searchsorted(index.person_ids, ids), max(0, len(index.person_ids) - 1))
    found = index.person_ids[at] == ids if len(index.person_ids) else np.zeros(len(ids), bool)
    return at[found]


def _unit_paths(index: WorkforceIndex, units: np.ndarray) -> dict[int, str]:
    """{index unit: OrgUnit.path} for ``units``, read afresh (a rename is no change to
    the index)."""
    ids = {int(index.org_unit_ids[u]): int(u) for u in units}
    return {
        ids[pk]: path for pk, path in OrgUnit.objects.filter(pk__in=ids).values_list("pk", "path")
    }


def _reviewed_mask(index: WorkforceIndex, today: dt.date) -> np.ndarray:
    """Who has a fresh profile on ``today`` (bool per position): rule 10's
    freshness over the review days the index holds (``Workforce.profile_stale``'s
    cut-off, ``rules.stale_review_cutoff``)."""
    cutoff = rules.stale_review_cutoff(today).toordinal()
    return index.workforce.people.reviewed_at > cutoff


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
    # Draft skills (DESIGN 9): drafts the person confirmed (they keep their source) and
    # drafts still waiting for the person.
    drafts_confirmed: int = 0
    drafts_outstanding: int = 0

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


def _draft_counts(index: WorkforceIndex, people, scope: Scope) -> tuple[list[int], list[int]]:
    """Per index unit: (drafts confirmed, drafts outstanding), in one grouped query.
    A confirmed draft is a skill with a source whose evidence is no longer
    "inferred"; the index cannot tell (it keeps evidence, not sources), so this
    one reads the database."""
    n_units = len(index.org_unit_ids)
    confirmed, outstanding = [0] * n_units, [0] * n_units
    # Every draft has a source (the write path sets one): the partial index
    # personskill_sourced holds exactly these rows.
    rows = PersonSkill.objects.exclude(source="")
    if scope != Scope.ALL:
        rows = rows.filter(person__in=people.values("pk"))
    counts = (
        rows.order_by()
        .values_list("person__org_unit_id")
        .annotate(
            confirmed=Count("pk", filter=~Q(evidence=EvidenceKind.INFERRED)),
            outstanding=Count("pk", filter=Q(evidence=EvidenceKind.INFERRED)),
        )
    )
    position = {int(pk): u for u, pk in enumerate(index.org_unit_ids.tolist())}
    for unit_id, n_confirmed, n_outstanding in counts:
        u = position.get(unit_id)
        if u is not None:
            confirmed[u] += n_confirmed
            outstanding[u] += n_outstanding
    return confirmed, outstanding


def data_quality(*, user, depth: int | None = None, now=None) -> QualityReport:
    """Data quality per org unit (rolled up to ``depth`` when given), worst
    first: lowest ``score``, then most expired qualifications, then path."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    scope = report_scope(user)
    report = QualityReport(scope=scope, depth=depth)
    if scope is None:
        return report
    people = people_in_scope(user)
    index = current_index()
    in_scope = scope_mask(index, user, scope)
    unit = index.workforce.people.org_unit
    n_units = len(index.org_unit_ids)

    everyone = np.ones(len(index.person_ids), dtype=bool) if in_scope is None else in_scope

    def per_unit(mask: np.ndarray) -> list[int]:
        return np.bincount(unit[mask], minlength=n_units).tolist()

    headcount = per_unit(everyone)
    reviewed = per_unit(everyone & _reviewed_mask(index, today))
    verified_code = np.zeros(max(EVIDENCE_CODES.values()) + 1, dtype=bool)
    verified_code[[EVIDENCE_CODES[str(kind)] for kind in VERIFIED_EVIDENCE]] = True
    skills = np.zeros(n_units, dtype=np.int64)
    verified = np.zeros(n_units, dtype=np.int64)
    holds = np.zeros(len(index.person_ids), dtype=bool)
    for rows, _, evidence, _, keep in index.workforce.skill_parts():
        counted = _counted(in_scope, rows, keep)
        if counted is not None:
            rows, evidence = rows[counted], evidence[counted]
        entry_unit = unit[rows]
        skills += np.bincount(entry_unit, minlength=n_units)
        verified += np.bincount(entry_unit[verified_code[evidence]], minlength=n_units)
        holds[rows] = True
    skills, verified = skills.tolist(), verified.tolist()
    with_skills = per_unit(holds)
    qualifications = Qualification.objects.filter(expires__lt=today)
    if scope != Scope.ALL:
        qualifications = qualifications.filter(person__in=people.values("pk"))
    expired_rows = list(qualifications.order_by().values_list("person_id").annotate(n=Count("pk")))
    expired = [0] * n_units
    if expired_rows:
        ids, counts = zip(*expired_rows, strict=True)
        ids = np.asarray(ids, dtype=np.int64)
        at = np.minimum(np.searchsorted(index.person_ids, ids), len(index.person_ids) - 1)
        found = index.person_ids[at] == ids
        expired = np.bincount(
            unit[at[found]], np.asarray(counts, dtype=np.int64)[found], minlength=n_units
        )
        expired = expired.astype(np.int64).tolist()
    drafts_confirmed, drafts_outstanding = _draft_counts(index, people, scope)

    present = np.flatnonzero(np.asarray(headcount) > 0)
    paths = _unit_paths(index, present)
    rolled: dict[str, QualityRow] = {}
    for u in present.tolist():
        key = rollup_path(paths[u], depth)
        target = rolled.setdefault(key, QualityRow(unit=key))
        for total in (target, report.total):
            total.people += headcount[u]
            total.reviewed += reviewed[u]
            total.skills += skills[u]
            total.verified += verified[u]
            total.with_skills += with_skills[u]
            total.expired_qualifications += expired[u]
            total.drafts_confirmed += drafts_confirmed[u]
            total.drafts_outstanding += drafts_outstanding[u]
    report.rows = sorted(
        rolled.values(), key=lambda r: (r.score, -r.expired_qualifications, r.unit)
    )
    return report


def org_depths(user) -> list[int]:
    """The depths of the org tree the reader's people sit at or under (for the
    "group by" choice): 0 .. the deepest unit holding one of them."""
    scope = report_scope(user)
    if scope is None:
        return []
    people = Person.objects.all() if scope == Scope.ALL else people_in_scope(user)
    deepest = (
        OrgUnit.objects.filter(Exists(people.filter(org_unit=OuterRef("pk"))))
        .order_by("-depth")
        .values_list("depth", flat=True)
        .first()
    )
    return list(range(0, min(deepest, MAX_DEPTH) + 1)) if deepest is not None else []


# --- capability heatmap ----------------------------------------------------------------

MAX_CHOSEN_SKILLS = 30
# Frameworks in the order their columns come: the department's own first.
SOURCE_ORDER = (Source.LOCAL, Source.DDAT, Source.ESCO, Source.ONET)
UNGROUPED_LABELS = {
    Source.LOCAL: "Department skills",
    Source.DDAT: "DDaT skills in no role family",
    Source.ESCO: "ESCO skills in no group",
    Source.ONET: "O*NET skills in no group",
}


def _source_rank(source: str | None) -> int:
    return SOURCE_ORDER.index(source) if source in SOURCE_ORDER else len(SOURCE_ORDER)


@dataclass(frozen=True)
class Column:
    key: str  # "g<id>": a top-level skill group; "s<id>": one skill; "u<source>": the
    # source's skills in no group
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


def _held_pairs(
    index: WorkforceIndex,
    column_of: np.ndarray,
    width: int,
    level: int,
    in_scope: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """(person positions, report columns): one pair per person in scope and report
    column (``column_of``: index column -> report column, -1 for none) in which they
    hold a skill at ``level`` or above, however many of its skills they hold."""
    n_people = len(index.person_ids)
    chosen = np.flatnonzero(column_of >= 0)
    # A dense people x columns mask when it is small, else unique keys.
    dense = n_people * width <= 2**27
    held = np.zeros(n_people * width if dense else 0, dtype=bool)
    keys = []
    for rows, levels, _, indptr, keep in index.workforce.skill_parts():
        if len(chosen) <= 64:  # a few columns: their slices only
            spans = [np.arange(indptr[c], indptr[c + 1]) for c in chosen]
            at = np.concatenate([*spans, np.zeros(0, np.int64)])
            target = np.repeat(column_of[chosen], np.diff(indptr)[chosen])
            rows, levels = rows[at], levels[at]
            keep = None if keep is None else keep[at]
        else:
            target = np.repeat(column_of[: len(indptr) - 1], np.diff(indptr))
        counted = (target >= 0) & (levels >= level)
        scoped = _counted(in_scope, rows, keep)
        if scoped is not None:
            counted &= scoped
        key = rows[counted].astype(np.int64) * width + target[counted]
        if dense:
            held[key] = True
        else:
            keys.append(key)
    pairs = (
        np.flatnonzero(held) if dense else np.unique(np.concatenate([*keys, np.zeros(0, np.int64)]))
    )
    return np.divmod(pairs, width)


def _index_columns(index: WorkforceIndex, skill_to_column: dict[int, int]) -> np.ndarray:
    """index column -> report column (-1: not counted), from {Skill.pk: report column}."""
    column_of = np.full(len(index.skill_ids), -1, dtype=np.int32)
    for pk, number in skill_to_column.items():
        at = index.skill_column.get(pk)
        if at is not None:
            column_of[at] = number
    return column_of


def _pk_among(model, ids: np.ndarray):
    """A filter: ``model``'s primary key is one of ``ids``, passed as one parameter
    however many there are (an IN list of 100,000 placeholders is past PostgreSQL's
    limit of 65,535; ``= ANY(array)`` is also a hashed look-up there)."""
    listed = ",".join(np.asarray(ids, dtype=np.int64).astype(str).tolist())
    qn = connection.ops.quote_name
    column = f"{qn(model._meta.db_table)}.{qn(model._meta.pk.column)}"
    if connection.vendor == "postgresql":  # one text parameter: far cheaper to adapt
        sql, params = f"{column} = ANY(%s::bigint[])", ["{" + listed + "}"]
    elif connection.vendor == "sqlite":
        sql = f"{column} IN (SELECT value FROM json_each(%s))"  # noqa: S608 (names from the model)
        params = ["[" + listed + "]"]
    else:
        return Q(pk__in=[int(pk) for pk in ids])
    return RawSQL(sql, params, output_field=BooleanField())  # noqa: S611 (names from the model)


def capability_heatmap(
    *, user, depth: int = 0, level: int = 3, skill_ids: list[int] | None = None
) -> Heatmap:
    """People at or above ``level`` per org unit (rolled up to ``depth``) and per
    column: each top-level skill group, or each of ``skill_ids`` when given.
    A person counts once in a cell however many of the group's skills they hold.

    Columns come by framework (the department's own, then DDaT's role families,
    then ESCO's and O*NET's groups), each framework's groups by name and then its
    skills in no group ("Department skills", "ESCO skills in no group"); a "no
    group" column appears only when someone counts in it."""
    scope = report_scope(user)
    if skill_ids:
        skills = list(Skill.objects.filter(pk__in=skill_ids).order_by("name", "pk"))
        columns = [Column(key=f"s{s.pk}", label=s.name) for s in skills]
        column_of_skill = {s.pk: number for number, s in enumerate(skills)}
        width = len(columns)
    else:
        roots = top_groups()
        sources = dict(
            SkillGroup.objects.filter(pk__in={r for r, _ in roots.values()}).values_list(
                "pk", "source"
            )
        )
        names = {root_id: name for root_id, name in roots.values()}
        ordered = sorted(
            {root_id for root_id, _ in roots.values()},
            key=lambda r: (_source_rank(sources.get(r)), names[r].lower(), r),
        )
        # Each framework's groups by name, then its skills in no group.
        columns, number, ungrouped = [], {}, {}
        for rank in range(len(SOURCE_ORDER) + 1):
            for root_id in ordered:
                if _source_rank(sources.get(root_id)) == rank:
                    number[root_id] = len(columns)
                    columns.append(Column(key=f"g{root_id}", label=names[root_id]))
            if rank < len(SOURCE_ORDER):
                source = SOURCE_ORDER[rank]
                ungrouped[source] = len(columns)
                columns.append(Column(key=f"u{source}", label=UNGROUPED_LABELS[source]))
        column_of_skill = {
            pk: ungrouped[source] if group_id is None else number[roots[group_id][0]]
            for pk, group_id, source in Skill.objects.values_list(
                "pk", "group_id", "source"
            ).iterator(10_000)
        }
        width = len(columns)
    if scope is None:
        return Heatmap(
            scope=scope,
            depth=depth,
            level=level,
            columns=[c for c in columns if not c.key.startswith("u")],
            rows=[],
        )

    index = current_index()
    in_scope = scope_mask(index, user, scope)
    unit = index.workforce.people.org_unit
    n_units = len(index.org_unit_ids)
    column_of = _index_columns(index, column_of_skill)
    person, column = _held_pairs(index, column_of, width, level, in_scope)
    cells = np.bincount(unit[person] * width + column, minlength=n_units * width)
    cells = cells.reshape(n_units, width)
    # The "no group" columns only when someone counts in them.
    shown = [n for n, c in enumerate(columns) if not c.key.startswith("u") or cells[:, n].any()]
    columns = [columns[n] for n in shown]
    cells = cells[:, shown]
    headcount = np.bincount(unit if in_scope is None else unit[in_scope], minlength=n_units)
    present = np.flatnonzero(headcount)
    unit_paths = _unit_paths(index, present)
    rolled, targets = _rollup_units(unit_paths, depth)
    rows: dict[str, HeatmapRow] = {}
    for u in present.tolist():
        path = rolled[u]
        row = rows.get(path)
        if row is None:
            row = rows[path] = HeatmapRow(
                unit_id=targets[path]["pk"], unit=path, people=0, cells=[0] * len(columns)
            )
        row.people += int(headcount[u])
        for number, count in enumerate(cells[u].tolist()):
            row.cells[number] += count
    return Heatmap(
        scope=scope,
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
    if unit is None:
        raise LookupError(column)
    if column[:1] == "u" and column[1:] in UNGROUPED_LABELS:
        label, held = UNGROUPED_LABELS[column[1:]], Q(group__isnull=True, source=column[1:])
    elif column[:1] not in ("g", "s") or not column[1:].isdigit():
        raise LookupError(column)
    elif column[0] == "s":
        column_id = int(column[1:])
        skill = Skill.objects.filter(pk=column_id).first()
        if skill is None:
            raise LookupError(column)
        label, held = skill.name, Q(pk=column_id)
    else:
        column_id = int(column[1:])
        roots = top_groups()
        members = [g for g, (root, _) in roots.items() if root == column_id]
        if column_id not in roots or roots[column_id][0] != column_id:
            raise LookupError(column)
        label, held = roots[column_id][1], Q(group_id__in=members)
    if unit.depth < depth:
        where = Q(org_unit=unit)  # a shallower unit's own row holds only its own people
    else:
        where = Q(org_unit__path=unit.path) | Q(org_unit__path__startswith=unit.path + "/")
    scope = report_scope(user)
    if scope is None:
        return unit, label, Person.objects.none()
    # Who holds the column's skills, from the matching index (a scan of every person
    # skill in SQL); the unit, the scope and the order from the database.
    index = current_index()
    skills = Skill.objects.filter(held).values_list("pk", flat=True)
    column_of = _index_columns(index, dict.fromkeys(skills, 0))
    units = OrgUnit.objects.filter(
        Q(pk=unit.pk)
        if unit.depth < depth
        else Q(path=unit.path) | Q(path__startswith=unit.path + "/")
    ).values_list("pk", flat=True)
    in_units = np.isin(index.org_unit_ids, np.fromiter(units, dtype=np.int64))
    in_scope = in_units[index.workforce.people.org_unit]
    scoped = scope_mask(index, user, scope)
    if scoped is not None:
        in_scope &= scoped
    holders, _ = _held_pairs(index, column_of, 1, level, in_scope)
    people = (
        people_in_scope(user)
        .filter(where, _pk_among(Person, index.person_ids[holders]))
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
