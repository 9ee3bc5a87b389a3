"""Sources in staff hands: cited, corrected and removed from the staff pages, one source
per address, and only by the editors of the record."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from agreements.models import AgreementSourceEvent
from partnerships import services
from partnerships.models import PartnershipSourceEvent, Source, Visibility
from publication.choices import PublicationStatus
from publication.models import Revision
from tests import factories

pytestmark = pytest.mark.django_db

GOOD = {
    "url": "https://news.example.org/safe-harbour-mou",
    "title": "Police and refuge sign referral pact",
    "kind": Source.Kind.NEWS_REPORT,
    "published_on": "2024-03-05",
    "archived_url": "",
}


def add_url(partnership):
    return reverse("partnerships:source_add", kwargs={"slug": partnership.slug})


def test_it_cites_a_new_source_on_a_partnership_and_audits_the_link(
    client, ngo_editor, partnership
):
    client.force_login(ngo_editor)
    response = client.post(add_url(partnership), GOOD)
    assert response.status_code == 302
    assert response["Location"] == partnership.get_absolute_url() + "#sources"
    source = Source.objects.get(url=GOOD["url"])
    assert source.title == GOOD["title"]
    assert str(source.published_on) == "2024-03-05"
    assert list(partnership.sources.all()) == [source]
    links = PartnershipSourceEvent.objects.filter(partnership_id=partnership.pk)
    assert [(e.pgh_label, e.source_id) for e in links] == [("create", source.pk)]


def test_a_bad_url_is_an_error_next_to_the_field_and_nothing_typed_is_lost(
    client, ngo_editor, partnership
):
    client.force_login(ngo_editor)
    response = client.post(add_url(partnership), {**GOOD, "url": "not a web address"})
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["url"]
    page = response.content.decode()
    assert 'id="id_url_error"' in page
    assert 'value="Police and refuge sign referral pact"' in page
    assert 'value="not a web address"' in page
    assert 'value="2024-03-05"' in page
    assert Source.objects.count() == 0


def test_an_address_the_registry_has_is_cited_as_recorded_not_duplicated(
    client, ngo_editor, partnership
):
    elsewhere = factories.PartnershipFactory()
    existing = factories.SourceFactory(url=GOOD["url"], title="The original report")
    elsewhere.sources.add(existing)
    client.force_login(ngo_editor)
    response = client.post(add_url(partnership), {**GOOD, "title": "Another title"})
    assert response.status_code == 302
    assert Source.objects.count() == 1
    existing.refresh_from_db()
    assert existing.title == "The original report"
    assert list(partnership.sources.all()) == [existing]
    assert list(elsewhere.sources.all()) == [existing]


def test_citing_the_same_source_twice_is_a_field_error(client, ngo_editor, partnership):
    partnership.sources.add(factories.SourceFactory(url=GOOD["url"]))
    client.force_login(ngo_editor)
    response = client.post(add_url(partnership), GOOD)
    assert response.status_code == 200
    assert "cited here already" in response.context["form"].errors["url"][0]
    assert partnership.sources.count() == 1


@pytest.mark.parametrize(
    ("visibility", "status"), [(Visibility.PUBLIC, 403), (Visibility.RESTRICTED, 404)]
)
def test_another_organizations_editor_is_refused(
    client, ngo, police, other_ngo_editor, visibility, status
):
    partnership = factories.partnership_with_parties(ngo=ngo, police=police, visibility=visibility)
    agreement = factories.AgreementFactory(partnership=partnership, visibility=visibility)
    client.force_login(other_ngo_editor)
    assert client.post(add_url(partnership), GOOD).status_code == status
    agreement_url = reverse("agreements:source_add", kwargs={"pk": agreement.pk})
    assert client.post(agreement_url, GOOD).status_code == status
    assert Source.objects.count() == 0
    with pytest.raises(PermissionDenied):
        services.source_add(record=partnership, actor=other_ngo_editor, data=GOOD)


def test_a_published_agreement_shows_a_new_source_at_once_without_a_revision(
    client, ngo_editor, partnership
):
    agreement = factories.AgreementFactory(partnership=partnership)
    client.force_login(ngo_editor)
    url = reverse("agreements:source_add", kwargs={"pk": agreement.pk})
    assert client.post(url, GOOD).status_code == 302
    agreement.refresh_from_db()
    assert agreement.publication_status == PublicationStatus.PUBLISHED
    assert Revision.objects.count() == 0
    assert [s.url for s in agreement.sources.all()] == [GOOD["url"]]
    assert AgreementSourceEvent.objects.filter(agreement_id=agreement.pk).count() == 1
    client.logout()
    assert GOOD["title"] in client.get(agreement.get_absolute_url()).content.decode()


def test_a_submitted_partnership_stays_submitted_when_a_source_is_cited(ngo_editor, partnership):
    partnership.publication_status = PublicationStatus.SUBMITTED
    partnership.save()
    services.source_add(record=partnership, actor=ngo_editor, data=GOOD)
    partnership.refresh_from_db()
    assert partnership.publication_status == PublicationStatus.SUBMITTED


def test_an_editor_corrects_a_source_only_their_records_cite(client, ngo_editor, partnership):
    source = factories.SourceFactory(title="Tpyo")
    partnership.sources.add(source)
    client.force_login(ngo_editor)
    url = reverse(
        "partnerships:source_edit", kwargs={"slug": partnership.slug, "source_pk": source.pk}
    )
    assert client.get(url).status_code == 200
    response = client.post(url, {**GOOD, "title": "Typo fixed"})
    assert response.status_code == 302
    source.refresh_from_db()
    assert (source.title, source.url) == ("Typo fixed", GOOD["url"])


def test_a_source_other_organizations_cite_too_is_not_corrected_by_one_of_them(
    client, ngo_editor, partnership
):
    source = factories.SourceFactory(title="Shared")
    partnership.sources.add(source)
    factories.PartnershipFactory().sources.add(source)
    client.force_login(ngo_editor)
    url = reverse(
        "partnerships:source_edit", kwargs={"slug": partnership.slug, "source_pk": source.pk}
    )
    assert client.post(url, {**GOOD, "title": "Taken over"}).status_code == 403
    source.refresh_from_db()
    assert source.title == "Shared"


def test_a_correction_to_an_address_another_source_has_is_a_field_error(
    client, ngo_editor, partnership
):
    factories.SourceFactory(url=GOOD["url"])
    source = factories.SourceFactory()
    partnership.sources.add(source)
    client.force_login(ngo_editor)
    url = reverse(
        "partnerships:source_edit", kwargs={"slug": partnership.slug, "source_pk": source.pk}
    )
    response = client.post(url, GOOD)
    assert response.status_code == 200
    assert "has this address already" in response.context["form"].errors["url"][0]
    assert 'value="Police and refuge sign referral pact"' in response.content.decode()


def test_a_source_of_another_record_is_a_404(client, ngo_editor, partnership):
    other = factories.SourceFactory()
    factories.PartnershipFactory().sources.add(other)
    client.force_login(ngo_editor)
    url = reverse(
        "partnerships:source_edit", kwargs={"slug": partnership.slug, "source_pk": other.pk}
    )
    assert client.get(url).status_code == 404


def test_removing_a_source_stops_citing_it_and_keeps_it_for_the_others(
    client, ngo_editor, partnership
):
    source = factories.SourceFactory()
    partnership.sources.add(source)
    elsewhere = factories.PartnershipFactory()
    elsewhere.sources.add(source)
    client.force_login(ngo_editor)
    url = reverse(
        "partnerships:source_remove", kwargs={"slug": partnership.slug, "source_pk": source.pk}
    )
    assert client.post(url).status_code == 302
    assert partnership.sources.count() == 0
    assert list(elsewhere.sources.all()) == [source]
    labels = PartnershipSourceEvent.objects.filter(partnership_id=partnership.pk)
    assert [e.pgh_label for e in labels.order_by("pgh_id")] == ["create", "delete"]
