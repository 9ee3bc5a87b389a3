"""The seed table's notes become sources where they name one (give its address)."""

import pytest

from demo.loader import LoadReport, _cite_note_source
from partnerships.models import Source
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_note_with_an_address_becomes_a_source_once():
    partnership = factories.PartnershipFactory()
    other = factories.PartnershipFactory()
    note = "Annual transparency report 2022: https://example.org/report-2022."
    for record in (partnership, partnership, other):
        _cite_note_source(LoadReport(), record, note)
    source = Source.objects.get()
    assert (source.url, source.title) == (
        "https://example.org/report-2022",
        "Annual transparency report 2022",
    )
    assert list(partnership.sources.all()) == list(other.sources.all()) == [source]


def test_a_note_that_names_no_source_is_not_a_source():
    partnership = factories.PartnershipFactory()
    _cite_note_source(
        LoadReport(),
        partnership,
        "one table of the source gives 2016 as the year of the formal collaboration",
    )
    assert Source.objects.count() == 0
