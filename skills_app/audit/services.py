import json
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

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


def record_events_for_people(*, actor, action: str, people, parameters: dict | None = None) -> int:
    """One row per person in the ``people`` queryset, written by the database in
    one INSERT ... SELECT: an export of 100,000 people is audited person by person
    (so each of them can see it) without loading them into Python."""
    table = connection.ops.quote_name(AccessEvent._meta.db_table)
    select_sql, select_params = people.order_by().values("pk").query.sql_with_params()
    as_json = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    fields = _actor_fields(actor)
    actor_id = fields["actor"].pk if fields["actor"] is not None else None
    # Only the quoted table name and Django's own compiled SELECT are spliced in;
    # every value is a bound parameter.
    columns = "at, actor_id, actor_label, action, object_type, object_id, subject_id, parameters"
    values = f"%s, %s, %s, %s, 'person', CAST(chosen.pk AS VARCHAR(64)), chosen.pk, {as_json}"
    sql = f"INSERT INTO {table} ({columns}) SELECT {values} FROM ({select_sql}) chosen"  # noqa: S608
    params = [
        connection.ops.adapt_datetimefield_value(timezone.now()),
        actor_id,
        fields["actor_label"],
        action,
        json.dumps(parameters or {}),
        *select_params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
