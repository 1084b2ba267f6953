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
