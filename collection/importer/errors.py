"""The one exception the importer raises, and helpers to name places in a sheet.

A refusal is not a crash: it is a question for the researcher (or for the force), so its
message is a single line that says *where* (file, sheet, row as the spreadsheet shows it,
column letter) and *why*, in words a researcher can act on.
"""
from __future__ import annotations

import re
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
                 row: int | None = None, column: str | None = None, sheet_noun: str = "sheet",
                 row_noun: str = "row") -> None:
        self.reason = reason
        self.filename = filename
        self.sheet = sheet or None
        self.row = row
        self.column = column
        # a document's tables are named "page 2, table 1" and a text answer's rows are its lines
        self.sheet_noun = sheet_noun
        self.row_noun = row_noun
        super().__init__(self._message())

    def _message(self) -> str:
        where = []
        if self.filename:
            where.append(self.filename)
        if self.sheet:
            where.append(f"{self.sheet_noun} {self.sheet}" if self.sheet_noun else self.sheet)
        place = []
        if self.row is not None:
            place.append(f"{self.row_noun} {self.row}")
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
    sheet_noun: str = "sheet"
    row_noun: str = "row"
    row_map: tuple[int, ...] | None = None  # row number as read -> the number the person sees (a line)
    row_offset: int = 0  # a table stacked below another is read from its own first row

    def col(self, index: int, header: object = None) -> str:
        """Name a column of the row lists: letter, plus its header text when known."""
        letter = column_letter(index + self.col_offset)
        if header not in (None, ""):
            if isinstance(header, float) and header.is_integer():
                header = int(header)
            return f"{letter} ('{str(header).strip()}')"
        return letter

    def row_number(self, row: int) -> int:
        row += self.row_offset
        if self.row_map is not None and 0 < row <= len(self.row_map):
            return self.row_map[row - 1]
        return row

    def place(self, row: int | None = None, column: str | None = None) -> str:
        """'sheet Data, row 4, column B' (for warnings), without the file name."""
        parts = []
        if self.sheet:
            parts.append(f"{self.sheet_noun} {self.sheet}" if self.sheet_noun else self.sheet)
        if row is not None:
            parts.append(f"{self.row_noun} {self.row_number(row)}")
        if column:
            parts.append(f"column {column}")
        return ", ".join(parts)

    def refuse(self, reason: str, *, row: int | None = None, column: str | None = None) -> ImportRefused:
        if self.row_map is not None:
            column = None  # a text answer has lines, not columns
        return ImportRefused(reason, filename=self.filename, sheet=self.sheet,
                             row=None if row is None else self.row_number(row), column=column,
                             sheet_noun=self.sheet_noun, row_noun=self.row_noun)


# What the importer says of a file it cannot open at all (scanned, encrypted, damaged, not a table):
# no place in it can be pointed at, so nobody is asked to say where its table is.
_UNREADABLE = re.compile(r"password protected|no text layer|no text at all|damaged|could not be read as a|"
                         r"is not a spreadsheet|is empty|zip archive but not|\.xlsb|not a real spreadsheet|"
                         r"is plain text, not a spreadsheet", re.I)


def cannot_be_opened(reason: str) -> bool:
    """Whether a refusal says the file could not be opened at all (not: its table was not found)."""
    return bool(reason) and bool(_UNREADABLE.search(reason))
