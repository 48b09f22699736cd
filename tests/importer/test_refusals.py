"""Every refusal names the file and the place, and is a single actionable line."""
import io
import os
import zipfile

import openpyxl
import pytest

from collection.importer import ImportLimits, ImportRefused, import_return

from .builders import FORMATS, build, csv_bytes, xlsx


def refused(data, name, catalogue, **kw) -> ImportRefused:
    with pytest.raises(ImportRefused) as exc:
        import_return(data, name, catalogue, **kw)
    err = exc.value
    assert "\n" not in str(err)
    assert str(err).startswith(name)
    assert err.filename == name
    return err


def test_empty_file(catalogue):
    err = refused(b"", "kent.xlsx", catalogue)
    assert "empty" in err.reason


def test_random_bytes_named_xlsx(catalogue):
    err = refused(os.urandom(4096) + b"\x00\x01", "kent.xlsx", catalogue)
    assert "not a spreadsheet" in err.reason


def test_text_named_xlsx(catalogue):
    err = refused(b"Offence,Age\n88A,13\n", "kent.xlsx", catalogue)
    assert "not a spreadsheet" in err.reason


def test_a_broken_pdf_is_read_as_a_pdf_whatever_its_name(catalogue):
    err = refused(b"%PDF-1.4\n%...", "kent.xlsx", catalogue)
    assert "the PDF is damaged or truncated and cannot be read" in err.reason


def test_truncated_zip(catalogue):
    data = xlsx([["Offence", "Age", "Count"], ["88A", 13, 2]])
    err = refused(data[: len(data) // 2], "kent.xlsx", catalogue)
    assert "damaged or truncated zip" in err.reason


def test_zip_bomb_refused_before_decompression(catalogue, monkeypatch):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (30 * 1024 * 1024))
    data = buf.getvalue()
    assert len(data) < 100_000

    import python_calamine

    def boom(*a, **k):  # calamine must never be reached
        raise AssertionError("calamine opened a zip bomb")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", boom)
    err = refused(data, "bomb.xlsx", catalogue)
    assert "zip bomb" in err.reason and "sheet1.xml" in err.reason


def test_uncompressed_total_limit(catalogue):
    data = xlsx([["Offence", "Age", "Count"], ["88A", 13, 2]])
    err = refused(data, "kent.xlsx", catalogue, limits=ImportLimits(max_uncompressed_bytes=1000))
    assert "inflate" in err.reason


def test_file_size_limit(catalogue):
    err = refused(b"Offence,Age\n" * 100, "kent.csv", catalogue, limits=ImportLimits(max_file_bytes=100))
    assert "limit" in err.reason


@pytest.mark.parametrize("fmt", FORMATS)
def test_too_many_rows(fmt, catalogue):
    rows = [["Crime ref", "Offence", "Age"]] + [[f"C{i}", "88A", 13] for i in range(60)]
    data, name = build(fmt, rows)
    err = refused(data, name, catalogue, limits=ImportLimits(max_rows=50))
    assert "50" in err.reason


def test_too_many_rows_found_while_iterating(catalogue):
    rows = [["Crime ref", "Offence", "Age"]] + [[f"C{i}", "88A", 13] for i in range(9000)]
    data = csv_bytes(rows)
    err = refused(data, "big.csv", catalogue, limits=ImportLimits(max_rows=5000))
    assert err.row is not None and err.row > 5000


@pytest.mark.parametrize("quoted", [False, True], ids=["plain", "quoted"])
@pytest.mark.parametrize("rows_before", [3, 9000])
def test_a_field_past_the_csv_modules_limit_is_refused_at_its_line(quoted, rows_before, catalogue):
    """A hostile csv (one field of 200,000 characters) is refused naming the file and line; it used
    to crash the import with the csv module's own error."""
    import csv

    lines = ["Crime ref,Offence,Age"] + [f"C{i},88A,13" for i in range(rows_before)]
    lines.append(("C,\"" + "x" * 200_000 + "\",13") if quoted else ("C,88A," + "9" * 200_000))
    lines.append("C2,88A,14")
    err = refused("\n".join(lines).encode(), "hostile.csv", catalogue)
    assert err.row == rows_before + 2 and err.row_noun == "line"
    assert f"longer than {csv.field_size_limit():,} characters" in err.reason
    assert f"line {rows_before + 2}" in str(err)


def test_too_many_columns(catalogue):
    data = xlsx([["Offence", "Age"] + [f"c{i}" for i in range(20)], ["88A", 13]])
    err = refused(data, "wide.xlsx", catalogue, limits=ImportLimits(max_columns=10))
    assert "columns" in err.reason


def test_time_limit(catalogue):
    rows = [["Crime ref", "Offence", "Age"]] + [[f"C{i}", "88A", 13] for i in range(9000)]
    ticks = iter(range(0, 10**9, 100))
    err = refused(csv_bytes(rows), "slow.csv", catalogue, limits=ImportLimits(max_seconds=150),
                  clock=lambda: next(ticks))
    assert "longer than" in err.reason


def test_formula_without_cached_value(catalogue):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(["Offence", "Victim age", "Count"])
    ws.append(["88A", 13, 2])
    ws.append(["86", 14, "=1+1"])
    buf = io.BytesIO()
    wb.save(buf)
    err = refused(buf.getvalue(), "kent.xlsx", catalogue)
    assert err.sheet == "Data" and err.row == 3 and err.column == "C"
    assert "formula with no saved value" in err.reason


def test_formula_text_in_csv(catalogue):
    err = refused(csv_bytes([["Offence", "Age", "Count"], ["88A", 13, "=SUM(C1:C2)"]]), "r.csv", catalogue)
    assert err.row == 2 and "formula" in err.reason


@pytest.mark.parametrize("fmt", FORMATS)
def test_negative_count(fmt, catalogue):
    data, name = build(fmt, [["Offence", "Age", "Count"], ["88A", 13, -2]])
    err = refused(data, name, catalogue)
    assert err.row == 2 and err.column.startswith("C") and "negative" in err.reason


@pytest.mark.parametrize("fmt", FORMATS)
def test_fractional_count(fmt, catalogue):
    data, name = build(fmt, [["Offence", 13, 14], ["88A", 1, 2.5]])
    err = refused(data, name, catalogue)
    assert err.row == 2 and err.column.startswith("C") and "whole number" in err.reason


@pytest.mark.parametrize("fmt", FORMATS)
def test_adult_age_in_per_crime(fmt, catalogue):
    rows = [["Crime ref", "Offence", "Victim age"], ["A", "88A", 13], ["B", "86", 34]]
    data, name = build(fmt, rows)
    err = refused(data, name, catalogue)
    assert err.row == 3 and "victim age 34 is not a child's age (0-17); ask the force" in str(err)


def test_adult_age_column_in_pivot(catalogue):
    data, name = build("xlsx", [["Offence", 17, 18], ["88A", 1, 1]])
    err = refused(data, name, catalogue)
    assert err.row == 2 and err.column.startswith("C") and "18" in err.reason


def test_adult_band(catalogue):
    data, name = build("csv", [["Offence", "Age band", "Count"], ["88A", "16-18", 1]])
    err = refused(data, name, catalogue)
    assert err.row == 2 and "adults" in err.reason


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_offence(fmt, catalogue):
    data, name = build(fmt, [["Offence", "Age", "Count"], ["88A", 13, 1], ["Burglary", 14, 1]])
    err = refused(data, name, catalogue)
    assert err.row == 3 and "'Burglary' is not in the offence list" in err.reason


def test_unknown_offence_in_pivot_header(catalogue):
    data, name = build("xlsx", [["Victim age", "88A", "Burglary"], [13, 1, 1]])
    err = refused(data, name, catalogue)
    assert err.row == 1 and err.column == "C" and "Burglary" in err.reason


def test_code_and_description_disagree_the_code_is_taken_with_a_warning(catalogue):
    data, name = build("csv", [["HO code", "Offence description", "Age", "Count"], ["19E", "Sexual grooming", 10, 1],
                               ["19E", "Sexual grooming", 11, 2]])
    r = import_return(data, name, catalogue)
    assert [(x.offence_code, x.victim_age, x.count) for x in r.rows] == [("19E", 10, 1), ("19E", 11, 2)]
    said = [w for w in r.warnings if "different offences" in w]
    assert len(said) == 1 and "row 2" in said[0] and "19E" in said[0] and "88A" in said[0]
    assert "the code was taken" in said[0]


@pytest.mark.parametrize("fmt", FORMATS)
def test_wrong_total_row(fmt, catalogue):
    rows = [["Offence", 12, 13, "Total"], ["88A", 1, 2, 3], ["86", 1, 1, 2], ["Total", 2, 4, 5]]
    data, name = build(fmt, rows)
    err = refused(data, name, catalogue)
    assert err.row == 4 and err.column.startswith("C") and "4" in err.reason and "3" in err.reason


def test_wrong_total_column(catalogue):
    data, name = build("xlsx", [["Offence", 12, 13, "Total"], ["88A", 1, 2, 4]])
    err = refused(data, name, catalogue)
    assert err.row == 2 and err.column == "D ('Total')" and "4" in err.reason and "3" in err.reason


def test_wrong_total_in_count_long(catalogue):
    data, name = build("csv", [["Offence", "Age", "Count"], ["88A", 13, 2], ["Total", "", 3]])
    err = refused(data, name, catalogue)
    assert err.row == 3 and "total 3" in err.reason and "2" in err.reason


@pytest.mark.parametrize("given", [2, 5, 6])
def test_total_with_suppression_is_a_range(given, catalogue):
    """'<5' hides 1 to 4: a total leaving it out (2) or including its true value (3 to 6) is consistent."""
    ok = [["Offence", 12, 13, "Total"], ["88A", "<5", 2, given]]
    r = import_return(*build("csv", ok), catalogue)
    assert r.total == 2 and r.total_range == (3, 6)
    said = [w for w in r.warnings if "checked as a range" in w]
    assert len(said) == 1 and f"row 2, column D ('Total'): {given} within 2 to 6" in said[0]


@pytest.mark.parametrize("given", [1, 7, 9])
def test_total_outside_the_suppressed_range_is_refused(given, catalogue):
    bad = [["Offence", 12, 13, "Total"], ["88A", "<5", 2, given]]
    err = refused(*build("csv", bad), catalogue)
    assert err.row == 2 and err.column == "D ('Total')"
    assert f"total {given} is outside" in err.reason and "2 to 6" in err.reason


def test_two_age_columns(catalogue):
    rows = [["Offence", "Victim age", "Age at time of offence", "Count"], ["88A", 13, 13, 1]]
    err = refused(*build("xlsx", rows), catalogue)
    assert err.row == 1 and "B ('Victim age')" in err.reason and "C ('Age at time of offence')" in err.reason


def test_two_count_columns(catalogue):
    rows = [["Offence", "Age", "Number of crimes", "Number of victims"], ["88A", 13, 1, 1]]
    err = refused(*build("csv", rows), catalogue)
    assert "could both be the count" in err.reason


def test_two_offence_columns(catalogue):
    rows = [["Offence", "Crime type", "Age"], ["88A", "88A", 13]]
    err = refused(*build("csv", rows), catalogue)
    assert "could both be the offence" in err.reason


def test_duplicate_age_columns_in_pivot(catalogue):
    err = refused(*build("xlsx", [["Offence", 13, "13 yrs"], ["88A", 1, 1]]), catalogue)
    assert "B ('13')" in err.reason and "C ('13 yrs')" in err.reason


def test_no_header(catalogue):
    err = refused(*build("xlsx", [["Some", "random"], ["words", "here"], [1, 2]]), catalogue)
    assert "no table found" in err.reason


def test_count_not_a_number(catalogue):
    err = refused(*build("ods", [["Offence", "Age", "Count"], ["88A", 13, "lots"]]), catalogue)
    assert err.row == 2 and err.column == "C ('Count')" and "'lots' is not a number" in err.reason


def test_age_not_a_number(catalogue):
    err = refused(*build("xls", [["Offence", "Age", "Count"], ["88A", "teen", 1]]), catalogue)
    assert err.row == 2 and err.column == "B ('Age')" and "'teen' is not an age" in err.reason


def test_unbounded_band(catalogue):
    err = refused(*build("csv", [["Offence", "Under 16", "16+"], ["88A", 1, 1]]), catalogue)
    assert err.column.startswith("C") and "no upper age" in err.reason


def test_numeric_subcode_refused(catalogue):
    err = refused(*build("csv", [["Offence", "Age", "Count"], ["088/05", 13, 1]]), catalogue)
    assert err.row == 2 and "sub-code" in err.reason


def test_sheets_that_disagree(catalogue):
    data = xlsx({"Girls": [["Offence", "Age", "Count"], ["88A", 13, 2]],
                 "Summary": [["Offence", "Age", "Count"], ["88A", 13, 1]]})
    err = refused(data, "two.xlsx", catalogue)
    assert "'Summary'" in err.reason and "column mapping" in err.reason


def test_sheets_named_by_year_are_periods_not_a_disagreement(catalogue):
    from collection.importer import Period

    data = xlsx({"2014-15": [["Offence", "Age", "Count"], ["88A", 13, 2]],
                 "2015-16": [["Offence", "Age", "Count"], ["88A", 13, 1]]})
    result = import_return(data, "years.xlsx", catalogue)  # no periods asked: each sheet's own year
    assert {(r.period, r.count) for r in result.rows} == {("2014-15", 2), ("2015-16", 1)}
    err = refused(data, "years.xlsx", catalogue, periods=[Period.from_label("2015-16")])
    assert err.sheet == "2014-15" and "2014/15" in err.reason and "asks about (2015/16)" in err.reason


def test_mapping_names_missing_sheet(catalogue):
    from collection.importer import ColumnMapping

    data = xlsx([["Offence", "Age", "Count"], ["88A", 13, 2]])
    err = refused(data, "k.xlsx", catalogue, mapping=ColumnMapping(sheet="Nope"))
    assert "Nope" in err.reason


def test_word_document_and_html(catalogue):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/document.xml", "<w/>")
    assert "Word document" in refused(buf.getvalue(), "k.xlsx", catalogue).reason
    assert "web page" in refused(b"<html><table><tr><td>1</td></tr></table></html>", "k.xls", catalogue).reason


def _openpyxl_bytes(rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_formula_without_cached_value_in_a_pivot_and_a_whole_row(catalogue):
    err = refused(_openpyxl_bytes([["Offence", 13, 14], ["88A", 1, "=1+1"]]), "p.xlsx", catalogue)
    assert (err.row, err.column) == (2, "C") and "formula with no saved value" in err.reason
    err = refused(_openpyxl_bytes([["Offence", "Age", "Count"], ["88A", 13, 1], ["=A2", "=B2", "=C2"]]), "l.xlsx",
                  catalogue)
    assert (err.row, err.column) == (3, "A") and "formula with no saved value" in err.reason


def test_the_sheet_is_inflated_once_when_no_used_cell_is_blank(catalogue, monkeypatch):
    """The unsaved-formula check reads the sheet's XML a second time only when a cell it could hide
    in reads as blank (issue 14: it cost 12% of every xlsx import)."""
    from collection.importer import read

    calls = []
    real = read._formula_blanks
    monkeypatch.setattr(read, "_formula_blanks", lambda zf, name: calls.append(name) or real(zf, name))
    full = [["Offence", "Victim age", "Count"], ["88A", 13, 2], ["86", 14, 1]]
    assert import_return(build("xlsx", full)[0], "full.xlsx", catalogue).total == 3
    assert calls == []
    gappy = full + [["86", None, 1]]
    assert import_return(build("xlsx", gappy)[0], "gappy.xlsx", catalogue).total == 4
    assert calls == ["Data"]


@pytest.mark.parametrize("length", [501, 32_767])
def test_a_label_too_long_for_an_offence_is_refused_at_once(length, catalogue):
    """A cell of tens of thousands of letters where an offence goes (a hostile file, or a note pasted
    there) is no offence's name: refused without the description patterns' quadratic search."""
    assert catalogue.resolve("x" * length) is None
    assert f"{length:,} characters long" in catalogue.explain("x" * length)
