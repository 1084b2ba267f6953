"""The match rules of DESIGN.md section 4: every constant, and a scalar reference
version of every rule.

This module is the one home of the rules (rule 12). The engine
(``matching.engine``) computes the same rules vectorised over the whole
workforce; everything else (search, explanations, surge eligibility, greedy,
the training plan, the supply report, profile freshness on pages and reports)
calls the engine or a function here, never its own copy. The scalar versions
are the specification in code: the property tests hold the engine to them
person by person, and small callers (one profile page, one review date) use
them directly.

Dates are ``datetime.date``; a ``last_used`` of None means "in current use".
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

# --- levels -------------------------------------------------------------------------
LEVELS = {1: "Awareness", 2: "Working", 3: "Practitioner", 4: "Expert"}
MAX_LEVEL = 4

# --- rule 1: recency ----------------------------------------------------------------
DAYS_PER_YEAR = 365.25
RECENCY_FULL_CREDIT_YEARS = 2.0
RECENCY_DECAY_PER_YEAR = 0.1
RECENCY_FLOOR = 0.5

# --- rule 2: related skills ---------------------------------------------------------
NARROWER_STRENGTH = 0.8  # t is a narrower skill of s
RELATED_STRENGTH = 0.5
DEFAULT_RELATION_STRENGTH = {"narrower": NARROWER_STRENGTH, "related": RELATED_STRENGTH}

# --- rule 6: prior roles --------------------------------------------------------------
PRIOR_ROLE_YEARS = 3  # a role ending within this many years of as_of, or held now
PRIOR_ROLE_MIN_COVERAGE = 0.8  # coverage R at which an earlier role counts
PRIOR_ROLE_BONUS = 0.1  # rank_score = min(1, S + bonus x R)

# --- rule 7: qualifying ---------------------------------------------------------------
DEFAULT_THRESHOLD = 0.8
BY_SCORE: Literal["score"] = "score"
BY_PRIOR_ROLE: Literal["prior_role"] = "prior_role"
QualifiesBy = Literal["score", "prior_role"]

# --- rule 8: order ----------------------------------------------------------------------
# Scores equal in exact arithmetic may differ in the last bits of a float sum taken
# in another order: compared at this many decimals they tie and the staff number
# decides.
TIE_DECIMALS = 9
EPSILON = 1e-9  # float slack for ">= threshold" and ">= required level"

# --- rule 10: confidence ----------------------------------------------------------------
EVIDENCE_WEIGHT = {
    "self": 0.6,
    "manager_verified": 0.9,
    "assessed": 1.0,
    "certified": 1.0,
    # An unconfirmed draft (DESIGN 9), counted only when a search opts in.
    "inferred": 0.4,
}
STALE_REVIEW_MONTHS = 12  # a profile not reviewed for this long is stale
STALE_FACTOR = 0.8
CONFIDENCE_GRADES = ((0.9, "A"), (0.75, "B"), (0.6, "C"))
LOWEST_GRADE = "D"


# --- rule 1 --------------------------------------------------------------------------------


def recency(last_used: dt.date | None, as_of: dt.date) -> float:
    """1.0 when the skill is current or was used within two years of ``as_of``;
    otherwise 0.1 less per further year, never below 0.5."""
    if last_used is None:
        return 1.0
    years_since = (as_of - last_used).days / DAYS_PER_YEAR
    if years_since <= RECENCY_FULL_CREDIT_YEARS:
        return 1.0
    return max(
        RECENCY_FLOOR,
        1.0 - RECENCY_DECAY_PER_YEAR * (years_since - RECENCY_FULL_CREDIT_YEARS),
    )


# --- rule 2 --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Held:
    """A skill as a person holds it."""

    level: int
    last_used: dt.date | None = None
    evidence: str = "self"


def effective_level(
    held: Mapping[int, Held],
    skill: int,
    relations: Mapping[int, Sequence[tuple[int, float]]],
    as_of: dt.date,
) -> tuple[float, int | None]:
    """(e, via_skill): the best of the skill itself and each source skill that can
    stand in for it at its strength. The skill itself wins a tie, then the first
    relation listed."""
    best, via = 0.0, None
    for source, strength in [(skill, 1.0), *relations.get(skill, ())]:
        record = held.get(source)
        if record is None:
            continue
        value = strength * (record.level * recency(record.last_used, as_of))
        if value > best:
            best, via = value, source
    return best, via


# --- rules 3-5 --------------------------------------------------------------------------------


def credit(effective: float, required: int) -> float:
    """Rule 3."""
    return min(1.0, effective / required)


def score(credits: Sequence[float], weights: Sequence[float]) -> float:
    """Rule 4: the weighted mean credit."""
    return sum(w * c for w, c in zip(weights, credits, strict=True)) / sum(weights)


def meets_level(effective: float, required: int) -> bool:
    """Rule 5 for one essential requirement (and the "no gap" test of rule 11)."""
    return effective >= required - EPSILON


# --- rule 6 --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Need:
    """A role requirement as the rules see it: a skill at a level, weighted."""

    skill: int
    level: int
    weight: float = 1.0
    essential: bool = False


def coverage(earlier_role: Mapping[int, int], needs: Sequence[Need]) -> float:
    """R: the earlier role's profile (skill -> level it requires) scored against
    this role as a person would be (rules 3-4), without relations or recency."""
    return score(
        [credit(earlier_role.get(n.skill, 0), n.level) for n in needs],
        [n.weight for n in needs],
    )


def prior_role_cutoff(as_of: dt.date) -> dt.date:
    """The earliest end date of a role that still counts: three years before
    ``as_of`` (28 February for 29 February)."""
    return add_months(as_of, -12 * PRIOR_ROLE_YEARS)


def role_held_now(end: dt.date | None, as_of: dt.date) -> bool:
    """A role with no end, or ending on or after ``as_of``: "current role"."""
    return end is None or end >= as_of


def prior_role_counts(end: dt.date | None, coverage_r: float, as_of: dt.date) -> bool:
    """Rule 6: a role held now (no end, or ending after ``as_of``) or ending within
    three years of ``as_of``, whose coverage is at least 0.8."""
    recent = role_held_now(end, as_of) or end >= prior_role_cutoff(as_of)
    return recent and coverage_r >= PRIOR_ROLE_MIN_COVERAGE - EPSILON


def rank_score(s: float, coverage_r: float | None) -> float:
    """Rule 6: the score lifted by a counting prior role's coverage."""
    if coverage_r is None:
        return s
    return min(1.0, s + PRIOR_ROLE_BONUS * coverage_r)


# --- rule 7 --------------------------------------------------------------------------------


def qualifies_by(
    s: float,
    threshold: float,
    *,
    prior_role_counts: bool,
    include_prior_role: bool = True,
) -> QualifiesBy | None:
    """Rule 7: by score when S reaches the threshold (whatever the prior role),
    else by prior role when one counts and the search includes them, else not."""
    if s >= threshold - EPSILON:
        return BY_SCORE
    if prior_role_counts and include_prior_role:
        return BY_PRIOR_ROLE
    return None


# --- rule 8 --------------------------------------------------------------------------------


def order_key(rank_score_: float, s: float, staff_number: str) -> tuple:
    """Rule 8 as a sort key: rank_score desc, then S desc, then staff number asc."""
    return (-round(rank_score_, TIE_DECIMALS), -round(s, TIE_DECIMALS), staff_number)


# --- rule 10 -------------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (or earlier), clamped to the month's end:
    29 February 2024 plus 12 months is 28 February 2025."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    month = month0 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def profile_stale(reviewed_on: dt.date | None, as_of: dt.date) -> bool:
    """A profile never reviewed, or last reviewed 12 months ago or more: on or
    after the review's anniversary it is stale (29 February's is 28 February)."""
    return reviewed_on is None or add_months(reviewed_on, STALE_REVIEW_MONTHS) <= as_of


def stale_review_cutoff(as_of: dt.date) -> dt.date:
    """The latest review date that is stale on ``as_of``: ``profile_stale(d, as_of)``
    exactly when ``d <= stale_review_cutoff(as_of)``, for vectorised and SQL use."""
    cutoff = add_months(as_of, -STALE_REVIEW_MONTHS)
    # add_months is monotone but not one-to-one at month ends (29 February and 28
    # February 2024 both reach 28 February 2025): take the latest day that reaches.
    while profile_stale(cutoff + dt.timedelta(days=1), as_of):
        cutoff += dt.timedelta(days=1)
    return cutoff


def evidence_value(credited: Iterable[tuple[float, str]]) -> float | None:
    """The evidence strength behind a score: the mean evidence weight of the
    credited requirements, each counting by its ``weight x credit`` (``credited``
    gives those shares with the evidence that supplied them); None when nothing
    is credited."""
    total = weighted = 0.0
    for share, evidence in credited:
        if share <= 0:
            continue
        total += share
        weighted += share * EVIDENCE_WEIGHT[evidence]
    return weighted / total if total else None


def confidence_value(credited: Iterable[tuple[float, str]], *, stale: bool) -> float | None:
    """Rule 10's value: the evidence value, x 0.8 for a stale profile."""
    value = evidence_value(credited)
    if value is None:
        return None
    return value * STALE_FACTOR if stale else value


def confidence_grade(value: float | None) -> str:
    """Rule 10: A >= 0.9, B >= 0.75, C >= 0.6, else D."""
    if value is None:
        return LOWEST_GRADE
    for floor, grade in CONFIDENCE_GRADES:
        if value >= floor - EPSILON:
            return grade
    return LOWEST_GRADE


# --- rule 11 -------------------------------------------------------------------------------


def gap(required: int, effective: float) -> int:
    """Levels of training needed: max(0, L - e) rounded up."""
    return max(0, math.ceil(required - effective - EPSILON))


def trained_credit(effective: float, required: int) -> float:
    """The credit after one level of training in the skill (never past Expert)."""
    return credit(min(effective + 1, MAX_LEVEL), required)


# --- the whole evaluation of one person, for reference ------------------------------


@dataclass(frozen=True, slots=True)
class EarlierRole:
    """A role a person held (or holds: ``end`` None), with the levels its profile requires."""

    title: str
    start: dt.date | None
    end: dt.date | None
    levels: Mapping[int, int]


@dataclass(frozen=True, slots=True)
class Evaluation:
    score: float
    rank_score: float
    meets_essentials: bool
    qualifies_by: QualifiesBy | None
    prior_role: EarlierRole | None
    coverage: float | None
    effective: tuple[tuple[float, int | None], ...]  # per requirement: (e, via_skill)
    gaps: tuple[int, ...]
    one_level_gain: float  # the most S rises with one level of training in one skill
    confidence: str


def evaluate(
    needs: Sequence[Need],
    held: Mapping[int, Held],
    *,
    as_of: dt.date,
    relations: Mapping[int, Sequence[tuple[int, float]]] | None = None,
    earlier_roles: Sequence[EarlierRole] = (),
    reviewed_on: dt.date | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    include_prior_role: bool = True,
) -> Evaluation:
    """Rules 1-11 for one person, written plainly: the reference the engine is held to."""
    relations = relations or {}
    weights = [n.weight for n in needs]
    effective = [effective_level(held, n.skill, relations, as_of) for n in needs]
    credits = [credit(e, n.level) for (e, _), n in zip(effective, needs, strict=True)]
    s = score(credits, weights)
    essentials = all(
        meets_level(e, n.level) for (e, _), n in zip(effective, needs, strict=True) if n.essential
    )
    best: tuple | None = None
    for order, role in enumerate(earlier_roles):
        r = coverage(role.levels, needs)
        if not prior_role_counts(role.end, r, as_of):
            continue
        # Greatest coverage, then the most recent (held now beats ended), then the first listed.
        key = (r, dt.date.max if role.end is None else role.end, -order)
        if best is None or key > best[0]:
            best = (key, role, r)
    prior, r = (best[1], best[2]) if best else (None, None)
    total_weight = sum(weights)
    gain = max(
        (
            n.weight * (trained_credit(e, n.level) - c) / total_weight
            for (e, _), n, c in zip(effective, needs, credits, strict=True)
        ),
        default=0.0,
    )
    shares = [
        (n.weight * c, held[via].evidence)
        for (_, via), n, c in zip(effective, needs, credits, strict=True)
        if via is not None
    ]
    return Evaluation(
        score=s,
        rank_score=rank_score(s, r),
        meets_essentials=essentials,
        qualifies_by=qualifies_by(
            s, threshold, prior_role_counts=prior is not None, include_prior_role=include_prior_role
        ),
        prior_role=prior,
        coverage=r,
        effective=tuple(effective),
        gaps=tuple(gap(n.level, e) for (e, _), n in zip(effective, needs, strict=True)),
        one_level_gain=gain,
        confidence=confidence_grade(
            confidence_value(shares, stale=profile_stale(reviewed_on, as_of))
        ),
    )
