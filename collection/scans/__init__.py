"""Reading scanned answers (a scanned letter, a PDF printed to an image, a fax) with OCR: no Django.

    reading = read_scan(data, "norfolk.pdf", limits=ScanLimits(), engine=Tesseract(), catalogue=catalogue)
    grid = prefill(reading, offence_codes=("88A",))   # what the typed-entry grid is filled with

Stages, one module each: ``pages`` (the file as page images, within limits) -> ``ink`` (level the
page, find its rules) -> ``grid`` (the ruled tables and their cells) -> ``cells`` (what is in a
cell) -> ``reading`` (each cell read by ``tesseract``, with its confidence) -> ``prefill`` (the
typed-entry grid, and the cells as figures) -> ``totals`` (the letter's totals against their parts).

Nothing here is a figure: what OCR reads is a pre-fill that a person confirms cell by cell.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..importer.catalogue import OffenceCatalogue
from .pages import Poppler, ScanLimits, ScanRefused, pages
from .prefill import Prefill, figures, prefill
from .reading import PageRead, Reader, ReadTable, label_meaning, read_page
from .tesseract import OcrTimeout, OcrUnavailable, Tesseract
from .totals import check_totals

__all__ = ["OcrUnavailable", "Poppler", "Prefill", "ReadTable", "ScanLimits", "ScanReading", "ScanRefused", "Tesseract",
           "figures", "prefilled", "read_scan"]


@dataclass
class ScanReading:
    filename: str
    pages: int = 0
    tables: list[ReadTable] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    engine: str = ""
    seconds: float = 0.0


def read_scan(data: bytes, filename: str, *, limits: ScanLimits, engine: Tesseract,
              catalogue: OffenceCatalogue | None = None, poppler: Poppler | None = None,
              clock=time.monotonic) -> ScanReading:
    """Every ruled table on every page, each cell read with its confidence. Raises ScanRefused for
    a file over the limits or one that cannot be drawn, OcrUnavailable without Tesseract."""
    started = clock()
    deadline = started + limits.max_seconds
    reading = ScanReading(filename, engine=engine.version())
    reader = Reader(engine, lambda text: label_meaning(text, catalogue), deadline)
    try:
        for number, image in pages(data, filename, limits, poppler, deadline):
            read: PageRead = read_page(image, limits.dpi, number, reader)
            reading.pages = number
            reading.tables.extend(read.tables)
            reading.problems.extend(read.problems)
    except OcrTimeout:
        raise ScanRefused("reading took longer than the time allowed; type the figures instead", filename) from None
    if not reading.tables:
        reading.problems.append("no table of figures was found on any page: type the figures")
    reading.seconds = round(clock() - started, 2)
    return reading


def prefilled(reading: ScanReading, *, offence_codes: tuple[str, ...] = (), catalogue: OffenceCatalogue | None = None,
              floor: float = 0.0) -> Prefill:
    """The typed-entry grid filled from a reading, the letter's totals checked against their parts."""
    filled = prefill(reading.tables, offence_codes=offence_codes, catalogue=catalogue, floor=floor)
    filled.problems = list(reading.problems) + filled.problems
    filled.problems += [check.words() for check in check_totals(filled)]
    return filled
