"""Nothing private reaches a public page or feed: a crawl of everything an anonymous
reader can reach from the home page, checked for every private sentinel value."""

import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import urldefrag, urlsplit

import pytest
from django.urls import reverse

from agreements.models import Agreement, DataSharingTerm
from oversight.models import Review
from partnerships.models import Membership, Partnership
from publication.choices import PublicationStatus
from publication.models import Withholding
from publication.services import revision_store
from tests import factories
from tests.publication.withheld import withhold

from .conftest import assert_no_private_value

pytestmark = pytest.mark.django_db

# "Alert me" (/alerts/new/) asks a follower to log in first; the sign-up page is crawled.
NOT_PUBLIC_PAGES = ("/admin/", "/accounts/", "/static/", "/healthz", "/alerts/new/")
LINK = re.compile(r'(?:href|src)="([^"]+)"')


def crawl(client, start: list[str], statuses=(200, 404), limit: int = 400) -> dict[str, str]:
    """Every same-site page reachable from ``start``: {url: body} (the 410 stubs of
    retracted records included, when ``statuses`` allows them)."""
    seen, queue, bodies = set(start), list(start), {}
    while queue and len(bodies) < limit:
        url = queue.pop(0)
        response = client.get(url)
        assert response.status_code in statuses, (url, response.status_code)
        if response.status_code not in (200, 410):
            continue
        body = response.content.decode() if not response.streaming else ""
        bodies[url] = body
        for link in LINK.findall(body):
            link = urldefrag(link.replace("&amp;", "&"))[0]
            parts = urlsplit(link)
            if parts.netloc not in ("", "testserver") or not parts.path.startswith("/"):
                continue
            link = parts.path + (f"?{parts.query}" if parts.query else "")
            if link.startswith(NOT_PUBLIC_PAGES) or link in seen:
                continue
            seen.add(link)
            queue.append(link)
    return bodies


def test_no_private_value_on_any_public_page_or_feed(client, public_registry):
    start = [reverse("public:home"), "/sitemap.xml", "/robots.txt"]
    pages = crawl(client, start)
    # The crawl reached the records around the sentinels.
    for expected in (
        public_registry.partnership.get_absolute_url(),
        public_registry.agreement.get_absolute_url(),
        "/organizations/safe-harbour/",
        "/organizations/civilian-board/",
        reverse("feeds:flags"),
        reverse("feeds:agreements"),
        reverse("public:methodology"),
        reverse(
            "agreements:document_text",
            kwargs={"pk": public_registry.agreement.pk, "version": 1},
        ),
    ):
        assert expected in pages, f"the crawl never reached {expected}"
    for url, body in pages.items():
        assert_no_private_value(body, url)


def test_the_text_of_an_unpublished_version_is_not_found(client, public_registry):
    pk = public_registry.agreement.pk
    for url in (
        reverse("agreements:document_text", kwargs={"pk": pk, "version": 2}),
        reverse("agreements:document_compare", kwargs={"pk": pk}) + "?from=1&to=2",
        f"/api/v1/agreements/{pk}/documents/compare/?from=1&to=2",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert_no_private_value(response.content.decode(), url)


def test_restricted_records_are_not_found(client, public_registry):
    for url in (
        public_registry.restricted.get_absolute_url(),
        public_registry.restricted_agreement.get_absolute_url(),
        "/organizations/sentinel-proposed/",
    ):
        assert client.get(url).status_code == 404, url


# The publication workflow: withheld values, and records that are not (or no longer)
# published, each with sentinels of their own ------------------------------------------

WITHHELD_WORD = "Marigold"  # in a withheld value only: a search for it finds nothing


@dataclass
class Unpublished:
    draft: Partnership
    submitted: Partnership
    embargoed: Partnership  # not announced
    announced: Partnership
    retracted: Partnership
    retracted_agreement: Agreement  # of the public partnership
    draft_agreement: Agreement  # of the public partnership


def with_parties_and_agreement(public_registry, **kwargs) -> Partnership:
    partnership = factories.partnership_with_parties(
        ngo=public_registry.ngo, police=public_registry.police, **kwargs
    )
    agreement = factories.AgreementFactory(
        partnership=partnership,
        title=f"{partnership.title} MOU",
        public_summary=f"SENTINEL agreement of {partnership.slug}",
    )
    factories.DataSharingTermFactory(agreement=agreement, purpose=f"SENTINEL {partnership.slug}")
    return partnership


@pytest.fixture
def unpublished(public_registry) -> Unpublished:
    """The public registry, with a value withheld in each kind of record of its public
    partnership, and partnerships and agreements in every other state of the workflow."""
    partnership, agreement = public_registry.partnership, public_registry.agreement
    Partnership.objects.filter(pk=partnership.pk).update(
        public_summary=f"SENTINEL-withheld-summary: the {WITHHELD_WORD} shelter.",
        roles_and_responsibilities="SENTINEL-withheld-roles",
    )
    withhold(partnership, "public_summary")
    withhold(partnership, "roles_and_responsibilities")
    Agreement.objects.filter(pk=agreement.pk).update(reference="SENTINEL-withheld-reference")
    withhold(agreement, "reference")
    term = agreement.data_sharing_terms.order_by("pk").first()
    DataSharingTerm.objects.filter(pk=term.pk).update(legal_instrument="SENTINEL-instrument")
    withhold(term, "legal_instrument")
    review = agreement.reviews.get()
    Review.objects.filter(pk=review.pk).update(
        public_summary="SENTINEL-withheld-review",
        conflict_of_interest=Review.ConflictOfInterest.DECLARED,
        declared_ties="SENTINEL-withheld-ties",
    )
    withhold(review, "public_summary")
    withhold(review, "declared_ties")
    withhold(agreement.documents.get(version=1), "file")
    # Changes of the published records waiting for approval.
    for record in (partnership, agreement):
        revision_store(
            record=record,
            actor=None,
            form_data={"title": "SENTINEL-revision title", "public_summary": "SENTINEL-revised"},
        )

    states = PublicationStatus
    draft = with_parties_and_agreement(
        public_registry, title="SENTINEL-draft partnership", publication_status=states.DRAFT
    )
    submitted = with_parties_and_agreement(
        public_registry,
        title="SENTINEL-submitted partnership",
        publication_status=states.SUBMITTED,
    )
    embargoed = with_parties_and_agreement(
        public_registry,
        title="SENTINEL-embargoed partnership",
        publication_status=states.EMBARGOED,
        embargoed_until=dt.date(2031, 1, 1),
    )
    announced = with_parties_and_agreement(
        public_registry,
        title="Announced partnership",
        slug="announced",
        public_summary="SENTINEL-announced summary",
        publication_status=states.EMBARGOED,
        embargo_indefinite=True,
        embargo_reason="SENTINEL-embargo reason",
        embargo_announced=True,
    )
    retracted = with_parties_and_agreement(
        public_registry,
        title="Retracted partnership",
        slug="retracted",
        public_summary="SENTINEL-retracted summary",
        objectives="SENTINEL-retracted objectives",
        publication_status=states.RETRACTED,
        retracted_on=dt.date(2026, 2, 1),
        retraction_reason="It duplicated another entry.",
    )
    retracted_agreement = factories.AgreementFactory(
        partnership=partnership,
        title="Retracted protocol",
        public_summary="SENTINEL-retracted agreement summary",
        publication_status=states.RETRACTED,
        retracted_on=dt.date(2026, 2, 1),
        retraction_reason="It was entered twice.",
    )
    draft_agreement = factories.AgreementFactory(
        partnership=partnership,
        title="SENTINEL-draft protocol",
        publication_status=states.DRAFT,
    )
    return Unpublished(
        draft, submitted, embargoed, announced, retracted, retracted_agreement, draft_agreement
    )


def stub_urls(unpublished: Unpublished) -> list[str]:
    return [
        unpublished.announced.get_absolute_url(),
        unpublished.retracted.get_absolute_url(),
        unpublished.retracted.agreements.get().get_absolute_url(),
        unpublished.retracted_agreement.get_absolute_url(),
    ]


def test_no_withheld_or_unpublished_value_on_any_public_page(client, public_registry, unpublished):
    registry = reverse("public:registry")
    start = [
        reverse("public:home"),
        registry,
        f"{registry}?search=harbour",
        f"{registry}?search={WITHHELD_WORD}",
        *stub_urls(unpublished),
    ]
    pages = crawl(client, start, statuses=(200, 404, 410))
    for expected in (
        public_registry.partnership.get_absolute_url(),
        public_registry.agreement.get_absolute_url(),
        "/organizations/safe-harbour/",
        "/organizations/riverside-police/",
        reverse("public:methodology"),
        *stub_urls(unpublished),
    ):
        assert expected in pages, f"the crawl never reached {expected}"
    for url, body in pages.items():
        assert_no_private_value(body, url)
    # The stubs say what they are, and the search for a withheld word finds nothing.
    assert "To be published" not in pages[unpublished.announced.get_absolute_url()]
    assert "Embargoed until further notice." in pages[unpublished.announced.get_absolute_url()]
    assert "Retracted on 1 February 2026" in pages[unpublished.retracted.get_absolute_url()]
    assert "Harbour Anti-Trafficking" in pages[f"{registry}?search=harbour"]
    assert "Harbour Anti-Trafficking" not in pages[f"{registry}?search={WITHHELD_WORD}"]


def test_unpublished_records_are_not_found_and_retracted_ones_gone(client, unpublished):
    for record in (
        unpublished.draft,
        unpublished.submitted,
        unpublished.embargoed,
        unpublished.draft_agreement,
        unpublished.draft.agreements.get(),
        unpublished.announced.agreements.get(),
    ):
        assert client.get(record.get_absolute_url()).status_code == 404, record
    for url in stub_urls(unpublished)[1:]:
        assert client.get(url).status_code == 410, url


def test_the_staff_preview_shows_nothing_the_public_may_not_see(
    client, public_registry, unpublished
):
    # The ngo_editor persona, of the public registry's NGO.
    ngo_editor = factories.MembershipFactory(
        organization=public_registry.ngo, role=Membership.Role.EDITOR, user__username="ngo_editor"
    ).user
    client.force_login(ngo_editor)
    for record in (public_registry.partnership, public_registry.agreement):
        full = client.get(record.get_absolute_url()).content.decode()
        assert "SENTINEL" in full  # the staff page has them all
        preview = client.get(f"{record.get_absolute_url()}?preview=public").content.decode()
        assert "Preview: what the public will see" in preview
        assert_no_private_value(preview, f"the preview of {record}")


def test_an_anonymous_preview_shows_nothing_more(client, public_registry, unpublished):
    pages = crawl(client, [reverse("public:home"), *stub_urls(unpublished)], (200, 404, 410))
    for url in pages:
        separator = "&" if "?" in url else "?"
        for preview in ("public", "revision"):
            response = client.get(f"{url}{separator}preview={preview}")
            body = response.content.decode() if not response.streaming else ""
            assert "Preview:" not in body, url
            assert_no_private_value(body, f"{url} with ?preview={preview}")


def test_the_values_are_published_once_released_and_the_records_published(
    client, public_registry, unpublished
):
    Withholding.objects.all().delete()
    Partnership.objects.update(publication_status=PublicationStatus.PUBLISHED)
    Agreement.objects.update(publication_status=PublicationStatus.PUBLISHED)

    page = client.get(public_registry.partnership.get_absolute_url()).content.decode()
    for value in (
        "SENTINEL-withheld-summary",
        "SENTINEL-withheld-roles",
        "SENTINEL-withheld-reference",
        "SENTINEL-instrument",
        "SENTINEL-withheld-review",
        "SENTINEL-withheld-ties",
        "SENTINEL-draft protocol",
        "Retracted protocol",
    ):
        assert value in page, value
    download = reverse("agreements:document_download", args=[public_registry.agreement.pk, 1])
    assert download in page
    for partnership, value in (
        (unpublished.draft, "SENTINEL-draft partnership"),
        (unpublished.submitted, "SENTINEL-submitted partnership"),
        (unpublished.embargoed, "SENTINEL-embargoed partnership"),
        (unpublished.announced, "SENTINEL-announced summary"),
        (unpublished.retracted, "SENTINEL-retracted objectives"),
    ):
        response = client.get(partnership.get_absolute_url())
        assert response.status_code == 200
        assert value in response.content.decode()
    registry = client.get(f"{reverse('public:registry')}?search={WITHHELD_WORD}")
    assert "Harbour Anti-Trafficking" in registry.content.decode()
