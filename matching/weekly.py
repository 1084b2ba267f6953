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

``solve_optimal`` solves it exactly as a MIP in HiGHS (``highspy``; another
OR-Tools linear solver by name), one solve per level, each holding the levels
before at their optimum. Every column is a whole number: start counts and
their sums, covered work in hundredths of a post-week (ramp values are whole
percents) and scores in SCORE_SCALE units, so each level is held exactly and a
bound less than 1 above a solution proves it optimal (the old continuous
model, run through OR-Tools, stopped at HiGHS's default 0.01% gap and could
miss up to a post-week of coverage at department scale). Reductions keep it
compact and keep it exact:

- dominance: within a unit and a line, a pair is dropped when at least
  M = cap x ceil(weeks / the line's loan) other pairs there score at least as high and can
  start at least as early (M is the most people a unit can ever release over
  the horizon, so one of them is always free to take the dropped pair's place
  with no loss of coverage or score);
- useless starts: a start whose loan covers no week that needs posts on the
  line adds no coverage and takes a person, so no optimum uses it; a pair with
  only such starts is dropped;
- interchangeable people (the same lines and earliest starts, and the same unit
  where its cap can bind) become one counted group with integer variables;
  which of them take the group's places, for the score, is an assignment.

When every line's loan runs to the horizon and no ramp falls, starting at the
earliest week is never worse (all of a unit's loans then end together, so an
earlier start cannot break a cap), and each pair keeps only that start.

HiGHS quirks met on the way (1.16, also 1.12): an objective over thousands of
columns, continuous columns, or a MIP start (setSolution) each made its root
rounding heuristic (central rounding's line search) run for minutes past the
time limit; the stage objectives therefore sit on a few aggregate columns
(starters per line and week, score per line), and no start is given. A time
limit is still only as good as HiGHS's checks of it.

Measured (``benchmarks/weekly_bench.py --people 100000 --units 2000 --lines 10
--weeks 12``, seeds 1-3, a 2-core machine shared with other jobs, load 2.2-3.6):
all three levels proved optimal in 16-29 s within the 30 s limit, most covered
work in 0.6-4.1 s. The OR-Tools model before took 14-76 s (load 0.7-2.0), one
seed overrunning the 30 s limit by 45 s, and its "optimal" coverage was 0.5-0.8
post-weeks short. At load 4-4.5 the later levels can reach the limit (status
"time_limit_people"/"time_limit_score", coverage still proved). With dense
eligibility (``--share 0.05,0.2``: 120,000 pairs, 1.1 million start variables)
no solution comes within the limit and the answer is greedy's, with its gap to
the posts needed (0.47-0.90); the model before did not finish one seed in 23
minutes.

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
# post-weeks: the MIP counts it in whole hundredths, and a bound within
# 1 - COVERAGE_TOLERANCE of a whole-number objective proves it optimal.
RAMP_DECIMALS = 2
COVERAGE_TOLERANCE = 1e-4
HUNDREDTHS = 10**RAMP_DECIMALS

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


@dataclass
class _Model:
    """The MIP in matrix form. Columns: one start count per (group, line, start
    week), then per (line, week) the starters, per (capped unit, week) the unit's
    starters, per (line, week) with posts needed the covered posts."""

    groups: dict[tuple, list[int]]
    person_pairs: dict[int, dict[int, int]]
    var_key: list[tuple]  # per start variable: its group's key
    var_line: np.ndarray
    var_start: np.ndarray
    var_count: np.ndarray  # the group's size: the variable's upper bound
    var_unit: np.ndarray  # the group's unit where its cap can bind, else -1
    n_cols: int
    lower: np.ndarray
    upper: np.ndarray
    integer: np.ndarray  # bool per column
    rows: object  # scipy.sparse CSR matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    starters: np.ndarray  # column of (line, week)'s starters
    unit_cols: dict[int, np.ndarray]  # capped unit -> its starters' columns per week
    cover_cols: np.ndarray  # columns of covered posts
    cover_cells: np.ndarray  # (line, week) of each

    @property
    def n_vars(self) -> int:
        return len(self.var_line)


def _useful_starts(problem: WeeklyProblem) -> np.ndarray:
    """useful[line, s]: a start in week s covers some week that needs posts on the
    line. A start that covers none never helps: it adds no coverage and takes a
    person (the second stage would drop it), so it is left out, exactly."""
    n_weeks = problem.n_weeks
    loan = np.array([problem.loan_of(line) for line in range(problem.n_lines)])[:, None]
    cum = np.concatenate(
        [np.zeros((problem.n_lines, 1), dtype=np.int64), np.cumsum(problem.need > 0, axis=1)],
        axis=1,
    )
    s = np.arange(n_weeks)[None, :]
    rows = np.arange(problem.n_lines)[:, None]
    return cum[rows, np.minimum(s + loan, n_weeks)] - cum[rows, s] > 0


def _build(problem: WeeklyProblem, kept: np.ndarray, earliest_only: bool) -> _Model | None:
    from scipy.sparse import coo_matrix

    n_lines, n_weeks = problem.n_lines, problem.n_weeks
    useful = _useful_starts(problem)
    # Lines may lend for different lengths: a unit's starters are counted per loan
    # length, so its people on loan in a week are summed over each length's window.
    loans = sorted({problem.loan_of(line) for line in range(n_lines)})
    loan_class = np.array([loans.index(problem.loan_of(line)) for line in range(n_lines)])
    n_classes = len(loans)
    # Per pair its useful starts; a pair with none is dropped.
    later_useful = np.flip(np.cumsum(np.flip(useful, axis=1), axis=1), axis=1) > 0
    kept = kept[later_useful[problem.pair_line[kept], problem.pair_start[kept]]]
    if len(kept) == 0:
        return None
    # People who are interchangeable for coverage form one counted group: the same
    # (line, earliest start) pairs, and the same unit where the unit's cap can bind;
    # people of units with no more candidates than their cap are pooled across units.
    person_pairs: dict[int, dict[int, int]] = {}
    for pair, person, line in zip(
        kept.tolist(),
        problem.pair_person[kept].tolist(),
        problem.pair_line[kept].tolist(),
        strict=True,
    ):
        person_pairs.setdefault(person, {})[line] = pair
    people_in_unit = np.bincount(
        problem.person_unit[list(person_pairs)], minlength=len(problem.unit_cap)
    )
    binding = people_in_unit > problem.unit_cap
    start_of = problem.pair_start
    groups: dict[tuple, list[int]] = {}
    for person, by_line in person_pairs.items():
        unit = int(problem.person_unit[person])
        key = (
            unit if binding[unit] else -1,
            tuple((line, int(start_of[pair])) for line, pair in sorted(by_line.items())),
        )
        groups.setdefault(key, []).append(person)

    var_key, var_line, var_start, var_count, var_group = [], [], [], [], []
    for g, (key, people) in enumerate(groups.items()):
        for line, earliest in key[1]:
            starts = [earliest] if earliest_only else range(earliest, n_weeks)
            for start in starts:
                if useful[line, start]:
                    var_key.append(key)
                    var_line.append(line)
                    var_start.append(start)
                    var_count.append(len(people))
                    var_group.append(g)
    var_line = np.array(var_line, dtype=np.int64)
    var_start = np.array(var_start, dtype=np.int64)
    var_count = np.array(var_count, dtype=np.int64)
    var_group = np.array(var_group, dtype=np.int64)
    var_unit = np.array([key[0] for key in var_key], dtype=np.int64)
    nx = len(var_line)

    # Columns.
    starters = nx + np.arange(n_lines * n_weeks).reshape(n_lines, n_weeks)
    col = nx + n_lines * n_weeks
    capped = np.unique(var_unit[var_unit >= 0])
    unit_index = {int(u): i for i, u in enumerate(capped.tolist())}
    unit_base = col
    col += len(capped) * n_classes * n_weeks
    cells = np.argwhere(problem.need > 0)
    cover_cols = col + np.arange(len(cells))
    n_cols = col + len(cells)
    lower = np.zeros(n_cols)
    upper = np.full(n_cols, np.inf)
    upper[:nx] = var_count
    upper[unit_base : unit_base + len(capped) * n_classes * n_weeks] = np.repeat(
        problem.unit_cap[capped], n_classes * n_weeks
    )
    upper[cover_cols] = problem.need[cells[:, 0], cells[:, 1]] * HUNDREDTHS
    # Every column is integral: start counts, their sums, covered work in hundredths
    # of a post-week and the score in SCORE_SCALE units. Declaring them so is exact
    # and lets HiGHS's rounding heuristics check a point by propagation alone
    # (with continuous columns each try solves an LP, which at the root took
    # minutes, past the time limit).
    integer = np.ones(n_cols, dtype=bool)

    r, c, v, lo, hi = [], [], [], [], []
    n_rows = 0

    def rows(row_idx, col_idx, values, row_lo, row_hi):
        nonlocal n_rows
        r.append(np.asarray(row_idx, dtype=np.int64) + n_rows)
        c.append(np.asarray(col_idx, dtype=np.int64))
        v.append(np.asarray(values, dtype=np.float64))
        lo.append(np.asarray(row_lo, dtype=np.float64))
        hi.append(np.asarray(row_hi, dtype=np.float64))
        n_rows += len(lo[-1])

    # A group's people start at most once each.
    per_group = np.bincount(var_group, minlength=len(groups))
    multi = np.flatnonzero(per_group > 1)
    row_of = np.full(len(groups), -1)
    row_of[multi] = np.arange(len(multi))
    mine = row_of[var_group] >= 0
    sizes = np.array([len(p) for p in groups.values()], dtype=np.float64)
    rows(
        row_of[var_group][mine],
        np.flatnonzero(mine),
        np.ones(mine.sum()),
        np.zeros(len(multi)) - np.inf,
        sizes[multi],
    )
    # Starters per (line, week) and per (capped unit, week).
    cell = var_line * n_weeks + var_start
    rows(
        np.r_[np.arange(n_lines * n_weeks), cell],
        np.r_[starters.ravel(), np.arange(nx)],
        np.r_[np.ones(n_lines * n_weeks), -np.ones(nx)],
        np.zeros(n_lines * n_weeks),
        np.zeros(n_lines * n_weeks),
    )
    unit_cols = {}
    if len(capped):
        in_unit = np.flatnonzero(var_unit >= 0)
        u_index = np.array([unit_index[u] for u in var_unit[in_unit].tolist()], dtype=np.int64)
        u_cell = (u_index * n_classes + loan_class[var_line[in_unit]]) * n_weeks + var_start[
            in_unit
        ]
        n_u = len(capped) * n_classes * n_weeks
        rows(
            np.r_[np.arange(n_u), u_cell],
            np.r_[unit_base + np.arange(n_u), in_unit],
            np.r_[np.ones(n_u), -np.ones(len(in_unit))],
            np.zeros(n_u),
            np.zeros(n_u),
        )
        # Each week, the unit's people on loan (started within the last loan weeks of
        # each loan length): one row per (unit, week).
        weeks = np.arange(n_weeks)
        for_units = np.arange(len(capped))[:, None]
        ri, ci = [], []
        for k, loan in enumerate(loans):
            for back in range(min(loan, n_weeks)):
                w = weeks[weeks - back >= 0]
                ri.append((for_units * n_weeks + w[None, :]).ravel())
                ci.append(
                    (
                        unit_base + ((for_units * n_classes + k) * n_weeks) + (w - back)[None, :]
                    ).ravel()
                )
        rows(
            np.concatenate(ri),
            np.concatenate(ci),
            np.ones(sum(len(x) for x in ri)),
            np.full(len(capped) * n_weeks, -np.inf),
            np.repeat(problem.unit_cap[capped], n_weeks).astype(np.float64),
        )
        for u, i in unit_index.items():
            unit_cols[u] = unit_base + i * n_classes * n_weeks + np.arange(n_classes * n_weeks)
    # Covered posts: at most the output of the line's starters that week.
    ri, ci, vi = [], [], []
    for k, (line, week) in enumerate(cells.tolist()):
        ri.append(k)
        ci.append(int(cover_cols[k]))
        vi.append(1.0)
        for start in range(max(0, week - problem.loan_of(line) + 1), week + 1):
            ri.append(k)
            ci.append(int(starters[line, start]))
            vi.append(-float(round(problem.output(week - start, line) * HUNDREDTHS)))
    rows(ri, ci, vi, np.full(len(cells), -np.inf), np.zeros(len(cells)))

    matrix = coo_matrix(
        (np.concatenate(v), (np.concatenate(r), np.concatenate(c))), shape=(n_rows, n_cols)
    ).tocsr()
    return _Model(
        groups=groups,
        person_pairs=person_pairs,
        var_key=var_key,
        var_line=var_line,
        var_start=var_start,
        var_count=var_count,
        var_unit=var_unit,
        n_cols=n_cols,
        lower=lower,
        upper=upper,
        integer=integer,
        rows=matrix,
        row_lower=np.concatenate(lo),
        row_upper=np.concatenate(hi),
        starters=starters,
        unit_cols=unit_cols,
        cover_cols=cover_cols,
        cover_cells=cells,
    )


def _places(model: _Model, x: np.ndarray) -> dict[tuple, dict[int, list[int]]]:
    """Places per (group, line) and their start weeks."""
    places: dict[tuple, dict[int, list[int]]] = {}
    for i in np.flatnonzero(np.rint(x) > 0).tolist():
        places.setdefault(model.var_key[i], {}).setdefault(int(model.var_line[i]), []).extend(
            [int(model.var_start[i])] * int(round(x[i]))
        )
    return places


class _HighsBackend:
    """The model in HiGHS (highspy), kept between the stages."""

    def __init__(self, model: _Model):
        import highspy

        self.highspy = highspy
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        lp = highspy.HighsLp()
        lp.num_col_ = model.n_cols
        lp.num_row_ = model.rows.shape[0]
        lp.col_cost_ = np.zeros(model.n_cols)
        lp.col_lower_ = model.lower
        lp.col_upper_ = np.where(np.isinf(model.upper), highspy.kHighsInf, model.upper)
        lp.row_lower_ = np.where(np.isinf(model.row_lower), -highspy.kHighsInf, model.row_lower)
        lp.row_upper_ = np.where(np.isinf(model.row_upper), highspy.kHighsInf, model.row_upper)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.num_col_ = model.n_cols
        lp.a_matrix_.num_row_ = model.rows.shape[0]
        lp.a_matrix_.start_ = model.rows.indptr.astype(np.int32)
        lp.a_matrix_.index_ = model.rows.indices.astype(np.int32)
        lp.a_matrix_.value_ = model.rows.data
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
            for i in model.integer.tolist()
        ]
        h.passModel(lp)
        # Symmetry detection cost more than it saved here (people of a group are
        # already one counted variable).
        h.setOptionValue("mip_detect_symmetry", False)
        self.h = h
        self.n_cols = model.n_cols

    def add_row(self, cols, values, lower, upper) -> None:
        inf = self.highspy.kHighsInf
        cols = np.asarray(cols, dtype=np.int32)
        self.h.addRow(
            max(lower, -inf), min(upper, inf), len(cols), cols, np.asarray(values, dtype=np.float64)
        )

    def add_columns(self, n: int, upper: float) -> np.ndarray:
        """n integer columns from 0 to upper."""
        self.h.addVars(n, np.zeros(n), np.full(n, upper))
        first, self.n_cols = self.n_cols, self.n_cols + n
        cols = np.arange(first, self.n_cols, dtype=np.int32)
        self.h.changeColsIntegrality(n, cols, np.full(n, self.highspy.HighsVarType.kInteger))
        return cols.astype(np.int64)

    def objective(self, cols, costs, maximize: bool) -> None:
        cost = np.zeros(self.n_cols)
        cost[np.asarray(cols, dtype=np.int64)] = costs
        self.h.changeColsCost(self.n_cols, np.arange(self.n_cols, dtype=np.int32), cost)
        sense = self.highspy.ObjSense
        self.h.changeObjectiveSense(sense.kMaximize if maximize else sense.kMinimize)

    def solve(self, time_limit, relative_gap, absolute_gap):
        h = self.h
        h.setOptionValue("time_limit", float(max(time_limit, 0.01)))
        h.setOptionValue("mip_rel_gap", float(relative_gap))
        h.setOptionValue("mip_abs_gap", float(absolute_gap))
        # No MIP start (setSolution), though greedy's or the stage before's
        # allocation is at hand: with one, HiGHS 1.16 stalled at the root in
        # propagation for minutes past its time limit; without, it finds them itself.
        h.run()
        status = h.getModelStatus()
        statuses = self.highspy.HighsModelStatus
        if status in (statuses.kInfeasible, statuses.kUnbounded, statuses.kUnboundedOrInfeasible):
            raise RuntimeError(f"the weekly allocation model is broken ({status})")
        info = h.getInfo()
        if info.primal_solution_status != self.highspy.SolutionStatus.kSolutionStatusFeasible:
            return "no_solution", None, float("nan"), float("nan")
        values = np.asarray(h.getSolution().col_value)
        value, bound = info.objective_function_value, info.mip_dual_bound
        return ("optimal" if status == statuses.kOptimal else "time_limit"), values, value, bound


def _run(backend, time_limit, relative_gap, absolute_gap):
    """One stage: ("optimal" | "time_limit" | "no_solution", column values,
    objective value, best bound)."""
    return backend.solve(time_limit, relative_gap, absolute_gap)


def solve_optimal(
    problem: WeeklyProblem,
    time_limit: float = 30.0,
    solver: str = "HIGHS",
    relative_gap: float = 0.0,
) -> WeeklyAllocation:
    """Most covered post-weeks, then fewest people, then greatest total score:
    exact unless the time limit stops it (then ``status`` names the stage and
    ``gap`` is that stage's relative gap to its bound)."""
    _check(problem)
    began = time.perf_counter()

    def left() -> float:
        return time_limit - (time.perf_counter() - began)

    kept = _kept_pairs(problem)
    if len(kept) == 0 or problem.need.sum() == 0:
        return evaluate(problem, [], [], seconds=time.perf_counter() - began)
    n_weeks = problem.n_weeks
    earliest_only = all(
        problem.loan_of(line) >= n_weeks
        and bool(np.all(np.diff(problem.output(np.arange(n_weeks + 1), line)) >= 0))
        for line in range(problem.n_lines)
    )
    model = _build(problem, kept, earliest_only)
    if model is None:
        return evaluate(problem, [], [], seconds=time.perf_counter() - began)
    scores = problem.scaled_scores()
    size = {
        "pairs": len(problem.pair_person),
        "kept_pairs": sum(len(p) for p in model.person_pairs.values()),
        "groups": len(model.groups),
        "variables": model.n_vars,
        "cap_rows": len(model.unit_cols) * problem.n_weeks,
    }
    size["build_seconds"] = round(time.perf_counter() - began, 2)
    backend = _HighsBackend(model) if solver.upper() == "HIGHS" else _OrToolsBackend(model, solver)
    nx = model.n_vars

    # First stage: the most covered work (in hundredths of a post-week: whole numbers,
    # so a bound less than 1 above a solution proves it optimal).
    backend.objective(model.cover_cols, 1.0, maximize=True)
    status, values, value, bound = _run(backend, left(), relative_gap, 1 - COVERAGE_TOLERANCE)
    size["coverage_seconds"] = round(time.perf_counter() - began, 2)
    if status == "no_solution":
        greedy = solve_greedy(problem)
        return dataclasses.replace(
            greedy,
            status="time_limit",
            gap=_gap(greedy.covered_total * HUNDREDTHS, _cover_bound(problem, bound)),
            seconds=time.perf_counter() - began,
            model_size=size,
        )
    gap = 0.0
    if status != "optimal":
        gap = _gap(value, _cover_bound(problem, bound))
    elif left() <= 0:
        status, gap = "time_limit_people", float("nan")
    else:
        # Second stage: coverage held at its optimum, the fewest people taken from
        # their jobs (without it, the score stage would add people whose output no
        # week needs, for their score alone).
        backend.add_row(model.cover_cols, np.ones(len(model.cover_cols)), round(value), np.inf)
        # People started, counted on the (line, week) starters: the same sum, and an
        # objective on 120 columns rather than thousands (an objective on every
        # start count made HiGHS's central rounding heuristic stall for minutes,
        # past the time limit).
        backend.objective(model.starters.ravel(), 1.0, maximize=False)
        status, found, value, bound = _run(backend, left(), relative_gap, 1 - COVERAGE_TOLERANCE)
        size["people_seconds"] = round(time.perf_counter() - began, 2)
        if found is not None:
            values = found
        else:  # the coverage stage's allocation stands; people are at least 0
            value, bound = float(values[model.starters.ravel()].sum()), np.fmax(bound, 0.0)
        if status != "optimal":
            status, gap = "time_limit_people", _gap(value, bound)
        elif left() <= 0:
            status, gap = "time_limit_score", float("nan")
        else:
            # Third stage: coverage and headcount held, the most score. Which people
            # of a group take its places is an assignment (people x lines, each
            # person at most once, each line the group's count): integral once the
            # counts are.
            backend.add_row(
                model.starters.ravel(), np.ones(model.starters.size), -np.inf, round(value)
            )
            status, found, value, bound = _score_stage(
                problem, model, backend, values, scores, left(), relative_gap
            )
            size["score_seconds"] = round(time.perf_counter() - began, 2)
            if found is not None:
                values = found
            if status != "optimal":
                status, gap = "time_limit_score", _gap(value, bound)

    chosen_pairs, chosen_starts = [], []
    for key, by_line in _places(model, values[:nx]).items():
        for person, line in _assign(model.groups[key], by_line, model.person_pairs, scores):
            chosen_pairs.append(model.person_pairs[person][line])
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


def _cover_bound(problem: WeeklyProblem, bound: float) -> float:
    """The solver's bound on covered work, or the posts needed if it is lower or
    the solver has none."""
    return float(np.fmin(bound, problem.need.sum() * HUNDREDTHS))


def _gap(value: float, bound: float) -> float:
    return abs(bound - value) / max(1.0, abs(value))


def _score_stage(problem, model, backend, values, scores, time_limit, relative_gap):
    """The greatest total score with the start counts' group and line totals as
    an assignment of each group's people."""
    nx = model.n_vars
    person_line = [
        (key, person, line, pair)
        for key, people in model.groups.items()
        for person in people
        for line, pair in model.person_pairs[person].items()
    ]
    z = backend.add_columns(len(person_line), 1.0)
    z_of = {}
    by_person: dict[int, list[int]] = {}
    for col, (key, person, line, _) in zip(z.tolist(), person_line, strict=True):
        z_of.setdefault((key, line), []).append(col)
        by_person.setdefault(person, []).append(col)
    x_of: dict[tuple, list[int]] = {}
    for i, (key, line) in enumerate(zip(model.var_key, model.var_line.tolist(), strict=True)):
        x_of.setdefault((key, line), []).append(i)
    for (key, line), cols in z_of.items():
        xs = x_of.get((key, line), [])
        backend.add_row(cols + xs, [1.0] * len(cols) + [-1.0] * len(xs), 0.0, 0.0)
    for cols in by_person.values():
        if len(cols) > 1:
            backend.add_row(cols, [1.0] * len(cols), -np.inf, 1.0)
    # The objective on one score column per line, defined by a row, rather than on
    # every person's column (see the second stage), and a floor on their sum (the
    # stage before's counts with each group's best people) which also keeps
    # presolve from folding them back into the objective.
    floor = 0
    for key, by_line in _places(model, values[:nx]).items():
        for person, line in _assign(model.groups[key], by_line, model.person_pairs, scores):
            floor += int(scores[model.person_pairs[person][line]])
    weight = np.array([float(scores[p[3]]) for p in person_line])
    z_line = np.array([p[2] for p in person_line])
    score_cols = backend.add_columns(problem.n_lines, np.inf)
    for line, col in enumerate(score_cols.tolist()):
        mine = z_line == line
        backend.add_row(np.r_[col, z[mine]], np.r_[1.0, -weight[mine]], 0.0, 0.0)
    backend.add_row(score_cols, np.ones(problem.n_lines), floor, np.inf)
    backend.objective(score_cols, 1.0, maximize=True)
    # Scores are whole numbers at SCORE_SCALE.
    return _run(backend, time_limit, relative_gap, 1 - COVERAGE_TOLERANCE)


class _OrToolsBackend:
    """The model in another solver through OR-Tools' linear solver (no start hints:
    OR-Tools 9.15's HiGHS interface crashed on SetHint)."""

    def __init__(self, model: _Model, solver: str):
        mip = pywraplp.Solver.CreateSolver(solver)
        if mip is None:
            raise RuntimeError(f"the {solver} solver is not available in this OR-Tools")
        inf = mip.infinity()
        self.mip = mip
        self.vars = [
            mip.IntVar(lo, hi, "") if integer else mip.NumVar(lo, min(hi, inf), "")
            for lo, hi, integer in zip(
                model.lower.tolist(), model.upper.tolist(), model.integer.tolist(), strict=True
            )
        ]
        matrix = model.rows
        for row, (lo, hi) in enumerate(
            zip(model.row_lower.tolist(), model.row_upper.tolist(), strict=True)
        ):
            span = slice(matrix.indptr[row], matrix.indptr[row + 1])
            self.add_row(matrix.indices[span], matrix.data[span], lo, hi)

    @property
    def n_cols(self) -> int:
        return len(self.vars)

    def add_row(self, cols, values, lower, upper) -> None:
        inf = self.mip.infinity()
        row = self.mip.Constraint(max(lower, -inf), min(upper, inf))
        for col, value in zip(np.asarray(cols).tolist(), np.asarray(values).tolist(), strict=True):
            row.SetCoefficient(self.vars[col], value)

    def add_columns(self, n: int, upper: float) -> np.ndarray:
        first = len(self.vars)
        upper = min(upper, self.mip.infinity())
        self.vars += [self.mip.IntVar(0, upper, "") for _ in range(n)]
        return np.arange(first, len(self.vars))

    def objective(self, cols, costs, maximize: bool) -> None:
        objective = self.mip.Objective()
        objective.Clear()
        costs = np.broadcast_to(np.asarray(costs, dtype=np.float64), np.shape(cols))
        for col, cost in zip(np.asarray(cols).tolist(), costs.tolist(), strict=True):
            objective.SetCoefficient(self.vars[col], cost)
        objective.SetOptimizationDirection(maximize)

    def solve(self, time_limit, relative_gap, absolute_gap):
        self.mip.SetTimeLimit(max(1, int(time_limit * 1000)))
        params = pywraplp.MPSolverParameters()
        params.SetDoubleParam(pywraplp.MPSolverParameters.RELATIVE_MIP_GAP, relative_gap)
        result = self.mip.Solve(params)
        if result in (
            pywraplp.Solver.INFEASIBLE,
            pywraplp.Solver.UNBOUNDED,
            pywraplp.Solver.MODEL_INVALID,
        ):
            raise RuntimeError(f"the weekly allocation model is broken (status {result})")
        if result not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
            return "no_solution", None, float("nan"), float("nan")
        objective = self.mip.Objective()
        values = np.array([var.solution_value() for var in self.vars])
        status = "optimal" if result == pywraplp.Solver.OPTIMAL else "time_limit"
        return status, values, objective.Value(), objective.BestBound()


def _assign(people, places, person_pairs, scores) -> list[tuple[int, int]]:
    """The group's people to its places on each line, greatest total score
    (a maximum-weight assignment; with one line, simply the best people)."""
    slots = [line for line, starts in places.items() for _ in starts]
    weight = np.array(
        [[scores[person_pairs[p][line]] for line in slots] for p in people], dtype=np.float64
    )
    rows, cols = linear_sum_assignment(weight, maximize=True)
    return [(people[r], slots[c]) for r, c in zip(rows.tolist(), cols.tolist(), strict=True)]


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
