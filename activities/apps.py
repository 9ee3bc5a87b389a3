from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = _("Joint activities")

    def ready(self):
        # The publication workflow is the layer below: it learns of joint activities
        # here, so that a submitted activity waits in the approval queue and counts in the
        # header, and that its approval confirms the withheld values of its results too
        # (a result is published with its activity).
        from agreements import publishing

        from .models import Activity

        publishing.register_record_kind(
            Activity,
            label=_("Joint activity"),
            to_partnership="partnership",
            page="activities:publication",
            shown_with="partnership",
            parts=("results",),
        )
