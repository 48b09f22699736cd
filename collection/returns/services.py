"""What happens to a file a force sends back: keep it, read it, and load its counts.

One code path for the admin's upload, `import_return`, `record_response --file` and the Celery
task. The bytes are kept with their SHA-256 whatever becomes of the import; the counts are
written in one transaction that replaces the request's previous counts, or not at all.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from ..importer import (ColumnMapping, ImportLimits, ImportRefused, ImportResult, OffenceCatalogue, OffenceEntry,
                       import_return, sha256_of)
from ..models import (EventKind, FoiRequest, ForceColumnMapping, OffenceCode, OffenceCount, Outcome, RequestEvent,
                     ReturnedFile, ReturnStatus)
from .resources import OffenceCountResource, tidy_dataset

log = logging.getLogger(__name__)

HAND_ENTRY_FORMATS = (".doc", ".msg", ".eml", ".rtf", ".odt", ".jpg", ".jpeg", ".png", ".tif", ".tiff")
"""What the importer cannot read: kept on record, its figures entered by hand. PDF, Word (.docx),
HTML and text answers go to the importer, which refuses a scan or a letter without a table, saying so."""


def is_hand_entry(data: bytes, filename: str) -> bool:
    """A file the importer does not read (a legacy Word letter, a saved e-mail, an image): kept on
    record, its figures entered by hand."""
    return filename.lower().endswith(HAND_ENTRY_FORMATS) and data.lstrip()[:5] != b"%PDF-"


def catalogue() -> OffenceCatalogue:
    return OffenceCatalogue(
        OffenceEntry(c.code, c.description, c.category, c.victim_min_age, c.victim_max_age)
        for c in OffenceCode.objects.filter(active=True)
    )


def limits() -> ImportLimits:
    return ImportLimits(
        max_file_bytes=settings.FOI_IMPORT_MAX_FILE_BYTES,
        max_uncompressed_bytes=settings.FOI_IMPORT_MAX_UNCOMPRESSED_BYTES,
        max_compression_ratio=settings.FOI_IMPORT_MAX_COMPRESSION_RATIO,
        max_rows=settings.FOI_IMPORT_MAX_ROWS,
        max_seconds=settings.FOI_IMPORT_MAX_SECONDS,
    )


def remembered_mapping(request: FoiRequest) -> ColumnMapping | None:
    saved = ForceColumnMapping.objects.filter(force_id=request.force_id).first()
    return ColumnMapping.from_json(saved.mapping) if saved else None


def remember_mapping(request: FoiRequest, mapping: ColumnMapping, user=None) -> None:
    ForceColumnMapping.objects.update_or_create(force_id=request.force_id,
                                                defaults={"mapping": mapping.to_dict(), "updated_by": user})


LAYOUT_LABELS = {
    "per_crime": "One row per crime",
    "count_long": "One row per offence and age, with a count",
    "pivot_offence_age": "Pivot table: offences down, ages across",
    "pivot_age_offence": "Pivot table: ages down, offences across",
    "mapped": "As the column mapping says",
}


def summarise(result: ImportResult) -> dict:
    """What a person wants to know about an import, as JSON for the record."""
    codes = sorted({r.offence_code for r in result.rows})
    return {
        "file_format": result.file_format, "sheet": result.sheet, "layout": result.layout,
        "layout_label": LAYOUT_LABELS.get(result.layout, result.layout),
        "header_row": result.header_row, "rows_read": result.rows_read, "cells": len(result.rows),
        "total": result.total, "suppressed_cells": result.suppressed_cells, "offence_codes": codes,
        "counting_unit": result.counting_unit, "warnings": list(result.warnings),
    }


def preview_rows(result: ImportResult) -> dict:
    """The import's result laid out for the preview page: offences down, ages across."""
    columns: list[str] = []
    cells: dict[str, dict[str, str]] = {}

    def age_key(r):
        if r.victim_age is not None:
            return (0, r.victim_age, str(r.victim_age))
        if r.age_band:
            return (1, r.age_band_min if r.age_band_min is not None else 99, r.age_band)
        return (2, 0, "Unknown")

    keys = sorted({age_key(r) for r in result.rows})
    columns = [k[2] for k in keys]
    for r in result.rows:
        label = age_key(r)[2] + (f" {r.victim_sex}" if r.victim_sex else "")
        row = cells.setdefault(r.offence_code, {})
        value = r.suppressed_label if r.suppressed else r.count
        row[label] = value if label not in row else f"{row[label]}+{value}"
    if any(r.victim_sex for r in result.rows):
        columns = sorted({lbl for row in cells.values() for lbl in row})
    totals = {code: sum(r.count or 0 for r in result.rows if r.offence_code == code) for code in cells}
    return {"summary": summarise(result), "columns": columns + ["Total"],
            "rows": [[code] + [cells[code].get(c, "") for c in columns] + [totals[code]] for code in sorted(cells)]}


def set_phase(returned: ReturnedFile, phase: str, percent: int, **extra) -> None:
    """Record how far a file has got, outside any transaction so the progress bar sees it at once."""
    summary = dict(ReturnedFile.objects.filter(pk=returned.pk).values_list("summary", flat=True).first() or {})
    summary.update({"phase": phase, "percent": percent, **extra})
    ReturnedFile.objects.filter(pk=returned.pk).update(summary=summary)


@dataclass
class StoreReturn:
    """Keep a file exactly as the force sent it. A file already held for the request is not kept twice."""

    request: FoiRequest
    data: bytes
    filename: str
    user: object = None

    def execute(self) -> tuple[ReturnedFile, bool]:
        if not self.data:
            raise ImportRefused("the file is empty", filename=self.filename)
        if len(self.data) > settings.FOI_IMPORT_MAX_FILE_BYTES:
            raise ImportRefused(f"the file is {len(self.data):,} bytes, over the limit of "
                                f"{settings.FOI_IMPORT_MAX_FILE_BYTES:,}", filename=self.filename)
        digest = sha256_of(self.data)
        existing = self.request.returned_files.filter(sha256=digest).first()
        if existing is not None:
            return existing, False
        name = self.filename.replace("/", "_").replace("\\", "_")[-200:] or "return"
        returned = ReturnedFile(request=self.request, original_name=name, sha256=digest, size=len(self.data),
                                uploaded_by=self.user)
        if is_hand_entry(self.data, name):
            returned.status = ReturnStatus.STORED
        returned.file.save(name, ContentFile(self.data), save=False)
        returned.save()
        RequestEvent.objects.create(request=self.request, kind=EventKind.FILE_RECEIVED,
                                    happened_on=timezone.localdate(), created_by=self.user,
                                    detail=f"{name} ({len(self.data):,} bytes, SHA-256 {digest[:16]}...)")
        return returned, True


def read_stored(returned: ReturnedFile) -> bytes:
    with returned.file.open("rb") as f:
        data = f.read()
    if sha256_of(data) != returned.sha256:
        raise ImportRefused("the stored file no longer matches its checksum; upload it again",
                            filename=returned.original_name)
    return data


def read_return(request: FoiRequest, data: bytes, filename: str, mapping: ColumnMapping | None = None,
                progress=None) -> ImportResult:
    """Read a return with the mapping given, else the force's remembered one; a remembered mapping
    from an older return may not fit this one, so then detection gets its chance."""
    remembered = None if mapping is not None else remembered_mapping(request)
    try:
        return import_return(data, filename, catalogue(), limits=limits(), mapping=mapping or remembered,
                             progress=progress)
    except ImportRefused:
        if remembered is None:
            raise
        return import_return(data, filename, catalogue(), limits=limits(), progress=progress)


@dataclass
class PreviewReturn:
    """Read a stored file into tidy rows without writing anything: what the admin shows before confirming."""

    returned: ReturnedFile
    mapping: ColumnMapping | None = None
    report_progress: bool = False

    def execute(self) -> ImportResult:
        return read_return(self.returned.request, read_stored(self.returned), self.returned.original_name,
                           self.mapping, progress=self._progress if self.report_progress else None)

    def _progress(self, rows_done: int, rows_expected: int | None) -> None:
        percent = min(95, 10 + int(85 * rows_done / rows_expected)) if rows_expected else 50
        set_phase(self.returned, f"reading row {rows_done:,}" + (f" of {rows_expected:,}" if rows_expected else ""),
                  percent)


@dataclass
class LoadCounts:
    """Replace a request's counts with an import's tidy rows, in the caller's transaction."""

    request: FoiRequest
    returned: ReturnedFile | None
    result: ImportResult
    user: object = None

    def execute(self) -> int:
        request = self.request
        OffenceCount.objects.filter(request=request).delete()
        if self.returned is not None:
            request.returned_files.filter(status=ReturnStatus.IMPORTED).exclude(pk=self.returned.pk).update(
                status=ReturnStatus.SUPERSEDED, superseded_by=self.returned)
        dataset = tidy_dataset(request, self.returned, self.result.rows)
        outcome = OffenceCountResource().import_data(dataset, dry_run=False, raise_errors=True,
                                                    use_transactions=False, collect_failed_rows=False)
        if outcome.has_validation_errors():
            first = outcome.invalid_rows[0]
            raise ImportRefused(f"row {first.number} of the tidy table is not valid: {first.error_dict}",
                                filename=self.result.filename)
        if self.returned is not None:
            r = self.returned
            r.status = ReturnStatus.IMPORTED
            r.file_format, r.sheet, r.layout = self.result.file_format, self.result.sheet, self.result.layout
            r.rows_read, r.counting_unit = self.result.rows_read, self.result.counting_unit
            r.summary, r.error = {**(r.summary or {}), **summarise(self.result), "phase": "imported",
                                  "percent": 100}, ""
            r.save()
        return len(self.result.rows)


@dataclass
class ImportOutcome:
    returned: ReturnedFile | None
    result: ImportResult | None
    created: bool
    cells: int = 0
    unchanged: bool = False
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportReturn:
    """Keep a force's file and load its counts; on refusal nothing is written (the file is still
    on the user's disk; the admin keeps refused uploads on record through StoreReturn)."""

    request: FoiRequest
    data: bytes
    filename: str
    user: object = None
    mapping: ColumnMapping | None = None
    dry_run: bool = False
    remember: bool = False

    def execute(self) -> ImportOutcome:
        digest = sha256_of(self.data) if self.data else ""
        already = self.request.returned_files.filter(sha256=digest, status=ReturnStatus.IMPORTED).first()
        if already is not None and not self.dry_run and self.mapping is None:
            return ImportOutcome(already, None, False, already.counts.count(), unchanged=True)
        result = read_return(self.request, self.data, self.filename, self.mapping)
        if self.dry_run:
            return ImportOutcome(None, result, False, len(result.rows), warnings=result.warnings)
        with transaction.atomic():
            returned, created = StoreReturn(self.request, self.data, self.filename, self.user).execute()
            cells = LoadCounts(self.request, returned, result, self.user).execute()
            if self.remember and self.mapping is not None:
                remember_mapping(self.request, self.mapping, self.user)
        return ImportOutcome(returned, result, created, cells, warnings=result.warnings)


@dataclass
class ConfirmReturn:
    """Load a stored, previewed file's counts (the admin's confirm step and the Celery task)."""

    returned: ReturnedFile
    user: object = None
    mapping: ColumnMapping | None = None
    remember: bool = False
    outcome: str = ""
    received_on: dt.date | None = None

    def execute(self) -> ImportOutcome:
        from ..services import RecordResponse

        returned = self.returned
        request = returned.request
        try:
            result = PreviewReturn(returned, self.mapping).execute()
        except ImportRefused as refusal:
            ReturnedFile.objects.filter(pk=returned.pk).update(status=ReturnStatus.REFUSED, error=str(refusal))
            raise
        with transaction.atomic():
            cells = LoadCounts(request, returned, result, self.user).execute()
            if self.remember and self.mapping is not None:
                remember_mapping(request, self.mapping, self.user)
            if self.outcome:
                RecordResponse(request, self.outcome, self.received_on or timezone.localdate(), self.user,
                               detail=f"Answered with {returned.original_name}").execute()
        return ImportOutcome(returned, result, False, cells, warnings=result.warnings)


def import_and_record(request: FoiRequest, data: bytes, filename: str, *, outcome: str = Outcome.PROVIDED,
                      received_on: dt.date, user=None, sections: str = "",
                      mapping: ColumnMapping | None = None) -> ImportOutcome:
    """Record the answer and import its file in one transaction: a refused file records nothing.
    A PDF or letter is kept on record with the answer; its figures are entered by hand."""
    from ..services import RecordResponse

    with transaction.atomic():
        if is_hand_entry(data, filename):
            returned, created = StoreReturn(request, data, filename, user).execute()
            imported = ImportOutcome(returned, None, created, 0,
                                     warnings=[f"{filename} is kept on record; enter its figures by hand"])
        else:
            imported = ImportReturn(request, data, filename, user, mapping=mapping).execute()
        RecordResponse(request, outcome, received_on, user, sections=sections,
                       detail=f"Answered with {filename}").execute()
    return imported
