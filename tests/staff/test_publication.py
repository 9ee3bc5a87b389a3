"""The publication workflow through the staff pages: a draft is submitted, a second pair of
eyes approves it or sends it back, a published record is retracted; values are withheld,
confirmed and released; embargoes are set and lifted."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from agreements import publishing
from agreements.models import Agreement
from partnerships.models import Membership, Partnership, PartnershipParty
from publication.models import Withholding
from tests import factories

pytestmark = pytest.mark.django_db

SENTINEL = "Shelter at 12 Quiet Lane"


def page(record) -> str:
    kind = "agreement" if isinstance(record, Agreement) else "partnership"
    return reverse(f"agreements:{kind}_publication", kwargs={"pk": record.pk})


def step(client, record, action: str, **data):
    return client.post(page(record), {"action": action, **data})


def follow(client, record, action: str, **data):
    return client.post(page(record), {"action": action, **data}, follow=True)


def withhold_data(record, field: str, *, part=None, **overrides) -> dict:
    target = part or record
    kind = type(target)._meta.model_name
    data = {
        "withhold-field": f"{kind}-{target.pk}-{field}",
        "withhold-reason_code": "survivor_safety",
        "withhold-rationale": "It would lead to the shelter's address.",
        **overrides,
    }
    return data


@pytest.fixture
def draft(ngo, police):
    return factories.partnership_with_parties(
        ngo=ngo,
        police=police,
        title="Safe referrals",
        publication_status="draft",
        objectives=SENTINEL,
    )


@pytest.fixture
def submitted(draft, ngo_editor):
    draft.publication_status = "submitted"
    draft.submitted_by = ngo_editor
    draft.submitted_at = timezone.now()
    draft.save()
    return draft


def future(days: int = 10) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


# From a new draft to the public record ----------------------------------------------


def test_an_ngo_editor_submits_and_a_police_editor_of_the_other_party_publishes(
    client, ngo_editor, police_editor, other_ngo_editor, ngo, police
):
    client.force_login(ngo_editor)
    response = client.post(
        reverse("partnerships:new"),
        {
            "organization": ngo.pk,
            "party": police.pk,
            "party_role": PartnershipParty.Role.POLICE_AGENCY,
            "title": "Safe referrals",
            "status": "active",
            "region": "europe",
            "country": "GB",
            "established_precision": "day",
            "visibility": "public",
        },
        follow=True,
    )
    partnership = Partnership.objects.get(title="Safe referrals")
    assert partnership.publication_status == "draft"
    html = response.content.decode()
    assert "It is a draft" in html
    assert "Submit for publication" in html

    assert "Submit for publication" in client.get(page(partnership)).content.decode()
    response = follow(client, partnership, "submit")
    assert "Submitted for publication" in response.content.decode()
    partnership.refresh_from_db()
    assert partnership.publication_status == "submitted"
    assert partnership.submitted_by == ngo_editor
    assert partnership.submitted_at is not None
    assert not Partnership.objects.public().filter(pk=partnership.pk).exists()

    # Not their own submission, and not an outsider's to see.
    assert (
        "You cannot approve your own submission" in client.get(page(partnership)).content.decode()
    )
    assert step(client, partnership, "approve").status_code == 403
    client.force_login(other_ngo_editor)
    assert client.get(page(partnership)).status_code == 404
    assert step(client, partnership, "approve").status_code == 404
    partnership.refresh_from_db()
    assert partnership.publication_status == "submitted"

    client.force_login(police_editor)
    html = client.get(page(partnership)).content.decode()
    assert "Approve and publish" in html
    assert f"{partnership.get_absolute_url()}?preview=public" in html
    response = follow(client, partnership, "approve")
    assert "Approved and published" in response.content.decode()
    partnership.refresh_from_db()
    assert partnership.publication_status == "published"
    assert partnership.published_at is not None
    assert Partnership.objects.public().filter(pk=partnership.pk).exists()


def test_an_oversight_editor_approves_only_where_the_other_party_has_no_editor(
    client, submitted, board_member, police_editor, police
):
    client.force_login(board_member)
    assert step(client, submitted, "approve").status_code == 403

    Membership.objects.filter(user=police_editor, organization=police).update(role="viewer")
    assert step(client, submitted, "approve").status_code == 302
    submitted.refresh_from_db()
    assert submitted.publication_status == "published"


def test_a_viewer_may_not_submit(client, draft, ngo_viewer):
    client.force_login(ngo_viewer)
    html = client.get(page(draft)).content.decode()
    assert "An editor of one of its parties submits it" in html
    assert step(client, draft, "submit").status_code == 403
    draft.refresh_from_db()
    assert draft.publication_status == "draft"


def test_a_partnership_without_a_police_agency_cannot_be_submitted(client, ngo, ngo_editor):
    partnership = factories.PartnershipFactory(publication_status="draft")
    factories.PartnershipPartyFactory(partnership=partnership, organization=ngo)
    client.force_login(ngo_editor)
    response = follow(client, partnership, "submit")
    assert "it has no police agency" in response.content.decode()
    partnership.refresh_from_db()
    assert partnership.publication_status == "draft"


def test_an_agreement_is_submitted_only_once_its_partnership_is(
    client, draft, ngo_editor, police_editor
):
    agreement = factories.AgreementFactory(
        partnership=draft, title="Referral MOU", publication_status="draft"
    )
    client.force_login(ngo_editor)
    response = follow(client, agreement, "submit")
    assert "Submit its partnership “Safe referrals” first" in response.content.decode()
    agreement.refresh_from_db()
    assert agreement.publication_status == "draft"

    step(client, draft, "submit")
    assert step(client, agreement, "submit").status_code == 302
    agreement.refresh_from_db()
    assert agreement.publication_status == "submitted"

    # Approved before its partnership: published, and public once the partnership is.
    client.force_login(police_editor)
    response = follow(client, agreement, "approve")
    assert "once its partnership is published too" in response.content.decode()
    assert not Agreement.objects.public().filter(pk=agreement.pk).exists()
    step(client, draft, "approve")
    assert Agreement.objects.public().filter(pk=agreement.pk).exists()


# Sending back, retracting, editing ------------------------------------------------------


def test_an_approver_sends_a_submission_back_with_a_comment(
    client, submitted, ngo_editor, police_editor
):
    client.force_login(police_editor)
    response = step(client, submitted, "send_back", **{"send_back-comment": "  "})
    assert response.status_code == 200
    assert response.context["send_back_form"].errors["comment"] == [
        "Say what needs to change before it is published."
    ]
    submitted.refresh_from_db()
    assert submitted.publication_status == "submitted"

    comment = "The objectives name the shelter: withhold them first."
    response = follow(client, submitted, "send_back", **{"send_back-comment": comment})
    assert "Sent back to its editors" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.publication_status == "draft"
    assert submitted.publication_comment == comment

    client.force_login(ngo_editor)
    html = client.get(page(submitted)).content.decode()
    assert "Sent back by the approver" in html
    assert comment in html
    step(client, submitted, "submit")
    submitted.refresh_from_db()
    assert submitted.publication_status == "submitted"
    assert submitted.publication_comment == ""


def test_a_published_record_is_retracted_with_a_public_reason(client, partnership, ngo_editor):
    client.force_login(ngo_editor)
    response = step(client, partnership, "retract", **{"retract-reason": ""})
    assert response.status_code == 200
    assert "Tell the public why the record is retracted." in response.content.decode()
    partnership.refresh_from_db()
    assert partnership.publication_status == "published"

    reason = "It duplicated the Riverside referral partnership."
    response = follow(client, partnership, "retract", **{"retract-reason": reason})
    assert "Retracted" in response.content.decode()
    partnership.refresh_from_db()
    assert partnership.publication_status == "retracted"
    assert partnership.retraction_reason == reason
    assert partnership.retracted_on == timezone.localdate()
    assert not Partnership.objects.public().filter(pk=partnership.pk).exists()


def test_editing_a_submitted_partnership_makes_it_a_draft_again(client, submitted, ngo_editor):
    client.force_login(ngo_editor)
    response = client.post(
        reverse("partnerships:edit", kwargs={"slug": submitted.slug}),
        {
            "title": "Safe referrals",
            "status": "active",
            "region": "europe",
            "country": "GB",
            "established_precision": "day",
            "objectives": "Fewer repeat victims",
            "visibility": "public",
        },
        follow=True,
    )
    assert "is a draft again" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.objectives == "Fewer repeat victims"
    assert submitted.publication_status == "draft"


def test_editing_a_submitted_agreement_makes_it_a_draft_again(client, partnership, ngo_editor):
    agreement = factories.AgreementFactory(
        partnership=partnership,
        title="Referral MOU",
        publication_status="submitted",
        submitted_by=ngo_editor,
    )
    client.force_login(ngo_editor)
    response = client.post(
        reverse("agreements:edit", kwargs={"pk": agreement.pk}),
        {
            "kind": "mou",
            "title": "Referral MOU, revised",
            "status": "active",
            "signed_on": "2024-01-01",
            "effective_from": "2024-01-01",
            "review_interval_months": "12",
            "visibility": "public",
            "terms-TOTAL_FORMS": "0",
            "terms-INITIAL_FORMS": "0",
            "terms-MIN_NUM_FORMS": "0",
            "terms-MAX_NUM_FORMS": "1000",
        },
        follow=True,
    )
    assert "is a draft again" in response.content.decode()
    agreement.refresh_from_db()
    assert agreement.title == "Referral MOU, revised"
    assert agreement.publication_status == "draft"


def test_editing_a_published_partnership_leaves_it_published(client, partnership, ngo_editor):
    client.force_login(ngo_editor)
    client.post(
        reverse("partnerships:edit", kwargs={"slug": partnership.slug}),
        {
            "title": partnership.title,
            "status": "active",
            "region": "europe",
            "country": "GB",
            "established_precision": "day",
            "visibility": "public",
        },
    )
    partnership.refresh_from_db()
    assert partnership.publication_status == "published"


def test_a_new_agreement_is_a_draft_and_says_so(client, partnership, ngo_editor):
    client.force_login(ngo_editor)
    response = client.post(
        reverse("agreements:new", kwargs={"slug": partnership.slug}),
        {
            "kind": "mou",
            "title": "Referral MOU",
            "status": "negotiating",
            "review_interval_months": "12",
            "visibility": "public",
            "terms-TOTAL_FORMS": "0",
            "terms-INITIAL_FORMS": "0",
            "terms-MIN_NUM_FORMS": "0",
            "terms-MAX_NUM_FORMS": "1000",
        },
        follow=True,
    )
    assert Agreement.objects.get(title="Referral MOU").publication_status == "draft"
    assert "It is a draft" in response.content.decode()


# Withheld values -----------------------------------------------------------------------


def test_a_withheld_value_takes_effect_at_once_and_is_confirmed_with_the_approval(
    client, draft, ngo_editor, police_editor
):
    client.force_login(ngo_editor)
    html = client.get(page(draft)).content.decode()
    assert f'value="partnership-{draft.pk}-objectives"' in html
    response = follow(client, draft, "withhold", **withhold_data(draft, "objectives"))
    assert "is withheld from the public now" in response.content.decode()
    withholding = Withholding.objects.get()
    assert (withholding.field, withholding.reason_code) == ("objectives", "survivor_safety")
    assert withholding.created_by == ngo_editor
    assert withholding.confirmed_at is None
    # The field is no longer offered: it is withheld already.
    assert f'value="partnership-{draft.pk}-objectives"' not in response.content.decode()

    step(client, draft, "submit")
    client.force_login(police_editor)
    html = client.get(page(draft)).content.decode()
    assert "Awaiting confirmation" in html
    assert "It would lead to the shelter&#x27;s address." in html
    step(client, draft, "approve")
    withholding.refresh_from_db()
    assert withholding.confirmed_by == police_editor
    assert withholding.confirmed_at is not None


def test_the_approver_does_not_confirm_their_own_withholding(
    client, submitted, ngo_editor, police_editor
):
    client.force_login(police_editor)
    step(client, submitted, "withhold", **withhold_data(submitted, "objectives"))
    step(client, submitted, "approve")
    withholding = Withholding.objects.get()
    assert withholding.confirmed_at is None

    # It waits for the NGO's editor, in their queue.
    client.force_login(ngo_editor)
    queue = client.get(reverse("agreements:approval_queue"))
    assert [w.pk for w in queue.context["withholdings"]] == [withholding.pk]
    response = step(
        client,
        submitted,
        "confirm",
        withholding=withholding.pk,
        next=reverse("agreements:approval_queue"),
    )
    assert response["Location"] == reverse("agreements:approval_queue")
    withholding.refresh_from_db()
    assert withholding.confirmed_by == ngo_editor


def test_a_withholding_needs_a_rationale_and_a_withholdable_field(client, draft, ngo_editor):
    client.force_login(ngo_editor)
    response = step(
        client,
        draft,
        "withhold",
        **withhold_data(
            draft, "objectives", **{"withhold-reason_code": "other", "withhold-rationale": ""}
        ),
    )
    assert response.status_code == 200
    assert response.context["withhold_form"].errors["rationale"]
    response = step(client, draft, "withhold", **withhold_data(draft, "title"))
    assert response.status_code == 200
    assert response.context["withhold_form"].errors["field"]
    response = step(
        client,
        draft,
        "withhold",
        **withhold_data(draft, "objectives", **{"withhold-available_on": "2000-01-01"}),
    )
    assert "The date must be after today" in response.content.decode()
    assert Withholding.objects.count() == 0


def test_values_of_an_agreements_terms_documents_and_reviews_are_withheld_on_its_page(
    client, partnership, ngo_editor, police_editor
):
    agreement = factories.AgreementFactory(partnership=partnership, publication_status="draft")
    term = factories.DataSharingTermFactory(agreement=agreement)
    document = factories.AgreementDocumentFactory(agreement=agreement, version=1)
    review = factories.ReviewFactory(agreement=agreement)
    client.force_login(ngo_editor)
    for part, field in ((term, "purpose"), (document, "file"), (review, "public_summary")):
        response = step(client, agreement, "withhold", **withhold_data(agreement, field, part=part))
        assert response.status_code == 302, field
    html = client.get(page(agreement)).content.decode()
    assert "Data-sharing term “Aggregate statistics (Police to NGO)”: Purpose" in html
    assert "Document version 1: File" in html
    assert "Review “Scheduled review” of 1 Feb 2025: Public summary" in html

    step(client, agreement, "submit")
    client.force_login(police_editor)
    step(client, agreement, "approve")
    assert Withholding.objects.unconfirmed().count() == 0


def test_releasing_a_withheld_value_of_a_published_record_needs_an_approver(
    client, partnership, ngo_editor, police_editor
):
    client.force_login(ngo_editor)
    step(client, partnership, "withhold", **withhold_data(partnership, "objectives"))
    withholding = Withholding.objects.get()
    response = follow(client, partnership, "release_request", withholding=withholding.pk)
    assert "Release requested" in response.content.decode()
    withholding.refresh_from_db()
    assert withholding.release_requested_by == ngo_editor
    # Not by the one who asked.
    assert step(client, partnership, "release", withholding=withholding.pk).status_code == 403

    client.force_login(police_editor)
    queue = client.get(reverse("agreements:approval_queue"))
    # Its release is the decision waiting (confirming it is moot if it is released).
    decisions = {w.pk: (w.may_confirm, w.may_release) for w in queue.context["withholdings"]}
    assert decisions == {withholding.pk: (False, True)}
    response = follow(client, partnership, "release", withholding=withholding.pk)
    assert "Released" in response.content.decode()
    assert not Withholding.objects.exists()


def test_stopping_a_withholding_of_a_draft_removes_it(client, draft, ngo_editor):
    client.force_login(ngo_editor)
    step(client, draft, "withhold", **withhold_data(draft, "objectives"))
    withholding = Withholding.objects.get()
    response = follow(client, draft, "release_request", withholding=withholding.pk)
    assert "is no longer withheld" in response.content.decode()
    assert not Withholding.objects.exists()


def test_a_withholding_of_another_record_is_a_404(client, draft, partnership, ngo_editor):
    client.force_login(ngo_editor)
    step(client, partnership, "withhold", **withhold_data(partnership, "objectives"))
    withholding = Withholding.objects.get()
    assert step(client, draft, "release_request", withholding=withholding.pk).status_code == 404
    assert step(client, draft, "confirm", withholding="x").status_code == 404


def test_outsiders_may_not_withhold_on_a_public_record(client, partnership, other_ngo_editor):
    client.force_login(other_ngo_editor)
    response = step(client, partnership, "withhold", **withhold_data(partnership, "objectives"))
    assert response.status_code == 403
    assert not Withholding.objects.exists()


# Embargoes -----------------------------------------------------------------------------


def test_an_embargoed_approval_waits_for_its_date_or_an_editor(
    client, draft, ngo_editor, police_editor
):
    client.force_login(ngo_editor)
    response = step(client, draft, "embargo", **{"embargo-until": "2000-01-01"})
    assert response.context["embargo_form"].errors["until"] == [
        "The embargo must lift on a date after today."
    ]
    lifts_on = future()
    response = follow(
        client,
        draft,
        "embargo",
        **{"embargo-until": lifts_on.isoformat(), "embargo-announced": "on"},
    )
    assert "Embargo saved" in response.content.decode()
    draft.refresh_from_db()
    assert (draft.embargoed_until, draft.embargo_announced) == (lifts_on, True)

    step(client, draft, "submit")
    client.force_login(police_editor)
    assert "Approve under embargo" in client.get(page(draft)).content.decode()
    response = follow(client, draft, "approve")
    assert "Approved under embargo" in response.content.decode()
    draft.refresh_from_db()
    assert draft.publication_status == "embargoed"
    assert draft.published_at is None
    assert not Partnership.objects.public().filter(pk=draft.pk).exists()

    response = follow(client, draft, "lift_embargo")
    assert "Embargo lifted" in response.content.decode()
    draft.refresh_from_db()
    assert draft.publication_status == "published"
    assert draft.published_at is not None
    assert draft.has_embargo is False


def test_an_indefinite_embargo_needs_a_reason_and_never_lapses_by_itself(
    client, submitted, ngo_editor, police_editor
):
    client.force_login(ngo_editor)
    response = step(client, submitted, "embargo", **{"embargo-indefinite": "on"})
    assert response.context["embargo_form"].errors["reason"] == [
        "An indefinite embargo needs a reason."
    ]
    step(
        client,
        submitted,
        "embargo",
        **{"embargo-indefinite": "on", "embargo-reason": "Until the trial ends."},
    )
    client.force_login(police_editor)
    step(client, submitted, "approve")
    submitted.refresh_from_db()
    assert submitted.publication_status == "embargoed"
    assert submitted.embargo_indefinite is True
    assert submitted.embargo_reason == "Until the trial ends."


def test_an_embargo_whose_date_passed_while_waiting_publishes_on_approval(
    client, submitted, police_editor
):
    Partnership.objects.filter(pk=submitted.pk).update(embargoed_until=timezone.localdate())
    client.force_login(police_editor)
    step(client, submitted, "approve")
    submitted.refresh_from_db()
    assert submitted.publication_status == "published"
    assert submitted.embargoed_until is None


def test_a_published_record_cannot_be_embargoed(client, partnership, ngo_editor):
    client.force_login(ngo_editor)
    response = follow(client, partnership, "embargo", **{"embargo-until": future().isoformat()})
    assert "Only a draft or a submitted record" in response.content.decode()
    partnership.refresh_from_db()
    assert partnership.embargoed_until is None


# Access --------------------------------------------------------------------------------


def test_an_outsider_gets_404_for_an_unpublished_record_and_403_for_a_published_one(
    client, draft, partnership, other_ngo_editor
):
    client.force_login(other_ngo_editor)
    assert client.get(page(draft)).status_code == 404
    assert step(client, draft, "submit").status_code == 404
    assert client.get(page(partnership)).status_code == 403
    assert step(client, partnership, "retract", **{"retract-reason": "x"}).status_code == 403
    partnership.refresh_from_db()
    assert partnership.publication_status == "published"


def test_an_unknown_step_is_a_400(client, draft, ngo_editor):
    client.force_login(ngo_editor)
    assert step(client, draft, "delete_everything").status_code == 400


def test_the_status_badge_links_a_draft_to_its_publication_page(client, draft, ngo_editor):
    from django.template.loader import render_to_string

    html = render_to_string("publication/_status_badge.html", {"record": draft, "user": ngo_editor})
    assert "Draft" in html
    assert page(draft) in html
    published = factories.partnership_with_parties()
    html = render_to_string(
        "publication/_status_badge.html", {"record": published, "user": ngo_editor}
    )
    assert "Published" in html
    assert "href" not in html


def test_a_document_version_is_embargoed_until_a_date(client, partnership, ngo_editor):
    agreement = factories.AgreementFactory(partnership=partnership)
    document = factories.AgreementDocumentFactory(agreement=agreement, version=1, is_public=True)
    client.force_login(ngo_editor)
    response = step(
        client,
        agreement,
        "document_embargo",
        document=document.pk,
        **{f"document-{document.pk}-until": "2000-01-01"},
    )
    assert response.status_code == 200
    assert "The embargo must lift on a date after today." in response.content.decode()

    lifts_on = future(3)
    response = follow(
        client,
        agreement,
        "document_embargo",
        document=document.pk,
        **{f"document-{document.pk}-until": lifts_on.isoformat()},
    )
    assert "Version 1 is embargoed until" in response.content.decode()
    document.refresh_from_db()
    assert document.embargoed_until == lifts_on
    assert document.is_published is False

    step(client, agreement, "document_embargo", document=document.pk)
    document.refresh_from_db()
    assert document.embargoed_until is None


def test_an_outsider_cannot_embargo_a_document_version(client, partnership, other_ngo_editor):
    agreement = factories.AgreementFactory(partnership=partnership)
    document = factories.AgreementDocumentFactory(agreement=agreement, version=1, is_public=True)
    client.force_login(other_ngo_editor)
    response = step(
        client,
        agreement,
        "document_embargo",
        document=document.pk,
        **{f"document-{document.pk}-until": future().isoformat()},
    )
    assert response.status_code == 403
    document.refresh_from_db()
    assert document.embargoed_until is None


def test_adding_a_party_to_a_submitted_partnership_makes_it_a_draft_again(
    client, submitted, ngo_editor, other_ngo
):
    client.force_login(ngo_editor)
    response = client.post(
        reverse("partnerships:party_add", kwargs={"slug": submitted.slug}),
        {"organization": other_ngo.pk, "role": PartnershipParty.Role.PARTNER_NGO},
        follow=True,
    )
    assert "is a draft again" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.publication_status == "draft"


def test_the_edit_page_of_a_submitted_record_warns_that_saving_makes_it_a_draft(
    client, submitted, ngo_editor
):
    client.force_login(ngo_editor)
    html = client.get(reverse("partnerships:edit", kwargs={"slug": submitted.slug})).content
    assert "saving a change, or adding or removing a party, makes it a draft again" in html.decode()


def test_malformed_values_are_answered_with_errors_never_a_500(client, submitted, ngo_editor):
    client.force_login(ngo_editor)
    response = step(client, submitted, "embargo", **{"embargo-until": "next Tuesday"})
    assert response.status_code == 200
    assert response.context["embargo_form"].errors["until"]
    response = step(
        client,
        submitted,
        "withhold",
        **withhold_data(
            submitted,
            "objectives",
            **{"withhold-available_on": "31/31/2031", "withhold-reason_code": "nonsense"},
        ),
    )
    assert response.status_code == 200
    errors = response.context["withhold_form"].errors
    assert errors["available_on"] and errors["reason_code"]
    # What was typed is kept.
    assert "It would lead to the shelter&#x27;s address." in response.content.decode()
    for value in ("abc", "999999999", ""):
        assert step(client, submitted, "confirm", withholding=value).status_code in (400, 404)


def test_a_partnership_renamed_before_its_approval_is_published_under_its_new_title(
    client, ngo_editor, police_editor, ngo, police
):
    """Its address never tells the public the title it had before it was approved."""
    partnership = factories.partnership_with_parties(
        ngo=ngo,
        police=police,
        title="Operation Nightjar (restricted name)",
        slug="operation-nightjar-restricted-name",
        publication_status="draft",
    )
    Partnership.objects.filter(pk=partnership.pk).update(title="Safe referrals")
    partnership.refresh_from_db()
    publishing.record_submit(record=partnership, actor=ngo_editor)
    publishing.record_approve(record=partnership, actor=police_editor)

    partnership.refresh_from_db()
    assert partnership.slug == "safe-referrals"
    assert client.get("/partnerships/safe-referrals/").status_code == 200
    assert client.get("/partnerships/operation-nightjar-restricted-name/").status_code == 404


def test_a_numbered_slug_of_the_same_title_is_kept(ngo_editor, police_editor, ngo, police):
    factories.partnership_with_parties(ngo=ngo, police=police, title="Twin", slug="twin")
    partnership = factories.partnership_with_parties(
        ngo=ngo, police=police, title="Twin", slug="twin-2", publication_status="draft"
    )
    publishing.record_submit(record=partnership, actor=ngo_editor)
    publishing.record_approve(record=partnership, actor=police_editor)
    partnership.refresh_from_db()
    assert partnership.slug == "twin-2"
