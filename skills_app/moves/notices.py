"""Who hears about each step of a move, through GOV.UK Notify (``skills_app.notify``).

A message holds the recipient's name and a link to a page that names nobody;
everything else is on the page, behind sign-in. Each notice has a reference, so
the same step never notifies twice (a chase or a changed date is a new one).
Returns how many notices were queued (0 when there is nobody to tell).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from skills_app.notify.models import Notification
from skills_app.notify.services import queue_notification


def _path(name: str, **kwargs) -> str:
    """A page's path from its URL name, so a message never links to a moved page."""
    return reverse(name, kwargs=kwargs or None)


def _send(event: str, recipient, path: str, reference: str) -> int:
    if recipient is None or not recipient.work_email:
        return 0
    if Notification.objects.filter(reference=reference).exists():
        return 0  # this step was notified already
    queued = queue_notification(
        event=event, recipient=recipient, link_path=path, reference=reference
    )
    return 1 if queued else 0


def _ref(move, event: str, *, chase: bool = False, extra: str = "") -> str:
    parts = ["move", str(move.pk), event, extra or f"v{move.version}"]
    if chase:
        parts.append(f"chase-{timezone.now().isoformat()}")
    return ":".join(parts)


def release_requested(move, *, chase: bool = False) -> int:
    manager = move.person.line_manager
    return _send(
        "release_requested", manager, _path("moves:requests"), _ref(move, "release", chase=chase)
    )


def reserve_called(move) -> int:
    """A reserve member's manager agreed in advance: told, not asked."""
    manager = move.person.line_manager
    return _send("reserve_called", manager, _path("moves:requests"), _ref(move, "reserve"))


def to_acknowledge(move, *, chase: bool = False) -> int:
    return _send(
        "move_to_acknowledge",
        move.person,
        _path("me:move"),
        _ref(move, "acknowledge", chase=chase),
    )


def release_refused(move) -> int:
    planner = getattr(getattr(move.scenario, "approved_by", None), "person", None)
    path = _path("surge:moves", pk=move.scenario_id) if move.scenario_id else _path("moves:list")
    return _send("release_refused", planner, path, _ref(move, "refused"))


def start_reminder(move) -> int:
    extra = f"start-{move.start_date.isoformat()}"
    return _send("start_reminder", move.person, _path("me:move"), _ref(move, "start", extra=extra))


def end_reminder(move) -> int:
    extra = f"end-{move.end_date.isoformat()}"
    return _send("end_reminder", move.person, _path("me:move"), _ref(move, "end", extra=extra))


def returned(move) -> int:
    return _send("returned", move.person, _path("people:drafts"), _ref(move, "returned"))
