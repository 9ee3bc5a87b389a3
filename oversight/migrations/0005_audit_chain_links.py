from django.db import migrations

# Every audit table, for the chain's head: those of 0003 and the many-to-many links.
AUDIT_TABLES = [
    "partnerships_organizationevent",
    "partnerships_sourceevent",
    "partnerships_partnershipevent",
    "partnerships_partnershippartyevent",
    "partnerships_membershipevent",
    "partnerships_partnershipfocusareaevent",
    "partnerships_partnershipsourceevent",
    "agreements_agreementevent",
    "agreements_agreementsignatoryevent",
    "agreements_agreementdocumentevent",
    "agreements_datasharingtermevent",
    "agreements_agreementsourceevent",
    "oversight_reviewevent",
    "oversight_findingevent",
    "oversight_flagevent",
]


def create_chain_view(apps, schema_editor):
    selects = " UNION ALL ".join(
        f"SELECT pgh_seq AS seq, pgh_hash AS hash, pgh_created_at AS created_at, "
        f"'{table}'::text AS table_name, pgh_id AS event_id FROM {table}"
        for table in AUDIT_TABLES
    )
    schema_editor.execute(f"CREATE OR REPLACE VIEW audit_chain AS {selects}")


def previous_chain_view(apps, schema_editor):
    from importlib import import_module

    import_module("oversight.migrations.0003_audit_trail").create_chain_view(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("oversight", "0004_audit_checkpoint"),
        ("partnerships", "0006_audit_links"),
        ("agreements", "0003_audit_links"),
    ]

    operations = [migrations.RunPython(create_chain_view, previous_chain_view)]
