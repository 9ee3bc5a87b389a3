"""The registry by country (/map/ and the home page): the table holds the stats API's counts
by country, measure by measure; withheld and restricted records are never placed; the
registry's countries are joined to the vendored boundaries; and the map's payload stays
within its budget."""

import gzip
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django_countries import countries

from public.maps import MAP_BOUNDARIES, MAP_SCRIPTS, country_map
from public.stats import COUNTRY_MEASURES
from tests import factories
from tests.public_registry import build_registry
from tests.publication.withheld import withhold

from .conftest import assert_no_private_value

pytestmark = pytest.mark.django_db

# What a reader's browser downloads for the map, gzipped as the server sends it.
PAYLOAD_BUDGET = 150 * 1024


class MapTable(HTMLParser):
    """The map's table as {row name: {measure: count}}, and each row's link and shape id."""

    def __init__(self):
        super().__init__()
        self.measures, self.rows, self.links, self.atlas_ids = [], {}, {}, {}
        self.in_table = False
        self.cell = None
        self.row = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "data-map-table" in attrs:
            self.in_table = True
        if not self.in_table:
            return
        if tag == "th" and "data-measure" in attrs:
            self.measures.append(attrs["data-measure"])
        elif tag == "tr":
            self.row = {"atlas_id": attrs.get("data-atlas-id"), "name": "", "counts": []}
        elif tag == "a" and self.row is not None:
            self.row["href"] = attrs["href"]
        elif tag in ("th", "td") and self.row is not None:
            self.cell = tag
            if tag == "td":
                self.row["counts"].append("")

    def handle_data(self, data):
        if self.cell == "th" and self.row is not None:
            self.row["name"] += data.strip()
        elif self.cell == "td":
            self.row["counts"][-1] += data.strip()

    def handle_endtag(self, tag):
        if tag in ("th", "td"):
            self.cell = None
        elif tag == "tr" and self.row is not None and self.row["name"] and self.row["counts"]:
            name = self.row["name"]
            self.rows[name] = dict(zip(self.measures, map(int, self.row["counts"]), strict=True))
            self.links[name] = self.row.get("href")
            self.atlas_ids[name] = self.row["atlas_id"]
            self.row = None
        elif tag == "table":
            self.in_table = False


def map_table(html: str) -> MapTable:
    table = MapTable()
    table.feed(html)
    return table


def api_counts_by_country(client) -> dict:
    """The stats API's counts by country as {label: {measure: count}} (zeros left out)."""
    by_country = client.get("/api/v1/stats/").json()["by_country"]
    rows: dict[str, dict] = {}
    for measure, figures in by_country.items():
        for figure in figures:
            rows.setdefault(figure["label"], {})[measure] = figure["count"]
    return rows


def without_zeros(rows: dict) -> dict:
    return {name: {m: n for m, n in counts.items() if n} for name, counts in rows.items()}


def counts(**figures) -> dict:
    return {measure: figures.get(measure, 0) for measure in COUNTRY_MEASURES}


@pytest.fixture
def registry():
    registry = build_registry()
    # India is the country of youth-cameras, withheld from the public.
    withhold(registry.youth_cameras, "country")
    return registry


def test_the_table_holds_the_stats_apis_counts_by_country_measure_by_measure(client, registry):
    html = client.get(reverse("public:map")).content.decode()
    table = map_table(html)

    assert table.measures == list(COUNTRY_MEASURES)
    assert without_zeros(table.rows) == api_counts_by_country(client)
    # By name, then the records whose country is withheld.
    assert table.rows == {
        # Its only agreement is restricted.
        "France": counts(partnerships=1),
        "Kenya": counts(partnerships=1, agreements=1),
        # The restricted "hidden" partnership is not counted.
        "United Kingdom": counts(
            partnerships=1, agreements=1, high_risk_agreements=1, open_flags=1
        ),
        "Withheld": counts(partnerships=1, agreements=1),
    }
    assert list(table.rows) == ["France", "Kenya", "United Kingdom", "Withheld"]


def test_an_incident_counts_once_in_each_country_of_its_public_agreements(client, registry):
    kenya_second = factories.AgreementFactory(partnership=registry.trafficking_watch)
    factories.IncidentFactory(agreements=[registry.trafficking_mou, kenya_second])
    factories.IncidentFactory(agreements=[registry.trafficking_mou, registry.safe_homes_mou])
    factories.IncidentFactory(agreements=[registry.youth_mou])  # India, withheld
    # Not public: on a restricted agreement, or not published.
    factories.IncidentFactory(agreements=[registry.quiet_restricted])
    factories.IncidentFactory(agreements=[registry.safe_homes_mou], publication_status="draft")

    table = map_table(client.get(reverse("public:map")).content.decode())

    incidents = {name: row["incidents"] for name, row in table.rows.items()}
    assert incidents == {"France": 0, "Kenya": 2, "United Kingdom": 1, "Withheld": 1}
    assert without_zeros(table.rows) == api_counts_by_country(client)


def test_a_withheld_country_is_counted_but_neither_named_nor_placed(client, registry):
    html = client.get(reverse("public:map")).content.decode()
    table = map_table(html)
    assert "India" not in html
    assert 'data-atlas-id="356"' not in html  # India's shape
    assert table.atlas_ids["Withheld"] is None
    assert table.links["Withheld"] is None
    assert "Hidden Safe Homes pilot" not in html
    assert_no_private_value(html, "the map")


def test_no_private_value_of_the_registry_reaches_the_map(client, public_registry):
    html = client.get(reverse("public:map")).content.decode()
    assert map_table(html).rows  # the public partnership's country is there
    assert_no_private_value(html, "the map")


def test_each_country_links_to_the_registry_filtered_by_it_and_names_its_shape(client, registry):
    table = map_table(client.get(reverse("public:map")).content.decode())
    assert table.links["Kenya"] == "/partnerships/?country=KE"
    assert table.atlas_ids == {
        "France": "250",
        "Kenya": "404",
        "United Kingdom": "826",
        "Withheld": None,
    }
    registry_page = client.get(table.links["Kenya"]).content.decode()
    assert "Trafficking Watch Coalition" in registry_page
    assert "Safe Homes Referral Partnership" not in registry_page


def test_the_page_names_its_boundaries_their_licence_and_loads_only_this_sites_files(
    client, registry
):
    response = client.get(reverse("public:map"))
    html = response.content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "Natural Earth's countries at 1:110m" in text
    assert "(de-facto boundaries), in the public domain" in text
    assert "world-atlas package (ISC licence)" in text
    assert f'data-boundaries="/static/{MAP_BOUNDARIES}"' in html
    scripts = re.findall(r'<script src="([^"]+)" nonce="[^"]+" defer>', html)
    assert [s for s in scripts if "htmx" not in s] == [f"/static/{s}" for s in MAP_SCRIPTS]
    assert "<script>" not in html and "style=" not in html
    assert not re.search(r'src="(https?:)?//', html)
    assert all(
        href.startswith("/static/")
        for href in re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    )
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_with_no_public_record_the_table_says_so(client):
    html = client.get(reverse("public:map")).content.decode()
    assert "No public records yet." in html
    assert map_table(html).rows == {}


def test_the_countries_are_named_in_the_readers_language_whatever_the_stored_figures_say():
    by_country = {"partnerships": [{"key": "GB", "label": "United Kingdom", "count": 2}]}
    with translation.override("fr"):
        (row,) = country_map(by_country).rows
    assert (row.name, row.counts[0], row.atlas_id) == ("Royaume-Uni", 2, "826")
    # Figures stored before the counts by country existed: an empty table, not an error.
    assert country_map({}).rows == []


def test_the_map_costs_the_same_queries_for_a_small_and_a_larger_registry(
    client, registry, django_assert_num_queries
):
    client.get(reverse("public:map"))  # Django's cache of content types, for withheld values
    # The stored figures, fresh: their row and the audit chain's head.
    with django_assert_num_queries(2):
        client.get(reverse("public:map"))

    def add_partnerships(country, n):
        for _ in range(n):
            partnership = factories.partnership_with_parties(country=country)
            factories.FlagFactory(agreement=factories.AgreementFactory(partnership=partnership))

    # After a write, the figures are counted again (at once in the tests: no debounce).
    add_partnerships("DE", 1)
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("public:map"))
    for country in ("DE", "BR", "JP", "ZA", "GB"):
        add_partnerships(country, 3)
    with django_assert_num_queries(len(small.captured_queries)):
        html = client.get(reverse("public:map")).content.decode()
    assert map_table(html).rows["Germany"]["open_flags"] == 4


def test_the_home_page_shows_the_map_with_the_same_table(client, registry):
    home = client.get(reverse("public:home")).content.decode()
    assert '<section class="registry-map"' in home
    assert "/static/js/map.js" in home
    assert (
        map_table(home).rows == map_table(client.get(reverse("public:map")).content.decode()).rows
    )
    assert '<a href="/map/">' in home  # the map on its own page, from the footer


def test_every_shape_of_the_boundaries_is_joined_to_a_country_of_the_registry():
    """world-atlas names each country by its ISO 3166-1 numeric code: the registry's table of
    countries turns each into the alpha-2 code the records carry, and back."""
    atlas = json.loads(Path(finders.find(MAP_BOUNDARIES)).read_text())
    shapes = atlas["objects"]["countries"]["geometries"]
    ids = [shape["id"] for shape in shapes if "id" in shape]
    # Northern Cyprus, Somaliland and Kosovo have no ISO code: drawn, never coloured.
    assert len(shapes) - len(ids) == 3
    for atlas_id in ids:
        code = countries.alpha2(atlas_id)
        assert code, atlas_id
        assert countries.numeric(code, padded=True) == atlas_id


def test_the_map_payload_stays_within_its_budget_gzipped():
    sizes = {}
    for asset in (*MAP_SCRIPTS, MAP_BOUNDARIES):
        path = Path(finders.find(asset))
        sizes[asset] = len(gzip.compress(path.read_bytes(), compresslevel=9))
    assert sum(sizes.values()) <= PAYLOAD_BUDGET, sizes


def test_every_vendored_file_of_the_map_keeps_its_licence_and_version():
    for asset in (*MAP_SCRIPTS, MAP_BOUNDARIES):
        if not asset.startswith("vendor/"):
            continue
        folder = Path(finders.find(asset)).parent
        assert (folder / "LICENSE").read_text().startswith("Copyright"), folder
        assert (folder / "VERSION").read_text().strip(), folder


def test_the_stats_api_documents_its_counts_by_country(client):
    schema = client.get(reverse("api-schema"), {"format": "json"})
    components = schema.json()["components"]["schemas"]
    assert set(components["CountryFigures"]["properties"]) == set(COUNTRY_MEASURES)
