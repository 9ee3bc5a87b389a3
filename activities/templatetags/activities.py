"""The joint activities section of the partnership page, as an inclusion tag: the page
adds one line to its template (and the activities app stays out of the pages' views)."""

from django import template
from django.db.models import Prefetch

from publication.withholding import mask, withheld_by_record

from ..models import Activity, ActivityResult, Indicator
from ..permissions import can_record_activity

register = template.Library()


def public_activities(partnership, *, as_public: bool, user=None) -> list[Activity]:
    """The partnership's activities as its reader may see them, with their organizations
    and results, in a constant number of queries: for the public, the published ones with
    every withheld value masked (``publication.withholding.mask``); for its members, all."""
    activities = (
        Activity.objects.public() if as_public else Activity.objects.visible_to(user)
    ).filter(partnership=partnership)
    activities = list(
        activities.prefetch_related(
            "organizations",
            Prefetch("results", queryset=ActivityResult.objects.order_by("period_start", "pk")),
        ).order_by("-started_on", "pk")
    )
    results = [r for a in activities for r in a.results.all()]
    withheld = withheld_by_record(Activity, [a.pk for a in activities])
    withheld_results = withheld_by_record(ActivityResult, [r.pk for r in results])
    for activity in activities:
        if as_public:
            mask(activity, withheld.get(activity.pk, {}))
        else:
            activity.withheld = withheld.get(activity.pk, {})
        for result in activity.results.all():
            if as_public:
                mask(result, withheld_results.get(result.pk, {}))
            else:
                result.withheld = withheld_results.get(result.pk, {})
    return activities


def yearly_totals(partnership) -> list[dict]:
    """The partnership's public results summed per year and indicator (withheld values
    left out), named for people."""
    labels = dict(Indicator.choices)
    rows = ActivityResult.objects.public().filter(activity__partnership=partnership)
    return [
        {**row, "name": row["other_name"] or labels[row["indicator"]]}
        for row in rows.totals_by_year()
    ]


@register.inclusion_tag("activities/_partnership_activities.html", takes_context=True)
def partnership_activities(context, partnership, as_public=True):
    request = context["request"]
    activities = public_activities(partnership, as_public=as_public, user=request.user)
    return {
        "partnership": partnership,
        "activities": activities,
        # The totals add up published activities: none, nothing to add (no query).
        "totals": yearly_totals(partnership) if any(a.is_published for a in activities) else [],
        "as_public": as_public,
        "can_record": not as_public and can_record_activity(request.user, partnership),
    }
