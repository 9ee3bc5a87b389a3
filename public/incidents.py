"""The public pages of incidents: ``/incidents/`` (the API's filters on a page) and
``/incidents/<id>/``, and the incidents section of the partnership and agreement pages.

Only published incidents on public agreements (``Incident.objects.public()``), each masked
(``publication.withholding.mask``): a withheld value is emptied before any template sees
it, and "Withheld — <reason>" stands in its place. The private notes and the people who
recorded or approved an incident are never read here.
"""

from collections import defaultdict
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.generic import TemplateView

from agreements.models import Agreement
from audit.views import change_history_context
from incidents import permissions as incident_permissions
from incidents.filters import IncidentFilter
from incidents.models import Incident
from oversight.models import Flag
from publication.withholding import mask, withheld_by_record

from .api.incidents import INCIDENT_FLAGS

PAGE_SIZE = 50


def public_incidents():
    """Published incidents as the pages read them: their agreements and partnerships, and
    the hours to notification (``with_hours_to_notify``)."""
    return (
        Incident.objects.public()
        .with_hours_to_notify()
        .prefetch_related(
            Prefetch("agreements", queryset=Agreement.objects.select_related("partnership")),
            "sources",
        )
    )


def present_incidents(incidents: list[Incident]) -> list[Incident]:
    """Mask each incident for the public (two queries for any number of them: the withheld
    values, and the open flags incidents raise on their agreements, as ``open_flags``)."""
    ids = [incident.pk for incident in incidents]
    withheld = withheld_by_record(Incident, ids) if ids else {}
    flags = defaultdict(set)
    if ids:
        rows = (
            Flag.objects.open()
            .filter(kind__in=INCIDENT_FLAGS, agreement__incidents__in=ids)
            .values_list("agreement__incidents", "kind")
        )
        for incident_id, kind in rows:
            flags[incident_id].add(kind)
    labels = dict(Flag.Kind.choices)
    for incident in incidents:
        mask(incident, withheld.get(incident.pk, {}))
        incident.open_flags = [
            (kind, labels[kind]) for kind in INCIDENT_FLAGS if kind in flags[incident.pk]
        ]
    return incidents


def incidents_on(agreements) -> list[Incident]:
    """The published incidents on any of ``agreements`` (a queryset), masked: the
    incidents section of a partnership or agreement page."""
    incidents = list(
        public_incidents()
        .filter(agreements__in=agreements)
        .distinct()
        .order_by("-discovered_at", "-pk")
    )
    return present_incidents(incidents)


def record_incident_url(user, agreement) -> str | None:
    """Where staff who may record an incident on ``agreement`` do it (None for others)."""
    if not incident_permissions.can_record_incident_on(user, [agreement]):
        return None
    return f"{reverse('incidents:new')}?agreement={agreement.pk}"


class IncidentListView(TemplateView):
    """``/incidents/``: the filters, search and ordering of ``/api/v1/incidents/`` on a page.
    A bad value is a 400 naming the filter, with no results."""

    template_name = "incidents/incident_list.html"

    def get(self, request, *args, **kwargs):
        context = self.get_context_data(**kwargs)
        return self.render_to_response(context, status=400 if context["filter_errors"] else 200)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET.copy()
        page_number = params.pop("page", ["1"])[-1]
        filterset = IncidentFilter(
            params, queryset=public_incidents().order_by("-discovered_at", "-pk")
        )
        valid = filterset.is_valid()
        incidents = filterset.qs if valid else Incident.objects.none()
        page = Paginator(incidents, PAGE_SIZE).get_page(page_number)
        rows = present_incidents(list(page.object_list))
        filters = IncidentFilter.base_filters
        unknown = sorted(set(params) - set(filters))
        errors = [
            (filters[name].label if name in filters else name, messages)
            for name, messages in filterset.errors.items()
        ]
        query = urlencode([(k, v) for k, v in params.lists() for v in v if v and k in filters])
        api = reverse("api:incident-list")
        context.update(
            form=filterset.form,
            incidents=rows,
            page_obj=page,
            count=page.paginator.count,
            filter_errors=errors,
            unknown_parameters=unknown,
            query=query,
            api_url=f"{api}?{query}" if query else api,
            csv_url=f"{api}?{query}&format=csv" if query else f"{api}?format=csv",
        )
        return context


class IncidentDetailView(TemplateView):
    """``/incidents/<id>/``: a published incident as the public may see it."""

    template_name = "incidents/incident_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        incident = get_object_or_404(public_incidents(), pk=kwargs["pk"])
        present_incidents([incident])
        context.update(
            incident=incident,
            agreements=list(incident.agreements.all()),
            sources=list(incident.sources.all()),
            **change_history_context(incident, full_history=None),
        )
        return context
