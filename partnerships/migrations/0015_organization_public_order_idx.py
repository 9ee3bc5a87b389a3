# The public list of organizations in its order (and of one kind), read from indexes.
# Built concurrently: a large registry keeps taking writes meanwhile.

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("partnerships", "0014_field_labels_for_translation"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="organization",
            index=models.Index(
                condition=models.Q(("is_confirmed", True)),
                fields=["name", "id"],
                name="organization_public_name_idx",
            ),
        ),
        AddIndexConcurrently(
            model_name="organization",
            index=models.Index(
                condition=models.Q(("is_confirmed", True)),
                fields=["kind", "name", "id"],
                name="organization_public_kind_idx",
            ),
        ),
    ]
