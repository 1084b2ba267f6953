"""Moves in the API (DESIGN 10): list, one step at a time, and the caller's own.

Each step names the version the caller read (``version``): a move that changed
since answers 409. The services check the caller's role and relationship (the
person's line manager releases, the person acknowledges, a planner starts, ends
and extends); the wrong caller gets 403.
"""

import datetime as dt
import uuid
from typing import Literal

from django.core.exceptions import PermissionDenied, ValidationError
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from skills_app.accounts.permissions import Cap
from skills_app.api_inputs import ErrorOut, StrictSchema, error_item
from skills_app.api_support import BoundedLimitOffsetPagination, authorize, responses
from skills_app.audit.models import Action
from skills_app.audit.services import record_events_for_subjects
from skills_app.core.concurrency import ConflictError
from skills_app.moves import services
from skills_app.moves.models import Move, MoveStatus
from skills_app.moves.selectors import moves_visible_to, my_moves

router = Router(tags=["moves"])
me_router = Router(tags=["me"])

StatusName = Literal[tuple(s.value for s in MoveStatus)]  # type: ignore[valid-type]


class MoveOut(Schema):
    id: uuid.UUID
    status: StatusName
    staff_number: str
    name: str
    scenario: int | None
    line: int | None
    role: str = Field(..., description="The surge line's role, or the host for a loan out")
    start_date: dt.date
    end_date: dt.date
    reserve: bool = Field(..., description="A ready-reserve member: released in advance")
    host_organisation: str
    refused_reason: str
    version: int

    @staticmethod
    def resolve_staff_number(obj):
        return obj.person.staff_number

    @staticmethod
    def resolve_name(obj):
        return obj.person.full_name

    @staticmethod
    def resolve_scenario(obj):
        return obj.scenario_id

    @staticmethod
    def resolve_line(obj):
        return obj.line_id

    @staticmethod
    def resolve_role(obj):
        if obj.line_id:
            return obj.line.role_profile.title
        return obj.host_organisation


class MovesFilter(Schema):
    scenario: int | None = None
    status: StatusName | None = None


class VersionIn(StrictSchema):
    version: int = Field(..., description="The move's version you read")


class RefuseIn(VersionIn):
    reason: str = Field(..., min_length=1, max_length=services.MAX_REASON)


class ExtendIn(VersionIn):
    end: dt.date = Field(..., description="The new end date, after the current one")


def _audited(request, moves: list[Move]) -> list[Move]:
    others = [m.person_id for m in moves if m.person.user_id != request.auth.pk]
    if others:
        record_events_for_subjects(
            actor=request.auth,
            action=Action.VIEW_SCENARIO,
            subjects=others,
            parameters={"page": "api moves"},
        )
    return moves


@router.get(
    "",
    response=responses({200: list[MoveOut]}),
    auth=authorize(Cap.PROFILE_EDIT_OWN),
    summary="Moves you may see, filtered by scenario and status",
)
@paginate(BoundedLimitOffsetPagination)
def list_moves(request, filters: Query[MovesFilter]):
    moves = moves_visible_to(request.auth).order_by("start_date", "id")
    if filters.scenario is not None:
        moves = moves.filter(scenario_id=filters.scenario)
    if filters.status is not None:
        moves = moves.filter(status=filters.status)
    return _LazyAudited(request, moves)


class _LazyAudited:
    """The page the paginator slices, audited once it is known."""

    def __init__(self, request, moves):
        self.request, self.moves = request, moves

    def __len__(self):
        return self.moves.count()

    def count(self):
        return self.moves.count()

    def __getitem__(self, item):
        return _audited(self.request, list(self.moves[item]))


def _step(request, move_id: uuid.UUID, action):
    if not moves_visible_to(request.auth).filter(pk=move_id).exists():
        return Status(404, {"detail": "No such move.", "errors": []})
    try:
        move = action()
    except Move.DoesNotExist:
        return Status(404, {"detail": "No such move.", "errors": []})
    except PermissionDenied:
        return Status(403, {"detail": "You may not take this step on this move.", "errors": []})
    except ConflictError:
        return Status(
            409, {"detail": "The move changed since you read it: read it again.", "errors": []}
        )
    except services.MoveError as exc:
        return Status(409, {"detail": str(exc), "errors": []})
    except ValidationError as exc:
        errors = [
            error_item(["body", name], message)
            for name, messages in exc.message_dict.items()
            for message in messages
        ]
        return Status(422, {"detail": "The step could not be taken.", "errors": errors})
    return Status(200, Move.objects.select_related("person", "line__role_profile").get(pk=move.pk))


STEP_RESPONSES = responses({200: MoveOut, 404: ErrorOut, 409: ErrorOut}, body=True)


def _version_step(name: str, service, cap: Cap, summary: str):
    """``POST /moves/{move_id}/<name>`` for a step that needs only the version read."""

    def view(request, move_id: uuid.UUID, payload: VersionIn):
        return _step(
            request,
            move_id,
            lambda: service(actor=request.auth, move_id=move_id, expected_version=payload.version),
        )

    view.__name__ = name
    return router.post(
        f"/{{move_id}}/{name}", response=STEP_RESPONSES, auth=authorize(cap), summary=summary
    )(view)


release = _version_step(
    "release",
    services.move_release,
    Cap.PROFILE_EDIT_OWN,
    "Release the person (their line manager)",
)
acknowledge = _version_step(
    "acknowledge",
    services.move_acknowledge,
    Cap.PROFILE_EDIT_OWN,
    "Acknowledge your move (the person moving)",
)
start = _version_step(
    "start", services.move_start, Cap.SURGE_EDIT, "Record that the move has started (a planner)"
)
end = _version_step(
    "end", services.move_end, Cap.SURGE_EDIT, "End the move: the person returns (a planner)"
)


@router.post(
    "/{move_id}/refuse",
    response=STEP_RESPONSES,
    auth=authorize(Cap.PROFILE_EDIT_OWN),
    summary="Refuse the release, with a reason (their line manager): the post opens again",
)
def refuse(request, move_id: uuid.UUID, payload: RefuseIn):
    return _step(
        request,
        move_id,
        lambda: services.move_refuse(
            actor=request.auth,
            move_id=move_id,
            expected_version=payload.version,
            reason=payload.reason,
        ),
    )


@router.post(
    "/{move_id}/extend",
    response=STEP_RESPONSES,
    auth=authorize(Cap.SURGE_EDIT),
    summary="Extend the move to a later end date (a planner)",
)
def extend(request, move_id: uuid.UUID, payload: ExtendIn):
    return _step(
        request,
        move_id,
        lambda: services.move_extend(
            actor=request.auth,
            move_id=move_id,
            expected_version=payload.version,
            end_date=payload.end,
        ),
    )


@me_router.get(
    "/moves",
    response=responses({200: list[MoveOut]}),
    auth=authorize(Cap.PROFILE_EDIT_OWN),
    summary="Your own moves, newest first",
)
def my_moves_api(request):
    return list(my_moves(request.auth))
