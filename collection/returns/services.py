"""What happens to a file a force sends back: keep it, read it, and load its counts.

One path for every door (the admin's upload, `import_return`, `record_response --file`, mail
attachments and the Celery tasks), in three steps:

    received = ReceiveReturn(request, data, filename, user, outcome=..., received_on=..., mapping=...).execute()
    PreviewReturn(received.returned).execute()        # read it; keep the cells it holds on the file
    ConfirmReturn(received.returned, user).execute()  # load exactly those cells, once

The bytes are kept with their SHA-256 whatever becomes of the import. What the person chose at
upload (outcome, the day the answer arrived, the column mapping) is kept on the file, so a
colleague who confirms imports exactly what the preview showed. Confirming is serialised per
request (the request's row is locked) and happens once however often it is asked for. The counts
are written in one transaction that replaces the request's previous counts, or not at all.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass, field, fields
from operator import attrgetter

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from ..importer.labels import suppressed_max
from ..importer import (ColumnMapping, ImportLimits, ImportRefused, ImportResult, OffenceCatalogue, OffenceEntry,
                        Period, TidyRow, import_return, sha256_of)
from ..forces.models import OffenceCode
from ..requests.models import EventKind, FoiRequest, Outcome, RequestEvent, sync_main_period
from .models import ForceColumnMapping, OffenceCount, ReturnedFile, ReturnSource, ReturnStatus
from .. import signals
from ..requests.services import RecordResponse
from ..validation import ServiceError
from .restatement import Held, PeriodFigures, figures_by_period, in_words

log = logging.getLogger(__name__)

HAND_ENTRY_FORMATS = (".doc", ".msg", ".eml", ".rtf", ".odt", ".jpg", ".jpeg", ".png", ".tif", ".tiff")
"""What the importer cannot read: kept on record, its figures entered by hand. PDF, Word (.docx),
HTML and text answers go to the importer, which refuses a scan or a letter without a table, saying so."""


def can_import(user) -> bool:
    """Who may upload and confirm returns: the upload page, the request page and the inbox ask this."""
    return user.has_perms(["collection.add_returnedfile", "collection.add_offencecount",
                           "collection.change_foirequest"])


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
        max_pdf_pages=settings.FOI_IMPORT_MAX_PDF_PAGES,
        max_docx_xml_bytes=settings.FOI_IMPORT_MAX_DOCUMENT_BYTES,
        max_html_bytes=settings.FOI_IMPORT_MAX_TEXT_BYTES,
        max_text_bytes=settings.FOI_IMPORT_MAX_TEXT_BYTES,
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
    "pivot_sex_age": "One offence: sexes down, ages across",
    "pivot_age_sex": "One offence: ages down, a column per sex",
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
        # "2015/16: 80 offences; 2016/17: 54" for a file holding more than one period (its total adds them up)
        "by_period": in_words(figures_by_period(result.rows, "")) if len(result.periods) > 1 else "",
    }


def preview_rows(result: ImportResult) -> dict:
    """The import's result laid out for the preview page: offences down, ages across; one table per period
    when the file holds more than one (two periods' cells are never added up in one cell)."""
    table = _preview_table(result.rows)
    by_period: dict[str, list[TidyRow]] = {}
    for r in result.rows:
        by_period.setdefault(r.period, []).append(r)
    periods = []
    if len(by_period) > 1:
        for label in sorted(by_period, key=_label_order):
            periods.append({"label": label, "display": _label_display(label), **_preview_table(by_period[label])})
    return {"summary": summarise(result), **table, "periods": periods}


def _label_order(label: str):
    try:
        return (0, Period.from_label(label).start.isoformat())
    except ValueError:
        return (1, label)


def _label_display(label: str) -> str:
    try:
        return Period.from_label(label).display
    except ValueError:
        return label or "no period named"


def _preview_table(rows: list[TidyRow]) -> dict:
    """Offences down, ages (then bands by their lower age, then unknown; each split by sex when the
    file gives it) across, and each offence's total: a range when suppressed cells hide part of it
    (a row of nothing but suppressed cells is 1 to their most, never 0)."""
    cells: dict[str, dict[str, str]] = {}
    order: dict[str, tuple] = {}

    def age_key(r):
        if r.victim_age is not None:
            return (0, r.victim_age, str(r.victim_age))
        if r.age_band:
            return (1, r.age_band_min if r.age_band_min is not None else 99, r.age_band)
        return (2, 0, "Unknown")

    for r in rows:
        key = age_key(r)
        label = key[2] + (f" {r.victim_sex}" if r.victim_sex else "")
        order[label] = (*key, r.victim_sex)
        row = cells.setdefault(r.offence_code, {})
        value = (r.suppressed_label or "suppressed") if r.suppressed else r.count  # as written: never a number
        row[label] = value if label not in row else f"{row[label]}+{value}"
    columns = sorted(order, key=order.__getitem__)

    def total(code):
        mine = [r for r in rows if r.offence_code == code]
        known = sum(r.count or 0 for r in mine)
        hidden = [r for r in mine if r.suppressed]
        if not hidden:
            return known
        return f"{known + len(hidden):,} to {known + sum(suppressed_max(r.suppressed_label) for r in hidden):,}"
    return {"columns": columns + ["Total"],
            "rows": [[code] + [cells[code].get(c, "") for c in columns] + [total(code)] for code in sorted(cells)]}


def set_phase(returned: ReturnedFile, phase: str, percent: int, **extra) -> None:
    """Record how far a file has got, outside any transaction so the progress bar sees it at once."""
    summary = dict(ReturnedFile.objects.filter(pk=returned.pk).values_list("summary", flat=True).first() or {})
    summary.update({"phase": phase, "percent": percent, **extra})
    ReturnedFile.objects.filter(pk=returned.pk).update(summary=summary)


def read_stored(returned: ReturnedFile) -> bytes:
    with returned.file.open("rb") as f:
        data = f.read()
    if sha256_of(data) != returned.sha256:
        raise ImportRefused("the stored file no longer matches its checksum; upload it again",
                            filename=returned.original_name)
    return data


def asked_offence_codes(request: FoiRequest) -> tuple[str, ...]:
    """The codes the request's campaign asks about (`Campaign.offence_codes`); empty for every offence."""
    return tuple(request.campaign.offence_codes.order_by("code").values_list("code", flat=True))


def asked_periods(request: FoiRequest) -> tuple[Period, ...]:
    """The periods the request's campaign asks about, earliest first (every campaign has its main one)."""
    campaign = request.campaign
    periods = tuple(p.period for p in campaign.periods.all())
    return periods or (campaign.period,)


def read_return(request: FoiRequest, data: bytes, filename: str, mapping: ColumnMapping | None = None,
                progress=None) -> ImportResult:
    """Read a return with the mapping given, else the force's remembered one; a remembered mapping
    from an older return may not fit this one, so then detection gets its chance. The campaign's
    offence codes go with it: with exactly one, a table with no offence column is that code."""
    return ReturnReader().read(request, data, filename, mapping, progress)


@dataclass
class ReturnReader:
    """read_return with its lookups (the offence codes, each campaign's codes and periods, each
    force's remembered mapping) made once and kept: a run that reads many returns (an inbox
    of answers) asks the database once per campaign and force, not once per file."""

    _catalogue: OffenceCatalogue | None = None
    _asked: dict = field(default_factory=dict)
    _mappings: dict | None = None

    def _options(self, request: FoiRequest, progress) -> dict:
        if request.campaign_id not in self._asked:
            self._asked[request.campaign_id] = (asked_offence_codes(request), asked_periods(request))
        codes, periods = self._asked[request.campaign_id]
        return {"limits": limits(), "progress": progress, "offence_codes": codes, "periods": periods}

    def _remembered(self, request: FoiRequest) -> ColumnMapping | None:
        if self._mappings is None:  # every force's at once: a handful of rows
            self._mappings = {m.force_id: ColumnMapping.from_json(m.mapping) for m in ForceColumnMapping.objects.all()}
        return self._mappings.get(request.force_id)

    def read(self, request: FoiRequest, data: bytes, filename: str, mapping: ColumnMapping | None = None,
             progress=None) -> ImportResult:
        options = self._options(request, progress)
        if self._catalogue is None:
            self._catalogue = catalogue()
        remembered = None if mapping is not None else self._remembered(request)
        try:
            return import_return(data, filename, self._catalogue, mapping=mapping or remembered, **options)
        except ImportRefused:
            if remembered is None:
                raise
            return import_return(data, filename, self._catalogue, **options)


#: The largest count a cell can hold (the database column is a 32-bit integer).
MAX_COUNT = 2_147_483_647


class ReturnAlreadyImported(ServiceError):
    """The file's counts are already the request's: nothing to do."""


def import_lease_seconds() -> float:
    """How long a confirmed import may run before another confirm may take it over (its worker died)."""
    return settings.FOI_IMPORT_MAX_SECONDS + 60


# --- The cells a preview showed, kept on the file ---------------------------------------------

TIDY_FIELDS = tuple(f.name for f in fields(TidyRow))


_tidy_values = attrgetter(*TIDY_FIELDS)


def rows_to_json(rows: list[TidyRow]) -> dict:
    # attrgetter, not dataclasses.astuple: every field is a plain value, nothing to deep-copy.
    return {"fields": list(TIDY_FIELDS), "rows": [list(_tidy_values(r)) for r in rows]}


def rows_from_json(data: dict) -> list[TidyRow]:
    names = data["fields"]
    return [TidyRow(**dict(zip(names, row))) for row in data["rows"]]


def fingerprint(data: dict | None) -> str:
    """A short checksum of the previewed cells: a confirm names the preview it saw."""
    if not data:
        return ""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --- What a file holds per period, and what it restates ----------------------------------------

def held_by_period(request: FoiRequest, returned: ReturnedFile | None) -> dict[str, dict[int | None, Held]]:
    """The request's counts from other files (and typed figures): period label -> file id -> total and cells.
    One query."""
    held: dict[str, dict[int | None, Held]] = {}
    counts = OffenceCount.objects.filter(request=request)
    if returned is not None:
        counts = counts.exclude(returned_file=returned)
    for row in counts.values("period__label", "returned_file_id").annotate(total=Sum("count"), cells=Count("id")):
        held.setdefault(row["period__label"], {})[row["returned_file_id"]] = Held(row["total"] or 0, row["cells"])
    return held


def _sum(by_file: dict) -> Held:
    return Held(sum(h.total for h in by_file.values()), sum(h.cells for h in by_file.values()))


@dataclass
class PeriodReport:
    """A file's figures per period for its preview: in words, what each restates, what it replaces."""

    figures: list[PeriodFigures]
    replaces: int = 0                                     # cells of the request this file replaces
    superseded: list[str] = field(default_factory=list)  # earlier files every count of which it replaces
    earlier_title: str = ""                               # the campaign this one repeats

    @property
    def words(self) -> str:
        return in_words(self.figures)

    @property
    def restated(self) -> list[str]:
        return [f.restates for f in self.figures if f.restates]

    @property
    def first_given(self) -> list[str]:
        return [f.first_given_in(self.earlier_title) for f in self.figures if f.first_given]


def period_report(returned: ReturnedFile) -> PeriodReport | None:
    """What the file's cells say per period and, before it is imported, what they change (at most three
    queries whatever the file holds). After the import the change is the one recorded when it was confirmed."""
    if not returned.tidy_rows:
        return None
    request = returned.request
    campaign = request.campaign
    rows = rows_from_json(returned.tidy_rows)
    covered = {r.period or campaign.period_label for r in rows}
    summary = returned.summary or {}
    superseded: list[str] = []
    replaces = 0
    if returned.status in (ReturnStatus.PENDING, ReturnStatus.QUEUED):
        by_period = held_by_period(request, returned)
        held = {label: _sum(by_period[label]) for label in covered if label in by_period}
        replaces = sum(h.cells for h in held.values())
        files = {}
        for label, by_file in by_period.items():
            for file_id in by_file:
                files.setdefault(file_id, set()).add(label)
        whole = [pk for pk, labels in files.items() if pk is not None and labels <= covered]
        superseded = list(ReturnedFile.objects.filter(pk__in=whole, status=ReturnStatus.IMPORTED)
                          .order_by("uploaded_at").values_list("original_name", flat=True)) if whole else []
    else:
        held = {label: Held(*value) for label, value in (summary.get("restated") or {}).items()}
    first_given = {}
    if campaign.repeats_id:
        for row in (OffenceCount.objects.filter(campaign_id=campaign.repeats_id, force_id=request.force_id,
                                                period__label__in=covered)
                    .values("period__label").annotate(total=Sum("count"), cells=Count("id"))):
            first_given[row["period__label"]] = Held(row["total"] or 0, row["cells"])
    return PeriodReport(figures_by_period(rows, campaign.period_label, held, first_given), replaces, superseded,
                        campaign.repeats.title if campaign.repeats_id else "")


# --- Step 1: keep the bytes ---------------------------------------------------------------------

@dataclass
class Received:
    returned: ReturnedFile
    created: bool


def _safe_name(filename: str) -> str:
    return filename.replace("/", "_").replace("\\", "_").replace("\x00", "")[-200:] or "return"


@dataclass
class ReceiveReturn:
    """Keep a file exactly as the force sent it, with the choices made for it, once per request.

    The same bytes again for the same request are the same file: its choices are updated (unless
    it is imported or being imported) and nothing is stored twice, even when two processes
    receive it at the same moment (a unique constraint decides)."""

    request: FoiRequest
    data: bytes
    filename: str
    user: object = None
    source: str = ReturnSource.UPLOAD
    outcome: str = ""
    received_on: dt.date | None = None
    mapping: ColumnMapping | None = None
    remember: bool = False
    keep_only: bool = False  # a letter kept with an answer that carries no figures: never read
    typed_from: ReturnedFile | None = None  # figures typed by hand: the letter they came from
    sha256: str = ""  # the bytes' checksum, when the caller has worked it out already
    stored_as: str = ""  # where storage already holds these bytes (a mail attachment's copy): kept once
    # A reading of these bytes made already (or the importer's refusal of them): a new file is kept
    # with its preview (or its refusal) as PreviewReturn would leave it, in the same write.
    preview: ImportResult | ImportRefused | None = None
    # The bytes came in something no one held before (a new e-mail): insert without looking for an
    # earlier copy first; the unique constraint still finds one, and it is used as it would have been.
    unseen: bool = False
    # The caller inserts the rows itself, with many others at once (a batch of e-mail): the new
    # file and its timeline event are added to this list unsaved. Only for unseen bytes the caller
    # already keeps (stored_as): it owns the copy, and if the insert fails it receives them again
    # without `later`, as one file, so an earlier copy is still found as above.
    later: list | None = None

    def execute(self) -> Received:
        if not self.data:
            raise ImportRefused("the file is empty", filename=self.filename)
        if len(self.data) > settings.FOI_IMPORT_MAX_FILE_BYTES:
            raise ImportRefused(f"the file is {len(self.data):,} bytes, over the limit of "
                                f"{settings.FOI_IMPORT_MAX_FILE_BYTES:,}", filename=self.filename)
        if self.outcome and self.outcome not in Outcome.values:
            raise ServiceError(f"outcome {self.outcome!r} is not one of {', '.join(Outcome.values)}")
        digest = self.sha256 or sha256_of(self.data)
        existing = None if self.unseen else self.request.returned_files.filter(sha256=digest).first()
        if existing is not None:
            return Received(self._again(existing), False)
        name = _safe_name(self.filename)
        returned = ReturnedFile(request=self.request, original_name=name, sha256=digest, size=len(self.data),
                                uploaded_by=self.user if getattr(self.user, "pk", None) else None,
                                source=self.source, typed_from=self.typed_from, **self._choices())
        if self.keep_only or is_hand_entry(self.data, name):
            returned.status = ReturnStatus.STORED
        elif isinstance(self.preview, ImportRefused):
            returned.status, returned.error = ReturnStatus.REFUSED, str(self.preview)
        elif self.preview is not None:
            for field_name, value in previewed_fields(self.preview, {}).items():
                setattr(returned, field_name, value)
        detail = f"{name} ({len(self.data):,} bytes, SHA-256 {digest[:16]}...)"
        if self.stored_as:
            returned.file.name = self.stored_as
            if self.later is not None and self.unseen:
                self.later += [returned, RequestEvent.objects.record(self.request, EventKind.FILE_RECEIVED,
                                                                     self.received_on, user=self.user,
                                                                     detail=detail, save=False)]
                return Received(returned, True)
        else:
            returned.file.save(name, ContentFile(self.data), save=False)
        try:
            with transaction.atomic():
                returned.save()
                RequestEvent.objects.record(self.request, EventKind.FILE_RECEIVED, self.received_on, user=self.user,
                                            detail=detail)
        except IntegrityError:
            # Another process kept the same bytes for this request a moment ago: theirs is the copy.
            self._forget(returned)
            return Received(self._again(self.request.returned_files.get(sha256=digest)), False)
        except BaseException:
            self._forget(returned)  # no file on disk without its record
            raise
        return Received(returned, True)

    def _forget(self, returned: ReturnedFile) -> None:
        """Remove the copy this receipt wrote (never a copy that another record keeps)."""
        if not self.stored_as:
            returned.file.storage.delete(returned.file.name)

    def _choices(self) -> dict:
        return {"outcome": self.outcome, "received_on": self.received_on,
                "mapping": self.mapping.to_dict() if self.mapping else None,
                "remember_mapping": bool(self.remember and self.mapping)}

    def _again(self, returned: ReturnedFile) -> ReturnedFile:
        if returned.status in (ReturnStatus.IMPORTED, ReturnStatus.QUEUED, ReturnStatus.STORED):
            return returned
        choices = self._choices()
        if self.mapping is None:
            choices.pop("mapping")
            choices.pop("remember_mapping")
        ReturnedFile.objects.filter(pk=returned.pk).update(**choices)
        returned.refresh_from_db()
        return returned


# --- Step 2: read it -----------------------------------------------------------------------------

def previewed_fields(result: ImportResult, summary: dict | None) -> dict:
    """A file's fields once read: the cells it holds, their summary and preview, awaiting confirmation."""
    tidy = rows_to_json(result.rows)
    return {"status": ReturnStatus.PENDING, "error": "", "tidy_rows": tidy,
            "summary": {**(summary or {}), **summarise(result), "fingerprint": fingerprint(tidy),
                        "preview": preview_rows(result), "phase": "previewed", "percent": 100},
            "file_format": result.file_format, "sheet": result.sheet, "layout": result.layout,
            "rows_read": result.rows_read, "counting_unit": result.counting_unit}


@dataclass
class PreviewReturn:
    """Read a stored file and keep the cells it holds on the file, without touching the counts.

    `mapping`: a new column mapping chosen on the preview page (kept on the file); otherwise the
    file's own, else the force's remembered one, else detection. `result`: a reading already made
    of the same bytes (the command line reads before it stores anything)."""

    returned: ReturnedFile
    mapping: ColumnMapping | None = None
    report_progress: bool = False
    result: ImportResult | None = None

    def execute(self) -> ImportResult:
        returned = self.returned
        if returned.status in (ReturnStatus.IMPORTED, ReturnStatus.QUEUED) and self.mapping is None:
            raise ReturnAlreadyImported(f"{returned.original_name} is {returned.get_status_display().lower()}")
        if self.mapping is not None:
            returned.mapping = self.mapping.to_dict()
        mapping = ColumnMapping.from_json(returned.mapping) if returned.mapping else None
        try:
            result = self.result or read_return(returned.request, read_stored(returned), returned.original_name,
                                                mapping, progress=self._progress if self.report_progress else None)
        except ImportRefused as refusal:
            ReturnedFile.objects.filter(pk=returned.pk).update(status=ReturnStatus.REFUSED, error=str(refusal),
                                                               tidy_rows=None, mapping=returned.mapping)
            returned.refresh_from_db()
            raise
        with transaction.atomic():
            # Under the file's lock: a confirm that finished while we were reading wins.
            current = ReturnedFile.objects.select_for_update().get(pk=returned.pk)
            if current.status in (ReturnStatus.IMPORTED, ReturnStatus.QUEUED) and self.mapping is None:
                raise ReturnAlreadyImported(f"{current.original_name} is {current.get_status_display().lower()}")
            ReturnedFile.objects.filter(pk=returned.pk).update(mapping=returned.mapping,
                                                               **previewed_fields(result, current.summary))
        returned.refresh_from_db()
        return result

    def _progress(self, rows_done: int, rows_expected: int | None) -> None:
        percent = min(95, 10 + int(85 * rows_done / rows_expected)) if rows_expected else 50
        set_phase(self.returned, f"reading row {rows_done:,}" + (f" of {rows_expected:,}" if rows_expected else ""),
                  percent)


# --- Step 3: load its counts, once ---------------------------------------------------------------

@dataclass
class ImportOutcome:
    returned: ReturnedFile | None
    result: ImportResult | None
    created: bool
    cells: int = 0
    unchanged: bool = False
    warnings: list[str] = field(default_factory=list)


def load_counts(request: FoiRequest, returned: ReturnedFile | None, rows: list[TidyRow]) -> int:
    """Replace a request's counts for the periods these cells count: offence codes and periods
    looked up once, one bulk insert (insert_counts).

    A file for one period leaves the request's other periods alone: a force that sends its
    2016/17 figures, then restates 2015/16, has both. An earlier file whose counts are all
    replaced is kept on record as superseded by this one. The importer has validated every cell;
    what is checked here is what the database needs (a known offence code and period, a count it
    can hold), so a bad cell is refused by name, never a crash."""
    name = returned.original_name if returned else "typed figures"
    codes = dict(OffenceCode.objects.filter(code__in={r.offence_code for r in rows}).values_list("code", "pk"))
    periods = {p.label: p for p in request.campaign.periods.all()}
    main = next((p for p in periods.values() if p.main), None) or sync_main_period(request.campaign)
    counts = []
    period_ids = set()
    typed = typed_by(returned)
    for r in rows:
        if r.offence_code not in codes:
            raise ImportRefused(f"offence {r.offence_code} is not in the offence codes any more", filename=name)
        if r.count is not None and not 0 <= r.count <= MAX_COUNT:
            raise ImportRefused(f"offence {r.offence_code}: the count {r.count:,} cannot be stored "
                                f"(the most a cell can hold is {MAX_COUNT:,})", filename=name)
        period = periods.get(r.period) if r.period else main
        if period is None:
            raise ImportRefused(f"offence {r.offence_code}: figures for {r.period}, a period the campaign does not "
                                f"ask about (it asks about {', '.join(periods)})", filename=name)
        period_ids.add(period.pk)
        counts.append((request.campaign_id, request.force_id, request.pk, returned.pk if returned else None,
                       period.pk, codes[r.offence_code], r.victim_age, r.age_band, r.age_band_min, r.age_band_max,
                       r.victim_sex, None if r.suppressed else r.count, r.suppressed, r.suppressed_label[:10],
                       (typed + r.source if typed else r.source)[:200]))
    replaced = OffenceCount.objects.filter(request=request)
    if rows:  # a file with no cells (a nil return) replaces them all
        replaced = replaced.filter(period_id__in=period_ids)
    replaced.delete()
    if returned is not None:
        request.returned_files.filter(status=ReturnStatus.IMPORTED).exclude(pk=returned.pk).exclude(
            counts__isnull=False).update(status=ReturnStatus.SUPERSEDED, superseded_by=returned)
    insert_counts(counts)
    signals.counts_changed.send(sender=OffenceCount, campaign_id=request.campaign_id)
    return len(counts)


#: An OffenceCount's stored fields, in the order load_counts gives them.
COUNT_FIELDS = ("campaign_id", "force_id", "request_id", "returned_file_id", "period_id", "offence_id", "victim_age",
                "age_band", "age_band_min", "age_band_max", "victim_sex", "count", "suppressed", "suppressed_label",
                "source_place")


def typed_by(returned: ReturnedFile | None) -> str:
    """"typed by alice from kent-letter.pdf: " for figures a person typed from a file (the typed
    table's own row and column follow), else ''."""
    if returned is None or not returned.typed_from_id:
        return ""
    who = returned.uploaded_by.get_username() if returned.uploaded_by_id else "someone"
    return f"typed by {who} from {returned.typed_from.original_name}: "


def insert_counts(counts: list[tuple]) -> None:
    """Insert count rows (values in COUNT_FIELDS order) in one go: COPY on PostgreSQL, where a bulk
    INSERT spends longer turning a few hundred rows into parameters (in Django and psycopg) than the
    server spends storing them; bulk_create elsewhere."""
    if connection.vendor != "postgresql":
        OffenceCount.objects.bulk_create([OffenceCount(**dict(zip(COUNT_FIELDS, c))) for c in counts],
                                         batch_size=5000)
        return
    meta, quote = OffenceCount._meta, connection.ops.quote_name
    columns = ", ".join(quote(meta.get_field(name).column) for name in COUNT_FIELDS)
    # The raw cursor's COPY raises psycopg's own errors: wrapped, they are Django's (DataError,
    # IntegrityError), as bulk_create's would be, for the callers that name them.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        with cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
            for row in counts:
                copy.write_row(row)


@dataclass
class ConfirmReturn:
    """Import a previewed file's cells into the request's counts, exactly once.

    `claim()` is the admin's confirm button: it takes the file out of "awaiting confirmation"
    (a second click, tab or colleague is told it is already imported or being imported) before the
    import is queued. `execute()` does the import under a lock on the request: any number of
    simultaneous confirms or commands give one set of counts. `expected`: the fingerprint of the
    preview the person saw; a preview made again since (another mapping) is not confirmed blind."""

    returned: ReturnedFile
    user: object = None
    expected: str = ""

    def claim(self) -> ReturnedFile:
        with transaction.atomic():
            returned = ReturnedFile.objects.select_for_update().get(pk=self.returned.pk)
            self._check_can_confirm(returned)
            returned.status = ReturnStatus.QUEUED
            returned.confirmed_by = self.user if getattr(self.user, "pk", None) else None
            returned.confirmed_at = timezone.now()
            returned.save(update_fields=["status", "confirmed_by", "confirmed_at"])
        self.returned = returned
        return returned

    def _check_can_confirm(self, returned: ReturnedFile, *, claimed: bool = False) -> None:
        name = returned.original_name
        if returned.status == ReturnStatus.IMPORTED:
            raise ReturnAlreadyImported(f"{name} is already imported; nothing changed")
        if returned.status == ReturnStatus.QUEUED and not claimed:
            age = (timezone.now() - returned.confirmed_at).total_seconds() if returned.confirmed_at else 0
            if age < import_lease_seconds():
                who = f" by {returned.confirmed_by}" if returned.confirmed_by else ""
                raise ReturnAlreadyImported(f"{name} was confirmed{who} and is being imported")
        elif returned.status not in (ReturnStatus.PENDING, ReturnStatus.QUEUED):
            raise ServiceError(f"{name} is {returned.get_status_display().lower()}: nothing to confirm")
        if not returned.tidy_rows:
            raise ServiceError(f"{name} has not been read yet: wait for its preview")
        if self.expected and self.expected != (returned.summary or {}).get("fingerprint"):
            raise ServiceError(f"the preview of {name} changed since you opened it: look at it again")

    def execute(self) -> ImportOutcome:
        with transaction.atomic():
            # The request first: every import of its counts (this file or another) queues here.
            request = FoiRequest.objects.select_for_update().get(pk=self.returned.request_id)
            returned = ReturnedFile.objects.select_for_update().get(pk=self.returned.pk)
            self._check_can_confirm(returned, claimed=True)
            rows = rows_from_json(returned.tidy_rows)
            before = held_by_period(request, returned)
            covered = {r.period or request.campaign.period_label for r in rows}
            cells = load_counts(request, returned, rows)
            summary = returned.summary or {}
            # What the file restated, kept with it: the preview says so after the import too.
            restated = {}
            for label in sorted(covered & before.keys()):
                held = _sum(before[label])
                restated[label] = [held.total, held.cells]
            if restated:
                summary = {**summary, "restated": restated}
            returned.status, returned.error = ReturnStatus.IMPORTED, ""
            returned.summary = {**summary, "phase": "imported", "percent": 100}
            returned.confirmed_at = returned.confirmed_at or timezone.now()
            returned.confirmed_by = returned.confirmed_by or (self.user if getattr(self.user, "pk", None) else None)
            returned.save()
            if returned.remember_mapping and returned.mapping:
                remember_mapping(request, ColumnMapping.from_json(returned.mapping), self.user)
            RequestEvent.objects.record(request, EventKind.FIGURES_IMPORTED, user=self.user,
                                        detail=f"{cells} cells, total {summary.get('total', 0):,}, from "
                                               f"{returned.original_name}")
            if returned.outcome:
                RecordResponse(request, returned.outcome, returned.received_on or timezone.localdate(), self.user,
                               detail=f"Answered with {returned.original_name}").execute()
        self.returned = returned
        return ImportOutcome(returned, None, False, cells, warnings=list(summary.get("warnings", [])))


# --- The three steps at once: the command line --------------------------------------------------

@dataclass
class ImportReturn:
    """Receive, read and confirm a force's file in one go (`import_return`, `record_response --file`).

    The file is read before anything is written: a refused file writes nothing (it is still on the
    user's disk). `outcome`/`received_on`: the answer to record with the import. A letter with no
    table (a PDF, a Word letter) is kept on record with the answer, its figures to be entered by hand."""

    request: FoiRequest
    data: bytes
    filename: str
    user: object = None
    mapping: ColumnMapping | None = None
    dry_run: bool = False
    remember: bool = False
    outcome: str = ""
    received_on: dt.date | None = None
    sections: str = ""
    force_reference: str = ""

    def execute(self) -> ImportOutcome:
        if self.outcome and self.outcome not in Outcome.values:
            raise ServiceError(f"outcome {self.outcome!r} is not one of {', '.join(Outcome.values)}")
        digest = self._sha256 = sha256_of(self.data) if self.data else ""
        already = self.request.returned_files.filter(sha256=digest, status=ReturnStatus.IMPORTED).first()
        if already is not None and not self.dry_run and self.mapping is None:
            if self.outcome:
                self._record_answer(already.original_name)
            return ImportOutcome(already, None, False, already.counts.count(), unchanged=True)
        # A letter that goes with an answer carrying no figures (not held, refused, no response)
        # is kept on record as it is: there is nothing in it to read.
        no_figures = self.outcome and self.outcome not in (*Outcome.with_data(), Outcome.NIL_RETURN)
        if self.outcome and (is_hand_entry(self.data, self.filename) or no_figures):
            if self.dry_run:
                return ImportOutcome(None, None, False, 0, warnings=[f"{self.filename} is kept for entry by hand"])
            RecordResponse(self.request, self.outcome, self.received_on or timezone.localdate(),
                           sections=self.sections).check()
            with transaction.atomic():
                received = self._receive(keep_only=True)
                self._record_answer(self.filename)
            note = ("kept on record with the answer" if no_figures
                    else "kept on record; enter its figures by hand")
            return ImportOutcome(received.returned, None, received.created, 0, warnings=[f"{self.filename} is {note}"])
        if self.dry_run:
            result = read_return(self.request, self.data, self.filename, self.mapping)
            return ImportOutcome(None, result, False, len(result.rows), warnings=result.warnings)
        # Read before anything is kept: a refused file, or a bad answer, writes nothing.
        result = read_return(self.request, self.data, self.filename, self.mapping)
        if self.outcome:
            RecordResponse(self.request, self.outcome, self.received_on or timezone.localdate(),
                           sections=self.sections).check()
        received = self._receive()
        try:
            PreviewReturn(received.returned, self.mapping, result=result).execute()
            with transaction.atomic():
                imported = ConfirmReturn(received.returned, self.user).execute()
                if self.outcome:
                    self._record_answer(self.filename)
        except ReturnAlreadyImported:  # another process imported the same file a moment ago
            return ImportOutcome(received.returned, result, False, received.returned.counts.count(), unchanged=True)
        return ImportOutcome(imported.returned, result, received.created, imported.cells, warnings=result.warnings)

    def _receive(self, keep_only: bool = False) -> Received:
        return ReceiveReturn(self.request, self.data, self.filename, self.user, ReturnSource.COMMAND,
                             received_on=self.received_on, mapping=self.mapping, remember=self.remember,
                             keep_only=keep_only, sha256=getattr(self, "_sha256", "")).execute()

    def _record_answer(self, name: str) -> None:
        RecordResponse(self.request, self.outcome, self.received_on or timezone.localdate(), self.user,
                       sections=self.sections, detail=f"Answered with {name}",
                       force_reference=self.force_reference).execute()
