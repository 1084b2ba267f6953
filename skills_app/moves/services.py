"""Moves (DESIGN 10): the one write path for every step of a move.

Each step locks the move, checks that the status allows it (``TRANSITIONS``)
and that the caller may take it (``may``), records the step in the move's
history and the audit trail, keeps the surge allocation in step (so the index's
"allocated" flag, rule 9's availability, follows the move), declares the index
change and queues the notification (``notices``), all in one transaction.

Who may take which step:

- **release / refuse**: the person's line manager (anyone above them in the
  line-management chain) or an administrator;
- **acknowledge**: the person themself;
- **start / end / extend / cancel / chase**: a workforce planner (or an
  administrator).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from skills_app.accounts.permissions import Cap, has_cap
from skills_app.audit.models import Action
from skills_app.audit.services import record_event, record_events_for_subjects
from skills_app.core.concurrency import require_version, save_new_version
from skills_app.index.changes import workforce_changed
from skills_app.moves import notices
from skills_app.moves.models import (
    ACTIVE,
    MAX_LOAN_WEEKS,
    TRANSITIONS,
    Move,
    MoveStatus,
    MoveStep,
    default_end,
)
from skills_app.people.models import ChangeScope, Person
from skills_app.people.team import is_in_team, viewer_person
from skills_app.surge.models import Allocation, AllocationStatus
from skills_app.surge.services import SurgeError

MAX_REASON = 500


class MoveError(SurgeError):
    """A step the move cannot take now; the message says why (a surge error, so a
    scenario page that closes or approves shows it like its own)."""


# --- who may do what ---------------------------------------------------------------


def is_releaser(user, person: Person) -> bool:
    """The person's line manager (anyone above them in the chain) or an administrator;
    never the person themself."""
    me = viewer_person(user)
    if me is not None and me.pk == person.pk:
        return False
    if has_cap(user, Cap.ADMINISTER):
        return True
    return has_cap(user, Cap.SKILL_VERIFY_TEAM) and is_in_team(manager=me, person=person)


def is_mover(user, person: Person) -> bool:
    me = viewer_person(user)
    return me is not None and me.pk == person.pk


def is_planner(user) -> bool:
    return has_cap(user, Cap.SURGE_EDIT)


def may(user, move: Move, step: str) -> bool:
    """May ``user`` take ``step`` on ``move`` (status aside)?"""
    if step in (MoveStatus.RELEASED, MoveStatus.REFUSED):
        return is_releaser(user, move.person)
    if step == MoveStatus.ACKNOWLEDGED:
        return is_mover(user, move.person)
    return is_planner(user)


def may_see(user, move: Move) -> bool:
    return (
        may(user, move, MoveStatus.STARTED)
        or has_cap(user, Cap.PROFILE_VIEW_ALL)
        or is_releaser(user, move.person)
        or is_mover(user, move.person)
    )


# --- creating moves ---------------------------------------------------------------


def _record(actor, move: Move, from_status: str, note: str = "") -> None:
    MoveStep.objects.create(
        move=move,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        from_status=from_status,
        to_status=move.status,
        note=note[:MAX_REASON],
    )
    record_event(
        actor=actor,
        action=Action.MOVE,
        object_type="move",
        object_id=move.pk,
        subject=move.person,
        parameters={
            "from": from_status,
            "to": move.status,
            "scenario": move.scenario_id,
        },
    )


def moves_for_approved_scenario(*, actor, scenario, reserve_ids: Iterable[int] = ()) -> list[Move]:
    """One proposed move per allocation of a scenario being approved (called by
    ``surge.services.scenario_approve`` in its transaction), starting on the
    line's start date (or today) for the line's loan length. People in
    ``reserve_ids`` (ready-reserve members whose manager agreed in advance) are
    released at once: their manager gets a notice, not a request."""
    return moves_for_allocations(
        actor=actor, scenario=scenario, allocations=scenario.allocations, reserve_ids=reserve_ids
    )


def _start(allocation, today: dt.date) -> dt.date:
    """A week-by-week allocation staggers starts (DESIGN 11): the allocation's own
    start date, else the line's, else today."""
    return allocation.start_date or allocation.line.start_date or today


def moves_for_allocations(*, actor, scenario, allocations, reserve_ids: Iterable[int] = ()):
    """One proposed move per allocation in ``allocations`` (see above)."""
    today = timezone.localdate()
    created = []
    allocations = list(allocations.select_related("line", "person").order_by("person_id"))
    by_start: dict[dt.date, list[int]] = {}
    for a in allocations:
        by_start.setdefault(_start(a, today), []).append(a.person_id)
    reserve_ids = set(reserve_ids)
    for start, people in by_start.items():
        reserve_ids |= reserve_on_call(people, start)
    for allocation in allocations:
        line = allocation.line
        start = _start(allocation, today)
        reserve = allocation.person_id in reserve_ids
        move = Move.objects.create(
            person=allocation.person,
            scenario=scenario,
            line=line,
            allocation=allocation,
            status=MoveStatus.RELEASED if reserve else MoveStatus.PROPOSED,
            start_date=start,
            end_date=default_end(start, line.loan_weeks),
            reserve=reserve,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            released_at=timezone.now() if reserve else None,
        )
        _record(actor, move, "", "ready reserve: agreed in advance" if reserve else "")
        if reserve:
            notices.reserve_called(move)
            notices.to_acknowledge(move)
        else:
            notices.release_requested(move)
        created.append(move)
    return created


def moves_close_scenario(*, actor, scenario) -> int:
    """Closing an approved scenario cancels the moves that have not started; a
    scenario with people still on their moves cannot close."""
    live = Move.objects.select_for_update().filter(scenario=scenario, status__in=sorted(ACTIVE))
    if live.filter(status__in=[MoveStatus.STARTED, MoveStatus.EXTENDED]).exists():
        raise MoveError("People are still on their moves: end those moves before closing")
    cancelled = 0
    for move in live.select_related("person"):
        before = move.status
        move.status = MoveStatus.CANCELLED
        save_new_version(move, ["status"])
        _record(actor, move, before, "scenario closed")
        cancelled += 1
    return cancelled


# --- one step ---------------------------------------------------------------------


def _locked(move_id) -> Move:
    move = Move.objects.select_for_update().select_related("person").filter(pk=move_id).first()
    if move is None:
        raise Move.DoesNotExist
    return move


def _check(actor, move: Move, step: str) -> None:
    if not may(actor, move, step):
        raise PermissionDenied
    if step not in TRANSITIONS[move.status]:
        raise MoveError(
            f"This move is {move.get_status_display().lower()}: it cannot be "
            f"{MoveStatus(step).label.lower()} now"
        )


def _allocation_status(move: Move, status: str) -> None:
    """Keep the surge allocation in step: the index reads availability from it."""
    if move.allocation_id:
        Allocation.objects.filter(pk=move.allocation_id).update(status=status)
    workforce_changed(ChangeScope.ALLOCATIONS)


def _reason(text: str, *, missing: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"reason": missing})
    if len(text) > MAX_REASON:
        raise ValidationError({"reason": f"Reason must be {MAX_REASON} characters or fewer"})
    return text


@transaction.atomic
def move_release(*, actor, move_id, expected_version: int) -> Move:
    move = _locked(move_id)
    _check(actor, move, MoveStatus.RELEASED)
    require_version(move, expected_version)
    return _release(actor, move)


def _release(actor, move: Move) -> Move:
    before = move.status
    move.status = MoveStatus.RELEASED
    move.released_by = actor
    move.released_at = timezone.now()
    save_new_version(move, ["status", "released_by", "released_at"])
    _record(actor, move, before)
    notices.to_acknowledge(move)
    return move


@transaction.atomic
def move_refuse(*, actor, move_id, expected_version: int, reason: str) -> Move:
    """The manager refuses: the post is open again (the scenario shows it, and a
    re-solve of open posts can fill it) and the person is free."""
    reason = _reason(reason, missing="Enter why you cannot release this person")
    move = _locked(move_id)
    _check(actor, move, MoveStatus.REFUSED)
    require_version(move, expected_version)
    return _refuse(actor, move, reason)


def _refuse(actor, move: Move, reason: str) -> Move:
    before = move.status
    move.status = MoveStatus.REFUSED
    move.refused_reason = reason
    move.released_by = actor
    move.released_at = timezone.now()
    save_new_version(move, ["status", "refused_reason", "released_by", "released_at"])
    _allocation_status(move, AllocationStatus.DECLINED)
    _record(actor, move, before, reason)
    notices.release_refused(move)
    return move


@dataclass
class BulkOutcome:
    done: list[Move] = field(default_factory=list)
    # Moves another manager (or an earlier click) had already decided: not counted again.
    already: list[Move] = field(default_factory=list)
    stale: list[Move] = field(default_factory=list)  # changed since the page was read


@transaction.atomic
def moves_decide_many(
    *, actor, decisions: Sequence[tuple[str, int]], step: str, reason: str = ""
) -> BulkOutcome:
    """Release (or refuse, with one reason) many moves at once: ``decisions`` are
    (move id, version read). Rows are locked in id order, so two managers acting
    at once queue behind each other and each move is decided exactly once: a move
    already decided is reported, never counted twice."""
    if step not in (MoveStatus.RELEASED, MoveStatus.REFUSED):
        raise ValueError("a bulk decision releases or refuses")
    if step == MoveStatus.REFUSED:
        reason = _reason(reason, missing="Enter why you cannot release these people")
    versions = {str(pk): version for pk, version in decisions}
    moves = list(
        Move.objects.select_for_update()
        .select_related("person")
        .filter(pk__in=list(versions))
        .order_by("pk")
    )
    outcome = BulkOutcome()
    for move in moves:
        if not may(actor, move, step):
            raise PermissionDenied
        if move.status != MoveStatus.PROPOSED:
            outcome.already.append(move)
        elif move.version != versions[str(move.pk)]:
            outcome.stale.append(move)
        elif step == MoveStatus.RELEASED:
            outcome.done.append(_release(actor, move))
        else:
            outcome.done.append(_refuse(actor, move, reason))
    return outcome


def _advance(actor, move_id, expected_version: int, step: str, stamp: str) -> Move:
    """One plain step: lock, check who and whether, then move on and record it."""
    move = _locked(move_id)
    _check(actor, move, step)
    require_version(move, expected_version)
    before = move.status
    move.status = step
    setattr(move, stamp, timezone.now())
    save_new_version(move, ["status", stamp])
    _record(actor, move, before)
    return move


@transaction.atomic
def move_acknowledge(*, actor, move_id, expected_version: int) -> Move:
    return _advance(actor, move_id, expected_version, MoveStatus.ACKNOWLEDGED, "acknowledged_at")


@transaction.atomic
def move_start(*, actor, move_id, expected_version: int) -> Move:
    return _advance(actor, move_id, expected_version, MoveStatus.STARTED, "started_at")


@transaction.atomic
def move_extend(*, actor, move_id, expected_version: int, end_date: dt.date) -> Move:
    move = _locked(move_id)
    _check(actor, move, MoveStatus.EXTENDED)
    require_version(move, expected_version)
    if end_date <= move.end_date:
        raise ValidationError({"end_date": "The new end date must be after the current one"})
    if end_date > move.start_date + dt.timedelta(weeks=MAX_LOAN_WEEKS):
        raise ValidationError(
            {"end_date": f"A loan can last at most {MAX_LOAN_WEEKS} weeks from its start"}
        )
    before, old_end = move.status, move.end_date
    move.status = MoveStatus.EXTENDED
    move.end_date = end_date
    save_new_version(move, ["status", "end_date"])
    _record(actor, move, before, f"end date {old_end.isoformat()} → {end_date.isoformat()}")
    return move


@transaction.atomic
def move_end(*, actor, move_id, expected_version: int) -> Move:
    """The person returns to their unit: free for other scenarios again, and asked
    to confirm the skills they used (drafted from the line's role, DESIGN 9)."""
    move = _advance(actor, move_id, expected_version, MoveStatus.ENDED, "ended_at")
    _allocation_status(move, AllocationStatus.RELEASED)
    _draft_skills_used(actor, move)
    notices.returned(move)
    return move


@transaction.atomic
def move_cancel(*, actor, move_id, expected_version: int, reason: str) -> Move:
    reason = _reason(reason, missing="Enter why the move is cancelled")
    move = _locked(move_id)
    _check(actor, move, MoveStatus.CANCELLED)
    require_version(move, expected_version)
    before = move.status
    move.status = MoveStatus.CANCELLED
    save_new_version(move, ["status"])
    _allocation_status(move, AllocationStatus.RELEASED)
    _record(actor, move, before, reason)
    return move


def _draft_skills_used(actor, move: Move) -> None:
    """The line's role requirements, proposed as drafts the person confirms."""
    if move.line_id is None:
        return
    from matching.drafting import Source
    from skills_app.people.drafts import draft_person

    role = move.line.role_profile
    source_start = move.started_at.date() if move.started_at else move.start_date
    offers = [
        (
            requirement.skill_id,
            Source(
                kind="move",
                label=role.title,
                level=requirement.level,
                start=source_start,
                end=timezone.localdate(),
                ref=role.code,
            ),
        )
        for requirement in role.requirements.all()
    ]
    if offers:
        draft_person(actor=actor, person=move.person, offers=offers, kinds=())


# --- chasing and reminders ----------------------------------------------------------


@transaction.atomic
def moves_chase(*, actor, scenario) -> int:
    """Remind the managers (and people) whose step is outstanding; returns how many
    reminders were queued."""
    if not is_planner(actor):
        raise PermissionDenied
    sent = 0
    for move in Move.objects.filter(
        scenario=scenario, status__in=[MoveStatus.PROPOSED, MoveStatus.RELEASED]
    ).select_related("person"):
        if move.status == MoveStatus.PROPOSED:
            sent += notices.release_requested(move, chase=True)
        else:
            sent += notices.to_acknowledge(move, chase=True)
    record_event(
        actor=actor,
        action=Action.MOVE,
        object_type="scenario",
        object_id=scenario.pk,
        parameters={"change": "chased", "reminders": sent},
    )
    return sent


START_REMINDER_DAYS = 2
END_REMINDER_DAYS = 7


def moves_send_reminders(*, today: dt.date | None = None) -> int:
    """Start reminders for moves starting within ``START_REMINDER_DAYS``, end
    reminders for moves ending within ``END_REMINDER_DAYS`` (each sent once)."""
    today = today or timezone.localdate()
    sent = 0
    starting = Move.objects.filter(
        status__in=[MoveStatus.RELEASED, MoveStatus.ACKNOWLEDGED],
        start_date__lte=today + dt.timedelta(days=START_REMINDER_DAYS),
        start_date__gte=today,
    ).select_related("person")
    for move in starting:
        sent += notices.start_reminder(move)
    ending = Move.objects.filter(
        status__in=[MoveStatus.STARTED, MoveStatus.EXTENDED],
        end_date__lte=today + dt.timedelta(days=END_REMINDER_DAYS),
    ).select_related("person")
    for move in ending:
        sent += notices.end_reminder(move)
    return sent


def live_move(person: Person) -> Move | None:
    return (
        Move.objects.filter(person=person, status__in=sorted(ACTIVE))
        .select_related("line__role_profile", "scenario")
        .first()
    )


# --- the ready reserve -------------------------------------------------------------

MAX_RESERVE_DAYS = 366


@transaction.atomic
def reserve_join(
    *, actor, person: Person, notice: str, available_from: dt.date, available_until: dt.date
):
    """The person offers to be on call (a request until their manager agrees; a
    changed offer needs agreeing again)."""
    from skills_app.moves.models import ReserveMembership, ReserveNotice

    if not is_mover(actor, person):
        raise PermissionDenied
    errors = {}
    if notice not in ReserveNotice.values:
        errors["notice"] = "Choose how much notice you need: 24 hours, 1 week or 1 month"
    if available_until < available_from:
        errors["available_until"] = "The last day must be on or after the first day"
    elif (available_until - available_from).days > MAX_RESERVE_DAYS:
        errors["available_until"] = "You can offer at most a year at a time"
    if available_until < timezone.localdate():
        errors.setdefault("available_until", "The last day must be today or later")
    if errors:
        raise ValidationError(errors)
    membership, created = ReserveMembership.objects.select_for_update().get_or_create(
        person=person,
        defaults={
            "notice": notice,
            "available_from": available_from,
            "available_until": available_until,
        },
    )
    if not created:
        membership.notice = notice
        membership.available_from, membership.available_until = available_from, available_until
        membership.agreed_by, membership.agreed_at, membership.withdrawn_at = None, None, None
        save_new_version(membership)
    workforce_changed(ChangeScope.PERSON, [person.pk])
    _audit_reserve(actor, person, "offered")
    return membership


@transaction.atomic
def reserve_agree(*, actor, membership_id: int, expected_version: int):
    """The line manager agrees in advance: the person's surge moves need no release."""
    from skills_app.moves.models import ReserveMembership

    membership = (
        ReserveMembership.objects.select_for_update()
        .select_related("person")
        .filter(pk=membership_id)
        .first()
    )
    if membership is None:
        raise ReserveMembership.DoesNotExist
    if not is_releaser(actor, membership.person):
        raise PermissionDenied
    require_version(membership, expected_version)
    if membership.withdrawn_at is not None:
        raise MoveError("This offer was withdrawn")
    membership.agreed_by, membership.agreed_at = actor, timezone.now()
    save_new_version(membership)
    workforce_changed(ChangeScope.PERSON, [membership.person_id])
    _audit_reserve(actor, membership.person, "agreed")
    return membership


@transaction.atomic
def reserve_withdraw(*, actor, membership_id: int, expected_version: int):
    """The person (or their manager) ends the offer."""
    from skills_app.moves.models import ReserveMembership

    membership = (
        ReserveMembership.objects.select_for_update()
        .select_related("person")
        .filter(pk=membership_id)
        .first()
    )
    if membership is None:
        raise ReserveMembership.DoesNotExist
    if not (is_mover(actor, membership.person) or is_releaser(actor, membership.person)):
        raise PermissionDenied
    require_version(membership, expected_version)
    membership.withdrawn_at = timezone.now()
    save_new_version(membership)
    workforce_changed(ChangeScope.PERSON, [membership.person_id])
    _audit_reserve(actor, membership.person, "withdrawn")
    return membership


def _audit_reserve(actor, person: Person, change: str) -> None:
    record_event(
        actor=actor,
        action=Action.EDIT_PROFILE,
        object_type="person",
        object_id=person.pk,
        subject=person,
        parameters={"what": "ready reserve", "change": change},
    )


def reserve_on_call(person_ids: Iterable[int], day: dt.date) -> set[int]:
    """Which of ``person_ids`` are agreed reserve members on call on ``day``."""
    from skills_app.moves.models import ReserveMembership

    return set(
        ReserveMembership.objects.filter(
            person_id__in=list(person_ids),
            agreed_at__isnull=False,
            withdrawn_at__isnull=True,
            available_from__lte=day,
            available_until__gte=day,
        ).values_list("person_id", flat=True)
    )


# --- reading moves: the audit of who looked -------------------------------------------


def moves_access_record(*, actor, moves: Iterable[Move], page: str) -> int:
    """A page that lists other people's moves: one audit row per person shown
    (never the actor themself), so each of them sees it in "who viewed me"."""
    me = viewer_person(actor)
    others = sorted({m.person_id for m in moves if me is None or m.person_id != me.pk})
    if not others:
        return 0
    return record_events_for_subjects(
        actor=actor, action=Action.VIEW_SCENARIO, subjects=others, parameters={"page": page}
    )


# --- loans to other organisations -------------------------------------------------------

MAX_HOST = 255
MAX_COST_NOTE = 500


def may_arrange_loans(user) -> bool:
    """Planners and HR arrange loans out (and hand the host the package)."""
    return is_planner(user) or has_cap(user, Cap.PROFILE_VIEW_ALL)


@transaction.atomic
def move_create_loan(
    *, actor, person: Person, host: str, start: dt.date, end: dt.date, cost_note: str = ""
) -> Move:
    """A loan out to another organisation: proposed, so the line manager releases
    it, the person acknowledges it and a planner starts and ends it, like a surge
    move."""
    if not may_arrange_loans(actor):
        raise PermissionDenied
    host = " ".join((host or "").split())
    cost_note = (cost_note or "").strip()
    errors = {}
    if not host:
        errors["host"] = "Enter the organisation the person is loaned to"
    elif len(host) > MAX_HOST:
        errors["host"] = f"Organisation must be {MAX_HOST} characters or fewer"
    if len(cost_note) > MAX_COST_NOTE:
        errors["cost_note"] = f"Cost note must be {MAX_COST_NOTE} characters or fewer"
    if end <= start:
        errors["end"] = "The end date must be after the start date"
    elif end > start + dt.timedelta(weeks=MAX_LOAN_WEEKS):
        errors["end"] = f"A loan can last at most {MAX_LOAN_WEEKS} weeks"
    if errors:
        raise ValidationError(errors)
    locked = Person.objects.select_for_update().get(pk=person.pk)
    if Move.objects.filter(person=locked, status__in=sorted(ACTIVE)).exists():
        raise MoveError("This person is already on a move: end or cancel it first")
    move = Move.objects.create(
        person=locked,
        status=MoveStatus.PROPOSED,
        start_date=start,
        end_date=end,
        host_organisation=host,
        cost_note=cost_note,
        created_by=actor,
    )
    _record(actor, move, "", f"loan to {host}")
    notices.release_requested(move)
    return move


@transaction.atomic
def move_record_consent(*, actor, move_id, expected_version: int) -> Move:
    """The person agrees that their match-relevant profile may go to the host of
    their loan (the package is refused until they do)."""
    move = _locked(move_id)
    if not is_mover(actor, move.person):
        raise PermissionDenied
    require_version(move, expected_version)
    if not move.is_loan_out:
        raise MoveError("Only a loan to another organisation has a package to share")
    if move.status not in ACTIVE:
        raise MoveError("This loan is over: there is nothing to share")
    if move.package_consent_at is None:
        move.package_consent_at = timezone.now()
        save_new_version(move, ["package_consent_at"])
        MoveStep.objects.create(
            move=move,
            actor=actor,
            from_status=move.status,
            to_status=move.status,
            note="agreed to share their profile with the host",
        )
        record_event(
            actor=actor,
            action=Action.MOVE,
            object_type="move",
            object_id=move.pk,
            subject=move.person,
            parameters={"change": "package consent", "scenario": None},
        )
    return move


def move_package(*, actor, move_id) -> dict:
    """What the host of a loan receives: the person's name and match-relevant
    profile (confirmed skills with level, last used, evidence and the taxonomy
    URI; role history titles and dates), no contact details. Only once the
    person has consented; audited as an export of their data."""
    if not may_arrange_loans(actor):
        raise PermissionDenied
    move = Move.objects.select_related("person").filter(pk=move_id).first()
    if move is None:
        raise Move.DoesNotExist
    if not move.is_loan_out:
        raise MoveError("Only a loan to another organisation has a package")
    if move.package_consent_at is None:
        raise MoveError("The person has not agreed to share their profile yet")
    person = move.person
    skills = person.skills.confirmed().select_related("skill").order_by("-level", "skill__name")
    package = {
        "format": "muster-move-package/1",
        "generated_at": timezone.now().isoformat(),
        "loan": {
            "host_organisation": move.host_organisation,
            "start_date": move.start_date.isoformat(),
            "end_date": move.end_date.isoformat(),
        },
        "person": {"name": person.full_name},
        "consent_recorded_at": move.package_consent_at.isoformat(),
        "skills": [
            {
                "skill": s.skill.name,
                "uri": s.skill.uri,
                "level": s.level,
                "last_used": s.last_used.isoformat() if s.last_used else None,
                "evidence": s.evidence,
            }
            for s in skills
        ],
        "roles": [
            {
                "title": r.title,
                "start": r.start.isoformat(),
                "end": r.end.isoformat() if r.end else None,
            }
            for r in person.role_history.order_by("-start")
        ],
    }
    record_event(
        actor=actor,
        action=Action.EXPORT,
        object_type="move",
        object_id=move.pk,
        subject=person,
        parameters={
            "export": "move package",
            "skills": len(package["skills"]),
            "roles": len(package["roles"]),
        },
    )
    return package
