"""The FOIA clock: DOMAIN.md's test vectors, each nation's holidays, weekend receipt, and the
events that stop, pause and move it."""
import datetime as dt

import pytest

from collection import deadlines as d

D = dt.date.fromisoformat


def due(received: dt.date, **rules) -> dt.date:
    """The due date of a request received that day with no event: the clock the app itself runs."""
    return d.request_clock(received, (), **rules).due_on


@pytest.mark.parametrize("received, expected", [
    ("2008-10-01", "2008-10-29"),
    ("2009-03-12", "2009-04-14"),  # St Patrick's Day (NI), Good Friday, Easter Monday
    ("2009-03-14", "2009-04-15"),  # a Saturday
    ("2016-03-01", "2016-04-01"),  # St Patrick's Day
    ("2016-07-15", "2016-08-15"),  # Scotland's summer bank holiday, 1 August
    ("2016-12-01", "2017-01-04"),  # Christmas, Boxing Day, New Year and Scotland's 2 January
    ("2016-04-02", "2016-04-29"),  # Saturday 2 April 2016, by the statute
])
def test_domain_vectors(received, expected):
    assert due(D(received)) == D(expected)


@pytest.mark.parametrize("day, nation", [
    ("2016-03-17", "NIR"), ("2016-07-12", "NIR"), ("2016-01-04", "SCT"), ("2016-08-01", "SCT"),
    ("2016-11-30", "SCT"), ("2016-08-29", "ENG"), ("2016-03-28", "WLS"), ("2016-03-25", "ENG"),
    ("2016-12-27", "ENG"),
])
def test_a_bank_holiday_in_any_nation_is_not_a_working_day(day, nation):
    reason = d.DEFAULT_CALENDAR.non_working_reason(D(day))
    assert reason is not None and nation in reason


def test_ordinary_weekdays_are_working_days():
    assert d.DEFAULT_CALENDAR.is_working_day(D("2016-03-16"))
    assert d.DEFAULT_CALENDAR.is_working_day(D("2016-08-02"))


def test_extra_days_added_by_staff_stop_the_clock():
    calendar = d.WorkingCalendar({D("2016-03-02"): "Proclaimed bank holiday"})
    assert due(D("2016-03-01"), calendar=calendar) == D("2016-04-04")
    assert calendar.non_working_reason(D("2016-03-02")) == "Proclaimed bank holiday"


def test_weekend_receipt_next_working_day_rule():
    # Counted from Monday 4 April: 20 working days later, skipping 2 May (early May bank holiday).
    assert due(D("2016-04-02"), weekend_rule=d.WEEKEND_RULE_NEXT_WORKING_DAY) == D("2016-05-03")
    # On a working day both rules agree.
    assert due(D("2016-03-01"), weekend_rule=d.WEEKEND_RULE_NEXT_WORKING_DAY) == D("2016-04-01")


def test_unknown_weekend_rule_is_refused():
    with pytest.raises(ValueError, match="weekend rule"):
        due(D("2016-04-02"), weekend_rule="whenever")


def test_working_days_between_and_overdue():
    cal = d.DEFAULT_CALENDAR
    assert cal.working_days_between(D("2016-03-01"), D("2016-04-01")) == 20
    assert cal.working_days_between(D("2016-04-01"), D("2016-03-01")) == -20
    assert d.working_days_overdue(D("2016-04-01"), D("2016-04-01")) == 0  # due today is on time
    assert d.working_days_overdue(D("2016-04-01"), D("2016-04-04")) == 1  # late from the next day
    assert d.working_days_overdue(D("2016-04-01"), D("2016-04-02")) == 0  # a Saturday adds nothing


def test_very_overdue_is_twenty_working_days_past_due():
    due = D("2016-04-01")
    first = d.very_overdue_from(due)
    assert first == D("2016-04-29")
    assert d.working_days_overdue(due, first) == 20
    assert d.working_days_overdue(due, first - dt.timedelta(days=1)) == 19
    assert due < d.very_overdue_if_due_before(first)
    assert not due < d.very_overdue_if_due_before(first - dt.timedelta(days=1))


def test_explanation_names_the_days_skipped():
    text = str(d.request_clock(D("2016-03-01"), ()))
    assert "Fri 1 Apr 2016" in text
    assert "Saint Patrick's Day (NIR)" in text
    explanation = d.request_clock(D("2016-04-02"), (), weekend_rule=d.WEEKEND_RULE_NEXT_WORKING_DAY)
    assert explanation.due_on == D("2016-05-03")  # counted from Mon 4 April; May Day skipped
    assert "Counted from Mon 4 Apr 2016, the next working day" in str(explanation)


def test_the_explanation_explains_the_date_shown_after_an_extension_or_a_clarification():
    extended = d.request_clock(D("2016-03-01"), [E(d.EXTENSION_CLAIMED, "2016-03-29", "2016-04-29")])
    assert extended.due_on == D("2016-04-29")
    assert "extended the deadline to Fri 29 Apr 2016" in str(extended)
    assert "Due on the date the force gave: Fri 29 Apr 2016" in str(extended)
    assert "Fri 1 Apr 2016" not in str(extended)  # the original date is not what is explained

    clarified = d.request_clock(D("2016-03-01"), [E(d.CLARIFICATION_ASKED, "2016-03-03"),
                                                  E(d.CLARIFICATION_GIVEN, "2016-03-10")])
    assert clarified.due_on == D("2016-04-12")
    text = str(clarified)
    assert "clock restarted from day 0" in text
    assert "Due on the 20th working day after Thu 10 Mar 2016: Tue 12 Apr 2016" in text
    assert "Saint Patrick's Day (NIR)" in text and "Good Friday" in text

    stopped = d.request_clock(D("2016-03-01"), [E(d.CLARIFICATION_ASKED, "2016-03-03")])
    assert stopped.due_on is None and "No due date while the clock is stopped" in str(stopped)

    paused = d.request_clock(D("2016-03-01"), [E(d.FEES_NOTICE, "2016-03-08"), E(d.FEES_PAID, "2016-03-15")])
    assert "Fees notice on Tue 8 Mar 2016 after 4 working days" in str(paused)
    assert f"Due on the 16th working day after Tue 15 Mar 2016: {d.format_day(paused.due_on, weekday=True)}" \
        in str(paused)


def test_lateness_is_one_rule_from_the_day_after_the_due_date():
    friday = D("2016-04-01")
    assert not d.is_late(friday, friday) and d.is_late(friday, D("2016-04-02"))  # Saturday: late already
    assert d.working_days_overdue(friday, D("2016-04-02")) == 0  # though no working day has passed
    assert not d.is_late(None, friday)
    first = d.very_overdue_from(friday)
    assert d.is_very_overdue(friday, first) and not d.is_very_overdue(friday, first - dt.timedelta(days=1))


def E(kind, on, new_due_on=None):
    return d.ClockEvent(kind, D(on), D(new_due_on) if new_due_on else None)


def test_clock_without_events_is_the_statutory_date():
    state = d.request_clock(D("2016-03-01"), [])
    assert state.due_on == D("2016-04-01") and state.stopped_reason == ""


def test_clarification_stops_the_clock_and_restarts_it_from_day_zero():
    asked = d.request_clock(D("2016-03-01"), [E(d.CLARIFICATION_ASKED, "2016-03-08")])
    assert asked.due_on is None and "clarification" in asked.stopped_reason
    given = d.request_clock(D("2016-03-01"), [E(d.CLARIFICATION_ASKED, "2016-03-08"),
                                              E(d.CLARIFICATION_GIVEN, "2016-03-15")])
    assert given.due_on == due(D("2016-03-15")) == D("2016-04-15")


def test_fees_notice_pauses_the_clock_until_payment():
    # Received 1 March; notice on 8 March (2, 3, 4 and 7 March used: 4 working days); paid 15 March.
    paused = d.request_clock(D("2016-03-01"), [E(d.FEES_NOTICE, "2016-03-08")])
    assert paused.due_on is None and "fees" in paused.stopped_reason
    state = d.request_clock(D("2016-03-01"), [E(d.FEES_NOTICE, "2016-03-08"), E(d.FEES_PAID, "2016-03-15")])
    assert state.due_on == d.DEFAULT_CALENDAR.add_working_days(D("2016-03-15"), 16) == D("2016-04-11")
    assert "16 working days left" in state.basis


def test_extension_sets_the_date_the_force_gives():
    state = d.request_clock(D("2016-03-01"), [E(d.EXTENSION_CLAIMED, "2016-03-30", "2016-04-29")])
    assert state.due_on == D("2016-04-29")
    assert "extension" in state.basis


def test_internal_review_has_its_own_twenty_working_days():
    state = d.request_clock(D("2016-03-01"), [E(d.REVIEW_ASKED, "2016-07-15")])
    assert state.review_due_on == D("2016-08-15")
    assert state.due_on == D("2016-04-01")


def test_events_are_replayed_in_date_order():
    events = [E(d.CLARIFICATION_GIVEN, "2016-03-15"), E(d.CLARIFICATION_ASKED, "2016-03-08")]
    assert d.request_clock(D("2016-03-01"), events).due_on == D("2016-04-15")


def test_not_sent_has_no_due_date():
    assert d.request_clock(None, []).due_on is None


def test_working_days_between_by_arithmetic_matches_counting_each_day():
    """working_days_between counts weekdays by arithmetic (fast for years-late requests)."""
    import random

    def day_by_day(cal, start, end):
        if end < start:
            return -day_by_day(cal, end, start)
        return sum(1 for day in d._days_after(start, end) if cal.is_working_day(day))

    rng = random.Random(3)
    calendars = [d.WorkingCalendar(),
                 d.WorkingCalendar({dt.date(2022, 9, 19): "Funeral", dt.date(2024, 6, 15): "a Saturday"})]
    for _ in range(2000):
        a = dt.date(2012, 1, 1) + dt.timedelta(days=rng.randint(0, 5000))
        b = a + dt.timedelta(days=rng.randint(-800, 800))
        for cal in calendars:
            assert cal.working_days_between(a, b) == day_by_day(cal, a, b), (a, b)
