"""Fast bulk loading for large generated or imported data sets.

``insert_rows`` takes plain tuples (one per row, values in the order of ``columns``, which
are field attnames such as ``person_id``) and writes them with the fastest path the database
offers: PostgreSQL ``COPY ... FROM STDIN`` through psycopg 3, ``executemany`` in batches
elsewhere. Rows may be a generator, so callers can stream millions of rows without holding
them in memory. Nothing here runs model ``save()``, signals or ``auto_now``: callers supply
every value, including timestamps.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice

from django.core.management.color import no_style
from django.db import connections, models, transaction
from django.db.models import NOT_PROVIDED
from django.utils import timezone

# Field types whose Python values need the backend's own adaptation outside COPY (SQLite
# stores aware datetimes as naive UTC text, decimals as text, UUIDs as 32 hex digits).
_ADAPTED_TYPES = {"DateTimeField", "DateField", "TimeField", "DecimalField", "UUIDField"}


class PerRow:
    """A default every row needs its own value of (a unique field with a callable
    default, such as ``Person.public_id``): one value shared by every row would break
    the constraint at the second row. ``insert_rows`` calls ``make`` once per row;
    ``core.staging.insert_select`` writes SQL that draws a value per row."""

    def __init__(self, field: models.Field):
        self.field = field
        self.make = field.default


def _fields_by_attname(model: type[models.Model]) -> dict[str, models.Field]:
    return {f.attname: f for f in model._meta.concrete_fields}


def _plan_columns(
    model: type[models.Model], columns: Sequence[str]
) -> tuple[list[models.Field], tuple]:
    """The fields to write: those named, then any other required field that has a default
    (a value appended to every row), so that adding a defaulted field to a model does not
    break a loader. A required field without a default is an error."""
    by_attname = _fields_by_attname(model)
    unknown = [c for c in columns if c not in by_attname]
    if unknown:
        raise ValueError(f"{model.__name__} has no column(s) {', '.join(unknown)}")
    extra_fields, extra_values, missing = [], [], []
    for f in by_attname.values():
        if f.attname in columns or f.null or f.primary_key:
            continue
        if getattr(f, "db_default", NOT_PROVIDED) is not NOT_PROVIDED:
            continue
        if f.unique and callable(f.default):
            extra_fields.append(f)
            extra_values.append(PerRow(f))
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            now = timezone.now()
            extra_fields.append(f)
            extra_values.append(now if f.get_internal_type() == "DateTimeField" else now.date())
            continue
        default = f.get_default()  # as the ORM would: the default, or "" for text fields
        if default is None:
            missing.append(f.attname)
        else:
            if f.get_internal_type() == "JSONField":
                # Both COPY and executemany take JSON as text; a raw list or dict
                # would be adapted as an array or refused.
                default = json.dumps(default)
            extra_fields.append(f)
            extra_values.append(default)
    if missing:
        raise ValueError(
            f"{model.__name__}: no value given for required column(s) {', '.join(missing)}"
        )
    return [by_attname[c] for c in columns] + extra_fields, tuple(extra_values)


def insert_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[tuple],
    *,
    using: str = "default",
    batch_size: int = 5000,
) -> int:
    """Insert ``rows`` into ``model``'s table; returns the number of rows written.

    Required columns left out of ``columns`` get their field default (``auto_now`` fields:
    the current time), the same value for every row, except unique fields with a callable
    default (``Person.public_id``): those get a fresh value per row.

    Run it inside ``transaction.atomic()`` for all-or-nothing loads. On PostgreSQL foreign
    keys are checked at commit (Django creates them ``DEFERRABLE INITIALLY DEFERRED``), so
    tables may be loaded in any order within one transaction.
    """
    fields, extra = _plan_columns(model, columns)
    if any(isinstance(value, PerRow) for value in extra):
        makers = [
            value.make if isinstance(value, PerRow) else (lambda value=value: value)
            for value in extra
        ]
        rows = (tuple(row) + tuple(make() for make in makers) for row in rows)
    elif extra:
        rows = (tuple(row) + extra for row in rows)
    connection = connections[using]
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    if connection.vendor == "postgresql":
        return _copy(connection, table, names, rows)
    return _executemany(connection, table, names, fields, rows, batch_size)


def _copy(connection, table: str, names: str, rows: Iterable[tuple]) -> int:
    count = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg 3 cursor under Django's wrapper
        with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:  # noqa: S608
            write = copy.write_row
            for row in rows:
                write(row)
                count += 1
    return count


def _executemany(connection, table, names, fields, rows, batch_size) -> int:
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({names}) VALUES ({placeholders})"  # noqa: S608
    converters: list[tuple[int, Callable]] = [
        (i, (lambda value, f=f: f.get_db_prep_save(value, connection)))
        for i, f in enumerate(fields)
        if f.get_internal_type() in _ADAPTED_TYPES
    ]
    iterator: Iterator[tuple] = iter(rows)
    count = 0
    with connection.cursor() as cursor:
        while batch := list(islice(iterator, batch_size)):
            if converters:
                adapted = []
                for row in batch:
                    values = list(row)
                    for i, convert in converters:
                        if values[i] is not None:
                            values[i] = convert(values[i])
                    adapted.append(values)
                batch = adapted
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def reset_sequences(*model_classes: type[models.Model], using: str = "default") -> None:
    """After inserting explicit primary keys, move the id sequences past them (PostgreSQL;
    SQLite's AUTOINCREMENT follows explicit ids by itself)."""
    connection = connections[using]
    statements = connection.ops.sequence_reset_sql(no_style(), list(model_classes))
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def analyze(*model_classes: type[models.Model], using: str = "default") -> None:
    """Refresh planner statistics after a bulk load (PostgreSQL only)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in model_classes:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _run_deferred_checks(cursor) -> None:
    """PostgreSQL refuses to alter or index a table with queued deferred constraint checks
    (e.g. rows deleted earlier in the transaction): run them now, then defer again."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@contextmanager
def foreign_keys_suspended(*model_classes: type[models.Model], using: str = "default"):
    """On PostgreSQL, drop the foreign keys *declared on* these tables for the duration of a
    bulk load and add them back afterwards, which validates each key in one set-based pass
    instead of queueing one deferred trigger event per inserted row (several times faster at
    a million rows). Runs in its own ``transaction.atomic()`` (a savepoint inside yours): if
    the load or the validation fails, the rollback restores the constraints too. Takes ACCESS
    EXCLUSIVE locks on the tables, so it is for loads that own them (seeding, restores), not
    for live imports. Elsewhere a no-op."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    tables = [model._meta.db_table for model in model_classes]
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            _run_deferred_checks(cursor)
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) "
                "ORDER BY 1, 2",
                [tables],
            )
            constraints = cursor.fetchall()
            for table, name, _ in constraints:
                quoted = connection.ops.quote_name(name)
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quoted}")
        yield
        with connection.cursor() as cursor:
            _run_deferred_checks(cursor)
            for table, name, definition in constraints:
                quoted = connection.ops.quote_name(name)
                cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {quoted} {definition}")


@contextmanager
def indexes_suspended(*model_classes: type[models.Model], using: str = "default"):
    """On PostgreSQL, drop the plain (non-unique, non-constraint) indexes of these tables for
    the duration of a bulk load and rebuild them afterwards: one sorted build per index is
    much cheaper than maintaining it row by row. Unique and primary-key indexes stay, so
    duplicates are still refused during the load. Same rules as foreign_keys_suspended (own
    savepoint, exclusive locks, for loads that own the tables). Elsewhere a no-op."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    tables = [model._meta.db_table for model in model_classes]
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i WHERE i.indrelid = ANY(%s::regclass[]) "
                "AND NOT i.indisunique AND NOT i.indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
                "ORDER BY 1",
                [tables],
            )
            indexes = cursor.fetchall()
            _run_deferred_checks(cursor)
            for name, _ in indexes:
                cursor.execute(f"DROP INDEX {name}")
        yield
        with connection.cursor() as cursor:
            _run_deferred_checks(cursor)
            for _, definition in indexes:
                cursor.execute(definition)
