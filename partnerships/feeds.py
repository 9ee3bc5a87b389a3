"""What the Atom feeds share: their narrowing by region and focus area, and their look.

The feeds themselves belong to the apps whose records they carry:
``oversight.feeds.FlagFeed`` and ``agreements.feeds.AgreementFeed``. They carry published
records only (``.public()``) and never a value withheld from the public: a partnership
whose region is withheld is in no region's feed.

Opened in a browser, a feed's address answers a page of the site with the same entries and
how to follow the feed (``public.feeds``), not a wall of XML.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import HttpResponseBadRequest
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from core.licence import licence

from .models import Partnership, Region
from .search import WithheldValues

FEED_LENGTH = 50


class FeedFilterError(ValueError):
    pass


@dataclass(frozen=True)
class FeedSelection:
    partnerships: QuerySet  # the public partnerships the feed covers
    applied: dict[str, str]  # the filters, for the feed's title
    address: str  # the feed's own address with its filters: the one to follow


def partnerships_for_feed(params, path: str) -> FeedSelection:
    """The public partnerships a feed's query string selects (``region``, ``focus_area``),
    and the filters it understood; ``path`` is the feed's. An unknown region is an error;
    an unknown focus area selects nothing, as in the API."""
    partnerships = Partnership.objects.public()
    applied, understood = {}, {}
    region = params.get("region", "")
    if region:
        if region not in Region.values:
            raise FeedFilterError(
                f"region: '{region}' is not a region; choose one of {', '.join(Region.values)}."
            )
        partnerships = partnerships.filter(region=region).filter(
            ~WithheldValues(Partnership).condition("region")
        )
        applied["region"] = Region(region).label
        understood["region"] = region
    focus_area = params.get("focus_area", "")
    if focus_area:
        partnerships = partnerships.filter(focus_areas__slug=focus_area)
        applied["focus area"] = focus_area
        understood["focus_area"] = focus_area
    query = urlencode(understood)
    return FeedSelection(partnerships, applied, f"{path}?{query}" if query else path)


class RegistryFeed(Feed):
    """An Atom feed over public records, narrowed by ``region`` and ``focus_area``."""

    feed_type = Atom1Feed
    author_name = "Partnership Registry"
    base_title = ""

    def __call__(self, request, *args, **kwargs):
        try:
            return super().__call__(request, *args, **kwargs)
        except FeedFilterError as error:
            # A feed reader expects XML, even to say what is wrong.
            return HttpResponseBadRequest(
                '<?xml version="1.0" encoding="utf-8"?>\n'
                f"<error><message>{escape(str(error))}</message></error>\n",
                content_type="application/xml; charset=utf-8",
            )

    def feed_copyright(self):
        """The feed's ``<rights>``: the licence of the registry's data."""
        name, url = licence().values()
        return f"{name} ({url}). Cite the entry's link and the date you retrieved it."

    def get_object(self, request, *args, **kwargs) -> FeedSelection:
        # One instance serves every request: what a request selects travels as ``obj``.
        return partnerships_for_feed(request.GET, request.path)

    def feed_url(self, obj: FeedSelection):
        """The feed's own address (``rel="self"``), with its filters."""
        return obj.address

    def title(self, obj: FeedSelection):
        if not obj.applied:
            return self.base_title
        narrowed = ", ".join(f"{name} {value}" for name, value in obj.applied.items())
        return f"{self.base_title} ({narrowed})"

    def item_categories(self, item):
        return [area.name for area in self.partnership_of(item).focus_areas.all()]

    def partnership_of(self, item):
        raise NotImplementedError
