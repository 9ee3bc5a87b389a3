"""Public feedback on partnerships: left by anyone, confirmed by e-mail, moderated by
oversight bodies and community boards, answered on the record by the parties.

The e-mail address behind an item lives in ``FeedbackAuthor`` only: never published, not
audited (the audit log is append-only, and an address must stay erasable), and deleted with
its author's last unconfirmed item. Every moderation decision and response is audited
(``track`` below): the events name the author by id, never by address.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agreements.models import Agreement
from audit.registry import track
from core.models import TimeStampedModel
from partnerships.models import Organization, Partnership

from .querysets import FeedbackQuerySet, FeedbackReportQuerySet

# The longest text accepted; the form and the model both read it.
MAX_TEXT_LENGTH = 4000


class FeedbackAuthor(models.Model):
    """Whoever left feedback, known by the e-mail address they confirmed it with (private)."""

    email = models.EmailField(unique=True)
    banned_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"Feedback author #{self.pk}"


class Feedback(TimeStampedModel):
    class Category(models.TextChoices):
        CONCERN = "concern", _("Concern")
        EXPERIENCE = "experience", _("Experience")
        CORRECTION = "correction", _("Correction")
        QUESTION = "question", _("Question")
        SUPPORT = "support", _("Support")

    class Status(models.TextChoices):
        UNCONFIRMED = "unconfirmed", _("Unconfirmed")
        PENDING = "pending", _("Awaiting moderation")
        PUBLISHED = "published", _("Published")
        HIDDEN = "hidden", _("Hidden by moderators")
        UNDER_REVIEW = "under_review", _("Hidden pending review")

    class HiddenReason(models.TextChoices):
        OFF_TOPIC = "off_topic", _("Off topic")
        PERSONAL_DATA = "personal_data", _("Personal data")
        ABUSIVE = "abusive", _("Abusive")
        SPAM = "spam", _("Spam")
        DUPLICATE = "duplicate", _("Duplicate")
        LEGAL = "legal", _("Legal reasons")

    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="feedback")
    agreement = models.ForeignKey(
        Agreement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="feedback",
        help_text=_("The agreement the feedback is about, if one."),
    )
    author = models.ForeignKey(
        FeedbackAuthor, on_delete=models.SET_NULL, null=True, blank=True, related_name="feedback"
    )
    category = models.CharField(max_length=20, choices=Category)
    text = models.TextField(max_length=MAX_TEXT_LENGTH)
    display_name = models.CharField(
        max_length=80, blank=True, help_text=_("Shown with the feedback; empty: anonymous.")
    )
    status = models.CharField(max_length=20, choices=Status, default=Status.UNCONFIRMED)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(
        null=True, blank=True, help_text=_("The latest moderation decision.")
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    hidden_reason = models.CharField(max_length=20, choices=HiddenReason, blank=True)
    moderation_note = models.TextField(blank=True, help_text=_("Private to the moderators."))

    objects = FeedbackQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = _("feedback")
        indexes = [
            # The partnership page and feed: an item's public feedback, newest first.
            models.Index(fields=["partnership", "status", "-created_at"], name="feedback_page_idx"),
            # The moderators' queue and the nightly clean-up select by status.
            models.Index(fields=["status", "created_at"], name="feedback_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(status="hidden") & ~Q(hidden_reason=""))
                | (~Q(status="hidden") & Q(hidden_reason="")),
                name="feedback_hidden_with_a_reason",
                violation_error_message=_(
                    "Hidden feedback needs a reason, and only hidden feedback."
                ),
            ),
        ]

    def __str__(self):
        return gettext("%(category)s on %(partnership)s (#%(id)s)") % {
            "category": self.get_category_display(),
            "partnership": self.partnership,
            "id": self.pk,
        }

    def get_absolute_url(self):
        return reverse("public:partnership", kwargs={"slug": self.partnership.slug}) + (
            f"#feedback-{self.pk}"
        )

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    def public_stub(self) -> str:
        """What the public reads in place of an item that is not published."""
        if self.status == self.Status.HIDDEN:
            return gettext("Hidden by moderators: %(reason)s.") % {
                "reason": self.get_hidden_reason_display().lower()
            }
        if self.status == self.Status.UNDER_REVIEW:
            return gettext("Hidden pending review after reports from readers.")
        return ""


class FeedbackResponse(TimeStampedModel):
    """A party's answer on the record: one per item, in the organization's name."""

    feedback = models.OneToOneField(Feedback, on_delete=models.CASCADE, related_name="response")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="feedback_responses"
    )
    text = models.TextField(max_length=MAX_TEXT_LENGTH)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at"]

    def __str__(self):
        return gettext("Response of %(organization)s to #%(id)s") % {
            "organization": self.organization,
            "id": self.feedback_id,
        }


class FeedbackReport(models.Model):
    """A reader's report of a published item, one per reader (by a keyed hash of their
    address, never the address itself); cleared by the next moderation decision."""

    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="reports")
    reporter_key = models.CharField(max_length=64)
    cleared = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FeedbackReportQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["feedback", "reporter_key"], name="feedback_report_once_per_reader"
            ),
        ]

    def __str__(self):
        return f"Report of #{self.feedback_id}"


class FeedbackClosure(TimeStampedModel):
    """A partnership closed to new feedback by a moderator, with a public reason."""

    partnership = models.OneToOneField(
        Partnership, on_delete=models.CASCADE, related_name="feedback_closure"
    )
    reason = models.TextField()
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    def __str__(self):
        return gettext("%(partnership)s closed to feedback") % {"partnership": self.partnership}


# The audit trail (``audit.registry``): moderation decisions, responses and closures. None
# appears in a public history: the partnership page shows the feedback itself.
FeedbackEvent = track(Feedback, record=_("Feedback"), slug="feedback", parent="partnership")
FeedbackResponseEvent = track(
    FeedbackResponse, record=_("Feedback response"), slug="feedback-response", parent="feedback"
)
FeedbackClosureEvent = track(
    FeedbackClosure, record=_("Feedback closure"), slug="feedback-closure", parent="partnership"
)
