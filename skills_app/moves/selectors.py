"""Reading moves: who may see which (DESIGN 8 and 10), and the counts pages show."""

from __future__ import annotations

from collections import Counter

from django.db.models import QuerySet

from skills_app.accounts.permissions import Cap, has_cap
from skills_app.moves.models import Move, MoveStatus
from skills_app.people.team import team_queryset, viewer_person

_RELATED = ("person", "person__org_unit", "line__role_profile", "scenario")


def moves_visible_to(user) -> QuerySet[Move]:
    """Planners and HR see every move; line managers their team's; anyone their own."""
    moves = Move.objects.select_related(*_RELATED)
    if has_cap(user, Cap.SURGE_VIEW, Cap.PROFILE_VIEW_ALL, Cap.ADMINISTER):
        return moves
    me = viewer_person(user)
    if me is None:
        return moves.none()
    if has_cap(user, Cap.PROFILE_VIEW_TEAM):
        return moves.filter(person__in=team_queryset(manager=me)) | moves.filter(person=me)
    return moves.filter(person=me)


def release_requests(user) -> QuerySet[Move]:
    """The moves waiting on ``user`` as line manager: their team's proposed moves."""
    me = viewer_person(user)
    if me is None or not has_cap(user, Cap.SKILL_VERIFY_TEAM):
        return Move.objects.none()
    return (
        Move.objects.select_related(*_RELATED)
        .filter(person__in=team_queryset(manager=me), status=MoveStatus.PROPOSED)
        .order_by("start_date", "person__full_name")
    )


def my_moves(user) -> QuerySet[Move]:
    me = viewer_person(user)
    if me is None:
        return Move.objects.none()
    return Move.objects.select_related(*_RELATED).filter(person=me).order_by("-start_date")


def status_counts(moves: QuerySet[Move]) -> dict[str, int]:
    """Moves per status, every status listed (0 where none), in workflow order."""
    counts = Counter(moves.values_list("status", flat=True))
    return {status.value: counts.get(status.value, 0) for status in MoveStatus}
