"""The facts a flag "no independent auditor" was resolved by hand on now come from the
agreement's stored ``auditor_is_independent``, null when it has no auditor (it used to be
derived as false). A hold recorded before, on an agreement with no auditor, says false: it
would no longer equal today's facts and the flag would be raised again although nothing
changed. Say null there, as the stored column does."""

from django.db import migrations

FORWARD = """
UPDATE oversight_flag
   SET resolved_facts = jsonb_set(resolved_facts, '{auditor_is_independent}', 'null'::jsonb)
 WHERE kind = 'no_independent_auditor'
   AND resolved_facts IS NOT NULL
   AND resolved_facts -> 'independent_auditor_id' = 'null'::jsonb
   AND resolved_facts -> 'auditor_is_independent' = 'false'::jsonb
"""

BACKWARD = """
UPDATE oversight_flag
   SET resolved_facts = jsonb_set(resolved_facts, '{auditor_is_independent}', 'false'::jsonb)
 WHERE kind = 'no_independent_auditor'
   AND resolved_facts IS NOT NULL
   AND resolved_facts -> 'independent_auditor_id' = 'null'::jsonb
   AND resolved_facts -> 'auditor_is_independent' = 'null'::jsonb
"""


class Migration(migrations.Migration):
    dependencies = [("oversight", "0010_flag_incident_kinds")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
