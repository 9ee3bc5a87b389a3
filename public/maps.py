"""The registry on a map: public records by the partnership's country, drawn over Natural
Earth's country boundaries (the vendored ``world-atlas``) by ``static/js/map.js``, above a
table of the same figures, which works without a script and is what the map reads.

The figures are the stats API's counts by country (``public.stats.country_figures``, read
from the stored summary as the API reads them: ``public.summary.current_figures``). A
country is joined to its shape on the map by its ISO 3166-1 numeric code, world-atlas's
feature id, from the registry's own table of countries (django-countries, ISO 3166-1): a
country without one (Kosovo), or too small to be drawn at 1:110m (Singapore, Malta), is in
the table but not on the map, and so are the records whose country is withheld.
"""

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from django_countries import countries

from public.stats import COUNTRY_MEASURES, UNKNOWN_COUNTRY, WITHHELD
from public.summary import current_figures

# What the map loads, in order: the projection and TopoJSON decoding (vendored, with their
# licences in static/vendor), the module that draws it, and the boundaries it fetches.
# The payload budget (tests/public/test_map.py) is counted over these.
MAP_SCRIPTS = (
    "vendor/d3-array/d3-array.min.js",
    "vendor/d3-geo/d3-geo.min.js",
    "vendor/topojson-client/topojson-client.min.js",
    "js/map.js",
)
MAP_BOUNDARIES = "vendor/world-atlas/countries-110m.json"
# The table's rows that are no country, in the reader's language.
OTHER_ROWS = {WITHHELD: gettext_lazy("Withheld"), UNKNOWN_COUNTRY: gettext_lazy("Unknown")}


@dataclass
class CountryRow:
    """One row of the map's table: a country's count of each measure (``COUNTRY_MEASURES``
    order), or those of the records whose country is withheld (``key`` "withheld")."""

    key: str
    name: str
    counts: list[int] = field(default_factory=lambda: [0] * len(COUNTRY_MEASURES))
    atlas_id: str = ""  # ISO 3166-1 numeric, three digits: its shape; "" when not on the map
    url: str = ""  # the registry filtered to the country; "" when it cannot be looked up


@dataclass
class CountryMap:
    rows: list[CountryRow]
    measures = COUNTRY_MEASURES
    scripts = MAP_SCRIPTS
    boundaries = MAP_BOUNDARIES


def country_map(by_country: dict) -> CountryMap:
    """The map's table from ``country_figures()`` (the stats API's ``by_country``): the
    countries by name, then the records whose country is withheld or unknown."""
    registry = reverse("public:registry")
    rows: dict[str, CountryRow] = {}
    for i, measure in enumerate(COUNTRY_MEASURES):
        # A summary stored before a measure was counted has none of it yet.
        for figure in by_country.get(measure, ()):
            row = rows.setdefault(figure["key"], CountryRow(figure["key"], figure["label"]))
            row.counts[i] = figure["count"]
    countries_rows, others = [], []
    for key, row in rows.items():
        if key in countries:
            # Named in the reader's language (the stored figures keep the names of the
            # language they were counted in).
            row.name = countries.name(key)
            row.atlas_id = countries.numeric(key, padded=True) or ""
            row.url = f"{registry}?{urlencode({'country': key})}"
            countries_rows.append(row)
        else:
            row.name = OTHER_ROWS.get(key, row.name)
            others.append(row)
    countries_rows.sort(key=lambda row: row.name)
    others.sort(key=lambda row: row.key == WITHHELD)
    return CountryMap(countries_rows + others)


class MapView(TemplateView):
    """``/map/``: the public records by country, on a map and in a table."""

    template_name = "public/map.html"

    def get_context_data(self, **kwargs):
        figures = current_figures()
        return super().get_context_data(**kwargs) | {
            "country_map": country_map(figures.get("by_country", {}))
        }
