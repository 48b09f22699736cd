"""Reading the tables of scanned pages, cell by cell, each value with how sure the reading is.

Tesseract reads digits well one cell at a time and poorly a page at a time, and its errors look
plausible (a 1 read as a 4, with high confidence). So each cell of figures is cropped, cleaned of
specks and rule ends, and read with only the characters a count may hold, two ways (FIRST_LOOKS),
and two more (SECOND_LOOKS) when those disagree: a value the readings agree on, holding as many
characters as the cell holds marks, is trusted as far as Tesseract trusts it; one they disagree on
is not. A cell with no ink is blank and a lone short stroke is a dash (nil) without asking
Tesseract. Headings and row labels are read with letters too, and as codes where those disagree.

Nothing here decides a figure: what comes out is what the typed-entry grid is filled with, for a
person to confirm cell by cell.
"""
from __future__ import annotations

import base64
import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageFilter, ImageOps

from ..importer.catalogue import OffenceCatalogue
from ..importer.labels import NOT_AGE, header_role, is_total_label, parse_age, parse_sex
from . import cells as ink_cells
from .aligned import aligned_grids
from .grid import Box, Grid, GridCell, find_grids
from .ink import straightened
from .tesseract import Job, Tesseract, Word

HEADING = "heading"
LABEL = "label"
COUNT = "count"

#: What a cell of figures may hold: digits and the marks forces use for suppressed small numbers.
COUNT_CHARACTERS = "0123456789*<x"
#: What a heading or a row label may hold: ages, bands, offence codes and descriptions.
LABEL_CHARACTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 -()/&,.'<>*:+"
#: An offence code or an age: no lower-case letter, so 86 cannot come back as 'a6'.
CODE_CHARACTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-/ "

#: How a cell of figures is shown to Tesseract: its grey crop, or its cleaned ink redrawn (softened
#: by a blur of so many pixels), scaled so that a digit is so many pixels high. Tesseract's reading
#: of a lone digit changes with the size and the drawing; readings that agree are trusted. A cell is
#: read the first two ways, and the other two only when those disagree.
FIRST_LOOKS = (("grey", 17, 0.0), ("ink", 20, 1.0))
SECOND_LOOKS = (("ink", 20, 0.0), ("ink", 28, 1.2))
LABEL_HEIGHT = 28
CODE_HEIGHT = 20
#: A label reading Tesseract itself gives less than this (of 100) is no reading at all.
JUNK = 10
CROP_HEIGHT = 32  # the crop shown beside a value, in CSS pixels


@dataclass
class ReadCell:
    row: int
    col: int
    rowspan: int
    colspan: int
    box: Box
    role: str
    text: str = ""
    confidence: float = 0.0
    note: str = ""
    crop: str = ""  # a data: URI of the cell's image, to show beside the value
    page: int = 0
    place: str = ""  # where in the scan: "page 1, table 1, row 3, column 5"


@dataclass
class ReadTable:
    page: int
    n_rows: int
    n_cols: int
    header_rows: int
    label_cols: list[int]
    cells: list[ReadCell] = field(default_factory=list)
    ruled: bool = True

    def rows(self) -> list[list[ReadCell | None]]:
        """The table as a sheet shows it: a merged cell at each row it spans down, in its first
        column only across."""
        out: list[list[ReadCell | None]] = [[None] * self.n_cols for _ in range(self.n_rows)]
        for c in self.cells:
            for r in range(c.row, c.row + c.rowspan):
                out[r][c.col] = c
        return out


@dataclass
class PageRead:
    tables: list[ReadTable] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class _Cell:
    """A grid cell on its way to being read: its ink, cleaned, and what it looks like."""

    grid: GridCell
    grey: np.ndarray
    mask: np.ndarray
    kind: str
    marks: int  # separate blobs of ink: about the number of characters


@dataclass(frozen=True)
class Reader:
    """How cells are read: the engine, what a label may mean (to choose between readings), and
    when to stop."""

    engine: Tesseract
    meaning: Callable[[str], str | None] = field(default=lambda text: label_meaning(text))
    deadline: float | None = None


def label_meaning(text: str, catalogue: OffenceCatalogue | None = None) -> str | None:
    """What a heading or row label says, as a key two readings can agree on ('age:13', 'offence:88A',
    'total'), or None when it is none of the things a table of these figures is labelled with."""
    text = " ".join(text.split())
    if not text:
        return None
    if is_total_label(text):
        return "total"
    age = parse_age(text)
    if isinstance(age, tuple):
        return f"age:{age[0]}-{age[1]}"
    sex = parse_sex(text)
    if sex:
        return f"sex:{sex}"
    entry = catalogue.resolve(text) if catalogue is not None else None
    if entry is not None:
        return f"offence:{entry.code}"
    role = header_role(text)
    return f"heading:{role}" if role else None


def read_page(image: Image.Image, dpi: int, number: int, reader: Reader) -> PageRead:
    """The ruled tables of one page image, every cell read."""
    page, ink, _ = straightened(image)
    grey = np.asarray(page)
    read = PageRead()
    grids = find_grids(ink, dpi) or aligned_grids(ink, dpi)
    if not grids:
        read.problems.append(f"page {number}: no table found (no ruled lines, no columns of figures)")
        return read
    for n, grid in enumerate(grids, start=1):
        table = read_grid(grid, grey, ink, dpi, number, reader)
        table.ruled = grid.ruled
        for cell in table.cells:
            cell.place = f"page {number}, table {n}, row {cell.row + 1}, column {cell.col + 1}"
        read.tables.append(table)
        marked = [c for c in table.cells if c.role == COUNT and (c.note or c.text not in ("", "-"))]
        unread = [c for c in marked if c.note or c.confidence < 0.2]
        if marked and len(unread) > 0.3 * len(marked):
            read.problems.append(f"page {number}, table {n}: {len(unread)} of its {len(marked)} figures could not be "
                                 "read (handwriting, or marks that are not printed figures?): type them")
    return read


def _header_rows(grid: Grid) -> int:
    """Row 0 holds the headings, with every row a heading merged down from it reaches, and the row
    under a banner merged across columns ('Victim age (years)' over the ages); a first row that is
    one cell across the whole table is a title, and the row under it holds the headings."""
    first = [c for c in grid.cells if c.row == 0]
    rows = 2 if len(first) == 1 and first[0].colspan == grid.n_cols and grid.n_rows > 2 else 1
    while rows < grid.n_rows - 1:
        below = max(c.row + c.rowspan for c in grid.cells if c.row < rows)
        banner = any(c.colspan > 1 for c in grid.cells if c.row == rows - 1 and c.col > 0)
        reach = max(below, rows + 1 if banner else rows)
        if reach == rows:
            break
        rows = reach
    return min(rows, grid.n_rows - 1)


def _prepared(grid: Grid, grey: np.ndarray, ink: np.ndarray, dpi: int) -> list[_Cell]:
    inset = max(1, int(dpi * 0.012))
    edge = max(1, int(dpi * 0.012))
    min_area = int((dpi * 0.012) ** 2) + 4
    stroke = max(1, int(dpi / 200))
    out = []
    for gc in grid.cells:
        b = gc.box
        y0, y1, x0, x1 = b.y0 + inset, max(b.y0 + inset + 1, b.y1 - inset), b.x0 + inset, max(b.x0 + inset + 1,
                                                                                               b.x1 - inset)
        raw = ink[y0:y1, x0:x1]
        mask, marks = ink_cells.clean(raw, min_area, stroke, edge)
        crop = grey[y0:y1, x0:x1].copy()
        crop[raw & ~mask] = 255  # specks and rule ends out of what is read
        out.append(_Cell(gc, crop, mask, ink_cells.MARKS if marks else ink_cells.BLANK, marks))
    return out


def _text_height(prepared: list[_Cell], grid: Grid) -> float:
    """How tall a figure is in this table: the usual height of cells' ink, leaving out dashes."""
    row_height = float(np.median(np.diff(grid.rows)))
    heights = []
    for c in prepared:
        box = ink_cells.content_box(c.mask)
        if box and box[2] - box[0] >= 0.25 * row_height:
            heights.append(box[2] - box[0])
    return float(np.median(heights)) if heights else row_height * 0.45


def read_grid(grid: Grid, grey: np.ndarray, ink: np.ndarray, dpi: int, page: int, reader: Reader) -> ReadTable:
    prepared = _prepared(grid, grey, ink, dpi)
    height = _text_height(prepared, grid)
    for c in prepared:
        if c.kind == ink_cells.MARKS:
            c.kind = ink_cells.kind_of(c.mask, c.marks, height)
    header_rows = _header_rows(grid)
    table = ReadTable(page, grid.n_rows, grid.n_cols, header_rows, [0])
    first = _Labels([c for c in prepared if c.grid.row < header_rows or c.grid.col == 0], height)
    rest = _Counts([c for c in prepared if not (c.grid.row < header_rows or c.grid.col == 0)], height)
    # A first look at the labels, headings and figures side by side; then a second look at those
    # the first did not agree on, with any column of labels beside the first (an age column).
    words = reader.engine.read_all(first.first_jobs() + rest.first_jobs(), reader.deadline)
    first.first_read(words[:4], reader.meaning)
    rest.first_read(words[4:])
    table.label_cols = _label_columns(grid, header_rows, first.read([], reader.meaning))
    more = _Labels([c for c in rest.cells if c.grid.col in table.label_cols[1:]], height)
    more.again = list(more.short)
    jobs = first.second_jobs() + more.first_jobs() + more.second_jobs() + rest.second_jobs(skip=set(_keys(more.cells)))
    words = reader.engine.read_all(jobs, reader.deadline)
    read = first.read(words[:2], reader.meaning)
    if more.cells:
        more.first_read(words[2:6], reader.meaning)
        more.again = list(more.short)
        read.update(more.read(words[6:8], reader.meaning))
    counts = rest.read(words[8:])
    read.update({k: v for k, v in counts.items() if k not in read})
    labels = {(c.grid.row, c.grid.col) for c in first.cells + more.cells}
    for c in prepared:
        g = c.grid
        role = HEADING if g.row < header_rows else (LABEL if (g.row, g.col) in labels else COUNT)
        text, confidence, note = read[(g.row, g.col)]
        table.cells.append(ReadCell(g.row, g.col, g.rowspan, g.colspan, g.box, role, text, confidence, note,
                                    crop_uri(grey, g.box, dpi), page))
    return table


def _label_columns(grid: Grid, header_rows: int, read: dict) -> list[int]:
    """The first column, and any other whose heading names what its cells are (an age, an offence,
    a sex) rather than being one itself (13, 0-5, Unknown, Total, 88A): those hold figures. A
    column's heading is the one nearest its cells (under any banner)."""
    columns = [0]
    for j in range(1, grid.n_cols):
        covering = [c for c in grid.cells if c.row < header_rows and c.col <= j < c.col + c.colspan]
        nearest = max(covering, key=lambda c: c.row + c.rowspan, default=None)
        heading = read.get((nearest.row, nearest.col), ("",))[0] if nearest else ""
        if not heading or parse_age(heading) is not NOT_AGE or is_total_label(heading):
            continue
        if header_role(heading) in ("offence_code", "offence_desc", "age", "sex", "ignore", "year", "date"):
            columns.append(j)
    return columns


def _scaled(c: _Cell, height: float, target: int, margin: int, drawing: str = "grey", blur: float = 0.0
            ) -> Image.Image | None:
    """The cell's content, cropped close and scaled so that a line of its text is `target` pixels
    high: its grey pixels, or its cleaned ink redrawn black on white (softened by `blur`)."""
    box = ink_cells.content_box(c.mask)
    if box is None:
        return None
    y0, x0, y1, x1 = box
    pad = max(1, int(height * 0.1))
    area = (slice(max(0, y0 - pad), y1 + pad), slice(max(0, x0 - pad), x1 + pad))
    if drawing == "grey":
        image = Image.fromarray(c.grey[area])
    else:
        image = Image.fromarray(np.where(c.mask[area], 0, 255).astype(np.uint8))
        if blur:
            image = image.filter(ImageFilter.GaussianBlur(blur))
    scale = target / height
    image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.LANCZOS)
    return ImageOps.expand(image, border=margin, fill=255)


def _lines(c: _Cell, height: float) -> int:
    """How many lines of text the cell holds (a long description wraps)."""
    rows = np.nonzero(c.mask.any(axis=1))[0]
    if len(rows) == 0:
        return 0
    return 1 + int(np.count_nonzero(np.diff(rows) > max(2, 0.2 * height)))


def _thinned(image: Image.Image) -> Image.Image:
    """Strokes made thinner (bold headings, a blurred scan): Tesseract reads thick digits badly."""
    big = image.resize((image.width * 2, image.height * 2), Image.LANCZOS).filter(ImageFilter.MaxFilter(5))
    return big.resize(image.size, Image.LANCZOS)


class _Labels:
    """Headings and row labels. A short one (an age, a band, an offence code, a word) is read with
    letters, as printed and with its strokes thinned; when the two do not agree on what it means,
    twice more with capitals and digits only, at two sizes (an offence code or an age holds no
    lower-case letter). A long one (a description) is read once, a wrapped one as a block. The
    reading kept is the one whose meaning the readings agree on most."""

    SHORT = 6  # marks: more than this is a description
    SURE = 60  # what Tesseract gives two agreeing readings for them to need no more

    def __init__(self, cells: list[_Cell], height: float):
        self.cells, self.height = cells, height
        self.images = [_scaled(c, height, LABEL_HEIGHT, 12) for c in cells]
        lines = [_lines(c, height) for c in cells]
        self.short = [i for i, c in enumerate(cells) if self.images[i] and lines[i] <= 1 and c.marks <= self.SHORT]
        self.long = [i for i, c in enumerate(cells) if self.images[i] and lines[i] <= 1 and c.marks > self.SHORT]
        self.block = [i for i, c in enumerate(cells) if self.images[i] and lines[i] > 1]
        self.thin = {i: _thinned(self.images[i]) for i in self.short}
        self.reads: dict[int, list[tuple[str, float]]] = {}
        self.again: list[int] = []

    def first_jobs(self) -> list[Job]:
        return [Job([self.images[i] for i in self.short], 7, LABEL_CHARACTERS),
                Job([self.thin[i] for i in self.short], 7, LABEL_CHARACTERS),
                Job([self.images[i] for i in self.long], 7, LABEL_CHARACTERS),
                Job([self.images[i] for i in self.block], 6, LABEL_CHARACTERS)]

    def first_read(self, words: list[list[list[Word]]], meaning) -> None:
        for n, i in enumerate(self.short):
            self.reads[i] = [_joined(words[0][n], " "), _joined(words[1][n], " ")]
        for job, indexes in ((2, self.long), (3, self.block)):
            for n, i in enumerate(indexes):
                self.reads[i] = [_joined(words[job][n], " ")]
        self.again = [i for i in self.short if not self._agreed(self.reads[i], meaning)]

    def _agreed(self, reads: list[tuple[str, float]], meaning) -> bool:
        meanings = {meaning(" ".join(t.split())) for t, _ in reads}
        return len(meanings) == 1 and None not in meanings and min(c for _, c in reads) >= self.SURE

    def second_jobs(self) -> list[Job]:
        small = [_thinned(_scaled(self.cells[i], self.height, CODE_HEIGHT, 10)) for i in self.again]
        return [Job([self.thin[i] for i in self.again], 7, CODE_CHARACTERS), Job(small, 7, CODE_CHARACTERS)]

    def read(self, words: list[list[list[Word]]], meaning) -> dict:
        for n, i in enumerate(self.again):
            self.reads[i] += [_joined(words[0][n], " "), _joined(words[1][n], " ")] if words else []
        keys = _keys(self.cells)
        out = {key: ("", 0.99, "") for key in keys}
        for i, reads in self.reads.items():
            out[keys[i]] = chosen_label(reads, meaning)
        return out


class _Counts:
    """Cells of figures: blank and dashes seen, the rest read in the FIRST_LOOKS, and the SECOND_LOOKS
    too where the first two readings differ."""

    def __init__(self, cells: list[_Cell], height: float):
        self.cells = cells
        self.height = height
        self.todo = [i for i, c in enumerate(cells) if c.kind == ink_cells.MARKS]
        self.reads: dict[int, list[tuple[str, float]]] = {}
        self.again: list[int] = []

    def _jobs(self, indexes: list[int], looks) -> list[Job]:
        return [Job([_scaled(self.cells[i], self.height, target, 10, drawing, blur) for i in indexes], 7,
                    COUNT_CHARACTERS) for drawing, target, blur in looks]

    def first_jobs(self) -> list[Job]:
        return self._jobs(self.todo, FIRST_LOOKS)

    def first_read(self, words: list[list[list[Word]]]) -> None:
        for n, i in enumerate(self.todo):
            self.reads[i] = [_joined(words[k][n], "") for k in range(len(FIRST_LOOKS))]
        self.again = [i for i in self.todo if not self.reads[i][0][0] or self.reads[i][0][0] != self.reads[i][1][0]]

    def second_jobs(self, skip: set) -> list[Job]:
        keys = _keys(self.cells)
        self.again = [i for i in self.again if keys[i] not in skip]
        return self._jobs(self.again, SECOND_LOOKS)

    def read(self, words: list[list[list[Word]]]) -> dict:
        keys = _keys(self.cells)
        out = {key: ("-", 0.97, "") if c.kind == ink_cells.DASH else ("", 0.99, "") for key, c in zip(keys, self.cells)}
        for n, i in enumerate(self.again):
            self.reads[i] += [_joined(words[k][n], "") for k in range(len(SECOND_LOOKS))] if words else []
        for i in self.todo:
            out[keys[i]] = agreed(self.reads[i], self.cells[i].marks)
        return out


def _keys(cells: list[_Cell]) -> list[tuple[int, int]]:
    return [(c.grid.row, c.grid.col) for c in cells]


def _joined(words: list[Word], between: str) -> tuple[str, float]:
    if not words:
        return "", 0.0
    return between.join(w.text for w in words), min(w.confidence for w in words)


def agreed(reads: list[tuple[str, float]], marks: int) -> tuple[str, float, str]:
    """One value from a cell's readings: the text with the most of Tesseract's confidence behind
    it, trusted as far as all the readings back it (one that disagrees or reads nothing backs it not
    at all), and half as far when it does not hold as many characters as the cell holds separate
    marks (a 1 read as '41')."""
    backing: Counter = Counter()
    for text, confidence in reads:
        if text:
            backing[text] += confidence + 1
    if not backing:
        return "", 0.0, "could not be read"
    best = max(backing, key=lambda t: backing[t])
    trust = backing[best] / 101 / len(reads)
    if len(best) != marks:
        trust *= 0.5
    return best, round(max(0.0, min(1.0, trust)), 3), ""


def chosen_label(reads: list[tuple[str, float]], meaning: Callable[[str], str | None]) -> tuple[str, float, str]:
    """One label from its readings: the meaning (an age, an offence, a heading word) with the most
    of Tesseract's confidence behind it, in the words of the first reading that has it (the one read
    with letters); trusted as far as the readings that read anything back it."""
    reads = [(" ".join(t.split()), c) for t, c in reads]
    real = [(t, c) for t, c in reads if t and c >= JUNK]
    if not real:
        return "", 0.0, "could not be read"
    backing: Counter = Counter()
    for text, confidence in real:
        key = meaning(text)
        if key:
            backing[key] += confidence
    if not backing:
        text, confidence = max(real, key=lambda tc: tc[1])
        return text, round(0.5 * confidence / 100, 3), "not an age, an offence or a heading this reader knows"
    best = max(backing, key=lambda m: backing[m])
    text = next(t for t, _ in real if meaning(t) == best)
    return text, round(max(0.0, min(1.0, backing[best] / 100 / len(real))), 3), ""


def crop_uri(grey: np.ndarray, box: Box, dpi: int) -> str:
    """The cell's image as a small PNG data URI, about as tall as a line of the grid."""
    pad = max(1, int(dpi * 0.01))
    crop = grey[max(0, box.y0 - pad):box.y1 + pad, max(0, box.x0 - pad):box.x1 + pad]
    if crop.size == 0:
        return ""
    image = Image.fromarray(crop)
    scale = min(1.0, CROP_HEIGHT * 2 / max(1, image.height))  # twice the CSS size: sharp on a fine screen
    image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.BILINEAR)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=3)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
