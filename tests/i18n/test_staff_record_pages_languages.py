"""The staff pages that register partnerships and agreements, in the staff member's
language: headings, labels, help texts, buttons and the form's errors."""

import re

import pytest
from django.urls import reverse

from partnerships.models import Partnership, PartnershipParty, Visibility

pytestmark = pytest.mark.django_db


def page(client, url, language, data=None):
    headers = {"accept-language": language}
    response = client.post(url, data, headers=headers) if data else client.get(url, headers=headers)
    body = response.content.decode()
    assert re.search(rf'<html lang="{language}"', body)
    return response, body


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "es",
            [
                "<h1>Nueva colaboración</h1>",
                "<h2>Partes</h2>",
                "<h2>La colaboración</h2>",
                ">Su organización <span",
                "Buscar organizaciones por nombre",
                '>Título <span class="required-mark">(obligatorio)</span>',
                ">Ámbitos de actuación<",
                "No antes de la fecha de creación.",
                ">Crear la colaboración</button>",
            ],
        ),
        (
            "fr",
            [
                "<h1>Nouveau partenariat</h1>",
                "<h2>Parties</h2>",
                "<h2>Le partenariat</h2>",
                ">Votre organisation <span",
                "Rechercher des organisations par nom",
                '>Titre <span class="required-mark">(obligatoire)</span>',
                ">Domaines d’action<",
                "Pas avant la date de création.",
                ">Créer le partenariat</button>",
            ],
        ),
    ],
)
def test_the_partnership_form_reads_in_the_staff_members_language(
    client, ngo_editor, language, expected
):
    client.force_login(ngo_editor)
    _response, body = page(client, reverse("partnerships:new"), language)
    for text in expected:
        assert text in body
    assert "New partnership" not in body
    assert "Create partnership" not in body


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "es",
            [
                "<h1>Nuevo acuerdo</h1>",
                "<h2>Condiciones de intercambio de datos</h2>",
                '>Título <span class="required-mark">(obligatorio)</span>',
                ">Intervalo de revisión (meses)",
                "Condición de intercambio de datos 1 (nueva)",
                ">Categoría de datos",
                ">Conservación (días)",
                "Eliminar esta condición",
                "Añadir otra condición de intercambio de datos",
                ">Añadir el acuerdo</button>",
            ],
        ),
        (
            "fr",
            [
                "<h1>Nouvel accord</h1>",
                "<h2>Conditions de partage de données</h2>",
                '>Titre <span class="required-mark">(obligatoire)</span>',
                ">Intervalle entre les examens (mois)",
                "Condition de partage de données 1 (nouvelle)",
                ">Catégorie de données",
                ">Conservation (jours)",
                "Supprimer cette condition",
                "Ajouter une autre condition de partage de données",
                ">Ajouter l’accord</button>",
            ],
        ),
    ],
)
def test_the_agreement_form_reads_in_the_staff_members_language(
    client, ngo_editor, partnership, language, expected
):
    client.force_login(ngo_editor)
    url = reverse("agreements:new", kwargs={"slug": partnership.slug})
    _response, body = page(client, url, language)
    for text in expected:
        assert text in body
    assert "New agreement" not in body
    assert "Data-sharing terms" not in body


def test_a_partnership_form_sent_back_with_errors_says_why_in_spanish(
    client, ngo_editor, ngo, police
):
    client.force_login(ngo_editor)
    data = {
        "organization": ngo.pk,
        "party_role": PartnershipParty.Role.POLICE_AGENCY,
        "title": "Derivaciones seguras",
        "status": Partnership.Status.ACTIVE,
        "region": "europe",
        "country": "ES",
        "established_on": "2024-03-01",
        "established_precision": "day",
        "ended_on": "2020-01-01",
        "visibility": Visibility.PUBLIC,
    }
    response, body = page(client, reverse("partnerships:new"), "es", data)
    assert response.status_code == 200
    assert Partnership.objects.count() == 0
    # The other party was not chosen, and the partnership would end before it began: each
    # problem in Spanish, beside its field and in the summary at the top.
    missing_party = "Elija la otra parte (búsquela por su nombre)."
    ended_early = "Una colaboración no puede finalizar antes de su creación."
    assert body.count(missing_party) == 2
    assert body.count(ended_early) == 2
    assert "Choose the other party" not in body
    assert "cannot end before" not in body
    # What was typed is kept.
    assert 'value="Derivaciones seguras"' in body
