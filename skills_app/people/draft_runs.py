"""Drafting from records (DESIGN 9): one person now, and everyone as a background job.

``draft_from_records`` drafts one person from their role history and
qualifications (``draft_sources``) through the one-person write path
(``drafts.draft_person``). A run over records looks at the record kinds only
(``matching.drafting.RECORD_KINDS``), so drafts from a pasted CV are left alone.

"Draft everyone" is a ``DraftRun``: ``draft_run_start`` (HR, page or API) creates it
and queues ``people.tasks.run_draft_run`` for the task worker (``manage.py
run_worker``); only one run is queued or running at a time. The worker claims the
run (queued -> running), builds the title indexes once and drafts everyone in
batches of ``DRAFT_RUN_BATCH`` people (``bulk_services.drafts_bulk_apply``), each
batch in its own transaction that commits only while the run is still running,
updating ``processed_people`` and ``heartbeat_at`` as it goes. A run whose worker
died stops beating; ``reap_stale_draft_runs`` (``manage.py reap_draft_runs``, in
the worker's housekeeping) marks it failed. The batches it committed stand: the
run is idempotent, so running it again finishes the job.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from matching.drafting import RECORD_KINDS
from skills_app.audit.models import Action
from skills_app.audit.services import record_event
from skills_app.people.bulk_services import DraftBatchCounts, drafts_bulk_apply
from skills_app.people.draft_sources import Gatherer, build_title_indexes, record_offers
from skills_app.people.drafts import DraftCounts, draft_person
from skills_app.people.models import DraftRun, DraftRunStatus, Person

logger = logging.getLogger(__name__)

ACTIVE = (DraftRunStatus.QUEUED, DraftRunStatus.RUNNING)
# Any constant: the key of the PostgreSQL advisory lock that makes "is a run active?
# if not, start one" a single step. (SQLite transactions are IMMEDIATE: one writer.)
_START_LOCK = 0x6D75_7374_6472  # "mustdr"

INTERRUPTED = (
    "The run stopped before it finished because the Muster worker running it stopped "
    "(for example, the server was restarted). The people it had reached keep their "
    "drafts. Start it again to draft everyone else."
)
FAILED = (
    "The run failed because of a problem in Muster. The people it had reached keep "
    "their drafts. Try again later; if it keeps failing, tell the Muster support team."
)


def draft_from_records(*, actor, person: Person) -> DraftCounts:
    """Draft ``person`` now from their role history and qualifications."""
    offers = record_offers([person.pk])[person.pk]
    return draft_person(actor=actor, person=person, offers=offers, kinds=RECORD_KINDS)


def draftable_people():
    """Everyone a run drafts: not anonymised, and not yet left."""
    today = timezone.localdate()
    return Person.objects.filter(anonymised_at__isnull=True).filter(
        Q(left_on__isnull=True) | Q(left_on__gt=today)
    )


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


# -- starting ---------------------------------------------------------------------------------


def active_run() -> DraftRun | None:
    return DraftRun.objects.filter(status__in=ACTIVE).order_by("created_at").first()


def draft_run_start(*, actor) -> tuple[DraftRun, bool]:
    """Queue a run for everyone; (run, True). If a run is already queued or running,
    nothing is started: (that run, False)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_START_LOCK])
        existing = active_run()
        if existing is not None:
            return existing, False
        run = DraftRun.objects.create(created_by=actor, total_people=draftable_people().count())
        record_event(
            actor=actor,
            action=Action.DRAFT,
            object_type="draft_run",
            object_id=run.pk,
            parameters={"started": True, "people": run.total_people},
        )
    from skills_app.people.tasks import run_draft_run

    run_draft_run.enqueue(str(run.pk))
    run.refresh_from_db()  # (a test's immediate backend has run it already)
    return run, True


# -- running ----------------------------------------------------------------------------------


class RunReaped(Exception):
    """The reaper gave the run up (its heartbeat had stopped) before a batch committed."""


def _chunks(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _beat(run_id, **fields) -> bool:
    return bool(
        DraftRun.objects.filter(pk=run_id, status=DraftRunStatus.RUNNING).update(
            heartbeat_at=timezone.now(), **fields
        )
    )


def draft_run_execute(*, run_id, batch_size: int | None = None) -> DraftRun:
    """Run one queued run to the end. Safe to call twice: a run that is no longer
    queued is returned as it is."""
    now = timezone.now()
    claimed = DraftRun.objects.filter(pk=run_id, status=DraftRunStatus.QUEUED).update(
        status=DraftRunStatus.RUNNING, started_at=now, heartbeat_at=now
    )
    run = DraftRun.objects.select_related("created_by").get(pk=run_id)
    if not claimed:
        return run
    size = max(1, batch_size or _setting("DRAFT_RUN_BATCH", 5000))
    totals = DraftBatchCounts()
    status, result = DraftRunStatus.FAILED, None
    source = {"run": str(run.pk), "kinds": sorted(RECORD_KINDS)}
    try:
        ids = list(draftable_people().order_by("pk").values_list("pk", flat=True))
        _beat(run.pk, total_people=len(ids))
        gatherer = Gatherer(build_title_indexes())
        for chunk in _chunks(ids, size):
            offers = gatherer.offers(chunk)
            with transaction.atomic():
                counts = drafts_bulk_apply(
                    offers=offers, kinds=RECORD_KINDS, actor=run.created_by, source=source
                )
                # Commit only a batch of a run that is still ours: this locks the run
                # row, so the reaper either gave it up before (the batch rolls back)
                # or sees this fresh heartbeat once it commits.
                totals.add(counts)
                if not _beat(
                    run.pk,
                    processed_people=F("processed_people") + len(chunk),
                    result=totals.as_dict(),
                ):
                    raise RunReaped
        status, result = DraftRunStatus.SUCCEEDED, totals.as_dict()
    except RunReaped:
        logger.warning("draft run %s: reaped before a batch could commit", run.pk)
    except Exception as exc:  # noqa: BLE001 - recorded on the run, never re-raised
        logger.error("draft run %s failed: %s", run.pk, type(exc).__name__)
        result = totals.as_dict() | {"failure": "error", "detail": FAILED}
    finally:
        if result is None:
            result = totals.as_dict() | {"failure": "error", "detail": FAILED}
        # A run the reaper gave up keeps the reaper's answer.
        finished_here = DraftRun.objects.filter(pk=run.pk, status=DraftRunStatus.RUNNING).update(
            status=status, finished_at=timezone.now(), heartbeat_at=timezone.now(), result=result
        )
        if finished_here:
            _audit_end(run, status=status, result=result)
    run.refresh_from_db()
    return run


def _audit_end(run: DraftRun, *, status: str, **extra) -> None:
    result = extra.get("result") or {}
    record_event(
        actor=run.created_by,
        action=Action.DRAFT,
        object_type="draft_run",
        object_id=run.pk,
        parameters={
            "status": str(status),
            **{
                key: result[key]
                for key in (
                    "people_drafted",
                    "drafts_created",
                    "drafts_updated",
                    "drafts_withdrawn",
                )
                if key in result
            },
            **({"reason": extra["reason"]} if "reason" in extra else {}),
        },
    )


# -- reading and housekeeping -----------------------------------------------------------------


def draft_run_get(*, run_id) -> DraftRun:
    """Raises DraftRun.DoesNotExist."""
    return DraftRun.objects.select_related("created_by").get(pk=run_id)


def recent_runs(limit: int = 5):
    return DraftRun.objects.select_related("created_by")[:limit]


def run_finished(run: DraftRun) -> bool:
    return run.status not in ACTIVE


def run_percent(run: DraftRun) -> int:
    if run_finished(run):
        return 100
    if not run.total_people:
        return 0
    return min(100, int(100 * run.processed_people / run.total_people))


def reap_stale_draft_runs(*, now=None, stale_after: timedelta | None = None) -> int:
    """Mark failed every running run whose worker stopped reporting (no heartbeat
    for ``DRAFT_RUN_STALE_SECONDS``). Returns how many were reaped."""
    now = now or timezone.now()
    if stale_after is None:
        stale_after = timedelta(seconds=_setting("DRAFT_RUN_STALE_SECONDS", 300))
    cutoff = now - stale_after
    stale = DraftRun.objects.filter(status=DraftRunStatus.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    )
    reaped = 0
    for run in stale.select_related("created_by"):
        result = (run.result or {}) | {"failure": "interrupted", "detail": INTERRUPTED}
        # Only if it has not beaten since it was read (the worker may be alive after all).
        changed = DraftRun.objects.filter(
            pk=run.pk, status=DraftRunStatus.RUNNING, heartbeat_at=run.heartbeat_at
        ).update(status=DraftRunStatus.FAILED, finished_at=now, result=result)
        if changed:
            _audit_end(run, status=DraftRunStatus.FAILED, result=result, reason="worker stopped")
            reaped += 1
    return reaped
