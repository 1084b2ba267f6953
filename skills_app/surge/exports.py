"""Scenario downloads: the allocations, the release lists per line manager and the
training cohorts (who needs which course by when).

CSV is streamed (rows are read from the database as they are written); XLSX is
written by the streamed writer in skills_app.xlsx, every cell explicitly as a string
or a number, never a formula. Every cell goes through ``safe_cell``, so a name
such as ``=HYPERLINK(...)`` stays text in any spreadsheet. File names carry the
scenario's id, the kind and the date, never personal data. The view audits.

The release list follows DESIGN.md section 8: a line manager's identity is part of
a full profile (HR, administrators), not of the match fields planners see, so for
a reader without ``PROFILE_VIEW_ALL`` the two line-manager columns are present but
empty. The rows are still grouped by line manager, and "No line manager recorded"
still marks people without one (that is not anyone's identity).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from django.utils import timezone

from skills_app.accounts.permissions import Cap, has_cap
from skills_app.core.presenters import percent_value
from skills_app.exports import csv_download, safe_cell, xlsx_download
from skills_app.surge import selectors
from skills_app.surge.models import SurgeScenario
from taxonomy.models import LEVEL_NAMES

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
TRAINING_COLUMNS = [
    "start_date",
    "week",
    "skill",
    "level_needed",
    "level_name",
    "levels_short",
    "staff_number",
    "name",
    "line",
    "role",
]
NO_MANAGER = "No line manager recorded"
ON_APPROVAL = "On approval"


def allocation_rows(scenario: SurgeScenario, *, viewer) -> Iterator[list]:
    """Match fields only, which every reader of scenarios may see (``viewer`` unused)."""
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


def shows_line_managers(viewer) -> bool:
    """May ``viewer`` see who manages the people released (a full-profile field)?"""
    return has_cap(viewer, Cap.PROFILE_VIEW_ALL)


def _manager_cells(manager, *, identified: bool) -> list[str]:
    if manager is None:
        return [NO_MANAGER, ""]
    if not identified:
        return ["", ""]
    return [manager.full_name, manager.staff_number]


def release_rows(scenario: SurgeScenario, *, viewer) -> Iterator[list]:
    identified = shows_line_managers(viewer)
    for a in selectors.release_rows(scenario):
        person = a.person
        row = [
            *_manager_cells(person.line_manager, identified=identified),
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


def training_rows(scenario: SurgeScenario, *, viewer) -> Iterator[list]:
    """The training cohorts: per start date and course (skill, level needed), each
    person who must finish it by then (match fields only; ``viewer`` unused)."""
    for person in selectors.training_rows(scenario):
        row = [
            person.start.isoformat() if person.start else ON_APPROVAL,
            person.week if person.week is not None else "",
            person.skill,
            person.level,
            LEVEL_NAMES.get(person.level, ""),
            person.short,
            person.staff_number,
            person.name,
            person.line,
            person.role,
        ]
        yield [safe_cell(value) for value in row]


# kind: (columns, rows(scenario, viewer=...), sheet title)
EXPORTS: dict[str, tuple[list[str], Callable[..., Iterator[list]], str]] = {
    "allocations": (ALLOCATION_COLUMNS, allocation_rows, "Allocations"),
    "releases": (RELEASE_COLUMNS, release_rows, "Releases by line manager"),
    "training": (TRAINING_COLUMNS, training_rows, "Training cohorts"),
}


def filename(scenario: SurgeScenario, kind: str, fmt: str) -> str:
    return f"surge-{scenario.pk}-{kind}-{timezone.localdate():%Y-%m-%d}.{fmt}"


def export(scenario: SurgeScenario, kind: str, fmt: str, *, viewer):
    """The ``kind`` download of ``scenario`` as ``viewer`` may see it."""
    columns, rows, title = EXPORTS[kind]
    name = filename(scenario, kind, fmt)
    if fmt == "csv":
        return csv_download(columns, rows(scenario, viewer=viewer), name)
    return xlsx_download(columns, rows(scenario, viewer=viewer), name, sheet_title=title)
