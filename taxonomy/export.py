"""Export the taxonomy so another department can align to it.

Both formats carry stable identifiers (``id`` never changes; ``uri`` is the
source framework's URI or a ``urn:muster:`` URN) and the taxonomy version they
were taken at. JSON is complete (levels, groups, skills with aliases, level
descriptors and relations); CSV has one row per skill. Both stream, so a full
ESCO taxonomy never sits in memory as one document.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Iterator

from django.utils import timezone

from skills_app.exports import Echo, safe_cell
from taxonomy.models import (
    ProficiencyLevel,
    Skill,
    SkillAlias,
    SkillGroup,
    SkillLevelDescriptor,
    SkillRelation,
)
from taxonomy.services import taxonomy_version

FORMAT_NAME = "muster-taxonomy"
FORMAT_VERSION = 1
CSV_COLUMNS = [
    "id",
    "uri",
    "name",
    "kind",
    "status",
    "merged_into_uri",
    "source",
    "group_uri",
    "group_name",
    "aliases",
    "description",
]
CHUNK = 2000


def _header() -> dict:
    version, _ = taxonomy_version()
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "taxonomy_version": version,
        "exported_at": timezone.now().isoformat(timespec="seconds"),
    }


def _skill_rows() -> Iterator[list[Skill]]:
    skills = Skill.objects.select_related("group", "merged_into").order_by("id")
    batch: list[Skill] = []
    for skill in skills.iterator(chunk_size=CHUNK):
        batch.append(skill)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _aliases(ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    for skill_id, label in (
        SkillAlias.objects.filter(skill_id__in=ids)
        .order_by("label")
        .values_list("skill_id", "label")
    ):
        out[skill_id].append(label)
    return out


def export_json() -> Iterator[str]:
    header = _header()
    yield json.dumps(header)[:-1]
    levels = [
        {"level": lvl.level, "name": lvl.name, "description": lvl.description}
        for lvl in ProficiencyLevel.objects.all()
    ]
    yield ', "levels": ' + json.dumps(levels)
    groups = [
        {"uri": uri, "name": name, "parent_uri": parent}
        for uri, name, parent in SkillGroup.objects.order_by("id").values_list(
            "uri", "name", "parent__uri"
        )
    ]
    yield ', "groups": ' + json.dumps(groups)
    yield ', "skills": ['
    first = True
    for batch in _skill_rows():
        ids = [s.pk for s in batch]
        aliases = _aliases(ids)
        descriptors: dict[int, dict[str, str]] = defaultdict(dict)
        for skill_id, level, text in SkillLevelDescriptor.objects.filter(
            skill_id__in=ids
        ).values_list("skill_id", "level", "description"):
            descriptors[skill_id][str(level)] = text
        relations: dict[int, list[dict]] = defaultdict(list)
        for from_id, to_uri, kind, strength in (
            SkillRelation.objects.filter(from_skill_id__in=ids)
            .order_by("id")
            .values_list("from_skill_id", "to_skill__uri", "kind", "strength")
        ):
            relations[from_id].append({"to_uri": to_uri, "kind": kind, "strength": strength})
        for skill in batch:
            item = {
                "id": skill.pk,
                "uri": skill.uri,
                "name": skill.name,
                "kind": skill.kind,
                "status": skill.status,
                "merged_into_uri": skill.merged_into.uri if skill.merged_into_id else None,
                "source": skill.source,
                "group_uri": skill.group.uri if skill.group_id else None,
                "description": skill.description,
                "aliases": aliases.get(skill.pk, []),
                "level_descriptors": descriptors.get(skill.pk, {}),
                "relations": relations.get(skill.pk, []),
            }
            yield ("" if first else ",") + json.dumps(item)
            first = False
    yield "]}"


def export_csv() -> Iterator[str]:
    writer = csv.writer(Echo())
    # CSV has nowhere to put metadata: the taxonomy version goes in the file name.
    yield writer.writerow(CSV_COLUMNS)
    for batch in _skill_rows():
        aliases = _aliases([s.pk for s in batch])
        for skill in batch:
            row = [
                skill.pk,
                skill.uri,
                skill.name,
                skill.kind,
                skill.status,
                skill.merged_into.uri if skill.merged_into_id else "",
                skill.source,
                skill.group.uri if skill.group_id else "",
                skill.group.name if skill.group_id else "",
                " | ".join(aliases.get(skill.pk, [])),
                skill.description,
            ]
            yield writer.writerow([safe_cell(v) for v in row])


def export_filename(fmt: str) -> str:
    version, _ = taxonomy_version()
    return f"muster-taxonomy-v{version}-{timezone.now():%Y%m%d}.{fmt}"
