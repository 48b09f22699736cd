"""Resource limits, checked before parsing wherever the format allows.

A return is untrusted input.  An .xlsx or .ods is a zip archive: a few kilobytes can claim
gigabytes once inflated.  So the zip central directory is read with :mod:`zipfile` (which
does not decompress) and the declared sizes and ratios are checked *before* calamine
touches the file; row/column counts are checked from sheet dimensions before iterating, and
rows and elapsed time are checked again while iterating.

Limitation: the check trusts the sizes the zip declares; a deliberately falsified central
directory is caught only by the later row/time limits.
"""
from __future__ import annotations

import io
import re
import time
import zipfile
from dataclasses import dataclass
from typing import Callable

from .errors import ImportRefused, Where


@dataclass(frozen=True)
class ImportLimits:
    max_file_bytes: int = 25 * 1024 * 1024
    max_uncompressed_bytes: int = 250 * 1024 * 1024
    max_compression_ratio: float = 100.0
    max_rows: int = 1_000_000
    max_columns: int = 500
    max_seconds: float = 300.0
    # letters and e-mail bodies (checked before parsing: the page count from the PDF's page tree,
    # the Word part's inflated size from the zip directory, the body's length)
    max_pdf_pages: int = 200
    max_docx_xml_bytes: int = 20 * 1024 * 1024
    max_html_bytes: int = 5 * 1024 * 1024
    max_text_bytes: int = 5 * 1024 * 1024
    max_tables: int = 200


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def check_file_size(data: bytes, filename: str, limits: ImportLimits) -> None:
    if len(data) > limits.max_file_bytes:
        raise ImportRefused(f"file is {_mb(len(data))}, larger than the {_mb(limits.max_file_bytes)} limit; "
                            "ask the force for the figures only", filename=filename)


def inspect_zip(data: bytes, filename: str, limits: ImportLimits) -> zipfile.ZipFile:
    """Open the central directory and refuse bombs and damaged archives without inflating."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise ImportRefused(f"the file is a damaged or truncated zip archive ({exc}); ask the force to send it again",
                            filename=filename) from None
    total = 0
    compressed = 0
    for info in infos:
        total += info.file_size
        compressed += info.compress_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 1024 * 1024 and ratio > limits.max_compression_ratio:
            raise ImportRefused(f"part '{info.filename}' would inflate {ratio:.0f} times "
                                f"(limit {limits.max_compression_ratio:.0f}); refused as a possible zip bomb",
                                filename=filename)
        if info.file_size > limits.max_uncompressed_bytes:
            break
    if total > limits.max_uncompressed_bytes:
        raise ImportRefused(f"the archive would inflate to {_mb(total)}, more than the "
                            f"{_mb(limits.max_uncompressed_bytes)} limit", filename=filename)
    overall = total / max(compressed, 1)
    if total > 1024 * 1024 and overall > limits.max_compression_ratio:
        raise ImportRefused(f"the archive would inflate {overall:.0f} times overall "
                            f"(limit {limits.max_compression_ratio:.0f}); refused as a possible zip bomb",
                            filename=filename)
    return zf


_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?"')


def check_xlsx_dimensions(zf: zipfile.ZipFile, filename: str, limits: ImportLimits) -> dict[str, tuple[int, int]]:
    """Read only the first few kB of each worksheet to find its declared <dimension>; returns
    {part name: (rows, columns)} as declared."""
    from .errors import column_index

    declared: dict[str, tuple[int, int]] = {}

    for name in zf.namelist():
        if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
            continue
        try:
            with zf.open(name) as fh:
                head = fh.read(4096)
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as exc:
            raise ImportRefused(f"part '{name}' of the archive is damaged ({exc})", filename=filename) from None
        m = _DIMENSION.search(head)
        if not m:
            continue
        c1, r1, c2, r2 = m.group(1), int(m.group(2)), m.group(3), m.group(4)
        rows = int(r2) if r2 else r1
        cols = column_index((c2 or c1).decode()) + 1
        if rows > limits.max_rows:
            raise ImportRefused(f"a sheet declares {rows:,} rows, more than the {limits.max_rows:,} limit",
                                filename=filename)
        if cols > limits.max_columns:
            raise ImportRefused(f"a sheet declares {cols:,} columns, more than the {limits.max_columns:,} limit",
                                filename=filename)
        declared[name] = (rows, cols)
    return declared


class Budget:
    """Row and time limits while iterating; ``tick`` is cheap enough for the hot loop."""

    CHECK_EVERY = 4096

    def __init__(self, limits: ImportLimits, clock: Callable[[], float] = time.monotonic,
                 progress: Callable[[int, int | None], None] | None = None) -> None:
        self.limits = limits
        self.clock = clock
        self.started = clock()
        # progress(rows_done, rows_expected) is called every CHECK_EVERY rows, for a progress bar
        self.progress = progress
        self.expected_rows: int | None = None

    def check_dimensions(self, where: Where, height: int | None, width: int | None) -> None:
        self.expected_rows = height
        if height is not None and height > self.limits.max_rows:
            raise where.refuse(f"sheet has {height:,} rows, more than the {self.limits.max_rows:,} limit")
        if width is not None and width > self.limits.max_columns:
            raise where.refuse(f"sheet has {width:,} columns, more than the {self.limits.max_columns:,} limit")

    def check_row(self, where: Where, row_number: int) -> None:
        if row_number > self.limits.max_rows:
            raise where.refuse(f"more than {self.limits.max_rows:,} rows; limit reached", row=row_number)
        self.check_time(where, row_number)

    def check_time(self, where: Where, row_number: int | None = None) -> None:
        if self.progress is not None and row_number is not None:
            self.progress(row_number, self.expected_rows)
        if self.clock() - self.started > self.limits.max_seconds:
            raise where.refuse(f"import took longer than {self.limits.max_seconds:g} seconds; stopped",
                               row=row_number)
