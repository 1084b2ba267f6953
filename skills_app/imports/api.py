"""HR imports over the API: ``POST /api/v1/imports/{kind}`` and job status.

Status codes of ``POST /imports/{kind}?dry_run=true|false`` (multipart field ``file``):

- **202**: the file was stored and queued; the worker checks it (type, encoding,
  header, limits, every row) and imports it unless ``dry_run``: ``{detail, job,
  status, status_url}``. Poll ``GET /imports/jobs/{job}`` for its progress and then its
  ``result``: ``{ok, rows, created, updated, unchanged, error_count, errors: [{row,
  column, message, suggestions}], matched_skills, ...}``. A problem with the file as a
  whole (not CSV/XLSX, not UTF-8, wrong header, empty, over a limit) is the single
  error, with ``row`` and ``column`` null; ``errors`` lists at most 1,000 and
  ``error_count`` counts all. The request never opens the file, so it is quick
  whatever the file holds.
- **413**: the file is larger than 200 MB: nothing is stored (the refusal is audited).
- **422**: no ``file`` field.
- **404**: unknown kind. **401/403**: not signed in / no permission to import that
  kind (HR data: HR; ``qualification-skills``: taxonomy stewards; administrators: all).

A job is visible only to the user who started it and to administrators: for anyone
else ``GET /imports/jobs/{id}`` is a 404. (The job routes are declared before
``/{kind}`` so that ``/jobs`` is never taken for a kind.)
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import Http404
from ninja import Field, File, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from skills_app.accounts.permissions import has_cap
from skills_app.api_inputs import ErrorOut
from skills_app.api_support import authorize, responses
from skills_app.imports import (
    KINDS,
    FileProblem,
    UnknownKind,
    import_submit,
    job_get,
    job_percent,
    phase_label,
    recent_jobs,
)
from skills_app.imports.kinds import IMPORT_CAPS
from skills_app.imports.service import check_upload_size
from skills_app.people.models import ImportStatus

router = Router(tags=["imports"])


class RowErrorOut(Schema):
    row: int | None
    column: str | None
    message: str
    suggestions: list[str]


class MatchedSkillRef(Schema):
    id: int
    name: str


class MatchedSkillOut(Schema):
    """A skill label in the file that is not the skill's own name or another of its
    names (give or take case, accents, punctuation and spacing) but was matched with
    confidence, for example a misspelling: for HR to check."""

    row: int
    rows: list[int]
    row_count: int
    given: str
    skill: MatchedSkillRef


class ImportResultOut(Schema):
    detail: str
    errors: list[RowErrorOut]
    ok: bool
    kind: str
    dry_run: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    error_count: int
    org_units_created: int | None = None
    requirements: int | None = None
    matched_skills: list[MatchedSkillOut] = Field(
        default_factory=list,
        description="Skill labels matched by a close spelling or another word order "
        "(not an exact name, alias or URI), first row first: the first row, up to 20 row "
        "numbers, how many rows in all, the label as given and the skill it landed on",
    )
    job: str | None = None


class ImportQueuedOut(Schema):
    detail: str
    job: str
    status: str
    status_url: str


class JobOut(Schema):
    id: str
    kind: str
    filename: str
    dry_run: bool
    status: str
    status_label: str
    phase: str
    phase_label: str
    total_rows: int
    processed_rows: int
    percent: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    status_url: str
    result: dict | None


def _status_url(job_id) -> str:
    return f"/api/v1/imports/jobs/{job_id}"


def _problem(kind: str, dry_run: bool, message: str, column: str | None = None) -> dict:
    return {
        "detail": message,
        "errors": [{"row": None, "column": column, "message": message, "suggestions": []}],
        "ok": False,
        "kind": kind,
        "dry_run": dry_run,
        "rows": 0,
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "error_count": 1,
    }


def _job_out(job, *, with_result: bool = True) -> dict:
    return {
        "id": str(job.pk),
        "kind": job.kind,
        "filename": job.filename,
        "dry_run": job.dry_run,
        "status": job.status,
        "status_label": ImportStatus(job.status).label,
        "phase": job.phase,
        "phase_label": phase_label(job),
        "total_rows": job.total_rows,
        "processed_rows": job.processed_rows,
        "percent": job_percent(job),
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "status_url": _status_url(job.pk),
        "result": (job.result or None) if with_result else None,
    }


_RESULT_RESPONSES = {
    202: ImportQueuedOut,
    404: ErrorOut,
    # A file the import refuses is an ImportResultOut; a request it cannot read at
    # all (a parameter of the wrong type, a body over the size limit) an ErrorOut.
    413: ImportResultOut | ErrorOut,
    422: ImportResultOut | ErrorOut,
}


@router.get(
    "/jobs",
    auth=authorize(*IMPORT_CAPS),
    response=responses({200: list[JobOut]}),
    summary="Your 20 most recent imports",
)
def import_jobs(request):
    return [_job_out(job, with_result=False) for job in recent_jobs(user=request.auth)]


@router.get(
    "/jobs/{job_id}",
    auth=authorize(*IMPORT_CAPS),
    response=responses({200: JobOut, 404: ErrorOut}),
    summary="Progress and result of one import",
)
def import_job(request, job_id: str):
    try:
        job = job_get(job_id=uuid.UUID(job_id), user=request.auth)
    except (ValueError, ObjectDoesNotExist):
        raise Http404("No import job has this id.") from None
    return _job_out(job)


@router.post(
    "/{kind}",
    auth=authorize(*IMPORT_CAPS),
    response=responses(_RESULT_RESPONSES, body=True),
    summary="Import a file (people, person-skills, role-history, role-profiles, "
    "qualification-skills)",
)
def import_upload(
    request,
    kind: str,
    dry_run: bool = False,
    file: UploadedFile = File(None),  # noqa: B008 - ninja declares parameters this way
):
    if kind not in KINDS:
        raise Http404(f"Unknown import kind: use one of {', '.join(KINDS)}.")
    if not has_cap(request.auth, KINDS[kind].cap):
        raise PermissionDenied
    if file is None:
        return Status(
            422,
            _problem(
                kind, dry_run, "Attach the CSV or XLSX file as the multipart field “file”.", "file"
            ),
        )
    filename = file.name or "upload"
    try:
        if file.size is not None:
            check_upload_size(
                kind=kind, filename=filename, dry_run=dry_run, user=request.auth, size=file.size
            )
        submitted = import_submit(
            kind=kind,
            filename=filename,
            content=file.read(),
            dry_run=dry_run,
            user=request.auth,
        )
    except UnknownKind:  # pragma: no cover - checked above
        raise Http404("Unknown import kind.") from None
    except FileProblem as problem:
        return Status(problem.status, _problem(kind, dry_run, problem.message))
    job = submitted.job
    return Status(
        202,
        {
            "detail": "The file is being checked and imported in the background: "
            "poll status_url for its progress and result.",
            "job": str(job.pk),
            "status": job.status,
            "status_url": _status_url(job.pk),
        },
    )
