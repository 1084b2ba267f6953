"""Import entry points shared by the web page, the API and the task worker.

Every import is an ``ImportJob``. ``import_submit`` (the web request's whole part) only
checks the upload's size, stores the file and queues the ``run_import_job`` task: it
never opens the file, so no upload, however built, can make a request slow. Every
check (type, encoding, header, limits, rows) runs in the worker, in ``import_run_job``:

1. read and check every row, reporting progress every few thousand rows;
2. if any row is wrong, write nothing and record the errors (status "rejected");
3. otherwise write everything in one transaction (rolled back for a dry run);
4. record one audit event (kind, file name, counts: never row contents) and delete the
   stored file, keeping only the result.

The worker touches the job's ``heartbeat_at`` as it goes (at every progress report and
from a small thread every ``IMPORT_HEARTBEAT_SECONDS``). ``reap_stale_jobs`` (run by
``manage.py run_worker``'s housekeeping and ``manage.py reap_import_jobs``) marks a job
whose heartbeat stopped as failed and deletes its file. A job's write commits only if
the job is still running, so a job reaped while its worker was merely slow writes
nothing.

The file is stored gzip-compressed (``pack``/``unpack``) while it waits.

Progress is written to the job row outside the import's transaction so other requests
can read it: while checking rows the worker is in autocommit; while writing, on
PostgreSQL, through a second connection (on SQLite, which allows one writer, the write
phase reports only when it starts and ends).
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import threading
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, connections, transaction
from django.db.models import Q
from django.utils import timezone

from skills_app.accounts.permissions import Cap, has_cap
from skills_app.audit.models import Action
from skills_app.audit.services import record_event
from skills_app.core.staging import Counts
from skills_app.imports.base import Importer, Progress
from skills_app.imports.errors import MAX_ERRORS, FileProblem, ImportConflict
from skills_app.imports.kinds import KINDS
from skills_app.imports.people import PeopleImporter
from skills_app.imports.person_skills import PersonSkillsImporter
from skills_app.imports.qualification_skills import QualificationSkillsImporter
from skills_app.imports.reading import check_size, open_table
from skills_app.imports.role_history import RoleHistoryImporter
from skills_app.imports.role_profiles import RoleProfilesImporter
from skills_app.people.models import ImportJob, ImportStatus

logger = logging.getLogger(__name__)

IMPORTERS: dict[str, type[Importer]] = {
    "people": PeopleImporter,
    "person-skills": PersonSkillsImporter,
    "role-history": RoleHistoryImporter,
    "role-profiles": RoleProfilesImporter,
    "qualification-skills": QualificationSkillsImporter,
}
RECENT_JOBS = 20
# How long a dry run from the import page keeps its file for "Import this file".
KEEP_CHECKED_FILE = timedelta(hours=1)

_GZIP = b"\x1f\x8b"


def pack(content: bytes) -> bytes:
    """The file as stored on the job: CSV gzip-compressed (fast level; about a fifth of
    the size, and moving a large bytea in and out of the database costs several times
    its size in memory), XLSX as it is (already compressed)."""
    if content.startswith(b"PK\x03\x04"):
        return content
    return gzip.compress(content, compresslevel=1, mtime=0)


def unpack(stored: bytes) -> bytes:
    return gzip.decompress(stored) if stored.startswith(_GZIP) else stored


# Django's PostgreSQL cursors bind parameters client-side: an 80 MB bytea would be
# hex-escaped into the SQL text (about 8 times its size in memory) on the way in and
# hex-decoded on the way out. On PostgreSQL the file goes through a psycopg cursor
# with server-side binding and binary transfer instead, on Django's own connection
# (so in whatever transaction Django has open).


def _table() -> str:
    return connection.ops.quote_name(ImportJob._meta.db_table)


def store_file(job: ImportJob, content: bytes) -> None:
    stored = pack(content)
    if connection.vendor != "postgresql":
        ImportJob.objects.filter(pk=job.pk).update(content=stored)
        return
    import psycopg

    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(
            f"UPDATE {_table()} SET content = %b WHERE id = %s",  # noqa: S608
            [stored, job.pk],
        )


def load_file(job_id) -> bytes:
    if connection.vendor != "postgresql":
        stored = ImportJob.objects.filter(pk=job_id).values_list("content", flat=True).get()
        return unpack(bytes(stored))
    import psycopg

    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(
            f"SELECT content FROM {_table()} WHERE id = %s",  # noqa: S608
            [job_id],
            binary=True,
        )
        stored = cursor.fetchone()[0]
    return unpack(stored)


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def import_create_job(
    *, kind: str, filename: str, content: bytes, dry_run: bool, user, keep: bool = False
) -> ImportJob:
    """Store an uploaded file as a queued job (no checks: see import_submit). ``keep``
    (a dry run by a signed-in user) keeps the file after a clean check, for
    ``import_checked_file``."""
    keep = keep and dry_run and bool(getattr(user, "pk", None))
    job = ImportJob.objects.create(
        kind=kind,
        filename=(filename or "upload")[:255],
        content=b"",
        dry_run=dry_run,
        created_by=user if getattr(user, "pk", None) else None,
        content_sha256=_digest(content) if keep else "",
        # Provisional: set to an hour after the check when the check finds no errors.
        kept_until=timezone.now() + KEEP_CHECKED_FILE if keep else None,
    )
    store_file(job, content)
    return job


PHASES = {
    "": "Waiting to start",
    "reading": "Reading the file",
    "validating": "Checking rows",
    "writing": "Writing rows",
    "saving": "Saving changes",
    "done": "Finished",
}


class UnknownKind(LookupError):
    """No import of that kind exists."""


def kind_spec(kind: str):
    try:
        return KINDS[kind]
    except KeyError:
        raise UnknownKind(kind) from None


# -- submitting a file ---------------------------------------------------------------------


@dataclass
class Submitted:
    job: ImportJob


def _audit_job(job: ImportJob, *, status, **outcome) -> None:
    """The one audit row of a job's end: who imported what, how it ended, with its
    counts (``outcome``); never the file's contents."""
    record_event(
        actor=job.created_by,
        action=Action.IMPORT,
        object_type="import_job",
        object_id=job.pk,
        parameters={
            "kind": job.kind,
            "filename": job.filename,
            "dry_run": job.dry_run,
            "status": str(status),
            **outcome,
        },
    )


def import_refused(*, kind: str, filename: str, dry_run: bool, user, problem: FileProblem):
    """Audit an upload refused before it became a job (too large): who tried to import
    what, and why; never the file's contents."""
    record_event(
        actor=user if getattr(user, "pk", None) else None,
        action=Action.IMPORT,
        object_type="import_job",
        parameters={
            "kind": kind,
            "filename": (filename or "upload")[:255],
            "dry_run": dry_run,
            "status": "refused",
            "reason": problem.message,
            "rows": 0,
            "errors": 1,
        },
    )


def check_upload_size(*, kind: str, filename: str, dry_run: bool, user, size: int) -> None:
    """Refuse (FileProblem, status 413, audited) an upload over the size limit, before
    it is read into memory."""
    try:
        check_size(size)
    except FileProblem as problem:
        import_refused(kind=kind, filename=filename, dry_run=dry_run, user=user, problem=problem)
        raise


def import_submit(
    *, kind: str, filename: str, content: bytes, dry_run: bool, user, keep: bool = False
) -> Submitted:
    """Store the file as a job and queue it for the worker; return at once. Only the
    size is checked here (a FileProblem, audited, before anything is stored): opening
    the file is the worker's job, so the request's cost does not depend on what the
    file holds. Raises UnknownKind. ``keep``: see ``import_create_job``."""
    kind_spec(kind)
    check_upload_size(kind=kind, filename=filename, dry_run=dry_run, user=user, size=len(content))
    purge_kept_files()
    job = import_create_job(
        kind=kind, filename=filename, content=content, dry_run=dry_run, user=user, keep=keep
    )
    from skills_app.imports.tasks import run_import_job

    run_import_job.enqueue(str(job.pk))
    # (A test's immediate backend has run it already.)
    job.refresh_from_db(fields=["status", "phase", "total_rows", "processed_rows", "result"])
    return Submitted(job)


# -- running a job ----------------------------------------------------------------------------


class _JobProgress:
    """A Progress sink writing to the job row where others can see it. Every report is
    also a heartbeat."""

    def __init__(self, job_id):
        self.job_id = job_id
        self.side = None
        # Only when the job row is committed may a second connection update it: inside
        # a caller's transaction this connection holds the row's lock (the claim), and
        # waiting for it from a second connection would wait for ever.
        self.side_allowed = not connection.in_atomic_block and connection.vendor == "postgresql"

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = timezone.now()
        fields = {"phase": phase[:32], "processed_rows": done, "total_rows": total}
        if not connection.in_atomic_block:
            ImportJob.objects.filter(pk=self.job_id, status=ImportStatus.RUNNING).update(
                heartbeat_at=now, **fields
            )
        elif self.side_allowed:
            if self.side is None:
                self.side = connections.create_connection(connection.alias)
            with self.side.cursor() as cursor:
                cursor.execute(
                    "UPDATE people_importjob SET phase = %s, processed_rows = %s, "
                    "total_rows = %s, heartbeat_at = %s WHERE id = %s AND status = %s",
                    [fields["phase"], done, total, now, self.job_id, ImportStatus.RUNNING],
                )

    def close(self) -> None:
        if self.side is not None:
            self.side.close()
            self.side = None


def _setting_number(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


class _Heartbeat(threading.Thread):
    """Touches the job's ``heartbeat_at`` every few seconds while the worker lives, so
    a phase that reports no progress for a while (opening a large workbook, a long
    write) is not taken for a dead worker. On SQLite a beat during the write phase
    waits for the writer and may be skipped; the reaper cannot write then either."""

    def __init__(self, job_id, every: float):
        super().__init__(name=f"import-heartbeat-{job_id}", daemon=True)
        self.job_id = job_id
        self.every = every
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.every):
                try:
                    ImportJob.objects.filter(pk=self.job_id, status=ImportStatus.RUNNING).update(
                        heartbeat_at=timezone.now()
                    )
                except DatabaseError as exc:
                    logger.warning("import job %s: heartbeat skipped (%s)", self.job_id, exc)
        finally:
            connections.close_all()  # this thread's own connection

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=1)


class JobReaped(Exception):
    """The reaper gave the job up (its heartbeat had stopped) before it could commit."""


def _result(
    *,
    job,
    ok: bool,
    detail: str,
    rows=0,
    counts: Counts | None = None,
    errors=None,
    matched_skills=None,
):
    counts = counts or Counts()
    error_list = errors.sorted_dicts() if errors is not None else []
    error_count = errors.count if errors is not None else 0
    return {
        "ok": ok,
        "kind": job.kind,
        "dry_run": job.dry_run,
        "detail": detail,
        "rows": rows,
        "created": counts.created,
        "updated": counts.updated,
        "unchanged": counts.unchanged,
        **counts.extra,
        "error_count": error_count,
        "errors": error_list,
        "matched_skills": matched_skills or [],
    }


def _file_problem_result(job, problem: FileProblem) -> dict:
    result = _result(job=job, ok=False, detail=problem.message)
    result["errors"] = [
        {"row": None, "column": None, "message": problem.message, "suggestions": []}
    ]
    result["error_count"] = 1
    return result


def _noun(kind: str, n: int) -> str:
    if kind == "role-profiles":
        return "role profile" if n == 1 else "role profiles"
    if kind == "qualification-skills":
        return "mapping" if n == 1 else "mappings"
    return "row" if n == 1 else "rows"


def _success_detail(job, rows: int, counts: Counts) -> str:
    noun = _noun(job.kind, 2)
    if job.dry_run:
        return (
            f"The file has no errors. Importing it would add {counts.created:,}, update "
            f"{counts.updated:,} and leave {counts.unchanged:,} {noun} unchanged. Nothing was "
            "imported: this was a check only."
        )
    return (
        f"Imported {rows:,} {_noun('rows', rows)}: {counts.created:,} {noun} added, "
        f"{counts.updated:,} updated, {counts.unchanged:,} unchanged."
    )


def rejected_detail(error_count: int) -> str:
    detail = (
        f"The file has {error_count:,} error{'s' if error_count != 1 else ''}; "
        "nothing was imported."
    )
    if error_count > MAX_ERRORS:
        detail += f" The first {MAX_ERRORS:,} are listed."
    return detail


def import_run_job(*, job_id) -> ImportJob:
    """Run one queued job to the end. Safe to call twice: a job that is no longer
    queued is returned as it is."""
    now = timezone.now()
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, started_at=now, heartbeat_at=now, phase="reading"
    )
    job = ImportJob.objects.defer("content").get(pk=job_id)
    if not claimed:
        return job
    sink = _JobProgress(job.pk)
    heartbeat = None
    if not connection.in_atomic_block:  # a worker (in a caller's transaction, no one sees it)
        every = max(1.0, _setting_number("IMPORT_HEARTBEAT_SECONDS", 15))
        heartbeat = _Heartbeat(job.pk, every)
        heartbeat.start()
    progress = Progress(sink)
    status, rows, result, matched = ImportStatus.FAILED, 0, None, []
    try:
        content = load_file(job.pk)
        table = open_table(content, kind_spec(job.kind))
        importer = IMPORTERS[job.kind](
            table=table, user=job.created_by, progress=progress, job_id=job.pk
        )
        importer.validate()
        rows = importer.rows
        matched = importer.matched_skills()
        if importer.errors:
            status = ImportStatus.REJECTED
            result = _result(
                job=job,
                ok=False,
                detail=rejected_detail(importer.errors.count),
                rows=rows,
                errors=importer.errors,
                matched_skills=matched,
            )
        else:
            importer.table = None  # let the file go before writing
            del content, table
            with transaction.atomic():
                counts = importer.write(dry_run=job.dry_run)
                if job.dry_run:
                    transaction.set_rollback(True)
                else:
                    # Commit only a job that is still ours: this locks the job row, so
                    # the reaper either gave the job up before (nothing is committed)
                    # or sees this fresh heartbeat once it is committed. (Nothing may
                    # report progress through a second connection after this line.)
                    alive = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.RUNNING).update(
                        heartbeat_at=timezone.now()
                    )
                    if not alive:
                        raise JobReaped
            status = ImportStatus.SUCCEEDED
            result = _result(
                job=job,
                ok=True,
                detail=_success_detail(job, rows, counts),
                rows=rows,
                counts=counts,
                matched_skills=matched,
            )
    except FileProblem as problem:
        status, result = ImportStatus.REJECTED, _file_problem_result(job, problem)
    except JobReaped:
        logger.warning("import job %s: reaped before it could commit", job.pk)
    except ImportConflict as conflict:
        result = _result(job=job, ok=False, detail=conflict.message, rows=rows)
        result["failure"] = "conflict"
    except IntegrityError as exc:
        # Never log the exception text: it can quote the row that clashed.
        logger.warning("import job %s: integrity error %s", job.pk, type(exc).__name__)
        result = _result(job=job, ok=False, detail=ImportConflict().message, rows=rows)
        result["failure"] = "conflict"
    except Exception as exc:  # noqa: BLE001 - recorded on the job, never re-raised
        logger.error("import job %s failed: %s", job.pk, type(exc).__name__)
        result = _result(
            job=job,
            ok=False,
            detail="The import failed because of a problem in Muster, so nothing was "
            "imported. Try again later; if it keeps failing, tell the Muster support team.",
            rows=rows,
        )
        result["failure"] = "error"
    finally:
        if heartbeat is not None:
            heartbeat.stop()
        sink.close()
        if result is None:  # interrupted by something that is not an Exception
            result = _result(job=job, ok=False, detail="The import was interrupted.", rows=rows)
            result["failure"] = "error"
        # A clean dry run asked to keep its file keeps it for an hour; any other job
        # lets the file go and keeps only the result.
        finished = timezone.now()
        if job.kept_until is not None and status == ImportStatus.SUCCEEDED:
            file_fields = {"kept_until": finished + KEEP_CHECKED_FILE}
        else:
            file_fields = {"content": b"", "content_sha256": "", "kept_until": None}
        # A job the reaper gave up keeps the reaper's answer (and its audit row).
        finished_here = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.RUNNING).update(
            status=status,
            phase="done",
            processed_rows=rows,
            total_rows=rows,
            finished_at=finished,
            result=result,
            **file_fields,
        )
        if finished_here:
            _audit_job(
                job,
                status=status,
                rows=rows,
                created=result.get("created", 0),
                updated=result.get("updated", 0),
                unchanged=result.get("unchanged", 0),
                errors=result.get("error_count", 0),
            )
    job.refresh_from_db(
        fields=[
            "status",
            "phase",
            "processed_rows",
            "total_rows",
            "finished_at",
            "result",
            "started_at",
            "kept_until",
            "content_sha256",
        ]
    )
    return job


# -- importing a checked file -----------------------------------------------------------------


class CheckedFileGone(Exception):
    """The checked file cannot be imported from its dry run (expired, already imported,
    not a clean dry run, or not the same bytes): the message says what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotYourFile(PermissionError):
    """Only the person who uploaded a checked file may import it."""


def purge_kept_files() -> int:
    """Let go of every checked file kept past its hour."""
    return ImportJob.objects.filter(kept_until__lt=timezone.now()).update(
        content=b"", content_sha256="", kept_until=None
    )


def can_import_checked_file(job: ImportJob, user) -> bool:
    return (
        job.dry_run
        and job.status == ImportStatus.SUCCEEDED
        and job.kept_until is not None
        and job.kept_until > timezone.now()
        and bool(job.content_sha256)
        and job.created_by_id is not None
        and job.created_by_id == getattr(user, "pk", None)
    )


def import_checked_file(*, job_id, user, digest: str) -> Submitted:
    """Import the file a clean dry run checked, without uploading it again: only for
    the person who uploaded it, within an hour of the check, once, and only when the
    stored bytes are the ones checked (``digest``, their SHA-256, as the result page
    showed it). Raises ImportJob.DoesNotExist, NotYourFile or CheckedFileGone."""
    job = ImportJob.objects.defer("content").get(pk=job_id)
    if job.created_by_id is None or job.created_by_id != getattr(user, "pk", None):
        raise NotYourFile
    if not job.dry_run or job.status != ImportStatus.SUCCEEDED:
        raise CheckedFileGone(
            "Only a file that was checked without errors can be imported from its check."
        )
    if (job.result or {}).get("imported_job"):
        raise CheckedFileGone("This file has already been imported.")
    if job.kept_until is None or job.kept_until <= timezone.now():
        purge_kept_files()
        raise CheckedFileGone(
            "The checked file is no longer kept: Muster keeps a checked file for "
            f"{int(KEEP_CHECKED_FILE.total_seconds() // 3600)} hour. Upload it again."
        )
    content = load_file(job.pk)
    if not digest or digest != job.content_sha256 or _digest(content) != job.content_sha256:
        raise CheckedFileGone(
            "The stored file is not the one that was checked, so nothing was imported. "
            "Upload it again."
        )
    # Claim it: of two clicks (or tabs), one imports and the other is told it has.
    claimed = ImportJob.objects.filter(pk=job.pk, kept_until=job.kept_until).update(
        content=b"", content_sha256="", kept_until=None
    )
    if not claimed:
        raise CheckedFileGone("This file has already been imported.")
    submitted = import_submit(
        kind=job.kind, filename=job.filename, content=content, dry_run=False, user=user
    )
    ImportJob.objects.filter(pk=job.pk).update(
        result={**(job.result or {}), "imported_job": str(submitted.job.pk)}
    )
    return submitted


def import_file(*, kind: str, filename: str, content: bytes, dry_run: bool = False, user=None):
    """Check and import a file in this process, whatever its size; returns the job.
    (The benchmark and the tests use this; FileProblem is recorded on the job.)"""
    job = import_create_job(
        kind=kind, filename=filename, content=content, dry_run=dry_run, user=user
    )
    return import_run_job(job_id=job.pk)


# -- reading jobs ---------------------------------------------------------------------------


def job_percent(job: ImportJob) -> int:
    if job.status in (ImportStatus.SUCCEEDED, ImportStatus.REJECTED, ImportStatus.FAILED):
        return 100
    if not job.total_rows:
        return 0
    return min(100, int(100 * job.processed_rows / job.total_rows))


def job_finished(job: ImportJob) -> bool:
    return job.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING)


def phase_label(job: ImportJob) -> str:
    if job.status == ImportStatus.QUEUED:
        return PHASES[""]
    return PHASES.get(job.phase, job.phase)


def visible_jobs(user):
    """The jobs ``user`` may see: their own; every job for an administrator."""
    jobs = ImportJob.objects.all()
    if has_cap(user, Cap.ADMINISTER):
        return jobs
    if not getattr(user, "pk", None):
        return jobs.none()
    return jobs.filter(created_by_id=user.pk)


def recent_jobs(*, user, limit: int = RECENT_JOBS):
    """The jobs ``user`` started, newest first (administrators too: their own list)."""
    if not getattr(user, "pk", None):
        return ImportJob.objects.none()
    return ImportJob.objects.filter(created_by=user).defer("content", "result")[:limit]


def job_get(*, job_id, user) -> ImportJob:
    """Raises ImportJob.DoesNotExist for a job that does not exist or is someone else's
    (another HR user's job is not found, rather than forbidden: its id tells nothing)."""
    return visible_jobs(user).defer("content").get(pk=job_id)


# -- housekeeping: dead workers and old uploads --------------------------------------------

INTERRUPTED = (
    "The import stopped before it finished because the Muster worker running it stopped "
    "(for example, the server was restarted). Nothing was imported. Try again: upload "
    "the file again."
)
EXPIRED = (
    "The file waited too long to be imported and has been deleted, so nothing was "
    "imported. Try again: upload the file again."
)


def _give_up(job: ImportJob, *, now, detail: str, failure: str, reason: str, **match) -> bool:
    """Mark one job failed and delete its file, if it is still as ``match`` says;
    audit it. True if this call changed it."""
    result = _result(job=job, ok=False, detail=detail)
    result["failure"] = failure
    changed = ImportJob.objects.filter(pk=job.pk, **match).update(
        status=ImportStatus.FAILED,
        phase="done",
        finished_at=now,
        result=result,
        content=b"",
        content_sha256="",
        kept_until=None,
    )
    if changed:
        _audit_job(job, status=ImportStatus.FAILED, reason=reason, rows=0, errors=0)
    return bool(changed)


def reap_stale_jobs(*, now=None, stale_after: timedelta | None = None) -> int:
    """Mark failed every running job whose worker stopped reporting (no heartbeat for
    ``IMPORT_JOB_STALE_SECONDS``), deleting its stored file. Nothing partial can have
    been written: a job writes in one transaction that commits only while the job is
    still running. Returns how many jobs were reaped."""
    now = now or timezone.now()
    if stale_after is None:
        stale_after = timedelta(seconds=_setting_number("IMPORT_JOB_STALE_SECONDS", 300))
    cutoff = now - stale_after
    stale = (
        ImportJob.objects.filter(status=ImportStatus.RUNNING)
        .filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff))
        .select_related("created_by")
        .defer("content")
    )
    reaped = 0
    for job in stale:
        # Only if it has not beaten since it was read (the worker may be alive after all).
        reaped += _give_up(
            job,
            now=now,
            detail=INTERRUPTED,
            failure="interrupted",
            reason="worker stopped",
            status=ImportStatus.RUNNING,
            heartbeat_at=job.heartbeat_at,
        )
    return reaped


def delete_expired_uploads(now=None) -> int:
    """Delete every stored upload older than ``IMPORT_UPLOAD_RETENTION_DAYS`` (finished
    jobs normally hold none; this catches any that did). A job still waiting for its
    file is marked failed. Returns how many uploads were deleted."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=_setting_number("IMPORT_UPLOAD_RETENTION_DAYS", 7))
    old = ImportJob.objects.filter(created_at__lt=cutoff).exclude(content=b"")
    deleted = 0
    for job in old.filter(status=ImportStatus.QUEUED).select_related("created_by").defer("content"):
        deleted += _give_up(
            job,
            now=now,
            detail=EXPIRED,
            failure="expired",
            reason="upload expired",
            status=ImportStatus.QUEUED,
        )
    deleted += old.update(content=b"", content_sha256="", kept_until=None)
    return deleted


def import_housekeeping(now=None) -> tuple[int, int]:
    """What the worker runs every minute or so: reap dead jobs; let go of checked
    files kept past their hour. Returns (jobs reaped, kept files deleted)."""
    return reap_stale_jobs(now=now), purge_kept_files()
