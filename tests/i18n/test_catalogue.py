"""Every message the code marks for translation is translated, in every language."""

import pytest
from django.conf import settings
from django.utils import translation

from core import translations


@pytest.fixture(scope="module")
def catalogue():
    return translations.extract()


def test_the_catalogue_is_extracted_from_the_templates_and_the_python_code(catalogue):
    ids = {message.id for message in catalogue if message.id}
    # A template's {% translate %}, a TextChoices label, and a blocktranslate with a variable.
    assert "Skip to content" in ids
    assert "Personally identifiable data" in ids
    assert 'Approvals (%(count)s)<span class="visually-hidden"> waiting for you</span>' in ids


@pytest.mark.parametrize("language", ["es", "fr"])
def test_every_message_is_translated_and_none_is_fuzzy(catalogue, language):
    missing = translations.missing_translations(catalogue, translations.read_catalog(language))
    assert missing == [], (
        f"{len(missing)} message(s) untranslated or fuzzy in locale/{language}: run "
        "`manage.py translations update` and translate them. First ones: " + repr(missing[:20])
    )


def test_the_languages_are_english_spanish_and_french():
    assert [code for code, _name in settings.LANGUAGES] == ["en", "es", "fr"]
    assert translations.translated_languages() == ["es", "fr"]


def test_a_missing_empty_or_fuzzy_translation_is_reported(catalogue):
    catalog = translations.read_catalog("fr")
    catalog.get("Skip to content").string = ""
    catalog.get("Menu").flags.add("fuzzy")
    catalog.delete("Account")
    missing = translations.missing_translations(catalogue, catalog)
    assert {"Skip to content", "Menu", "Account"} <= set(missing)


@pytest.mark.parametrize(
    ("language", "expected"), [("es", "Saltar al contenido"), ("fr", "Aller au contenu")]
)
def test_the_compiled_catalogues_are_the_ones_django_reads(language, expected):
    translations.compile_all()
    with translation.override(language):
        assert translation.gettext("Skip to content") == expected
