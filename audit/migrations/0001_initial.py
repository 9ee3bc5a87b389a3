# The audit checkpoints, moved here from oversight (its table renamed, its rows kept).

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('oversight', '0007_delete_auditcheckpoint'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    'ALTER TABLE "oversight_auditcheckpoint" RENAME TO "audit_auditcheckpoint"',
                    'ALTER TABLE "audit_auditcheckpoint" RENAME TO "oversight_auditcheckpoint"',
                ),
            ],
            state_operations=[
        migrations.CreateModel(
            name='AuditCheckpoint',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('seq', models.BigIntegerField(help_text='Position of the head event in the chain.')),
                ('hash', models.CharField(max_length=64)),
                ('recorded_at', models.DateTimeField(help_text='When the head event was recorded.')),
                ('verified_at', models.DateTimeField()),
            ],
            options={
                'ordering': ['seq'],
            },
        ),
            ],
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='auditcheckpoint',
            trigger=pgtrigger.compiler.Trigger(name='append_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;", hash='da9700711316e8daa6d320e30a2ab4fa1cd4304d', operation='UPDATE OR DELETE', pgid='pgtrigger_append_only_616df', table='audit_auditcheckpoint', when='BEFORE')),
        ),
    ]
