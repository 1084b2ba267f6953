"""PUT /api/v1/people/{staff_number}/skills: replace a person's skills.

Registered in skills_app/api.py with ``api.add_router("/people", profile_router)``
(beside the router for GET /people/{staff_number}; the paths differ).

Who may: the person themselves (their own staff number) and HR or
administrators (``profile.view_all``). Anyone else gets 403 whether or not the
staff number exists, so the answer never tells them who works here; HR gets
404 for a staff number nobody has.

Skills are given by id, URI or name. Names go through the taxonomy normaliser
and must resolve confidently ("auto"); otherwise the answer is 422 with, for
that item, the closest skills as suggestions. Levels are 1–4 or their names.
The replacement is atomic: every item is checked before anything is written.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from skills_app.accounts.permissions import Cap, has_cap
from skills_app.api_inputs import ErrorOut, StrictSchema, error_item
from skills_app.api_support import authorize, responses
from skills_app.core import vocabulary
from skills_app.core.concurrency import ConflictError
from skills_app.core.vocabulary import VocabularyError
from skills_app.people.models import Person, PersonSkill
from skills_app.people.profile_services import (
    NOTE_MAX,
    SkillClaim,
    profile_replace_skills,
)
from taxonomy.models import LEVEL_NAMES

router = Router(tags=["people"])

MAX_ITEMS = 500


class SkillItemIn(StrictSchema):
    skill: int | str = Field(..., description="Skill id, URI or name (names are normalised)")
    level: int | str = Field(
        ..., description="1–4, or Awareness, Working, Practitioner, Expert (any case)"
    )
    last_used: str | None = Field(
        None,
        description="YYYY, YYYY-MM or YYYY-MM-DD (or DD/MM/YYYY); null, absent or "
        "current means in current use",
    )
    evidence: str | None = Field(
        None,
        description=(
            "self, manager_verified, assessed or certified. Ignored for your own profile "
            "(new and re-levelled skills are self-assessed); absent keeps the current "
            "evidence unless the level changes."
        ),
    )
    note: str = Field("", description=f"Evidence note, at most {NOTE_MAX} characters")


class SkillsPutIn(StrictSchema):
    skills: list[SkillItemIn]
    expected_version: int | None = Field(
        None,
        description=(
            "The person's version you read; if it has moved on the answer is 409 and "
            "nothing is written"
        ),
    )


class SavedSkillRefOut(Schema):
    id: int
    name: str
    uri: str
    kind: str


class SavedPersonSkillOut(Schema):
    id: int
    skill: SavedSkillRefOut
    level: int
    level_name: str
    last_used: date | None = Field(..., description="Null means in current use")
    evidence: Literal["self", "manager_verified", "assessed", "certified"]
    verified_at: datetime | None
    note: str
    version: int

    @staticmethod
    def resolve_level_name(obj):
        return LEVEL_NAMES.get(obj.level, "")


class SkillsPutOut(Schema):
    staff_number: str
    version: int = Field(..., description="The person's version now: send it next time")
    created: int
    updated: int
    deleted: int
    unchanged: int
    skills: list[SavedPersonSkillOut]


def _claims(payload: SkillsPutIn, person: Person, *, as_owner: bool):
    held = set(PersonSkill.objects.filter(person=person).values_list("skill_id", flat=True))
    claims, errors = [], []
    seen: dict[int, int] = {}
    if len(payload.skills) > MAX_ITEMS:
        return [], [error_item(["body", "skills"], f"Send at most {MAX_ITEMS} skills")]
    # Every skill the request names, in one query (not one per item).
    refs = vocabulary.skill_refs([item.skill for item in payload.skills], held=held)
    for index, (item, skill) in enumerate(zip(payload.skills, refs, strict=True)):
        loc = ["body", "skills", index]
        item_errors = []
        if isinstance(skill, VocabularyError):
            item_errors.append(
                error_item([*loc, "skill"], skill.message, suggestions=skill.suggestions)
            )
        else:
            if skill.pk in seen:
                item_errors.append(
                    error_item(
                        [*loc, "skill"],
                        f"“{skill.name}” is already item {seen[skill.pk]}: list each skill once",
                    )
                )
            else:
                seen[skill.pk] = index
        try:
            level = vocabulary.level(item.level)
        except VocabularyError as exc:
            item_errors.append(error_item([*loc, "level"], exc.message))
        last_used = None
        if item.last_used not in (None, ""):
            try:
                # min_year=1: the API has never had the importers' 1900 floor.
                last_used = vocabulary.last_used(
                    item.last_used, today=timezone.localdate(), min_year=1
                )
            except VocabularyError as exc:
                item_errors.append(error_item([*loc, "last_used"], exc.message))
        evidence = None
        if item.evidence not in (None, "") and not as_owner:
            try:
                evidence = vocabulary.evidence(item.evidence)
            except VocabularyError as exc:
                item_errors.append(error_item([*loc, "evidence"], exc.message))
        note = (item.note or "").strip()
        if len(note) > NOTE_MAX:
            item_errors.append(
                error_item([*loc, "note"], f"Note must be {NOTE_MAX} characters or fewer")
            )
        if item_errors:
            errors.extend(item_errors)
            continue
        claims.append(
            SkillClaim(skill=skill, level=level, last_used=last_used, note=note, evidence=evidence)
        )
    return claims, errors


def _target_person(request, staff_number: str) -> tuple[Person, bool]:
    """(person, as_owner). Owners only ever learn about their own record."""
    user = request.auth
    own = Person.objects.filter(user=user).first()
    if own is not None and own.staff_number == staff_number:
        return own, True
    if not has_cap(user, Cap.PROFILE_VIEW_ALL):
        raise PermissionDenied
    person = Person.objects.filter(staff_number=staff_number).first()
    if person is None:
        raise Http404(f"No one has staff number {staff_number}.")
    return person, False


@router.put(
    "/{staff_number}/skills",
    response=responses({200: SkillsPutOut, 404: ErrorOut, 409: ErrorOut}, body=True),
    auth=authorize(Cap.PROFILE_EDIT_OWN, Cap.PROFILE_VIEW_ALL),
    summary="Replace a person's skills (the person themselves, or HR)",
)
def put_person_skills(request, staff_number: str, payload: SkillsPutIn):
    person, as_owner = _target_person(request, staff_number)
    claims, errors = _claims(payload, person, as_owner=as_owner)
    if errors:
        return Status(
            422,
            {
                "detail": "Some skills could not be saved; nothing was changed.",
                "errors": errors,
            },
        )
    try:
        result = profile_replace_skills(
            person=person,
            claims=claims,
            actor=request.auth,
            as_owner=as_owner,
            expected_version=payload.expected_version,
        )
    except ConflictError as exc:
        return Status(
            409,
            {
                "detail": (
                    "Someone else changed this profile since you read it; nothing was changed."
                ),
                "errors": [
                    {
                        "loc": ["body", "expected_version"],
                        "message": "The profile has moved on: read it again and resend",
                        "type": "conflict",
                        "current_version": exc.current.version,
                    }
                ],
            },
        )
    except ValidationError as exc:
        return Status(
            422,
            {
                "detail": "Some skills could not be saved; nothing was changed.",
                "errors": [error_item(["body", "skills"], message) for message in exc.messages],
            },
        )
    return Status(
        200,
        {
            "staff_number": result.person.staff_number,
            "version": result.person.version,
            "created": result.created,
            "updated": result.updated,
            "deleted": result.deleted,
            "unchanged": result.unchanged,
            "skills": result.skills,
        },
    )
