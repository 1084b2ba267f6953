"""Import the Government Digital and Data (DDaT) Profession Capability Framework.

Input is the framework's own download (https://ddat-capability-framework.service.gov.uk/download):
a folder holding ``skills.csv`` (one row per skill, with the four level descriptors) and
``roles.csv`` (one row per role, role level and required skill).

What it writes, each upserted by a natural key so that re-importing the same files changes
nothing:

- every skill as a ``Skill`` (source ``ddat``, kind ``skill``, uri
  ``urn:muster:ddat:skill:<slug of the name>``) with a ``SkillLevelDescriptor`` for every
  level the framework describes;
- every role family as a ``RoleFamily`` and as a top-level ``SkillGroup`` (source ``ddat``,
  uri ``urn:muster:ddat:family:<slug>``); each skill's group is the family whose role levels
  require it most often (ties: the family first by name), so reports such as the capability
  heatmap count DDaT skills by family. A skill no role requires keeps no group. (A skill
  has one group; the 29 skills several families require go to their main family.)
- every role family as a ``RoleFamily``;
- every (role, role level) as a ``RoleProfile`` keyed by ``code`` (the slug of the role level
  name, prefixed by the role's slug when two roles share a level name), with its
  ``RoleRequirement`` rows. Requirements that are no longer in the file are removed from DDaT
  roles; DDaT roles mirror the published framework (adapt a copy, not the original).

Rows marked ``NOT IN USE`` (Senior Civil Service placeholders) are skipped, exact duplicate
rows are counted once, and a row naming a skill that ``skills.csv`` lacks is reported, not
fatal: the skill is created from the row's own skill columns when they describe it, otherwise
the row is skipped. All writes happen in one transaction with a fixed number of bulk queries.

Level rank: the framework says nothing about seniority and its download lists role levels in
alphabetical order, so ``level_rank`` comes from the seniority words in the level's title
(apprentice < trainee < junior < associate < (plain) < senior/major < lead < principal <
head/chief; analyst titles under a manager role rank below the manager; a "- management"
variant follows its plain counterpart), with file order breaking ties.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from skills_app.audit.models import Action
from skills_app.audit.services import record_event
from skills_app.roles.models import RoleFamily, RoleProfile, RoleRequirement, RoleSource
from skills_app.roles.selectors import role_map
from taxonomy.models import (
    Skill,
    SkillGroup,
    SkillKind,
    SkillLevelDescriptor,
    SkillStatus,
    Source,
)
from taxonomy.services import taxonomy_changed

SKILLS_FILE = "skills.csv"
ROLES_FILE = "roles.csv"
SKILL_URI_PREFIX = "urn:muster:ddat:skill:"
ROLE_URI_PREFIX = "urn:muster:ddat:role:"
FAMILY_GROUP_URI_PREFIX = "urn:muster:ddat:family:"
NOT_IN_USE = "NOT IN USE"
# Cells the published data uses for "no text here".
PLACEHOLDERS = frozenset({"", "MISSING", NOT_IN_USE})
LEVELS = {"awareness": 1, "working": 2, "practitioner": 3, "expert": 4}
LEVEL_COLUMNS = ("Awareness", "Working", "Practitioner", "Expert")
SKILL_COLUMNS = ("Skill Name", "Skill Description", *LEVEL_COLUMNS)
ROLE_COLUMNS = (
    "Role Family",
    "Role",
    "Role Description",
    "Role Level",
    "Role Level Description",
    "Skill Name",
    "Skill Description",
    "Skill Level",
    "Skill Level Description",
)
ROLE_CODE_MAX = RoleProfile._meta.get_field("code").max_length
# Requirements from the framework: every listed skill is expected at the stated level, but the
# framework does not mark any skill as a must-have, so none is essential (see data/ddat/README.md).
REQUIREMENT_WEIGHT = 1.0
REQUIREMENT_ESSENTIAL = False
MAX_REPORTED = 50  # warnings beyond this are summarised, not listed


def default_ddat_path() -> Path:
    return Path(settings.BASE_DIR) / "data" / "ddat"


class DdatImportError(Exception):
    """The folder cannot be imported at all (missing file, wrong columns, bad encoding)."""


@dataclass
class DdatImportResult:
    rows_read: int = 0
    rows_not_in_use: int = 0
    rows_duplicate: int = 0
    rows_skipped_invalid: int = 0
    skills_created: int = 0
    skills_updated: int = 0
    skills_unchanged: int = 0
    skills_from_roles_file: list[str] = field(default_factory=list)
    descriptors_created: int = 0
    descriptors_updated: int = 0
    descriptors_deleted: int = 0
    families_created: int = 0
    groups_created: int = 0
    skills_regrouped: int = 0
    roles_created: int = 0
    roles_updated: int = 0
    roles_unchanged: int = 0
    requirements_created: int = 0
    requirements_updated: int = 0
    requirements_deleted: int = 0
    requirements_total: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def rows_skipped(self) -> int:
        return self.rows_not_in_use + self.rows_duplicate + self.rows_skipped_invalid

    @property
    def changed(self) -> bool:
        return any(
            (
                self.skills_created,
                self.skills_updated,
                self.descriptors_created,
                self.descriptors_updated,
                self.descriptors_deleted,
                self.families_created,
                self.groups_created,
                self.skills_regrouped,
                self.roles_created,
                self.roles_updated,
                self.requirements_created,
                self.requirements_updated,
                self.requirements_deleted,
            )
        )

    def counts(self) -> dict[str, int]:
        """Summary for the audit log and API callers (no free text)."""
        return {
            "rows_read": self.rows_read,
            "rows_skipped": self.rows_skipped,
            "rows_not_in_use": self.rows_not_in_use,
            "rows_duplicate": self.rows_duplicate,
            "rows_skipped_invalid": self.rows_skipped_invalid,
            "skills_created": self.skills_created,
            "skills_updated": self.skills_updated,
            "skills_unchanged": self.skills_unchanged,
            "skills_from_roles_file": len(self.skills_from_roles_file),
            "descriptors_created": self.descriptors_created,
            "descriptors_updated": self.descriptors_updated,
            "descriptors_deleted": self.descriptors_deleted,
            "families_created": self.families_created,
            "groups_created": self.groups_created,
            "skills_regrouped": self.skills_regrouped,
            "roles_created": self.roles_created,
            "roles_updated": self.roles_updated,
            "roles_unchanged": self.roles_unchanged,
            "requirements_created": self.requirements_created,
            "requirements_updated": self.requirements_updated,
            "requirements_deleted": self.requirements_deleted,
            "requirements_total": self.requirements_total,
            "warnings": len(self.warnings),
        }

    def summary_lines(self) -> list[str]:
        skills = self.skills_created + self.skills_updated + self.skills_unchanged
        roles = self.roles_created + self.roles_updated + self.roles_unchanged
        return [
            f"Skills: {skills} ({self.skills_created} created, {self.skills_updated} updated, "
            f"{self.skills_unchanged} unchanged)",
            f"Level descriptors: {self.descriptors_created} created, "
            f"{self.descriptors_updated} updated, {self.descriptors_deleted} removed",
            f"Role families created: {self.families_created}",
            f"Skill groups (one per role family): {self.groups_created} created, "
            f"{self.skills_regrouped} skills placed in a group",
            f"Role profiles: {roles} ({self.roles_created} created, {self.roles_updated} updated, "
            f"{self.roles_unchanged} unchanged)",
            f"Role requirements: {self.requirements_total} ({self.requirements_created} created, "
            f"{self.requirements_updated} updated, {self.requirements_deleted} removed)",
            f"roles.csv rows: {self.rows_read} read, {self.rows_skipped} skipped "
            f"({self.rows_not_in_use} NOT IN USE, {self.rows_duplicate} duplicate, "
            f"{self.rows_skipped_invalid} unusable)",
        ]


# --- parsing -------------------------------------------------------------------------------


@dataclass
class _Skill:
    name: str
    description: str
    descriptors: dict[int, str]
    from_roles_file: bool = False
    uri: str = ""


@dataclass
class _RoleLevel:
    family: str
    role: str
    role_description: str
    title: str
    description: str
    order: int  # first appearance in roles.csv
    requirements: dict[str, int] = field(default_factory=dict)  # skill key -> level
    rank: int = 0
    code: str = ""
    source_uri: str = ""


def _text(value: str | None) -> str:
    value = (value or "").strip()
    return "" if value in PLACEHOLDERS else value


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _read_csv(path: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    if not path.is_file():
        raise DdatImportError(f"{path.name} not found in {path.parent}")
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = [(name or "").strip() for name in (reader.fieldnames or [])]
            missing = [column for column in required if column not in header]
            if missing:
                raise DdatImportError(
                    f"{path.name} does not look like the DDaT framework download: missing "
                    f"column(s) {', '.join(missing)}; found {', '.join(header) or 'no header'}"
                )
            reader.fieldnames = header
            return list(reader)
    except UnicodeDecodeError as exc:
        raise DdatImportError(f"{path.name} is not UTF-8 text: {exc}") from exc
    except csv.Error as exc:
        raise DdatImportError(f"{path.name} is not valid CSV: {exc}") from exc


_TIER_PREFIXES = (
    ("apprentice ", 1),
    ("trainee ", 2),
    ("junior ", 3),
    ("associate ", 4),
    ("senior ", 6),
    ("major ", 6),
    ("lead ", 7),
    ("principal ", 8),
    ("head of ", 9),
    ("head ", 9),
    ("chief ", 9),
)


def seniority(title: str, role: str) -> tuple[int, int]:
    """A sortable seniority for a DDaT role level title within its role (see module doc)."""
    text = _key(title)
    tier = 5
    for prefix, value in _TIER_PREFIXES:
        if text.startswith(prefix):
            tier = value
            break
    else:
        if text.endswith(" lead"):
            tier = 7
    if "analyst" in text and "analyst" not in _key(role):
        tier -= 3  # e.g. "Service desk analyst" sits below "Service desk manager"
    management = 1 if text.endswith("- management") else 0
    return tier, management


def _warn(result: DdatImportResult, message: str) -> None:
    result.warnings.append(message)


def parse_ddat(path: Path, result: DdatImportResult) -> tuple[list[_Skill], list[_RoleLevel]]:
    path = Path(path)
    if not path.is_dir():
        raise DdatImportError(f"{path} is not a folder holding {SKILLS_FILE} and {ROLES_FILE}")
    skill_rows = _read_csv(path / SKILLS_FILE, SKILL_COLUMNS)
    role_rows = _read_csv(path / ROLES_FILE, ROLE_COLUMNS)

    skills: dict[str, _Skill] = {}
    for number, row in enumerate(skill_rows, start=2):
        name = " ".join((row.get("Skill Name") or "").split())
        if not name:
            _warn(result, f"{SKILLS_FILE} row {number}: no skill name; skipped")
            continue
        if _key(name) in skills:
            _warn(result, f"{SKILLS_FILE} row {number}: skill {name!r} listed twice; first kept")
            continue
        descriptors = {
            level: text
            for level, column in enumerate(LEVEL_COLUMNS, start=1)
            if (text := _text(row.get(column)))
        }
        skills[_key(name)] = _Skill(name, _text(row.get("Skill Description")), descriptors)

    roles: dict[tuple[str, str], _RoleLevel] = {}
    seen_rows: set[tuple] = set()
    missing_rows: dict[str, list[tuple[int, dict]]] = {}
    for number, row in enumerate(role_rows, start=2):
        result.rows_read += 1
        values = tuple((row.get(column) or "") for column in ROLE_COLUMNS)
        if values in seen_rows:
            result.rows_duplicate += 1
            continue
        seen_rows.add(values)
        role = " ".join((row.get("Role") or "").split())
        title = " ".join((row.get("Role Level") or "").split())
        skill_name = " ".join((row.get("Skill Name") or "").split())
        level_text = (row.get("Skill Level") or "").strip()
        if NOT_IN_USE in (level_text.upper(), title.upper()):
            result.rows_not_in_use += 1
            continue
        level = LEVELS.get(level_text.casefold())
        if not role or not title or not skill_name or level is None:
            result.rows_skipped_invalid += 1
            _warn(
                result,
                f"{ROLES_FILE} row {number}: needs Role, Role Level, Skill Name and a Skill Level "
                f"of Awareness/Working/Practitioner/Expert (got {level_text!r}); skipped",
            )
            continue
        if _key(skill_name) not in skills:
            missing_rows.setdefault(_key(skill_name), []).append((number, row))
        entry = roles.get((role, title))
        if entry is None:
            entry = roles[(role, title)] = _RoleLevel(
                family=" ".join((row.get("Role Family") or "").split()),
                role=role,
                role_description=_text(row.get("Role Description")),
                title=title,
                description=_text(row.get("Role Level Description")),
                order=len(roles),
            )
        previous = entry.requirements.get(_key(skill_name))
        if previous is not None and previous != level:
            _warn(
                result,
                f"{ROLES_FILE} row {number}: {title!r} lists {skill_name!r} again at a different "
                f"level; the higher level is kept",
            )
            level = max(level, previous)
        elif previous is not None:
            result.rows_duplicate += 1  # same requirement, other columns differ
        entry.requirements[_key(skill_name)] = level

    # Skills named in roles.csv but absent from skills.csv.
    for key, rows in missing_rows.items():
        name = " ".join((rows[0][1].get("Skill Name") or "").split())
        description = next((d for _, r in rows if (d := _text(r.get("Skill Description")))), "")
        numbers = ", ".join(str(n) for n, _ in rows[:10]) + (" ..." if len(rows) > 10 else "")
        if description:
            descriptors: dict[int, str] = {}
            for _, row in rows:
                level = LEVELS[(row.get("Skill Level") or "").strip().casefold()]
                text = _text(row.get("Skill Level Description"))
                if text:
                    descriptors.setdefault(level, text)
            skills[key] = _Skill(name, description, descriptors, from_roles_file=True)
            result.skills_from_roles_file.append(name)
            _warn(
                result,
                f"{ROLES_FILE} rows {numbers}: skill {name!r} is not in {SKILLS_FILE}; "
                f"created from the description in {ROLES_FILE}",
            )
        else:
            result.rows_skipped_invalid += len(rows)
            for role_level in roles.values():
                role_level.requirements.pop(key, None)
            _warn(
                result,
                f"{ROLES_FILE} rows {numbers}: skill {name!r} is not in {SKILLS_FILE} and has no "
                f"description; {len(rows)} requirement row(s) skipped",
            )

    _assign_skill_uris(list(skills.values()), result)
    role_levels = list(roles.values())
    _assign_role_codes(role_levels)
    _assign_ranks(role_levels)
    return list(skills.values()), role_levels


def _assign_skill_uris(skills: list[_Skill], result: DdatImportResult) -> None:
    used: set[str] = set()
    for skill in skills:
        slug = slugify(skill.name) or "skill"
        candidate, n = slug, 1
        while candidate in used:
            n += 1
            candidate = f"{slug}-{n}"
        if candidate != slug:
            _warn(result, f"skills {skill.name!r} and another share the slug {slug!r}")
        used.add(candidate)
        skill.uri = SKILL_URI_PREFIX + candidate


def _assign_role_codes(role_levels: list[_RoleLevel]) -> None:
    roles_per_slug: dict[str, set[str]] = {}
    for rl in role_levels:
        roles_per_slug.setdefault(slugify(rl.title), set()).add(rl.role)
    used: set[str] = set()
    for rl in sorted(role_levels, key=lambda r: r.order):
        role_slug, level_slug = slugify(rl.role) or "role", slugify(rl.title) or "level"
        base = level_slug
        if len(roles_per_slug[level_slug]) > 1:  # level name shared by different roles
            base = f"{role_slug}-{level_slug}"
        base = base[:ROLE_CODE_MAX]
        code, n = base, 1
        while code in used:
            n += 1
            suffix = f"-{n}"
            code = base[: ROLE_CODE_MAX - len(suffix)] + suffix
        used.add(code)
        rl.code = code
        rl.source_uri = f"{ROLE_URI_PREFIX}{role_slug}:{level_slug}"


def _assign_ranks(role_levels: list[_RoleLevel]) -> None:
    by_role: dict[str, list[_RoleLevel]] = {}
    for rl in role_levels:
        by_role.setdefault(rl.role, []).append(rl)
    for levels in by_role.values():
        levels.sort(key=lambda r: (*seniority(r.title, r.role), r.order))
        for rank, rl in enumerate(levels, start=1):
            rl.rank = rank


def _role_description(rl: _RoleLevel) -> str:
    parts = [rl.description]
    if rl.role_description:
        parts.append(f"About the {rl.role.lower()} role:\n{rl.role_description}")
    return "\n\n".join(p for p in parts if p)


# --- writing -------------------------------------------------------------------------------


def _resolve_merged(skill_ids: set[int]) -> dict[int, int]:
    """Map every id to the skill that now stands for it (following merges)."""
    merged = dict(
        Skill.objects.filter(status=SkillStatus.MERGED).values_list("id", "merged_into_id")
    )
    resolved = {}
    for skill_id in skill_ids:
        current, hops = skill_id, 0
        while current in merged and hops < 50:
            current, hops = merged[current], hops + 1
        resolved[skill_id] = current
    return resolved


def _sync_skills(parsed: list[_Skill], result: DdatImportResult, now) -> dict[str, Skill]:
    existing = {s.uri: s for s in Skill.objects.filter(uri__in=[p.uri for p in parsed])}
    to_create, to_update = [], []
    for p in parsed:
        skill = existing.get(p.uri)
        if skill is None:
            skill = Skill(
                name=p.name,
                description=p.description,
                kind=SkillKind.SKILL,
                source=Source.DDAT,
                uri=p.uri,
            )
            to_create.append(skill)
            existing[p.uri] = skill
        elif (skill.name, skill.description, skill.source) != (p.name, p.description, Source.DDAT):
            skill.name, skill.description, skill.source = p.name, p.description, Source.DDAT
            skill.updated_at = now
            to_update.append(skill)
    Skill.objects.bulk_create(to_create, batch_size=500)
    Skill.objects.bulk_update(to_update, ["name", "description", "source", "updated_at"])
    result.skills_created = len(to_create)
    result.skills_updated = len(to_update)
    result.skills_unchanged = len(parsed) - len(to_create) - len(to_update)
    return {_key(p.name): existing[p.uri] for p in parsed}


def _sync_descriptors(parsed: list[_Skill], skills: dict[str, Skill], result) -> None:
    wanted = {
        (skills[_key(p.name)].pk, level): text
        for p in parsed
        for level, text in p.descriptors.items()
    }
    skill_ids = [skills[_key(p.name)].pk for p in parsed]
    current = {
        (d.skill_id, d.level): d
        for d in SkillLevelDescriptor.objects.filter(skill_id__in=skill_ids)
    }
    to_create = [
        SkillLevelDescriptor(skill_id=skill_id, level=level, description=text)
        for (skill_id, level), text in wanted.items()
        if (skill_id, level) not in current
    ]
    to_update = []
    for key, descriptor in current.items():
        if key in wanted and descriptor.description != wanted[key]:
            descriptor.description = wanted[key]
            to_update.append(descriptor)
    to_delete = [d.pk for key, d in current.items() if key not in wanted]
    SkillLevelDescriptor.objects.bulk_create(to_create, batch_size=500)
    SkillLevelDescriptor.objects.bulk_update(to_update, ["description"], batch_size=500)
    SkillLevelDescriptor.objects.filter(pk__in=to_delete).delete()
    result.descriptors_created = len(to_create)
    result.descriptors_updated = len(to_update)
    result.descriptors_deleted = len(to_delete)


def _primary_families(role_levels: list[_RoleLevel]) -> dict[str, str]:
    """{skill key: the role family whose role levels require it most often}; ties go
    to the family first by name, so a re-import places every skill the same way."""
    counts: dict[str, dict[str, int]] = {}
    for rl in role_levels:
        if not rl.family:
            continue
        for key in rl.requirements:
            per_family = counts.setdefault(key, {})
            per_family[rl.family] = per_family.get(rl.family, 0) + 1
    return {
        key: min(per_family, key=lambda family: (-per_family[family], family))
        for key, per_family in counts.items()
    }


def _sync_groups(role_levels: list[_RoleLevel], skills: dict[str, Skill], result, now) -> None:
    """One top-level skill group per role family, and each skill in its main family's
    group (``_primary_families``). Skills no role requires keep the group they have."""
    primary = _primary_families(role_levels)
    names = sorted(set(primary.values()))
    uris = {name: FAMILY_GROUP_URI_PREFIX + slugify(name) for name in names}
    groups = {g.uri: g for g in SkillGroup.objects.filter(uri__in=uris.values())}
    new = [
        SkillGroup(
            name=name,
            uri=uri,
            source=Source.DDAT,
            description=f"DDaT skills required most often by the {name} role family",
        )
        for name, uri in uris.items()
        if uri not in groups
    ]
    SkillGroup.objects.bulk_create(new)
    groups.update({g.uri: g for g in SkillGroup.objects.filter(uri__in=[g.uri for g in new])})
    moved = []
    for key, family in primary.items():
        skill = skills.get(key)
        group = groups[uris[family]]
        if skill is not None and skill.group_id != group.pk:
            skill.group_id, skill.updated_at = group.pk, now
            moved.append(skill)
    Skill.objects.bulk_update(moved, ["group", "updated_at"], batch_size=500)
    result.groups_created = len(new)
    result.skills_regrouped = len(moved)


def _sync_families(role_levels: list[_RoleLevel], result) -> dict[str, RoleFamily]:
    names = sorted({rl.family for rl in role_levels if rl.family})
    families = {f.name: f for f in RoleFamily.objects.filter(name__in=names)}
    new = [RoleFamily(name=name, source=RoleSource.DDAT) for name in names if name not in families]
    RoleFamily.objects.bulk_create(new)
    families.update({f.name: f for f in new})
    result.families_created = len(new)
    return families


def _sync_roles(
    role_levels: list[_RoleLevel],
    skills: dict[str, Skill],
    families: dict[str, RoleFamily],
    result: DdatImportResult,
    now,
) -> None:
    # Matched ignoring case, as everywhere: a local role "Data-Engineer" holds the code
    # "data-engineer" too, and is warned about below rather than clashing on the index.
    existing = role_map(codes=[rl.code for rl in role_levels])
    to_create, changed, roles = [], {}, []
    for rl in role_levels:
        values = {
            "title": rl.title,
            "description": _role_description(rl),
            "family_id": families[rl.family].pk if rl.family else None,
            "role_name": rl.role,
            "level_rank": rl.rank,
            "source": RoleSource.DDAT,
            "source_uri": rl.source_uri,
        }
        role = existing.get(rl.code)
        if role is None:
            role = RoleProfile(code=rl.code, **values)
            to_create.append(role)
        elif role.source != RoleSource.DDAT:
            _warn(
                result,
                f"role code {rl.code!r} ({rl.title}) already belongs to a {role.source} role "
                f"profile; left unchanged and its DDaT requirements not imported",
            )
            continue
        elif any(getattr(role, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(role, k, v)
            changed[role.code] = role
        roles.append((rl, role))
    RoleProfile.objects.bulk_create(to_create, batch_size=500)
    result.roles_created = len(to_create)

    skill_ids = {s.pk for s in skills.values()}
    survivor = _resolve_merged(skill_ids)
    wanted: dict[tuple[int, int], int] = {}
    for rl, role in roles:
        for key, level in rl.requirements.items():
            pair = (role.pk, survivor[skills[key].pk])
            wanted[pair] = max(level, wanted.get(pair, 0))
    current = {
        (r.role_id, r.skill_id): r
        for r in RoleRequirement.objects.filter(role_id__in=[role.pk for _, role in roles])
    }
    to_create_req = [
        RoleRequirement(
            role_id=role_id,
            skill_id=skill_id,
            level=level,
            weight=REQUIREMENT_WEIGHT,
            essential=REQUIREMENT_ESSENTIAL,
        )
        for (role_id, skill_id), level in wanted.items()
        if (role_id, skill_id) not in current
    ]
    to_update_req = []
    for pair, req in current.items():
        if pair in wanted and (req.level, req.weight, req.essential) != (
            wanted[pair],
            REQUIREMENT_WEIGHT,
            REQUIREMENT_ESSENTIAL,
        ):
            req.level, req.weight, req.essential = (
                wanted[pair],
                REQUIREMENT_WEIGHT,
                REQUIREMENT_ESSENTIAL,
            )
            to_update_req.append(req)
    to_delete_req = [req for pair, req in current.items() if pair not in wanted]
    RoleRequirement.objects.bulk_create(to_create_req, batch_size=1000)
    RoleRequirement.objects.bulk_update(
        to_update_req, ["level", "weight", "essential"], batch_size=1000
    )
    RoleRequirement.objects.filter(pk__in=[r.pk for r in to_delete_req]).delete()
    result.requirements_created = len(to_create_req)
    result.requirements_updated = len(to_update_req)
    result.requirements_deleted = len(to_delete_req)
    result.requirements_total = len(wanted)

    # A role whose requirements changed is a new version of that role profile.
    created_ids = {role.pk for role in to_create}
    touched = {r.role_id for r in (*to_create_req, *to_update_req, *to_delete_req)}
    for _, role in roles:
        if role.pk in touched and role.pk not in created_ids:
            changed[role.code] = role
    for role in changed.values():
        role.version += 1
        role.updated_at = now
    RoleProfile.objects.bulk_update(
        list(changed.values()),
        [
            "title",
            "description",
            "family",
            "role_name",
            "level_rank",
            "source",
            "source_uri",
            "version",
            "updated_at",
        ],
        batch_size=500,
    )
    result.roles_updated = len(changed)
    result.roles_unchanged = len(roles) - len(to_create) - len(changed)


def import_ddat(*, path: str | Path | None = None, actor=None) -> DdatImportResult:
    """Load (or refresh) the DDaT framework from ``path`` (default: the shipped copy)."""
    result = DdatImportResult()
    parsed_skills, role_levels = parse_ddat(Path(path) if path else default_ddat_path(), result)
    if not parsed_skills:
        raise DdatImportError(f"{SKILLS_FILE} holds no skills")
    with transaction.atomic():
        now = timezone.now()
        skills = _sync_skills(parsed_skills, result, now)
        _sync_descriptors(parsed_skills, skills, result)
        families = _sync_families(role_levels, result)
        _sync_groups(role_levels, skills, result, now)
        _sync_roles(role_levels, skills, families, result, now)
        if result.changed:
            taxonomy_changed()
        _record(actor, result)
    return result


def _record(actor, result: DdatImportResult) -> None:
    record_event(
        actor=actor,
        action=Action.IMPORT,
        object_type="taxonomy_framework",
        object_id="ddat",
        parameters=result.counts(),
    )
