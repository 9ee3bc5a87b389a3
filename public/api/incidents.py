"""``/api/v1/incidents/``: published incidents on public agreements only, with the values
withheld from the public nulled and listed. Never the private notes, nor who recorded,
submitted or approved an incident."""

from django.db.models import F
from rest_framework import serializers

from audit.api import PublicHistoryMixin
from core.api.columns import ApiUrl, Column, Link, Many, ManyValues, Shape, among
from core.api.viewsets import PublicViewSet
from incidents.filters import IncidentFilter
from incidents.models import Incident, IncidentAgreement
from oversight.models import Flag
from partnerships.models import Partnership

from .references import ID, PARTNERSHIP_REF, PUBLISHED_AT, RELATED, sources, withheld

# The flags an incident raises on its agreements (``oversight.rules``).
INCIDENT_FLAGS = (Flag.Kind.BREACH_NOTIFIED_LATE, Flag.Kind.INCIDENT_WITHOUT_REVIEW)


class ChoiceList(serializers.ListField):
    """A list of choices, declared by its choices: a field the schema re-creates (nullable
    while withheld) from its arguments, which a bound ``child`` cannot be."""

    def __init__(self, *, choices, **kwargs):
        super().__init__(child=serializers.ChoiceField(choices=choices), **kwargs)


def names(refs: list[dict]) -> list[str]:
    return [ref["name"] for ref in refs]


INCIDENT = Shape(
    "Incident",
    ID,
    ApiUrl(),
    Link(
        "html_url",
        serializers.URLField(help_text="The incident's public page."),
        route="public:incident",
        args={"pk": "id"},
    ),
    Many(
        "agreements",
        RELATED,
        rows=lambda ids: IncidentAgreement.objects.filter(incident_id__in=among(ids)),
        owner="incident_id",
        via="agreement",
        basename="agreement",
        order=lambda ref: ref["id"],
        help_text="The agreements it happened under.",
        csv=(("agreement_ids", lambda refs: [r["id"] for r in refs]), ("agreements", names)),
    ),
    Many(
        "partnerships",
        PARTNERSHIP_REF,
        rows=lambda ids: (
            Partnership.objects.filter(agreements__incidents__in=among(ids))
            .annotate(incident_id=F("agreements__incidents"))
            .distinct()
        ),
        owner="incident_id",
        basename="partnership",
        order=lambda ref: ref["id"],
        csv=(("partnerships", names),),
    ),
    Column("kind", serializers.ChoiceField(choices=Incident.Kind.choices)),
    Column("title", serializers.CharField()),
    Column("occurred_on", serializers.DateField(allow_null=True)),
    Column("discovered_at", serializers.DateTimeField()),
    Column(
        "reported_to_authority_at",
        serializers.DateTimeField(
            allow_null=True, help_text="When the supervisory authority was notified; null: not."
        ),
    ),
    Column(
        "hours_to_notify",
        serializers.FloatField(
            allow_null=True,
            help_text="Hours from discovery to the notification of the authority, to a "
            "tenth; null while not notified. A data breach is notified within 72 hours, or "
            "with the reason for the delay.",
        ),
        source="notified_after_hours",
    ),
    Column("authority", serializers.CharField(allow_blank=True)),
    Column("delay_reason", serializers.CharField(allow_blank=True)),
    Column("nature", serializers.CharField(help_text="What happened.")),
    Column(
        "data_categories",
        ChoiceList(
            choices=Incident.DataCategory.choices, help_text="The categories of data affected."
        ),
    ),
    Column("people_affected", serializers.IntegerField(allow_null=True)),
    Column("records_affected", serializers.IntegerField(allow_null=True)),
    Column(
        "people_categories",
        ChoiceList(
            choices=Incident.PeopleCategory.choices,
            help_text="The categories of people affected.",
        ),
    ),
    Column("likely_consequences", serializers.CharField(allow_blank=True)),
    Column("measures_taken", serializers.CharField(allow_blank=True)),
    Column("how_found", serializers.ChoiceField(choices=Incident.HowFound.choices)),
    Column("status", serializers.ChoiceField(choices=Incident.Status.choices)),
    Column("closed_on", serializers.DateField(allow_null=True)),
    Column("outcome", serializers.CharField(allow_blank=True)),
    ManyValues(
        "open_flags",
        serializers.ListField(
            child=serializers.ChoiceField(choices=[(k.value, k.label) for k in INCIDENT_FLAGS]),
            help_text="The flags incidents raise that are open on its agreements.",
        ),
        rows=lambda ids: (
            Flag.objects.open()
            .filter(kind__in=INCIDENT_FLAGS, agreement__incidents__in=among(ids))
            .annotate(incident_id=F("agreement__incidents"))
            .order_by("kind")
            .distinct()
        ),
        owner="incident_id",
        field="kind",
    ),
    withheld(Incident),
    sources(Incident.sources.through, "incident_id"),
    PUBLISHED_AT,
    Column("updated_at", serializers.DateTimeField(), csv_last=True),
)


class IncidentViewSet(PublicHistoryMixin, PublicViewSet):
    """Incidents (data breaches, data used beyond the agreed purpose, discriminatory
    outcomes...) on public agreements, as published."""

    basename = "incident"
    export_name = "incidents"
    shape = INCIDENT
    filterset_class = IncidentFilter
    queryset = Incident.objects.none()

    def base_queryset(self):
        return Incident.objects.public().with_hours_to_notify().order_by("-discovered_at", "pk")
