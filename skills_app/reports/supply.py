"""Supply and demand per role profile (issue 7, item 2), from the matching index.

For each role profile (every role in the library, or the roles of one surge
scenario): how many people qualify now (match score S >= threshold, DESIGN.md
section 4 rules 1-4, essentials and prior roles not applied), how many more
would with one level of training in one skill (some requirement's effective
level raised by 1, capped at the required level's credit of 1), and the
departments the qualifying people sit in. Scores come from the same index and
engine the search uses (``current_index()``, ``Workforce.scores``,
``Workforce.effective_levels``), so a report and a search agree.

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
from skills_app.people.team import team_queryset, viewer_person
from skills_app.reports.selectors import Scope
from skills_app.roles.models import RoleProfile

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


def _scope_mask(index, user, scope) -> np.ndarray | None:
    if scope == Scope.ALL:
        return None
    ids = []
    if scope == Scope.TEAM:
        ids = list(team_queryset(manager=viewer_person(user)).values_list("pk", flat=True))
    return np.isin(index.person_ids, np.asarray(ids, dtype=index.person_ids.dtype))


def role_supply(index, requirements_db, as_of: int, threshold: float, mask):
    """(qualify mask, one-level-away mask) over every position in the index."""
    n = len(index.person_ids)
    total_weight = sum(float(r.weight) for r in requirements_db)
    score = np.zeros(n, dtype=np.float64)
    best_gain = np.zeros(n, dtype=np.float64)
    present = [r for r in requirements_db if r.skill_id in index.skill_column]
    engine_reqs = [
        Requirement(index.skill_column[r.skill_id], r.level, float(r.weight), r.essential)
        for r in present
    ]
    if engine_reqs:
        score, _ = index.workforce.scores(engine_reqs, as_of)
        # The engine divides by the weights of the skills it knows; rescale to all.
        score = score * (sum(r.weight for r in engine_reqs) / total_weight)
    for requirement in engine_reqs:
        effective = index.workforce.effective_levels(requirement, as_of)
        credit = np.minimum(1.0, effective / requirement.level)
        trained = np.minimum(1.0, np.minimum(effective + 1, 4) / requirement.level)
        np.maximum(best_gain, requirement.weight * (trained - credit) / total_weight, out=best_gain)
    for r in requirements_db:
        if r.skill_id not in index.skill_column:  # nobody holds it: training 0 -> 1
            np.maximum(
                best_gain, float(r.weight) * min(1.0, 1 / r.level) / total_weight, out=best_gain
            )
    qualify = score >= threshold - EPSILON
    near = ~qualify & (score + best_gain >= threshold - EPSILON)
    if mask is not None:
        qualify &= mask
        near &= mask
    return qualify, near


def supply_and_demand(*, user, threshold: float = DEFAULT_THRESHOLD, scenario=None, today=None):
    scope = supply_scope(user)
    index = current_index()
    mask = _scope_mask(index, user, scope)
    as_of = (today or timezone.localdate()).toordinal()
    departments = [path.split("/", 1)[0] for path in index.org_unit_paths]
    unit_of = index.workforce.people.org_unit
    if scenario is not None:
        demand = Counter()
        for line in scenario.lines.all():
            demand[line.role_profile_id] += line.headcount
        roles = RoleProfile.objects.filter(pk__in=demand)
    else:
        demand, roles = None, RoleProfile.objects.all()
    rows = []
    for role in roles.prefetch_related("requirements").order_by("title", "pk"):
        requirements = list(role.requirements.all())
        if not requirements:
            continue
        qualify, near = role_supply(index, requirements, as_of, threshold, mask)
        where = Counter(departments[u] for u in unit_of[qualify])
        rows.append(
            SupplyRow(
                code=role.code,
                title=role.title,
                qualify=int(qualify.sum()),
                one_level_away=int(near.sum()),
                units=sorted(where.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_UNITS],
                headcount=demand[role.pk] if demand is not None else None,
            )
        )
    people = len(index.person_ids) if mask is None else int(mask.sum())
    return SupplyReport(scope=scope, threshold=threshold, people=people, rows=rows)
