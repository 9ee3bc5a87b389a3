"""Benchmark: a CSV import of 10,000 new agreements (each with one data-sharing term), beside
a plain bulk insert of the same rows.

The import is what the background task runs (``imports.services``): the dry run (every
row read, checked and compared with the registry), then applying it (planned again, then
written in one transaction by ``agreements_create_bulk``, with the checks of
``agreement_create``). The baseline is the cost of the answer itself: the same rows read
from the same file and inserted with two ``bulk_create`` calls, no check at all. Both run
with the audit trail's triggers on, in alternating rounds on the same database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_bench_import \\
        .venv/bin/python benchmarks/imports.py --agreements 10000

Needs PostgreSQL. The database named by DATABASE_URL is created if missing and its
registry tables are emptied: never point it at a database you want to keep. Figures are
appended to benchmarks/RESULTS.md.
"""

import argparse
import csv
import io
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
# Applying enqueues a flag refresh after commit: an in-memory broker keeps the broker's
# cost out of the comparison.
os.environ["CELERY_BROKER_URL"] = "memory://"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from agreements.models import Agreement, DataSharingTerm  # noqa: E402
from benchmarks.generate import ensure_database  # noqa: E402
from imports.models import ImportJob  # noqa: E402
from imports.services import import_job_apply, import_job_start  # noqa: E402
from partnerships.models import Membership, Organization, Partnership, PartnershipParty  # noqa: E402
from tests.factories import UserFactory  # noqa: E402

TABLES = (
    "imports_importjob, agreements_datasharingterm, agreements_agreement, "
    "partnerships_partnershipparty, partnerships_partnership"
)


def audit_triggers(enabled: bool) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SET session_replication_role = {'DEFAULT' if enabled else 'replica'}")


def setup():
    """An empty registry but for a partnership of an NGO and a police agency, its NGO's
    editor, and the export's row of one agreement (the template of every generated row)."""
    audit_triggers(False)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE")
    audit_triggers(True)
    ngo, _ = Organization.objects.get_or_create(
        slug="bench-ngo", defaults={"name": "Bench NGO", "kind": "ngo", "country": "GB"}
    )
    police, _ = Organization.objects.get_or_create(
        slug="bench-police",
        defaults={"name": "Bench Police", "kind": "police_agency", "country": "GB"},
    )
    partnership = Partnership.objects.create(
        title="Bench partnership",
        slug="bench",
        region="europe",
        country="GB",
        publication_status="published",
    )
    PartnershipParty.objects.create(partnership=partnership, organization=ngo, role="lead_ngo")
    PartnershipParty.objects.create(
        partnership=partnership, organization=police, role="police_agency"
    )
    editor = UserFactory(username="bench-import-editor")
    Membership.objects.get_or_create(user=editor, organization=ngo, defaults={"role": "editor"})
    template = Agreement.objects.create(
        partnership=partnership,
        title="Template",
        kind="data_sharing",
        status="signed",
        signed_on="2025-01-01",
        effective_from="2025-01-01",
        publication_status="published",
    )
    DataSharingTerm.objects.create(
        agreement=template,
        data_category="case_records",
        direction="ngo_to_police",
        purpose="Referrals of cases the NGO cannot handle alone.",
        legal_basis="public_task",
        retention_days=365,
    )
    response = Client().get("/api/v1/agreements/?format=csv")
    reader = csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    header, [row] = reader.fieldnames, list(reader)
    template.delete()
    return editor, header, row


def generated_file(header, template: dict, count: int, prefix: str) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\r\n")
    writer.writeheader()
    for n in range(count):
        writer.writerow(
            dict(template, id="", reference=f"{prefix}-{n:06}", title=f"{prefix} agreement {n}")
        )
    return out.getvalue()


class Queries:
    """Counts the queries run inside, without keeping them."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    def __enter__(self):
        self._wrapper = connection.execute_wrapper(self)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        return self._wrapper.__exit__(*exc)


def run_import(editor, text: str) -> dict:
    upload = SimpleUploadedFile("bench.csv", text.encode())
    with Queries() as queries:
        began = time.perf_counter()
        job = import_job_start(actor=editor, file=upload)
        checked = time.perf_counter()
        job = import_job_apply(job=job, actor=editor)
        applied = time.perf_counter()
    if job.status != ImportJob.Status.APPLIED:
        sys.exit(f"the import was not applied: {job.status}: {job.message}")
    return {
        "dry run": checked - began,
        "apply": applied - checked,
        "total": applied - began,
        "queries": queries.count,
        "created": job.result["created"],
    }


def run_baseline(text: str, partnership: Partnership) -> dict:
    """The same rows read from the same file and inserted as they are."""
    fields = ("kind", "reference", "title", "status", "signed_on", "effective_from")
    began = time.perf_counter()
    with Queries() as queries, transaction.atomic():
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        agreements = Agreement.objects.bulk_create(
            [
                Agreement(
                    partnership=partnership,
                    review_interval_months=int(row["review_interval_months"]),
                    **{name: row[name] or None for name in fields},
                )
                for row in rows
            ],
            batch_size=1000,
        )
        DataSharingTerm.objects.bulk_create(
            [
                DataSharingTerm(agreement=agreement, **term)
                for agreement, row in zip(agreements, rows, strict=True)
                for term in json.loads(row["data_sharing_terms"])
            ],
            batch_size=1000,
        )
    return {"total": time.perf_counter() - began, "queries": queries.count}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agreements", type=int, default=10_000, help="per run (10,000)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each (3)")
    parser.add_argument("--no-record", action="store_true", help="do not write RESULTS.md")
    args = parser.parse_args()

    ensure_database()
    # The whole file in this process, as the background task runs it.
    settings.IMPORT_INLINE_ROWS = args.agreements
    settings.IMPORT_MAX_BYTES = 1024 * 1024 * 1024
    editor, header, template = setup()
    partnership = Partnership.objects.get(slug="bench")
    imports, baselines = [], []
    size = 0
    for round_ in range(args.rounds):
        # Alternate which goes first, so that neither always meets a warmer cache.
        for mode in ("baseline", "import") if round_ % 2 == 0 else ("import", "baseline"):
            text = generated_file(header, template, args.agreements, f"R{round_}{mode[0]}")
            size = len(text.encode())
            if mode == "import":
                imports.append(run_import(editor, text))
            else:
                baselines.append(run_baseline(text, partnership))
    expected = args.rounds * args.agreements * 2
    if Agreement.objects.count() != expected:
        sys.exit(f"{Agreement.objects.count()} agreements, not {expected}")

    def median(runs, key):
        return statistics.median(run[key] for run in runs)

    base = median(baselines, "total")
    dry, apply, total = (median(imports, key) for key in ("dry run", "apply", "total"))
    n = args.agreements
    lines = [
        f"## CSV import of {n:,} agreements, {timezone.now():%Y-%m-%d %H:%M} UTC",
        "",
        f"`benchmarks/imports.py --agreements {n} --rounds {args.rounds}`: a file of {n:,} new "
        f"agreements ({size / 1024 / 1024:.1f} MiB, one data-sharing term each, in the "
        "agreements export's columns) imported by the background task's service, beside a "
        "plain bulk insert of the same rows read from the same file (two `bulk_create`, no "
        f"check: the cost of the answer itself); medians of {args.rounds} alternating runs, "
        f"audit trail on; PostgreSQL {connection.pg_version // 10000}, Python "
        f"{platform.python_version()}, {os.cpu_count()} CPUs (shared).",
        "",
        "| | time | per agreement | queries |",
        "|---|---|---|---|",
        f"| import: dry run | {dry:.2f} s | {dry / n * 1000:.3f} ms | |",
        f"| import: apply (planned again, then written in one transaction) | {apply:.2f} s | "
        f"{apply / n * 1000:.3f} ms | |",
        f"| import: both | {total:.2f} s | {total / n * 1000:.3f} ms | "
        f"{int(median(imports, 'queries'))} |",
        f"| plain bulk insert | {base:.2f} s | {base / n * 1000:.3f} ms | "
        f"{int(median(baselines, 'queries'))} |",
        "",
        f"Ratio: applying is **{apply / base:.1f}×** the plain insert; the dry run and applying "
        f"together {total / base:.1f}×.",
        "",
    ]
    report = "\n".join(lines)
    print(report)
    if not args.no_record:
        with open(ROOT / "benchmarks" / "RESULTS.md", "a") as results:
            results.write("\n" + report)


if __name__ == "__main__":
    main()
