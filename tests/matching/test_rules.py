"""The rules module (DESIGN.md section 4, rule 12): hand-computed cases for its
scalar rules, and the engine held to them person by person on random worlds."""

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching import rules
from matching.engine import (
    CURRENT,
    EVIDENCE_CODES,
    Relation,
    Requirement,
    RoleLibrary,
    RoleSpell,
)
from tests.matching.test_engine import AS_OF, DAY, N_SKILLS, build

# --- rule 1 ------------------------------------------------------------------------------


def years_before(years: float) -> dt.date:
    return AS_OF - dt.timedelta(days=round(years * 365.25))


@pytest.mark.parametrize(
    ("last_used", "expected"),
    [
        (None, 1.0),
        (AS_OF, 1.0),
        (years_before(2), 1.0),
        (years_before(3), 0.9),
        (years_before(4.5), 0.75),
        (years_before(7), 0.5),
        (years_before(30), 0.5),
    ],
)
def test_recency_follows_rule_1(last_used, expected):
    assert rules.recency(last_used, AS_OF) == pytest.approx(expected, abs=1e-3)


def test_recency_is_monotone_in_age():
    values = [rules.recency(years_before(y / 4), AS_OF) for y in range(0, 40)]
    assert values == sorted(values, reverse=True)


# --- rule 6 ------------------------------------------------------------------------------

NEEDS = [rules.Need(1, 3), rules.Need(2, 3)]


def test_coverage_counts_the_same_or_a_senior_role_but_not_a_junior_one():
    assert rules.coverage({1: 3, 2: 3}, NEEDS) == 1.0
    assert rules.coverage({1: 4, 2: 4}, NEEDS) == 1.0
    assert rules.coverage({1: 2, 2: 2}, NEEDS) == pytest.approx(2 / 3)
    assert not rules.prior_role_counts(None, rules.coverage({1: 2, 2: 2}, NEEDS), AS_OF)
    assert rules.prior_role_counts(None, 0.8, AS_OF)


def test_a_role_counts_for_three_years_after_it_ends():
    assert rules.prior_role_cutoff(dt.date(2026, 11, 21)) == dt.date(2023, 11, 21)
    assert rules.prior_role_cutoff(dt.date(2028, 2, 29)) == dt.date(2025, 2, 28)
    assert rules.prior_role_counts(dt.date(2023, 11, 21), 1.0, dt.date(2026, 11, 21))
    assert not rules.prior_role_counts(dt.date(2023, 11, 20), 1.0, dt.date(2026, 11, 21))
    assert rules.role_held_now(dt.date(2027, 1, 1), dt.date(2026, 11, 21))
    assert not rules.role_held_now(dt.date(2026, 11, 20), dt.date(2026, 11, 21))


def test_qualifies_by_keeps_the_two_ways_apart():
    assert rules.qualifies_by(0.8, 0.8, prior_role_counts=True) == "score"
    assert rules.qualifies_by(0.79, 0.8, prior_role_counts=True) == "prior_role"
    assert rules.qualifies_by(0.79, 0.8, prior_role_counts=True, include_prior_role=False) is None
    assert rules.qualifies_by(0.79, 0.8, prior_role_counts=False) is None


# --- rule 10: freshness by anniversary ----------------------------------------------


@pytest.mark.parametrize(
    ("reviewed", "today", "stale"),
    [
        (None, dt.date(2026, 1, 1), True),
        (dt.date(2025, 3, 10), dt.date(2026, 3, 9), False),
        (dt.date(2025, 3, 10), dt.date(2026, 3, 10), True),  # on the anniversary
        (dt.date(2024, 2, 29), dt.date(2025, 2, 27), False),
        (dt.date(2024, 2, 29), dt.date(2025, 2, 28), True),
        (dt.date(2024, 2, 28), dt.date(2025, 2, 28), True),
        (dt.date(2024, 3, 1), dt.date(2025, 2, 28), False),
    ],
)
def test_profile_stale_goes_by_the_anniversary(reviewed, today, stale):
    assert rules.profile_stale(reviewed, today) is stale


@settings(max_examples=300, deadline=None)
@given(st.dates(dt.date(2001, 1, 1), dt.date(2099, 12, 31)), st.integers(-800, 800))
def test_stale_review_cutoff_agrees_with_profile_stale(today, offset):
    reviewed = today - dt.timedelta(days=365) + dt.timedelta(days=offset)
    cutoff = rules.stale_review_cutoff(today)
    assert (reviewed <= cutoff) is rules.profile_stale(reviewed, today)


# --- the engine against the reference, person by person ------------------------------

levels = st.integers(1, 4)
used = st.sampled_from([0, DAY - 100, DAY - 900, DAY - 1500, DAY - 4000])
evidence = st.sampled_from(list(EVIDENCE_CODES))
holding = st.dictionaries(st.integers(0, N_SKILLS - 1), st.tuples(levels, used, evidence))
needs = st.lists(
    st.builds(
        Requirement,
        skill=st.integers(0, N_SKILLS - 1),
        level=levels,
        weight=st.sampled_from([0.5, 1.0, 2.0, 3.0]),
        essential=st.booleans(),
    ),
    min_size=1,
    max_size=5,
    unique_by=lambda r: r.skill,
)
relation_map = st.dictionaries(
    st.integers(0, N_SKILLS - 1),
    st.lists(
        st.builds(
            Relation, source=st.integers(0, N_SKILLS - 1), strength=st.sampled_from([0.5, 0.8])
        ),
        max_size=2,
        unique_by=lambda r: r.source,
    ),
    max_size=3,
).map(lambda m: {s: [r for r in rs if r.source != s] for s, rs in m.items()})
role_levels = st.dictionaries(
    st.integers(0, 3), st.dictionaries(st.integers(0, N_SKILLS - 1), levels, min_size=1)
)
spell_end = st.sampled_from([CURRENT, DAY - 200, DAY - 1000, DAY - 1200, DAY + 30])
reviewed = st.sampled_from([0, DAY - 10, DAY - 364, DAY - 365, DAY - 366, DAY - 900])


def _date(ordinal: int) -> dt.date | None:
    return None if ordinal == CURRENT else dt.date.fromordinal(ordinal)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(holding, min_size=1, max_size=6),
    needs,
    relation_map,
    role_levels,
    st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3), spell_end), max_size=8),
    st.lists(reviewed, min_size=6, max_size=6),
    st.sampled_from([0.0, 0.5, 0.8, 0.95]),
    st.booleans(),
)
def test_the_engine_evaluates_everyone_as_the_reference_does(
    holdings, reqs, relations, role_levels, history, reviews, threshold, include_prior
):
    n = len(holdings)
    spells = [
        RoleSpell(person=p, role=r, title=f"Role {r}", end=end, start=DAY - 3000)
        for p, r, end in history
        if p < n and r in role_levels
    ]
    wf = build(
        [{s: (lvl, u, ev) for s, (lvl, u, ev) in held.items()} for held in holdings],
        relations=relations,
        roles=RoleLibrary(levels=role_levels, spells=spells),
        reviewed_at=np.array(reviews[:n], dtype=np.int32),
    )
    evaluation = wf.evaluate(
        reqs, as_of=AS_OF, threshold=threshold, include_prior_role=include_prior
    )
    people = np.arange(n)
    matches = evaluation.matches(people)
    gaps = evaluation.gaps(people)
    gains = evaluation.one_level_gain(people)
    scalar_relations = {s: [(r.source, r.strength) for r in rs] for s, rs in relations.items()}
    for person in range(n):
        expected = rules.evaluate(
            [rules.Need(r.skill, r.level, r.weight, r.essential) for r in reqs],
            {s: rules.Held(lvl, _date(u), ev) for s, (lvl, u, ev) in holdings[person].items()},
            as_of=AS_OF,
            relations=scalar_relations,
            earlier_roles=[
                rules.EarlierRole(s.title, _date(s.start), _date(s.end), role_levels[s.role])
                for s in spells
                if s.person == person
            ],
            reviewed_on=_date(reviews[person]),
            threshold=threshold,
            include_prior_role=include_prior,
        )
        match = matches[person]
        assert match.score == pytest.approx(expected.score, abs=1e-12)
        assert match.rank_score == pytest.approx(expected.rank_score, abs=1e-12)
        assert match.meets_essentials is expected.meets_essentials
        assert match.qualifies_by == expected.qualifies_by
        if expected.prior_role is None:
            assert match.prior_role is None
        else:
            assert match.prior_role.coverage == pytest.approx(expected.coverage, abs=1e-12)
            assert _date(match.prior_role.end) == expected.prior_role.end
        assert match.confidence == expected.confidence
        assert tuple(gaps[:, person].tolist()) == expected.gaps
        assert tuple(e.gap for e in match.requirements) == expected.gaps
        for explained, (effective, via) in zip(match.requirements, expected.effective, strict=True):
            assert explained.effective_level == pytest.approx(effective, abs=1e-12)
            if effective > 0:
                assert explained.via_skill == via
        assert gains[person] == pytest.approx(expected.one_level_gain, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([0.0, 0.1, 0.2, 0.3, 0.1 + 0.2, 0.5, 0.8, 1.0]),
            st.sampled_from([0.0, 0.1, 0.2, 0.3, 0.1 + 0.2, 0.5, 0.8, 1.0]),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_rank_order_is_rule_8_for_everyone(pairs):
    """The engine's order (search and greedy) sorts as ``rules.order_key`` does:
    rank score desc, score desc, staff number asc, with 0.1 + 0.2 tying 0.3."""
    from matching.engine import rank_order

    rank_score = np.array([r for r, _ in pairs])
    score = np.array([s for _, s in pairs])
    staff_numbers = [f"S{i:03d}" for i in range(len(pairs))][::-1]  # rank = reverse order
    staff_rank = np.argsort(np.argsort(staff_numbers))
    expected = sorted(
        range(len(pairs)),
        key=lambda i: rules.order_key(rank_score[i], score[i], staff_numbers[i]),
    )
    assert rank_order(rank_score, score, staff_rank).tolist() == expected
