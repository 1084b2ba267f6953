"""Skill cells to skill ids, each distinct label resolved once.

A label is a skill's name, one of its other names (aliases), its URI, or a close
misspelling, read by the shared vocabulary (``skills_app.core.vocabulary.skill_ref``,
which also follows merges to the surviving skill). For names the shared normaliser
(``taxonomy.labels.label_index``) decides, and only its "auto" outcome is accepted.
"suggest" becomes "Did you mean ...?" with the candidates' names; "none" lists the
nearest names it has. A 1.5M-row file holds a few thousand distinct labels, so the
per-label cost (a couple of milliseconds of fuzzy matching) is paid a few thousand
times, not a million.
"""

from __future__ import annotations

from matching.normaliser import Candidate
from skills_app.core import vocabulary
from skills_app.core.vocabulary import VocabularyError
from taxonomy.labels import label_index
from taxonomy.models import Skill

SUGGESTIONS = 3
# An "auto" match by one of these is the skill's own name or other name, give or take
# case, accents, punctuation and spacing: nothing for HR to check. Any other (a
# misspelling, words in another order) is listed in the result as a matched skill.
PLAIN_MATCHES = frozenset({"exact", "alias", "normalised"})
MATCHED_LISTED = 1000  # different matched labels listed in a result
MATCHED_ROWS = 20  # row numbers listed for each
# A file with this many distinct unknown skills is not going to import; past it, new
# labels are not fuzzy-matched any more (each costs milliseconds), only looked up.
MAX_FUZZY_FAILURES = 2000


class SkillResolver:
    def __init__(self):
        self.index = label_index()
        self.cache: dict[str, tuple[int | None, str, tuple[str, ...]]] = {}
        self.names: dict[int, str] = {}
        self.failures = 0
        self.used: set[int] = set()
        self.row: int | None = None  # the row being checked (Importer.validate sets it)
        # label -> {"row", "rows", "row_count", "given", "skill": {"id", "name"}}
        self.matched: dict[str, dict] = {}

    def resolve(self, label: str) -> tuple[int | None, str, tuple[str, ...]]:
        """(skill_id, "", ()) or (None, message, suggestions)."""
        found = self.cache.get(label)
        if found is None:
            found = self._resolve(label)
            self.cache[label] = found
            if found[0] is None:
                self.failures += 1
            else:
                self.used.add(found[0])
        matched = self.matched.get(label)
        if matched is not None and self.row is not None:
            matched["row_count"] += 1
            if len(matched["rows"]) < MATCHED_ROWS:
                matched["rows"].append(self.row)
        return found

    def matched_skills(self) -> list[dict]:
        """The labels matched by a misspelling or another word order, with the skill
        each landed on and its rows, in the order they first appear."""
        listed = sorted(
            (m for m in self.matched.values() if m["rows"]), key=lambda m: m["rows"][0]
        )[:MATCHED_LISTED]
        return [{**m, "row": m["rows"][0], "rows": list(m["rows"])} for m in listed]

    def _note_match(self, label: str, candidate: Candidate) -> None:
        if candidate.match_type in PLAIN_MATCHES:
            return
        name = self._name_of([candidate.skill_id]).get(candidate.skill_id, "")
        self.matched[label] = {
            "row": None,
            "rows": [],
            "row_count": 0,
            "given": label,
            "skill": {"id": candidate.skill_id, "name": name},
        }

    def _name_of(self, ids: list[int]) -> dict[int, str]:
        missing = [i for i in ids if i not in self.names]
        if missing:
            self.names.update(Skill.objects.filter(pk__in=missing).values_list("pk", "name"))
        return {i: self.names[i] for i in ids if i in self.names}

    def _suggestions(self, candidates: list[Candidate]) -> tuple[str, ...]:
        ids = []
        for c in candidates:
            if c.skill_id not in ids:
                ids.append(c.skill_id)
        ids = ids[:SUGGESTIONS]
        names = self._name_of(ids)
        shown = [names[i] for i in ids if i in names]
        if len(set(shown)) < len(shown):
            # Two skills with one name: the URI tells them apart (and works in the file).
            uris = dict(Skill.objects.filter(pk__in=ids).values_list("pk", "uri"))
            return tuple(f"{names[i]} ({uris[i]})" for i in ids if i in names)
        return tuple(shown)

    def _resolve(self, label: str):
        """An id, URI or name (shared vocabulary), followed through merges; names go
        through this resolver's own cached index and suggestions."""
        try:
            skill = vocabulary.skill_ref(label, by_name=self._by_name, load=_load)
        except VocabularyError as exc:
            return None, exc.message, tuple(exc.suggestions)
        self.names[skill.pk] = skill.name
        return skill.pk, "", ()

    def _by_name(self, label: str) -> Skill:
        if self.failures >= MAX_FUZZY_FAILURES:
            raise VocabularyError(
                f"Not checked: the file already has {MAX_FUZZY_FAILURES:,} different skills "
                "that are not in the taxonomy"
            )
        candidates = self.index.search(label, limit=5)
        decision = self.index.decide_from(candidates, limit=5)
        if decision.outcome == "auto":
            self._note_match(label, decision.candidates[0])
            return _load(decision.candidates[0].skill_id)
        if decision.outcome == "suggest":
            suggestions = self._suggestions(decision.candidates)
            raise VocabularyError(
                "Not sure which skill this is. Did you mean "
                + " or ".join(f"“{s}”" for s in suggestions)
                + "? Use the skill's name as it is in the taxonomy.",
                suggestions=suggestions,
            )
        suggestions = self._suggestions(candidates)
        message = "No skill in the taxonomy has this name"
        if suggestions:
            message += ". The nearest are " + ", ".join(f"“{s}”" for s in suggestions)
        raise VocabularyError(
            message + ". Propose the skill to a taxonomy steward if it is missing.",
            suggestions=suggestions,
        )


def _load(pk: int) -> Skill:
    return Skill.objects.only("pk", "name", "status", "merged_into").get(pk=pk)
