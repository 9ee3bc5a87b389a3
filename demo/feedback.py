"""Demo feedback on the demo staff's public partnership: published (one answered by the
NGO), hidden by moderators with a reason, hidden after readers' reports, and one awaiting
moderation; decisions and the response go through the services, so they are audited."""

from django.contrib.auth import get_user_model
from django.utils import timezone

from feedback import services
from feedback.models import Feedback, FeedbackAuthor
from partnerships.models import Organization, Partnership

DEMO_FEEDBACK = [
    # (category, display name, text, what becomes of it)
    (
        "question",
        "Resident of Northbridge",
        "How long does the refuge keep the referral forms the police send?",
        "answered",
    ),
    (
        "support",
        "",
        "The night-time referrals made a real difference to a friend of mine.",
        "published",
    ),
    ("concern", "", "Buy cheap watches at https://spam.invalid", "hidden:spam"),
    (
        "concern",
        "",
        "The officer who came was rude; his name is in my notes.",
        "hidden:personal_data",
    ),
    (
        "correction",
        "",
        "The partnership started earlier than the page says, in spring.",
        "under_review",
    ),
    ("experience", "", "I was referred last month and was treated with care.", "pending"),
]


def load_demo_feedback(*, partnership_slug: str, ngo_slug: str) -> int:
    """Load the demo feedback once (nothing if the partnership has some); how many items."""
    partnership = Partnership.objects.get(slug=partnership_slug)
    if Feedback.objects.filter(partnership=partnership).exists():
        return 0
    User = get_user_model()
    moderator = User.objects.get(username="board-member")
    ngo_editor = User.objects.get(username="ngo-editor")
    author, _ = FeedbackAuthor.objects.get_or_create(email="demo-author@registry.invalid")
    now = timezone.now()
    for category, display_name, text, fate in DEMO_FEEDBACK:
        feedback = Feedback.objects.create(
            partnership=partnership,
            author=author,
            category=category,
            text=text,
            display_name=display_name,
            status=Feedback.Status.PENDING,
            confirmed_at=now,
        )
        if fate in ("published", "answered", "under_review"):
            services.feedback_publish(feedback=feedback, actor=moderator, now=now)
        if fate == "answered":
            services.feedback_respond(
                feedback=feedback,
                actor=ngo_editor,
                organization=Organization.objects.get(slug=ngo_slug),
                text="Referral forms are kept for two years, then destroyed; the police keep "
                "no copy.",
            )
        if fate.startswith("hidden:"):
            services.feedback_hide(
                feedback=feedback, actor=moderator, now=now, reason=fate.split(":")[1]
            )
        if fate == "under_review":
            Feedback.objects.filter(pk=feedback.pk).update(status=Feedback.Status.UNDER_REVIEW)
    return len(DEMO_FEEDBACK)
