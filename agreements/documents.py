"""Checking an uploaded agreement document: a PDF by its content, within the size limit.

The extension and the browser's declared type say nothing: the file must start with
the PDF signature and a PDF parser (pypdf) must be able to open it.
"""

import hashlib
import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from .clauses import Comparison, compare_texts
from .models import AgreementDocument, DocumentText

# PDF 1.7 (ISO 32000-1, 7.5.2): the header may sit anywhere in the first 1024 bytes.
PDF_SIGNATURE = b"%PDF-"
HEADER_WINDOW = 1024
# Markup in the header window: what makes a file a web page too.
MARKUP = re.compile(rb"<\s*(?:!doctype|html|head|body|script|svg|iframe|\?xml)", re.IGNORECASE)
CHUNK = 64 * 1024


class DocumentRejected(ValidationError):
    """Why an upload was refused; ``code`` is one of EMPTY, TOO_LARGE, NOT_PDF."""

    EMPTY = "empty"
    TOO_LARGE = "too_large"
    NOT_PDF = "not_pdf"

    # The HTTP status a refusal of each kind is answered with.
    STATUS = {EMPTY: 400, TOO_LARGE: 413, NOT_PDF: 415}

    @property
    def status(self) -> int:
        return self.STATUS[self.code]


def max_document_bytes() -> int:
    return settings.AGREEMENT_DOCUMENT_MAX_BYTES


def too_large(size: int | None = None) -> DocumentRejected:
    limit = filesizeformat(max_document_bytes())
    if size:
        message = gettext("The file is too large (%(size)s): the limit is %(limit)s.") % {
            "size": filesizeformat(size),
            "limit": limit,
        }
    else:
        message = gettext("The file is too large: the limit is %(limit)s.") % {"limit": limit}
    return DocumentRejected(message, code=DocumentRejected.TOO_LARGE)


def check_pdf(file) -> None:
    """Raise ``DocumentRejected`` unless ``file`` (an uploaded file) is a PDF within the limit."""
    size = file.size
    if not size:
        raise DocumentRejected(gettext("The file is empty."), code=DocumentRejected.EMPTY)
    if size > max_document_bytes():
        raise too_large(size)
    file.seek(0)
    head = file.read(HEADER_WINDOW)
    not_pdf = DocumentRejected(
        gettext(
            "This file is not a PDF. Upload the signed agreement as a PDF document "
            "(the file's content is checked, not its name)."
        ),
        code=DocumentRejected.NOT_PDF,
    )
    if PDF_SIGNATURE not in head or MARKUP.search(head):
        # Nothing a browser could take for a page may come first: a file that is a web page
        # and a PDF at once (a polyglot) is refused, though it would be served safely.
        raise not_pdf
    file.seek(0)
    try:
        reader = PdfReader(file)
        if not reader.is_encrypted and len(reader.pages) < 1:
            raise not_pdf
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        logging.getLogger(__name__).info("upload refused: pypdf cannot open it: %s", exc)
        raise not_pdf from exc
    finally:
        file.seek(0)


def sha256_of(file) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in iter(lambda: file.read(CHUNK), b""):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


# Reading a version's text: bounded, so that an upload of a long or odd PDF stays quick
# (a 50-page agreement reads in well under a second: ``benchmarks/compare.py``).
TEXT_MAX_PAGES = 300
TEXT_MAX_CHARS = 600_000


@dataclass(frozen=True)
class ExtractedText:
    """What ``extract_text`` read: ``status`` is a ``DocumentText.Status`` value."""

    status: str
    text: str = ""
    pages_read: int = 0
    truncated: bool = False


def extract_text(file) -> ExtractedText:
    """The text of the PDF ``file`` (a file object), page by page, within
    ``TEXT_MAX_PAGES`` and ``TEXT_MAX_CHARS``. A PDF with no text at all is a scan
    (``no_text_layer``); one that pypdf cannot read is ``unreadable``: never an error."""
    Status = DocumentText.Status
    pages: list[str] = []
    length, truncated = 0, False
    try:
        file.seek(0)
        reader = PdfReader(file)
        if reader.is_encrypted:
            return ExtractedText(Status.UNREADABLE)
        for number, page in enumerate(reader.pages):
            if number >= TEXT_MAX_PAGES or length >= TEXT_MAX_CHARS:
                truncated = True
                break
            text = (page.extract_text() or "")[: TEXT_MAX_CHARS - length]
            pages.append(text)
            length += len(text)
    except Exception as exc:  # noqa: BLE001 - a malformed PDF has many ways to fail
        logging.getLogger(__name__).info("text extraction failed: %s", exc, exc_info=True)
        return ExtractedText(Status.UNREADABLE)
    finally:
        file.seek(0)
    text = "\n".join(page.strip("\n") for page in pages).replace("\x00", "")
    if not text.strip():
        return ExtractedText(Status.NO_TEXT_LAYER, pages_read=len(pages))
    return ExtractedText(Status.EXTRACTED, text, len(pages), truncated)


def compare_versions(older: AgreementDocument, newer: AgreementDocument) -> Comparison | None:
    """The clause-by-clause comparison of two versions' texts (``clauses.compare_texts``),
    or None unless both have text (a scan, or a version not read yet, has none)."""
    old_text, new_text = older.stored_text(), newer.stored_text()
    if old_text is None or new_text is None or not old_text.has_text or not new_text.has_text:
        return None
    return compare_texts(old_text.text, new_text.text)
