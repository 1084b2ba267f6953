"""Least privilege on PostgreSQL (issue 13 item 2): as the app's role, with the
grants of ``manage.py grant_app_role`` applied, the audit trail can be read and
appended to, and nothing else; and the TRUNCATE trigger holds even for the owner."""

import os

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from tests.conftest import skip_or_fail

APP_ROLE = os.environ.get("MUSTER_TEST_APP_ROLE", "muster_app")
INSERT = (
    "INSERT INTO audit_accessevent (at, actor_label, action, object_type, object_id, parameters) "
    "VALUES (now(), 'system', 'export', '', '', '{}') RETURNING id"
)


def _connect(user: str | None = None) -> psycopg.Connection:
    s = connection.settings_dict
    return psycopg.connect(
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
        dbname=s["NAME"],
        user=user or s["USER"],
        password=s["PASSWORD"] if user is None else None,
    )


@pytest.fixture
def app(postgres_only, transactional_db):
    """A connection as the app role, after the grants (committed, so the other
    connection sees them). CI creates the role; locally the superuser does."""
    with _connect() as owner:
        owner.autocommit = True
        exists = owner.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE]).fetchone()
        if not exists:
            try:
                owner.execute(f'CREATE ROLE "{APP_ROLE}" LOGIN')
            except psycopg.errors.InsufficientPrivilege:
                skip_or_fail(f"role {APP_ROLE} is missing and cannot be created")
    call_command("grant_app_role", APP_ROLE, stdout=open(os.devnull, "w"))  # noqa: SIM115
    try:
        conn = _connect(APP_ROLE)
    except psycopg.OperationalError as error:
        skip_or_fail(f"cannot connect as {APP_ROLE}: {error}")
    with conn:
        yield conn


def _refused(conn, sql, params=()):
    with pytest.raises(psycopg.Error) as raised, conn.transaction():
        conn.execute(sql, params)
    return raised.value


def test_app_role_may_read_and_append_audit_rows_and_nothing_else(app):
    [event_id] = app.execute(INSERT).fetchone()
    assert app.execute("SELECT action FROM audit_accessevent WHERE id = %s", [event_id]).fetchone()
    partition = app.execute(
        "SELECT tableoid::regclass::text FROM audit_accessevent WHERE id = %s", [event_id]
    ).fetchone()[0]
    app.commit()

    refusals = {
        "update": ("UPDATE audit_accessevent SET action = 'search' WHERE id = %s", [event_id]),
        "delete": ("DELETE FROM audit_accessevent WHERE id = %s", [event_id]),
        "truncate": ("TRUNCATE audit_accessevent", []),
        "truncate a partition": (f"TRUNCATE {partition}", []),
        "update a partition": (f"UPDATE {partition} SET action = 'search'", []),
        "disable triggers": ("ALTER TABLE audit_accessevent DISABLE TRIGGER ALL", []),
        "disable a partition's triggers": (f"ALTER TABLE {partition} DISABLE TRIGGER ALL", []),
        "replica mode": ("SET session_replication_role = replica", []),
    }
    for what, (sql, params) in refusals.items():
        error = _refused(app, sql, params)
        assert isinstance(error, psycopg.errors.InsufficientPrivilege), (what, error)

    # Opting out of the TRUNCATE trigger gives the app role nothing: it has no privilege.
    with app.transaction():
        app.execute("SET LOCAL muster.allow_audit_truncate = 'on'")
    assert isinstance(
        _refused(app, "TRUNCATE audit_accessevent"), psycopg.errors.InsufficientPrivilege
    )
    row = app.execute("SELECT action FROM audit_accessevent WHERE id = %s", [event_id]).fetchone()
    assert row == ("export",)


def test_only_the_owner_counts_as_owning_the_audit_table(app):
    """What audit retention checks before touching partitions."""
    from skills_app.audit.services import _owns_audit_table

    assert _owns_audit_table(app.cursor()) is False
    with _connect() as owner:
        assert _owns_audit_table(owner.cursor()) is True


def test_app_role_keeps_ordinary_rights_on_other_tables(app):
    app.execute(
        "INSERT INTO people_workforcechange (scope, person_id, at) VALUES ('all', NULL, now())"
    )
    app.execute("UPDATE people_workforcechange SET scope = 'roles'")
    app.execute("DELETE FROM people_workforcechange")
    app.rollback()


def test_owner_too_is_refused_truncate_by_the_trigger(postgres_only, transactional_db):
    """The trigger refuses TRUNCATE of the table and of each partition for any
    role that has not opted out for its session (as the test suite does)."""
    with _connect() as owner:
        owner.execute(INSERT)
        partitions = [
            name
            for (name,) in owner.execute(
                "SELECT inhrelid::regclass::text FROM pg_inherits "
                "WHERE inhparent = 'audit_accessevent'::regclass"
            )
        ]
        owner.commit()
        guarded = {
            name
            for (name,) in owner.execute(
                "SELECT tgrelid::regclass::text FROM pg_trigger "
                "WHERE tgname = 'audit_accessevent_no_truncate'"
            )
        }
        # The table's own trigger, and each partition's (a partition can be
        # truncated alone, and statement triggers are not inherited).
        assert guarded == {"audit_accessevent", *partitions}
        for table in ["audit_accessevent", *partitions]:
            error = _refused(owner, f"TRUNCATE {table}")
            assert "append-only" in str(error), table
        assert owner.execute("SELECT count(*) FROM audit_accessevent").fetchone()[0] == 1


def test_grants_refuse_a_superuser_or_owner_role(postgres_only):
    from skills_app.audit.privileges import PrivilegeError, grant_app_role

    with pytest.raises(PrivilegeError):
        grant_app_role(role=connection.settings_dict["USER"])
    with pytest.raises(PrivilegeError):
        grant_app_role(role="Robert'); DROP TABLE x;--")
