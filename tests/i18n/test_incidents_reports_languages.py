"""The incidents and the transparency reports in the reader's language: the headings and
the controlled values of ``/incidents/`` and of a report (its page and its PDF) read in
Spanish and French, while a report's snapshot, and so its SHA-256, stays the same
whoever asks for it."""

import datetime as dt
import io
import json
import re

import pytest
from django.utils import translation
from pypdf import PdfReader

from reports import services
from tests import factories

pytestmark = pytest.mark.django_db

YEAR_END = dt.datetime(2026, 1, 2, 5, 0, tzinfo=dt.UTC)


def html_lang(body: str) -> str:
    return re.search(r'<html lang="([^"]+)"', body).group(1)


@pytest.fixture
def incident(partnership):
    """A published data breach of 2025, still open, found by an internal audit."""
    agreement = factories.AgreementFactory(partnership=partnership, title="Referral MOU")
    return factories.IncidentFactory(
        agreements=[agreement],
        title="Case files sent to a wrong address",
        discovered_at=dt.datetime(2025, 5, 1, 9, 0, tzinfo=dt.UTC),
    )


@pytest.fixture
def report(partnership, incident):
    """The partnership's published report of 2025, which holds the incident."""
    return services.report_publish_year(partnership=partnership, year=2025, now=YEAR_END)


INCIDENT_LIST = {
    "es": {
        "button": "Mostrar incidentes",
        "count": "<strong>1</strong> incidente.",
        "kind": "Violación de datos",
        "status": "Abierto",
        "found": "detectado por: auditoría interna",
    },
    "fr": {
        "button": "Afficher les incidents",
        "count": "<strong>1</strong> incident.",
        "kind": "Violation de données",
        "status": "Ouvert",
        "found": "révélé par : audit interne",
    },
}


@pytest.mark.parametrize("language", ["es", "fr"])
def test_the_incident_list_reads_in_the_language_of_the_browser(client, incident, language):
    words = INCIDENT_LIST[language]
    response = client.get("/incidents/", headers={"accept-language": language})
    body = response.content.decode()
    assert response.status_code == 200
    assert html_lang(body) == language
    assert words["button"] in body
    assert words["count"] in body
    # The incident's kind and status (an incident is "abierto", a flag "abierta").
    assert f"<strong>{words['kind']}</strong> · {words['status']} ·" in body
    assert words["found"] in body
    # What the parties wrote keeps its own words.
    assert "Case files sent to a wrong address" in body


REPORT_PAGE = {
    "es": {
        "heading": "<h1>Informe de transparencia 2025</h1>",
        "section": "<h2>Acuerdos en vigor</h2>",
        "agreement": "Memorando de entendimiento · Activo",
        "incident": "Violación de datos: Case files sent to a wrong address · descubierto el "
        "2025-05-01 · abierto",
    },
    "fr": {
        "heading": "<h1>Rapport de transparence 2025</h1>",
        "section": "<h2>Accords en vigueur</h2>",
        "agreement": "Protocole d’accord · Actif",
        "incident": "Violation de données: Case files sent to a wrong address · découvert le "
        "2025-05-01 · ouvert",
    },
}


@pytest.mark.parametrize("language", ["es", "fr"])
def test_a_report_page_reads_in_the_language_of_the_browser(client, report, language):
    words = REPORT_PAGE[language]
    response = client.get(report.html_url, headers={"accept-language": language})
    body = response.content.decode()
    assert response.status_code == 200
    assert html_lang(body) == language
    assert words["heading"] in body
    assert words["section"] in body
    assert words["agreement"] in body
    assert words["incident"] in body
    assert report.sha256 in body


def test_a_report_pdf_reads_in_the_language_of_the_browser(client, report):
    response = client.get(report.pdf_url, headers={"accept-language": "es"})
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Informe de transparencia 2025" in text
    assert "Acuerdos en vigor" in text
    assert report.sha256 in text.replace("\n", "")


def test_the_snapshot_is_the_same_whoever_asks_for_it(partnership, incident, ngo_editor):
    """A draft requested from a Spanish page holds the English labels the yearly job's
    would: its bytes, and its SHA-256, do not depend on the reader's language."""
    now = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
    with translation.override("es"):
        spanish = services.report_request(partnership=partnership, actor=ngo_editor, now=now)
    snapshot = json.loads(spanish.snapshot)
    titles = [section["title"] for section in snapshot["completeness"]["sections"]]
    assert titles[0] == "Agreements in force"
    assert snapshot["agreements"][0]["kind_label"] == "Memorandum of understanding"
    with translation.override("fr"):
        again = services.report_request(partnership=partnership, actor=ngo_editor, now=now)
    assert again.pk == spanish.pk
    assert again.sha256 == spanish.sha256
