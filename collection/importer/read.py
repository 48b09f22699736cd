"""Stage 1, read: decide what the bytes are, then expose each sheet as a stream of rows.

The format comes from the file's magic bytes, not its name: forces rename files, and a
``.xlsx`` that is really a PDF or text must be refused rather than half-read.  Spreadsheets
go through python-calamine; CSV through the csv module after decoding (UTF-8 with or without
BOM, UTF-16 with BOM, else Windows-1252) and sniffing the delimiter.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from functools import partial
from itertools import chain, repeat
from typing import Callable, Iterator

from .documents import looks_like_html, read_docx, read_html, read_pdf, read_text
from .errors import ImportRefused
from .limits import ImportLimits, check_xlsx_dimensions, inspect_zip
from .text import decode_text, sniff_delimiter

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SPREADSHEET_EXTENSIONS = ("xlsx", "xlsm", "xls", "ods")


@dataclass
class SheetSource:
    """One sheet: its rows as lists of cell values, row 0 being spreadsheet row 1."""

    name: str
    rows: Iterator[list]
    height: int | None = None
    width: int | None = None
    col_offset: int = 0  # calamine drops leading empty columns; add this to get the real column
    # () -> cells holding a formula with no saved value, (row, col) 0-based, absolute; None: not xlsx
    formula_blanks: Callable[[], frozenset[tuple[int, int]]] | None = None
    sheet_noun: str = "sheet"  # a document's tables are named in full ("page 1, table 2")
    row_noun: str = "row"
    row_map: tuple[int, ...] | None = None
    title: str = ""  # a document's line just above the table ('Female victims')
    # the sheet declares more rows or columns than calamine gives: trailing cells read as blank
    trailing_blank: bool = False


@dataclass
class Workbook:
    file_format: str  # 'xlsx' | 'xls' | 'ods' | 'csv'
    sheet_names: list[str]
    hidden: set[str] = field(default_factory=set)
    encoding: str = ""
    _book: object = None
    _csv_rows: Iterator[list] | None = None
    _zip: zipfile.ZipFile | None = None
    filename: str = ""
    document: object = None  # documents.Document for pdf, docx, html and txt answers
    declared: dict = field(default_factory=dict)  # xlsx: {part name: (rows, columns)} from <dimension>

    def sheet(self, name: str) -> SheetSource:
        if self.file_format == "csv":
            return SheetSource(name="", rows=_refusing(self._csv_rows or [], self.filename))
        if self.document is not None:
            table = next(t for t in self.document.tables if t.name == name)
            width = max((len(r) for r in table.rows), default=0)
            return SheetSource(name=name, rows=iter(table.rows), height=len(table.rows), width=width,
                               sheet_noun="", title=table.title)
        try:
            sh = self._book.get_sheet_by_name(name)
        except Exception as exc:  # calamine raises its own error types
            raise ImportRefused(f"sheet could not be read ({exc})", filename=self.filename, sheet=name) from None
        start = sh.start
        col_offset = start[1] if start else 0
        height = (sh.end[0] + 1) if sh.end else 0
        blanks = None
        trailing = False
        if self.file_format == "xlsx" and self._zip:
            zf = self._zip
            blanks = lambda: _formula_blanks(zf, name)  # noqa: E731
            member = _sheet_member(zf, name)
            rows, cols = self.declared.get(member, (0, 0)) if member else (0, 0)
            end = sh.end or (-1, -1)
            trailing = rows > end[0] + 1 or cols > end[1] + 1
        return SheetSource(name=name, rows=sh.iter_rows(), height=height, width=sh.width,
                           col_offset=col_offset, formula_blanks=blanks, trailing_blank=trailing)


def _extension(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def detect_format(data: bytes, filename: str) -> str:
    """'zip' | 'xls' | 'csv' | 'pdf' | 'html' | 'txt' from magic bytes (and, for text, the name);
    refuse anything else."""
    if not data:
        raise ImportRefused("the file is empty; ask the force to send it again", filename=filename)
    head = data[:8]
    if data[:5] == b"%PDF-" or data[:1024].lstrip()[:5] == b"%PDF-":
        return "pdf"
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        return "zip"
    if head == OLE_MAGIC:
        return "xls"
    ext = _extension(filename)
    sample = data[:8192]
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        text_like = True
    else:
        text_like = b"\x00" not in sample and _mostly_text(sample)
    if not text_like:
        raise ImportRefused("the file is not a spreadsheet (unrecognised binary content)", filename=filename)
    low = sample.lower()
    if ext in ("html", "htm") or (ext not in SPREADSHEET_EXTENSIONS + ("csv",) and looks_like_html(data)):
        return "html"
    if ext == "txt":
        return "txt"
    if b"<html" in low or b"<table" in low or b"<?xml" in low[:100]:
        raise ImportRefused("the file is a web page or XML saved with a spreadsheet name, not a real spreadsheet; "
                            "open it in Excel and save it as .xlsx", filename=filename)
    if ext in SPREADSHEET_EXTENSIONS:
        raise ImportRefused(f"the file is named .{ext} but is plain text, not a spreadsheet; "
                            "if it is CSV, rename it to .csv", filename=filename)
    return "csv"


def _mostly_text(sample: bytes) -> bool:
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 13))
    return controls <= len(sample) // 100


def _document_workbook(doc, filename: str) -> Workbook:
    return Workbook(file_format=doc.file_format, sheet_names=[t.name for t in doc.tables], encoding=doc.encoding,
                    filename=filename, document=doc)


def open_workbook(data: bytes, filename: str, limits: ImportLimits, check_time=None) -> Workbook:
    kind = detect_format(data, filename)
    if kind == "csv":
        return _open_csv(data, filename)
    if kind == "pdf":
        return _document_workbook(read_pdf(data, filename, limits, check_time), filename)
    if kind == "html":
        return _document_workbook(read_html(data, filename, limits), filename)
    if kind == "txt":
        if len(data) > limits.max_text_bytes:
            raise ImportRefused(f"the text is {len(data) / 1048576:.1f} MB, more than the "
                                f"{limits.max_text_bytes / 1048576:.1f} MB limit; ask the force for the figures only",
                                filename=filename)
        text, encoding = decode_text(data)
        return _document_workbook(read_text(text, filename, limits, encoding), filename)
    zf = None
    declared: dict = {}
    if kind == "zip":
        zf = inspect_zip(data, filename, limits)
        names = set(zf.namelist())
        if "xl/workbook.xml" in names:
            kind = "xlsx"
            declared = check_xlsx_dimensions(zf, filename, limits)
        elif "xl/workbook.bin" in names:
            raise ImportRefused("binary Excel workbook (.xlsb) is not supported; save it as .xlsx", filename=filename)
        elif "content.xml" in names and _is_ods(zf):
            kind = "ods"
        elif "word/document.xml" in names:
            return _document_workbook(read_docx(data, filename, limits), filename)
        else:
            raise ImportRefused("the file is a zip archive but not a spreadsheet", filename=filename)
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        metas = book.sheets_metadata
    except Exception as exc:
        raise ImportRefused(f"the file could not be read as a {kind} spreadsheet ({exc}); "
                            "it may be damaged or password-protected", filename=filename) from None
    hidden = {m.name for m in metas if "Visible" not in str(m.visible)}
    worksheets = [m.name for m in metas if "WorkSheet" in str(m.typ) or "Work" in str(m.typ)]
    return Workbook(file_format=kind, sheet_names=worksheets or list(book.sheet_names), hidden=hidden,
                    _book=book, _zip=zf, filename=filename, declared=declared if kind == "xlsx" else {})


def _is_ods(zf: zipfile.ZipFile) -> bool:
    try:
        with zf.open("mimetype") as fh:
            return fh.read(100).startswith(b"application/vnd.oasis.opendocument.spreadsheet")
    except KeyError:
        return True  # content.xml without mimetype: let calamine decide
    except Exception:
        return False


# ---------------------------------------------------------------------------- CSV
def _open_csv(data: bytes, filename: str) -> Workbook:
    text, encoding = decode_text(data)
    first_nl = text.find("\n")
    first = text[: first_nl if first_nl >= 0 else len(text)].strip()
    m = re.match(r"^\"?sep=(.)\"?$", first)
    if m:
        delimiter, text = m.group(1), text[first_nl + 1:] if first_nl >= 0 else ""
        rows = split_rows(text, delimiter) or csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    else:
        delimiter = sniff_delimiter(text)
        # csv.reader over the bytes decoded as they are read: a StringIO would first copy the whole text.
        # Streamed, not listed.
        rows = split_rows(text, delimiter) or csv.reader(
            io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline=""), delimiter=delimiter)
    return Workbook(file_format="csv", sheet_names=[""], encoding=encoding, _csv_rows=rows, filename=filename)


# Where str.splitlines() ends a line and a csv file read with newline="" does not.
_SPLITLINES_ONLY = ("\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")
_PIECE = 1 << 20  # characters split into lines at once: a piece's rows are gone before the next is split


class CsvLineError(csv.Error):
    """csv.Error at a known line (1-based) of the text."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def _refusing(rows, filename: str) -> Iterator[list]:
    """The rows, with the csv module's error (a field past its limit) refused naming the file and line:
    a hostile or broken file gets an answer, not a crash. The line is the csv module's count of lines
    read (a quoted field can span lines)."""
    try:
        yield from rows
    except csv.Error as exc:
        line = getattr(exc, "line", None) or getattr(rows, "line_num", None) or None
        reason = str(exc)
        if reason.startswith("field larger than field limit"):
            reason = f"a field is longer than {csv.field_size_limit():,} characters"
        raise ImportRefused(f"the text could not be read as csv: {reason}", filename=filename, row=line,
                            row_noun="line") from None


def split_rows(text: str, delimiter: str) -> Iterator[list] | None:
    """The rows csv.reader gives for a text with no quote character, split in C; None when the text
    needs the csv module (a '"', a NUL, or a character splitlines() breaks at and the csv module does
    not).

    Without a quote, csv.reader ends a record at each line break (\\n, \\r\\n or \\r), gives [] for an empty
    line and splits the rest at every delimiter: exactly splitlines() and str.split. The text is split a
    piece at a time, each ending at a line break, so the rows stream as the csv module's do."""
    if '"' in text or "\x00" in text or any(c in text for c in _SPLITLINES_ONLY):
        return None
    return chain.from_iterable(map(partial(_split_piece, delimiter=delimiter), _pieces(text)))


def _pieces(text: str) -> Iterator[tuple[list[str], int]]:
    """The text's lines a piece at a time, with the number of lines before the piece."""
    start, before = 0, 0
    while start < len(text):
        end = text.find("\n", start + _PIECE)
        end = len(text) if end < 0 else end + 1
        lines = text[start:end].splitlines()
        yield lines, before
        before += len(lines)
        start = end


def _split_piece(piece: tuple[list[str], int], delimiter: str) -> Iterator[list]:
    lines, before = piece
    limit = csv.field_size_limit()
    if max(map(len, lines), default=0) > limit or "" in lines:
        return _split_lines(lines, before, delimiter, limit)
    return map(str.split, lines, repeat(delimiter))


def _split_lines(lines: list[str], before: int, delimiter: str, limit: int) -> Iterator[list]:
    """One row at a time where a line is empty or long: a field past the csv module's limit fails as it
    does there, at its row."""
    for at, line in enumerate(lines, before + 1):
        row = line.split(delimiter) if line else []
        if len(line) > limit and max(map(len, row)) > limit:
            raise CsvLineError(f"field larger than field limit ({limit})", at)
        yield row


# ---------------------------------------------------------------------------- xlsx formulas
_CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_REF_ATTR = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')
_SHEET = re.compile(rb"<sheet\b[^>]*>")
_ATTR = re.compile(rb'([\w:]+)="([^"]*)"')


def _sheet_member(zf: zipfile.ZipFile, sheet_name: str) -> str | None:
    try:
        wb = zf.read("xl/workbook.xml")
        rels = zf.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return None
    rid = None
    for tag in _SHEET.findall(wb):
        attrs = dict(_ATTR.findall(tag))
        name = attrs.get(b"name", b"").decode("utf-8", "replace")
        name = name.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'")
        if name == sheet_name:
            rid = attrs.get(b"r:id")
    if rid is None:
        return None
    for tag in re.findall(rb"<Relationship\b[^>]*>", rels):
        attrs = dict(_ATTR.findall(tag))
        if attrs.get(b"Id") == rid:
            target = attrs.get(b"Target", b"").decode()
            return target.lstrip("/") if target.startswith("/") else "xl/" + target
    return None


def _formula_blanks(zf: zipfile.ZipFile, sheet_name: str) -> frozenset[tuple[int, int]]:
    """Cells holding a formula but no saved value (calamine shows them as blank).

    Streams the sheet XML once looking for '<f'; only when formulas exist is it scanned cell
    by cell.  Excel always saves values, so this costs a fast byte search in the usual case.
    """
    from .errors import column_index

    member = _sheet_member(zf, sheet_name)
    if member is None:
        return frozenset()
    found = False
    try:
        with zf.open(member) as fh:
            tail = b""
            while True:
                chunk = fh.read(1 << 20)
                if not chunk:
                    break
                if b"<f" in tail + chunk[:2] or b"<f" in chunk:
                    found = True
                    break
                tail = chunk[-1:]
        if not found:
            return frozenset()
        xml = zf.read(member)
    except (KeyError, zipfile.BadZipFile, OSError, EOFError):
        return frozenset()
    out = set()
    for m in _CELL.finditer(xml):
        body = m.group(2) or b""
        if b"<f" not in body:
            continue
        vm = re.search(rb"<v>([^<]*)</v>", body)
        if vm and vm.group(1) != b"":
            continue
        rm = _REF_ATTR.search(m.group(1))
        if rm:
            out.add((int(rm.group(2)) - 1, column_index(rm.group(1).decode())))
    return frozenset(out)
