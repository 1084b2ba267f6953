"""The ``qualification-skills`` import: the stewards' qualification-to-skills table
(DESIGN.md section 9), one row per qualification and skill.

A pair already in the table takes the file's level; new pairs are added; pairs not in
the file are left alone. Qualifications match ignoring case, accents and punctuation
(the table's ``key``), so "PRINCE2 Practitioner" and "prince2 practitioner" are one.
Skills are read like every other import's (``SkillResolver``: name, other name, URI or
close misspelling, followed through merges; deprecated skills refused). The write is
``taxonomy.services.qualification_skills_upsert``. Counts are of mappings.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from matching.normaliser import normalise
from skills_app.core import vocabulary
from skills_app.core.staging import Counts
from skills_app.imports import values
from skills_app.imports.base import Importer
from skills_app.imports.errors import ImportConflict
from skills_app.imports.kinds import QUALIFICATION_SKILLS
from skills_app.imports.skills import SkillResolver
from taxonomy.selectors import active_skill_count
from taxonomy.services import clean_qualification, qualification_skills_upsert


class QualificationSkillsImporter(Importer):
    spec = QUALIFICATION_SKILLS

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.resolver = SkillResolver()
        # (qualification key, skill id) -> (name as first spelt, level, row)
        self.pairs: dict[tuple[str, int], tuple[str, int, int]] = {}

    def check(self, number: int, cells: list) -> None:
        col, add = self.col, self.errors.add

        def cell(name):
            index = col[name]
            return "" if index is None else cells[index]

        name = None
        try:
            name = clean_qualification(values.text(cell("qualification")))
        except ValidationError as exc:
            add(number, "qualification", " ".join(exc.messages))

        skill = None
        label = values.text(cell("skill"))
        if not label:
            add(number, "skill", "Enter the skill")
        else:
            skill, message, suggestions = self.resolver.resolve(label)
            if skill is None:
                add(number, "skill", message, suggestions)

        level = None
        try:
            level = vocabulary.level(cell("level"))
        except values.Invalid as exc:
            add(number, "level", str(exc) if values.text(cell("level")) else "Enter the level")

        if name is None or skill is None or level is None:
            return
        pair = (normalise(name), skill)
        if pair in self.pairs:
            add(
                number,
                "skill",
                f"Row {self.pairs[pair][2]} already maps this qualification to this skill: "
                "give each pair once",
            )
            return
        self.pairs[pair] = (name, level, number)

    def write(self, *, dry_run: bool) -> Counts:
        used = self.resolver.used
        if active_skill_count(used, lock=True) != len(used):
            raise ImportConflict(
                "A skill in the file was merged or withdrawn while the file was being "
                "checked, so nothing was imported. Upload the file again."
            )
        self.progress.begin("saving", len(self.pairs))
        counts = qualification_skills_upsert(
            (name, skill_id, level) for (_, skill_id), (name, level, _) in self.pairs.items()
        )
        self.progress.advance(len(self.pairs))
        return counts
