"""The column cache across days (issue 17): for a requirement with related
skills, what does not depend on the day (who holds a source, and the values that
no longer change) is worked out once, so the first search of a new day reuses it
and only reweighs recency; every day's scores are still exactly those of a fresh
workforce."""

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matching.engine as engine
from matching import rules
from matching.engine import Relation, Requirement, SkillColumns, Workforce, recency_factor
from tests.matching.test_engine import AS_OF, DAY, N_SKILLS, build, years_ago
from tests.matching.test_engine_internals import columns_for

FULL_DAYS = 730  # rule 1: full credit up to two years (730.5 days)
FLOOR_DAYS = 2557  # ... and at the floor from seven years (2,556.75 days)
RELATIONS = {1: [Relation(0, 0.8), Relation(3, 0.5)], 2: [Relation(3, 0.5)]}


def fresh(workforce: Workforce) -> Workforce:
    """The same workforce on new columns: nothing cached."""
    s = workforce.skills
    skills = SkillColumns(
        n_people=s.n_people,
        indptr=s.indptr,
        rows=s.rows,
        level=s.level,
        last_used=s.last_used,
        evidence=s.evidence,
    )
    return Workforce(skills=skills, people=workforce.people, relations=workforce.relations)


def rule_2(workforce: Workforce, skill: int, day: int) -> np.ndarray:
    """Rule 2 straight from the columns, for everyone: the best strength x level
    x recency over the skill and its related skills (recency by rule 1's formula)."""
    columns = workforce.skills
    best = np.zeros(columns.n_people)
    for source, strength in [(skill, 1.0)] + [
        (r.source, r.strength) for r in workforce.relations.get(skill, [])
    ]:
        span = columns.column(source)
        values = columns.level[span] * recency_factor(columns.last_used[span], day)
        best[columns.rows[span]] = np.maximum(best[columns.rows[span]], strength * values)
    return best


def scores(workforce, requirements, day):
    return workforce.scores(requirements, day)[0]


def test_the_next_day_reuses_the_day_independent_work_and_reweighs_recency():
    day = DAY
    holdings = [
        {0: (4, 0, "self")},  # in current use
        {0: (4, day - FULL_DAYS, "self")},  # full credit today, decaying from tomorrow
        {0: (4, years_ago(4), "self"), 3: (4, 0, "self")},  # decaying; related skill
        {0: (4, years_ago(12), "self")},  # at the floor for good
        {3: (3, years_ago(3), "self")},  # only the related skill, decaying
        {0: (2, day + 3, "self")},  # "last used" after the search day
        {0: (4, day - FLOOR_DAYS + 5, "self")},  # a few days above the floor
        {0: (4, day - FLOOR_DAYS + 1, "self")},  # at the floor from tomorrow
    ]
    wf = build(holdings, relations=RELATIONS)
    reqs = [Requirement(0, 4), Requirement(1, 4, 2.0), Requirement(2, 3)]
    cache = wf.skills.derived()

    today = scores(wf, reqs, day)
    assert cache.unions_built == 2  # requirements 1 and 2 have related skills
    tomorrow = scores(wf, reqs, day + 1)
    assert cache.unions_built == 2, "the first search of the next day worked them out again"
    sources = tuple(wf._base.sources(1))
    assert cache.effective(sources, day + 1).rows is cache.effective(sources, day).rows

    # ... and the answers are the next day's, exactly as a fresh workforce gives them.
    assert np.array_equal(tomorrow, scores(fresh(wf), reqs, day + 1))
    assert np.array_equal(today, scores(fresh(wf), reqs, day))
    for skill in range(N_SKILLS):
        for when in (day, day + 1):
            assert wf.effective_levels(Requirement(skill, 4), when) == pytest.approx(
                rule_2(wf, skill, when), abs=1e-12
            )
    assert tomorrow[1] < today[1]  # crossed into the decay overnight
    assert tomorrow[2] < today[2]  # decays a little each day
    assert tomorrow[0] == today[0] and tomorrow[3] == today[3]
    assert today[7] > tomorrow[7] == today[3]  # reached the floor overnight
    assert tomorrow[6] > tomorrow[3]  # not yet
    recency = rules.recency(AS_OF - dt.timedelta(days=FULL_DAYS), AS_OF + dt.timedelta(days=1))
    effective = wf.effective_levels(Requirement(0, 4), day + 1)
    assert effective[1] == pytest.approx(4 * recency)
    assert effective[1] < 4.0


def test_a_search_dated_before_the_cached_work_is_still_right():
    wf = build(
        [{0: (4, years_ago(6.9), "self")}, {0: (3, years_ago(1.9), "self")}, {3: 4}],
        relations=RELATIONS,
    )
    reqs = [Requirement(0, 4), Requirement(1, 3)]
    scores(wf, reqs, DAY)
    for day in (DAY - 400, DAY + 1, DAY - 2000, DAY + 900):
        assert np.array_equal(scores(wf, reqs, day), scores(fresh(wf), reqs, day)), day


def test_the_day_cache_is_bounded_and_survives_eviction(monkeypatch):
    wf = build([{0: (4, years_ago(3), "self")}, {0: 4}, {3: (4, years_ago(5), "self")}])
    wf = Workforce(skills=wf.skills, people=wf.people, relations=RELATIONS)
    reqs = [Requirement(0, 4), Requirement(1, 4)]
    monkeypatch.setattr(engine, "COLUMN_CACHE_BYTES", 1)  # one entry kept at a time
    for day in (DAY, DAY + 1, DAY, DAY + 30):
        assert np.array_equal(scores(wf, reqs, day), scores(fresh(wf), reqs, day))


used = st.one_of(
    st.just(0),
    st.integers(DAY - 4000, DAY + 30),  # around both ends of the decay
)
holdings = st.lists(
    st.dictionaries(
        st.integers(0, N_SKILLS - 1),
        st.tuples(st.integers(1, 4), used, st.just("self")),
        max_size=N_SKILLS,
    ),
    min_size=1,
    max_size=25,
)
requirement_lists = st.lists(
    st.builds(
        Requirement,
        skill=st.integers(0, N_SKILLS - 1),
        level=st.integers(1, 4),
        weight=st.sampled_from([0.5, 1.0, 2.0]),
        essential=st.booleans(),
    ),
    min_size=1,
    max_size=5,
)
days = st.lists(st.integers(DAY - 800, DAY + 2000), min_size=2, max_size=6)


@settings(max_examples=150, deadline=None)
@given(holdings, requirement_lists, days)
def test_any_sequence_of_days_scores_as_a_fresh_workforce(held, reqs, sequence):
    skills = columns_for(held)
    people = build([{}] * skills.n_people).people
    wf = Workforce(skills=skills, people=people, relations=RELATIONS)
    for day in sequence:
        got, met = wf.scores(reqs, day)
        want, want_met = fresh(wf).scores(reqs, day)
        assert np.array_equal(got, want)
        assert np.array_equal(met, want_met)
        for r in reqs:
            effective = wf.effective_levels(r, day)
            assert np.array_equal(effective, fresh(wf).effective_levels(r, day))
            assert effective == pytest.approx(rule_2(wf, r.skill, day), abs=1e-12)
