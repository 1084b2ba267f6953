"""Writes to the role library: create and change role profiles.

A role profile is a list of requirements (skill, level, weight, essential) plus
the hard filters a search for it starts with. Framework roles (DDaT, ESCO) are
reference data kept as published; a planner starts a local role from one of
them, from an existing profile or from scratch, and may change local roles only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from skills_app.core.concurrency import require_version, save_new_version
from skills_app.roles import selectors
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


class RoleCodeTaken(RoleError):
    """Another role already has this code, ignoring case (the API answers 409)."""


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


# --- role codes ------------------------------------------------------------------------
# A code is kept as it was created ("ORACLE-1234") and matched ignoring case
# (selectors.code_key); codes that differ only in case are one code, which the
# database enforces (RoleProfile's role_code_unique_ignoring_case). The format is
# what the page URLs accept (<slug:code>), so every role has a page.
CODE_MAX = RoleProfile._meta.get_field("code").max_length
CODE_FORMAT = re.compile(r"[-a-zA-Z0-9_]+")
# Codes that are also fixed paths under /roles/ (a role called "new" would be unreachable).
RESERVED_CODES = frozenset({"new"})


def code_problem(code: str) -> str:
    """Why ``code`` cannot be a role code ("" when it can). Whether it is taken
    is a separate question (selectors.role_exists, or RoleCodeTaken on save)."""
    if not code:
        return "Enter the role code"
    if len(code) > CODE_MAX or not CODE_FORMAT.fullmatch(code):
        return (
            "A role code can only have letters, numbers, hyphens and underscores, "
            f"and at most {CODE_MAX} of them"
        )
    if selectors.code_key(code) in RESERVED_CODES:
        return f"{code} is reserved: choose another code"
    return ""


def new_code(title: str) -> str:
    """A code for a new role made from its title: the title as a slug, numbered
    when taken (in any case), never a reserved one."""
    base = slugify(title)[: CODE_MAX - 10] or "role"
    if base in RESERVED_CODES:
        base = f"{base}-role"
    code, n = base, 1
    while selectors.role_exists(code=code):
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
    """A new local role. Without ``code`` one is made from the title (new_code).
    Raises RoleCodeTaken when another role has the code in any case."""
    _check(title, requirements)
    if code:
        if problem := code_problem(code):
            raise RoleError(problem)
        if selectors.role_exists(code=code):
            raise RoleCodeTaken(f"A role with code {code} already exists")
    else:
        code = new_code(title)
    try:
        # A savepoint: a concurrent save of the same code fails here on the unique
        # index, and the caller's transaction stays usable.
        with transaction.atomic():
            role = RoleProfile.objects.create(
                code=code,
                title=title.strip(),
                description=description.strip(),
                grade_min=grade_min,
                grade_max=grade_max,
                source=RoleSource.LOCAL,
                filters=(filters or SearchFilters()).to_json(),
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
    except IntegrityError:
        raise RoleCodeTaken(f"A role with code {code} already exists") from None
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
    require_version(current, expected_version)
    _check(title, requirements)
    current.title = title.strip()
    current.description = description.strip()
    current.grade_min, current.grade_max = grade_min, grade_max
    current.filters = (filters or SearchFilters()).to_json()
    save_new_version(current)
    _write_requirements(current, requirements)
    return current


@transaction.atomic
def role_upsert(
    *, actor, code: str, title: str, requirements: Sequence[RequirementSpec]
) -> tuple[RoleProfile, str]:
    """The role with ``code`` (matched ignoring case) ends up with this title and
    exactly these requirements; its description, grades and filters are kept.
    Returns (role, "created" | "updated" | "unchanged"); an unchanged role keeps
    its version. Framework roles are kept as published: RoleError."""
    found = selectors.role_find(code=code)
    if found is None:
        role = role_create(actor=actor, title=title, code=code, requirements=requirements)
        return role, "created"
    current = RoleProfile.objects.select_for_update().get(pk=found.pk)
    if current.source != RoleSource.LOCAL:
        raise RoleError(framework_role_message(current))
    _check(title, requirements)
    held = {(r.skill_id, r.level, float(r.weight), r.essential) for r in current.requirements.all()}
    wanted = {(s.skill_id, s.level, float(s.weight), s.essential) for s in requirements}
    if held == wanted and current.title == title.strip():
        return current, "unchanged"
    current.title = title.strip()
    save_new_version(current, ["title"])
    _write_requirements(current, requirements)
    return current, "updated"


_FRAMEWORK_KIND = {RoleSource.DDAT: "a DDaT framework role", RoleSource.ESCO: "an ESCO occupation"}


def framework_role_message(role: RoleProfile) -> str:
    kind = _FRAMEWORK_KIND.get(role.source, "a framework role")
    return f"{role.code} is {kind}, kept as published: give your local role another code"
