"""Surge allocation: DESIGN.md section 5, exactly.

Given demand lines (headcount each), the eligible (person, line, score) pairs and
each person's org unit with its release cap, find an allocation that first fills
as many posts as possible and then, among those, has the greatest total score.
Each person fills at most one post; each unit releases at most its cap.

``solve_optimal`` is exact: a min-cost max-flow over
source -> unit (cap) -> person (1) -> line (cost -score) -> sink (headcount),
solved by OR-Tools' SimpleMinCostFlow, whose "maximum flow with minimum cost"
is precisely this lexicographic objective. Scores are integers at 1e-4 so the
optimum is exact in integer arithmetic. ``solve_greedy`` is the baseline
(lines in order, each takes its best eligible free people within caps): what
ranking one role at a time and taking the top names does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from matching.engine import rank_order

SCORE_SCALE = 10_000  # scores are compared at 1e-4, as DESIGN.md section 5 fixes

# Why a line has unfilled posts.
NO_ELIGIBLE = "no_eligible"  # fewer eligible people than posts, whatever else happens
# Every eligible person (or every one left) is in a unit whose cap rounds down to zero:
# the cap, not the other lines, keeps them.
CAPS_ZERO = "caps_allow_no_release"
# Eligible people left, but their units have already released as many as their caps
# allow (some of those caps above zero): the caps are used up.
CAPS_BOUND = "release_caps"
TAKEN = "taken_by_other_lines"  # eligible people were allocated to other lines


@dataclass(frozen=True, slots=True)
class SurgeProblem:
    headcount: np.ndarray  # int, per line
    unit_cap: np.ndarray  # int, per unit: most people the unit may release
    person_unit: np.ndarray  # int, per person: unit index
    pair_person: np.ndarray  # int, per eligible pair
    pair_line: np.ndarray  # int, per eligible pair
    pair_score: np.ndarray  # float in [0, 1], per eligible pair
    # The search ranking greedy follows (rank_score, then score, then staff number):
    # per pair a priority (default: the score) and per person a tie-break rank.
    pair_priority: np.ndarray | None = None
    person_rank: np.ndarray | None = None

    @property
    def n_lines(self) -> int:
        return len(self.headcount)

    def scaled_scores(self) -> np.ndarray:
        return np.rint(np.asarray(self.pair_score, dtype=np.float64) * SCORE_SCALE).astype(np.int64)


@dataclass(frozen=True, slots=True)
class Allocation:
    pairs: np.ndarray  # indices into the problem's eligible pairs that were chosen
    filled: np.ndarray  # int, per line
    released: np.ndarray  # int, per unit
    total_score: float  # sum of chosen pairs' scores at 1e-4
    unfilled_reasons: dict[int, str]  # line -> reason, for lines with unfilled posts

    @property
    def posts_filled(self) -> int:
        return int(self.filled.sum())


def _check(problem: SurgeProblem) -> None:
    n = len(problem.pair_person)
    if len(problem.pair_line) != n or len(problem.pair_score) != n:
        raise ValueError("eligible pairs need a person, a line and a score each")
    if np.any(problem.headcount < 0) or np.any(problem.unit_cap < 0):
        raise ValueError("headcounts and caps cannot be negative")


def _result(problem: SurgeProblem, chosen: np.ndarray) -> Allocation:
    chosen = np.sort(np.asarray(chosen, dtype=np.int64))
    people = problem.pair_person[chosen]
    if len(np.unique(people)) != len(people):
        raise AssertionError("a person was allocated twice")
    filled = np.bincount(problem.pair_line[chosen], minlength=problem.n_lines)
    released = np.bincount(problem.person_unit[people], minlength=len(problem.unit_cap))
    total = int(problem.scaled_scores()[chosen].sum()) / SCORE_SCALE
    return Allocation(
        pairs=chosen,
        filled=filled,
        released=released,
        total_score=total,
        unfilled_reasons=_reasons(problem, people, filled, released),
    )


def _reasons(problem, allocated_people, filled, released) -> dict[int, str]:
    taken = np.zeros(len(problem.person_unit), dtype=bool)
    taken[allocated_people] = True
    unit_full = released >= problem.unit_cap
    unit_zero = problem.unit_cap == 0
    reasons = {}
    for line in np.flatnonzero(filled < problem.headcount):
        candidates = np.unique(problem.pair_person[problem.pair_line == line])
        if len(candidates) and np.all(unit_zero[problem.person_unit[candidates]]):
            # Nobody eligible may leave their unit at all: saying "not enough eligible
            # people" or "caps used up" would hide that the cap rounds to zero.
            reasons[int(line)] = CAPS_ZERO
            continue
        if len(candidates) < problem.headcount[line]:
            reasons[int(line)] = NO_ELIGIBLE
            continue
        free = candidates[~taken[candidates]]
        free_units = problem.person_unit[free]
        if len(free) and np.all(unit_full[free_units]):
            # Every eligible person left is held back by a unit that may release no more.
            reasons[int(line)] = CAPS_ZERO if np.all(unit_zero[free_units]) else CAPS_BOUND
        else:
            reasons[int(line)] = TAKEN
    return reasons


def solve_optimal(problem: SurgeProblem) -> Allocation:
    """Most posts filled, then greatest total score (exact)."""
    _check(problem)
    n_pairs = len(problem.pair_person)
    if n_pairs == 0 or problem.headcount.sum() == 0:
        return _result(problem, np.zeros(0, dtype=np.int64))
    # Only people and units that appear in some eligible pair enter the network.
    people, pair_person_node = np.unique(problem.pair_person, return_inverse=True)
    units, person_unit_node = np.unique(problem.person_unit[people], return_inverse=True)
    n_people, n_units, n_lines = len(people), len(units), problem.n_lines
    source = 0
    unit_node = 1 + np.arange(n_units)
    person_node = 1 + n_units + np.arange(n_people)
    line_node = 1 + n_units + n_people + np.arange(n_lines)
    sink = 1 + n_units + n_people + n_lines

    tails = np.concatenate(
        [
            np.full(n_units, source),
            unit_node[person_unit_node],
            person_node[pair_person_node],
            line_node,
        ]
    )
    heads = np.concatenate(
        [unit_node, person_node, line_node[problem.pair_line], np.full(n_lines, sink)]
    )
    capacities = np.concatenate(
        [
            problem.unit_cap[units],
            np.ones(n_people, dtype=np.int64),
            np.ones(n_pairs, dtype=np.int64),
            problem.headcount,
        ]
    ).astype(np.int64)
    costs = np.concatenate(
        [
            np.zeros(n_units + n_people, dtype=np.int64),
            -problem.scaled_scores(),
            np.zeros(n_lines, dtype=np.int64),
        ]
    )
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), capacities, costs
    )
    total_posts = int(problem.headcount.sum())
    flow.set_node_supply(source, total_posts)
    flow.set_node_supply(sink, -total_posts)
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed with status {status}")
    pair_arcs = arcs[n_units + n_people : n_units + n_people + n_pairs]
    chosen = np.flatnonzero(flow.flows(pair_arcs) > 0)
    return _result(problem, chosen)


def solve_greedy(problem: SurgeProblem) -> Allocation:
    """The baseline: lines in order; each takes its top-ranked eligible free
    people within caps, in the search's order (rule 8, ``rank_order``: priority,
    score, person rank)."""
    _check(problem)
    scores = np.asarray(problem.pair_score, dtype=np.float64)
    priority = scores if problem.pair_priority is None else problem.pair_priority
    person_rank = (
        np.arange(len(problem.person_unit)) if problem.person_rank is None else problem.person_rank
    )
    taken = np.zeros(len(problem.person_unit), dtype=bool)
    released = np.zeros(len(problem.unit_cap), dtype=np.int64)
    chosen = []
    for line in range(problem.n_lines):
        pairs = np.flatnonzero(problem.pair_line == line)
        order = pairs[
            rank_order(priority[pairs], scores[pairs], person_rank[problem.pair_person[pairs]])
        ]
        need = int(problem.headcount[line])
        for pair in order:
            if need == 0:
                break
            person = problem.pair_person[pair]
            unit = problem.person_unit[person]
            if taken[person] or released[unit] >= problem.unit_cap[unit]:
                continue
            taken[person] = True
            released[unit] += 1
            chosen.append(pair)
            need -= 1
    return _result(problem, np.array(chosen, dtype=np.int64))


def release_caps(staff_per_unit: np.ndarray, cap: float) -> np.ndarray:
    """floor(cap x staff) per unit (DESIGN.md section 5; cap default 0.2)."""
    if not 0 <= cap <= 1:
        raise ValueError("the release cap is a fraction from 0 to 1")
    # The epsilon keeps 0.2 x 10 at 2, not 1.9999999999999998 -> 1.
    return np.floor(np.asarray(staff_per_unit, dtype=np.float64) * cap + 1e-9).astype(np.int64)
