"""The ready-reserve report (DESIGN 10): how big the reserve is, where it sits
(per org unit, rolled up to a chosen level as the other reports do), at what
notice, and which skills it holds most.

A member counts when their line manager agreed, they have not withdrawn, and
their offer has not run out (on call today or later). Counts only: no one is
named, so the page writes no per-person audit rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from skills_app.moves.models import ReserveMembership, ReserveNotice
from skills_app.people.models import EvidenceKind, PersonSkill
from skills_app.reports.selectors import rollup_path

TOP_SKILLS = 20


@dataclass
class UnitRow:
    unit: str
    members: int = 0
    on_call_now: int = 0


@dataclass
class ReserveReport:
    depth: int | None
    total: int = 0
    on_call_now: int = 0
    units: list[UnitRow] = field(default_factory=list)
    notices: list[tuple[str, int]] = field(default_factory=list)
    skills: list[dict] = field(default_factory=list)


def members(today: dt.date):
    return ReserveMembership.objects.filter(
        agreed_at__isnull=False, withdrawn_at__isnull=True, available_until__gte=today
    )


def reserve_report(
    *, depth: int | None = None, today: dt.date | None = None, top: int = TOP_SKILLS
) -> ReserveReport:
    today = today or timezone.localdate()
    current = members(today)
    report = ReserveReport(depth=depth)
    by_unit: dict[str, UnitRow] = {}
    rows = current.values_list("person__org_unit__path", "available_from")
    for path, available_from in rows:
        key = rollup_path(path, depth)
        row = by_unit.setdefault(key, UnitRow(unit=key))
        row.members += 1
        report.total += 1
        if available_from <= today:
            row.on_call_now += 1
            report.on_call_now += 1
    report.units = sorted(by_unit.values(), key=lambda r: (-r.members, r.unit))
    notice_counts = dict(current.values_list("notice").annotate(n=Count("pk")))
    report.notices = [
        (label, notice_counts.get(value, 0)) for value, label in ReserveNotice.choices
    ]
    held = (
        PersonSkill.objects.filter(person__reserve__in=current)
        .exclude(evidence=EvidenceKind.INFERRED)
        .values("skill_id", "skill__name")
        .annotate(
            people=Count("person", distinct=True),
            at_level_3=Count("person", distinct=True, filter=Q(level__gte=3)),
        )
        .order_by("-people", "skill__name")[:top]
    )
    report.skills = [
        {"name": h["skill__name"], "people": h["people"], "at_level_3": h["at_level_3"]}
        for h in held
    ]
    return report
