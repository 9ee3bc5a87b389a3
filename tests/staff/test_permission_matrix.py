"""Every staff URL × every kind of user → the expected status.

The matrix is checked against the whole URL configuration: a URL added anywhere (any
namespace or none, named or not, however deeply included) that has neither a row here nor
a stated reason in ``NOT_IN_MATRIX`` fails ``test_every_url_has_a_row_or_a_reason``.

Scenarios: ``public`` is a public partnership of the NGO and the police agency,
with a public agreement and a public document; ``restricted`` the same, restricted;
``private-document`` a public agreement's unpublished document version.
"""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone

from activities.models import Activity
from feedback.models import Feedback
from imports.models import ImportJob
from partnerships.models import Membership, PartnershipParty, Visibility
from partnerships.services import invitation_token
from publication.choices import WithholdingReason
from publication.models import Withholding
from reports.models import Report
from reports.snapshot import build_snapshot, canonical
from tests import factories
from tests.activities.factories import ActivityFactory

pytestmark = pytest.mark.django_db

PERSONAS = (
    "anonymous",
    "party_editor",
    "party_viewer",
    "other_editor",
    "board_member",
    "superuser",
)
STAFF_NAMESPACES = (
    "partnerships",
    "agreements",
    "accounts",
    "oversight",
    "feedback",
    "imports",
    "alerts",
    "incidents",
    "activities",
    "reports",
)
# The public pages the staff use too: the same page shows a party its restricted records.
STAFF_PUBLIC_PAGES = {"public:registry", "public:partnership", "public:agreement"}

# (url name, method, scenario): statuses for the personas, in the order of PERSONAS.
# 302 for anonymous is the redirect to the login page (checked below).
PAGE = (200,) * 6
EDIT_PUBLIC = (302, 200, 403, 403, 403, 200)
EDIT_RESTRICTED = (302, 200, 403, 404, 403, 200)
SEE_RESTRICTED = (404, 200, 200, 404, 200, 200)
LOGGED_IN = (302, 200, 200, 200, 200, 200)
CREATE = (302, 200, 403, 200, 403, 200)
MANAGE_MEMBERS = (302, 200, 403, 403, 403, 200)
AUDITOR_PUBLIC = (302, 200, 403, 403, 200, 200)
AUDITOR_RESTRICTED = (302, 200, 403, 404, 200, 200)
OVERSIGHT_PUBLIC = (302, 403, 403, 403, 200, 200)
OVERSIGHT_RESTRICTED = (302, 403, 403, 404, 200, 200)
# A record's publication page: its parties' members, oversight members, administrators.
PUBLICATION_PUBLIC = (302, 200, 200, 403, 200, 200)
PUBLICATION_RESTRICTED = (302, 200, 200, 404, 200, 200)
# A POST without a step: 400 for those who see the page (each step is checked below).
PUBLICATION_STEP_PUBLIC = (302, 400, 400, 403, 400, 400)
PUBLICATION_STEP_RESTRICTED = (302, 400, 400, 404, 400, 400)
# A follower's own pages (alerts): no staff account uses them.
FOLLOWERS_ONLY = (302, 403, 403, 403, 403, 403)

MATRIX = {
    ("partnerships:new", "GET", "public"): CREATE,
    ("partnerships:new", "POST", "public"): CREATE,
    ("partnerships:organization_search", "GET", "public"): LOGGED_IN,
    ("partnerships:organization_propose", "GET", "public"): CREATE,
    ("partnerships:organization_propose", "POST", "public"): CREATE,
    ("public:registry", "GET", "public"): PAGE,
    ("public:partnership", "GET", "public"): PAGE,
    ("public:partnership", "GET", "restricted"): SEE_RESTRICTED,
    ("partnerships:edit", "GET", "public"): EDIT_PUBLIC,
    ("partnerships:edit", "GET", "restricted"): EDIT_RESTRICTED,
    ("partnerships:edit", "POST", "public"): EDIT_PUBLIC,
    ("partnerships:edit", "POST", "restricted"): EDIT_RESTRICTED,
    ("partnerships:party_add", "GET", "public"): EDIT_PUBLIC,
    ("partnerships:party_add", "GET", "restricted"): EDIT_RESTRICTED,
    ("partnerships:party_add", "POST", "public"): EDIT_PUBLIC,
    ("partnerships:party_add", "POST", "restricted"): EDIT_RESTRICTED,
    # Removing the only police agency is refused with a message: a redirect, nothing removed.
    ("partnerships:party_remove", "POST", "public"): (302, 302, 403, 403, 403, 302),
    ("partnerships:party_remove", "POST", "restricted"): (302, 302, 403, 404, 403, 302),
    # Sources: an empty form is the page again with its errors; removing one redirects.
    ("partnerships:source_add", "GET", "public"): EDIT_PUBLIC,
    ("partnerships:source_add", "GET", "restricted"): EDIT_RESTRICTED,
    ("partnerships:source_add", "POST", "public"): EDIT_PUBLIC,
    ("partnerships:source_add", "POST", "restricted"): EDIT_RESTRICTED,
    ("partnerships:source_edit", "GET", "public"): EDIT_PUBLIC,
    ("partnerships:source_edit", "GET", "restricted"): EDIT_RESTRICTED,
    ("partnerships:source_edit", "POST", "public"): EDIT_PUBLIC,
    ("partnerships:source_edit", "POST", "restricted"): EDIT_RESTRICTED,
    ("partnerships:source_remove", "POST", "public"): (302, 302, 403, 403, 403, 302),
    ("partnerships:source_remove", "POST", "restricted"): (302, 302, 403, 404, 403, 302),
    ("agreements:source_add", "GET", "public"): EDIT_PUBLIC,
    ("agreements:source_add", "GET", "restricted"): EDIT_RESTRICTED,
    ("agreements:source_add", "POST", "public"): EDIT_PUBLIC,
    ("agreements:source_add", "POST", "restricted"): EDIT_RESTRICTED,
    ("agreements:source_edit", "GET", "public"): EDIT_PUBLIC,
    ("agreements:source_edit", "GET", "restricted"): EDIT_RESTRICTED,
    ("agreements:source_edit", "POST", "public"): EDIT_PUBLIC,
    ("agreements:source_edit", "POST", "restricted"): EDIT_RESTRICTED,
    ("agreements:source_remove", "POST", "public"): (302, 302, 403, 403, 403, 302),
    ("agreements:source_remove", "POST", "restricted"): (302, 302, 403, 404, 403, 302),
    # The NGO's identifiers: its editors (an empty form is valid: a redirect).
    ("partnerships:organization_identifiers", "GET", "public"): MANAGE_MEMBERS,
    ("partnerships:organization_identifiers", "POST", "public"): (302, 302, 403, 403, 403, 302),
    ("agreements:new", "GET", "public"): EDIT_PUBLIC,
    ("agreements:new", "GET", "restricted"): EDIT_RESTRICTED,
    ("agreements:new", "POST", "public"): EDIT_PUBLIC,
    ("agreements:new", "POST", "restricted"): EDIT_RESTRICTED,
    ("agreements:term_row", "GET", "public"): EDIT_PUBLIC,
    ("agreements:term_row", "GET", "restricted"): EDIT_RESTRICTED,
    ("public:agreement", "GET", "public"): PAGE,
    ("public:agreement", "GET", "restricted"): SEE_RESTRICTED,
    ("agreements:edit", "GET", "public"): EDIT_PUBLIC,
    ("agreements:edit", "GET", "restricted"): EDIT_RESTRICTED,
    ("agreements:edit", "POST", "public"): EDIT_PUBLIC,
    ("agreements:edit", "POST", "restricted"): EDIT_RESTRICTED,
    ("agreements:auditor", "GET", "public"): AUDITOR_PUBLIC,
    ("agreements:auditor", "GET", "restricted"): AUDITOR_RESTRICTED,
    # An empty form removes the auditor: a redirect to the agreement.
    ("agreements:auditor", "POST", "public"): (302, 302, 403, 403, 302, 302),
    ("agreements:auditor", "POST", "restricted"): (302, 302, 403, 404, 302, 302),
    ("agreements:document_new", "GET", "public"): EDIT_PUBLIC,
    ("agreements:document_new", "GET", "restricted"): EDIT_RESTRICTED,
    # An empty upload form: 400 with the form for an editor.
    ("agreements:document_new", "POST", "public"): (302, 400, 403, 403, 403, 400),
    ("agreements:document_new", "POST", "restricted"): (302, 400, 403, 404, 403, 400),
    ("agreements:document_download", "GET", "public"): PAGE,
    ("agreements:document_download", "GET", "restricted"): SEE_RESTRICTED,
    ("agreements:document_download", "GET", "private-document"): SEE_RESTRICTED,
    ("agreements:partnership_publication", "GET", "public"): PUBLICATION_PUBLIC,
    ("agreements:partnership_publication", "GET", "restricted"): PUBLICATION_RESTRICTED,
    ("agreements:partnership_publication", "POST", "public"): PUBLICATION_STEP_PUBLIC,
    ("agreements:partnership_publication", "POST", "restricted"): PUBLICATION_STEP_RESTRICTED,
    ("agreements:agreement_publication", "GET", "public"): PUBLICATION_PUBLIC,
    ("agreements:agreement_publication", "GET", "restricted"): PUBLICATION_RESTRICTED,
    ("agreements:agreement_publication", "POST", "public"): PUBLICATION_STEP_PUBLIC,
    ("agreements:agreement_publication", "POST", "restricted"): PUBLICATION_STEP_RESTRICTED,
    ("agreements:approval_queue", "GET", "public"): LOGGED_IN,
    # Confirm a withheld value of an activity, an incident (or release it) from the queue:
    # a POST without a step is a 400 for whoever sees the record (each step: the services'
    # rule, tests/publication/test_queue_registered_withholdings.py).
    ("agreements:withholding_decide", "POST", "public"): (302, 400, 400, 400, 400, 400),
    ("agreements:withholding_decide", "POST", "restricted"): PUBLICATION_STEP_RESTRICTED,
    ("accounts:dashboard", "GET", "public"): LOGGED_IN,
    ("accounts:member_invite", "GET", "public"): MANAGE_MEMBERS,
    ("accounts:member_invite", "POST", "public"): MANAGE_MEMBERS,
    ("accounts:member_remove", "POST", "public"): (302, 302, 403, 403, 403, 302),
    # Oversight: the dashboard, reviews (by the board member's organization), findings, flags.
    # An empty POST is an invalid form: the page again, with its errors.
    ("oversight:dashboard", "GET", "public"): OVERSIGHT_PUBLIC,
    ("oversight:review_new", "GET", "public"): OVERSIGHT_PUBLIC,
    ("oversight:review_new", "GET", "restricted"): OVERSIGHT_RESTRICTED,
    ("oversight:review_new", "POST", "public"): OVERSIGHT_PUBLIC,
    ("oversight:review_new", "POST", "restricted"): OVERSIGHT_RESTRICTED,
    ("oversight:review_detail", "GET", "public"): LOGGED_IN,
    ("oversight:review_detail", "GET", "restricted"): (302, 200, 200, 404, 200, 200),
    ("oversight:review_complete", "POST", "public"): OVERSIGHT_PUBLIC,
    ("oversight:review_complete", "POST", "restricted"): OVERSIGHT_RESTRICTED,
    ("oversight:finding_new", "POST", "public"): OVERSIGHT_PUBLIC,
    ("oversight:finding_new", "POST", "restricted"): OVERSIGHT_RESTRICTED,
    ("oversight:finding_resolve", "POST", "public"): OVERSIGHT_PUBLIC,
    ("oversight:finding_resolve", "POST", "restricted"): OVERSIGHT_RESTRICTED,
    ("oversight:flag_detail", "GET", "public"): PAGE,
    ("oversight:flag_detail", "GET", "restricted"): SEE_RESTRICTED,
    ("oversight:flag_resolve", "POST", "public"): OVERSIGHT_PUBLIC,
    ("oversight:flag_resolve", "POST", "restricted"): OVERSIGHT_RESTRICTED,
    # The full history: oversight members only, 403 for anyone else whatever the record
    # (so it tells an outsider nothing about restricted records either).
    ("oversight:record_history", "GET", "public"): OVERSIGHT_PUBLIC,
    ("oversight:record_history", "GET", "restricted"): OVERSIGHT_PUBLIC,
    # An invalid or used link: the page says so, whoever asks.
    ("accounts:invitation_accept", "GET", "public"): PAGE,
    # An existing account's invitation (the board member's, to join the NGO): only that
    # account, signed in, sees the question and accepts; anyone else signed in gets 403.
    ("accounts:invitation_join", "GET", "public"): (302, 403, 403, 403, 200, 403),
    ("accounts:invitation_join", "POST", "public"): (302, 403, 403, 403, 302, 403),
    # A version's text: whoever may download it. The comparison without versions to compare
    # is the form again (400) for whoever sees the agreement.
    ("agreements:document_text", "GET", "public"): PAGE,
    ("agreements:document_text", "GET", "restricted"): SEE_RESTRICTED,
    ("agreements:document_text", "GET", "private-document"): SEE_RESTRICTED,
    ("agreements:document_compare", "GET", "public"): (400,) * 6,
    ("agreements:document_compare", "GET", "restricted"): (404, 400, 400, 404, 400, 400),
    # Public feedback (the scenario's item awaits moderation). Anyone leaves feedback on a
    # public partnership (an empty form: 400), confirms it by a link (an invalid one: 400)
    # and reports published items (this one is not: 404).
    ("feedback:new", "GET", "public"): PAGE,
    ("feedback:new", "GET", "restricted"): (404,) * 6,
    ("feedback:new", "POST", "public"): (400,) * 6,
    ("feedback:sent", "GET", "public"): PAGE,
    ("feedback:confirm", "GET", "public"): (400,) * 6,
    ("feedback:report", "POST", "public"): (404,) * 6,
    # Moderators: editors of oversight bodies and boards that are not a party (an empty
    # decision: 400). A party's editor never moderates feedback on its partnership.
    ("feedback:moderation", "GET", "public"): OVERSIGHT_PUBLIC,
    ("feedback:moderate", "GET", "public"): OVERSIGHT_PUBLIC,
    ("feedback:moderate", "GET", "restricted"): OVERSIGHT_RESTRICTED,
    ("feedback:moderate", "POST", "public"): (302, 403, 403, 403, 400, 400),
    ("feedback:moderate", "POST", "restricted"): (302, 403, 403, 404, 400, 400),
    ("feedback:closure", "GET", "public"): OVERSIGHT_PUBLIC,
    ("feedback:closure", "POST", "public"): (302, 403, 403, 403, 400, 400),
    # Responses: a party's editors (an empty response: 400).
    ("feedback:respond", "GET", "public"): EDIT_PUBLIC,
    ("feedback:respond", "GET", "restricted"): EDIT_RESTRICTED,
    ("feedback:respond", "POST", "public"): (302, 400, 403, 403, 403, 400),
    ("feedback:respond", "POST", "restricted"): (302, 400, 403, 404, 403, 400),
    # Imports: whoever may create partnerships; an import (the party editor's, checked,
    # with nothing to apply) is its uploader's alone. An empty upload is the form again.
    ("imports:start", "GET", "public"): CREATE,
    ("imports:start", "POST", "public"): (302, 400, 403, 400, 403, 400),
    ("imports:job", "GET", "public"): (302, 200, 403, 404, 403, 404),
    ("imports:job_progress", "GET", "public"): (302, 200, 403, 404, 403, 404),
    ("imports:job_apply", "POST", "public"): (302, 302, 403, 404, 403, 404),
    # Alerts: anyone signs up (an empty form is the page again, signed in or not: the form
    # answers everyone alike and a staff account's session is left as it is; its rate limits
    # are tests/alerts') and confirms by a link (an invalid one: 400); a follower's pages
    # refuse staff accounts (tests/alerts test a follower); the unsubscribe link needs no
    # login (an unknown token: 404).
    ("alerts:signup", "GET", "public"): PAGE,
    ("alerts:signup", "POST", "public"): PAGE,
    ("alerts:signup_sent", "GET", "public"): PAGE,
    ("alerts:confirm", "GET", "public"): (400,) * 6,
    ("alerts:mine", "GET", "public"): FOLLOWERS_ONLY,
    ("alerts:new", "GET", "public"): FOLLOWERS_ONLY,
    ("alerts:new", "POST", "public"): FOLLOWERS_ONLY,
    ("alerts:delete", "POST", "public"): FOLLOWERS_ONLY,
    ("alerts:account_delete", "POST", "public"): FOLLOWERS_ONLY,
    ("alerts:webhook_new", "GET", "public"): FOLLOWERS_ONLY,
    ("alerts:webhook_new", "POST", "public"): FOLLOWERS_ONLY,
    ("alerts:webhook", "GET", "public"): FOLLOWERS_ONLY,
    ("alerts:webhook", "POST", "public"): FOLLOWERS_ONLY,
    ("alerts:unsubscribe", "GET", "public"): (404,) * 6,
    ("alerts:unsubscribe", "POST", "public"): (404,) * 6,
    # Incidents (a draft on the scenario's agreement): a party's editors and oversight editors
    # record and edit them; whoever sees one sees its staff page; an empty form is the page
    # again with its errors. Approving or sending back: the second pair of eyes (another
    # party's editor; oversight only where no other party has one). A step the record's
    # state refuses (approving a draft) is a redirect with the reason.
    ("incidents:manage", "GET", "public"): AUDITOR_PUBLIC,
    ("incidents:new", "GET", "public"): AUDITOR_PUBLIC,
    ("incidents:new", "POST", "public"): AUDITOR_PUBLIC,
    ("incidents:detail", "GET", "public"): PUBLICATION_RESTRICTED,
    ("incidents:edit", "GET", "public"): AUDITOR_RESTRICTED,
    ("incidents:edit", "POST", "public"): AUDITOR_RESTRICTED,
    ("incidents:submit", "POST", "public"): (302, 302, 403, 404, 302, 302),
    ("incidents:approve", "POST", "public"): (302, 302, 403, 404, 403, 302),
    ("incidents:revision_approve", "POST", "public"): (302, 302, 403, 404, 403, 302),
    ("incidents:send_back", "GET", "public"): (302, 200, 403, 404, 403, 200),
    ("incidents:send_back", "POST", "public"): (302, 200, 403, 404, 403, 200),
    ("incidents:retract", "GET", "public"): AUDITOR_RESTRICTED,
    ("incidents:retract", "POST", "public"): AUDITOR_RESTRICTED,
    ("incidents:withhold", "GET", "public"): AUDITOR_RESTRICTED,
    ("incidents:withhold", "POST", "public"): AUDITOR_RESTRICTED,
    # Joint activities (the scenario's is published): its parties' editors record and edit
    # them (an empty form: the page again); its publication page is the members' (a POST
    # without a step: 400).
    **{
        (name, method, scenario): expected
        for name in ("activities:new", "activities:edit")
        for method in ("GET", "POST")
        for scenario, expected in (("public", EDIT_PUBLIC), ("restricted", EDIT_RESTRICTED))
    },
    ("activities:publication", "GET", "public"): PUBLICATION_PUBLIC,
    ("activities:publication", "GET", "restricted"): PUBLICATION_RESTRICTED,
    ("activities:publication", "POST", "public"): PUBLICATION_STEP_PUBLIC,
    ("activities:publication", "POST", "restricted"): PUBLICATION_STEP_RESTRICTED,
    # Transparency reports (the scenario's 2025 report is published): anyone reads those of
    # a public partnership; its parties' editors request this year's draft, publish a draft
    # and correct a published report (a refused step: back to the report, 302).
    ("reports:list", "GET", "public"): PAGE,
    **{
        (name, "GET", scenario): expected
        for name in ("reports:report", "reports:report_pdf", "reports:report_csv")
        for scenario, expected in (("public", PAGE), ("restricted", SEE_RESTRICTED))
    },
    **{
        (name, "POST", scenario): expected
        for name in ("reports:request", "reports:publish", "reports:correct")
        for scenario, expected in (
            ("public", (302, 302, 403, 403, 403, 302)),
            ("restricted", (302, 302, 403, 404, 403, 302)),
        )
    },
}

# Every other URL of the site, with why it needs no row: each is anyone's to read, or
# checks who may use it on its own, with its own tests. A URL that is neither here nor in
# the matrix fails ``test_every_url_has_a_row_or_a_reason``.
PUBLIC_READ = "public and read-only: anyone may read it (the sentinel crawls cover it)"
API = "the public read-only API: anonymous (tests/api walks every endpoint)"
SIGN_IN = "signing in and out, passwords and second factors: anyone (tests/accounts)"
NOT_IN_MATRIX = {
    "public:home": PUBLIC_READ,
    "public:map": PUBLIC_READ,
    "set_language": "the language switcher: anyone; it sets only the reader's language "
    "cookie and goes back to a page of this site (tests/i18n/test_language.py)",
    "public:methodology": PUBLIC_READ,
    "public:organization": PUBLIC_READ,
    "feeds:agreements": PUBLIC_READ,
    "feeds:flags": PUBLIC_READ,
    "feeds:feedback": PUBLIC_READ,
    "feeds:incidents": PUBLIC_READ,
    "public:incidents": PUBLIC_READ,
    "public:incident": PUBLIC_READ,
    "api:incident-list": API,
    "api:incident-detail": API,
    "api:incident-history": API,
    "sitemap": PUBLIC_READ,
    "robots_txt": PUBLIC_READ,
    "healthz": "the health check: anyone, says nothing private (tests/test_healthz.py)",
    "api:root": API,
    "api-docs": API,
    "api-schema": API,
    "unnamed:api/v1/^(?P<rest>.*)$": API + "; a path under /api/v1/ it lacks is a JSON 404",
    **{
        f"api:{kind}-{action}": API
        for kind in ("organization", "partnership", "agreement", "review", "flag", "feedback")
        for action in ("list", "detail")
    },
    "api:activity-list": API,
    "api:activity-detail": API,
    "api:activity-totals": API,
    "api:partnership-history": API,
    "api:agreement-history": API,
    "api:agreement-compare": API,
    "api:stats": API,
    "login": SIGN_IN,
    "logout": SIGN_IN,
    "password_change": SIGN_IN,
    "password_change_done": SIGN_IN,
    "password_reset": SIGN_IN,
    "password_reset_done": SIGN_IN,
    "password_reset_confirm": SIGN_IN,
    "password_reset_complete": SIGN_IN,
}
# Prefixes of URLs with a reason: Django's admin (staff only, by its own checks, signed in
# through the site's login; tests/test_admin.py), and allauth's sign-in and second-factor
# pages.
NOT_IN_MATRIX_PREFIXES = {
    "admin:": "Django's admin: staff only, by its own permission checks (tests/test_admin.py)",
    "unnamed:admin/": "Django's admin: staff only, by its own permission checks",
    "account_": SIGN_IN,
    "mfa_": SIGN_IN,
}


def staff_url_names() -> set[str]:
    resolver = get_resolver()
    names = set()
    for namespace in STAFF_NAMESPACES:
        _, sub_resolver = resolver.namespace_dict[namespace]
        names |= {f"{namespace}:{p.name}" for p in sub_resolver.url_patterns if p.name}
    return names | STAFF_PUBLIC_PAGES


def every_url(resolver=None, namespace: str = "", route: str = "") -> set[str]:
    """Every URL of the site, through every ``include()`` however nested: its name with its
    namespaces, or ``unnamed:<its route>``."""
    resolver = resolver or get_resolver()
    found = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            found |= every_url(pattern, inner, f"{route}{pattern.pattern}")
        elif pattern.name:
            found.add(f"{namespace}{pattern.name}")
        else:
            found.add(f"unnamed:{route}{pattern.pattern}")
    return found


def test_every_url_has_a_row_or_a_reason():
    covered = {name for name, _, _ in MATRIX} | set(NOT_IN_MATRIX)
    missing = {
        url
        for url in every_url()
        if url not in covered and not url.startswith(tuple(NOT_IN_MATRIX_PREFIXES))
    }
    assert not missing, (
        f"URLs with neither a row in the permission matrix nor a reason: {sorted(missing)}"
    )
    assert set(NOT_IN_MATRIX) <= every_url(), "reasons for URLs that no longer exist"


def test_the_walk_reaches_urls_in_nested_includes_and_unnamed_ones():
    urls = every_url()
    assert "agreements:document_compare" in urls  # included at the root, in a namespace
    assert "api:partnership-list" in urls  # a router inside a namespaced include
    assert any(url.startswith("unnamed:admin/") for url in urls)  # unnamed, in the admin


def test_every_staff_url_has_a_row():
    covered = {name for name, _, _ in MATRIX}
    missing = staff_url_names() - covered
    assert not missing, f"staff URLs without a row in the permission matrix: {sorted(missing)}"
    assert covered <= staff_url_names(), "rows for URLs that no longer exist"


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """The rate limits count in the cache: each case starts from none, so that a status is
    the permission's, not the earlier cases' count (an empty sign-up form has one key)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def scenario_records(request, ngo, police, oversight_body, ngo_editor, ngo_viewer, board_member):
    scenario = request.param
    visibility = Visibility.RESTRICTED if scenario == "restricted" else Visibility.PUBLIC
    partnership = factories.partnership_with_parties(
        ngo=ngo, police=police, slug="matrix-partnership", visibility=visibility
    )
    agreement = factories.AgreementFactory(partnership=partnership, visibility=visibility)
    document = factories.AgreementDocumentFactory(
        agreement=agreement, version=1, is_public=scenario != "private-document"
    )
    review = factories.ReviewFactory(
        agreement=agreement, reviewer=oversight_body, status="in_progress", completed_on=None
    )
    source = factories.SourceFactory()
    partnership.sources.add(source)
    agreement.sources.add(source)
    activity = ActivityFactory(partnership=partnership)
    return {
        "source": source,
        "partnership": partnership,
        "agreement": agreement,
        "document": document,
        "review": review,
        "finding": factories.FindingFactory(review=review),
        "feedback": Feedback.objects.create(
            partnership=partnership,
            category=Feedback.Category.CONCERN,
            text="Awaiting moderation.",
            status=Feedback.Status.PENDING,
        ),
        "flag": factories.FlagFactory(agreement=agreement),
        "incident": factories.IncidentFactory(agreements=[agreement], publication_status="draft"),
        "activity": activity,
        "withholding": Withholding.objects.create(
            content_type=ContentType.objects.get_for_model(Activity),
            object_id=activity.pk,
            field="description",
            reason_code=WithholdingReason.SURVIVOR_SAFETY,
            rationale="It would tell where survivors stay.",
            created_by=ngo_editor,
        ),
        "report": Report.objects.create(
            partnership=partnership,
            year=2025,
            status=Report.Status.PUBLISHED,
            snapshot=canonical(
                build_snapshot(partnership, 2025, as_of=dt.date(2025, 12, 31))
            ).decode(),
            sha256="0" * 64,
            generated_at=timezone.now(),
            published_at=timezone.now(),
        ),
        "import_job": ImportJob.objects.create(
            created_by=ngo_editor,
            kind=ImportJob.Kind.AGREEMENTS,
            file_name="agreements.csv",
            sha256="0" * 64,
            content="",
            status=ImportJob.Status.CHECKED,
            preview={"counts": {"unchanged": 1}, "rows": []},
        ),
        "police_party": partnership.parties.get(role=PartnershipParty.Role.POLICE_AGENCY),
        "viewer_membership": Membership.objects.get(user=ngo_viewer, organization=ngo),
        "invitation_token": invitation_token(
            user=board_member, organization=ngo, role=Membership.Role.VIEWER, inviter=ngo_editor
        ),
    }


def url_for(name: str, records) -> str:
    partnership, agreement = records["partnership"], records["agreement"]
    kwargs = {
        "public:partnership": {"slug": partnership.slug},
        "partnerships:edit": {"slug": partnership.slug},
        "partnerships:party_add": {"slug": partnership.slug},
        "partnerships:party_remove": {"slug": partnership.slug, "pk": records["police_party"].pk},
        "partnerships:source_add": {"slug": partnership.slug},
        "partnerships:source_edit": {"slug": partnership.slug, "source_pk": records["source"].pk},
        "partnerships:source_remove": {
            "slug": partnership.slug,
            "source_pk": records["source"].pk,
        },
        "agreements:source_add": {"pk": agreement.pk},
        "agreements:source_edit": {"pk": agreement.pk, "source_pk": records["source"].pk},
        "agreements:source_remove": {"pk": agreement.pk, "source_pk": records["source"].pk},
        "partnerships:organization_identifiers": {
            "slug": records["viewer_membership"].organization.slug
        },
        "agreements:new": {"slug": partnership.slug},
        "agreements:term_row": {"slug": partnership.slug},
        "public:agreement": {"pk": agreement.pk},
        "agreements:edit": {"pk": agreement.pk},
        "agreements:document_new": {"pk": agreement.pk},
        "agreements:document_download": {"pk": agreement.pk, "version": 1},
        "agreements:document_text": {"pk": agreement.pk, "version": 1},
        "agreements:document_compare": {"pk": agreement.pk},
        "agreements:auditor": {"pk": agreement.pk},
        "agreements:partnership_publication": {"pk": partnership.pk},
        "agreements:agreement_publication": {"pk": agreement.pk},
        "agreements:withholding_decide": {"pk": records["withholding"].pk},
        "oversight:review_new": {"pk": agreement.pk},
        "oversight:review_detail": {"pk": records["review"].pk},
        "oversight:review_complete": {"pk": records["review"].pk},
        "oversight:finding_new": {"pk": records["review"].pk},
        "oversight:finding_resolve": {"pk": records["finding"].pk},
        "oversight:flag_detail": {"pk": records["flag"].pk},
        "oversight:flag_resolve": {"pk": records["flag"].pk},
        "oversight:record_history": {"model": "agreement", "pk": agreement.pk},
        "accounts:member_invite": {"slug": records["viewer_membership"].organization.slug},
        "accounts:member_remove": {
            "slug": records["viewer_membership"].organization.slug,
            "pk": records["viewer_membership"].pk,
        },
        "accounts:invitation_accept": {"uidb64": "MQ", "token": "not-a-valid-token"},
        "accounts:invitation_join": {"token": records["invitation_token"]},
        "feedback:new": {"slug": partnership.slug},
        "feedback:sent": {"slug": partnership.slug},
        "feedback:confirm": {"token": "not-a-valid-token"},
        "feedback:report": {"pk": records["feedback"].pk},
        "feedback:moderate": {"pk": records["feedback"].pk},
        "feedback:respond": {"pk": records["feedback"].pk},
        "feedback:closure": {"slug": partnership.slug},
        "imports:job": {"pk": records["import_job"].pk},
        "imports:job_progress": {"pk": records["import_job"].pk},
        "imports:job_apply": {"pk": records["import_job"].pk},
        "alerts:confirm": {"token": "not-a-valid-token"},
        "alerts:delete": {"pk": 1},
        "alerts:webhook_new": {"pk": 1},
        "alerts:webhook": {"pk": 1},
        "alerts:unsubscribe": {"token": "not-a-valid-token"},
        "activities:new": {"slug": partnership.slug},
        "activities:edit": {"pk": records["activity"].pk},
        "activities:publication": {"pk": records["activity"].pk},
        "reports:report": {"slug": partnership.slug, "year": 2025},
        "reports:report_pdf": {"slug": partnership.slug, "year": 2025},
        "reports:report_csv": {"slug": partnership.slug, "year": 2025},
        "reports:request": {"slug": partnership.slug},
        "reports:publish": {"pk": records["report"].pk},
        "reports:correct": {"pk": records["report"].pk},
        **{
            name: {"pk": records["incident"].pk}
            for name in (
                "incidents:detail",
                "incidents:edit",
                "incidents:submit",
                "incidents:approve",
                "incidents:revision_approve",
                "incidents:send_back",
                "incidents:retract",
                "incidents:withhold",
            )
        },
    }.get(name, {})
    return reverse(name, kwargs=kwargs)


@pytest.fixture
def persona_user(request, ngo_editor, ngo_viewer, other_ngo_editor, board_member, superuser):
    return {
        "anonymous": None,
        "party_editor": ngo_editor,
        "party_viewer": ngo_viewer,
        "other_editor": other_ngo_editor,
        "board_member": board_member,
        "superuser": superuser,
    }[request.param]


CASES = [
    pytest.param(
        name,
        method,
        scenario,
        persona,
        expected[i],
        marks=[],
        id=f"{name}-{method}-{scenario}-{persona}",
    )
    for (name, method, scenario), expected in MATRIX.items()
    for i, persona in enumerate(PERSONAS)
]


@pytest.mark.parametrize(
    ("name", "method", "scenario_records", "persona_user", "expected"),
    [
        pytest.param(name, method, scenario, persona, status, id=param.id)
        for param in CASES
        for name, method, scenario, persona, status in [param.values]
    ],
    indirect=["scenario_records", "persona_user"],
)
def test_staff_url_answers_each_kind_of_user(
    client, name, method, scenario_records, persona_user, expected
):
    if persona_user is not None:
        client.force_login(persona_user)
    url = url_for(name, scenario_records)
    response = client.get(url) if method == "GET" else client.post(url, {})
    assert response.status_code == expected, (
        f"{method} {url} as {persona_user or 'anonymous'}: {response.status_code}, "
        f"expected {expected}"
    )
    if persona_user is None and expected == 302:
        assert response["Location"].startswith(reverse("login") + "?next=")


def test_a_refused_write_changes_nothing(client, other_ngo_editor, partnership):
    client.force_login(other_ngo_editor)
    response = client.post(
        reverse("partnerships:edit", kwargs={"slug": partnership.slug}),
        {"title": "Taken over", "status": "ended", "region": "europe", "country": "GB"},
    )
    assert response.status_code == 403
    partnership.refresh_from_db()
    assert partnership.title != "Taken over"


# The publication workflow's steps -------------------------------------------------------
# Each step, on a partnership of the NGO and the police agency and on an agreement of it,
# in the state the step starts from; a submission is the NGO editor's. 302 is the step
# taken (for anonymous, the login page); nobody approves their own submission, and a
# record that is not public is a 404 for an outsider.

WORKFLOW_PERSONAS = (
    "anonymous",
    "submitter",
    "other_party_editor",
    "party_viewer",
    "outsider_editor",
    "board_member",
    "superuser",
)
PARTY_STEP_PUBLIC = (302, 302, 302, 403, 403, 403, 302)
PARTY_STEP_UNPUBLISHED = (302, 302, 302, 403, 404, 403, 302)

# step: (the state it starts from, the state it leads to, the statuses by persona)
WORKFLOW_STEPS = {
    "submit": ("draft", "submitted", PARTY_STEP_UNPUBLISHED),
    "approve": ("submitted", "published", (302, 403, 302, 403, 404, 403, 302)),
    "withhold": ("published", "published", PARTY_STEP_PUBLIC),
    "retract": ("published", "retracted", PARTY_STEP_PUBLIC),
    "lift_embargo": ("embargoed", "published", PARTY_STEP_UNPUBLISHED),
}


def step_data(step: str, record, kind: str) -> dict:
    data = {"action": step}
    if step == "withhold":
        field = "objectives" if kind == "partnership" else "public_summary"
        data.update(
            {
                "withhold-field": f"{kind}-{record.pk}-{field}",
                "withhold-reason_code": "survivor_safety",
                "withhold-rationale": "It names the shelter's street.",
            }
        )
    if step == "retract":
        data["retract-reason"] = "Entered twice by mistake."
    return data


@pytest.mark.parametrize("kind", ["partnership", "agreement"])
@pytest.mark.parametrize(
    ("step", "persona", "expected"),
    [
        pytest.param(step, persona, statuses[i], id=f"{step}-{persona}")
        for step, (_, _, statuses) in WORKFLOW_STEPS.items()
        for i, persona in enumerate(WORKFLOW_PERSONAS)
    ],
)
def test_who_takes_each_publication_step(
    request, client, ngo, police, ngo_editor, police_editor, kind, step, persona, expected
):
    from publication.models import Withholding

    start, end, _ = WORKFLOW_STEPS[step]
    state = {
        "publication_status": start,
        "submitted_by": ngo_editor if start == "submitted" else None,
        "embargo_indefinite": start == "embargoed",
        "embargo_reason": "Announced with the minister" if start == "embargoed" else "",
    }
    if kind == "partnership":
        record = factories.partnership_with_parties(ngo=ngo, police=police, **state)
    else:
        partnership = factories.partnership_with_parties(ngo=ngo, police=police)
        record = factories.AgreementFactory(partnership=partnership, **state)
    user = {
        "anonymous": None,
        "submitter": ngo_editor,
        "other_party_editor": police_editor,
        "party_viewer": "ngo_viewer",
        "outsider_editor": "other_ngo_editor",
        "board_member": "board_member",
        "superuser": "superuser",
    }[persona]
    if isinstance(user, str):
        user = request.getfixturevalue(user)
    if user is not None:
        client.force_login(user)

    url = reverse(f"agreements:{kind}_publication", kwargs={"pk": record.pk})
    response = client.post(url, step_data(step, record, kind))

    assert response.status_code == expected, (step, persona, response.status_code)
    record.refresh_from_db()
    taken = expected == 302 and user is not None
    if taken:
        assert response["Location"] == url
    elif user is None:
        assert response["Location"].startswith(reverse("login") + "?next=")
    assert record.publication_status == (end if taken else start)
    if step == "withhold":
        assert Withholding.objects.count() == (1 if taken else 0)


def test_an_oversight_editor_approves_where_the_other_party_has_no_editor(
    client, ngo, police, ngo_editor, board_member
):
    partnership = factories.partnership_with_parties(
        ngo=ngo, police=police, publication_status="submitted", submitted_by=ngo_editor
    )
    client.force_login(board_member)
    url = reverse("agreements:partnership_publication", kwargs={"pk": partnership.pk})
    assert client.post(url, {"action": "approve"}).status_code == 302
    partnership.refresh_from_db()
    assert partnership.publication_status == "published"
