"""Stage 1 for answers that are not spreadsheets: PDF letters, Word letters, HTML e-mail bodies, text.

Each document becomes a list of tables (rows of cell text, like a sheet) plus the lines of text
outside them; the rest of the pipeline (locate, layout, labels, validate, tidy) is the one the
spreadsheets use.  A merged cell is read the way a spreadsheet shows it: its text in its first
column only (a banner across), and repeated down the rows it spans (a header or label merged down),
so a two-row header reads as one.

Limits are checked before the heavy parse: the PDF's page count from its page tree, the Word
part's inflated size from the zip directory, the HTML or text body's length.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from .errors import ImportRefused
from .labels import CountProblem, is_blank, parse_count
from .limits import ImportLimits, inspect_zip
from .text import sniff_delimiter


@dataclass
class DocTable:
    name: str  # "page 1, table 1", "pages 1-2, table 1", "table 2"
    rows: list[list]
    title: str = ""  # the line of text just above it, when known ('Male victims')


@dataclass
class Document:
    file_format: str  # 'pdf' | 'docx' | 'html' | 'txt'
    tables: list[DocTable] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # text outside the tables, one entry per line
    lines_name: str = "text"
    # PDF pages without ruled tables, read as tables by the alignment of their words: tried only
    # when neither the ruled tables nor the lines of text hold figures
    aligned_tables: list[DocTable] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    encoding: str = ""


def _cell_text(value: object) -> str:
    return "" if value is None else " ".join(str(value).replace("\u00a0", " ").split())


def _refuse_too_many_tables(filename: str, limits: ImportLimits) -> ImportRefused:
    return ImportRefused(f"the document holds more than {limits.max_tables:,} tables, over the limit; "
                         "ask the force for the figures only", filename=filename)


# ---------------------------------------------------------------------------- PDF
def read_pdf(data: bytes, filename: str, limits: ImportLimits, check_time=None) -> Document:
    pdf = _open_pdf(data, filename)
    pages = _PdfPages(filename, limits)
    with pdf:
        _check_declared_pages(pdf, filename, limits)
        try:
            for number, page in enumerate(pdf.pages, start=1):
                if number > limits.max_pdf_pages:
                    raise ImportRefused(f"the PDF has more than {limits.max_pdf_pages:,} pages, over the limit; "
                                        "ask the force for the figures only", filename=filename)
                if check_time is not None:
                    check_time()
                pages.read(number, page)
        except ImportRefused:
            raise
        except Exception as exc:
            raise ImportRefused(f"the PDF is damaged and cannot be read ({type(exc).__name__}: {exc}); "
                                "ask the force to send it again", filename=filename) from None
    return pages.document()


def _open_pdf(data: bytes, filename: str):
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfplumber.utils.exceptions import PdfminerException

    try:
        return pdfplumber.open(io.BytesIO(data))
    except PdfminerException as exc:
        cause = exc.args[0] if exc.args else exc
        if isinstance(cause, (PDFPasswordIncorrect, PDFEncryptionError)):
            raise ImportRefused("the PDF is password protected (encrypted) and cannot be read without the "
                                "password; ask the force for an unprotected copy, or enter the figures by hand",
                                filename=filename) from None
        raise ImportRefused(f"the PDF is damaged or truncated and cannot be read ({cause or 'no pages'}); "
                            "ask the force to send it again", filename=filename) from None
    except Exception as exc:  # pdfminer raises many kinds of errors on a broken file
        raise ImportRefused(f"the PDF is damaged and cannot be read ({type(exc).__name__}); "
                            "ask the force to send it again", filename=filename) from None


def _check_declared_pages(pdf, filename: str, limits: ImportLimits) -> None:
    """The page count the PDF's page tree declares, against the limit, before any page is parsed."""
    from pdfminer.pdftypes import resolve1

    try:
        declared = resolve1(resolve1(pdf.doc.catalog["Pages"])["Count"])
        declared = int(declared)
    except Exception:
        declared = None
    if declared is not None and declared > limits.max_pdf_pages:
        raise ImportRefused(f"the PDF has {declared:,} pages, more than the {limits.max_pdf_pages:,} limit; "
                            "ask the force for the figures only", filename=filename)


class _PdfPages:
    """A PDF read a page at a time: its ruled tables (joined across pages once all are read), the tables
    its words' alignment makes on pages with none, and its text outside the tables."""

    def __init__(self, filename: str, limits: ImportLimits) -> None:
        self.filename, self.limits = filename, limits
        self.doc = Document("pdf")
        self.pending: list[tuple[int, list[list]]] = []  # (page, rows) of tables in reading order
        self.text_pages: list[int] = []
        self.chars = self.images = 0

    def read(self, number: int, page) -> None:
        doc = self.doc
        chars = page.chars
        self.chars += len(chars)
        self.images += len(page.images)
        if not chars:
            if page.images:
                doc.warnings.append(f"page {number} is an image with no text (a scan); its figures, "
                                    "if any, were not read")
            page.close()
            return
        found = page.find_tables()
        for t in found:
            rows = [[_cell_text(c) for c in row] for row in t.extract()]
            if any(any(c for c in r) for r in rows):
                self.pending.append((number, rows))
                if len(self.pending) > self.limits.max_tables:
                    raise _refuse_too_many_tables(self.filename, self.limits)
        if not found:
            self.read_aligned(number, page)
        boxes = [t.bbox for t in found]
        outside = page.filter(lambda o, _b=boxes: not _inside(o, _b)) if boxes else page
        text = outside.extract_text() or ""
        if text.strip():
            self.text_pages.append(number)
            doc.lines.extend(text.splitlines())
        page.close()

    def read_aligned(self, number: int, page) -> None:
        """A page with no ruled table: tables by the alignment of its words, tried only when neither the
        ruled tables nor the lines of text hold figures."""
        for n, rows in enumerate(page.extract_tables({"vertical_strategy": "text",
                                                      "horizontal_strategy": "text"}), start=1):
            rows = [[_cell_text(c) for c in row] for row in rows]
            rows = [r for r in rows if any(r)]
            if len(rows) >= 2:
                self.doc.aligned_tables.append(DocTable(f"page {number}, aligned table {n}", rows))

    def document(self) -> Document:
        """The document once every page is read; refused when no page has any text."""
        if self.chars == 0:
            if self.images:
                raise ImportRefused("the PDF has no text layer: it is a scanned image, so its figures must be "
                                    "typed in by hand (OCR may come later)", filename=self.filename)
            raise ImportRefused("the PDF has no text at all (blank pages); enter the figures by hand or ask "
                                "the force for them", filename=self.filename)
        doc = self.doc
        doc.tables = _join_pages(self.pending)
        if self.text_pages:
            first, last = self.text_pages[0], self.text_pages[-1]
            doc.lines_name = f"text of page {first}" if first == last else f"text of pages {first}-{last}"
        return doc


def _inside(obj: dict, boxes: list[tuple]) -> bool:
    x0, top, x1, bottom = obj.get("x0", 0), obj.get("top", 0), obj.get("x1", 0), obj.get("bottom", 0)
    return any(x0 >= b[0] - 1 and x1 <= b[2] + 1 and top >= b[1] - 1 and bottom <= b[3] + 1 for b in boxes)


def _norm_row(row: list) -> tuple:
    return tuple(" ".join(str(c).lower().split()) for c in row)


def _looks_like_data(row: list) -> bool:
    """A first row that carries figures rather than headings: a label then counts."""
    if not row or is_blank(row[0]):
        return False
    figures = 0
    for c in row[1:]:
        if is_blank(c):
            continue
        try:
            parse_count(c)
        except CountProblem:
            return False
        figures += 1
    return figures > 0


def _join_pages(pending: list[tuple[int, list[list]]]) -> list[DocTable]:
    """A table broken over pages: the header rows repeated on the next page are read once.

    A table continues the previous one when it is as wide and starts with the same rows (the
    repeated header), or when it starts a page, the previous one ended the page before, and its first
    row holds figures (no header repeated).
    """
    tables: list[tuple[list[int], list[list]]] = []
    for i, (page, rows) in enumerate(pending):
        if tables:
            pages, prev = tables[-1]
            width = len(rows[0]) if rows else 0
            same_width = prev and width == len(prev[0])
            first_on_page = i == 0 or pending[i - 1][0] != page
            prev_last_on_page = pages[-1] == page - 1
            if same_width and first_on_page and prev_last_on_page:
                repeated = 0
                while (repeated < min(len(rows), len(prev), 4)
                       and _norm_row(rows[repeated]) == _norm_row(prev[repeated])):
                    repeated += 1
                if repeated or _looks_like_data(rows[0]):
                    prev.extend(rows[repeated:])
                    pages.append(page)
                    continue
        tables.append(([page], [list(r) for r in rows]))
    out = []
    per_page: dict[int, int] = {}
    for pages, rows in tables:
        per_page[pages[0]] = per_page.get(pages[0], 0) + 1
        where = f"page {pages[0]}" if len(pages) == 1 else f"pages {pages[0]}-{pages[-1]}"
        out.append(DocTable(f"{where}, table {per_page[pages[0]]}", rows))
    return out


# ---------------------------------------------------------------------------- Word
def read_docx(data: bytes, filename: str, limits: ImportLimits) -> Document:
    zf = inspect_zip(data, filename, limits)
    try:
        info = zf.getinfo("word/document.xml")
    except KeyError:
        raise ImportRefused("the Word document has no body (word/document.xml); it may be damaged",
                            filename=filename) from None
    if info.file_size > limits.max_docx_xml_bytes:
        raise ImportRefused(f"the Word document's text would inflate to {info.file_size / 1048576:.1f} MB, more than "
                            f"the {limits.max_docx_xml_bytes / 1048576:.1f} MB limit", filename=filename)
    import docx
    from docx.oxml.ns import qn

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:
        raise ImportRefused(f"the Word document is damaged and cannot be read ({type(exc).__name__}); "
                            "ask the force to send it again", filename=filename) from None
    doc = Document("docx")
    body = document.element.body
    w_tbl, w_p = qn("w:tbl"), qn("w:p")
    count = 0
    for child in body.iterchildren():
        if child.tag == w_tbl:
            count += 1
            if count > limits.max_tables:
                raise _refuse_too_many_tables(filename, limits)
            title = next((t for t in reversed(doc.lines[-3:]) if t.strip()), "")
            doc.tables.append(DocTable(f"table {count}", _docx_rows(child, limits, filename), title))
        elif child.tag == w_p:
            doc.lines.append(_docx_text(child))
    doc.lines_name = "text"
    return doc


def _docx_text(el) -> str:
    from docx.oxml.ns import qn

    w_p, w_t, w_tab, w_br = qn("w:p"), qn("w:t"), qn("w:tab"), qn("w:br")
    paragraphs = el.iter(w_p) if el.tag != w_p else [el]
    out = []
    for p in paragraphs:
        parts = []
        for node in p.iter(w_t, w_tab, w_br):
            parts.append((node.text or "") if node.tag == w_t else " ")
        out.append("".join(parts))
    return " ".join(t for t in out if t) if el.tag != w_p else (out[0] if out else "")


def _docx_rows(tbl, limits: ImportLimits, filename: str) -> list[list]:
    """Rows of a Word table on its grid: gridSpan leaves the cells it covers blank, vMerge repeats
    the text of the cell it continues."""
    from docx.oxml.ns import qn

    w_tr, w_tc, w_tcPr, w_gridSpan, w_vMerge, w_trPr, w_gridBefore = (
        qn("w:tr"), qn("w:tc"), qn("w:tcPr"), qn("w:gridSpan"), qn("w:vMerge"), qn("w:trPr"), qn("w:gridBefore"))
    w_val = qn("w:val")
    rows: list[list] = []
    above: dict[int, str] = {}
    for tr in tbl.iterchildren(w_tr):
        if len(rows) >= limits.max_rows:
            raise ImportRefused(f"a table has more than {limits.max_rows:,} rows, over the limit", filename=filename)
        row: list = []
        trpr = tr.find(w_trPr)
        if trpr is not None:
            gb = trpr.find(w_gridBefore)
            if gb is not None:
                row.extend([""] * _small_int(gb.get(w_val), limits.max_columns))
        for tc in tr.iterchildren(w_tc):
            span, merge = 1, None
            pr = tc.find(w_tcPr)
            if pr is not None:
                gs = pr.find(w_gridSpan)
                if gs is not None:
                    span = _small_int(gs.get(w_val), limits.max_columns)
                vm = pr.find(w_vMerge)
                if vm is not None:
                    merge = vm.get(w_val) or "continue"
            col = len(row)
            text = above.get(col, "") if merge == "continue" else _cell_text(_docx_text(tc))
            row.append(text)
            row.extend([""] * (span - 1))
            above[col] = text
            if len(row) > limits.max_columns:
                raise ImportRefused(f"a table has more than {limits.max_columns:,} columns, over the limit",
                                    filename=filename)
        rows.append(row)
    return rows


def _small_int(value: object, cap: int) -> int:
    try:
        return max(1, min(int(str(value)), cap))
    except (TypeError, ValueError):
        return 1


# ---------------------------------------------------------------------------- HTML
_BLOCK_TAGS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote",
                         "ul", "ol", "section", "article", "header", "footer", "dd", "dt", "hr", "table"})


def read_html(data: bytes | str, filename: str, limits: ImportLimits) -> Document:
    """An HTML answer (an e-mail body, .html/.htm): its innermost tables, and its text outside them."""
    size = len(data.encode("utf-8")) if isinstance(data, str) else len(data)
    if size > limits.max_html_bytes:
        raise ImportRefused(f"the HTML body is {size / 1048576:.1f} MB, more than the "
                            f"{limits.max_html_bytes / 1048576:.1f} MB limit; ask the force for the figures only",
                            filename=filename)
    import lxml.html
    from lxml import etree

    try:
        parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, huge_tree=False)
        root = lxml.html.document_fromstring(data, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise ImportRefused(f"the HTML could not be read ({exc})", filename=filename) from None
    for bad in root.xpath("//script|//style|//head"):
        bad.drop_tree()
    doc = Document("html")
    innermost = [t for t in root.iter("table") if not t.xpath(".//table")]
    if len(innermost) > limits.max_tables:
        raise _refuse_too_many_tables(filename, limits)
    for n, t in enumerate(innermost, start=1):
        doc.tables.append(DocTable(f"table {n}", _html_rows(t, limits, filename)))
    for t in innermost:
        t.drop_tree()
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.lower() in _BLOCK_TAGS:
            el.tail = "\n" + (el.tail or "")
            if el.tag.lower() != "br":
                el.text = "\n" + (el.text or "")
    doc.lines = root.text_content().splitlines()
    return doc


def _html_rows(table, limits: ImportLimits, filename: str) -> list[list]:
    rows: list[list] = []
    pending: dict[int, tuple[str, int]] = {}  # column -> (text, rows still covered) from rowspan
    for tr in table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr"):
        if len(rows) >= limits.max_rows:
            raise ImportRefused(f"a table has more than {limits.max_rows:,} rows, over the limit", filename=filename)
        row: list = []

        def fill_pending():
            while len(row) in pending:
                text, left = pending[len(row)]
                col = len(row)
                row.append(text)
                if left <= 1:
                    del pending[col]
                else:
                    pending[col] = (text, left - 1)

        for cell in tr.xpath("./td|./th"):
            fill_pending()
            text = _cell_text(cell.text_content())
            colspan = _small_int(cell.get("colspan"), limits.max_columns)
            rowspan = _small_int(cell.get("rowspan"), 1000)
            col = len(row)
            row.append(text)
            row.extend([""] * (colspan - 1))
            if rowspan > 1:
                pending[col] = (text, rowspan - 1)
            if len(row) > limits.max_columns:
                raise ImportRefused(f"a table has more than {limits.max_columns:,} columns, over the limit",
                                    filename=filename)
        fill_pending()
        # rowspans further right than this row's last cell
        for col in sorted(c for c in pending if c >= len(row)):
            row.extend([""] * (col - len(row)))
            fill_pending()
        rows.append(row)
    return rows


# ---------------------------------------------------------------------------- plain text
def read_text(text: str, filename: str, limits: ImportLimits, encoding: str = "") -> Document:
    """A text answer: tab-separated blocks (a table pasted from a spreadsheet) and lines of prose."""
    doc = Document("txt", encoding=encoding)
    lines = text.splitlines()
    block: list[list] = []
    for line in lines + [""]:
        if "\t" in line and len(line.split("\t")) >= 2:
            block.append([_cell_text(c) for c in line.split("\t")])
            doc.lines.append("")  # keep line numbers of the prose aligned
            continue
        if len(block) >= 2:
            doc.tables.append(DocTable(f"table {len(doc.tables) + 1}", block))
            if len(doc.tables) > limits.max_tables:
                raise _refuse_too_many_tables(filename, limits)
        elif block:
            doc.lines[-1] = "  ".join(block[0])
        block = []
        doc.lines.append(line)
    doc.lines.pop()  # the sentinel
    if not doc.tables:
        _csv_in_text(text, doc)
    return doc


def _csv_in_text(text: str, doc: Document) -> None:
    """A CSV saved as .txt: offered as a table when most lines split into the same number of fields."""
    import csv

    delimiter = sniff_delimiter(text)
    try:
        rows = [[_cell_text(c) for c in r] for r in csv.reader(io.StringIO(text[:8 * 1024 * 1024], newline=""),
                                                                delimiter=delimiter)]
    except csv.Error:  # a field past the csv module's limit: not a table, the text is read as lines
        return
    widths = [len(r) for r in rows if any(r)]
    if len(widths) >= 2 and max(set(widths), key=widths.count) >= 2 and widths.count(max(set(widths),
                                                                                       key=widths.count)) >= 2:
        doc.tables.append(DocTable("table 1", rows))


_HTML_START = re.compile(rb"^\s*(?:<!doctype\s+html|<html|<head|<body|<table|<div|<p\b|<meta)", re.I)


def looks_like_html(data: bytes) -> bool:
    head = data[:2048].lstrip(b"\xef\xbb\xbf")
    return bool(_HTML_START.match(head))
