"""Import ESCO v1.1.1 (European Skills, Competences, Qualifications and Occupations).

Input is a folder holding the published English CSV files, either plain (``skills_en.csv``)
or xz-compressed (``skills_en.csv.xz``, as shipped in ``data/esco/``):

- ``skills_en.csv``: every skill as a ``Skill`` (source ``esco``, ``uri`` = the ESCO concept
  URI, kind ``knowledge`` or ``skill``), its alternative and hidden labels as ``SkillAlias``;
- ``skillGroups_en.csv`` and ``broaderRelationsSkillPillar.csv``: the group tree
  (``SkillGroup.parent``), each skill's group (the first broader group listed), and
  skill-to-skill "broader" links as ``narrower`` relations;
- ``skillSkillRelations.csv``: ``related`` relations (essential and optional alike);
- ``occupations_en.csv`` and ``occupationSkillRelations.csv``: occupations with their
  essential and optional skills, kept as templates a planner can build a role from.

Rows that point at a URI the other files lack (the published data has 67 occupation-skill
rows and 7 group links like that) are counted and reported, never fatal. Everything is upserted
by URI inside one transaction, so re-importing the same files changes nothing, and aliases and
relations that vanished from ESCO are removed (only ESCO-sourced ones: local edits survive).
"""

from __future__ import annotations

import csv
import io
import lzma
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction

from skills_app.audit.models import Action
from skills_app.audit.services import record_event
from taxonomy.models import (
    Occupation,
    OccupationSkill,
    RelationKind,
    Skill,
    SkillAlias,
    SkillGroup,
    SkillKind,
    SkillRelation,
    SkillStatus,
    Source,
)
from taxonomy.services import taxonomy_changed

FILES = {
    "skills": "skills_en.csv",
    "groups": "skillGroups_en.csv",
    "broader": "broaderRelationsSkillPillar.csv",
    "relations": "skillSkillRelations.csv",
    "occupations": "occupations_en.csv",
    "occupation_skills": "occupationSkillRelations.csv",
}
REQUIRED_COLUMNS = {
    "skills": {"conceptUri", "preferredLabel", "altLabels", "skillType"},
    "groups": {"conceptUri", "preferredLabel"},
    "broader": {"conceptType", "conceptUri", "broaderType", "broaderUri"},
    "relations": {"originalSkillUri", "relationType", "relatedSkillUri"},
    "occupations": {"conceptUri", "preferredLabel", "altLabels", "description"},
    "occupation_skills": {"occupationUri", "relationType", "skillUri"},
}
ALIAS_SOURCE = "esco"
HIDDEN_ALIAS_SOURCE = "esco-hidden"
BATCH = 5000
MAX_REPORTED = 20


class EscoImportError(Exception):
    pass


@dataclass
class EscoImportResult:
    counts: Counter = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    unjoined: Counter = field(default_factory=Counter)

    def warn(self, kind: str, message: str) -> None:
        self.unjoined[kind] += 1
        if self.unjoined[kind] <= MAX_REPORTED:
            self.warnings.append(message)

    @property
    def changed(self) -> bool:
        return any(
            v for k, v in self.counts.items() if k.endswith(("created", "updated", "removed"))
        )

    def summary_lines(self) -> list[str]:
        lines = [f"{key.replace('_', ' ')}: {value}" for key, value in sorted(self.counts.items())]
        lines += [f"rows not joined ({kind}): {n}" for kind, n in sorted(self.unjoined.items())]
        return lines


def default_esco_path() -> Path:
    return Path(settings.BASE_DIR) / "data" / "esco"


def _open(folder: Path, name: str) -> io.TextIOBase:
    plain, packed = folder / name, folder / f"{name}.xz"
    if plain.exists():
        return plain.open(encoding="utf-8-sig", newline="")
    if packed.exists():
        return io.TextIOWrapper(lzma.open(packed), encoding="utf-8-sig", newline="")
    raise EscoImportError(f"{name} (or {name}.xz) is missing from {folder}")


def _rows(folder: Path, key: str) -> list[dict]:
    name = FILES[key]
    with _open(folder, name) as handle:
        reader = csv.DictReader(handle)
        missing = REQUIRED_COLUMNS[key] - set(reader.fieldnames or [])
        if missing:
            raise EscoImportError(f"{name} lacks column(s): {', '.join(sorted(missing))}")
        try:
            return list(reader)
        except (csv.Error, UnicodeDecodeError, lzma.LZMAError, EOFError) as exc:
            raise EscoImportError(f"{name} could not be read: {exc}") from exc


def _labels(cell: str) -> list[str]:
    seen, out = set(), []
    for raw in (cell or "").split("\n"):
        label = " ".join(raw.split())[:255]
        if label and label.casefold() not in seen:
            seen.add(label.casefold())
            out.append(label)
    return out


def _kind(skill_type: str) -> str:
    return SkillKind.KNOWLEDGE if skill_type.strip() == "knowledge" else SkillKind.SKILL


def import_esco(*, path: str | Path | None = None, actor=None) -> EscoImportResult:
    folder = Path(path) if path else default_esco_path()
    if not folder.is_dir():
        raise EscoImportError(f"{folder} is not a folder")
    data = {key: _rows(folder, key) for key in FILES}  # parse everything before writing
    result = EscoImportResult()
    with transaction.atomic():
        groups = _import_groups(data, result)
        skills = _import_skills(data, groups, result)
        _import_aliases(data, skills, result)
        _import_relations(data, skills, result)
        _import_occupations(data, skills, result)
        if result.changed:
            taxonomy_changed()
        record_event(
            actor=actor,
            action=Action.IMPORT,
            object_type="taxonomy_framework",
            object_id="esco",
            parameters=dict(result.counts),
        )
    return result


def _upsert(model, objs, unique: str, fields: list[str]) -> None:
    model.objects.bulk_create(
        objs, batch_size=BATCH, update_conflicts=True, unique_fields=[unique], update_fields=fields
    )


def _import_groups(data, result) -> dict[str, int]:
    existing = dict(SkillGroup.objects.filter(source=Source.ESCO).values_list("uri", "name"))
    rows = {r["conceptUri"]: r for r in data["groups"]}
    objs = [
        SkillGroup(
            uri=uri,
            name=r["preferredLabel"][:255],
            description=r.get("description", ""),
            source=Source.ESCO,
        )
        for uri, r in rows.items()
    ]
    result.counts["groups_created"] = sum(uri not in existing for uri in rows)
    result.counts["groups_updated"] = sum(
        uri in existing and existing[uri] != r["preferredLabel"][:255] for uri, r in rows.items()
    )
    _upsert(SkillGroup, objs, "uri", ["name", "description", "source"])
    ids = dict(SkillGroup.objects.filter(uri__in=rows).values_list("uri", "id"))

    parents: dict[str, str] = {}
    for r in data["broader"]:
        if r["conceptType"] != "SkillGroup":
            continue
        child, parent = r["conceptUri"], r["broaderUri"]
        if child not in ids or parent not in ids:
            result.warn("group links", f"group link {child} → {parent}: unknown group")
            continue
        parents.setdefault(child, parent)  # first listed broader group wins
    current = dict(SkillGroup.objects.filter(id__in=ids.values()).values_list("id", "parent_id"))
    changed = [
        SkillGroup(id=ids[uri], parent_id=ids.get(parents.get(uri)))
        for uri in ids
        if current[ids[uri]] != ids.get(parents.get(uri))
    ]
    SkillGroup.objects.bulk_update(changed, ["parent"], batch_size=BATCH)
    result.counts["group_parents_set"] = len(changed)
    return ids


def _import_skills(data, groups, result) -> dict[str, int]:
    group_of: dict[str, str] = {}
    for r in data["broader"]:
        if r["conceptType"] == "KnowledgeSkillCompetence" and r["broaderType"] == "SkillGroup":
            if r["broaderUri"] in groups:
                group_of.setdefault(r["conceptUri"], r["broaderUri"])
            else:
                result.warn("skill groups", f"skill {r['conceptUri']}: unknown group")
    existing = {
        uri: (name, description, kind, group_id)
        for uri, name, description, kind, group_id in Skill.objects.filter(
            source=Source.ESCO
        ).values_list("uri", "name", "description", "kind", "group_id")
    }
    objs, created, updated = [], 0, 0
    for r in data["skills"]:
        uri = r["conceptUri"]
        values = (
            r["preferredLabel"].strip()[:255],
            (r.get("description") or r.get("definition") or "").strip(),
            _kind(r["skillType"]),
            groups.get(group_of.get(uri)),
        )
        if uri not in existing:
            created += 1
        elif existing[uri] != values:
            updated += 1
        name, description, kind, group_id = values
        objs.append(
            Skill(
                uri=uri,
                name=name,
                description=description,
                kind=kind,
                group_id=group_id,
                source=Source.ESCO,
                status=SkillStatus.ACTIVE,
            )
        )
    # Skills a steward merged or deprecated keep that status: only content is refreshed.
    Skill.objects.bulk_create(
        objs,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["uri"],
        update_fields=["name", "description", "kind", "group"],
    )
    result.counts["skills_created"] = created
    result.counts["skills_updated"] = updated
    uris = [r["conceptUri"] for r in data["skills"]]
    return dict(Skill.objects.filter(uri__in=uris).values_list("uri", "id"))


def _sync(model, wanted: set[tuple], existing: dict[tuple, int], build, result, label: str):
    """Insert rows in ``wanted`` that are missing, delete ``existing`` rows no longer wanted."""
    to_add = [build(key) for key in wanted if key not in existing]
    stale = [pk for key, pk in existing.items() if key not in wanted]
    model.objects.bulk_create(to_add, batch_size=BATCH, ignore_conflicts=True)
    for start in range(0, len(stale), BATCH):
        model.objects.filter(pk__in=stale[start : start + BATCH]).delete()
    result.counts[f"{label}_created"] = len(to_add)
    result.counts[f"{label}_removed"] = len(stale)


def _import_aliases(data, skills, result) -> None:
    wanted: set[tuple] = set()
    for r in data["skills"]:
        skill_id = skills[r["conceptUri"]]
        preferred = r["preferredLabel"].strip().casefold()
        seen = {preferred}
        for column, source in (("altLabels", ALIAS_SOURCE), ("hiddenLabels", HIDDEN_ALIAS_SOURCE)):
            for label in _labels(r.get(column, "")):
                if label.casefold() not in seen:
                    seen.add(label.casefold())
                    wanted.add((skill_id, label, source))
    existing = {
        (skill_id, label, source): pk
        for pk, skill_id, label, source in SkillAlias.objects.filter(
            source__in=[ALIAS_SOURCE, HIDDEN_ALIAS_SOURCE]
        ).values_list("pk", "skill_id", "label", "source")
    }
    _sync(
        SkillAlias,
        wanted,
        existing,
        lambda key: SkillAlias(skill_id=key[0], label=key[1], source=key[2]),
        result,
        "aliases",
    )


def _import_relations(data, skills, result) -> None:
    wanted: set[tuple] = set()
    for r in data["broader"]:
        if r["conceptType"] == "KnowledgeSkillCompetence" and r["broaderType"] != "SkillGroup":
            broader, narrower = skills.get(r["broaderUri"]), skills.get(r["conceptUri"])
            if broader is None or narrower is None:
                result.warn("skill hierarchy", f"skill link {r['conceptUri']}: unknown skill")
            elif broader != narrower:
                wanted.add((broader, narrower, RelationKind.NARROWER))
    for r in data["relations"]:
        original, related = skills.get(r["originalSkillUri"]), skills.get(r["relatedSkillUri"])
        if original is None or related is None:
            result.warn("skill relations", f"relation {r['originalSkillUri']}: unknown skill")
        elif original != related:
            wanted.add((original, related, RelationKind.RELATED))
    existing = {
        (a, b, kind): pk
        for pk, a, b, kind in SkillRelation.objects.filter(source=Source.ESCO).values_list(
            "pk", "from_skill_id", "to_skill_id", "kind"
        )
    }
    _sync(
        SkillRelation,
        wanted,
        existing,
        lambda key: SkillRelation(
            from_skill_id=key[0], to_skill_id=key[1], kind=key[2], source=Source.ESCO
        ),
        result,
        "relations",
    )


def _import_occupations(data, skills, result) -> None:
    existing = set(Occupation.objects.filter(source=Source.ESCO).values_list("uri", flat=True))
    objs = [
        Occupation(
            uri=r["conceptUri"],
            name=r["preferredLabel"].strip()[:255],
            alt_labels="\n".join(_labels(r["altLabels"])),
            description=(r.get("description") or r.get("definition") or "").strip(),
            isco_code=(r.get("iscoGroup") or "").strip()[:16],
            source=Source.ESCO,
        )
        for r in data["occupations"]
    ]
    result.counts["occupations_created"] = sum(o.uri not in existing for o in objs)
    _upsert(Occupation, objs, "uri", ["name", "alt_labels", "description", "isco_code"])
    occupations = dict(Occupation.objects.filter(source=Source.ESCO).values_list("uri", "id"))
    wanted: dict[tuple, bool] = {}
    for r in data["occupation_skills"]:
        occupation, skill = occupations.get(r["occupationUri"]), skills.get(r["skillUri"])
        if occupation is None or skill is None:
            result.warn(
                "occupation skills",
                f"occupation skill {r['occupationUri']} → {r['skillUri']}: unknown "
                + ("occupation" if occupation is None else "skill"),
            )
            continue
        essential = r["relationType"].strip() == "essential"
        wanted[(occupation, skill)] = wanted.get((occupation, skill), False) or essential
    current = {
        (o, s): (pk, essential)
        for pk, o, s, essential in OccupationSkill.objects.filter(
            occupation__source=Source.ESCO
        ).values_list("pk", "occupation_id", "skill_id", "essential")
    }
    add = [
        OccupationSkill(occupation_id=o, skill_id=s, essential=e)
        for (o, s), e in wanted.items()
        if (o, s) not in current
    ]
    flip = [
        OccupationSkill(pk=current[key][0], essential=e)
        for key, e in wanted.items()
        if key in current and current[key][1] != e
    ]
    stale = [pk for key, (pk, _) in current.items() if key not in wanted]
    OccupationSkill.objects.bulk_create(add, batch_size=BATCH, ignore_conflicts=True)
    OccupationSkill.objects.bulk_update(flip, ["essential"], batch_size=BATCH)
    for start in range(0, len(stale), BATCH):
        OccupationSkill.objects.filter(pk__in=stale[start : start + BATCH]).delete()
    result.counts["occupation_skills_created"] = len(add)
    result.counts["occupation_skills_updated"] = len(flip)
    result.counts["occupation_skills_removed"] = len(stale)
