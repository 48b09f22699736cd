"""A stored return's sheets as a person sees them: pure functions over the importer's reader
(no Django here).

- `sheet_grid`: the first rows of a sheet as text, with the spreadsheet's own column letters and
  row numbers, for the page where a person clicks which column is the offence, the age, the count;
- `title_text`: the words in the first rows of every sheet, where forces put their name;
- `header_key` / `find_header`: "the same header" in another file, wherever its title rows put it.

Everything is read within the importer's limits (size, zip bombs, rows) and only the first rows
are looked at.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from itertools import islice

from ..importer import ImportLimits, ImportRefused
from ..importer.errors import column_letter
from ..importer.labels import norm_words
from ..importer.locate import HEADER_SCAN_ROWS
from ..importer.read import open_workbook

GRID_ROWS = 60
GRID_COLUMNS = 40


def cell_text(value: object) -> str:
    """A cell as the spreadsheet shows it: 13.0 is '13', a date is 2016-03-31, blank is ''."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()[:10] if not isinstance(value, dt.datetime) or not value.time() else value.isoformat(" ")
    return " ".join(str(value).split())


@dataclass
class SheetGrid:
    sheet_names: list[str]
    sheet: str  # '' for a CSV
    letters: list[str]  # the spreadsheet's column letters of the columns shown
    rows: list[list[str]]  # rows[0] is spreadsheet row 1
    more_rows: bool = False  # the sheet goes on below what is shown
    more_columns: bool = False
    notes: list[str] = field(default_factory=list)


def _sheets(wb, wanted: str | None) -> list[str]:
    names = [n for n in wb.sheet_names if n not in wb.hidden] or list(wb.sheet_names)
    if wanted and wanted in wb.sheet_names:
        return [wanted]
    return names


def sheet_grid(data: bytes, filename: str, limits: ImportLimits, sheet: str | None = None,
               max_rows: int = GRID_ROWS, max_columns: int = GRID_COLUMNS) -> SheetGrid:
    """The first rows of `sheet` (else the first visible sheet). Raises ImportRefused when the
    file cannot be opened at all (corrupt, password-protected, not a table)."""
    wb = open_workbook(data, filename, limits)
    names = _sheets(wb, sheet)
    if not names:
        raise ImportRefused("the file holds no sheet or table to show", filename=filename)
    name = names[0]
    src = wb.sheet(name)
    raw = list(islice(src.rows, max_rows + 1))
    more_rows = len(raw) > max_rows
    raw = raw[:max_rows]
    width = max((len(r) for r in raw), default=0)
    while width and all(len(r) < width or r[width - 1] in (None, "") for r in raw):
        width -= 1  # trailing empty columns
    shown = min(width, max_columns)
    rows = [[cell_text(r[i]) if i < len(r) else "" for i in range(shown)] for r in raw]
    letters = [column_letter(i + src.col_offset) for i in range(shown)]
    return SheetGrid(sheet_names=list(wb.sheet_names) if wb.file_format != "csv" else [], sheet=name or "",
                     letters=letters, rows=rows, more_rows=more_rows, more_columns=width > shown)


def title_text(data: bytes, filename: str, limits: ImportLimits, rows: int = 6, sheets: int = 3) -> str:
    """The words in the first rows of the first sheets (where a force puts its name); '' when the
    file cannot be read (the importer will say why when it is read for real)."""
    try:
        wb = open_workbook(data, filename, limits)
        texts = []
        for name in _sheets(wb, None)[:sheets]:
            for row in islice(wb.sheet(name).rows, rows):
                texts += [cell_text(c) for c in row if isinstance(c, str) and c.strip()]
        return " | ".join(texts)[:5000]
    except (ImportRefused, ValueError, OSError):
        return ""


def header_key(cells: list) -> tuple[str, ...]:
    """A header row compared by its words: case, spacing and punctuation ignored, trailing blanks dropped."""
    key = [norm_words(cell_text(c)) for c in cells]
    while key and not key[-1]:
        key.pop()
    return tuple(key)


def header_at(data: bytes, filename: str, limits: ImportLimits, sheet: str | None, row: int) -> tuple[str, ...]:
    """The key of row `row` (1-based) of `sheet`."""
    wb = open_workbook(data, filename, limits)
    names = _sheets(wb, sheet)
    rows = list(islice(wb.sheet(names[0]).rows, row))
    return header_key(rows[row - 1]) if len(rows) >= row else ()


def find_header(data: bytes, filename: str, limits: ImportLimits, key: tuple[str, ...]) -> tuple[str, int] | None:
    """(sheet, 1-based row) of the first row in the first rows of any sheet whose key is `key`."""
    if sum(1 for k in key if k) < 2:
        return None  # one heading is not "the same header"
    try:
        wb = open_workbook(data, filename, limits)
        for name in _sheets(wb, None):
            for i, row in enumerate(islice(wb.sheet(name).rows, HEADER_SCAN_ROWS)):
                if header_key(row) == key:
                    return name or "", i + 1
    except (ImportRefused, ValueError, OSError):
        return None
    return None


# --- A count's place in its file, shown -----------------------------------------------------------

_PLACE = re.compile(r"^(?:typed by .+? from .+?: )?(?:(?:sheet )?(?P<sheet>.+?), )??"
                    r"(?:row|line) (?P<row>\d+)(?:, column (?P<column>[A-Z]+)\b)?")


def parse_place(place: str) -> tuple[str | None, int | None, str | None]:
    """(sheet or document table, row, column letter) of a count's place in its file
    ("sheet Data, row 12, column D ('13')" -> ('Data', 12, 'D')); Nones for what it does not say."""
    m = _PLACE.match(place or "")
    if not m:
        return None, None, None
    return m.group("sheet"), int(m.group("row")), m.group("column")


@dataclass
class CellView:
    """The rows around a cell, as the spreadsheet shows them, and which one is the cell."""
    sheet: str
    letters: list[str]
    rows: list[tuple[int, list[str]]]  # (spreadsheet row number, cells)
    row: int
    column_index: int | None  # of `letters`; None when the place names no column


def cell_view(data: bytes, filename: str, limits: ImportLimits, sheet: str | None, row: int, column: str | None,
              around: int = 6, max_columns: int = GRID_COLUMNS) -> CellView:
    """Rows `row - around` to `row + around` of the sheet (or document table) the place names, the
    cell's row and column marked. Raises ImportRefused when the file cannot be opened."""
    wb = open_workbook(data, filename, limits)
    names = _sheets(wb, sheet)
    if not names:
        raise ImportRefused("the file holds no sheet or table to show", filename=filename)
    src = wb.sheet(names[0])
    first = max(row - around, 1)
    raw = list(islice(src.rows, first - 1, row + around))
    width = min(max((len(r) for r in raw), default=0), max_columns)
    letters = [column_letter(i + src.col_offset) for i in range(width)]
    rows = [(first + i, [cell_text(r[j]) if j < len(r) else "" for j in range(width)]) for i, r in enumerate(raw)]
    index = letters.index(column) if column in letters else None
    return CellView(sheet=names[0] or "", letters=letters, rows=rows, row=row, column_index=index)
