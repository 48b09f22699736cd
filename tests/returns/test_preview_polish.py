"""The preview's table and notes: what decides whether a person trusts a file at a glance."""
from collection.importer.errors import cannot_be_opened
from collection.importer.model import TidyRow
from collection.returns.bulk import warnings_needing_a_look
from collection.returns.services import _preview_table


def row(code, age=None, band="", lo=None, hi=None, sex="", count=None, label=""):
    return TidyRow(code, age, lo if age is None else age, hi if age is None else age, band, sex, count,
                   bool(label), label)


def test_a_row_of_only_suppressed_cells_totals_its_range_not_0():
    table = _preview_table([row("88A", 13, label="<5"), row("88A", 14, label="*"), row("71", 13, count=3)])
    totals = {r[0]: r[-1] for r in table["rows"]}
    assert totals == {"88A": "2 to 8", "71": 3}
    # each suppressed cell as the force wrote it, never the most it may hide
    assert table["rows"][1][1:3] == ["<5", "*"]


def test_a_suppressed_cell_with_no_mark_reads_suppressed_not_a_number():
    suppressed = TidyRow("88A", 13, 13, 13, "", "", None, True, "")
    table = _preview_table([suppressed])
    assert table["rows"] == [["88A", "suppressed", "1 to 4"]]


def test_band_columns_sort_by_their_lower_age_then_sex():
    rows = [row("88A", None, "17", 17, 17, "F", 1), row("88A", None, "0-11", 0, 11, "M", 2),
            row("88A", None, "0-11", 0, 11, "F", 3), row("88A", 9, sex="F", count=1),
            row("88A", None, "7-12", 7, 12, "F", 4)]
    assert _preview_table(rows)["columns"] == ["9 F", "0-11 F", "0-11 M", "7-12 F", "17 F", "Total"]


def test_routine_notes_need_no_look_and_a_second_year_is_clean():
    said = ["3 total cell(s) checked against their parts and dropped",
            "figures for 2 periods (2015/16: 40, 2016/17: 54), told apart by the year column; "
            "the periods the campaign asks about",
            "figures for 2 periods (2014/15: 40, 2016/17: 54), told apart by the year column"]
    assert warnings_needing_a_look(said) == [said[2]]


def test_a_file_that_cannot_be_opened_is_told_from_a_table_not_found():
    assert cannot_be_opened("the PDF has no text layer: it is a scanned image, so its figures must be typed")
    assert cannot_be_opened("the PDF is password protected (encrypted) and cannot be read without the password")
    assert not cannot_be_opened("no table of figures found in the text: nothing names offences")


def test_the_periods_note_says_when_a_file_holds_exactly_the_periods_asked():
    from collection.importer.api import _periods_warning

    rows = [TidyRow("88A", 13, 13, 13, "", "", 4, False, "", "2015-16"),
            TidyRow("88A", 13, 13, 13, "", "", 5, False, "", "2016-17")]
    exactly = _periods_warning(rows, "the year column", {"2015-16", "2016-17"})
    more = _periods_warning(rows, "the year column", {"2016-17"})
    assert exactly[0].endswith("; the periods the campaign asks about") and not warnings_needing_a_look(exactly)
    assert warnings_needing_a_look(more) == more
