"""Job title -> role profile or occupation: the closest title, or nothing.

Pure Python over plain inputs. ``TitleIndex(entries)`` takes ``(key, label,
is_preferred)`` where ``key`` is any hashable (a role profile id, an occupation
id) and ``best(title)`` answers a ``TitleMatch(key, score, matched_label)``, or
``None`` when no title is close enough, so a nonsense or unknown title drafts
nothing.

A thin layer over the skill-label normaliser (``matching.normaliser``): a title
matches only when the normaliser would match a skill name automatically (its
"auto" decision: a high score, clear of the runner-up), so an ambiguous title
("Manager") drafts nothing rather than guessing.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass

from matching.normaliser import Normaliser

__all__ = ["TitleIndex", "TitleMatch"]


@dataclass(frozen=True, slots=True)
class TitleMatch:
    key: Hashable
    score: float  # 0-100, the normaliser's score
    matched_label: str  # the title (preferred or alternative) that matched, as stored


class TitleIndex:
    """An immutable index over titles; one instance serves concurrent readers."""

    def __init__(self, entries: Iterable[tuple[Hashable, str, bool]]):
        keys: list[Hashable] = []
        number: dict[Hashable, int] = {}
        rows = []
        for key, label, is_preferred in entries:
            if key not in number:
                number[key] = len(keys)
                keys.append(key)
            rows.append((number[key], label, is_preferred))
        self._keys = keys
        self._index = Normaliser(rows)

    def __len__(self) -> int:
        return len(self._keys)

    def best(self, title: str) -> TitleMatch | None:
        if not title or not title.strip():
            return None
        decision = self._index.decide(title)
        if decision.outcome != "auto":
            return None
        top = decision.candidates[0]
        return TitleMatch(self._keys[top.skill_id], top.score, top.matched_label)
