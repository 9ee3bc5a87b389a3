"""Domain rules about many agreements at once, as SQL.

Each method filters or annotates; none writes. The flag conditions of the
oversight jobs are here, so that the job, the dashboards and the tests share
one definition. Methods that depend on the date take ``today`` from the caller.
"""

from datetime import date

from dateutil.relativedelta import relativedelta
from django.db import models
from django.db.models import Case, Exists, ExpressionWrapper, OuterRef, Q, Value, When

from partnerships.querysets import party_of_partnership_with_member, sees_every_record

# A completed DPIA keeps a high-risk agreement unflagged for this long.
DPIA_VALID_FOR = relativedelta(months=12)


def _high_risk_term():
    """Q: a term that makes its agreement high-risk; mirrors ``DataSharingTerm.risk_level``."""
    from .models import HIGH_RISK_CATEGORIES_TO_POLICE, TOWARDS_POLICE, DataSharingTerm

    return ~Q(surveillance_practice=DataSharingTerm.SurveillancePractice.NONE) | Q(
        data_category__in=HIGH_RISK_CATEGORIES_TO_POLICE, direction__in=TOWARDS_POLICE
    )


def _medium_risk_term():
    from .models import MEDIUM_RISK_CATEGORIES

    return Q(data_category__in=MEDIUM_RISK_CATEGORIES) | Q(onward_sharing_allowed=True)


class DataSharingTermQuerySet(models.QuerySet):
    def high_risk(self):
        return self.filter(_high_risk_term())

    def medium_risk_or_higher(self):
        return self.filter(_medium_risk_term() | _high_risk_term())


def _auditor_is_party():
    from partnerships.models import PartnershipParty

    return Exists(
        PartnershipParty.objects.filter(
            partnership=OuterRef("partnership"), organization=OuterRef("independent_auditor")
        )
    )


class AgreementQuerySet(models.QuerySet):
    # Visibility ---------------------------------------------------------------

    def public(self):
        """Agreements an anonymous reader may see: public, in a public partnership."""
        from partnerships.models import Visibility

        return self.filter(visibility=Visibility.PUBLIC, partnership__visibility=Visibility.PUBLIC)

    def visible_to(self, user):
        """Public agreements, plus every agreement of the user's organizations' partnerships.

        Administrators and members of oversight organizations see all of them.
        """
        from partnerships.models import Visibility

        if not user.is_authenticated:
            return self.public()
        if sees_every_record(user):
            return self.all()
        return self.filter(
            Q(visibility=Visibility.PUBLIC, partnership__visibility=Visibility.PUBLIC)
            | Q(party_of_partnership_with_member(user, "partnership"))
        )

    # Risk -----------------------------------------------------------------------

    def with_risk_level(self):
        """Annotate ``derived_risk_level`` (low, medium, high) by the rule of the terms.

        Not named ``risk_level``, which would shadow ``Agreement.risk_level()``.
        """
        from .models import DataSharingTerm, RiskLevel

        terms = DataSharingTerm.objects.filter(agreement=OuterRef("pk"))
        return self.annotate(
            derived_risk_level=Case(
                When(Exists(terms.high_risk()), then=Value(RiskLevel.HIGH)),
                When(Exists(terms.medium_risk_or_higher()), then=Value(RiskLevel.MEDIUM)),
                default=Value(RiskLevel.LOW),
                output_field=models.CharField(),
            )
        )

    def high_risk(self):
        from .models import DataSharingTerm

        return self.filter(
            Exists(DataSharingTerm.objects.filter(agreement=OuterRef("pk")).high_risk())
        )

    # Auditors -----------------------------------------------------------------

    def with_independent_auditor(self):
        return self.filter(independent_auditor__isnull=False).exclude(_auditor_is_party())

    def without_independent_auditor(self):
        """No auditor, or an auditor that is itself a party (so not independent)."""
        return self.filter(Q(independent_auditor__isnull=True) | Q(_auditor_is_party()))

    def lacking_independent_auditor(self):
        """In force, and no auditor or an auditor that is itself a party (so not independent)."""
        return self.in_force().without_independent_auditor()

    def with_auditor_independence(self):
        """Annotate ``auditor_is_independent``: an auditor that is not a party."""
        return self.annotate(
            auditor_is_independent=ExpressionWrapper(
                Q(independent_auditor__isnull=False) & ~Q(_auditor_is_party()),
                output_field=models.BooleanField(),
            )
        )

    # Oversight conditions ---------------------------------------------------

    def in_force(self):
        return self.filter(status__in=self.model.IN_FORCE)

    def _review_overdue(self, today: date) -> Q:
        return Q(status__in=self.model.IN_FORCE, next_review_due__lt=today)

    def review_overdue(self, today: date):
        """In force and the next review was due before today."""
        return self.filter(self._review_overdue(today))

    def review_not_overdue(self, today: date):
        return self.exclude(self._review_overdue(today))

    def with_review_overdue(self, today: date):
        """Annotate ``review_is_overdue``, by the same rule as ``review_overdue()``."""
        return self.annotate(
            review_is_overdue=ExpressionWrapper(
                self._review_overdue(today), output_field=models.BooleanField()
            )
        )

    def expired_but_active(self, today: date):
        return self.filter(status=self.model.Status.ACTIVE, expires_on__lt=today)

    def high_risk_without_dpia(self, today: date):
        """High risk, and no DPIA completed in the twelve months up to today.

        A DPIA completed on 21 November 2025 still counts on 21 November 2026, not the day after.
        """
        from oversight.models import Review

        recent_dpia = Review.objects.filter(
            agreement=OuterRef("pk"),
            kind=Review.Kind.DPIA,
            status=Review.Status.COMPLETED,
            completed_on__gte=today - DPIA_VALID_FOR,
            completed_on__lte=today,
        )
        return self.high_risk().exclude(Exists(recent_dpia))

    def corrective_action_overdue(self, today: date):
        """An open finding of one of its reviews is past its due date."""
        from oversight.models import Finding

        overdue = Finding.objects.filter(
            review__agreement=OuterRef("pk"), status=Finding.Status.OPEN, due_on__lt=today
        )
        return self.filter(Exists(overdue))
