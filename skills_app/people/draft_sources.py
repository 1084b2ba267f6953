"""Where record-based drafts come from (DESIGN 9): the (skill id, Source) offers a
person's records make, for one person or a batch of thousands.

- **Role levels**: a role-history spell linked to a role profile proposes that
  role's requirements at their levels (``role_level``; the spell's end date, if
  any, becomes last used through ``matching.drafting.combine``).
- **Job titles**: a spell with no role profile has its title matched to the role
  library's titles first (``job_title``: that role's requirements), else to an
  ESCO occupation's name or alternative titles (``occupation``: essential skills
  at Practitioner, optional at Working). A title that matches nothing closely
  enough proposes nothing.
- **Qualifications**: the stewards' qualification-to-skills table
  (``taxonomy.selectors.qualification_skills``).

Only reads and gathers: the rules (levels, combining, what may be written) live
in ``matching.drafting`` and the title matching in ``matching.titles``; the writes
are ``people.drafts.draft_person`` (one person) and
``people.bulk_services.drafts_bulk_apply`` (everyone).

The title indexes are built once per run, and kept per process for the
one-person path until the taxonomy, the role library or the occupations change.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Max, Sum

from matching.drafting import Source, occupation_level
from matching.titles import TitleIndex
from matching.vectors import WordVectors
from skills_app.people.models import DraftSource, Qualification, RoleHistory
from skills_app.roles.models import RoleProfile, RoleRequirement
from taxonomy.models import Occupation, OccupationSkill, SkillStatus
from taxonomy.selectors import qualification_skills
from taxonomy.services import taxonomy_version

Offers = list[tuple[int, Source]]
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TitleIndexes:
    """What job titles are matched against: the role library, then ESCO occupations."""

    roles: dict[int, tuple[str, str]]  # role id -> (code, title)
    role_titles: TitleIndex
    occupations: dict[int, str]  # occupation id -> uri
    occupation_titles: TitleIndex


_vectors_lock = threading.Lock()
_vectors: dict[str, WordVectors | None] = {}


def word_vectors() -> WordVectors | None:
    """The word vectors at settings.MUSTER_WORD_VECTORS, read once per process; None
    (titles matched on their words alone, with a warning) when the file is missing."""
    path = settings.MUSTER_WORD_VECTORS
    with _vectors_lock:
        if path not in _vectors:
            _vectors[path] = WordVectors.load(path) if path else None
            if _vectors[path] is None:
                logger.warning(
                    "No word vectors at %r (make install writes them): job titles are "
                    "matched on their words alone",
                    path,
                )
        return _vectors[path]


def build_title_indexes() -> TitleIndexes:
    roles = {
        pk: (code, title)
        for pk, code, title in RoleProfile.objects.values_list("pk", "code", "title")
    }
    occupations: dict[int, str] = {}
    entries = []
    for pk, uri, name, alt_labels in Occupation.objects.values_list(
        "pk", "uri", "name", "alt_labels"
    ).iterator(chunk_size=5000):
        occupations[pk] = uri
        entries.append((pk, name, True))
        entries.extend((pk, label, False) for label in alt_labels.splitlines() if label.strip())
    vectors = word_vectors()
    return TitleIndexes(
        roles=roles,
        role_titles=TitleIndex(
            ((pk, title, True) for pk, (_code, title) in roles.items()), vectors=vectors
        ),
        occupations=occupations,
        occupation_titles=TitleIndex(entries, vectors=vectors),
    )


# -- the per-process cache (the one-person path) ----------------------------------------------

_lock = threading.Lock()
_cached: tuple[tuple, TitleIndexes] | None = None


def _signature() -> tuple:
    """Moves on whenever anything the indexes are built from may have changed: the
    taxonomy's version (an ESCO import), and the role library's and occupations'
    counts, highest ids and (roles) edit stamps, which nothing bumps centrally."""
    roles = RoleProfile.objects.aggregate(
        n=Count("pk"), top=Max("pk"), edited=Max("updated_at"), versions=Sum("version")
    )
    occupations = Occupation.objects.aggregate(n=Count("pk"), top=Max("pk"))
    return (
        taxonomy_version(),
        tuple(sorted(roles.items())),
        tuple(sorted(occupations.items())),
    )


def title_indexes() -> TitleIndexes:
    global _cached
    signature = _signature()
    cached = _cached
    if cached is not None and cached[0] == signature:
        return cached[1]
    with _lock:
        if _cached is None or _cached[0] != signature:
            _cached = (signature, build_title_indexes())
        return _cached[1]


# -- gathering offers -------------------------------------------------------------------------


@dataclass
class Gatherer:
    """Gathers offers for batches of people over one set of title indexes, keeping
    what batches share (title matches, role requirements, occupation skills)."""

    indexes: TitleIndexes
    _titles: dict[str, tuple[str, int] | None] = field(default_factory=dict)
    _requirements: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    _occupation_skills: dict[int, list[tuple[int, int]]] = field(default_factory=dict)

    def match_title(self, title: str) -> tuple[str, int] | None:
        """("role", role id), ("occupation", occupation id) or None, for a job title."""
        key = " ".join(title.split()).casefold()
        if key not in self._titles:
            found = self.indexes.role_titles.best(title)
            if found is not None:
                self._titles[key] = ("role", found.key)
            else:
                found = self.indexes.occupation_titles.best(title)
                self._titles[key] = None if found is None else ("occupation", found.key)
        return self._titles[key]

    def _load_requirements(self, role_ids: set[int]) -> None:
        missing = role_ids - self._requirements.keys()
        if not missing:
            return
        for role_id in missing:
            self._requirements[role_id] = []
        rows = RoleRequirement.objects.filter(
            role_id__in=missing, skill__status=SkillStatus.ACTIVE
        ).values_list("role_id", "skill_id", "level")
        for role_id, skill_id, level in rows.iterator(chunk_size=5000):
            self._requirements[role_id].append((skill_id, level))

    def _load_occupation_skills(self, occupation_ids: set[int]) -> None:
        missing = occupation_ids - self._occupation_skills.keys()
        if not missing:
            return
        for occupation_id in missing:
            self._occupation_skills[occupation_id] = []
        rows = OccupationSkill.objects.filter(
            occupation_id__in=missing, skill__status=SkillStatus.ACTIVE
        ).values_list("occupation_id", "skill_id", "essential")
        for occupation_id, skill_id, essential in rows.iterator(chunk_size=5000):
            self._occupation_skills[occupation_id].append((skill_id, occupation_level(essential)))

    def offers(self, person_ids: Iterable[int]) -> dict[int, Offers]:
        """Every person's offers from their role history and qualifications."""
        person_ids = sorted(person_ids)
        found: dict[int, Offers] = {pk: [] for pk in person_ids}
        spells = list(
            rows_of_people(RoleHistory.objects, person_ids).values_list(
                "person_id", "title", "role_profile_id", "start", "end"
            )
        )
        # (person, kind, role or occupation id, label, start, end), then their skills.
        causes = []
        for person_id, title, role_id, start, end in spells:
            if person_id not in found:
                continue  # inside the batch's id range, but not in the batch
            if role_id is not None and role_id in self.indexes.roles:
                code, role_title = self.indexes.roles[role_id]
                causes.append((person_id, DraftSource.ROLE_LEVEL, role_id, role_title, start, end))
                continue
            matched = self.match_title(title)
            if matched is None:
                continue
            what, key = matched
            kind = DraftSource.JOB_TITLE if what == "role" else DraftSource.OCCUPATION
            causes.append((person_id, kind, key, title, start, end))
        occupation_kind = DraftSource.OCCUPATION.value
        self._load_requirements({c[2] for c in causes if c[1] != occupation_kind})
        self._load_occupation_skills({c[2] for c in causes if c[1] == occupation_kind})
        for person_id, kind, key, label, start, end in causes:
            if kind == occupation_kind:
                ref, skills = self.indexes.occupations[key], self._occupation_skills[key]
            else:
                ref, skills = self.indexes.roles[key][0], self._requirements[key]
            offers = found[person_id]
            # One Source per level the spell proposes, shared by its skills (a
            # spell offers a few levels over tens of skills).
            by_level: dict[int, Source] = {}
            for skill_id, level in skills:
                source = by_level.get(level)
                if source is None:
                    source = by_level[level] = Source(
                        kind=str(kind), label=label, level=level, start=start, end=end, ref=ref
                    )
                offers.append((skill_id, source))
        held = list(
            rows_of_people(Qualification.objects, person_ids).values_list("person_id", "name")
        )
        mapped = qualification_skills({name for _, name in held}) if held else {}
        for person_id, name in held:
            if person_id not in found:
                continue
            for skill_id, level in mapped.get(name, ()):
                source = Source(kind=DraftSource.QUALIFICATION.value, label=name, level=level)
                found[person_id].append((skill_id, source))
        return found


def rows_of_people(manager, person_ids: list[int]):
    """Rows of ``person_ids`` (sorted), read by their id range: a batch of thousands
    is mostly contiguous ids, and a range scan beats a list of thousands of
    parameters. Rows of people in the range but not in the batch are the caller's
    to skip."""
    if not person_ids:
        return manager.none()
    if len(person_ids) < 50:
        return manager.filter(person_id__in=person_ids)
    return manager.filter(person_id__gte=person_ids[0], person_id__lte=person_ids[-1])


def record_offers(person_ids: Iterable[int], *, indexes: TitleIndexes | None = None):
    """Offers for a few people, over the process's cached title indexes."""
    return Gatherer(indexes or title_indexes()).offers(person_ids)
