"""Which reminders are due on a day: the pure rules, day by day across weekends and UK-wide
bank holidays (no database)."""
import datetime as dt

import pytest

from collection.deadlines import WorkingCalendar
from collection.reminders.rules import (CHASER_OVERDUE, CHASER_VERY_OVERDUE, DUE_SOON, DUE_TODAY, OVERDUE,
                                       REVIEW_OVERDUE, VERY_OVERDUE, ChaserDue, RequestFacts, chaser_due,
                                       digest_section, is_reminder_day)

D = dt.date.fromisoformat
CAL = WorkingCalendar()


def waiting(due):
    return RequestFacts(awaiting_force=True, due_on=D(due))


def chasers_between(facts, start, end, calendar=CAL):
    """{day: chaser} for every day from start to end on which one is owed."""
    day, out = D(start), {}
    while day <= D(end):
        due = chaser_due(facts, day, calendar)
        if due is not None:
            out[day] = due
        day += dt.timedelta(days=1)
    return out


@pytest.mark.parametrize("due, first_chaser_on, skipped", [
    ("2016-04-01", "2016-04-04", "the weekend"),
    ("2016-03-24", "2016-03-29", "Good Friday, the weekend and Easter Monday"),
    ("2016-03-16", "2016-03-18", "St Patrick's Day (Northern Ireland only)"),
    ("2015-12-31", "2016-01-05", "New Year, the weekend and Scotland's 2 January holiday (observed 4 Jan)"),
    ("2016-07-29", "2016-08-02", "Scotland's summer bank holiday, 1 August"),
    ("2016-07-11", "2016-07-13", "the Battle of the Boyne, 12 July (Northern Ireland only)"),
])
def test_first_chaser_goes_on_the_first_uk_working_day_after_the_due_date(due, first_chaser_on, skipped):
    owed = chasers_between(waiting(due), due, first_chaser_on)
    assert list(owed) == [D(first_chaser_on)], skipped
    assert owed[D(first_chaser_on)] == ChaserDue(CHASER_OVERDUE, D(due))


def test_nothing_is_sent_on_a_weekend_or_bank_holiday():
    assert not is_reminder_day(D("2016-04-02"))  # Saturday
    assert not is_reminder_day(D("2016-03-25"))  # Good Friday
    assert not is_reminder_day(D("2016-08-01"))  # Scotland only, but the Act counts any UK nation
    assert is_reminder_day(D("2016-04-04"))
    assert chaser_due(waiting("2016-03-24"), D("2016-03-28"), CAL) is None  # Easter Monday


def test_a_day_staff_add_in_the_admin_is_skipped_too():
    extra = WorkingCalendar({D("2016-04-04"): "Proclaimed bank holiday"})
    assert list(chasers_between(waiting("2016-04-01"), "2016-04-01", "2016-04-05", extra)) == [D("2016-04-05")]


def test_the_first_chaser_stays_owed_until_very_overdue_then_the_firmer_one():
    # So a run that was missed or died still sends it; the log stops it going twice.
    facts = waiting("2016-04-15")  # very overdue from 16 May: 20 working days, skipping 2 May
    assert chaser_due(facts, D("2016-05-13"), CAL) == ChaserDue(CHASER_OVERDUE, D("2016-04-15"))
    assert chaser_due(facts, D("2016-05-16"), CAL) == ChaserDue(CHASER_VERY_OVERDUE, D("2016-04-15"))
    assert chaser_due(facts, D("2016-09-01"), CAL) == ChaserDue(CHASER_VERY_OVERDUE, D("2016-04-15"))


def test_very_overdue_counts_scotlands_august_holiday():
    facts = waiting("2016-07-20")
    assert digest_section(facts, D("2016-08-17"), CAL) == OVERDUE
    assert digest_section(facts, D("2016-08-18"), CAL) == VERY_OVERDUE
    assert chaser_due(facts, D("2016-08-18"), CAL).kind == CHASER_VERY_OVERDUE


@pytest.mark.parametrize("today, section", [
    ("2016-03-18", None),  # Friday: 24 March is the 4th working day ahead
    ("2016-03-21", DUE_SOON),
    ("2016-03-23", DUE_SOON),
    ("2016-03-24", DUE_TODAY),
    ("2016-03-29", OVERDUE),  # the first working day after, across Easter
    ("2016-04-22", OVERDUE),
    ("2016-04-25", VERY_OVERDUE),  # 20 working days after 24 March
])
def test_digest_sections_for_a_request_due_the_day_before_good_friday(today, section):
    assert digest_section(waiting("2016-03-24"), D(today), CAL) == section


def test_due_soon_looks_three_working_days_ahead_across_a_weekend():
    assert digest_section(waiting("2016-04-06"), D("2016-04-01"), CAL) == DUE_SOON  # Fri -> Wed
    assert digest_section(waiting("2016-04-07"), D("2016-04-01"), CAL) is None


@pytest.mark.parametrize("facts", [
    RequestFacts(awaiting_force=False, due_on=D("2016-04-01")),  # answered
    RequestFacts(awaiting_force=True, due_on=None),  # clock stopped: awaiting clarification
])
def test_no_chaser_and_no_digest_line_for_answered_or_stopped_requests(facts):
    assert chaser_due(facts, D("2016-06-01"), CAL) is None
    assert digest_section(facts, D("2016-06-01"), CAL) is None


def test_an_overdue_internal_review_is_in_the_digest_but_not_chased():
    review = RequestFacts(awaiting_force=False, due_on=D("2016-04-01"), in_internal_review=True,
                          review_due_on=D("2016-05-20"))
    assert digest_section(review, D("2016-05-20"), CAL) is None
    assert digest_section(review, D("2016-05-23"), CAL) == REVIEW_OVERDUE
    assert chaser_due(review, D("2016-05-23"), CAL) is None
