"""The surge solver is optimal: against brute force on small random instances
and an independent LP (scipy's HiGHS) on medium ones; greedy never beats it."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

from matching.surge import (
    CAPS_BOUND,
    NO_ELIGIBLE,
    SCORE_SCALE,
    TAKEN,
    SurgeProblem,
    release_caps,
    solve_greedy,
    solve_optimal,
)


def problem_from(headcount, caps, person_unit, pairs):
    person, line, score = zip(*pairs, strict=True) if pairs else ((), (), ())
    return SurgeProblem(
        headcount=np.array(headcount, dtype=np.int64),
        unit_cap=np.array(caps, dtype=np.int64),
        person_unit=np.array(person_unit, dtype=np.int64),
        pair_person=np.array(person, dtype=np.int64),
        pair_line=np.array(line, dtype=np.int64),
        pair_score=np.array(score, dtype=np.float64),
    )


def random_problem(rng, n_people, n_lines, n_units, density):
    person_unit = rng.integers(0, n_units, n_people)
    caps = rng.integers(0, 3, n_units)
    headcount = rng.integers(0, 4, n_lines)
    pairs = [
        (p, d, round(float(rng.uniform(0.5, 1.0)), 4))
        for p in range(n_people)
        for d in range(n_lines)
        if rng.random() < density
    ]
    return problem_from(headcount, caps, person_unit, pairs)


def brute_force(problem):
    """(posts, total scaled score) of the lexicographic optimum, by enumeration."""
    options = {p: [None] for p in range(len(problem.person_unit))}
    scaled = problem.scaled_scores()
    for i, (p, d) in enumerate(zip(problem.pair_person, problem.pair_line, strict=True)):
        options[int(p)].append((int(d), int(scaled[i])))
    best = (0, 0)
    for choice in itertools.product(*options.values()):
        filled = np.zeros(problem.n_lines, dtype=int)
        released = np.zeros(len(problem.unit_cap), dtype=int)
        total = 0
        for person, option in zip(options, choice, strict=True):
            if option is None:
                continue
            filled[option[0]] += 1
            released[problem.person_unit[person]] += 1
            total += option[1]
        if np.any(filled > problem.headcount) or np.any(released > problem.unit_cap):
            continue
        best = max(best, (int(filled.sum()), total))
    return best


def check_feasible(problem, allocation):
    people = problem.pair_person[allocation.pairs]
    assert len(set(people.tolist())) == len(people)
    assert np.all(allocation.filled <= problem.headcount)
    assert np.all(allocation.released <= problem.unit_cap)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_optimal_equals_brute_force_on_small_instances(seed):
    rng = np.random.default_rng(seed)
    problem = random_problem(rng, n_people=6, n_lines=3, n_units=3, density=0.5)
    optimal = solve_optimal(problem)
    greedy = solve_greedy(problem)
    check_feasible(problem, optimal)
    check_feasible(problem, greedy)
    posts, score = brute_force(problem)
    assert optimal.posts_filled == posts
    assert round(optimal.total_score * SCORE_SCALE) == score
    assert (greedy.posts_filled, greedy.total_score) <= (posts, score / SCORE_SCALE)


def lp_optimum(problem):
    """Lexicographic optimum by two LPs over the pair variables (the constraint
    matrix is totally unimodular, so the LP optimum is the integer optimum)."""
    n = len(problem.pair_person)
    rows, cols = [], []
    bounds_upper = []
    row = 0
    for line in range(problem.n_lines):
        idx = np.flatnonzero(problem.pair_line == line)
        rows += [row] * len(idx)
        cols += idx.tolist()
        bounds_upper.append(problem.headcount[line])
        row += 1
    for person in np.unique(problem.pair_person):
        idx = np.flatnonzero(problem.pair_person == person)
        rows += [row] * len(idx)
        cols += idx.tolist()
        bounds_upper.append(1)
        row += 1
    pair_unit = problem.person_unit[problem.pair_person]
    for unit in range(len(problem.unit_cap)):
        idx = np.flatnonzero(pair_unit == unit)
        rows += [row] * len(idx)
        cols += idx.tolist()
        bounds_upper.append(problem.unit_cap[unit])
        row += 1
    a = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(row, n)).tocsr()
    b = np.array(bounds_upper, dtype=float)
    posts = -linprog(-np.ones(n), A_ub=a, b_ub=b, bounds=(0, 1), method="highs").fun
    posts = round(posts)
    scores = problem.scaled_scores().astype(float)
    best = linprog(
        -scores,
        A_ub=a,
        b_ub=b,
        A_eq=np.ones((1, n)),
        b_eq=[posts],
        bounds=(0, 1),
        method="highs",
    )
    return posts, round(-best.fun)


@pytest.mark.parametrize("seed", range(8))
def test_optimal_equals_an_independent_lp_on_medium_instances(seed):
    rng = np.random.default_rng(1000 + seed)
    problem = random_problem(rng, n_people=300, n_lines=8, n_units=25, density=0.08)
    optimal = solve_optimal(problem)
    check_feasible(problem, optimal)
    posts, score = lp_optimum(problem)
    assert optimal.posts_filled == posts
    assert round(optimal.total_score * SCORE_SCALE) == score


def test_greedy_double_books_nobody_but_strips_the_best_people_first():
    # Line 0 takes the all-rounder A; line 1 then has nobody. Optimal: A to line 1, B to 0.
    problem = problem_from(
        headcount=[1, 1],
        caps=[5],
        person_unit=[0, 0],
        pairs=[(0, 0, 0.95), (1, 0, 0.85), (0, 1, 0.90)],
    )
    greedy, optimal = solve_greedy(problem), solve_optimal(problem)
    assert greedy.posts_filled == 1
    assert optimal.posts_filled == 2
    assert optimal.total_score == pytest.approx(1.75)
    assert greedy.unfilled_reasons == {1: TAKEN}
    assert optimal.unfilled_reasons == {}


def test_release_caps_and_unfilled_reasons():
    # Unit 0 may release one person of its two eligible; line 1 has nobody eligible.
    problem = problem_from(
        headcount=[2, 1],
        caps=[1],
        person_unit=[0, 0],
        pairs=[(0, 0, 0.9), (1, 0, 0.8)],
    )
    result = solve_optimal(problem)
    assert result.posts_filled == 1
    assert result.released.tolist() == [1]
    assert result.unfilled_reasons == {0: CAPS_BOUND, 1: NO_ELIGIBLE}


def test_scores_are_compared_at_one_ten_thousandth():
    problem = problem_from([1], [1], [0], [(0, 0, 0.123456)])
    assert solve_optimal(problem).total_score == pytest.approx(0.1235)


def test_empty_problem():
    problem = problem_from([3], [1], [0], [])
    result = solve_optimal(problem)
    assert result.posts_filled == 0
    assert result.unfilled_reasons == {0: NO_ELIGIBLE}


@pytest.mark.parametrize(("staff", "cap", "expected"), [(10, 0.2, 2), (4, 0.2, 0), (7, 0.5, 3)])
def test_release_cap_is_floor_of_cap_times_staff(staff, cap, expected):
    assert release_caps(np.array([staff]), cap).tolist() == [expected]


def test_greedy_follows_the_search_ranking_not_just_the_score():
    # Person 1 ranks first through a prior-role bonus although person 0 scores higher.
    base = problem_from([1], [5], [0, 0], [(0, 0, 0.9), (1, 0, 0.85)])
    ranked = SurgeProblem(
        **{
            **{f: getattr(base, f) for f in base.__dataclass_fields__},
            "pair_priority": np.array([0.9, 0.95]),
        }
    )
    assert base.pair_person[solve_greedy(base).pairs].tolist() == [0]
    assert ranked.pair_person[solve_greedy(ranked).pairs].tolist() == [1]
    assert ranked.pair_person[solve_optimal(ranked).pairs].tolist() == [0]  # optimum: score S
