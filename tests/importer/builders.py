"""Build small spreadsheets in every format from lists of rows, for the importer's tests."""
from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
FORMATS = ("xlsx", "xls", "ods", "csv")


def xlsx(sheets: dict[str, list[list]] | list[list], merges: list[tuple] = ()) -> bytes:
    import xlsxwriter

    if isinstance(sheets, list):
        sheets = {"Data": sheets}
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    day = wb.add_format({"num_format": "dd/mm/yyyy"})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is None or v == "":
                    continue
                if isinstance(v, dt.date):  # an Excel date cell
                    ws.write_datetime(r, c, dt.datetime.combine(v, dt.time()), day)
                    continue
                ws.write(r, c, v)
        for m in merges:
            ws.merge_range(*m)
    wb.close()
    return buf.getvalue()


def xls(sheets: dict[str, list[list]] | list[list]) -> bytes:
    import xlwt

    if isinstance(sheets, list):
        sheets = {"Data": sheets}
    wb = xlwt.Workbook()
    day = xlwt.easyxf(num_format_str="dd/mm/yyyy")
    for name, rows in sheets.items():
        ws = wb.add_sheet(name)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is None or v == "":
                    continue
                if isinstance(v, dt.date):
                    ws.write(r, c, dt.datetime.combine(v, dt.time()), day)
                    continue
                ws.write(r, c, v)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def ods(sheets: dict[str, list[list]] | list[list]) -> bytes:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    if isinstance(sheets, list):
        sheets = {"Data": sheets}
    doc = OpenDocumentSpreadsheet()
    for name, rows in sheets.items():
        t = Table(name=name)
        for row in rows:
            tr = TableRow()
            for v in row:
                if v is None or v == "":
                    tc = TableCell()
                elif isinstance(v, dt.date):
                    tc = TableCell(valuetype="date", datevalue=v.isoformat())
                    tc.addElement(P(text=v.strftime("%d/%m/%Y")))
                elif isinstance(v, (int, float)) and not isinstance(v, bool):
                    tc = TableCell(valuetype="float", value=v)
                    tc.addElement(P(text=str(v)))
                else:
                    tc = TableCell(valuetype="string")
                    tc.addElement(P(text=str(v)))
                tr.addElement(tc)
            t.addElement(tr)
        doc.spreadsheet.addElement(t)
    buf = io.BytesIO()
    doc.write(buf)
    return buf.getvalue()


def csv_bytes(rows: list[list], encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        w.writerow(["" if v is None else v.strftime("%d/%m/%Y") if isinstance(v, dt.date) else v for v in row])
    return buf.getvalue().encode(encoding)


def build(fmt: str, rows: list[list]) -> tuple[bytes, str]:
    """(file bytes, file name) for one sheet of rows in the given format."""
    if fmt == "xlsx":
        return xlsx(rows), "return.xlsx"
    if fmt == "xls":
        return xls(rows), "return.xls"
    if fmt == "ods":
        return ods(rows), "return.ods"
    return csv_bytes(rows), "return.csv"


def totals(result) -> dict:
    """{(code, age): count} summed over sex, for comparisons (known counts only)."""
    out: dict = {}
    for r in result.rows:
        if r.count is None:
            continue
        key = (r.offence_code, r.victim_age if r.victim_age is not None else (r.age_band or None))
        out[key] = out.get(key, 0) + r.count
    return out


# ---------------------------------------------------------------------------- documents
def pdf(pages: list[dict]) -> bytes:
    """A small text PDF written by hand: each page {"texts": [(x, y, text)], "lines": [(x0, y0, x1, y1)],
    "size": (w, h)} in Helvetica.  Enough for pdfplumber to find words, ruled tables and pages."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in below
    pages_obj = add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    kids = []
    for page in pages:
        w, h = page.get("size", (595, 842))
        ops = []
        for x0, y0, x1, y1 in page.get("lines", []):
            ops.append(f"{x0:.1f} {y0:.1f} m {x1:.1f} {y1:.1f} l S")
        for x, y, text in page.get("texts", []):
            esc = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"BT /F1 9 Tf {x:.1f} {y:.1f} Td ({esc}) Tj ET")
        stream = "\n".join(ops).encode("cp1252")
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        kids.append(add(f"<< /Type /Page /Parent {pages_obj} 0 R /MediaBox [0 0 {w} {h}] /Contents {content} 0 R "
                        f"/Resources << /Font << /F1 {font} 0 R >> >> >>".encode()))
    objects[catalog - 1] = f"<< /Type /Catalog /Pages {pages_obj} 0 R >>".encode()
    objects[pages_obj - 1] = (f"<< /Type /Pages /Count {len(kids)} /Kids [" + " ".join(f"{k} 0 R" for k in kids)
                              + "] >>").encode()
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, catalog, xref))
    return out.getvalue()


def ruled_table(rows: list[list], top: float = 780, left: float = 40, widths: list[float] | None = None,
                height: float = 16) -> dict:
    """A page holding one table with every cell ruled."""
    n = max(len(r) for r in rows)
    widths = widths or [200] + [50] * (n - 1)
    xs = [left]
    for w in widths[:n]:
        xs.append(xs[-1] + w)
    texts, lines = [], []
    for i, row in enumerate(rows):
        y = top - i * height
        for j, v in enumerate(row):
            if v not in (None, ""):
                texts.append((xs[j] + 3, y - height + 4, str(v)))
    bottom = top - len(rows) * height
    for i in range(len(rows) + 1):
        lines.append((xs[0], top - i * height, xs[-1], top - i * height))
    for x in xs:
        lines.append((x, top, x, bottom))
    return {"texts": texts, "lines": lines}


def text_page(lines: list[str], top: float = 800) -> dict:
    return {"texts": [(50, top - i * 14, t) for i, t in enumerate(lines) if t]}


def docx_bytes(paragraphs_and_tables: list) -> bytes:
    """A Word document: str items are paragraphs, list items tables (rows of cells); a cell may be
    ("text", colspan) to merge across, or None to merge down with the cell above."""
    import docx

    doc = docx.Document()
    for item in paragraphs_and_tables:
        if isinstance(item, str):
            doc.add_paragraph(item)
            continue
        width = max(sum(c[1] if isinstance(c, tuple) else 1 for c in row) for row in item)
        table = doc.add_table(rows=len(item), cols=width)
        for r, row in enumerate(item):
            col = 0
            for cell in row:
                span = cell[1] if isinstance(cell, tuple) else 1
                text = cell[0] if isinstance(cell, tuple) else cell
                target = table.cell(r, col)
                if cell is None:
                    table.cell(r - 1, col).merge(target)
                else:
                    target.text = str(text)
                    if span > 1:
                        target.merge(table.cell(r, col + span - 1))
                        target.text = str(text)
                col += span
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def outcome(data: bytes, name: str, catalogue, **options):
    """What an import gives, as a value to compare: the rows, warnings and where the table was, or the
    refusal; and the progress calls made on the way."""
    from collection.importer import ImportRefused, import_return

    progress: list[int] = []
    try:
        r = import_return(data, name, catalogue, progress=lambda done, expected: progress.append(done), **options)
    except ImportRefused as exc:
        return ("refused", str(exc)), progress
    return ("read", sorted(r.rows, key=repr), r.warnings, r.rows_read, r.layout, r.header_row), progress


def outcome_without(layouts, tally: str, monkeypatch, *args, **options):
    """The outcome with the chunked `tally` (a class the importer's module `layouts` reads chunks with)
    off: every row read by the row-by-row loop."""
    with monkeypatch.context() as m:
        m.setattr(layouts, tally, lambda *args: None)
        return outcome(*args, **options)
