"""Benchmark: the nightly flagging run over a large generated registry, beside hand-written
SQL doing the same work in the same run; then, on the same registry, the run over one
agreement that follows a staff write.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_bench \\
        .venv/bin/python benchmarks/flagging.py --agreements 1000000

Needs PostgreSQL. The database named by DATABASE_URL is created if missing; its registry
is generated unless it already holds one of the size asked for (then its flags are
emptied and raised again): never point it at a database you want to keep. Figures
are appended to benchmarks/RESULTS.md.
"""

import argparse
import logging
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from agreements.derived import derived_facts_refresh  # noqa: E402
from agreements.models import Agreement  # noqa: E402
from benchmarks.flagging_sql import HAND_WRITTEN  # noqa: E402
from benchmarks.generate import (  # noqa: E402
    audit_triggers,
    ensure_database,
    generate,
    registry_size,
)
from oversight.flagging import flagging_run  # noqa: E402
from oversight.models import Flag  # noqa: E402

# A scoped run takes milliseconds: the median of this many says more than one.
SCOPED_REPEATS = 21


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def hand_written_run():
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(HAND_WRITTEN, {"now": now, "today": timezone.localdate(now)})
        return cursor.rowcount


def scoped_runs():
    """The median time of a flagging run over one agreement in force, with nothing to change,
    and after a change that raises or closes its review-overdue flag (what a staff write
    asks for), taken in turns so that both meet the same load. Each changed run must have
    raised or closed that flag, and nothing else."""
    today = timezone.localdate()
    agreement = (
        Agreement.objects.in_force()
        .filter(next_review_due__gt=today)
        .exclude(flags__kind=Flag.Kind.REVIEW_OVERDUE)
        .order_by("pk")
        .first()
    )
    ids = [agreement.pk]
    # By day, autovacuum has long since gone over the night's flags and their audit
    # events; left to it here, it would run in the middle of the measurement.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    log = logging.getLogger("oversight.flagging")
    level = log.level
    log.setLevel(logging.WARNING)  # a line per run would bury the figures
    try:
        flagging_run(now=timezone.now(), agreement_ids=ids)  # its flags as they should be
        idle, changed = [], []
        for n in range(SCOPED_REPEATS):
            idle.append(timed(lambda: flagging_run(now=timezone.now(), agreement_ids=ids))[0])
            overdue = n % 2 == 0
            due = today - timedelta(days=1) if overdue else agreement.next_review_due
            Agreement.objects.filter(pk=agreement.pk).update(next_review_due=due)
            seconds, report = timed(lambda: flagging_run(now=timezone.now(), agreement_ids=ids))
            work = (report.raised if overdue else report.closed)[Flag.Kind.REVIEW_OVERDUE]
            if work != 1 or sum(report.raised.values()) + sum(report.closed.values()) != 1:
                sys.exit(f"The scoped run did the wrong work: {report.as_dict()}")
            changed.append(seconds)
    finally:
        log.setLevel(level)
    return statistics.median(idle), statistics.median(changed)


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
    ensure_database()
    partnerships, agreements = registry_size()
    if agreements != args.agreements:
        partnerships = generate(args.agreements)
    reset_flags()  # a registry reused from an earlier run: both sides start without flags
    audit_triggers(enabled=not args.without_audit)

    baseline_first, baseline_raised = timed(hand_written_run)
    baseline_second, baseline_again = timed(hand_written_run)
    reset_flags()
    service_first, report = timed(lambda: flagging_run(now=timezone.now()))
    service_second, report_again = timed(lambda: flagging_run(now=timezone.now()))
    service_raised = sum(report.raised.values())
    if service_raised != baseline_raised or sum(report_again.raised.values()) or baseline_again:
        sys.exit(f"The two did different work: {service_raised} and {baseline_raised} raised.")
    scoped_idle, scoped_changed = scoped_runs()
    # Not part of the flagging run: the nightly job of its own that re-derives the stored
    # facts the run judges (``refresh_derived``, scheduled before it), shown beside it.
    safety_net, _ = timed(derived_facts_refresh)

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
        f"The nightly safety net scheduled before the run (`refresh_derived`: every "
        f"agreement's stored risk level and auditor independence compared with their rules, "
        f"nothing to change), a job of its own: {safety_net:.2f} s.",
        "",
        f"The run a staff write enqueues, over the one agreement it touched, on the same "
        f"registry (median of {SCOPED_REPEATS}):",
        "",
        "| run | flagging service | beside the registry-wide second run |",
        "|---|---|---|",
        *(
            f"| {label} | {seconds * 1000:.1f} ms | {seconds / service_second:.4f}× |"
            for label, seconds in (
                ("one agreement, nothing to change", scoped_idle),
                ("one agreement, its flag raised or closed", scoped_changed),
            )
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
