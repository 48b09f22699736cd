"""Returned files in the admin: upload a force's file, preview what it holds, confirm, follow progress.

Files are served only through `download`, which checks the user may view returned files;
MEDIA_ROOT is never exposed directly.
"""
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from ..importer import ColumnMapping, ImportRefused
from ..importer.mapping import MAPPABLE_LAYOUTS
from ..admin_common import NamedBlankValuesFilter, RelatedListFilter, showing_the_list
from ..forms import DayField
from ..requests.models import FoiRequest, Outcome
from .models import ForceColumnMapping, OffenceCount, ReturnedFile, ReturnSource, ReturnStatus
from ..validation import ServiceError
from .entry_admin import EntryViews
from .scanned import latest_reading, may_be_scan, ocr_unavailable
from .services import (ConfirmReturn, ReceiveReturn, ReturnAlreadyImported, can_import, period_report,
                       remembered_mapping)
from ..jobs.services import JobKind, progress, try_again
from .tasks import QUEUE_DOWN, queue_confirm, queue_preview


class UploadReturnForm(forms.Form):
    file = forms.FileField(help_text="xlsx, xls, ods or csv; PDFs and documents are kept for entry by hand.")
    outcome = forms.ChoiceField(choices=[("", "Leave the outcome as it is")] + [
        (Outcome.PROVIDED, Outcome.PROVIDED.label), (Outcome.PARTIAL, Outcome.PARTIAL.label)], required=False,
        initial=Outcome.PROVIDED, help_text="Recorded when you confirm the import.")
    received_on = DayField(initial=timezone.localdate, help_text="When the answer arrived.")


class MappingForm(forms.Form):
    """Say where the table is when detection cannot: every field is optional."""

    sheet = forms.CharField(required=False)
    header_row = forms.IntegerField(required=False, min_value=1, help_text="Row number of the column headings")
    layout = forms.ChoiceField(required=False, choices=[("", "Detect")] + [(v, v.replace("_", " ")) for v in MAPPABLE_LAYOUTS])
    offence = forms.CharField(required=False, help_text="Column letter or heading of the offence")
    age = forms.CharField(required=False, help_text="Column letter or heading of the victim age")
    count = forms.CharField(required=False, help_text="Column letter or heading of the count")
    sex = forms.CharField(required=False, help_text="Column of the victim's sex, if any")
    last_row = forms.IntegerField(required=False, min_value=1, help_text="Last row of the table")
    remember = forms.BooleanField(required=False, help_text="Use this mapping for this force's next returns")

    def mapping(self) -> ColumnMapping | None:
        values = {k: v for k, v in self.cleaned_data.items() if k != "remember" and v not in (None, "")}
        if not values:
            return None
        try:
            return ColumnMapping(**values)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None

    @classmethod
    def initial_for(cls, mapping: ColumnMapping | None) -> dict:
        return mapping.to_dict() if mapping else {}


def broker_configured() -> bool:
    from foi_tracker.celery import app

    return not app.conf.task_always_eager


@admin.register(ReturnedFile)
class ReturnedFileAdmin(EntryViews, admin.ModelAdmin):
    list_display = ("original_name", "request", "status", "layout", "rows_read", "size", "uploaded_by",
                    "uploaded_at", "download_link")
    list_filter = ("status", ("layout", NamedBlankValuesFilter), ("file_format", NamedBlankValuesFilter),
                   ("request__campaign", RelatedListFilter))
    search_fields = ("original_name", "sha256", "request__force__name")
    list_select_related = ("request__force", "request__campaign", "uploaded_by")
    show_full_result_count = False
    readonly_fields = ("request", "original_name", "sha256", "size", "uploaded_by", "uploaded_at", "status",
                       "file_format", "sheet", "layout", "rows_read", "counting_unit", "summary", "error",
                       "superseded_by", "download_link")
    exclude = ("file",)
    date_hierarchy = "uploaded_at"

    def get_queryset(self, request):
        files = super().get_queryset(request)
        if showing_the_list(self, request):  # the columns' fields, not the summaries and rows read from each file
            files = files.only("original_name", "status", "layout", "rows_read", "size", "uploaded_at",
                               "request__force__name", "request__campaign__title", "uploaded_by__username")
        return files

    def has_add_permission(self, request):
        return False  # files arrive through a request's "Upload a return"

    def has_delete_permission(self, request, obj=None):
        return False  # never lose what a force sent

    @admin.display(description="File")
    def download_link(self, obj):
        return format_html('<a href="{}">download</a>', reverse("admin:collection_returnedfile_download", args=[obj.pk]))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("upload/<int:request_pk>/", view(self.upload_view), name="collection_returnedfile_upload"),
            path("<int:pk>/preview/", view(self.preview_view), name="collection_returnedfile_preview"),
            path("<int:pk>/confirm/", view(require_POST(self.confirm_view)), name="collection_returnedfile_confirm"),
            path("<int:pk>/progress/", view(self.progress_view), name="collection_returnedfile_progress"),
            path("<int:pk>/try-again/", view(require_POST(self.try_again_view)),
                 name="collection_returnedfile_try_again"),
            path("<int:pk>/download/", view(self.download_view), name="collection_returnedfile_download"),
        ] + super().get_urls()

    # --- permissions ------------------------------------------------------------------------
    can_import = staticmethod(can_import)

    def _require_import(self, request):
        if not self.can_import(request.user):
            raise PermissionDenied

    def _require_view(self, request):
        if not request.user.has_perm("collection.view_returnedfile"):
            raise PermissionDenied

    def _context(self, request, **extra):
        return {**self.admin_site.each_context(request), "opts": self.model._meta, **extra}

    # --- views ------------------------------------------------------------------------------
    def upload_view(self, request, request_pk):
        self._require_import(request)
        foi_request = get_object_or_404(FoiRequest.objects.select_related("force", "campaign"), pk=request_pk)
        remembered = remembered_mapping(foi_request)
        form = UploadReturnForm(request.POST or None, request.FILES or None)
        mapping_form = MappingForm(request.POST or None, initial=MappingForm.initial_for(remembered), prefix="map")
        if request.method == "POST" and form.is_valid() and mapping_form.is_valid():
            try:
                mapping = mapping_form.mapping()
            except forms.ValidationError as error:
                mapping_form.add_error(None, error)
            else:
                upload = form.cleaned_data["file"]
                if upload.size > settings.FOI_IMPORT_MAX_FILE_BYTES:
                    form.add_error("file", f"{upload.name}: {upload.size:,} bytes is over the limit of "
                                           f"{settings.FOI_IMPORT_MAX_FILE_BYTES:,} bytes")
                else:
                    return self._store_and_preview(request, foi_request, upload, form.cleaned_data, mapping,
                                                   mapping_form.cleaned_data["remember"])
        return TemplateResponse(request, "admin/collection/returnedfile/upload.html", self._context(
            request, title=f"Upload a return: {foi_request.force.name}", foi_request=foi_request, form=form,
            mapping_form=mapping_form, remembered=remembered))

    def _store_and_preview(self, request, foi_request, upload, data, mapping, remember):
        content = upload.read()
        try:
            returned = ReceiveReturn(foi_request, content, upload.name, request.user, ReturnSource.UPLOAD,
                                     outcome=data["outcome"], received_on=data["received_on"], mapping=mapping,
                                     remember=remember).execute().returned
        except (ImportRefused, ServiceError) as refusal:
            messages.error(request, str(refusal))
            return redirect(reverse("admin:collection_returnedfile_upload", args=[foi_request.pk]))
        if returned.status in (ReturnStatus.IMPORTED, ReturnStatus.QUEUED) and mapping is None:
            messages.info(request, f"{returned.original_name} was already {returned.get_status_display().lower()} "
                                   "for this request; nothing changed.")
            return redirect(foi_request.get_absolute_url())
        if returned.status == ReturnStatus.STORED:
            messages.warning(request, f"{returned.original_name} is kept on record (SHA-256 {returned.sha256[:16]}...). "
                                      "It is not a spreadsheet: enter its figures by hand.")
            return redirect(foi_request.get_absolute_url())
        if not queue_preview(returned, mapping):
            messages.warning(request, f"{returned.original_name}: {QUEUE_DOWN}")
        return redirect(reverse("admin:collection_returnedfile_preview", args=[returned.pk]))

    def preview_view(self, request, pk):
        from .bulk import next_to_confirm, warnings_needing_a_look

        self._require_view(request)
        returned = get_object_or_404(ReturnedFile.objects.select_related(
            "request__force", "request__campaign__repeats", "uploaded_by", "confirmed_by", "typed_from",
            "superseded_by", "read_from_scan"), pk=pk)
        summary = returned.summary or {}
        can_import = self.can_import(request.user)
        periods = period_report(returned)
        said = (summary.get("preview") or {}).get("summary", {}).get("warnings", [])
        look = warnings_needing_a_look(said)
        return TemplateResponse(request, "admin/collection/returnedfile/preview.html", self._context(
            request,
            # Routine notes ("totals checked") apart from what needs a look before confirming.
            preview_notes=[w for w in said if w not in look], preview_warnings=look, title=f"Return from {returned.request.force.name}: {returned.original_name}",
            returned=returned, summary=summary, preview=summary.get("preview"),
            outcome_label=Outcome(returned.outcome).label if returned.outcome else "",
            mapping=sorted((returned.mapping or {}).items()),
            can_import=can_import,
            periods=periods,
            # A file replaces the request's figures for the periods it covers only (load_counts).
            existing=periods.replaces if periods else OffenceCount.objects.filter(request=returned.request).count(),
            upload_url=reverse("admin:collection_returnedfile_upload", args=[returned.request_id]),
            next_file=next_to_confirm(returned.request.campaign_id, returned)
            if can_import and returned.status == ReturnStatus.PENDING else None,
            scan_offer=self._scan_offer(returned, can_import),
            job=progress(*self._job_of(returned))))

    @staticmethod
    def _job_of(returned: ReturnedFile) -> tuple[str, int]:
        return (JobKind.CONFIRM if returned.status == ReturnStatus.QUEUED else JobKind.PREVIEW), returned.pk

    def try_again_view(self, request, pk):
        """"Try again" on a file whose reading or import has had no worker past its lease."""
        self._require_import(request)
        returned = get_object_or_404(ReturnedFile, pk=pk)
        if try_again(*self._job_of(returned)):
            messages.success(request, f"{returned.original_name}: queued again.")
        else:
            messages.warning(request, f"{returned.original_name}: not queued again: a worker is on it, it is done, "
                                      f"or the queue is not answering (it then runs once the queue is back).")
        return redirect(reverse("admin:collection_returnedfile_preview", args=[returned.pk]))

    @staticmethod
    def _scan_offer(returned: ReturnedFile, can_import: bool) -> dict | None:
        """For a scan waiting for its figures: its OCR reading, or why there can be none."""
        if not (can_import and may_be_scan(returned)):
            return None
        reading = latest_reading(returned)
        return {"reading": reading, "unavailable": "" if reading else ocr_unavailable()}

    def confirm_view(self, request, pk):
        self._require_import(request)
        returned = get_object_or_404(ReturnedFile.objects.select_related("request__force", "typed_from"), pk=pk)
        preview_url = reverse("admin:collection_returnedfile_preview", args=[returned.pk])
        board = reverse("admin:collection_campaign_workspace", args=[returned.request.campaign_id])
        try:
            ConfirmReturn(returned, request.user, expected=request.POST.get("fingerprint", "")).claim()
        except ReturnAlreadyImported as error:
            messages.info(request, f"{error}.")
            return redirect(board)
        except ServiceError as error:
            messages.warning(request, f"{error}.")
            return redirect(preview_url)
        if not queue_confirm(returned, request.user):
            messages.warning(request, f"{returned.original_name} is confirmed. {QUEUE_DOWN}")
            return redirect(preview_url)
        # Back on the campaign's board (its workspace), not an admin form; "Confirm and next": on to
        # the campaign's next file awaiting confirmation, and the board after the last.
        after = board
        if "_next" in request.POST:
            from .bulk import next_to_confirm

            following = next_to_confirm(returned.request.campaign_id, returned)
            if following:
                after = reverse("admin:collection_returnedfile_preview", args=[following.pk])
        typed = returned.source == ReturnSource.TYPED
        if broker_configured():
            # A big file's import is followed on its preview; figures typed by hand are a few cells:
            # their person goes back to the board, where the force's row shows them once in.
            if "_next" in request.POST or typed:
                messages.info(request, f"The figures {self._whence(returned)} are being imported." if typed
                              else f"{returned.original_name} is being imported.")
                return redirect(after)
            return redirect(preview_url)
        returned.refresh_from_db()
        if returned.status == ReturnStatus.IMPORTED:
            cells = returned.summary.get("cells", 0)
            messages.success(request, f"Imported {cells:,} cell{'' if cells == 1 else 's'} {self._whence(returned)} "
                                      f"(total {returned.summary.get('total', 0)}).")
        else:
            messages.error(request, returned.error or "The import was refused.")
        return redirect(after)

    @staticmethod
    def _whence(returned: ReturnedFile) -> str:
        """Where figures came from as a person knows it: "from kent.xlsx"; figures typed by hand by
        the force and the letter they were typed from, not by the CSV kept of them."""
        if returned.source != ReturnSource.TYPED:
            return f"from {returned.original_name}"
        origin = f" from {returned.typed_from.original_name}" if returned.typed_from_id else ""
        return f"typed for {returned.request.force.name}{origin}"

    def progress_view(self, request, pk):
        self._require_view(request)
        returned = get_object_or_404(ReturnedFile, pk=pk)
        summary = returned.summary or {}
        return JsonResponse({"status": returned.status, "phase": summary.get("phase", ""),
                             "percent": summary.get("percent", 0), "error": returned.error})

    def download_view(self, request, pk):
        self._require_view(request)
        returned = get_object_or_404(ReturnedFile, pk=pk)
        try:
            handle = returned.file.open("rb")
        except FileNotFoundError:
            raise Http404("The stored file is missing") from None
        return FileResponse(handle, as_attachment=True, filename=returned.original_name)


@admin.register(ForceColumnMapping)
class ForceColumnMappingAdmin(admin.ModelAdmin):
    list_display = ("force", "updated_by", "updated_at")
    list_select_related = ("force", "updated_by")  # one query for the page, not one per row
    autocomplete_fields = ("force",)
    readonly_fields = ("updated_by", "updated_at")

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
