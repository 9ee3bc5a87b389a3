"""The staff's pages in the reader's language: logging in (the password and the two-factor
code), resetting a password, the oversight dashboard of a board member, and an import's
findings row by row (written in the uploader's language, by the worker too)."""

import re

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from imports import services as import_services
from imports.models import ImportJob
from imports.tasks import run_import_job
from tests.accounts.factors import SecondFactor
from tests.imports.conftest import export

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # the factories' password


@pytest.fixture(autouse=True)
def fresh_login_counts():
    """The login lockout counts in the cache, which outlives a test."""
    cache.clear()
    yield
    cache.clear()


def page(client, url: str, language: str) -> str:
    response = client.get(url, headers={"accept-language": language})
    assert response.status_code == 200
    body = response.content.decode()
    assert re.search(rf'<html lang="{language}"', body)
    return body


def heading(body: str) -> str:
    return re.search(r"<h1[^>]*>(.*?)</h1>", body, re.S).group(1).strip()


@pytest.mark.parametrize(
    ("language", "log_in", "forgotten"),
    [
        ("es", "Iniciar sesión", "¿Ha olvidado su contraseña?"),
        ("fr", "Se connecter", "Mot de passe oublié ?"),
    ],
)
def test_the_login_page_reads_in_the_language_of_the_browser(client, language, log_in, forgotten):
    body = page(client, reverse("login"), language)
    assert heading(body) == log_in
    assert forgotten in body
    assert "Forgotten your password?" not in body


@pytest.mark.parametrize(
    ("language", "title", "button"),
    [
        ("es", "Restablezca su contraseña", "Enviarme el enlace"),
        ("fr", "Réinitialisez votre mot de passe", "M’envoyer le lien"),
    ],
)
def test_the_password_reset_page_reads_in_the_language(client, language, title, button):
    body = page(client, reverse("password_reset"), language)
    assert heading(body) == title
    assert button in body


@pytest.mark.parametrize(
    ("language", "title", "security_key"),
    [
        ("es", "Iniciar sesión: código de doble factor", "Utilizar una llave de seguridad"),
        ("fr", "Connexion : code à deux facteurs", "Utiliser une clé de sécurité"),
    ],
)
def test_the_two_factor_step_reads_in_the_language(
    client, ngo_editor, language, title, security_key
):
    SecondFactor(ngo_editor)
    response = client.post(
        reverse("login"),
        {"login": ngo_editor.username, "password": PASSWORD},
        headers={"accept-language": language},
    )
    assert response["Location"] == reverse("mfa_authenticate")
    body = page(client, reverse("mfa_authenticate"), language)
    assert heading(body) == title
    assert f"<title>{title}" in body
    assert security_key in body
    assert "two-factor authentication" not in body


@pytest.mark.parametrize(
    ("language", "title", "column", "no_match"),
    [
        (
            "es",
            "Panel de supervisión",
            "Días de retraso",
            "Ningún acuerdo coincide con estos filtros.",
        ),
        (
            "fr",
            "Tableau de bord du contrôle",
            "Jours de retard",
            "Aucun accord ne correspond à ces filtres.",
        ),
    ],
)
def test_the_oversight_dashboard_reads_in_the_language_of_a_board_member(
    client, board_member, language, title, column, no_match
):
    client.force_login(board_member)
    body = page(client, reverse("oversight:dashboard"), language)
    assert heading(body) == title
    assert column in body  # a column of the table, declared in Python
    assert no_match in body
    assert "Oversight dashboard" not in body


def upload_page(client, text: str, language: str):
    return client.post(
        reverse("imports:start"),
        {"file": SimpleUploadedFile("registry.csv", text.encode(), content_type="text/csv")},
        headers={"accept-language": language},
    )


@pytest.mark.parametrize(
    ("language", "section", "problem"),
    [
        ("es", "Filas con errores (1)", "Tiene 3 celdas donde el encabezado tiene"),
        ("fr", "Lignes en erreur (1)", "Elle a 3 cellules là où l’en-tête a"),
    ],
)
def test_an_import_tells_each_rows_problem_in_the_uploaders_language(
    client, ngo_editor, language, section, problem
):
    client.force_login(ngo_editor)
    text = export(client, "partnerships") + "only,three,cells\r\n"

    response = upload_page(client, text, language)

    body = page(client, response["Location"], language)
    assert section in body
    assert problem in body


def test_the_worker_checks_a_large_file_in_the_uploaders_language(
    client, ngo_editor, settings, monkeypatch
):
    settings.IMPORT_INLINE_ROWS = 0
    sent = []
    monkeypatch.setattr(
        import_services.current_app, "send_task", lambda name, **kw: sent.append(kw["kwargs"])
    )
    client.force_login(ngo_editor)
    text = export(client, "partnerships") + "only,three,cells\r\n"

    upload_page(client, text, "fr")

    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.CHECKING
    assert sent == [{"job_id": job.pk, "language": "fr"}]
    run_import_job(**sent[0])  # as the worker does, in a process with no request
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CHECKED
    [error] = job.preview["rows"][0]["errors"]
    assert error["message"].startswith("Elle a 3 cellules là où l’en-tête a")
