"""The Atom feed of newly raised flags: ``/feeds/flags/?region=…&focus_area=…``; and what of
a flag's text the public may read (``public_flag_detail``, also the API's)."""

from collections.abc import Container

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from agreements.models import Agreement
from partnerships.feeds import FEED_LENGTH, RegistryFeed
from publication.withholding import withheld_by_record

from .models import Flag
from .rules import FLAG_RULES


def detail_names(kind: str) -> tuple[str, ...]:
    """The fields of the agreement that could be withheld and that the text of a flag of
    ``kind`` names (e.g. the expiry date of an "expired but active" flag), from the rule's
    ``fields``."""
    for rule in FLAG_RULES:
        if rule.kind == kind:
            named = (field.split("__")[0] for field in rule.fields)
            return tuple(f for f in named if f in Agreement.WITHHOLDABLE_FIELDS)
    return ()


def public_flag_detail(kind: str, detail: str, withheld: Container[str]) -> str:
    """A flag's text as the public may read it: the text was written when the flag was
    raised, from the agreement's values; if it names one that is withheld from the public
    now (``withheld``: the agreement's withheld fields), it is not shown."""
    names = [field for field in detail_names(kind) if field in withheld]
    if not names:
        return detail
    labels = ", ".join(str(Agreement._meta.get_field(f).verbose_name) for f in names)
    return (
        f"{Flag.Kind(kind).label}. The detail is not shown: it names a value of the "
        f"agreement withheld from the public ({labels})."
    )


class FlagFeed(RegistryFeed):
    base_title = _("Partnership Registry: newly raised flags")
    subtitle = _(
        "Problems the registry found by itself in public agreements: reviews overdue, "
        "no independent auditor, expired but active, high risk without a DPIA, corrective "
        "actions overdue."
    )

    def link(self):
        return reverse("public:methodology") + "#flags"

    def items(self, obj):
        flags = list(
            Flag.objects.public()
            .filter(agreement__partnership__in=obj.partnerships)
            .select_related("agreement__partnership")
            .prefetch_related("agreement__partnership__focus_areas")
            .order_by("-raised_at", "-pk")[:FEED_LENGTH]
        )
        withheld = withheld_by_record(Agreement, {flag.agreement_id for flag in flags})
        for flag in flags:
            flag.detail = public_flag_detail(
                flag.kind, flag.detail, withheld.get(flag.agreement_id, {})
            )
        return flags

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
