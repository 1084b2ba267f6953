"""Monthly partitions of the audit table on PostgreSQL: names and bounds.

One partition per calendar month in UTC, named ``audit_accessevent_pYYYYMM``, plus
``audit_accessevent_default`` for any row that falls in no month created yet. The
names are part of the schema (migration 0005 uses them), so keep them stable.
"""

import datetime as dt
import re

PARENT = "audit_accessevent"
DEFAULT = "audit_accessevent_default"
_NAME = re.compile(r"^audit_accessevent_p(\d{4})(\d{2})$")


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def months_from(earliest: dt.date | None, *, ahead: int, today: dt.date | None = None):
    """Every month from ``earliest``'s (or this one) to ``ahead`` months after this one."""
    this = month_start(today or dt.datetime.now(dt.UTC).date())
    month = month_start(earliest) if earliest and earliest < this else this
    last = add_months(this, ahead)
    while month <= last:
        yield month
        month = add_months(month, 1)


def name_of(month: dt.date) -> str:
    return f"{PARENT}_p{month:%Y%m}"


def month_of(name: str) -> dt.date | None:
    found = _NAME.match(name)
    return dt.date(int(found[1]), int(found[2]), 1) if found else None


def refuse_truncate(cursor, name: str) -> None:
    """A statement-level trigger is not inherited by partitions, and a partition
    can be truncated on its own: each carries its own TRUNCATE trigger."""
    cursor.execute(
        f"CREATE OR REPLACE TRIGGER audit_accessevent_no_truncate BEFORE TRUNCATE ON {name} "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_accessevent_no_truncate()"
    )


def create_month(cursor, month: dt.date, *, table: str = PARENT) -> None:
    """Create ``month``'s partition of ``table`` (bounds in UTC). Only constants
    (a name built from a date, and dates) are spliced into the statement."""
    upper = add_months(month, 1)
    cursor.execute(
        f"CREATE TABLE IF NOT EXISTS {name_of(month)} PARTITION OF {table} "
        f"FOR VALUES FROM ('{month:%Y-%m-%d} 00:00:00+00') TO ('{upper:%Y-%m-%d} 00:00:00+00')"
    )
    refuse_truncate(cursor, name_of(month))


def existing(cursor) -> dict[dt.date, str]:
    """The monthly partitions attached to the audit table, by month."""
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = %s::regclass",
        [PARENT],
    )
    found = {}
    for (name,) in cursor.fetchall():
        month = month_of(name)
        if month is not None:
            found[month] = name
    return found
