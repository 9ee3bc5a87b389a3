"""The oversight dashboard's default order (``dashboard.review_due_in_force``, then the id),
read from an index of the agreements: its first page, and any page by cursor, without
sorting every agreement.

The expression is frozen here and must stay the one of oversight/dashboard.py, or
PostgreSQL stops using the index; tests/oversight/test_dashboard_pages.py checks the plan.
Built concurrently: a large registry keeps taking writes meanwhile.
"""

from django.db import migrations, models

NAME = "agreement_review_due_in_force_idx"


def index():
    in_force = models.Case(
        models.When(status__in=("signed", "active"), then=models.F("next_review_due")),
        default=None,
    )
    return models.Index(in_force, models.F("id"), name=NAME)


def create_index(apps, schema_editor):
    schema_editor.add_index(apps.get_model("agreements", "Agreement"), index(), concurrently=True)


def drop_index(apps, schema_editor):
    schema_editor.remove_index(
        apps.get_model("agreements", "Agreement"), index(), concurrently=True
    )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("agreements", "0013_open_flags_from_their_rows"),
        ("oversight", "0015_review_flag_public_order_idx"),
    ]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
