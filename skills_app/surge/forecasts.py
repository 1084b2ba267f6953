"""Forecast lines (DESIGN.md section 11): a line's demand model as stored, and the
week-by-week solve of a scenario that has one.

The arithmetic (volumes to posts, the ramp, training lead time) lives in
``matching.demand`` and the allocation in ``matching.weekly``; this module turns a
scenario's lines and the index's scores into their inputs, and their answers into
the scenario's figures and allocation rows. ``skills_app.surge.services`` calls it.

Calendar: week 1 starts on the scenario's ``weeks_from`` (the day it is solved
when not set). A person's earliest start on a line is the later of the week they
are available from (their ``available_from``; no date given means now, as for a
line without a start date) and the end of the training their gaps need, at the
scenario's ``training_days_per_level`` working days per level of gap per skill.
A line typed as a headcount needs that many posts every week, with no ramp.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping

import numpy as np

from matching.demand import DemandError, DemandModel, earliest_start_weeks
from matching.engine import NOT_AVAILABLE
from matching.weekly import WeeklyProblem

WEEKLY_TIME_LIMIT = 30.0  # seconds for the exact solve (issue 18's target)
DEMAND_FIELDS = (
    "volumes",
    "handling_minutes",
    "productive_hours",
    "shrinkage",
    "backlog",
    "clearance_weeks",
    "ramp",
    "item_name",
)


def demand_from_json(data: Mapping) -> DemandModel:
    """A stored or submitted forecast as a checked ``DemandModel`` (``DemandError``
    names each bad field)."""
    unknown = set(data) - set(DEMAND_FIELDS)
    if unknown:
        raise DemandError({sorted(unknown)[0]: "is not part of a forecast"})
    missing = [f for f in ("volumes", "handling_minutes", "productive_hours") if f not in data]
    if missing:
        raise DemandError({f: "is required" for f in missing})
    values = dict(data)
    for name in ("volumes", "ramp"):
        if name in values and not isinstance(values[name], list | tuple):
            raise DemandError({name: "give a list of numbers"})
    try:
        return DemandModel(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})
    except TypeError as exc:
        raise DemandError({"demand": str(exc)}) from exc


def demand_json(model: DemandModel) -> dict:
    return {
        "volumes": list(model.volumes),
        "handling_minutes": model.handling_minutes,
        "productive_hours": model.productive_hours,
        "shrinkage": model.shrinkage,
        "backlog": model.backlog,
        "clearance_weeks": model.clearance_weeks,
        "ramp": list(model.ramp),
        "item_name": model.item_name,
    }


def peak_posts(model: DemandModel) -> int:
    """The headcount a forecast line shows: its busiest week's posts (at least 1)."""
    return max(1, int(model.posts_needed().max()))


def line_model(line) -> DemandModel | None:
    return demand_from_json(line.demand) if line.demand else None


def week_dates(weeks_from: dt.date, n_weeks: int) -> list[dt.date]:
    return [weeks_from + dt.timedelta(weeks=w) for w in range(n_weeks)]


def is_weekly(lines) -> bool:
    return any(line.demand for line in lines)


def weekly_problem(
    lines,
    scored,
    *,
    pairs,
    person_unit,
    caps,
    staff_rank,
    available_from,
    weeks_from,
    days_per_level,
) -> WeeklyProblem:
    """The solver's inputs: posts per line per week, and per eligible (person,
    line) pair its score and earliest start week."""
    models = [line_model(line) for line in lines]
    n_weeks = max(m.n_weeks for m in models if m is not None)
    need = np.zeros((len(lines), n_weeks), dtype=np.int64)
    for number, (line, model) in enumerate(zip(lines, models, strict=True)):
        if model is None:
            need[number] = line.headcount
        else:
            need[number, : model.n_weeks] = model.posts_needed()
    available_week = _available_week(available_from, weeks_from)
    starts = []
    for item in scored:
        people = item.eligible
        gap = item.evaluation.gaps(people) if len(people) else np.zeros((0, 0), dtype=np.int64)
        starts.append(earliest_start_weeks(available_week[people], gap, days_per_level))
    ramps = [m.ramp if m is not None else () for m in models]
    loans = [line.loan_weeks for line in lines]
    per_line = {}
    if len(set(ramps)) > 1 or len(set(loans)) > 1:
        per_line = {"line_ramp": tuple(ramps), "line_loan_weeks": tuple(loans)}
    problem = WeeklyProblem(
        need=need,
        unit_cap=caps,
        person_unit=person_unit,
        pair_start=np.concatenate(starts).astype(np.int64),
        loan_weeks=loans[0],
        ramp=ramps[0],
        person_rank=staff_rank,
        **pairs,
        **per_line,
    )
    return problem


def _available_week(available_from: np.ndarray, weeks_from: dt.date) -> np.ndarray:
    """The first week (0 = week 1) each person is available in."""
    days = available_from.astype(np.int64) - weeks_from.toordinal()
    weeks = np.ceil(np.maximum(days, 0) / 7).astype(np.int64)
    return np.where(available_from == NOT_AVAILABLE, 0, weeks)


def _short(problem, allocation, line: int, week: int) -> float:
    return round(float(problem.need[line, week] - allocation.covered[line, week]), 2)


def _rounded(values) -> list[float]:
    return [round(float(v), 2) for v in values]


def weekly_figures(lines, problem: WeeklyProblem, optimal, greedy, weeks_from) -> dict:
    """The scenario's weekly figures (stored in ``result["weekly"]``, shown as a chart
    and a table, returned by the API): per line and week, posts needed, output
    supplied and covered by the optimum and by greedy, people starting, and each
    week short of posts with its reason."""
    out_lines = []
    for number, line in enumerate(lines):
        chosen = optimal.pairs[problem.pair_line[optimal.pairs] == number]
        starts = optimal.starts[problem.pair_line[optimal.pairs] == number]
        greedy_chosen = greedy.pairs[problem.pair_line[greedy.pairs] == number]
        unmet = [
            {
                "week": week + 1,
                "short": _short(problem, optimal, number, week),
                "reason": reason,
            }
            for (line_number, week), reason in sorted(optimal.unmet.items())
            if line_number == number
        ]
        out_lines.append(
            {
                "line_id": line.pk,
                "role": line.role_profile.title,
                "forecast": bool(line.demand),
                "need": [int(v) for v in problem.need[number]],
                "supplied": _rounded(optimal.supplied[number]),
                "covered": _rounded(optimal.covered[number]),
                "starters": np.bincount(starts, minlength=problem.n_weeks).tolist(),
                "people": len(chosen),
                "greedy_supplied": _rounded(greedy.supplied[number]),
                "greedy_covered": _rounded(greedy.covered[number]),
                "greedy_people": len(greedy_chosen),
                "unmet": unmet,
            }
        )
    gap = optimal.gap
    return {
        "weeks_from": weeks_from.isoformat(),
        "weeks": problem.n_weeks,
        "week_dates": [d.isoformat() for d in week_dates(weeks_from, problem.n_weeks)],
        "needed": int(problem.need.sum()),
        "covered": round(optimal.covered_total, 2),
        "greedy_covered": round(greedy.covered_total, 2),
        "people": len(optimal.pairs),
        "greedy_people": len(greedy.pairs),
        "status": optimal.status,
        "gap": None if gap is None or math.isnan(gap) else round(float(gap), 6),
        "solve_seconds": round(optimal.seconds, 3),
        "lines": out_lines,
    }


def training_needed(specs, gap_column: np.ndarray) -> list[list[int]]:
    """One person's training for a line: [[skill id, level needed, levels short]]."""
    return [
        [spec.skill_id, spec.level, int(short)]
        for spec, short in zip(specs, gap_column.tolist(), strict=True)
        if short
    ]
