"""Fixtures for the staff pages: a superuser, restricted records, real PDFs."""

import io

import pytest
from pypdf import PdfWriter

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
