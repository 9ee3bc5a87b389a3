"""Who sees which activity, and a partnership's results per year, written once
(``models.py`` imports this module)."""

from django.db import models
from django.db.models import Exists, OuterRef, Q, Sum
from django.db.models.functions import ExtractYear

from partnerships.models import PartnershipParty
from partnerships.querysets import public_partnership, sees_every_record
from publication.choices import PublicationStatus
from publication.models import Withholding


def public_activity(prefix: str = "") -> Q:
    """Q: the activity (through ``prefix``) is published, in a public partnership."""
    return Q(**{f"{prefix}publication_status": PublicationStatus.PUBLISHED}) & public_partnership(
        f"{prefix}partnership__"
    )


class ActivityQuerySet(models.QuerySet):
    def public(self):
        """Published activities of public partnerships: what an anonymous reader sees."""
        return self.filter(public_activity())

    def visible_to(self, user):
        """Public activities, plus every activity of the user's organizations'
        partnerships (drafts included); oversight members and administrators see all."""
        if not user.is_authenticated:
            return self.public()
        if sees_every_record(user):
            return self.all()
        of_member = PartnershipParty.objects.of_member(user)
        return self.filter(
            public_activity() | Q(Exists(of_member.filter(partnership=OuterRef("partnership"))))
        )

    def in_year(self, year: int):
        """Activities under way at some time in ``year``."""
        return self.filter(started_on__year__lte=year).filter(
            Q(ended_on__isnull=True) | Q(ended_on__year__gte=year)
        )


class ActivityResultQuerySet(models.QuerySet):
    def public(self):
        """Results of public activities (a withheld value is the caller's to mask:
        ``totals_by_year`` leaves it out)."""
        return self.filter(public_activity("activity__"))

    def value_withheld(self):
        return self.filter(pk__in=self._withheld_values())

    def _withheld_values(self):
        return Withholding.objects.of_model(self.model).filter(field="value").values("object_id")

    def totals_by_year(self):
        """``[{year, indicator, other_name, unit, total, results}]``: the values summed by
        the year their period ends, indicator and unit, in one query; a result whose value
        is withheld from the public is left out of the sums, never counted in."""
        return list(
            self.exclude(pk__in=self._withheld_values())
            .annotate(year=ExtractYear("period_end"))
            .values("year", "indicator", "other_name", "unit")
            .annotate(total=Sum("value"), results=models.Count("pk"))
            .order_by("-year", "indicator", "other_name", "unit")
        )
