"""Filter building blocks shared by every FilterSet of the registry (the public API, the
public pages and the oversight dashboard).

Rules every filter follows:
- a malformed value (unknown choice, bad date, non-boolean) is an error naming the
  parameter, never silently ignored;
- an unknown slug matches nothing, never everything.
"""

import datetime as dt

import django_filters
from django import forms
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field


def _invalid(message: str, value) -> forms.ValidationError:
    """The error for a bad ``value``, passed as a parameter, never written into the message:
    django-filter %-formats every message, so a value with a ``%`` in it would crash it."""
    return forms.ValidationError(message, params={"value": value})


class StrictBooleanField(forms.Field):
    """``true``/``false`` (also ``1``/``0``, ``yes``/``no``); anything else is an error.

    Django's NullBooleanField reads a typo as "no filter", which would answer a
    journalist's question with everything.
    """

    TRUE = frozenset({"true", "1", "yes", "on"})
    FALSE = frozenset({"false", "0", "no", "off"})

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise _invalid("“%(value)s” is not a boolean: use true or false.", value)


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class CountryField(django_filters.fields.ChoiceField):
    """An ISO 3166-1 alpha-2 code, in either case."""

    def to_python(self, value):
        return super().to_python(value).strip().upper()

    def validate(self, value):
        if value and not self.valid_value(value):
            raise _invalid(
                "“%(value)s” is not an ISO 3166-1 alpha-2 country code (e.g. GB, US, KE).", value
            )


class CountryFilter(django_filters.ChoiceFilter):
    field_class = CountryField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [(code, name) for code, name in countries])
        super().__init__(*args, **kwargs)


class DateOrDateTimeField(forms.Field):
    """An ISO 8601 date (midnight in the registry's time zone) or date and time."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip()
        try:
            parsed = parse_datetime(text)
            if parsed is None:
                day = dt.date.fromisoformat(text)
                parsed = dt.datetime.combine(day, dt.time.min)
        except ValueError:
            parsed = None
        if parsed is None:
            raise _invalid(
                "“%(value)s” is not an ISO 8601 date or date and time "
                "(e.g. 2025-01-31 or 2025-01-31T12:00:00Z).",
                value,
            )
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        offset = parsed.utcoffset()
        if offset is not None and abs(offset) > dt.timedelta(hours=15, minutes=59):
            raise _invalid("“%(value)s” has a time zone offset beyond ±15:59.", value)
        try:
            return parsed.astimezone(dt.UTC)
        except OverflowError as exc:
            raise _invalid("“%(value)s” is out of range.", value) from exc


class UpdatedSinceFilter(django_filters.IsoDateTimeFilter):
    field_class = DateOrDateTimeField

    def __init__(self, **kwargs):
        kwargs.setdefault("field_name", "updated_at")
        kwargs.setdefault("lookup_expr", "gte")
        kwargs.setdefault("label", _("Updated since"))
        kwargs.setdefault(
            "help_text",
            "Only records changed at or after this ISO 8601 date or date and time "
            "(a date means midnight in the registry's time zone).",
        )
        super().__init__(**kwargs)


@extend_schema_field(OpenApiTypes.INT)
class YearFilter(django_filters.NumberFilter):
    """``year=``: a whole year, 1900 to 2100 unless ``min_value``/``max_value`` say otherwise
    (a fraction or a year out of range is an error naming the parameter). What falls in a
    year is the FilterSet's to say, by its ``method``; ``help_text`` says it to readers."""

    field_class = forms.IntegerField

    def __init__(self, *, help_text, **kwargs):
        kwargs.setdefault("label", _("Year"))
        kwargs.setdefault("min_value", 1900)
        kwargs.setdefault("max_value", 2100)
        super().__init__(help_text=help_text, **kwargs)


def choices_help(text: str, choices) -> str:
    return f"{text} One of: {', '.join(value for value, _label in choices)}."


class MultipleChoiceField(django_filters.fields.MultipleChoiceField):
    """Ignores empty values: an HTML form's "any" option sends ``status=``."""

    def to_python(self, value):
        return [item for item in super().to_python(value) if item != ""]


class MultipleChoiceFilter(django_filters.MultipleChoiceFilter):
    """Repeat the parameter for several values (``?status=active&status=signed``): any of
    them matches. No DISTINCT: every use filters a column of the row itself or an EXISTS."""

    field_class = MultipleChoiceField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)


class OrderingFilter(django_filters.OrderingFilter):
    """Orders by the given fields, then by id, so that pages never overlap. Empty values
    (an unknown founding date) come last both ways."""

    def filter(self, qs, value):
        if value in django_filters.constants.EMPTY_VALUES:
            return qs
        ordering = []
        for param in value:
            if param:
                field = self.get_ordering_value(param)
                if field.startswith("-"):
                    ordering.append(F(field[1:]).desc(nulls_last=True))
                else:
                    ordering.append(F(field).asc(nulls_last=True))
        return qs.order_by(*ordering, "pk")


class SearchFilter(django_filters.CharFilter):
    """``search=``: full-text on PostgreSQL, ranked by relevance unless ``ordering`` is given.

    Declared before ``ordering`` in every FilterSet, so that an explicit ordering wins.
    """

    def __init__(self, *, searcher, help_text, **kwargs):
        self.searcher = searcher
        kwargs.setdefault("label", _("Search"))
        super().__init__(help_text=help_text, **kwargs)

    def filter(self, qs, value):
        value = (value or "").strip()
        if not value:
            return qs
        return self.searcher(qs, value)
