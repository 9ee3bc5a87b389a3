"""An edit of an approved record waits for a second pair of eyes: the public keeps the
published version until the changes are approved (pending revisions)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from agreements import services
from agreements.models import Agreement
from partnerships.models import Partnership, PartnershipEvent
from publication.models import Revision, RevisionEvent
from tests import factories

from .test_agreement_pages import agreement_data, management, term

pytestmark = pytest.mark.django_db


def partnership_form_data(client, partnership, **changes) -> dict:
    form = client.get(reverse("partnerships:edit", kwargs={"slug": partnership.slug})).context[
        "form"
    ]
    data = {k: v for k, v in form.initial.items() if v is not None and k != "focus_areas"}
    data.update(changes)
    return data


def publication_url(record) -> str:
    kind = "partnership" if isinstance(record, Partnership) else "agreement"
    return reverse(f"agreements:{kind}_publication", kwargs={"pk": record.pk})


def propose_title(client, editor, partnership, title):
    client.force_login(editor)
    url = reverse("partnerships:edit", kwargs={"slug": partnership.slug})
    data = partnership_form_data(client, partnership, title=title)
    return client.post(url, data, follow=True)


def test_an_edit_of_a_published_partnership_waits_and_the_public_keeps_the_published_one(
    client, ngo_editor, partnership
):
    published_title = partnership.title
    response = propose_title(client, ngo_editor, partnership, "Renamed while published")

    assert "Your changes wait for approval" in response.content.decode()
    partnership.refresh_from_db()
    assert partnership.title == published_title
    revision = Revision.objects.of_record(partnership).get()
    assert revision.state == "pending" and revision.proposed_by == ngo_editor
    client.logout()
    public = client.get(partnership.get_absolute_url()).content.decode()
    assert published_title in public and "Renamed while published" not in public
    api = client.get(f"/api/v1/partnerships/{partnership.pk}/").json()
    assert api["title"] == published_title
    search = client.get("/api/v1/partnerships/?search=Renamed").json()
    assert search["count"] == 0


def test_the_edit_page_reopens_the_changes_and_saving_again_replaces_them(
    client, ngo_editor, partnership
):
    propose_title(client, ngo_editor, partnership, "First proposal")
    url = reverse("partnerships:edit", kwargs={"slug": partnership.slug})
    page = client.get(url)
    html = page.content.decode()
    assert 'value="First proposal"' in html
    assert "Changes wait for approval" in html
    data = dict(page.context["form"].data.items())
    data["title"] = "Second proposal"
    client.post(url, data)
    assert Revision.objects.of_record(partnership).open().get().form_data["title"] == [
        "Second proposal"
    ]
    assert Revision.objects.count() == 1


def test_another_party_sees_the_changes_previews_and_approves_them(
    client, ngo_editor, police_editor, partnership
):
    published_title = partnership.title
    propose_title(client, ngo_editor, partnership, "Approved new title")

    client.force_login(police_editor)
    page = client.get(publication_url(partnership))
    html = page.content.decode()
    assert "Changes waiting for approval" in html
    changes = [(c.what, c.before, c.after) for c in page.context["revision_changes"]]
    assert changes == [("Title", published_title, "Approved new title")]
    preview = client.get(f"{partnership.get_absolute_url()}?preview=revision")
    assert "Approved new title" in preview.content.decode()
    assert "once the changes waiting for approval are approved" in preview.content.decode()
    # The preview kept nothing.
    partnership.refresh_from_db()
    assert partnership.title == published_title
    assert Revision.objects.get().state == "pending"

    response = client.post(
        publication_url(partnership), {"action": "approve_revision"}, follow=True
    )
    assert "Changes approved: the public sees them now." in response.content.decode()
    partnership.refresh_from_db()
    assert partnership.title == "Approved new title"
    revision = Revision.objects.get()
    assert (revision.state, revision.decided_by) == ("approved", police_editor)
    client.logout()
    assert "Approved new title" in client.get(partnership.get_absolute_url()).content.decode()
    # The public history shows the change as the proposer's organization's.
    latest = client.get(f"/api/v1/partnerships/{partnership.pk}/history/").json()["results"][0]
    assert latest["changes"] == [
        {"field": "title", "label": "Title", "old": published_title, "new": "Approved new title"}
    ]
    assert latest["made_by"] == "Safe Harbour Women's Aid"


def test_nobody_approves_their_own_changes(client, ngo_editor, partnership):
    propose_title(client, ngo_editor, partnership, "My own change")
    page = client.get(publication_url(partnership))
    assert page.context["can"]["decide_revision"] is False
    assert "You proposed them" in page.content.decode()
    response = client.post(publication_url(partnership), {"action": "approve_revision"})
    assert response.status_code == 403
    partnership.refresh_from_db()
    assert partnership.title != "My own change"


def test_an_approver_sends_the_changes_back_and_the_editor_resubmits(
    client, ngo_editor, police_editor, partnership
):
    propose_title(client, ngo_editor, partnership, "Needs work")
    client.force_login(police_editor)
    refused = client.post(
        publication_url(partnership),
        {"action": "send_back_revision", "send_back_revision-comment": ""},
    )
    assert refused.status_code == 200
    assert refused.context["revision_send_back_form"].errors["comment"]
    client.post(
        publication_url(partnership),
        {"action": "send_back_revision", "send_back_revision-comment": "Spell out the city."},
    )
    revision = Revision.objects.get()
    assert (revision.state, revision.comment) == ("sent_back", "Spell out the city.")

    client.force_login(ngo_editor)
    url = reverse("partnerships:edit", kwargs={"slug": partnership.slug})
    page = client.get(url)
    html = page.content.decode()
    assert "Spell out the city." in html and 'value="Needs work"' in html
    data = dict(page.context["form"].data.items())
    data["title"] = "Needs work, done"
    client.post(url, data)
    revision.refresh_from_db()
    assert (revision.state, revision.comment) == ("pending", "")
    assert revision.form_data["title"] == ["Needs work, done"]


def test_an_editor_withdraws_the_changes(client, ngo_editor, partnership):
    published_title = partnership.title
    propose_title(client, ngo_editor, partnership, "Never mind")
    client.post(publication_url(partnership), {"action": "withdraw_revision"})
    assert Revision.objects.get().state == "withdrawn"
    partnership.refresh_from_db()
    assert partnership.title == published_title
    page = client.get(reverse("partnerships:edit", kwargs={"slug": partnership.slug}))
    assert f'value="{published_title}"' in page.content.decode()


def test_the_approval_queue_lists_the_changes_for_the_other_party(
    client, ngo_editor, police_editor, partnership
):
    propose_title(client, ngo_editor, partnership, "Queued change")
    client.force_login(police_editor)
    queue = client.get(reverse("agreements:approval_queue"))
    assert [r.object_id for r in queue.context["revisions"]] == [partnership.pk]
    assert "Approvals (1)" in queue.content.decode()


# Agreements: their fields and data-sharing terms ----------------------------------------


@pytest.fixture
def published_agreement(partnership):
    agreement = factories.AgreementFactory(partnership=partnership, title="Published MOU")
    kept = factories.DataSharingTermFactory(agreement=agreement, purpose="Published purpose")
    removed = factories.DataSharingTermFactory(agreement=agreement, purpose="Removed purpose")
    return agreement, kept, removed


def agreement_edit(agreement, kept, removed, **fields) -> dict:
    return {
        **agreement_data(title="Revised MOU", **fields),
        **management(3, initial=2),
        **term(0, id=kept.pk, purpose="Revised purpose"),
        **term(1, id=removed.pk, DELETE="on"),
        **term(2, data_category="case_records", purpose="Added purpose"),
    }


def test_an_agreement_edit_waits_with_its_terms_then_applies_on_approval(
    client, ngo_editor, police_editor, published_agreement
):
    agreement, kept, removed = published_agreement
    client.force_login(ngo_editor)
    url = reverse("agreements:edit", kwargs={"pk": agreement.pk})
    response = client.post(url, agreement_edit(agreement, kept, removed), follow=True)
    assert "Your changes wait for approval" in response.content.decode()
    agreement.refresh_from_db()
    assert agreement.title == "Published MOU"
    purposes = sorted(agreement.data_sharing_terms.values_list("purpose", flat=True))
    assert purposes == ["Published purpose", "Removed purpose"]
    public = client.get(f"/api/v1/agreements/{agreement.pk}/").json()
    assert "Revised" not in str(public) and "Added purpose" not in str(public)
    # The edit page holds the proposed terms, the added one included.
    html = client.get(url).content.decode()
    assert "Revised purpose" in html and "Added purpose" in html

    client.force_login(police_editor)
    changes = client.get(publication_url(agreement)).context["revision_changes"]
    whats = [c.what for c in changes]
    assert "Title" in whats
    assert any(w.endswith(": Purpose") for w in whats)
    assert "New data-sharing term" in whats
    assert any(c.after == "Removed" for c in changes)
    client.post(publication_url(agreement), {"action": "approve_revision"})

    agreement.refresh_from_db()
    assert agreement.title == "Revised MOU"
    purposes = sorted(agreement.data_sharing_terms.values_list("purpose", flat=True))
    assert purposes == ["Added purpose", "Revised purpose"]
    client.logout()
    assert "Added purpose" in str(client.get(f"/api/v1/agreements/{agreement.pk}/").json())


def test_an_edit_that_an_edit_of_a_draft_would_refuse_is_refused_before_it_waits(
    client, ngo_editor, oversight_body, published_agreement
):
    agreement, kept, removed = published_agreement
    factories.PartnershipPartyFactory(
        partnership=agreement.partnership, organization=oversight_body, role="oversight"
    )
    client.force_login(ngo_editor)
    url = reverse("agreements:edit", kwargs={"pk": agreement.pk})
    response = client.post(
        url, agreement_edit(agreement, kept, removed, independent_auditor=oversight_body.pk)
    )
    assert response.status_code == 200
    assert "is a party to this partnership" in response.content.decode()
    assert Revision.objects.count() == 0
    assert agreement.data_sharing_terms.count() == 2


def test_changes_that_no_longer_fit_are_not_approved_and_say_why(
    client, ngo_editor, police_editor, oversight_body, published_agreement
):
    agreement, kept, removed = published_agreement
    client.force_login(ngo_editor)
    client.post(
        reverse("agreements:edit", kwargs={"pk": agreement.pk}),
        agreement_edit(agreement, kept, removed, independent_auditor=oversight_body.pk),
    )
    # Meanwhile the proposed auditor became a party: it is no longer independent.
    factories.PartnershipPartyFactory(
        partnership=agreement.partnership, organization=oversight_body, role="oversight"
    )
    client.force_login(police_editor)
    response = client.post(publication_url(agreement), {"action": "approve_revision"}, follow=True)
    assert "is a party to this partnership" in response.content.decode()
    agreement.refresh_from_db()
    assert agreement.title == "Published MOU"
    assert Revision.objects.get().state == "pending"


def test_a_draft_still_changes_at_once(client, ngo_editor, partnership):
    Partnership.objects.filter(pk=partnership.pk).update(publication_status="draft")
    propose = propose_title(client, ngo_editor, partnership, "Draft title")
    assert "Partnership saved." in propose.content.decode()
    partnership.refresh_from_db()
    assert partnership.title == "Draft title"
    assert Revision.objects.count() == 0


def test_the_edit_service_refuses_an_approved_record_without_its_form(
    ngo_editor, published_agreement
):
    agreement, _, _ = published_agreement
    with pytest.raises(ValidationError, match="waits for approval"):
        services.agreement_update(agreement=agreement, actor=ngo_editor, data={"title": "x"})
    assert Agreement.objects.get(pk=agreement.pk).title == "Published MOU"


def test_the_audit_trail_records_the_change_as_the_proposers_approved_by_the_approver(
    client, ngo_editor, police_editor, partnership
):
    propose_title(client, ngo_editor, partnership, "Audited title")
    client.force_login(police_editor)
    client.post(publication_url(partnership), {"action": "approve_revision"})

    updates = PartnershipEvent.objects.filter(pgh_obj_id=partnership.pk, pgh_label="update")
    change = [event for event in updates if "title" in event.pgh_diff][-1]
    context = change.pgh_context
    assert (context["user"], context["approved_by"]) == (ngo_editor.pk, police_editor.pk)
    assert [o["slug"] for o in context["organizations"]] == ["safe-harbour"]
    assert context["url"] == publication_url(partnership)
    revision_events = RevisionEvent.objects.filter(pgh_obj_id=Revision.objects.get().pk)
    assert revision_events.filter(pgh_diff__state=["pending", "approved"]).exists()
