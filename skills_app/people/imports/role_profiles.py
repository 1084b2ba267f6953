"""The ``role-profiles`` import: one row per requirement, grouped by role code.

A role in the file ends up with exactly the file's requirements (and its title); a role
whose title and requirements already match is left untouched (no version bump). New
roles are local roles. Counts are of role profiles, not rows.
"""

from __future__ import annotations

import re

from django.db import transaction
from django.utils import timezone

from skills_app.people.imports import values
from skills_app.people.imports.base import Counts, Importer
from skills_app.people.imports.errors import ImportConflict
from skills_app.people.imports.kinds import ROLE_PROFILES
from skills_app.people.imports.skills import SkillResolver, active_skill_count
from skills_app.roles.models import RoleProfile, RoleRequirement, RoleSource

_CODE = re.compile(r"[-a-zA-Z0-9_]+")


class RoleProfilesImporter(Importer):
    spec = ROLE_PROFILES

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.resolver = SkillResolver()
        self.existing_codes = {
            code.lower(): code for code in RoleProfile.objects.values_list("code", flat=True)
        }
        # code -> {"title", "row", "requirements": {skill_id: (level, weight, essential, row)}}
        self.roles: dict[str, dict] = {}

    def check(self, number: int, cells: list) -> None:
        col, add = self.col, self.errors.add

        def cell(name):
            index = col[name]
            return "" if index is None else cells[index]

        code = values.text(cell("role_code"))
        if not code:
            add(number, "role_code", "Enter the role code")
        elif len(code) > 120 or not _CODE.fullmatch(code):
            add(
                number,
                "role_code",
                "The role code can only have letters, numbers, hyphens and underscores, "
                "and at most 120 of them",
            )
            code = ""
        else:
            code = self.existing_codes.get(code.lower(), code.lower())

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
            level = values.level(cell("level"))
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
                essential = values.yes_no(cell("essential"))
            except values.Invalid as exc:
                add(number, "essential", str(exc))

        if not code:
            return
        role = self.roles.setdefault(code, {"title": title, "row": number, "requirements": {}})
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
            elif level is not None:
                role["requirements"][skill] = (level, weight, essential, number)

    def write(self, *, dry_run: bool) -> Counts:
        used = self.resolver.used
        if active_skill_count(used, lock=True) != len(used):
            raise ImportConflict(
                "A skill in the file was merged or withdrawn while the file was being "
                "checked, so nothing was imported. Upload the file again."
            )
        counts = Counts()
        existing = {
            role.code: role
            for role in RoleProfile.objects.filter(code__in=list(self.roles)).prefetch_related(
                "requirements"
            )
        }
        now = timezone.now()
        self.progress.begin("saving", len(self.roles))
        with transaction.atomic():
            new_requirements = []
            for code, spec in self.roles.items():
                wanted = {
                    skill: (level, float(weight), essential)
                    for skill, (level, weight, essential, _) in spec["requirements"].items()
                }
                role = existing.get(code)
                if role is None:
                    role = RoleProfile.objects.create(
                        code=code,
                        title=spec["title"],
                        source=RoleSource.LOCAL,
                        created_by=self.user if getattr(self.user, "pk", None) else None,
                    )
                    counts.created += 1
                else:
                    held = {
                        r.skill_id: (r.level, float(r.weight), r.essential)
                        for r in role.requirements.all()
                    }
                    if held == wanted and role.title == spec["title"]:
                        counts.unchanged += 1
                        continue
                    RoleRequirement.objects.filter(role=role).delete()
                    RoleProfile.objects.filter(pk=role.pk).update(
                        title=spec["title"], version=role.version + 1, updated_at=now
                    )
                    counts.updated += 1
                new_requirements += [
                    RoleRequirement(
                        role=role, skill_id=skill, level=level, weight=weight, essential=essential
                    )
                    for skill, (level, weight, essential) in wanted.items()
                ]
            RoleRequirement.objects.bulk_create(new_requirements, batch_size=2000)
        counts.extra["requirements"] = sum(len(s["requirements"]) for s in self.roles.values())
        return counts
