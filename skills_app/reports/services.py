"""Report downloads: CSV and XLSX of a report's table, audited.

Every cell goes through ``safe_cell`` (an org unit named ``=HYPERLINK(...)``
stays text); XLSX cells are written as strings or numbers, never formulas
(``skills_app.exports``). File names carry the report's name and the date,
never personal data. Each download writes one ``export`` audit row with the
report, format, scope and number of rows: never the data itself.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.utils import timezone

from skills_app.audit.models import Action
from skills_app.audit.services import record_event, record_events_for_subjects
from skills_app.core.presenters import percent_value
from skills_app.exports import csv_download, safe_cell, xlsx_download
from skills_app.reports.selectors import Heatmap, QualityReport
from skills_app.reports.supply import SupplyReport

FORMATS = ("csv", "xlsx")

QUALITY_COLUMNS = [
    "org_unit",
    "people",
    "reviewed_last_12_months",
    "reviewed_percent",
    "person_skills",
    "verified_or_assessed",
    "verified_percent",
    "expired_qualifications",
    "people_without_skills",
    "people_without_skills_percent",
    "quality_score_percent",
    "drafts_confirmed",
    "drafts_outstanding",
]


def quality_rows(report: QualityReport) -> Iterator[list]:
    for r in report.rows:
        yield [
            safe_cell(r.unit),
            r.people,
            r.reviewed,
            percent_value(r.reviewed_share),
            r.skills,
            r.verified,
            percent_value(r.verified_share),
            r.expired_qualifications,
            r.no_skills,
            percent_value(r.no_skills_share),
            percent_value(r.score),
            r.drafts_confirmed,
            r.drafts_outstanding,
        ]


def filename(report_name: str, fmt: str, *, now=None) -> str:
    day = timezone.localdate(now or timezone.now()).isoformat()
    return f"{report_name}-{day}.{fmt}"


def _audited_download(*, user, report: str, fmt: str, columns, rows, name, title, audit: dict):
    """A report as a CSV or XLSX download, with one EXPORT audit row saying what it held."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    record_event(
        actor=user,
        action=Action.EXPORT,
        object_type="report",
        object_id=report,
        parameters={"format": fmt, **audit},
    )
    if fmt == "csv":
        return csv_download(columns, rows, name)
    return xlsx_download(columns, rows, name, sheet_title=title)


def export_data_quality(*, user, report: QualityReport, fmt: str):
    """The data quality table as a download, audited."""
    return _audited_download(
        user=user,
        report="data-quality",
        fmt=fmt,
        columns=QUALITY_COLUMNS,
        rows=quality_rows(report),
        name=filename("data-quality", fmt),
        title="Data quality",
        audit={"scope": str(report.scope), "depth": report.depth, "rows": len(report.rows)},
    )


def heatmap_columns(heatmap: Heatmap) -> list[str]:
    return ["org_unit", "people", *[safe_cell(c.label) for c in heatmap.columns]]


def heatmap_rows(heatmap: Heatmap) -> Iterator[list]:
    for r in heatmap.rows:
        yield [safe_cell(r.unit), r.people, *r.cells]


def export_heatmap(*, user, heatmap: Heatmap, fmt: str):
    """The capability heatmap as a download (one column per skill group or
    skill: people at or above the level), audited."""
    return _audited_download(
        user=user,
        report="capability",
        fmt=fmt,
        columns=heatmap_columns(heatmap),
        rows=heatmap_rows(heatmap),
        name=filename(f"capability-level-{heatmap.level}", fmt),
        title="Capability",
        audit={
            "scope": str(heatmap.scope),
            "depth": heatmap.depth,
            "level": heatmap.level,
            "columns": len(heatmap.columns),
            "rows": len(heatmap.rows),
        },
    )


def record_drilldown(*, user, people: list, total: int) -> None:
    """A heatmap cell opened to its list of people: audited like a search, one
    row per person shown (so they can see it), or one row when nobody is."""
    parameters = {"report": "capability", "results": total}
    if people:
        record_events_for_subjects(
            actor=user, action=Action.SEARCH, subjects=people, parameters=parameters
        )
    else:
        record_event(actor=user, action=Action.SEARCH, object_type="person", parameters=parameters)


SUPPLY_COLUMNS = [
    "role_code",
    "role_title",
    "demand_headcount",
    "qualify_now",
    "one_level_of_training_away",
    "where_qualifying_people_sit",
]


def supply_rows(report: SupplyReport) -> Iterator[list]:
    for r in report.rows:
        yield [
            safe_cell(r.code),
            safe_cell(r.title),
            "" if r.headcount is None else r.headcount,
            r.qualify,
            r.one_level_away,
            safe_cell("; ".join(f"{unit}: {n}" for unit, n in r.units)),
        ]


def export_supply(*, user, report: SupplyReport, fmt: str):
    """Supply and demand per role profile as a download, audited."""
    return _audited_download(
        user=user,
        report="supply-demand",
        fmt=fmt,
        columns=SUPPLY_COLUMNS,
        rows=supply_rows(report),
        name=filename("supply-demand", fmt),
        title="Supply and demand",
        audit={"scope": str(report.scope), "threshold": report.threshold, "rows": len(report.rows)},
    )
