"""Build small spreadsheets in every format from lists of rows, for the importer's tests."""
from __future__ import annotations

import csv
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
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is None or v == "":
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
    for name, rows in sheets.items():
        ws = wb.add_sheet(name)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is None or v == "":
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
        w.writerow(["" if v is None else v for v in row])
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
