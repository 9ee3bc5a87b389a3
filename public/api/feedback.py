"""``/api/v1/feedback/``: public feedback on public partnerships, with the parties'
responses. Never the e-mail address (the shape has no column that reads the author), and
never the text of an item hidden by moderators or pending review: its ``text`` and
``display_name`` are null and ``hidden_reason`` says why."""

from rest_framework import serializers

from core.api.columns import Column, Computed, One, Shape
from core.api.viewsets import PublicViewSet
from feedback.filters import FeedbackFilter
from feedback.models import Feedback

from .references import API_URL, ID, organization, related

PUBLIC_STATES = [
    (value, label)
    for value, label in Feedback.Status.choices
    if value in (Feedback.Status.PUBLISHED, Feedback.Status.HIDDEN, Feedback.Status.UNDER_REVIEW)
]


def shown_if_published(key: str, schema: serializers.Field) -> Computed:
    return Computed(
        key,
        schema,
        reads=("status", key),
        value=lambda row: row[key] if row["status"] == Feedback.Status.PUBLISHED else None,
    )


RESPONSE = Shape(
    "FeedbackResponse",
    organization("organization", csv=()),
    Column("text", serializers.CharField()),
    Column("published_at", serializers.DateTimeField(), source="created_at"),
    description="A party's response on the record, in the organization's name.",
)

FEEDBACK = Shape(
    "Feedback",
    ID,
    API_URL,
    related("partnership", "partnership"),
    related("agreement", "agreement", nullable=True),
    Column("category", serializers.ChoiceField(choices=Feedback.Category.choices)),
    Column(
        "status",
        serializers.ChoiceField(
            choices=PUBLIC_STATES,
            help_text="published; hidden (by moderators, with a reason); under_review (hidden "
            "after readers' reports until a moderator decides).",
        ),
    ),
    shown_if_published(
        "display_name",
        serializers.CharField(
            allow_null=True, allow_blank=True, help_text="Empty: left anonymously."
        ),
    ),
    shown_if_published(
        "text",
        serializers.CharField(allow_null=True, help_text="Null unless published; plain text."),
    ),
    Column(
        "hidden_reason",
        serializers.ChoiceField(
            choices=Feedback.HiddenReason.choices,
            allow_blank=True,
            help_text="Why moderators hid it; empty unless hidden.",
        ),
    ),
    Column("published_at", serializers.DateTimeField(allow_null=True)),
    One(
        "response",
        RESPONSE,
        via="response",
        nullable=True,
        help_text="The response of a party, if one answered.",
        csv=(
            ("response_organization", lambda r: r and (r["organization"] or {}).get("name")),
            ("response", lambda r: r and r["text"]),
        ),
    ),
    Column("created_at", serializers.DateTimeField(), csv_last=True),
    Column("updated_at", serializers.DateTimeField(), csv_last=True),
)


class FeedbackViewSet(PublicViewSet):
    """Public feedback on public partnerships, newest first, with the parties' responses."""

    basename = "feedback"
    export_name = "feedback"
    shape = FEEDBACK
    filterset_class = FeedbackFilter
    queryset = Feedback.objects.none()

    def base_queryset(self):
        return Feedback.objects.public().order_by("-created_at", "-pk")
