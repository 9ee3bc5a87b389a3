# The public lists of reviews and flags in their order (and of one kind), read from indexes.
# Built concurrently: a large registry keeps taking writes meanwhile.

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("agreements", "0013_open_flags_from_their_rows"),
        ("oversight", "0014_open_flags_from_their_rows"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="flag",
            index=models.Index(fields=["-raised_at", "id"], name="flag_raised_order_idx"),
        ),
        AddIndexConcurrently(
            model_name="flag",
            index=models.Index(
                condition=models.Q(("resolved_at__isnull", True)),
                fields=["kind", "-raised_at", "id"],
                name="flag_open_kind_order_idx",
            ),
        ),
        AddIndexConcurrently(
            model_name="review",
            index=models.Index(
                fields=["-completed_on", "-started_on", "id"], name="review_order_idx"
            ),
        ),
        AddIndexConcurrently(
            model_name="review",
            index=models.Index(
                fields=["kind", "-completed_on", "-started_on", "id"], name="review_kind_order_idx"
            ),
        ),
    ]
