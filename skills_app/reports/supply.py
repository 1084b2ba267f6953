"""Supply and demand per role profile (issue 7, item 2), from the matching index.

For each role profile (every role in the library, or the roles of one surge
scenario): how many people qualify now (match score S >= threshold, DESIGN.md
section 4 rules 1-4, essentials and prior roles not applied), how many more
would with one level of training in one skill (some requirement's effective
level raised by 1, capped at the required level's credit of 1), and the
departments the qualifying people sit in. Scores come from the same index and
engine the search uses (``current_index()``, the engine's scores and effective
levels), so a report and a search agree. At 500,000 people and 300 roles that
is one pass over everyone's scores per role; the training gains are computed
only for the people close enough to the threshold for one level to matter.

HR, administrators and planners count everyone; a line manager their team.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from django.utils import timezone

from matching.engine import Requirement
from skills_app.accounts.permissions import Cap, has_cap
from skills_app.matching_adapter import current_index
from skills_app.reports.selectors import Scope, scope_mask
from skills_app.roles.models import RoleProfile, RoleRequirement

EPSILON = 1e-9
DEFAULT_THRESHOLD = 0.8
TOP_UNITS = 3


@dataclass
class SupplyRow:
    code: str
    title: str
    qualify: int
    one_level_away: int
    units: list[tuple[str, int]] = field(default_factory=list)  # (department, qualifying)
    headcount: int | None = None  # demand, when read from a surge scenario


@dataclass
class SupplyReport:
    scope: Scope
    threshold: float
    people: int  # people counted
    rows: list[SupplyRow]


def supply_scope(user) -> Scope | None:
    if has_cap(user, Cap.REPORT_ALL, Cap.REPORT_SCENARIO):
        return Scope.ALL
    if has_cap(user, Cap.REPORT_TEAM):
        return Scope.TEAM
    return None


def role_supply(index, requirements_db, as_of: int, threshold: float, mask):
    """(positions that qualify, positions one level of training away), sorted.

    Training one level in one requirement raises that requirement's credit by at
    most 1, so the score by at most ``weight / total weight``: only people below the
    threshold by no more than the largest such step can be one level away. One pass
    over everyone's scores finds them and the people who qualify; the gains are then
    computed for those candidates alone, with the same arithmetic, element by element,
    as for everyone."""
    n = len(index.person_ids)
    workforce = index.workforce
    total_weight = sum(float(r.weight) for r in requirements_db)
    present = [r for r in requirements_db if r.skill_id in index.skill_column]
    engine_reqs = [
        Requirement(index.skill_column[r.skill_id], r.level, float(r.weight), r.essential)
        for r in present
    ]
    if engine_reqs:
        score, _ = workforce.scores(engine_reqs, as_of, essentials=False)  # not applied here
        # The engine divides by the weights of the skills it knows; rescale to all
        # (x * 1.0 == x: nothing to do when it knows them all).
        scale = sum(r.weight for r in engine_reqs) / total_weight
        if scale != 1.0:
            score = score * scale
    else:
        score = np.zeros(n, dtype=np.float64)
    bar = threshold - EPSILON
    # best gain <= max(weight) / total_weight in floating point too (each gain is
    # weight * (a difference of credits in [0, 1]) / total_weight, rounding monotonic);
    # the margin covers the rounding of score + step, which decides below.
    largest_step = max(float(r.weight) / total_weight for r in requirements_db)
    within_reach = np.flatnonzero(score >= bar - largest_step - 1e-12)
    if mask is not None:
        within_reach = within_reach[mask[within_reach]]
    reach_score = score[within_reach]
    qualifies = reach_score >= bar
    candidates = within_reach[~qualifies & (reach_score + largest_step >= bar)]
    best_gain = np.zeros(len(candidates), dtype=np.float64)
    if len(candidates):
        for requirement in engine_reqs:
            effective = workforce.effective_levels_at(requirement, as_of, candidates)
            credit = np.minimum(1.0, effective / requirement.level)
            trained = np.minimum(1.0, np.minimum(effective + 1, 4) / requirement.level)
            np.maximum(
                best_gain, requirement.weight * (trained - credit) / total_weight, out=best_gain
            )
        for r in requirements_db:
            if r.skill_id not in index.skill_column:  # nobody holds it: training 0 -> 1
                np.maximum(
                    best_gain, float(r.weight) * min(1.0, 1 / r.level) / total_weight, out=best_gain
                )
    near = candidates[score[candidates] + best_gain >= bar]
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


def supply_and_demand(*, user, threshold: float = DEFAULT_THRESHOLD, scenario=None, today=None):
    scope = supply_scope(user)
    index = current_index()
    mask = scope_mask(index, user, scope)
    as_of = (today or timezone.localdate()).toordinal()
    departments = [path.split("/", 1)[0] for path in index.org_unit_paths]
    unit_of = index.workforce.people.org_unit
    n_units = len(departments)
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
