"""Change histories: the public one (public fields, organizations, never people or private
values) and the staff history page for oversight board members."""

import dataclasses

import pytest
from django.urls import reverse

from agreements.models import Agreement, AgreementDocument
from audit.history import public_history
from oversight.models import Review
from partnerships.models import Membership, Organization, Partnership, Visibility
from partnerships.services import partnership_update
from publication.services import revision_store
from tests import factories
from tests.publication.revised import approve_changes

pytestmark = pytest.mark.django_db

SENTINEL = "SENTINEL-PRIVATE-7f3a"


def walk(value):
    """Every string in a history, however deep: what a page or the API could show."""
    if dataclasses.is_dataclass(value):
        for item in dataclasses.asdict(value).values():
            yield from walk(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from walk(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from walk(item)
    elif value is not None:
        yield str(value)


def assert_no_sentinel(history):
    leaked = [text for text in walk(history) if SENTINEL in text]
    assert leaked == []


@pytest.fixture
def sentinel_person(ngo):
    """An editor whose every personal detail carries the sentinel."""
    user = factories.UserFactory(
        username=f"{SENTINEL}-user",
        email=f"{SENTINEL}@example.org",
        first_name=SENTINEL,
        last_name=SENTINEL,
    )
    factories.MembershipFactory(user=user, organization=ngo, role=Membership.Role.EDITOR)
    return user


def edit_partnership_as(client, user, partnership, **changes):
    client.force_login(user)
    url = reverse("partnerships:edit", kwargs={"slug": partnership.slug})
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k != "focus_areas"}
    data.update(country="GB", established_on="2020-01-01", **changes)
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    approve_changes(partnership)  # the edit of a published partnership waits for it


def test_the_public_history_names_the_organization_not_the_person(
    client, partnership, sentinel_person
):
    edit_partnership_as(client, sentinel_person, partnership, title="Safe referrals, renamed")
    history = public_history(partnership)
    latest = history[0]
    assert latest.action == "changed"
    assert latest.made_by == "Safe Harbour Women's Aid"
    assert [(c.label, c.new) for c in latest.changes] == [("Title", "Safe referrals, renamed")]
    assert latest.person is None
    assert_no_sentinel(history)


def approved_edit(partnership, editor, **data) -> None:
    """An edit of a published partnership, as its approval applies it."""
    revision = revision_store(record=partnership, actor=editor, form_data=data)
    partnership_update(partnership=partnership, actor=editor, data=data, revision=revision)


def test_the_public_history_is_newest_first_with_old_and_new_values(partnership, ngo_editor):
    first = partnership.title
    approved_edit(partnership, ngo_editor, title="Second")
    approved_edit(partnership, ngo_editor, title="Third")
    titles = [
        (c.old, c.new)
        for entry in public_history(partnership)
        for c in entry.changes
        if c.name == "title"
    ]
    assert titles == [("Second", "Third"), (first, "Second"), (None, first)]


def test_the_public_history_includes_parties(partnership, other_ngo):
    factories.PartnershipPartyFactory(
        partnership=partnership, organization=other_ngo, role="partner_ngo"
    )
    latest = public_history(partnership)[0]
    assert (latest.record, latest.action) == ("Party", "created")
    assert ("Organization", "Elsewhere Youth Trust") in [(c.label, c.new) for c in latest.changes]
    assert ("Role", "Partner NGO") in [(c.label, c.new) for c in latest.changes]


def test_private_fields_never_reach_the_public_history(partnership, ngo, police):
    """A sentinel in every private field and in every restricted record: none of it
    appears in the public history of the partnership or of its agreement."""
    agreement = factories.AgreementFactory(partnership=partnership, title="Public MOU")
    # Private fields of public records.
    uploader = factories.UserFactory(username=f"{SENTINEL}-uploader")
    factories.AgreementDocumentFactory(agreement=agreement, is_public=True, uploaded_by=uploader)
    factories.AgreementDocumentFactory(
        agreement=agreement, is_public=False, sha256="ab" * 32, size_bytes=4242
    )
    review = factories.ReviewFactory(agreement=agreement, notes=SENTINEL)
    Review.objects.filter(pk=review.pk).update(notes=f"{SENTINEL} again")
    Organization.objects.filter(pk=ngo.pk).update(proposed_by=uploader)
    # A restricted agreement of the public partnership, and values typed while the
    # partnership was restricted.
    factories.AgreementFactory(
        partnership=partnership, title=SENTINEL, visibility=Visibility.RESTRICTED
    )
    hidden_then = factories.partnership_with_parties(
        ngo=ngo, police=police, title=SENTINEL, visibility=Visibility.RESTRICTED
    )
    Partnership.objects.filter(pk=hidden_then.pk).update(public_summary=f"{SENTINEL} summary")
    hidden_agreement = factories.AgreementFactory(partnership=hidden_then, reference=SENTINEL)
    Partnership.objects.filter(pk=hidden_then.pk).update(
        visibility=Visibility.PUBLIC, title="Now public", public_summary="Published summary"
    )
    # A proposed (unconfirmed) organization becomes a party.
    proposed = factories.NgoFactory(name=SENTINEL, is_confirmed=False)
    factories.PartnershipPartyFactory(partnership=partnership, organization=proposed)

    histories = [
        public_history(partnership),
        public_history(agreement),
        public_history(hidden_then),
        public_history(hidden_agreement),
    ]
    assert all(histories[:3])
    # Everything about the agreement happened while its partnership was restricted.
    assert histories[3] == []
    assert_no_sentinel(histories)
    # Publishing shows the new values only.
    published = public_history(hidden_then)
    publication = next(entry for entry in published if entry.action == "published")
    assert ("Title", None, "Now public") in [(c.label, c.old, c.new) for c in publication.changes]
    # The unpublished document version is not in the agreement's history.
    documents = [e for e in public_history(agreement) if e.record == "Document version"]
    assert len(documents) == 1
    assert "4242" not in list(walk(documents))


def test_a_change_while_restricted_is_not_shown_after_publication(partnership):
    Partnership.objects.filter(pk=partnership.pk).update(visibility=Visibility.RESTRICTED)
    Partnership.objects.filter(pk=partnership.pk).update(title=f"{SENTINEL} working title")
    Partnership.objects.filter(pk=partnership.pk).update(
        visibility=Visibility.PUBLIC, title="Final title"
    )
    history = public_history(partnership)
    assert_no_sentinel(history)
    assert history[0].action == "published"


def test_the_job_is_named_in_the_public_history(partnership):
    from django.core.management import call_command

    agreement = factories.AgreementFactory(
        partnership=partnership, status="active", auto_expire=True, expires_on="2025-01-01"
    )
    call_command("run_flagging", stdout=open("/dev/null", "w"))  # noqa: SIM115
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.EXPIRED
    latest = public_history(agreement)[0]
    assert latest.made_by == "The registry (run_flagging)"
    assert [(c.label, c.old, c.new) for c in latest.changes] == [("Status", "Active", "Expired")]


def test_public_history_costs_the_same_queries_for_one_change_and_many(
    partnership, django_assert_max_num_queries
):
    agreement = factories.AgreementFactory(partnership=partnership)
    with django_assert_max_num_queries(4):
        assert len(public_history(agreement)) == 1
    for n in range(30):
        Agreement.objects.filter(pk=agreement.pk).update(title=f"Title {n}")
        factories.DataSharingTermFactory(agreement=agreement)
        factories.AgreementSignatoryFactory(agreement=agreement)
    # The events, the names, and for each kind of record with public fields that may be
    # withheld (agreement, term) its withheld fields (and its content type, once).
    with django_assert_max_num_queries(6):
        assert len(public_history(agreement)) == 91
    with django_assert_max_num_queries(4):
        assert len(public_history(agreement)) == 91


# The staff history page -------------------------------------------------------------


def history_url(model, pk):
    return reverse("oversight:record_history", kwargs={"model": model, "pk": pk})


def test_a_board_member_sees_private_fields_and_the_person(
    client, board_member, partnership, sentinel_person
):
    edit_partnership_as(client, sentinel_person, partnership, objectives="Fewer repeat visits")
    agreement = factories.AgreementFactory(partnership=partnership)
    review = factories.ReviewFactory(agreement=agreement, notes="Private reviewer notes")
    client.force_login(board_member)
    page = client.get(history_url("partnership", partnership.pk)).content.decode()
    assert f"{SENTINEL}-user (user #{sentinel_person.pk})" in page
    assert "Fewer repeat visits" in page
    review_page = client.get(history_url("review", review.pk)).content.decode()
    assert "Private reviewer notes" in review_page


def test_the_history_of_a_deleted_record_stays_readable(client, board_member, partnership):
    agreement = factories.AgreementFactory(partnership=partnership, title="Withdrawn MOU")
    pk = agreement.pk
    agreement.delete()
    client.force_login(board_member)
    response = client.get(history_url("agreement", pk))
    assert response.status_code == 200
    assert "(deleted)" in response.content.decode()
    assert "Withdrawn MOU" in response.content.decode()


@pytest.mark.parametrize("persona", ["ngo_editor", "police_editor", "other_ngo_editor"])
def test_parties_staff_may_not_see_the_full_history(client, request, persona, partnership):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(history_url("partnership", partnership.pk)).status_code == 403


def test_anonymous_readers_are_sent_to_log_in(client, partnership):
    response = client.get(history_url("partnership", partnership.pk))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.parametrize(("model", "pk"), [("nonsense", 1), ("agreement", 999_999)])
def test_an_unknown_kind_or_record_is_404(client, board_member, model, pk):
    client.force_login(board_member)
    assert client.get(history_url(model, pk)).status_code == 404


def test_the_staff_history_page_costs_the_same_for_few_and_many_changes(
    client, board_member, partnership, django_assert_max_num_queries
):
    agreement = factories.AgreementFactory(partnership=partnership)
    client.force_login(board_member)
    url = history_url("agreement", agreement.pk)
    client.get(url)
    with django_assert_max_num_queries(12):
        client.get(url)
    for n in range(30):
        Agreement.objects.filter(pk=agreement.pk).update(title=f"Title {n}")
        factories.DataSharingTermFactory(agreement=agreement)
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.content.decode().count("<li>") >= 61


def test_documents_are_part_of_the_agreement_history_for_staff(client, board_member, partnership):
    agreement = factories.AgreementFactory(partnership=partnership)
    document = factories.AgreementDocumentFactory(agreement=agreement, is_public=False)
    AgreementDocument.objects.filter(pk=document.pk).update(is_public=True)
    client.force_login(board_member)
    page = client.get(history_url("agreement", agreement.pk)).content.decode()
    assert f"Document version #{document.pk}" in page


def test_focus_areas_and_sources_added_and_removed_are_in_the_public_history(partnership):
    area = factories.FocusAreaFactory(slug="human-trafficking")
    source = factories.SourceFactory(title="Council minutes, March")
    partnership.focus_areas.add(area)
    partnership.sources.add(source)
    partnership.focus_areas.remove(area)
    entries = [
        (e.record, e.action, [(c.label, c.old, c.new) for c in e.changes])
        for e in public_history(partnership)[:3]
    ]
    assert entries == [
        ("Focus area", "deleted", [("Focus area", "Human trafficking", None)]),
        ("Source", "created", [("Source", None, "Council minutes, March")]),
        ("Focus area", "created", [("Focus area", None, "Human trafficking")]),
    ]


def test_an_agreement_source_is_in_the_agreement_history(partnership):
    agreement = factories.AgreementFactory(partnership=partnership)
    agreement.sources.add(factories.SourceFactory(title="FOI response 2024/17"))
    latest = public_history(agreement)[0]
    assert (latest.record, latest.changes[0].new) == ("Source", "FOI response 2024/17")


def test_a_removed_party_is_named_in_the_public_history(partnership, other_ngo):
    party = factories.PartnershipPartyFactory(
        partnership=partnership, organization=other_ngo, role="partner_ngo"
    )
    party.delete()
    latest = public_history(partnership)[0]
    assert (latest.record, latest.action) == ("Party", "deleted")
    assert ("Organization", "Elsewhere Youth Trust", None) in [
        (c.label, c.old, c.new) for c in latest.changes
    ]


def test_the_staff_history_names_each_field_by_its_label_in_the_readers_language(
    client, board_member, partnership
):
    agreement = factories.AgreementFactory(partnership=partnership)
    Agreement.objects.filter(pk=agreement.pk).update(expires_on="2027-03-01")
    client.force_login(board_member)

    def page(language):
        url = history_url("agreement", agreement.pk)
        return client.get(url, headers={"accept-language": language}).content.decode()

    english, spanish = page("en"), page("es")
    assert '<th scope="row">Expires on</th>' in english
    assert '<th scope="row">expires_on</th>' not in english  # not the column's name
    assert '<th scope="row">Vence el</th>' in spanish
