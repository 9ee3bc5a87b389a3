"""Which feedback whom may see, and the counts the pages show, written once.

``.public()`` is exactly what an anonymous reader may see of feedback: the items of public
partnerships (and of public agreements, where an item is about one) that are published,
hidden by moderators (shown as a stub with the reason, never with their text) or hidden
pending review after readers' reports. Unconfirmed items, items awaiting moderation and
spam are never public. The pages, the API, the feed and the stats all start from it.
"""

import datetime as dt

from django.db import models
from django.db.models import Count, Exists, OuterRef, Q

from agreements.querysets import public_agreement
from partnerships.querysets import public_partnership

# Feedback without a response for this long is counted as unanswered on the partnership page.
UNANSWERED_AFTER = dt.timedelta(days=30)


class FeedbackQuerySet(models.QuerySet):
    def public(self):
        status = self.model.Status
        return self.filter(
            public_partnership("partnership__"),
            Q(agreement__isnull=True) | public_agreement("agreement__"),
            status__in=(status.PUBLISHED, status.HIDDEN, status.UNDER_REVIEW),
        ).exclude(hidden_reason=self.model.HiddenReason.SPAM)

    def published(self):
        return self.filter(status=self.model.Status.PUBLISHED)

    def awaiting_moderation(self):
        """The moderators' queue: confirmed and not decided yet, or hidden by reports."""
        status = self.model.Status
        return self.filter(status__in=(status.PENDING, status.UNDER_REVIEW))

    def answered(self, answered: bool = True):
        responses = self.model._meta.get_field("response").related_model.objects
        has_response = Exists(responses.filter(feedback=OuterRef("pk")))
        return self.filter(has_response if answered else ~has_response)

    def unanswered_since(self, now):
        """Published items without a response ``UNANSWERED_AFTER`` after publication."""
        return self.published().answered(False).filter(published_at__lte=now - UNANSWERED_AFTER)

    def unconfirmed_before(self, cutoff):
        return self.filter(status=self.model.Status.UNCONFIRMED, created_at__lt=cutoff)

    def counts(self, now) -> dict:
        """Of these items (public ones, as a partnership page shows them): how many, how
        many published items are answered, and how many are unanswered for 30 days; one
        query."""
        status = self.model.Status
        responses = self.model._meta.get_field("response").related_model.objects
        has_response = Exists(responses.filter(feedback=OuterRef("pk")))
        return self.order_by().aggregate(
            items=Count("pk"),
            published=Count("pk", filter=Q(status=status.PUBLISHED)),
            answered=Count("pk", filter=Q(has_response)),
            unanswered_30_days=Count(
                "pk",
                filter=Q(
                    ~has_response,
                    status=status.PUBLISHED,
                    published_at__lte=now - UNANSWERED_AFTER,
                ),
            ),
        )


class FeedbackReportQuerySet(models.QuerySet):
    def open(self):
        """Reports since the item's last moderation decision."""
        return self.filter(cleared=False)
