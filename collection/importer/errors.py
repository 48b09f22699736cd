"""The one exception the importer raises, and helpers to name places in a sheet.

A refusal is not a crash: it is a question for the researcher (or for the force), so its
message is a single line that says *where* (file, sheet, row as the spreadsheet shows it,
column letter) and *why*, in words a researcher can act on.
"""
from __future__ import annotations

from dataclasses import dataclass


def column_letter(index: int) -> str:
    """0-based column index -> spreadsheet letters (0 -> 'A', 27 -> 'AB')."""
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str) -> int:
    """Spreadsheet letters -> 0-based index ('A' -> 0)."""
    n = 0
    for ch in letters.strip().upper():
        if not "A" <= ch <= "Z":
            raise ValueError(f"not a column letter: {letters!r}")
        n = n * 26 + (ord(ch) - 64)
    return n - 1


class ImportRefused(Exception):
    """The return cannot be imported as it stands; the message says where and why.

    Attributes may be None when they do not apply (a CSV has no sheet; a file-level
    problem has no row).
    """

    def __init__(self, reason: str, *, filename: str | None = None, sheet: str | None = None,
                 row: int | None = None, column: str | None = None) -> None:
        self.reason = reason
        self.filename = filename
        self.sheet = sheet or None
        self.row = row
        self.column = column
        super().__init__(self._message())

    def _message(self) -> str:
        where = []
        if self.filename:
            where.append(self.filename)
        if self.sheet:
            where.append(f"sheet {self.sheet}")
        place = []
        if self.row is not None:
            place.append(f"row {self.row}")
        if self.column:
            place.append(f"column {self.column}")
        if place:
            where.append(", ".join(place))
        text = " ".join(self.reason.split())  # always one line
        return f"{', '.join(where)}: {text}" if where else text

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self._message()


@dataclass(frozen=True)
class Where:
    """The file and sheet being read, so deep code can refuse with a full address."""

    filename: str
    sheet: str | None = None
    col_offset: int = 0

    def col(self, index: int, header: object = None) -> str:
        """Name a column of the row lists: letter, plus its header text when known."""
        letter = column_letter(index + self.col_offset)
        if header not in (None, ""):
            if isinstance(header, float) and header.is_integer():
                header = int(header)
            return f"{letter} ('{str(header).strip()}')"
        return letter

    def refuse(self, reason: str, *, row: int | None = None, column: str | None = None) -> ImportRefused:
        return ImportRefused(reason, filename=self.filename, sheet=self.sheet, row=row, column=column)
