# The public lists' default order (title, id), read from an index of the public agreements.
# Built concurrently: a registry of a million agreements keeps taking writes meanwhile.

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("agreements", "0010_derived_facts"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="agreement",
            index=models.Index(
                condition=models.Q(("publication_status", "published"), ("visibility", "public")),
                fields=["title", "id"],
                name="agreement_public_title_idx",
            ),
        ),
    ]
