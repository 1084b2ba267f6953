from collections.abc import Iterable

from django.db import transaction

from skills_app.audit.models import AccessEvent


def _actor_fields(actor) -> dict:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return {"actor": None, "actor_label": "system"}
    return {"actor": actor, "actor_label": actor.get_username()}


def record_event(
    *,
    actor,
    action: str,
    object_type: str = "",
    object_id: str | int = "",
    subject=None,
    parameters: dict | None = None,
) -> AccessEvent:
    """Write one audit row. ``parameters`` is a short summary (counts, filters,
    role code), never a copy of the personal data that was read."""
    return AccessEvent.objects.create(
        **_actor_fields(actor),
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        subject=subject,
        parameters=parameters or {},
    )


@transaction.atomic
def record_events_for_subjects(
    *, actor, action: str, subjects: Iterable, parameters: dict | None = None
) -> int:
    """One row per person touched (e.g. every person shown in a search result);
    ``subjects`` are people or their ids."""
    fields = _actor_fields(actor)
    rows = []
    for subject in subjects:
        pk = getattr(subject, "pk", subject)
        rows.append(
            AccessEvent(
                **fields,
                action=action,
                object_type="person",
                object_id=str(pk),
                subject_id=pk,
                parameters=parameters or {},
            )
        )
    AccessEvent.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
