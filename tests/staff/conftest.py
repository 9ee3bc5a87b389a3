"""Fixtures for the staff pages: a superuser, restricted records, real PDFs."""

import io

import pytest
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from partnerships.models import Visibility
from tests import factories


def make_pdf(pages: int = 1, title: str = "Memorandum of understanding") -> bytes:
    """A small, real PDF document (pypdf writes it; pypdf and any reader open it)."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _pdf_string(line: str) -> bytes:
    escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"(" + escaped.encode("latin-1", "replace") + b")"


def make_text_pdf(pages: list[str], title: str = "Memorandum of understanding") -> bytes:
    """A real PDF with a text layer: one page per item of ``pages``, its lines set in
    Helvetica (Latin-1 text), as a word processor's export would have them."""
    writer = PdfWriter()
    font = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
                NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
            }
        )
    )
    for text in pages:
        page = writer.add_blank_page(width=595, height=842)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        )
        lines = [_pdf_string(line) + b" Tj T*" for line in text.splitlines()]
        stream = DecodedStreamObject()
        stream.set_data(b"BT /F1 10 Tf 12 TL 50 800 Td\n" + b"\n".join(lines) + b"\nET")
        page[NameObject("/Contents")] = writer._add_object(stream)
    writer.add_metadata({"/Title": title})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def superuser():
    return factories.UserFactory(username="site_admin", is_staff=True, is_superuser=True)


@pytest.fixture
def restricted_partnership(ngo, police):
    return factories.partnership_with_parties(
        ngo=ngo,
        police=police,
        title="Refuge safeguarding protocol",
        slug="refuge-safeguarding",
        visibility=Visibility.RESTRICTED,
    )


@pytest.fixture
def pdf_bytes():
    return make_pdf()
