"""The Atom feed of a partnership's public feedback: ``/feeds/feedback/<slug>/``."""

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from partnerships.models import Partnership

from .models import Feedback

FEED_LENGTH = 50


class PartnershipFeedbackFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request, slug):
        return get_object_or_404(Partnership.objects.public(), slug=slug)

    def title(self, obj):
        return _("Feedback on %(title)s — Partnership Registry") % {"title": obj.title}

    def subtitle(self, obj):
        return _("Public feedback on the partnership and the parties' responses, newest first.")

    def link(self, obj):
        return obj.get_absolute_url() + "#feedback"

    def items(self, obj):
        return (
            Feedback.objects.public()
            .filter(partnership=obj)
            .select_related("partnership", "response__organization")
            .order_by("-created_at", "-pk")[:FEED_LENGTH]
        )

    def item_title(self, item):
        if not item.is_published:
            return f"{item.get_category_display()}: {item.public_stub()}"
        return _("%(category)s from %(name)s") % {
            "category": item.get_category_display(),
            "name": item.display_name or _("anonymous"),
        }

    def item_description(self, item):
        """The text, as text (the feed escapes it); a stub for a hidden item."""
        if not item.is_published:
            return item.public_stub()
        description = item.text
        response = getattr(item, "response", None)
        if response is not None:
            description += "\n\n" + _("Response from %(organization)s: %(text)s") % {
                "organization": response.organization.name,
                "text": response.text,
            }
        return description

    def item_link(self, item):
        return item.get_absolute_url()

    def item_pubdate(self, item):
        return item.published_at or item.created_at

    def item_updateddate(self, item):
        return item.updated_at
