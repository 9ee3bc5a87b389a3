"""The staff pages that add and edit agreements, their data-sharing terms and their
signed document versions, and the publication workflow's pages: each record's publication
page and the approval queue.

Agreements are looked up in ``Agreement.objects.visible_to(user)`` (404 when not
visible); ``permissions.py`` decides who may change them (403).
"""

import datetime

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.db import models
from django.http import (
    FileResponse,
    Http404,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_lazy
from django.views import View
from django.views.generic import FormView, TemplateView
from django.views.generic.base import TemplateResponseMixin

from core.views import add_service_errors, safe_next
from partnerships import permissions as partnership_permissions
from partnerships.models import Partnership
from partnerships.views import (
    PROPOSED,
    EditablePartnershipMixin,
    SourceAddView,
    SourceEditView,
    SourceRemoveView,
    and_withdrawn,
)
from publication.choices import APPROVED_STATES
from publication.choices import PublicationStatus as Status
from publication.models import Withholding, open_revision

from . import permissions, publishing, revisions, services
from .clauses import TOPICS
from .documents import (
    CHUNK,
    DocumentRejected,
    compare_versions,
    max_document_bytes,
    too_large,
)
from .forms import (
    MAX_TERMS,
    TERMS_PREFIX,
    AgreementForm,
    AuditorForm,
    DocumentEmbargoForm,
    DocumentUploadForm,
    EmbargoForm,
    RetractForm,
    SendBackForm,
    TermFormSet,
    VersionCompareForm,
    WithholdForm,
    blank_term_form,
    too_many_terms_message,
)
from .models import Agreement, AgreementDocument


def visible_agreement(request, pk: int) -> Agreement:
    return get_object_or_404(
        Agreement.objects.visible_to(request.user).select_related("partnership"), pk=pk
    )


class EditableAgreementMixin(LoginRequiredMixin):
    """One agreement the user may see (else 404) and edit (else 403)."""

    def get_agreement(self) -> Agreement:
        if not hasattr(self, "_agreement"):
            agreement = visible_agreement(self.request, self.kwargs["pk"])
            if not permissions.can_edit_agreement(self.request.user, agreement):
                raise PermissionDenied(services.REFUSED)
            self._agreement = agreement
        return self._agreement


class AgreementSourceMixin(EditableAgreementMixin):
    """The agreement's sources: the partnership's source pages (``partnerships.views``)."""

    def get_record(self):
        return self.get_agreement()


class AgreementSourceAddView(AgreementSourceMixin, SourceAddView):
    pass


class AgreementSourceEditView(AgreementSourceMixin, SourceEditView):
    pass


class AgreementSourceRemoveView(AgreementSourceMixin, SourceRemoveView):
    pass


class AgreementFormMixin(TemplateResponseMixin):
    """The agreement form with its data-sharing terms formset, for create and edit.

    "Add another term" works two ways: htmx fetches one more row (``TermRowView``);
    without JavaScript the button submits the form, which comes back with what was
    typed and one more empty row.
    """

    template_name = "agreements/agreement_form.html"

    def get_partnership(self):
        raise NotImplementedError

    def get_instance(self) -> Agreement:
        raise NotImplementedError

    def get_revision(self):
        """The changes of an approved agreement waiting for approval (none for a new one)."""
        return None

    def build(self, data=None):
        instance = self.get_instance()
        form = AgreementForm(data, instance=instance, partnership=self.get_partnership())
        formset = TermFormSet(data, instance=instance, prefix=TERMS_PREFIX)
        return form, formset

    def render_forms(self, form, formset, *, extra_rows=(), show_errors=True, status=200):
        total = formset.total_form_count() + len(extra_rows)
        return self.render_to_response(
            {
                "form": form,
                "formset": formset,
                "extra_rows": extra_rows,
                "total_forms": total,
                "show_errors": show_errors,
                "partnership": self.get_partnership(),
                "agreement": self.get_instance() if self.get_instance().pk else None,
                "revision": self.get_revision(),
                "view": self,
            },
            status=status,
        )

    def get(self, request, *args, **kwargs):
        form, formset = self.build()
        return self.render_forms(form, formset)

    def post(self, request, *args, **kwargs):
        form, formset = self.build(request.POST)
        if "add_term" in request.POST:
            index = formset.total_form_count()
            if index >= MAX_TERMS:
                messages.error(request, too_many_terms_message())
                return self.render_forms(form, formset, show_errors=False)
            return self.render_forms(
                form, formset, extra_rows=[blank_term_form(index)], show_errors=False
            )
        if form.is_valid() and formset.is_valid():
            try:
                agreement = self.save(form, formset)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, self.success_message(agreement))
                return HttpResponseRedirect(agreement.get_absolute_url())
        return self.render_forms(form, formset)


class AgreementCreateView(EditablePartnershipMixin, AgreementFormMixin, View):
    def get_instance(self):
        if not hasattr(self, "_instance"):
            self._instance = Agreement(partnership=self.get_partnership())
        return self._instance

    def save(self, form, formset):
        return services.agreement_create(
            partnership=self.get_partnership(),
            actor=self.request.user,
            data=form.cleaned_data,
            terms=formset.changes()["terms_to_add"],
        )

    def success_message(self, agreement):
        return gettext(
            "Agreement “%(title)s” added. It is a draft: only the parties and oversight see it "
            "until it is submitted for publication (“Submit for publication” on its page) and "
            "an editor of another party approves it."
        ) % {"title": agreement}


class AgreementUpdateView(EditableAgreementMixin, AgreementFormMixin, View):
    def get_partnership(self):
        return self.get_agreement().partnership

    def get_instance(self):
        return self.get_agreement()

    def get_revision(self):
        if not hasattr(self, "_revision"):
            self._revision = open_revision(self.get_agreement())
        return self._revision

    def build(self, data=None):
        """An approved agreement with changes waiting for approval (or sent back) opens
        the form as its editor submitted it, on a copy: the page shows the agreement as
        approved."""
        revision = self.get_revision()
        if data is None and revision is not None:
            return revisions.record_forms(revisions.revision_record(revision), revision.submitted())
        return super().build(data)

    def save(self, form, formset):
        agreement = self.get_agreement()
        self.was_submitted = agreement.publication_status == Status.SUBMITTED
        self.proposed = agreement.publication_status in APPROVED_STATES
        return services.agreement_update(
            agreement=agreement,
            actor=self.request.user,
            data=form.cleaned_data,
            form_data=self.request.POST,
            **formset.changes(),
        )

    def success_message(self, agreement):
        if self.proposed:
            return PROPOSED
        return and_withdrawn(gettext("Agreement saved."), was_submitted=self.was_submitted)


class TermRowView(EditablePartnershipMixin, View):
    """One more empty data-sharing term row, for htmx's "add another"; it also bumps the
    formset's TOTAL_FORMS counter (an out-of-band swap). A row beyond the most terms an
    agreement may have is refused (400)."""

    http_method_names = ["get"]

    def get(self, request, slug):
        self.get_partnership()
        try:
            index = max(0, int(request.GET.get(f"{TERMS_PREFIX}-TOTAL_FORMS", 0)))
        except ValueError:
            index = 0
        if index >= MAX_TERMS:
            return HttpResponseBadRequest(
                too_many_terms_message(), content_type="text/plain; charset=utf-8"
            )
        return render(
            request,
            "agreements/_term_row.html",
            {"term_form": blank_term_form(index), "index": index, "total_forms": index + 1},
        )


class AuditorAssignView(LoginRequiredMixin, FormView):
    """Assign the agreement's independent auditor: a party's editors and the editors of
    oversight organizations. A party to the partnership is refused, with the reason."""

    form_class = AuditorForm
    template_name = "agreements/agreement_auditor_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.agreement = visible_agreement(request, kwargs["pk"])
        if not permissions.can_assign_auditor(request.user, self.agreement):
            raise PermissionDenied(gettext("You may not assign this agreement's auditor."))
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return {"independent_auditor": self.agreement.independent_auditor_id}

    def get_context_data(self, **kwargs):
        kwargs.setdefault("agreement", self.agreement)
        return super().get_context_data(**kwargs)

    def form_valid(self, form):
        auditor = form.cleaned_data["independent_auditor"]
        try:
            services.auditor_assign(
                agreement=self.agreement, actor=self.request.user, auditor=auditor
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        if auditor is None:
            messages.success(self.request, gettext("The auditor was removed."))
        else:
            messages.success(
                self.request,
                gettext("%(name)s is now the independent auditor.") % {"name": auditor.name},
            )
        return HttpResponseRedirect(self.agreement.get_absolute_url())


# The content types of an HTML form's body; a POST of any other body is a raw upload.
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def declared_length(request) -> int:
    """The body's length as the client declares it (0 when it declares none)."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class DocumentUploadView(EditableAgreementMixin, FormView):
    """Upload a new version of the agreement's signed text with the HTML form.

    A refused file gets the form again, the reason next to the field and the status of
    the refusal (415 not a PDF, 413 too large, 400 empty).
    """

    form_class = DocumentUploadForm
    template_name = "agreements/agreementdocument_form.html"

    # Room for the form's other fields around the file in a multipart body.
    FORM_OVERHEAD_BYTES = 1024 * 1024

    def post(self, request, *args, **kwargs):
        self.get_agreement()  # 404 or 403 before the body is read
        declared = declared_length(request)
        if declared > max_document_bytes() + self.FORM_OVERHEAD_BYTES:
            # Far over the limit: refuse before Django reads the body to disk. The reason
            # is the file field's error (not "choose a file": one was chosen, and refused).
            refusal = too_large(declared)
            form = self.form_class(data={})
            form.errors.pop("file", None)
            form.add_error("file", refusal)
            return self.render_to_response(self.get_context_data(form=form), status=refusal.status)
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        agreement = self.get_agreement()
        kwargs.update(
            agreement=agreement,
            documents=agreement.documents.select_related("uploaded_by").order_by("-version"),
        )
        return super().get_context_data(**kwargs)

    def form_invalid(self, form):
        status = form.rejection.status if form.rejection is not None else 400
        return self.render_to_response(self.get_context_data(form=form), status=status)

    def form_valid(self, form):
        try:
            document = services.document_upload(
                agreement=self.get_agreement(),
                file=form.cleaned_data["file"],
                is_public=form.cleaned_data["is_public"],
                actor=self.request.user,
            )
        except DocumentRejected as error:
            form.add_error("file", error)
            form.rejection = error
            return self.form_invalid(form)
        messages.success(
            self.request,
            gettext("Version %(version)s uploaded (SHA-256 %(sha256)s).")
            % {"version": document.version, "sha256": document.sha256},
        )
        return HttpResponseRedirect(self.get_agreement().get_absolute_url())


def body_stream(request):
    """Where the request's body is read from: the request, or, for a body sent in chunks
    without a Content-Length (``Transfer-Encoding: chunked``), the server's own stream
    when the server says it ends there (``wsgi.input_terminated``, as gunicorn does):
    Django reads nothing without a length."""
    chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    terminated = request.META.get("wsgi.input_terminated")
    if chunked and terminated and not request.META.get("CONTENT_LENGTH"):
        return request.META["wsgi.input"]
    return request


class DocumentUploadAPIView(EditableAgreementMixin, View):
    """Upload a new version of the agreement's signed text as the request body itself, for
    scripts: ``Content-Type: application/pdf``, session and CSRF header as for any write,
    ``?is_public=1`` to publish the version.

    The answer is JSON: 201 with the new version (``version``, ``sha256``, ``size_bytes``,
    ``is_public``, ``url``), or the refusal's status (415 not a PDF, 413 too large, 400
    empty) with its ``error`` code and ``message``.
    """

    http_method_names = ["post", "put"]

    def post(self, request, *args, **kwargs):
        agreement = self.get_agreement()
        declared = declared_length(request)
        body = body_stream(request)
        if declared == 0 and body is request:
            return self.refuse(
                DocumentRejected(gettext("The file is empty."), code=DocumentRejected.EMPTY)
            )
        if request.content_type != "application/pdf":
            return self.refuse(
                DocumentRejected(
                    gettext("Send the document as application/pdf, not %(type)s.")
                    % {"type": request.content_type or "no type"},
                    code=DocumentRejected.NOT_PDF,
                )
            )
        limit = max_document_bytes()
        if declared > limit:
            return self.refuse(too_large(declared))
        upload = TemporaryUploadedFile("document.pdf", "application/pdf", 0, None)
        size = 0
        # Read the body in chunks, never more than the limit allows.
        while chunk := body.read(CHUNK):
            size += len(chunk)
            if size > limit:
                upload.close()
                return self.refuse(too_large())
            upload.write(chunk)
        upload.size = size
        upload.seek(0)
        try:
            document = services.document_upload(
                agreement=agreement,
                file=upload,
                is_public=request.GET.get("is_public") in ("1", "true", "yes", "on"),
                actor=request.user,
            )
        except DocumentRejected as error:
            return self.refuse(error)
        finally:
            upload.close()
        return JsonResponse(
            {
                "version": document.version,
                "sha256": document.sha256,
                "size_bytes": document.size_bytes,
                "is_public": document.is_public,
                "url": request.build_absolute_uri(document_url(document)),
            },
            status=201,
            json_dumps_params={"indent": None},
        )

    # Clients have always been able to PUT to this URL as they POST (the form view's
    # ``FormView`` answers PUT as POST); they still may.
    put = post

    @staticmethod
    def refuse(error: DocumentRejected) -> JsonResponse:
        return JsonResponse(
            {"error": error.code, "message": error.messages[0]}, status=error.status
        )


_document_upload_form = DocumentUploadView.as_view()
_document_upload_api = DocumentUploadAPIView.as_view()


def document_new(request, pk: int):
    """One URL for both ways of uploading a version: a POST (or PUT) whose body is not a
    form is the raw upload; every other request is the form's."""
    if request.method in ("POST", "PUT") and request.content_type not in FORM_TYPES:
        return _document_upload_api(request, pk=pk)
    return _document_upload_form(request, pk=pk)


def document_url(document: AgreementDocument) -> str:
    return reverse(
        "agreements:document_download",
        kwargs={"pk": document.agreement_id, "version": document.version},
    )


class DocumentDownloadView(View):
    """A document version, for those who may see it: anyone when the version is marked
    public and the agreement is public; otherwise the parties' members, oversight members
    and administrators. Media files are never served directly."""

    http_method_names = ["get", "head"]

    def get(self, request, pk, version):
        agreement = visible_agreement(request, pk)
        document = get_object_or_404(agreement.documents.all(), version=version)
        document.agreement = agreement
        if not permissions.can_download_document(request.user, document):
            raise Http404("No such document.")
        try:
            handle = document.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404("The file of this version is missing.") from exc
        response = FileResponse(
            handle,
            content_type="application/pdf",
            filename=f"agreement-{agreement.pk}-v{document.version}.pdf",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "sandbox"
        public = permissions.document_is_public(document)
        response["Cache-Control"] = "public, max-age=3600" if public else "private, no-store"
        return response


def readable_documents(request, agreement: Agreement) -> list[AgreementDocument]:
    """The agreement's versions the user may read (``can_download_document``), newest
    first, with their texts."""
    documents = list(agreement.documents.select_related("text").order_by("-version"))
    for document in documents:
        document.agreement = agreement
    return [d for d in documents if permissions.can_download_document(request.user, d)]


def private_unless_public(response, *documents: AgreementDocument):
    if not all(permissions.document_is_public(d) for d in documents):
        response["Cache-Control"] = "private, no-store"
    return response


class DocumentTextView(View):
    """The text of a version, read from its PDF, for those who may download it (else 404)."""

    http_method_names = ["get", "head"]

    def get(self, request, pk, version):
        agreement = visible_agreement(request, pk)
        document = get_object_or_404(agreement.documents.select_related("text"), version=version)
        document.agreement = agreement
        if not permissions.can_download_document(request.user, document):
            raise Http404("No such document.")
        response = render(
            request,
            "agreements/agreementdocument_text.html",
            {"agreement": agreement, "document": document, "text": document.stored_text()},
        )
        return private_unless_public(response, document)


class DocumentCompareView(View):
    """What changed between two versions the user may read, clause by clause
    (``clauses.compare_texts``). ``?from=1&to=2``: a missing or bad number is the form
    again with its errors (400); a version the user may not read is a 404."""

    http_method_names = ["get", "head"]

    def get(self, request, pk):
        agreement = visible_agreement(request, pk)
        readable = {d.version: d for d in readable_documents(request, agreement)}
        form = VersionCompareForm(request.GET, versions=list(readable))
        context = {"agreement": agreement, "form": form, "versions": list(readable.values())}
        if not form.is_valid():
            return render(request, "agreements/agreementdocument_compare.html", context, status=400)
        older, newer = (readable.get(form.cleaned_data[name]) for name in form.FIELDS)
        if older is None or newer is None:
            raise Http404("No such document version.")
        context.update(
            older=older, newer=newer, comparison=compare_versions(older, newer), topics=TOPICS
        )
        response = render(request, "agreements/agreementdocument_compare.html", context)
        return private_unless_public(response, older, newer)


# The publication workflow ---------------------------------------------------------------


def staff_value(instance, name: str) -> str:
    """A value as the staff see it, for the list of withheld values."""
    field = instance._meta.get_field(name)
    if isinstance(field, models.FileField):
        return gettext("The document's text")
    if field.choices:
        return getattr(instance, f"get_{name}_display")()
    value = getattr(instance, name)
    if value in (None, ""):
        return "—"
    if isinstance(value, datetime.date):
        return date_format(value, "SHORT_DATE_FORMAT")
    return str(getattr(value, "name", value))


class RecordPublicationView(LoginRequiredMixin, TemplateResponseMixin, View):
    """A record's publication page: its state, who submitted it, the approver's comment,
    its embargo, the values withheld from the public (its own and, for an agreement, its
    terms', document versions' and reviews'), and the steps the user may take.

    The parties' members, oversight members and administrators see it (others 403; a
    record the user may not see at all is a 404). Each step is a POST with its ``action``;
    a refused step is a 403; a step whose form is invalid shows the page again with the
    errors next to the fields. Everything works without JavaScript.
    """

    template_name = "publication/record_publication.html"
    kind = ""
    ACTIONS = (
        "submit",
        "approve",
        "send_back",
        "retract",
        "embargo",
        "lift_embargo",
        "document_embargo",
        "withhold",
        "confirm",
        "release_request",
        "release",
        "approve_revision",
        "send_back_revision",
        "withdraw_revision",
    )

    def get_record(self):
        raise NotImplementedError

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.record = self.get_record()
        self.partnership = publishing.partnership_of(self.record)
        if not partnership_permissions.can_see_private_records(request.user, self.partnership):
            raise PermissionDenied(
                gettext("Only the parties' members and oversight see this page.")
            )
        user = request.user
        editor = partnership_permissions.can_edit_partnership(user, self.partnership)
        # Who may take each step (the state each needs is the service's to check).
        self.permitted = {
            "submit": editor,
            "decide": partnership_permissions.can_approve_publication(
                user, self.partnership, self.record.submitted_by
            ),
            "retract": editor,
            "embargo": editor,
            "lift_embargo": editor,
            "withhold": editor,
        }
        self.revision = open_revision(self.record)
        self.permitted["decide_revision"] = (
            self.revision is not None
            and self.revision.is_pending
            and partnership_permissions.can_approve_publication(
                user, self.partnership, self.revision.proposed_by
            )
        )
        return super().dispatch(request, *args, **kwargs)

    def page_url(self) -> str:
        return reverse(f"agreements:{self.kind}_publication", kwargs={"pk": self.record.pk})

    # The page ------------------------------------------------------------------------

    def get(self, request, *args, **kwargs):
        return self.render_page()

    def parts(self) -> list:
        """The agreement's terms, document versions and reviews (none for a partnership)."""
        if not isinstance(self.record, Agreement):
            return []
        return [
            part
            for relation in publishing.AGREEMENT_PARTS
            for part in getattr(self.record, relation).all()
        ]

    def withholding_targets(self, parts, withheld) -> dict:
        """The values that may be withheld and are not yet: ``{key: (label, instance,
        field)}``."""
        targets = {}
        for instance in [self.record, *parts]:
            model = type(instance)
            for name in model.WITHHOLDABLE_FIELDS:
                if (model, instance.pk, name) in withheld:
                    continue
                label = str(model._meta.get_field(name).verbose_name).capitalize()
                if instance is not self.record:
                    label = f"{publishing.part_label(instance)}: {label}"
                targets[f"{model._meta.model_name}-{instance.pk}-{name}"] = (label, instance, name)
        return targets

    def render_page(self, bound=None, status=200):
        record, user = self.record, self.request.user
        parts = self.parts()
        instances = {(type(i), i.pk): i for i in [record, *parts]}
        withholdings = list(
            publishing.withholdings_of(record).select_related(
                "content_type", "created_by", "confirmed_by", "release_requested_by"
            )
        )
        confirmable, releasable = publishing.decidable_withholdings(
            publishing.withholdings_of(record), record=record, user=user
        )
        withheld = set()
        for withholding in withholdings:
            model = withholding.content_type.model_class()
            instance = instances.get((model, withholding.object_id))
            withheld.add((model, withholding.object_id, withholding.field))
            withholding.what = withholding.field_label
            if instance is not None and instance is not record:
                withholding.what = f"{publishing.part_label(instance)}: {withholding.field_label}"
            withholding.staff_value = (
                staff_value(instance, withholding.field) if instance is not None else "—"
            )
            withholding.may_confirm = withholding.pk in confirmable
            withholding.may_release = withholding.pk in releasable
            withholding.may_request_release = (
                self.permitted["withhold"] and withholding.release_requested_at is None
            )
        bound = bound or {}
        targets = self.withholding_targets(parts, withheld)
        status_now = record.publication_status
        revision = self.revision
        replay = revisions.Replay.of(revision) if revision is not None else None
        context = {
            "revision": revision,
            "revision_changes": revisions.revision_changes(replay) if replay else [],
            "revision_errors": replay.errors() if replay else [],
            "revision_preview_url": f"{record.get_absolute_url()}?preview=revision",
            "revision_send_back_form": bound.get("send_back_revision")
            or SendBackForm(prefix="send_back_revision"),
            "record": record,
            "kind": self.kind,
            "partnership": self.partnership,
            "page_url": self.page_url(),
            "preview_url": f"{record.get_absolute_url()}?preview=public",
            "edit_url": (
                reverse("partnerships:edit", kwargs={"slug": record.slug})
                if self.kind == "partnership"
                else reverse("agreements:edit", kwargs={"pk": record.pk})
            ),
            "withholdings": withholdings,
            "approved": status_now in APPROVED_STATES,
            "can": {
                "submit": self.permitted["submit"] and status_now == Status.DRAFT,
                "decide": self.permitted["decide"] and status_now == Status.SUBMITTED,
                "retract": self.permitted["retract"] and status_now == Status.PUBLISHED,
                "embargo": self.permitted["embargo"]
                and status_now in (Status.DRAFT, Status.SUBMITTED, Status.EMBARGOED),
                "lift_embargo": self.permitted["lift_embargo"] and status_now == Status.EMBARGOED,
                "document_embargo": self.permitted["embargo"],
                "withhold": self.permitted["withhold"] and bool(targets),
                "decide_revision": self.permitted["decide_revision"],
                "withdraw_revision": self.permitted["submit"] and revision is not None,
            },
            "is_editor": self.permitted["submit"],
            "is_submitter": record.submitted_by_id == user.pk,
            "send_back_form": bound.get("send_back") or SendBackForm(prefix="send_back"),
            "retract_form": bound.get("retract") or RetractForm(prefix="retract"),
            "embargo_form": bound.get("embargo")
            or EmbargoForm(
                prefix="embargo",
                initial={
                    "until": record.embargoed_until,
                    "indefinite": record.embargo_indefinite,
                    "reason": record.embargo_reason,
                    "announced": record.embargo_announced,
                },
            ),
            "withhold_form": bound.get("withhold")
            or WithholdForm(prefix="withhold", targets=targets),
            "agreements": (
                list(record.agreements.order_by("title")) if self.kind == "partnership" else []
            ),
            "documents": [
                (
                    part,
                    bound.get(f"document_embargo-{part.pk}")
                    or DocumentEmbargoForm(
                        prefix=f"document-{part.pk}", initial={"until": part.embargoed_until}
                    ),
                )
                for part in parts
                if isinstance(part, AgreementDocument)
            ],
        }
        return self.render_to_response(context, status=status)

    # The steps -------------------------------------------------------------------------

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action", "")
        if action not in self.ACTIONS:
            return HttpResponseBadRequest(
                "Choose a step: submit, approve, send back, retract, embargo, withhold...",
                content_type="text/plain; charset=utf-8",
            )
        return getattr(self, f"do_{action}")()

    def require(self, step: str) -> None:
        if not self.permitted[step]:
            raise PermissionDenied(gettext("You may not take this step for this record."))

    def done(self, message: str):
        messages.success(self.request, message)
        return HttpResponseRedirect(safe_next(self.request, self.page_url()))

    def run(self, step, message):
        """A step without a form: a refusal is a message on the page."""
        try:
            result = step()
        except ValidationError as error:
            messages.error(self.request, " ".join(error.messages))
            return HttpResponseRedirect(safe_next(self.request, self.page_url()))
        return self.done(message(result) if callable(message) else message)

    def run_form(self, action: str, form, step, message):
        """A step with a form: invalid, the page again with the errors by the fields; a
        refusal that is not about a field (the record's state) is a message, as for a step
        without a form."""
        if form.is_valid():
            try:
                result = step(form.cleaned_data)
            except ValidationError as error:
                if not hasattr(error, "error_dict"):
                    messages.error(self.request, " ".join(error.messages))
                    return HttpResponseRedirect(safe_next(self.request, self.page_url()))
                add_service_errors(form, error)
            else:
                return self.done(message(result) if callable(message) else message)
        return self.render_page(bound={action: form})

    def do_submit(self):
        self.require("submit")
        return self.run(
            lambda: publishing.record_submit(record=self.record, actor=self.request.user),
            gettext(
                "Submitted for publication. An editor of another party (or, where no other "
                "party has an editor, of an oversight body) approves it before it is public."
            ),
        )

    def do_approve(self):
        self.require("decide")
        return self.run(
            lambda: publishing.record_approve(record=self.record, actor=self.request.user),
            self.approved_message,
        )

    def approved_message(self, record) -> str:
        if record.publication_status == Status.EMBARGOED:
            if record.embargo_indefinite:
                return gettext(
                    "Approved under an indefinite embargo: it is published when an editor "
                    "lifts the embargo."
                )
            return gettext("Approved under embargo: it is published on %(date)s.") % {
                "date": date_format(record.embargoed_until, "DATE_FORMAT")
            }
        if isinstance(record, Agreement) and not self.partnership.is_published:
            return gettext(
                "Approved. The agreement reaches the public once its partnership is published too."
            )
        return gettext("Approved and published: it is on the public record now.")

    def do_send_back(self):
        self.require("decide")
        return self.run_form(
            "send_back",
            SendBackForm(self.request.POST, prefix="send_back"),
            lambda data: publishing.record_send_back(
                record=self.record, actor=self.request.user, comment=data["comment"]
            ),
            gettext("Sent back to its editors with your comment; it is a draft again."),
        )

    def do_retract(self):
        self.require("retract")
        return self.run_form(
            "retract",
            RetractForm(self.request.POST, prefix="retract"),
            lambda data: publishing.record_retract(
                record=self.record, actor=self.request.user, reason=data["reason"]
            ),
            gettext("Retracted: its public page now says so, with your reason."),
        )

    def do_embargo(self):
        self.require("embargo")
        return self.run_form(
            "embargo",
            EmbargoForm(self.request.POST, prefix="embargo"),
            lambda data: publishing.embargo_set(
                record=self.record, actor=self.request.user, **data
            ),
            lambda record: (
                gettext("Embargo saved.") if record.has_embargo else gettext("No embargo.")
            ),
        )

    def do_lift_embargo(self):
        self.require("lift_embargo")
        return self.run(
            lambda: publishing.embargo_lift(record=self.record, actor=self.request.user),
            gettext("Embargo lifted: it is published now."),
        )

    def do_document_embargo(self):
        self.require("embargo")
        if not isinstance(self.record, Agreement):
            raise Http404("A partnership has no document versions.")
        try:
            pk = int(self.request.POST.get("document", ""))
        except ValueError:
            raise Http404("No such document version.") from None
        document = get_object_or_404(self.record.documents.all(), pk=pk)
        document.agreement = self.record
        return self.run_form(
            f"document_embargo-{document.pk}",
            DocumentEmbargoForm(self.request.POST, prefix=f"document-{document.pk}"),
            lambda data: publishing.document_embargo_set(
                document=document, actor=self.request.user, until=data["until"]
            ),
            lambda document: (
                gettext("Version %(version)s is embargoed until %(date)s.")
                % {
                    "version": document.version,
                    "date": date_format(document.embargoed_until, "DATE_FORMAT"),
                }
                if document.embargoed_until
                else gettext("Version %(version)s is no longer embargoed.")
                % {"version": document.version}
            ),
        )

    def do_withhold(self):
        self.require("withhold")
        parts = self.parts()
        withheld = {
            (w.content_type.model_class(), w.object_id, w.field)
            for w in publishing.withholdings_of(self.record).select_related("content_type")
        }
        form = WithholdForm(
            self.request.POST,
            prefix="withhold",
            targets=self.withholding_targets(parts, withheld),
        )

        def withhold(data):
            instance, field = data["field"]
            return publishing.withholding_add(
                record=instance,
                field=field,
                reason_code=data["reason_code"],
                rationale=data["rationale"],
                available_on=data["available_on"],
                actor=self.request.user,
            )

        return self.run_form(
            "withhold",
            form,
            withhold,
            lambda withholding: (
                gettext(
                    "“%(value)s” is withheld from the public now. An approver confirms it, with "
                    "the record's approval or from their approval queue."
                )
                % {"value": withholding.field_label}
            ),
        )

    def get_withholding(self) -> Withholding:
        """The withholding a step names: one of this record's or its parts' (else 404)."""
        try:
            pk = int(self.request.POST.get("withholding", ""))
        except ValueError:
            raise Http404("No such withheld value.") from None
        return get_object_or_404(
            publishing.withholdings_of(self.record).select_related("content_type"), pk=pk
        )

    def do_confirm(self):
        withholding = self.get_withholding()
        if not partnership_permissions.can_confirm_withholding(
            self.request.user, self.partnership, withholding
        ):
            raise PermissionDenied(gettext("You may not confirm this withheld value."))
        return self.run(
            lambda: publishing.withholding_confirm(
                withholding=withholding, actor=self.request.user
            ),
            gettext("Confirmed: “%(value)s” stays withheld.") % {"value": withholding.field_label},
        )

    def do_release_request(self):
        self.require("withhold")
        withholding = self.get_withholding()
        return self.run(
            lambda: publishing.withholding_release_request(
                withholding=withholding, actor=self.request.user
            ),
            lambda requested: (
                gettext(
                    "Release requested: an approver decides whether “%(value)s” is published "
                    "again; it stays withheld until then."
                )
                % {"value": withholding.field_label}
                if requested is not None
                else gettext("“%(value)s” is no longer withheld.")
                % {"value": withholding.field_label}
            ),
        )

    def do_release(self):
        withholding = self.get_withholding()
        if not partnership_permissions.can_release_withholding(
            self.request.user, self.partnership, withholding
        ):
            raise PermissionDenied(gettext("You may not release this withheld value."))
        return self.run(
            lambda: publishing.withholding_release(
                withholding=withholding, actor=self.request.user
            ),
            gettext("Released: “%(value)s” is published with the record again.")
            % {"value": withholding.field_label},
        )

    def get_revision(self):
        if self.revision is None:
            raise Http404("No changes of this record wait for a decision.")
        return self.revision

    def do_approve_revision(self):
        revision = self.get_revision()
        if not self.permitted["decide_revision"]:
            raise PermissionDenied(gettext("You may not approve these changes."))
        return self.run(
            lambda: revisions.revision_approve(revision=revision, actor=self.request.user),
            lambda record: (
                gettext("Changes approved: the public sees them now.")
                if record.publication_status == Status.PUBLISHED
                else gettext("Changes approved.")
            ),
        )

    def do_send_back_revision(self):
        revision = self.get_revision()
        if not self.permitted["decide_revision"]:
            raise PermissionDenied(gettext("You may not decide on these changes."))
        return self.run_form(
            "send_back_revision",
            SendBackForm(self.request.POST, prefix="send_back_revision"),
            lambda data: revisions.revision_send_back(
                revision=revision, actor=self.request.user, comment=data["comment"]
            ),
            gettext(
                "Changes sent back to their editors with your comment; the public still sees "
                "the record as it was approved."
            ),
        )

    def do_withdraw_revision(self):
        self.require("submit")
        revision = self.get_revision()
        return self.run(
            lambda: revisions.revision_withdraw(revision=revision, actor=self.request.user),
            gettext("Changes withdrawn: the record stays as it was approved."),
        )


class PartnershipPublicationView(RecordPublicationView):
    kind = "partnership"

    def get_record(self):
        return get_object_or_404(
            Partnership.objects.visible_to(self.request.user).select_related("submitted_by"),
            pk=self.kwargs["pk"],
        )


class AgreementPublicationView(RecordPublicationView):
    kind = "agreement"

    def get_record(self):
        return get_object_or_404(
            Agreement.objects.visible_to(self.request.user).select_related(
                "partnership", "submitted_by"
            ),
            pk=self.kwargs["pk"],
        )


class WithholdingDecisionView(LoginRequiredMixin, View):
    """Confirm a withheld value (``action=confirm``) or grant a request to publish it again
    (``action=release``), from the approval queue: for the registered kinds of records
    (incidents, joint activities) and their parts, whose own pages have no such step. A
    record the user may not see is a 404; a decision they may not take (the services'
    rule: on every side of a record of several partnerships) a 403. Back to ``next``."""

    http_method_names = ["post"]
    STEPS = {
        "confirm": (
            publishing.withholding_confirm,
            gettext_lazy("Confirmed: “%(value)s” stays withheld."),
        ),
        "release": (
            publishing.withholding_release,
            gettext_lazy("Released: “%(value)s” is published with the record again."),
        ),
    }

    def post(self, request, pk):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        withholding = get_object_or_404(Withholding.objects.select_related("content_type"), pk=pk)
        try:
            record = publishing.publishing_record(publishing.protected_instance(withholding))
        except (TypeError, ValidationError):
            raise Http404("No such withheld value.") from None
        if not type(record)._default_manager.visible_to(request.user).filter(pk=record.pk):
            raise Http404("No such withheld value.")
        step = self.STEPS.get(request.POST.get("action", ""))
        if step is None:
            return HttpResponseBadRequest(
                "Choose a step: confirm or release.", content_type="text/plain; charset=utf-8"
            )
        service, message = step
        back = safe_next(request, reverse("agreements:approval_queue"))
        try:
            service(withholding=withholding, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, str(message) % {"value": withholding.field_label})
        return HttpResponseRedirect(back)


# The states an organization's records are listed by on the approval queue page.
UNPUBLISHED_STATES = (Status.DRAFT, Status.SUBMITTED, Status.EMBARGOED, Status.RETRACTED)


class ApprovalQueueView(LoginRequiredMixin, TemplateView):
    """What waits for the user's decision: submissions to approve, withheld values to
    confirm, requests to publish one again. For the members of a party: their
    organizations' records that are not published, by state, and everything kept from the
    public (withheld values and embargoes) in one list. The same number of queries
    whatever the number of rows."""

    template_name = "publication/approval_queue.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        approver = partnership_permissions.Approver.of(user)
        partnerships, agreements = map(list, publishing.submissions_to_approve(user, approver))
        # Incidents, joint activities: the kinds of records the apps above registered.
        registered = []
        for kind, rows in publishing.registered_submissions_to_approve(user, approver):
            for record in rows:
                record.queue_kind = kind
                record.shown_with = kind.beside(record)
                registered.append(record)
        # Oldest submission first, as in each kind's own query (a missing date last).
        never = datetime.datetime.max.replace(tzinfo=datetime.UTC)
        registered.sort(key=lambda record: (record.submitted_at or never, record.pk))
        changes = publishing.locate_revisions(publishing.revisions_to_approve(user, approver))
        withholdings = publishing.locate_withholdings(
            publishing.withholdings_to_decide(user, approver)
        )
        mine = Partnership.objects.with_member(user)
        records = publishing.organization_records(mine)
        by_state = {state: [] for state in UNPUBLISHED_STATES}
        published = {"partnership": 0, "agreement": 0}
        for record in records:
            if record.publication_status == Status.PUBLISHED:
                published[record.kind] += 1
            else:
                by_state[record.publication_status].append(record)
        return super().get_context_data(
            partnerships=partnerships,
            agreements=agreements,
            registered_submissions=registered,
            submission_count=len(partnerships) + len(agreements) + len(registered),
            revisions=changes,
            withholdings=withholdings,
            records_by_state=[
                (Status(state).label, state, rows) for state, rows in by_state.items()
            ],
            published=published,
            is_member=bool(records),
            kept=publishing.kept_from_public(mine, records),
            queue_url=self.request.path,
            **kwargs,
        )
