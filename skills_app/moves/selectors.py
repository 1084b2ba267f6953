"""Reading moves: who may see which (DESIGN 8 and 10), and the counts pages show."""

from __future__ import annotations

from collections import Counter

from django.db.models import QuerySet

from skills_app.accounts.permissions import Cap, has_cap
from skills_app.moves.models import TRANSITIONS, Move, MoveStatus
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


# --- what the pages show ------------------------------------------------------------

STATUS_TAGS = {
    MoveStatus.PROPOSED: "govuk-tag--yellow",
    MoveStatus.RELEASED: "govuk-tag--light-blue",
    MoveStatus.REFUSED: "govuk-tag--red",
    MoveStatus.ACKNOWLEDGED: "govuk-tag--blue",
    MoveStatus.STARTED: "govuk-tag--green",
    MoveStatus.EXTENDED: "govuk-tag--green",
    MoveStatus.ENDED: "govuk-tag--grey",
    MoveStatus.CANCELLED: "govuk-tag--grey",
}

# What happens next, for the person moving, by status.
NEXT_FOR_PERSON = {
    MoveStatus.PROPOSED: "Your line manager has been asked to release you. You will get an "
    "email when they decide.",
    MoveStatus.RELEASED: "Your line manager has released you. Acknowledge the move so the "
    "planners know you have seen it.",
    MoveStatus.ACKNOWLEDGED: "You have acknowledged the move. A workforce planner records the "
    "day you start.",
    MoveStatus.STARTED: "You are on this move. A workforce planner records your return, and "
    "you will be asked to confirm the skills you used.",
    MoveStatus.EXTENDED: "Your move was extended. A workforce planner records your return, and "
    "you will be asked to confirm the skills you used.",
    MoveStatus.REFUSED: "Your line manager could not release you, so you are not moving.",
    MoveStatus.ENDED: "You have returned.",
    MoveStatus.CANCELLED: "This move was cancelled.",
}

# The planner's steps, in the order their buttons appear.
PLANNER_STEPS = (
    (MoveStatus.STARTED, "start", "Record start"),
    (MoveStatus.EXTENDED, "extend", "Extend"),
    (MoveStatus.ENDED, "end", "End"),
    (MoveStatus.CANCELLED, "cancel", "Cancel"),
)


def role_of(move: Move) -> str:
    """The surge line's role, or the host of a loan out."""
    if move.line_id:
        return move.line.role_profile.title
    if move.host_organisation:
        return f"Loan to {move.host_organisation}"
    return ""


def planner_steps(move: Move) -> list[dict]:
    allowed = TRANSITIONS[move.status]
    return [
        {"step": slug, "label": label} for status, slug, label in PLANNER_STEPS if status in allowed
    ]


def status_chart(counts: dict[str, int]) -> dict:
    """Geometry for the server-side SVG bar chart of moves per status (one bar per
    status, labelled in words; the table beside it holds the same figures)."""
    label_w, bar_max, row_h, top = 250, 400, 30, 10
    peak = max(counts.values(), default=0) or 1
    rows = []
    for n, status in enumerate(MoveStatus):
        count = counts.get(status.value, 0)
        width = round(bar_max * count / peak) if count else 0
        y = top + n * row_h
        rows.append(
            {
                "label": status.label,
                "count": count,
                "y": y,
                "text_y": y + 18,
                "width": width,
                "count_x": label_w + 10 + width + 6,
            }
        )
    described = "; ".join(f"{r['label']}: {r['count']}" for r in rows)
    return {
        "rows": rows,
        "label_x": label_w,
        "bar_x": label_w + 10,
        "width": label_w + bar_max + 80,
        "height": top * 2 + row_h * len(rows),
        "desc": f"Moves per status. {described}.",
    }
