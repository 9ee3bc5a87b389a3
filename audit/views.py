"""The audit log's pages: the public change history shown on a record's page, and the
staff history page of any audited record (``<model>`` is its registration's slug)."""

from collections.abc import Callable

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext
from django.views.generic import TemplateView

from .history import public_history, record_history
from .registry import registration_by_slug, registration_for


def change_history_context(record, *, full_history: str | None) -> dict:
    """The public change history of an audited record while it is published (None
    otherwise), and the link to its full history when ``full_history`` is the URL name of
    a ``RecordHistoryView`` (which takes ``model`` and ``pk``): given for those who may
    see it, None for others."""
    registration = registration_for(record)
    link = None
    if full_history:
        link = reverse(full_history, kwargs={"model": registration.slug, "pk": record.pk})
    return {
        "change_history": public_history(record) if registration.is_published(record) else None,
        "full_history_url": link,
    }


class RecordHistoryView(LoginRequiredMixin, TemplateView):
    """Every change of a record and its children, with private fields and the people who
    made them; the history of a deleted record stays readable. Who may see it is the
    URLconf's ``allowed`` (a function of the user)."""

    template_name = "audit/record_history.html"
    allowed: Callable[[object], bool] = staticmethod(lambda user: user.is_superuser)

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not self.allowed(request.user):
            raise PermissionDenied(gettext("You may not see the full history of records."))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        registration = registration_by_slug(kwargs["model"])
        if registration is None:
            raise Http404("No such kind of record.")
        record = registration.model._default_manager.filter(pk=kwargs["pk"]).first()
        entries = record_history(registration, kwargs["pk"])
        if record is None and not entries:
            raise Http404("No such record, and no history of one.")
        context.update(
            record=record,
            record_name=registration.record,
            record_id=kwargs["pk"],
            entries=entries,
        )
        return context
