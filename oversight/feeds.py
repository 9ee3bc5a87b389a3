"""The Atom feed of newly raised flags: ``/feeds/flags/?region=…&focus_area=…``; and what of
a flag's text the public may read (``public_flag_detail``, also the API's)."""

from collections.abc import Container

from django.urls import reverse
from django.utils.translation import gettext
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
    """A flag's text (``detail``: its ``text``, or the English one it was raised with) as
    the public may read it: it names the agreement's values when the flag was raised; if it
    names one that is withheld from the public now (``withheld``: the agreement's withheld
    fields), it is not shown, and a sentence in the active language says so."""
    names = [field for field in detail_names(kind) if field in withheld]
    if not names:
        return detail
    labels = ", ".join(str(Agreement._meta.get_field(f).verbose_name) for f in names)
    return gettext(
        "%(kind)s. The detail is not shown: it names a value of the agreement withheld from "
        "the public (%(fields)s)."
    ) % {"kind": Flag.Kind(kind).label, "fields": labels}


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
            flag.text = public_flag_detail(
                flag.kind, flag.text, withheld.get(flag.agreement_id, {})
            )
        return flags

    def partnership_of(self, item):
        return item.agreement.partnership

    def item_title(self, item):
        return f"{item.get_kind_display()}: {item.agreement.title} ({item.agreement.partnership})"

    def item_description(self, item):
        text = item.text
        if item.resolved_at:
            text += " " + gettext("Closed on %(date)s: %(resolution)s") % {
                "date": f"{item.resolved_at:%Y-%m-%d}",
                "resolution": item.resolution,
            }
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
