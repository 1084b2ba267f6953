"""Scenario downloads: the allocations, and the release lists per line manager.

CSV is streamed (rows are read from the database as they are written); XLSX is
written by xlsxwriter in constant-memory mode, every cell explicitly as a string
or a number, never a formula. Every cell goes through ``safe_cell``, so a name
such as ``=HYPERLINK(...)`` stays text in any spreadsheet. File names carry the
scenario's id, the kind and the date, never personal data. The view audits.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator

import xlsxwriter
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

from skills_app.exports import Echo, safe_cell
from skills_app.surge import selectors
from skills_app.surge.models import SurgeScenario

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
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


def _score(value: float) -> float:
    return round(value * 100, 1)


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
            _score(a.score),
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


def _disposition(response, name: str):
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def export_csv(scenario: SurgeScenario, kind: str) -> StreamingHttpResponse:
    columns, rows, _ = EXPORTS[kind]
    writer = csv.writer(Echo())

    def stream():
        yield "\ufeff"  # a BOM, so Excel reads UTF-8
        yield writer.writerow(columns)
        for row in rows(scenario):
            yield writer.writerow(row)

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    return _disposition(response, filename(scenario, kind, "csv"))


def export_xlsx(scenario: SurgeScenario, kind: str) -> HttpResponse:
    columns, rows, title = EXPORTS[kind]
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        output,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    sheet = workbook.add_worksheet(title[:31])
    bold = workbook.add_format({"bold": True})
    for column, name in enumerate(columns):
        sheet.write_string(0, column, name, bold)
    for number, row in enumerate(rows(scenario), start=1):
        for column, value in enumerate(row):
            if isinstance(value, str):
                sheet.write_string(number, column, value)
            else:
                sheet.write_number(number, column, value)
    workbook.close()
    response = HttpResponse(output.getvalue(), content_type=XLSX_TYPE)
    return _disposition(response, filename(scenario, kind, "xlsx"))


def export(scenario: SurgeScenario, kind: str, fmt: str):
    return export_csv(scenario, kind) if fmt == "csv" else export_xlsx(scenario, kind)
