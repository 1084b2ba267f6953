"""The ``role-history`` import: one row per role held, matched on (person, title, start).

A blank optional cell never changes what Muster holds. ``end_date``: blank makes a new
role current and keeps the recorded end date of an existing one; ``current`` makes the
role current (clearing a recorded end date). ``role_profile_code`` links the role to
the role library (the code in any case); blank keeps an existing link, and a new row
is linked when exactly one role profile has the same title (ignoring case). Leaving a
column out of the file is the same as leaving it blank on every row.
"""

from __future__ import annotations

from skills_app.core import vocabulary
from skills_app.core.staging import Counts
from skills_app.imports import values
from skills_app.imports.base import Importer
from skills_app.imports.kinds import ROLE_HISTORY
from skills_app.people.bulk_services import role_history_bulk_upsert
from skills_app.people.models import Person
from skills_app.roles.models import RoleProfile
from skills_app.roles.selectors import role_map


class RoleHistoryImporter(Importer):
    spec = ROLE_HISTORY

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.people = dict(
            Person.objects.values_list("staff_number", "pk").iterator(chunk_size=20000)
        )
        # role_profile_code as given -> the rows naming it; resolved in finish() with
        # one query through the roles app's selector (codes match ignoring case).
        self.code_rows: dict[str, list[int]] = {}
        self.titles: dict[str, int | None] = {}
        for pk, title in RoleProfile.objects.values_list("pk", "title"):
            key = " ".join(title.split()).casefold()
            self.titles[key] = None if key in self.titles else pk  # None: ambiguous
        self.keys: dict[tuple, int] = {}
        self.records: list[list] = []

    def check(self, number: int, cells: list) -> None:
        col, add = self.col, self.errors.add
        before = self.errors.count

        sn = values.text(cells[col["staff_number"]])
        person = self.people.get(sn)
        if not sn:
            add(number, "staff_number", "Enter the staff number")
        elif person is None:
            add(
                number,
                "staff_number",
                f"No one in Muster has staff number {values.quoted(sn)}: import them in a "
                "people file first",
            )

        title = values.text(cells[col["role_title"]])
        if not title:
            add(number, "role_title", "Enter the role title")
        elif len(title) > 255:
            add(number, "role_title", "The role title must be 255 characters or fewer")

        code = ""
        if col["role_profile_code"] is not None:
            code = values.text(cells[col["role_profile_code"]])
            if code:
                self.code_rows.setdefault(code, []).append(number)

        start = end = None
        end_given = False  # blank: keep the recorded end date (a new role: current)
        raw = cells[col["start_date"]]
        if not values.text(raw):
            add(number, "start_date", "Enter the date the role started")
        else:
            try:
                start = vocabulary.partial_date(raw)
            except values.Invalid as exc:
                add(number, "start_date", str(exc))
        raw = cells[col["end_date"]] if col["end_date"] is not None else None
        if vocabulary.is_current(raw):
            end_given = True
        elif values.text(raw):
            end_given = True
            try:
                end = vocabulary.partial_date(raw)
            except values.Invalid as exc:
                add(number, "end_date", str(exc))
        if start and end and end < start:
            add(number, "end_date", "The end date must be the same as or after the start date")

        if person is not None and title and start is not None:
            key = (person, title, start)
            if key in self.keys:
                add(
                    number,
                    "role_title",
                    f"The same person, role title and start date are on row {self.keys[key]}",
                )
            else:
                self.keys[key] = number
        if self.errors.count == before:
            # The code, when given, becomes the role profile's id in finish().
            by_title = None if code else self.titles.get(title.casefold())
            self.records.append([person, title, start, end, int(end_given), code or None, by_title])

    def finish(self) -> None:
        found = role_map(codes=self.code_rows)
        for code, rows in self.code_rows.items():
            if code not in found:
                for number in rows:
                    self.errors.add(
                        number,
                        "role_profile_code",
                        f"No role profile has the code {values.quoted(code)}: check it in "
                        "the role library",
                    )
        if self.errors:
            return
        for record in self.records:
            if record[5] is not None:
                record[5] = found[record[5]].pk

    def write(self, *, dry_run: bool) -> Counts:
        return role_history_bulk_upsert(
            rows=self.records,
            actor=self.user,
            source=self.audit_source,
            dry_run=dry_run,
            progress=self.progress,
        )
