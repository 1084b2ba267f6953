"""Report pages (``Cap.REPORT_ALL`` for HR and administrators, ``Cap.REPORT_TEAM``
for line managers, who see their team only) and their downloads.

The pages are GET forms: a report's options are not personal data and a report
can be bookmarked. Downloads are POST forms (CSRF-checked, so another site cannot
start one in a signed-in user's name) whose action URL carries the same options;
a GET is refused (405). They are throttled per user (``THROTTLE_RATES["export"]``)
and audited by ``skills_app.reports.services``.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from skills_app.accounts.permissions import Cap, has_cap, requires
from skills_app.core import vocabulary
from skills_app.core.throttle import throttle
from skills_app.core.vocabulary import VocabularyError
from skills_app.people.selectors import org_level_choices, org_level_names
from skills_app.reports import inventory, reserve, selectors, services, supply
from skills_app.reports.tables import (
    SortColumn,
    TableOptions,
    headers,
    keep_rows,
    page_of,
    sort_rows,
)
from skills_app.surge.models import SurgeScenario
from taxonomy.forms import SkillPicker
from taxonomy.labels import decide_skill
from taxonomy.models import LEVEL_NAMES, Skill, SkillStatus

REPORT_CAPS = (Cap.REPORT_ALL, Cap.REPORT_TEAM)
PER_PAGE = 50


def _pct(share: float | None) -> str:
    """0.8767 -> "87.7%"; no denominator -> "–"."""
    return "–" if share is None else f"{share * 100:.1f}".removesuffix(".0") + "%"


def _quality_display(r: selectors.QualityRow) -> dict:
    return {
        "row": r,
        "reviewed": _pct(r.reviewed_share),
        "verified": _pct(r.verified_share),
        "no_skills": _pct(r.no_skills_share),
        "score": _pct(r.score),
    }


def parse_depth(raw: str | None) -> int | None:
    """A ``depth`` option: a small whole number, or None (each unit on its own)."""
    raw = (raw or "").strip()
    if raw.isdigit() and int(raw) <= selectors.MAX_DEPTH:
        return int(raw)
    return None


@requires(*REPORT_CAPS, Cap.REPORT_SCENARIO)
def index(request):
    return render(request, "reports/index.html", {"scope": selectors.report_scope(request.user)})


def level_choices(user) -> list[tuple[int, str]]:
    """The organisation levels the reader's people sit at or under, named as on
    every page (``org_level_choices``)."""
    return org_level_choices(depths=selectors.org_depths(user), examples=False)


QUALITY_COLUMNS = (
    SortColumn("unit", "Unit", lambda d: d["row"].unit.casefold()),
    SortColumn("people", "People", lambda d: d["row"].people, True, True),
    SortColumn(
        "reviewed", "Reviewed in last 12 months", lambda d: d["row"].reviewed_share or 0, True
    ),
    SortColumn(
        "verified", "Skills verified or assessed", lambda d: d["row"].verified_share or 0, True
    ),
    SortColumn(
        "expired", "Expired qualifications", lambda d: d["row"].expired_qualifications, True, True
    ),
    SortColumn("no_skills", "People with no skills", lambda d: d["row"].no_skills, True, True),
    SortColumn("score", "Quality score", lambda d: d["row"].score, True),
    SortColumn(
        "drafts_confirmed",
        "Draft skills confirmed",
        lambda d: d["row"].drafts_confirmed,
        True,
        True,
    ),
    SortColumn(
        "drafts_outstanding",
        "Draft skills to check",
        lambda d: d["row"].drafts_outstanding,
        True,
        True,
    ),
)


@requires(*REPORT_CAPS)
def data_quality(request):
    depth = parse_depth(request.GET.get("depth"))
    report = selectors.data_quality(user=request.user, depth=depth)
    options = TableOptions.read(request.GET, columns=QUALITY_COLUMNS)
    rows, too_small = keep_rows(
        [_quality_display(r) for r in report.rows],
        options,
        unit=lambda d: d["row"].unit,
        people=lambda d: d["row"].people,
    )
    page = page_of(sort_rows(rows, QUALITY_COLUMNS, options), request.GET)
    query = f"?depth={depth}" if depth is not None else ""
    return render(
        request,
        "reports/data_quality.html",
        {
            "report": report,
            "rows": list(page.object_list),
            "page": page,
            "too_small": too_small,
            "table": options,
            "headers": headers(request.GET, QUALITY_COLUMNS, options),
            "total": _quality_display(report.total),
            "depths": level_choices(request.user),
            "depth": depth,
            "query": query,
        },
    )


@requires(*REPORT_CAPS)
@require_POST
@throttle("export")
def data_quality_export(request, fmt: str):
    if fmt not in services.FORMATS:
        raise Http404("No such format")
    depth = parse_depth(request.GET.get("depth"))
    report = selectors.data_quality(user=request.user, depth=depth)
    return services.export_data_quality(user=request.user, report=report, fmt=fmt)


# --- capability heatmap ----------------------------------------------------------------

CELL_W, CELL_H, LABEL_W = 96, 36, 260
CHAR_W = 8  # a generous width of one character at the chart's 14px
HEADING_ANGLE = 45  # column headings rise at 45 degrees: whole words, never cut or broken


def parse_level(raw: str | None) -> int:
    """The level in the query string (any spelling the vocabulary reads), else 3."""
    try:
        return vocabulary.level(raw or "")
    except VocabularyError:
        return 3


def parse_ids(values) -> list[int]:
    return [int(v) for v in values if v.isdigit()][: selectors.MAX_CHOSEN_SKILLS]


def heatmap_options(params) -> dict:
    """depth, level, group and skill ids from a query string (page or export)."""
    depth = parse_depth(params.get("depth"))
    group = params.get("group", "")
    skill_ids = parse_ids(params.getlist("skill"))
    if group.isdigit():  # a group chosen in the form wins over skills chosen before
        skill_ids = selectors.group_skill_ids(int(group))
    return {
        "depth": 0 if depth is None else depth,
        "level": parse_level(params.get("level")),
        "group": int(group) if group.isdigit() else None,
        "skill_ids": skill_ids,
    }


def _tail(path: str, size: int) -> str:
    """A unit path cut to ``size`` characters from its end (row labels only: the
    table holds them whole). Paths share their start (the department), so the end
    is what tells rows apart: "…/Digital/Data Team"."""
    return path if len(path) <= size else "…" + path[-(size - 1) :]


def heatmap_chart(heatmap: selectors.Heatmap, rows: list[selectors.HeatmapRow]) -> dict:
    """Geometry for the server-side SVG heatmap (templates/reports/_heatmap_chart.html)
    of ``rows`` (one page of units), coloured on the scale of the whole heatmap."""
    peak = heatmap.peak
    # Room above the cells for the longest heading, drawn whole at 45 degrees
    # (its height and its reach to the right are both length / sqrt(2)).
    reach = int(max((len(c.label) for c in heatmap.columns), default=0) * CHAR_W * 0.71)
    head_h = max(60, reach + 16)
    cells = []
    for r_number, row in enumerate(rows):
        for c_number, count in enumerate(row.cells):
            label, fill, ink = selectors.BANDS[selectors.band(count, peak)]
            x, y = LABEL_W + c_number * CELL_W, head_h + r_number * CELL_H
            cells.append(
                {
                    "x": x,
                    "y": y,
                    "fill": fill,
                    "ink": ink,
                    "text": count,
                    "text_x": x + CELL_W // 2,
                    "text_y": y + CELL_H // 2 + 5,
                }
            )
    return {
        "width": LABEL_W + CELL_W * max(1, len(heatmap.columns)) + reach + 10,
        "height": head_h + CELL_H * max(1, len(rows)) + 10,
        "angle": -HEADING_ANGLE,
        "cell_w": CELL_W,
        "cell_h": CELL_H,
        "columns": [
            {
                "x": LABEL_W + n * CELL_W + CELL_W // 2,
                "y": head_h - 8,
                "label": c.label,
            }
            for n, c in enumerate(heatmap.columns)
        ],
        "rows": [
            {
                "x": LABEL_W - 8,
                "y": head_h + n * CELL_H + CELL_H // 2 + 5,
                "label": _tail(r.unit, 32),
            }
            for n, r in enumerate(rows)
        ],
        "cells": cells,
        "desc": (
            f"{len(rows)} units by {len(heatmap.columns)} columns; the largest cell holds "
            f"{peak} people. Darker cells hold more people; each cell shows its number. "
            "The table below holds the same figures."
        ),
    }


def _heatmap_rows(heatmap: selectors.Heatmap, rows: list[selectors.HeatmapRow]) -> list[dict]:
    peak = heatmap.peak
    return [
        {
            "row": row,
            "cells": [
                {
                    "count": count,
                    "column": column,
                    "band": selectors.BANDS[selectors.band(count, peak)],
                }
                for count, column in zip(row.cells, heatmap.columns, strict=True)
            ],
        }
        for row in rows
    ]


def _query_string(options: dict) -> str:
    params = QueryDict(mutable=True)
    params["depth"], params["level"] = str(options["depth"]), str(options["level"])
    if options["group"] is not None:
        params["group"] = str(options["group"])
    else:
        params.setlist("skill", [str(s) for s in options["skill_ids"]])
    return params.urlencode()


def heatmap_columns(heatmap: selectors.Heatmap) -> list[SortColumn]:
    return [
        SortColumn("unit", "Unit", lambda d: d["row"].unit.casefold()),
        SortColumn("people", "People", lambda d: d["row"].people, True, True),
        *(
            SortColumn(c.key, c.label, lambda d, n=n: d["cells"][n]["count"], True, True)
            for n, c in enumerate(heatmap.columns)
        ),
    ]


def skill_picker(params, *, error: str = "") -> SkillPicker:
    """The "add a skill as a column" autocomplete (templates/includes/skill_autocomplete.html)."""
    return SkillPicker(
        query_name="add_skill_query",
        query_id="add-skill",
        query_value="" if not error else params.get("add_skill_query", ""),
        label="Add a skill as a column",
        hint="Start typing, then choose the skill from the list",
        errors=[error] if error else [],
        id_name="add_skill",
        id_input_id="add-skill-id",
    )


def _added_skill(params) -> tuple[Skill | None, str]:
    """The skill the picker chose (its id, or the name typed without JavaScript when
    only one skill fits), or an error to show."""
    raw = (params.get("add_skill") or "").strip()
    if raw.isdigit():
        skill = Skill.objects.filter(pk=int(raw), status=SkillStatus.ACTIVE).first()
        if skill is not None:
            return skill, ""
    query = " ".join((params.get("add_skill_query") or "").split())
    if not query:
        return None, "" if not raw else "Choose a skill from the list"
    outcome, matches = decide_skill(query)
    if outcome == "auto" and matches:
        return matches[0].skill, ""
    if matches:
        names = ", ".join(m.skill.name for m in matches[:3])
        return None, f"More than one skill fits: choose one from the list (for example {names})"
    return None, "We could not find that skill: check the spelling"


def _heatmap_links(options: dict, skill_ids: list[int]) -> str:
    return _query_string({**options, "group": None, "skill_ids": skill_ids})


@requires(*REPORT_CAPS)
def capability(request):
    options = heatmap_options(request.GET)
    picker_error = ""
    if "add_skill" in request.GET or "add_skill_query" in request.GET:
        skill, picker_error = _added_skill(request.GET)
        if skill is not None:
            # Show the chosen columns plus the new one at a canonical address.
            chosen = [s for s in options["skill_ids"] if s != skill.pk] + [skill.pk]
            chosen = chosen[-selectors.MAX_CHOSEN_SKILLS :]
            keep = request.GET.copy()
            for name in ("add_skill", "add_skill_query", "group", "skill", "page", "sort", "dir"):
                keep.pop(name, None)
            keep.setlist("skill", [str(pk) for pk in chosen])
            return redirect(f"{request.path}?{keep.urlencode()}")
    heatmap = selectors.capability_heatmap(
        user=request.user,
        depth=options["depth"],
        level=options["level"],
        skill_ids=options["skill_ids"] or None,
    )
    columns = heatmap_columns(heatmap)
    table = TableOptions.read(request.GET, columns=columns)
    rows, too_small = keep_rows(
        _heatmap_rows(heatmap, heatmap.rows),
        table,
        unit=lambda d: d["row"].unit,
        people=lambda d: d["row"].people,
    )
    # A chart and a table of thousands of units help nobody (and take seconds to
    # draw): a page of units at a time, every page on the whole heatmap's colour scale.
    page = page_of(sort_rows(rows, columns, table), request.GET)
    shown = list(page.object_list)
    chosen = [
        {
            "column": c,
            "remove": _heatmap_links(
                options, [s for s in options["skill_ids"] if f"s{s}" != c.key]
            ),
        }
        for c in heatmap.columns
        if options["skill_ids"]
    ]
    return render(
        request,
        "reports/capability.html",
        {
            "heatmap": heatmap,
            "page": page,
            "rows": shown,
            "too_small": too_small,
            "table": table,
            "headers": headers(request.GET, columns, table),
            "chart": heatmap_chart(heatmap, [d["row"] for d in shown]),
            "bands": selectors.BANDS,
            "options": options,
            "query": _query_string(options),
            "depths": level_choices(request.user) or [(0, org_level_names().get(0, "Department"))],
            "levels": list(LEVEL_NAMES.items()),
            "groups": selectors.root_group_choices(),
            "picker": skill_picker(request.GET, error=picker_error),
            "chosen": chosen,
        },
    )


@requires(*REPORT_CAPS)
@require_POST
@throttle("export")
def capability_export(request, fmt: str):
    if fmt not in services.FORMATS:
        raise Http404("No such format")
    options = heatmap_options(request.GET)
    heatmap = selectors.capability_heatmap(
        user=request.user,
        depth=options["depth"],
        level=options["level"],
        skill_ids=options["skill_ids"] or None,
    )
    return services.export_heatmap(user=request.user, heatmap=heatmap, fmt=fmt)


# The drill-down sorts in the database: (column, its Person field).
PEOPLE_COLUMNS = (
    SortColumn("name", "Name", None),
    SortColumn("staff_number", "Staff number", None),
    SortColumn("grade", "Grade", None),
    SortColumn("unit", "Unit", None),
)
PEOPLE_ORDER = {
    "name": "full_name",
    "staff_number": "staff_number",
    "grade": "grade",
    "unit": "org_unit__path",
}


@requires(*REPORT_CAPS)
def capability_people(request, unit: int, column: str):
    """The people behind one heatmap cell: names for HR, the team for a line
    manager (people_in_scope). Audited like a search: one row per person shown."""
    options = heatmap_options(request.GET)
    try:
        org_unit, label, people = selectors.heatmap_people(
            user=request.user,
            unit_id=unit,
            depth=options["depth"],
            level=options["level"],
            column=column,
        )
    except LookupError:
        raise Http404("No such cell") from None
    table = TableOptions.read(request.GET, columns=PEOPLE_COLUMNS, min_people=0)
    if table.unit:
        people = people.filter(org_unit__path__icontains=table.unit)
    if table.sort:
        field = PEOPLE_ORDER[table.sort]
        people = people.order_by(f"-{field}" if table.descending else field, "full_name", "pk")
    page = Paginator(people, PER_PAGE).get_page(request.GET.get("page"))
    services.record_drilldown(
        user=request.user, people=list(page.object_list), total=page.paginator.count
    )
    return render(
        request,
        "reports/capability_people.html",
        {
            "unit": org_unit,
            "label": label,
            "page": page,
            "options": options,
            "level_name": LEVEL_NAMES[options["level"]],
            "back": _query_string(options),
            # The heatmap's options ride along when the filter is submitted.
            "filter_keep": [
                (name, value)
                for name, values in request.GET.lists()
                if name in ("depth", "level", "group", "skill")
                for value in values
            ],
            "table": table,
            "headers": headers(request.GET, PEOPLE_COLUMNS, table),
        },
    )


# --- supply and demand -------------------------------------------------------------------

SUPPLY_CAPS = (Cap.REPORT_ALL, Cap.REPORT_TEAM, Cap.REPORT_SCENARIO)


def supply_options(request) -> dict:
    """threshold (a percentage, default 80) and an optional surge scenario, which
    only people who may view scenarios can name (anyone else gets 404)."""
    raw = (request.GET.get("threshold") or "").strip()
    try:
        threshold = min(100.0, max(0.0, float(raw))) if raw else 80.0
    except ValueError:
        threshold = 80.0
    scenario = None
    scenario_raw = request.GET.get("scenario", "")
    if scenario_raw:
        if not scenario_raw.isdigit() or not has_cap(request.user, Cap.SURGE_VIEW, Cap.SURGE_EDIT):
            raise Http404("No such scenario")
        scenario = get_object_or_404(SurgeScenario, pk=int(scenario_raw))
    return {"threshold": threshold, "scenario": scenario}


def _supply(request):
    options = supply_options(request)
    depth = parse_depth(request.GET.get("depth")) or 0
    unit = TableOptions.read(request.GET, columns=()).unit
    report = supply.supply_and_demand(
        user=request.user,
        threshold=options["threshold"] / 100,
        scenario=options["scenario"],
        depth=depth,
        unit=unit,
    )
    return {**options, "depth": depth, "unit": unit}, report


SUPPLY_COLUMNS = (
    SortColumn("role", "Role", lambda r: r.title.casefold()),
    SortColumn("needed", "Needed", lambda r: r.headcount or 0, True, True),
    SortColumn("qualify", "Match now", lambda r: r.qualify, True, True),
    SortColumn("near", "One level of training away", lambda r: r.one_level_away, True, True),
)


@requires(*SUPPLY_CAPS)
def supply_demand(request):
    options, report = _supply(request)
    params = QueryDict(mutable=True)
    params["threshold"] = f"{options['threshold']:g}"
    if options["scenario"] is not None:
        params["scenario"] = str(options["scenario"].pk)
    params["depth"] = str(options["depth"])
    if options["unit"]:
        params["unit"] = options["unit"]
    columns = [c for c in SUPPLY_COLUMNS if c.key != "needed" or options["scenario"] is not None]
    table = TableOptions.read(request.GET, columns=columns, min_people=0)
    page = page_of(sort_rows(report.rows, columns, table), request.GET)
    names = org_level_names()
    return render(
        request,
        "reports/supply.html",
        {
            "report": report,
            "options": options,
            "query": params.urlencode(),
            "page": page,
            "table": table,
            "headers": headers(request.GET, columns, table),
            "depths": org_level_choices(examples=False),
            "level_name": names.get(options["depth"], "Department"),
        },
    )


@requires(*SUPPLY_CAPS)
@require_POST
@throttle("export")
def supply_demand_export(request, fmt: str):
    if fmt not in services.FORMATS:
        raise Http404("No such format")
    _, report = _supply(request)
    return services.export_supply(user=request.user, report=report, fmt=fmt)


# --- the whole skills inventory ------------------------------------------------------------


@requires(*REPORT_CAPS)
def inventory_page(request):
    return render(
        request,
        "reports/inventory.html",
        {
            "scope": selectors.report_scope(request.user),
            "counts": {k: f"{n:,}" for k, n in inventory.inventory_counts(request.user).items()},
            "columns": inventory.COLUMNS,
        },
    )


@requires(*REPORT_CAPS)
@require_POST
@throttle("export")
def inventory_export(request, fmt: str):
    if fmt not in services.FORMATS:
        raise Http404("No such format")
    return inventory.export_inventory(user=request.user, fmt=fmt)


# --- the ready reserve --------------------------------------------------------------------

RESERVE_CAPS = (Cap.REPORT_ALL, Cap.REPORT_SCENARIO)
RESERVE_COLUMNS = (
    SortColumn("unit", "Unit", lambda r: r.unit.casefold()),
    SortColumn("members", "Members", lambda r: r.members, True, True),
    SortColumn("on_call_now", "On call now", lambda r: r.on_call_now, True, True),
)


@requires(*RESERVE_CAPS)
def reserve_page(request):
    depth = parse_depth(request.GET.get("depth"))
    report = reserve.reserve_report(depth=depth)
    table = TableOptions.read(request.GET, columns=RESERVE_COLUMNS, min_people=0)
    rows, _ = keep_rows(report.units, table)
    page = page_of(sort_rows(rows, RESERVE_COLUMNS, table), request.GET)
    return render(
        request,
        "reports/reserve.html",
        {
            "report": report,
            "page": page,
            "rows": list(page.object_list),
            "table": table,
            "headers": headers(request.GET, RESERVE_COLUMNS, table),
            "depths": org_level_choices(examples=False),
            "depth": depth,
        },
    )
