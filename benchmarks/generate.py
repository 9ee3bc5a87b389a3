"""The registry the benchmarks run on, generated in a scratch PostgreSQL database.

``ensure_database()`` creates the database named by DATABASE_URL if it is missing and
migrates it; ``generate(agreements)`` empties the registry tables and fills them. Import
it after ``django.setup()``.
"""

import psycopg
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from agreements.derived import derived_facts_refresh
from benchmarks.flagging_sql import HAND_WRITTEN
from partnerships.models import Organization, Partnership, PartnershipParty

TABLES = [
    "oversight_flag",
    "oversight_reviewreminder",
    "oversight_finding",
    "oversight_review",
    "agreements_datasharingterm",
    "agreements_agreementsignatory",
    "agreements_agreementdocument",
    "agreements_agreement",
    "partnerships_partnershipparty",
    "partnerships_partnership_focus_areas",
    "partnerships_partnership",
    "partnerships_membership",
    "partnerships_organization",
]


def ensure_database():
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        dbname="postgres",
        autocommit=True,
    ) as admin:
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [settings["NAME"]]
        ).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{settings["NAME"]}"')
    call_command("migrate", verbosity=0)


def generate(agreements: int, *, flags: bool = False) -> int:
    """Empty the registry tables and fill them: ``agreements // 10`` partnerships of an NGO
    and a police agency; agreements over every status, with dates, auditors, signatories,
    public and non-public document versions, terms, DPIAs and findings spread so that every
    flag kind occurs; with ``flags``, the flags the nightly run would raise on them; then
    the agreements' derived facts (``agreements.derived.derived_facts_refresh``). Returns the
    number of partnerships.

    The audit triggers are off while the rows are written: a generated registry has no
    history to record, and recording millions of events would take most of the run.
    """
    audit_triggers(enabled=False)
    try:
        partnerships = _generate(agreements)
        if flags:
            _raise_flags()
        # The facts the agreements store (risk level, auditor independence), derived as a
        # bulk write derives them: set-based, one statement.
        derived_facts_refresh()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE agreements_agreement")
        return partnerships
    finally:
        audit_triggers(enabled=True)


def _raise_flags() -> None:
    """The flags of every rule, raised by the hand-written statement of the flagging
    benchmark (which checks that it raises what the flagging service raises)."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(HAND_WRITTEN, {"now": now, "today": timezone.localdate(now)})
        cursor.execute("ANALYZE oversight_flag")


def registry_size() -> tuple[int, int]:
    """(partnerships, agreements) in the database."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM partnerships_partnership), "
            "(SELECT count(*) FROM agreements_agreement)"
        )
        return cursor.fetchone()


def audit_triggers(enabled: bool) -> None:
    """Turn this session's triggers (the audit trail's) on or off. ``replica`` skips
    ordinary triggers; it needs a superuser, as the benchmark's scratch database has."""
    with connection.cursor() as cursor:
        cursor.execute(f"SET session_replication_role = {'DEFAULT' if enabled else 'replica'}")


def _generate(agreements: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    partnerships = max(agreements // 10, 1)
    organizations = Organization.objects.bulk_create(
        [
            Organization(
                name=f"Org {i}", slug=f"org-{i}-{kind}", kind=kind, country="GB", region="europe"
            )
            for i in range(partnerships)
            for kind in ("ngo", "police_agency")
        ]
        + [Organization(name="Auditor", slug="auditor", kind="auditor")],
        batch_size=5000,
    )
    auditor = organizations[-1]
    created = Partnership.objects.bulk_create(
        [
            Partnership(
                title=f"P {i}",
                slug=f"p-{i}",
                region="europe",
                country="GB",
                publication_status="published",
            )
            for i in range(partnerships)
        ],
        batch_size=5000,
    )
    PartnershipParty.objects.bulk_create(
        [
            PartnershipParty(partnership=p, organization=organizations[2 * i + side], role=role)
            for i, p in enumerate(created)
            for side, role in ((0, "lead_ngo"), (1, "police_agency"))
        ],
        batch_size=5000,
    )
    first = created[0].pk
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO agreements_agreement (
                created_at, updated_at, partnership_id, kind, reference, title, status,
                signed_on, effective_from, expires_on, auto_expire, review_interval_months,
                next_review_due, independent_auditor_id, public_summary, visibility,
                publication_status)
            SELECT now(), now(), %(first)s + (g %% %(partnerships)s), 'mou', '', 'A ' || g,
                (ARRAY['draft','negotiating','signed','active','active','active','expired',
                       'terminated','superseded'])[1 + g %% 9],
                current_date - 800, current_date - 800,
                current_date + (g %% 1000)::int - 200, false, 12,
                current_date + (g %% 730)::int - 365,
                CASE g %% 4 WHEN 0 THEN NULL
                            WHEN 1 THEN (SELECT organization_id FROM partnerships_partnershipparty
                                         WHERE partnership_id = %(first)s + (g %% %(partnerships)s)
                                         LIMIT 1)
                            ELSE %(auditor)s END,
                '', 'public', 'published'
            FROM generate_series(1, %(n)s) AS g
            """,
            {"first": first, "partnerships": partnerships, "auditor": auditor.pk, "n": agreements},
        )
        cursor.execute(
            """
            INSERT INTO agreements_datasharingterm (
                created_at, updated_at, agreement_id, data_category, direction, purpose,
                legal_basis, legal_instrument, consent_required, onward_sharing_allowed,
                access_controls, surveillance_practice)
            SELECT now(), now(), a.id,
                (ARRAY['aggregate_statistics','case_records','personal_identifiable',
                       'special_category','victim_records','location_data','cctv_footage',
                       'body_worn_camera_footage','social_media_data','biometric_data'])
                    [1 + a.id %% 10],
                (ARRAY['ngo_to_police','police_to_ngo','bidirectional'])[1 + a.id %% 3],
                'generated', 'none_stated', '', false, a.id %% 5 = 0, '',
                CASE WHEN a.id %% 8 = 0 THEN 'cctv_monitoring' ELSE 'none' END
            FROM agreements_agreement a
            """,
            {},
        )
        cursor.execute(
            """
            INSERT INTO oversight_review (
                created_at, updated_at, agreement_id, reviewer_id, kind, status, started_on,
                completed_on, outcome, public_summary, notes, conflict_of_interest,
                declared_ties)
            SELECT now(), now(), a.id, %(auditor)s,
                CASE WHEN a.id %% 2 = 0 THEN 'dpia' ELSE 'audit' END, 'completed',
                current_date - (a.id %% 500)::int, current_date - (a.id %% 500)::int,
                'concerns', '', '', 'none', ''
            FROM agreements_agreement a WHERE a.id %% 5 = 0
            """,
            {"auditor": auditor.pk},
        )
        cursor.execute(
            """
            INSERT INTO oversight_finding (
                created_at, updated_at, review_id, severity, summary, corrective_action,
                due_on, status)
            SELECT now(), now(), r.id, 'major', 'generated', 'generated',
                current_date + (r.id %% 60)::int - 30, 'open'
            FROM oversight_review r WHERE r.id %% 2 = 1
            """,
            {},
        )
        # The parties sign what they have agreed (not drafts or agreements in negotiation).
        cursor.execute(
            """
            INSERT INTO agreements_agreementsignatory (agreement_id, organization_id, signed_on)
            SELECT a.id, p.organization_id, a.signed_on
            FROM agreements_agreement a
            JOIN partnerships_partnershipparty p ON p.partnership_id = a.partnership_id
            WHERE a.status NOT IN ('draft', 'negotiating')
            """
        )
        # A public signed text for one agreement in three; one in six has a second,
        # non-public version.
        cursor.execute(
            """
            INSERT INTO agreements_agreementdocument (
                agreement_id, version, file, sha256, size_bytes, uploaded_at, is_public)
            SELECT a.id, v, 'agreements/' || a.id || '/v' || v || '.pdf',
                encode(sha256((a.id || '/' || v)::bytea), 'hex'), 100000 + a.id %% 5000,
                now() - make_interval(days => 400 - v), v = 1
            FROM agreements_agreement a, generate_series(1, 2) AS v
            WHERE a.id %% 3 = 0 AND (v = 1 OR a.id %% 6 = 0)
            """,
            {},
        )
        cursor.execute("ANALYZE")
    return partnerships
