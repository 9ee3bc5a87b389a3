"""The controlled vocabulary of focus areas (DESIGN §1). Admins may add more."""

from django.db import migrations

FOCUS_AREAS = [
    ("domestic-violence", "Domestic violence"),
    ("human-trafficking", "Human trafficking"),
    ("child-protection", "Child protection"),
    ("gender-based-violence", "Gender-based violence"),
    ("gang-prevention", "Gang prevention"),
    ("mental-health-crisis", "Mental health crisis"),
    ("youth-development", "Youth development"),
    ("victim-support", "Victim support"),
    ("drug-rehabilitation", "Drug rehabilitation"),
    ("community-safety", "Community safety"),
    ("environmental-crime", "Environmental crime"),
    ("police-accountability", "Police accountability"),
]


def add_focus_areas(apps, schema_editor):
    # Through the migrating connection (the tables' owner: `migrate --database=migrator`).
    alias = schema_editor.connection.alias if schema_editor else "default"
    FocusArea = apps.get_model("partnerships", "FocusArea")
    for slug, name in FOCUS_AREAS:
        FocusArea.objects.using(alias).get_or_create(slug=slug, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("partnerships", "0001_initial")]

    operations = [migrations.RunPython(add_focus_areas, migrations.RunPython.noop)]
