"""Temporary staging tables: the validated rows go in fast (COPY on PostgreSQL,
executemany on SQLite), then set-based SQL compares them with the live tables and
writes only what changed.

The same SQL runs on both backends; the few differences (column types, the
null-safe "is different" operator) are spelled by the helpers here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db import connection

_PG_TYPES = {
    "text": "text",
    "int": "integer",
    "bigint": "bigint",
    "smallint": "smallint",
    "bool": "boolean",
    "date": "date",
    "decimal": "numeric(6, 1)",
    "float": "double precision",
}
_SQLITE_TYPES = {
    "text": "TEXT",
    "int": "INTEGER",
    "bigint": "INTEGER",
    "smallint": "INTEGER",
    "bool": "INTEGER",
    "date": "TEXT",
    "decimal": "NUMERIC",
    "float": "REAL",
}


@dataclass
class Counts:
    """What a bulk write did (or, for a dry run, would do)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    extra: dict = field(default_factory=dict)


def postgres() -> bool:
    return connection.vendor == "postgresql"


def q(name: str) -> str:
    return connection.ops.quote_name(name)


def differs(a: str, b: str) -> str:
    """SQL that is true when a and b differ, counting NULL as a value."""
    return f"({a} IS DISTINCT FROM {b})" if postgres() else f"({a} IS NOT {b})"


def param(value):
    """A Python value as a query parameter for either backend."""
    if postgres():
        return value
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bool):
        return int(value)
    return value


def uuid4_sql() -> str:
    """SQL for a new random (version 4) UUID, drawn afresh for every row, in the form
    Django stores a UUIDField: PostgreSQL's uuid type, or 32 lower-case hex digits on
    SQLite (version nibble 4, variant 8 to b)."""
    if postgres():
        return "gen_random_uuid()"
    return (
        "lower(hex(randomblob(4)) || hex(randomblob(2)) || '4' || substr(hex(randomblob(2)), 2)"
        " || substr('89ab', 1 + (random() & 3), 1) || substr(hex(randomblob(2)), 2)"
        " || hex(randomblob(6)))"
    )


def json_empty_list() -> str:
    return "'[]'::jsonb" if postgres() else "'[]'"


class Staging:
    """One temporary table. Use inside ``transaction.atomic()``: created and dropped
    within the transaction, so a rollback leaves nothing behind."""

    def __init__(self, name: str, columns: list[tuple[str, str]]):
        self.name = name
        self.columns = columns

    @property
    def table(self) -> str:
        return q(self.name)

    def create(self, cursor) -> None:
        types = _PG_TYPES if postgres() else _SQLITE_TYPES
        cursor.execute(f"DROP TABLE IF EXISTS {self.table}")
        columns = ", ".join(f"{q(name)} {types[kind]}" for name, kind in self.columns)
        cursor.execute(f"CREATE TEMPORARY TABLE {self.table} ({columns})")

    def load(self, cursor, rows: Iterable[tuple], *, progress=None, batch: int = 5000) -> int:
        names = ", ".join(q(name) for name, _ in self.columns)
        count = 0
        if postgres():
            raw = cursor.cursor
            with raw.copy(f"COPY {self.table} ({names}) FROM STDIN") as copy:  # noqa: S608
                write = copy.write_row
                for row in rows:
                    write(row)
                    count += 1
                    if progress is not None and count % batch == 0:
                        progress.advance(batch)
            cursor.execute(f"ANALYZE {self.table}")
        else:
            placeholders = ", ".join(["%s"] * len(self.columns))
            sql = f"INSERT INTO {self.table} ({names}) VALUES ({placeholders})"  # noqa: S608
            chunk = []
            for row in rows:
                chunk.append([param(v) for v in row])
                if len(chunk) >= batch:
                    cursor.executemany(sql, chunk)
                    count += len(chunk)
                    chunk = []
                    if progress is not None:
                        progress.advance(batch)
            if chunk:
                cursor.executemany(sql, chunk)
                count += len(chunk)
        return count

    def index(self, cursor, *columns: str) -> None:
        name = q(f"{self.name}_{'_'.join(columns)}")
        cursor.execute(f"CREATE INDEX {name} ON {self.table} ({', '.join(q(c) for c in columns)})")

    def drop(self, cursor) -> None:
        cursor.execute(f"DROP TABLE IF EXISTS {self.table}")


def insert_select(
    cursor, model, columns: list[tuple[str, str]], source_sql: str, params: tuple = ()
) -> int:
    """``INSERT INTO model (columns) SELECT expressions <source_sql>``; every other
    required field of the model gets its default (``auto_now`` fields the current time),
    so a field added to the model later does not break the import. A unique UUID field
    left out (``Person.public_id``) gets a new random UUID per row, never one shared
    value. ``columns`` are (attname, SQL expression) pairs; the expressions take no
    parameters."""
    from skills_app.people.bulk import PerRow, _plan_columns

    fields, extra = _plan_columns(model, [attname for attname, _ in columns])
    extra_fields = fields[len(columns) :]
    names = [_column_of(model, attname) for attname, _ in columns]
    names += [f.column for f in extra_fields]
    exprs = [expr for _, expr in columns]
    extra_params = []
    for f, value in zip(extra_fields, extra, strict=True):
        if isinstance(value, PerRow):
            if f.get_internal_type() != "UUIDField":
                raise ValueError(
                    f"{model.__name__}.{f.name} is unique: name it in the columns, "
                    "with a value per row"
                )
            exprs.append(uuid4_sql())
        else:
            exprs.append("%s")
            extra_params.append(f.get_db_prep_save(value, connection))
    sql = (
        f"INSERT INTO {q(model._meta.db_table)} ({', '.join(q(n) for n in names)}) "  # noqa: S608
        f"SELECT {', '.join(exprs)} {source_sql}"
    )
    cursor.execute(sql, [*extra_params, *params])
    return cursor.rowcount


def _column_of(model, attname: str) -> str:
    for f in model._meta.concrete_fields:
        if f.attname == attname:
            return f.column
    raise ValueError(f"{model.__name__} has no column {attname}")


def classify(cursor, classified: str, *, id_as: str, changed: str, source: str) -> Counts:
    """Create the temporary table ``classified``: every staged row (``t``) with the id of
    the live row it matches (``p.id``, named ``id_as``) and an ``action``: c(reate) when
    none matches, u(pdate) when ``changed`` holds, n(one) otherwise. ``source`` is the
    FROM clause joining the staging table as ``t`` to the live table as ``p``. Returns
    the counts by action. The fragments are the callers' own SQL, never row values."""
    cursor.execute(f"DROP TABLE IF EXISTS {classified}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {classified} AS SELECT t.*, p.id AS {id_as}, "  # noqa: S608
        f"CASE WHEN p.id IS NULL THEN 'c' WHEN {changed} THEN 'u' ELSE 'n' END AS action "
        f"FROM {source}"
    )
    return counts_by_action(cursor, classified)


def counts_by_action(cursor, classified: str):
    """Counts from a classified staging table's ``action`` column: c(reate), u(pdate), n(one)."""
    cursor.execute(f"SELECT action, COUNT(*) FROM {classified} GROUP BY action")  # noqa: S608
    found = dict(cursor.fetchall())
    return Counts(created=found.get("c", 0), updated=found.get("u", 0), unchanged=found.get("n", 0))
