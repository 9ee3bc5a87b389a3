"""The feedback section of the partnership page and the moderation statistics of the
methodology page, as inclusion tags: each page adds one line to its template."""

from django import template
from django.core.paginator import Paginator
from django.utils import timezone

from ..models import Feedback, FeedbackClosure
from ..permissions import can_moderate_feedback, can_respond_to_feedback
from ..statistics import moderation_by_quarter

register = template.Library()

PAGE_SIZE = 10


@register.inclusion_tag("feedback/_partnership_feedback.html", takes_context=True)
def partnership_feedback(context, partnership):
    """The public feedback on ``partnership``, newest first, ten to a page
    (``?feedback_page=``), with its counts; the links to answer and moderate for those who
    may."""
    request = context["request"]
    user = request.user
    public = Feedback.objects.public().filter(partnership=partnership)
    page = Paginator(
        public.select_related("agreement", "response__organization").order_by("-created_at", "-pk"),
        PAGE_SIZE,
    ).get_page(request.GET.get("feedback_page"))
    return {
        "partnership": partnership,
        "page": page,
        "counts": public.counts(timezone.now()),
        "closure": FeedbackClosure.objects.filter(partnership=partnership).first(),
        "can_respond": can_respond_to_feedback(user, partnership),
        "can_moderate": can_moderate_feedback(user, partnership),
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("feedback/_moderation_statistics.html")
def moderation_statistics():
    return {"quarters": moderation_by_quarter(), "reasons": Feedback.HiddenReason.choices}
