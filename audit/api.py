"""The audit log in the public API: ``<id>/history/`` on the viewset of a public audited
record (public changes only, newest first, paginated), and the head of the hash chain on
the API root."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound

from core.api.defaults import NumberedPagination
from core.api.viewsets import ErrorSerializer

from .chain import audit_chain_head
from .history import HistoryEntry, public_history


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="The field's name.")
    label = serializers.CharField(help_text="The field's name, for people.")
    old = serializers.JSONField(
        allow_null=True,
        help_text='Before (null for a new record); "withheld" for a value withheld from the '
        "public.",
    )
    new = serializers.JSONField(
        allow_null=True, help_text='After; "withheld" for a value withheld from the public.'
    )


class HistoryEntrySerializer(serializers.Serializer):
    position = serializers.IntegerField(help_text="The change's position in the audit log.")
    at = serializers.DateTimeField()
    record = serializers.CharField(
        help_text='What changed: the kind of record, e.g. "Agreement", "Party".'
    )
    record_id = serializers.IntegerField()
    action = serializers.ChoiceField(
        choices=["created", "changed", "deleted", "published"],
        help_text="published: the record (or a document version) reached the public.",
    )
    made_by = serializers.CharField(
        help_text="The organization that made the change, or the registry's job; never a person."
    )
    changes = FieldChangeSerializer(many=True)


def entry_json(entry: HistoryEntry) -> dict:
    """A public history entry as the API shows it (never the staff-only fields)."""
    return {
        "position": entry.seq,
        "at": entry.at,
        "record": entry.record,
        "record_id": entry.record_id,
        "action": entry.action,
        "made_by": entry.made_by,
        "changes": [
            {"field": c.name, "label": c.label, "old": c.old, "new": c.new} for c in entry.changes
        ],
    }


class PublicHistoryMixin:
    """Adds ``<id>/history/`` to a public viewset of an audited model: the record's public
    change history (``audit.history.public_history``)."""

    def history_record(self, pk):
        model = self.base_queryset().model
        try:
            return model.objects.public().get(pk=int(pk))
        except (ValueError, model.DoesNotExist):
            raise NotFound("No public record with this id.") from None

    @extend_schema(
        summary="Public change history",
        description="Changes to the record's public fields, newest first: when, what, the "
        "organization (or the registry's job) that made them. Never a person, never a "
        'private value; a value withheld from the public shows as "withheld". The history '
        "starts when the record was published: nothing of its drafts, submissions or "
        "embargo is shown.",
        responses={
            200: HistoryEntrySerializer(many=True),
            400: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="A bad page or page_size: the JSON names the parameter.",
            ),
            404: OpenApiResponse(
                ErrorSerializer,
                description="No public record with this id, or a page beyond the last.",
            ),
        },
        filters=False,
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="history",
        filter_backends=[],
        pagination_class=NumberedPagination,
    )
    def history(self, request, pk=None):
        record = self.history_record(pk)
        page = self.paginate_queryset(public_history(record))
        return self.get_paginated_response([entry_json(entry) for entry in page])


def audit_log_head(request) -> dict:
    """The API root's ``audit_log``: the head of the hash chain, to keep and compare later
    (any rewrite of history changes it), or null where nothing is recorded."""
    head = audit_chain_head()
    return {
        "audit_log": {
            "head_hash": head.hash if head else None,
            "head_position": head.seq if head else None,
            "head_recorded_at": head.recorded_at if head else None,
            "about": "Every change to the registry's records is kept in a hash-chained, "
            "append-only audit log. Keep this hash with its date: if earlier history is "
            "ever rewritten, the chain leading to it no longer verifies.",
        }
    }
