"""Writes behind "Your profile" and PUT /api/v1/people/{staff_number}/skills.

No lost updates (``skills_app.core.concurrency``): every change or removal
takes the version the editor read (``expected_version``), locks the row
(``SELECT ... FOR UPDATE``) and compares before writing. A mismatch raises
``ConflictError`` carrying the current row (or ``None`` when it has gone) and
writes nothing; each successful write bumps the row's version. Person-level
fields use ``Person.version``; each skill, role and qualification row has its own.

A person's self-entered skills are evidence "self". Changing the level of a
skill that a manager verified (or that was assessed or certified) makes it
"self" again: the verification was of the old level.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from skills_app.audit.services import record_event
from skills_app.core.concurrency import locked_for_edit, require_version, save_new_version
from skills_app.core.vocabulary import follow_merges
from skills_app.index.changes import workforce_changed
from skills_app.people.models import (
    ChangeScope,
    EvidenceKind,
    Person,
    PersonSkill,
    Qualification,
    RoleHistory,
)
from skills_app.people.services import _lock_skill_for_use, person_skill_set
from skills_app.roles.models import RoleProfile
from taxonomy.models import Skill, SkillKind, SkillStatus, Source
from taxonomy.services import taxonomy_changed

NOTE_MAX = 500
# audit.Action has no "changed a profile" yet; the value is stable either way.
EDIT_PROFILE_ACTION = "edit_profile"


def _check_level(level: int) -> int:
    if not isinstance(level, int) or not 1 <= level <= 4:
        raise ValidationError({"level": "Choose a level from 1 to 4"})
    return level


def _check_note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": f"Evidence must be {NOTE_MAX} characters or fewer"})
    return note


def _lock_person(person: Person) -> Person:
    return Person.objects.select_for_update().get(pk=person.pk)


# --- skills and languages -----------------------------------------------------------


@transaction.atomic
def profile_add_skill(
    *, person: Person, skill: Skill, level: int, last_used: dt.date | None, note: str = ""
) -> PersonSkill:
    """Add a skill (or language) the person does not hold yet, as evidence "self"."""
    _check_level(level)
    note = _check_note(note)
    # One add at a time per person, so two tabs adding the same skill cannot
    # both pass the "already on your profile" check.
    _lock_person(person)
    target = follow_merges(skill)
    held = PersonSkill.objects.filter(person=person, skill=target).first()
    if held is not None and held.evidence != EvidenceKind.INFERRED:
        raise ValidationError(
            {"skill": f"“{target.name}” is already on your profile: change it instead"}
        )
    # Adding a skill Muster had drafted confirms the draft at the level given.
    return person_skill_set(
        person=person,
        skill_id=target.pk,
        level=level,
        last_used=last_used,
        evidence=EvidenceKind.SELF,
        note=note,
        expected_version=held.version if held is not None else None,
    )


@transaction.atomic
def profile_change_skill(
    *,
    person: Person,
    person_skill_id: int,
    expected_version: int,
    level: int,
    last_used: dt.date | None,
    note: str = "",
) -> PersonSkill:
    """Change the level, last used date or evidence note of one of the person's
    skills. Saving also answers an open manager's query (the note is the answer)."""
    _check_level(level)
    note = _check_note(note)
    row = locked_for_edit(
        PersonSkill.objects.filter(person=person), person_skill_id, expected_version
    )
    if row.level != level and row.evidence != EvidenceKind.SELF:
        row.evidence = EvidenceKind.SELF
        row.verified_by = None
        row.verified_at = None
    if row.queried_at or row.queried_by_id or row.query_note:
        row.queried_by = None
        row.queried_at = None
        row.query_note = ""
    row.level, row.last_used, row.note = level, last_used, note
    save_new_version(row)
    return row


@transaction.atomic
def profile_remove_skill(*, person: Person, person_skill_id: int, expected_version: int) -> None:
    row = locked_for_edit(
        PersonSkill.objects.filter(person=person), person_skill_id, expected_version
    )
    row.delete()
    workforce_changed(ChangeScope.PERSON, [person.pk])


LOCAL_LANGUAGE_URI = "urn:muster:local:language:"
LOCAL_LANGUAGES = [
    ("English", "Working in English: speaking, reading and writing."),
    ("Welsh", "Serving customers and writing in Welsh (Cymraeg)."),
    ("British Sign Language", "Communicating with Deaf customers and colleagues in BSL."),
    ("Polish", "Speaking, reading and writing Polish."),
    ("Urdu", "Speaking, reading and writing Urdu."),
    ("Punjabi", "Speaking, reading and writing Punjabi."),
    ("Arabic", "Speaking, reading and writing Arabic."),
    ("Bengali", "Speaking, reading and writing Bengali."),
    ("Gujarati", "Speaking, reading and writing Gujarati."),
    ("French", "Speaking, reading and writing French."),
    ("Spanish", "Speaking, reading and writing Spanish."),
    ("Romanian", "Speaking, reading and writing Romanian."),
    ("Portuguese", "Speaking, reading and writing Portuguese."),
    ("Ukrainian", "Speaking, reading and writing Ukrainian."),
    ("Somali", "Speaking, reading and writing Somali."),
    ("Mandarin", "Speaking Mandarin Chinese and reading simplified Chinese."),
    ("Cantonese", "Speaking Cantonese and reading traditional Chinese."),
    ("Tamil", "Speaking, reading and writing Tamil."),
    ("Turkish", "Speaking, reading and writing Turkish."),
    ("Italian", "Speaking, reading and writing Italian."),
]


@transaction.atomic
def ensure_local_languages() -> int:
    """Create the local language skills (kind "language", source local, URI
    ``urn:muster:local:language:<slug>``) when the taxonomy has no active
    language skill at all, so "Add a language" always has something to offer.
    Idempotent and safe to race (conflicting URIs are skipped). Returns how
    many were created."""
    if Skill.objects.filter(kind=SkillKind.LANGUAGE, status=SkillStatus.ACTIVE).exists():
        return 0
    local = Skill.objects.filter(uri__startswith=LOCAL_LANGUAGE_URI)
    before = local.count()
    Skill.objects.bulk_create(
        [
            Skill(
                name=name,
                description=description,
                kind=SkillKind.LANGUAGE,
                source=Source.LOCAL,
                uri=LOCAL_LANGUAGE_URI + slugify(name),
            )
            for name, description in LOCAL_LANGUAGES
        ],
        ignore_conflicts=True,
    )
    taxonomy_changed()
    return local.count() - before


# --- role history ------------------------------------------------------------------


def _check_role(title: str, start: dt.date, end: dt.date | None) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError({"title": "Enter the job title"})
    if len(title) > 255:
        raise ValidationError({"title": "Job title must be 255 characters or fewer"})
    if start is None:
        raise ValidationError({"start": "Enter the month and year you started this role"})
    if end is not None and end < start:
        raise ValidationError({"end": "The date it ended must be after the date you started"})
    return title


def _role_clash(person: Person, title: str, start: dt.date, exclude_pk: int | None) -> bool:
    qs = RoleHistory.objects.filter(person=person, title__iexact=title, start=start)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


def _role_clash_error(title: str, start: dt.date) -> ValidationError:
    return ValidationError(
        {"title": f"You already have “{title}” starting in {start:%B %Y} on your profile"}
    )


@transaction.atomic
def profile_add_role(
    *,
    person: Person,
    title: str,
    start: dt.date,
    end: dt.date | None,
    role_profile: RoleProfile | None = None,
) -> RoleHistory:
    title = _check_role(title, start, end)
    _lock_person(person)
    if _role_clash(person, title, start, None):
        raise _role_clash_error(title, start)
    try:
        with transaction.atomic():
            return RoleHistory.objects.create(
                person=person, title=title, start=start, end=end, role_profile=role_profile
            )
    except IntegrityError as exc:
        raise _role_clash_error(title, start) from exc


@transaction.atomic
def profile_change_role(
    *,
    person: Person,
    role_id: int,
    expected_version: int,
    title: str,
    start: dt.date,
    end: dt.date | None,
    role_profile: RoleProfile | None = None,
) -> RoleHistory:
    title = _check_role(title, start, end)
    row = locked_for_edit(RoleHistory.objects.filter(person=person), role_id, expected_version)
    if _role_clash(person, title, start, row.pk):
        raise _role_clash_error(title, start)
    row.title, row.start, row.end, row.role_profile = title, start, end, role_profile
    try:
        with transaction.atomic():
            save_new_version(row)
    except IntegrityError as exc:
        raise _role_clash_error(title, start) from exc
    return row


@transaction.atomic
def profile_remove_role(*, person: Person, role_id: int, expected_version: int) -> None:
    row = locked_for_edit(RoleHistory.objects.filter(person=person), role_id, expected_version)
    row.delete()
    workforce_changed(ChangeScope.HISTORY, [person.pk])


# --- qualifications ----------------------------------------------------------------


def _check_qualification(name: str, issuer: str, awarded, expires) -> tuple[str, str]:
    name = " ".join((name or "").split())
    issuer = " ".join((issuer or "").split())
    if not name:
        raise ValidationError({"name": "Enter the name of the qualification"})
    if len(name) > 255:
        raise ValidationError({"name": "Name must be 255 characters or fewer"})
    if len(issuer) > 255:
        raise ValidationError({"issuer": "Awarded by must be 255 characters or fewer"})
    if awarded and expires and expires < awarded:
        raise ValidationError({"expires": "The expiry date must be after the date it was awarded"})
    return name, issuer


def _qualification_clash_error(name: str, issuer: str) -> ValidationError:
    by = f" from {issuer}" if issuer else ""
    return ValidationError({"name": f"You already have “{name}”{by} on your profile"})


def _qualification_clash(person, name, issuer, exclude_pk) -> bool:
    qs = Qualification.objects.filter(person=person, name__iexact=name, issuer__iexact=issuer)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


@transaction.atomic
def profile_add_qualification(
    *,
    person: Person,
    name: str,
    issuer: str = "",
    awarded: dt.date | None = None,
    expires: dt.date | None = None,
) -> Qualification:
    name, issuer = _check_qualification(name, issuer, awarded, expires)
    _lock_person(person)
    if _qualification_clash(person, name, issuer, None):
        raise _qualification_clash_error(name, issuer)
    try:
        with transaction.atomic():
            return Qualification.objects.create(
                person=person, name=name, issuer=issuer, awarded=awarded, expires=expires
            )
    except IntegrityError as exc:
        raise _qualification_clash_error(name, issuer) from exc


@transaction.atomic
def profile_change_qualification(
    *,
    person: Person,
    qualification_id: int,
    expected_version: int,
    name: str,
    issuer: str = "",
    awarded: dt.date | None = None,
    expires: dt.date | None = None,
) -> Qualification:
    name, issuer = _check_qualification(name, issuer, awarded, expires)
    row = locked_for_edit(
        Qualification.objects.filter(person=person), qualification_id, expected_version
    )
    if _qualification_clash(person, name, issuer, row.pk):
        raise _qualification_clash_error(name, issuer)
    row.name, row.issuer, row.awarded, row.expires = name, issuer, awarded, expires
    try:
        with transaction.atomic():
            save_new_version(row)
    except IntegrityError as exc:
        raise _qualification_clash_error(name, issuer) from exc
    return row


@transaction.atomic
def profile_remove_qualification(
    *, person: Person, qualification_id: int, expected_version: int
) -> None:
    row = locked_for_edit(
        Qualification.objects.filter(person=person), qualification_id, expected_version
    )
    row.delete()


# --- person-level fields -----------------------------------------------------------------


@transaction.atomic
def profile_update_preferences(
    *,
    person: Person,
    expected_version: int,
    redeployable: bool,
    preferred_locations: list[str],
    weekly_hours: Decimal,
    available_from: dt.date | None,
) -> Person:
    """The redeployment preferences a person keeps themselves: willing to be
    redeployed, other places they would work, hours a week, available from."""
    if not Decimal("0") < Decimal(weekly_hours) <= Decimal("60"):
        raise ValidationError({"weekly_hours": "Hours a week must be more than 0 and at most 60"})
    places: list[str] = []
    for place in preferred_locations:
        place = " ".join(str(place).split())
        if place and place.casefold() not in {p.casefold() for p in places}:
            places.append(place[:120])
    locked = require_version(_lock_person(person), expected_version)
    locked.redeployable = redeployable
    locked.preferred_locations = places
    locked.weekly_hours = Decimal(weekly_hours)
    locked.available_from = available_from
    save_new_version(
        locked, ["redeployable", "preferred_locations", "weekly_hours", "available_from"]
    )
    return locked


@transaction.atomic
def profile_mark_reviewed(*, person: Person, now: dt.datetime | None = None) -> dt.datetime:
    """ "My profile is up to date". Overwrites nothing anyone typed, so it takes
    no version and does not move it (an open preferences form stays valid)."""
    now = now or timezone.now()
    Person.objects.filter(pk=person.pk).update(profile_reviewed_at=now, updated_at=now)
    workforce_changed(ChangeScope.PERSON, [person.pk])  # freshness feeds the confidence grade
    person.profile_reviewed_at = now
    return now


# --- the API: replace a person's skills ----------------------------------------------------


@dataclass(frozen=True)
class SkillClaim:
    skill: Skill
    level: int
    last_used: dt.date | None = None
    note: str = ""
    # None: "self" for new rows; existing rows keep theirs unless the level changes.
    evidence: str | None = None


@dataclass
class ReplaceResult:
    person: Person
    skills: list[PersonSkill]
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0


@transaction.atomic
def profile_replace_skills(
    *,
    person: Person,
    claims: list[SkillClaim],
    actor,
    as_owner: bool,
    expected_version: int | None = None,
) -> ReplaceResult:
    """Make the person's skills exactly ``claims``: create, update and delete
    rows, leaving unchanged rows untouched (their evidence and version stay).

    The person row is locked for the whole replacement, so two replacements
    never interleave; ``expected_version`` (the person's version the caller
    read) turns a replacement racing another into a ConflictError. Anything
    that changes moves the person's version on.

    ``as_owner``: the person editing their own profile. Their new or re-levelled
    skills are evidence "self" whatever they send. Otherwise (HR) the evidence
    sent is kept, verification is attributed to ``actor``, and the change is
    audited against the person.
    """
    locked = _lock_person(person)
    if expected_version is not None:
        require_version(locked, expected_version)
    # Share-lock the claimed skills (ascending ids) before any person-skill row:
    # the order a merge takes them in, so a concurrent merge waits rather than
    # deadlocks.
    for skill_id in sorted({follow_merges(c.skill).pk for c in claims}):
        _lock_skill_for_use(skill_id)
    existing = {
        ps.skill_id: ps for ps in PersonSkill.objects.select_for_update().filter(person=locked)
    }
    result = ReplaceResult(person=locked, skills=[])
    now = timezone.now()
    seen: dict[int, int] = {}
    errors: list[ValidationError] = []
    for index, claim in enumerate(claims):
        target = follow_merges(claim.skill)
        if target.pk in seen:
            errors.append(
                ValidationError(
                    f"skills[{index}]: “{target.name}” is listed twice "
                    f"(also item {seen[target.pk]})"
                )
            )
            continue
        seen[target.pk] = index
        _check_level(claim.level)
        note = _check_note(claim.note)
        row = existing.get(target.pk)
        if row is None and target.status == SkillStatus.DEPRECATED:
            errors.append(ValidationError(f"skills[{index}]: “{target.name}” is deprecated"))
            continue
        if as_owner or claim.evidence is None:
            # A claimed draft is confirmed: it becomes self-assessed.
            if (
                row is not None
                and row.level == claim.level
                and row.evidence != EvidenceKind.INFERRED
            ):
                evidence = row.evidence
            else:
                evidence = EvidenceKind.SELF
        else:
            evidence = claim.evidence
        if (
            row is not None
            and row.level == claim.level
            and row.last_used == claim.last_used
            and row.note == note
            and row.evidence == evidence
        ):
            result.unchanged += 1
            continue
        saved = person_skill_set(
            person=locked,
            skill_id=target.pk,
            level=claim.level,
            last_used=claim.last_used,
            evidence=evidence,
            note=note,
            expected_version=row.version if row is not None else None,
        )
        if row is None:
            result.created += 1
        else:
            result.updated += 1
        if row is None or row.evidence != evidence:
            verified = evidence != EvidenceKind.SELF
            PersonSkill.objects.filter(pk=saved.pk).update(
                verified_by=actor if verified else None,
                verified_at=now if verified else None,
            )
    if errors:
        raise ValidationError(errors)
    # Drafts are not part of the list a replacement sends: they stay until decided.
    gone = [
        ps.pk
        for skill_id, ps in existing.items()
        if skill_id not in seen and ps.evidence != EvidenceKind.INFERRED
    ]
    if gone:
        result.deleted = PersonSkill.objects.filter(pk__in=gone).delete()[0]
    if result.created or result.updated or result.deleted:
        save_new_version(locked, [])
        if not as_owner:
            record_event(
                actor=actor,
                action=EDIT_PROFILE_ACTION,
                object_type="person",
                object_id=locked.pk,
                subject=locked,
                parameters={
                    "what": "skills",
                    "created": result.created,
                    "updated": result.updated,
                    "deleted": result.deleted,
                },
            )
    result.skills = list(
        PersonSkill.objects.filter(person=locked)
        .select_related("skill")
        .order_by("skill__name", "pk")
    )
    return result
