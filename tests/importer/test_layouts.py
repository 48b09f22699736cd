"""Each family of shapes, in each format where it makes sense, built in the test."""
import json

import pytest

from collection.importer import ColumnMapping, import_return

from .builders import FORMATS, build, csv_bytes, totals, xlsx

PER_CRIME = [
    ["FOI 123 - online sexual offences against children"],
    ["Period: 01/04/2015 to 31/03/2016"],
    [],
    ["Crime Ref", "Date", "Offence", "Age of victim", "Station"],
    ["CR1", "2015-05-01", "19E - Rape of a female child under 13", 11, "North"],
    ["CR2", "2015-05-02", "88A", "13 yrs", "South"],
    ["CR3", "2015-05-03", "Sexual grooming", "Age 13", "South"],
    [],
    ["CR4", "2015-05-04", "86", "Unknown", "East"],
    ["CR5", "2015-05-05", "86", "", "East"],
    [],
    ["Notes: figures are provisional"],
]


@pytest.mark.parametrize("fmt", FORMATS)
def test_per_crime_with_preamble_and_notes(fmt, catalogue):
    data, name = build(fmt, PER_CRIME)
    r = import_return(data, name, catalogue)
    assert r.layout == "per_crime" and r.header_row == 4 and r.rows_read == 5
    assert totals(r) == {("19E", 11): 1, ("88A", 13): 2, ("86", None): 2}
    assert r.counting_unit == "crimes"


COUNT_LONG = [
    ["HO Code", "Offence Description", "Victim age", "Victim sex", "Number of victims"],
    ["17B", "Sexual assault on a male child under 13", 5, "M", 2],
    ["20A", "Sexual assault on a female aged 13 and over", "14", "F", "3"],
    ["20A", "Sexual assault on a female aged 13 and over", 14, "F", 1],
    ["22B", "Sexual activity involving a child under 16", 15, "F", "*"],
    ["71", "Abuse of children through sexual exploitation", 12, "F", "-"],
    ["Total", "", "", "", 6],
]


@pytest.mark.parametrize("fmt", FORMATS)
def test_count_long_with_sex_suppression_and_total(fmt, catalogue):
    data, name = build(fmt, COUNT_LONG)
    r = import_return(data, name, catalogue)
    assert r.layout == "count_long" and r.counting_unit == "victims"
    rows = {(t.offence_code, t.victim_age, t.victim_sex): (t.count, t.suppressed_label) for t in r.rows}
    assert rows == {("17B", 5, "male"): (2, ""), ("20A", 14, "female"): (4, ""), ("22B", 15, "female"): (None, "*")}
    assert any("suppressed" in w for w in r.warnings)


PIVOT_OA = [
    ["Sexual offences against children, 2015/16"],
    [],
    ["Offence", 0, "1 yrs", "13", 14.0, "Not known", "Total"],
    ["17B", "", 1, "", "", "", 1],
    ["Sexual assault on a female aged 13 and over", "", "", 2, 3, 1, 6],
    ["Exposure and voyeurism", "-", "-", "<5", "-", "-", "<5"],
    ["Grand Total", 0, 1, 2, 3, 1, 7],
    [],
    ["Source: crime recording system"],
    ["Extracted 12/05/2016"],
]


@pytest.mark.parametrize("fmt", FORMATS)
def test_pivot_offence_age(fmt, catalogue):
    data, name = build(fmt, PIVOT_OA)
    r = import_return(data, name, catalogue)
    assert r.layout == "pivot_offence_age" and r.header_row == 3
    assert totals(r) == {("17B", 1): 1, ("20A", 13): 2, ("20A", 14): 3, ("20A", None): 1}
    supp = [t for t in r.rows if t.suppressed]
    assert [(t.offence_code, t.victim_age, t.count, t.suppressed_label) for t in supp] == [("88E", 13, None, "<5")]


PIVOT_AO = [
    ["Victim Age", "19E", "Sexual grooming", "71 - Abuse of children through sexual exploitation", "All offences"],
    ["11", 1, 0, 2, 3],
    ["12 years", 0, 4, 0, 4],
    ["Not recorded", 0, 0, 1, 1],
    ["Total", 1, 4, 3, 8],
]


@pytest.mark.parametrize("fmt", FORMATS)
def test_pivot_age_offence(fmt, catalogue):
    data, name = build(fmt, PIVOT_AO)
    r = import_return(data, name, catalogue)
    assert r.layout == "pivot_age_offence"
    assert totals(r) == {("19E", 11): 1, ("71", 11): 2, ("88A", 12): 4, ("71", None): 1}


BANDS_SEX = [
    ["", "Female", "", "", "", "Male", "", "", "", "Total"],
    ["Offence", "0-5", "6-10", "11 and under", "16 & 17", "0-5", "6-10", "11 and under", "16 & 17", ""],
    ["88A", 1, "", 2, "", "", 1, "", "", 4],
    ["86", "", "", "", 3, 1, "", "", "", 4],
    ["Total", 1, 0, 2, 3, 1, 1, 0, 0, 8],
]


@pytest.mark.parametrize("fmt", FORMATS)
def test_age_bands_with_sex_banner(fmt, catalogue):
    data, name = build(fmt, BANDS_SEX)
    r = import_return(data, name, catalogue)
    got = {(t.offence_code, t.age_band, t.age_band_min, t.age_band_max, t.victim_sex): t.count for t in r.rows}
    assert got == {("88A", "0-5", 0, 5, "female"): 1, ("88A", "0-11", 0, 11, "female"): 2,
                   ("88A", "6-10", 6, 10, "male"): 1, ("86", "16-17", 16, 17, "female"): 3,
                   ("86", "0-5", 0, 5, "male"): 1}


def test_merged_victim_age_banner_xlsx(catalogue):
    rows = [[None, "Victim age (years)"], ["HO Code", 12, 13, "Unknown"], ["19E", 1, "-", "-"], ["22B", "-", 2, 1]]
    data = xlsx(rows, merges=[(0, 1, 0, 3, "Victim age (years)")])
    r = import_return(data, "merged.xlsx", catalogue)
    assert r.layout == "pivot_offence_age" and r.header_row == 2
    assert totals(r) == {("19E", 12): 1, ("22B", 13): 2, ("22B", None): 1}


def test_table_not_in_column_a_reports_real_columns(catalogue):
    rows = [[None, None, None], [None, None, "Offence", "Age", "Count"], [None, None, "88A", 13, -1]]
    data = xlsx(rows)
    with pytest.raises(Exception) as exc:
        import_return(data, "offset.xlsx", catalogue)
    assert "row 3, column E ('Count')" in str(exc.value)


def test_cover_sheet_skipped(catalogue):
    data = xlsx({"Cover": [["Freedom of Information response"], ["Please see the next sheet"]],
                 "Data": [["Offence", "Age", "Count"], ["88A", 13, 2]]})
    r = import_return(data, "cover.xlsx", catalogue)
    assert r.sheet == "Data" and totals(r) == {("88A", 13): 2}
    assert any("Cover" in w and "skipped" in w for w in r.warnings)


def test_sheets_split_by_sex_are_combined(catalogue):
    data = xlsx({"Girls": [["Offence", "Age", "Count"], ["88A", 13, 2]],
                 "Boys": [["Offence", "Age", "Count"], ["88A", 13, 1]]})
    r = import_return(data, "split.xlsx", catalogue)
    assert {(t.victim_sex, t.count) for t in r.rows} == {("female", 2), ("male", 1)}


def test_summary_and_data_sheets_that_agree_use_the_detail(catalogue):
    data = xlsx({"Summary": [["Offence", 13, 14], ["88A", 1, 1]],
                 "Data": [["Crime ref", "Offence", "Victim age"], ["A", "88A", 13], ["B", "88A", 14]]})
    r = import_return(data, "two.xlsx", catalogue)
    assert r.layout == "per_crime" and totals(r) == {("88A", 13): 1, ("88A", 14): 1}


def test_csv_bom_semicolon_and_cp1252(catalogue):
    rows = [["Offence", "Victim age", "Count"], ["Sexual grooming", 13, 2], ["Notes – provisional"]]
    for enc, expected in (("utf-8-sig", "utf-8-sig"), ("cp1252", "cp1252"), ("utf-8", "utf-8")):
        data = csv_bytes(rows, encoding=enc, delimiter=";")
        r = import_return(data, "r.csv", catalogue)
        assert r.encoding == expected and totals(r) == {("88A", 13): 2}


def test_age_inconsistent_with_code_warns(catalogue):
    data = csv_bytes([["Offence", "Age", "Count"], ["19E", 14, 1]])
    r = import_return(data, "r.csv", catalogue)
    assert any("19E" in w and "14" in w and "inconsistent" in w for w in r.warnings)


def test_offence_only_counts_are_unknown_age(catalogue):
    data = csv_bytes([["Offence", "Number of crimes"], ["88A", 3], ["Total", 3]])
    r = import_return(data, "r.csv", catalogue)
    assert totals(r) == {("88A", None): 3} and r.counting_unit == "crimes"


def test_mapping_overrides_detection(catalogue):
    rows = [["Something", "Whatever", "Thing"], ["88A", 13, 2], ["86", 14, 1]]
    data = xlsx(rows)
    with pytest.raises(Exception):
        import_return(data, "odd.xlsx", catalogue)
    m = ColumnMapping(sheet="Data", header_row=1, layout="count_long", offence="A", age="Whatever", count="C")
    m2 = ColumnMapping.from_json(json.loads(json.dumps(m.to_dict())))  # as the app stores it (a JSON field)
    assert m2 == m
    r = import_return(data, "odd.xlsx", catalogue, mapping=m2)
    assert r.layout == "mapped" and totals(r) == {("88A", 13): 2, ("86", 14): 1}


def test_mapping_pivot_with_last_row(catalogue):
    rows = [["Offence", 13, 14], ["88A", 1, 2], ["Table 2"], ["Offence", 13, 14], ["86", 5, 5]]
    data = xlsx(rows)
    with pytest.raises(Exception) as exc:
        import_return(data, "two-tables.xlsx", catalogue)
    assert "row 4" in str(exc.value)
    m = ColumnMapping(header_row=1, layout="pivot_offence_age", offence="A", last_row=2)
    r = import_return(data, "two-tables.xlsx", catalogue, mapping=m)
    assert totals(r) == {("88A", 13): 1, ("88A", 14): 2}


def test_mapping_json_rejects_unknown_keys():
    with pytest.raises(ValueError):
        ColumnMapping.from_json('{"offence": "A", "agee": "B"}')
    with pytest.raises(ValueError):
        ColumnMapping.from_json({"layout": "sideways"})
