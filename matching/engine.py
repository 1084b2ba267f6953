"""Rank a whole workforce against a role profile: DESIGN.md section 4, exactly.

Everything here works on plain arrays. The workforce is held column-major (one
column per skill: who holds it, at what level, last used when, on what
evidence), so a query touches only the columns of the skills it asks about and
their related skills, never a row per person. Scores are computed for everyone
in a handful of vectorised passes; only the page of results that is shown gets
explanations and confidence grades.

Dates are proleptic Gregorian ordinals (``datetime.date.toordinal()``); a
``last_used`` of 0 means "in current use".
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from matching.recency import DAYS_PER_YEAR, DECAY_PER_YEAR, FLOOR, FULL_CREDIT_YEARS

CURRENT = 0  # last_used value meaning "in current use"
NOT_AVAILABLE = np.iinfo(np.int32).max  # available_from for "no date given"
EPSILON = 1e-9  # float slack for ">= threshold" and ">= required level"

# Rule 10: evidence strength and profile freshness.
EVIDENCE_CODES = {"self": 0, "manager_verified": 1, "assessed": 2, "certified": 3}
EVIDENCE_WEIGHT = np.array([0.6, 0.9, 1.0, 1.0])
STALE_PROFILE_DAYS = 365
STALE_FACTOR = 0.8
CONFIDENCE_GRADES = ((0.9, "A"), (0.75, "B"), (0.6, "C"))

PRIOR_ROLE_YEARS = 3
PRIOR_ROLE_MIN_SIMILARITY = 0.7
PRIOR_ROLE_BONUS = 0.1
DEFAULT_THRESHOLD = 0.8


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
    """

    n_people: int
    indptr: np.ndarray  # int64, n_skills + 1
    rows: np.ndarray  # int32 person index
    level: np.ndarray  # int8 1-4
    last_used: np.ndarray  # int32 ordinal, 0 = current
    evidence: np.ndarray  # int8 EVIDENCE_CODES

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
        order = np.lexsort((person, skill))
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
    staff_rank: np.ndarray = field(init=False)  # int32 position in staff-number order

    def __post_init__(self):
        order = np.argsort(self.staff_number, kind="stable")
        self.staff_rank = np.empty(len(order), dtype=np.int32)
        self.staff_rank[order] = np.arange(len(order), dtype=np.int32)

    def __len__(self) -> int:
        return len(self.staff_number)


@dataclass(frozen=True, slots=True)
class RoleSpell:
    """A role a person held: ``role`` indexes the role-profile vectors."""

    person: int
    role: int | None
    title: str
    end: int  # ordinal; 0 = still held


@dataclass(slots=True)
class RoleLibrary:
    """Role-profile skill vectors (L x w per skill) for prior-role similarity."""

    vectors: dict[int, dict[int, float]]  # role index -> {skill: level * weight}
    spells: list[RoleSpell]

    def similarities(self, query: dict[int, float]) -> dict[int, float]:
        """Cosine similarity of ``query`` with every role vector, above zero."""
        q_norm = math.sqrt(sum(v * v for v in query.values()))
        if q_norm == 0:
            return {}
        out = {}
        for role, vector in self.vectors.items():
            dot = sum(value * query.get(skill, 0.0) for skill, value in vector.items())
            if dot > 0:
                norm = math.sqrt(sum(v * v for v in vector.values()))
                out[role] = dot / (q_norm * norm)
        return out


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


@dataclass(frozen=True, slots=True)
class PriorRole:
    title: str
    end: int  # ordinal, 0 = current
    similarity: float


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
    prior_role: PriorRole | None
    confidence: str
    requirements: tuple[RequirementExplanation, ...]


@dataclass(frozen=True, slots=True)
class RankResult:
    total: int
    matches: list[Match]


def recency_factor(last_used: np.ndarray, as_of: int) -> np.ndarray:
    """Rule 1, vectorised over ordinals (0 = current)."""
    years = (as_of - last_used) / DAYS_PER_YEAR
    decayed = np.maximum(FLOOR, 1.0 - DECAY_PER_YEAR * (years - FULL_CREDIT_YEARS))
    return np.where((last_used == CURRENT) | (years <= FULL_CREDIT_YEARS), 1.0, decayed)


class _ColumnScorer:
    """Rules 1-5 over one set of skill columns, with a per-day cache of the
    recency-weighted levels so repeated searches on one day reuse them."""

    def __init__(self, columns: SkillColumns, relations: dict[int, list[Relation]]):
        self.columns = columns
        self.relations = relations
        self._cache_day: int | None = None
        self._cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def sources(self, skill: int) -> list[tuple[int, float]]:
        """The skill itself and every related skill that exists in the columns."""
        candidates = [(skill, 1.0)] + [
            (r.source, r.strength) for r in self.relations.get(skill, [])
        ]
        return [(s, w) for s, w in candidates if 0 <= s < self.columns.n_skills]

    def column_effective(self, skill: int, as_of: int) -> tuple[np.ndarray, np.ndarray]:
        """(rows, level x recency) for one column."""
        if self._cache_day != as_of:
            self._cache_day, self._cache = as_of, {}
        cached = self._cache.get(skill)
        if cached is None:
            span = self.columns.column(skill)
            values = self.columns.level[span].astype(np.float64)
            last_used = self.columns.last_used[span]
            old = np.flatnonzero(last_used != CURRENT)
            if len(old):
                values[old] *= recency_factor(last_used[old], as_of)
            cached = (self.columns.rows[span], values)
            self._cache[skill] = cached
        return cached

    def effective_levels(self, requirement: Requirement, as_of: int) -> np.ndarray:
        """Rule 2 for everyone: max over the skill and its relations of
        strength x level x recency. Dense float64, zero for non-holders."""
        best = np.zeros(self.columns.n_people, dtype=np.float64)
        for source, strength in self.sources(requirement.skill):
            rows, values = self.column_effective(source, as_of)
            if len(rows):
                best[rows] = np.maximum(best[rows], strength * values)
        return best

    def scores(
        self, requirements: Sequence[Requirement], as_of: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Rules 3-5: (score S, meets essentials) for every person.

        A requirement met by one skill only (no relations) is scattered
        straight into the score from its column; only requirements with
        related skills need a dense per-person maximum."""
        n = self.columns.n_people
        total_weight = sum(r.weight for r in requirements)
        score = np.zeros(n, dtype=np.float64)
        essentials_met = np.zeros(n, dtype=np.int16)
        n_essential = 0
        for requirement in requirements:
            level, weight = requirement.level, requirement.weight
            n_essential += requirement.essential
            sources = self.sources(requirement.skill)
            if len(sources) == 1:
                rows, values = self.column_effective(requirement.skill, as_of)
                score[rows] += weight * np.minimum(1.0, values / level)
                if requirement.essential:
                    essentials_met[rows[values >= level - EPSILON]] += 1
                continue
            effective = self.effective_levels(requirement, as_of)
            score += weight * np.minimum(1.0, effective / level)
            if requirement.essential:
                essentials_met += effective >= level - EPSILON
        return score / total_weight, essentials_met == n_essential

    def explain(self, row: int, requirement: Requirement, as_of: int) -> RequirementExplanation:
        """Rule 11 for one row and requirement, naming the skill that supplied it."""
        best: tuple[float, int, float, int, int] | None = None  # (e, source, rho, level, ev)
        for source, strength in self.sources(requirement.skill):
            at = self.columns.entry(row, source)
            if at is None:
                continue
            level = int(self.columns.level[at])
            rho = float(recency_factor(np.array([self.columns.last_used[at]]), as_of)[0])
            effective = strength * level * rho
            if best is None or effective > best[0]:
                best = (effective, source, rho, level, int(self.columns.evidence[at]))
        if best is None:
            return RequirementExplanation(
                requirement.skill,
                requirement.level,
                0,
                None,
                0.0,
                0.0,
                0.0,
                requirement.level,
                requirement.essential,
                None,
            )
        effective, source, rho, level, evidence = best
        return RequirementExplanation(
            skill=requirement.skill,
            required_level=requirement.level,
            level=level,
            via_skill=source,
            recency=rho,
            effective_level=effective,
            credit=min(1.0, effective / requirement.level),
            gap=max(0, math.ceil(requirement.level - effective - EPSILON)),
            essential=requirement.essential,
            evidence=evidence,
        )


class Workforce:
    """The searchable workforce: skills, attributes, relations and roles.

    ``patch`` keeps the index fresh without rebuilding it: the people at
    ``positions`` have their skills replaced by a small second set of columns
    (rows local to ``positions``), scored with the same code and written over
    the base scores."""

    def __init__(
        self,
        *,
        skills: SkillColumns,
        people: People,
        relations: dict[int, list[Relation]] | None = None,
        roles: RoleLibrary | None = None,
    ):
        if skills.n_people != len(people):
            raise ValueError("skills and people disagree on the number of people")
        self.skills = skills
        self.people = people
        self.relations = relations or {}
        self.roles = roles or RoleLibrary(vectors={}, spells=[])
        self._base = _ColumnScorer(skills, self.relations)
        self._patch: _ColumnScorer | None = None
        self._patch_positions = np.zeros(0, dtype=np.int64)

    def patch(self, positions: np.ndarray, columns: SkillColumns) -> None:
        """Replace the skills of the people at ``positions`` (sorted, unique)."""
        positions = np.asarray(positions, dtype=np.int64)
        if columns.n_people != len(positions):
            raise ValueError("the patch needs one row per patched person")
        if len(positions) and (
            positions[-1] >= len(self.people) or np.any(np.diff(positions) <= 0)
        ):
            raise ValueError("patched positions must be sorted, unique people")
        self._patch_positions = positions
        self._patch = _ColumnScorer(columns, self.relations) if len(positions) else None

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

    def scores(
        self, requirements: Sequence[Requirement], as_of: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Rules 3-5: (score S, meets essentials) for every person."""
        if not requirements:
            raise ValueError("a role needs at least one requirement")
        score, essentials = self._base.scores(requirements, as_of)
        if self._patch is not None:
            patched_score, patched_essentials = self._patch.scores(requirements, as_of)
            score[self._patch_positions] = patched_score
            essentials[self._patch_positions] = patched_essentials
        return score, essentials

    def prior_roles(self, requirements: Sequence[Requirement], as_of: int) -> dict[int, PriorRole]:
        """Rule 6: per person, the most similar recent role (similarity >= 0.7)."""
        query: dict[int, float] = {}
        for r in requirements:
            query[r.skill] = query.get(r.skill, 0.0) + r.level * r.weight
        similar = {
            role: sim
            for role, sim in self.roles.similarities(query).items()
            if sim >= PRIOR_ROLE_MIN_SIMILARITY - EPSILON
        }
        if not similar:
            return {}
        horizon = dt.date.fromordinal(as_of)
        try:
            cutoff = horizon.replace(year=horizon.year - PRIOR_ROLE_YEARS).toordinal()
        except ValueError:  # 29 February
            cutoff = horizon.replace(year=horizon.year - PRIOR_ROLE_YEARS, day=28).toordinal()
        best: dict[int, PriorRole] = {}
        for spell in self.roles.spells:
            if spell.role not in similar:
                continue
            if spell.end != CURRENT and spell.end < cutoff:
                continue
            candidate = PriorRole(spell.title, spell.end, similar[spell.role])
            current = best.get(spell.person)
            if current is None or _prior_key(candidate) > _prior_key(current):
                best[spell.person] = candidate
        return best

    def filter_mask(self, filters: Filters) -> np.ndarray:
        """Rule 9. Every filter can only remove people."""
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
        return mask

    # --- ranking ------------------------------------------------------------------

    def rank(
        self,
        requirements: Sequence[Requirement],
        *,
        as_of: dt.date,
        filters: Filters | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        include_prior_role: bool = True,
        limit: int = 50,
        offset: int = 0,
    ) -> RankResult:
        """Rules 7-8: who qualifies, in order, one page of them explained."""
        day = as_of.toordinal()
        score, essentials = self.scores(requirements, day)
        prior = self.prior_roles(requirements, day)
        rank_score = score.copy()
        has_prior = np.zeros(len(score), dtype=bool)
        if prior:
            people = np.fromiter(prior.keys(), dtype=np.int64, count=len(prior))
            bonus = np.fromiter((p.similarity for p in prior.values()), np.float64, len(prior))
            rank_score[people] = np.minimum(1.0, score[people] + PRIOR_ROLE_BONUS * bonus)
            has_prior[people] = True
        qualifies = score >= threshold - EPSILON
        if include_prior_role:
            qualifies |= has_prior
        candidates = np.flatnonzero(qualifies & self.filter_mask(filters or Filters()))
        page = self._order(candidates, rank_score, score, limit + offset)[offset:]
        matches = [
            self._match(int(i), requirements, day, score, rank_score, essentials, prior)
            for i in page
        ]
        return RankResult(total=len(candidates), matches=matches)

    def _order(
        self, candidates: np.ndarray, rank_score: np.ndarray, score: np.ndarray, k: int
    ) -> np.ndarray:
        """The first ``k`` candidates by (rank_score desc, score desc, staff number
        asc) without sorting everyone: partition on rank_score, then sort only the
        slice that can reach the page (ties at the boundary included)."""
        if k <= 0 or not len(candidates):
            return candidates[:0]
        if len(candidates) > k:
            ranks = rank_score[candidates]
            kth = np.partition(ranks, len(ranks) - k)[len(ranks) - k]
            candidates = candidates[ranks >= kth]
        order = np.lexsort(
            (self.people.staff_rank[candidates], -score[candidates], -rank_score[candidates])
        )
        return candidates[order[:k]]

    # --- explanation ----------------------------------------------------------------

    def explain(self, person: int, requirement: Requirement, as_of: int) -> RequirementExplanation:
        """Rule 11 for one person and requirement."""
        row = self._patch_row(person) if self._patch is not None else None
        if row is not None:
            return self._patch.explain(row, requirement, as_of)
        return self._base.explain(person, requirement, as_of)

    def confidence(
        self,
        person: int,
        explanations: Iterable[RequirementExplanation],
        weights: Sequence[float],
        as_of: int,
    ) -> str:
        """Rule 10: evidence behind the credited requirements, weighted by the
        credit each contributes, discounted when the profile is stale."""
        total = weighted = 0.0
        for explanation, weight in zip(explanations, weights, strict=True):
            if explanation.credit <= 0 or explanation.evidence is None:
                continue
            share = weight * explanation.credit
            total += share
            weighted += share * EVIDENCE_WEIGHT[explanation.evidence]
        if total == 0:
            return "D"
        value = weighted / total
        reviewed = int(self.people.reviewed_at[person])
        if reviewed == 0 or as_of - reviewed > STALE_PROFILE_DAYS:
            value *= STALE_FACTOR
        for floor, grade in CONFIDENCE_GRADES:
            if value >= floor - EPSILON:
                return grade
        return "D"

    def _match(self, person, requirements, day, score, rank_score, essentials, prior) -> Match:
        explanations = tuple(self.explain(person, r, day) for r in requirements)
        return Match(
            person=person,
            score=float(score[person]),
            rank_score=float(rank_score[person]),
            meets_essentials=bool(essentials[person]),
            prior_role=prior.get(person),
            confidence=self.confidence(person, explanations, [r.weight for r in requirements], day),
            requirements=explanations,
        )


def _prior_key(prior: PriorRole) -> tuple[float, int]:
    # Most similar first; among equals the most recent (still held beats ended).
    return (prior.similarity, prior.end if prior.end != CURRENT else NOT_AVAILABLE)
