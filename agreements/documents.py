"""Checking an uploaded agreement document: a PDF by its content, within the size limit.

The extension and the browser's declared type say nothing: the file must start with
the PDF signature and a PDF parser (pypdf) must be able to open it.
"""

import hashlib
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from pypdf import PdfReader
from pypdf.errors import PyPdfError

# PDF 1.7 (ISO 32000-1, 7.5.2): the header may sit anywhere in the first 1024 bytes.
PDF_SIGNATURE = b"%PDF-"
HEADER_WINDOW = 1024
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
    detail = f" ({filesizeformat(size)})" if size else ""
    return DocumentRejected(
        f"The file is too large{detail}: the limit is {limit}.", code=DocumentRejected.TOO_LARGE
    )


def check_pdf(file) -> None:
    """Raise ``DocumentRejected`` unless ``file`` (an uploaded file) is a PDF within the limit."""
    size = file.size
    if not size:
        raise DocumentRejected("The file is empty.", code=DocumentRejected.EMPTY)
    if size > max_document_bytes():
        raise too_large(size)
    file.seek(0)
    head = file.read(HEADER_WINDOW)
    not_pdf = DocumentRejected(
        "This file is not a PDF. Upload the signed agreement as a PDF document "
        "(the file's content is checked, not its name).",
        code=DocumentRejected.NOT_PDF,
    )
    if PDF_SIGNATURE not in head:
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
