"""The interface in the reader's language: Accept-Language, the switcher's cookie, one
address per page in every language, and the API's labels."""

import re

import pytest
from django.urls import reverse

from tests.public_registry import build_registry

pytestmark = pytest.mark.django_db


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


@pytest.mark.parametrize(
    ("language", "heading", "search"),
    [
        ("en", "The registry at a glance", "Search the registry"),
        ("es", "El registro de un vistazo", "Buscar en el registro"),
        ("fr", "Le registre en un coup d’œil", "Rechercher dans le registre"),
    ],
)
def test_the_home_page_reads_in_the_language_of_the_browser(client, language, heading, search):
    response = client.get("/", headers={"accept-language": f"{language},en;q=0.5"})
    assert response.status_code == 200
    assert html_lang(response) == language
    assert response["Content-Language"] == language
    body = response.content.decode()
    assert heading in body
    assert search in body


def test_a_language_the_registry_does_not_offer_falls_back_to_english(client):
    response = client.get("/", headers={"accept-language": "de-DE,de;q=0.9"})
    assert html_lang(response) == "en"
    assert "The registry at a glance" in response.content.decode()


def test_the_language_cookie_overrides_the_browser(client):
    client.cookies["language"] = "fr"
    response = client.get("/", headers={"accept-language": "es"})
    assert html_lang(response) == "fr"
    assert "Le registre en un coup d’œil" in response.content.decode()


def test_a_page_varies_on_the_language_header_and_on_cookies(client):
    response = client.get("/")
    vary = {value.strip() for value in response["Vary"].split(",")}
    assert {"Accept-Language", "Cookie"} <= vary
    # A public page sets no cookie of its own, and stays cacheable.
    assert not response.cookies
    assert "public" in response["Cache-Control"]


def test_every_language_is_an_alternate_at_the_same_address(client):
    response = client.get("/partnerships/?region=europe", headers={"accept-language": "es"})
    body = response.content.decode()
    address = "http://testserver/partnerships/?region=europe"
    for hreflang in ("en", "es", "fr", "x-default"):
        assert f'<link rel="alternate" hreflang="{hreflang}" href="{address}">' in body


def test_the_switcher_posts_the_current_page_and_its_query(client):
    build_registry()
    response = client.get("/partnerships/?region=europe&sort=-title")
    body = response.content.decode()
    assert f'action="{reverse("set_language")}"' in body
    query = "/partnerships/?region=europe&amp;sort=-title"
    assert f'<input type="hidden" name="next" value="{query}">' in body
    for code, name in (("en", "English"), ("es", "Español"), ("fr", "Français")):
        button = rf'name="language" value="{code}" lang="{code}"[^>]*>{name}</button>'
        assert re.search(button, body)
    assert re.search(r'value="en" lang="en"[^>]*aria-current="true"', body)


def test_the_switcher_names_each_language_in_its_own_tongue_on_any_page(client):
    build_registry()
    body = client.get("/partnerships/", headers={"accept-language": "es"}).content.decode()
    names = re.findall(r'name="language" value="(\w+)"[^>]*>([^<]+)</button>', body)
    # Not "Inglés" on a Spanish page: an English reader who landed here finds their own.
    assert names == [("en", "English"), ("es", "Español"), ("fr", "Français")]
    assert re.search(r'value="es" lang="es"[^>]*aria-current="true"', body)


def test_switching_language_keeps_the_page_and_its_filters_and_is_remembered(client):
    build_registry()
    response = client.post(
        reverse("set_language"), {"language": "fr", "next": "/partnerships/?region=europe"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/partnerships/?region=europe"
    assert response.cookies["language"].value == "fr"
    assert int(response.cookies["language"]["max-age"]) >= 365 * 24 * 3600

    page = client.get(response["Location"], headers={"accept-language": "en"})
    body = page.content.decode()
    assert html_lang(page) == "fr"
    assert "Registre des partenariats" in body
    assert "Safe Homes Referral Partnership" in body  # a European partnership
    assert "Trafficking Watch Coalition" not in body  # an African one, filtered out


def test_the_switcher_never_sends_the_reader_to_another_site(client):
    response = client.post(
        reverse("set_language"), {"language": "es", "next": "https://elsewhere.example/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_controlled_values_read_in_the_language_and_free_text_keeps_its_own(client):
    build_registry()
    response = client.get("/partnerships/?region=europe", headers={"accept-language": "es"})
    body = response.content.decode()
    # The region and status of the partnerships, and their risk, in Spanish.
    assert "Europa" in body
    assert ">Activa<" in body
    assert ">Alto<" in body
    # The parties' own title, as they wrote it, marked as English.
    assert re.search(r'lang="en">Safe Homes Referral Partnership</a>', body)


def test_dates_read_in_the_language(client):
    registry = build_registry()
    agreement = registry.safe_homes_mou
    url = reverse("public:agreement", args=[agreement.pk])
    english = client.get(url).content.decode()
    spanish = client.get(url, headers={"accept-language": "es"}).content.decode()
    assert agreement.signed_on is not None
    month = agreement.signed_on.strftime("%B")
    assert f"{agreement.signed_on.day} {month} {agreement.signed_on.year}" in english
    months_es = [
        "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
        "septiembre", "octubre", "noviembre", "diciembre",
    ]  # fmt: skip
    spanish_date = (
        f"{agreement.signed_on.day} de {months_es[agreement.signed_on.month - 1]} "
        f"de {agreement.signed_on.year}"
    )
    assert spanish_date in spanish


def test_the_api_keeps_its_values_and_labels_them_in_the_language_asked_for(client):
    build_registry()
    answers = {
        language: client.get(
            "/api/v1/partnerships/?region=europe", headers={"accept-language": language}
        ).json()["results"]
        for language in ("en", "es", "fr")
    }
    by_slug = {language: {p["slug"]: p for p in rows} for language, rows in answers.items()}
    safe_homes = {language: rows["safe-homes"] for language, rows in by_slug.items()}
    for language in ("en", "es", "fr"):
        assert safe_homes[language]["status"] == "active"
        assert safe_homes[language]["region"] == "europe"
        assert safe_homes[language]["risk_level"] == "high"
    assert [safe_homes[lang]["status_label"] for lang in ("en", "es", "fr")] == [
        "Active",
        "Activa",
        "Actif",
    ]
    assert [safe_homes[lang]["region_label"] for lang in ("en", "es", "fr")] == [
        "Europe",
        "Europa",
        "Europe",
    ]
    assert [safe_homes[lang]["risk_level_label"] for lang in ("en", "es", "fr")] == [
        "High",
        "Alto",
        "Élevé",
    ]


def test_the_api_csv_keeps_machine_values_only(client):
    build_registry()
    response = client.get("/api/v1/partnerships/?format=csv", headers={"accept-language": "fr"})
    header = b"".join(response.streaming_content).decode().splitlines()[0].split(",")
    assert "status" in header
    assert not [column for column in header if column.endswith("_label")]


def test_the_home_figures_read_in_each_readers_language_whoever_counted_them(client):
    build_registry()
    # A Spanish reader's visit counts the figures; an English reader's reads them next.
    spanish = client.get("/", headers={"accept-language": "es"}).content.decode()
    english = client.get("/", headers={"accept-language": "en"}).content.decode()
    french = client.get("/", headers={"accept-language": "fr"}).content.decode()
    assert '?region=europe">Europa</a>' in spanish
    assert '?region=europe">Europe</a>' in english
    assert "Europa" not in english
    assert '?region=middle_east">Moyen-Orient</a>' in french
    stats = client.get("/api/v1/stats/", headers={"accept-language": "es"}).json()
    regions = {row["key"]: row["label"] for row in stats["partnerships"]["by_region"]}
    assert regions["europe"] == "Europa"


@pytest.mark.parametrize(
    ("language", "link"),
    [
        ("es", "Descargar sus acuerdos públicos en CSV"),
        ("fr", "Télécharger ses accords publics en CSV"),
    ],
)
def test_the_partnership_pages_api_links_read_in_the_language(client, language, link):
    registry = build_registry()
    url = registry.safe_homes.get_absolute_url()
    body = client.get(url, headers={"accept-language": language}).content.decode()
    assert link in body
    assert "Download its public agreements as CSV" not in body


def test_the_phone_sort_row_is_labelled_in_the_readers_language(client):
    # On a phone the table's sortable headers become a row, which CSS heads with this label.
    build_registry()
    body = client.get("/partnerships/", headers={"accept-language": "es"}).content.decode()
    assert '<tr data-sort-label="Ordenar por">' in body
