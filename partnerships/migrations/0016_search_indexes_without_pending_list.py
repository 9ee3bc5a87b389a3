"""The search indexes of migration 0004 without a pending list (``fastupdate = off``).

A GIN index with ``fastupdate`` (PostgreSQL's default) keeps new entries in an unsorted
pending list until a vacuum merges them, and every search reads the whole list: up to
``gin_pending_list_limit`` (4 MB), some 20 ms a search after a large import, whatever the
words. Without it, each write updates the index itself, and a search costs the same at any
time. The entries already pending are merged now.
"""

from django.db import migrations

INDEXES = ("partnership_search_idx", "organization_name_search_idx", "organization_search_idx")


class Migration(migrations.Migration):
    dependencies = [
        ("partnerships", "0015_organization_public_order_idx"),
    ]

    operations = [
        migrations.RunSQL(
            [
                *(f"ALTER INDEX {name} SET (fastupdate = off)" for name in INDEXES),
                *(f"SELECT gin_clean_pending_list('{name}'::regclass)" for name in INDEXES),
            ],
            [f"ALTER INDEX {name} RESET (fastupdate)" for name in INDEXES],
            elidable=False,
        ),
    ]
