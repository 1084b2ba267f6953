import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from skills_app.audit import partitions
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


def _subject_rows(fields: dict, action: str, subjects: Iterable, parameters: dict | None):
    return [
        AccessEvent(
            **fields,
            action=action,
            object_type="person",
            object_id=str(pk),
            subject_id=pk,
            parameters=parameters or {},
        )
        for pk in (getattr(subject, "pk", subject) for subject in subjects)
    ]


@transaction.atomic
def record_events_for_subjects(
    *, actor, action: str, subjects: Iterable, parameters: dict | None = None
) -> int:
    """One row per person touched (e.g. every person shown in a search result);
    ``subjects`` are people or their ids."""
    rows = _subject_rows(_actor_fields(actor), action, subjects, parameters)
    AccessEvent.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def record_event_with_subjects(
    *,
    actor,
    action: str,
    object_type: str = "",
    object_id: str | int = "",
    parameters: dict | None = None,
    subjects: Iterable = (),
    subject_parameters: dict | None = None,
) -> int:
    """``record_event`` and ``record_events_for_subjects`` together, in one bulk
    INSERT (a search: what was asked, and one row per person shown; issue 17).
    Django splits only a batch past the database's parameter limit, inside one
    transaction. Returns the rows written."""
    fields = _actor_fields(actor)
    rows = [
        AccessEvent(
            **fields,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            parameters=parameters or {},
        ),
        *_subject_rows(fields, action, subjects, subject_parameters),
    ]
    AccessEvent.objects.bulk_create(rows)
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


# --- Retention -------------------------------------------------------------------


@dataclass
class AuditRetention:
    cutoff: dt.datetime
    deleted_rows: int = 0  # SQLite
    dropped: list[str] = field(default_factory=list)  # PostgreSQL partitions
    created: list[str] = field(default_factory=list)
    skipped: str = ""  # why PostgreSQL partitions were left alone


def _owns_audit_table(cursor) -> bool:
    cursor.execute(
        "SELECT pg_has_role(current_user, c.relowner, 'USAGE') FROM pg_class c "
        "WHERE c.oid = %s::regclass",
        [partitions.PARENT],
    )
    return bool(cursor.fetchone()[0])


@transaction.atomic
def audit_apply_retention(*, now: dt.datetime | None = None) -> AuditRetention:
    """Forget audit rows older than ``RETENTION_AUDIT_DAYS``.

    PostgreSQL: create the monthly partitions ``AUDIT_PARTITION_MONTHS_AHEAD``
    ahead and drop each month whose every row is older than the period. Both need
    the table's owner (the app role may not drop audit history), so run this as
    the owner, ``MIGRATION_DATABASE_URL``; as any other role nothing is changed
    and ``skipped`` says why.

    SQLite (development): delete the old rows. This is the one place rows leave
    the audit table; it uses raw SQL because the model refuses deletes on purpose.
    """
    now = now or timezone.now()
    result = AuditRetention(cutoff=now - dt.timedelta(days=settings.RETENTION_AUDIT_DAYS))
    table = connection.ops.quote_name(AccessEvent._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(
                f"DELETE FROM {table} WHERE at < %s",  # noqa: S608  (quoted constant name)
                [connection.ops.adapt_datetimefield_value(result.cutoff)],
            )
            result.deleted_rows = cursor.rowcount
            return result
        if not _owns_audit_table(cursor):
            result.skipped = (
                "audit partitions need the table's owner: "
                "run apply_retention with MIGRATION_DATABASE_URL set"
            )
            return result
        have = partitions.existing(cursor)
        this_month = partitions.month_start(now.astimezone(dt.UTC).date())
        for n in range(settings.AUDIT_PARTITION_MONTHS_AHEAD + 1):
            month = partitions.add_months(this_month, n)
            if month not in have:
                partitions.create_month(cursor, month)
                result.created.append(partitions.name_of(month))
        # Deferred foreign-key checks of rows written earlier in this transaction
        # would block DROP TABLE ("pending trigger events"): run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cutoff_day = result.cutoff.astimezone(dt.UTC).date()
        for month, name in sorted(have.items()):
            # Drop a month only when its end is at or before the cutoff.
            if partitions.add_months(month, 1) <= cutoff_day:
                cursor.execute(f"DROP TABLE {connection.ops.quote_name(name)}")
                result.dropped.append(name)
    return result
