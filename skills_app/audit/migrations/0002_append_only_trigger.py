from django.db import migrations

TRIGGER = """
CREATE OR REPLACE FUNCTION audit_accessevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_accessevent is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_accessevent_no_change
    BEFORE UPDATE OR DELETE ON audit_accessevent
    FOR EACH ROW EXECUTE FUNCTION audit_accessevent_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS audit_accessevent_no_change ON audit_accessevent;
DROP FUNCTION IF EXISTS audit_accessevent_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
