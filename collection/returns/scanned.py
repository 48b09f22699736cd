"""Scanned answers read with OCR: the reading kept as a pre-fill of the typed-entry grid, never as
counts (collection/scans/ does the reading, with no Django).

    reading = RequestScanReading(scan, user).execute()   # queued; the task runs ReadScan
    ReadScan(reading).execute()                            # the grid pre-filled, kept on the reading
    TypeReturn(..., read_from_scan=reading, confirmed={"v-0-3": "1", ...}).execute()

What a person submits from a pre-filled grid is typed figures like any others (typed.py), with one
more rule: every cell filled from the image must come back confirmed by the person, with the value
they confirmed, or nothing is kept. The figures then go through the same preview and confirm as any
return, and say they were read from the image and confirmed by whom.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..importer import ImportRefused
from ..validation import ServiceError
from .models import ReturnedFile, ReturnSource, ScanReading, ScanReadingStatus
from .services import asked_offence_codes, catalogue, read_stored

if TYPE_CHECKING:  # the reader (numpy, Pillow) is loaded when a scan is read, not by every page
    from ..scans import ScanLimits, Tesseract
    from ..scans.prefill import Prefill

#: Files a scan can come as (by name: what the pages offer; the reading checks the bytes).
SCAN_NAMES = (".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff")


def ocr_engine() -> Tesseract:
    return _engine(settings.FOI_OCR_TESSERACT, settings.FOI_OCR_PROCESSES)


@functools.lru_cache(maxsize=4)
def _engine(command: str, processes: int) -> Tesseract:
    from ..scans.tesseract import Tesseract

    return Tesseract(command, processes)


def ocr_unavailable() -> str:
    """Why OCR cannot be used on this server ('' when it can): Tesseract is not installed."""
    from ..scans.tesseract import OcrUnavailable

    try:
        ocr_engine().version()
    except OcrUnavailable as reason:
        return str(reason)
    return ""


def scan_limits() -> ScanLimits:
    from ..scans import ScanLimits

    return ScanLimits(max_bytes=settings.FOI_IMPORT_MAX_FILE_BYTES, max_pages=settings.FOI_OCR_MAX_PAGES,
                      max_pixels=settings.FOI_OCR_MAX_PIXELS, max_seconds=settings.FOI_OCR_MAX_SECONDS)


def may_be_scan(returned: ReturnedFile) -> bool:
    """A kept file OCR may read: a PDF or an image that was refused or kept for entry by hand."""
    return (returned.source != ReturnSource.TYPED and returned.original_name.lower().endswith(SCAN_NAMES)
            and returned.status in ("refused", "stored"))


def latest_reading(returned: ReturnedFile) -> ScanReading | None:
    return returned.scan_readings.order_by("-requested_at", "-pk").first()


@dataclass
class RequestScanReading:
    """Ask for a scan to be read: a reading waiting for the task. Refused when OCR is unavailable or
    the file is not a scan; a reading already waiting or under way is the one returned."""

    scan: ReturnedFile
    user: object = None

    def execute(self) -> ScanReading:
        if not may_be_scan(self.scan):
            raise ServiceError(f"{self.scan.original_name} is not a scan waiting for its figures (a PDF or an image "
                               "refused or kept for entry by hand)")
        reason = ocr_unavailable()
        if reason:
            raise ServiceError(f"{reason}: type the figures instead")
        with transaction.atomic():
            waiting = self.scan.scan_readings.select_for_update().filter(
                status__in=(ScanReadingStatus.QUEUED, ScanReadingStatus.READING)).first()
            if waiting is not None:
                return waiting
            return ScanReading.objects.create(scan=self.scan, requested_by=self.user if getattr(self.user, "pk", None)
                                              else None)


@dataclass
class ReadScan:
    """Read a scan's tables into a pre-filled grid, kept on the reading. Whatever happens, nothing
    but the reading is written: a file that cannot be read says why on it."""

    reading: ScanReading

    def execute(self) -> ScanReading:
        from ..scans import OcrUnavailable, ScanRefused, prefilled, read_scan
        from ..scans.pages import file_kind

        reading = self.reading
        scan = reading.scan
        ScanReading.objects.filter(pk=reading.pk).update(status=ScanReadingStatus.READING)
        codes = asked_offence_codes(scan.request)
        try:
            data = read_stored(scan)
            if not file_kind(data):
                raise ScanRefused("it is not a PDF or an image (PNG, JPEG, TIFF): nothing to read as a scan",
                                  scan.original_name)
            known = catalogue()
            read = read_scan(data, scan.original_name, limits=scan_limits(), engine=ocr_engine(), catalogue=known)
            grid = prefilled(read, offence_codes=codes, catalogue=known, floor=settings.FOI_OCR_CONFIDENCE_FLOOR)
        except (ScanRefused, OcrUnavailable, ImportRefused) as reason:
            return self._save(status=ScanReadingStatus.FAILED, error=str(reason))
        return self._save(status=ScanReadingStatus.READ, engine=read.engine[:100], pages=read.pages,
                          seconds=read.seconds, prefill=grid.to_dict(), problems=grid.problems, error="")

    def _save(self, **fields) -> ScanReading:
        ScanReading.objects.filter(pk=self.reading.pk).update(read_at=timezone.now(), **fields)
        self.reading.refresh_from_db()
        return self.reading


def grid_of(reading: ScanReading) -> Prefill | None:
    from ..scans.prefill import Prefill

    return Prefill.from_dict(reading.prefill) if reading.status == ScanReadingStatus.READ and reading.prefill else None


def from_the_image(grid: Prefill) -> list[str]:
    """The grid's fields filled from the image (not those filled from the question), least sure first,
    and where a total of the letter points first of all."""
    names = [name for name, cell in grid.cells.items() if cell.page]
    return sorted(names, key=lambda n: (not grid.cells[n].suspect, grid.cells[n].confidence, _place(n)))


def _place(name: str) -> tuple:
    kind, *numbers = name.split("-")
    return ("hlsv".index(kind), *map(int, numbers))


def unconfirmed(grid: Prefill, submitted: dict[str, str], confirmed: dict[str, str]) -> list[str]:
    """The fields filled from the image that the person has not confirmed as they stand: no
    confirmation, or a value changed after it was confirmed. Least sure first."""
    def same(a: str | None, b: str | None) -> bool:
        return " ".join((a or "").split()) == " ".join((b or "").split())

    return [name for name in from_the_image(grid)
            if name not in confirmed or not same(confirmed[name], submitted.get(name))]


def corrected(grid: Prefill, submitted: dict[str, str]) -> int:
    """How many fields filled from the image the person changed."""
    return sum(1 for name in from_the_image(grid)
               if " ".join(submitted.get(name, "").split()) != " ".join(grid.cells[name].text.split()))
