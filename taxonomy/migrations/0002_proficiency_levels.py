from django.db import migrations

# The DDaT framework's four-point scale, with its generic meaning.
LEVELS = [
    (1, "Awareness", "Knows about the skill and can explain what it is, with limited experience of using it."),
    (2, "Working", "Applies the skill in familiar situations, with guidance from others."),
    (3, "Practitioner", "Applies the skill independently and well, and can guide others."),
    (4, "Expert", "Leads and sets standards in the skill, and is recognised for it across government."),
]


def create_levels(apps, schema_editor):
    ProficiencyLevel = apps.get_model("taxonomy", "ProficiencyLevel")
    for level, name, description in LEVELS:
        ProficiencyLevel.objects.update_or_create(
            level=level, defaults={"name": name, "description": description}
        )


class Migration(migrations.Migration):
    dependencies = [("taxonomy", "0001_initial")]
    operations = [migrations.RunPython(create_levels, migrations.RunPython.noop)]
