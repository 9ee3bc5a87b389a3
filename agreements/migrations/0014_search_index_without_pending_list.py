"""The agreements' search index of migration 0009 without a pending list
(``fastupdate = off``), as the partnerships' (partnerships migration 0016): a GIN index
with one keeps new entries unsorted until a vacuum merges them, and every search reads them
all, some 20 ms a search after a large import whatever the words. The entries already
pending are merged now.
"""

from django.db import migrations

INDEX = "agreement_search_idx"


class Migration(migrations.Migration):
    dependencies = [
        ("agreements", "0013_open_flags_from_their_rows"),
    ]

    operations = [
        migrations.RunSQL(
            [
                f"ALTER INDEX {INDEX} SET (fastupdate = off)",
                f"SELECT gin_clean_pending_list('{INDEX}'::regclass)",
            ],
            [f"ALTER INDEX {INDEX} RESET (fastupdate)"],
            elidable=False,
        ),
    ]
