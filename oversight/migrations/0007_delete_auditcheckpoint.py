# The audit checkpoints move to the audit app (audit 0001 renames the table).

import pgtrigger.migrations
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('oversight', '0006_audit_indexes'),
    ]

    operations = [
        pgtrigger.migrations.RemoveTrigger(
            model_name='auditcheckpoint',
            name='append_only',
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='AuditCheckpoint')],
            database_operations=[],
        ),
    ]
