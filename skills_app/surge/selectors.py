"""Reads that feed the surge pages and exports.

Everything the results page shows comes from the scenario's stored ``result``
(written by ``services.scenario_solve``) and its allocations; nothing is solved or
scored here. The chart's geometry is worked out here too, so its template only
places what it is given.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, IntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, reverse

from matching.surge import release_caps
from skills_app.core.presenters import count_label, percent_label, percent_number
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
from taxonomy.models import LEVEL_NAMES, Skill

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
            # A week-by-week allocation staggers starts; otherwise the line's start date
            # (None: the day the move starts after approval).
            "start": allocation.start_date or allocation.line.start_date,
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
        # A week-by-week result (DESIGN 11): its headline; the view adds the weeks.
        "weekly": weekly_decision(result["weekly"]) if result.get("weekly") else None,
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


# --- a week-by-week result (DESIGN 11): the decision, the weekly chart and table ------

UNMET_WEEKS_PER_PAGE = 50
WEEKS_PER_PAGE = 52  # the per-week table: a year a page (the chart keeps every week)
ALL_LINES = "all"


def posts_label(value) -> str:
    """Post-weeks as people read them: 12 -> "12", 1234.5 -> "1,234.5", 0.25 -> "0.25"."""
    text = f"{float(value):,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _gap_label(gap) -> str:
    return "" if gap is None else f"{float(gap) * 100:.2f}".rstrip("0").rstrip(".") + "%"


def solver_status_sentence(weekly: dict) -> str:
    """What the solver proved, in words: the optimum, or where its time limit stopped it
    and how far from the bound (``matching.weekly.WeeklyAllocation.status``)."""
    status, gap = weekly.get("status", "optimal"), _gap_label(weekly.get("gap"))
    if status == "optimal":
        return "Solved to optimality: no allocation covers more work."
    if status == "time_limit" and not gap:
        return (
            "The solver stopped at its time limit before finding an allocation, so this is "
            "the greedy one: how far it is from the best possible is not known."
        )
    if status == "time_limit":
        return (
            "The solver stopped at its time limit: the work covered is within "
            f"{gap} of the most that could be covered."
        )
    if status == "time_limit_people":
        within = f" (within {gap} of the fewest)" if gap else ""
        return (
            "The work covered is the most possible. The solver stopped at its time limit "
            f"while using as few people as it could{within}."
        )
    within = f" (within {gap} of the highest)" if gap else ""
    return (
        "The work covered and the number of people are the best possible. The solver "
        f"stopped at its time limit while raising the match scores{within}."
    )


def _week_dates(weekly: dict) -> list[dt.date]:
    return [dt.date.fromisoformat(d) for d in weekly.get("week_dates", [])]


def weekly_decision(weekly: dict) -> dict:
    """The headline of a week-by-week result: work covered against needed (optimum
    and greedy), how many people start and over which weeks, and the solver status."""
    starters = np.zeros(weekly.get("weeks", 0), dtype=np.int64)
    for line in weekly.get("lines", []):
        starters[: len(line.get("starters", []))] += line.get("starters", [])
    start_weeks = np.flatnonzero(starters)
    first = int(start_weeks[0]) + 1 if len(start_weeks) else None
    last = int(start_weeks[-1]) + 1 if len(start_weeks) else None
    needed, covered = weekly.get("needed", 0), weekly.get("covered", 0)
    people = int(weekly.get("people", 0))
    if not people:
        starts = "no one starts"
    elif first == last:
        who = "person starts" if people == 1 else "people start"
        starts = f"{count_label(people)} {who} in week {first}"
    else:
        starts = (
            f"{count_label(people)} people start over {last - first + 1} weeks "
            f"(weeks {first} to {last})"
        )
    return {
        "sentence": f"Covers {posts_label(covered)} of {posts_label(needed)} post-weeks of work "
        f"(greedy: {posts_label(weekly.get('greedy_covered', 0))}); {starts}.",
        "needed": posts_label(needed),
        "covered": posts_label(covered),
        "greedy_covered": posts_label(weekly.get("greedy_covered", 0)),
        "uncovered": posts_label(max(float(needed) - float(covered), 0)),
        "short": float(covered) < float(needed),
        "people": int(weekly.get("people", 0)),
        "greedy_people": int(weekly.get("greedy_people", 0)),
        "first_week": first,
        "last_week": last,
        "start_span": last - first + 1 if first else 0,
        "status": weekly.get("status", "optimal"),
        "status_sentence": solver_status_sentence(weekly),
        "gap": _gap_label(weekly.get("gap")),
        "weeks": weekly.get("weeks", 0),
    }


def _line_choice(weekly: dict, raw) -> int | None:
    """The line the chart and table show (its index), None for all lines summed; an
    unknown value shows all lines."""
    lines = weekly.get("lines", [])
    if isinstance(raw, str) and raw.isdigit() and 1 <= int(raw) <= len(lines):
        return int(raw) - 1
    return None


def _reason_summary(shorts: list[tuple[int, str]]) -> str:
    """Why a week of all lines summed is short: each reason with its number of lines."""
    if len(shorts) == 1:
        number, reason = shorts[0]
        return f"Line {number}: {REASON_TEXT.get(reason, 'Not known')}"
    counts = Counter(reason for _, reason in shorts)
    parts = [
        f"{REASON_TEXT.get(reason, 'Not known')} ({n} line{'s' if n != 1 else ''})"
        for reason, n in counts.most_common()
    ]
    return f"{len(shorts)} lines short: " + "; ".join(parts)


def weekly_series(weekly: dict, choice: int | None) -> list[dict]:
    """Per week of the chosen line (or of all lines summed): needed, filled by the
    optimum and by greedy, people starting, and the shortfall with its reason."""
    dates = _week_dates(weekly)
    n = len(dates)
    lines = weekly.get("lines", [])
    chosen = lines if choice is None else [lines[choice]]

    def total(key):
        out = np.zeros(n, dtype=np.float64)
        for line in chosen:
            values = line.get(key, [])[:n]
            out[: len(values)] += values
        return out

    need, covered, greedy = total("need"), total("covered"), total("greedy_covered")
    starting = total("starters")
    shorts: dict[int, list[tuple[int, str]]] = {}
    for line in chosen:
        number = lines.index(line) + 1
        for item in line.get("unmet", []):
            shorts.setdefault(item["week"], []).append((number, item["reason"]))
    rows = []
    for week in range(n):
        short = max(need[week] - covered[week], 0.0)
        reasons = shorts.get(week + 1, [])
        if short <= 1e-9:
            reason = ""
        elif choice is not None:
            reason = REASON_TEXT.get(reasons[0][1], "Not known") if reasons else "Not known"
        else:
            reason = _reason_summary(reasons) if reasons else "Not known"
        rows.append(
            {
                "week": week + 1,
                "date": dates[week],
                "needed": float(need[week]),
                "covered": float(covered[week]),
                "greedy_covered": float(greedy[week]),
                "needed_label": posts_label(need[week]),
                "covered_label": posts_label(covered[week]),
                "greedy_label": posts_label(greedy[week]),
                "starting": int(starting[week]),
                "short": posts_label(short) if short > 1e-9 else "",
                "reason": reason,
            }
        )
    return rows


# The weekly chart: weeks along, posts up; needed a black step line, the optimum's
# posts filled solid bars, greedy's striped bars.
WEEK_CHART_WIDTH = 760
WEEK_PLOT_LEFT = 64
WEEK_PLOT_RIGHT = 744
WEEK_PLOT_TOP = 24
WEEK_PLOT_HEIGHT = 240
WEEK_TICKS = 5


def _nice_step(most: float) -> float:
    """A round step (1, 2 or 5 times a power of ten, at least 1 post) giving at most
    WEEK_TICKS steps up to ``most``."""
    raw = max(most, 1.0) / WEEK_TICKS
    power = 10 ** np.floor(np.log10(raw))
    factor = next(f for f in (1, 2, 5, 10) if f * power >= raw)
    return max(float(factor * power), 1.0)


def week_chart(rows: list[dict], label: str) -> dict:
    """Geometry for a server-drawn SVG of posts needed and filled per week (every
    figure is in the table after it; the description sums them up)."""
    n = max(len(rows), 1)
    most = max((max(r["needed"], r["covered"], r["greedy_covered"]) for r in rows), default=0)
    step = _nice_step(most)
    top_value = step * max(1, int(np.ceil(most / step))) if most else step
    bottom = WEEK_PLOT_TOP + WEEK_PLOT_HEIGHT
    slot = (WEEK_PLOT_RIGHT - WEEK_PLOT_LEFT) / n
    bar = min(14.0, slot * 0.4)

    def y(value: float) -> float:
        return round(bottom - WEEK_PLOT_HEIGHT * value / top_value, 1)

    bars, points = [], []
    for at, row in enumerate(rows):
        x = WEEK_PLOT_LEFT + at * slot
        middle = x + slot / 2
        for series, left, value in (
            ("optimum", middle - bar, row["covered"]),
            ("greedy", middle, row["greedy_covered"]),
        ):
            if value > 0:
                bars.append(
                    {
                        "series": series,
                        "x": round(left, 1),
                        "y": y(value),
                        "width": round(bar, 1),
                        "height": round(bottom - y(value), 1),
                    }
                )
        points += [f"{round(x, 1)},{y(row['needed'])}", f"{round(x + slot, 1)},{y(row['needed'])}"]
    ticks = [
        {"y": y(step * k), "text": posts_label(step * k)}
        for k in range(int(round(top_value / step)) + 1)
    ]
    every = max(1, int(np.ceil(n / 13)))
    week_labels = [
        {"x": round(WEEK_PLOT_LEFT + (at + 0.5) * slot, 1), "text": str(row["week"])}
        for at, row in enumerate(rows)
        if at % every == 0
    ]
    needed = sum(r["needed"] for r in rows)
    covered = sum(r["covered"] for r in rows)
    greedy = sum(r["greedy_covered"] for r in rows)
    short_weeks = sum(1 for r in rows if r["short"])
    legend_y = bottom + 52
    return {
        "width": WEEK_CHART_WIDTH,
        "height": legend_y + 24,
        "left": WEEK_PLOT_LEFT,
        "right": WEEK_PLOT_RIGHT,
        "top": WEEK_PLOT_TOP,
        "bottom": bottom,
        "axis_label_y": bottom + 34,
        "bars": bars,
        "needed_points": " ".join(points),
        "ticks": ticks,
        "week_labels": week_labels,
        "legend_y": legend_y,
        "desc": f"{label}, weeks 1 to {len(rows)}: {posts_label(needed)} post-weeks needed, "
        f"{posts_label(covered)} filled by the optimum and {posts_label(greedy)} by the greedy "
        f"baseline; {short_weeks} week{'s' if short_weeks != 1 else ''} short of posts. The "
        "black line is the posts needed, solid bars the posts the optimum fills and striped "
        "bars the posts greedy fills. The table after the chart gives every week's figures.",
    }


def unmet_weeks(weekly: dict) -> list[dict]:
    """Every (line, week) short of posts, line by line, with its reason in words."""
    dates = _week_dates(weekly)
    out = []
    for number, line in enumerate(weekly.get("lines", []), start=1):
        for item in line.get("unmet", []):
            week = int(item["week"])
            out.append(
                {
                    "line": number,
                    "role": line.get("role", ""),
                    "week": week,
                    "date": dates[week - 1] if 0 < week <= len(dates) else None,
                    "short": posts_label(item.get("short", 0)),
                    "reason": REASON_TEXT.get(item.get("reason", ""), "Not known"),
                }
            )
    return out


def weekly_line_rows(weekly: dict, lines: list[LineResult]) -> list[dict]:
    """Per line: post-weeks needed and covered (optimum, greedy), people starting,
    mean scores and the number of weeks short."""
    out = []
    for number, line in enumerate(weekly.get("lines", []), start=1):
        figures = lines[number - 1] if number <= len(lines) else None
        out.append(
            {
                "number": number,
                "role": line.get("role", ""),
                "forecast": line.get("forecast", False),
                "needed": posts_label(sum(line.get("need", []))),
                "covered": posts_label(sum(line.get("covered", []))),
                "greedy_covered": posts_label(sum(line.get("greedy_covered", []))),
                "people": line.get("people", 0),
                "greedy_people": line.get("greedy_people", 0),
                "mean": figures.mean if figures else "",
                "greedy_mean": figures.greedy_mean if figures else "",
                "short_weeks": len(line.get("unmet", [])),
            }
        )
    return out


def weekly_results(weekly: dict, lines: list[LineResult], *, line, unmet_page, week_page) -> dict:
    """Everything the page shows of a week-by-week result, for the chosen line
    (``line``: its number as text, or anything else for all lines summed). The chart
    draws every week; its table is paged (``week_page``), as are the weeks not met."""
    choice = _line_choice(weekly, line)
    rows = weekly_series(weekly, choice)
    all_lines = weekly.get("lines", [])
    label = (
        "All lines" if choice is None else f"Line {choice + 1}: {all_lines[choice].get('role', '')}"
    )
    return {
        "decision": weekly_decision(weekly),
        "choice": str(choice + 1) if choice is not None else ALL_LINES,
        "choices": [(ALL_LINES, "All lines")]
        + [(str(n), f"Line {n}: {item.get('role', '')}") for n, item in enumerate(all_lines, 1)],
        "label": label,
        "rows": rows,
        "weeks": Paginator(rows, WEEKS_PER_PAGE).get_page(week_page),
        "chart": week_chart(rows, label),
        "unmet": Paginator(unmet_weeks(weekly), UNMET_WEEKS_PER_PAGE).get_page(unmet_page),
        "unmet_lines": sum(1 for item in all_lines if item.get("unmet")),
        "lines": weekly_line_rows(weekly, lines),
        "first_date": _week_dates(weekly)[0] if weekly.get("week_dates") else None,
    }


# --- training cohorts: who needs which course by when --------------------------------

COHORT_PEOPLE_PER_PAGE = 100
COHORTS_PER_PAGE = 50


@dataclass(frozen=True)
class CohortPerson:
    start: dt.date | None  # None: the day the move starts after approval
    week: int | None  # week of a week-by-week result (1 = its first week)
    skill_id: int
    skill: str
    level: int  # the level needed
    short: int  # levels short of it
    name: str
    staff_number: str
    line: int
    role: str

    @property
    def cohort(self) -> tuple:
        return (self.start, self.skill, self.skill_id, self.level)


def _cohort_order(start: dt.date | None) -> tuple:
    # "On approval" first: it is the soonest a move can start.
    return (start is not None, start or dt.date.min)


def training_people(scenario: SurgeScenario) -> list[CohortPerson]:
    """Every (allocated person, course) of the scenario's training, by start date,
    course (skill, level needed) and person: one query for the allocations (with their
    line and person) and one for the skills' names, however many people."""
    result = scenario.result or {}
    weeks_from = (result.get("weekly") or {}).get("weeks_from")
    first_day = dt.date.fromisoformat(weeks_from) if weeks_from else None
    allocations = list(
        Allocation.objects.filter(scenario=scenario)
        .exclude(training=[])
        .order_by()
        .values_list(
            "start_date",
            "line__start_date",
            "line__position",
            "line__role_profile__title",
            "person__full_name",
            "person__staff_number",
            "training",
        )
    )
    # Line numbers as the page shows them: in position order over the scenario's lines.
    line_numbers = {
        position: n
        for n, position in enumerate(
            scenario.lines.order_by("position", "pk").values_list("position", flat=True),
            start=1,
        )
    }
    skill_ids = {item[0] for row in allocations for item in row[6]}
    names = dict(Skill.objects.filter(pk__in=skill_ids).values_list("pk", "name"))
    out = []
    for start, line_start, position, role, name, staff_number, training in allocations:
        when = start or line_start
        week = (when - first_day).days // 7 + 1 if when and first_day else None
        for skill_id, level, short in training:
            out.append(
                CohortPerson(
                    start=when,
                    week=week,
                    skill_id=skill_id,
                    skill=names.get(skill_id, ""),
                    level=level,
                    short=short,
                    name=name,
                    staff_number=staff_number,
                    line=line_numbers.get(position, position + 1),
                    role=role,
                )
            )
    out.sort(
        key=lambda p: (
            _cohort_order(p.start),
            p.skill.casefold(),
            p.skill_id,
            p.level,
            p.name.casefold(),
            p.staff_number,
        )
    )
    return out


def training_cohorts(people: list[CohortPerson]) -> list[dict]:
    """The cohorts: per start date and course, how many people (``people`` in the
    order ``training_people`` gives)."""
    cohorts: dict[tuple, dict] = {}
    for person in people:
        cohort = cohorts.get(person.cohort)
        if cohort is None:
            cohort = cohorts[person.cohort] = {
                "key": person.cohort,
                "start": person.start,
                "week": person.week,
                "skill": person.skill,
                "level": person.level,
                "level_name": LEVEL_NAMES.get(person.level, ""),
                "people": 0,
            }
        cohort["people"] += 1
    return list(cohorts.values())


def training_report(scenario: SurgeScenario, *, page, cohorts_page) -> dict:
    """The training cohorts page: the cohorts (paged) and their people (paged, grouped
    under their cohort; a cohort split over two pages says it continues)."""
    people = training_people(scenario)
    cohorts = training_cohorts(people)
    sizes = {cohort["key"]: cohort for cohort in cohorts}
    people_page = Paginator(people, COHORT_PEOPLE_PER_PAGE).get_page(page)
    groups: list[dict] = []
    for at, person in enumerate(people_page.object_list):
        if not groups or groups[-1]["cohort"]["key"] != person.cohort:
            previous = people_page.start_index() - 2 + at
            groups.append(
                {
                    "cohort": sizes[person.cohort],
                    "continued": at == 0
                    and previous >= 0
                    and people[previous].cohort == person.cohort,
                    "people": [],
                }
            )
        groups[-1]["people"].append(person)
    return {
        "people": people_page,
        "groups": groups,
        "cohorts": Paginator(cohorts, COHORTS_PER_PAGE).get_page(cohorts_page),
        "cohort_count": len(cohorts),
        "person_count": len({(p.staff_number, p.name) for p in people}),
        "weekly": bool((scenario.result or {}).get("weekly")),
    }


def training_rows(scenario: SurgeScenario) -> list[CohortPerson]:
    """The training cohorts download: every (person, course), as on the page."""
    return training_people(scenario)
