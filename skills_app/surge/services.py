"""Surge scenarios (DESIGN.md section 5): edit, solve, approve, close.

Solving scores every demand line against the whole workforce with the matching
index (section 4, each line's minimum score as its threshold), builds the
eligible (person, line, score) pairs and hands them to ``matching.surge`` for
the exact optimum and the greedy baseline. Approval locks the allocated people's
rows, so two planners approving overlapping scenarios at once can never both
take the same person.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

import numpy as np
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from matching.demand import DemandModel
from matching.engine import QUALIFIES_BY_PRIOR_ROLE, QUALIFIES_NOT, Evaluation
from matching.rules import DEFAULT_THRESHOLD
from matching.surge import SurgeProblem, release_caps, solve_greedy, solve_optimal
from matching.weekly import solve_greedy as weekly_solve_greedy
from matching.weekly import solve_optimal as weekly_solve_optimal
from skills_app.audit.models import Action
from skills_app.audit.services import (
    record_event,
    record_events_for_people,
    record_events_for_subjects,
)
from skills_app.core.concurrency import ConflictError, require_version, save_new_version
from skills_app.index.adapter import WorkforceIndex, current_index
from skills_app.moves.models import DEFAULT_LOAN_WEEKS, MAX_LOAN_WEEKS
from skills_app.people.models import Person
from skills_app.roles.search import (
    RequirementSpec,
    SearchFilters,
    engine_filters,
    engine_requirements,
)
from skills_app.surge import forecasts
from skills_app.surge.models import Allocation, AllocationStatus, DemandLine, ScenarioStatus
from skills_app.surge.models import SurgeScenario as Scenario
from taxonomy.models import Skill

DEFAULT_CAP = 0.2
DEFAULT_CAP_DEPTH = 2
DEFAULT_TRAINING_DAYS = 2.0  # working days of training per level of gap per skill
MAX_TRAINING_DAYS = 100.0
MAX_LINES = 100
# The most posts a line may need in any week (a headcount, or a forecast's busiest
# week): a forecast's arithmetic can come to any number, the database's cannot.
MAX_POSTS = 100_000
REASON_TEXT = {
    "no_eligible": "Not enough eligible people",
    "caps_allow_no_release": "Caps allow no release: the release cap rounds down to 0 people "
    "in the units that hold the eligible people",
    "release_caps": "Caps used up: the units that hold the eligible people left have already "
    "released as many people as their caps allow",
    "taken_by_other_lines": "Eligible people were allocated to other lines",
    # Forecast lines only (DESIGN 11): a week short of posts.
    "training_lead_time": "Not enough eligible people can be available, trained and up to "
    "speed by then",
}
NOTHING_FILLED = (
    "Nothing was filled, so there is no one to approve. Change the scenario (for example "
    "its release cap or the level it applies to) and solve it again"
)


class SurgeError(ValueError):
    """A scenario change that is not allowed now; the message says why."""


@dataclass(frozen=True, slots=True)
class LineSpec:
    role_id: int
    headcount: int
    location: str = ""
    start_date: dt.date | None = None
    min_score: float = DEFAULT_THRESHOLD
    filters: SearchFilters | None = None  # None: the role's own filters
    loan_weeks: int = DEFAULT_LOAN_WEEKS  # how long each person moved onto the line stays
    # A forecast (DESIGN 11): posts per week come from it, and ``headcount`` is ignored
    # (the line shows its peak week's posts).
    demand: DemandModel | None = None
    # The saved line this is (the editor posts it back): that row is updated in place
    # and keeps its id. None, or an id not among the scenario's lines: a new line.
    line_id: int | None = None

    @property
    def posts(self) -> int:
        return forecasts.peak_posts(self.demand) if self.demand is not None else self.headcount


def _check_lines(lines: Sequence[LineSpec]) -> None:
    if not lines:
        raise SurgeError("Add at least one demand line")
    if len(lines) > MAX_LINES:
        raise SurgeError(f"A scenario can have at most {MAX_LINES} demand lines")
    for line in lines:
        if line.demand is None and line.headcount < 1:
            raise SurgeError("Each line needs a headcount of at least 1")
        _check_posts(line.posts)
        if not 0 <= line.min_score <= 1:
            raise SurgeError("Minimum scores are from 0% to 100%")
        if not 1 <= line.loan_weeks <= MAX_LOAN_WEEKS:
            raise SurgeError(f"Loans last from 1 to {MAX_LOAN_WEEKS} weeks")


def _check_posts(posts: int) -> None:
    if posts > MAX_POSTS:
        raise SurgeError(
            f"A line can need at most {MAX_POSTS:,} posts in a week; this one needs {posts:,}"
        )


def _check_cap(release_cap: float, cap_org_depth: int) -> None:
    if not 0 <= release_cap <= 1:
        raise SurgeError("The release cap is from 0% to 100%")
    if not 0 <= cap_org_depth <= 10:
        raise SurgeError("The organisation level is from 0 to 10")


def _check_training_days(days: float) -> None:
    if not 0 <= days <= MAX_TRAINING_DAYS:
        raise SurgeError(f"Training days per level of gap are from 0 to {MAX_TRAINING_DAYS:g}")


# What a line's version covers: a change to any of these is a change to the line.
_LINE_FIELDS = (
    "role_profile_id",
    "headcount",
    "location",
    "start_date",
    "min_score",
    "filters",
    "loan_weeks",
    "demand",
)


def _line_values(line: LineSpec) -> dict:
    return {
        "role_profile_id": line.role_id,
        "headcount": line.posts,
        "location": line.location.strip(),
        "start_date": line.start_date,
        "min_score": Decimal(str(round(line.min_score, 3))),
        "filters": line.filters.to_json() if line.filters is not None else {},
        "loan_weeks": line.loan_weeks,
        "demand": forecasts.demand_json(line.demand) if line.demand is not None else None,
    }


def _write_lines(scenario: Scenario, lines: Sequence[LineSpec]) -> None:
    """Make the scenario's lines ``lines``, in order. A spec naming one of the
    scenario's lines (``line_id``) updates that row in place, so its id survives
    (forecast pages and API clients hold it); its version moves on only when
    something about it changed. Other specs become new rows, and saved lines no
    spec names are deleted (their allocations go with them)."""
    existing = {line.pk: line for line in scenario.lines.all()}
    keep: dict[int, tuple[int, LineSpec]] = {}
    new: list[DemandLine] = []
    for position, line in enumerate(lines):
        if line.line_id in existing and line.line_id not in keep:
            keep[line.line_id] = (position, line)
        else:
            new.append(DemandLine(scenario=scenario, position=position, **_line_values(line)))
    DemandLine.objects.filter(pk__in=[pk for pk in existing if pk not in keep]).delete()
    changed = []
    for pk, (position, spec) in keep.items():
        row, values = existing[pk], _line_values(spec)
        if any(getattr(row, field) != values[field] for field in _LINE_FIELDS):
            row.version += 1
        elif row.position == position:
            continue
        for field, value in values.items():
            setattr(row, field, value)
        row.position = position
        changed.append(row)
    if changed:
        DemandLine.objects.bulk_update(changed, [*_LINE_FIELDS, "position", "version"])
    DemandLine.objects.bulk_create(new)


@transaction.atomic
def scenario_create(
    *,
    actor,
    name: str,
    lines: Sequence[LineSpec],
    description: str = "",
    release_cap: float = DEFAULT_CAP,
    cap_org_depth: int = DEFAULT_CAP_DEPTH,
    weeks_from: dt.date | None = None,
    training_days_per_level: float = DEFAULT_TRAINING_DAYS,
) -> Scenario:
    if not name.strip():
        raise SurgeError("Enter a name for the scenario")
    _check_lines(lines)
    _check_cap(release_cap, cap_org_depth)
    _check_training_days(training_days_per_level)
    scenario = Scenario.objects.create(
        name=name.strip(),
        description=description.strip(),
        release_cap=Decimal(str(round(release_cap, 3))),
        cap_org_depth=cap_org_depth,
        weeks_from=weeks_from,
        training_days_per_level=Decimal(str(round(training_days_per_level, 1))),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    _write_lines(scenario, lines)
    _audit(actor, scenario, "created", lines=len(lines))
    return scenario


def _audit(actor, scenario: Scenario, change: str, **details) -> None:
    record_event(
        actor=actor,
        action=Action.ALLOCATE,
        object_type="scenario",
        object_id=scenario.pk,
        parameters={"change": change, **details},
    )


def scenario_access_record(*, actor, scenario: Scenario, action: str, parameters: dict) -> int:
    """A look at (or a download of) a scenario's allocations: one scenario-level row
    saying what it was, and one row per person allocated, so each of them sees it in
    "who viewed me". The per-person rows are one INSERT ... SELECT, however many
    people the scenario holds. Returns the number of people recorded."""
    record_event(
        actor=actor,
        action=action,
        object_type="scenario",
        object_id=scenario.pk,
        parameters=parameters,
    )
    listed = Person.objects.filter(allocations__scenario=scenario).distinct()
    return record_events_for_people(
        actor=actor,
        action=action,
        people=listed,
        parameters={"scenario": scenario.pk, "scenario_name": scenario.name, **parameters},
    )


def _frozen(scenario: Scenario, consequence: str) -> str:
    return f"This scenario is {scenario.get_status_display().lower()}: {consequence}"


# A solve that has not reported for this long is taken to have died with its worker.
SOLVE_STALE_AFTER = dt.timedelta(minutes=15)


def _solving(scenario: Scenario) -> bool:
    return scenario.solve_state in ("queued", "running") and (
        timezone.now() - scenario.updated_at < SOLVE_STALE_AFTER
    )


def _refuse_while_solving(scenario: Scenario) -> None:
    if _solving(scenario):
        raise SurgeError("A solve is running: wait for it to finish, then try again")


def _locked(scenario_id: int) -> Scenario:
    return Scenario.objects.select_for_update().get(pk=scenario_id)


@transaction.atomic
def scenario_update(
    *,
    actor,
    scenario_id: int,
    expected_version: int,
    name: str,
    lines: Sequence[LineSpec],
    description: str = "",
    release_cap: float = DEFAULT_CAP,
    cap_org_depth: int = DEFAULT_CAP_DEPTH,
    weeks_from: dt.date | None = None,
    training_days_per_level: float = DEFAULT_TRAINING_DAYS,
) -> Scenario:
    """Change a draft or solved scenario; its last solution is discarded."""
    scenario = _locked(scenario_id)
    if scenario.status in (ScenarioStatus.APPROVED, ScenarioStatus.CLOSED):
        raise SurgeError(_frozen(scenario, "it cannot change"))
    _refuse_while_solving(scenario)
    require_version(scenario, expected_version)
    if not name.strip():
        raise SurgeError("Enter a name for the scenario")
    _check_lines(lines)
    _check_cap(release_cap, cap_org_depth)
    _check_training_days(training_days_per_level)
    scenario.allocations.all().delete()
    scenario.name, scenario.description = name.strip(), description.strip()
    scenario.release_cap = Decimal(str(round(release_cap, 3)))
    scenario.cap_org_depth = cap_org_depth
    scenario.weeks_from = weeks_from
    scenario.training_days_per_level = Decimal(str(round(training_days_per_level, 1)))
    scenario.status = ScenarioStatus.DRAFT
    scenario.result, scenario.solved_at = {}, None
    scenario.solve_state, scenario.solve_progress, scenario.solve_message = "", 0, ""
    save_new_version(scenario)
    _write_lines(scenario, lines)
    _audit(actor, scenario, "edited", lines=len(lines))
    return scenario


@transaction.atomic
def line_forecast_set(
    *, actor, scenario_id: int, line_id: int, expected_version: int, demand: DemandModel | None
) -> Scenario:
    """Give one line a forecast (DESIGN 11), or take it away (``demand=None``: the
    line keeps its peak as a headcount). Like any edit, it discards the last solution.

    ``expected_version`` is the line's version (not the scenario's): an edit to other
    lines or to the scenario's own fields since the page was opened does not stop it,
    while a change to this line (its forecast saved, or its fields changed in the
    editor) is a ConflictError carrying the scenario as it now stands. The scenario's
    version still moves on, so an editor opened before this save conflicts."""
    scenario = _locked(scenario_id)
    if scenario.status in (ScenarioStatus.APPROVED, ScenarioStatus.CLOSED):
        raise SurgeError(_frozen(scenario, "it cannot change"))
    _refuse_while_solving(scenario)
    line = scenario.lines.filter(pk=line_id).first()
    if line is None:
        raise SurgeError("That line is not part of this scenario")
    if line.version != expected_version:
        raise ConflictError(current=scenario)
    if demand is not None:
        _check_posts(forecasts.peak_posts(demand))
    line.demand = forecasts.demand_json(demand) if demand is not None else None
    if demand is not None:
        line.headcount = forecasts.peak_posts(demand)
    line.version += 1
    line.save(update_fields=["demand", "headcount", "version"])
    scenario.allocations.all().delete()
    scenario.status = ScenarioStatus.DRAFT
    scenario.result, scenario.solved_at = {}, None
    scenario.solve_state, scenario.solve_progress, scenario.solve_message = "", 0, ""
    save_new_version(scenario)
    _audit(
        actor,
        scenario,
        "forecast set" if demand is not None else "forecast removed",
        line=line.pk,
        weeks=demand.n_weeks if demand is not None else 0,
    )
    return scenario


# --- solving ------------------------------------------------------------------------


def _line_filters(line: DemandLine) -> SearchFilters:
    filters = SearchFilters.from_json(line.filters or line.role_profile.filters)
    if line.location:
        filters = replace(filters, locations=(line.location,))
    if line.start_date:
        filters = replace(filters, available_on=line.start_date)
    # Protected and opted-out people are never used, whatever the role's filters say.
    return replace(filters, redeployable_only=True)


def _cap_units(index: WorkforceIndex, depth: int) -> tuple[np.ndarray, list[str]]:
    """Per person, the index of the org unit at ``depth`` that holds them (their own
    unit when it is shallower), and those units' paths."""
    group_of_unit = np.empty(len(index.org_unit_paths), dtype=np.int64)
    groups: dict[str, int] = {}
    for unit, path in enumerate(index.org_unit_paths):
        top = "/".join(path.split("/")[: depth + 1])
        group_of_unit[unit] = groups.setdefault(top, len(groups))
    return group_of_unit[index.workforce.people.org_unit], list(groups)


@dataclass
class _LineScores:
    line: DemandLine
    specs: list[RequirementSpec]
    evaluation: Evaluation
    eligible: np.ndarray  # positions

    @property
    def score(self) -> np.ndarray:
        return self.evaluation.score[self.eligible]

    @property
    def rank_score(self) -> np.ndarray:
        return self.evaluation.rank_score[self.eligible]


def _score_lines(index, lines, as_of, progress) -> list[_LineScores]:
    """Per line, who is eligible (section 5): qualifies for the line's role at its
    minimum score, by score or by a recent covering role (the engine's evaluation,
    rule 7), passes its filters and is not allocated in an approved scenario."""
    workforce = index.workforce
    free = ~workforce.people.allocated  # allocated in an approved scenario: never used
    out = []
    for number, line in enumerate(lines, start=1):
        specs = [
            RequirementSpec(r.skill_id, r.level, r.weight, r.essential)
            for r in line.role_profile.requirements.all()
        ]
        if not specs:
            raise SurgeError(f"The role {line.role_profile.title} has no requirements")
        evaluation = workforce.evaluate(
            engine_requirements(index, specs), as_of=as_of, threshold=float(line.min_score)
        )
        qualifies = evaluation.qualifies != QUALIFIES_NOT
        mask = qualifies & workforce.filter_mask(engine_filters(index, _line_filters(line))) & free
        eligible = np.flatnonzero(mask)
        out.append(_LineScores(line, specs, evaluation, eligible))
        progress(int(60 * number / len(lines)), f"Scored line {number} of {len(lines)}")
    return out


def _pair_arrays(scored: list[_LineScores]) -> dict[str, np.ndarray]:
    """The eligible (person, line) pairs of scored lines, as the solvers take them:
    person, line, score and ranking priority per pair."""
    return {
        "pair_person": np.concatenate([s.eligible for s in scored]).astype(np.int64),
        "pair_line": np.concatenate(
            [np.full(len(s.eligible), n, dtype=np.int64) for n, s in enumerate(scored)]
        ),
        "pair_score": np.concatenate([s.score for s in scored]),
        "pair_priority": np.concatenate([s.rank_score for s in scored]),
    }


def _summary(problem, allocation) -> dict:
    lines = []
    for number in range(problem.n_lines):
        chosen = allocation.pairs[problem.pair_line[allocation.pairs] == number]
        scores = problem.pair_score[chosen]
        lines.append(
            {
                "filled": int(allocation.filled[number]),
                "total_score": round(float(scores.sum()), 4),
                "mean_score": round(float(scores.mean()), 4) if len(scores) else None,
                "reason": allocation.unfilled_reasons.get(number, ""),
            }
        )
    filled = allocation.posts_filled
    return {
        "filled": filled,
        "total_score": allocation.total_score,
        "mean_score": round(allocation.total_score / filled, 4) if filled else None,
        "lines": lines,
    }


def _training_plan(scored, problem, allocation) -> list[dict]:
    """Per (skill, target level): how many allocated people need training to reach
    it (rule 11's gap, from each line's evaluation)."""
    counts: Counter = Counter()
    for number, item in enumerate(scored):
        chosen = allocation.pairs[problem.pair_line[allocation.pairs] == number]
        people = np.sort(problem.pair_person[chosen])
        if not len(people):
            continue
        short = np.count_nonzero(item.evaluation.gaps(people), axis=1)
        for spec, n in zip(item.specs, short.tolist(), strict=True):
            if n:
                counts[(spec.skill_id, spec.level)] += n
    names = dict(Skill.objects.filter(pk__in={k[0] for k in counts}).values_list("pk", "name"))
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], names.get(kv[0][0], "")))
    return [
        {"skill_id": skill, "skill": names.get(skill, ""), "level": level, "people": n}
        for (skill, level), n in ordered
    ]


def scenario_solve(*, scenario_id: int, progress: Callable[[int, str], None] | None = None):
    """Solve one scenario and store its allocations and figures: for posts (section
    5), or week by week when a line has a forecast (section 11)."""
    say = progress or (lambda percent, message: None)
    scenario = Scenario.objects.get(pk=scenario_id)
    if scenario.status in (ScenarioStatus.APPROVED, ScenarioStatus.CLOSED):
        raise SurgeError(_frozen(scenario, "it cannot be solved again"))
    lines = list(
        scenario.lines.select_related("role_profile").prefetch_related("role_profile__requirements")
    )
    if not lines:
        raise SurgeError("Add at least one demand line before solving")
    started = time.perf_counter()
    index = current_index()
    as_of = timezone.localdate()
    scored = _score_lines(index, lines, as_of, say)
    scoring_seconds = time.perf_counter() - started

    person_unit, unit_paths = _cap_units(index, scenario.cap_org_depth)
    staff = np.bincount(person_unit, minlength=len(unit_paths))
    caps = release_caps(staff, float(scenario.release_cap))
    say(65, "Finding the best allocation")
    solve_started = time.perf_counter()
    if forecasts.is_weekly(lines):
        weeks_from = scenario.weeks_from or as_of
        problem = forecasts.weekly_problem(
            lines,
            scored,
            pairs=_pair_arrays(scored),
            person_unit=person_unit,
            caps=caps,
            staff_rank=index.workforce.people.staff_rank,
            available_from=index.workforce.people.available_from,
            weeks_from=weeks_from,
            days_per_level=float(scenario.training_days_per_level),
        )
        optimal = weekly_solve_optimal(problem, time_limit=forecasts.WEEKLY_TIME_LIMIT)
        solve_seconds = time.perf_counter() - solve_started
        greedy = weekly_solve_greedy(problem)
        released = _released(problem, optimal, len(unit_paths))
        greedy_released = _released(problem, greedy, len(unit_paths))
        optimum, baseline = _weekly_summary(problem, optimal), _weekly_summary(problem, greedy)
        weekly = forecasts.weekly_figures(lines, problem, optimal, greedy, weeks_from)
    else:
        problem = SurgeProblem(
            headcount=np.array([line.headcount for line in lines], dtype=np.int64),
            unit_cap=caps,
            person_unit=person_unit,
            **_pair_arrays(scored),
            person_rank=index.workforce.people.staff_rank,
        )
        optimal = solve_optimal(problem)
        solve_seconds = time.perf_counter() - solve_started
        greedy = solve_greedy(problem)
        released, greedy_released = optimal.released, greedy.released
        optimum, baseline = _summary(problem, optimal), _summary(problem, greedy)
        weekly = weeks_from = None
    say(85, "Working out the training plan")
    training = _training_plan(scored, problem, optimal)

    for number, (item, figures) in enumerate(zip(scored, optimum["lines"], strict=True)):
        figures.update(
            line_id=item.line.pk,
            role=item.line.role_profile.title,
            headcount=item.line.headcount,
            eligible=len(item.eligible),
            eligible_by_prior_role=int(
                np.count_nonzero(
                    item.evaluation.qualifies[item.eligible] == QUALIFIES_BY_PRIOR_ROLE
                )
            ),
            greedy_filled=baseline["lines"][number]["filled"],
            greedy_mean_score=baseline["lines"][number]["mean_score"],
        )
    released_units = np.flatnonzero((released > 0) | (greedy_released > 0))
    result = {
        **{k: v for k, v in optimum.items()},
        "posts": int(sum(line.headcount for line in lines)),
        # How many units (with staff) the cap applies to, and in how many it rounds to 0.
        "cap_units": int(np.count_nonzero(staff)),
        "zero_cap_units": int(np.count_nonzero((caps == 0) & (staff > 0))),
        "greedy": {k: v for k, v in baseline.items() if k != "lines"},
        "units": [
            {
                "path": unit_paths[u],
                "staff": int(staff[u]),
                "cap": int(caps[u]),
                "released": int(released[u]),
                "greedy_released": int(greedy_released[u]),
            }
            for u in released_units
        ],
        "training": training,
        "scoring_seconds": round(scoring_seconds, 3),
        "solve_seconds": round(solve_seconds, 3),
        "solved_on": as_of.isoformat(),
    }
    if weekly is not None:
        result["weekly"] = weekly
    starts = getattr(optimal, "starts", None)
    training_of = _training_by_person(scored, problem, optimal)
    rows = []
    for at, pair in enumerate(optimal.pairs.tolist()):
        number, person = int(problem.pair_line[pair]), int(problem.pair_person[pair])
        item = scored[number]
        rows.append(
            Allocation(
                scenario_id=scenario.pk,
                line_id=lines[number].pk,
                person_id=int(index.person_ids[person]),
                score=round(float(problem.pair_score[pair]), 6),
                qualifies_by=item.evaluation.qualifies_by(person),
                start_date=weeks_from + dt.timedelta(weeks=int(starts[at]))
                if starts is not None
                else None,
                training=training_of[person],
            )
        )
    with transaction.atomic():
        locked = _locked(scenario.pk)
        if locked.status in (ScenarioStatus.APPROVED, ScenarioStatus.CLOSED):
            raise SurgeError("The scenario was approved while it was being solved")
        locked.allocations.all().delete()
        Allocation.objects.bulk_create(rows, batch_size=2000)
        locked.status = ScenarioStatus.SOLVED
        locked.result = result
        locked.solved_at = timezone.now()
        locked.solve_state, locked.solve_progress, locked.solve_message = "done", 100, ""
        save_new_version(locked)
    return locked


def _training_by_person(scored, problem, allocation) -> dict[int, list[list[int]]]:
    """Per allocated person (index position), the training their line needs of
    them: [[skill id, level needed, levels short]] (rule 11's gaps)."""
    out = {}
    for number, item in enumerate(scored):
        chosen = allocation.pairs[problem.pair_line[allocation.pairs] == number]
        people = np.sort(problem.pair_person[chosen])
        if not len(people):
            continue
        gaps = item.evaluation.gaps(people)
        for column, person in enumerate(people.tolist()):
            out[person] = forecasts.training_needed(item.specs, gaps[:, column])
    return out


def _released(problem, allocation, n_units: int) -> np.ndarray:
    """People each unit releases over the whole horizon (its cap holds each week)."""
    units = problem.person_unit[problem.pair_person[allocation.pairs]]
    return np.bincount(units, minlength=n_units)


def _weekly_summary(problem, allocation) -> dict:
    """The headline figures of a week-by-week allocation, in the shape of
    ``_summary``: per line the people who start on it and why weeks fall short
    (the first short week's reason)."""
    lines = []
    for number in range(problem.n_lines):
        chosen = allocation.pairs[problem.pair_line[allocation.pairs] == number]
        scores = problem.pair_score[chosen]
        reasons = [r for (line, _), r in sorted(allocation.unmet.items()) if line == number]
        lines.append(
            {
                "filled": len(chosen),
                "total_score": round(float(scores.sum()), 4),
                "mean_score": round(float(scores.mean()), 4) if len(scores) else None,
                "reason": reasons[0] if reasons else "",
            }
        )
    filled = len(allocation.pairs)
    return {
        "filled": filled,
        "total_score": allocation.total_score,
        "mean_score": round(allocation.total_score / filled, 4) if filled else None,
        "lines": lines,
    }


def open_posts(scenario: Scenario) -> dict[int, int]:
    """Per line of an approved scenario, the posts not held by anyone now (a
    refusal or a cancelled move opens a post again)."""
    held = Counter(
        scenario.allocations.filter(status=AllocationStatus.APPROVED).values_list(
            "line_id", flat=True
        )
    )
    return {line.pk: max(0, line.headcount - held[line.pk]) for line in scenario.lines.all()}


def scenario_solve_open(*, actor, scenario_id: int) -> dict:
    """Fill an approved scenario's open posts only: everyone already allocated
    (released, on their way or started) keeps their post, nobody allocated
    anywhere is used, and each unit may release only what its cap has left after
    this scenario's earlier releases. New allocations become proposed moves.
    Returns {open, filled}."""
    from skills_app.accounts.permissions import Cap, has_cap

    if not has_cap(actor, Cap.SURGE_EDIT):
        raise PermissionDenied
    scenario = Scenario.objects.get(pk=scenario_id)
    if scenario.status != ScenarioStatus.APPROVED:
        raise SurgeError("Only an approved scenario's open posts can be filled again")
    still_open = open_posts(scenario)
    lines = [
        line
        for line in scenario.lines.select_related("role_profile").prefetch_related(
            "role_profile__requirements"
        )
        if still_open[line.pk]
    ]
    if not lines:
        raise SurgeError("Every post is filled: there is nothing to fill again")
    index = current_index()
    scored = _score_lines(index, lines, timezone.localdate(), lambda percent, message: None)
    # Nobody this scenario has had is offered again: a manager refused them, or they
    # hold a post here already.
    had = [index.position_of(pk) for pk in scenario.allocations.values_list("person_id", flat=True)]
    had = np.array(sorted(at for at in had if at is not None), dtype=np.int64)
    for item in scored:
        item.eligible = item.eligible[~np.isin(item.eligible, had)]
    person_unit, unit_paths = _cap_units(index, scenario.cap_org_depth)
    staff = np.bincount(person_unit, minlength=len(unit_paths))
    caps = release_caps(staff, float(scenario.release_cap))
    # What each unit has already released to this scenario counts against its cap.
    for person_id in scenario.allocations.filter(status=AllocationStatus.APPROVED).values_list(
        "person_id", flat=True
    ):
        at = index.position_of(person_id)
        if at is not None:
            caps[person_unit[at]] = max(0, caps[person_unit[at]] - 1)
    problem = SurgeProblem(
        headcount=np.array([still_open[line.pk] for line in lines], dtype=np.int64),
        unit_cap=caps,
        person_unit=person_unit,
        **_pair_arrays(scored),
        person_rank=index.workforce.people.staff_rank,
    )
    optimal = solve_optimal(problem)
    chosen = [
        (lines[int(problem.pair_line[pair])], int(problem.pair_person[pair]), pair)
        for pair in optimal.pairs.tolist()
    ]
    with transaction.atomic():
        locked = _locked(scenario.pk)
        if locked.status != ScenarioStatus.APPROVED:
            raise SurgeError("The scenario was closed while its open posts were being filled")
        person_ids = sorted(int(index.person_ids[person]) for _, person, _ in chosen)
        list(Person.objects.select_for_update().filter(pk__in=person_ids).order_by("pk"))
        taken = set(
            Allocation.objects.filter(
                person_id__in=person_ids,
                scenario__status=ScenarioStatus.APPROVED,
                status__in=[AllocationStatus.PROPOSED, AllocationStatus.APPROVED],
            ).values_list("person_id", flat=True)
        )
        rows = [
            Allocation(
                scenario_id=locked.pk,
                line_id=line.pk,
                person_id=int(index.person_ids[person]),
                score=round(float(problem.pair_score[pair]), 6),
                qualifies_by=scored[lines.index(line)].evaluation.qualifies_by(person),
                status=AllocationStatus.APPROVED,
            )
            for line, person, pair in chosen
            if int(index.person_ids[person]) not in taken
        ]
        Allocation.objects.bulk_create(rows)
        filled = len(rows)
        history = list(locked.result.get("refills", []))
        history.append(
            {
                "at": timezone.now().isoformat(),
                "open": int(problem.headcount.sum()),
                "filled": filled,
            }
        )
        locked.result = {**locked.result, "refills": history}
        save_new_version(locked, ["result"])
        _audit(actor, locked, "open posts filled", open=int(problem.headcount.sum()), filled=filled)
        from skills_app.moves.services import moves_for_allocations

        moves_for_allocations(
            actor=actor,
            scenario=locked,
            allocations=locked.allocations.filter(person_id__in=[r.person_id for r in rows]),
        )
    return {"open": int(problem.headcount.sum()), "filled": filled}


@transaction.atomic
def scenario_queue_solve(*, actor, scenario_id: int) -> Scenario:
    scenario = _locked(scenario_id)
    if scenario.status in (ScenarioStatus.APPROVED, ScenarioStatus.CLOSED):
        raise SurgeError(_frozen(scenario, "it cannot be solved again"))
    if _solving(scenario):
        return scenario
    scenario.solve_state, scenario.solve_progress, scenario.solve_message = "queued", 0, ""
    scenario.save(update_fields=["solve_state", "solve_progress", "solve_message", "updated_at"])
    _audit(actor, scenario, "solve requested")
    from skills_app.surge.tasks import solve_scenario

    transaction.on_commit(lambda: solve_scenario.enqueue(scenario.pk))
    return scenario


def solve_progress_recorder(scenario_id: int) -> Callable[[int, str], None]:
    def record(percent: int, message: str) -> None:
        Scenario.objects.filter(pk=scenario_id).update(
            solve_state="running",
            solve_progress=percent,
            solve_message=message[:500],
            updated_at=timezone.now(),  # a heartbeat: see SOLVE_STALE_AFTER
        )

    return record


# --- approval -----------------------------------------------------------------------


def approval_refusal(scenario: Scenario) -> str:
    """Why this scenario cannot be approved now ("" when it can): the confirmation
    page says so before anyone presses the button, and ``scenario_approve`` refuses."""
    if scenario.status != ScenarioStatus.SOLVED:
        return "Only a solved scenario can be approved"
    if not scenario.allocations.exists():
        return NOTHING_FILLED
    return ""


@transaction.atomic
def scenario_approve(*, actor, scenario_id: int, expected_version: int) -> Scenario:
    """Approve a solved scenario: its people become unavailable to every other
    scenario. People rows are locked in id order, so concurrent approvals that
    share anyone run one after the other and the second sees the first's."""
    scenario = _locked(scenario_id)
    if scenario.status != ScenarioStatus.SOLVED:
        raise SurgeError("Only a solved scenario can be approved")
    _refuse_while_solving(scenario)
    require_version(scenario, expected_version)
    if refusal := approval_refusal(scenario):
        raise SurgeError(refusal)
    person_ids = sorted(scenario.allocations.values_list("person_id", flat=True))
    list(
        Person.objects.select_for_update()
        .filter(pk__in=person_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    # The solve saw the workforce as it was: since then someone may have left, opted
    # out or been protected, and none of them may be moved.
    gone = (
        Person.objects.filter(pk__in=person_ids)
        .filter(Q(left_on__isnull=False) | Q(redeployable=False) | Q(protected=True))
        .count()
    )
    if gone:
        raise SurgeError(
            f"{gone} of the allocated people have left, opted out of redeployment or been "
            "protected since the scenario was solved: solve this scenario again"
        )
    clashes = (
        Allocation.objects.filter(
            person_id__in=person_ids,
            scenario__status=ScenarioStatus.APPROVED,
            status__in=[AllocationStatus.PROPOSED, AllocationStatus.APPROVED],
        )
        .exclude(scenario=scenario)
        .count()
    )
    if clashes:
        raise SurgeError(
            f"{clashes} of the allocated people are already allocated in another approved "
            "scenario: solve this scenario again"
        )
    scenario.allocations.update(status=AllocationStatus.APPROVED)
    scenario.status = ScenarioStatus.APPROVED
    scenario.approved_by = actor if getattr(actor, "is_authenticated", False) else None
    scenario.approved_at = timezone.now()
    save_new_version(scenario)
    _audit(actor, scenario, "approved", people=len(person_ids))
    # Approval starts the moves (DESIGN 10): one per allocation, each asking the
    # person's line manager to release them.
    from skills_app.moves.services import moves_for_approved_scenario

    moves_for_approved_scenario(actor=actor, scenario=scenario)
    record_events_for_subjects(
        actor=actor,
        action=Action.ALLOCATE,
        subjects=person_ids,
        parameters={"scenario": scenario.pk, "change": "approved"},
    )
    return scenario


@transaction.atomic
def scenario_close(*, actor, scenario_id: int, expected_version: int) -> Scenario:
    """Close a scenario: its people are free for other scenarios again."""
    scenario = _locked(scenario_id)
    if scenario.status == ScenarioStatus.CLOSED:
        raise SurgeError("This scenario is already closed")
    require_version(scenario, expected_version)
    if scenario.status == ScenarioStatus.APPROVED:
        from skills_app.moves.services import moves_close_scenario

        moves_close_scenario(actor=actor, scenario=scenario)
        scenario.allocations.update(status=AllocationStatus.RELEASED)
    scenario.status = ScenarioStatus.CLOSED
    save_new_version(scenario)
    _audit(actor, scenario, "closed")
    return scenario
