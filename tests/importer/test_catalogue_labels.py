"""Offence labels, ages, counts and header words."""
import pytest

from collection.importer import OffenceCatalogue, OffenceEntry, load_catalogue_csv
from collection.importer.labels import (NOT_AGE, UNKNOWN_AGE, CountProblem, header_role, is_total_label,
                                        parse_age, parse_count, parse_sex)

from .builders import DATA


@pytest.mark.parametrize("label,code", [
    ("88A", "88A"), ("088A", "88A"), ("88a", "88A"), (" 21 ", "21"), ("021", "21"),
    ("19E - Rape of a female child under 13", "19E"), ("19E Rape of a female child under 13", "19E"),
    ("Rape of a female child under 13 (19E)", "19E"), ("rape of a FEMALE child, under 13.", "19E"),
    ("OBSCENE PUBLICATIONS ETC. & PROTECTED SEXUAL MATERIAL", "86"),
    ("Rape of a female child under 13 - 19E", "19E"), ("088 - Exposure and voyeurism", "88E"),
])
def test_resolve(catalogue, label, code):
    assert catalogue.resolve(label).code == code


@pytest.mark.parametrize("label", [
    "17", "88", "99Z", "Sexual stuff", "", "088/05", "19E - Sexual grooming", "Sexual grooming (19E)",
    "089 - Exposure and voyeurism",
])
def test_resolve_refuses_to_guess(catalogue, label):
    assert catalogue.resolve(label) is None


def test_numeric_subcodes_only_through_explicit_aliases():
    base = load_catalogue_csv(str(DATA / "offence_codes.csv"))
    assert "numeric Home Office sub-code" in base.explain("088/05")
    cat = load_catalogue_csv(str(DATA / "offence_codes.csv"), aliases={"88/05": "88E"})
    assert cat.resolve("088/05").code == "88E"
    assert cat.resolve("088/5").code == "88E"
    assert cat.resolve("088/04") is None


def test_ambiguous_description_is_none():
    cat = OffenceCatalogue([OffenceEntry("1A", "Same words", "other", None, None),
                            OffenceEntry("1B", "Same words", "other", None, None)])
    assert cat.resolve("same words") is None
    assert cat.resolve("1A").code == "1A"
    assert cat.get("01a").code == "1A"


@pytest.mark.parametrize("value,expected", [
    (13, (13, 13)), (13.0, (13, 13)), ("13", (13, 13)), ("13 yrs", (13, 13)), ("Age 13", (13, 13)),
    ("13 years", (13, 13)), ("13.0", (13, 13)), ("0", (0, 0)),
    ("Unknown", UNKNOWN_AGE), ("Not recorded", UNKNOWN_AGE), ("Not known", UNKNOWN_AGE), ("N/K", UNKNOWN_AGE),
    ("NK", UNKNOWN_AGE), ("0-5", (0, 5)), ("6 - 10", (6, 10)), ("11 to 15", (11, 15)), ("16-17", (16, 17)),
    ("11 and under", (0, 11)), ("Under 13", (0, 12)), ("16 & 17", (16, 17)), ("Under 1", (0, 0)),
    ("Offence", NOT_AGE), ("Victim age", NOT_AGE),
])
def test_parse_age(value, expected):
    assert parse_age(value) == expected


@pytest.mark.parametrize("value", [18, "34", 13.5, "16+", "16-18", -1])
def test_parse_age_problems(value):
    assert isinstance(parse_age(value), str)


@pytest.mark.parametrize("value,expected", [
    ("", (0, "")), (None, (0, "")), ("-", (0, "")), ("Nil", (0, "")), (0, (0, "")), (13.0, (13, "")),
    ("13", (13, "")), ("1,204", (1204, "")), ("*", (None, "*")), ("<5", (None, "<5")), ("x", (None, "x")),
])
def test_parse_count(value, expected):
    assert parse_count(value) == expected


@pytest.mark.parametrize("value", [-1, 13.5, "13.5", "=SUM(B2:B4)", "lots", True])
def test_parse_count_problems(value):
    with pytest.raises(CountProblem):
        parse_count(value)


@pytest.mark.parametrize("text,role", [
    ("Offence", "offence_desc"), ("Crime type", "offence_desc"), ("Classification", "offence_code"),
    ("HO code", "offence_code"), ("HOCR Code", "offence_code"), ("Offence description", "offence_desc"),
    ("Victim age", "age"), ("Age of victim", "age"), ("IP age", "age"), ("Age", "age"),
    ("Age at time of offence", "age"), ("Count", "count"), ("Number", "count"), ("No. of crimes", "count"),
    ("Offences", "count"), ("Total", "total"), ("Sex", "sex"), ("Gender", "sex"),
    ("Crime reference", "ignore"), ("Crime No", "ignore"), ("Date recorded", "date"), ("Date committed", "ignore"),
        ("Financial Year", "year"), ("FY", "year"), ("Year of birth", "ignore"), ("Month", "ignore"),
    ("Offender age", "ignore"),
])
def test_header_role(text, role):
    assert header_role(text) == role


def test_totals_and_sex_words():
    for t in ("Total", "Grand Total", "Sum:", "All ages", "Female total"):
        assert is_total_label(t)
    assert not is_total_label("Sexual grooming")
    assert parse_sex("Girls") == "female" and parse_sex("M") == "male" and parse_sex("N/K") == "unknown"
