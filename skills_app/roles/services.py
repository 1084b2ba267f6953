"""Writes to the role library: create and change role profiles.

A role profile is a list of requirements (skill, level, weight, essential) plus
the hard filters a search for it starts with. Framework roles (DDaT, ESCO) are
reference data kept as published; a planner starts a local role from one of
them, from an existing profile or from scratch, and may change local roles only.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils.text import slugify

from skills_app.people.services import ConflictError
from skills_app.roles.models import RoleProfile, RoleRequirement, RoleSource
from skills_app.roles.search import RequirementSpec, SearchFilters
from taxonomy.models import OccupationSkill

# ESCO says which skills an occupation needs, not at what level: essential skills
# start at Practitioner with full weight, optional ones at Working with half weight.
# The planner adjusts both in the builder.
ESCO_ESSENTIAL = (3, 1.0)
ESCO_OPTIONAL = (2, 0.5)
MAX_REQUIREMENTS = 60


class RoleError(ValueError):
    """A role profile that cannot be saved as given; the message says why."""


def requirements_from_role(role: RoleProfile) -> list[RequirementSpec]:
    return [
        RequirementSpec(r.skill_id, r.level, r.weight, r.essential) for r in role.requirements.all()
    ]


def requirements_from_occupation(occupation) -> list[RequirementSpec]:
    specs = []
    for link in OccupationSkill.objects.filter(occupation=occupation).order_by(
        "-essential", "skill__name"
    ):
        level, weight = ESCO_ESSENTIAL if link.essential else ESCO_OPTIONAL
        specs.append(RequirementSpec(link.skill_id, level, weight, link.essential))
    return specs[:MAX_REQUIREMENTS]


def _check(title: str, requirements: Sequence[RequirementSpec]) -> None:
    if not title.strip():
        raise RoleError("Enter a title for the role")
    if not requirements:
        raise RoleError("Add at least one skill requirement")
    if len(requirements) > MAX_REQUIREMENTS:
        raise RoleError(f"A role can have at most {MAX_REQUIREMENTS} requirements")
    seen = set()
    for spec in requirements:
        if spec.skill_id in seen:
            raise RoleError("Each skill can be required once only")
        seen.add(spec.skill_id)
        if not 1 <= spec.level <= 4:
            raise RoleError("Levels are 1 to 4")
        if not spec.weight > 0:
            raise RoleError("Weights must be greater than 0")


# Codes that are also fixed paths under /roles/ (a role called "new" would be unreachable).
RESERVED_CODES = frozenset({"new"})


def _unique_code(title: str) -> str:
    base = slugify(title)[:100] or "role"
    code, n = base, 1
    while code in RESERVED_CODES or RoleProfile.objects.filter(code=code).exists():
        n += 1
        code = f"{base}-{n}"
    return code


def _write_requirements(role: RoleProfile, requirements: Sequence[RequirementSpec]) -> None:
    RoleRequirement.objects.filter(role=role).delete()
    RoleRequirement.objects.bulk_create(
        RoleRequirement(
            role=role,
            skill_id=spec.skill_id,
            level=spec.level,
            weight=spec.weight,
            essential=spec.essential,
        )
        for spec in requirements
    )


@transaction.atomic
def role_create(
    *,
    actor,
    title: str,
    requirements: Sequence[RequirementSpec],
    filters: SearchFilters | None = None,
    description: str = "",
    grade_min: str = "",
    grade_max: str = "",
    code: str = "",
) -> RoleProfile:
    _check(title, requirements)
    if code in RESERVED_CODES:
        raise RoleError(f"{code} is reserved: choose another code")
    if code and RoleProfile.objects.filter(code=code).exists():
        raise RoleError(f"A role with code {code} already exists")
    role = RoleProfile.objects.create(
        code=code or _unique_code(title),
        title=title.strip(),
        description=description.strip(),
        grade_min=grade_min,
        grade_max=grade_max,
        source=RoleSource.LOCAL,
        filters=(filters or SearchFilters()).to_json(),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    _write_requirements(role, requirements)
    return role


@transaction.atomic
def role_update(
    *,
    role: RoleProfile,
    expected_version: int,
    title: str,
    requirements: Sequence[RequirementSpec],
    filters: SearchFilters | None = None,
    description: str = "",
    grade_min: str = "",
    grade_max: str = "",
) -> RoleProfile:
    """Change a local role. Raises ConflictError when someone saved it since
    ``expected_version`` was read (nothing is written)."""
    current = RoleProfile.objects.select_for_update().get(pk=role.pk)
    if current.source != RoleSource.LOCAL:
        raise RoleError(
            "Framework roles are kept as published: start a new role from this one instead"
        )
    if current.version != expected_version:
        raise ConflictError(current)
    _check(title, requirements)
    current.title = title.strip()
    current.description = description.strip()
    current.grade_min, current.grade_max = grade_min, grade_max
    current.filters = (filters or SearchFilters()).to_json()
    current.version += 1
    current.save()
    _write_requirements(current, requirements)
    return current
