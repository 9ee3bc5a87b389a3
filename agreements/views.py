"""The agreement page and the staff pages that add and edit agreements, their
data-sharing terms and their signed document versions.

Agreements are looked up in ``Agreement.objects.visible_to(user)`` (404 when not
visible); ``permissions.py`` decides who may change them (403).
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.http import (
    FileResponse,
    Http404,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views import View
from django.views.generic import FormView
from django.views.generic.base import TemplateResponseMixin

from core.views import add_service_errors
from partnerships.views import EditablePartnershipMixin

from . import permissions, services
from .documents import CHUNK, DocumentRejected, max_document_bytes, too_large
from .forms import (
    MAX_TERMS,
    TERMS_PREFIX,
    AgreementForm,
    AuditorForm,
    DocumentUploadForm,
    TermFormSet,
    blank_term_form,
    too_many_terms_message,
)
from .models import Agreement, AgreementDocument, DataSharingTerm


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
                raise PermissionDenied("You may not change this agreement.")
            self._agreement = agreement
        return self._agreement


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

    @staticmethod
    def term_changes(formset):
        add, change, remove = [], [], []
        for term_form in formset.forms:
            if formset.can_delete and formset._should_delete_form(term_form):
                if term_form.instance.pk:
                    remove.append(term_form.instance)
                continue
            claimed = term_form.cleaned_data.get("id")
            if claimed is not None and claimed.pk != term_form.instance.pk:
                # An id that is not one of this agreement's terms: a tampered form.
                raise PermissionDenied("That data-sharing term belongs to another agreement.")
            if not term_form.has_changed():
                continue
            data = {name: term_form.cleaned_data[name] for name in DataSharingTerm.FIELDS}
            if term_form.instance.pk:
                change.append((term_form.instance, data))
            else:
                add.append(data)
        return add, change, remove


class AgreementCreateView(EditablePartnershipMixin, AgreementFormMixin, View):
    def get_instance(self):
        if not hasattr(self, "_instance"):
            self._instance = Agreement(partnership=self.get_partnership())
        return self._instance

    def save(self, form, formset):
        add, _, _ = self.term_changes(formset)
        return services.agreement_create(
            partnership=self.get_partnership(),
            actor=self.request.user,
            data=form.cleaned_data,
            terms=add,
        )

    def success_message(self, agreement):
        return f"Agreement “{agreement}” added."


class AgreementUpdateView(EditableAgreementMixin, AgreementFormMixin, View):
    def get_partnership(self):
        return self.get_agreement().partnership

    def get_instance(self):
        return self.get_agreement()

    def save(self, form, formset):
        add, change, remove = self.term_changes(formset)
        return services.agreement_update(
            agreement=self.get_agreement(),
            actor=self.request.user,
            data=form.cleaned_data,
            terms_to_add=add,
            terms_to_change=change,
            terms_to_remove=remove,
        )

    def success_message(self, agreement):
        return "Agreement saved."


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
            raise PermissionDenied("You may not assign this agreement's auditor.")
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
            messages.success(self.request, "The auditor was removed.")
        else:
            messages.success(self.request, f"{auditor.name} is now the independent auditor.")
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
            # Far over the limit: refuse before Django reads the body to disk.
            refusal = too_large(declared)
            return self.render_to_response(
                self.get_context_data(form=self.form_class(), refusal=refusal.messages[0]),
                status=refusal.status,
            )
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
            f"Version {document.version} uploaded (SHA-256 {document.sha256}).",
        )
        return HttpResponseRedirect(self.get_agreement().get_absolute_url())


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
        if declared == 0:
            return self.refuse(DocumentRejected("The file is empty.", code=DocumentRejected.EMPTY))
        if request.content_type != "application/pdf":
            return self.refuse(
                DocumentRejected(
                    "Send the document as application/pdf, "
                    f"not {request.content_type or 'no type'}.",
                    code=DocumentRejected.NOT_PDF,
                )
            )
        limit = max_document_bytes()
        if declared > limit:
            return self.refuse(too_large(declared))
        upload = TemporaryUploadedFile("document.pdf", "application/pdf", 0, None)
        size = 0
        # Read the body in chunks, never more than the limit allows.
        while chunk := request.read(CHUNK):
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
        public = document.is_published and agreement.is_public()
        response["Cache-Control"] = "public, max-age=3600" if public else "private, no-store"
        return response
