"""Benchmark: the public API over a large generated registry, beside hand-written psycopg
queries and orjson producing the same bytes in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_bench \\
        .venv/bin/python benchmarks/api.py --agreements 1000000

1. A filtered page of 100 agreements, the README's journalist question (active, in
   Europe, personal or special-category data to the police, no independent auditor):
   p50 and p99 of the API view, called through Django's test ``Client`` (URL routing,
   middleware, filters, pagination, rendering), beside a hand-written psycopg query and
   orjson building the same JSON. The requests alternate, so that both see the same load.
   The two bodies must be the same (but for the next page's cursor token, which the API
   signs, and the count where both are the planner's estimate: the API counts exactly up
   to 10,000 rows, as ``core.keyset.cheap_count``), and the queries per page the same for
   1 and 100 rows.
2. The CSV export of every agreement (``?format=csv``): rows per second beside a
   server-side-cursor dump of the same columns (the same bytes), and the process's peak
   memory growth during the export. The same for the JSON export (``?format=json``),
   beside the hand-written page's queries and objects run a chunk of rows at a time from a
   server-side cursor (the same bytes).

Needs PostgreSQL. The database named by DATABASE_URL is created if missing and its
registry tables are emptied and refilled (``benchmarks/generate.py``): never point it at a
database you want to keep. ``--keep-data`` reuses a registry of the right size (e.g. the
one ``benchmarks/flagging.py`` left). A few values of the agreements the page shows are
withheld from the public first (``withhold_a_few``), so that both sides show ``withheld``
entries and null values, and one partnership's region, so that the filter must leave it
out. Figures are appended to benchmarks/RESULTS.md.
"""

import argparse
import base64
import datetime as dt
import gc
import os
import re
import statistics
import sys
import time
import zlib
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ["CELERY_BROKER_URL"] = "memory://"

import django  # noqa: E402
import orjson  # noqa: E402
import psycopg  # noqa: E402

django.setup()

from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from agreements.models import Agreement, AgreementDocument, DataSharingTerm, RiskLevel  # noqa: E402
from benchmarks.generate import ensure_database, generate, registry_size  # noqa: E402
from core import keyset  # noqa: E402
from partnerships.models import Partnership  # noqa: E402
from publication.choices import WithholdingReason  # noqa: E402
from publication.models import Withholding  # noqa: E402

HOST = "http://testserver"
LIST = "/api/v1/agreements/"
QUESTION = [
    ("status", "active"),
    ("region", "europe"),
    ("data_category", "personal_identifiable"),
    ("data_category", "special_category"),
    ("direction", "ngo_to_police"),
    ("direction", "bidirectional"),
    ("has_independent_auditor", "false"),
]
PAGE_SIZE = 100
CHUNK = 2000

# The hand-written baseline ------------------------------------------------------------

AUDITOR_IS_PARTY = """EXISTS (
    SELECT 1 FROM partnerships_partnershipparty pp
    WHERE pp.partnership_id = a.partnership_id AND pp.organization_id = a.independent_auditor_id)
"""
HIGH_TERM = """(t.surveillance_practice <> 'none' OR (
    t.data_category IN ('personal_identifiable', 'special_category', 'victim_records',
                        'biometric_data', 'location_data')
    AND t.direction IN ('ngo_to_police', 'bidirectional')))"""
MEDIUM_TERM = "(t.data_category = 'case_records' OR t.onward_sharing_allowed)"
RISK = f"""CASE
    WHEN EXISTS (SELECT 1 FROM agreements_datasharingterm t
                 WHERE t.agreement_id = a.id AND {HIGH_TERM}) THEN 'high'
    WHEN EXISTS (SELECT 1 FROM agreements_datasharingterm t
                 WHERE t.agreement_id = a.id AND {MEDIUM_TERM}) THEN 'medium'
    ELSE 'low' END"""  # noqa: S608 - constant SQL, no user input
FROM = """
FROM agreements_agreement a
JOIN partnerships_partnership p ON p.id = a.partnership_id
LEFT JOIN partnerships_organization o ON o.id = a.independent_auditor_id
LEFT JOIN agreements_agreement s ON s.id = a.supersedes_id
LEFT JOIN partnerships_partnership sp ON sp.id = s.partnership_id
WHERE a.visibility = 'public' AND p.visibility = 'public'
  AND a.publication_status = 'published' AND p.publication_status = 'published'
"""
QUESTION_WHERE = f"""
  AND a.status = ANY(%(statuses)s) AND p.region = ANY(%(regions)s)
  AND NOT EXISTS (SELECT 1 FROM publication_withholding w
                  WHERE w.content_type_id = %(partnership_type)s
                    AND w.object_id = a.partnership_id AND w.field = 'region')
  AND (a.independent_auditor_id IS NULL OR {AUDITOR_IS_PARTY})
  AND EXISTS (SELECT 1 FROM agreements_datasharingterm t WHERE t.agreement_id = a.id
              AND t.data_category = ANY(%(categories)s) AND t.direction = ANY(%(directions)s))
"""  # noqa: S608 - constant SQL, no user input
ROW_COLUMNS = f"""
    a.id, a.partnership_id, p.title, a.kind, a.reference, a.title, a.status, a.signed_on,
    a.effective_from, a.expires_on, a.review_interval_months, a.next_review_due,
    coalesce(a.status IN ('signed', 'active') AND a.next_review_due < %(today)s, false),
    CASE WHEN s.visibility = 'public' AND sp.visibility = 'public'
        AND s.publication_status = 'published' AND sp.publication_status = 'published'
        THEN a.supersedes_id END,
    s.title,
    CASE WHEN o.is_confirmed THEN a.independent_auditor_id END, o.name, o.slug,
    a.independent_auditor_id IS NOT NULL AND NOT {AUDITOR_IS_PARTY},
    {RISK},
    a.public_summary, a.published_at, a.updated_at, p.slug
"""
COUNT_SQL = f"SELECT count(*) {FROM} {QUESTION_WHERE}"
# The API's count (``core.keyset.cheap_count``): exact up to 10,000 rows, counted over at
# most that many plus one; above, the planner's estimate, rounded.
ESTIMATE_SQL = f"EXPLAIN (FORMAT JSON) SELECT a.id {FROM} {QUESTION_WHERE}"
CAPPED_COUNT_SQL = f"SELECT count(*) FROM (SELECT 1 {FROM} {QUESTION_WHERE} LIMIT %(cap)s) c"  # noqa: S608
PAGE_SQL = f"""SELECT {ROW_COLUMNS} {FROM} {QUESTION_WHERE}
ORDER BY a.title, a.id LIMIT %(limit)s OFFSET %(offset)s"""
TERMS_SQL = f"""
SELECT t.agreement_id, t.id, t.data_category, t.direction, t.purpose, t.legal_basis,
    t.legal_instrument, t.consent_required, t.retention_days, t.onward_sharing_allowed,
    t.access_controls, t.surveillance_practice,
    CASE WHEN {HIGH_TERM} THEN 'high' WHEN {MEDIUM_TERM} THEN 'medium' ELSE 'low' END
FROM agreements_datasharingterm t WHERE t.agreement_id = ANY(%s) ORDER BY t.data_category, t.id
"""  # noqa: S608 - constant SQL, no user input
DOCUMENTS_SQL = """
SELECT agreement_id, id, version, sha256, size_bytes, uploaded_at FROM agreements_agreementdocument
WHERE agreement_id = ANY(%s) AND is_public AND embargoed_until IS NULL ORDER BY version DESC
"""
# The withheld values of the page's agreements, of their terms and of their documents.
WITHHELD_SQL = """
SELECT w.content_type_id, w.object_id, w.field, w.reason_code, w.rationale, w.available_on
FROM publication_withholding w
WHERE w.content_type_id = %(agreement_type)s AND w.object_id = ANY(%(ids)s)
   OR w.content_type_id = %(term_type)s AND w.object_id = ANY(%(terms)s)
   OR w.content_type_id = %(document_type)s AND w.object_id = ANY(%(documents)s)
"""
SIGNATORIES_SQL = """
SELECT g.agreement_id, g.signed_on, g.organization_id, o.name, o.slug
FROM agreements_agreementsignatory g JOIN partnerships_organization o ON o.id = g.organization_id
WHERE g.agreement_id = ANY(%s) AND o.is_confirmed ORDER BY g.signed_on, o.name, g.id
"""
FLAGS_SQL = """
SELECT agreement_id, kind FROM oversight_flag
WHERE resolved_at IS NULL AND agreement_id = ANY(%s) ORDER BY kind
"""
SOURCES_SQL = """
SELECT x.agreement_id, s.title, s.url, s.kind, s.published_on, s.archived_url
FROM agreements_agreement_sources x JOIN partnerships_source s ON s.id = x.source_id
WHERE x.agreement_id = ANY(%s) ORDER BY s.published_on IS NULL, s.title
"""
TERM_KEYS = (*DataSharingTerm.FIELDS, "risk_level")


def labels(choices) -> dict:
    """``{value: label}`` as the API writes them (in English)."""
    return {value: str(label) for value, label in choices}


# The labels the API writes beside a coded value (``<field>_label``).
AGREEMENT_LABELS = {
    "kind": labels(Agreement.Kind.choices),
    "status": labels(Agreement.Status.choices),
    "risk_level": labels(RiskLevel.choices),
}
TERM_LABELS = {
    "data_category": labels(DataSharingTerm.DataCategory.choices),
    "direction": labels(DataSharingTerm.Direction.choices),
    "legal_basis": labels(DataSharingTerm.LegalBasis.choices),
    "surveillance_practice": labels(DataSharingTerm.SurveillancePractice.choices),
}


def with_labels(item: dict, field_labels: dict) -> dict:
    """The object with each labelled field's label after it."""
    labelled = {}
    for key, value in item.items():
        labelled[key] = value
        if key in field_labels:
            labelled[f"{key}_label"] = field_labels[key].get(value, value)
    return labelled


# The key showing each withholdable field, where it is not the field's own name.
SHOWN_BY = {AgreementDocument: {"file": "url"}}
# The labels as the API writes them (in English): translatable, so evaluated here.
REASONS = {code: str(label) for code, label in WithholdingReason.choices}


def content_types() -> dict:
    """The content type ids the SQL names, each once (``..._type``)."""
    models = {
        "agreement": Agreement,
        "term": DataSharingTerm,
        "document": AgreementDocument,
        "partnership": Partnership,
    }
    return {
        f"{name}_type": ContentType.objects.get_for_model(model).id
        for name, model in models.items()
    }


def withheld_entries(rows, model) -> dict:
    """``{object id: [entry, ...]}`` of ``(object id, field, code, rationale, date)`` rows,
    each record's entries in the order of its model's withholdable fields."""
    entries = {}
    order = model.WITHHOLDABLE_FIELDS.index
    for object_id, field, code, rationale, available_on in sorted(rows, key=lambda r: order(r[1])):
        entries.setdefault(object_id, []).append(
            {
                "field": field,
                "reason_code": code,
                "reason_label": REASONS[code],
                "rationale": rationale,
                "available_on": available_on,
            }
        )
    return entries


def with_withheld(item: dict, entries: list, model) -> dict:
    """The object with its ``withheld`` entries, each withheld field's key null."""
    shown_by = SHOWN_BY.get(model, {})
    for entry in entries:
        item[shown_by.get(entry["field"], entry["field"])] = None
    item["withheld"] = entries
    return item


def grouped(cursor, sql, ids):
    groups = {}
    for row in cursor.execute(sql, [ids]):
        groups.setdefault(row[0], []).append(row[1:])
    return groups


def organization(pk, name, slug):
    return {"id": pk, "url": f"{HOST}/api/v1/organizations/{pk}/", "name": name, "slug": slug}


def question_values(params, types: dict) -> dict:
    return {
        **types,
        "statuses": [v for k, v in params if k == "status"],
        "regions": [v for k, v in params if k == "region"],
        "categories": [v for k, v in params if k == "data_category"],
        "directions": [v for k, v in params if k == "direction"],
        "today": timezone.localdate(),
    }


def hand_written_page(db, params, page: int, size: int, types: dict) -> bytes:
    """The page of ``/api/v1/agreements/`` the API answers, written by hand."""
    values = question_values(params, types) | {"limit": size, "offset": (page - 1) * size}
    cursor = db.cursor()
    count, is_estimate = api_count(cursor, values)
    rows = cursor.execute(PAGE_SQL, values).fetchall()
    results = hand_written_items(cursor, rows, types)
    query = params + [("page_size", str(size))]
    more = len(rows) == size and (is_estimate or page * size < count)
    return orjson.dumps(
        {
            "count": count,
            "count_is_estimate": is_estimate,
            # The API's next page is by cursor: the last row's ordering values, signed by
            # ``core.keyset`` (compared without its token, ``same_page``).
            "next": cursor_link(query, rows[-1][5], rows[-1][0]) if more else None,
            "previous": None if page == 1 else page_link(query, page - 1),
            "results": results,
        },
        option=orjson.OPT_UTC_Z,
    )


def hand_written_items(cursor, rows, types: dict) -> list[dict]:
    """The agreements of ``rows`` (of ``ROW_COLUMNS``) as the API presents them, with their
    related rows (one query each for all of them)."""
    ids = [row[0] for row in rows]
    terms = grouped(cursor, TERMS_SQL, ids)
    documents = grouped(cursor, DOCUMENTS_SQL, ids)
    signatories = grouped(cursor, SIGNATORIES_SQL, ids)
    flags = grouped(cursor, FLAGS_SQL, ids)
    sources = grouped(cursor, SOURCES_SQL, ids)
    by_type = {}
    for type_id, *entry in cursor.execute(
        WITHHELD_SQL,
        {
            **types,
            "ids": ids,
            "terms": [t[0] for group in terms.values() for t in group],
            "documents": [d[0] for group in documents.values() for d in group],
        },
    ):
        by_type.setdefault(type_id, []).append(entry)
    withheld = {
        model: withheld_entries(by_type.get(types[f"{name}_type"], ()), model)
        for name, model in (
            ("agreement", Agreement),
            ("term", DataSharingTerm),
            ("document", AgreementDocument),
        )
    }
    results = []
    for row in rows:
        pk = row[0]
        item = {
            "id": pk,
            "url": f"{HOST}/api/v1/agreements/{pk}/",
            "html_url": f"{HOST}/agreements/{pk}/",
            "partnership": {
                "id": row[1],
                "url": f"{HOST}/api/v1/partnerships/{row[1]}/",
                "name": row[2],
                "slug": row[23],
            },
            "kind": row[3],
            "reference": row[4],
            "title": row[5],
            "status": row[6],
            "signed_on": row[7],
            "effective_from": row[8],
            "expires_on": row[9],
            "review_interval_months": row[10],
            "next_review_due": row[11],
            "review_overdue": row[12],
            "supersedes": None
            if row[13] is None
            else {
                "id": row[13],
                "url": f"{HOST}/api/v1/agreements/{row[13]}/",
                "name": row[14],
            },
            "independent_auditor": None
            if row[15] is None
            else organization(row[15], row[16], row[17]),
            "has_independent_auditor": row[18],
            "risk_level": row[19],
            "public_summary": row[20],
            "withheld": [],
            "signatories": [
                {"organization": organization(o, name, slug), "signed_on": signed_on}
                for signed_on, o, name, slug in signatories.get(pk, ())
            ],
            "data_sharing_terms": [
                with_withheld(
                    with_labels(dict(zip(TERM_KEYS, t[1:], strict=True)), TERM_LABELS),
                    withheld[DataSharingTerm].get(t[0], []),
                    DataSharingTerm,
                )
                for t in terms.get(pk, ())
            ],
            "documents": [
                with_withheld(
                    {
                        "version": version,
                        "sha256": sha256,
                        "size_bytes": size_bytes,
                        "uploaded_at": uploaded_at,
                        "url": f"{HOST}/agreements/{pk}/documents/{version}/",
                    },
                    withheld[AgreementDocument].get(document, []),
                    AgreementDocument,
                )
                for document, version, sha256, size_bytes, uploaded_at in documents.get(pk, ())
            ],
            "open_flags": [kind for (kind,) in flags.get(pk, ())],
            "sources": [
                dict(zip(("title", "url", "kind", "published_on", "archived_url"), s, strict=True))
                for s in sources.get(pk, ())
            ],
            "published_at": row[21],
            "updated_at": row[22],
        }
        item = with_labels(item, AGREEMENT_LABELS)
        results.append(with_withheld(item, withheld[Agreement].get(pk, []), Agreement))
    return results


def api_count(cursor, values) -> tuple[int, bool]:
    estimate = cursor.execute(ESTIMATE_SQL, values).fetchone()[0][0]["Plan"]["Plan Rows"]
    if estimate <= keyset.EXACT_COUNT_UP_TO:
        cap = keyset.EXACT_COUNT_UP_TO + 1
        counted = cursor.execute(CAPPED_COUNT_SQL, values | {"cap": cap}).fetchone()[0]
        if counted < cap:
            return counted, False
        estimate = max(estimate, counted)
    return keyset.round_estimate(max(int(estimate), keyset.EXACT_COUNT_UP_TO + 1)), True


def cursor_link(query, title, pk):
    """The link to the next page by cursor, as the API writes it (its token aside)."""
    token = base64.urlsafe_b64encode(orjson.dumps([title, pk])).decode().rstrip("=")
    return f"{HOST}{LIST}?{urlencode([('cursor', token), *sorted(query, key=lambda p: p[0])])}"


CURSOR = re.compile(r"cursor=[^&]*")


def same_page(api: bytes, hand_written: bytes) -> bool:
    """The same body, but for the cursor's token and, when both are the planner's
    estimates (of two different statements), the count."""
    a, b = orjson.loads(api), orjson.loads(hand_written)
    for body in (a, b):
        if body.get("next"):
            body["next"] = CURSOR.sub("cursor=…", body["next"])
    if a.get("count_is_estimate") and b.get("count_is_estimate"):
        a["count"] = b["count"] = None
    return a == b


def page_link(query, page):
    """The link to another page, as DRF writes it (parameters sorted, ``page`` set)."""
    url = f"{HOST}{LIST}?{urlencode(query)}"
    scheme, netloc, path, text, fragment = urlsplit(url)
    parameters = parse_qs(text, keep_blank_values=True)
    if page == 1:
        parameters.pop("page", None)
    else:
        parameters["page"] = [str(page)]
    return urlunsplit(
        (scheme, netloc, path, urlencode(sorted(parameters.items()), doseq=True), fragment)
    )


EXPORT_SQL = f"""
SELECT a.id, a.partnership_id, p.title, p.slug, a.kind, a.reference, a.title, a.status,
    a.signed_on, a.effective_from, a.expires_on, a.review_interval_months, a.next_review_due,
    coalesce(a.status IN ('signed', 'active') AND a.next_review_due < %(today)s, false),
    CASE WHEN s.visibility = 'public' AND sp.visibility = 'public'
        AND s.publication_status = 'published' AND sp.publication_status = 'published'
        THEN a.supersedes_id END,
    CASE WHEN s.visibility = 'public' AND sp.visibility = 'public'
        AND s.publication_status = 'published' AND sp.publication_status = 'published'
        THEN s.title END,
    CASE WHEN o.is_confirmed THEN o.name END,
    CASE WHEN o.is_confirmed THEN o.slug END,
    a.independent_auditor_id IS NOT NULL AND NOT {AUDITOR_IS_PARTY},
    {RISK},
    (SELECT array_agg(go.name ORDER BY g.signed_on, go.name, g.id)
     FROM agreements_agreementsignatory g JOIN partnerships_organization go
       ON go.id = g.organization_id
     WHERE g.agreement_id = a.id AND go.is_confirmed),
    terms.categories, terms.directions, terms.bases, terms.practices, terms.objects,
    documents.versions, documents.hashes,
    (SELECT array_agg(f.kind ORDER BY f.kind) FROM oversight_flag f
     WHERE f.agreement_id = a.id AND f.resolved_at IS NULL),
    a.public_summary, terms.ids, documents.ids, a.published_at, a.updated_at
{
    FROM.replace(
        "WHERE",
        '''
LEFT JOIN LATERAL (
    SELECT array_agg(t.data_category ORDER BY t.data_category, t.id) AS categories,
        array_agg(t.direction ORDER BY t.data_category, t.id) AS directions,
        array_agg(t.legal_basis ORDER BY t.data_category, t.id) AS bases,
        array_agg(t.surveillance_practice ORDER BY t.data_category, t.id) AS practices,
        json_agg(json_build_array(t.data_category, t.direction, t.purpose, t.legal_basis,
            t.legal_instrument, t.consent_required, t.retention_days,
            t.onward_sharing_allowed, t.access_controls, t.surveillance_practice)
            ORDER BY t.data_category, t.id) AS objects,
        array_agg(t.id ORDER BY t.data_category, t.id) AS ids
    FROM agreements_datasharingterm t WHERE t.agreement_id = a.id) terms ON true
LEFT JOIN LATERAL (
    SELECT array_agg(d.version ORDER BY d.version DESC) AS versions,
        array_agg(d.sha256 ORDER BY d.version DESC) AS hashes,
        array_agg(d.id ORDER BY d.version DESC) AS ids
    FROM agreements_agreementdocument d
    WHERE d.agreement_id = a.id AND d.is_public AND d.embargoed_until IS NULL) documents ON true
WHERE''',
    )
}
ORDER BY a.title, a.id
"""  # noqa: S608 - constant SQL, no user input
EXPORT_HEADER = (
    "id",
    "url",
    "html_url",
    "partnership_id",
    "partnership",
    "partnership_slug",
    "kind",
    "reference",
    "title",
    "status",
    "signed_on",
    "effective_from",
    "expires_on",
    "review_interval_months",
    "next_review_due",
    "review_overdue",
    "supersedes_id",
    "supersedes",
    "independent_auditor",
    "independent_auditor_slug",
    "has_independent_auditor",
    "risk_level",
    "signatories",
    "data_categories",
    "directions",
    "legal_bases",
    "surveillance_practices",
    "data_sharing_terms",
    "document_versions",
    "document_sha256",
    "open_flags",
    "public_summary",
    "withheld_fields",
    "published_at",
    "updated_at",
)


def cell(value) -> str:
    """A CSV cell as the export writes it: formulas neutralised, lists joined with ``;``."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, list):
        return ";".join(cell(item) for item in value)
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date | int):
        return str(value) if isinstance(value, int) else value.isoformat()
    if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


WITHHOLDINGS_SQL = """
SELECT content_type_id, object_id, field, reason_code FROM publication_withholding
WHERE content_type_id = ANY(%s)
"""


# The columns a withheld field empties, where it is more than its own.
WITHHELD_COLUMNS = {"independent_auditor": ("independent_auditor", "independent_auditor_slug")}
TERMS_COLUMN = EXPORT_HEADER.index("data_sharing_terms")


def raw_dump(dsn: dict, consume, types: dict) -> int:
    """Every public agreement as the CSV export's columns, from one server-side cursor."""
    import csv

    class Echo:
        def write(self, value):
            return value

    writer = csv.writer(Echo())
    consume(writer.writerow(EXPORT_HEADER).encode())
    rows = 0
    with psycopg.connect(**dsn) as db, db.transaction():
        db.execute("SET TIME ZONE 'UTC'")
        # The withheld values are few: all of them at once, by record.
        found = {}
        for type_id, object_id, field, code in db.execute(
            WITHHOLDINGS_SQL,
            [[types["agreement_type"], types["term_type"], types["document_type"]]],
        ):
            found.setdefault(type_id, {}).setdefault(object_id, []).append((field, code))

        def in_order(type_name, model, pairs=False):
            order = model.WITHHOLDABLE_FIELDS.index
            return {
                pk: [p if pairs else p[0] for p in sorted(fields, key=lambda p: order(p[0]))]
                for pk, fields in found.get(types[f"{type_name}_type"], {}).items()
            }

        own = in_order("agreement", Agreement, pairs=True)
        of_terms = in_order("term", DataSharingTerm)
        of_documents = in_order("document", AgreementDocument)
        with db.cursor(name="dump") as cursor:
            cursor.itersize = CHUNK
            cursor.execute(EXPORT_SQL, {"today": timezone.localdate()})
            while batch := cursor.fetchmany(CHUNK):
                lines = []
                for row in batch:
                    pk = row[0]
                    values = [pk, f"{HOST}/api/v1/agreements/{pk}/", f"{HOST}/agreements/{pk}/"]
                    values += row[1:-4]
                    term_ids, document_ids, published_at, updated_at = row[-4:]
                    # A withheld cell holds a marker; a column lists what is withheld.
                    listed = []
                    for field, code in own.get(pk, ()):
                        for column in WITHHELD_COLUMNS.get(field, (field,)):
                            values[EXPORT_HEADER.index(column)] = f"[withheld: {REASONS[code]}]"
                        listed.append(field)
                    objects = []
                    for position, (term, fields) in enumerate(
                        zip(term_ids or (), values[TERMS_COLUMN] or (), strict=True), 1
                    ):
                        term_withheld = of_terms.get(term, ())
                        listed += [f"{f} (term {position})" for f in term_withheld]
                        term_object = dict(zip(DataSharingTerm.FIELDS, fields, strict=True))
                        for field in term_withheld:
                            term_object[field] = None
                        if term_withheld:
                            term_object["withheld"] = list(term_withheld)
                        objects.append(term_object)
                    values[TERMS_COLUMN] = orjson.dumps(objects).decode() if objects else None
                    versions = values[EXPORT_HEADER.index("document_versions")] or ()
                    for document, version in zip(document_ids or (), versions, strict=True):
                        listed += [
                            f"{f} (document version {version})"
                            for f in of_documents.get(document, ())
                        ]
                    values += [listed, published_at, updated_at]
                    lines.append(writer.writerow([cell(v) for v in values]))
                consume("".join(lines).encode())
                rows += len(batch)
    return rows


JSON_EXPORT_SQL = f"SELECT {ROW_COLUMNS} {FROM} ORDER BY a.title, a.id"  # noqa: S608


def raw_json_dump(dsn: dict, consume, types: dict) -> int:
    """Every public agreement as the JSON export's objects (those of a page), from one
    server-side cursor: a chunk of rows at a time, with their related rows."""
    rows = 0
    consume(b"[")
    with psycopg.connect(**dsn) as db, db.transaction():
        db.execute("SET TIME ZONE 'UTC'")
        related = db.cursor()
        with db.cursor(name="json_dump") as cursor:
            cursor.itersize = CHUNK
            cursor.execute(JSON_EXPORT_SQL, {"today": timezone.localdate()})
            while batch := cursor.fetchmany(CHUNK):
                items = hand_written_items(related, batch, types)
                body = b",".join(orjson.dumps(item, option=orjson.OPT_UTC_Z) for item in items)
                consume(body if rows == 0 else b"," + body)
                rows += len(batch)
    consume(b"]")
    return rows


def withhold_a_few(types: dict) -> None:
    """Withhold values of the first agreements the page shows (a summary, a reference, an
    auditor, a term's purpose, a document's text) and the region of one partnership the
    question matches, so that it drops out; kept on a re-run (``--keep-data``)."""
    from django.http import QueryDict

    from public.filters import AgreementFilter

    question = QueryDict(mutable=True)
    for key, value in QUESTION:
        question.appendlist(key, value)
    matching = AgreementFilter(question, queryset=Agreement.objects.public()).qs
    agreements = list(matching.order_by("title", "pk")[:6])
    if len(agreements) < 6:
        return
    rows = [
        (Partnership, agreements[0].partnership_id, "region"),
        (Agreement, agreements[1].pk, "public_summary"),
        (Agreement, agreements[1].pk, "reference"),
        (Agreement, agreements[2].pk, "independent_auditor"),
    ]
    for term in DataSharingTerm.objects.filter(agreement__in=agreements[3:5])[:2]:
        rows.append((DataSharingTerm, term.pk, "purpose"))
    for document in AgreementDocument.objects.filter(agreement__in=agreements[3:6])[:2]:
        rows.append((AgreementDocument, document.pk, "file"))
    names = {Partnership: "partnership", Agreement: "agreement", DataSharingTerm: "term"}
    names[AgreementDocument] = "document"
    Withholding.objects.bulk_create(
        [
            Withholding(
                content_type_id=types[f"{names[model]}_type"],
                object_id=pk,
                field=field,
                reason_code=WithholdingReason.SURVIVOR_SAFETY,
                rationale="Benchmark: a value withheld from the public.",
            )
            for model, pk, field in rows
        ],
        ignore_conflicts=True,
    )


# Measuring ----------------------------------------------------------------------------


def percentile(samples, fraction):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def rss_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(field)


class PeakMemory:
    """The process's peak resident memory above its level at the start, in MiB: the
    kernel's high-water mark, reset at the start (``/proc/self/clear_refs``)."""

    def __enter__(self):
        gc.collect()
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        self.start = rss_kib("VmRSS")
        return self

    def __exit__(self, *exc):
        self.growth_mib = (rss_kib("VmHWM") - self.start) / 1024


def load() -> str:
    return "/".join(f"{value:.1f}" for value in os.getloadavg())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agreements", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200, help="timed pages of each kind")
    parser.add_argument(
        "--keep-data", action="store_true", help="reuse a registry of the right size"
    )
    args = parser.parse_args()
    ensure_database()
    partnerships = max(args.agreements // 10, 1)
    if not (args.keep_data and registry_size() == (partnerships, args.agreements)):
        print(f"Generating {args.agreements:,} agreements...", flush=True)
        start = time.perf_counter()
        generate(args.agreements, flags=True)
        print(f"generated in {time.perf_counter() - start:.0f} s", flush=True)
    settings = connection.settings_dict
    dsn = {
        "host": settings["HOST"],
        "port": settings["PORT"] or 5432,
        "user": settings["USER"],
        "dbname": settings["NAME"],
        "password": settings["PASSWORD"] or None,
    }
    load_before = load()
    client = Client()
    db = psycopg.connect(**dsn, autocommit=True)
    db.execute("SET TIME ZONE 'UTC'")

    # 1. The page ---------------------------------------------------------------------
    def api_page(size):
        return client.get(LIST, [*QUESTION, ("page_size", size)])

    types = content_types()
    withhold_a_few(types)
    response = api_page(PAGE_SIZE)
    expected = hand_written_page(db, QUESTION, 1, PAGE_SIZE, types)
    if response.status_code != 200 or not same_page(response.content, expected):
        mismatch(response.content, expected)
    with db.cursor() as cursor:  # the exact number, for the record (the page may estimate)
        matching = cursor.execute(COUNT_SQL, question_values(QUESTION, types)).fetchone()[0]
    queries = {}
    for size in (1, PAGE_SIZE):
        with CaptureQueriesContext(connection) as captured:
            api_page(size)
        queries[size] = len(captured)

    api_times, raw_times = [], []
    for _ in range(args.requests):
        start = time.perf_counter()
        api_page(PAGE_SIZE).content  # noqa: B018 - the rendered body
        api_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        hand_written_page(db, QUESTION, 1, PAGE_SIZE, types)
        raw_times.append(time.perf_counter() - start)
    db.close()
    print(f"page: API p50 {statistics.median(api_times) * 1000:.1f} ms", flush=True)

    # 2. The export -------------------------------------------------------------------
    api_crc, raw_crc = [0], [0]

    def consumer(state):
        def consume(chunk: bytes):
            state[0] = zlib.crc32(chunk, state[0])

        return consume

    public = args.agreements
    with PeakMemory() as memory:
        start = time.perf_counter()
        response = client.get(LIST, {"format": "csv"})
        consume = consumer(api_crc)
        for chunk in response.streaming_content:
            consume(chunk)
        response.close()
        api_export = time.perf_counter() - start
    start = time.perf_counter()
    raw_rows = raw_dump(dsn, consumer(raw_crc), types)
    raw_export = time.perf_counter() - start
    if raw_rows != public or api_crc != raw_crc:
        sys.exit(f"The exports differ: {raw_rows:,} rows by hand, CRC {api_crc} and {raw_crc}.")
    # The same for the JSON export (``?format=json``), beside the page's SQL by hand.
    api_json_crc, raw_json_crc = [0], [0]
    with PeakMemory() as json_memory:
        start = time.perf_counter()
        response = client.get(LIST, {"format": "json"})
        consume = consumer(api_json_crc)
        for chunk in response.streaming_content:
            consume(chunk)
        response.close()
        api_json_export = time.perf_counter() - start
    start = time.perf_counter()
    raw_rows = raw_json_dump(dsn, consumer(raw_json_crc), types)
    raw_json_export = time.perf_counter() - start
    if raw_rows != public or api_json_crc != raw_json_crc:
        sys.exit(
            f"The JSON exports differ: {raw_rows:,} rows by hand, "
            f"CRC {api_json_crc} and {raw_json_crc}."
        )
    load_after = load()

    p50 = (statistics.median(api_times), statistics.median(raw_times))
    p99 = (percentile(api_times, 0.99), percentile(raw_times, 0.99))
    rates = (public / api_export, public / raw_export)
    json_rates = (public / api_json_export, public / raw_json_export)
    query_text = "&".join(f"{k}={v}" for k, v in QUESTION)
    lines = [
        "",
        f"## Public API, {args.agreements:,} agreements ({timezone.localdate():%Y-%m-%d})",
        "",
        f"`DATABASE_URL=postgres://... .venv/bin/python benchmarks/api.py "
        f"--agreements {args.agreements} --requests {args.requests}"
        f"{' --keep-data' if args.keep_data else ''}` — {partnerships:,} partnerships, PostgreSQL "
        f"{connection.pg_version // 10000}, {os.cpu_count()} cores shared with other work "
        f"(load average {load_before} before, {load_after} after). Page: "
        f"`{LIST}?{query_text}&page_size={PAGE_SIZE}` ({matching:,} matching agreements), "
        f"{args.requests} requests of each, alternating; the same bodies (the cursor token "
        "and an estimated count aside).",
        "",
        "| measure | API | hand-written psycopg + orjson | ratio |",
        "|---|---|---|---|",
        f"| page of {PAGE_SIZE}, p50 | {p50[0] * 1000:.1f} ms | {p50[1] * 1000:.1f} ms "
        f"| {p50[0] / p50[1]:.2f}× |",
        f"| page of {PAGE_SIZE}, p99 | {p99[0] * 1000:.1f} ms | {p99[1] * 1000:.1f} ms "
        f"| {p99[0] / p99[1]:.2f}× |",
        f"| queries per page (page_size 1 / {PAGE_SIZE}) | {queries[1]} / {queries[PAGE_SIZE]} "
        "| 8 / 8 | |",
        f"| CSV export of all {public:,} agreements | {rates[0]:,.0f} rows/s "
        f"({api_export:.1f} s) | {rates[1]:,.0f} rows/s ({raw_export:.1f} s), "
        f"server-side cursor | {rates[0] / rates[1]:.2f}× |",
        f"| peak memory growth during the export | {memory.growth_mib:.1f} MiB | | |",
        f"| JSON export of all {public:,} agreements | {json_rates[0]:,.0f} rows/s "
        f"({api_json_export:.1f} s) | {json_rates[1]:,.0f} rows/s ({raw_json_export:.1f} s), "
        f"server-side cursor, the page's queries by chunk | {json_rates[0] / json_rates[1]:.2f}× |",
        f"| peak memory growth during the JSON export | {json_memory.growth_mib:.1f} MiB | | |",
        "",
    ]
    print("\n".join(lines))
    results = Path(__file__).with_name("RESULTS.md")
    with results.open("a") as out:
        out.write("\n".join(lines))


def mismatch(actual: bytes, expected: bytes):
    a, b = orjson.loads(actual), orjson.loads(expected)
    for key in ("count", "count_is_estimate", "previous"):
        if a.get(key) != b.get(key):
            sys.exit(f"The page differs at {key}: {a.get(key)!r} and {b.get(key)!r}")
    for left, right in zip(a.get("results", []), b["results"], strict=False):
        for key in right:
            if left.get(key) != right[key]:
                sys.exit(
                    f"Agreement {right['id']} differs at {key}: {left.get(key)!r} / {right[key]!r}"
                )
    sys.exit(f"The page differs: {actual[:300]!r} / {expected[:300]!r}")


if __name__ == "__main__":
    main()
