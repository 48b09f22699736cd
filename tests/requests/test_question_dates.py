"""The dates a question names, moved on when it is asked again (collection/question_dates.py, pure)."""
import datetime as dt

import pytest

from collection.periods import Period, financial_year_starting
from collection.question_dates import (ask_again_sentence, mentions, move_dates, names_period, with_earlier_period,
                                       written_out)

D = dt.date
FY15, FY16, FY17 = financial_year_starting(2015), financial_year_starting(2016), financial_year_starting(2017)


@pytest.mark.parametrize("written, moved", [
    ("2015/16", "2016/17"),
    ("2015-16", "2016-17"),
    ("FY 2015/16", "FY 2016/17"),
    ("2015/2016", "2016/2017"),
    ("2015 - 16", "2016 - 17"),
    ("1 April 2015 to 31 March 2016", "1 April 2016 to 31 March 2017"),
    ("1st April 2015 to 31st March 2016", "1st April 2016 to 31st March 2017"),
    ("1 Apr 2015 - 31 Mar 2016", "1 Apr 2016 - 31 Mar 2017"),
    ("01/04/2015 and 31/03/2016", "01/04/2016 and 31/03/2017"),
    ("1.4.2015", "1.4.2016"),
    ("2015-04-01 to 2016-03-31", "2016-04-01 to 2017-03-31"),
    ("April 1, 2015 to March 31, 2016", "April 1, 2016 to March 31, 2017"),
    ("April 2015 to March 2016", "April 2016 to March 2017"),
    ("APRIL 2015", "APRIL 2016"),
    ("recorded in 2015 and 2016", "recorded in 2016 and 2017"),
    ("on 29 February 2016", "on 28 February 2017"),
    ("cyber-2015-16", "cyber-2016-17"),
])
def test_a_year_on_every_way_forces_and_researchers_write_a_date(written, moved):
    result = move_dates(f"How many offences {written}?", FY15, FY16)
    assert result.text == f"How many offences {moved}?"
    assert result.moved and not result.kept


def test_the_shift_is_the_difference_between_the_periods():
    two_years = move_dates("between 1 April 2015 and 31 March 2016 (2015/16)", FY15, FY17)
    assert two_years.text == "between 1 April 2017 and 31 March 2018 (2017/18)"
    quarter = move_dates("from 1 January 2016 to 31 March 2016 (January 2016 to March 2016)",
                         Period(D(2016, 1, 1), D(2016, 3, 31)), Period(D(2016, 4, 1), D(2016, 6, 30)))
    assert quarter.text == "from 1 April 2016 to 30 June 2016 (April 2016 to June 2016)"
    calendar_year = move_dates("offences recorded in 2016 (1/1/2016 to 31/12/2016)",
                               Period(D(2016, 1, 1), D(2016, 12, 31)), Period(D(2017, 1, 1), D(2017, 12, 31)))
    assert calendar_year.text == "offences recorded in 2017 (1/1/2017 to 31/12/2017)"


def test_a_date_it_cannot_move_is_kept_as_written_and_named():
    text = "Offences from 1 January 2016 to 10 March 2016, the first part of 2016."
    result = move_dates(text, Period(D(2016, 1, 1), D(2016, 3, 10)), Period(D(2016, 3, 11), D(2016, 5, 19)))
    assert result.text == "Offences from 11 March 2016 to 19 May 2016, the first part of 2016."
    assert result.kept == (("2016", "11 Mar 2016 to 19 May 2016 is not a whole number of years after "
                                    "1 Jan 2016 to 10 Mar 2016"),)
    assert "“2016” kept as written" in result.notes[0]


def test_dates_outside_the_periods_asked_and_statutes_stay():
    text = ("Under the Sexual Offences Act 2003 and the guidance of 12 May 2014, how many offences in 2015/16? "
            "Our ref FOI 001234/16, 2,015 pages, £2015.")
    result = move_dates(text, FY15, FY16)
    assert result.text == text.replace("2015/16?", "2016/17?")
    assert [written for written, _ in result.kept] == ["12 May 2014"]
    assert "outside the period asked, 2015/16" in result.notes[0]


def test_earlier_periods_asked_move_with_it():
    text = "How many in 2016/17? Please also give 2015/16 again."
    result = move_dates(text, FY16, FY17, asked=(FY15, FY16))
    assert result.text == "How many in 2017/18? Please also give 2016/17 again."


def test_not_a_financial_year_or_not_a_date():
    found = mentions("2015-17, 2003-05, 31/02/2016, 2015-13-01, 1 Smarch 2015")
    assert [(m.kind, m.text) for m in found] == [("year", "2015")]  # the year of "1 Smarch 2015" alone


@pytest.mark.parametrize("text, named", [
    ("How many in 2015/16 and 2016/17?", True),
    ("from 1 April 2015 to 31 March 2017", False),  # one span across both years: not the earlier year alone
    ("for 1 April 2015 to 31 March 2016 and for 2016/17", True),
    ("April 2015 to March 2016 again", True),
    ("How many in 2016/17?", False),
])
def test_names_period(text, named):
    assert names_period(text, FY15) is named


def test_asking_for_the_earlier_period_again_adds_a_sentence_only_when_needed():
    text, added = with_earlier_period("How many offences in 2016/17?", FY15)
    assert added and text == ("How many offences in 2016/17?\n\nPlease also give the same figures again for "
                              "1 April 2015 to 31 March 2016 (2015/16), as your records hold them today, so that "
                              "the two periods can be compared like for like.")
    same, added = with_earlier_period("How many in 2016/17, and again in 2015/16?", FY15)
    assert not added and same == "How many in 2016/17, and again in 2015/16?"
    assert written_out(Period(D(2016, 1, 1), D(2016, 12, 31))) == "1 January 2016 to 31 December 2016"
    assert "1 January 2016 to 31 December 2016," in ask_again_sentence(Period(D(2016, 1, 1), D(2016, 12, 31)))
