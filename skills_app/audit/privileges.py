"""Least privilege on PostgreSQL: what the web app's and worker's role may do.

The owner role (MIGRATION_DATABASE_URL) owns every table and runs migrations and
retention. The app role (DATABASE_URL) gets ordinary reads and writes on every
table except the audit trail, where it may only SELECT and INSERT, through the
partitioned parent table only. Not owning the table, it cannot ALTER it (so not
disable its triggers), and not being a superuser it cannot set
``session_replication_role``. Run ``manage.py grant_app_role <role>`` as the owner
after every ``migrate``: new tables get no grants until it is run again.
"""

import re

from django.db import connection, transaction

from skills_app.audit import partitions

_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class PrivilegeError(ValueError):
    """The role cannot be granted the app's privileges (a superuser, the tables' owner,
    or not a valid role name)."""


@transaction.atomic
def grant_app_role(*, role: str) -> list[str]:
    """Grant ``role`` what the app needs and nothing more; idempotent. Returns
    the statements run (for the command to show)."""
    if not _ROLE.match(role):
        raise PrivilegeError("Give a role name of lower-case letters, digits and underscores")
    if connection.vendor != "postgresql":
        raise PrivilegeError("Database roles apply to PostgreSQL only")
    quoted = connection.ops.quote_name(role)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.rolsuper, pg_has_role(r.oid, c.relowner, 'USAGE') "
            "FROM pg_roles r, pg_class c WHERE r.rolname = %s AND c.oid = %s::regclass",
            [role, partitions.PARENT],
        )
        found = cursor.fetchone()
        if found is None:
            raise PrivilegeError(f"Role {role} does not exist: CREATE ROLE {role} LOGIN first")
        superuser, owns = found
        if superuser or owns:
            raise PrivilegeError(
                f"Role {role} is a superuser or owns the tables: the app needs a role of its own"
            )
        cursor.execute("SELECT current_database(), current_schema()")
        database, schema = (connection.ops.quote_name(n) for n in cursor.fetchone())
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [partitions.PARENT],
        )
        parts = [name for (name,) in cursor.fetchall()]
        statements = [
            f"GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {quoted}",
            f"GRANT USAGE ON SCHEMA {schema} TO {quoted}",
            f"REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA {schema} FROM {quoted}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {quoted}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {quoted}",
            # The audit trail: read and append, nothing else.
            f"REVOKE ALL ON {partitions.PARENT} FROM {quoted}",
            f"GRANT SELECT, INSERT ON {partitions.PARENT} TO {quoted}",
            # Partitions are reached through the parent only.
            *(f"REVOKE ALL ON {connection.ops.quote_name(p)} FROM {quoted}" for p in parts),
        ]
        for statement in statements:
            cursor.execute(statement)
    return statements
