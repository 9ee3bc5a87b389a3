"""GIN expression indexes for full-text search (partnerships.search).

The expressions are frozen here and must stay identical to those of partnerships/search.py,
or PostgreSQL stops using the indexes; tests/partnerships/test_search.py checks the plans.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations


def vector(*fields):
    vectors = [SearchVector(field, weight=weight, config="english") for field, weight in fields]
    combined = vectors[0]
    for v in vectors[1:]:
        combined = combined + v
    return combined


INDEXES = [
    ("Partnership", "partnership_search_idx", (("title", "A"), ("public_summary", "B"))),
    ("Organization", "organization_name_search_idx", (("name", "A"),)),
    ("Organization", "organization_search_idx", (("name", "A"), ("description", "B"))),
]


def create_indexes(apps, schema_editor):
    for model_name, name, fields in INDEXES:
        model = apps.get_model("partnerships", model_name)
        schema_editor.add_index(model, GinIndex(vector(*fields), name=name))


def drop_indexes(apps, schema_editor):
    for model_name, name, fields in INDEXES:
        model = apps.get_model("partnerships", model_name)
        schema_editor.remove_index(model, GinIndex(vector(*fields), name=name))


class Migration(migrations.Migration):

    dependencies = [
        ("partnerships", "0003_organization_proposal"),
    ]

    operations = [migrations.RunPython(create_indexes, drop_indexes, elidable=False)]
