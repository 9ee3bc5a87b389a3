"""manage.py seed_demo: the demo registry, loaded once, whatever the number of runs."""

import csv
import io

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.utils import timezone

from agreements.models import Agreement, RiskLevel
from agreements.revisions import Replay, revision_changes
from demo.loader import SEED_CSV
from oversight.models import Review
from oversight.rules import corrective_action_overdue, high_risk_without_dpia
from partnerships.models import Partnership
from publication.choices import PublicationStatus, WithholdingReason
from publication.models import Revision, Withholding

pytestmark = pytest.mark.django_db

REGISTRY_APPS = ("partnerships", "agreements", "oversight", "publication", "auth")


def seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every registry model, as values, for comparing two states."""
    rows = {}
    for app_label in REGISTRY_APPS:
        for model in apps.get_app_config(app_label).get_models():
            rows[model._meta.label] = list(model.objects.order_by("pk").values_list())
    return rows


def test_running_it_twice_changes_nothing():
    seed()
    first = snapshot()

    output = seed()

    assert snapshot() == first
    assert "nothing to change" in output
    assert len(first["agreements.Agreement"]) > 0


def test_it_loads_every_partnership_of_the_seed_table():
    seed()

    with SEED_CSV.open(encoding="utf-8") as rows:
        for row in csv.DictReader(rows):
            partnership = Partnership.objects.get(
                parties__organization__name=row["ngo"], country=row["country"]
            )
            assert set(partnership.organizations.values_list("name", flat=True)) == {
                row["ngo"],
                row["police_agency"],
            }
            assert row["focus_area"] in partnership.focus_areas.values_list("slug", flat=True)
            assert partnership.region == row["region"]
            if row["year_established"]:
                assert partnership.established_on.year == int(row["year_established"])
            else:
                assert partnership.established_on is None


def test_it_spreads_agreements_over_every_status_and_risk_level():
    seed()

    assert set(Agreement.objects.values_list("status", flat=True)) == set(Agreement.Status.values)
    assert set(Partnership.objects.values_list("status", flat=True)) == set(
        Partnership.Status.values
    )
    assert set(
        Agreement.objects.with_risk_level().values_list("derived_risk_level", flat=True)
    ) == set(RiskLevel.values)
    assert set(Review.objects.values_list("status", flat=True)) == set(Review.Status.values)


def test_it_meets_every_flag_condition():
    seed()
    today = timezone.localdate()
    agreements = Agreement.objects

    assert agreements.review_overdue(today).exists() is True
    assert agreements.lacking_independent_auditor().exists() is True
    assert agreements.expired_but_active(today).exists() is True
    assert high_risk_without_dpia(today).exists() is True
    assert corrective_action_overdue(today).exists() is True


def test_it_includes_restricted_records_and_clean_ones():
    seed()

    assert Partnership.objects.public().count() < Partnership.objects.count()
    assert Agreement.objects.public().count() < Agreement.objects.count()
    clean = Agreement.objects.with_independent_auditor().exclude(
        pk__in=Agreement.objects.review_overdue(timezone.localdate())
    )
    assert clean.exists() is True


def test_it_shows_a_withheld_value_a_pending_submission_and_an_embargo(client):
    seed()

    withholding = Withholding.objects.get()
    assert withholding.reason_code == WithholdingReason.SURVIVOR_SAFETY
    partnership = Partnership.objects.public().get(pk=withholding.object_id)
    page = client.get(partnership.get_absolute_url()).content.decode()
    assert "14 Alder Row" not in page
    submitted = Agreement.objects.get(publication_status=PublicationStatus.SUBMITTED)
    assert submitted.submitted_by.username == "ngo-editor"
    embargoed = Agreement.objects.get(publication_status=PublicationStatus.EMBARGOED)
    assert embargoed.embargoed_until > timezone.localdate()
    assert embargoed.embargo_announced is True
    assert not Agreement.objects.public().filter(pk__in=[submitted.pk, embargoed.pk]).exists()
    # A change of the published partnership waits for the other party's approval, and would
    # apply as it stands.
    revision = Revision.objects.of_record(partnership).pending().get()
    assert revision.proposed_by.username == "ngo-editor"
    replay = Replay.of(revision)
    assert replay.valid is True, replay.errors()
    assert [change.what for change in revision_changes(replay)] == ["Objectives"]
    assert "weekly safeguarding meeting" not in page


def test_demo_passwords_are_printed_when_debug_is_on(settings):
    settings.DEBUG = True

    output = seed()

    line = next(line for line in output.splitlines() if line.strip().startswith("board-member"))
    password = line.split("password ")[1].strip()
    assert authenticate(username="board-member", password=password) is not None


def test_demo_passwords_are_never_printed_when_debug_is_off(settings):
    settings.DEBUG = False

    output = seed(reset_passwords=True)

    assert "shown only when DEBUG is on" in output
    for line in output.splitlines():
        if line.strip().startswith("admin"):
            assert "password set" in line


def test_reset_passwords_gives_new_working_passwords(settings):
    settings.DEBUG = True
    seed()

    output = seed(reset_passwords=True)

    line = next(line for line in output.splitlines() if line.strip().startswith("ngo-editor"))
    assert authenticate(username="ngo-editor", password=line.split("password ")[1].strip())


def test_the_home_pages_search_examples_each_find_a_demo_partnership(client):
    seed()
    home = client.get("/").content.decode()
    placeholder = home.split('id="home-search"')[1].split('placeholder="e.g. ')[1].split('"')[0]
    examples = [example.strip() for example in placeholder.split(",")]
    assert len(examples) == 2
    for example in examples:
        found = client.get("/api/v1/partnerships/", {"search": example}).json()["count"]
        assert found > 0, f"the example {example!r} finds nothing in the demo registry"
