"""The public pages of the publication workflow: withheld values shown as such and never
sent, the stubs of retracted and announced records, the staff's "what the public will see"
preview and the publication state on the record pages."""

import datetime as dt
import hashlib
import html
import re
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements.models import Agreement, AgreementDocument, DataSharingTerm
from oversight.models import Flag, Review
from partnerships.models import Organization, Partnership, Visibility
from publication.choices import PublicationStatus
from publication.models import Withholding
from tests import factories
from tests.publication.withheld import withhold

pytestmark = pytest.mark.django_db

DOCUMENT_HASH = hashlib.sha256(b"the shelter annex").hexdigest()
# Every withheld value of the fixture, as a page would print it.
WITHHELD_VALUES = (
    "SENTINEL",
    "14 March 1987",
    "17 May 1988",
    "17 May 1988",
    "19 July 1989",
    "19 Jul 1989",
    "4321 days",
    "Quiet Auditors",
    "quiet-auditors",
)


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def get(client, url, status=200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def assert_withheld_values_absent(page: str, where: str) -> None:
    for value in WITHHELD_VALUES:
        assert value not in page, f"{value!r} published on {where}"


@dataclass
class Withheld:
    partnership: Partnership
    agreement: Agreement
    term: DataSharingTerm
    document: AgreementDocument
    review: Review
    auditor: Organization


@pytest.fixture
def withheld(ngo, police) -> Withheld:
    """A published partnership with a value withheld in each kind of record it shows."""
    auditor = factories.OversightBodyFactory(name="Quiet Auditors", slug="quiet-auditors")
    partnership = factories.partnership_with_parties(
        ngo=ngo,
        police=police,
        title="Lantern Shelter Partnership",
        slug="lantern-shelter",
        established_on=dt.date(1987, 3, 14),
        objectives="SENTINEL-OBJECTIVES: the shelter on Marigold Lane.",
        public_summary="SENTINEL-PARTNERSHIP-SUMMARY",
        roles_and_responsibilities="The charity runs the shelter; the police patrol.",
    )
    withhold(
        partnership,
        "objectives",
        rationale="It names the shelter's street.",
        available_on=dt.date(2031, 1, 1),
    )
    withhold(partnership, "established_on", reason="security_of_premises")
    withhold(partnership, "public_summary", reason="other", rationale="Drafted with a survivor.")
    agreement = factories.AgreementFactory(
        partnership=partnership,
        title="Lantern referral protocol",
        reference="SENTINEL-REFERENCE",
        independent_auditor=auditor,
        signed_on=dt.date(1988, 5, 17),
        effective_from=dt.date(1988, 6, 1),
        expires_on=dt.date(1989, 7, 19),
        public_summary="SENTINEL-AGREEMENT-SUMMARY",
    )
    for field in ("reference", "signed_on", "expires_on", "independent_auditor", "public_summary"):
        withhold(agreement, field, reason="ongoing_investigation", rationale="Under investigation.")
    factories.FlagFactory(
        agreement=agreement,
        kind=Flag.Kind.EXPIRED_BUT_ACTIVE,
        detail="Expired on 19 July 1989 but still marked active.",
    )
    term = factories.DataSharingTermFactory(
        agreement=agreement,
        purpose="SENTINEL-PURPOSE",
        legal_instrument="SENTINEL-INSTRUMENT",
        retention_days=4321,
        access_controls="SENTINEL-ACCESS",
    )
    for field in ("purpose", "legal_instrument", "retention_days", "access_controls"):
        withhold(term, field, reason="third_party_personal_data", rationale="A third party.")
    document = factories.AgreementDocumentFactory(
        agreement=agreement, version=1, sha256=DOCUMENT_HASH, size_bytes=2048, is_public=True
    )
    withhold(document, "file", reason="legal_privilege", rationale="Legal advice.")
    review = factories.ReviewFactory(
        agreement=agreement, public_summary="SENTINEL-REVIEW-SUMMARY", notes="Private notes."
    )
    withhold(review, "public_summary", reason="commercial_confidentiality", rationale="A price.")
    return Withheld(partnership, agreement, term, document, review, auditor)


# Withheld values ------------------------------------------------------------------------


def test_the_public_sees_withheld_and_why_in_place_of_each_value(client, withheld):
    for url in (withheld.partnership.get_absolute_url(), withheld.agreement.get_absolute_url()):
        page = get(client, url)
        assert_withheld_values_absent(page, url)
        text = text_of(page)
        assert "Withheld — Ongoing investigation Under investigation." in text
        assert "Withheld — Personal data of a third party A third party." in text
        assert "Withheld — Legal privilege Legal advice." in text
        assert "Withheld — Commercial confidentiality A price." in text
        assert "Withheld from the public" not in text
    text = text_of(get(client, withheld.partnership.get_absolute_url()))
    assert (
        "Objectives Withheld — Survivor safety It names the shelter's street. "
        "(available from 1 January 2031)"
    ) in text
    assert "Established Withheld — Security of premises" in text
    assert "Summary: Withheld — Other Drafted with a survivor." in text
    # The values around them stay.
    assert "The charity runs the shelter; the police patrol." in text
    assert "Expired but still active" in text  # the flag, without its text quoting the expiry


def test_a_withheld_document_text_keeps_its_version_size_and_hash_without_a_link(client, withheld):
    page = get(client, withheld.agreement.get_absolute_url())
    download = reverse("agreements:document_download", args=[withheld.agreement.pk, 1])
    assert download not in page
    assert DOCUMENT_HASH in page
    assert "Version 1" in page and "2.0\xa0KB" in page
    assert "Text: <strong>Withheld — Legal privilege</strong>" in page


def test_withheld_values_are_not_in_the_meta_description(client, withheld):
    page = get(client, withheld.partnership.get_absolute_url())
    description = re.search(r'<meta name="description" content="([^"]*)">', page)[1]
    assert "SENTINEL" not in description
    assert "The public record of partnerships" in description


def test_staff_who_see_private_records_see_the_value_and_a_marker(client, withheld, ngo_editor):
    client.force_login(ngo_editor)
    page = get(client, withheld.partnership.get_absolute_url())
    text = text_of(page)
    assert "SENTINEL-OBJECTIVES: the shelter on Marigold Lane." in text
    assert "Withheld from the public: Survivor safety, until 1 January 2031" in text
    assert "SENTINEL-PURPOSE Withheld from the public: Personal data of a third party" in text
    assert "4321 days Withheld from the public" in text
    assert "Quiet Auditors" in text
    assert "Withheld — " not in text
    download = reverse("agreements:document_download", args=[withheld.agreement.pk, 1])
    assert download in page


def test_staff_see_a_withholding_awaiting_confirmation_as_such(client, withheld, ngo_editor):
    Withholding.objects.filter(field="objectives").update(confirmed_at=None)
    client.force_login(ngo_editor)
    text = text_of(get(client, withheld.partnership.get_absolute_url()))
    assert "Withheld from the public: Survivor safety, until 1 January 2031 (awaiting" in text


def test_a_signed_in_outsider_sees_the_public_page(client, withheld, other_ngo_editor):
    client.force_login(other_ngo_editor)
    page = get(client, withheld.partnership.get_absolute_url())
    assert_withheld_values_absent(page, "the partnership page, for an outsider")
    assert "Withheld — Survivor safety" in text_of(page)


def test_the_auditor_page_lists_an_agreement_with_a_withheld_auditor_to_its_parties_only(
    client, withheld, ngo_editor
):
    url = reverse("public:organization", kwargs={"slug": "quiet-auditors"})
    assert "Lantern referral protocol" not in get(client, url)
    client.force_login(ngo_editor)
    text = text_of(get(client, url))
    assert "Lantern referral protocol" in text
    assert "Withheld from the public: Ongoing investigation" in text


def test_the_registry_shows_a_withheld_date_as_withheld(client, withheld):
    page = get(client, reverse("public:registry"))
    assert "Lantern Shelter Partnership" in page
    assert "since 1987" not in page
    assert "Established: Withheld — Security of premises" in text_of(page)


def queries_for(client, url) -> tuple[int, int]:
    """(all the queries of a page, those that ask which values are withheld)."""
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    sql = [query["sql"] for query in context.captured_queries]
    asked = [q for q in sql if q.split(" FROM ", 1)[-1].startswith('"publication_withholding"')]
    return len(sql), len(asked)


def add_withheld_agreements(partnership, n):
    for _ in range(n):
        agreement = factories.AgreementFactory(partnership=partnership)
        withhold(agreement, "public_summary")
        for record, field in (
            (factories.DataSharingTermFactory(agreement=agreement), "purpose"),
            (factories.DataSharingTermFactory(agreement=agreement), "retention_days"),
            (factories.AgreementDocumentFactory(agreement=agreement, is_public=True), "file"),
            (factories.ReviewFactory(agreement=agreement), "public_summary"),
        ):
            withhold(record, field)
        factories.FlagFactory(agreement=agreement)


@pytest.mark.parametrize("persona", ["anonymous", "ngo_editor"])
def test_the_partnership_page_asks_once_whatever_the_number_of_withheld_values(
    request, client, withheld, persona
):
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    url = withheld.partnership.get_absolute_url()
    queries_for(client, url)  # caches warmed: the content types
    one = queries_for(client, url)
    add_withheld_agreements(withheld.partnership, 15)
    assert queries_for(client, url) == one
    # One for every record the page shows; the change history asks about its own.
    assert one[1] <= 2


def test_the_agreement_page_asks_once_whatever_the_number_of_withheld_terms(client, withheld):
    url = withheld.agreement.get_absolute_url()
    one = queries_for(client, url)
    for _ in range(15):
        withhold(factories.DataSharingTermFactory(agreement=withheld.agreement), "purpose")
        withhold(
            factories.AgreementDocumentFactory(agreement=withheld.agreement, is_public=True), "file"
        )
        withhold(factories.ReviewFactory(agreement=withheld.agreement), "public_summary")
    assert queries_for(client, url) == one


def test_the_registry_asks_once_whatever_the_number_of_rows(client, withheld):
    url = reverse("public:registry")
    queries_for(client, url)  # caches warmed: the content types, the stored summary
    one = queries_for(client, url)
    for _ in range(15):
        withhold(factories.partnership_with_parties(), "established_on")
    # The writes leave the stored summary stale: the next request counts it again (at once
    # in the tests; a few seconds later in a worker otherwise), the one after reads it.
    queries_for(client, url)
    assert queries_for(client, url) == one


# Retracted records ---------------------------------------------------------------------


def retract(record, on=dt.date(2026, 3, 2), reason="The agreement was never signed."):
    type(record).objects.filter(pk=record.pk).update(
        publication_status=PublicationStatus.RETRACTED, retracted_on=on, retraction_reason=reason
    )
    record.refresh_from_db()


def test_a_retracted_partnership_is_gone_with_a_stub(client, withheld):
    retract(withheld.partnership)
    page = get(client, withheld.partnership.get_absolute_url(), status=410)
    text = text_of(page)
    assert "Lantern Shelter Partnership" in text
    assert "Retracted on 2 March 2026 because The agreement was never signed." in text
    assert "Established Withheld — Security of premises It would tell where survivors stay." in text
    assert_withheld_values_absent(page, "the retracted partnership's stub")
    # Nothing else of it: no parties, no agreements, no roles.
    for absent in ("Safe Harbour", "Riverside Police", "Lantern referral protocol", "patrol"):
        assert absent not in text
    # Its agreements are gone with it.
    agreement_page = text_of(get(client, withheld.agreement.get_absolute_url(), status=410))
    assert "Retracted with its partnership on 2 March 2026" in agreement_page
    assert "Under investigation" in agreement_page  # its withheld dates, as such


def test_a_retracted_agreement_stub_keeps_its_dates(client, partnership):
    agreement = factories.AgreementFactory(
        partnership=partnership,
        title="Retracted MOU",
        signed_on=dt.date(2024, 1, 5),
        effective_from=dt.date(2024, 2, 1),
        expires_on=dt.date(2027, 1, 31),
        public_summary="SENTINEL-RETRACTED-SUMMARY",
    )
    factories.DataSharingTermFactory(agreement=agreement, purpose="SENTINEL-RETRACTED-PURPOSE")
    retract(agreement, reason="It was entered twice.")
    page = get(client, agreement.get_absolute_url(), status=410)
    text = text_of(page)
    assert "Retracted MOU" in text
    assert "Signed 5 January 2024" in text
    assert "In effect from 1 February 2024" in text
    assert "Expires 31 January 2027" in text
    assert "Retracted on 2 March 2026 because It was entered twice." in text
    assert "SENTINEL" not in page
    # The partnership page no longer lists it.
    assert "Retracted MOU" not in get(client, partnership.get_absolute_url())


def test_staff_still_get_the_full_page_of_a_retracted_record(client, withheld, ngo_editor):
    retract(withheld.partnership)
    client.force_login(ngo_editor)
    text = text_of(get(client, withheld.partnership.get_absolute_url()))
    assert "Retracted on 2 March 2026: The agreement was never signed." in text
    assert "SENTINEL-OBJECTIVES" in text


def test_a_restricted_retracted_record_stays_not_found(client, partnership):
    retract(partnership)
    Partnership.objects.filter(pk=partnership.pk).update(visibility=Visibility.RESTRICTED)
    get(client, partnership.get_absolute_url(), status=404)


# Embargoes -----------------------------------------------------------------------------


def embargo(record, *, until=None, announced=True, reason=""):
    type(record).objects.filter(pk=record.pk).update(
        publication_status=PublicationStatus.EMBARGOED,
        embargoed_until=until,
        embargo_indefinite=until is None,
        embargo_reason=reason or ("SENTINEL-EMBARGO-REASON" if until is None else ""),
        embargo_announced=announced,
    )
    record.refresh_from_db()


def test_an_announced_embargo_shows_the_title_and_the_date_only(client, withheld):
    embargo(withheld.partnership, until=dt.date(2027, 6, 1))
    page = get(client, withheld.partnership.get_absolute_url())
    text = text_of(page)
    assert "Lantern Shelter Partnership" in text
    assert "To be published on 1 June 2027." in text
    assert "patrol" not in text and "Riverside Police" not in text
    assert_withheld_values_absent(page, "the embargo stub")
    # Its agreements are not announced with it.
    get(client, withheld.agreement.get_absolute_url(), status=404)
    for url in (reverse("public:home"), reverse("public:registry")):
        announced = text_of(get(client, url))
        assert "Announced" in announced
        assert "Lantern Shelter Partnership — to be published on 1 June 2027" in announced


def test_an_indefinite_embargo_keeps_its_reason_from_the_public(client, withheld, ngo_editor):
    embargo(withheld.partnership)
    page = get(client, withheld.partnership.get_absolute_url())
    assert "Embargoed until further notice." in text_of(page)
    assert "SENTINEL" not in page
    client.force_login(ngo_editor)
    assert "announced to the public" in text_of(
        get(client, withheld.partnership.get_absolute_url())
    )


def test_an_unannounced_embargo_is_not_found(client, withheld):
    embargo(withheld.partnership, until=dt.date(2027, 6, 1), announced=False)
    get(client, withheld.partnership.get_absolute_url(), status=404)
    assert "Lantern" not in get(client, reverse("public:registry"))
    assert "Lantern" not in get(client, reverse("public:home"))


def test_an_announced_agreement_of_a_published_partnership_has_a_stub(client, partnership):
    agreement = factories.AgreementFactory(
        partnership=partnership, title="Announced MOU", public_summary="SENTINEL-X"
    )
    embargo(agreement, until=dt.date(2027, 6, 1))
    page = get(client, agreement.get_absolute_url())
    assert "To be published on 1 June 2027." in text_of(page)
    assert "SENTINEL" not in page
    # Its partnership's page lists it with the date, and only that.
    listed = get(client, partnership.get_absolute_url())
    assert "Announced MOU — to be published on 1 June 2027" in text_of(listed)
    assert agreement.get_absolute_url() in listed
    assert "SENTINEL" not in listed


def test_an_unannounced_agreement_is_not_listed_on_its_partnership_page(client, partnership):
    agreement = factories.AgreementFactory(partnership=partnership, title="Quiet MOU")
    embargo(agreement, until=dt.date(2027, 6, 1), announced=False)
    assert "Quiet MOU" not in get(client, partnership.get_absolute_url())


# The preview ---------------------------------------------------------------------------


@pytest.fixture
def draft(withheld):
    """The withheld fixture as a draft, with a published, a draft and a restricted
    agreement besides, a private document version and a review with notes."""
    Partnership.objects.filter(pk=withheld.partnership.pk).update(
        publication_status=PublicationStatus.DRAFT
    )
    factories.AgreementFactory(
        partnership=withheld.partnership,
        title="SENTINEL draft annex",
        publication_status=PublicationStatus.DRAFT,
    )
    factories.AgreementFactory(
        partnership=withheld.partnership,
        title="SENTINEL restricted annex",
        visibility=Visibility.RESTRICTED,
    )
    factories.AgreementDocumentFactory(
        agreement=withheld.agreement, version=2, sha256=hashlib.sha256(b"x").hexdigest()
    )
    withheld.review.notes = "SENTINEL review notes"
    withheld.review.save()
    withheld.partnership.refresh_from_db()
    return withheld


def test_the_preview_shows_staff_what_the_public_will_see(client, draft, ngo_editor, police):
    client.force_login(ngo_editor)
    full = get(client, draft.partnership.get_absolute_url())
    assert "SENTINEL draft annex" in full and "Edit partnership" in full
    page = get(client, draft.partnership.get_absolute_url() + "?preview=public")
    text = text_of(page)
    assert "Preview: what the public will see once this record is published" in text
    assert '<meta name="robots" content="noindex">' in page
    assert f'href="{draft.partnership.get_absolute_url()}"' in page  # back to the full page
    assert_withheld_values_absent(page, "the preview")
    assert "Withheld — Survivor safety" in text
    assert "Lantern referral protocol" in text  # published: the public will see it
    assert hashlib.sha256(b"x").hexdigest() not in page  # not a public version
    for staff_only in ("Edit partnership", "Add an agreement", "Publication…", "Private notes"):
        assert staff_only not in text


def test_the_preview_of_an_agreement(client, draft, ngo_editor):
    client.force_login(ngo_editor)
    page = get(client, draft.agreement.get_absolute_url() + "?preview=public")
    assert "Preview: what the public will see" in page
    assert_withheld_values_absent(page, "the agreement's preview")
    assert "Edit agreement" not in page and "Upload a document version" not in page


def test_the_preview_hides_review_notes_from_oversight_members(client, draft, board_member):
    client.force_login(board_member)
    assert "SENTINEL review notes" in get(client, draft.partnership.get_absolute_url())
    page = get(client, draft.partnership.get_absolute_url() + "?preview=public")
    assert "SENTINEL" not in page


def without_request_tokens(page: str) -> str:
    """The page less what differs on every answer: the CSRF token and the scripts' nonce."""
    return re.sub(r'"X-CSRFToken": "[^"]*"|nonce="[^"]*"', "", page)


def test_preview_changes_nothing_for_the_public(client, withheld):
    url = withheld.partnership.get_absolute_url()
    public = get(client, url)
    preview = get(client, url + "?preview=public")
    assert "Preview:" not in preview
    assert_withheld_values_absent(preview, "an anonymous preview")
    # Only the page's own address (og:url) differs.
    assert without_request_tokens(preview).replace("?preview=public", "") == (
        without_request_tokens(public)
    )


def test_preview_of_an_unpublished_record_is_not_found_for_others(client, draft, other_ngo_editor):
    url = draft.partnership.get_absolute_url() + "?preview=public"
    get(client, url, status=404)
    client.force_login(other_ngo_editor)
    get(client, url, status=404)


# The publication state for staff -------------------------------------------------------


def test_staff_see_the_publication_state_and_a_link_to_the_publication_page(
    client, draft, ngo_editor
):
    client.force_login(ngo_editor)
    page = get(client, draft.partnership.get_absolute_url())
    text = text_of(page)
    assert "Draft" in text
    publication = reverse("agreements:partnership_publication", kwargs={"pk": draft.partnership.pk})
    assert f'href="{publication}"' in page
    agreement_publication = reverse(
        "agreements:agreement_publication", kwargs={"pk": draft.agreement.pk}
    )
    assert f'href="{agreement_publication}"' in page
    assert 'href="?preview=public"' in page


def test_the_public_sees_no_publication_state(client, withheld):
    page = get(client, withheld.partnership.get_absolute_url())
    assert "Publication…" not in page
    assert "?preview=public" not in page
