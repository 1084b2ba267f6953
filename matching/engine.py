"""Rank a whole workforce against a role profile: DESIGN.md section 4, exactly.

The rules themselves (their constants and a plain scalar version of each) live
in ``matching.rules``; this module is their vectorised form, held to the
scalar versions by property tests.

Everything here works on plain arrays. The workforce is held column-major (one
column per skill: who holds it, at what level, last used when, on what
evidence), so a query touches only the columns of the skills it asks about and
their related skills, never a row per person. Scores are computed for everyone
in a handful of vectorised passes; only the page of results that is shown gets
explanations and confidence grades.

Dates are proleptic Gregorian ordinals (``datetime.date.toordinal()``); a
``last_used`` of 0 means "in current use".

Speed (500,000 people, 12 requirements: a few milliseconds a search) comes from
doing only the work a search needs, in numpy's C loops:

- per day and column, the recency-weighted levels, the row indexes in the
  machine's index type and the credit per required level are computed once
  and cached on the ``SkillColumns`` (bounded; see ``COLUMN_CACHE_BYTES``), so
  a search is one ``np.add.at`` scatter per requirement into a dense score;
- a requirement with related skills gets the same: one cached column of the
  per-person best over its sources, on the union of their holders. What of it
  does not change from day to day is kept without a day in its key (``_Union``:
  everyone holding a source, and the best value among entries whose recency no
  longer changes: in current use, or at the floor), so the first search after
  midnight reweighs only the entries still decaying rather than making a dense
  pass over everyone (issue 17);
- prior roles come from per-role arrays of spells, built once per
  ``RoleLibrary``, so a search looks only at spells of covering roles;
- the hard-filter mask for each distinct (array-free) ``Filters`` is cached
  per ``Workforce`` (``Workforce.people_changed()`` drops it);
- the top of the order is found with a histogram of rank scores rather than
  ``np.partition`` (which degrades badly on the many tied scores), and only the
  page that is shown is explained, one vectorised lookup per requirement.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import math
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from matching import rules
from matching.rules import (
    BY_PRIOR_ROLE,
    BY_SCORE,
    DAYS_PER_YEAR,
    DEFAULT_THRESHOLD,
    EPSILON,
    PRIOR_ROLE_BONUS,
    PRIOR_ROLE_MIN_COVERAGE,
    RECENCY_DECAY_PER_YEAR,
    RECENCY_FLOOR,
    RECENCY_FULL_CREDIT_YEARS,
    TIE_DECIMALS,
)

CURRENT = 0  # last_used value meaning "in current use"
NOT_AVAILABLE = np.iinfo(np.int32).max  # available_from for "no date given"

# Rule 10: evidence codes in the arrays, and their weights in code order.
EVIDENCE_CODES = {"self": 0, "manager_verified": 1, "assessed": 2, "certified": 3, "inferred": 4}
DRAFT = EVIDENCE_CODES["inferred"]
EVIDENCE_NAMES = {code: name for name, code in EVIDENCE_CODES.items()}
EVIDENCE_WEIGHT = np.array(
    [rules.EVIDENCE_WEIGHT[EVIDENCE_NAMES[c]] for c in range(len(EVIDENCE_CODES))]
)

# Rule 7 as codes in a per-person array.
QUALIFIES_NOT, QUALIFIES_BY_SCORE, QUALIFIES_BY_PRIOR_ROLE = 0, 1, 2
QUALIFIES_BY_NAME = {QUALIFIES_BY_SCORE: BY_SCORE, QUALIFIES_BY_PRIOR_ROLE: BY_PRIOR_ROLE}

# Derived per-day column arrays kept per SkillColumns (least recently used go first).
COLUMN_CACHE_BYTES = 256 * 2**20
# Candidates beyond this many are cut to the top of the order with a histogram first.
SORT_DIRECTLY = 4096
RANK_BINS = 4096
FILTER_CACHE_SIZE = 16


@dataclass(frozen=True, slots=True)
class Requirement:
    skill: int  # column index
    level: int  # 1-4
    weight: float = 1.0
    essential: bool = False


@dataclass(frozen=True, slots=True)
class Relation:
    """``source`` can stand in for the required skill at ``strength``."""

    source: int
    strength: float


@dataclass(slots=True)
class SkillColumns:
    """People x skills in compressed-column form with parallel value arrays.

    Rows within a column are sorted, so one person's entry in a column is a
    binary search away.

    Treat the arrays as immutable once searched: arrays derived from them per
    day are cached on the object (build a new ``SkillColumns`` to change them).
    """

    n_people: int
    indptr: np.ndarray  # int64, n_skills + 1
    rows: np.ndarray  # int32 person index
    level: np.ndarray  # int8 1-4
    last_used: np.ndarray  # int32 ordinal, 0 = current
    evidence: np.ndarray  # int8 EVIDENCE_CODES
    _derived: _ColumnCache | None = field(default=None, init=False, repr=False, compare=False)
    # (other columns, these merged with them): ``merged_with``'s last answer.
    _merged: tuple | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def from_triples(
        cls,
        *,
        n_people: int,
        n_skills: int,
        person: Sequence[int] | np.ndarray,
        skill: Sequence[int] | np.ndarray,
        level: Sequence[int] | np.ndarray,
        last_used: Sequence[int] | np.ndarray | None = None,
        evidence: Sequence[int] | np.ndarray | None = None,
    ) -> SkillColumns:
        person = np.asarray(person, dtype=np.int32)
        skill = np.asarray(skill, dtype=np.int32)
        count = len(person)
        level = np.asarray(level, dtype=np.int8)
        last_used = (
            np.zeros(count, np.int32) if last_used is None else np.asarray(last_used, np.int32)
        )
        evidence = np.zeros(count, np.int8) if evidence is None else np.asarray(evidence, np.int8)
        # By skill, then person: one stable sort on a combined key (np.lexsort on the two
        # arrays is about three times slower at millions of rows; the order is the same).
        stride = max(n_people, int(person.max()) + 1 if count else 0)
        order = np.argsort(skill.astype(np.int64) * stride + person, kind="stable")
        counts = np.bincount(skill, minlength=n_skills)
        indptr = np.zeros(n_skills + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        return cls(
            n_people=n_people,
            indptr=indptr,
            rows=person[order],
            level=level[order],
            last_used=last_used[order],
            evidence=evidence[order],
        )

    @property
    def n_skills(self) -> int:
        return len(self.indptr) - 1

    def resized(self, *, n_people: int | None = None, n_skills: int | None = None) -> SkillColumns:
        """The same entries for more people or more (empty) skill columns."""
        indptr = self.indptr
        if n_skills is not None and n_skills > self.n_skills:
            indptr = np.concatenate([indptr, np.full(n_skills - self.n_skills, indptr[-1])])
        return SkillColumns(
            n_people=self.n_people if n_people is None else n_people,
            indptr=indptr,
            rows=self.rows,
            level=self.level,
            last_used=self.last_used,
            evidence=self.evidence,
        )

    def merged_with(self, other: SkillColumns) -> SkillColumns:
        """These entries and ``other``'s (no (person, skill) in both) as one set of
        columns. The last answer is kept, so a workforce rebuilt around the same
        two (every applied change does that) merges them once."""
        if self._merged is not None and self._merged[0] is other:
            return self._merged[1]
        if other.n_people != self.n_people or other.n_skills != self.n_skills:
            raise ValueError("columns to merge must have the same people and skills")
        merged = SkillColumns.from_triples(
            n_people=self.n_people,
            n_skills=self.n_skills,
            person=np.concatenate([self.rows, other.rows]),
            skill=np.concatenate([self.skill_of_entries(), other.skill_of_entries()]),
            level=np.concatenate([self.level, other.level]),
            last_used=np.concatenate([self.last_used, other.last_used]),
            evidence=np.concatenate([self.evidence, other.evidence]),
        )
        self._merged = (other, merged)
        return merged

    def skill_of_entries(self) -> np.ndarray:
        """The column (skill) of each entry, in entry order."""
        return np.repeat(np.arange(self.n_skills, dtype=np.int32), np.diff(self.indptr))

    def column(self, skill: int) -> slice:
        return slice(self.indptr[skill], self.indptr[skill + 1])

    def entry(self, person: int, skill: int) -> int | None:
        """Position of (person, skill) in the value arrays, or None."""
        span = self.column(skill)
        rows = self.rows[span]
        at = int(np.searchsorted(rows, person))
        if at < len(rows) and rows[at] == person:
            return span.start + at
        return None

    def entries(self, people: np.ndarray, skill: int) -> tuple[np.ndarray, np.ndarray]:
        """For each of ``people``: (found, position in the value arrays)."""
        span = self.column(skill)
        rows = self.rows[span]
        if not len(rows):
            return np.zeros(len(people), dtype=bool), np.zeros(len(people), dtype=np.int64)
        at = np.minimum(np.searchsorted(rows, people), len(rows) - 1)
        return rows[at] == people, span.start + at

    def derived(self) -> _ColumnCache:
        """The per-day cache of arrays derived from these columns."""
        if self._derived is None:
            self._derived = _ColumnCache(self)
        return self._derived


class SkillPart(NamedTuple):
    """Person skills in column order, for counting (``Workforce.skill_parts``):
    ``rows`` are person positions, ``indptr`` the column bounds, ``keep`` None or
    which rows still count."""

    rows: np.ndarray
    level: np.ndarray
    evidence: np.ndarray
    indptr: np.ndarray
    keep: np.ndarray | None


@dataclass(slots=True)
class People:
    """Attribute arrays for the hard filters and the final ordering."""

    staff_number: np.ndarray  # object (str)
    grade: np.ndarray  # int8 rank, junior to senior
    org_unit: np.ndarray  # int32 unit index
    location: np.ndarray  # int32 location code
    clearance: np.ndarray  # int8 0-4
    weekly_hours: np.ndarray  # float32
    redeployable: np.ndarray  # bool (willing and not opted out)
    protected: np.ndarray  # bool
    available_from: np.ndarray  # int32 ordinal, NOT_AVAILABLE when unknown
    allocated: np.ndarray  # bool: allocated in an approved surge
    reviewed_at: np.ndarray  # int32 ordinal of profile_reviewed_at, 0 = never
    # Ready reserve (DESIGN 10): the days a member is on call, as ordinals (0, 0: not one).
    reserve_from: np.ndarray | None = None  # int32
    reserve_until: np.ndarray | None = None  # int32
    staff_rank: np.ndarray = field(init=False)  # int32 position in staff-number order

    def __post_init__(self):
        if self.reserve_from is None:
            self.reserve_from = np.zeros(len(self.staff_number), dtype=np.int32)
        if self.reserve_until is None:
            self.reserve_until = np.zeros(len(self.staff_number), dtype=np.int32)
        self.rank_staff_numbers()

    @classmethod
    def restored(cls, *, staff_rank: np.ndarray, **arrays: np.ndarray) -> People:
        """People from saved arrays, ``staff_rank`` included: no argsort of every
        staff number (about a second at 500,000), so a saved index maps at once."""
        people = object.__new__(cls)
        for name, value in arrays.items():
            setattr(people, name, value)
        people.staff_rank = staff_rank
        return people

    def rank_staff_numbers(self) -> None:
        """(Re)compute ``staff_rank``; needed after staff numbers change in place."""
        order = np.argsort(self.staff_number, kind="stable")
        self.staff_rank = np.empty(len(order), dtype=np.int32)
        self.staff_rank[order] = np.arange(len(order), dtype=np.int32)

    def __len__(self) -> int:
        return len(self.staff_number)


@dataclass(frozen=True, slots=True)
class RoleSpell:
    """A role a person held: ``role`` indexes the role profiles' levels."""

    person: int
    role: int | None
    title: str
    end: int  # ordinal; 0 = still held
    start: int = 0  # ordinal; 0 = not recorded


class SpellTable:
    """Role-history spells as parallel arrays (titles stored once each), not one
    Python object per spell: at 500,000 people that is a few megabytes instead
    of ~120 MB, and the arrays can be saved and memory-mapped with the rest of
    the index. Reads like a sequence of ``RoleSpell``s; immutable (build a new
    table to change it)."""

    __slots__ = ("person", "role", "end", "start", "title", "titles")

    def __init__(self, *, person, role, end, start, title, titles: Sequence[str]):
        self.person = np.asarray(person, dtype=np.int32)  # person position
        self.role = np.asarray(role, dtype=np.int32)  # role index, -1 for none
        self.end = np.asarray(end, dtype=np.int32)  # ordinal, 0 = still held
        self.start = np.asarray(start, dtype=np.int32)  # ordinal, 0 = not recorded
        self.title = np.asarray(title, dtype=np.int32)  # index into ``titles``
        self.titles = list(titles)

    @classmethod
    def from_spells(cls, spells: Iterable[RoleSpell]) -> SpellTable:
        spells = list(spells)
        codes: dict[str, int] = {}
        return cls(
            person=[s.person for s in spells],
            role=[-1 if s.role is None else s.role for s in spells],
            end=[s.end for s in spells],
            start=[s.start for s in spells],
            title=[codes.setdefault(s.title, len(codes)) for s in spells],
            titles=list(codes),
        )

    def __len__(self) -> int:
        return len(self.person)

    def __getitem__(self, at: int) -> RoleSpell:
        role = int(self.role[at])
        return RoleSpell(
            person=int(self.person[at]),
            role=None if role < 0 else role,
            title=self.titles[int(self.title[at])],
            end=int(self.end[at]),
            start=int(self.start[at]),
        )

    def __iter__(self) -> Iterator[RoleSpell]:
        return (self[i] for i in range(len(self)))

    def without_people(self, people: Iterable[int]) -> SpellTable:
        """The spells of everyone but ``people`` (positions)."""
        keep = ~np.isin(self.person, np.fromiter(people, dtype=np.int32))
        return SpellTable(
            person=self.person[keep],
            role=self.role[keep],
            end=self.end[keep],
            start=self.start[keep],
            title=self.title[keep],
            titles=self.titles,
        )

    def extended(self, spells: Iterable[RoleSpell]) -> SpellTable:
        """These spells and then ``spells``."""
        more = list(spells)
        if not more:
            return self
        codes = {title: i for i, title in enumerate(self.titles)}
        titles = list(self.titles)
        title = [codes.setdefault(s.title, len(codes)) for s in more]
        titles.extend(list(codes)[len(titles) :])
        add = SpellTable.from_spells(more)
        return SpellTable(
            person=np.concatenate([self.person, add.person]),
            role=np.concatenate([self.role, add.role]),
            end=np.concatenate([self.end, add.end]),
            start=np.concatenate([self.start, add.start]),
            title=np.concatenate([self.title, np.asarray(title, dtype=np.int32)]),
            titles=titles,
        )


@dataclass(slots=True)
class RoleLibrary:
    """Role profiles as the levels they require (role -> {skill column: level}),
    and the spells people held them, for rule 6.

    Search-ready forms (an inverted index by skill, the spells grouped by role as
    arrays) are built on first use and kept. Adding roles or spells is noticed;
    after changing existing entries in place call ``changed()`` (or build a new
    library).
    """

    levels: dict[int, dict[int, int]]  # role index -> {skill column: required level}
    spells: SpellTable  # a list of RoleSpell is accepted and converted
    _index: _RoleIndex | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self):
        if not isinstance(self.spells, SpellTable):
            self.spells = SpellTable.from_spells(self.spells)

    def changed(self) -> None:
        """Forget the search-ready forms after an in-place change."""
        self._index = None

    def index(self) -> _RoleIndex:
        built = self._index
        if built is None or built.sizes != (len(self.levels), len(self.spells)):
            built = self._index = _RoleIndex(self.levels, self.spells)
        return built

    def coverages(self, requirements: Sequence[Requirement]) -> dict[int, float]:
        """Rule 6: coverage R of every role profile that shares a skill with
        ``requirements``, scored against them as a person is (rules 3-4, no
        relations, no recency). Roles sharing no skill cover nothing."""
        index = self.index()
        touched: set[int] = set()
        for requirement in requirements:
            touched.update(index.by_skill.get(requirement.skill, ()))
        total_weight = sum(r.weight for r in requirements)
        out = {}
        for role in sorted(touched, key=index.order.__getitem__):  # the library's order
            levels = self.levels[role]
            covered = sum(
                r.weight * min(1.0, levels.get(r.skill, 0) / r.level) for r in requirements
            )
            out[role] = covered / total_weight
        return out


class _RoleIndex:
    """``RoleLibrary`` in search-ready form."""

    def __init__(self, levels: dict[int, dict[int, int]], spells: SpellTable):
        self.sizes = (len(levels), len(spells))
        self.order = {role: i for i, role in enumerate(levels)}
        self.by_skill: dict[int, list[int]] = {}
        for role, required in levels.items():
            for skill in required:
                self.by_skill.setdefault(skill, []).append(role)
        n = len(spells)
        role = spells.role.astype(np.int64)
        person = spells.person.astype(np.int64)
        end = spells.end.astype(np.int64)
        order = np.argsort(role, kind="stable")  # list order kept within a role
        role = role[order]
        self.person, self.end, self.spell = person[order], end[order], order
        starts = np.flatnonzero(np.r_[True, role[1:] != role[:-1]]) if n else np.zeros(0, int)
        bounds = np.r_[starts, n]
        self.spans = {
            int(role[a]): slice(int(a), int(b))
            for a, b in zip(bounds[:-1], bounds[1:], strict=True)
        }


class PriorRoles(Mapping):
    """Rule 6 per person: a read-only mapping person -> ``PriorRole`` (the role
    that counts), held as arrays (a search can find tens of thousands)."""

    __slots__ = ("people", "coverage", "end", "_spell", "_spells")

    def __init__(self, people, coverage, end, spell, spells: SpellTable):
        self.people = people  # int64, sorted
        self.coverage = coverage  # float64
        self.end = end  # int64 ordinal, 0 = current
        self._spell = spell  # index into spells
        self._spells = spells

    def _at(self, person) -> int | None:
        try:
            at = int(np.searchsorted(self.people, person))
        except (TypeError, ValueError):
            return None
        if at < len(self.people) and self.people[at] == person:
            return at
        return None

    def __getitem__(self, person) -> PriorRole:
        at = self._at(person)
        if at is None:
            raise KeyError(person)
        spell = self._spells[int(self._spell[at])]
        return PriorRole(spell.title, spell.start, int(self.end[at]), float(self.coverage[at]))

    def __contains__(self, person) -> bool:
        return self._at(person) is not None

    def __iter__(self) -> Iterator[int]:
        return iter(self.people.tolist())

    def __len__(self) -> int:
        return len(self.people)


_NO_PRIOR_ROLES = PriorRoles(
    np.zeros(0, np.int64),
    np.zeros(0),
    np.zeros(0, np.int64),
    np.zeros(0, np.int64),
    SpellTable.from_spells([]),
)


@dataclass(frozen=True, slots=True)
class Filters:
    grades: frozenset[int] | None = None
    org_units: np.ndarray | None = None  # bool mask over units: include
    exclude_org_units: np.ndarray | None = None  # bool mask over units: exclude
    locations: frozenset[int] | None = None
    min_clearance: int | None = None
    available_on: int | None = None  # ordinal
    redeployable_only: bool = True
    min_weekly_hours: float | None = None
    reserve_on: int | None = None  # ordinal: only ready-reserve members on call that day


@dataclass(frozen=True, slots=True)
class PriorRole:
    """The earlier (or current) role that counts for a person (rule 6)."""

    title: str
    start: int  # ordinal, 0 = not recorded
    end: int  # ordinal, 0 = still held
    coverage: float


@dataclass(frozen=True, slots=True)
class RequirementExplanation:
    skill: int
    required_level: int
    level: int  # level held in via_skill (0 when nothing counts)
    via_skill: int | None
    recency: float
    effective_level: float
    credit: float
    gap: int  # levels of training needed: ceil(max(0, L - e))
    essential: bool
    evidence: int | None  # EVIDENCE_CODES of the record that supplied the level


@dataclass(frozen=True, slots=True)
class Match:
    person: int
    score: float
    rank_score: float
    meets_essentials: bool
    qualifies_by: str | None  # rule 7: "score", "prior_role" or None (not qualifying)
    prior_role: PriorRole | None
    confidence: str
    requirements: tuple[RequirementExplanation, ...]


@dataclass(frozen=True, slots=True)
class ConfidenceBasis:
    evidence: float | None  # the evidence behind the credited requirements (None: none)
    value: float | None  # rule 10's value: evidence, x 0.8 when stale
    stale: bool  # profile not reviewed for 12 months: value x 0.8
    reviewed_on: int | None  # ordinal of the last review, None: never


@dataclass(frozen=True, slots=True)
class RankResult:
    total_by_score: int
    total_by_prior_role: int
    matches: list[Match]

    @property
    def total(self) -> int:
        return self.total_by_score + self.total_by_prior_role


def recency_factor(last_used: np.ndarray, as_of: int) -> np.ndarray:
    """Rule 1, vectorised over ordinals (0 = current)."""
    years = (as_of - last_used) / DAYS_PER_YEAR
    decayed = np.maximum(
        RECENCY_FLOOR, 1.0 - RECENCY_DECAY_PER_YEAR * (years - RECENCY_FULL_CREDIT_YEARS)
    )
    return np.where((last_used == CURRENT) | (years <= RECENCY_FULL_CREDIT_YEARS), 1.0, decayed)


# Rule 1 by whole days since last use: the same arithmetic as recency_factor, once
# per possible day count up to the first that reaches the floor (every later day
# count is at the floor too); a skill last used "in the future" counts in full.
_FLOOR_DAYS = (
    math.ceil(
        DAYS_PER_YEAR * (RECENCY_FULL_CREDIT_YEARS + (1 - RECENCY_FLOOR) / RECENCY_DECAY_PER_YEAR)
    )
    + 1
)
_RECENCY_BY_DAYS = recency_factor(-np.arange(_FLOOR_DAYS + 1, dtype=np.int64), 0)
assert _RECENCY_BY_DAYS[-1] == RECENCY_FLOOR and _RECENCY_BY_DAYS[-2] == RECENCY_FLOOR


def _recency_by_days(last_used: np.ndarray, as_of: int) -> np.ndarray:
    """recency_factor for entries not in current use, by table look-up."""
    days = np.clip(as_of - last_used.astype(np.int64), 0, _FLOOR_DAYS)
    return _RECENCY_BY_DAYS[days]


def rank_order(rank_score: np.ndarray, score: np.ndarray, staff_rank: np.ndarray) -> np.ndarray:
    """Rule 8, vectorised (``rules.order_key``): the order of people by rank score
    desc, then score desc, then staff number asc (``staff_rank``: position in
    staff-number order). Scores equal in exact arithmetic can differ in the last
    bits when their credits were summed in another order; compared at 1e-9 they
    tie, and the staff number decides."""
    return np.lexsort(
        (staff_rank, -np.round(score, TIE_DECIMALS), -np.round(rank_score, TIE_DECIMALS))
    )


class _Column:
    """A column on one day: rows (as np.intp, ready for scatters), level x
    recency (float64) and, per required level L, the credit min(1, value / L).
    For a requirement with related skills, the same for the per-person maximum
    of strength x level x recency over its sources (rows: the union, shared with
    its day-independent ``_Union``)."""

    __slots__ = ("key", "rows", "values", "credits", "nbytes")

    def __init__(self, key: tuple, rows: np.ndarray, values: np.ndarray, *, own_rows=True):
        rows.flags.writeable = values.flags.writeable = False  # shared by every search
        self.key = key
        self.rows = rows
        self.values = values
        self.credits: dict[int, np.ndarray] = {}
        self.nbytes = (rows.nbytes if own_rows else 0) + values.nbytes


# The first whole day count at which rule 1 reaches its floor (and stays there).
_FLOOR_FROM = int(np.argmax(_RECENCY_BY_DAYS == RECENCY_FLOOR))


class _Union:
    """What rule 2's best over a requirement's sources keeps from day to day, from
    day ``since`` on: worked out once and kept without a day in its key, so the
    first search of a new day only reweighs the entries whose recency is still
    moving (issue 17), instead of a dense pass over everyone per requirement.

    ``rows``: everyone holding a source at a strength above 0 (sorted np.intp).
    ``fixed``: per row, the best strength x level x recency among entries whose
    recency no longer changes (in current use, or already at the floor), 0 where
    there is none. The other entries, source by source (``bounds``, with each
    source's strength in ``strengths``; at most one a row in each): their row
    positions ``at``, ``level`` (int8, as held) and ``last_used``."""

    __slots__ = ("key", "since", "rows", "fixed", "at", "level", "last_used")
    __slots__ += ("bounds", "strengths", "nbytes")

    def __init__(self, key, since, rows, fixed, at, level, last_used, bounds, strengths):
        arrays = (rows, fixed, at, level, last_used)
        for array in arrays:
            array.flags.writeable = False
        self.key, self.since, self.rows, self.fixed = key, since, rows, fixed
        self.at, self.level, self.last_used = at, level, last_used
        self.bounds, self.strengths = bounds, strengths
        self.nbytes = sum(a.nbytes for a in arrays)

    def on(self, day: int) -> np.ndarray:
        """Every row's value on ``day`` (``day >= since``)."""
        if not len(self.at):
            return self.fixed
        moving = self.level * _recency_by_days(self.last_used, day)  # (int8 x float64: exact)
        values = self.fixed.copy()
        for (start, stop), strength in zip(
            itertools.pairwise(self.bounds), self.strengths, strict=True
        ):
            # strength x (level x recency), in the order rule 2 multiplies them
            part = moving[start:stop] if strength == 1.0 else strength * moving[start:stop]
            at = self.at[start:stop]
            values[at] = np.maximum(values[at], part)
        return values


class _ColumnCache:
    """Per-day ``_Column``s for one ``SkillColumns`` (and the day-independent
    ``_Union``s under the related-skill ones), least recently used dropped first
    beyond ``COLUMN_CACHE_BYTES``. Safe to share between threads."""

    def __init__(self, columns: SkillColumns):
        self._columns = columns
        self._entries: OrderedDict[tuple, _Column | _Union] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.unions_built = 0  # how often a union was worked out (tests)

    def _get(self, key: tuple) -> _Column | _Union | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def _put(self, built):
        with self._lock:
            old = self._entries.pop(built.key, None)
            if old is not None:
                self._bytes -= old.nbytes
            self._entries[built.key] = built
            self._bytes += built.nbytes
            self._trim()
        return built

    def column(self, skill: int, day: int) -> _Column:
        """One skill's column: rule 1 applied to its levels."""
        key = (day, skill)
        found = self._get(key)
        if found is not None:
            return found
        columns = self._columns
        span = columns.column(skill)
        values = columns.level[span].astype(np.float64)
        last_used = columns.last_used[span]
        old = np.flatnonzero(last_used != CURRENT)
        if len(old):
            values[old] *= _recency_by_days(last_used[old], day)
        return self._put(_Column(key, columns.rows[span].astype(np.intp), values))

    def _union(self, sources: tuple[tuple[int, float], ...], day: int) -> _Union:
        """The union for ``sources``, valid on ``day`` (a search dated before it
        was worked out works it out again from that day)."""
        key = ("union", sources)
        found = self._get(key)
        if found is not None and found.since <= day:
            return found
        self.unions_built += 1
        columns = self._columns
        spans = [(columns.column(skill), strength) for skill, strength in sources if strength > 0]
        held = np.zeros(columns.n_people, dtype=bool)
        for span, _ in spans:
            held[columns.rows[span]] = True
        rows = np.flatnonzero(held)
        # person -> place among ``rows`` (only those places are ever written or read)
        place = np.empty(columns.n_people, dtype=np.intp)
        place[rows] = np.arange(len(rows))
        fixed = np.zeros(len(rows), dtype=np.float64)
        floor = _RECENCY_BY_DAYS[_FLOOR_DAYS]
        at, level, last_used, bounds = [], [], [], [0]
        for span, strength in spans:
            where = place[columns.rows[span]]
            held_level = columns.level[span].astype(np.float64)
            used = columns.last_used[span]
            # Settled: in current use, or at the floor on ``day`` and every later day.
            moving = np.flatnonzero(used > day - _FLOOR_FROM)
            settled = np.where(used == CURRENT, held_level, held_level * floor)
            settled[moving] = 0.0
            if strength != 1.0:
                settled = strength * settled
            fixed[where] = np.maximum(fixed[where], settled)  # unique within a source
            at.append(where[moving])
            level.append(columns.level[span][moving])
            last_used.append(used[moving])
            bounds.append(bounds[-1] + len(moving))
        union = _Union(
            key,
            day,
            rows,
            fixed,
            np.concatenate(at) if at else np.zeros(0, np.intp),
            np.concatenate(level) if level else np.zeros(0, np.int8),
            np.concatenate(last_used) if last_used else np.zeros(0, np.int32),
            tuple(bounds),
            tuple(strength for _, strength in spans),
        )
        return self._put(union)

    def effective(self, sources: tuple[tuple[int, float], ...], day: int) -> _Column:
        """Rule 2 over ``sources`` ((skill, strength), the required skill first):
        per person holding any of them (at a strength above 0), the maximum of
        strength x level x recency."""
        if len(sources) == 1 and sources[0][1] == 1.0:
            return self.column(sources[0][0], day)
        key = (day, sources)
        found = self._get(key)
        if found is not None:
            return found
        union = self._union(sources, day)
        return self._put(_Column(key, union.rows, union.on(day), own_rows=False))

    def credit(self, column: _Column, level: int) -> np.ndarray:
        """min(1, value / ``level``) for a column, kept with it."""
        credit = column.credits.get(level)
        if credit is None:
            with self._lock:
                credit = column.credits.get(level)
                if credit is None:
                    credit = np.minimum(1.0, column.values / level)
                    credit.flags.writeable = False
                    column.credits[level] = credit
                    column.nbytes += credit.nbytes
                    if self._entries.get(column.key) is column:
                        self._bytes += credit.nbytes
                        self._trim()
        return credit

    def _trim(self) -> None:
        while self._bytes > COLUMN_CACHE_BYTES and len(self._entries) > 1:
            _, dropped = self._entries.popitem(last=False)
            self._bytes -= dropped.nbytes

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0


class _ColumnScorer:
    """Rules 1-5 over one set of skill columns. The per-day arrays live on the
    columns (``SkillColumns.derived``), so every scorer over the same columns,
    and every ``Workforce`` built on them, shares them."""

    def __init__(self, columns: SkillColumns, relations: dict[int, list[Relation]]):
        self.columns = columns
        self.relations = relations
        self._cache = columns.derived()

    def sources(self, skill: int) -> list[tuple[int, float]]:
        """The skill itself and every related skill that exists in the columns."""
        candidates = [(skill, 1.0)] + [
            (r.source, r.strength) for r in self.relations.get(skill, [])
        ]
        return [(s, w) for s, w in candidates if 0 <= s < self.columns.n_skills]

    def column_effective(self, skill: int, as_of: int) -> tuple[np.ndarray, np.ndarray]:
        """(rows, level x recency) for one column."""
        column = self._cache.column(skill, as_of)
        return column.rows, column.values

    def requirement_column(self, requirement: Requirement, as_of: int) -> _Column | None:
        """(rows, effective level) of everyone with a source for the requirement."""
        sources = self.sources(requirement.skill)
        return self._cache.effective(tuple(sources), as_of) if sources else None

    def effective_levels(self, requirement: Requirement, as_of: int) -> np.ndarray:
        """Rule 2 for everyone: max over the skill and its relations of
        strength x level x recency. Dense float64, zero for non-holders."""
        best = np.zeros(self.columns.n_people, dtype=np.float64)
        column = self.requirement_column(requirement, as_of)
        if column is not None:
            best[column.rows] = column.values
        return best

    def scores(
        self, requirements: Sequence[Requirement], as_of: int, *, essentials: bool = True
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Rules 3-5: (score S, meets essentials) for every person; essentials
        is None when not asked for.

        Each requirement scatters ``weight x credit`` (the credit cached per day,
        column and required level) into the score at the rows of its column, in
        requirement order, so a person's score is bitwise the same whichever
        columns (base or patch) hold them."""
        n = self.columns.n_people
        total_weight = sum(r.weight for r in requirements)
        score = np.zeros(n, dtype=np.float64)
        met = np.zeros(n, dtype=np.int16) if essentials else None
        n_essential = 0
        for requirement in requirements:
            level, weight = requirement.level, requirement.weight
            n_essential += requirement.essential
            column = self.requirement_column(requirement, as_of)
            if column is None or not len(column.rows):
                continue
            credit = self._cache.credit(column, level)
            np.add.at(score, column.rows, credit if weight == 1.0 else weight * credit)
            if met is not None and requirement.essential:
                met[column.rows[column.values >= level - EPSILON]] += 1
        score /= total_weight
        return score, (met == n_essential if met is not None else None)

    def explain_many(
        self, rows: np.ndarray, requirement: Requirement, as_of: int
    ) -> list[RequirementExplanation]:
        """Rule 11 for several rows and one requirement, naming the skill that
        supplied each effective level (the first source wins a tie)."""
        rows = np.asarray(rows, dtype=np.int64)
        m = len(rows)
        best = np.full(m, -1.0)
        via = np.full(m, -1, dtype=np.int64)
        rho = np.zeros(m)
        held = np.zeros(m, dtype=np.int64)
        evidence = np.zeros(m, dtype=np.int64)
        columns = self.columns
        for source, strength in self.sources(requirement.skill):
            found, at = columns.entries(rows, source)
            if not found.any():
                continue
            level = columns.level[at]
            recency = recency_factor(columns.last_used[at], as_of)
            effective = strength * (level.astype(np.float64) * recency)
            better = found & (effective > best)
            best = np.where(better, effective, best)
            via = np.where(better, source, via)
            rho = np.where(better, recency, rho)
            held = np.where(better, level, held)
            evidence = np.where(better, columns.evidence[at], evidence)
        required, essential = requirement.level, requirement.essential
        credit = np.minimum(1.0, best / required)
        gap = np.maximum(0.0, np.ceil(required - best - EPSILON)).astype(np.int64)
        # Many people share an explanation (same level, recency and evidence):
        # they share one (immutable) object too.
        made: dict[tuple, RequirementExplanation] = {}
        out = []
        for key in zip(
            via.tolist(),
            held.tolist(),
            rho.tolist(),
            best.tolist(),
            credit.tolist(),
            gap.tolist(),
            evidence.tolist(),
            strict=True,
        ):
            explanation = made.get(key)
            if explanation is None:
                source, level, recency, effective, c, g, ev = key
                if source < 0:
                    explanation = RequirementExplanation(
                        requirement.skill,
                        required,
                        0,
                        None,
                        0.0,
                        0.0,
                        0.0,
                        required,
                        essential,
                        None,
                    )
                else:
                    explanation = RequirementExplanation(
                        skill=requirement.skill,
                        required_level=required,
                        level=level,
                        via_skill=source,
                        recency=recency,
                        effective_level=effective,
                        credit=c,
                        gap=g,
                        essential=essential,
                        evidence=ev,
                    )
                made[key] = explanation
            out.append(explanation)
        return out

    def explain(self, row: int, requirement: Requirement, as_of: int) -> RequirementExplanation:
        """Rule 11 for one row and requirement, naming the skill that supplied it."""
        return self.explain_many(np.array([row]), requirement, as_of)[0]


class Workforce:
    """The searchable workforce: skills, attributes, relations and roles.

    ``patch`` keeps the index fresh without rebuilding it: the people at
    ``positions`` have their skills replaced by a small second set of columns
    (rows local to ``positions``), scored with the same code and written over
    the base scores.

    Caches: per-day column arrays live on the ``SkillColumns`` and role indexes
    on the ``RoleLibrary`` (both shared by every ``Workforce`` built on them);
    hard-filter masks live here and depend on ``people``. After changing the
    ``people`` arrays in place, call ``people_changed()``."""

    def __init__(
        self,
        *,
        skills: SkillColumns,
        people: People,
        relations: dict[int, list[Relation]] | None = None,
        roles: RoleLibrary | None = None,
        drafts: SkillColumns | None = None,
    ):
        if skills.n_people != len(people):
            raise ValueError("skills and people disagree on the number of people")
        if drafts is not None and (
            drafts.n_people != skills.n_people or drafts.n_skills != skills.n_skills
        ):
            raise ValueError("drafts must have the same people and skills as the skills")
        self.skills = skills
        # Unconfirmed draft skills (DESIGN 9), kept apart: nothing counts them unless
        # a search asks for ``including_drafts()``.
        self.drafts = drafts
        self._patch_drafts: SkillColumns | None = None
        self._with_drafts: Workforce | None = None
        self.people = people
        self.relations = relations or {}
        self.roles = roles or RoleLibrary(levels={}, spells=[])
        self._base = _ColumnScorer(skills, self.relations)
        self._patch: _ColumnScorer | None = None
        self._patch_positions = np.zeros(0, dtype=np.int64)
        self._masks: OrderedDict[Filters, np.ndarray] = OrderedDict()
        self._masks_lock = threading.Lock()
        self.roles.index()  # built once per library, here rather than in a search

    def patch(
        self, positions: np.ndarray, columns: SkillColumns, drafts: SkillColumns | None = None
    ) -> None:
        """Replace the skills (and drafts) of the people at ``positions`` (sorted, unique)."""
        positions = np.asarray(positions, dtype=np.int64)
        if columns.n_people != len(positions) or (
            drafts is not None and drafts.n_people != len(positions)
        ):
            raise ValueError("the patch needs one row per patched person")
        if len(positions) and (
            positions[-1] >= len(self.people) or np.any(np.diff(positions) <= 0)
        ):
            raise ValueError("patched positions must be sorted, unique people")
        self._patch_positions = positions
        self._patch = _ColumnScorer(columns, self.relations) if len(positions) else None
        self._patch_drafts = drafts if len(positions) else None
        self._with_drafts = None

    def including_drafts(self) -> Workforce:
        """This workforce with the unconfirmed drafts counted as skills (a search's
        "include unconfirmed drafts"; rule 10 weighs their evidence at 0.4). It
        shares the people, relations, roles and filter masks; built once per
        workforce."""
        base_drafts = self.drafts is not None and len(self.drafts.rows) > 0
        patch_drafts = self._patch_drafts is not None and len(self._patch_drafts.rows) > 0
        if not base_drafts and not patch_drafts:
            return self
        if self._with_drafts is None:
            skills = self.skills.merged_with(self.drafts) if base_drafts else self.skills
            merged = Workforce(
                skills=skills, people=self.people, relations=self.relations, roles=self.roles
            )
            merged._masks, merged._masks_lock = self._masks, self._masks_lock
            if self._patch is not None:
                columns = self._patch.columns
                if patch_drafts:
                    columns = columns.merged_with(self._patch_drafts)
                merged.patch(self._patch_positions, columns)
            self._with_drafts = merged
        return self._with_drafts

    def people_changed(self, *, staff_numbers: bool = True) -> None:
        """Call after changing ``people``'s arrays in place (attributes, flags,
        allocations): drops the cached filter masks and, unless told the staff
        numbers did not change, re-ranks staff numbers for the final ordering
        (an argsort of every staff number: about a second at 500,000 people)."""
        with self._masks_lock:
            self._masks.clear()
        if staff_numbers:
            self.people.rank_staff_numbers()

    @property
    def patched_people(self) -> int:
        return len(self._patch_positions)

    def _patch_row(self, person: int) -> int | None:
        at = int(np.searchsorted(self._patch_positions, person))
        if at < len(self._patch_positions) and self._patch_positions[at] == person:
            return at
        return None

    # --- scoring ------------------------------------------------------------------

    def effective_levels(self, requirement: Requirement, as_of: int) -> np.ndarray:
        best = self._base.effective_levels(requirement, as_of)
        if self._patch is not None:
            best[self._patch_positions] = self._patch.effective_levels(requirement, as_of)
        return best

    def effective_levels_at(
        self, requirement: Requirement, as_of: int, positions: np.ndarray
    ) -> np.ndarray:
        """``effective_levels(requirement, as_of)[positions]`` (sorted positions)
        without the dense array for everyone: a binary search in the requirement's
        cached column, the patch answering for the people it holds."""
        out = np.zeros(len(positions), dtype=np.float64)
        column = self._base.requirement_column(requirement, as_of)
        if column is not None and len(column.rows):
            at = np.minimum(np.searchsorted(column.rows, positions), len(column.rows) - 1)
            found = column.rows[at] == positions
            out[found] = column.values[at[found]]
        if self._patch is not None:
            patched = self._patch_positions
            at = np.minimum(np.searchsorted(patched, positions), len(patched) - 1)
            hit = patched[at] == positions
            if hit.any():
                out[hit] = self._patch.effective_levels(requirement, as_of)[at[hit]]
        return out

    def scores(
        self, requirements: Sequence[Requirement], as_of: int, *, essentials: bool = True
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Rules 3-5: (score S, meets essentials) for every person; essentials is
        None when not asked for (a report that ignores them skips that work)."""
        return self._scores(requirements, as_of, essentials=essentials)

    def skill_parts(self) -> Iterator[SkillPart]:
        """Every person skill as it stands now, for counting: the base columns with
        the rows of patched people masked out (``keep``), then the patch's rows at
        their people's positions."""
        patched = self._patch_positions if self._patch is not None else None
        keep = None
        if patched is not None and len(patched):
            is_patched = np.zeros(len(self.people), dtype=bool)
            is_patched[patched] = True
            keep = ~is_patched[self.skills.rows]
        base = self.skills
        yield SkillPart(base.rows, base.level, base.evidence, base.indptr, keep)
        if patched is not None and len(patched):
            columns = self._patch.columns
            yield SkillPart(
                patched[columns.rows], columns.level, columns.evidence, columns.indptr, None
            )

    def _scores(self, requirements, as_of, *, essentials):
        if not requirements:
            raise ValueError("a role needs at least one requirement")
        score, met = self._base.scores(requirements, as_of, essentials=essentials)
        if self._patch is not None:
            patched_score, patched_met = self._patch.scores(
                requirements, as_of, essentials=essentials
            )
            score[self._patch_positions] = patched_score
            if essentials:
                met[self._patch_positions] = patched_met
        return score, met

    def prior_roles(self, requirements: Sequence[Requirement], as_of: int) -> PriorRoles:
        """Rule 6: per person, the role that counts (held now or ending within
        three years of ``as_of``, coverage >= 0.8), as a read-only mapping
        person -> ``PriorRole``.

        Only spells of covering roles are looked at (the library keeps its spells
        grouped by role); among counting spells the greatest coverage wins, then
        the most recent (still held beats ended), then the first in the library's
        list."""
        covering = {
            role: r
            for role, r in self.roles.coverages(requirements).items()
            if r >= PRIOR_ROLE_MIN_COVERAGE - EPSILON
        }
        index = self.roles.index()
        spans = [(index.spans[role], r) for role, r in covering.items() if role in index.spans]
        if not spans:
            return _NO_PRIOR_ROLES
        cutoff = rules.prior_role_cutoff(dt.date.fromordinal(as_of)).toordinal()
        person = np.concatenate([index.person[span] for span, _ in spans])
        end = np.concatenate([index.end[span] for span, _ in spans])
        spell = np.concatenate([index.spell[span] for span, _ in spans])
        coverage = np.concatenate([np.full(span.stop - span.start, r) for span, r in spans])
        recent = (end == CURRENT) | (end >= cutoff)
        person, end, spell, coverage = person[recent], end[recent], spell[recent], coverage[recent]
        if not len(person):
            return _NO_PRIOR_ROLES
        # Per person the greatest (coverage, recency), then the earliest spell.
        recency = np.where(end == CURRENT, NOT_AVAILABLE, end)
        order = np.lexsort((-spell, recency, coverage, person))
        person = person[order]
        last = np.flatnonzero(np.r_[person[1:] != person[:-1], True])
        keep = order[last]
        return PriorRoles(person[last], coverage[keep], end[keep], spell[keep], self.roles.spells)

    def filter_mask(self, filters: Filters) -> np.ndarray:
        """Rule 9. Every filter can only remove people.

        Masks for filters without unit arrays are cached (read-only) until
        ``people_changed()``."""
        cacheable = filters.org_units is None and filters.exclude_org_units is None
        if cacheable:
            with self._masks_lock:
                mask = self._masks.get(filters)
                if mask is not None:
                    self._masks.move_to_end(filters)
                    return mask
        mask = self._filter_mask(filters)
        if cacheable:
            mask.flags.writeable = False
            with self._masks_lock:
                self._masks[filters] = mask
                while len(self._masks) > FILTER_CACHE_SIZE:
                    self._masks.popitem(last=False)
        return mask

    def _filter_mask(self, filters: Filters) -> np.ndarray:
        p = self.people
        mask = np.ones(len(p), dtype=bool)
        if filters.grades is not None:
            mask &= np.isin(p.grade, list(filters.grades))
        if filters.org_units is not None:
            mask &= filters.org_units[p.org_unit]
        if filters.exclude_org_units is not None:
            mask &= ~filters.exclude_org_units[p.org_unit]
        if filters.locations is not None:
            mask &= np.isin(p.location, list(filters.locations))
        if filters.min_clearance is not None:
            mask &= p.clearance >= filters.min_clearance
        if filters.available_on is not None:
            mask &= (p.available_from <= filters.available_on) & ~p.allocated
        if filters.redeployable_only:
            mask &= p.redeployable & ~p.protected
        if filters.min_weekly_hours is not None:
            mask &= p.weekly_hours >= filters.min_weekly_hours - EPSILON
        if filters.reserve_on is not None:
            mask &= (p.reserve_from > 0) & (p.reserve_from <= filters.reserve_on)
            mask &= p.reserve_until >= filters.reserve_on
        return mask

    # --- ranking ------------------------------------------------------------------

    def evaluate(
        self,
        requirements: Sequence[Requirement],
        *,
        as_of: dt.date,
        threshold: float = DEFAULT_THRESHOLD,
        include_prior_role: bool = True,
        with_prior_roles: bool = True,
    ) -> Evaluation:
        """Rules 1-7 for everyone: the one evaluation that search, explanations,
        surge eligibility, the training plan and the supply report all use.
        ``with_prior_roles=False`` leaves rule 6 out altogether (a count of
        skills supply): nobody then has a prior role or a bonus."""
        day = as_of.toordinal()
        score, _ = self._scores(requirements, day, essentials=False)
        prior = self.prior_roles(requirements, day) if with_prior_roles else _NO_PRIOR_ROLES
        rank_score = score
        qualifies = np.where(
            score >= threshold - EPSILON, QUALIFIES_BY_SCORE, QUALIFIES_NOT
        ).astype(np.int8)
        if len(prior):
            people = prior.people
            rank_score = score.copy()
            rank_score[people] = np.minimum(1.0, score[people] + PRIOR_ROLE_BONUS * prior.coverage)
            if include_prior_role:
                by_prior = people[qualifies[people] == QUALIFIES_NOT]
                qualifies[by_prior] = QUALIFIES_BY_PRIOR_ROLE
        return Evaluation(self, tuple(requirements), day, score, rank_score, qualifies, prior)

    def rank(
        self,
        requirements: Sequence[Requirement],
        *,
        as_of: dt.date,
        filters: Filters | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        include_prior_role: bool = True,
        qualifies_by: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> RankResult:
        """Rules 7-8: who qualifies, in order, one page of them explained.
        ``qualifies_by`` ("score" or "prior_role") pages through one of the two
        groups rule 7 keeps apart; the totals always count both."""
        evaluation = self.evaluate(
            requirements, as_of=as_of, threshold=threshold, include_prior_role=include_prior_role
        )
        passes = self.filter_mask(filters or Filters())
        codes = evaluation.qualifies
        by_score = (codes == QUALIFIES_BY_SCORE) & passes
        by_prior = (codes == QUALIFIES_BY_PRIOR_ROLE) & passes
        if qualifies_by == BY_SCORE:
            eligible = by_score
        elif qualifies_by == BY_PRIOR_ROLE:
            eligible = by_prior
        elif qualifies_by is None:
            eligible = by_score | by_prior
        else:
            raise ValueError(f"qualifies_by is 'score' or 'prior_role', not {qualifies_by!r}")
        _, page = self._order(eligible, evaluation.rank_score, evaluation.score, limit + offset)
        page = page[offset:]
        return RankResult(
            total_by_score=int(np.count_nonzero(by_score)),
            total_by_prior_role=int(np.count_nonzero(by_prior)),
            matches=evaluation.matches(page),
        )

    def _order(
        self, eligible: np.ndarray, rank_score: np.ndarray, score: np.ndarray, k: int
    ) -> tuple[int, np.ndarray]:
        """(how many are eligible, the first ``k`` of them by rank_score desc,
        score desc, staff number asc) without sorting everyone: when there are
        many, a histogram of rank scores finds the bin holding the k-th best and
        only the candidates from that bin up (ties included) are sorted."""
        candidates = np.flatnonzero(eligible)
        total = len(candidates)
        if k <= 0 or not total:
            return total, candidates[:0]
        if total > max(k, SORT_DIRECTLY):
            # rank scores lie in [0, 1], so bin i holds [i, i + 1) / RANK_BINS (and 1.0)
            ranks = rank_score[candidates]
            bins = np.multiply(ranks, RANK_BINS, out=ranks).astype(np.intp)
            counts = np.bincount(bins, minlength=RANK_BINS + 1)
            from_top = np.cumsum(counts[::-1])
            cut = len(counts) - 1 - int(np.searchsorted(from_top, k))
            # One bin lower too: a score a rounding error under the bin edge may tie.
            candidates = candidates[bins >= cut - 1]
        order = rank_order(
            rank_score[candidates], score[candidates], self.people.staff_rank[candidates]
        )
        return total, candidates[order[:k]]

    # --- explanation ----------------------------------------------------------------

    def explain(self, person: int, requirement: Requirement, as_of: int) -> RequirementExplanation:
        """Rule 11 for one person and requirement."""
        row = self._patch_row(person) if self._patch is not None else None
        if row is not None:
            return self._patch.explain(row, requirement, as_of)
        return self._base.explain(person, requirement, as_of)

    def _explain_page(
        self, people: np.ndarray, requirements: Sequence[Requirement], as_of: int
    ) -> list[tuple[RequirementExplanation, ...]]:
        """Rule 11 for a page of people: one vectorised lookup per requirement
        and source, the patch answering for patched people."""
        if not len(people):
            return []
        groups = [(self._base, people, np.arange(len(people)))]
        if self._patch is not None:
            at = np.minimum(
                np.searchsorted(self._patch_positions, people), len(self._patch_positions) - 1
            )
            patched = self._patch_positions[at] == people
            if patched.any():
                groups = [
                    (self._base, people[~patched], np.flatnonzero(~patched)),
                    (self._patch, at[patched], np.flatnonzero(patched)),
                ]
        columns: list[list[RequirementExplanation | None]] = []
        for requirement in requirements:
            column: list[RequirementExplanation | None] = [None] * len(people)
            for scorer, rows, slots in groups:
                if len(rows):
                    for slot, explanation in zip(
                        slots.tolist(), scorer.explain_many(rows, requirement, as_of), strict=True
                    ):
                        column[slot] = explanation
            columns.append(column)
        return list(zip(*columns, strict=True))

    def confidence(
        self,
        person: int,
        explanations: Iterable[RequirementExplanation],
        weights: Sequence[float],
        as_of: int,
    ) -> str:
        """Rule 10: evidence behind the credited requirements, weighted by the
        credit each contributes, discounted when the profile is stale."""
        return rules.confidence_grade(
            self.confidence_basis(person, explanations, weights, as_of).value
        )

    def confidence_basis(
        self,
        person: int,
        explanations: Iterable[RequirementExplanation],
        weights: Sequence[float],
        as_of: int,
    ) -> ConfidenceBasis:
        """What rule 10's grade rests on: the evidence value and profile freshness."""
        shares = [
            (weight * e.credit, EVIDENCE_NAMES[e.evidence])
            for e, weight in zip(explanations, weights, strict=True)
            if e.evidence is not None
        ]
        stale = self.profile_stale(person, as_of)
        reviewed = int(self.people.reviewed_at[person])
        return ConfidenceBasis(
            evidence=rules.evidence_value(shares),
            value=rules.confidence_value(shares, stale=stale),
            stale=stale,
            reviewed_on=reviewed or None,
        )

    def profile_stale(self, person: int, as_of: int) -> bool:
        """Rule 10's freshness test (``rules.profile_stale``) from the review day held."""
        reviewed = int(self.people.reviewed_at[person])
        return reviewed == 0 or reviewed <= _stale_cutoff(as_of)


@functools.lru_cache(maxsize=64)
def _stale_cutoff(as_of: int) -> int:
    return rules.stale_review_cutoff(dt.date.fromordinal(as_of)).toordinal()


class Evaluation:
    """Rules 1-7 evaluated for everyone against one set of requirements on one
    day (``Workforce.evaluate``): per person the score S, the rank score, how they
    qualify (``qualifies``: QUALIFIES_* codes) and the prior role that counts;
    explanations, confidence, gaps and one-level training gains for any people
    asked about."""

    __slots__ = ("workforce", "requirements", "day", "score", "rank_score", "qualifies", "prior")

    def __init__(self, workforce, requirements, day, score, rank_score, qualifies, prior):
        self.workforce = workforce
        self.requirements = requirements
        self.day = day
        self.score = score
        self.rank_score = rank_score
        self.qualifies = qualifies
        self.prior = prior

    def qualifies_by(self, person: int) -> str | None:
        return QUALIFIES_BY_NAME.get(int(self.qualifies[person]))

    def explain(self, people: np.ndarray) -> list[tuple[RequirementExplanation, ...]]:
        """Rule 11 for each of ``people``."""
        return self.workforce._explain_page(np.asarray(people), self.requirements, self.day)

    def matches(self, people: np.ndarray) -> list[Match]:
        """Everything a page shows about each of ``people``, explained."""
        weights = [r.weight for r in self.requirements]
        out = []
        for person, explanations in zip(people.tolist(), self.explain(people), strict=True):
            out.append(
                Match(
                    person=person,
                    score=float(self.score[person]),
                    rank_score=float(self.rank_score[person]),
                    meets_essentials=all(
                        rules.meets_level(e.effective_level, e.required_level)
                        for e in explanations
                        if e.essential
                    ),
                    qualifies_by=self.qualifies_by(person),
                    prior_role=self.prior.get(person),
                    confidence=self.workforce.confidence(person, explanations, weights, self.day),
                    requirements=explanations,
                )
            )
        return out

    def effective_levels(self, people: np.ndarray) -> np.ndarray:
        """Rule 2: (requirements x people) effective levels of ``people`` (sorted)."""
        people = np.asarray(people, dtype=np.int64)
        out = np.zeros((len(self.requirements), len(people)), dtype=np.float64)
        for row, requirement in enumerate(self.requirements):
            out[row] = self.workforce.effective_levels_at(requirement, self.day, people)
        return out

    def gaps(self, people: np.ndarray) -> np.ndarray:
        """Rule 11: (requirements x people) levels of training needed."""
        effective = self.effective_levels(people)
        required = np.array([[r.level] for r in self.requirements], dtype=np.float64)
        return np.maximum(0.0, np.ceil(required - effective - EPSILON)).astype(np.int64)

    def one_level_gain(self, people: np.ndarray) -> np.ndarray:
        """For each of ``people`` (sorted), the most their score S rises with one
        level of training in one required skill (never past Expert)."""
        effective = self.effective_levels(people)
        total_weight = sum(r.weight for r in self.requirements)
        best = np.zeros(len(people), dtype=np.float64)
        for row, requirement in enumerate(self.requirements):
            credit = np.minimum(1.0, effective[row] / requirement.level)
            trained = np.minimum(
                1.0, np.minimum(effective[row] + 1, rules.MAX_LEVEL) / requirement.level
            )
            np.maximum(best, requirement.weight * (trained - credit) / total_weight, out=best)
        return best
