"""The GIN expression index of the agreements' full-text search (``agreements.search``).

It serves the candidates' query of a search of agreements (and of reviews and flags,
through their agreements): the agreements whose title, reference or public summary hold
one of the query's positive words (``core.search.AnyWord``), before each candidate's
whole document is matched. The expression is frozen here and must stay identical to
``core.search.search_vector(agreements.search.AGREEMENT_FIELDS)``, or PostgreSQL stops
using the index; tests/partnerships/test_search.py checks the plan.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

FIELDS = (("title", "A"), ("reference", "A"), ("public_summary", "B"))
NAME = "agreement_search_idx"


def index():
    vectors = [SearchVector(field, weight=weight, config="english") for field, weight in FIELDS]
    combined = vectors[0]
    for vector in vectors[1:]:
        combined = combined + vector
    return GinIndex(combined, name=NAME)


def create_index(apps, schema_editor):
    schema_editor.add_index(apps.get_model("agreements", "Agreement"), index())


def drop_index(apps, schema_editor):
    schema_editor.remove_index(apps.get_model("agreements", "Agreement"), index())


class Migration(migrations.Migration):
    dependencies = [
        ("agreements", "0008_document_text"),
    ]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
