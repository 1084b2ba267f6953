"""The whole skills inventory as one download (issue 7, item 4).

One row per person and skill they hold (a person without skills gets one row with
the skill columns empty, so everyone in scope appears), ordered by org unit,
staff number and skill. HR and administrators export everyone, a line manager
their team (``people_in_scope``); planners and staff are refused.

Memory stays bounded however large the department: the rows come from one
database cursor read in chunks (a server-side cursor on PostgreSQL) and leave as
CSV text or XLSX bytes (``skills_app.xlsx``) as they are produced. Every text
cell goes through ``safe_cell``. The export is audited before the first byte
leaves: one summary row and one row per person exported, so each of them can
see who took their data. File names carry only the report name and the date.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from django.core.exceptions import PermissionDenied
from django.db.models import FilteredRelation, Q, QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from skills_app.audit.models import Action
from skills_app.audit.services import record_event, record_events_for_people
from skills_app.exports import csv_download, safe_cell, xlsx_download
from skills_app.people.models import EvidenceKind, Person, PersonSkill
from skills_app.reports.selectors import people_in_scope, report_scope
from skills_app.reports.services import filename
from taxonomy.models import LEVEL_NAMES

REPORT = "skills-inventory"
FORMATS = ("csv", "xlsx", "json")
CHUNK_ROWS = 5000

COLUMNS = [
    "staff_number",
    "full_name",
    "grade",
    "org_unit",
    "location",
    "skill",
    "skill_uri",
    "level",
    "level_name",
    "evidence",
    "last_used",
    "verified_on",
]

_FIELDS = (
    "pk",
    "staff_number",
    "full_name",
    "grade",
    "org_unit__path",
    "location",
    "held__skill_id",
    "held__skill__name",
    "held__skill__uri",
    "held__level",
    "held__evidence",
    "held__last_used",
    "held__verified_at",
)
EVIDENCE_LABELS = dict(EvidenceKind.choices)


def inventory_queryset(people: QuerySet[Person]):
    """People left-joined to their skills, in export order, as plain tuples."""
    # Drafts count in no report until their person confirms them (DESIGN 9).
    held = FilteredRelation("skills", condition=~Q(skills__evidence=EvidenceKind.INFERRED))
    return (
        people.annotate(held=held)
        .order_by("org_unit__path", "staff_number", "held__skill__name")
        .values_list(*_FIELDS)
    )


def inventory_rows(people: QuerySet[Person], *, escape=safe_cell) -> Iterator[list]:
    """The export's rows; text ``escape``d for spreadsheets (the JSON answer passes
    text through as held: its clients are programs, not spreadsheets); dates stay
    dates (CSV writes them as ISO 8601, XLSX as date cells). A person's and a
    skill's cells are escaped once each."""
    person_key, person_cells = None, []
    skill_cells: dict[int, list] = {}
    for (
        pk,
        staff_number,
        full_name,
        grade,
        unit,
        location,
        skill_id,
        skill_name,
        skill_uri,
        level,
        evidence,
        last_used,
        verified_at,
    ) in inventory_queryset(people).iterator(chunk_size=CHUNK_ROWS):
        if pk != person_key:
            person_key = pk
            person_cells = [escape(v) for v in (staff_number, full_name, grade, unit, location)]
        if skill_id is None:
            yield [*person_cells, None, None, None, None, None, None, None]
            continue
        skill = skill_cells.get(skill_id)
        if skill is None:
            skill = skill_cells[skill_id] = [escape(skill_name), escape(skill_uri)]
        yield [
            *person_cells,
            *skill,
            level,
            LEVEL_NAMES.get(level, ""),
            EVIDENCE_LABELS.get(evidence, evidence),
            last_used,
            timezone.localdate(verified_at) if verified_at else None,
        ]


def inventory_counts(user) -> dict[str, int]:
    """How many people and person-skill rows an export by ``user`` would hold."""
    people = people_in_scope(user)
    return {
        "people": people.count(),
        "skills": PersonSkill.objects.confirmed().filter(person__in=people.values("pk")).count(),
    }


def _as_held(value):
    return value


def _json_chunks(rows: Iterator[list]) -> Iterator[str]:
    """A JSON array of objects, one per row, streamed in batches."""
    batch, first = ["["], True
    for row in rows:
        record = dict(zip(COLUMNS, row, strict=True))
        for key in ("last_used", "verified_on"):
            if record[key] is not None:
                record[key] = record[key].isoformat()
        batch.append(("" if first else ",") + json.dumps(record, ensure_ascii=False))
        first = False
        if len(batch) >= CHUNK_ROWS:
            yield "".join(batch)
            batch = []
    batch.append("]")
    yield "".join(batch)


def export_inventory(*, user, fmt: str):
    """The skills inventory of everyone ``user`` may report on, streamed, audited."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    scope = report_scope(user)
    if scope is None:
        raise PermissionDenied
    people = people_in_scope(user)
    exported = record_events_for_people(
        actor=user, action=Action.EXPORT, people=people, parameters={"report": REPORT}
    )
    record_event(
        actor=user,
        action=Action.EXPORT,
        object_type="report",
        object_id=REPORT,
        parameters={"format": fmt, "scope": str(scope), "people": exported},
    )
    name = filename(REPORT, fmt)
    rows = inventory_rows(people, escape=safe_cell if fmt != "json" else _as_held)
    if fmt == "csv":
        return csv_download(COLUMNS, rows, name)
    if fmt == "xlsx":
        return xlsx_download(COLUMNS, rows, name, sheet_title="Skills inventory")
    response = StreamingHttpResponse(_json_chunks(rows), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
