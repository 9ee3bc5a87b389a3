"""The Atom feed of new and changed agreements: ``/feeds/agreements/?region=…&focus_area=…``."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from partnerships.feeds import FEED_LENGTH, RegistryFeed
from publication.withholding import mask, withheld_by_record

from .models import Agreement


class AgreementFeed(RegistryFeed):
    base_title = _("Partnership Registry: new and changed agreements")
    subtitle = _("Public agreements between NGOs and police agencies, latest change first.")

    def link(self):
        return reverse("public:registry")

    def items(self, obj):
        """The latest public agreements, each as the public may see it (``mask``: a
        withheld summary is empty, and named in ``withheld``)."""
        agreements = list(
            Agreement.objects.public()
            .filter(partnership__in=obj.partnerships)
            .with_risk_level()
            .select_related("partnership")
            .prefetch_related("partnership__focus_areas")
            .order_by("-updated_at", "-pk")[:FEED_LENGTH]
        )
        withheld = withheld_by_record(Agreement, [agreement.pk for agreement in agreements])
        return [mask(agreement, withheld.get(agreement.pk, {})) for agreement in agreements]

    def partnership_of(self, item):
        return item.partnership

    def item_title(self, item):
        return f"{item.title} ({item.partnership}): {item.get_status_display().lower()}"

    def item_description(self, item):
        parts = [
            f"{item.get_kind_display()}, {item.get_status_display().lower()}, "
            f"risk {item.derived_risk_level}."
        ]
        if "public_summary" in item.withheld:
            parts.append(f"Summary withheld — {item.withheld['public_summary'].reason_label}.")
        elif item.public_summary:
            parts.append(item.public_summary)
        return " ".join(parts)

    def item_link(self, item):
        return item.get_absolute_url()

    def item_pubdate(self, item):
        return item.created_at

    def item_updateddate(self, item):
        return item.updated_at
