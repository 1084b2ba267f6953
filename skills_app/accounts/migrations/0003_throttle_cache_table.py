"""The table behind the "throttle" cache (settings.CACHES): per-user request counts
shared by every web process, so a limit holds however many workers serve it."""

from django.core.management import call_command
from django.db import migrations

TABLE = "muster_cache"


def create_table(apps, schema_editor):
    # createcachetable skips a table that already exists.
    call_command("createcachetable", TABLE, database=schema_editor.connection.alias, verbosity=0)


def drop_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_role_groups")]

    operations = [migrations.RunPython(create_table, drop_table, elidable=False)]
