"""An import of a CSV file in the columns of a public export: the file, where the import
stands (a row the page polls), what its dry run found and what applying it did."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel


class ImportJob(TimeStampedModel):
    """One uploaded file, checked (a dry run: ``preview``), then applied in one
    transaction (``result``). Small files are checked and applied in the request; larger
    ones by the background task, which moves ``rows_checked`` and ``rows_applied`` along
    as it goes."""

    class Kind(models.TextChoices):
        PARTNERSHIPS = "partnerships", _("Partnerships")
        AGREEMENTS = "agreements", _("Agreements")

    class Status(models.TextChoices):
        CHECKING = "checking", _("Checking the file")
        CHECKED = "checked", _("Checked: ready to apply")
        APPLYING = "applying", _("Applying")
        APPLIED = "applied", _("Applied")
        FAILED = "failed", _("Failed: nothing was changed")

    RUNNING = (Status.CHECKING, Status.APPLYING)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind)
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField("SHA-256", max_length=64)
    content = models.TextField(help_text=_("The file as uploaded, decoded (staff only)."))
    status = models.CharField(max_length=20, choices=Status, default=Status.CHECKING)
    rows_total = models.PositiveIntegerField(default=0)
    rows_checked = models.PositiveIntegerField(default=0)
    rows_applied = models.PositiveIntegerField(default=0)
    preview = models.JSONField(
        default=dict, blank=True, help_text=_("What the dry run found, row by row.")
    )
    result = models.JSONField(default=dict, blank=True, help_text=_("What applying it did."))
    message = models.TextField(
        blank=True, help_text=_("Why it failed, or why it was checked again before applying.")
    )
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The import page: the user's own imports, newest first.
            models.Index(fields=["created_by", "-created_at"], name="importjob_user_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rows_checked__lte=F("rows_total"))
                & Q(rows_applied__lte=F("rows_total")),
                name="importjob_progress_within_total",
            ),
        ]

    def __str__(self):
        return f"Import of {self.file_name} ({self.get_status_display().lower()})"

    def get_absolute_url(self):
        return reverse("imports:job", kwargs={"pk": self.pk})

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING

    @property
    def rows_done(self) -> int:
        """The rows behind the current step: checked, or applied."""
        return self.rows_applied if self.status == self.Status.APPLYING else self.rows_checked

    @property
    def counts(self) -> dict[str, int]:
        return self.preview.get("counts", {})

    @property
    def can_apply(self) -> bool:
        """Checked, with no row in error and something to create or change."""
        counts = self.counts
        return (
            self.status == self.Status.CHECKED
            and not counts.get("error")
            and bool(counts.get("create") or counts.get("change"))
        )
