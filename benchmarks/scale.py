"""Benchmark: the public read path at 10,000 and at 1,000,000 agreements.

    make bench-scale

Two generated registries (``benchmarks/generate.py``, flags raised), one of 10,000 and one
of 1,000,000 agreements, each in a database of its own (``SCALE_10K_DATABASE_URL``,
``SCALE_1M_DATABASE_URL``). A registry of the right size is reused: it is only migrated,
its stored derived facts refreshed (``agreements.derived``) and its summary
of headline figures and of the unfiltered registry's counts beside its filter options
refreshed (``public.summary``); a missing one is generated first.

Then, on each registry, in a process of its own, every request below through Django's
test ``Client`` (routing, middleware, filters, pagination, rendering; the figures are the
server's side of a request), ``--requests`` times each after one warm-up, in turns:
each list of the API with the journalist's filters, its first page and its deepest page
by cursor, a search, the registry's page (filtered, searched, deepest), the oversight
dashboard as a member of an oversight body, the home page, ``/api/v1/stats/``, and one
agreement's detail (API and page). It prints one table: p50 and p99 at 10k and at 1M, the
ratios (1M/10k; 1M beside the same surface's detail at 1M; the deepest page beside the
first) and the queries per request; then, at 1M, PostgreSQL's plans of the journalist's
questions, and the JIT on and off; and appends the table, the date and the machine's load to
``benchmarks/RESULTS.md``, with each goal met or missed:

- every list, the home page and the stats at 1M within 1.5x of the same at 10k, and
  within 3x of one record's detail at 1M on the same surface (an API list beside one
  agreement's JSON, a page beside one agreement's page: a page of the site carries its
  header, menus and footer whatever it lists);
- the deepest page within 1.5x of the first;
- no more queries at 1M than at 10k (one fewer where the count is an estimate).
"""

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ["CELERY_BROKER_URL"] = "memory://"

import django  # noqa: E402
import psycopg  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.migrations.exceptions import InconsistentMigrationHistory  # noqa: E402
from django.http import QueryDict  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from agreements.derived import derived_facts_refresh  # noqa: E402
from agreements.models import Agreement  # noqa: E402
from benchmarks.generate import ensure_database, generate, registry_size  # noqa: E402
from core import keyset  # noqa: E402
from partnerships.models import Membership, Organization  # noqa: E402
from public.api.agreements import AgreementViewSet  # noqa: E402
from public.api.partnerships import PartnershipViewSet, partnership_queryset  # noqa: E402
from public.filters import AgreementFilter, PartnershipFilter  # noqa: E402
from public.summary import refresh_summary  # noqa: E402

SIZES = {"10k": 10_000, "1m": 1_000_000}
DEFAULT_URLS = {
    "10k": "postgres://postgres@127.0.0.1:5432/registry_scale_10k",
    "1m": "postgres://postgres@127.0.0.1:5432/registry_scale_1m",
}
RESULTS = ROOT / "benchmarks" / "RESULTS.md"

# The journalist's question of the README: active agreements in Europe sharing personal or
# special-category data with the police, without an independent auditor.
QUESTION = [
    ("status", "active"),
    ("region", "europe"),
    ("data_category", "personal_identifiable"),
    ("data_category", "special_category"),
    ("direction", "ngo_to_police"),
    ("direction", "bidirectional"),
    ("has_independent_auditor", "false"),
]
PARTNERSHIP_QUESTION = [("region", "europe"), ("risk_level", "high"), ("flag", "review_overdue")]
# A selective word that finds the same few records at both sizes (the generated titles and
# names are "A 424", "P 424", "Org 424"; "4242" found nothing at 10k, which made the
# search's two sizes different questions before 2026-12-01).
SEARCH = "424"
BOARD_MEMBER = "scale-board-member"


# Preparing a registry ---------------------------------------------------------------


def prepare(agreements: int) -> None:
    """The registry of DATABASE_URL: migrated, generated when it is not of the right size,
    its derived facts and its summary refreshed, a board member present."""
    try:
        ensure_database()
    except InconsistentMigrationHistory:
        # Migrations rewritten since the registry was generated: it is generated again.
        print("the registry's migrations were rewritten: generating it again")
        drop_database()
        ensure_database()
    if registry_size()[1] != agreements:
        started = time.monotonic()
        generate(agreements, flags=True)
        print(f"generated {agreements:,} agreements in {time.monotonic() - started:.0f} s")
    refresh_derived()
    board_member()
    refresh_summary()  # last: any write before it would leave it stale
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def drop_database() -> None:
    settings = connection.settings_dict
    connection.close()
    with psycopg.connect(
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{settings["NAME"]}" WITH (FORCE)')


def refresh_derived() -> None:
    """The stored derived facts (risk level, auditor independence): the
    nightly safety net's function, which backfills them."""
    started = time.monotonic()
    derived_facts_refresh()
    print(f"derived facts refreshed in {time.monotonic() - started:.0f} s")


def board_member():
    body, _ = Organization.objects.get_or_create(
        slug="scale-oversight-board",
        defaults={"name": "Scale oversight board", "kind": "oversight_body", "is_confirmed": True},
    )
    user, _ = get_user_model().objects.get_or_create(username=BOARD_MEMBER)
    Membership.objects.get_or_create(user=user, organization=body)
    return user


# The requests -----------------------------------------------------------------------


def deepest_cursor(queryset, size: int) -> str:
    """The cursor of the last page of ``queryset`` (as its next links would reach it)."""
    keyed = keyset.Keyed(queryset)
    rows = list(keyed.ordered(backwards=True).values(*keyed.names)[size : size + 1])
    return keyed.cursor(rows[0], backwards=False)


def api_deepest(viewset, filterset, params, size=50) -> str:
    queryset = filterset(QueryDict(urlencode(params)), queryset=viewset().base_queryset()).qs
    return urlencode([*params, ("cursor", deepest_cursor(queryset, size))])


def registry_deepest(params) -> str:
    queryset = PartnershipFilter(QueryDict(urlencode(params)), queryset=partnership_queryset()).qs
    return urlencode([*params, ("cursor", deepest_cursor(queryset, 25))])


def requests() -> dict:
    """name -> (path, signed in as a board member)."""
    question = urlencode(QUESTION)
    partnerships = urlencode(PARTNERSHIP_QUESTION)
    agreement = (
        Agreement.objects.public()
        .order_by("pk")
        .values_list("pk", flat=True)[Agreement.objects.count() // 2]
    )
    return {
        "detail: agreement (API)": (f"/api/v1/agreements/{agreement}/", False),
        "detail: agreement page": (f"/agreements/{agreement}/", False),
        "API agreements, journalist's filters": (f"/api/v1/agreements/?{question}", False),
        "API agreements, same, deepest page": (
            "/api/v1/agreements/?" + api_deepest(AgreementViewSet, AgreementFilter, QUESTION),
            False,
        ),
        "API agreements, unfiltered": ("/api/v1/agreements/", False),
        "API agreements, unfiltered, deepest page": (
            "/api/v1/agreements/?" + api_deepest(AgreementViewSet, AgreementFilter, []),
            False,
        ),
        "API agreements, search": (f"/api/v1/agreements/?search={SEARCH}", False),
        # A rarer kind of open flag (one agreement in twenty): the flags' own index.
        "API agreements, open flag": ("/api/v1/agreements/?flag=corrective_action_overdue", False),
        "API partnerships, filtered": (f"/api/v1/partnerships/?{partnerships}", False),
        "API partnerships, deepest page": (
            "/api/v1/partnerships/?" + api_deepest(PartnershipViewSet, PartnershipFilter, []),
            False,
        ),
        "API organizations, police agencies": ("/api/v1/organizations/?kind=police_agency", False),
        "API reviews, DPIAs": ("/api/v1/reviews/?kind=dpia&region=europe", False),
        "API flags, open, review overdue": ("/api/v1/flags/?kind=review_overdue&open=true", False),
        "API feedback": ("/api/v1/feedback/", False),
        "registry page": ("/partnerships/", False),
        "registry page, filtered": (f"/partnerships/?{partnerships}", False),
        "registry page, search": (f"/partnerships/?search={SEARCH}", False),
        "registry page, deepest": ("/partnerships/?" + registry_deepest([]), False),
        "oversight dashboard (board member)": ("/oversight/", True),
        "home page": ("/", False),
        "API stats": ("/api/v1/stats/", False),
    }


def percentile(samples, fraction):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure(count: int) -> dict:
    """Each request ``count`` times after a warm-up, in turns: p50, p99 (ms), queries."""
    ContentType.objects.get_for_models(*django.apps.apps.get_models())
    anonymous, member = Client(), Client()
    member.force_login(board_member())
    plan = requests()
    samples = {name: [] for name in plan}
    queries, statuses = {}, {}
    for name, (path, signed_in) in plan.items():
        client = member if signed_in else anonymous
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        queries[name] = len(captured.captured_queries)
        statuses[name] = response.status_code
    for _ in range(count):
        for name, (path, signed_in) in plan.items():
            client = member if signed_in else anonymous
            started = time.perf_counter()
            response = client.get(path)
            if response.streaming:
                b"".join(response.streaming_content)
            samples[name].append((time.perf_counter() - started) * 1000)
    return {
        name: {
            "p50": statistics.median(values),
            "p99": percentile(values, 0.99),
            "queries": queries[name],
            "status": statuses[name],
        }
        for name, values in samples.items()
    }


def explain(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def questions() -> dict:
    """The journalist's questions as the API and the registry ask them (page and count)."""
    agreements = AgreementFilter(
        QueryDict(urlencode(QUESTION)), queryset=AgreementViewSet().base_queryset()
    ).qs
    partnerships = PartnershipFilter(
        QueryDict(urlencode(PARTNERSHIP_QUESTION)), queryset=partnership_queryset()
    ).qs
    searched = AgreementFilter(
        QueryDict(urlencode([("search", SEARCH)])), queryset=AgreementViewSet().base_queryset()
    ).qs
    keyed = keyset.Keyed(agreements)
    return {
        "API agreements, journalist's filters: first page": keyed.ordered().values(
            *AgreementViewSet().row_fields, *keyed.names
        )[:51],
        "API agreements, journalist's filters: deepest page": (
            keyed.ordered().filter(
                keyed.beyond(
                    list(keyed.ordered(backwards=True).values_list(*keyed.names)[50:51][0])
                )
            )
        ).values("pk")[:51],
        "API agreements, journalist's filters: count (capped)": agreements.order_by().values("pk")[
            : keyset.EXACT_COUNT_UP_TO + 1
        ],
        "API agreements, search": keyset.Keyed(searched).ordered().values("pk")[:51],
        "registry, filtered: first page": keyset.Keyed(partnerships).ordered()[:26],
    }


def plans() -> dict:
    return {name: explain(queryset) for name, queryset in questions().items()}


def jit_figures(rounds: int = 5) -> dict:
    """Each question's time with PostgreSQL's JIT on and off (median of ``rounds``, in
    turns), in ms."""
    figures = {}
    for name, queryset in questions().items():
        sql, params = queryset.query.sql_with_params()
        times = {"on": [], "off": []}
        with connection.cursor() as cursor:
            for _ in range(rounds):
                for setting in ("on", "off"):
                    cursor.execute(f"SET jit = {setting}")
                    started = time.perf_counter()
                    cursor.execute(sql, params)
                    cursor.fetchall()
                    times[setting].append((time.perf_counter() - started) * 1000)
            cursor.execute("RESET jit")
        figures[name] = {key: statistics.median(values) for key, values in times.items()}
    return figures


# The run ----------------------------------------------------------------------------


def child(args, url: str, *extra) -> str:
    environment = os.environ | {"DATABASE_URL": url}
    result = subprocess.run(  # noqa: S603 - this script, with arguments of its own
        [sys.executable, __file__, *extra],
        env=environment,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return result.stdout


def ratio_cell(value: float, goal: float) -> str:
    return f"{value:.2f}× {'✓' if value <= goal else '✗'}"


def detail_of(name: str) -> str:
    """The detail a request is compared with: one agreement on the same surface, the API's
    JSON for an API list, the agreement's page for a page (which carries the same header,
    menus and footer as every page)."""
    return "detail: agreement (API)" if name.startswith("API") else "detail: agreement page"


def table(results: dict) -> tuple[str, list[str]]:
    small, large = results["10k"]["requests"], results["1m"]["requests"]
    lines = [
        "| request | p50 10k | p99 10k | p50 1M | p99 1M | 1M / 10k (≤ 1.5×) "
        "| 1M / its surface's detail (≤ 3×) | deepest / first (≤ 1.5×) | queries 10k / 1M |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    missed = []
    for name, figures in large.items():
        base = small[name]
        scale = figures["p50"] / base["p50"] if base["p50"] else 0
        is_detail = name.startswith("detail")
        detail = large[detail_of(name)]["p50"]
        against_detail = figures["p50"] / detail if detail else 0
        deepest = ""
        if "deepest" in name:
            first = {
                "API agreements, same, deepest page": "API agreements, journalist's filters",
                "API agreements, unfiltered, deepest page": "API agreements, unfiltered",
                "API partnerships, deepest page": "API partnerships, filtered",
                "registry page, deepest": "registry page",
            }[name]
            depth = figures["p50"] / large[first]["p50"]
            deepest = ratio_cell(depth, 1.5)
            if depth > 1.5:
                missed.append(f"{name}: {depth:.2f}× the first page")
        # Never more queries at 1M (one fewer where the count is the planner's estimate
        # alone: no exact count above the threshold).
        same_queries = figures["queries"] <= base["queries"]
        scale_text = f"{scale:.2f}×" if is_detail else ratio_cell(scale, 1.5)
        lines.append(
            f"| {name} | {base['p50']:.1f} ms | {base['p99']:.1f} ms | {figures['p50']:.1f} ms "
            f"| {figures['p99']:.1f} ms | {scale_text} "
            f"| {'' if is_detail else ratio_cell(against_detail, 3)} | {deepest} "
            f"| {base['queries']} / {figures['queries']}{'' if same_queries else ' ✗'} |"
        )
        if not is_detail and scale > 1.5:
            missed.append(f"{name}: {scale:.2f}× its time at 10k")
        if not is_detail and against_detail > 3:
            missed.append(f"{name}: {against_detail:.1f}× the detail")
        if not same_queries:
            missed.append(f"{name}: {base['queries']} queries at 10k, {figures['queries']} at 1M")  # noqa: E501
        if figures["status"] != 200 or base["status"] != 200:
            missed.append(f"{name}: answered {base['status']} / {figures['status']}")
    return "\n".join(lines), missed


def run(args) -> None:
    urls = {
        "10k": os.environ.get("SCALE_10K_DATABASE_URL", DEFAULT_URLS["10k"]),
        "1m": os.environ.get("SCALE_1M_DATABASE_URL", DEFAULT_URLS["1m"]),
    }
    for label, url in urls.items():
        print(f"preparing the {label} registry...", flush=True)
        child(args, url, "--prepare", str(SIZES[label]))
    load_before = os.getloadavg()
    results = {}
    for label, url in urls.items():
        print(f"measuring the {label} registry...", flush=True)
        out = child(
            args, url, "--measure", str(args.requests), *(["--plans"] if label == "1m" else [])
        )
        results[label] = json.loads(out.strip().splitlines()[-1])
    load_after = os.getloadavg()
    rows, missed = table(results)
    print(rows)
    plans_text = results["1m"].get("plans", {})
    for name, plan in plans_text.items():
        print(f"\n### {name} (1M)\n{plan}")
    jit = results["1m"].get("jit", {})
    jit_lines = ["| question (1M) | JIT on | JIT off |", "|---|---|---|"] + [
        f"| {name} | {values['on']:.1f} ms | {values['off']:.1f} ms |"
        for name, values in jit.items()
    ]
    print("\n" + "\n".join(jit_lines))
    verdict = (
        "Every goal met."
        if not missed
        else "Goals missed:\n\n" + "\n".join(f"- {line}" for line in missed)
    )
    print("\n" + verdict)
    if args.no_record:
        return
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = (
        f"\n## Read path at scale, 10,000 and 1,000,000 agreements, {stamp}\n\n"
        f"`make bench-scale` (`benchmarks/scale.py --requests {args.requests}`): each "
        "request through Django's test client, after one warm-up, in turns; 1,000 and "
        "100,000 partnerships, flags raised; PostgreSQL 15, 2 CPUs shared with other work "
        f"(load average {load_before[0]:.1f}/{load_before[1]:.1f}/{load_before[2]:.1f} before, "
        f"{load_after[0]:.1f}/{load_after[1]:.1f}/{load_after[2]:.1f} after).\n\n"
        f"{rows}\n\nPostgreSQL's JIT, the same queries run directly (median of 5, in turns):"
        f"\n\n" + "\n".join(jit_lines) + f"\n\n{verdict}\n"
    )
    with RESULTS.open("a") as results_file:
        results_file.write(section)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=15, help="timed requests of each kind")
    parser.add_argument("--no-record", action="store_true", help="print only")
    parser.add_argument("--prepare", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--plans", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        prepare(args.prepare)
    elif args.measure:
        figures = {"requests": measure(args.measure)}
        if args.plans:
            figures["plans"] = plans()
            figures["jit"] = jit_figures()
        print(json.dumps(figures))
    else:
        run(args)


if __name__ == "__main__":
    main()
