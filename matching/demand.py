"""Demand: from a forecast to posts by week (DESIGN.md section 11).

A planner knows the work ("60,000 claims a week, 12 minutes each") before the
headcount. The standard back-office method turns it into posts, per week:

- throughput needed = inflow + backlog / target weeks (the backlog is spread
  evenly over the first ``clearance_weeks`` weeks);
- staff = throughput x handling time / productive hours per person per week;
- posts = staff / (1 - shrinkage), rounded UP to a whole post.

Units, fixed here once: volumes are items per week, handling time is MINUTES
per item, productive hours are hours per person per week, shrinkage is a
fraction (0.35 = 35% of paid time lost to leave, training, sickness...).

The ramp (share of full output a starter gives in their 1st, 2nd, ... week on
the line, then 1.0) belongs to the model because it is a property of the work;
the allocation (``matching.weekly``) applies it to each starter.

Also here: the parser for volumes pasted from a spreadsheet or a CSV file, and
the training lead time that sets a person's earliest start on a line.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from dataclasses import dataclass

import numpy as np

DEFAULT_RAMP = (0.5, 0.75)  # 50% in week 1, 75% in week 2, then full output
MINUTES_PER_HOUR = 60
# Floating point can make 400.0000000001 out of an exact 400: rounding up must
# not turn that into 401 posts.
ROUNDING_SLACK = 1e-9
MAX_WEEKS = 520


class DemandError(ValueError):
    """Invalid demand inputs: ``errors`` maps each field to its message, so a
    form or an API can put each message next to its field."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


def validate_ramp(ramp) -> tuple[float, ...]:
    """Each ramp value is a share of full output, in (0, 1]."""
    values = tuple(float(v) for v in ramp)
    for v in values:
        if not (0 < v <= 1) or math.isnan(v):
            raise DemandError(
                {"ramp": "each ramp value is a share of full output above 0 and at most 1"}
            )
    return values


@dataclass(frozen=True)
class DemandModel:
    volumes: tuple[float, ...]  # items arriving in week 1, 2, ...
    handling_minutes: float  # minutes of work per item, at full output
    productive_hours: float  # hours a person works on items in a week
    shrinkage: float = 0.35  # share of paid time not available for the work
    backlog: float = 0.0  # items waiting at the start of week 1
    clearance_weeks: int = 1  # the backlog is cleared over this many weeks
    ramp: tuple[float, ...] = DEFAULT_RAMP
    item_name: str = "items"

    def __post_init__(self):
        errors = {}
        volumes = tuple(self.volumes)
        if not volumes:
            errors["volumes"] = "give at least one week's volume"
        elif len(volumes) > MAX_WEEKS:
            errors["volumes"] = f"give at most {MAX_WEEKS} weeks"
        elif any(not _finite(v) or v < 0 for v in volumes):
            errors["volumes"] = "weekly volumes are numbers of items, 0 or more"
        if not _finite(self.handling_minutes) or self.handling_minutes <= 0:
            errors["handling_minutes"] = "handling time is minutes per item, above 0"
        if not _finite(self.productive_hours) or self.productive_hours <= 0:
            errors["productive_hours"] = "productive hours per person per week must be above 0"
        elif self.productive_hours > 168:
            errors["productive_hours"] = "a week has 168 hours"
        if not _finite(self.shrinkage) or not (0 <= self.shrinkage < 1):
            errors["shrinkage"] = "shrinkage is a share from 0 up to (not including) 1, e.g. 0.35"
        if not _finite(self.backlog) or self.backlog < 0:
            errors["backlog"] = "the backlog is a number of items, 0 or more"
        if (
            isinstance(self.clearance_weeks, bool)
            or not isinstance(self.clearance_weeks, int)
            or self.clearance_weeks < 1
        ):
            errors["clearance_weeks"] = (
                "the target clearance time is a whole number of weeks, 1 or more"
            )
        elif volumes and self.clearance_weeks > len(volumes):
            errors["clearance_weeks"] = "the backlog must be cleared within the weeks forecast"
        try:
            ramp = validate_ramp(self.ramp)
        except DemandError as exc:
            errors.update(exc.errors)
        except (TypeError, ValueError):
            errors["ramp"] = "the ramp is a list of shares of full output"
        if errors:
            raise DemandError(errors)
        object.__setattr__(self, "volumes", tuple(float(v) for v in volumes))
        object.__setattr__(self, "ramp", ramp)
        with np.errstate(over="ignore"):
            fte = (
                self.throughput()
                * (self.handling_minutes / MINUTES_PER_HOUR / self.productive_hours)
                / (1 - self.shrinkage)
            )
        if not np.all(np.isfinite(fte)):
            # Each figure is finite, but together they come to more posts than a
            # float holds (1e308 items...): refuse, or rounding up would overflow.
            raise DemandError({"volumes": "these volumes come to more posts than can be counted"})

    @property
    def n_weeks(self) -> int:
        return len(self.volumes)

    def throughput(self) -> np.ndarray:
        """Items to handle each week: inflow plus the week's share of the backlog."""
        out = np.asarray(self.volumes, dtype=np.float64).copy()
        out[: self.clearance_weeks] += self.backlog / self.clearance_weeks
        return out

    def weeks(self) -> list[WeekDemand]:
        out = []
        for week, (inflow, items) in enumerate(
            zip(self.volumes, self.throughput().tolist(), strict=True), start=1
        ):
            hours = items * self.handling_minutes / MINUTES_PER_HOUR
            staff = hours / self.productive_hours
            fte = staff / (1 - self.shrinkage)
            posts = max(0, math.ceil(fte - ROUNDING_SLACK))
            out.append(
                WeekDemand(
                    week=week,
                    inflow=inflow,
                    backlog_share=items - inflow,
                    items=items,
                    hours=hours,
                    staff=staff,
                    fte=fte,
                    posts=posts,
                    explanation=self._explain(week, inflow, items, hours, staff, fte, posts),
                )
            )
        return out

    def posts_needed(self) -> np.ndarray:
        """Whole posts needed each week (int)."""
        return np.array([w.posts for w in self.weeks()], dtype=np.int64)

    def _explain(self, week, inflow, items, hours, staff, fte, posts) -> str:
        name = self.item_name
        if items != inflow:
            work = (
                f"{_num(inflow)} {name} arriving + {_num(items - inflow)} of the backlog "
                f"= {_num(items)} {name}"
            )
        else:
            work = f"{_num(items)} {name}"
        return (
            f"Week {week}: {work} × {_num(self.handling_minutes)} min = {_num(hours)} hours; "
            f"÷ {_num(self.productive_hours)} productive hours = {_num(staff)} staff; "
            f"÷ (1 − {_num(self.shrinkage * 100)}%) = {_num(fte)} → {posts:,} posts"
        )


@dataclass(frozen=True, slots=True)
class WeekDemand:
    week: int  # 1-based
    inflow: float
    backlog_share: float
    items: float
    hours: float
    staff: float
    fte: float
    posts: int
    explanation: str


def _finite(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _num(value: float) -> str:
    """60000 -> "60,000"; 615.3846 -> "615.4"; at most one decimal shown."""
    rounded = round(float(value), 1)
    if rounded == int(rounded):
        return f"{int(rounded):,}"
    return f"{rounded:,.1f}"


# --- pasted or uploaded volumes ------------------------------------------------------

_NUMBER = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$|^\d+(\.\d+)?$")


@dataclass(frozen=True, slots=True)
class RowError:
    line: int  # 1-based line of the pasted text
    message: str


@dataclass(frozen=True, slots=True)
class ParsedVolumes:
    volumes: tuple[float, ...]  # in week order, week 1 first
    first_date: dt.date | None  # the first week's date when weeks were given as dates
    errors: tuple[RowError, ...]


def parse_volumes(text: str) -> ParsedVolumes:
    """Week and volume per line, as pasted from a spreadsheet (tab-separated) or a
    CSV file (comma or semicolon). Weeks are numbers (1, 2, ...) or ISO dates
    (the first day of each week, 7 days apart); volumes may use thousands
    separators ("60,000", "60 000"). A first line that is not data is a header.
    Weeks must run without gaps or repeats; every problem is reported with its line."""
    rows: list[tuple[int, str, str]] = []
    errors: list[RowError] = []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        cells = _cells(raw)
        if len(cells) != 2:
            if not rows and not errors and not _looks_like_data(cells):
                continue  # a header
            errors.append(
                RowError(number, "give a week and a volume, separated by a tab or a comma")
            )
            continue
        week, volume = cells
        if not rows and not errors and not _looks_like_data(cells):
            continue
        rows.append((number, week, volume))

    parsed: list[tuple[int, int | dt.date, float]] = []
    for number, week_text, volume_text in rows:
        week = _week(week_text)
        volume = _volume(volume_text)
        if week is None:
            errors.append(
                RowError(number, f"“{week_text}” is not a week number or a date (YYYY-MM-DD)")
            )
        if volume is None:
            errors.append(
                RowError(number, f"“{volume_text}” is not a volume (a number, 0 or more)")
            )
        if week is not None and volume is not None:
            parsed.append((number, week, volume))

    kinds = {type(w) for _, w, _ in parsed}
    if len(kinds) > 1:
        errors.append(RowError(parsed[0][0], "give every week as a number or every week as a date"))
        return ParsedVolumes((), None, tuple(sorted(errors, key=lambda e: e.line)))
    first_date = None
    if parsed and kinds == {dt.date}:
        first_date = min(w for _, w, _ in parsed)
        parsed = [(n, (w - first_date).days, v) for n, w, v in parsed]
        for n, offset, _ in parsed:
            if offset % 7:
                errors.append(RowError(n, "dates must be whole weeks (7 days) apart"))
        parsed = [(n, offset // 7 + 1, v) for n, offset, v in parsed if offset % 7 == 0]
    by_week: dict[int, float] = {}
    for n, week, volume in parsed:
        if week < 1:
            errors.append(RowError(n, "week numbers start at 1"))
        elif week in by_week:
            errors.append(RowError(n, f"week {week} is given twice"))
        else:
            by_week[week] = volume
    if by_week:
        missing = sorted(set(range(1, max(by_week) + 1)) - set(by_week))
        if missing:
            shown = ", ".join(str(w) for w in missing[:5])
            errors.append(RowError(0, f"weeks missing: {shown}"))
        if max(by_week) > MAX_WEEKS:
            errors.append(RowError(0, f"give at most {MAX_WEEKS} weeks"))
    elif not errors:
        errors.append(RowError(0, "no weeks found: give a week and a volume on each line"))
    errors.sort(key=lambda e: e.line)
    if errors:
        return ParsedVolumes((), first_date, tuple(errors))
    return ParsedVolumes(tuple(by_week[w] for w in sorted(by_week)), first_date, ())


def _cells(raw: str) -> list[str]:
    if "\t" in raw:
        cells = raw.split("\t")
    else:
        delimiter = ";" if ";" in raw else ","
        cells = next(csv.reader(io.StringIO(raw), delimiter=delimiter))
        if (
            delimiter == ","
            and len(cells) > 2
            and all(re.fullmatch(r"\d{3}", c.strip()) for c in cells[2:])
        ):
            # "1,60,000": an unquoted thousands separator in a comma-separated row.
            cells = [cells[0], ",".join(cells[1:])]
    cells = [c.strip() for c in cells]
    while cells and not cells[-1]:
        cells.pop()  # spreadsheets paste trailing empty cells
    return cells


def _looks_like_data(cells: list[str]) -> bool:
    return bool(cells) and (_week(cells[0]) is not None)


def _week(text: str) -> int | dt.date | None:
    text = text.strip()
    if re.fullmatch(r"\d{1,4}", text):
        return int(text)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return None
    return None


def _volume(text: str) -> float | None:
    text = text.strip().replace("\u00a0", " ").replace("\u202f", " ")
    text = re.sub(r"(?<=\d) (?=\d{3}\b)", ",", text)  # "60 000" -> "60,000"
    if not _NUMBER.match(text):
        return None
    return float(text.replace(",", ""))


# --- training lead time ----------------------------------------------------------------


def earliest_start_weeks(
    available_week: np.ndarray,
    gap_levels: np.ndarray,
    days_per_level: float,
    training_days_per_week: int = 5,
) -> np.ndarray:
    """A person's earliest start week on a line (0 = the first week): the later of
    their availability and the end of their training. Training takes
    ``days_per_level`` working days per level of gap per skill (rule 11's gaps,
    ``Evaluation.gaps``: a (requirements x people) matrix, or already summed per
    person), none for a full match, in whole weeks of ``training_days_per_week``
    working days, rounded up."""
    if not _finite(days_per_level) or days_per_level < 0:
        raise DemandError({"days_per_level": "training days per level of gap are 0 or more"})
    gaps = np.asarray(gap_levels)
    if np.any(gaps < 0):
        raise ValueError("gaps are levels of training needed, 0 or more")
    total = gaps.sum(axis=0) if gaps.ndim == 2 else gaps
    days = total.astype(np.float64) * days_per_level
    training = np.ceil(days / training_days_per_week - ROUNDING_SLACK).astype(np.int64)
    return np.maximum(np.asarray(available_week, dtype=np.int64), np.maximum(training, 0))
