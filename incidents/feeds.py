"""The Atom feed of published incidents: ``/feeds/incidents/?region=…&focus_area=…``."""

from django.db.models import Exists, OuterRef, Prefetch
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agreements.models import Agreement
from partnerships.feeds import FEED_LENGTH, RegistryFeed
from publication.withholding import mask, withheld_by_record

from .models import Incident, IncidentAgreement


class IncidentFeed(RegistryFeed):
    base_title = _("Partnership Registry: incidents")
    subtitle = _(
        "Data breaches, data used beyond the agreed purpose, unlawful disclosures and "
        "discriminatory outcomes under NGO–police agreements, latest change first."
    )

    def link(self):
        return reverse("public:incidents")

    def items(self, obj):
        """The latest published incidents on the partnerships the feed covers, each as the
        public may see it (``mask``: withheld values emptied and named in ``withheld``)."""
        covered = IncidentAgreement.objects.filter(
            incident=OuterRef("pk"), agreement__partnership__in=obj.partnerships
        )
        incidents = list(
            Incident.objects.public()
            .filter(Exists(covered))
            .prefetch_related(
                Prefetch(
                    "agreements",
                    queryset=Agreement.objects.select_related("partnership").prefetch_related(
                        "partnership__focus_areas"
                    ),
                )
            )
            .order_by("-updated_at", "-pk")[:FEED_LENGTH]
        )
        withheld = withheld_by_record(Incident, [incident.pk for incident in incidents])
        return [mask(incident, withheld.get(incident.pk, {})) for incident in incidents]

    def item_title(self, item):
        partnerships = sorted({agreement.partnership.title for agreement in item.agreements.all()})
        return f"{item.get_kind_display()}: {item.title} ({', '.join(partnerships)})"

    def item_description(self, item):
        parts = [
            gettext("Found by %(how_found)s; %(status)s.")
            % {
                "how_found": item.get_how_found_display().lower(),
                "status": item.get_status_display().lower(),
            }
        ]
        if "nature" in item.withheld:
            parts.append(
                gettext("Description withheld — %(reason)s.")
                % {"reason": item.withheld["nature"].reason_label}
            )
        else:
            parts.append(item.nature)
        return " ".join(parts)

    def item_categories(self, item):
        names = {
            area.name
            for agreement in item.agreements.all()
            for area in agreement.partnership.focus_areas.all()
        }
        return sorted(names)

    def item_link(self, item):
        return item.get_absolute_url()

    def item_pubdate(self, item):
        return item.published_at or item.created_at

    def item_updateddate(self, item):
        return item.updated_at
