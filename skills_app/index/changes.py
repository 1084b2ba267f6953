"""Record writes that change search results in the workforce change sequence.

Single-row writes through the ORM are caught by signals (``people.signals``);
bulk writes that bypass signals (COPY imports, queryset updates, merges, demo
seeding) call ``workforce_changed`` themselves.
"""

from collections.abc import Iterable

from skills_app.people.models import ChangeScope, WorkforceChange


def workforce_changed(scope: str, person_ids: Iterable[int] = ()) -> None:
    ids = sorted(set(person_ids))
    if scope in (ChangeScope.PERSON, ChangeScope.HISTORY) and ids:
        WorkforceChange.objects.bulk_create(
            [WorkforceChange(scope=scope, person_id=pk) for pk in ids], batch_size=1000
        )
    else:
        WorkforceChange.objects.create(scope=scope)
