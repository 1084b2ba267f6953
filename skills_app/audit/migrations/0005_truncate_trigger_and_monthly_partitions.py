"""PostgreSQL only: refuse TRUNCATE, and partition the audit table by month.

TRUNCATE fires no row trigger, so 0002's trigger did not stop it; a statement-level
BEFORE TRUNCATE trigger does. The owner (and only the owner: the app role has no
TRUNCATE privilege) may opt out for its own transaction with
``SET LOCAL muster.allow_audit_truncate = 'on'``; the test suite does so to flush
its database between transactional tests. That grants nothing: the owner can
always disable a trigger on its own table.

Partitioning by month on ``at`` lets retention drop a whole month at once instead
of deleting rows (which the append-only trigger refuses anyway). A partitioned
table's primary key must include the partition key, so it becomes (id, at); the
model still sees ``id`` as its key, which stays unique because one sequence fills
it. Existing rows are copied into their months; rows that fall in no monthly
partition (none should) land in the DEFAULT partition. ``apply_retention`` creates
the months ahead (skills_app.audit.services).
"""

from django.db import migrations

from skills_app.audit import partitions

TRUNCATE_TRIGGER = """
CREATE OR REPLACE FUNCTION audit_accessevent_no_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('muster.allow_audit_truncate', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit_accessevent is append-only: TRUNCATE refused';
END;
$$ LANGUAGE plpgsql;
"""
ATTACH_TRIGGERS = """
CREATE TRIGGER audit_accessevent_no_change
    BEFORE UPDATE OR DELETE ON audit_accessevent
    FOR EACH ROW EXECUTE FUNCTION audit_accessevent_append_only();
CREATE TRIGGER audit_accessevent_no_truncate
    BEFORE TRUNCATE ON audit_accessevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_accessevent_no_truncate();
"""

# Definitions read from the catalogue before the old table goes, replayed on the
# new one, so the indexes and foreign keys keep the names Django gave them.
INDEXES = """
SELECT indexdef FROM pg_indexes
WHERE schemaname = current_schema() AND tablename = 'audit_accessevent'
  AND indexname <> 'audit_accessevent_pkey'
"""
FOREIGN_KEYS = """
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
WHERE conrelid = 'audit_accessevent'::regclass AND contype = 'f'
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(INDEXES)
        indexes = [row[0] for row in cursor.fetchall()]
        cursor.execute(FOREIGN_KEYS)
        foreign_keys = cursor.fetchall()
        cursor.execute(
            "SELECT date_trunc('month', MIN(at) AT TIME ZONE 'UTC') FROM audit_accessevent"
        )
        earliest = cursor.fetchone()[0]
        cursor.execute(TRUNCATE_TRIGGER)
        cursor.execute(
            """
            CREATE TABLE audit_accessevent_new (
                LIKE audit_accessevent INCLUDING DEFAULTS INCLUDING STORAGE
            ) PARTITION BY RANGE (at);
            ALTER TABLE audit_accessevent_new ALTER COLUMN id DROP DEFAULT;
            CREATE TABLE audit_accessevent_default
                PARTITION OF audit_accessevent_new DEFAULT;
            """
        )
        partitions.refuse_truncate(cursor, partitions.DEFAULT)
        months = partitions.months_from(earliest.date() if earliest else None, ahead=3)
        for month in months:
            partitions.create_month(cursor, month, table="audit_accessevent_new")
        cursor.execute(
            """
            INSERT INTO audit_accessevent_new SELECT * FROM audit_accessevent;
            DROP TABLE audit_accessevent;
            ALTER TABLE audit_accessevent_new RENAME TO audit_accessevent;
            CREATE SEQUENCE audit_accessevent_id_seq OWNED BY audit_accessevent.id;
            ALTER TABLE audit_accessevent
                ALTER COLUMN id SET DEFAULT nextval('audit_accessevent_id_seq');
            SELECT setval('audit_accessevent_id_seq', COALESCE(MAX(id), 0) + 1, false)
                FROM audit_accessevent;
            ALTER TABLE audit_accessevent
                ADD CONSTRAINT audit_accessevent_pkey PRIMARY KEY (id, at);
            """
        )
        for definition in indexes:
            cursor.execute(definition)
        for name, definition in foreign_keys:
            cursor.execute(f'ALTER TABLE audit_accessevent ADD CONSTRAINT "{name}" {definition}')
        cursor.execute(ATTACH_TRIGGERS)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(INDEXES)
        indexes = [row[0] for row in cursor.fetchall()]
        cursor.execute(FOREIGN_KEYS)
        foreign_keys = cursor.fetchall()
        cursor.execute(
            """
            CREATE TABLE audit_accessevent_old (
                LIKE audit_accessevent INCLUDING DEFAULTS INCLUDING STORAGE
            );
            ALTER TABLE audit_accessevent_old ALTER COLUMN id DROP DEFAULT;
            INSERT INTO audit_accessevent_old SELECT * FROM audit_accessevent;
            DROP TABLE audit_accessevent CASCADE;
            DROP FUNCTION IF EXISTS audit_accessevent_no_truncate();
            ALTER TABLE audit_accessevent_old RENAME TO audit_accessevent;
            ALTER TABLE audit_accessevent ADD CONSTRAINT audit_accessevent_pkey PRIMARY KEY (id);
            ALTER TABLE audit_accessevent ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY;
            SELECT setval(pg_get_serial_sequence('audit_accessevent', 'id'),
                          COALESCE(MAX(id), 0) + 1, false) FROM audit_accessevent;
            CREATE TRIGGER audit_accessevent_no_change
                BEFORE UPDATE OR DELETE ON audit_accessevent
                FOR EACH ROW EXECUTE FUNCTION audit_accessevent_append_only();
            """
        )
        for definition in indexes:
            cursor.execute(definition)
        for name, definition in foreign_keys:
            cursor.execute(f'ALTER TABLE audit_accessevent ADD CONSTRAINT "{name}" {definition}')


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_view_scenario_action")]
    operations = [migrations.RunPython(forwards, backwards)]
