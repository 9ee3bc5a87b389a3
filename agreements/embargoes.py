"""The daily embargo job: embargoes and availability dates that lapse, and the notice to a
record's editors the day before its embargo lifts.

It runs shortly after midnight in the registry's time zone (``settings.TIME_ZONE``): a
date on the registry is a local date, so an embargo "until 22 November" lifts at 00:00 on
22 November there, whatever the hour in UTC. Every step takes ``now`` once, selects what is
due in one query, and changes it by compare-and-swap, so that a second run, or two runs
overlapping, do nothing twice. The changes are ordinary updates and deletes: the audit
triggers record each one, under the job's name (the task's, or the management command's).
"""

import logging
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import DatabaseError, InterfaceError, OperationalError, models, transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from core.languages import recipient_language
from partnerships.models import Membership, Partnership
from publication.choices import PublicationStatus
from publication.models import Withholding

from .derived import partnership_facts_refresh
from .models import Agreement, AgreementDocument

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000

# Errors of the connection, not of a row: they propagate, so that the task retries.
CONNECTION_ERRORS = (OperationalError, InterfaceError)

# The records an embargo keeps from the public, in the order they are published (a
# partnership before its agreements), with the staff page a notice links to.
PUBLISHABLE = (
    (Partnership, "agreements:partnership_publication"),
    (Agreement, "agreements:agreement_publication"),
)


@dataclass
class EmbargoReport:
    partnerships: int = 0  # published
    agreements: int = 0  # published
    documents: int = 0  # document versions out of embargo
    withholdings: int = 0  # withheld values made available
    notices: int = 0  # records whose editors were told the embargo lifts tomorrow
    emails: int = 0
    failed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "partnerships": self.partnerships,
            "agreements": self.agreements,
            "documents": self.documents,
            "withholdings": self.withholdings,
            "notices": self.notices,
            "emails": self.emails,
            "failed": self.failed,
        }


def registry_date(now: datetime) -> date:
    """The date of ``now`` in the registry's time zone (never the request's or the worker's)."""
    return timezone.localdate(now, timezone.get_default_timezone())


def embargo_run(now: datetime) -> EmbargoReport:
    """The daily embargo run at ``now``; today is the registry's local date of ``now``.

    1. Publish the partnerships, then the agreements, approved under an embargo that lifts
       today or earlier (``embargoed`` with ``embargoed_until <= today``): compare-and-swap
       to ``published`` with ``published_at=now``; the lapsed date is cleared, as the record
       no longer has an embargo. Indefinite embargoes have no date and never lapse; a draft
       or a submission carrying a date is not approved and stays where it is.
    2. Publish the document versions whose embargo lifts today or earlier (clear their
       ``embargoed_until``): public from then on if marked public and their agreement is.
    3. Lift the withholdings whose availability date has come (delete them).
    4. Tell the editors of each record's party organizations (for an agreement, its
       partnership's) that its embargo lifts tomorrow: claim the notice by setting
       ``embargo_notice_sent_at``, then send one e-mail to each editor. A notice that could
       not be sent is logged and released for the next run.

    Records are changed in batches; a batch that fails on bad data is retried row by row,
    so that one bad row is logged (``failed``) and the others go on. Connection errors
    propagate, so that the task retries: every step is safe to repeat.
    """
    today = registry_date(now)
    report = EmbargoReport()

    report.partnerships = _records_publish(Partnership, today, now, report)
    report.agreements = _records_publish(Agreement, today, now, report)
    report.documents = _documents_release(today, report)
    report.withholdings = _withholdings_lift(today, report)
    for model, page in PUBLISHABLE:
        _notices_send(model, page, today, now, report)

    logger.info("embargo run at %s (%s): %s", now.isoformat(), today, report.as_dict())
    return report


# 1-3. Lapsed embargoes and availability dates -------------------------------------


def lapsed_embargoes(model: type[models.Model], today: date) -> models.QuerySet:
    """Records approved under an embargo that lifts on ``today`` or before."""
    return model.objects.filter(
        publication_status=PublicationStatus.EMBARGOED,
        embargo_indefinite=False,
        embargoed_until__lte=today,
    )


def _records_publish(model, today: date, now: datetime, report: EmbargoReport) -> int:
    def publish(ids: list[int]) -> int:
        # Compare-and-swap: a record whose embargo an editor changed or lifted since the
        # selection, or that an overlapping run published, is not touched.
        published = (
            lapsed_embargoes(model, today)
            .filter(pk__in=ids)
            .update(
                publication_status=PublicationStatus.PUBLISHED,
                published_at=now,
                embargoed_until=None,
                updated_at=now,
            )
        )
        if published and model is Agreement:
            # Public now: their partnerships' facts about their public agreements.
            of_batch = Agreement.objects.filter(pk__in=ids).values("partnership_id")
            partnership_facts_refresh(partnership_ids=of_batch)
        return published

    what = f"publish {model._meta.model_name}"
    return _in_batches(what, _ids(lapsed_embargoes(model, today)), publish, report)


def _documents_release(today: date, report: EmbargoReport) -> int:
    def lapsed():
        return AgreementDocument.objects.filter(embargoed_until__lte=today)

    def release(ids: list[int]) -> int:
        return lapsed().filter(pk__in=ids).update(embargoed_until=None)

    return _in_batches("release document", _ids(lapsed()), release, report)


def _withholdings_lift(today: date, report: EmbargoReport) -> int:
    def lift(ids: list[int]) -> int:
        deleted, _ = Withholding.objects.lapsing(today).filter(pk__in=ids).delete()
        return deleted

    return _in_batches("lift withholding", _ids(Withholding.objects.lapsing(today)), lift, report)


def _ids(queryset: models.QuerySet) -> list[int]:
    return sorted(queryset.order_by().values_list("pk", flat=True))


def _in_batches(
    what: str, ids: list[int], change: Callable[[list[int]], int], report: EmbargoReport
) -> int:
    """``change`` the rows ``ids`` a batch at a time, each batch in its own transaction; a
    batch that fails on bad data is done again row by row, and the rows that fail alone are
    logged and recorded in ``report.failed``. Returns how many rows changed."""
    changed = 0
    for start in range(0, len(ids), BATCH_SIZE):
        batch = ids[start : start + BATCH_SIZE]
        try:
            with transaction.atomic():
                changed += change(batch)
            continue
        except CONNECTION_ERRORS:
            raise
        except DatabaseError:
            logger.warning("embargo run: %s failed for a batch; row by row", what, exc_info=True)
        for pk in batch:
            try:
                with transaction.atomic():
                    changed += change([pk])
            except CONNECTION_ERRORS:
                raise
            except DatabaseError:
                logger.exception("embargo run: cannot %s %s; the others go on", what, pk)
                report.failed.append(f"{what} {pk}")
    return changed


# 4. The notice the day before ----------------------------------------------------------


def embargoes_lifting_soon(model: type[models.Model], today: date) -> models.QuerySet:
    """Records under an embargo that lifts by tomorrow whose editors have not been told."""
    return model.objects.filter(
        publication_status=PublicationStatus.EMBARGOED,
        embargo_indefinite=False,
        embargoed_until__lte=today + timedelta(days=1),
        embargo_notice_sent_at__isnull=True,
    )


def _notices_send(model, page: str, today: date, now: datetime, report: EmbargoReport) -> None:
    due = embargoes_lifting_soon(model, today).order_by("pk")
    if model is Agreement:
        due = due.select_related("partnership")
    records = list(due)
    if not records:
        return
    recipients = _editors(model, {record.pk for record in records})
    connection = get_connection()
    for record in records:
        what = f"{model._meta.model_name} {record.pk}"
        try:
            _notice_claim_and_send(
                record, page, today, now, recipients[record.pk], connection, report
            )
        except CONNECTION_ERRORS:
            raise
        except Exception:  # one record's notice never stops the others'
            logger.exception("embargo notice: the notice of %s failed", what)
            report.failed.append(f"notice {what}")


def _notice_claim_and_send(record, page, today, now, recipients, connection, report) -> None:
    """Claim the notice of ``record`` (compare-and-swap on ``embargo_notice_sent_at``, and
    only while its embargo still lifts on the date read), send it, and release the claim if
    any e-mail failed."""
    model = type(record)
    claimed = embargoes_lifting_soon(model, today).filter(
        pk=record.pk, embargoed_until=record.embargoed_until
    )
    with transaction.atomic():
        if not claimed.update(embargo_notice_sent_at=now):
            return  # an overlapping run told them, or the embargo changed meanwhile
    try:
        sent, failed = _notice_send(record, page, recipients, connection)
    except Exception:
        logger.exception(
            "embargo notice: cannot write the notice of %s %s", model._meta.model_name, record.pk
        )
        sent, failed = 0, 1
    report.emails += sent
    if failed:
        # Released for the next run: better an editor hears twice than not at all.
        with transaction.atomic():
            model.objects.filter(pk=record.pk, embargo_notice_sent_at=now).update(
                embargo_notice_sent_at=None
            )
        report.failed.append(f"notice {model._meta.model_name} {record.pk}")
        return
    report.notices += 1
    if not sent:
        logger.warning(
            "embargo notice: %s %s has no editor to tell", model._meta.model_name, record.pk
        )


def _editors(model, ids: set[int]) -> dict[int, dict[str, str | None]]:
    """Record id -> the e-mail addresses of the editors of its party organizations (for an
    agreement, its partnership's), each with its account's language (None when not
    known), in one query."""
    path = "organization__party_roles__partnership"
    if model is Agreement:
        path += "__agreements"
    editors = (
        Membership.objects.filter(
            role=Membership.Role.EDITOR, user__is_active=True, **{f"{path}__in": ids}
        )
        .exclude(user__email="")
        .values_list(path, "user__email", "user__account_language__language")
    )
    addresses: dict[int, dict[str, str | None]] = defaultdict(dict)
    for pk, email, language in editors:
        if pk in ids:
            addresses[pk][email.lower()] = language or addresses[pk].get(email.lower())
    return addresses


def _notice_send(
    record, page: str, recipients: Mapping[str, str | None], connection
) -> tuple[int, int]:
    """Send the notice of ``record`` to each address on its own (an editor never sees
    another organization's addresses), written once per language (``recipient_language``);
    returns how many were sent and how many failed."""
    context = {
        "record": record,
        "kind": record._meta.verbose_name,
        "partnership": getattr(record, "partnership", None),
        "lifts_on": record.embargoed_until,
        "time_zone": settings.TIME_ZONE,
        "link": _publication_page(record, page),
    }
    title = " ".join(record.title.split())  # a header holds one line
    by_language: dict[str | None, list[str]] = defaultdict(list)
    for address in sorted(recipients):
        by_language[recipients[address]].append(address)
    sent = failed = 0
    for language, addresses in by_language.items():
        with recipient_language(language):
            lifts_on = date_format(record.embargoed_until, "DATE_FORMAT")
            subject = gettext("Partnership Registry: “%(title)s” becomes public on %(date)s") % {
                "title": title,
                "date": lifts_on,
            }
            text = render_to_string("publication/email/embargo_notice.txt", context)
            html = render_to_string("publication/email/embargo_notice.html", context)
        for address in addresses:
            message = EmailMultiAlternatives(
                subject=subject, body=text, to=[address], connection=connection
            )
            message.attach_alternative(html, "text/html")
            try:
                message.send()
            except Exception:  # one editor's failure never stops the others' notices
                logger.exception("embargo notice: sending to an editor failed")
                failed += 1
            else:
                sent += 1
    return sent, failed


def _publication_page(record, page: str) -> str:
    """The address of the record's staff publication page (where its embargo is changed
    or lifted); its staff page on the site if that route is missing."""
    try:
        path = reverse(page, kwargs={"pk": record.pk})
    except NoReverseMatch:
        logger.warning("embargo notice: no URL named %s; linking the record's page", page)
        path = record.get_absolute_url()
    return settings.SITE_URL.rstrip("/") + path
