"""Full-text search over agreements (``core.search``); withheld values are never searched
(``partnerships.search.WithheldValues``)."""

from core.search import matching_ids, ranked
from partnerships.models import Organization
from partnerships.search import WithheldValues, partnership_ids_matching

from .models import Agreement

AGREEMENT_FIELDS = (("title", "A"), ("reference", "A"), ("public_summary", "B"))
AUDITOR_FIELDS = (("name", "A"),)


def search_agreements(queryset, text: str):
    """Agreements whose title, reference or summary match, or whose partnership does (its
    title, summary or parties' names), or whose auditor's name does (unless the auditor is
    withheld); ranked by relevance."""
    withheld = WithheldValues(Agreement)
    own = matching_ids(Agreement.objects.all(), AGREEMENT_FIELDS, text, hidden=withheld)
    via_partnership = Agreement.objects.filter(
        partnership__in=partnership_ids_matching(text)
    ).values("pk")
    auditors = matching_ids(Organization.objects.public(), AUDITOR_FIELDS, text)
    via_auditor = (
        Agreement.objects.filter(independent_auditor__in=auditors)
        .filter(~withheld.condition("independent_auditor"))
        .values("pk")
    )
    ids = own.union(via_partnership.order_by(), via_auditor.order_by())
    return ranked(
        queryset.filter(pk__in=ids), AGREEMENT_FIELDS, text, "title", "pk", hidden=withheld
    )
