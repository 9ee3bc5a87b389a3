"""The properties that matter, on the demo registry: its export imported into the same
registry changes nothing, whoever imports it; imported into an empty registry (its
organizations and vocabularies, none of its partnerships or agreements), then published
through the workflow, it gives back the same public records."""

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import models

from agreements.models import Agreement
from agreements.publishing import record_approve, record_submit
from oversight.models import Review
from partnerships.models import Membership, Organization, Partnership, PartnershipParty

from .conftest import apply, edited, export, rows_of, upload

pytestmark = pytest.mark.django_db

ENDPOINTS = ("partnerships", "agreements")


@pytest.fixture
def demo():
    call_command("seed_demo", stdout=io.StringIO())


def public_records(client, endpoint: str) -> list[dict]:
    response = client.get(f"/api/v1/{endpoint}/?format=json")
    return json.loads(b"".join(response.streaming_content))


@pytest.mark.parametrize("username", ["admin", "ngo-editor", "police-editor", "board-member"])
def test_its_own_export_imported_into_the_same_registry_changes_nothing(client, demo, username):
    user = get_user_model().objects.get(username=username)
    if username == "board-member":
        # An oversight member imports nothing; an editor of a party does.
        user = Membership.objects.filter(role="editor").exclude(user__username="board-member")
        user = user.first().user

    for endpoint in ENDPOINTS:
        job = upload(user, export(client, endpoint))

        counts = job.counts
        assert counts["unchanged"] == len(public_records(client, endpoint)) > 0, endpoint
        assert counts["create"] == counts["change"] == 0, rows_of(job)
        assert counts["refused"] == counts["error"] == 0, rows_of(job)


# What the import does not bring, and why: ids, addresses and timestamps are the registry's
# own; flags come from the flagging job, on oversight's records; signatories have no staff
# form or service to write them (the admin does).
NOT_IMPORTED = {
    "id",
    "url",
    "html_url",
    "published_at",
    "updated_at",
    "open_flags",
    "signatories",
}
# Worked out from the completed reviews (oversight's records, not these exports): equal
# unless the agreement (or one of the partnership's) has been reviewed.
FROM_REVIEWS = ("next_review_due", "review_overdue")


def comparable(record, key=None):
    """A public record without what a registry gives it of its own; related records by
    their names, withheld values (which an export does not know) left out."""
    if isinstance(record, list):
        items = [comparable(item) for item in record]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True, default=str))
    if not isinstance(record, dict):
        return record
    withheld = {entry["field"] for entry in record.get("withheld", [])}
    return {
        name: comparable(value)
        for name, value in record.items()
        if name not in NOT_IMPORTED and name not in withheld and name != "withheld"
    }


def test_its_export_imported_into_an_empty_registry_gives_back_its_public_records(client, demo):
    files = {endpoint: export(client, endpoint) for endpoint in ENDPOINTS}
    before = {endpoint: public_records(client, endpoint) for endpoint in ENDPOINTS}
    # The editors of the parties: one of every NGO imports, one of every other party approves.
    User = get_user_model()
    importer = User.objects.create_user("importer")
    approver = User.objects.create_user("approver")
    for party in PartnershipParty.objects.select_related("organization"):
        user = importer if party.role in PartnershipParty.NGO_ROLES else approver
        Membership.objects.get_or_create(
            user=user, organization=party.organization, defaults={"role": "editor"}
        )
    reviewed = {
        (review.agreement.partnership.slug, review.agreement.title)
        for review in Review.objects.filter(status="completed").select_related(
            "agreement__partnership"
        )
    }
    assert 0 < len(reviewed) < len(before["agreements"])
    # The empty registry: its organizations, none of its partnerships and agreements (nor
    # what would keep them from being deleted: reviews, and whatever else points at them).
    Agreement.objects.update(supersedes=None)
    for model in (Agreement, Partnership):
        for relation in model._meta.related_objects:
            if relation.on_delete is models.PROTECT:
                relation.related_model.objects.all().delete()
    Review.objects.all().delete()
    Agreement.objects.all().delete()
    Partnership.objects.all().delete()
    organizations = Organization.objects.count()

    job = apply(upload(importer, files["partnerships"]))
    assert job.result == {"created": len(before["partnerships"]), "changed": 0, "proposed": 0}

    # Two demo agreements name a party as their auditor (one of them a police service, not
    # an auditor at all): the registry's rule, which the staff form applies, refuses them.
    job = upload(importer, files["agreements"])
    errors = rows_of(job, "error")
    party_audited = {
        f"{a['partnership']['slug']} · {a['title']}"
        for a in before["agreements"]
        if a["independent_auditor"] and not a["has_independent_auditor"]
    }
    assert {row["key"] for row in errors} == party_audited
    assert len(party_audited) == 2
    for row in errors:
        assert [error["column"] for error in row["errors"]] == ["independent_auditor_slug"]

    def without_those_auditors(rows):
        for row in rows:
            if f"{row['partnership_slug']} · {row['title']}" in party_audited:
                row["independent_auditor_slug"] = ""

    job = apply(upload(importer, edited(files["agreements"], without_those_auditors)))
    assert job.result == {"created": len(before["agreements"]), "changed": 0, "proposed": 0}
    assert Organization.objects.count() == organizations

    # The workflow publishes them: submitted by the importer, approved by another party.
    for model in (Partnership, Agreement):
        for record in model.objects.order_by("pk"):
            record_submit(record=record, actor=importer)
            record_approve(record=record, actor=approver)

    after = {endpoint: public_records(client, endpoint) for endpoint in ENDPOINTS}
    assert [p["slug"] for p in after["partnerships"]] == [p["slug"] for p in before["partnerships"]]
    for endpoint in ENDPOINTS:
        assert len(after[endpoint]) == len(before[endpoint])
        for old, new in zip(before[endpoint], after[endpoint], strict=True):
            # A value withheld from the public is not in the file: it comes back empty,
            # and is not withheld (nothing is there to withhold).
            for entry in old["withheld"]:
                new.pop(entry["field"])
            if endpoint == "agreements":
                was_reviewed = (old["partnership"]["slug"], old["title"]) in reviewed
                if f"{old['partnership']['slug']} · {old['title']}" in party_audited:
                    old["independent_auditor"] = None
            else:
                was_reviewed = any((old["slug"], a["name"]) in reviewed for a in old["agreements"])
            for name in FROM_REVIEWS if was_reviewed else ():
                old.pop(name, None)
                new.pop(name, None)
            assert comparable(new) == comparable(old), (endpoint, old.get("slug") or old["title"])
