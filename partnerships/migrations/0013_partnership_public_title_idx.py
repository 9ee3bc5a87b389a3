# The registry's default order (title, id), read from an index of the public partnerships.
# Built concurrently: a large registry keeps taking writes meanwhile.

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("partnerships", "0012_derived_facts"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="partnership",
            index=models.Index(
                condition=models.Q(("publication_status", "published"), ("visibility", "public")),
                fields=["title", "id"],
                name="partnership_public_title_idx",
            ),
        ),
    ]
