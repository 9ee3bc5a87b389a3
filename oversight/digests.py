"""The digests: one e-mail per person about the flags raised and the reviews falling due
since the last one, sent from an outbox so that each is announced once."""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from agreements.models import Agreement
from core.languages import recipient_language
from partnerships.models import Membership

from .models import Flag, ReviewReminder

logger = logging.getLogger(__name__)

# How far ahead the digests announce reviews that fall due.
REVIEW_DUE_NOTICE = timedelta(days=30)
BATCH_SIZE = 2000


@dataclass
class DigestReport:
    emails: int = 0
    flags: int = 0
    reviews_due: int = 0
    failed: int = 0

    def as_dict(self) -> dict:
        return {
            "emails": self.emails,
            "flags": self.flags,
            "reviews_due": self.reviews_due,
            "failed": self.failed,
        }


def digests_send(*, now: datetime) -> DigestReport:
    """One e-mail per person about what is new since the last digest.

    1. Note the reviews of agreements in force falling due within 30 days (an outbox
       row per agreement and due date).
    2. Claim the open flags and the review reminders not yet announced: lock them
       (skipping rows an overlapping run holds) and set their ``notified_at``.
    3. Find who hears of each agreement: the editors of its partnership's parties and
       the members of the organizations reviewing or auditing it; and their languages.
    4. Send each person one e-mail (text and HTML) listing their flags and reviews due,
       in their language (``recipient_language``).

    An announcement is claimed before it is sent: a failed send is logged, not retried.
    """
    today = timezone.localdate(now)
    with transaction.atomic():  # claimed together, or not at all
        flags, reminders = _claim_announcements(now, today)
        agreement_ids = {flag.agreement_id for flag in flags}
        agreement_ids |= {reminder.agreement_id for reminder in reminders}
        recipients, languages = _recipients(agreement_ids) if agreement_ids else ({}, {})
    report = DigestReport(flags=len(flags), reviews_due=len(reminders))

    for email, agreements in recipients.items():
        context = {
            "flags": [flag for flag in flags if flag.agreement_id in agreements],
            "reminders": [r for r in reminders if r.agreement_id in agreements],
            "site_url": settings.SITE_URL.rstrip("/"),
            "today": today,
        }
        try:
            with recipient_language(languages.get(email)):
                message = EmailMultiAlternatives(
                    subject=_digest_subject(context),
                    body=render_to_string("oversight/email/digest.txt", context),
                    to=[email],
                )
                message.attach_alternative(
                    render_to_string("oversight/email/digest.html", context), "text/html"
                )
                message.send()
        except Exception:  # one recipient's failure never stops the others' digests
            logger.exception("digest: sending to user failed")
            report.failed += 1
        else:
            report.emails += 1
    logger.info("digests at %s: %s", now.isoformat(), report.as_dict())
    return report


def _claim_announcements(now, today) -> tuple[list[Flag], list[ReviewReminder]]:
    due_soon = Agreement.objects.in_force().filter(
        next_review_due__gte=today, next_review_due__lte=today + REVIEW_DUE_NOTICE
    )
    ReviewReminder.objects.bulk_create(
        [
            ReviewReminder(agreement_id=pk, due_on=due_on, created_at=now)
            for pk, due_on in due_soon.values_list("pk", "next_review_due")
        ],
        batch_size=BATCH_SIZE,
        ignore_conflicts=True,
    )
    flag_ids = _claim(Flag.objects.open(), now)
    reminder_ids = _claim(ReviewReminder.objects.all(), now)
    flags = list(
        Flag.objects.filter(pk__in=flag_ids)
        .select_related("agreement__partnership")
        .order_by("agreement__title", "kind")
    )
    reminders = [
        reminder
        for reminder in ReviewReminder.objects.filter(pk__in=reminder_ids).select_related(
            "agreement__partnership"
        )
        # A reminder whose review was since completed or rescheduled is stale.
        if reminder.agreement.next_review_due == reminder.due_on
    ]
    return flags, reminders


def _claim(outbox, now) -> list[int]:
    """Claim the rows not yet announced: locked rows belong to an overlapping run."""
    ids = list(
        outbox.filter(notified_at__isnull=True)
        .select_for_update(skip_locked=True)
        .values_list("pk", flat=True)
    )
    for start in range(0, len(ids), BATCH_SIZE):
        outbox.filter(pk__in=ids[start : start + BATCH_SIZE]).update(notified_at=now)
    return ids


def _recipients(agreement_ids: set[int]) -> tuple[dict[str, set[int]], dict[str, str]]:
    """E-mail address -> the agreements that person hears of; and address -> the language
    of the account (``AccountLanguage``), where it is known."""
    active = Membership.objects.filter(user__is_active=True).exclude(user__email="")
    language = "user__account_language__language"
    routes = [
        active.filter(
            role=Membership.Role.EDITOR,
            organization__party_roles__partnership__agreements__in=agreement_ids,
        ).values_list(
            "user__email", "organization__party_roles__partnership__agreements", language
        ),
        active.filter(organization__reviews__agreement__in=agreement_ids).values_list(
            "user__email", "organization__reviews__agreement", language
        ),
        active.filter(organization__audited_agreements__in=agreement_ids).values_list(
            "user__email", "organization__audited_agreements", language
        ),
    ]
    recipients: dict[str, set[int]] = defaultdict(set)
    languages: dict[str, str] = {}
    for route in routes:
        for email, agreement_id, account_language in route:
            if agreement_id in agreement_ids:
                recipients[email.lower()].add(agreement_id)
                if account_language:
                    languages[email.lower()] = account_language
    return recipients, languages


def _digest_subject(context: dict) -> str:
    parts = []
    if context["flags"]:
        n = len(context["flags"])
        parts.append(ngettext("%(n)s new flag", "%(n)s new flags", n) % {"n": n})
    if context["reminders"]:
        n = len(context["reminders"])
        parts.append(ngettext("%(n)s review due soon", "%(n)s reviews due soon", n) % {"n": n})
    return _("Partnership Registry: %(what)s") % {"what": ", ".join(parts)}
