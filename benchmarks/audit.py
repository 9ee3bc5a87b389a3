"""Benchmark: the write overhead of the audit trail.

Saves agreements (each with one data-sharing term) through ``agreement_create``, the
service the staff pages use, with the audit triggers enabled and disabled, in the same
run: blocks of 1,000 alternate between the two, so that both see the same database size
and machine load. Figures are appended to benchmarks/RESULTS.md.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_bench_audit \\
        .venv/bin/python benchmarks/audit.py --agreements 10000

Needs PostgreSQL. The database named by DATABASE_URL is created if missing and its
agreements are emptied: never point it at a database you want to keep. The audit
tables cannot be emptied (they are append-only), so they keep growing from run to run,
as they would in production.
"""

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
# Saving an agreement enqueues a flag refresh after commit: an in-memory broker keeps the
# broker's cost out of the comparison.
os.environ["CELERY_BROKER_URL"] = "memory://"

import django  # noqa: E402
import psycopg  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from agreements.services import agreement_create  # noqa: E402
from audit.chain import audit_event_models, audit_log_verify  # noqa: E402
from partnerships.models import Organization, Partnership, PartnershipParty  # noqa: E402
from tests.factories import UserFactory  # noqa: E402

BLOCK = 1000
TERM = {
    "data_category": "case_records",
    "direction": "ngo_to_police",
    "purpose": "Referrals of cases the NGO cannot handle alone.",
    "legal_basis": "public_task",
}


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


def tracked_tables() -> list[str]:
    return [model.pgh_tracked_model._meta.db_table for model in audit_event_models()]


def set_audit(enabled: bool) -> None:
    """Enable or disable every audit trigger on the registry's tables."""
    action = "ENABLE" if enabled else "DISABLE"
    with connection.cursor() as cursor:
        for table in tracked_tables():
            cursor.execute(f"ALTER TABLE {table} {action} TRIGGER USER")


def setup():
    set_audit(False)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE agreements_datasharingterm, agreements_agreement, "
            "partnerships_partnershipparty, partnerships_partnership RESTART IDENTITY CASCADE"
        )
    set_audit(True)
    ngo, _ = Organization.objects.get_or_create(
        slug="bench-ngo", defaults={"name": "Bench NGO", "kind": "ngo", "country": "GB"}
    )
    police, _ = Organization.objects.get_or_create(
        slug="bench-police",
        defaults={"name": "Bench Police", "kind": "police_agency", "country": "GB"},
    )
    partnership = Partnership.objects.create(
        title="Bench partnership", slug="bench", region="europe", country="GB"
    )
    PartnershipParty.objects.create(partnership=partnership, organization=ngo, role="lead_ngo")
    PartnershipParty.objects.create(
        partnership=partnership, organization=police, role="police_agency"
    )
    actor = UserFactory(username="bench-admin", is_superuser=True)
    return partnership, actor


def save_block(partnership, actor, start: int) -> float:
    began = time.perf_counter()
    for n in range(start, start + BLOCK):
        agreement_create(
            partnership=partnership,
            actor=actor,
            data={
                "title": f"Agreement {n}",
                "kind": "data_sharing",
                "status": "signed",
                "signed_on": "2025-01-01",
                "effective_from": "2025-01-01",
            },
            terms=[TERM],
        )
    return time.perf_counter() - began


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agreements", type=int, default=10_000, help="per mode (default 10,000)")
    parser.add_argument("--no-record", action="store_true", help="do not write RESULTS.md")
    args = parser.parse_args()
    blocks = max(args.agreements // BLOCK, 1)

    ensure_database()
    partnership, actor = setup()
    events_before = sum(model.objects.count() for model in audit_event_models())
    timings = {"without": [], "with": []}
    n = 0
    try:
        for block in range(blocks):
            # Alternate which mode goes first, so neither always runs on a warmer cache.
            order = ("without", "with") if block % 2 == 0 else ("with", "without")
            for mode in order:
                set_audit(mode == "with")
                timings[mode].append(save_block(partnership, actor, n))
                n += BLOCK
    finally:
        set_audit(True)
    events_added = sum(model.objects.count() for model in audit_event_models()) - events_before
    verification = audit_log_verify()

    saved = blocks * BLOCK
    total = {mode: sum(times) for mode, times in timings.items()}
    per = {mode: statistics.median(times) / BLOCK * 1000 for mode, times in timings.items()}
    # The headline ratio compares the medians of the blocks: a block slowed down by another
    # process on the (shared) machine moves a total, hardly a median.
    ratio = per["with"] / per["without"]
    block_ratios = [w / wo for w, wo in zip(timings["with"], timings["without"], strict=True)]
    lines = [
        f"## Audit trail write overhead, {timezone.now():%Y-%m-%d %H:%M} UTC",
        "",
        f"{saved:,} agreements (one data-sharing term each) saved through `agreement_create` "
        f"with the audit triggers and {saved:,} without, in alternating blocks of {BLOCK:,}, "
        f"one run; PostgreSQL {connection.pg_version // 10000}, Python "
        f"{platform.python_version()}, {os.cpu_count()} CPUs (shared).",
        "",
        "| | total | median per agreement |",
        "|---|---|---|",
        f"| without audit trail | {total['without']:.1f} s | {per['without']:.2f} ms |",
        f"| with audit trail | {total['with']:.1f} s | {per['with']:.2f} ms |",
        "",
        f"Overhead: **{ratio:.2f}×** (medians; target ≤ 1.5×; totals "
        f"{total['with'] / total['without']:.2f}×, block by block "
        f"{min(block_ratios):.2f}× to {max(block_ratios):.2f}×). {events_added:,} events recorded "
        f"(agreement created, term created, next review date set: 3 per agreement); the "
        f"chain of {verification.checked:,} events verified in the same run: "
        f"{'yes' if verification.ok else 'NO'}.",
        "",
    ]
    report = "\n".join(lines)
    print(report)
    if not args.no_record:
        with open(ROOT / "benchmarks" / "RESULTS.md", "a") as results:
            results.write("\n" + report)
    if not verification.ok:
        sys.exit(f"audit log broken: {verification.broken}")


if __name__ == "__main__":
    main()
