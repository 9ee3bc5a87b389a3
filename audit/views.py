"""The audit log's pages: the public change history shown on a record's page, and the
staff history page of any audited record."""

from collections.abc import Callable

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.views.generic import TemplateView

from .history import (
    HISTORY_MODELS,
    RECORD_NAMES,
    agreement_public_history,
    partnership_public_history,
    record_history,
)


def change_history_context(record, model: str, *, sees_full_history: bool) -> dict:
    """The public change history of a public partnership or agreement (None while it is
    restricted), and for those who may see it the link to its full history."""
    public = record.is_public() if model == "agreement" else record.visibility == "public"
    history = agreement_public_history if model == "agreement" else partnership_public_history
    full = reverse("oversight:record_history", kwargs={"model": model, "pk": record.pk})
    return {
        "change_history": history(record) if public else None,
        "full_history_url": full if sees_full_history else None,
    }


class RecordHistoryView(LoginRequiredMixin, TemplateView):
    """Every change of a record and its children, with private fields and the people who
    made them; the history of a deleted record stays readable. Who may see it is the
    URLconf's ``allowed`` (a function of the user)."""

    template_name = "audit/record_history.html"
    allowed: Callable[[object], bool] = staticmethod(lambda user: user.is_superuser)

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not self.allowed(request.user):
            raise PermissionDenied("The full history is for oversight board members.")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        event_model = HISTORY_MODELS.get(kwargs["model"])
        if event_model is None:
            raise Http404("No such kind of record.")
        tracked = event_model.pgh_tracked_model
        record = tracked._default_manager.filter(pk=kwargs["pk"]).first()
        entries = record_history(event_model, kwargs["pk"])
        if record is None and not entries:
            raise Http404("No such record, and no history of one.")
        context.update(
            record=record,
            record_name=RECORD_NAMES[event_model],
            record_id=kwargs["pk"],
            entries=entries,
        )
        return context
