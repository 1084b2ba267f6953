"""Report pages (``Cap.REPORT_ALL`` for HR and administrators, ``Cap.REPORT_TEAM``
for line managers, who see their team only) and their downloads.

The pages are GET forms: a report's options are not personal data and a report
can be bookmarked. Downloads are audited by ``skills_app.reports.services``.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render

from skills_app.accounts.permissions import Cap, requires
from skills_app.reports import selectors, services

REPORT_CAPS = (Cap.REPORT_ALL, Cap.REPORT_TEAM)


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


@requires(*REPORT_CAPS)
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
def data_quality_export(request, fmt: str):
    if fmt not in services.FORMATS:
        raise Http404("No such format")
    depth = parse_depth(request.GET.get("depth"))
    report = selectors.data_quality(user=request.user, depth=depth)
    return services.export_data_quality(user=request.user, report=report, fmt=fmt)
