"""Notifications: the one write path for ``Notification`` (DESIGN 2 and 10).

Callers (the moves workflow) call ``queue_notification`` inside the transaction that
takes the step: the row commits with the step or not at all. Nothing is sent inside
a request: the worker's housekeeping runs ``send_due`` every ~30 s
(``manage.py send_notifications`` runs it once). A failed send is retried with
backoff (``RETRY_DELAYS``) and gives up after ``MAX_ATTEMPTS`` as ``dead``, where the
admin shows it and can retry it; a row is never deleted by a failure.

Logs name events, counts and row ids, never an address or a name.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from urllib.parse import urljoin

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from skills_app.audit.models import Action
from skills_app.audit.services import record_event
from skills_app.logmasking import mask
from skills_app.notify.backends import BaseBackend, OutgoingMessage, PermanentFailure, SendFailure
from skills_app.notify.events import Event
from skills_app.notify.models import Notification, Status

logger = logging.getLogger("skills_app.notify")

# Wait after the 1st, 2nd, ... failed attempt; the attempt after the last delay is the
# last (MAX_ATTEMPTS in all, about a day and a half), then the row is dead.
RETRY_DELAYS = tuple(
    dt.timedelta(seconds=s) for s in (60, 5 * 60, 30 * 60, 2 * 3600, 6 * 3600, 12 * 3600, 86400)
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# A row claimed for sending is out of everyone else's reach this long; if its worker
# dies mid-send, the next run after that takes it up again (as a new attempt).
SENDING_LEASE = dt.timedelta(minutes=5)
DUE_STATUSES = (Status.QUEUED, Status.FAILED, Status.SENDING)


def site_link(link_path: str) -> str:
    """The absolute URL for a path of this service (``SITE_URL`` + path). The path
    must be a plain path that names no one: no query string, no fragment, nothing
    shaped like a staff number (skills_app.logmasking), no person's page."""
    if (
        not link_path.startswith("/")
        or link_path.startswith("//")
        or any(c in link_path for c in "?#\\ \t\r\n")
        or mask(link_path) != link_path
        or "/people/" in link_path
    ):
        raise ValueError("A notification's link must be a plain path that names no one")
    return urljoin(settings.SITE_URL.rstrip("/") + "/", link_path.lstrip("/"))


def queue_notification(*, event, recipient, link_path: str, reference: str) -> Notification | None:
    """Queue one email to ``recipient`` (a ``people.Person``) about ``event``, with a
    link to ``link_path`` (e.g. ``/moves/requests/``) on this service.

    Writes the row in the caller's transaction and sends nothing: the worker sends it
    after commit. ``reference`` makes the step idempotent ("move:42:release_requested:1"):
    queuing the same reference again returns the existing row and queues nothing, so
    a step's code may run twice without mailing twice. Reusing a reference for another
    event or person is a bug and raises ``ValueError``.

    Returns ``None`` (and queues nothing) for an anonymised person: their address is
    a placeholder that reaches no one."""
    event = Event(event)
    if not reference or len(reference) > 200:
        raise ValueError("A notification needs a reference of at most 200 characters")
    link = site_link(link_path)
    if recipient.anonymised_at is not None:
        logger.info("notify %s not queued: recipient record %s anonymised", event, recipient.pk)
        return None
    notification, created = Notification.objects.get_or_create(
        reference=reference,
        defaults={
            "event": event.value,
            "recipient": recipient,
            "email_address": recipient.work_email,
            "personalisation": {"name": recipient.full_name, "link": link},
            "next_attempt_at": timezone.now(),
        },
    )
    if not created and (notification.event != event or notification.recipient_id != recipient.pk):
        raise ValueError(f"Reference {reference!r} already names another notification")
    if created:
        logger.info("notify %s queued as %s", event, notification.pk)
    return notification


def get_backend() -> BaseBackend:
    return import_string(settings.NOTIFY_BACKEND)()


def template_id(event: str) -> str:
    return settings.NOTIFY_TEMPLATES.get(event, "")


def retry_delay(attempts: int) -> dt.timedelta | None:
    """The wait after ``attempts`` failed attempts, or ``None``: give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return RETRY_DELAYS[max(attempts, 1) - 1]


@dataclass
class SendSummary:
    sent: int = 0
    failed: int = 0
    dead: int = 0

    @property
    def tried(self) -> int:
        return self.sent + self.failed + self.dead


def _claim(*, limit: int, now) -> list[Notification]:
    """Take up to ``limit`` due rows for this worker: marked ``sending`` with a lease
    in one short transaction. On PostgreSQL ``skip_locked`` lets two workers claim
    side by side, each skipping the other's rows; on SQLite the write transaction is
    IMMEDIATE, so claims run one after the other. Either way no row is claimed twice."""
    with transaction.atomic():
        rows = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(status__in=DUE_STATUSES, next_attempt_at__lte=now)
            .order_by("next_attempt_at")[:limit]
        )
        for row in rows:
            row.status = Status.SENDING
            row.attempts += 1
            row.next_attempt_at = now + SENDING_LEASE
        Notification.objects.bulk_update(rows, ["status", "attempts", "next_attempt_at"])
    return rows


def _finish(row: Notification, **fields) -> None:
    """Record the outcome of a send, unless the claim was lost meanwhile (the lease
    lapsed and another worker took the row up, or an administrator reset it)."""
    Notification.objects.filter(pk=row.pk, status=Status.SENDING, attempts=row.attempts).update(
        **fields
    )


def send_due(*, limit: int = 100, now=None) -> SendSummary:
    """Send up to ``limit`` rows that are due (queued, or failed and past their
    backoff, or claimed by a worker that died), through ``NOTIFY_BACKEND``."""
    now = now or timezone.now()
    summary = SendSummary()
    # Before claiming: a backend that cannot be built (no key) leaves every row as it was.
    backend = get_backend()
    for row in _claim(limit=limit, now=now):
        if row.attempts > MAX_ATTEMPTS:
            # Only rows whose worker died mid-send every time get here: none of those
            # attempts recorded a failure, so none could give up.
            _finish(row, status=Status.DEAD, last_error="The worker stopped during every attempt")
            summary.dead += 1
            continue
        message = OutgoingMessage(
            notification_id=row.pk,
            event=row.event,
            email_address=row.email_address,
            template_id=template_id(row.event),
            personalisation={k: row.personalisation.get(k, "") for k in ("name", "link")},
            reference=row.reference,
        )
        try:
            if not row.email_address:
                raise PermanentFailure("No address (forgotten by retention)")
            provider_id = backend.send(message)
        except Exception as exc:  # noqa: BLE001 - every failure is kept on the row and retried
            # A SendFailure's text is written to name no one; anything else may carry
            # the message's contents, so only its type is kept.
            error = str(exc) if isinstance(exc, SendFailure) else type(exc).__name__
            delay = None if isinstance(exc, PermanentFailure) else retry_delay(row.attempts)
            if delay is None:
                _finish(row, status=Status.DEAD, last_error=error[:300], next_attempt_at=now)
                summary.dead += 1
            else:
                _finish(
                    row, status=Status.FAILED, last_error=error[:300], next_attempt_at=now + delay
                )
                summary.failed += 1
            logger.warning(
                "notify %s %s attempt %d failed (%s): %s",
                row.event,
                row.pk,
                row.attempts,
                "gave up" if delay is None else f"retry in {delay}",
                error[:300],
            )
            continue
        _finish(
            row,
            status=Status.SENT,
            sent_at=timezone.now(),
            backend=backend.name,
            provider_id=str(provider_id)[:64],
            last_error="",
        )
        summary.sent += 1
    if summary.tried:  # the worker runs this every 30 s: an empty run is not news
        logger.info(
            "notify sent %d, failed %d, gave up %d", summary.sent, summary.failed, summary.dead
        )
    return summary


@transaction.atomic
def notifications_retry_now(ids, *, actor) -> int:
    """An administrator's "retry now": failed and dead rows among ``ids`` are queued
    again with a fresh set of attempts. Rows whose address retention has forgotten
    cannot be sent and stay as they are. Returns how many were queued.

    Audited (``actor``): one row naming the notifications queued again, by id and
    count only (no address, no name). Nothing queued, nothing recorded."""
    queued = list(
        Notification.objects.select_for_update()
        .filter(pk__in=ids, status__in=(Status.FAILED, Status.DEAD))
        .exclude(email_address="")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not queued:
        return 0
    Notification.objects.filter(pk__in=queued).update(
        status=Status.QUEUED, attempts=0, next_attempt_at=timezone.now()
    )
    record_event(
        actor=actor,
        action=Action.NOTIFY_RETRY,
        object_type="notification",
        parameters={"count": len(queued), "ids": [str(pk) for pk in queued]},
    )
    logger.info("notify retry now: %d queued again", len(queued))
    return len(queued)


@transaction.atomic
def notify_forget_personal_data(*, now=None, person_ids=None) -> int:
    """Blank the address and the name of rows that are done with them: sent or dead
    rows older than ``NOTIFY_RETENTION_DAYS`` (the link, the event and the recipient's
    record id stay, for the history), or, with ``person_ids`` (people being
    anonymised), every row of theirs, unsent ones given up. Returns how many rows."""
    now = now or timezone.now()
    if person_ids is not None:
        rows = Notification.objects.filter(recipient_id__in=person_ids)
        rows.filter(status__in=DUE_STATUSES).update(
            status=Status.DEAD, last_error="Recipient anonymised"
        )
    else:
        cutoff = now - dt.timedelta(days=settings.NOTIFY_RETENTION_DAYS)
        rows = Notification.objects.filter(
            status__in=(Status.SENT, Status.DEAD), created_at__lt=cutoff
        )
    forgotten = 0
    for row in rows.exclude(email_address="").only("pk", "personalisation"):
        row.personalisation = {**row.personalisation, "name": ""}
        Notification.objects.filter(pk=row.pk).update(
            email_address="", personalisation=row.personalisation
        )
        forgotten += 1
    return forgotten


def failure_counts() -> dict[str, int]:
    """How many rows are failing (will retry) and dead (gave up): for the admin."""
    from django.db.models import Count

    counts = dict(
        Notification.objects.filter(status__in=(Status.FAILED, Status.DEAD))
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return {Status.FAILED: counts.get(Status.FAILED, 0), Status.DEAD: counts.get(Status.DEAD, 0)}
