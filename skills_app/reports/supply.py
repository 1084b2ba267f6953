"""Supply and demand per role profile (issue 7, item 2), from the matching index.

For each role profile (every role in the library, or the roles of one surge
scenario): how many people qualify now by score (DESIGN.md section 4 rule 7's
"by score": S >= threshold; essentials and prior roles not applied), how many
more would with one level of training in one skill (some requirement's
effective level raised by 1), and the units (at the level of the tree the reader
picks) the qualifying people sit in. Both come from the engine's one evaluation
over the index the search uses (``current_index()``, ``Workforce.evaluate``), so a
report and a search agree.
At 500,000 people and 300 roles that is one pass over everyone's scores per
role; the training gains are computed only for the people close enough to the
threshold for one level to matter.

HR, administrators and planners count everyone; a line manager their team.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from django.utils import timezone

from matching.engine import QUALIFIES_BY_SCORE, Requirement
from matching.rules import DEFAULT_THRESHOLD, EPSILON
from skills_app.accounts.permissions import Cap, has_cap
from skills_app.index.adapter import current_index
from skills_app.people.models import OrgUnit
from skills_app.reports.selectors import Scope, rollup_path, scope_mask
from skills_app.roles.models import RoleProfile, RoleRequirement

TOP_UNITS = 3


@dataclass
class SupplyRow:
    code: str
    title: str
    qualify: int
    one_level_away: int
    units: list[tuple[str, int]] = field(default_factory=list)  # (unit at depth, qualifying)
    headcount: int | None = None  # demand, when read from a surge scenario


@dataclass
class SupplyReport:
    scope: Scope
    threshold: float
    people: int  # people counted
    rows: list[SupplyRow]


def _current_paths(index) -> list[str]:
    """Each index unit's path as the database has it now (a rename is no change to
    the index), falling back to the index's own copy."""
    fresh = dict(OrgUnit.objects.values_list("pk", "path"))
    return [
        fresh.get(int(pk), path)
        for pk, path in zip(index.org_unit_ids, index.org_unit_paths, strict=True)
    ]


def supply_scope(user) -> Scope | None:
    if has_cap(user, Cap.REPORT_ALL, Cap.REPORT_SCENARIO):
        return Scope.ALL
    if has_cap(user, Cap.REPORT_TEAM):
        return Scope.TEAM
    return None


def role_supply(index, requirements_db, as_of: dt.date, threshold: float, mask):
    """(positions that qualify by score, positions one level of training away), sorted.

    Both come from the engine's one evaluation (``Workforce.evaluate``): rule 7's
    "qualifies by score" (prior roles are not skills supply, so they are not
    applied) and its one-level training gain. Training one level in one
    requirement raises the score by at most ``weight / total weight``, so only
    people within that of the threshold are asked for their gain."""
    workforce = index.workforce
    # A skill nobody held when the index was built has no column: it still counts
    # in the total weight, and one level of training in it is a gain like any other.
    requirements = [
        Requirement(index.skill_column.get(r.skill_id, -1), r.level, float(r.weight), r.essential)
        for r in requirements_db
    ]
    evaluation = workforce.evaluate(
        requirements, as_of=as_of, threshold=threshold, with_prior_roles=False
    )
    score = evaluation.score
    bar = threshold - EPSILON
    total_weight = sum(r.weight for r in requirements)
    # The margin covers the rounding of score + step, which decides below.
    largest_step = max(r.weight for r in requirements) / total_weight
    within_reach = np.flatnonzero(score >= bar - largest_step - 1e-12)
    if mask is not None:
        within_reach = within_reach[mask[within_reach]]
    qualifies = evaluation.qualifies[within_reach] == QUALIFIES_BY_SCORE
    candidates = within_reach[~qualifies & (score[within_reach] + largest_step >= bar)]
    near = candidates[score[candidates] + evaluation.one_level_gain(candidates) >= bar]
    return within_reach[qualifies], near


@dataclass(frozen=True, slots=True)
class _Requirement:
    skill_id: int
    level: int
    weight: float
    essential: bool


def _requirements(roles) -> dict[int, list[_Requirement]]:
    """{role id: its requirements}, in ``RoleRequirement``'s own order (the order
    the scores are summed in), read as plain values."""
    found: dict[int, list[_Requirement]] = {}
    rows = (
        RoleRequirement.objects.filter(role__in=roles)
        .order_by(*RoleRequirement._meta.ordering)
        .values_list("role_id", "skill_id", "level", "weight", "essential")
    )
    for role_id, *values in rows:
        found.setdefault(role_id, []).append(_Requirement(*values))
    return found


def supply_and_demand(
    *,
    user,
    threshold: float = DEFAULT_THRESHOLD,
    scenario=None,
    today=None,
    depth: int = 0,
    unit: str = "",
):
    """One row per role. "Where they sit" names the units at ``depth`` of the tree
    (0: departments) holding the most people who match. ``unit`` (part of a unit's
    path, any case) counts only the people in the units whose path holds it."""
    scope = supply_scope(user)
    index = current_index()
    mask = scope_mask(index, user, scope)
    as_of = today or timezone.localdate()
    paths = _current_paths(index)
    departments = [rollup_path(path, depth) for path in paths]
    unit_of = index.workforce.people.org_unit
    n_units = len(departments)
    if unit:
        wanted = unit.casefold()
        in_unit = np.array([wanted in path.casefold() for path in paths], dtype=bool)
        in_unit = in_unit[unit_of] if n_units else np.zeros(len(unit_of), dtype=bool)
        mask = in_unit if mask is None else mask & in_unit
    if scenario is not None:
        demand = Counter()
        for line in scenario.lines.all():
            demand[line.role_profile_id] += line.headcount
        roles = RoleProfile.objects.filter(pk__in=demand)
    else:
        demand, roles = None, RoleProfile.objects.all()
    rows = []
    roles = list(roles.order_by("title", "pk"))
    requirements_of = _requirements([role.pk for role in roles])
    for role in roles:
        requirements = requirements_of.get(role.pk)
        if not requirements:
            continue
        qualify, near = role_supply(index, requirements, as_of, threshold, mask)
        where = Counter()
        per_unit = np.bincount(unit_of[qualify], minlength=n_units)
        for u in np.flatnonzero(per_unit).tolist():
            where[departments[u]] += int(per_unit[u])
        rows.append(
            SupplyRow(
                code=role.code,
                title=role.title,
                qualify=len(qualify),
                one_level_away=len(near),
                units=sorted(where.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_UNITS],
                headcount=demand[role.pk] if demand is not None else None,
            )
        )
    people = len(index.person_ids) if mask is None else int(mask.sum())
    return SupplyReport(scope=scope, threshold=threshold, people=people, rows=rows)
