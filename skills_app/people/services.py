from django.core.exceptions import ValidationError
from django.db import transaction

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
    locked.version += 1
    locked.save(update_fields=["line_manager", "version", "updated_at"])
    return locked
