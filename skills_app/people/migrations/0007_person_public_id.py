"""Person.public_id: the random id person URLs use instead of the primary key.

Three steps, because a callable default on AddField is evaluated once and would
give every existing row the same value: add the column nullable, give each row
its own UUID4, then make it unique and required.
"""

import uuid

from django.db import migrations, models

BATCH = 2000


def fill_public_ids(apps, schema_editor):
    Person = apps.get_model("people", "Person")
    db = schema_editor.connection.alias
    if schema_editor.connection.vendor == "postgresql":
        # gen_random_uuid() (built in since PostgreSQL 13) is a version 4 UUID,
        # evaluated per row: one statement however many people there are.
        table = schema_editor.quote_name(Person._meta.db_table)
        schema_editor.execute(
            f"UPDATE {table} SET public_id = gen_random_uuid() WHERE public_id IS NULL"
        )
        return
    pending = Person.objects.using(db).filter(public_id__isnull=True).order_by("pk")
    while batch := list(pending.only("pk")[:BATCH]):
        for person in batch:
            person.public_id = uuid.uuid4()
        Person.objects.using(db).bulk_update(batch, ["public_id"])


class Migration(migrations.Migration):

    dependencies = [
        ("people", "0007_drafts"),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="public_id",
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.RunPython(fill_public_ids, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="person",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
