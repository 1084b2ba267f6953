"""The ``person-skills`` import: one row per person and skill, matched on both.

Built for 1.5 million rows: each row is checked in a tight loop with per-value caches
(staff numbers, skill labels, levels, dates and evidence repeat endlessly), and the
checked rows are kept as compact typed arrays (about 20 bytes a row), not as Python
objects. Duplicate (person, skill) pairs are found with one numpy sort.
"""

from __future__ import annotations

from array import array
from datetime import date

import numpy as np

from skills_app.core import vocabulary
from skills_app.core.staging import Counts
from skills_app.imports import values
from skills_app.imports.base import Importer
from skills_app.imports.errors import ImportConflict
from skills_app.imports.kinds import PERSON_SKILLS
from skills_app.imports.skills import SkillResolver
from skills_app.people.bulk_services import SkillsChanged, person_skills_bulk_upsert
from skills_app.people.models import EvidenceKind, Person

EVIDENCE = [None, *EvidenceKind.values]  # code 0 = blank
USED_KEEP = 0  # last_used blank: keep the recorded date (a new skill: in current use)
USED_CURRENT = -1  # last_used "current": in use now, whatever was recorded


class PersonSkillsImporter(Importer):
    spec = PERSON_SKILLS

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.people = dict(
            Person.objects.values_list("staff_number", "pk").iterator(chunk_size=20000)
        )
        self.resolver = SkillResolver()
        self.person_ids = array("q")
        self.skill_ids = array("q")
        self.levels = array("b")
        # date ordinal; USED_KEEP: blank (keep what is held; current for a new skill);
        # USED_CURRENT: "current" (in use now: no date)
        self.last_used = array("i")
        self.evidence = array("b")  # index into EVIDENCE
        self.row_numbers = array("i")
        self._level_cache: dict[str, int] = {}
        self._date_cache: dict = {}
        self._evidence_cache: dict[str, int] = {"": 0}

    def check(self, number: int, cells: list) -> None:
        add = self.errors.add
        col = self.col
        ok = True

        sn = cells[col["staff_number"]]
        sn = sn.strip() if isinstance(sn, str) else values.text(sn)
        person = self.people.get(sn)
        if person is None:
            ok = False
            if sn:
                add(
                    number,
                    "staff_number",
                    f"No one in Muster has staff number {values.quoted(sn)}: import them "
                    "in a people file first",
                )
            else:
                add(number, "staff_number", "Enter the staff number")

        label = cells[col["skill"]]
        label = " ".join(label.split()) if isinstance(label, str) else values.text(label)
        skill = None
        if not label:
            ok = False
            add(number, "skill", "Enter the skill")
        else:
            skill, message, suggestions = self.resolver.resolve(label)
            if skill is None:
                ok = False
                add(number, "skill", message, suggestions)

        raw = cells[col["level"]]
        level = self._level_cache.get(raw) if isinstance(raw, str) else None
        if level is None:
            try:
                level = vocabulary.level(raw)
                if isinstance(raw, str):
                    self._level_cache[raw] = level
            except values.Invalid as exc:
                ok = False
                level = 0
                add(number, "level", str(exc) if str(raw).strip() else "Enter the level")

        used = USED_KEEP
        if col["last_used"] is not None:
            raw = cells[col["last_used"]]
            if raw:
                used = self._date_cache.get(raw)
                if used is None:
                    try:
                        if vocabulary.is_blank(raw):
                            used = USED_KEEP
                        elif vocabulary.is_current(raw):
                            used = USED_CURRENT
                        else:
                            used = vocabulary.last_used(raw, today=self.today).toordinal()
                        self._date_cache[raw] = used
                    except values.Invalid as exc:
                        ok = False
                        used = USED_KEEP
                        add(number, "last_used", str(exc))

        evidence = 0
        if col["evidence"] is not None:
            raw = cells[col["evidence"]]
            key = raw.strip() if isinstance(raw, str) else str(raw)
            evidence = self._evidence_cache.get(key)
            if evidence is None:
                try:
                    evidence = EVIDENCE.index(vocabulary.evidence(key))
                    self._evidence_cache[key] = evidence
                except values.Invalid as exc:
                    ok = False
                    evidence = 0
                    add(number, "evidence", str(exc))

        if person is not None and skill is not None:
            # Kept even when another cell is wrong, so duplicates are still reported.
            self.person_ids.append(person)
            self.skill_ids.append(skill)
            self.levels.append(level if ok else 0)
            self.last_used.append(used)
            self.evidence.append(evidence)
            self.row_numbers.append(number)

    def finish(self) -> None:
        if not self.person_ids:
            return
        persons = np.frombuffer(self.person_ids, dtype=np.int64)
        skills = np.frombuffer(self.skill_ids, dtype=np.int64)
        keys = (persons << 32) | skills
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        repeats = np.flatnonzero(ordered[1:] == ordered[:-1]) + 1
        if not len(repeats):
            return
        firsts = np.searchsorted(ordered, ordered[repeats], side="left")
        numbers = np.frombuffer(self.row_numbers, dtype=np.int32)
        staff = {pk: sn for sn, pk in self.people.items()}
        names = self.resolver._name_of(sorted({int(skills[order[i]]) for i in repeats}))
        for repeat, first in zip(repeats.tolist(), firsts.tolist(), strict=True):
            index = int(order[repeat])
            self.errors.add(
                int(numbers[index]),
                "skill",
                f"Staff number {staff[int(persons[index])]} has "
                f"“{names.get(int(skills[index]), 'this skill')}” again: it is also on row "
                f"{int(numbers[order[first]])}",
            )

    def _staged_rows(self):
        dates: dict[int, date | None] = {USED_KEEP: None, USED_CURRENT: None}
        for person, skill, level, used, evidence in zip(
            self.person_ids,
            self.skill_ids,
            self.levels,
            self.last_used,
            self.evidence,
            strict=True,
        ):
            day = dates.get(used)
            if day is None and used > 0:
                day = dates[used] = date.fromordinal(used)
            yield person, skill, level, day, int(used != USED_KEEP), EVIDENCE[evidence]

    def write(self, *, dry_run: bool) -> Counts:
        try:
            return person_skills_bulk_upsert(
                rows=self._staged_rows(),
                count=len(self.person_ids),
                skill_ids=self.resolver.used,
                actor=self.user,
                source=self.audit_source,
                dry_run=dry_run,
                progress=self.progress,
            )
        except SkillsChanged:
            raise ImportConflict(
                "A skill in the file was merged or withdrawn while the file was being "
                "checked, so nothing was imported. Upload the file again."
            ) from None
