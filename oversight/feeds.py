"""The Atom feed of newly raised flags: ``/feeds/flags/?region=…&focus_area=…``."""

from django.urls import reverse

from partnerships.feeds import FEED_LENGTH, RegistryFeed

from .models import Flag


class FlagFeed(RegistryFeed):
    base_title = "Partnership Registry: newly raised flags"
    subtitle = (
        "Problems the registry found by itself in public agreements: reviews overdue, "
        "no independent auditor, expired but active, high risk without a DPIA, corrective "
        "actions overdue."
    )

    def link(self):
        return reverse("public:methodology") + "#flags"

    def items(self, obj):
        return (
            Flag.objects.public()
            .filter(agreement__partnership__in=obj.partnerships)
            .select_related("agreement__partnership")
            .prefetch_related("agreement__partnership__focus_areas")
            .order_by("-raised_at", "-pk")[:FEED_LENGTH]
        )

    def partnership_of(self, item):
        return item.agreement.partnership

    def item_title(self, item):
        return f"{item.get_kind_display()}: {item.agreement.title} ({item.agreement.partnership})"

    def item_description(self, item):
        text = item.detail
        if item.resolved_at:
            text += f" Closed on {item.resolved_at:%Y-%m-%d}: {item.resolution}"
        return text

    def item_link(self, item):
        return item.agreement.partnership.get_absolute_url() + f"#agreement-{item.agreement_id}"

    def item_guid(self, item):
        return f"urn:partnership-registry:flag:{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item.raised_at

    def item_updateddate(self, item):
        return item.resolved_at or item.raised_at
