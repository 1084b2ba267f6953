"""Draft skills over the API (DESIGN 9).

Registered in skills_app/api.py: ``drafts_router`` at ``/drafts`` and
``person_drafts_router`` at ``/people`` (beside the other ``/people/{staff_number}``
routers; the paths differ).

- ``POST /drafts/run`` (HR, administrators): draft everyone from their records as a
  background job. **202** ``{run, status, status_url, detail}``; **409** when a run is
  already queued or running (its id is in ``errors[0].run``: poll it instead).
- ``GET /drafts/runs/{run_id}``: that run's progress and, once finished, its result.
- ``GET /people/{staff_number}/drafts``: one person's drafts (skills Muster proposed,
  not yet confirmed), each with why (``source``, ``sources``).
- ``POST /people/{staff_number}/drafts``: draft that person now from their role
  history and qualifications; answers the counts and the drafts.

The per-person routes are for the person themselves (their own staff number) and
for HR and administrators (``profile.view_all``): anyone else gets 403 whether or
not the staff number exists; HR gets 404 for a staff number nobody has. HR's read
of someone else's drafts is recorded as a profile view the person can see.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from django.http import Http404
from django.urls import reverse
from ninja import Field, Router, Schema, Status

from skills_app.accounts.permissions import Cap
from skills_app.api_inputs import ErrorOut
from skills_app.api_support import authorize, responses
from skills_app.people import team
from skills_app.people.api_profile import _target_person
from skills_app.people.draft_runs import (
    draft_from_records,
    draft_run_get,
    draft_run_start,
    run_percent,
)
from skills_app.people.models import DraftRun, Person, PersonSkill
from taxonomy.models import LEVEL_NAMES

drafts_router = Router(tags=["drafts"])
person_drafts_router = Router(tags=["people"])

SourceKind = Literal["role_level", "job_title", "occupation", "qualification", "text"]


# -- one person's drafts ----------------------------------------------------------------------


class DraftSkillRefOut(Schema):
    id: int
    name: str
    uri: str


class DraftSourceOut(Schema):
    kind: SourceKind
    label: str = Field(
        ...,
        description="What caused it: a role's or job's title, a "
        "qualification, the phrase matched in a text",
    )
    level: int
    start: date | None = Field(None, description="When the role began (role sources)")
    end: date | None = Field(None, description="When the role ended; absent for a role held now")
    ref: str | None = Field(
        None, description="Role code, ESCO occupation URI or qualification name"
    )
    passage: str | None = Field(None, description="The passage of text (text sources)")
    span: list[int] | None = Field(None, description="[start, end] of the passage in the text")


class DraftOut(Schema):
    id: int = Field(..., description="The person-skill id (confirm or reject it by this)")
    skill: DraftSkillRefOut
    level: int = Field(..., description="1 Awareness, 2 Working, 3 Practitioner, 4 Expert")
    level_name: str
    last_used: date | None = Field(..., description="Null means in current use")
    source: SourceKind = Field(..., description="The source that gave the level")
    sources: list[DraftSourceOut] = Field(..., description="Every source, the leading one first")
    version: int


class PersonDraftsOut(Schema):
    staff_number: str
    drafts: list[DraftOut]


class PersonDraftedOut(PersonDraftsOut):
    created: int
    updated: int
    withdrawn: int = Field(..., description="Drafts whose record is gone")
    unchanged: int
    skipped_rejected: int = Field(..., description="Proposals the person had rejected")
    skipped_confirmed: int = Field(
        ..., description="Proposals of skills the profile already holds, confirmed"
    )


def _drafts(person: Person) -> list[dict]:
    rows = PersonSkill.objects.filter(person=person).drafts().select_related("skill")
    return [
        {
            "id": row.pk,
            "skill": {"id": row.skill_id, "name": row.skill.name, "uri": row.skill.uri},
            "level": row.level,
            "level_name": LEVEL_NAMES.get(row.level, ""),
            "last_used": row.last_used,
            "source": row.source or (row.sources[0]["kind"] if row.sources else "text"),
            "sources": row.sources or [],
            "version": row.version,
        }
        for row in rows.order_by("skill__name")
    ]


_PERSON_RESPONSES = {404: ErrorOut}


@person_drafts_router.get(
    "/{staff_number}/drafts",
    response=responses({200: PersonDraftsOut, **_PERSON_RESPONSES}),
    auth=authorize(Cap.PROFILE_EDIT_OWN, Cap.PROFILE_VIEW_ALL),
    summary="One person's draft skills (the person themselves, or HR)",
)
def get_person_drafts(request, staff_number: str):
    person, as_owner = _target_person(request, staff_number)
    if not as_owner:
        team.profile_view_record(
            viewer=request.auth, person=person, fields=team.FieldSet.ALL, page="api-drafts"
        )
    return {"staff_number": person.staff_number, "drafts": _drafts(person)}


@person_drafts_router.post(
    "/{staff_number}/drafts",
    response=responses({200: PersonDraftedOut, **_PERSON_RESPONSES}),
    auth=authorize(Cap.PROFILE_EDIT_OWN, Cap.PROFILE_VIEW_ALL),
    summary="Draft one person's skills now from their records (the person, or HR)",
    description=(
        "Proposes skills from the person's role history (roles linked to the role "
        "library, and job titles matched to it or to ESCO occupations) and "
        "qualifications, as drafts for them to confirm. Never proposes a skill they "
        "rejected, never changes a confirmed skill, and leaves drafts from text alone. "
        "Idempotent. No request body."
    ),
)
def post_person_drafts(request, staff_number: str):
    person, _as_owner = _target_person(request, staff_number)
    counts = draft_from_records(actor=request.auth, person=person)
    return {
        "staff_number": person.staff_number,
        "created": counts.created,
        "updated": counts.updated,
        "withdrawn": counts.withdrawn,
        "unchanged": counts.unchanged,
        "skipped_rejected": counts.skipped_rejected,
        "skipped_confirmed": counts.skipped_confirmed,
        "drafts": _drafts(person),
    }


# -- draft everyone -----------------------------------------------------------------------------


class DraftRunResultOut(Schema):
    people: int | None = Field(None, description="People looked at so far")
    people_drafted: int | None = Field(None, description="People whose drafts changed")
    drafts_created: int | None = None
    drafts_updated: int | None = None
    drafts_withdrawn: int | None = None
    drafts_unchanged: int | None = None
    skipped_rejected: int | None = None
    skipped_confirmed: int | None = None
    by_source: dict[str, int] | None = Field(
        None, description="Drafts created, by the source that gave their level"
    )
    failure: Literal["error", "interrupted"] | None = None
    detail: str | None = Field(None, description="Why the run failed, and what to do")


class DraftRunOut(Schema):
    id: uuid.UUID
    status: Literal["queued", "running", "succeeded", "failed"]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    total_people: int
    processed_people: int
    percent: int = Field(..., description="0-100; 100 once finished")
    result: DraftRunResultOut = Field(
        ..., description="Counts so far while running; the outcome once finished"
    )


class DraftRunQueuedOut(Schema):
    detail: str
    run: uuid.UUID
    status: Literal["queued", "running", "succeeded", "failed"]
    status_url: str


def _status_url(run_id) -> str:
    return reverse("api:draft_run", kwargs={"run_id": run_id})


def _run_out(run: DraftRun) -> dict:
    return {
        "id": run.pk,
        "status": run.status,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "total_people": run.total_people,
        "processed_people": run.processed_people,
        "percent": run_percent(run),
        "result": run.result or {},
    }


@drafts_router.post(
    "/run",
    response=responses({202: DraftRunQueuedOut, 409: ErrorOut}),
    auth=authorize(Cap.IMPORT_HR),
    summary="Draft everyone's skills from their records, in the background (HR)",
    description=(
        "Queues one run over everyone who has not left: role history, job titles and "
        "qualifications become draft skills for each person to confirm. Idempotent: "
        "it never re-proposes a rejected skill and never changes a confirmed one. Only "
        "one run at a time: while one is queued or running the answer is 409, naming "
        "it (errors[0].run). No request body."
    ),
)
def start_draft_run(request):
    run, created = draft_run_start(actor=request.auth)
    if not created:
        return Status(
            409,
            {
                "detail": "A run to draft everyone is already queued or running: "
                "follow its progress instead.",
                "errors": [
                    {
                        "loc": [],
                        "message": "Wait for this run to finish",
                        "type": "conflict",
                        "run": str(run.pk),
                        "status_url": _status_url(run.pk),
                    }
                ],
            },
        )
    return Status(
        202,
        {
            "detail": "Everyone is being drafted in the background: poll status_url.",
            "run": run.pk,
            "status": run.status,
            "status_url": _status_url(run.pk),
        },
    )


@drafts_router.get(
    "/runs/{run_id}",
    response=responses({200: DraftRunOut, 404: ErrorOut}),
    auth=authorize(Cap.IMPORT_HR),
    url_name="draft_run",
    summary="Progress and result of one run to draft everyone (HR)",
)
def get_draft_run(request, run_id: str):
    try:
        run = draft_run_get(run_id=uuid.UUID(run_id))
    except (ValueError, DraftRun.DoesNotExist):
        raise Http404("No draft run has this id.") from None
    return _run_out(run)
