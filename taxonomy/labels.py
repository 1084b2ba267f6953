"""The per-process skill-label index behind search, autocomplete and imports.

Built once from the database (every active skill's name and aliases) into a
``matching.normaliser.Normaliser`` and rebuilt only when the taxonomy version
has moved on, which costs one indexed single-row read per lookup.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from matching.normaliser import Candidate, Decision, Normaliser
from taxonomy.models import Skill, SkillAlias, SkillStatus
from taxonomy.services import taxonomy_version

_lock = threading.Lock()
_cached: tuple[tuple[int, str], Normaliser] | None = None


def _build() -> Normaliser:
    active = Skill.objects.filter(status=SkillStatus.ACTIVE)
    entries = [(pk, name, True) for pk, name in active.values_list("pk", "name").iterator(5000)]
    entries += [
        (skill_id, label, False)
        for skill_id, label in SkillAlias.objects.filter(skill__status=SkillStatus.ACTIVE)
        .values_list("skill_id", "label")
        .iterator(chunk_size=20000)
    ]
    return Normaliser(entries)


def label_index() -> Normaliser:
    global _cached
    version = taxonomy_version()
    cached = _cached
    if cached is not None and cached[0] == version:
        return cached[1]
    with _lock:
        if _cached is None or _cached[0] != version:
            _cached = (version, _build())
        return _cached[1]


@dataclass(frozen=True)
class SkillMatch:
    skill: Skill
    score: float
    matched_label: str
    match_type: str


def _hydrate(candidates: list[Candidate]) -> list[SkillMatch]:
    skills = Skill.objects.select_related("group").in_bulk([c.skill_id for c in candidates])
    return [
        SkillMatch(skills[c.skill_id], c.score, c.matched_label, c.match_type)
        for c in candidates
        if c.skill_id in skills
    ]


def search_skills(query: str, *, limit: int = 10) -> list[SkillMatch]:
    return _hydrate(label_index().search(query, limit=limit))


def decide_skill(query: str, *, limit: int = 5) -> tuple[str, list[SkillMatch]]:
    decision: Decision = label_index().decide(query, limit=limit)
    return decision.outcome, _hydrate(decision.candidates)
