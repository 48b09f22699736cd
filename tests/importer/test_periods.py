"""Returns that hold more than one period: year columns, recorded dates, year titles over stacked
tables, a sheet per year and a year banner over a pivot; and the refusals when years cannot be told
apart or fall outside the periods a campaign asks about."""
import collections
import datetime as dt
import json

import pytest

from collection.importer import ImportRefused, Period, import_return
from collection.importer.periods import PeriodProblem, PeriodReader, parse_day, parse_year_text

from .builders import DATA, FORMATS, build, csv_bytes, ods, xls, xlsx

SECOND = DATA / "returns-2016-17"
MANIFEST = json.loads((SECOND / "manifest.json").read_text())
TRUTH = json.loads((SECOND / "truth.json").read_text())
PROVIDED = sorted(fid for fid, m in MANIFEST.items() if m.get("file"))
FY15, FY16 = Period.from_label("2015-16"), Period.from_label("2016-17")
BOTH = [FY15, FY16]


def by_period(result) -> dict:
    out: dict = collections.Counter()
    for r in result.rows:
        out[r.period] += r.count or 0
    return dict(out)


def refused(data, name, catalogue, **kw) -> ImportRefused:
    with pytest.raises(ImportRefused) as exc:
        import_return(data, name, catalogue, **kw)
    return exc.value


# ---------------------------------------------------------------------------- reading years and dates
@pytest.mark.parametrize("text,label", [
    ("2015/16", "2015-16"), ("2015-16", "2015-16"), ("2015/2016", "2015-16"), ("2015-2016", "2015-16"),
    ("2015 to 2016", "2015-16"), ("2015\u201316", "2015-16"), ("FY 2016/17", "2016-17"), ("FY2016/17", "2016-17"),
    ("FY 2016-17", "2016-17"), ("FY16/17", "2016-17"), ("FY1617", "2016-17"), ("fy 15-16", "2015-16"),
    ("Financial Year 2015/16", "2015-16"), ("Financial year: 2016/17", "2016-17"), ("2015/16 financial year", "2015-16"),
    ("Year 2015/16", "2015-16"), ("April 2015 - March 2016", "2015-16"), ("Apr 2016 to Mar 2017", "2016-17"),
    ("1 April 2015 to 31 March 2016", "2015-16"), ("01/04/2016 - 31/03/2017", "2016-17"),
    ("Year ending March 2017", "2016-17"), ("Period: 2015/16", "2015-16"),
    ("2016", "2016-01-01..2016-12-31"), ("Calendar year 2016", "2016-01-01..2016-12-31"),
    ("January 2016 - December 2016", "2016-01-01..2016-12-31"),
])
def test_year_labels_forces_write(text, label):
    assert parse_year_text(text).label == label


@pytest.mark.parametrize("text", [
    "15-16", "15/16", "1516",  # an age band, unless 'FY' says otherwise
    "2015/17", "2016/15", "FY 15/17",  # the second year must follow the first
    "2015/16 figures were provided last year (our previous response, ref FOI/2016/0335).",
    "Sexual offences 2015/16 and 2016/17", "Data", "Total", "", "13", "13 years",
])
def test_what_is_not_a_year_label(text):
    assert parse_year_text(text) is None


def test_a_bare_year_is_a_calendar_year_never_a_guessed_financial_year():
    with pytest.raises(PeriodProblem, match="calendar year.*which financial year"):
        PeriodReader(BOTH).cell("2016")
    calendar = Period(dt.date(2016, 1, 1), dt.date(2016, 12, 31))
    assert PeriodReader([calendar]).cell("2016") == calendar.label
    assert PeriodReader([calendar]).cell(2016.0) == calendar.label


@pytest.mark.parametrize("value,day", [
    (dt.date(2016, 3, 31), dt.date(2016, 3, 31)), (dt.datetime(2016, 4, 1, 9, 30), dt.date(2016, 4, 1)),
    ("31/03/2016", dt.date(2016, 3, 31)), ("01/04/2016", dt.date(2016, 4, 1)), ("1.4.2016", dt.date(2016, 4, 1)),
    ("2016-04-01", dt.date(2016, 4, 1)), ("2016-03-31 23:59:00", dt.date(2016, 3, 31)),
    ("1 April 2016", dt.date(2016, 4, 1)), ("31st March 2016", dt.date(2016, 3, 31)),
])
def test_recorded_dates(value, day):
    assert parse_day(value) == day


@pytest.mark.parametrize("value", ["31/13/2016", "2016", "Y", "", None, 42, "2016/17"])
def test_what_is_not_a_date(value):
    assert parse_day(value) is None


def test_31_march_and_1_april_fall_on_either_side():
    reader = PeriodReader(BOTH)
    assert reader.cell(dt.date(2016, 3, 31)) == "2015-16"
    assert reader.cell(dt.date(2016, 4, 1)) == "2016-17"
    assert PeriodReader().cell("31/03/2016") == "2015-16"  # no periods asked: the date's financial year
    with pytest.raises(PeriodProblem, match="31 March 2015 falls outside every period.*2015/16, 2016/17"):
        reader.cell("31/03/2015")


# ---------------------------------------------------------------------------- the practice returns
@pytest.mark.parametrize("force_id", PROVIDED)
def test_practice_return_splits_into_its_periods(force_id, catalogue):
    entry = MANIFEST[force_id]
    result = import_return((SECOND / entry["file"]).read_bytes(), entry["file"], catalogue, periods=BOTH)
    assert by_period(result) == entry["offences"]
    assert result.periods and set(result.periods) == set(entry["years"])
    assert result.layout == entry["shape"]
    for label in entry["years"]:
        got = collections.Counter()
        for r in result.rows:
            if r.period == label:
                assert not r.suppressed
                got[(r.offence_code, r.victim_age)] += r.count
        expected = collections.Counter({(c, a): n for c, a, n in TRUTH[label]["cells"][force_id]})
        assert +got == +expected, label


def test_practice_returns_national_totals(catalogue):
    totals = collections.Counter()
    for force_id in PROVIDED:
        f = MANIFEST[force_id]["file"]
        totals.update(by_period(import_return((SECOND / f).read_bytes(), f, catalogue, periods=BOTH)))
    assert totals == {label: TRUTH[label]["total_offences"] for label in ("2015-16", "2016-17")}


@pytest.mark.parametrize("force_id", [f for f in PROVIDED if MANIFEST[f]["years"] == ["2016-17"]])
def test_an_answer_for_the_later_year_only_imports_with_either_question(force_id, catalogue):
    entry = MANIFEST[force_id]
    data = (SECOND / entry["file"]).read_bytes()
    for periods in (BOTH, [FY16]):
        assert by_period(import_return(data, entry["file"], catalogue, periods=periods)) == entry["offences"]
    err = refused(data, entry["file"], catalogue, periods=[FY15])
    assert "2016/17" in err.reason and "(2015/16)" in err.reason


def test_a_two_year_return_for_a_one_period_campaign_is_refused_at_its_first_other_row(catalogue):
    data = (SECOND / "avon-and-somerset.xlsx").read_bytes()
    err = refused(data, "avon-and-somerset.xlsx", catalogue, periods=[FY16])
    assert (err.sheet, err.row) == ("Data", 2) and err.column.startswith("B")
    assert "'2015/16'" in err.reason and "not a period the campaign asks about (2016/17)" in err.reason
    err = refused((SECOND / "greater-manchester.xlsx").read_bytes(), "gm.xlsx", catalogue, periods=[FY16])
    assert err.sheet == "2015-16"


# ---------------------------------------------------------------------------- each family, built
LONG = [["HO Code", "Victim Age", "Count"]]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("first,second", [("2015/16", "2016/17"), ("2015-16", "2016-17"),
                                          ("FY 2015/16", "FY 2016/17"), ("2015/2016", "2016/2017"),
                                          ("April 2015 - March 2016", "April 2016 - March 2017")])
def test_year_column(fmt, first, second, catalogue):
    rows = [["Financial Year", "HO Code", "Victim Age", "Number of offences"],
            [first, "88A", 13, 2], [first, "19E", 9, 1], [second, "88A", 13, 5], ["Total", "", "", 8]]
    result = import_return(*build(fmt, rows), catalogue, periods=BOTH)
    assert {(r.period, r.offence_code, r.count) for r in result.rows} == {
        ("2015-16", "88A", 2), ("2015-16", "19E", 1), ("2016-17", "88A", 5)}
    assert result.layout == "count_long"
    assert any("told apart by the year in column A ('Financial Year')" in w for w in result.warnings)


@pytest.mark.parametrize("fmt", FORMATS)
def test_recorded_date_column_31_march_and_1_april(fmt, catalogue):
    rows = [["Crime Number", "Date Recorded", "Offence", "Age of Victim"],
            ["A/1", dt.date(2015, 4, 1), "88A", 13], ["A/2", dt.date(2016, 3, 31), "88A", 13],
            ["A/3", dt.date(2016, 4, 1), "88A", 13], ["A/4", dt.date(2017, 3, 31), "19E", 9]]
    result = import_return(*build(fmt, rows), catalogue, periods=BOTH)
    assert {(r.period, r.offence_code, r.count) for r in result.rows} == {
        ("2015-16", "88A", 2), ("2016-17", "88A", 1), ("2016-17", "19E", 1)}
    assert result.layout == "per_crime"


@pytest.mark.parametrize("day", ["2016-03-31", "31/03/2016", "31 March 2016"])
def test_recorded_dates_as_text(day, catalogue):
    rows = [["Crime Number", "Date", "Offence", "Age"], ["A/1", day, "88A", 13], ["A/2", "01/04/2016", "88A", 14]]
    result = import_return(csv_bytes(rows), "d.csv", catalogue, periods=BOTH)
    assert {(r.period, r.victim_age) for r in result.rows} == {("2015-16", 13), ("2016-17", 14)}


def test_a_year_column_wins_over_a_recorded_date_and_a_committed_date_is_not_a_period(catalogue):
    rows = [["Year", "Date Committed", "Date Recorded", "Offence", "Age"],
            ["2016/17", "28/02/2016", "02/04/2016", "88A", 13]]
    result = import_return(csv_bytes(rows), "y.csv", catalogue, periods=BOTH)
    assert [r.period for r in result.rows] == ["2016-17"]
    rows = [["Date Committed", "Offence", "Age"], ["28/02/2016", "88A", 13]]
    err = refused(csv_bytes(rows), "c.csv", catalogue, periods=BOTH)
    assert "does not say which period" in err.reason


PIVOT_2015 = [["Offence", 12, 13, "Total"], ["88A", 1, 2, 3], ["19E", 1, "", 1], ["Total", 2, 2, 4]]
PIVOT_2016 = [["Offence", 12, 13, 14, "Total"], ["88A", "", 5, 1, 6], ["Total", "", 5, 1, 6]]
EXPECTED = {("2015-16", "88A", 12, 1), ("2015-16", "88A", 13, 2), ("2015-16", "19E", 12, 1),
            ("2016-17", "88A", 13, 5), ("2016-17", "88A", 14, 1)}


def cells(result) -> set:
    return {(r.period, r.offence_code, r.victim_age, r.count) for r in result.rows}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("first,second", [("Financial Year 2015/16", "Financial Year 2016/17"),
                                          ("2015/2016", "2016/2017"), ("FY 2015-16", "FY 2016-17")])
def test_stacked_tables_under_year_titles(fmt, first, second, catalogue):
    rows = [["Sexual offences against children, 2015/16 and 2016/17"], [], [first], *PIVOT_2015, [],
            [second], *PIVOT_2016, [], ["Notes:"], ["1. Figures are provisional."]]
    result = import_return(*build(fmt, rows), catalogue, periods=BOTH)
    assert cells(result) == EXPECTED
    assert result.layout == "pivot_offence_age"


def test_stacked_long_tables_under_year_titles(catalogue):
    rows = [["2015/16"], *LONG, ["88A", 13, 2], [], ["2016/17"], *LONG, ["88A", 13, 5]]
    result = import_return(csv_bytes(rows), "s.csv", catalogue, periods=BOTH)
    assert {(r.period, r.count) for r in result.rows} == {("2015-16", 2), ("2016-17", 5)}


@pytest.mark.parametrize("writer,name", [(xlsx, "s.xlsx"), (xls, "s.xls"), (ods, "s.ods")])
@pytest.mark.parametrize("first,second", [("2015-16", "2016-17"), ("FY 2015-16", "FY 2016-17"),
                                          ("FY1516", "FY1617"), ("2015-2016", "2016-2017")])
def test_a_sheet_per_year(writer, name, first, second, catalogue):
    data = writer({"Notes": [["Figures for the cyber flag"]], first: PIVOT_2015, second: PIVOT_2016})
    result = import_return(data, name, catalogue, periods=BOTH)
    assert cells(result) == EXPECTED
    assert any("each holds the figures for one period (2015/16, 2016/17)" in w for w in result.warnings)
    assert any(w.endswith("told apart by the sheet names; the periods the campaign asks about") for w in result.warnings)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_year_banner_over_a_pivot(fmt, catalogue):
    rows = [["", "FY 2015/16", "", "", "FY 2016/17", "", "", ""],
            ["HO Code", 12, 13, "Total", 12, 13, 14, "Total"],
            ["88A", 1, 2, 3, "-", 5, 1, 6], ["19E", 1, "-", 1, "-", "-", "-", 0]]
    result = import_return(*build(fmt, rows), catalogue, periods=BOTH)
    assert cells(result) == EXPECTED
    assert any("told apart by the year banner in" in w and w.endswith("row 1; the periods the campaign asks about") for w in result.warnings)


def test_a_year_banner_over_a_pivot_of_offences_across(catalogue):
    rows = [["", "2015/16", "", "2016/17", ""], ["Victim Age", "88A", "19E", "88A", "19E"],
            [12, 1, 1, "", ""], [13, 2, "", 5, ""], [14, "", "", 1, ""]]
    result = import_return(xlsx(rows), "b.xlsx", catalogue, periods=BOTH)
    assert cells(result) == EXPECTED and result.layout == "pivot_age_offence"


def test_a_year_column_beside_a_pivots_offences(catalogue):
    rows = [["Year", "Offence", 12, 13, 14], ["2015/16", "88A", 1, 2, ""], ["2015/16", "19E", 1, "", ""],
            ["2016/17", "88A", "", 5, 1]]
    result = import_return(xlsx(rows), "p.xlsx", catalogue, periods=BOTH)
    assert cells(result) == EXPECTED and result.layout == "pivot_offence_age"


# ---------------------------------------------------------------------------- one period asked
def test_one_period_asked_and_a_return_naming_only_that_year(catalogue):
    rows = [["Financial Year", "Offence", "Age", "Count"], ["2016/17", "88A", 13, 2]]
    result = import_return(csv_bytes(rows), "one.csv", catalogue, periods=[FY16])
    assert [(r.period, r.count) for r in result.rows] == [("2016-17", 2)]


def test_one_period_asked_and_a_return_naming_no_year_is_that_period(catalogue):
    result = import_return(csv_bytes([LONG[0], ["88A", 13, 2]]), "none.csv", catalogue, periods=[FY16])
    assert [r.period for r in result.rows] == ["2016-17"]
    result = import_return(csv_bytes([LONG[0], ["88A", 13, 2]]), "none.csv", catalogue)
    assert [r.period for r in result.rows] == [""]  # nothing asked, nothing named


def test_no_period_asked_labels_what_the_return_names(catalogue):
    rows = [["Financial Year", "Offence", "Age", "Count"], ["2015/16", "88A", 13, 2], ["2016/17", "88A", 13, 5]]
    result = import_return(csv_bytes(rows), "y.csv", catalogue)
    assert {(r.period, r.count) for r in result.rows} == {("2015-16", 2), ("2016-17", 5)}


def test_only_the_later_of_two_asked_periods(catalogue):
    rows = [["2015/16 figures were provided last year (ref FOI/2016/0335)."], [], ["2016/17"], *PIVOT_2016]
    result = import_return(xlsx(rows), "later.xlsx", catalogue, periods=BOTH)
    assert result.periods == ["2016-17"] and result.total == 6


# ---------------------------------------------------------------------------- refusals
def test_years_that_cannot_be_told_apart_are_refused_naming_what_is_missing(catalogue):
    data = xlsx(PIVOT_2015)
    err = refused(data, "nothing.xlsx", catalogue, periods=BOTH)
    assert "asks about 2 periods (2015/16, 2016/17)" in err.reason
    for missing in ("year column", "recorded dates", "year titles", "sheets named by year", "year banner"):
        assert missing in err.reason
    assert import_return(data, "nothing.xlsx", catalogue, periods=[FY15]).periods == ["2015-16"]


def test_a_row_for_a_year_not_asked_is_refused_naming_sheet_and_row(catalogue):
    rows = [["Financial Year", "Offence", "Age", "Count"], ["2016/17", "88A", 13, 2], ["2014/15", "88A", 13, 1]]
    err = refused(xlsx({"Figures": rows}), "old.xlsx", catalogue, periods=BOTH)
    assert (err.sheet, err.row) == ("Figures", 3) and err.column == "A ('Financial Year')"
    assert "'2014/15' is not a period the campaign asks about (2015/16, 2016/17)" in err.reason
    assert "old.xlsx, sheet Figures, row 3" in str(err)


def test_a_date_outside_every_period_is_refused_with_its_row(catalogue):
    rows = [["Crime Number", "Date Recorded", "Offence", "Age"], ["A/1", dt.date(2016, 4, 1), "88A", 13],
            ["A/2", dt.date(2017, 4, 1), "88A", 13]]
    err = refused(xlsx(rows), "late.xlsx", catalogue, periods=BOTH)
    assert (err.sheet, err.row) == ("Data", 3) and err.column.startswith("B")
    assert "1 April 2017 falls outside every period the campaign asks about (2015/16, 2016/17)" in err.reason


def test_a_row_without_its_year_is_refused(catalogue):
    rows = [["Financial Year", "Offence", "Age", "Count"], ["2016/17", "88A", 13, 2], ["", "88A", 14, 1],
            ["last year", "88A", 15, 1]]
    err = refused(csv_bytes(rows), "gap.csv", catalogue, periods=BOTH)
    assert err.row == 3 and "no year or recorded date on a row with figures" in err.reason
    err = refused(csv_bytes(rows[:2] + rows[3:]), "gap.csv", catalogue, periods=BOTH)
    assert err.row == 3 and "'last year' is not a year" in err.reason


def test_a_calendar_year_is_refused_when_financial_years_are_asked(catalogue):
    rows = [["Year", "Offence", "Age", "Count"], [2016, "88A", 13, 2]]
    err = refused(xlsx(rows), "cal.xlsx", catalogue, periods=BOTH)
    assert err.row == 2 and "calendar year" in err.reason and "which financial year" in err.reason


def test_a_title_banner_or_sheet_for_a_year_not_asked(catalogue):
    err = refused(xlsx([["2014/15"], *PIVOT_2015]), "t.xlsx", catalogue, periods=BOTH)
    assert err.row == 1 and "title" in err.reason and "2014/15" in err.reason
    rows = [["", "FY 2014/15", "", "FY 2016/17", ""], ["HO Code", 12, 13, 12, 13], ["88A", 1, 2, 3, 4]]
    err = refused(xlsx(rows), "b.xlsx", catalogue, periods=BOTH)
    assert (err.row, err.column) == (1, "B") and "year banner" in err.reason
    err = refused(xlsx({"2014-15": PIVOT_2015, "2016-17": PIVOT_2016}), "s.xlsx", catalogue, periods=BOTH)
    assert err.sheet == "2014-15" and "sheet's name" in err.reason


def test_two_year_columns_are_refused_naming_both(catalogue):
    rows = [["Year", "Financial Year", "Offence", "Age", "Count"], ["2016/17", "2016/17", "88A", 13, 1]]
    err = refused(csv_bytes(rows), "two.csv", catalogue, periods=BOTH)
    assert "A ('Year') and B ('Financial Year') could both be the year" in err.reason


def test_a_year_column_is_not_mistaken_for_age_or_count(catalogue):
    rows = [["Year", "Offence", "Victim Age", "Count"], ["2015/16", "88A", 13, 2]]
    result = import_return(csv_bytes(rows), "y.csv", catalogue, periods=BOTH)
    assert [(r.victim_age, r.count, r.period) for r in result.rows] == [(13, 2, "2015-16")]


def test_a_sheet_or_title_named_by_a_bare_year_is_no_year_information(catalogue):
    data = xlsx({"2016": PIVOT_2015})  # the year of the request, as likely as the year counted
    assert import_return(data, "s.xlsx", catalogue, periods=[FY15]).periods == ["2015-16"]
    assert "does not say which period" in refused(data, "s.xlsx", catalogue, periods=BOTH).reason
    calendar = [Period(dt.date(y, 1, 1), dt.date(y, 12, 31)) for y in (2015, 2016)]
    result = import_return(xlsx({"2015": PIVOT_2015, "2016": PIVOT_2016}), "c.xlsx", catalogue, periods=calendar)
    assert by_period(result) == {calendar[0].label: 4, calendar[1].label: 6}


def test_one_period_asked_and_a_year_title_over_the_first_of_two_tables_by_sex(catalogue):
    rows = [["2015/16"], ["Female victims"], *LONG, ["88A", 13, 2], [], ["Male victims"], *LONG, ["88A", 13, 1]]
    result = import_return(xlsx(rows), "sex.xlsx", catalogue, periods=[FY15])
    assert {(r.period, r.victim_sex, r.count) for r in result.rows} == {("2015-16", "female", 2),
                                                                        ("2015-16", "male", 1)}
    err = refused(xlsx(rows), "sex.xlsx", catalogue, periods=BOTH)
    assert "some tables say which period" in err.reason


def test_one_period_asked_and_rows_with_no_recorded_date(catalogue):
    rows = [["Crime Number", "Date Recorded", "Offence", "Age"], ["A/1", dt.date(2016, 4, 1), "88A", 13],
            ["A/2", "", "88A", 13], ["A/3", "Not recorded", "88A", 14]]
    result = import_return(xlsx(rows), "gaps.xlsx", catalogue, periods=[FY16])
    assert {(r.period, r.victim_age, r.count) for r in result.rows} == {("2016-17", 13, 2), ("2016-17", 14, 1)}
    assert any("row 3: rows with no year or recorded date in column B ('Date Recorded') counted in 2016/17, "
               "the one period asked" in w for w in result.warnings)
    err = refused(xlsx(rows), "gaps.xlsx", catalogue, periods=BOTH)
    assert err.row == 3 and "no year or recorded date" in err.reason
    assert {r.period for r in import_return(xlsx(rows), "gaps.xlsx", catalogue).rows} == {"2016-17", ""}


def test_a_word_letter_with_a_table_per_year_under_its_heading(catalogue):
    from .builders import docx_bytes

    def table(rows):
        return [[str(c) for c in row] for row in rows]

    data = docx_bytes(["Dear requester, the figures follow.", "Financial Year 2015/16", table(PIVOT_2015),
                       "Financial Year 2016/17", table(PIVOT_2016), "Yours sincerely"])
    result = import_return(data, "letter.docx", catalogue, periods=BOTH)
    assert cells(result) == EXPECTED


def test_the_command_line_takes_the_periods_asked(capsys):
    from collection.importer.__main__ import main

    args = [str(SECOND / "cleveland.xlsx"), "--codes", str(DATA / "offence_codes.csv")]
    assert main(args + ["--periods", "2015-16,2016-17"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert {r["period"] for r in rows} == {"2015-16", "2016-17"}
    assert main(args + ["--periods", "2016-17"]) == 2
    assert "row 1, column B: year banner: 'FY 2015/16' (2015/16) is not a period" in capsys.readouterr().err


@pytest.mark.parametrize("header,role", [
    ("Financial Year", "year"), ("Year", "year"), ("FY", "year"), ("Year Recorded", "year"), ("Fiscal year", "year"),
    ("Date Recorded", "date"), ("Recorded Date", "date"), ("Date", "date"), ("Date/Time Recorded", "date"),
    ("Date Committed", "ignore"), ("Offence Date", "ignore"), ("Date of Birth", "ignore"), ("Year of birth", "ignore"),
    ("Month", "ignore"), ("Age at date recorded", "age"), ("Number of offences", "count"),
])
def test_year_and_date_headers(header, role):
    from collection.importer.labels import header_role

    assert header_role(header) == role
