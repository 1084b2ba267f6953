"""Week-by-week surge allocation with ramp-up and loans (DESIGN.md section 11).

Lines need ``need[l, t]`` posts in week t (``matching.demand``). Each eligible
(person, line) pair has a score and an earliest start week (availability and
training lead time). A person starts on at most one line, in a week at or after
their earliest start, and stays ``loan_weeks`` weeks (or to the horizon). In
their k-th week on the line a starter gives ``ramp[k]`` of a post's output
(then 1.0). Lines may differ in both (``line_loan_weeks``, ``line_ramp``): a
forecast line ramps up, a line typed as a headcount gives full output at once.
Each unit's release cap holds every week: the people of a unit on loan in any
week are at most its cap.

Objective, lexicographic (section 5 carried over):
1. the most covered work: the sum over lines and weeks of
   min(posts needed, output supplied), in post-weeks (a starter at 50% covers
   half a post-week);
2. among those, the fewest people started (nobody leaves their job for output
   no week needs);
3. among those, the greatest total match score, counted once per person
   started (as section 5 counts it per person allocated), at 1e-4.

``solve_optimal`` solves it exactly as a MIP (OR-Tools' linear solver, HiGHS by
default), one solve per level, each holding the levels before at their optimum.
Two reductions keep it compact and keep it exact:

- dominance: within a unit and a line, a pair is dropped when at least
  M = cap x ceil(weeks / the line's loan) other pairs there score at least as high and can
  start at least as early (M is the most people a unit can ever release over
  the horizon, so one of them is always free to take the dropped pair's place
  with no loss of coverage or score);
- identical people (same unit, same lines, starts and scores) become one
  counted group with integer variables.

When every line's loan runs to the horizon and no ramp falls, starting at the
earliest week is never worse (all of a unit's loans then end together, so an
earlier start cannot break a cap), and each pair keeps only that start.

``solve_greedy`` is the baseline: week by week, lines in order, each takes its
best-ranked free, ready people within caps until the week's need is met.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np
from ortools.linear_solver import pywraplp
from scipy.optimize import linear_sum_assignment

from matching.engine import rank_order

SCORE_SCALE = 10_000  # as matching.surge: scores compared at 1e-4
# Ramp values count in whole percent, so covered work is a multiple of 0.01
# post-weeks: holding a stage's coverage within 1e-4 is exact, and leaves the
# solvers' feasibility tolerance (1e-6) room (holding it at 1e-6 made HiGHS call
# an optimal point infeasible).
RAMP_DECIMALS = 2
COVERAGE_TOLERANCE = 1e-4

# Why a line's week is short of posts.
NO_ELIGIBLE = "no_eligible"  # fewer eligible people than posts, even at full output
TRAINING = "training_lead_time"  # the eligible people cannot be trained and ramped up by then
CAPS = "release_caps"  # eligible people are free but their units may release no more
TAKEN = "taken_by_other_lines"  # every eligible, ready person is on another line or loan


@dataclass(frozen=True)
class WeeklyProblem:
    need: np.ndarray  # int (lines x weeks): posts needed
    unit_cap: np.ndarray  # int per unit: most people on loan in any week
    person_unit: np.ndarray  # int per person
    pair_person: np.ndarray  # int per eligible pair
    pair_line: np.ndarray  # int per eligible pair
    pair_score: np.ndarray  # float in [0, 1] per eligible pair
    pair_start: np.ndarray  # int per eligible pair: earliest start week (0 = first)
    loan_weeks: int
    ramp: tuple[float, ...] = (0.5, 0.75)
    # Greedy's ranking (as matching.surge): per pair a priority, per person a tie-break.
    pair_priority: np.ndarray | None = None
    person_rank: np.ndarray | None = None
    # Per line, when lines differ: the loan (weeks) and the ramp; None: the above for all.
    line_loan_weeks: tuple[int, ...] | None = None
    line_ramp: tuple[tuple[float, ...], ...] | None = None

    @property
    def n_lines(self) -> int:
        return self.need.shape[0]

    @property
    def n_weeks(self) -> int:
        return self.need.shape[1]

    def scaled_scores(self) -> np.ndarray:
        return np.rint(np.asarray(self.pair_score, dtype=np.float64) * SCORE_SCALE).astype(np.int64)

    def loan_of(self, line: int) -> int:
        return self.loan_weeks if self.line_loan_weeks is None else self.line_loan_weeks[line]

    def ramp_of(self, line: int) -> tuple[float, ...]:
        return self.ramp if self.line_ramp is None else self.line_ramp[line]

    def output(self, k: np.ndarray | int, line: int = 0) -> np.ndarray:
        """A starter's output in their k-th week on the line (k = 0 is the first)."""
        steps = self.ramp_of(line)
        ramp = np.append(np.round(np.asarray(steps, dtype=np.float64), RAMP_DECIMALS), 1.0)
        return ramp[np.minimum(k, len(steps))]

    def profile(self, start: int, line: int = 0) -> np.ndarray:
        """Output per week (length n_weeks) of someone starting on ``line`` in ``start``."""
        weeks = np.arange(self.n_weeks)
        k = weeks - start
        on = (k >= 0) & (k < self.loan_of(line))
        return np.where(on, self.output(np.maximum(k, 0), line), 0.0)


@dataclass(frozen=True)
class WeeklyAllocation:
    pairs: np.ndarray  # chosen pair indices
    starts: np.ndarray  # start week of each chosen pair
    supplied: np.ndarray  # float (lines x weeks): output supplied
    covered: np.ndarray  # float (lines x weeks): min(need, supplied)
    on_loan: np.ndarray  # int (units x weeks)
    total_score: float
    unmet: dict[tuple[int, int], str]  # (line, week) -> reason, for weeks short of posts
    # "optimal"; "time_limit": the coverage stage stopped (gap: on coverage);
    # "time_limit_people": coverage proved, the headcount stage stopped (gap: on people);
    # "time_limit_score": coverage and headcount proved, the score stage stopped.
    status: str = "optimal"
    gap: float = 0.0  # relative gap to the bound of the stage the time limit stopped
    seconds: float = 0.0
    model_size: dict | None = None

    @property
    def covered_total(self) -> float:
        return float(self.covered.sum())


def _check(problem: WeeklyProblem) -> None:
    n = len(problem.pair_person)
    if not (len(problem.pair_line) == len(problem.pair_score) == len(problem.pair_start) == n):
        raise ValueError("eligible pairs need a person, a line, a score and a start week each")
    if problem.need.ndim != 2 or np.any(problem.need < 0):
        raise ValueError("posts needed are a (lines x weeks) matrix of whole numbers, 0 or more")
    if np.any(problem.unit_cap < 0):
        raise ValueError("caps cannot be negative")
    per_line_inputs = (
        ("line_loan_weeks", problem.line_loan_weeks),
        ("line_ramp", problem.line_ramp),
    )
    for name, per_line in per_line_inputs:
        if per_line is not None and len(per_line) != problem.n_lines:
            raise ValueError(f"{name} needs one value per line")
    loans = [problem.loan_of(line) for line in range(problem.n_lines)]
    ramps = [problem.ramp_of(line) for line in range(problem.n_lines)]
    if problem.loan_weeks < 1 or any(loan < 1 for loan in loans):
        raise ValueError("a loan lasts at least one week")
    if np.any(problem.pair_start < 0):
        raise ValueError("start weeks count from 0")
    if any(not (0 < r <= 1) for ramp in (problem.ramp, *ramps) for r in ramp):
        raise ValueError("each ramp value is a share of full output above 0 and at most 1")


def evaluate(
    problem: WeeklyProblem, pairs: np.ndarray, starts: np.ndarray, **extra
) -> WeeklyAllocation:
    """Figures for a given choice of pairs and start weeks, checked against every constraint."""
    pairs = np.asarray(pairs, dtype=np.int64)
    starts = np.asarray(starts, dtype=np.int64)
    order = np.argsort(pairs, kind="stable")
    pairs, starts = pairs[order], starts[order]
    people = problem.pair_person[pairs]
    if len(np.unique(people)) != len(people):
        raise AssertionError("a person was allocated twice")
    if np.any(starts < problem.pair_start[pairs]) or np.any(starts >= problem.n_weeks):
        raise AssertionError("a person starts before their earliest start or after the horizon")
    supplied = np.zeros(problem.need.shape, dtype=np.float64)
    on_loan = np.zeros((len(problem.unit_cap), problem.n_weeks), dtype=np.int64)
    weeks = np.arange(problem.n_weeks)
    for pair, start in zip(pairs.tolist(), starts.tolist(), strict=True):
        line = int(problem.pair_line[pair])
        supplied[line] += problem.profile(start, line)
        on = (weeks >= start) & (weeks < start + problem.loan_of(line))
        on_loan[problem.person_unit[problem.pair_person[pair]]] += on
    if np.any(on_loan > problem.unit_cap[:, None]):
        raise AssertionError("a unit's release cap was broken")
    covered = np.minimum(problem.need, supplied)
    total = int(problem.scaled_scores()[pairs].sum()) / SCORE_SCALE
    return WeeklyAllocation(
        pairs=pairs,
        starts=starts,
        supplied=supplied,
        covered=covered,
        on_loan=on_loan,
        total_score=total,
        unmet=_reasons(problem, pairs, starts, covered, on_loan),
        **extra,
    )


def _reasons(problem, pairs, starts, covered, on_loan) -> dict[tuple[int, int], str]:
    """For each (line, week) short of posts, the first of: not enough eligible
    people even at full output; not enough could be trained and ramped up by
    then; every one who could is on another line; their units' caps are used up."""
    used = np.zeros(len(problem.person_unit), dtype=bool)
    used[problem.pair_person[pairs]] = True
    out = {}
    short = np.argwhere(covered < problem.need - COVERAGE_TOLERANCE)
    for line, week in short.tolist():
        loan = problem.loan_of(line)
        need = problem.need[line, week]
        mine = np.flatnonzero(problem.pair_line == line)
        if len(np.unique(problem.pair_person[mine])) < need:
            out[(line, week)] = NO_ELIGIBLE
            continue
        ready = mine[problem.pair_start[mine] <= week]
        # The most a ready person can give this week: the best week of the ramp
        # they can be in by then, within one loan.
        best = np.array(
            [
                problem.output(np.arange(0, min(week - s, loan - 1) + 1), line).max()
                for s in problem.pair_start[ready].tolist()
            ]
        )
        if best.sum() < need - COVERAGE_TOLERANCE:
            out[(line, week)] = TRAINING
            continue
        free = ready[~used[problem.pair_person[ready]]]
        out[(line, week)] = CAPS if len(free) else TAKEN
    return out


# --- the exact solver ----------------------------------------------------------------


def _kept_pairs(problem: WeeklyProblem) -> np.ndarray:
    """Pairs that survive the dominance reduction (see the module's docstring)."""
    n_weeks = problem.n_weeks
    line_loan = np.array([problem.loan_of(line) for line in range(problem.n_lines)])
    unit = problem.person_unit[problem.pair_person]
    cap = problem.unit_cap[unit]
    start = problem.pair_start
    candidate = np.flatnonzero((cap > 0) & (start < n_weeks))
    if len(candidate) == 0:
        return candidate
    # Over the horizon a unit can release at most cap x ceil(weeks / loan) people to
    # one line: each holds a place for the line's loan.
    most = cap[candidate] * np.ceil(n_weeks / line_loan[problem.pair_line[candidate]]).astype(
        np.int64
    )
    scores = problem.scaled_scores()[candidate]
    # Within each (unit, line): best score first, then earliest start, then pair index.
    order = np.lexsort(
        (candidate, start[candidate], -scores, problem.pair_line[candidate], unit[candidate])
    )
    c = candidate[order]
    group_key = unit[c].astype(np.int64) * problem.n_lines + problem.pair_line[c]
    group_start = np.r_[0, np.flatnonzero(np.diff(group_key)) + 1]
    first = np.repeat(group_start, np.diff(np.r_[group_start, len(c)]))
    dominators = np.zeros(len(c), dtype=np.int64)
    s = start[c]
    for week in np.unique(s).tolist():
        ready = (s <= week).astype(np.int64)
        cum = np.cumsum(ready)
        before = cum - ready  # ready pairs before this one in the whole order
        within = before - (cum[first] - ready[first])  # ... within its (unit, line)
        here = s == week
        dominators[here] = within[here]
    return np.sort(c[dominators < most[order]])


def solve_optimal(
    problem: WeeklyProblem,
    time_limit: float = 30.0,
    solver: str = "HIGHS",
    relative_gap: float = 0.0,
) -> WeeklyAllocation:
    """Most covered post-weeks, then greatest total score: exact unless the time
    limit stops it (then ``status`` is "time_limit" and ``gap`` the relative gap)."""
    _check(problem)
    began = time.perf_counter()
    n_lines, n_weeks = problem.n_lines, problem.n_weeks
    kept = _kept_pairs(problem)
    if len(kept) == 0 or problem.need.sum() == 0:
        return evaluate(problem, [], [], seconds=time.perf_counter() - began)
    earliest_only = all(
        problem.loan_of(line) >= n_weeks
        and bool(np.all(np.diff(problem.output(np.arange(n_weeks + 1), line)) >= 0))
        for line in range(n_lines)
    )

    # People who are interchangeable for coverage form one counted group: the same
    # (line, earliest start) pairs, and the same unit where the unit's cap can bind;
    # people of units with no more candidates than their cap are pooled across units.
    scores = problem.scaled_scores()
    person_pairs: dict[int, dict[int, int]] = {}
    for pair in kept.tolist():
        person_pairs.setdefault(int(problem.pair_person[pair]), {})[
            int(problem.pair_line[pair])
        ] = pair
    people_in_unit = np.bincount(
        problem.person_unit[list(person_pairs)], minlength=len(problem.unit_cap)
    )
    binding = people_in_unit > problem.unit_cap
    groups: dict[tuple, list[int]] = {}
    for person, by_line in person_pairs.items():
        unit = int(problem.person_unit[person])
        key = (
            unit if binding[unit] else -1,
            tuple((line, int(problem.pair_start[pair])) for line, pair in sorted(by_line.items())),
        )
        groups.setdefault(key, []).append(person)

    mip = pywraplp.Solver.CreateSolver(solver)
    if mip is None:
        raise RuntimeError(f"the {solver} solver is not available in this OR-Tools")
    infinity = mip.infinity()
    # Each start variable appears in three rows only: its group's, its line's starts
    # that week and its unit's starts that week. Supply and loans are then sums of
    # those start counts over the ramp and the loan, which keeps the model sparse
    # (a start variable in every week's supply and cap rows made presolve crawl).
    line_starts = [[[] for _ in range(n_weeks)] for _ in range(n_lines)]
    # Per unit, per loan length (lines may differ), the start variables of each week.
    unit_starts: dict[int, dict[int, list[list]]] = {}
    variables = []  # (variable, group key, line, start)
    group_line_vars: dict[tuple, list] = {}
    for key, people in groups.items():
        unit, signature = key
        count = len(people)
        mine = []
        for line, earliest in signature:
            for start in [earliest] if earliest_only else range(earliest, n_weeks):
                var = mip.BoolVar("") if count == 1 else mip.IntVar(0, count, "")
                mine.append(var)
                variables.append((var, key, line, start))
                group_line_vars.setdefault((key, line), []).append(var)
                line_starts[line][start].append(var)
                if unit >= 0:
                    by_loan = unit_starts.setdefault(unit, {})
                    by_loan.setdefault(problem.loan_of(line), [[] for _ in range(n_weeks)])[
                        start
                    ].append(var)
        if len(mine) > 1:
            mip.Add(mip.Sum(mine) <= count)
    caps = 0
    for unit, by_loan in unit_starts.items():
        cap = int(problem.unit_cap[unit])
        started = {}
        for loan, starts_here in by_loan.items():
            started[loan] = []
            for terms in starts_here:
                n = mip.NumVar(0, cap, "")
                mip.Add(n == mip.Sum(terms))
                started[loan].append(n)
        for week in range(n_weeks):
            on_loan = [
                n
                for loan, numbers in started.items()
                for n in numbers[max(0, week - loan + 1) : week + 1]
            ]
            mip.Add(mip.Sum(on_loan) <= cap)
            caps += 1
    starters = []
    for line in range(n_lines):
        row = []
        for terms in line_starts[line]:
            n = mip.NumVar(0, infinity, "")
            mip.Add(n == mip.Sum(terms))
            row.append(n)
        starters.append(row)
    covered = []
    for line in range(n_lines):
        loan = problem.loan_of(line)
        for week in range(n_weeks):
            need = float(problem.need[line, week])
            if need == 0:
                continue
            terms = [
                float(problem.output(week - start, line)) * starters[line][start]
                for start in range(max(0, week - loan + 1), week + 1)
            ]
            c = mip.NumVar(0, need, "")
            mip.Add(c <= mip.Sum(terms))
            covered.append(c)
    size = {
        "pairs": len(problem.pair_person),
        "kept_pairs": len(kept),
        "groups": len(groups),
        "variables": len(variables),
        "cap_rows": caps,
    }

    remaining = time_limit - (time.perf_counter() - began)
    mip.SetTimeLimit(max(1, int(remaining * 1000)))
    mip.Maximize(mip.Sum(covered))
    status, gap = _run(mip, relative_gap)
    if status == "no_solution":
        # Not even the first stage's root was solved in time (very dense eligibility):
        # the greedy allocation is still a feasible answer, with no bound to give a gap.
        size["coverage_seconds"] = round(time.perf_counter() - began, 2)
        return dataclasses.replace(
            solve_greedy(problem),
            status="time_limit",
            gap=float("nan"),
            seconds=time.perf_counter() - began,
            model_size=size,
        )
    values = [var.solution_value() for var, *_ in variables]
    size["coverage_seconds"] = round(time.perf_counter() - began, 2)
    remaining = time_limit - (time.perf_counter() - began)
    if status == "optimal" and remaining > 0:
        # Second stage: coverage held at its optimum, the fewest people taken from
        # their jobs (without it, the score stage would add people whose output no
        # week needs, for their score alone).
        mip.Add(mip.Sum(covered) >= mip.Objective().Value() - COVERAGE_TOLERANCE)
        mip.Minimize(mip.Sum([var for var, *_ in variables]))
        # No SetHint with the coverage optimum: OR-Tools 9.15's HiGHS interface
        # crashes the process on it.
        mip.SetTimeLimit(max(1, int(remaining * 1000)))
        status, gap = _run(mip, relative_gap)
        if status != "no_solution":
            values = [var.solution_value() for var, *_ in variables]
        if status != "optimal":
            status = "time_limit_people"
        remaining = time_limit - (time.perf_counter() - began)
    if status == "optimal" and remaining > 0:
        # Third stage: coverage and headcount held, the most score. Which people
        # of a group take its places is an assignment (people x lines, each person
        # at most once, each line the group's count): integral once the counts are.
        mip.Add(mip.Sum([var for var, *_ in variables]) <= round(mip.Objective().Value()))
        score_terms = []
        for key, people in groups.items():
            chosen = {line: [] for line, _ in key[1]}
            for person in people:
                mine = []
                for line, pair in person_pairs[person].items():
                    z = mip.NumVar(0, 1, "")
                    chosen[line].append(z)
                    mine.append(z)
                    score_terms.append(int(scores[pair]) * z)
                if len(mine) > 1:
                    mip.Add(mip.Sum(mine) <= 1)
            for line, zs in chosen.items():
                mip.Add(mip.Sum(zs) == mip.Sum(group_line_vars[(key, line)]))
        mip.Maximize(mip.Sum(score_terms))
        mip.SetTimeLimit(max(1, int(remaining * 1000)))
        status, gap = _run(mip, relative_gap)
        if status != "no_solution":
            values = [var.solution_value() for var, *_ in variables]
        if status != "optimal":
            status = "time_limit_score"
    elif status == "optimal":
        # Coverage (and headcount) were proved but no time is left to rank by score.
        status, gap = "time_limit_score", float("nan")

    # Places per (group, line) and their start weeks, then the best people for them.
    places: dict[tuple, dict[int, list[int]]] = {}
    for (_, key, line, start), value in zip(variables, values, strict=True):
        n = int(round(value))
        if n:
            places.setdefault(key, {}).setdefault(line, []).extend([start] * n)
    chosen_pairs, chosen_starts = [], []
    for key, by_line in places.items():
        for person, line in _assign(groups[key], by_line, person_pairs, scores):
            chosen_pairs.append(person_pairs[person][line])
            chosen_starts.append(by_line[line].pop())
    return evaluate(
        problem,
        chosen_pairs,
        chosen_starts,
        status=status,
        gap=gap,
        seconds=time.perf_counter() - began,
        model_size=size,
    )


def _assign(people, places, person_pairs, scores) -> list[tuple[int, int]]:
    """The group's people to its places on each line, greatest total score
    (a maximum-weight assignment; with one line, simply the best people)."""
    slots = [line for line, starts in places.items() for _ in starts]
    weight = np.array(
        [[scores[person_pairs[p][line]] for line in slots] for p in people], dtype=np.float64
    )
    rows, cols = linear_sum_assignment(weight, maximize=True)
    return [(people[r], slots[c]) for r, c in zip(rows.tolist(), cols.tolist(), strict=True)]


def _run(mip, relative_gap: float) -> tuple[str, float]:
    """One stage: "optimal", "time_limit" with the relative gap of the incumbent,
    or "no_solution" when the limit came before any solution of this stage."""
    params = pywraplp.MPSolverParameters()
    # The solvers' default stops within 0.01% of the bound: the lexicographic
    # stages need the true optimum of each stage before holding it.
    params.SetDoubleParam(pywraplp.MPSolverParameters.RELATIVE_MIP_GAP, relative_gap)
    result = mip.Solve(params)
    if result == pywraplp.Solver.OPTIMAL:
        return "optimal", 0.0
    if result == pywraplp.Solver.FEASIBLE:
        value, bound = mip.Objective().Value(), mip.Objective().BestBound()
        return "time_limit", abs(bound - value) / max(1.0, abs(value))
    if result in (
        pywraplp.Solver.INFEASIBLE,
        pywraplp.Solver.UNBOUNDED,
        pywraplp.Solver.MODEL_INVALID,
    ):
        raise RuntimeError(f"the weekly allocation model is broken (status {result})")
    return "no_solution", float("nan")


# --- the greedy baseline ---------------------------------------------------------------


def solve_greedy(problem: WeeklyProblem) -> WeeklyAllocation:
    """Week by week, lines in order: each takes its best-ranked free people who
    are ready and whose units can release them for the loan, until the week's
    posts are covered (counting starters at the ramp)."""
    _check(problem)
    began = time.perf_counter()
    n_weeks = problem.n_weeks
    scores = np.asarray(problem.pair_score, dtype=np.float64)
    priority = scores if problem.pair_priority is None else problem.pair_priority
    person_rank = (
        np.arange(len(problem.person_unit)) if problem.person_rank is None else problem.person_rank
    )
    ranked = []
    for line in range(problem.n_lines):
        pairs = np.flatnonzero(problem.pair_line == line)
        ranked.append(
            pairs[
                rank_order(priority[pairs], scores[pairs], person_rank[problem.pair_person[pairs]])
            ].tolist()
        )
    taken = np.zeros(len(problem.person_unit), dtype=bool)
    on_loan = np.zeros((len(problem.unit_cap), n_weeks), dtype=np.int64)
    supplied = np.zeros(problem.need.shape, dtype=np.float64)
    pair_unit = problem.person_unit[problem.pair_person]
    chosen, starts = [], []
    for week in range(n_weeks):
        for line in range(problem.n_lines):
            end = min(week + problem.loan_of(line), n_weeks)
            if supplied[line, week] >= problem.need[line, week]:
                continue
            for pair in ranked[line]:
                person = problem.pair_person[pair]
                if taken[person] or problem.pair_start[pair] > week:
                    continue
                unit = pair_unit[pair]
                if on_loan[unit, week:end].max() >= problem.unit_cap[unit]:
                    continue
                taken[person] = True
                on_loan[unit, week:end] += 1
                supplied[line] += problem.profile(week, line)
                chosen.append(pair)
                starts.append(week)
                if supplied[line, week] >= problem.need[line, week]:
                    break
    return evaluate(problem, chosen, starts, seconds=time.perf_counter() - began)
