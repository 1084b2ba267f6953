"""Reads that feed the surge pages and exports.

Everything the results page shows comes from the scenario's stored ``result``
(written by ``services.scenario_solve``) and its allocations; nothing is solved or
scored here. The chart's geometry is worked out here too, so its template only
places what it is given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, IntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, reverse

from matching.surge import release_caps
from skills_app.core.presenters import percent_label, percent_number
from skills_app.people.models import Person
from skills_app.people.selectors import org_level_choices
from skills_app.roles.models import RoleProfile
from skills_app.surge.models import (
    Allocation,
    DemandLine,
    QualifiesBy,
    ScenarioStatus,
    SurgeScenario,
)
from skills_app.surge.services import REASON_TEXT
from taxonomy.models import LEVEL_NAMES

ALLOCATIONS_PER_PAGE = 50
UNITS_PER_PAGE = 25
STATUS_TAGS = {
    ScenarioStatus.DRAFT: "govuk-tag--grey",
    ScenarioStatus.SOLVED: "govuk-tag--blue",
    ScenarioStatus.APPROVED: "govuk-tag--green",
    ScenarioStatus.CLOSED: "govuk-tag--purple",
}


def status_tag(status: str) -> str:
    return STATUS_TAGS.get(status, "govuk-tag--grey")


def is_frozen(scenario: SurgeScenario) -> bool:
    return scenario.status in (ScenarioStatus.APPROVED, ScenarioStatus.CLOSED)


# --- the list and the editor's choices ------------------------------------------------


def scenario_list() -> QuerySet[SurgeScenario]:
    """Every scenario with its number of lines, posts and filled posts, newest change first."""
    lines = DemandLine.objects.filter(scenario=OuterRef("pk")).order_by().values("scenario")
    allocations = Allocation.objects.filter(scenario=OuterRef("pk")).order_by().values("scenario")
    return (
        SurgeScenario.objects.defer("result")
        .annotate(
            line_count=Coalesce(
                Subquery(lines.annotate(n=Count("pk")).values("n"), output_field=IntegerField()),
                0,
            ),
            posts=Coalesce(
                Subquery(
                    lines.annotate(n=Sum("headcount")).values("n"), output_field=IntegerField()
                ),
                0,
            ),
            filled=Coalesce(
                Subquery(
                    allocations.annotate(n=Count("pk")).values("n"), output_field=IntegerField()
                ),
                0,
            ),
        )
        .order_by("-updated_at", "-pk")
    )


def scenario_get(*, pk: int) -> SurgeScenario:
    return get_object_or_404(SurgeScenario, pk=pk)


def scenario_find(*, pk: int) -> SurgeScenario | None:
    return SurgeScenario.objects.filter(pk=pk).first()


def scenario_lines(scenario: SurgeScenario) -> list[DemandLine]:
    return list(scenario.lines.select_related("role_profile").order_by("position", "pk"))


def role_choices(*, include: set[int] = frozenset()) -> list[tuple[int, str]]:
    """Roles a line can ask for: those with requirements (a role without any cannot
    be scored), plus ``include`` (the roles an edited scenario already uses)."""
    roles = (
        RoleProfile.objects.filter(requirements__isnull=False)
        .distinct()
        .values_list("pk", "title", "code")
    )
    extra = RoleProfile.objects.filter(pk__in=include).values_list("pk", "title", "code")
    rows = {pk: (title, code) for pk, title, code in [*roles, *extra]}
    titles = [title for title, _ in rows.values()]
    out = [
        (pk, f"{title} ({code})" if titles.count(title) > 1 else title)
        for pk, (title, code) in rows.items()
    ]
    return sorted(out, key=lambda item: (item[1].casefold(), item[0]))


def location_choices(*, include: set[str] = frozenset()) -> list[str]:
    """Every location someone is based in (a line's location must match exactly)."""
    found = set(
        Person.objects.exclude(location="").order_by().values_list("location", flat=True).distinct()
    )
    return sorted(found | {x for x in include if x}, key=str.casefold)


def depth_choices(*, include: int | None = None) -> list[tuple[int, str]]:
    """The organisation levels for the cap, named as on every page
    (``skills_app.people.selectors.org_level_choices``)."""
    return org_level_choices(include=include)


@dataclass(frozen=True)
class CapPreview:
    """What a release cap comes to at an organisation level: how many units (with
    staff) it applies to, and in how many it rounds down to 0 people."""

    cap: float
    depth: int
    units: int
    zero: int

    @property
    def warns(self) -> bool:
        return self.zero > 0

    @property
    def all_zero(self) -> bool:
        return self.units > 0 and self.zero == self.units

    @property
    def token(self) -> str:
        # The editor's "I have seen this warning" value: a changed cap or level warns again.
        return f"{self.cap:g}@{self.depth}"


def cap_preview(release_cap: float, depth: int) -> CapPreview:
    """The editor's warning, from the same rule the solve applies (``release_caps``:
    floor(cap x staff) per unit at ``depth``, a person counting in the unit at that
    level that holds them, or their own unit when it is shallower)."""
    staff: dict[str, int] = {}
    rows = (
        Person.objects.order_by()
        .values("org_unit__path")
        .annotate(n=Count("pk"))
        .values_list("org_unit__path", "n")
    )
    for path, n in rows:
        top = "/".join((path or "").split("/")[: depth + 1])
        staff[top] = staff.get(top, 0) + n
    counts = np.fromiter(staff.values(), dtype=np.int64, count=len(staff))
    caps = release_caps(counts, release_cap)
    return CapPreview(
        cap=release_cap, depth=depth, units=len(counts), zero=int(np.count_nonzero(caps == 0))
    )


# --- the results page ----------------------------------------------------------------


@dataclass
class LineResult:
    number: int
    line: DemandLine | None
    role: str
    headcount: int
    eligible: int
    filled: int
    greedy_filled: int
    mean: str
    greedy_mean: str
    total_score: float
    reason: str

    @property
    def unfilled(self) -> int:
        return max(self.headcount - self.filled, 0)


def _explanation_url(role_code: str, public_id, min_score, scenario_id: int) -> str:
    """The role search's explanation of one person (named by their public id), at the
    line's minimum score, with a way back to the scenario; "" when that page is not
    available."""
    try:
        url = reverse("roles:explanation", kwargs={"code": role_code, "public_id": public_id})
    except NoReverseMatch:
        return ""
    return f"{url}?threshold={percent_number(min_score)}&scenario={scenario_id}"


def allocation_page(scenario: SurgeScenario, number, *, explain: bool) -> Page:
    """One page of the scenario's allocations, line by line and best match first; the
    page's ``rows`` are shaped for the table."""
    allocations = (
        Allocation.objects.filter(scenario=scenario)
        .select_related("person__org_unit", "line__role_profile")
        .order_by("line__position", "line_id", "-score", "person__staff_number")
    )
    page = Paginator(allocations, ALLOCATIONS_PER_PAGE).get_page(number)
    line_ids = scenario.lines.order_by("position", "pk").values_list("pk", flat=True)
    positions = {pk: n for n, pk in enumerate(line_ids, start=1)}
    page.rows = [
        {
            "line": positions.get(allocation.line_id, 0),
            "role": allocation.line.role_profile.title,
            "name": allocation.person.full_name,
            "staff_number": allocation.person.staff_number,
            "unit": allocation.person.org_unit.path,
            "score": percent_label(allocation.score),
            "by_prior_role": allocation.qualifies_by == QualifiesBy.PRIOR_ROLE,
            "explain_url": _explanation_url(
                allocation.line.role_profile.code,
                allocation.person.public_id,
                allocation.line.min_score,
                scenario.pk,
            )
            if explain
            else "",
        }
        for allocation in page.object_list
    ]
    return page


def unit_page(results: dict, number) -> Page:
    """One page of the units that release people (optimum or greedy)."""
    return Paginator(results["units"], UNITS_PER_PAGE).get_page(number)


def comparison_sentence(result: dict) -> str:
    """How the optimum compares with the greedy baseline, in one plain sentence."""
    greedy = result.get("greedy") or {}
    more = result.get("filled", 0) - greedy.get("filled", 0)
    baseline = "taking the top names role by role"
    if more > 0:
        posts = "post" if more == 1 else "posts"
        return f"The optimum fills {more} more {posts} than {baseline}."
    if not result.get("filled") and not greedy.get("filled"):
        return f"Neither the optimum nor {baseline} fills any post."
    ours, theirs = result.get("total_score") or 0, greedy.get("total_score") or 0
    if ours > theirs + 1e-9:
        return (
            f"The optimum fills as many posts as {baseline}, with a higher total score "
            f"({ours:.2f} against {theirs:.2f})."
        )
    return f"Here the optimum does no better than {baseline}: both fill the same posts."


UNMET_LISTED = 5


def _unmet_groups(unmet: list[LineResult]) -> list[dict]:
    """Unfilled lines by reason, for the summary when too many to list one by one:
    [{"reason", "posts", "lines": [numbers]}], most posts first."""
    groups: dict[str, dict] = {}
    for line in unmet:
        group = groups.setdefault(
            line.reason or "Not known",
            {"reason": line.reason or "Not known", "posts": 0, "lines": []},
        )
        group["posts"] += line.unfilled
        group["lines"].append(line.number)
    return sorted(groups.values(), key=lambda g: (-g["posts"], g["lines"][0]))


def scenario_results(scenario: SurgeScenario) -> dict | None:
    """The figures of the last solve, shaped for the page; None before any solve."""
    result = scenario.result or {}
    if not result.get("lines"):
        return None
    lines = {line.pk: line for line in scenario_lines(scenario)}
    out_lines = []
    for number, item in enumerate(result["lines"], start=1):
        line = lines.get(item.get("line_id"))
        out_lines.append(
            LineResult(
                number=number,
                line=line,
                role=item.get("role", ""),
                headcount=item.get("headcount", 0),
                eligible=item.get("eligible", 0),
                filled=item.get("filled", 0),
                greedy_filled=item.get("greedy_filled", 0),
                mean=percent_label(item.get("mean_score")),
                greedy_mean=percent_label(item.get("greedy_mean_score")),
                total_score=item.get("total_score") or 0,
                reason=REASON_TEXT.get(item.get("reason", ""), ""),
            )
        )
    greedy = result.get("greedy") or {}
    units = [
        {**unit, "at_cap": unit["cap"] > 0 and unit["released"] >= unit["cap"]}
        for unit in result.get("units", [])
    ]
    training = [
        {**row, "level_name": LEVEL_NAMES.get(row["level"], "")}
        for row in result.get("training", [])
    ]
    filled, posts = result.get("filled", 0), result.get("posts", 0)
    unmet = [line for line in out_lines if line.filled < line.headcount]
    releasing = [unit for unit in units if unit["released"] > 0]
    return {
        "filled": filled,
        "posts": posts,
        "unfilled": max(posts - filled, 0),
        "unmet": unmet,
        "unmet_groups": _unmet_groups(unmet),
        # What approval does: the optimum's people leave these units.
        "released_people": sum(unit["released"] for unit in releasing),
        "releasing_units": len(releasing),
        # Older solves did not record these: None, and the page says nothing about them.
        "unmet_listed": len(unmet) <= UNMET_LISTED,
        "cap_units": result.get("cap_units"),
        "zero_cap_units": result.get("zero_cap_units"),
        "total_score": result.get("total_score") or 0,
        "mean": percent_label(result.get("mean_score")),
        "greedy_filled": greedy.get("filled", 0),
        "greedy_total_score": greedy.get("total_score") or 0,
        "greedy_mean": percent_label(greedy.get("mean_score")),
        "sentence": comparison_sentence(result),
        "lines": out_lines,
        "units": units,
        "training": training,
        "training_people": sum(row["people"] for row in training),
        "solved_on": dt.date.fromisoformat(result["solved_on"])
        if result.get("solved_on")
        else None,
        "solve_seconds": result.get("solve_seconds"),
        "scoring_seconds": result.get("scoring_seconds"),
        "chart": line_chart(result["lines"]),
    }


# --- the chart: posts filled and mean score per line, optimum against greedy ---------

CHART_WIDTH = 760
LABEL_RIGHT = 196
PANELS = ((214, "Posts filled"), (494, "Mean match score"))
BAR_MAX = 120
BAR_HEIGHT = 18
BAR_GAP = 4
GROUP_GAP = 18
TOP = 44
LABEL_CHARS = 26


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1].rstrip() + "…"


def line_chart(lines: list[dict]) -> dict:
    """Geometry for a server-drawn SVG: for each line two panels (posts filled, out of
    the line's posts, and mean score out of 100%), each with a solid bar for the
    optimum and a striped bar for the greedy baseline, every bar labelled in words."""
    group = 2 * BAR_HEIGHT + BAR_GAP + GROUP_GAP
    most = max((line.get("headcount") or 0 for line in lines), default=0) or 1
    rows = []
    for number, line in enumerate(lines, start=1):
        y = TOP + (number - 1) * group
        headcount = line.get("headcount") or 0
        bars = []
        for series, offset, filled_key, mean_key in (
            ("Optimum", 0, "filled", "mean_score"),
            ("Greedy", BAR_HEIGHT + BAR_GAP, "greedy_filled", "greedy_mean_score"),
        ):
            filled = line.get(filled_key) or 0
            mean = line.get(mean_key)
            bar_y = y + offset
            for (x0, _), width, text in (
                (PANELS[0], BAR_MAX * filled / most, f"{series}: {filled} of {headcount}"),
                (
                    PANELS[1],
                    BAR_MAX * float(mean or 0),
                    f"{series}: {percent_label(mean)}" if mean is not None else f"{series}: no one",
                ),
            ):
                bars.append(
                    {
                        "series": series.lower(),
                        "x": x0,
                        "y": bar_y,
                        "width": round(width, 1),
                        "height": BAR_HEIGHT,
                        "text": text,
                        "text_x": round(x0 + width + 6, 1),
                        "text_y": bar_y + BAR_HEIGHT - 4,
                    }
                )
        rows.append(
            {
                "label": f"{number}. {_short(line.get('role', ''))}",
                "label_y": y + BAR_HEIGHT + BAR_GAP // 2 + 5,
                "bars": bars,
            }
        )
    plot_bottom = TOP + len(lines) * group - GROUP_GAP
    legend_y = plot_bottom + 24
    return {
        "width": CHART_WIDTH,
        "height": legend_y + 22,
        "label_x": LABEL_RIGHT,
        "panels": [
            {"x": x0, "title": title, "axis_top": TOP - 6, "axis_bottom": plot_bottom + 6}
            for x0, title in PANELS
        ],
        "rows": rows,
        "legend_y": legend_y,
        "desc": "For each demand line, solid bars show the optimum and striped bars the "
        "greedy baseline: on the left the posts filled, on the right the mean match score "
        "of the people allocated. The table after the chart gives the same figures.",
    }


# --- exports -------------------------------------------------------------------------


def allocation_rows(scenario: SurgeScenario) -> Iterator[Allocation]:
    return (
        Allocation.objects.filter(scenario=scenario)
        .select_related("person__org_unit", "line__role_profile")
        .order_by("line__position", "line_id", "-score", "person__staff_number")
        .iterator(chunk_size=2000)
    )


def release_rows(scenario: SurgeScenario) -> Iterator[Allocation]:
    """Allocated people grouped by their line manager (people without one last)."""
    return (
        Allocation.objects.filter(scenario=scenario)
        .select_related("person__org_unit", "person__line_manager", "line__role_profile")
        .order_by(
            F("person__line_manager__full_name").asc(nulls_last=True),
            F("person__line_manager__staff_number").asc(nulls_last=True),
            "person__staff_number",
        )
        .iterator(chunk_size=2000)
    )
