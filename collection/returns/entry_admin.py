"""The admin's pages for getting every answer in: a campaign's returns queue (drop many files or a
zip, "Confirm all clean", files to assign), typed entry on a request, and saying where the table
is by clicking the stored sheet. Mixed into ReturnedFileAdmin (admin.py); the work is done by
bulk.py, typed.py and remap.py, which the command line and the tasks call too.

Viewers may look at the queue; every page or button that writes asks `can_import` (403 otherwise).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ..forms import DayField
from ..importer import ColumnMapping, ImportRefused
from ..importer.mapping import MAPPABLE_LAYOUTS
from ..forces.models import Force
from ..requests.models import Campaign, FoiRequest, Outcome
from .models import ReturnedFile, ReturnSource, ReturnStatus, UnmatchedReturn
from ..validation import ServiceError
from . import bulk
from .bundles import Incoming
from .remap import LAYOUT_LABELS, ROLES, mapping_from_roles
from .services import limits, read_stored, remembered_mapping
from .tasks import QUEUE_DOWN, apply_mapping_to_same_header, queue_confirm, queue_preview, queue_scan_reading
from .sheets import sheet_grid
from .scanned import from_the_image, grid_of, latest_reading, may_be_scan, ocr_unavailable
from .models import ScanReading, ScanReadingStatus
from .typed import (LABEL_HEADING, MAX_CELL, MAX_COLUMNS, MAX_ROWS, ORIENTATIONS, OFFENCES_DOWN, TypedProblem, TypedRow, TypedTable,
                    TypeReturn, table_from_catalogue_hint)

if TYPE_CHECKING:
    from ..scans.prefill import Prefill

OUTCOME_CHOICES = [("", "Leave the outcome as it is"), (Outcome.PROVIDED, Outcome.PROVIDED.label),
                   (Outcome.PARTIAL, Outcome.PARTIAL.label)]


class AnswerChoices(forms.Form):
    """The outcome to record when the figures are confirmed, and the day the answer arrived."""

    outcome = forms.ChoiceField(choices=OUTCOME_CHOICES, required=False, help_text="Recorded when you confirm.")
    received_on = DayField(required=False, help_text="When the answer arrived.")

    def clean(self):
        data = super().clean()
        if data.get("outcome") and not data.get("received_on"):
            self.add_error("received_on", "Say when the answer arrived (or leave the outcome as it is).")
        return data


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        one = super().clean
        if isinstance(data, (list, tuple)):
            if not data and self.required:
                raise forms.ValidationError("Choose or drop the files to upload.")
            return [one(d, initial) for d in data]
        return [one(data, initial)]


class BulkUploadForm(AnswerChoices):
    files = MultipleFileField(label="Files", help_text="Spreadsheets, letters or zips; up to 100 files at once "
                                                       "(put more in a zip).")
    field_order = ["files", "outcome", "received_on"]


class AssignForm(forms.Form):
    force = forms.ModelChoiceField(queryset=Force.objects.none(), empty_label="Which force sent it?")

    def __init__(self, *args, campaign: Campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["force"].queryset = Force.objects.filter(requests__campaign=campaign).order_by("name")


def _uploaded(files) -> object:
    """Each upload read only when its turn comes: one file in memory at a time."""
    for f in files:
        if f.size > settings.FOI_IMPORT_MAX_FILE_BYTES:
            yield Incoming(f.name, b"", problem=f"{f.size:,} bytes, over the limit of "
                                                f"{settings.FOI_IMPORT_MAX_FILE_BYTES:,}")
        else:
            yield Incoming(f.name, f.read())


def table_from_post(data) -> tuple[TypedTable, TypedProblem | None]:
    """The grid as posted (headings h-C, row labels l-R, sexes s-R, figures v-R-C), and the first
    cell too long to be a figure or a label, kept (cut short) so the person can correct it."""
    def number(name, most):
        try:
            return max(0, min(int(data.get(name, 0)), most + 1))  # one over the limit is enough to refuse
        except (TypeError, ValueError):
            return 0

    n_rows, n_cols = number("rows", MAX_ROWS), number("cols", MAX_COLUMNS)
    problems: list[TypedProblem] = []

    def cell(name, row=None, column=None):
        text = " ".join(str(data.get(name, "")).split())
        if len(text) > MAX_CELL:
            problems.append(TypedProblem(f"'{text[:20]}...' is {len(text)} characters long: one figure or label "
                                         "per cell", row, column))
            text = text[:MAX_CELL]
        return text

    headings = [cell(f"h-{c}", 0, c) for c in range(n_cols)]
    rows = [TypedRow(cell(f"l-{r}", r + 1, "label"), cell(f"s-{r}", r + 1, "sex"),
                     [cell(f"v-{r}-{c}", r + 1, c) for c in range(n_cols)]) for r in range(n_rows)]
    orientation = data.get("orientation", OFFENCES_DOWN)
    table = TypedTable(orientation if orientation in ORIENTATIONS else OFFENCES_DOWN, any(r.sex for r in rows),
                       headings, rows)
    return table, (problems[0] if problems else None)


def grid_rows(table: TypedTable, problem: TypedProblem | None = None, spare: int = 1, scan: Prefill | None = None,
              confirmed: dict[str, str] | None = None) -> tuple[list[dict], list[dict]]:
    """The grid's headings and rows padded to a rectangle with room to type more, each cell with its
    field name, what it holds and whether the problem is there; a cell filled from a scan also with
    what was read, how sure, its image, its place in the order of confirming, and whether the person
    has confirmed what it holds."""
    width = max(6, table.width + spare)
    at = (getattr(problem, "row", None), getattr(problem, "column", None))
    order = {name: n for n, name in enumerate(from_the_image(scan), start=1)} if scan else {}
    confirmed = confirmed or {}

    def cell(name, value, row, column):
        out = {"name": name, "value": value, "error": at == (row, column), "row": row, "column": column}
        if name in order:
            read = scan.cells[name]
            out.update(ocr=read, order=order[name], percent=round(read.confidence * 100),
                       confirmed=" ".join(confirmed.get(name, "").split()) == " ".join(value.split())
                       and name in confirmed)
        return out

    headings = [cell(f"h-{c}", table.headings[c] if c < len(table.headings) else "", 0, c) for c in range(width)]
    typed = list(table.rows) + [TypedRow() for _ in range(max(6, len(table.rows) + spare) - len(table.rows))]
    rows = []
    for i, r in enumerate(typed):
        n = i + 1
        rows.append({"n": n, "label": cell(f"l-{i}", r.label, n, "label"), "sex": cell(f"s-{i}", r.sex, n, "sex"),
                     "cells": [cell(f"v-{i}-{c}", r.values[c] if c < len(r.values) else "", n, c)
                               for c in range(width)]})
    return headings, rows


def table_from_scan(grid: Prefill) -> TypedTable:
    return TypedTable(grid.orientation, grid.by_sex, list(grid.headings),
                      [TypedRow(label, sex, list(values)) for label, sex, values in grid.rows])


def confirmations(data) -> dict[str, str]:
    """The cells the person confirmed (k-<field>), each with the value it held when confirmed."""
    return {key[2:]: " ".join(str(data.get(key, "")).split()) for key in data if key.startswith("k-")}


class MapForm(forms.Form):
    header_row = forms.IntegerField(min_value=1, required=False)
    layout = forms.ChoiceField(required=False, choices=[("", "Work it out from the columns marked")] + [
        (v, LAYOUT_LABELS[v]) for v in MAPPABLE_LAYOUTS])
    last_row = forms.IntegerField(min_value=2, required=False, help_text="The table's last row, when notes or a "
                                                                         "second table follow it.")
    sex_row = forms.IntegerField(min_value=1, required=False, help_text="A row naming Female / Male over the "
                                                                        "columns of figures, if there is one.")
    remember = forms.BooleanField(required=False, label="Use this mapping for this force's next returns")
    same_header = forms.BooleanField(required=False, label="Use this mapping for other files with the same header",
                                     help_text="The campaign's files waiting or refused whose table has these "
                                               "headings are read again with it.")

    def __init__(self, *args, letters: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.letters = letters
        for letter in letters:
            self.fields[f"role_{letter}"] = forms.ChoiceField(
                required=False, choices=[("", "-")] + list(ROLES.items()), label=f"Column {letter} is")

    def roles(self) -> dict[str, str]:
        return {letter: self.cleaned_data.get(f"role_{letter}") or "" for letter in self.letters}

    @staticmethod
    def initial_for(mapping: ColumnMapping | None) -> dict:
        if mapping is None:
            return {}
        initial = {k: getattr(mapping, k) for k in ("header_row", "layout", "last_row", "sex_row")}
        for role in ROLES:
            spec = getattr(mapping, role)
            if spec and ColumnMapping.is_letter(spec):
                initial[f"role_{spec.strip().upper()}"] = role
        return {k: v for k, v in initial.items() if v is not None}


class EntryViews:
    """URLs and views mixed into ReturnedFileAdmin."""

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("campaign/<int:campaign_id>/", view(self.queue_view), name="collection_returnedfile_queue"),
            path("campaign/<int:campaign_id>/upload/", view(require_POST(self.bulk_upload_view)),
                 name="collection_returnedfile_bulk_upload"),
            path("campaign/<int:campaign_id>/confirm-clean/", view(require_POST(self.confirm_clean_view)),
                 name="collection_returnedfile_confirm_clean"),
            path("to-assign/<int:unmatched_pk>/assign/", view(require_POST(self.assign_view)),
                 name="collection_returnedfile_assign"),
            path("to-assign/<int:unmatched_pk>/download/", view(self.unmatched_download_view),
                 name="collection_returnedfile_unmatched_download"),
            path("type/<int:request_pk>/", view(self.type_view), name="collection_returnedfile_type"),
            path("<int:pk>/read-scan/", view(require_POST(self.read_scan_view)), name="collection_returnedfile_read_scan"),
            path("reading/<int:reading_pk>/progress/", view(self.reading_progress_view),
                 name="collection_returnedfile_reading_progress"),
            path("<int:pk>/map/", view(self.map_view), name="collection_returnedfile_map"),
        ] + super().get_urls()

    # --- the campaign's queue -------------------------------------------------------------
    def queue_view(self, request, campaign_id, upload_form=None):
        self._require_view(request)
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        queue = bulk.campaign_queue(campaign)
        can_import = self.can_import(request.user)
        forces = list(Force.objects.filter(requests__campaign=campaign).order_by("name").values_list("pk", "name"))
        return TemplateResponse(request, "admin/collection/returnedfile/queue.html", self._context(
            request, title=f"Returns for {campaign.title}", campaign=campaign, queue=queue, can_import=can_import,
            form=upload_form or BulkUploadForm(), forces=forces, max_files=settings.DATA_UPLOAD_MAX_NUMBER_FILES or "",
            refreshing=any(e.problems == ["not read yet"] for e in queue.waiting)))

    def bulk_upload_view(self, request, campaign_id):
        self._require_import(request)
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        form = BulkUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.queue_view(request, campaign_id, upload_form=form)
        lines = bulk.ReceiveMany(campaign, _uploaded(form.cleaned_data["files"]), request.user, bulk.RECEIVE,
                                 outcome=form.cleaned_data["outcome"],
                                 received_on=form.cleaned_data["received_on"]).execute()
        waiting = [line for line in lines if line.status == bulk.RECEIVED and not queue_preview(line.returned)]
        if waiting:
            messages.warning(request, f"{len(waiting)} file{'s' if len(waiting) != 1 else ''} to read: {QUEUE_DOWN}")
        self._report(request, lines)
        return redirect(reverse("admin:collection_returnedfile_queue", args=[campaign.pk]))

    def _report(self, request, lines):
        matched = [ln for ln in lines if ln.force is not None and ln.status != bulk.REFUSED]
        unmatched = [ln for ln in lines if ln.status == bulk.UNMATCHED]
        refused = [ln for ln in lines if ln.status == bulk.REFUSED]
        text = f"Received {len(lines)} file{'s' if len(lines) != 1 else ''}: {len(matched)} matched to their force"
        if unmatched:
            text += f", {len(unmatched)} to assign (below)"
        if refused:
            text += f", {len(refused)} refused"
        (messages.success if matched else messages.warning)(request, text + ".")
        for line in refused:
            messages.error(request, line.text())

    def confirm_clean_view(self, request, campaign_id):
        self._require_import(request)
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        seen = {}
        for value in request.POST.getlist("file"):
            if value.isdigit():
                seen[int(value)] = request.POST.get(f"fingerprint-{value}", "")
        claimed, skipped = bulk.ConfirmClean(campaign, seen, request.user).execute()
        waiting = [returned for returned in claimed if not queue_confirm(returned, request.user)]
        if waiting:
            messages.warning(request, f"{len(waiting)} confirmed file{'s' if len(waiting) != 1 else ''} wait: {QUEUE_DOWN}")
        if claimed:
            messages.success(request, f"Confirmed {len(claimed)} clean file{'s' if len(claimed) != 1 else ''}: "
                                      + ", ".join(r.original_name for r in claimed[:10])
                                      + ("..." if len(claimed) > 10 else "") + ".")
        for reason in skipped:
            messages.warning(request, f"Not confirmed: {reason}.")
        if not claimed and not skipped:
            messages.info(request, "Nothing clean to confirm.")
        return redirect(reverse("admin:collection_returnedfile_queue", args=[campaign.pk]))

    def assign_view(self, request, unmatched_pk):
        self._require_import(request)
        kept = get_object_or_404(UnmatchedReturn.objects.select_related("campaign"), pk=unmatched_pk)
        queue_url = reverse("admin:collection_returnedfile_queue", args=[kept.campaign_id])
        form = AssignForm(request.POST, campaign=kept.campaign)
        if not form.is_valid():
            messages.error(request, f"{kept.original_name}: say which force sent it.")
            return redirect(queue_url)
        try:
            returned = bulk.AssignReturn(kept, form.cleaned_data["force"], request.user).execute()
        except (ServiceError, ImportRefused) as error:
            messages.error(request, f"{error}.")
            return redirect(queue_url)
        if returned.status in (ReturnStatus.PENDING, ReturnStatus.REFUSED) and not queue_preview(returned):
            messages.warning(request, f"{returned.original_name}: {QUEUE_DOWN}")
        messages.success(request, f"{kept.original_name} is now {form.cleaned_data['force'].name}'s return.")
        return redirect(queue_url)

    def unmatched_download_view(self, request, unmatched_pk):
        self._require_view(request)
        kept = get_object_or_404(UnmatchedReturn, pk=unmatched_pk)
        try:
            handle = kept.file.open("rb")
        except FileNotFoundError:
            raise Http404("The stored file is missing") from None
        return FileResponse(handle, as_attachment=True, filename=kept.original_name)

    # --- typed entry ------------------------------------------------------------------------
    def type_view(self, request, request_pk):
        self._require_import(request)
        foi_request = get_object_or_404(FoiRequest.objects.select_related("force", "campaign"), pk=request_pk)
        source = self._own_file(foi_request, request.POST.get("from") or request.GET.get("from"))
        editing = self._own_file(foi_request, request.GET.get("edit"))
        if editing is not None and editing.source != ReturnSource.TYPED:
            editing = None
        if editing is not None and source is None:
            source = editing.typed_from
        origin = source or editing
        initial = {"outcome": origin.outcome if origin else Outcome.PROVIDED,
                   "received_on": (origin.received_on if origin else None) or timezone.localdate()}
        form = AnswerChoices(request.POST or None, initial=initial)
        reading = self._scan_reading(source, editing, request.POST.get("reading"))
        scan = grid_of(reading) if reading else None
        problem, confirmed = None, {}
        if request.method == "POST":
            table, problem = table_from_post(request.POST)
            confirmed = confirmations(request.POST) if scan else {}
            if request.POST.get("reading") and scan is None:
                problem = problem or TypedProblem("these figures were filled from the reading of a scan that is not "
                                                  "this letter's (or not read): nothing was kept")
            if "_add_row" in request.POST:
                table.rows.append(TypedRow(values=[""] * table.width))
            elif "_add_column" in request.POST:
                table.headings += [""] * (table.width + 1 - len(table.headings))
            elif problem is None and form.is_valid():
                try:
                    returned = TypeReturn(foi_request, table, request.user, outcome=form.cleaned_data["outcome"],
                                          received_on=form.cleaned_data["received_on"], typed_from=source,
                                          read_from_scan=reading if scan else None, confirmed=confirmed).execute()
                except TypedProblem as error:
                    problem = error
                except (ServiceError, ImportRefused) as error:
                    problem = TypedProblem(str(error))
                else:
                    return redirect(reverse("admin:collection_returnedfile_preview", args=[returned.pk]))
        elif editing is not None:
            try:
                table = TypedTable.from_csv(read_stored(editing))
            except (ImportRefused, UnicodeDecodeError, ValueError):
                table = table_from_catalogue_hint(foi_request)
            if scan is not None:  # confirmed when these figures were kept: only a change asks again
                confirmed = {k: v for k, v in table.fields().items() if k in scan.cells}
        elif scan is not None:
            table = table_from_scan(scan)
        else:
            table = table_from_catalogue_hint(foi_request)
        headings, rows = grid_rows(table, problem, scan=scan, confirmed=confirmed)
        return TemplateResponse(request, "admin/collection/returnedfile/type.html", self._context(
            request, title=f"Type the figures: {foi_request.force.name}", foi_request=foi_request, form=form,
            source=source, table=table, headings=headings, rows=rows, orientations=list(ORIENTATIONS.items()),
            problem=problem, label_heading=LABEL_HEADING[table.orientation],
            codes=list(foi_request.campaign.offence_codes.values_list("code", flat=True)),
            **self._scan_context(source, reading, scan)))

    @staticmethod
    def _scan_reading(source: ReturnedFile | None, editing: ReturnedFile | None, posted: str | None
                      ) -> ScanReading | None:
        """The OCR reading the grid is filled from: the one the form names, the one the typed figures
        being corrected came from, else the scan's latest."""
        if source is None:
            return None
        if posted and str(posted).isdigit():
            return ScanReading.objects.filter(pk=int(posted), scan=source).first()
        if editing is not None:
            return editing.read_from_scan
        return latest_reading(source) if may_be_scan(source) else None

    @staticmethod
    def _scan_context(source: ReturnedFile | None, reading: ScanReading | None, scan: Prefill | None) -> dict:
        if source is None or not (may_be_scan(source) or reading):
            return {}
        unavailable = "" if reading else ocr_unavailable()
        to_confirm = len(from_the_image(scan)) if scan else 0
        return {"reading": reading, "scan": scan, "to_confirm": to_confirm, "ocr_unavailable": unavailable,
                "offer_ocr": reading is None and not unavailable,
                "reading_waits": reading is not None and reading.status in (ScanReadingStatus.QUEUED,
                                                                            ScanReadingStatus.READING)}

    def read_scan_view(self, request, pk):
        """Have a scan read with OCR, then on to the grid it fills (which waits for the reading)."""
        self._require_import(request)
        scan = get_object_or_404(ReturnedFile.objects.select_related("request"), pk=pk)
        try:
            queue_scan_reading(scan, request.user)
        except ServiceError as error:
            messages.error(request, f"{error}.")
            return redirect(reverse("admin:collection_returnedfile_preview", args=[scan.pk]))
        return redirect(reverse("admin:collection_returnedfile_type", args=[scan.request_id]) + f"?from={scan.pk}")

    def reading_progress_view(self, request, reading_pk):
        self._require_view(request)
        reading = get_object_or_404(ScanReading, pk=reading_pk)
        waiting = reading.status in (ScanReadingStatus.QUEUED, ScanReadingStatus.READING)
        return JsonResponse({"status": "queued" if waiting else reading.status,
                             "phase": "reading the scan" if waiting else reading.status, "percent": 50 if waiting else 100,
                             "error": reading.error})

    @staticmethod
    def _own_file(foi_request, pk) -> ReturnedFile | None:
        if not pk or not str(pk).isdigit():
            return None
        return ReturnedFile.objects.filter(pk=int(pk), request=foi_request).first()

    # --- saying where the table is ------------------------------------------------------------
    def map_view(self, request, pk):
        self._require_import(request)
        returned = get_object_or_404(ReturnedFile.objects.select_related("request__force", "request__campaign"),
                                     pk=pk)
        preview_url = reverse("admin:collection_returnedfile_preview", args=[returned.pk])
        if returned.status in (ReturnStatus.IMPORTED, ReturnStatus.QUEUED, ReturnStatus.SUPERSEDED):
            messages.info(request, f"{returned.original_name} is {returned.get_status_display().lower()}: "
                                   "its mapping cannot change now.")
            return redirect(preview_url)
        current = ColumnMapping.from_json(returned.mapping) if returned.mapping else remembered_mapping(
            returned.request)
        wanted_sheet = request.POST.get("sheet") or request.GET.get("sheet") or (current.sheet if current else None)
        grid, unreadable = None, ""
        try:
            grid = sheet_grid(read_stored(returned), returned.original_name, limits(), wanted_sheet)
        except ImportRefused as refusal:
            unreadable = str(refusal)
        form = MapForm(request.POST or None, letters=grid.letters if grid else [],
                       initial={**MapForm.initial_for(current), "remember": returned.remember_mapping})
        if request.method == "POST" and grid is not None and form.is_valid():
            data = form.cleaned_data
            try:
                mapping = mapping_from_roles(form.roles(), data["header_row"], sheet=grid.sheet,
                                             layout=data["layout"], last_row=data["last_row"], sex_row=data["sex_row"])
            except ServiceError as error:
                form.add_error(None, str(error))
            else:
                return self._apply_mapping(request, returned, mapping, data["remember"], data["same_header"])
        header_row = form["header_row"].value() if grid else None
        rows = []
        if grid:
            for number, cells in enumerate(grid.rows, start=1):
                rows.append({"number": number, "cells": cells, "checked": str(number) == str(header_row)})
        return TemplateResponse(request, "admin/collection/returnedfile/map.html", self._context(
            request, title=f"Where the table is: {returned.original_name}", returned=returned, grid=grid,
            unreadable=unreadable, form=form, rows=rows,
            columns=[(letter, form[f"role_{letter}"]) for letter in (grid.letters if grid else [])],
            preview_url=preview_url))

    def _apply_mapping(self, request, returned, mapping, remember, same_header):
        ReturnedFile.objects.filter(pk=returned.pk).update(remember_mapping=remember)
        if not queue_preview(returned, mapping):
            messages.warning(request, f"{returned.original_name}: {QUEUE_DOWN}")
        if same_header:
            result = apply_mapping_to_same_header.delay(returned.pk, mapping.to_dict())
            if result.ready():  # embedded: done already
                names = result.get()
                messages.info(request, f"Used for {len(names)} other file{'s' if len(names) != 1 else ''} with the "
                                       "same header" + (f": {', '.join(names)}." if names else "."))
            else:
                messages.info(request, "The campaign's other files with the same header are being read with this "
                                       "mapping: see the campaign's returns.")
        return redirect(reverse("admin:collection_returnedfile_preview", args=[returned.pk]))
