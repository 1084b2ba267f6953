"""The per-process skill extractor behind ``POST /api/v1/skills/extract``.

Built once from the database into a ``matching.extract.Extractor`` (every
active skill's name, aliases and description; every occupation's description
with its links to active skills) and rebuilt only when the taxonomy version
has moved on, like the label index in ``taxonomy.labels`` (occupations are
written only by the ESCO importer, which moves it once). The text given to
``extract_skills`` is neither stored nor logged.
"""

from __future__ import annotations

import threading
from collections import defaultdict

from matching.extract import Extractor
from taxonomy.models import Occupation, OccupationSkill, Skill, SkillAlias, SkillStatus
from taxonomy.services import taxonomy_version

MAX_LIMIT = 50

_lock = threading.Lock()
_cached: tuple[tuple[int, str], Extractor] | None = None


def _build() -> Extractor:
    active = Skill.objects.filter(status=SkillStatus.ACTIVE)
    labels, descriptions = [], {}
    for pk, name, description in active.values_list("pk", "name", "description").iterator(5000):
        labels.append((pk, name, True))
        if description:
            descriptions[pk] = description
    labels += [
        (skill_id, label, False)
        for skill_id, label in SkillAlias.objects.filter(skill__status=SkillStatus.ACTIVE)
        .values_list("skill_id", "label")
        .iterator(chunk_size=20000)
    ]
    essential, optional = defaultdict(list), defaultdict(list)
    links = OccupationSkill.objects.filter(skill__status=SkillStatus.ACTIVE).values_list(
        "occupation_id", "skill_id", "essential"
    )
    for occupation_id, skill_id, is_essential in links.iterator(chunk_size=20000):
        (essential if is_essential else optional)[occupation_id].append(skill_id)
    occupations = [
        (description, essential[pk], optional[pk])
        for pk, description in Occupation.objects.exclude(description="")
        .values_list("pk", "description")
        .iterator(2000)
    ]
    return Extractor(labels, descriptions, occupations)


def extractor() -> Extractor:
    global _cached
    version = taxonomy_version()
    cached = _cached
    if cached is not None and cached[0] == version:
        return cached[1]
    with _lock:
        if _cached is None or _cached[0] != version:
            _cached = (version, _build())
        return _cached[1]


def extract_skills(text: str, limit: int = 20) -> list[dict]:
    """``[{skill: {id, name, uri}, score, span: [start, end], matched_label}]``, best first."""
    hits = extractor().extract(text, limit=min(limit, MAX_LIMIT))
    skills = Skill.objects.in_bulk([hit.skill_id for hit in hits])
    return [
        {
            "skill": {"id": skill.pk, "name": skill.name, "uri": skill.uri},
            "score": hit.score,
            "span": [hit.span[0], hit.span[1]],
            "matched_label": hit.matched_label,
        }
        for hit in hits
        if (skill := skills.get(hit.skill_id)) is not None
    ]
