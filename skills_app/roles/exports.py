"""The shortlist download: the current search's ranked people as CSV or XLSX.

At most ``EXPORT_LIMIT`` rows, in the search's order; ``qualifies_by`` says for
each whether they are in by score ("score": the minimum match or more) or
through a recent role whose profile covers this one ("prior_role"), so a
spreadsheet never mixes the two unmarked (DESIGN.md section 4 rule 7). Every cell goes through
``safe_cell`` (a name such as ``=HYPERLINK(...)`` stays text in any
spreadsheet); XLSX cells are also written as strings explicitly, never as
formulas, by the streamed writer in ``skills_app.xlsx``. File names carry the role
code and the date, never personal data. The caller audits the export
(``run_search(..., action=Action.EXPORT)``).
"""

from __future__ import annotations

from collections.abc import Iterator

from django.utils import timezone

from skills_app.core.presenters import percent_value
from skills_app.exports import csv_download, safe_cell, xlsx_download
from skills_app.roles.search import SearchHit, SearchResult

COLUMNS = [
    "rank",
    "staff_number",
    "name",
    "grade",
    "org_unit",
    "location",
    "match_percent",
    "ranking_percent",
    "meets_essentials",
    "qualifies_by",
    "confidence",
    "prior_role",
    "prior_role_start",
    "prior_role_end",
    "prior_role_coverage_percent",
    "training_needed",
]


def training_needed(hit: SearchHit) -> str:
    """ "Python: 2 levels; SQL: 1 level" for every requirement not fully met."""
    return "; ".join(
        f"{r.skill.name}: {r.gap} level{'s' if r.gap != 1 else ''}"
        for r in hit.requirements
        if r.gap
    )


def shortlist_rows(result: SearchResult) -> Iterator[list]:
    for rank, hit in enumerate(result.hits, start=result.query.offset + 1):
        prior = hit.prior_role
        if prior is None:
            prior_cells = ["", "", "", ""]
        else:
            prior_cells = [
                prior.title,
                prior.start.isoformat() if prior.start else "",
                "current" if prior.current else prior.end.isoformat(),
                percent_value(prior.coverage),
            ]
        row = [
            rank,
            hit.staff_number,
            hit.name,
            hit.grade,
            hit.org_unit,
            hit.location,
            hit.percent,
            percent_value(hit.rank_score),
            "yes" if hit.meets_essentials else "no",
            hit.qualifies_by,
            hit.confidence,
            *prior_cells,
            training_needed(hit),
        ]
        yield [safe_cell(value) for value in row]


def filename(role_code: str, fmt: str) -> str:
    return f"shortlist-{role_code}-{timezone.localdate():%Y-%m-%d}.{fmt}"


def shortlist_csv(result: SearchResult, *, role_code: str):
    return csv_download(COLUMNS, shortlist_rows(result), filename(role_code, "csv"))


def shortlist_xlsx(result: SearchResult, *, role_code: str):
    return xlsx_download(
        COLUMNS, shortlist_rows(result), filename(role_code, "xlsx"), sheet_title="Shortlist"
    )
