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

from skills_app.core import vocabulary
from skills_app.core.staging import Counts
from skills_app.imports import values
from skills_app.imports.base import Importer
from skills_app.imports.kinds import PEOPLE
from skills_app.people.bulk_services import people_bulk_upsert
from skills_app.people.models import Person

MAX_PATH = 1000
MAX_SEGMENT = 255
CYCLE_SHOWN = 6
NO_MANAGER = "none"  # in line_manager_staff_number: no line manager; in left_on: not left
_email_validator = EmailValidator()


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

        # (left_on, given): blank or no column keeps the recorded day (given 0); "none"
        # clears it.
        left = (None, 0)
        raw = cell("left_on")
        if raw is not None and values.text(raw):
            if values.text(raw).casefold() == NO_MANAGER:
                left = (None, 1)
            else:
                try:
                    left = (vocabulary.full_date(raw), 1)
                except values.Invalid as exc:
                    add(number, "left_on", str(exc))

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
                left,
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

    def write(self, *, dry_run: bool) -> Counts:
        rows = [(sn, *record[1:12], *record[13]) for sn, record in self.records.items()]
        return people_bulk_upsert(
            rows=rows,
            actor=self.user,
            source=self.audit_source,
            dry_run=dry_run,
            progress=self.progress,
        )
