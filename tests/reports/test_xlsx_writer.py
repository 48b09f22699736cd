"""The streaming xlsx writer (no database): what it writes opens in openpyxl and python-calamine
(the importer's reader) with every value as written."""
import io
import tempfile
import tracemalloc
import zipfile

import openpyxl
from python_calamine import CalamineWorkbook

from reports.xlsx import Workbook, column_letters

TEXTS = ["plain", "a & b <c> \"d\" 'e'", "tab\tinside", "carriage\rreturn", "line\nbreak", "Ümlaut ✓ 漢字",
         "_x0041_ is not A", "'=1+2", "  padded  ", "bell\x07char"]


def book_bytes(rows, header=("text", "number", "flag")):
    out = io.BytesIO()
    with Workbook(out) as book:
        with book.sheet("Data: [1]/2", list(header), widths=[20, 10]) as sheet:
            sheet.rows(rows)
        with book.sheet("Second", ["k", "v"]) as sheet:
            sheet.row(["total", 2552])
    return out.getvalue()


def test_values_read_back_in_openpyxl_and_calamine():
    rows = [(t, i * 1.5 if i % 2 else i, i % 3 == 0) for i, t in enumerate(TEXTS)] + [(None, None, None), ("", 0, False)]
    content = book_bytes(rows)
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["Data   1  2", "Second"]
    sheet = book.worksheets[0]
    got = list(sheet.iter_rows(min_row=2, values_only=True))
    expected_text = [t.replace("\x07", "\ufffd") for t in TEXTS]
    assert [r[0] for r in got[:len(TEXTS)]] == [t if t != "_x0041_ is not A" else "_x005F_x0041_ is not A"
                                                for t in expected_text]  # openpyxl leaves Excel's escape
    assert [r[1] for r in got[:len(TEXTS)]] == [i * 1.5 if i % 2 else i for i in range(len(TEXTS))]
    assert [r[2] for r in got[:len(TEXTS)]] == [i % 3 == 0 for i in range(len(TEXTS))]
    assert got[len(TEXTS)] == (None, None, None) and got[-1] == (None, 0, False)
    assert sheet["A1"].font.b and sheet.freeze_panes == "A2"
    assert [c.data_type for row in sheet.iter_rows() for c in row if c.value is not None].count("f") == 0
    cal = CalamineWorkbook.from_filelike(io.BytesIO(content))
    data = cal.get_sheet_by_name("Data   1  2").to_python()
    assert [r[0] for r in data[1:len(TEXTS) + 1]] == expected_text  # calamine decodes as Excel does
    assert cal.get_sheet_by_name("Second").to_python() == [["k", "v"], ["total", 2552.0]]


def test_parts_of_a_valid_package():
    names = zipfile.ZipFile(io.BytesIO(book_bytes([("a", 1, True)]))).namelist()
    assert {"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
            "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"} == set(names)


def test_memory_does_not_grow_with_rows():
    def peak(n):
        with tempfile.TemporaryFile() as out:  # on disk: only what the writer itself holds is measured
            tracemalloc.start()
            with Workbook(out) as book:
                with book.sheet("S", ["a", "b", "c"]) as sheet:
                    sheet.rows((f"row {i}", i, True) for i in range(n))
            _, top = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        return top

    small, large = peak(1_000), peak(20_000)
    assert large < small + 1_000_000 and large < 5_000_000, (small, large)


def test_column_letters():
    assert column_letters(28)[:3] == ["A", "B", "C"] and column_letters(28)[25:] == ["Z", "AA", "AB"]
    assert column_letters(703)[-1] == "AAA"
