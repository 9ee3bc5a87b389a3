"""The interface's translations, in pure Python (Babel): no GNU gettext on the machine.

The catalogue is what the code marks for translation: ``gettext``/``gettext_lazy``/… in the
Python modules, ``{% translate %}``/``{% blocktranslate %}`` and ``_("…")`` in the templates
(read by Django's own ``templatize``, as ``makemessages`` does). ``locale/<lang>/LC_MESSAGES/
django.po`` holds each language's translations, written by people and kept in the repository;
the ``.mo`` files Django reads are compiled from them (``manage.py translations compile``, run
by ``make run``, ``make test`` and the image build) and never committed.

``manage.py translations update`` adds the catalogue's new messages to every ``.po`` file
(untranslated) and drops the ones the code no longer has; the test suite fails while any
message is missing, empty or fuzzy in any language (``missing_translations``).
"""

import io
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_python
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from django.conf import settings
from django.utils.translation.template import templatize

DOMAIN = "django"
# The marking functions, with the positions of their context (c) and plural arguments, as
# makemessages passes them to xgettext.
KEYWORDS = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "npgettext_lazy": ((1, "c"), 2, 3),
}
# Not the interface's code: the virtualenv, the tests, migrations (whose labels are copies
# of the models'), generated and collected files.
SKIPPED_DIRECTORIES = {
    ".venv",
    ".tools",
    ".git",
    "var",
    "tests",
    "migrations",
    "node_modules",
    "staticfiles",
    "static",
    "locale",
    "docs",
    "benchmarks",
    "__pycache__",
}
TEMPLATE_SUFFIXES = (".html", ".txt", ".xml")
# A fixed date in the .po headers, so that an update changes them only where messages change.
CREATION_DATE = datetime(2026, 1, 1, tzinfo=UTC)


def base_dir() -> Path:
    return Path(settings.BASE_DIR)


def locale_dir() -> Path:
    return Path(settings.LOCALE_PATHS[0])


def translated_languages() -> list[str]:
    """Every language of LANGUAGES but the one the code is written in."""
    return [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def po_path(language: str) -> Path:
    return locale_dir() / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def _source_files() -> Iterator[Path]:
    root = base_dir()
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(
            name
            for name in subdirectories
            if name not in SKIPPED_DIRECTORIES and not name.startswith(".")
        )
        for name in sorted(files):
            yield Path(directory) / name


def _is_template(path: Path) -> bool:
    return "templates" in path.relative_to(base_dir()).parts and path.suffix in TEMPLATE_SUFFIXES


def _messages_of(path: Path):
    if path.suffix == ".py":
        source = path.read_bytes()
    elif _is_template(path):
        text = path.read_text(encoding="utf-8")
        if "trans" not in text and "_(" not in text:
            return
        # templatize keeps the template's layout (as "X"s): unindented, so that Python's
        # tokenizer reads it; each message is one string literal on one line.
        lines = templatize(text, origin=str(path)).splitlines()
        source = "\n".join(line.lstrip() for line in lines).encode("utf-8")
    else:
        return
    yield from extract_python(io.BytesIO(source), KEYWORDS, [], {"encoding": "utf-8"})


def extract() -> Catalog:
    """The catalogue of every message the code marks for translation."""
    catalog = Catalog(project="Partnership Registry", fuzzy=False, creation_date=CREATION_DATE)
    root = base_dir()
    for path in _source_files():
        for lineno, function, messages, comments in _messages_of(path):
            if messages is None:  # gettext(variable): nothing to extract
                continue
            if isinstance(messages, str):
                messages = (messages,)
            # Only the arguments the keyword names (not ngettext's count, for one).
            spec = KEYWORDS[function]
            messages = tuple(messages[: 1 if spec is None else len(spec)])
            context = None
            if function.startswith(("pgettext", "npgettext")):
                context, *messages = messages
            if any(not message for message in messages):
                continue
            msgid = messages[0] if len(messages) == 1 else tuple(messages[:2])
            catalog.add(
                msgid,
                locations=[(str(path.relative_to(root)), lineno)],
                context=context,
                auto_comments=comments,
            )
    return catalog


def read_catalog(language: str) -> Catalog:
    with po_path(language).open("rb") as file:
        return read_po(file, locale=language, domain=DOMAIN)


def write_catalog(catalog: Catalog, language: str) -> None:
    path = po_path(language)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as file:
        write_po(file, catalog, width=100, no_location=True, ignore_obsolete=True, sort_output=True)


def update() -> dict[str, int]:
    """Brings every language's .po file to the catalogue; returns how many messages each
    still lacks a translation for."""
    template = extract()
    lacking = {}
    for language in translated_languages():
        if po_path(language).exists():
            catalog = read_catalog(language)
        else:
            catalog = Catalog(
                locale=language,
                domain=DOMAIN,
                project=template.project,
                header_comment=f"# The Partnership Registry's interface in {language} "
                "(locale/GLOSSARY.md keeps its terms).",
                fuzzy=False,
                creation_date=CREATION_DATE,
                revision_date=CREATION_DATE,
            )
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
        write_catalog(catalog, language)
        lacking[language] = len(missing_translations(template, catalog))
    return lacking


def missing_translations(template: Catalog, catalog: Catalog) -> list[str]:
    """The catalogue's messages that ``catalog`` lacks, leaves empty, or marks fuzzy."""
    missing = []
    for message in template:
        if not message.id:
            continue
        translated = catalog.get(message.id, context=message.context)
        strings = () if translated is None else translated.string
        if isinstance(strings, str):
            strings = (strings,)
        if translated is None or translated.fuzzy or not strings or not all(strings):
            key = message.id if isinstance(message.id, str) else message.id[0]
            missing.append(f"{message.context}|{key}" if message.context else key)
    return missing


def compile_all() -> list[Path]:
    """Compiles every language's .po file to the .mo file Django reads (atomically, so
    that a process reading it meanwhile sees the old file or the new one)."""
    written = []
    for language in translated_languages():
        source = po_path(language)
        if not source.exists():
            continue
        target = source.with_suffix(".mo")
        if target.exists() and target.stat().st_mtime >= source.stat().st_mtime:
            continue
        catalog = read_catalog(language)
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as file:
            write_mo(file, catalog, use_fuzzy=False)
        os.chmod(file.name, 0o644)
        os.replace(file.name, target)
        written.append(target)
    return written
