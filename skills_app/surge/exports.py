"""Scenario downloads: the allocations, and the release lists per line manager.

CSV is streamed (rows are read from the database as they are written); XLSX is
written by the streamed writer in skills_app.xlsx, every cell explicitly as a string
or a number, never a formula. Every cell goes through ``safe_cell``, so a name
such as ``=HYPERLINK(...)`` stays text in any spreadsheet. File names carry the
scenario's id, the kind and the date, never personal data. The view audits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from django.utils import timezone

from skills_app.core.presenters import percent_value
from skills_app.exports import csv_download, safe_cell, xlsx_download
from skills_app.surge import selectors
from skills_app.surge.models import SurgeScenario

FORMATS = ("csv", "xlsx")

ALLOCATION_COLUMNS = [
    "line",
    "role",
    "staff_number",
    "name",
    "grade",
    "org_unit",
    "location",
    "score_percent",
    "qualifies_by",
    "status",
]
RELEASE_COLUMNS = [
    "line_manager_name",
    "line_manager_staff_number",
    "staff_number",
    "name",
    "grade",
    "org_unit",
    "released_to_line",
    "released_to_role",
    "start_date",
    "status",
]
NO_MANAGER = "No line manager recorded"


def allocation_rows(scenario: SurgeScenario) -> Iterator[list]:
    for a in selectors.allocation_rows(scenario):
        person = a.person
        row = [
            a.line.position + 1,
            a.line.role_profile.title,
            person.staff_number,
            person.full_name,
            person.grade,
            person.org_unit.path,
            person.location,
            percent_value(a.score),
            a.qualifies_by,
            a.get_status_display(),
        ]
        yield [safe_cell(value) for value in row]


def release_rows(scenario: SurgeScenario) -> Iterator[list]:
    for a in selectors.release_rows(scenario):
        person, manager = a.person, a.person.line_manager
        row = [
            manager.full_name if manager else NO_MANAGER,
            manager.staff_number if manager else "",
            person.staff_number,
            person.full_name,
            person.grade,
            person.org_unit.path,
            a.line.position + 1,
            a.line.role_profile.title,
            a.line.start_date.isoformat() if a.line.start_date else "",
            a.get_status_display(),
        ]
        yield [safe_cell(value) for value in row]


EXPORTS: dict[str, tuple[list[str], Callable[[SurgeScenario], Iterator[list]], str]] = {
    "allocations": (ALLOCATION_COLUMNS, allocation_rows, "Allocations"),
    "releases": (RELEASE_COLUMNS, release_rows, "Releases by line manager"),
}


def filename(scenario: SurgeScenario, kind: str, fmt: str) -> str:
    return f"surge-{scenario.pk}-{kind}-{timezone.localdate():%Y-%m-%d}.{fmt}"


def export(scenario: SurgeScenario, kind: str, fmt: str):
    columns, rows, title = EXPORTS[kind]
    name = filename(scenario, kind, fmt)
    if fmt == "csv":
        return csv_download(columns, rows(scenario), name)
    return xlsx_download(columns, rows(scenario), name, sheet_title=title)
