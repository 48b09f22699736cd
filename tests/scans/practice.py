"""Practice scans made from the practice letters: a text PDF rendered to an image at a given
resolution, turned by up to 2 degrees, and worn the way a scanner, a fax or a JPEG wears a page.

Every scan is made from a seed, so the same call gives the same bytes on every machine with the
same poppler and Pillow; the cells' true values come from the text PDF itself (its ruled tables as
pdfplumber reads them), so a reading can be checked cell by cell.
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

DOCUMENTS = Path(__file__).resolve().parent.parent / "data" / "documents"

#: The letters with ruled tables of figures (the scans are made of these).
LETTERS = ("kent", "essex", "west-midlands", "lancashire", "durham", "northamptonshire")
WEARS = ("grey", "fax", "jpeg")


@dataclass(frozen=True)
class PracticeScan:
    letter: str
    dpi: int
    wear: str
    seed: int
    angles: tuple[float, ...]  # the turn given to each page, degrees
    pages: tuple[Image.Image, ...]

    def pdf(self) -> bytes:
        """The scan as a forces' scanner sends it: a PDF of page images, no text."""
        out = io.BytesIO()
        first, *rest = self.pages
        first.save(out, "PDF", resolution=self.dpi, save_all=True, append_images=rest)
        return out.getvalue()

    def tiff(self) -> bytes:
        """The scan as a fax gateway sends it: a multi-page TIFF."""
        out = io.BytesIO()
        first, *rest = self.pages
        options = {"compression": "group4"} if first.mode == "1" else {"compression": "tiff_deflate"}
        first.save(out, "TIFF", dpi=(self.dpi, self.dpi), save_all=True, append_images=rest, **options)
        return out.getvalue()

    def png(self, page: int = 1) -> bytes:
        out = io.BytesIO()
        self.pages[page - 1].save(out, "PNG", dpi=(self.dpi, self.dpi))
        return out.getvalue()


def require_ocr() -> None:
    """OCR tests need Debian's tesseract-ocr and poppler-utils: skipped without them on a laptop's
    embedded run, a failure in CI and on the services run (which .ci/run gives them)."""
    if shutil.which("tesseract") and shutil.which("pdftoppm"):
        return
    import pytest

    if os.environ.get("CI") or (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
        pytest.fail("tesseract-ocr and poppler-utils are not installed: .ci/run installs them")
    pytest.skip("needs Debian's tesseract-ocr and poppler-utils (apt-get install tesseract-ocr poppler-utils)")


def render(pdf: Path, dpi: int) -> list[Image.Image]:
    done = subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", str(pdf)], capture_output=True, check=True)
    data, pages = done.stdout, []
    while data:  # pdftoppm writes one PGM after another
        image = Image.open(io.BytesIO(data))
        image.load()
        pages.append(image.convert("L"))
        header = data.split(b"\n", 3)
        width, height = map(int, header[1].split())
        data = data[len(b"\n".join(header[:3])) + 1 + width * height:]
    return pages


def worn(page: Image.Image, dpi: int, wear: str, rng: np.random.Generator) -> tuple[Image.Image, float]:
    angle = float(rng.uniform(-2.0, 2.0))
    page = page.rotate(angle, resample=Image.BICUBIC, fillcolor=255)
    grey = np.asarray(page.filter(ImageFilter.GaussianBlur(0.5 * dpi / 300)), dtype=np.float64)
    grey = 40 + grey * (235 - 40) / 255  # ink not quite black, paper not quite white
    grey += rng.normal(0, 8, grey.shape)
    specks = rng.integers(0, grey.size, size=int(grey.size * 0.0004))
    grey.flat[specks] = rng.uniform(60, 160, size=len(specks))
    if wear == "fax":
        grey += rng.normal(0, 20, grey.shape)
        return Image.fromarray(np.where(grey < 150, 0, 255).astype(np.uint8)).convert("1"), angle
    image = Image.fromarray(np.clip(grey, 0, 255).astype(np.uint8))
    if wear == "jpeg":
        out = io.BytesIO()
        image.save(out, "JPEG", quality=30)
        image = Image.open(io.BytesIO(out.getvalue())).convert("L")
    return image, angle


def unruled(page: Image.Image, dpi: int) -> Image.Image:
    """The page with its tables' rules painted out: figures in columns of white space."""
    from collection.scans.ink import runs

    ink = np.asarray(page) < 160
    rules = runs(ink, int(dpi * 0.3), across=True, fill=0.95) | runs(ink, int(dpi * 0.15), across=False, fill=0.95)
    grey = np.asarray(page).copy()
    grey[rules] = 255
    return Image.fromarray(grey)


@lru_cache(maxsize=64)
def practice_scan(letter: str, dpi: int, wear: str = "grey", seed: int = 0, ruled: bool = True) -> PracticeScan:
    rng = np.random.default_rng([seed, dpi, WEARS.index(wear), LETTERS.index(letter)])
    pages, angles = [], []
    for page in render(DOCUMENTS / f"{letter}.pdf", dpi):
        image, angle = worn(page if ruled else unruled(page, dpi), dpi, wear, rng)
        pages.append(image)
        angles.append(round(angle, 2))
    return PracticeScan(letter, dpi, wear, seed, tuple(angles), tuple(pages))


@lru_cache(maxsize=16)
def true_tables(letter: str) -> list[list[list[str | None]]]:
    """The letter's ruled tables as its text layer holds them, page by page: rows of cell text
    (None where a merged cell covers the place)."""
    import pdfplumber

    tables = []
    with pdfplumber.open(DOCUMENTS / f"{letter}.pdf") as pdf:
        for page in pdf.pages:
            for table in page.find_tables():
                tables.append([[None if c is None else " ".join(c.split()) for c in row] for row in table.extract()])
    return tables


@dataclass(frozen=True)
class Misread:
    letter: str
    place: str
    true: str
    read: str
    confidence: float
    role: str


@dataclass
class Accuracy:
    """How a reading of a practice scan compares with the letter's text, cell by cell."""

    counts: int = 0
    counts_exact: int = 0
    labels: int = 0
    labels_exact: int = 0
    misread: list = None  # Misread, and what could not be compared at all (a table of another shape)
    confidences: list[tuple[float, bool]] = None  # every count cell: (confidence, read exactly)

    def __post_init__(self):
        self.misread = self.misread or []
        self.confidences = self.confidences or []

    def add(self, other: Accuracy) -> None:
        self.counts += other.counts
        self.counts_exact += other.counts_exact
        self.labels += other.labels
        self.labels_exact += other.labels_exact
        self.misread += other.misread
        self.confidences += other.confidences

    @property
    def share(self) -> float:
        return self.counts_exact / self.counts if self.counts else 0.0

    def lowest_tenth(self) -> float:
        """The confidence under which the least sure tenth of the count cells lie."""
        ranked = sorted(c for c, _ in self.confidences)
        return ranked[max(0, len(ranked) // 10 - 1)] if ranked else 0.0


def compared(letter: str, tables, catalogue) -> Accuracy:
    """A reading's tables (collection.scans.ReadTable) against the letter's text layer."""
    from collection.importer.labels import CountProblem, parse_count
    from collection.scans.reading import COUNT, label_meaning

    def value(text):
        try:
            return parse_count(text or "")
        except CountProblem:
            return ("not a count", text)

    def same_label(read, true):
        meaning = label_meaning(true, catalogue)
        if meaning:
            return label_meaning(read, catalogue) == meaning
        return " ".join(read.split()).lower() == " ".join(true.split()).lower()

    out = Accuracy()
    truth = true_tables(letter)
    if len(tables) != len(truth):
        out.misread.append((letter, f"{len(tables)} tables found, {len(truth)} in the letter"))
    for n, (table, true) in enumerate(zip(tables, truth), start=1):
        if (table.n_rows, table.n_cols) != (len(true), len(true[0])):
            out.misread.append((letter, f"table {n} is {table.n_rows} by {table.n_cols}, "
                                        f"{len(true)} by {len(true[0])} in the letter"))
            out.counts += sum(1 for row in true[1:] for c in row[1:] if c is not None)
            continue
        for cell in table.cells:
            text = true[cell.row][cell.col]
            if text is None:
                continue
            if cell.role == COUNT:
                good = value(cell.text) == value(text)
                out.counts += 1
                out.counts_exact += good
                out.confidences.append((cell.confidence, good))
            else:
                good = same_label(cell.text, text)
                out.labels += 1
                out.labels_exact += good
            if not good:
                out.misread.append(Misread(letter, cell.place, text, cell.text, cell.confidence, cell.role))
    return out
