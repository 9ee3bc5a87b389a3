"""Benchmark: the nightly flagging run over a large generated registry, beside hand-written
SQL doing the same work in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_bench \\
        .venv/bin/python benchmarks/flagging.py --agreements 1000000

Needs PostgreSQL. The database named by DATABASE_URL is created if missing and its
registry tables are emptied: never point it at a database you want to keep. Figures
are appended to benchmarks/RESULTS.md.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from benchmarks.generate import audit_triggers, ensure_database, generate  # noqa: E402
from oversight.services import flagging_run  # noqa: E402

HAND_WRITTEN = """
WITH params AS (SELECT %(now)s::timestamptz AS now, %(today)s::date AS today),
in_force AS (SELECT a.* FROM agreements_agreement a WHERE a.status IN ('signed', 'active')),
high_risk AS (
    SELECT DISTINCT t.agreement_id AS id FROM agreements_datasharingterm t
    WHERE t.surveillance_practice <> 'none'
       OR (t.data_category IN ('personal_identifiable', 'special_category', 'victim_records',
                               'biometric_data', 'location_data')
           AND t.direction IN ('ngo_to_police', 'bidirectional'))),
candidates AS (
    SELECT a.id, 'review_overdue' AS kind,
           'The review was due on ' || to_char(a.next_review_due, 'FMDD FMMonth YYYY') || '.'
           AS detail
    FROM in_force a, params WHERE a.next_review_due < params.today
    UNION ALL
    SELECT a.id, 'no_independent_auditor',
           CASE WHEN o.id IS NULL THEN 'No independent auditor is assigned.'
                ELSE 'The auditor, ' || o.name
                     || ', is a party to the partnership: not independent.' END
    FROM in_force a LEFT JOIN partnerships_organization o ON o.id = a.independent_auditor_id
    WHERE a.independent_auditor_id IS NULL OR EXISTS (
        SELECT 1 FROM partnerships_partnershipparty p
        WHERE p.partnership_id = a.partnership_id AND p.organization_id = a.independent_auditor_id)
    UNION ALL
    SELECT a.id, 'expired_but_active',
           'Expired on ' || to_char(a.expires_on, 'FMDD FMMonth YYYY')
           || ' but still marked active.'
    FROM agreements_agreement a, params WHERE a.status = 'active' AND a.expires_on < params.today
    UNION ALL
    SELECT h.id, 'high_risk_without_dpia', 'High-risk data sharing, and no DPIA completed.'
    FROM high_risk h, params WHERE NOT EXISTS (
        SELECT 1 FROM oversight_review r WHERE r.agreement_id = h.id AND r.kind = 'dpia'
        AND r.status = 'completed' AND r.completed_on >= params.today - interval '12 months'
        AND r.completed_on <= params.today)
    UNION ALL
    SELECT r.agreement_id, 'corrective_action_overdue',
           'A corrective action was due on ' || to_char(min(f.due_on), 'FMDD FMMonth YYYY')
           || ' and is still open.'
    FROM oversight_finding f JOIN oversight_review r ON r.id = f.review_id, params
    WHERE f.status = 'open' AND f.due_on < params.today GROUP BY r.agreement_id),
closed AS (
    UPDATE oversight_flag f SET resolved_at = params.now, resolution = 'condition cleared'
    FROM params
    WHERE f.resolved_at IS NULL
      AND NOT EXISTS (SELECT 1 FROM candidates c WHERE c.id = f.agreement_id AND c.kind = f.kind)
    RETURNING f.id)
INSERT INTO oversight_flag (agreement_id, kind, raised_at, resolution, detail)
SELECT c.id, c.kind, params.now, '', c.detail FROM candidates c, params
ON CONFLICT DO NOTHING
"""


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def hand_written_run():
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(HAND_WRITTEN, {"now": now, "today": timezone.localdate(now)})
        return cursor.rowcount


def reset_flags():
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE oversight_flag RESTART IDENTITY")
        cursor.execute("VACUUM ANALYZE oversight_flag")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agreements", type=int, default=1_000_000)
    parser.add_argument(
        "--without-audit",
        action="store_true",
        help="measure with the audit trail's triggers off (both sides), to see the "
        "flagging work alone",
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("This benchmark needs PostgreSQL: set DATABASE_URL=postgres://...")

    ensure_database()
    _, partnerships = timed(lambda: generate(args.agreements))
    audit_triggers(enabled=not args.without_audit)

    baseline_first, baseline_raised = timed(hand_written_run)
    baseline_second, baseline_again = timed(hand_written_run)
    reset_flags()
    service_first, report = timed(lambda: flagging_run(now=timezone.now()))
    service_second, report_again = timed(lambda: flagging_run(now=timezone.now()))
    service_raised = sum(report.raised.values())
    if service_raised != baseline_raised or sum(report_again.raised.values()) or baseline_again:
        sys.exit(f"The two did different work: {service_raised} and {baseline_raised} raised.")

    rows = [
        ("first run (raises every flag)", service_first, baseline_first),
        ("second run (nothing to change)", service_second, baseline_second),
    ]
    lines = [
        "",
        f"## Flagging run, {args.agreements:,} agreements ({timezone.localdate():%Y-%m-%d})",
        "",
        f"`DATABASE_URL=postgres://... .venv/bin/python benchmarks/flagging.py "
        f"--agreements {args.agreements}{' --without-audit' if args.without_audit else ''}` — "
        f"{partnerships:,} partnerships, {service_raised:,} flags raised, audit trail "
        f"{'off' if args.without_audit else 'on (every flag written is an audit event)'}, "
        f"PostgreSQL {connection.pg_version // 10000}, {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f} at the end (the machine is shared).",
        "",
        "| run | flagging service | hand-written SQL | ratio |",
        "|---|---|---|---|",
        *(
            f"| {label} | {service:.2f} s | {baseline:.2f} s | {service / baseline:.2f}× |"
            for label, service, baseline in rows
        ),
        "",
    ]
    print("\n".join(lines))
    results = Path(__file__).with_name("RESULTS.md")
    if not results.exists():
        results.write_text("# Benchmark results\n")
    with results.open("a") as out:
        out.write("\n".join(lines))


if __name__ == "__main__":
    main()
