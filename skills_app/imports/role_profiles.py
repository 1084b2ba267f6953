"""The ``role-profiles`` import: one row per requirement, grouped by role code.

A role in the file ends up with exactly the file's requirements (and its title); a role
whose title and requirements already match is left untouched (no version bump). Codes
match ignoring case: a row for ``ORACLE-1234`` updates the role ``oracle-1234``, and a
new role keeps the code as the file first spells it. New roles are local roles; a row
naming a framework role (DDaT, ESCO) is an error, as those are kept as published.
Roles are written through the roles app's services, which hold those rules. Counts are
of role profiles, not rows.
"""

from __future__ import annotations

from skills_app.core import vocabulary
from skills_app.core.staging import Counts
from skills_app.imports import values
from skills_app.imports.base import Importer
from skills_app.imports.errors import ImportConflict
from skills_app.imports.kinds import ROLE_PROFILES
from skills_app.imports.skills import SkillResolver
from skills_app.roles.models import RoleSource
from skills_app.roles.search import RequirementSpec
from skills_app.roles.selectors import code_key, role_map
from skills_app.roles.services import (
    MAX_REQUIREMENTS,
    RoleError,
    code_problem,
    framework_role_message,
    role_upsert,
)
from taxonomy.selectors import active_skill_count


class RoleProfilesImporter(Importer):
    spec = ROLE_PROFILES

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.resolver = SkillResolver()
        # code_key -> {"code" (as first spelt), "title", "row", "rows",
        #              "requirements": {skill_id: (level, weight, essential, row)}}
        self.roles: dict[str, dict] = {}

    def check(self, number: int, cells: list) -> None:
        col, add = self.col, self.errors.add

        def cell(name):
            index = col[name]
            return "" if index is None else cells[index]

        code = values.text(cell("role_code"))
        if problem := code_problem(code):
            add(number, "role_code", problem)
            code = ""

        title = values.text(cell("title"))
        if not title:
            add(number, "title", "Enter the role title")
        elif len(title) > 255:
            add(number, "title", "The role title must be 255 characters or fewer")

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

        weight = 1.0
        if values.text(cell("weight")):
            try:
                weight = values.weight(cell("weight"))
            except values.Invalid as exc:
                add(number, "weight", str(exc))

        essential = False
        if values.text(cell("essential")):
            try:
                essential = vocabulary.yes_no(cell("essential"))
            except values.Invalid as exc:
                add(number, "essential", str(exc))

        if not code:
            return
        role = self.roles.setdefault(
            code_key(code),
            {"code": code, "title": title, "row": number, "rows": [], "requirements": {}},
        )
        role["rows"].append(number)
        if title and role["title"] and title != role["title"]:
            add(
                number,
                "title",
                f"Row {role['row']} gives this role the title “{role['title']}”: a role has "
                "one title, so use the same on every row",
            )
        if skill is not None:
            if skill in role["requirements"]:
                add(
                    number,
                    "skill",
                    f"This skill is already a requirement of {code} on row "
                    f"{role['requirements'][skill][3]}",
                )
            elif len(role["requirements"]) >= MAX_REQUIREMENTS:
                add(
                    number,
                    "skill",
                    f"A role can have at most {MAX_REQUIREMENTS} requirements: {code} has more",
                )
            elif level is not None:
                role["requirements"][skill] = (level, weight, essential, number)

    def finish(self) -> None:
        # Framework roles are the services' invariant too (role_upsert refuses them);
        # checking here turns it into an error on each row that names one.
        existing = role_map(codes=[spec["code"] for spec in self.roles.values()])
        for spec in self.roles.values():
            role = existing.get(spec["code"])
            if role is not None and role.source != RoleSource.LOCAL:
                for number in spec["rows"]:
                    self.errors.add(number, "role_code", framework_role_message(role))

    def write(self, *, dry_run: bool) -> Counts:
        used = self.resolver.used
        if active_skill_count(used, lock=True) != len(used):
            raise ImportConflict(
                "A skill in the file was merged or withdrawn while the file was being "
                "checked, so nothing was imported. Upload the file again."
            )
        counts = Counts()
        self.progress.begin("saving", len(self.roles))
        for spec in self.roles.values():
            requirements = [
                RequirementSpec(skill, level, float(weight), essential)
                for skill, (level, weight, essential, _) in spec["requirements"].items()
            ]
            try:
                _, outcome = role_upsert(
                    actor=self.user,
                    code=spec["code"],
                    title=spec["title"],
                    requirements=requirements,
                )
            except RoleError:
                # The checks passed, so the library changed since (a role created with
                # this code, or a framework role imported): the caller's transaction
                # rolls back everything.
                raise ImportConflict() from None
            setattr(counts, outcome, getattr(counts, outcome) + 1)
            self.progress.advance()
        counts.extra["requirements"] = sum(len(s["requirements"]) for s in self.roles.values())
        return counts
