"""Age headings over the sections of a letter, in every form forces write them: a letter whose
only novelty is a spaced hyphen, "13 to 15 years" or "Under 13s" is read like the others."""
import pytest

from collection.importer import import_return

HEADINGS = [("Aged 12 and under", (0, 12)), ("Aged 13 - 15", (13, 15)), ("13 to 15 years", (13, 15)),
            ("Age 16-17", (16, 17)), ("Under 13s", (0, 12))]


@pytest.mark.parametrize("heading, band", HEADINGS)
def test_an_age_heading_sets_the_age_of_the_figures_below(catalogue, heading, band):
    letter = (f"Thank you for your request.\n\n{heading}\n"
              "  88A Sexual grooming - 4\n  71 Abuse of children through sexual exploitation - 2\n\nTotal: 6\n")
    r = import_return(letter.encode(), "answer.txt", catalogue, offence_codes=("88A", "71"))
    assert {(x.offence_code, x.age_band_min, x.age_band_max, x.count) for x in r.rows} == {
        ("88A", *band, 4), ("71", *band, 2)}


def test_several_headings_in_one_letter(catalogue):
    letter = ("Your request.\n\nUnder 13s:\n  88A Sexual grooming - 3\n\n13 to 15 years:\n  88A Sexual grooming - 5\n\n"
              "Aged 16 - 17\n  88A Sexual grooming - 1\n")
    r = import_return(letter.encode(), "answer.txt", catalogue, offence_codes=("88A", "71"))
    assert sorted((x.age_band_min, x.age_band_max, x.count) for x in r.rows) == [(0, 12, 3), (13, 15, 5), (16, 17, 1)]
