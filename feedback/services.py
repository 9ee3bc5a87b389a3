"""Every write to public feedback.

Each service is keyword-only, checks that the actor may do it, and writes inside
``transaction.atomic``; the audit log records every change of feedback, responses and
closures by its triggers, in the same transaction. E-mail goes out once the transaction
commits; a mail failure is logged, never raised to the person submitting.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from agreements.models import Agreement
from core.languages import recipient_language
from core.services import require
from partnerships.models import Organization, Partnership

from . import permissions
from .challenge import PER_CLIENT, PER_EMAIL, keyed_hash, within_rate_limit
from .models import Feedback, FeedbackAuthor, FeedbackClosure, FeedbackReport, FeedbackResponse

logger = logging.getLogger(__name__)

CONFIRMATION_SALT = "feedback.confirm"
# A confirmation link works this long, and an unconfirmed item is deleted after it.
CONFIRMATION_PERIOD = dt.timedelta(days=7)

RATE_LIMITED = _(
    "You have sent a lot of feedback in a short time. Please wait an hour and send it again."
)
CLOSED = _("This partnership is closed to new feedback.")
EXPIRED = _("This confirmation link has expired.")
ALREADY_USED = _("This confirmation link has already been used.")
NOT_A_MODERATOR = _("You may not moderate feedback on this partnership.")


def _mail_on_commit(*, subject: str, template: str, context: dict, to: str) -> None:
    """Send once the transaction commits, in the language of the request (an author of
    feedback has no account, so no language of their own is known)."""
    language = get_language()

    def send():
        try:
            with recipient_language(language):
                send_mail(
                    subject,
                    render_to_string(template, context),
                    settings.DEFAULT_FROM_EMAIL,
                    [to],
                )
        except Exception:
            logger.exception("Feedback mail %r could not be sent", subject)

    transaction.on_commit(send)


# Submitting and confirming ------------------------------------------------------------


def confirmation_token(feedback: Feedback) -> str:
    return signing.dumps(feedback.pk, salt=CONFIRMATION_SALT)


def accepts_feedback(partnership: Partnership) -> bool:
    return not FeedbackClosure.objects.filter(partnership=partnership).exists()


@transaction.atomic
def feedback_submit(
    *,
    partnership: Partnership,
    category: str,
    text: str,
    email: str,
    client_address: str,
    display_name: str = "",
    agreement: Agreement | None = None,
    site_url: str | None = None,
) -> Feedback:
    """Record feedback on a public ``partnership`` (optionally one of its public agreements)
    as unconfirmed, and mail the one-time confirmation link to ``email``. Refused with a
    ``ValidationError`` when the partnership is closed to feedback or a rate limit (per
    address, per client address) is exceeded; an author banned by moderators is told
    nothing different, and their item is never confirmed."""
    if not Partnership.objects.public().filter(pk=partnership.pk).exists():
        raise ValidationError(gettext("Feedback is only taken on published partnerships."))
    if (
        agreement is not None
        and not Agreement.objects.public().filter(pk=agreement.pk, partnership=partnership).exists()
    ):
        raise ValidationError({"agreement": gettext("Choose an agreement of this partnership.")})
    if not accepts_feedback(partnership):
        raise ValidationError(CLOSED)
    email = email.strip().lower()
    if not (
        within_rate_limit("client", client_address, PER_CLIENT)
        and within_rate_limit("email", email, PER_EMAIL)
    ):
        raise ValidationError(RATE_LIMITED)
    author, _ = FeedbackAuthor.objects.get_or_create(email=email)
    feedback = Feedback(
        partnership=partnership,
        agreement=agreement,
        author=author,
        category=category,
        text=text.strip(),
        display_name=display_name.strip(),
    )
    feedback.full_clean()
    feedback.save()
    if author.banned_at is None:
        path = reverse("feedback:confirm", kwargs={"token": confirmation_token(feedback)})
        _mail_on_commit(
            subject=gettext("Confirm your feedback on %(title)s") % {"title": partnership.title},
            template="feedback/email/confirm.txt",
            context={
                "partnership": partnership,
                "link": (site_url or settings.SITE_URL).rstrip("/") + path,
                "days": CONFIRMATION_PERIOD.days,
            },
            to=email,
        )
    return feedback


def confirmation_lookup(token: str) -> Feedback:
    """The feedback a confirmation link names; a ``ValidationError`` saying why a link is
    expired, used or unknown."""
    try:
        pk = signing.loads(
            token, salt=CONFIRMATION_SALT, max_age=CONFIRMATION_PERIOD.total_seconds()
        )
    except signing.SignatureExpired:
        raise ValidationError(EXPIRED) from None
    except signing.BadSignature:
        raise ValidationError(gettext("This confirmation link is not valid.")) from None
    feedback = Feedback.objects.filter(pk=pk).select_related("partnership").first()
    if feedback is None:
        raise ValidationError(EXPIRED)
    if feedback.status != Feedback.Status.UNCONFIRMED:
        raise ValidationError(ALREADY_USED)
    return feedback


@transaction.atomic
def feedback_confirm(*, token: str, now: dt.datetime) -> Feedback:
    """Confirm the feedback of a one-time link: it goes to the moderators' queue. A link
    works once (compare-and-swap on the status) and for ``CONFIRMATION_PERIOD``."""
    feedback = confirmation_lookup(token)
    changed = Feedback.objects.filter(pk=feedback.pk, status=Feedback.Status.UNCONFIRMED).update(
        status=Feedback.Status.PENDING, confirmed_at=now, updated_at=now
    )
    if changed != 1:
        raise ValidationError(ALREADY_USED)
    feedback.refresh_from_db()
    return feedback


def unconfirmed_delete(*, now: dt.datetime) -> dict:
    """The nightly clean-up:

    1. delete the feedback left unconfirmed for ``CONFIRMATION_PERIOD``;
    2. delete the authors (e-mail addresses) left with no feedback.

    A re-run deletes nothing more."""
    deleted, _ = Feedback.objects.unconfirmed_before(now - CONFIRMATION_PERIOD).delete()
    authors, _ = FeedbackAuthor.objects.filter(feedback__isnull=True, banned_at=None).delete()
    return {"feedback_deleted": deleted, "authors_deleted": authors}


# Moderation ---------------------------------------------------------------------------


def _decide(feedback: Feedback, *, actor, now, status: str, reason: str = "", note: str = ""):
    require(permissions.can_moderate_feedback(actor, feedback.partnership), NOT_A_MODERATOR)
    if feedback.status == Feedback.Status.UNCONFIRMED:
        raise ValidationError(gettext("Unconfirmed feedback cannot be moderated."))
    feedback.status = status
    feedback.hidden_reason = reason
    if note:
        feedback.moderation_note = note
    feedback.decided_at = now
    feedback.decided_by = actor
    if status == Feedback.Status.PUBLISHED and feedback.published_at is None:
        feedback.published_at = now
    feedback.full_clean()
    feedback.save()
    FeedbackReport.objects.filter(feedback=feedback).open().update(cleared=True)
    return feedback


@transaction.atomic
def feedback_publish(*, feedback: Feedback, actor, now: dt.datetime, note: str = "") -> Feedback:
    return _decide(feedback, actor=actor, now=now, status=Feedback.Status.PUBLISHED, note=note)


@transaction.atomic
def feedback_hide(
    *, feedback: Feedback, actor, now: dt.datetime, reason: str, note: str = ""
) -> Feedback:
    """Hide with a reason code: the public sees a stub naming the reason (spam: nothing)."""
    if reason not in Feedback.HiddenReason.values:
        raise ValidationError({"reason": gettext("Choose a reason.")})
    return _decide(
        feedback, actor=actor, now=now, status=Feedback.Status.HIDDEN, reason=reason, note=note
    )


def reports_to_hide() -> int:
    return settings.FEEDBACK_REPORTS_TO_HIDE


@dataclass
class ReportOutcome:
    counted: bool
    hidden: bool


@transaction.atomic
def feedback_report(*, feedback: Feedback, client_address: str) -> ReportOutcome:
    """A reader reports a published item (once per reader). At ``FEEDBACK_REPORTS_TO_HIDE``
    open reports it is hidden pending review, and its author is told."""
    if feedback.status != Feedback.Status.PUBLISHED:
        return ReportOutcome(counted=False, hidden=False)
    created = FeedbackReport.objects.bulk_create(
        [FeedbackReport(feedback=feedback, reporter_key=keyed_hash(client_address))],
        ignore_conflicts=True,
    )
    counted = bool(created and created[0].pk)
    if FeedbackReport.objects.filter(feedback=feedback).open().count() < reports_to_hide():
        return ReportOutcome(counted=counted, hidden=False)
    hidden = (
        Feedback.objects.filter(pk=feedback.pk, status=Feedback.Status.PUBLISHED).update(
            status=Feedback.Status.UNDER_REVIEW, updated_at=timezone.now()
        )
        == 1
    )
    if hidden:
        feedback.refresh_from_db()
        author = feedback.author
        if author is not None:
            _mail_on_commit(
                subject=gettext("Your feedback on %(title)s is hidden for review")
                % {"title": feedback.partnership.title},
                template="feedback/email/hidden_for_review.txt",
                context={"feedback": feedback},
                to=author.email,
            )
    return ReportOutcome(counted=counted, hidden=hidden)


@transaction.atomic
def feedback_close(*, partnership: Partnership, actor, reason: str) -> FeedbackClosure:
    """Close a partnership to new feedback, with a reason the public reads."""
    require(permissions.can_moderate_feedback(actor, partnership))
    closure = FeedbackClosure(partnership=partnership, reason=reason.strip(), closed_by=actor)
    if FeedbackClosure.objects.filter(partnership=partnership).exists():
        raise ValidationError(gettext("This partnership is already closed to feedback."))
    closure.full_clean()
    closure.save()
    return closure


@transaction.atomic
def feedback_reopen(*, partnership: Partnership, actor) -> bool:
    require(permissions.can_moderate_feedback(actor, partnership))
    deleted, _ = FeedbackClosure.objects.filter(partnership=partnership).delete()
    return deleted > 0


# Responses ----------------------------------------------------------------------------


@transaction.atomic
def feedback_respond(
    *, feedback: Feedback, actor, organization: Organization, text: str
) -> FeedbackResponse:
    """A party's one response to a published item, in the organization's name."""
    require(
        permissions.responding_organizations(actor, feedback.partnership)
        .filter(pk=organization.pk)
        .exists(),
        gettext("Only an editor of a party to the partnership may answer, in its name."),
    )
    if feedback.status != Feedback.Status.PUBLISHED:
        raise ValidationError(gettext("Only published feedback can be answered."))
    if FeedbackResponse.objects.filter(feedback=feedback).exists():
        raise ValidationError(gettext("This feedback has already been answered."))
    response = FeedbackResponse(
        feedback=feedback, organization=organization, text=text.strip(), author=actor
    )
    response.full_clean()
    response.save()
    return response
