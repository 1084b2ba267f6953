"""Hand-computed cases for every rule of DESIGN.md section 4, plus properties."""

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.engine import (
    EVIDENCE_CODES,
    NOT_AVAILABLE,
    Filters,
    People,
    Relation,
    Requirement,
    RoleLibrary,
    RoleSpell,
    SkillColumns,
    Workforce,
)

AS_OF = dt.date(2026, 11, 21)
DAY = AS_OF.toordinal()
PYTHON, PROGRAMMING, SQL, STATS, EXCEL = range(5)
N_SKILLS = 5


def years_ago(years: float) -> int:
    return DAY - round(years * 365.25)


def build(holdings, *, relations=None, roles=None, **attributes):
    """holdings: one dict per person {skill: level or (level, last_used, evidence)}."""
    n = len(holdings)
    person, skill, level, last_used, evidence = [], [], [], [], []
    for p, held in enumerate(holdings):
        for s, value in held.items():
            lvl, used, ev = value if isinstance(value, tuple) else (value, 0, "self")
            person.append(p)
            skill.append(s)
            level.append(lvl)
            last_used.append(used)
            evidence.append(EVIDENCE_CODES[ev])
    defaults = {
        "staff_number": np.array([f"S{p:03d}" for p in range(n)], dtype=object),
        "grade": np.full(n, 3, np.int8),
        "org_unit": np.zeros(n, np.int32),
        "location": np.zeros(n, np.int32),
        "clearance": np.full(n, 1, np.int8),
        "weekly_hours": np.full(n, 37.0, np.float32),
        "redeployable": np.ones(n, bool),
        "protected": np.zeros(n, bool),
        "available_from": np.full(n, DAY - 10, np.int32),
        "allocated": np.zeros(n, bool),
        "reviewed_at": np.full(n, DAY - 30, np.int32),
    }
    defaults.update({k: np.asarray(v) for k, v in attributes.items()})
    return Workforce(
        skills=SkillColumns.from_triples(
            n_people=n,
            n_skills=N_SKILLS,
            person=person,
            skill=skill,
            level=level,
            last_used=last_used,
            evidence=evidence,
        ),
        people=People(**defaults),
        relations=relations,
        roles=roles,
    )


def rank(workforce, requirements, **kwargs):
    kwargs.setdefault("threshold", 0.0)
    kwargs.setdefault("filters", Filters(redeployable_only=False))
    return workforce.rank(requirements, as_of=AS_OF, **kwargs)


def only(result):
    assert len(result.matches) == 1
    return result.matches[0]


# Rule 1: recency ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("last_used", "effective"),
    [
        (0, 4.0),
        (years_ago(1.5), 4.0),
        (years_ago(3), 3.6),
        (years_ago(4), 3.2),
        (years_ago(9), 2.0),
    ],
)
def test_recency_scales_the_level(last_used, effective):
    wf = build([{PYTHON: (4, last_used, "self")}])
    explanation = only(rank(wf, [Requirement(PYTHON, 4)])).requirements[0]
    assert explanation.effective_level == pytest.approx(effective, abs=1e-3)


# Rule 2: effective level through relations ------------------------------------------


def test_narrower_skill_counts_at_80_percent_and_is_named():
    wf = build([{PYTHON: 4}], relations={PROGRAMMING: [Relation(PYTHON, 0.8)]})
    explanation = only(rank(wf, [Requirement(PROGRAMMING, 4)])).requirements[0]
    assert explanation.via_skill == PYTHON
    assert explanation.level == 4
    assert explanation.effective_level == pytest.approx(3.2)
    assert explanation.credit == pytest.approx(0.8)


def test_the_best_source_wins_direct_or_related():
    relations = {SQL: [Relation(STATS, 0.5)]}
    direct = build([{SQL: 1, STATS: 4}], relations=relations)
    e = only(rank(direct, [Requirement(SQL, 3)])).requirements[0]
    assert (e.via_skill, e.effective_level) == (STATS, 2.0)  # 0.5 x 4 beats 1
    related = build([{SQL: 3, STATS: 4}], relations=relations)
    e = only(rank(related, [Requirement(SQL, 3)])).requirements[0]
    assert (e.via_skill, e.effective_level) == (SQL, 3.0)


def test_recency_applies_to_the_related_skill_too():
    wf = build([{STATS: (4, years_ago(3), "self")}], relations={SQL: [Relation(STATS, 0.5)]})
    e = only(rank(wf, [Requirement(SQL, 2)])).requirements[0]
    assert e.effective_level == pytest.approx(0.5 * 4 * 0.9, abs=1e-3)


# Rules 3-4: credit and weighted score -------------------------------------------------


def test_credit_is_capped_and_score_is_weighted():
    wf = build([{PYTHON: 4, SQL: 1}])
    match = only(rank(wf, [Requirement(PYTHON, 2, weight=3), Requirement(SQL, 4, weight=1)]))
    credits = [e.credit for e in match.requirements]
    assert credits == [1.0, 0.25]
    assert match.score == pytest.approx((3 * 1.0 + 1 * 0.25) / 4)


# Rule 5: essentials ----------------------------------------------------------------


def test_meets_essentials_needs_every_essential_fully_met():
    wf = build([{PYTHON: 3, SQL: 2}, {PYTHON: 3, SQL: 3}])
    reqs = [Requirement(PYTHON, 3, essential=True), Requirement(SQL, 3, essential=True)]
    matches = {m.person: m for m in rank(wf, reqs).matches}
    assert matches[0].meets_essentials is False
    assert matches[1].meets_essentials is True


# Rules 6-7: prior role and qualification -------------------------------------------------


def prior_role_library(end, *, level=3):
    """Role 0 requires Python and SQL at ``level``; role 1 only Excel."""
    return RoleLibrary(
        levels={0: {PYTHON: level, SQL: level}, 1: {EXCEL: 2}},
        spells=[RoleSpell(person=0, role=0, title="Data analyst", end=end, start=years_ago(6))],
    )


DATA_ANALYST = [Requirement(PYTHON, 3), Requirement(SQL, 3)]


def test_recent_covering_role_adds_a_bonus_and_qualifies_by_prior_role():
    wf = build([{PYTHON: 2}, {PYTHON: 2}], roles=prior_role_library(years_ago(2)))
    result = rank(wf, DATA_ANALYST, threshold=0.8)
    match = only(result)
    assert match.person == 0
    assert match.qualifies_by == "prior_role"
    assert (result.total_by_score, result.total_by_prior_role) == (0, 1)
    assert match.prior_role.title == "Data analyst"
    assert match.prior_role.start == years_ago(6)
    assert match.prior_role.coverage == pytest.approx(1.0)
    assert match.score == pytest.approx((2 / 3 + 0) / 2)
    assert match.rank_score == pytest.approx(match.score + 0.1)
    assert rank(wf, DATA_ANALYST, threshold=0.8, include_prior_role=False).total == 0


def test_someone_over_the_threshold_qualifies_by_score_even_with_a_covering_role():
    wf = build([{PYTHON: 3, SQL: 3}], roles=prior_role_library(0))
    result = rank(wf, DATA_ANALYST, threshold=0.8)
    assert only(result).qualifies_by == "score"
    assert only(result).prior_role.coverage == pytest.approx(1.0)
    assert (result.total_by_score, result.total_by_prior_role) == (1, 0)


def test_a_junior_version_of_the_role_does_not_count_even_held_now():
    # Every level one lower: coverage (2/3 + 2/3) / 2 = 0.667 < 0.8.
    wf = build([{PYTHON: 1}], roles=prior_role_library(0, level=2))
    assert only(rank(wf, DATA_ANALYST)).prior_role is None
    assert rank(wf, DATA_ANALYST, threshold=0.8).total == 0


def test_a_senior_version_of_the_role_counts():
    wf = build([{PYTHON: 1}], roles=prior_role_library(0, level=4))
    match = only(rank(wf, DATA_ANALYST, threshold=0.8))
    assert match.qualifies_by == "prior_role"
    assert match.prior_role.coverage == 1.0


def test_coverage_is_the_earlier_profile_scored_against_this_role():
    # Requirements Python 3 (weight 3) and SQL 4 (weight 1); the earlier role requires
    # Python 3 and SQL 2: R = (3 x 1 + 1 x 0.5) / 4 = 0.875, so it counts.
    library = RoleLibrary(
        levels={0: {PYTHON: 3, SQL: 2}},
        spells=[RoleSpell(person=0, role=0, title="Analyst", end=0)],
    )
    wf = build([{}], roles=library)
    reqs = [Requirement(PYTHON, 3, weight=3), Requirement(SQL, 4, weight=1)]
    match = only(rank(wf, reqs))
    assert match.prior_role.coverage == pytest.approx(0.875)
    assert match.rank_score == pytest.approx(0.0875)


def test_roles_ended_more_than_three_years_ago_do_not_count():
    wf = build([{PYTHON: 2}], roles=prior_role_library(years_ago(3.2)))
    assert only(rank(wf, DATA_ANALYST)).prior_role is None


def test_roles_that_cover_nothing_do_not_count():
    wf = build([{PYTHON: 2}], roles=prior_role_library(0))
    assert only(rank(wf, [Requirement(EXCEL, 3)])).prior_role is None


def test_rank_score_is_capped_at_one():
    wf = build([{PYTHON: 4, SQL: 4}], roles=prior_role_library(0))
    match = only(rank(wf, DATA_ANALYST))
    assert (match.score, match.rank_score) == (1.0, 1.0)


def test_rank_pages_each_way_of_qualifying_apart():
    wf = build(
        [{PYTHON: 3, SQL: 3}, {PYTHON: 1}, {PYTHON: 3, SQL: 3}, {}],
        roles=RoleLibrary(
            levels={0: {PYTHON: 3, SQL: 3}},
            spells=[
                RoleSpell(person=1, role=0, title="Analyst", end=0),
                RoleSpell(person=3, role=0, title="Analyst", end=years_ago(1)),
            ],
        ),
    )
    by_score = rank(wf, DATA_ANALYST, threshold=0.8, qualifies_by="score")
    by_prior = rank(wf, DATA_ANALYST, threshold=0.8, qualifies_by="prior_role")
    both = rank(wf, DATA_ANALYST, threshold=0.8)
    assert [m.person for m in by_score.matches] == [0, 2]
    assert [m.person for m in by_prior.matches] == [1, 3]
    assert {m.qualifies_by for m in by_prior.matches} == {"prior_role"}
    assert (by_score.total_by_score, by_score.total_by_prior_role) == (2, 2)
    assert by_prior.total == both.total == 4
    with pytest.raises(ValueError):
        rank(wf, DATA_ANALYST, qualifies_by="similar")


def test_threshold_is_inclusive():
    wf = build([{PYTHON: 4, SQL: 3}, {PYTHON: 4, SQL: 2}])
    reqs = [Requirement(PYTHON, 4, weight=3), Requirement(SQL, 4, weight=1)]
    # person 0: (3 + 0.75) / 4 = 0.9375; person 1: (3 + 0.5) / 4 = 0.875
    assert rank(wf, reqs, threshold=0.875).total == 2
    assert rank(wf, reqs, threshold=0.9).total == 1


# Rule 8: order ---------------------------------------------------------------------


def test_order_is_rank_score_then_score_then_staff_number():
    wf = build(
        [{PYTHON: 3}, {PYTHON: 4}, {PYTHON: 4}, {PYTHON: 2}],
        staff_number=np.array(["S9", "S5", "S1", "S0"], dtype=object),
        roles=RoleLibrary(
            levels={0: {PYTHON: 4}},
            spells=[RoleSpell(person=3, role=0, title="Developer", end=0)],
        ),
    )
    order = [m.person for m in rank(wf, [Requirement(PYTHON, 4)]).matches]
    # scores 0.75, 1, 1, 0.5(+0.1 prior => 0.6); ties at 1.0 by staff number S1 < S5
    assert order == [2, 1, 0, 3]


def test_scores_equal_in_exact_arithmetic_tie_and_staff_number_decides():
    # 0.1 + 0.2 != 0.3 in floating point; both people score exactly half.
    wf = build([{PYTHON: 4, SQL: 4}, {STATS: 4}], staff_number=np.array(["S2", "S1"], dtype=object))
    requirements = [
        Requirement(PYTHON, 4, 0.1),
        Requirement(SQL, 4, 0.2),
        Requirement(STATS, 4, 0.3),
    ]
    result = rank(wf, requirements)
    assert [round(m.score, 12) for m in result.matches] == [0.5, 0.5]
    assert [m.person for m in result.matches] == [1, 0]


def test_pages_are_consistent_slices_of_one_order():
    wf = build([{PYTHON: 1 + p % 4} for p in range(30)])
    whole = [m.person for m in rank(wf, [Requirement(PYTHON, 4)], limit=30).matches]
    paged = [
        m.person
        for offset in range(0, 30, 7)
        for m in rank(wf, [Requirement(PYTHON, 4)], limit=7, offset=offset).matches
    ]
    assert paged == whole


# Rule 9: hard filters ---------------------------------------------------------------


def test_each_hard_filter_removes_the_right_people():
    wf = build(
        [{PYTHON: 4}] * 6,
        grade=[1, 3, 3, 3, 3, 3],
        org_unit=[0, 1, 2, 0, 0, 0],
        location=[0, 0, 0, 1, 0, 0],
        clearance=[1, 1, 1, 1, 3, 1],
        weekly_hours=[37, 37, 37, 37, 37, 18.5],
        redeployable=[True, True, True, True, True, False],
        protected=[False, False, True, False, False, False],
        available_from=[DAY, DAY, DAY, DAY + 30, DAY, NOT_AVAILABLE],
        allocated=[False, True, False, False, False, False],
    )
    reqs = [Requirement(PYTHON, 4)]

    def people(**filters):
        filters.setdefault("redeployable_only", False)
        return {m.person for m in rank(wf, reqs, filters=Filters(**filters)).matches}

    everyone = set(range(6))
    assert people() == everyone
    assert people(grades=frozenset({3})) == everyone - {0}
    assert people(org_units=np.array([True, False, True])) == everyone - {1}
    assert people(exclude_org_units=np.array([False, False, True])) == everyone - {2}
    assert people(locations=frozenset({1})) == {3}
    assert people(min_clearance=3) == {4}
    assert people(available_on=DAY + 1) == {0, 2, 4}
    assert people(redeployable_only=True) == everyone - {2, 5}
    assert people(min_weekly_hours=30) == everyone - {5}


def test_redeployable_only_is_the_default():
    wf = build([{PYTHON: 4}, {PYTHON: 4}], protected=[False, True])
    result = wf.rank([Requirement(PYTHON, 4)], as_of=AS_OF)
    assert [m.person for m in result.matches] == [0]


# Rule 10: confidence ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("evidence", "reviewed_days_ago", "grade"),
    [
        ("certified", 30, "A"),
        ("assessed", 30, "A"),
        ("manager_verified", 30, "A"),
        ("manager_verified", 400, "C"),  # 0.9 x 0.8 = 0.72
        ("self", 30, "C"),  # 0.6
        ("self", 400, "D"),  # 0.48
    ],
)
def test_confidence_grades(evidence, reviewed_days_ago, grade):
    wf = build([{PYTHON: (4, 0, evidence)}], reviewed_at=[DAY - reviewed_days_ago])
    assert only(rank(wf, [Requirement(PYTHON, 4)])).confidence == grade


def test_confidence_weighs_evidence_by_credited_share():
    # 3/4 of the credit certified (1.0), 1/4 self (0.6): 0.9 => A
    wf = build([{PYTHON: (4, 0, "certified"), SQL: (4, 0, "self")}])
    reqs = [Requirement(PYTHON, 4, weight=3), Requirement(SQL, 4, weight=1)]
    assert only(rank(wf, reqs)).confidence == "A"
    # never reviewed is stale: 0.9 x 0.8 = 0.72 => C
    stale = build([{PYTHON: (4, 0, "certified"), SQL: (4, 0, "self")}], reviewed_at=[0])
    assert only(rank(stale, reqs)).confidence == "C"


def test_confidence_is_never_mixed_into_the_score():
    strong = build([{PYTHON: (3, 0, "certified")}])
    weak = build([{PYTHON: (3, 0, "self")}])
    reqs = [Requirement(PYTHON, 4)]
    assert only(rank(strong, reqs)).score == only(rank(weak, reqs)).score == 0.75


# Rule 11: explanation --------------------------------------------------------------


def test_gap_is_the_levels_of_training_needed_rounded_up():
    wf = build([{PYTHON: (4, years_ago(3), "self")}, {SQL: 1}])
    matches = {m.person: m for m in rank(wf, [Requirement(PYTHON, 4), Requirement(SQL, 3)]).matches}
    python, sql = matches[0].requirements
    assert python.gap == 1  # 4 - 3.6 = 0.4 -> 1
    assert (sql.gap, sql.via_skill, sql.level, sql.credit) == (3, None, 0, 0.0)
    assert matches[1].requirements[1].gap == 2


def test_no_requirements_is_an_error():
    with pytest.raises(ValueError):
        build([{PYTHON: 1}]).rank([], as_of=AS_OF)


# Properties ---------------------------------------------------------------------------

holdings = st.lists(
    st.dictionaries(st.integers(0, N_SKILLS - 1), st.integers(1, 4), max_size=N_SKILLS),
    min_size=1,
    max_size=25,
)
requirement_lists = st.lists(
    st.builds(
        Requirement,
        skill=st.integers(0, N_SKILLS - 1),
        level=st.integers(1, 4),
        weight=st.floats(0.1, 5),
        essential=st.booleans(),
    ),
    min_size=1,
    max_size=6,
    unique_by=lambda r: r.skill,
)
RELATIONS = {PROGRAMMING: [Relation(PYTHON, 0.8)], SQL: [Relation(STATS, 0.5)]}


@settings(max_examples=150, deadline=None)
@given(holdings, requirement_lists)
def test_scores_stay_between_zero_and_one(held, reqs):
    score, _ = build(held, relations=RELATIONS).scores(reqs, DAY)
    assert np.all((score >= 0) & (score <= 1 + 1e-12))


@settings(max_examples=150, deadline=None)
@given(holdings, requirement_lists, st.data())
def test_raising_a_level_never_lowers_a_score(held, reqs, data):
    person = data.draw(st.integers(0, len(held) - 1))
    skill = data.draw(st.integers(0, N_SKILLS - 1))
    before, _ = build(held, relations=RELATIONS).scores(reqs, DAY)
    raised = [dict(h) for h in held]
    raised[person][skill] = min(4, raised[person].get(skill, 0) + 1)
    after, _ = build(raised, relations=RELATIONS).scores(reqs, DAY)
    assert after[person] >= before[person] - 1e-12


@settings(max_examples=100, deadline=None)
@given(holdings, requirement_lists, st.lists(st.booleans(), min_size=25, max_size=25))
def test_a_filter_never_adds_people(held, reqs, keep):
    n = len(held)
    wf = build(held, location=[0 if keep[p] else 1 for p in range(n)])
    everyone = {m.person for m in rank(wf, reqs, limit=n).matches}
    filtered = {
        m.person
        for m in rank(
            wf, reqs, limit=n, filters=Filters(redeployable_only=False, locations=frozenset({0}))
        ).matches
    }
    assert filtered <= everyone


@settings(max_examples=100, deadline=None)
@given(holdings, requirement_lists)
def test_order_is_total_and_deterministic(held, reqs):
    wf = build(held, relations=RELATIONS)
    first = rank(wf, reqs, limit=len(held))
    second = rank(wf, reqs, limit=len(held))
    assert [m.person for m in first.matches] == [m.person for m in second.matches]
    keys = [(-m.rank_score, -m.score, wf.people.staff_number[m.person]) for m in first.matches]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


@settings(max_examples=100, deadline=None)
@given(holdings, requirement_lists, st.integers(1, 5))
def test_top_k_equals_a_full_sort(held, reqs, k):
    wf = build(held)
    full = rank(wf, reqs, limit=len(held))
    top = rank(wf, reqs, limit=k)
    assert [m.person for m in top.matches] == [m.person for m in full.matches][:k]
    assert top.total == full.total


# --- drafts (DESIGN 9): apart from the skills unless a search includes them ----------


def _draft_columns(n, entries):
    person, skill, level = zip(*entries, strict=True) if entries else ((), (), ())
    return SkillColumns.from_triples(
        n_people=n,
        n_skills=N_SKILLS,
        person=person,
        skill=skill,
        level=level,
        evidence=[EVIDENCE_CODES["inferred"]] * len(person),
    )


def test_drafts_count_only_in_the_workforce_that_includes_them():
    base = build([{SQL: 4}, {}])
    workforce = Workforce(
        skills=base.skills, people=base.people, drafts=_draft_columns(2, [(1, PYTHON, 4)])
    )
    need = [Requirement(PYTHON, 4)]
    assert [m.score for m in rank(workforce, need).matches] == [0.0, 0.0]
    with_drafts = workforce.including_drafts()
    top = rank(with_drafts, need).matches[0]
    assert (top.person, top.score) == (1, 1.0)
    # Rule 10: a draft is evidence 0.4, so a fresh profile's grade is D.
    assert top.requirements[0].evidence == EVIDENCE_CODES["inferred"]
    assert with_drafts.confidence_basis(1, top.requirements, [1.0], DAY).evidence == 0.4
    assert top.confidence == "D"


def test_a_patched_persons_drafts_replace_their_old_ones():
    base = build([{}, {}])
    workforce = Workforce(
        skills=base.skills, people=base.people, drafts=_draft_columns(2, [(0, PYTHON, 4)])
    )
    empty = _draft_columns(1, [])
    patched = _draft_columns(1, [(0, PYTHON, 2)])
    workforce.patch(np.array([0]), empty, patched)
    need = [Requirement(PYTHON, 4)]
    assert rank(workforce, need).matches[0].score == 0.0
    assert rank(workforce.including_drafts(), need).matches[0].score == pytest.approx(0.5)


def test_without_drafts_including_them_is_the_same_workforce():
    workforce = build([{SQL: 2}])
    assert workforce.including_drafts() is workforce
