"""A feed's address, ``/feeds/flags/`` or ``/feeds/agreements/``: Atom for a feed reader,
and for a browser a page of the site with the same entries and how to follow the feed.

A browser shows an Atom document as plain text (Chromium), or offers to download it, and
applies an XSL stylesheet only to documents served as XML, while every browser is
dropping XSLT: the page is HTML of our own. Which one a request gets depends on its
``Accept`` header (``Vary: Accept``), so that the address a reader copies from the
browser's address bar is the feed's.
"""

from django.contrib.syndication.views import Feed
from django.utils.cache import patch_vary_headers
from django.views.generic import TemplateView

from partnerships.feeds import FeedFilterError
from partnerships.models import FocusArea, Region

# What a feed reader names in its Accept header (a reader that accepts anything, */*,
# names neither HTML nor these, and gets the feed).
FEED_TYPES = {"application/atom+xml", "application/rss+xml"}


def opened_in_a_browser(request) -> bool:
    """Whether the request is a browser's: it names HTML among the types it accepts, and
    neither Atom nor RSS."""
    accepted = {
        part.split(";")[0].strip().lower() for part in request.headers.get("Accept", "").split(",")
    }
    return "text/html" in accepted and not accepted & FEED_TYPES


class FeedView(TemplateView):
    """``feed`` to a feed reader; to a browser, its entries as a page and how to follow it,
    narrowed as the feed is by ``region`` and ``focus_area``. A filter the feed refuses is a
    400: XML to a reader, a page that says why to a browser."""

    template_name = "public/feed_page.html"
    feed: Feed | None = None

    def get(self, request, *args, **kwargs):
        response = self.page(request) if opened_in_a_browser(request) else self.feed(request)
        patch_vary_headers(response, ["Accept"])
        return response

    def page(self, request):
        context = self.get_context_data(
            regions=Region.choices,
            focus_areas=FocusArea.objects.values_list("slug", "name"),
            region=request.GET.get("region", ""),
            focus_area=request.GET.get("focus_area", ""),
        )
        try:
            selection = self.feed.get_object(request)
        except FeedFilterError as error:
            context.update(error=str(error), feed_url=request.build_absolute_uri(request.path))
            return self.render_to_response(context, status=400)
        # The feed as its readers get it: its entries, and its own address (rel="self").
        generated = self.feed.get_feed(selection, request)
        context.update(
            feed=generated.feed, entries=generated.items, feed_url=generated.feed["feed_url"]
        )
        return self.render_to_response(context)
