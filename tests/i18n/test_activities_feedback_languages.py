"""Joint activities, their form's error summary, the moderation of feedback and a record's
history read in the reader's language: Spanish and French, as the switcher sets it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from activities.models import Activity
from feedback.models import Feedback
from tests.activities.factories import ActivityFactory, ActivityResultFactory

pytestmark = pytest.mark.django_db

WORDS = {
    "es": {
        "section": "Actividades conjuntas",
        "totals": "Resultados por año",
        "indicator": "Indicador",
        "kind": "Formación",
        "ongoing": "en curso",
        "summary": "Hay 4 problemas en este formulario",
        "dates": "Una actividad no puede terminar antes de haber comenzado.",
        "row": "Resultado 1, Otro nombre",
        "other": "Indique el nombre del indicador: «Otro» no dice nada por sí solo.",
        "label": '<label for="id_started_on">Fecha de inicio',
        "error": '<span class="visually-hidden">Error:</span>',
        "save": "Guardar la actividad",
        "queue": "Moderación de comentarios",
        "awaiting": "1 pendiente de decisión, 0 ocultos tras denuncias.",
        "personal": "Posibles datos personales:",
    },
    "fr": {
        "section": "Activités conjointes",
        "totals": "Résultats par année",
        "indicator": "Indicateur",
        "kind": "Formation",
        "ongoing": "en cours",
        "summary": "Ce formulaire comporte 4 problèmes",
        "dates": "Une activité ne peut pas se terminer avant d’avoir commencé.",
        "row": "Résultat 1, Autre nom",
        "other": "Nommez l’indicateur : « Autre » ne dit rien à lui seul.",
        "label": '<label for="id_started_on">Date de début',
        "error": '<span class="visually-hidden">Erreur :</span>',
        "save": "Enregistrer l’activité",
        "queue": "Modération des commentaires",
        "awaiting": "1 en attente de décision, 0 masqués après signalements.",
        "personal": "Données personnelles possibles :",
    },
}


@pytest.fixture
def in_language(client, request):
    client.cookies["language"] = request.param
    return request.param


@pytest.mark.parametrize("in_language", ["es", "fr"], indirect=True)
def test_the_activities_of_a_partnership_read_in_the_language(client, partnership, in_language):
    activity = ActivityFactory(partnership=partnership, ended_on=None)
    ActivityResultFactory(activity=activity, value=Decimal("24"))
    words = WORDS[in_language]

    page = client.get(partnership.get_absolute_url()).content.decode()

    assert f'<html lang="{in_language}"' in page
    for key in ("section", "totals", "indicator", "kind", "ongoing"):
        assert words[key] in page, key
    assert "Joint activities" not in page
    assert "Results per year" not in page
    # What the parties wrote keeps its own words.
    assert activity.title in page


@pytest.mark.parametrize("in_language", ["es", "fr"], indirect=True)
def test_the_activity_forms_error_summary_reads_in_the_language(
    client, partnership, ngo_editor, in_language
):
    client.force_login(ngo_editor)
    words = WORDS[in_language]
    data = {
        "kind": "training",
        "title": "",
        "started_on": "2025-03-01",
        "ended_on": "2025-02-01",
        "results-TOTAL_FORMS": "1",
        "results-INITIAL_FORMS": "0",
        "results-MIN_NUM_FORMS": "0",
        "results-MAX_NUM_FORMS": "30",
        "results-0-indicator": "other",
        "results-0-value": "lots",
        "results-0-unit": "people",
        "results-0-period_start": "2025-03-01",
        "results-0-period_end": "2025-03-02",
    }

    response = client.post(reverse("activities:new", kwargs={"slug": partnership.slug}), data)

    assert response.status_code == 200
    page = response.content.decode()
    for key in ("summary", "dates", "row", "other", "label", "error", "save"):
        assert words[key] in page, key
    assert "There are 4 problems with this form" not in page
    assert "Name the indicator" not in page
    assert Activity.objects.count() == 0


@pytest.mark.parametrize("in_language", ["es", "fr"], indirect=True)
def test_the_moderation_queue_reads_in_the_language(client, partnership, board_member, in_language):
    Feedback.objects.create(
        partnership=partnership,
        category=Feedback.Category.CONCERN,
        text="Write to me at reader@example.org about the referrals.",
        status=Feedback.Status.PENDING,
        confirmed_at=dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC),
    )
    client.force_login(board_member)
    words = WORDS[in_language]

    page = client.get(reverse("feedback:moderation")).content.decode()

    for key in ("queue", "awaiting", "personal"):
        assert words[key] in page, key
    assert "Possible personal data" not in page
