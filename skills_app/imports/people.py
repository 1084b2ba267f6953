"""The ``people`` import: one row per member of staff, matched on staff number.

Blank cells: a blank optional cell never changes what Muster holds (``location``,
``weekly_hours``, ``clearance``, ``redeployable``, ``protected``, ``available_from`` and
``line_manager_staff_number``: partly the person's own redeployment preferences and the
manager's "protected" mark), and a new person gets the default (no location, 37, BPSS,
yes, no, none, no line manager). To take a line manager away, write ``none`` in
``line_manager_staff_number``. A column left out of the file keeps the current values
for everyone. (The required columns cannot be blank: that is a row error.)

Line managers may be anywhere in the file or already in Muster; they are set after
every person in the file exists, so the order of rows does not matter. Cycles are
found over the whole management graph: the database's reporting lines with the file's
changes applied.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import connection
from django.utils import timezone

from skills_app.core import vocabulary
from skills_app.imports import values
from skills_app.imports.base import Counts, Importer
from skills_app.imports.kinds import PEOPLE
from skills_app.imports.staging import (
    Staging,
    counts_by_action,
    differs,
    insert_select,
    param,
    q,
)
from skills_app.people.models import OrgUnit, OrgUnitKind, Person

MAX_PATH = 1000
MAX_SEGMENT = 255
CYCLE_SHOWN = 6
NO_MANAGER = "none"  # written in line_manager_staff_number: no line manager
_email_validator = EmailValidator()

STAGING = "muster_import_people"
CLASSIFIED = "muster_import_people_c"


def _path_key(path: str) -> str:
    return path.casefold()


class PeopleImporter(Importer):
    spec = PEOPLE

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # staff number -> (row, full_name, email, grade, path, location, hours,
        #                  clearance, redeployable, protected, available_from, manager)
        self.records: dict[str, tuple] = {}
        self.emails: dict[str, int] = {}  # lower-cased email -> first row
        self.paths: set[str] = set()

    # -- row checks ---------------------------------------------------------------------

    def check(self, number: int, cells: list) -> None:
        col, add = self.col, self.errors.add
        before = self.errors.count

        def cell(name):
            index = col[name]
            return None if index is None else cells[index]

        sn = values.text(cell("staff_number"))
        if not sn:
            add(number, "staff_number", "Enter the staff number")
        elif len(sn) > 32:
            add(number, "staff_number", "The staff number must be 32 characters or fewer")
        elif sn in self.records:
            add(number, "staff_number", f"Staff number {sn} is also on row {self.records[sn][0]}")
            sn = ""

        name = values.text(cell("full_name"))
        if not name:
            add(number, "full_name", "Enter the person's full name")
        elif len(name) > 255:
            add(number, "full_name", "The full name must be 255 characters or fewer")

        email = values.text(cell("email"))
        if not email:
            add(number, "email", "Enter the work email address")
        else:
            try:
                if len(email) > 254:
                    raise ValidationError("too long")
                _email_validator(email)
            except ValidationError:
                add(number, "email", "Enter a valid email address, like name@example.gov.uk")
            else:
                key = email.lower()
                if key in self.emails:
                    add(number, "email", f"The same email address is on row {self.emails[key]}")
                else:
                    self.emails[key] = number

        grade = None
        raw = values.text(cell("grade"))
        if not raw:
            add(number, "grade", "Enter the grade")
        else:
            try:
                grade = vocabulary.grade(raw)
            except values.Invalid as exc:
                add(number, "grade", str(exc))

        path = self._path(number, cell("org_unit"))

        location = cell("location")
        if location is not None:
            location = values.text(location) or None  # blank: keep what Muster holds
            if location is not None and len(location) > 120:
                add(number, "location", "The location must be 120 characters or fewer")

        parsed = {}
        for column, parse in (
            ("weekly_hours", values.weekly_hours),
            ("clearance", vocabulary.clearance),
            ("redeployable", vocabulary.yes_no),
            ("protected", vocabulary.yes_no),
            ("available_from", vocabulary.full_date),
        ):
            raw = cell(column)
            parsed[column] = None
            if raw is not None and (not isinstance(raw, str) or raw.strip()):
                try:
                    parsed[column] = parse(raw)
                except values.Invalid as exc:
                    add(number, column, str(exc))

        # None: keep the current line manager (blank cell or no column); "": none.
        manager = cell("line_manager_staff_number")
        if manager is not None:
            manager = values.text(manager) or None
            if manager is not None and manager.casefold() == NO_MANAGER:
                manager = ""
            elif sn and manager == sn:
                add(
                    number, "line_manager_staff_number", "A person cannot be their own line manager"
                )
                manager = ""

        if sn:
            self.records[sn] = (
                number,
                name,
                email,
                grade,
                path,
                location,
                parsed["weekly_hours"],
                parsed["clearance"],
                parsed["redeployable"],
                parsed["protected"],
                parsed["available_from"],
                manager,
                self.errors.count == before,
            )

    def _path(self, number: int, raw) -> str | None:
        text = str(raw or "").strip()
        if not text:
            self.errors.add(
                number, "org_unit", "Enter the organisation path, for example Dept/Directorate/Team"
            )
            return None
        segments = [" ".join(part.split()) for part in text.strip("/").split("/")]
        if any(not s for s in segments):
            self.errors.add(
                number,
                "org_unit",
                "The organisation path has an empty part: use Dept/Directorate/Team",
            )
            return None
        if any(len(s) > MAX_SEGMENT for s in segments):
            self.errors.add(
                number,
                "org_unit",
                f"Each part of the path must be {MAX_SEGMENT} characters or fewer",
            )
            return None
        path = "/".join(segments)
        if len(path) > MAX_PATH:
            self.errors.add(number, "org_unit", f"The path must be {MAX_PATH} characters or fewer")
            return None
        self.paths.add(path)
        return path

    # -- checks across rows ---------------------------------------------------------------

    def finish(self) -> None:
        add = self.errors.add
        db_manager: dict[str, str | None] = {}
        db_email: dict[str, str] = {}
        for sn, email, manager in Person.objects.values_list(
            "staff_number", "work_email", "line_manager__staff_number"
        ).iterator(chunk_size=10000):
            db_manager[sn] = manager
            db_email[email.lower()] = sn
        records = self.records

        # Email addresses held by someone else in Muster (unless the file moves them).
        for sn, record in records.items():
            email = record[2]
            if not email:
                continue
            owner = db_email.get(email.lower())
            if owner is not None and owner != sn:
                other = records.get(owner)
                if other is None or other[2].lower() == email.lower():
                    add(
                        record[0],
                        "email",
                        f"This email address belongs to staff number {owner} in Muster",
                    )

        # Line managers exist in the file or in Muster.
        graph = dict(db_manager)
        for sn, record in records.items():
            manager = record[11]
            if manager is None:  # column not in the file: the current manager stays
                graph.setdefault(sn, None)
                continue
            if manager and manager not in records and manager not in db_manager:
                add(
                    record[0],
                    "line_manager_staff_number",
                    f"Line manager {manager} is not in this file or in Muster",
                )
                graph[sn] = None
            else:
                graph[sn] = manager or None

        # Management loops: follow each chain up from every person in the file.
        state: dict[str, int] = {}
        for start in records:
            if start in state:
                continue
            trail, node = [], start
            while node is not None and node not in state:
                state[node] = 1
                trail.append(node)
                node = graph.get(node)
            if node is not None and state.get(node) == 1:
                loop = trail[trail.index(node) :]
                shown = " → ".join(
                    [*loop[:CYCLE_SHOWN], loop[0]]
                    if len(loop) <= CYCLE_SHOWN
                    else [*loop[:CYCLE_SHOWN], "…"]
                )
                for member in loop:
                    if member in records:
                        add(
                            records[member][0],
                            "line_manager_staff_number",
                            f"Line managers would form a loop: {shown}",
                        )
            for member in trail:
                state[member] = 2

    # -- writing ----------------------------------------------------------------------------

    def _ensure_units(self) -> tuple[dict[str, int], int]:
        """Every path in the file -> org unit id, creating missing units (and their
        missing ancestors) level by level."""
        existing = {
            _path_key(path): (pk, path) for pk, path in OrgUnit.objects.values_list("pk", "path")
        }
        wanted: dict[str, str] = {}  # key -> path as it will be stored
        parents_of_new: set[str] = set()
        for path in sorted(self.paths, key=lambda p: p.count("/")):
            segments = path.split("/")
            canonical = ""
            for depth, segment in enumerate(segments):
                candidate = f"{canonical}/{segment}" if canonical else segment
                key = _path_key(candidate)
                if key in existing:
                    canonical = existing[key][1]
                elif key in wanted:
                    canonical = wanted[key]
                else:
                    wanted[key] = candidate
                    canonical = candidate
                if depth < len(segments) - 1:
                    parents_of_new.add(_path_key(canonical))
        created = 0
        by_depth: dict[int, list[str]] = {}
        for key, path in wanted.items():
            by_depth.setdefault(path.count("/"), []).append(key)
        for depth in sorted(by_depth):
            units = []
            for key in by_depth[depth]:
                path = wanted[key]
                parent_path, _, name = path.rpartition("/")
                if depth == 0:
                    kind = OrgUnitKind.DEPARTMENT
                elif depth == 1:
                    kind = OrgUnitKind.DIRECTORATE
                else:
                    kind = OrgUnitKind.DIVISION if key in parents_of_new else OrgUnitKind.TEAM
                units.append(
                    OrgUnit(
                        name=name,
                        path=path,
                        depth=depth,
                        kind=kind,
                        parent_id=existing[_path_key(parent_path)][0] if parent_path else None,
                    )
                )
            OrgUnit.objects.bulk_create(units)
            for pk, path in OrgUnit.objects.filter(path__in=[u.path for u in units]).values_list(
                "pk", "path"
            ):
                existing[_path_key(path)] = (pk, path)
            created += len(units)
        return {path: existing[_path_key(path)][0] for path in self.paths}, created

    def write(self, *, dry_run: bool) -> Counts:
        units, units_created = self._ensure_units()
        staging = Staging(
            STAGING,
            [
                ("staff_number", "text"),
                ("full_name", "text"),
                ("work_email", "text"),
                ("grade", "text"),
                ("org_unit_id", "bigint"),
                ("location", "text"),
                ("weekly_hours", "decimal"),
                ("clearance", "smallint"),
                ("redeployable", "bool"),
                ("protected", "bool"),
                ("available_from", "date"),
                ("manager_sn", "text"),
            ],
        )
        rows = ((sn, r[1], r[2], r[3], units[r[4]], *r[5:12]) for sn, r in self.records.items())
        person = q(Person._meta.db_table)
        protected = q("protected")
        c = q(CLASSIFIED)
        now = param(timezone.now())
        with connection.cursor() as cursor:
            staging.create(cursor)
            self.progress.begin("writing", len(self.records))
            staging.load(cursor, rows, progress=self.progress)
            staging.index(cursor, "staff_number")
            self.progress.begin("saving", len(self.records))
            changed = " OR ".join(
                [
                    "t.full_name <> p.full_name",
                    "t.work_email <> p.work_email",
                    "t.grade <> p.grade",
                    "t.org_unit_id <> p.org_unit_id",
                    "(t.location IS NOT NULL AND t.location <> p.location)",
                    "(t.weekly_hours IS NOT NULL AND t.weekly_hours <> p.weekly_hours)",
                    "(t.clearance IS NOT NULL AND t.clearance <> p.clearance)",
                    "(t.redeployable IS NOT NULL AND t.redeployable <> p.redeployable)",
                    f"(t.{protected} IS NOT NULL AND t.{protected} <> p.{protected})",
                    "(t.available_from IS NOT NULL AND "
                    + differs("t.available_from", "p.available_from")
                    + ")",
                    "(t.manager_sn IS NOT NULL AND "
                    + differs("NULLIF(t.manager_sn, '')", "m.staff_number")
                    + ")",
                ]
            )
            cursor.execute(f"DROP TABLE IF EXISTS {c}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {c} AS SELECT t.*, p.id AS person_id, "  # noqa: S608
                f"CASE WHEN p.id IS NULL THEN 'c' WHEN {changed} THEN 'u' ELSE 'n' END AS action "
                f"FROM {staging.table} t LEFT JOIN {person} p ON p.staff_number = t.staff_number "
                f"LEFT JOIN {person} m ON m.id = p.line_manager_id"
            )
            counts = counts_by_action(cursor, c)
            counts.extra["org_units_created"] = units_created
            if not dry_run:
                self._apply(cursor, c, person, now)
            cursor.execute(f"DROP TABLE IF EXISTS {c}")
            staging.drop(cursor)
        return counts

    def _apply(self, cursor, c: str, person: str, now) -> None:
        # New people first (without managers), so every manager exists.
        insert_select(
            cursor,
            Person,
            [
                ("staff_number", "staff_number"),
                ("full_name", "full_name"),
                ("work_email", "work_email"),
                ("grade", "grade"),
                ("org_unit_id", "org_unit_id"),
                ("location", "COALESCE(location, '')"),
                ("weekly_hours", "COALESCE(weekly_hours, 37)"),
                ("clearance", "COALESCE(clearance, 1)"),
                ("redeployable", "COALESCE(redeployable, TRUE)"),
                ("protected", f"COALESCE({q('protected')}, FALSE)"),
                ("available_from", "available_from"),
            ],
            f"FROM {c} WHERE action = 'c'",  # noqa: S608
        )
        # Email changes go through a placeholder, so two people may swap addresses.
        cursor.execute(
            f"UPDATE {person} AS p SET work_email = '#' || p.id || '@import.invalid' "  # noqa: S608
            f"FROM {c} WHERE p.id = {c}.person_id AND {c}.action = 'u' "
            f"AND {c}.work_email <> p.work_email"
        )
        cursor.execute(
            f"UPDATE {person} AS p SET full_name = {c}.full_name, "  # noqa: S608
            f"work_email = {c}.work_email, grade = {c}.grade, org_unit_id = {c}.org_unit_id, "
            f"location = COALESCE({c}.location, p.location), "
            f"weekly_hours = COALESCE({c}.weekly_hours, p.weekly_hours), "
            f"clearance = COALESCE({c}.clearance, p.clearance), "
            f"redeployable = COALESCE({c}.redeployable, p.redeployable), "
            f"{q('protected')} = COALESCE({c}.{q('protected')}, p.{q('protected')}), "
            f"available_from = COALESCE({c}.available_from, p.available_from), "
            f"version = p.version + 1, updated_at = %s "
            f"FROM {c} WHERE p.id = {c}.person_id AND {c}.action = 'u'",
            [now],
        )
        # Line managers last, when everyone in the file exists. (Rows whose only change
        # is the manager were classified "u" above, so their version moved once.)
        cursor.execute(
            f"UPDATE {person} AS p SET line_manager_id = m.id "  # noqa: S608
            f"FROM {c} JOIN {person} m ON m.staff_number = {c}.manager_sn "
            f"WHERE p.staff_number = {c}.staff_number AND {c}.action IN ('c', 'u') "
            f"AND {c}.manager_sn <> '' AND {differs('p.line_manager_id', 'm.id')}"
        )
        cursor.execute(
            f"UPDATE {person} AS p SET line_manager_id = NULL "  # noqa: S608
            f"FROM {c} WHERE p.id = {c}.person_id AND {c}.action = 'u' "
            f"AND {c}.manager_sn = '' AND p.line_manager_id IS NOT NULL"
        )
