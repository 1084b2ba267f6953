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
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from skills_app.accounts.permissions import Cap, has_cap, requires
from skills_app.core import vocabulary
from skills_app.core.throttle import throttle
from skills_app.core.vocabulary import VocabularyError
from skills_app.reports import inventory, selectors, services, supply
from skills_app.surge.models import SurgeScenario
from taxonomy.models import LEVEL_NAMES

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


@requires(*REPORT_CAPS)
def data_quality(request):
    depth = parse_depth(request.GET.get("depth"))
    report = selectors.data_quality(user=request.user, depth=depth)
    query = f"?depth={depth}" if depth is not None else ""
    return render(
        request,
        "reports/data_quality.html",
        {
            "report": report,
            "rows": [_quality_display(r) for r in report.rows],
            "total": _quality_display(report.total),
            "depths": selectors.org_depths(request.user),
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

CELL_W, CELL_H, LABEL_W, HEAD_H = 96, 36, 260, 120
UNITS_PER_PAGE = 50


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
    if not skill_ids and group.isdigit():
        skill_ids = selectors.group_skill_ids(int(group))
    return {
        "depth": 0 if depth is None else depth,
        "level": parse_level(params.get("level")),
        "group": int(group) if group.isdigit() else None,
        "skill_ids": skill_ids,
    }


def _truncate(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def heatmap_chart(heatmap: selectors.Heatmap, rows: list[selectors.HeatmapRow]) -> dict:
    """Geometry for the server-side SVG heatmap (templates/reports/_heatmap_chart.html)
    of ``rows`` (one page of units), coloured on the scale of the whole heatmap."""
    peak = heatmap.peak
    cells = []
    for r_number, row in enumerate(rows):
        for c_number, count in enumerate(row.cells):
            label, fill, ink = selectors.BANDS[selectors.band(count, peak)]
            x, y = LABEL_W + c_number * CELL_W, HEAD_H + r_number * CELL_H
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
        "width": LABEL_W + CELL_W * max(1, len(heatmap.columns)) + 10,
        "height": HEAD_H + CELL_H * max(1, len(rows)) + 10,
        "cell_w": CELL_W,
        "cell_h": CELL_H,
        "columns": [
            {
                "x": LABEL_W + n * CELL_W + CELL_W // 2,
                "y": HEAD_H - 8,
                "label": _truncate(c.label, 16),
            }
            for n, c in enumerate(heatmap.columns)
        ],
        "rows": [
            {
                "x": LABEL_W - 8,
                "y": HEAD_H + n * CELL_H + CELL_H // 2 + 5,
                "label": _truncate(r.unit, 32),
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


@requires(*REPORT_CAPS)
def capability(request):
    options = heatmap_options(request.GET)
    heatmap = selectors.capability_heatmap(
        user=request.user,
        depth=options["depth"],
        level=options["level"],
        skill_ids=options["skill_ids"] or None,
    )
    # A chart and a table of thousands of units help nobody (and take seconds to
    # draw): a page of units at a time, every page on the whole heatmap's colour scale.
    page = Paginator(heatmap.rows, UNITS_PER_PAGE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    return render(
        request,
        "reports/capability.html",
        {
            "heatmap": heatmap,
            "page": page,
            "rows": _heatmap_rows(heatmap, shown),
            "chart": heatmap_chart(heatmap, shown),
            "bands": selectors.BANDS,
            "options": options,
            "query": _query_string(options),
            "depths": selectors.org_depths(request.user) or [0],
            "levels": list(LEVEL_NAMES.items()),
            "groups": selectors.root_group_choices(),
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
    report = supply.supply_and_demand(
        user=request.user, threshold=options["threshold"] / 100, scenario=options["scenario"]
    )
    return options, report


@requires(*SUPPLY_CAPS)
def supply_demand(request):
    options, report = _supply(request)
    params = QueryDict(mutable=True)
    params["threshold"] = f"{options['threshold']:g}"
    if options["scenario"] is not None:
        params["scenario"] = str(options["scenario"].pk)
    return render(
        request,
        "reports/supply.html",
        {"report": report, "options": options, "query": params.urlencode()},
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
