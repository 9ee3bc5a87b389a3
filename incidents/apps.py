from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents"

    def ready(self):
        # The publication workflow is the layer below: it learns of incidents here, so
        # that a submitted incident, and a change of a published one, wait in the approval
        # queue and count in the header. An incident belongs to the partnership of each of
        # its agreements, and each one's side approves it (``can_approve_incident``). It
        # has no parts with withheld values (its sources and its links to agreements have
        # none): its approval confirms its own (``incident_approve``).
        from agreements import publishing

        from .models import Incident

        publishing.register_record_kind(
            Incident,
            label=_("Incident"),
            to_partnership="agreements__partnership",
            page="incidents:detail",
        )
