"""Week-by-week allocation (matching.weekly): the MIP against a brute force on
small random instances, the greedy baseline and the reasons for unmet weeks."""

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import weekly
from matching.weekly import WeeklyProblem, evaluate, solve_greedy, solve_optimal


def problem(need, caps, units, pairs, loan=2, ramp=(0.5,), **per_line):
    """pairs: (person, line, score, earliest start)."""
    person, line, score, start = (
        (np.array(c) for c in zip(*pairs, strict=True))
        if pairs
        else [np.zeros(0, dtype=np.int64)] * 4
    )
    return WeeklyProblem(
        need=np.array(need, dtype=np.int64),
        unit_cap=np.array(caps, dtype=np.int64),
        person_unit=np.array(units, dtype=np.int64),
        pair_person=person.astype(np.int64),
        pair_line=line.astype(np.int64),
        pair_score=score.astype(np.float64),
        pair_start=start.astype(np.int64),
        loan_weeks=loan,
        ramp=ramp,
        **per_line,
    )


def brute_force(p: WeeklyProblem) -> tuple[float, float]:
    """Every assignment of each person to nothing or one (pair, start week)."""
    options = []
    for person in range(len(p.person_unit)):
        mine = [None]
        for pair in np.flatnonzero(p.pair_person == person).tolist():
            mine += [(pair, s) for s in range(int(p.pair_start[pair]), p.n_weeks)]
        options.append(mine)
    best = (-1.0, 0, -1.0)
    for choice in itertools.product(*options):
        picked = [c for c in choice if c is not None]
        try:
            result = evaluate(p, [c[0] for c in picked], [c[1] for c in picked])
        except AssertionError:
            continue  # a cap broken
        key = (round(result.covered_total, 6), -len(result.pairs), result.total_score)
        best = max(best, key)
    return best


@st.composite
def small_problems(draw):
    n_people = draw(st.integers(1, 5))
    n_units = draw(st.integers(1, 2))
    n_weeks = 3
    need = [[draw(st.integers(0, 3)) for _ in range(n_weeks)] for _ in range(2)]
    caps = [draw(st.integers(0, 3)) for _ in range(n_units)]
    units = [draw(st.integers(0, n_units - 1)) for _ in range(n_people)]
    pairs = []
    for person in range(n_people):
        for line in range(2):
            if draw(st.booleans()):
                score = draw(st.integers(0, 20)) / 20  # ties happen, as with real scores
                pairs.append((person, line, score, draw(st.integers(0, 3))))
    ramps = st.lists(st.sampled_from([0.25, 0.5, 0.75, 1.0]), max_size=2).map(tuple)
    loan, ramp = draw(st.integers(1, 3)), draw(ramps)
    per_line = {}
    if draw(st.booleans()):  # lines with loans and ramps of their own
        per_line = {
            "line_loan_weeks": tuple(draw(st.integers(1, 3)) for _ in range(2)),
            "line_ramp": tuple(draw(ramps) for _ in range(2)),
        }
    return problem(need, caps, units, pairs, loan=loan, ramp=ramp, **per_line)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_problems())
def test_the_optimum_agrees_with_a_brute_force(p):
    result = solve_optimal(p, time_limit=20)
    assert result.status == "optimal"
    assert (
        round(result.covered_total, 6),
        -len(result.pairs),
        result.total_score,
    ) == brute_force(p)
    # The greedy baseline is a feasible allocation, never better on coverage.
    assert solve_greedy(p).covered_total <= result.covered_total + 1e-6


def test_a_starter_ramps_up():
    """One person from week 1 (index 0), ramp 50%, 75%, then full, loan 3 weeks:
    output 0.5 + 0.75 + 1.0 = 2.25 post-weeks against 1 post a week for 4 weeks;
    week 4 is after the loan."""
    p = problem([[1, 1, 1, 1]], [1], [0], [(0, 0, 0.9, 0)], loan=3, ramp=(0.5, 0.75))
    for result in (solve_optimal(p), solve_greedy(p)):
        assert result.supplied.tolist() == [[0.5, 0.75, 1.0, 0.0]]
        assert result.covered_total == pytest.approx(2.25)
    assert solve_optimal(p).unmet == {
        (0, 0): weekly.TRAINING,
        (0, 1): weekly.TRAINING,
        (0, 3): weekly.TAKEN,
    }


def test_greedy_takes_the_best_for_the_first_line_and_starves_the_second():
    """A (0.9 on line 0, also eligible for line 1) and B (0.8, line 0 only); one post
    on each line for 3 weeks, full output at once. Greedy gives line 0 its best, A,
    and line 1 nobody: 3 post-weeks. The optimum puts B on 0 and A on 1: 6."""
    p = problem(
        [[1, 1, 1], [1, 1, 1]],
        [5],
        [0, 0],
        [(0, 0, 0.9, 0), (0, 1, 0.6, 0), (1, 0, 0.8, 0)],
        loan=3,
        ramp=(),
    )
    greedy, optimal = solve_greedy(p), solve_optimal(p)
    assert greedy.covered_total == 3 and optimal.covered_total == 6
    assert greedy.unmet == {(1, w): weekly.TAKEN for w in range(3)}
    assert optimal.total_score == pytest.approx(1.4)


def test_score_decides_between_equal_coverage():
    """Two people for one post: each alone covers its 2 post-weeks; the optimum
    takes one person, not both (no one leaves their job for output no week
    needs), and the one with the higher score."""
    p = problem([[1, 1]], [2], [0, 0], [(0, 0, 0.7, 0), (1, 0, 0.95, 0)], loan=2, ramp=())
    result = solve_optimal(p)
    assert result.covered_total == 2 and result.total_score == pytest.approx(0.95)


def test_caps_hold_every_week_and_loans_end():
    """Cap 1, loans of 1 week, 3 people, one post a week: the unit can lend one
    person at a time, so each week a different person (or the same unit slot) covers
    it: 3 post-weeks, never 2 on loan at once."""
    p = problem([[1, 1, 1]], [1], [0, 0, 0], [(i, 0, 0.9, 0) for i in range(3)], loan=1, ramp=())
    for result in (solve_optimal(p), solve_greedy(p)):
        assert result.covered_total == 3
        assert result.on_loan.max() == 1


@pytest.mark.parametrize(
    ("pairs", "caps", "reason"),
    [
        ([], [1], weekly.NO_ELIGIBLE),
        ([(0, 0, 0.9, 2)], [1], weekly.TRAINING),  # ready only in week 3
        ([(0, 0, 0.9, 0)], [0], weekly.CAPS),  # the unit may release nobody
    ],
)
def test_why_a_week_is_unmet(pairs, caps, reason):
    p = problem([[1, 0, 0]], caps, [0], pairs, loan=1, ramp=())
    for result in (solve_optimal(p), solve_greedy(p)):
        assert result.unmet == {(0, 0): reason}


def test_invalid_problems_are_refused():
    with pytest.raises(ValueError):
        solve_optimal(problem([[-1]], [1], [0], []))
    with pytest.raises(ValueError):
        solve_optimal(problem([[1]], [1], [0], [(0, 0, 0.5, 0)], loan=0))


def test_a_time_limit_before_any_solution_falls_back_to_greedy(monkeypatch):
    """When the solver has no allocation at all in time, the answer is greedy's,
    marked as stopped by the time limit, with its gap to the posts needed (the
    solver has no bound either): greedy covers 4 of 6 post-weeks, a gap of 50%."""
    p = problem([[3, 3]], [2], [0, 0], [(0, 0, 0.7, 0), (1, 0, 0.95, 0)], loan=2, ramp=())
    monkeypatch.setattr(
        weekly, "_run", lambda *args: ("no_solution", None, float("nan"), float("nan"))
    )
    result = solve_optimal(p)
    assert result.status == "time_limit"
    assert result.gap == pytest.approx(0.5)
    assert result.covered_total == solve_greedy(p).covered_total == 4


def test_starts_that_cover_no_needed_week_are_left_out():
    """Posts are needed in week 1 only, loans last 1 week: a start in weeks 2-4
    covers nothing, so the model has one start variable, not four."""
    p = problem([[1, 0, 0, 0]], [1], [0], [(0, 0, 0.9, 0)], loan=1, ramp=())
    result = solve_optimal(p)
    assert result.covered_total == 1
    assert result.model_size["variables"] == 1


def test_a_pair_with_only_useless_starts_is_dropped():
    """Ready only in week 3, when no more posts are needed: no variable at all."""
    p = problem([[1, 1, 0, 0]], [1], [0], [(0, 0, 0.9, 2)], loan=1, ramp=())
    result = solve_optimal(p)
    assert result.covered_total == 0 and len(result.pairs) == 0
    assert result.model_size is None  # nothing left to model


def test_coverage_is_held_in_whole_hundredths(monkeypatch):
    """Covered work is counted in hundredths of a post-week (whole numbers): a
    starter at 75% then full covers 1.75 post-weeks, 175 in the model."""
    p = problem([[1, 1]], [1], [0], [(0, 0, 0.9, 0)], loan=2, ramp=(0.75,))
    seen = []
    real = weekly._run

    def spy(backend, *args):
        status, values, value, bound = real(backend, *args)
        seen.append(value)
        return status, values, value, bound

    monkeypatch.setattr(weekly, "_run", spy)
    result = solve_optimal(p)
    assert result.covered_total == pytest.approx(1.75)
    assert seen[0] == pytest.approx(175)


def test_a_time_limit_in_the_people_stage_reports_its_gap(monkeypatch):
    """Coverage proved, then the headcount stage stops at its limit: the answer is
    its best allocation, marked "time_limit_people", with the gap to its bound."""
    p = problem([[1, 1]], [2], [0, 0], [(0, 0, 0.7, 0), (1, 0, 0.95, 0)], loan=2, ramp=())
    real = weekly._run
    calls = []

    def stop_second(backend, *args):
        status, values, value, bound = real(backend, *args)
        calls.append(status)
        if len(calls) == 2:
            return "time_limit", values, value, 0.5  # a bound of half a person
        return status, values, value, bound

    monkeypatch.setattr(weekly, "_run", stop_second)
    result = solve_optimal(p)
    assert result.status == "time_limit_people"
    assert len(result.pairs) == 1 and result.covered_total == 2
    assert result.gap == pytest.approx(0.5)  # |0.5 - 1| / max(1, 1)


def test_lines_keep_their_own_loans_and_ramps():
    """Line 0 ramps (50%) and lends for 1 week; line 1 gives full output at once and
    lends for 3. One person each, both from week 1: line 0 gets half a post in week 1
    only; line 1 a post in every week. The unit's cap of 1 would have held the
    second person back if line 0's loan had been line 1's 3 weeks."""
    p = problem(
        [[1, 1, 1], [1, 1, 1]],
        [2],
        [0, 0],
        [(0, 0, 0.9, 0), (1, 1, 0.9, 0)],
        line_loan_weeks=(1, 3),
        line_ramp=((0.5,), ()),
    )
    for result in (solve_optimal(p), solve_greedy(p)):
        assert result.supplied.tolist() == [[0.5, 0, 0], [1, 1, 1]]
        assert result.on_loan.tolist() == [[2, 1, 1]]


def test_per_line_inputs_need_one_value_per_line():
    p = problem([[1], [1]], [1], [0], [(0, 0, 0.9, 0)], line_loan_weeks=(1,))
    with pytest.raises(ValueError, match="one value per line"):
        solve_optimal(p)


def test_the_optimum_counts_each_line_at_its_own_ramp():
    """One person, eligible for both lines, better matched to line 0 (which ramps at
    25%) than to line 1 (full output at once). Line 1 covers 3 post-weeks and line 0
    only 2.25, so coverage sends them to line 1 whatever the scores."""
    p = problem(
        [[1, 1, 1], [1, 1, 1]],
        [1],
        [0],
        [(0, 0, 0.9, 0), (0, 1, 0.5, 0)],
        loan=3,
        line_loan_weeks=(3, 3),
        line_ramp=((0.25,), ()),
    )
    result = solve_optimal(p)
    assert result.covered_total == pytest.approx(3.0)
    assert p.pair_line[result.pairs].tolist() == [1]


def test_a_units_cap_counts_each_line_for_its_own_loan():
    """One unit, cap 1. B on line 1 (3-week loan) from week 1 covers 3 post-weeks;
    A on line 0 (1-week loan) could cover week 2 there, but B is still on loan
    then, so the cap allows only one of them."""
    p = problem(
        [[0, 1, 0], [1, 1, 1]],
        [1],
        [0, 0],
        [(0, 0, 0.9, 0), (1, 1, 0.9, 0)],
        line_loan_weeks=(1, 3),
        line_ramp=((), ()),
    )
    result = solve_optimal(p)
    assert result.covered_total == 3
    assert result.on_loan.max() == 1
