"""A returned file as page images to read: a PDF rendered by poppler (`pdfinfo`, `pdftoppm`), an
image sent as an attachment (PNG, JPEG, TIFF, a fax gateway's multi-page TIFF) opened by Pillow.

A file is untrusted: its pages are counted and measured before any is drawn, each page is drawn
within the time left, and a file over a limit is refused saying which limit and what to do.
Every page comes out grey, upright as stored, at the resolution the reading is tuned for.
"""
from __future__ import annotations

import io
import re
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass

from PIL import Image, ImageOps

#: The resolution pages are read at: a digit of a letter's table is then twenty-odd pixels high.
READING_DPI = 300
#: An image that does not say its resolution is taken to be a page of about this height (inches).
PAGE_INCHES = 11.69


class ScanRefused(Exception):
    """The file cannot be read as a scan; the message names the file (and page) and why."""

    def __init__(self, reason: str, filename: str = "", page: int | None = None):
        self.reason, self.filename, self.page = reason, filename, page
        where = ", ".join(x for x in (filename, f"page {page}" if page else "") if x)
        super().__init__(f"{where}: {reason}" if where else reason)


@dataclass(frozen=True)
class ScanLimits:
    max_bytes: int = 25 * 1024 * 1024
    max_pages: int = 50
    max_pixels: int = 40_000_000  # one page, at the resolution it is read at
    max_seconds: float = 120.0
    dpi: int = READING_DPI


@dataclass(frozen=True)
class Poppler:
    pdfinfo: str = "pdfinfo"
    pdftoppm: str = "pdftoppm"


def file_kind(data: bytes) -> str:
    """'pdf', 'png', 'jpeg', 'tiff', or '' for anything else (by its first bytes, not its name)."""
    if data.lstrip()[:5] == b"%PDF-":
        return "pdf"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    return ""


def pages(data: bytes, filename: str, limits: ScanLimits, poppler: Poppler | None = None,
          deadline: float | None = None) -> Iterator[tuple[int, Image.Image]]:
    """(page number, grey image at limits.dpi) for each page, after the whole file passed the limits."""
    if len(data) > limits.max_bytes:
        raise ScanRefused(f"the file is {len(data):,} bytes, over the limit of {limits.max_bytes:,}", filename)
    kind = file_kind(data)
    if kind == "pdf":
        yield from _pdf_pages(data, filename, limits, poppler or Poppler(), deadline)
    elif kind:
        yield from _image_pages(data, filename, limits, deadline)
    else:
        raise ScanRefused("it is not a PDF or an image (PNG, JPEG, TIFF): nothing to read as a scan", filename)


def _left(deadline: float | None, filename: str, page: int | None = None) -> float | None:
    if deadline is None:
        return None
    left = deadline - time.monotonic()
    if left <= 0:
        raise ScanRefused("reading took longer than the time allowed; type the figures instead", filename, page)
    return left


_PAGES = re.compile(r"^Pages:\s+(\d+)", re.MULTILINE)
_SIZE = re.compile(r"^Page\s+(\d+) size:\s+([\d.]+) x ([\d.]+) pts", re.MULTILINE)


def _pdf_pages(data: bytes, filename: str, limits: ScanLimits, poppler: Poppler, deadline: float | None
               ) -> Iterator[tuple[int, Image.Image]]:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as pdf:
        pdf.write(data)
        pdf.flush()
        info = _run([poppler.pdfinfo, pdf.name], filename, deadline, "read")
        found = _PAGES.search(info)
        count = int(found.group(1)) if found else 0
        if count == 0:
            raise ScanRefused("the PDF has no pages", filename)
        if count > limits.max_pages:
            raise ScanRefused(f"the PDF has {count:,} pages, more than the {limits.max_pages:,} a scan may have; "
                              "ask the force for the pages with the figures", filename)
        sizes = _run([poppler.pdfinfo, "-f", "1", "-l", str(count), pdf.name], filename, deadline, "read")
        for number, width, height in ((int(n), float(w), float(h)) for n, w, h in _SIZE.findall(sizes)):
            pixels = (width / 72 * limits.dpi) * (height / 72 * limits.dpi)
            if pixels > limits.max_pixels:
                raise ScanRefused(f"the page is {width / 72:.1f} by {height / 72:.1f} inches: {pixels:,.0f} pixels at "
                                  f"{limits.dpi} dpi, over the limit of {limits.max_pixels:,}", filename, number)
        for number in range(1, count + 1):
            out = _run([poppler.pdftoppm, "-r", str(limits.dpi), "-gray", "-f", str(number), "-l", str(number),
                        pdf.name], filename, deadline, "draw", binary=True, page=number)
            try:
                image = Image.open(io.BytesIO(out))
                image.load()
            except (OSError, ValueError, SyntaxError):
                raise ScanRefused("the page cannot be drawn (the PDF is damaged)", filename, number) from None
            yield number, image.convert("L")


def _run(command: list[str], filename: str, deadline: float | None, doing: str, *, binary: bool = False,
         page: int | None = None):
    try:
        done = subprocess.run(command, capture_output=True, timeout=_left(deadline, filename, page), check=False)
    except subprocess.TimeoutExpired:
        raise ScanRefused("reading took longer than the time allowed; type the figures instead", filename,
                          page) from None
    except OSError:
        raise ScanRefused(f"OCR is unavailable: poppler's {command[0]} is not installed on this server",
                          filename) from None
    errors = done.stderr.decode("utf-8", "replace")
    if done.returncode != 0:
        if "password" in errors.lower():
            raise ScanRefused("the PDF is password protected (encrypted); ask the force for an unprotected copy",
                              filename)
        raise ScanRefused(f"the PDF is damaged and cannot be {doing} ({errors.strip().splitlines()[-1:] or ['?']})",
                          filename, page)
    return done.stdout if binary else done.stdout.decode("utf-8", "replace")


def _image_pages(data: bytes, filename: str, limits: ScanLimits, deadline: float | None
                 ) -> Iterator[tuple[int, Image.Image]]:
    try:
        image = Image.open(io.BytesIO(data))
        count = getattr(image, "n_frames", 1)
    except Image.DecompressionBombError:
        raise ScanRefused(f"the image is over {2 * Image.MAX_IMAGE_PIXELS:,} pixels, over the limit of "
                          f"{limits.max_pixels:,} a page", filename) from None
    except (OSError, ValueError, SyntaxError) as error:
        raise ScanRefused(f"the image cannot be opened ({type(error).__name__})", filename) from None
    if count > limits.max_pages:
        raise ScanRefused(f"the image has {count:,} pages, more than the {limits.max_pages:,} a scan may have; "
                          "ask the force for the pages with the figures", filename)
    for number in range(1, count + 1):
        _left(deadline, filename, number)
        try:
            image.seek(number - 1)
            width, height = image.size
            scale_x, scale_y = _scales(image, limits.dpi)
            if width * height > limits.max_pixels or width * scale_x * height * scale_y > limits.max_pixels:
                raise ScanRefused(f"the page is {width:,} by {height:,} pixels, over the limit of "
                                  f"{limits.max_pixels:,} pixels a page", filename, number)
            page = _grey(ImageOps.exif_transpose(image) if number == 1 else image)
        except ScanRefused:
            raise
        except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as error:
            raise ScanRefused(f"the image cannot be read ({type(error).__name__})", filename, number) from None
        if abs(scale_x - 1) > 0.05 or abs(scale_y - 1) > 0.05:
            page = page.resize((max(1, round(page.width * scale_x)), max(1, round(page.height * scale_y))),
                               Image.LANCZOS)
        yield number, page


def _scales(image: Image.Image, dpi: int) -> tuple[float, float]:
    """How much to stretch an image across and down to bring it to `dpi` (a fax is 204 by 196)."""
    given = image.info.get("dpi")
    try:
        x, y = (float(given[0]), float(given[1])) if given else (0.0, 0.0)
    except (TypeError, ValueError, IndexError):
        x = y = 0.0
    if not (50 <= x <= 1200 and 50 <= y <= 1200):
        x = y = max(image.size) / PAGE_INCHES  # no resolution given: a page of a letter
    return dpi / x, dpi / y


def _grey(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        paper = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(paper, image)
    if image.mode.startswith("I;16") or image.mode == "I":
        image = image.point(lambda v: v / 256).convert("L")
    return image.convert("L")
