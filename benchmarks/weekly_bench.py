"""Week-by-week surge allocation at department scale: the exact MIP against greedy.

    .venv/bin/python benchmarks/weekly_bench.py --people 100000 --units 2000 --lines 10 --weeks 12

Generates in memory, with numpy, what the service hands the solver: people in
units of uneven size (release cap 20%), eligible (person, line) pairs with
match scores (each line draws on 0.5-2% of the workforce by default, as
roles draw on a skill family; --share changes it), earliest start weeks from
availability and training lead time (``matching.demand.earliest_start_weeks``:
gaps of 0-4 levels at 2 training days a level), and each line's posts per week from a demand model
(``matching.demand.DemandModel``: a forecast with a backlog, a peak and a
decline). Loans last 8 of the 12 weeks; starters ramp at 50%, 75%, then full.
Target (issue 18): the most covered work proved (or within a 0.5% gap) in at
most 30 s. Prints the model's size, the time to that proof ("cover s") and to
the end of all stages within the time limit ("solve s"), the status and gap,
the covered post-weeks of the optimum and greedy and the difference, and the
machine's load average. No database. Figures measured are in the docstring of
``matching.weekly``.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matching.demand import DemandModel, earliest_start_weeks  # noqa: E402
from matching.surge import release_caps  # noqa: E402
from matching.weekly import WeeklyProblem, solve_greedy, solve_optimal  # noqa: E402

TARGET_SECONDS = 30.0
TARGET_GAP = 0.005


def generate(rng, args):
    n_people, n_units, n_lines, n_weeks = args.people, args.units, args.lines, args.weeks
    unit = np.sort(rng.integers(0, n_units, n_people))  # ~50 staff per unit, uneven
    caps = release_caps(np.bincount(unit, minlength=n_units), args.cap)
    pair_person, pair_line, pair_score, pair_start = [], [], [], []
    available = np.where(rng.random(n_people) < 0.8, 0, rng.integers(1, 5, n_people))
    need = np.zeros((n_lines, n_weeks), dtype=np.int64)
    for line in range(n_lines):
        share = rng.uniform(*args.share)  # of the workforce eligible for this line
        people = np.flatnonzero(rng.random(n_people) < share)
        score = np.round(np.clip(rng.beta(6, 2, len(people)), 0.5, 1.0), 4)
        gaps = np.where(score > 0.9, 0, rng.integers(0, 5, len(people)))  # summed levels
        start = earliest_start_weeks(available[people], gaps, days_per_level=2.0)
        pair_person.append(people)
        pair_line.append(np.full(len(people), line))
        pair_score.append(score)
        pair_start.append(start)
        # The forecast: a peak in week 3-5 then a decline, plus a backlog cleared in 4 weeks,
        # sized so the line needs about 15-40% of its eligible people at its peak.
        peak = rng.integers(2, 5)
        shape = np.exp(-0.5 * ((np.arange(n_weeks) - peak) / 3.0) ** 2)
        minutes, hours = 12.0, 30.0
        posts_per_item = minutes / 60 / hours / 0.65
        peak_posts = len(people) * rng.uniform(0.15, 0.4)
        volumes = shape * peak_posts / posts_per_item * 0.8
        model = DemandModel(
            volumes=tuple(volumes.round().tolist()),
            handling_minutes=minutes,
            productive_hours=hours,
            shrinkage=0.35,
            backlog=float(round(volumes[0] * 0.8)),
            clearance_weeks=4,
        )
        need[line] = model.posts_needed()
    problem = WeeklyProblem(
        need=need,
        unit_cap=caps,
        person_unit=unit.astype(np.int64),
        pair_person=np.concatenate(pair_person).astype(np.int64),
        pair_line=np.concatenate(pair_line).astype(np.int64),
        pair_score=np.concatenate(pair_score),
        pair_start=np.concatenate(pair_start).astype(np.int64),
        loan_weeks=args.loan,
        ramp=(0.5, 0.75),
    )
    return problem


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--units", type=int, default=2_000)
    parser.add_argument("--lines", type=int, default=10)
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--loan", type=int, default=8)
    parser.add_argument("--cap", type=float, default=0.2)
    parser.add_argument("--time-limit", type=float, default=TARGET_SECONDS)
    parser.add_argument("--solver", default="HIGHS")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument(
        "--share",
        default="0.005,0.02",
        help="each line's eligible share of the workforce is drawn between these",
    )
    args = parser.parse_args(argv)
    args.share = tuple(float(x) for x in args.share.split(","))
    print(
        f"{args.people:,} staff in {args.units:,} units, {args.lines} lines, {args.weeks} weeks, "
        f"loans of {args.loan} weeks, release cap {args.cap:.0%}, solver {args.solver}, "
        f"eligible share per line {args.share[0]:.1%}-{args.share[1]:.1%}"
    )
    print(
        f"{'seed':>4} {'pairs':>7} {'kept':>7} {'vars':>7} {'posts-wks':>9} {'cover s':>7} "
        f"{'solve s':>8} "
        f"{'status':>17} {'gap':>7} {'cover opt':>10} {'cover grd':>10} {'+cover':>8} "
        f"{'greedy s':>8} {'score opt':>9} {'score grd':>9} {'people opt':>10} {'people grd':>10}"
    )
    worst, ok = 0.0, True
    for seed in (int(s) for s in args.seeds.split(",")):
        problem = generate(np.random.default_rng(seed), args)
        started = time.perf_counter()
        opt = solve_optimal(problem, time_limit=args.time_limit, solver=args.solver)
        solve = time.perf_counter() - started
        started = time.perf_counter()
        grd = solve_greedy(problem)
        greedy_seconds = time.perf_counter() - started
        # The target is on the first objective, covered work: the time to prove it
        # optimal (the later stages, fewest people then score, run on after it).
        proof = opt.model_size["coverage_seconds"] if opt.status != "time_limit" else solve
        worst = max(worst, proof)
        ok &= opt.status != "time_limit" or opt.gap < TARGET_GAP
        size = opt.model_size
        print(
            f"{seed:>4} {size['pairs']:>7,} {size['kept_pairs']:>7,} {size['variables']:>7,} "
            f"{int(problem.need.sum()):>9,} {size['coverage_seconds']:>7.2f} {solve:>8.2f} "
            f"{opt.status:>17} {opt.gap:>7.4f} "
            f"{opt.covered_total:>10,.1f} {grd.covered_total:>10,.1f} "
            f"{opt.covered_total - grd.covered_total:>8,.1f} {greedy_seconds:>8.2f} "
            f"{opt.total_score:>9,.1f} {grd.total_score:>9,.1f} "
            f"{len(opt.pairs):>10,} {len(grd.pairs):>10,}",
            flush=True,
        )
    verdict = "meets" if worst <= TARGET_SECONDS and ok else "MISSES"
    print(
        f"slowest proof of the most covered work {worst:.2f} s: {verdict} the "
        f"{TARGET_SECONDS:.0f} s / 0.5% gap target"
    )
    print("load average (1, 5, 15 min):", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
