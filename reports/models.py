"""Transparency reports: per partnership and year, one frozen snapshot of what the public
record held (canonical JSON, with its SHA-256). A published report is never rewritten: a
correction is a new version that names the one it replaces, and the older versions stay
reachable."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from audit.registry import track
from core.models import TimeStampedModel
from partnerships.models import Partnership
from partnerships.querysets import sees_every_record


class ReportQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Report.Status.PUBLISHED)

    def public(self):
        """Published reports of partnerships the public sees (the snapshot itself holds
        public values only: ``reports.snapshot``)."""
        return self.published().filter(partnership__in=Partnership.objects.public())

    def visible_to(self, user):
        """Public reports, plus the drafts and reports of the user's organizations'
        partnerships; oversight members and administrators see all."""
        if not user.is_authenticated:
            return self.public()
        if sees_every_record(user):
            return self.all()
        public = Q(status=Report.Status.PUBLISHED, partnership__in=Partnership.objects.public())
        return self.filter(public | Q(partnership__in=Partnership.objects.with_member(user)))

    def latest_versions(self):
        """Of each partnership and year, the newest version only."""
        return self.order_by("partnership_id", "year", "-version").distinct(
            "partnership_id", "year"
        )


class Report(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="reports")
    year = models.PositiveSmallIntegerField()
    version = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=20, choices=Status, default=Status.DRAFT)
    snapshot = models.TextField(help_text=_("The canonical JSON snapshot the report shows."))
    sha256 = models.CharField("SHA-256", max_length=64)
    generated_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)
    replaces = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
        help_text=_("The published version this one corrects."),
    )
    correction_note = models.TextField(
        blank=True, help_text=_("Public: what this version corrects in the one it replaces.")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Who requested it (private); empty for the yearly job's."),
    )

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "partnership", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "year", "version"], name="report_version_once"
            ),
            # A partnership's year has at most one draft (a request regenerates it).
            models.UniqueConstraint(
                fields=["partnership", "year"],
                condition=Q(status="draft"),
                name="report_one_draft_per_year",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False),
                name="report_published_has_date",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="report_version_positive"),
        ]
        indexes = [
            # /reports/ and the partnership page: the published reports, newest year first.
            models.Index(
                fields=["year", "partnership"],
                condition=Q(status="published"),
                name="report_published_idx",
            ),
        ]

    def __str__(self):
        return f"Transparency report {self.year} of {self.partnership} (version {self.version})"

    def get_absolute_url(self):
        return self.url("html")

    def url(self, kind: str = "html") -> str:
        name = {"html": "reports:report", "pdf": "reports:report_pdf", "csv": "reports:report_csv"}
        address = reverse(name[kind], kwargs={"slug": self.partnership.slug, "year": self.year})
        return f"{address}?version={self.version}"

    @property
    def html_url(self) -> str:
        return self.url("html")

    @property
    def pdf_url(self) -> str:
        return self.url("pdf")

    @property
    def csv_url(self) -> str:
        return self.url("csv")

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


# Audited (each version's SHA-256 with it); not part of the partnership's public history,
# which lists its own changes: the reports are listed on its page.
ReportEvent = track(Report, record="Transparency report", slug="report")
