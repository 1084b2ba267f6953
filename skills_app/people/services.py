import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction

from skills_app.core.concurrency import require_version, save_new_version
from skills_app.people.models import Person


def management_cycle(*, person_id: int | None, manager_id: int) -> bool:
    """True if making ``manager_id`` the manager of ``person_id`` closes a loop.

    Walks up from the proposed manager; the chain is short (an org is rarely
    more than a dozen levels deep) so one query per level is fine here. Bulk
    imports check the whole graph in memory instead.
    """
    if person_id is None:
        return False
    seen: set[int] = set()
    current = manager_id
    while current is not None:
        if current == person_id:
            return True
        if current in seen:  # an existing loop above us; not ours to report here
            return False
        seen.add(current)
        current = (
            Person.objects.filter(pk=current).values_list("line_manager_id", flat=True).first()
        )
    return False


@transaction.atomic
def person_set_line_manager(*, person: Person, manager: Person | None) -> Person:
    # Lock the person row so two concurrent reassignments cannot each pass the
    # cycle check and together create a loop.
    locked = Person.objects.select_for_update().get(pk=person.pk)
    if manager is not None and management_cycle(person_id=locked.pk, manager_id=manager.pk):
        raise ValidationError({"line_manager": "This would create a management loop."})
    locked.line_manager = manager
    save_new_version(locked, ["line_manager"])
    return locked


def _lock_skill_for_use(skill_id: int):
    """Share-lock the skill row: many profile edits may proceed together, but a
    merge (which takes FOR UPDATE) waits for them and they wait for it, so no
    person skill can be written against a skill mid-merge."""
    from django.db import connection

    from taxonomy.models import Skill

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM taxonomy_skill WHERE id = %s FOR SHARE", [skill_id])
    return Skill.objects.get(pk=skill_id)


@transaction.atomic
def person_skill_set(
    *,
    person: Person,
    skill_id: int,
    level: int,
    last_used=None,
    evidence: str = "self",
    note: str = "",
    expected_version: int | None = None,
):
    """Add or change one skill on a profile. ``expected_version`` is the version
    the editor saw; if the row has moved on since, raise ConflictError instead
    of overwriting. A skill that has been merged is recorded against the skill
    it was merged into."""
    from skills_app.core.vocabulary import follow_merges
    from skills_app.people.models import PersonSkill
    from taxonomy.models import SkillStatus

    skill = follow_merges(_lock_skill_for_use(skill_id), load=_lock_skill_for_use)
    if not 1 <= int(level) <= 4:
        raise ValidationError({"level": "Choose a level from 1 to 4"})
    row = PersonSkill.objects.select_for_update().filter(person=person, skill=skill).first()
    if row is None and skill.status == SkillStatus.DEPRECATED:
        raise ValidationError({"skill": f"“{skill.name}” is deprecated: choose another skill"})
    if expected_version is not None:
        # The row is found by skill, not by its own id, so lock-then-compare
        # here rather than through locked_for_edit; gone raises the same way.
        require_version(row, expected_version)
    if row is None:
        return PersonSkill.objects.create(
            person=person,
            skill=skill,
            level=level,
            last_used=last_used,
            evidence=evidence,
            note=note,
        )
    row.level, row.last_used, row.evidence, row.note = level, last_used, evidence, note
    save_new_version(row)
    return row


# --- Leavers and retention ----------------------------------------------------------

ANONYMOUS_NAME = "Former member of staff"


@transaction.atomic
def person_record_leaving(*, actor, person: Person, left_on, expected_version: int) -> Person:
    """Record the day ``person`` left (or ``None``: they did not leave after all).
    From that day they are no longer offered as a match or allocated (the index
    leaves them out), and ``RETENTION_LEAVERS_DAYS`` later they are anonymised."""
    from skills_app.audit.models import Action
    from skills_app.audit.services import record_event
    from skills_app.core.concurrency import locked_for_edit

    locked = locked_for_edit(Person.objects, person.pk, expected_version)
    if locked.anonymised_at is not None:
        raise ValidationError({"left_on": "This person's record has been anonymised"})
    if locked.left_on != left_on:
        locked.left_on = left_on
        # The save's post_save signal declares the index change (people.signals).
        save_new_version(locked, ["left_on"])
        record_event(
            actor=actor,
            action=Action.EDIT_PROFILE,
            object_type="person",
            object_id=locked.pk,
            subject=locked,
            parameters={"change": "left_on", "left_on": left_on.isoformat() if left_on else None},
        )
    return locked


def leavers_due_for_anonymising(*, today):
    """People who left more than ``RETENTION_LEAVERS_DAYS`` days before ``today``
    and are not yet anonymised."""
    from django.conf import settings

    cutoff = today - dt.timedelta(days=settings.RETENTION_LEAVERS_DAYS)
    return Person.objects.filter(left_on__lt=cutoff, anonymised_at__isnull=True)


@transaction.atomic
def people_anonymise_leavers(*, today=None) -> int:
    """Anonymise every leaver past the retention period; returns how many.

    The row stays (audit rows and surge allocations point at it) but nothing in it
    or hanging from it identifies the person: name, e-mail and staff number become
    placeholders, and their skills (with their notes), role history, qualifications,
    preferred locations, line-manager links both ways and user account link go, as do
    the address and name in their notifications.
    Grade, unit and location stay, for counts. Idempotent: an anonymised person is
    not picked again. Audited as one "system" event per person."""
    from django.db.models import F
    from django.utils import timezone

    from skills_app.audit.models import Action
    from skills_app.audit.services import record_events_for_subjects
    from skills_app.index.changes import workforce_changed
    from skills_app.notify.services import notify_forget_personal_data
    from skills_app.people.models import ChangeScope, PersonSkill, Qualification, RoleHistory

    today = today or timezone.localdate()
    ids = list(
        leavers_due_for_anonymising(today=today)
        .select_for_update()
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not ids:
        return 0
    now = timezone.now()
    PersonSkill.objects.filter(person_id__in=ids).delete()
    RoleHistory.objects.filter(person_id__in=ids).delete()
    Qualification.objects.filter(person_id__in=ids).delete()
    managed = list(Person.objects.filter(line_manager_id__in=ids).values_list("pk", flat=True))
    Person.objects.filter(pk__in=managed).update(line_manager=None, version=F("version") + 1)
    for pk in ids:
        # Placeholders keep the unique constraints and name nobody.
        Person.objects.filter(pk=pk).update(
            staff_number=f"ANON-{pk}",
            full_name=ANONYMOUS_NAME,
            work_email=f"anonymised-{pk}@anonymised.invalid",
            preferred_locations=[],
            line_manager=None,
            user=None,
            anonymised_at=now,
            updated_at=now,
            version=F("version") + 1,
        )
    # Their notifications forget the address and name too (unsent ones give up).
    notify_forget_personal_data(person_ids=ids)
    # Queryset writes send no signals: declare the changes here.
    workforce_changed(ChangeScope.PERSON, [*ids, *managed])
    workforce_changed(ChangeScope.HISTORY, ids)
    record_events_for_subjects(
        actor=None,
        action=Action.EDIT_PROFILE,
        subjects=ids,
        parameters={"change": "anonymised", "reason": "retention"},
    )
    return len(ids)
