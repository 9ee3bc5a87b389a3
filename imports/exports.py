"""The public exports an import reads: each one's shape (``public.api``), the cells it reads
back and the headers that name a row's record. Nothing here lists a column: the headers,
and how each is read, are the shapes' (``Shape.read_back``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django import forms

from agreements.forms import AgreementForm
from agreements.models import Agreement
from core.api.columns import Column, ReadBack, Shape
from partnerships.forms import PartnershipForm
from partnerships.models import Partnership
from public.api.agreements import AGREEMENT
from public.api.partnerships import PARTNERSHIP

from .models import ImportJob

# Related records an import writes through their own services, not through the record's
# edit form: a partnership's parties, an agreement's data-sharing terms; and the record an
# agreement belongs to, by the key it is found with.
RELATED_SETS = ("parties", "data_sharing_terms")
PARENT = "partnership"


@dataclass(frozen=True)
class Export:
    """An export as an import reads it."""

    kind: str
    shape: Shape
    model: type[Partnership] | type[Agreement]
    # The record's edit form (``agreements.revisions.record_forms``): its fields are what a
    # file may change, parsed and checked as the form does.
    edit_form: type[forms.ModelForm]
    # The fields whose cells name the row's record (besides ``PARENT`` for an agreement).
    key_fields: tuple[str, ...]

    @cached_property
    def form_fields(self) -> frozenset[str]:
        return frozenset(self.edit_form.base_fields)

    @cached_property
    def cells(self) -> dict[str, tuple[Column, ReadBack]]:
        """``{header: (column, how it is read)}``: the cells the import reads, in the CSV's
        order: those of the edit form's fields, of the related sets and of the keys."""
        wanted = self.form_fields | {*RELATED_SETS, PARENT, *self.key_fields}
        return {
            header: (column, read)
            for header, (column, read) in self.shape.read_back.items()
            if read.field in wanted
        }

    @cached_property
    def header_of(self) -> dict[str, str]:
        """``{field: the header of its cell}``, for naming the column of an error."""
        return {read.field: header for header, (_, read) in self.cells.items()}

    @cached_property
    def headers(self) -> tuple[str, ...]:
        """Every header of the export, in its order."""
        return tuple(header for header, _ in self.shape.csv_columns)

    @cached_property
    def key_headers(self) -> tuple[str, ...]:
        """The headers a file must have: those naming the row's record."""
        fields = (PARENT, *self.key_fields) if self.model is Agreement else self.key_fields
        return tuple(self.header_of[field] for field in fields)

    @cached_property
    def present_shape(self) -> Shape:
        """The columns of the cells the import reads: presenting a record with it gives
        the cells its export has now, for comparing with a file's."""
        keys = {column.key for column, _ in self.cells.values()}
        return self.shape.subset(f"{self.shape.name}Import", keys)


EXPORTS = {
    ImportJob.Kind.PARTNERSHIPS: Export(
        kind=ImportJob.Kind.PARTNERSHIPS,
        shape=PARTNERSHIP,
        model=Partnership,
        edit_form=PartnershipForm,
        key_fields=("slug",),
    ),
    # Within its partnership, an agreement is named by its reference, or else its title.
    ImportJob.Kind.AGREEMENTS: Export(
        kind=ImportJob.Kind.AGREEMENTS,
        shape=AGREEMENT,
        model=Agreement,
        edit_form=AgreementForm,
        key_fields=("reference", "title"),
    ),
}
