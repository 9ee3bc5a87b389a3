"""The Django admin: every model has a working changelist, the inlines show, lists do not N+1."""

import datetime as dt

import pytest
from django.contrib.admin.sites import site
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements.admin import AgreementAdmin
from agreements.derived import derived_facts_refresh
from agreements.models import Agreement, AgreementDocument, DataSharingTerm
from oversight.models import Flag
from partnerships.models import Membership, Organization
from tests import factories

pytestmark = pytest.mark.django_db

MODELS = [
    "partnerships.organization",
    "partnerships.focusarea",
    "partnerships.source",
    "partnerships.partnership",
    "partnerships.partnershipparty",
    "partnerships.membership",
    "agreements.agreement",
    "agreements.agreementsignatory",
    "agreements.agreementdocument",
    "agreements.datasharingterm",
    "oversight.review",
    "oversight.finding",
    "oversight.flag",
]


def admin_url(model: str, view: str, *args) -> str:
    app_label, model_name = model.split(".")
    return reverse(f"admin:{app_label}_{model_name}_{view}", args=args)


def high_risk_term(agreement: Agreement) -> DataSharingTerm:
    return factories.DataSharingTermFactory(
        agreement=agreement,
        data_category=DataSharingTerm.DataCategory.VICTIM_RECORDS,
        direction=DataSharingTerm.Direction.NGO_TO_POLICE,
        purpose="Names of victims, for follow-up by officers.",
    )


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def agreement(partnership, oversight_body):
    agreement = factories.AgreementFactory(
        partnership=partnership,
        title="Referral protocol",
        independent_auditor=oversight_body,
    )
    factories.DataSharingTermFactory(agreement=agreement)
    factories.AgreementSignatoryFactory(agreement=agreement, organization=oversight_body)
    factories.AgreementDocumentFactory(agreement=agreement, version=1)
    return agreement


@pytest.fixture
def registry(agreement, ngo_editor):
    """A few objects of every kind."""
    factories.SourceFactory(title="Police and charity agree to share data")
    factories.FocusAreaFactory()
    review = factories.ReviewFactory(agreement=agreement)
    factories.FindingFactory(review=review)
    factories.FlagFactory(agreement=agreement)
    factories.partnership_with_parties(title="Youth diversion scheme")
    return agreement


@pytest.mark.parametrize("model", MODELS)
def test_every_changelist_opens_for_a_superuser(admin_client, registry, model):
    response = admin_client.get(admin_url(model, "changelist"))

    assert response.status_code == 200


@pytest.mark.parametrize("model", [m for m in MODELS if m != "agreements.agreementdocument"])
def test_every_add_page_opens_for_a_superuser(admin_client, registry, model):
    response = admin_client.get(admin_url(model, "add"))

    assert response.status_code == 200


def test_documents_cannot_be_added_changed_or_deleted_in_the_admin(admin_client, registry):
    document = AgreementDocument.objects.get()
    model = "agreements.agreementdocument"

    assert admin_client.get(admin_url(model, "add")).status_code == 403
    assert admin_client.get(admin_url(model, "delete", document.pk)).status_code == 403
    view = admin_client.get(admin_url(model, "change", document.pk))
    assert view.status_code == 200
    assert document.sha256 in view.content.decode()
    assert 'name="_save"' not in view.content.decode()

    response = admin_client.post(
        admin_url(model, "change", document.pk), {"version": 7, "sha256": "0" * 64}
    )

    assert response.status_code == 403
    document.refresh_from_db()
    assert document.version == 1


def test_the_agreement_page_shows_document_versions_without_an_add_row(admin_client, agreement):
    response = admin_client.get(admin_url("agreements.agreement", "change", agreement.pk))

    content = response.content.decode()
    document = agreement.documents.get()
    assert document.sha256 in content
    assert 'name="documents-TOTAL_FORMS"' in content
    assert 'name="documents-0-version"' not in content  # read-only, so no input


@pytest.mark.parametrize(
    ("model", "query", "found"),
    [
        ("partnerships.organization", "riverside", "Riverside Police"),
        ("partnerships.partnership", "diversion", "Youth diversion scheme"),
        ("agreements.agreement", "referral", "Referral protocol"),
    ],
)
def test_changelist_search_finds_by_name(admin_client, registry, other_ngo, model, query, found):
    factories.AgreementFactory(title="Data exchange pilot")

    response = admin_client.get(admin_url(model, "changelist"), {"q": query})

    assert response.status_code == 200
    assert [str(row) for row in response.context["cl"].result_list] == [found]
    assert found in response.content.decode()


def test_partnership_page_shows_its_parties(admin_client, partnership):
    response = admin_client.get(admin_url("partnerships.partnership", "change", partnership.pk))

    content = response.content.decode()
    assert "Riverside Police" in content
    assert 'name="parties-TOTAL_FORMS" value="2"' in content


def test_organization_page_shows_its_members(admin_client, ngo, ngo_editor):
    response = admin_client.get(admin_url("partnerships.organization", "change", ngo.pk))

    assert "ngo_editor" in response.content.decode()


def test_agreement_page_shows_its_data_sharing_terms(admin_client, agreement):
    high_risk_term(agreement)

    response = admin_client.get(admin_url("agreements.agreement", "change", agreement.pk))

    content = response.content.decode()
    assert "Monthly counts of referrals, for service planning." in content
    assert "Names of victims, for follow-up by officers." in content
    assert "Civilian Oversight Board" in content  # the signatory inline


def test_review_page_shows_its_findings(admin_client, agreement):
    review = factories.ReviewFactory(agreement=agreement)
    factories.FindingFactory(review=review, summary="Consent forms are not kept.")

    response = admin_client.get(admin_url("oversight.review", "change", review.pk))

    assert "Consent forms are not kept." in response.content.decode()


def agreement_changelist_queries(client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(admin_url("agreements.agreement", "changelist"))
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_agreement_changelist_costs_the_same_for_1_and_30_rows(admin_client, agreement):
    high_risk_term(agreement)
    one_row, content = agreement_changelist_queries(admin_client)
    assert '<td class="field-risk">High</td>' in content

    for _ in range(29):
        other = factories.AgreementFactory(
            partnership=factories.partnership_with_parties(),
            independent_auditor=factories.OversightBodyFactory(),
        )
        factories.DataSharingTermFactory(agreement=other)
        factories.AgreementSignatoryFactory(agreement=other)
        factories.AgreementDocumentFactory(agreement=other)
    thirty_rows, content = agreement_changelist_queries(admin_client)

    assert Agreement.objects.count() == 30
    assert content.count('<td class="field-risk">') == 30
    assert thirty_rows == one_row


@pytest.mark.parametrize(
    ("model", "make_rows"),
    [
        ("partnerships.partnership", lambda: factories.partnership_with_parties()),
        ("partnerships.membership", lambda: factories.MembershipFactory()),
        ("oversight.review", lambda: factories.ReviewFactory()),
        ("oversight.finding", lambda: factories.FindingFactory()),
        ("oversight.flag", lambda: factories.FlagFactory()),
        ("agreements.agreementdocument", lambda: factories.AgreementDocumentFactory()),
    ],
)
def test_other_changelists_cost_the_same_for_1_and_20_rows(admin_client, model, make_rows):
    make_rows()
    with CaptureQueriesContext(connection) as one_row:
        admin_client.get(admin_url(model, "changelist"))
    for _ in range(19):
        make_rows()
    with CaptureQueriesContext(connection) as twenty_rows:
        admin_client.get(admin_url(model, "changelist"))

    assert len(twenty_rows) == len(one_row)


def test_agreement_changelist_shows_risk_auditor_independence_and_review_date(
    admin_client, agreement
):
    agreement.next_review_due = dt.date(2026, 3, 31)
    agreement.save()

    response = admin_client.get(admin_url("agreements.agreement", "changelist"))

    [row] = response.context["cl"].result_list
    assert row.derived_risk_level == "low"
    assert row.auditor_is_independent is True
    content = response.content.decode()
    assert '<td class="field-risk">Low</td>' in content
    # Day-month-year, as the registry writes dates in English (config/formats/en).
    assert '<td class="field-next_review_due nowrap">31 March 2026</td>' in content


def test_an_auditor_that_is_a_party_is_not_independent(admin_client, agreement, police):
    agreement.independent_auditor = police
    agreement.save()
    derived_facts_refresh(agreement_ids=[agreement.pk])  # as every write of an auditor does

    response = admin_client.get(
        admin_url("agreements.agreement", "changelist"), {"independent_auditor": "no"}
    )

    [row] = response.context["cl"].result_list
    assert row.pk == agreement.pk
    assert row.auditor_is_independent is False


def test_agreement_changelist_filters_by_risk_level(admin_client, agreement):
    risky = factories.AgreementFactory(title="Victim data feed")
    high_risk_term(risky)

    response = admin_client.get(
        admin_url("agreements.agreement", "changelist"), {"risk_level": "high"}
    )

    assert [row.pk for row in response.context["cl"].result_list] == [risky.pk]


def test_admin_agreements_keep_their_risk_level_method(rf, admin_user, agreement):
    high_risk_term(agreement)
    request = rf.get("/")
    request.user = admin_user

    from_admin = AgreementAdmin(Agreement, site).get_queryset(request).get(pk=agreement.pk)

    assert from_admin.risk_level() == "high"
    assert from_admin.derived_risk_level == "high"


def test_review_changelist_shows_whether_the_reviewer_is_independent(
    admin_client, agreement, police, oversight_body
):
    by_board = factories.ReviewFactory(agreement=agreement, reviewer=oversight_body)
    by_party = factories.ReviewFactory(agreement=agreement, reviewer=police)

    response = admin_client.get(admin_url("oversight.review", "changelist"))
    independent = {
        row.pk: row.reviewer_is_independent for row in response.context["cl"].result_list
    }
    filtered = admin_client.get(admin_url("oversight.review", "changelist"), {"independent": "no"})

    assert independent == {by_board.pk: True, by_party.pk: False}
    assert [row.pk for row in filtered.context["cl"].result_list] == [by_party.pk]


def test_flag_changelist_filters_open_and_closed_flags(admin_client, agreement):
    open_flag = factories.FlagFactory(agreement=agreement)
    closed_flag = factories.FlagFactory(agreement=agreement, kind=Flag.Kind.NO_INDEPENDENT_AUDITOR)
    closed_flag.resolved_at = closed_flag.raised_at
    closed_flag.save()
    url = admin_url("oversight.flag", "changelist")

    open_rows = admin_client.get(url, {"state": "open"}).context["cl"].result_list
    closed_rows = admin_client.get(url, {"state": "closed"}).context["cl"].result_list

    assert [flag.pk for flag in open_rows] == [open_flag.pk]
    assert [flag.pk for flag in closed_rows] == [closed_flag.pk]


def test_a_flag_raised_by_the_job_keeps_its_facts_when_edited(admin_client, agreement):
    flag = factories.FlagFactory(agreement=agreement, detail="Review due 2025-01-01.")
    raised_at = flag.raised_at
    url = admin_url("oversight.flag", "change", flag.pk)

    page = admin_client.get(url).content.decode()
    response = admin_client.post(
        url,
        {
            "kind": Flag.Kind.EXPIRED_BUT_ACTIVE,
            "raised_at_0": "2020-01-01",
            "raised_at_1": "00:00:00",
            "detail": "changed",
            "resolved_at_0": "",
            "resolved_at_1": "",
            "resolution": "Looked into it.",
        },
    )

    assert 'name="raised_at_0"' not in page
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.kind == Flag.Kind.REVIEW_OVERDUE
    assert flag.raised_at == raised_at
    assert flag.detail == "Review due 2025-01-01."
    assert flag.resolution == "Looked into it."


def test_membership_changelist_searches_by_email_and_organization(admin_client, ngo_editor):
    url = admin_url("partnerships.membership", "changelist")

    by_email = admin_client.get(url, {"q": ngo_editor.email}).context["cl"].result_list
    by_organization = admin_client.get(url, {"q": "safe harbour"}).context["cl"].result_list
    nobody = admin_client.get(url, {"q": "nobody-here"}).context["cl"].result_list

    membership = Membership.objects.get(user=ngo_editor)
    assert list(by_email) == [membership]
    assert list(by_organization) == [membership]
    assert list(nobody) == []


def test_organization_can_be_added_with_its_slug(admin_client):
    response = admin_client.post(
        admin_url("partnerships.organization", "add"),
        {
            "name": "Northside Tenants' Union",
            "slug": "northside-tenants",
            "kind": Organization.Kind.COMMUNITY_BOARD,
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    assert Organization.objects.get(slug="northside-tenants").name == "Northside Tenants' Union"


@pytest.mark.parametrize(
    "url_name",
    ["admin:index", "admin:agreements_agreement_changelist", "admin:partnerships_partnership_add"],
)
def test_a_non_staff_user_is_sent_to_the_admin_login(client, ngo_editor, url_name):
    client.force_login(ngo_editor)

    response = client.get(reverse(url_name))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
