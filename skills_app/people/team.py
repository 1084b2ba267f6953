"""Line managers' teams and other people's profiles (DESIGN.md section 8).

Selectors decide who may see which parts of whose profile and build exactly the
data a viewer may see; services are the line manager's writes (verify or query a
claimed skill, mark someone protected). Web views and the API share both, so the
rules live in one place:

- A line manager's *team* is everyone below them in the line-management tree
  (direct and indirect reports), found through ``Person.line_manager``; the
  manager is the signed-in user's linked ``Person``.
- HR and administrators see every field of everyone (``"all"``); a line manager
  sees every field of their team (``"team"``); a workforce planner sees anyone's
  match fields only (``"match"``); nobody else sees another person's profile.
- Line managers verify, query and protect their team; administrators anyone
  except themselves.

Writes are keyword-only and atomic, and check the version the editor saw: a
stale version raises ``ConflictError`` carrying the current row, never a silent
overwrite.
"""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from skills_app.accounts.permissions import Cap, has_cap
from skills_app.audit.models import Action
from skills_app.audit.services import record_event, record_events_for_subjects
from skills_app.core.concurrency import locked_for_edit, save_new_version
from skills_app.people.models import EvidenceKind, Person, PersonSkill
from skills_app.people.selectors import fresh_reviews_since, review_due
from taxonomy.models import LEVEL_NAMES

__all__ = [
    "FieldSet",
    "QUERY_NOTE_MAX",
    "SEARCH_LIMIT",
    "TeamShow",
    "TeamSort",
    "can_manage",
    "is_in_team",
    "person_search",
    "person_set_protected",
    "person_skill_unverify",
    "person_skill_query",
    "person_skill_verify",
    "profile_access",
    "profile_for_viewer",
    "person_for_profile",
    "profile_view_record",
    "team_members",
    "team_queryset",
    "viewer_person",
]

QUERY_NOTE_MAX = 500
SEARCH_LIMIT = 20
# Evidence a line manager's verification can add to. Assessed and certified
# skills already carry stronger evidence; verifying would weaken it.
VERIFIABLE_EVIDENCE = {EvidenceKind.SELF, EvidenceKind.MANAGER_VERIFIED}


class FieldSet(StrEnum):
    """Which parts of a profile a viewer sees; recorded in the audit trail."""

    MATCH = "match"  # workforce planners: what matching uses
    TEAM = "team"  # a line manager looking at their own team: everything
    ALL = "all"  # HR and administrators: everything, for everyone


# --- who is in whose team -------------------------------------------------------


def viewer_person(user) -> Person | None:
    """The staff record linked to ``user``, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "person", None)


def _team_ids_sql() -> str:
    """Every person below ``%s`` in the line-management tree, in one recursive
    query (PostgreSQL and SQLite). UNION, not UNION ALL, so a loop in bad data
    ends instead of recursing for ever."""
    qn = connection.ops.quote_name
    table = qn(Person._meta.db_table)
    pk = qn(Person._meta.pk.column)
    manager = qn(Person._meta.get_field("line_manager").column)
    # Only quoted identifiers from the model's metadata are interpolated; the
    # manager id is a bound parameter.
    return (
        f"WITH RECURSIVE muster_team(id) AS ("  # noqa: S608
        f"SELECT {pk} FROM {table} WHERE {manager} = %s "
        f"UNION SELECT p.{pk} FROM {table} p JOIN muster_team t ON p.{manager} = t.id"
        f") SELECT id FROM muster_team"
    )


def team_queryset(*, manager: Person | None) -> QuerySet[Person]:
    """Everyone ``manager`` manages, directly or through others (never themselves)."""
    if manager is None:
        return Person.objects.none()
    ids = RawSQL(_team_ids_sql(), [manager.pk])  # noqa: S611 - see _team_ids_sql
    return Person.objects.filter(pk__in=ids).exclude(pk=manager.pk)


def is_in_team(*, manager: Person | None, person: Person) -> bool:
    """True when ``person`` is below ``manager`` in the line-management tree.
    Walks up from the person (a short chain) in one recursive query."""
    if manager is None or person.pk is None or manager.pk == person.pk:
        return False
    qn = connection.ops.quote_name
    table = qn(Person._meta.db_table)
    pk = qn(Person._meta.pk.column)
    line_manager = qn(Person._meta.get_field("line_manager").column)
    sql = (  # identifiers from model metadata, values bound
        f"WITH RECURSIVE muster_chain(id) AS ("  # noqa: S608
        f"SELECT {line_manager} FROM {table} WHERE {pk} = %s "
        f"UNION SELECT p.{line_manager} FROM {table} p JOIN muster_chain c ON p.{pk} = c.id"
        f") SELECT 1 FROM muster_chain WHERE id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [person.pk, manager.pk])
        return cursor.fetchone() is not None


# --- who may see and do what -----------------------------------------------------


def profile_access(*, viewer, person: Person) -> FieldSet | None:
    """The fields ``viewer`` may see on ``person``'s profile, or None for none.
    Own profiles are not handled here (they live at /profile/me/)."""
    if has_cap(viewer, Cap.PROFILE_VIEW_ALL):
        return FieldSet.ALL
    if has_cap(viewer, Cap.PROFILE_VIEW_TEAM) and is_in_team(
        manager=viewer_person(viewer), person=person
    ):
        return FieldSet.TEAM
    if has_cap(viewer, Cap.PROFILE_VIEW_MATCH_FIELDS):
        return FieldSet.MATCH
    return None


def can_manage(*, viewer, person: Person) -> bool:
    """May ``viewer`` verify or query ``person``'s skills and mark them protected?
    Line managers for their team; administrators for anyone; nobody for themselves."""
    if not has_cap(viewer, Cap.SKILL_VERIFY_TEAM):
        return False
    me = viewer_person(viewer)
    if me is not None and me.pk == person.pk:
        return False
    return has_cap(viewer, Cap.ADMINISTER) or is_in_team(manager=me, person=person)


def _require_manage(*, viewer, person: Person) -> None:
    if not can_manage(viewer=viewer, person=person):
        raise PermissionDenied


# --- the team page ---------------------------------------------------------------


class TeamShow(StrEnum):
    ALL = "all"
    TO_VERIFY = "to_verify"
    QUERIED = "queried"
    NOT_REVIEWED = "not_reviewed"


class TeamSort(StrEnum):
    NAME = "name"
    TO_VERIFY = "to_verify"
    REVIEWED = "reviewed"


def team_members(
    *,
    manager: Person | None,
    show: str = TeamShow.ALL,
    sort: str = TeamSort.NAME,
    now=None,
) -> QuerySet[Person]:
    """The team page's rows: each member with skill, to-verify and open-query
    counts and a ``review_overdue`` flag, filtered and sorted."""
    now = now or timezone.now()
    overdue_before = fresh_reviews_since(timezone.localdate(now))
    members = (
        team_queryset(manager=manager)
        .select_related("org_unit", "line_manager")
        .annotate(
            skill_count=Count("skills"),
            to_verify_count=Count("skills", filter=Q(skills__evidence=EvidenceKind.SELF)),
            query_count=Count("skills", filter=Q(skills__queried_at__isnull=False)),
        )
    )
    if show == TeamShow.TO_VERIFY:
        members = members.filter(to_verify_count__gt=0)
    elif show == TeamShow.QUERIED:
        members = members.filter(query_count__gt=0)
    elif show == TeamShow.NOT_REVIEWED:
        members = members.filter(
            Q(profile_reviewed_at__isnull=True) | Q(profile_reviewed_at__lt=overdue_before)
        )
    if sort == TeamSort.TO_VERIFY:
        order = ["-to_verify_count", "full_name", "pk"]
    elif sort == TeamSort.REVIEWED:
        order = [F("profile_reviewed_at").asc(nulls_first=True), "full_name", "pk"]
    else:
        order = ["full_name", "pk"]
    return members.order_by(*order)


# --- one profile, as a viewer may see it -------------------------------------------


def person_for_profile(*, pk: int | None = None, public_id: UUID | None = None) -> Person:
    """The person with everything a profile page shows, or Person.DoesNotExist; found by
    primary key (the API, after its staff-number lookup) or by the public id pages use."""
    lookup = {"pk": pk} if public_id is None else {"public_id": public_id}
    return (
        Person.objects.select_related("org_unit", "line_manager")
        .prefetch_related(
            # A manager sees (and verifies) what the person has confirmed, not drafts.
            Prefetch(
                "skills",
                queryset=PersonSkill.objects.confirmed().select_related(
                    "skill", "verified_by", "queried_by"
                ),
            ),
            "role_history__role_profile",
            "qualifications",
        )
        .get(**lookup)
    )


def _user_label(user) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


def _skill_entry(row: PersonSkill, *, full: bool) -> dict:
    entry = {
        "id": row.pk,
        "skill": {"id": row.skill.pk, "name": row.skill.name, "uri": row.skill.uri},
        "level": row.level,
        "level_name": LEVEL_NAMES[row.level],
        "last_used": row.last_used,
        "evidence": row.evidence,
        "evidence_name": EvidenceKind(row.evidence).label,
        "verified_at": row.verified_at,
    }
    if full:
        entry |= {
            "verified_by": _user_label(row.verified_by),
            "verification_note": row.verification_note,
            "note": row.note,
            "query": (
                {
                    "queried_at": row.queried_at,
                    "queried_by": _user_label(row.queried_by),
                    "note": row.query_note,
                }
                if row.queried_at
                else None
            ),
            "version": row.version,
            "verifiable": row.evidence in VERIFIABLE_EVIDENCE,
        }
    return entry


def profile_for_viewer(*, person: Person, fields: FieldSet) -> dict:
    """Exactly the parts of ``person``'s profile a viewer with ``fields`` may see,
    as plain data. Planners (``match``) get the match fields only: name, staff
    number, grade, org unit, location, weekly hours, clearance, redeployable,
    protected, available from, preferred locations, skills (level, last used,
    evidence) and role history. The page and the API both render this, so
    neither can show a planner more by mistake."""
    full = fields != FieldSet.MATCH
    profile = {
        "fields": str(fields),
        "staff_number": person.staff_number,
        "version": person.version,
        "full_name": person.full_name,
        "grade": person.grade,
        "grade_name": person.get_grade_display(),
        "org_unit": person.org_unit.path,
        "location": person.location,
        "weekly_hours": person.weekly_hours,
        "clearance": person.get_clearance_display(),
        "redeployable": person.redeployable,
        "protected": person.protected,
        "available_from": person.available_from,
        "preferred_locations": list(person.preferred_locations or []),
        "skills": [_skill_entry(row, full=full) for row in person.skills.all()],
        "role_history": [
            {
                "title": role.title,
                "role_profile": role.role_profile.code if role.role_profile_id else None,
                "start": role.start,
                "end": role.end,
            }
            for role in person.role_history.all()
        ],
    }
    if full:
        manager = person.line_manager
        profile |= {
            "work_email": person.work_email,
            "line_manager": (
                {
                    "id": manager.pk,
                    "public_id": manager.public_id,
                    "staff_number": manager.staff_number,
                    "name": manager.full_name,
                }
                if manager
                else None
            ),
            "qualifications": [
                {
                    "name": qual.name,
                    "issuer": qual.issuer,
                    "awarded": qual.awarded,
                    "expires": qual.expires,
                }
                for qual in person.qualifications.all()
            ],
            "protected_reason": person.protected_reason,
            "profile_reviewed_at": person.profile_reviewed_at,
            "review_overdue": review_due(person),
            "version": person.version,
        }
    return profile


def profile_view_record(*, viewer, person: Person, fields: FieldSet, page: str = "profile"):
    """The audit row for one look at someone else's profile (``page``: "profile" for
    the web page, "api" for the API)."""
    return record_event(
        actor=viewer,
        action=Action.VIEW_PROFILE,
        object_type="person",
        object_id=person.pk,
        subject=person,
        parameters={"fields": str(fields), "page": page},
    )


def team_page_record(*, viewer, members) -> int:
    """The team page lists names, grades and skill counts: one audit row per member
    shown (one bulk insert), so each sees their manager's look in "who viewed me"."""
    return record_events_for_subjects(
        actor=viewer, action=Action.SEARCH, subjects=members, parameters={"page": "team"}
    )


# --- finding a person (HR, planners) -------------------------------------------------


def person_search(*, viewer, q: str, limit: int = SEARCH_LIMIT) -> list[Person]:
    """People whose staff number is ``q`` or starts with it, or whose name
    contains it; at most ``limit``. Audited as a search: one row per person
    shown (so they can see it), with the number of results and never the query
    text; a search that finds nobody still leaves one row."""
    q = " ".join(q.split())
    if not q:
        return []
    people = list(
        Person.objects.select_related("org_unit")
        .filter(Q(staff_number__istartswith=q) | Q(full_name__icontains=q))
        .order_by("full_name", "pk")[:limit]
    )
    parameters = {"results": len(people)}
    if people:
        record_events_for_subjects(
            actor=viewer, action=Action.SEARCH, subjects=people, parameters=parameters
        )
    else:
        record_event(
            actor=viewer, action=Action.SEARCH, object_type="person", parameters=parameters
        )
    return people


# --- a line manager's writes --------------------------------------------------------------


def _locked_skill(*, person: Person, person_skill_id: int, expected_version: int) -> PersonSkill:
    return locked_for_edit(
        PersonSkill.objects.select_related("skill").filter(person_id=person.pk),
        person_skill_id,
        expected_version,
    )


@transaction.atomic
def person_skill_verify(
    *, verifier, person: Person, person_skill_id: int, expected_version: int, note: str
) -> PersonSkill:
    """A line manager confirms a claimed skill, saying how they know: the evidence
    becomes manager-verified, with who, when and why, and any open query is closed.
    ``person_skill_unverify`` undoes it."""
    _require_manage(viewer=verifier, person=person)
    note = _reason(note, field="note", missing="Enter how you know they have this skill")
    row = _locked_skill(
        person=person, person_skill_id=person_skill_id, expected_version=expected_version
    )
    if row.evidence not in VERIFIABLE_EVIDENCE:
        raise ValidationError(
            f"This skill is already {row.get_evidence_display().lower()}, "
            "so it does not need a manager to verify it"
        )
    row.evidence = EvidenceKind.MANAGER_VERIFIED
    row.verified_by, row.verified_at, row.verification_note = verifier, timezone.now(), note
    row.queried_by, row.queried_at, row.query_note = None, None, ""
    save_new_version(
        row,
        [
            "evidence",
            "verified_by",
            "verified_at",
            "verification_note",
            "queried_by",
            "queried_at",
            "query_note",
        ],
    )
    record_event(
        actor=verifier,
        action=Action.VERIFY,
        object_type="person_skill",
        object_id=row.pk,
        subject=person,
        parameters={"evidence": EvidenceKind.MANAGER_VERIFIED.value},
    )
    return row


@transaction.atomic
def person_skill_unverify(
    *, verifier, person: Person, person_skill_id: int, expected_version: int
) -> PersonSkill:
    """Undo a manager's verification: the claim is self-assessed again, and who,
    when and why are cleared (the audit trail keeps both steps)."""
    _require_manage(viewer=verifier, person=person)
    row = _locked_skill(
        person=person, person_skill_id=person_skill_id, expected_version=expected_version
    )
    if row.evidence != EvidenceKind.MANAGER_VERIFIED:
        raise ValidationError(
            "This skill is not verified by a manager, so there is nothing to undo"
        )
    row.evidence = EvidenceKind.SELF
    row.verified_by, row.verified_at, row.verification_note = None, None, ""
    save_new_version(row, ["evidence", "verified_by", "verified_at", "verification_note"])
    record_event(
        actor=verifier,
        action=Action.EDIT_PROFILE,
        object_type="person_skill",
        object_id=row.pk,
        subject=person,
        parameters={"what": "verification undone"},
    )
    return row


REASON_MAX = 500


def _reason(text: str, *, field: str, missing: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({field: missing})
    if len(text) > REASON_MAX:
        raise ValidationError({field: f"The reason must be {REASON_MAX} characters or fewer"})
    return text


@transaction.atomic
def person_skill_query(
    *, verifier, person: Person, person_skill_id: int, expected_version: int, note: str
) -> PersonSkill:
    """A line manager asks about a claimed skill; the question stays open until
    the owner changes the skill or a manager verifies it."""
    _require_manage(viewer=verifier, person=person)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "Enter your question about this skill"})
    if len(note) > QUERY_NOTE_MAX:
        raise ValidationError(
            {"note": f"Your question must be {QUERY_NOTE_MAX} characters or fewer"}
        )
    row = _locked_skill(
        person=person, person_skill_id=person_skill_id, expected_version=expected_version
    )
    row.queried_by, row.queried_at, row.query_note = verifier, timezone.now(), note
    save_new_version(row, ["queried_by", "queried_at", "query_note"])
    record_event(
        actor=verifier,
        action=Action.EDIT_PROFILE,
        object_type="person_skill",
        object_id=row.pk,
        subject=person,
        parameters={"what": "skill query"},
    )
    return row


@transaction.atomic
def person_set_protected(
    *, actor, person: Person, protected: bool, expected_version: int, reason: str
) -> Person:
    """Mark ``person`` as in a critical role that must never be released, or take
    the mark away (its undo), saying why either way."""
    _require_manage(viewer=actor, person=person)
    reason = _reason(reason, field="reason", missing="Enter the reason")
    locked = locked_for_edit(Person.objects, person.pk, expected_version)
    if locked.protected != protected:
        locked.protected = protected
        locked.protected_reason = reason
        save_new_version(locked, ["protected", "protected_reason"])
        record_event(
            actor=actor,
            action=Action.EDIT_PROFILE,
            object_type="person",
            object_id=locked.pk,
            subject=locked,
            parameters={"what": "protected", "protected": protected},
        )
    return locked
