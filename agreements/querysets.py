"""Domain rules about many agreements at once, as SQL.

Each method filters or annotates; none writes. The flag conditions about agreements
alone are here (those that involve reviews are oversight's, in ``oversight.rules``), so
that the job, the dashboards and the tests share one definition. Methods that depend on
the date take ``today`` from the caller.

``models.py`` imports this module, so the querysets reach the data-sharing terms
through the agreements' relation to them.
"""

from datetime import date

from django.db import models
from django.db.models import Case, Exists, ExpressionWrapper, F, OuterRef, Q, Value, When

from partnerships.models import PartnershipParty
from partnerships.querysets import public_values, sees_every_record, with_sources

from .choices import RiskLevel, SurveillancePractice
from .risk import HIGH_RISK_CATEGORIES_TO_POLICE, MEDIUM_RISK_CATEGORIES, TOWARDS_POLICE


def _high_risk_term():
    """Q: a term that makes its agreement high-risk; mirrors ``term_risk_level``."""
    return ~Q(surveillance_practice=SurveillancePractice.NONE) | Q(
        data_category__in=HIGH_RISK_CATEGORIES_TO_POLICE, direction__in=TOWARDS_POLICE
    )


def _medium_risk_term():
    return Q(data_category__in=MEDIUM_RISK_CATEGORIES) | Q(onward_sharing_allowed=True)


class DataSharingTermQuerySet(models.QuerySet):
    def high_risk(self):
        return self.filter(_high_risk_term())

    def medium_risk_or_higher(self):
        return self.filter(_medium_risk_term() | _high_risk_term())


def _data_sharing_terms(agreements):
    return agreements.model._meta.get_field("data_sharing_terms").related_model.objects


def _highest_risk_level(terms) -> Case:
    """The highest risk level among ``terms`` (a subquery), low when there are none."""
    return Case(
        When(Exists(terms.high_risk()), then=Value(RiskLevel.HIGH)),
        When(Exists(terms.medium_risk_or_higher()), then=Value(RiskLevel.MEDIUM)),
        default=Value(RiskLevel.LOW),
        output_field=models.CharField(),
    )


def _auditor_is_party():
    return Exists(
        PartnershipParty.objects.filter(
            partnership=OuterRef("partnership"), organization=OuterRef("independent_auditor")
        )
    )


# The rules of the derived facts an agreement stores (``Agreement.stored_risk_level``,
# ``Agreement.auditor_is_independent``), as SQL about the agreement of the outer query:
# ``agreements.derived`` stores them with these, and the staff annotations read them.


def risk_level_rule(agreements: models.QuerySet) -> Case:
    """The risk level of each of ``agreements``: the highest among its terms
    (``term_risk_level``), low when it has none; ``Agreement.risk_level()`` for one."""
    return _highest_risk_level(_data_sharing_terms(agreements).filter(agreement=OuterRef("pk")))


def auditor_independence_rule() -> Case:
    """True for an auditor that is not a party to the partnership, false for one that is,
    null without an auditor; ``Agreement.has_independent_auditor()`` for one agreement."""
    return Case(
        When(independent_auditor__isnull=True, then=Value(None)),
        When(_auditor_is_party(), then=Value(False)),
        default=Value(True),
        output_field=models.BooleanField(null=True),
    )


def partnership_facts_rules(agreements) -> dict:
    """The facts a partnership stores about its ``agreements`` (``agreements.derived``
    passes its public ones), by their stored facts, as SQL about the partnership of the
    outer query: ``{Partnership field: expression}``."""
    of_partnership = agreements.filter(partnership=OuterRef("pk"))
    return {
        "highest_risk_level": Case(
            When(
                Exists(of_partnership.filter(stored_risk_level=RiskLevel.HIGH)),
                then=Value(RiskLevel.HIGH),
            ),
            When(
                Exists(of_partnership.filter(stored_risk_level=RiskLevel.MEDIUM)),
                then=Value(RiskLevel.MEDIUM),
            ),
            default=Value(RiskLevel.LOW),
            output_field=models.CharField(),
        ),
        "has_independent_auditor": Exists(of_partnership.filter(auditor_is_independent=True)),
    }


def with_partnership_risk_level(partnerships, agreements):
    """Annotate ``derived_risk_level`` on ``partnerships``: the highest risk among the
    ``agreements`` of each, low when it has none (computed afresh; the public lists read
    the stored ``Partnership.highest_risk_level``)."""
    return partnerships.annotate(
        derived_risk_level=partnership_facts_rules(agreements)["highest_risk_level"]
    )


def public_agreement_values(prefix: str = "") -> dict[str, str]:
    """The values that make an agreement (through ``prefix``) public: its own state and its
    partnership's (``public_values``)."""
    return {**public_values(prefix), **public_values(f"{prefix}partnership__")}


def public_agreement(prefix: str = "") -> Q:
    """Q: the agreement (through ``prefix``) is public: what ``.public()`` selects."""
    return Q(**public_agreement_values(prefix))


class AgreementDocumentQuerySet(models.QuerySet):
    def public(self):
        """The versions published with their agreement: marked public and out of embargo
        (of public agreements: callers start from the agreement)."""
        return self.filter(is_public=True, embargoed_until__isnull=True)


class AgreementQuerySet(models.QuerySet):
    def with_sources(self, present: bool = True):
        """Agreements citing at least one source of their own (or none)."""
        return with_sources(self, present)

    # Visibility ---------------------------------------------------------------

    def public(self):
        """Agreements an anonymous reader may see: public, in a public partnership."""
        return self.filter(public_agreement())

    def visible_to(self, user):
        """Public agreements, plus every agreement of the user's organizations' partnerships.

        Administrators and members of oversight organizations see all of them.
        """
        if not user.is_authenticated:
            return self.public()
        if sees_every_record(user):
            return self.all()
        of_member = PartnershipParty.objects.of_member(user)
        return self.filter(
            public_agreement() | Q(Exists(of_member.filter(partnership=OuterRef("partnership"))))
        )

    # Risk and auditors: the stored facts (``agreements.derived``) ------------------

    def with_risk_level(self):
        """Annotate ``derived_risk_level`` (low, medium, high): the stored risk level, which
        ``agreements.derived`` keeps by ``risk_level_rule``.

        Not named ``risk_level``, which would shadow ``Agreement.risk_level()``.
        """
        return self.annotate(derived_risk_level=F("stored_risk_level"))

    def with_risk_level_by_rule(self):
        """``with_risk_level`` computed afresh from the terms (what is stored, checked)."""
        return self.annotate(derived_risk_level=risk_level_rule(self))

    def high_risk(self):
        """A high-risk term, by the rule of the terms themselves: the flagging job's
        condition, read where the stored level is re-derived."""
        return self.filter(Exists(self._terms().high_risk()))

    def _terms(self):
        return _data_sharing_terms(self).filter(agreement=OuterRef("pk"))

    def with_independent_auditor(self):
        """An auditor that is not a party (the stored ``auditor_is_independent``)."""
        return self.filter(auditor_is_independent=True)

    def without_independent_auditor(self):
        """No auditor, or an auditor that is itself a party (so not independent)."""
        return self.exclude(auditor_is_independent=True)

    def lacking_independent_auditor(self):
        """In force, and no auditor or an auditor that is itself a party (so not independent)."""
        return self.in_force().without_independent_auditor()

    def with_auditor_independence_by_rule(self):
        """Annotate ``auditor_independence`` computed afresh (what is stored, checked)."""
        return self.annotate(auditor_independence=auditor_independence_rule())

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
