"""The per-process skill-label index behind search, autocomplete and imports.

Built once from the database (every active skill's name and aliases) into a
``matching.normaliser.Normaliser`` and rebuilt only when the taxonomy version
has moved on, which costs one indexed single-row read per lookup.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass

from django.db import connections

from matching.normaliser import Candidate, Decision, Normaliser
from taxonomy.models import Skill, SkillAlias, SkillStatus
from taxonomy.services import taxonomy_version

log = logging.getLogger(__name__)

_lock = threading.Lock()
_cached: tuple[tuple[int, str], Normaliser] | None = None
_warm_requested = False


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


def _warm() -> None:
    try:
        label_index()
        # The stewards' duplicates page is the other taxonomy-wide computation.
        from taxonomy.selectors import duplicate_pairs

        duplicate_pairs()
        # And the text extractor (~10 s and ~120 MB over ESCO), so the first
        # "paste your CV" does not wait for it.
        from taxonomy.extraction import extractor

        extractor()
        log.info("taxonomy.warmed")
    except Exception:  # a cold index is only slower; never stop the server over it
        log.exception("taxonomy.warm_failed")
    finally:
        connections.close_all()  # this thread's own connections


def warm_in_background() -> threading.Thread:
    """Build the label index (the duplicate pairs, the text extractor) in a daemon thread, so the
    first autocomplete does not wait ~5 s for it. Called by skills_app/wsgi.py, the
    module only servers load (runserver's serving process, each gunicorn worker):
    tests, migrate and other management commands never import it. The task worker
    builds the index on its first import job instead, where seconds do not matter."""
    global _warm_requested
    _warm_requested = True
    thread = threading.Thread(target=_warm, name="taxonomy-warm", daemon=True)
    thread.start()
    return thread


def _after_fork_in_child() -> None:
    # A fork (gunicorn --preload) copies the lock as it was, possibly held by a
    # warm-up thread that does not exist in the child: give the child a fresh one,
    # and warm again there if the parent was warming.
    global _lock
    _lock = threading.Lock()
    if _warm_requested and _cached is None:
        warm_in_background()


if hasattr(os, "register_at_fork"):  # POSIX only; nothing forks a server elsewhere
    os.register_at_fork(after_in_child=_after_fork_in_child)


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
