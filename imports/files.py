"""Reading an uploaded file: a CSV in UTF-8 (with or without a byte-order mark), within
``IMPORT_MAX_BYTES``, whose header is that of one of the public exports.

A file that is not one is refused before anything else: 413 too large, 415 not a CSV
(binary, or not UTF-8: a spreadsheet workbook, a PDF), 400 a CSV whose header is not an
export's. A row of the wrong length is that row's error, not the file's.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .exports import EXPORTS, Export
from .models import ImportJob

CHUNK = 64 * 1024
# Bytes that never occur in a text file: the start of a binary file (a workbook, a PDF).
BINARY = (b"\x00",)


class ImportRefused(ValidationError):
    """Why an uploaded file was refused; ``code`` is one of EMPTY, TOO_LARGE, NOT_CSV,
    MALFORMED."""

    EMPTY = "empty"
    TOO_LARGE = "too_large"
    NOT_CSV = "not_csv"
    MALFORMED = "malformed"

    # The HTTP status a refusal of each kind is answered with.
    STATUS = {EMPTY: 400, TOO_LARGE: 413, NOT_CSV: 415, MALFORMED: 400}

    @property
    def status(self) -> int:
        return self.STATUS[self.code]


def max_import_bytes() -> int:
    return settings.IMPORT_MAX_BYTES


def too_large(size: int | None = None) -> ImportRefused:
    limit = filesizeformat(max_import_bytes())
    if size:
        message = gettext(
            "The file is too large (%(size)s): the limit is %(limit)s. Split it into several "
            "files of fewer rows."
        ) % {"size": filesizeformat(size), "limit": limit}
    else:
        message = gettext(
            "The file is too large: the limit is %(limit)s. Split it into several files of "
            "fewer rows."
        ) % {"limit": limit}
    return ImportRefused(message, code=ImportRefused.TOO_LARGE)


def export_name(export: Export) -> str:
    """The export as a sentence names it: "partnerships", "agreements"."""
    return str(ImportJob.Kind(export.kind).label).lower()


NOT_CSV = _(
    "This file is not a CSV file in UTF-8. Upload the CSV export of the registry (or, "
    "from a spreadsheet, “Save as: CSV UTF-8”); its content is checked, not its name."
)


@dataclass(frozen=True)
class Row:
    """A row of the file: its number as a spreadsheet shows it (the header is row 1) and
    its cells by header, as written (``csv_text`` reads a cell's text)."""

    number: int
    cells: dict[str, str]
    # Why the row cannot be read at all (it has more or fewer cells than the header).
    error: str = ""


@dataclass(frozen=True)
class CsvFile:
    export: Export
    header: list[str]
    rows: list[Row]

    @property
    def ignored_headers(self) -> list[str]:
        """The file's columns that the import does not read (ids, derived values...)."""
        return [header for header in self.header if header not in self.export.cells]


def read_upload(file) -> tuple[str, str]:
    """The text of an uploaded file and its SHA-256, or ``ImportRefused``."""
    size = file.size
    if not size:
        raise ImportRefused(gettext("The file is empty."), code=ImportRefused.EMPTY)
    if size > max_import_bytes():
        raise too_large(size)
    digest = hashlib.sha256()
    data = bytearray()
    file.seek(0)
    for chunk in iter(lambda: file.read(CHUNK), b""):
        data += chunk
        if len(data) > max_import_bytes():
            raise too_large()
        digest.update(chunk)
    if any(marker in data for marker in BINARY):
        raise ImportRefused(NOT_CSV, code=ImportRefused.NOT_CSV)
    try:
        # The export writes UTF-8; spreadsheets saving "CSV UTF-8" add a byte-order mark.
        text = bytes(data).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused(NOT_CSV, code=ImportRefused.NOT_CSV) from None
    return text, digest.hexdigest()


def _malformed(message: str) -> ImportRefused:
    return ImportRefused(message, code=ImportRefused.MALFORMED)


def export_of(header: list[str]) -> Export:
    """The export whose columns the header has: each of the header's columns one of the
    export's, its key columns among them (columns the import does not read may be left
    out). ``ImportRefused`` says what is wrong otherwise."""
    if not any(header):
        raise _malformed(
            gettext("The file has no header row: its first row must name the columns.")
        )
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise _malformed(
            gettext("The header names a column more than once: %(columns)s.")
            % {"columns": ", ".join(duplicates)}
        )
    given = set(header)
    candidates = [export for export in EXPORTS.values() if given <= set(export.headers)]
    for export in candidates:
        if set(export.key_headers) <= given:
            return export
    if candidates:
        export = candidates[0]
        missing = [name for name in export.key_headers if name not in given]
        raise _malformed(
            ngettext(
                "The file looks like the %(export)s export but lacks the column %(columns)s, "
                "which names each row's record.",
                "The file looks like the %(export)s export but lacks the columns %(columns)s, "
                "which name each row's record.",
                len(missing),
            )
            % {"export": export_name(export), "columns": ", ".join(missing)}
        )
    closest = max(EXPORTS.values(), key=lambda export: len(given & set(export.headers)))
    unknown = [name for name in header if name not in closest.headers]
    if len(unknown) > 10:
        message = gettext(
            "The columns are not those of an export of the registry (the partnerships or the "
            "agreements CSV): %(columns)s and others are not columns of the %(export)s export."
        )
    else:
        message = ngettext(
            "The columns are not those of an export of the registry (the partnerships or the "
            "agreements CSV): %(columns)s is not a column of the %(export)s export.",
            "The columns are not those of an export of the registry (the partnerships or the "
            "agreements CSV): %(columns)s are not columns of the %(export)s export.",
            len(unknown),
        )
    raise _malformed(message % {"columns": ", ".join(unknown[:10]), "export": export_name(closest)})


def parse_csv(text: str) -> CsvFile:
    """The file's export, header and rows; ``ImportRefused`` if it is not an export's CSV.
    Blank lines are skipped."""
    # A cell may hold a long text (a summary, the terms of an agreement): the file's own
    # size bounds it, not the csv module's default of 128 KiB.
    csv.field_size_limit(max(max_import_bytes(), csv.field_size_limit()))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise ImportRefused(gettext("The file is empty."), code=ImportRefused.EMPTY)
        export = export_of([name.strip() for name in header])
        header = [name.strip() for name in header]
        rows = []
        number = 1
        for cells in reader:
            number += 1
            if not cells or cells == [""]:
                continue
            if len(cells) != len(header):
                rows.append(
                    Row(
                        number=number,
                        cells={},
                        error=gettext(
                            "It has %(cells)s cells where the header has %(columns)s columns "
                            "(a cell with a comma or a line break must be in double quotes)."
                        )
                        % {"cells": len(cells), "columns": len(header)},
                    )
                )
                continue
            rows.append(Row(number=number, cells=dict(zip(header, cells, strict=True))))
    except csv.Error as error:
        raise _malformed(
            gettext("The file is not a well-formed CSV file (near row %(row)s): %(error)s.")
            % {"row": reader.line_num, "error": error}
        ) from None
    if not rows:
        raise ImportRefused(gettext("The file has a header but no rows."), code=ImportRefused.EMPTY)
    return CsvFile(export=export, header=header, rows=rows)
