"""The challenge ladder's clocks: a table of statutory vectors run against the very functions the
app calls (campaign_status, the board, the digest all ask `deadlines.next_step`). Every working-day
vector was checked by hand against a naive day-by-day count over the union of the four nations'
bank holidays (the FOI clock's UK-wide rule, s.10(6))."""
import datetime as dt

import pytest

from collection import deadlines as d

D = dt.date.fromisoformat
R, ICO, DN, T = d.STAGE_REVIEW, d.STAGE_ICO, d.STAGE_DECISION, d.STAGE_TRIBUNAL


def step(stage, kind, on, outcome="", reference=""):
    return d.LadderStep(stage, kind, D(on), outcome, reference)


# (function, start, expected, what the vector tests)
VECTORS = [
    # Ask for an internal review within 40 working days of the answer.
    (d.review_ask_by, "2016-03-29", "2016-05-25", "England's early May bank holiday (2 May)"),
    (d.review_ask_by, "2016-03-16", "2016-05-17", "St Patrick's Day (NI), Good Friday, Easter Monday (not SCT), 2 May"),
    (d.review_ask_by, "2016-07-01", "2016-08-31", "the Boyne (NI), Scotland's 1 August, England's 29 August"),
    (d.review_ask_by, "2016-04-02", "2016-05-31", "an answer on a Saturday; 2 May and 30 May"),
    (d.review_ask_by, "2016-11-15", "2017-01-17", "St Andrew's Day (SCT), Christmas, 2 and 3 January (SCT)"),
    (d.review_ask_by, "2016-01-29", "2016-03-30", "a leap year: 29 February counts; month end start"),
    (d.review_ask_by, "2024-02-01", "2024-04-02", "leap year 2024; St Patrick's observed 18 March (NI), Easter"),
    (d.review_ask_by, "2024-03-14", "2024-05-15", "2024's Easter and early May"),
    # The force answers the review within 20 working days...
    (d.review_due, "2016-03-16", "2016-04-18", "St Patrick's Day, Good Friday, Easter Monday"),
    (d.review_due, "2016-12-15", "2017-01-18", "Christmas, observed Boxing Day, New Year (and Scotland's 3 Jan)"),
    (d.review_due, "2016-07-29", "2016-08-30", "asked on a Friday; Scotland's 1 August and 29 August"),
    (d.review_due, "2024-03-14", "2024-04-16", "18 March 2024 (NI), Good Friday, Easter Monday"),
    (d.review_due, "2016-12-23", "2017-01-26", "asked the Friday before Christmas"),
    (d.review_due, "2016-02-15", "2016-03-14", "across 29 February, no holiday"),
    # ... 40 in exceptional cases: after that it is very overdue.
    (d.review_very_overdue_after, "2016-03-16", "2016-05-17", "the 40th working day, across Easter and 2 May"),
    (d.review_very_overdue_after, "2016-07-01", "2016-08-31", "the 40th working day, across the summer holidays"),
    (d.ico_complaint_open_from, "2016-03-16", "2016-05-18", "the day after 40 working days of silence"),
    (d.ico_complaint_open_from, "2016-11-15", "2017-01-18", "silence across Christmas and New Year"),
    # Complain to the ICO within six calendar weeks of the review's outcome.
    (d.ico_complaint_by, "2016-05-04", "2016-06-15", "six weeks, calendar days"),
    (d.ico_complaint_by, "2016-01-31", "2016-03-13", "a month end in a leap year"),
    (d.ico_complaint_by, "2017-01-31", "2017-03-14", "a month end in an ordinary year"),
    (d.ico_complaint_by, "2016-12-20", "2017-01-31", "across Christmas: calendar days do not stop"),
    (d.ico_complaint_by, "2016-05-01", "2016-06-12", "a Sunday stays a Sunday"),
    # A decision notice: the force complies within 35 calendar days.
    (d.comply_by, "2016-01-31", "2016-03-06", "a leap year's February"),
    (d.comply_by, "2017-01-31", "2017-03-07", "an ordinary February"),
    (d.comply_by, "2016-11-30", "2017-01-04", "across the year end"),
    (d.comply_by, "2016-12-01", "2017-01-05", "across Christmas, calendar days"),
    # Appeal to the tribunal within 28 days; a last day that is not a working day moves on (r.12).
    (d.appeal_by, "2016-02-01", "2016-02-29", "lands on 29 February, a Monday"),
    (d.appeal_by, "2017-02-01", "2017-03-01", "an ordinary February"),
    (d.appeal_by, "2016-11-27", "2016-12-28", "Christmas Sunday, Boxing Day, the observed Christmas"),
    (d.appeal_by, "2016-07-04", "2016-08-02", "Scotland's 1 August (UK-wide rule)"),
    (d.appeal_by, "2016-02-27", "2016-03-29", "a Saturday, then Easter Monday"),
    (d.appeal_by, "2016-02-18", "2016-03-18", "St Patrick's Day (NI)"),
    (d.appeal_by, "2016-05-04", "2016-06-01", "an ordinary Wednesday"),
]


@pytest.mark.parametrize("clock, start, expected, why", VECTORS, ids=[f"{v[0].__name__}-{v[1]}" for v in VECTORS])
def test_clock_vectors(clock, start, expected, why):
    assert clock(D(start)) == D(expected), why


def test_at_least_thirty_vectors():
    assert len(VECTORS) >= 30


def test_the_exceptional_review_is_forty_working_days():
    assert d.review_due(D("2016-03-16"), exceptional=True) == D("2016-05-17")
    assert d.review_due(D("2016-03-16"), exceptional=True) == d.review_ask_by(D("2016-03-16"))


def test_staff_days_stop_the_ladder_clocks_too():
    calendar = d.WorkingCalendar({D("2016-02-16"): "Proclaimed"})
    assert d.review_due(D("2016-02-15"), calendar=calendar) == D("2016-03-15")


# (outcome, answered_on, steps, today, due_on) -> (action, due date, late, a phrase of the explanation)
NEXT = [
    ("refused", "2016-03-29", [], "2016-04-10", None,
     (d.NEXT_ASK_REVIEW, "2016-05-25", False, "Skipped Mon 2 May 2016")),
    ("not_held", "2016-03-29", [], "2016-05-26", None, (d.NEXT_ASK_REVIEW, "2016-05-25", True, "40 working days")),
    ("partial", "2016-03-29", [], "2016-04-10", None, (d.NEXT_ASK_REVIEW, "2016-05-25", False, "answered on")),
    ("", None, [], "2016-04-20", "2016-04-01", (d.NEXT_ASK_REVIEW, "2016-05-31", False, "No answer by the due date")),
    ("refused", "2016-03-29", [step(R, "asked", "2016-03-16")], "2016-04-01", None,
     (d.NEXT_REVIEW_DUE, "2016-04-18", False, "Skipped Thu 17 Mar 2016: Saint Patrick's Day (NIR)")),
    ("refused", "2016-03-29", [step(R, "asked", "2016-03-16"), step(R, "acknowledged", "2016-03-18")], "2016-05-10",
     None, (d.NEXT_REVIEW_DUE, "2016-04-18", True, "up to 40 working days in exceptional cases, to Tue 17 May 2016")),
    ("refused", "2016-03-29", [step(R, "asked", "2016-03-16")], "2016-05-17", None,
     (d.NEXT_REVIEW_DUE, "2016-04-18", True, "very overdue")),
    ("refused", "2016-03-29", [step(R, "asked", "2016-03-16")], "2016-05-18", None,
     (d.NEXT_ICO, "2016-05-18", False, "Complain to the ICO (s.50) from Wed 18 May 2016")),
    ("refused", "2016-03-29", [step(R, "asked", "2016-04-05"), step(R, "answered", "2016-05-04", "upheld")],
     "2016-05-05", None, (d.NEXT_ICO, "2016-06-15", False, "upheld its answer")),
    ("refused", "2016-03-29", [step(R, "asked", "2016-04-05"), step(R, "answered", "2016-05-04", "partly")],
     "2016-06-16", None, (d.NEXT_ICO, "2016-06-15", True, "six weeks")),
    ("refused", "2016-03-29", [step(ICO, "complaint_made", "2016-06-01"), step(DN, "decision", "2016-11-27", "upheld")],
     "2016-12-01", None, (d.NEXT_COMPLY, "2017-01-01", False, "35 calendar days")),
    ("refused", "2016-03-29", [step(DN, "decision", "2016-11-27", "not_upheld", "FS50612345")], "2016-12-01", None,
     (d.NEXT_APPEAL, "2016-12-28", False, "next one, Wed 28 Dec 2016")),
]


@pytest.mark.parametrize("outcome, answered, steps, today, due_on, expected", NEXT)
def test_next_step(outcome, answered, steps, today, due_on, expected):
    found = d.next_step(outcome, answered and D(answered), steps, D(today), due_on=due_on and D(due_on))
    action, due, late, phrase = expected
    assert (found.action, found.due_on, found.late) == (action, D(due), late)
    assert phrase in str(found)


@pytest.mark.parametrize("outcome, answered, steps, today, due_on", [
    ("provided", "2016-03-29", [], "2016-04-10", None),
    ("nil_return", "2016-03-29", [], "2016-04-10", None),
    ("", None, [], "2016-03-20", "2016-04-01"),  # not late yet
    ("refused", "2016-03-29", [step(R, "asked", "2016-04-05"), step(R, "answered", "2016-05-04", "overturned")],
     "2016-05-05", None),
    ("refused", "2016-03-29", [step(R, "answered", "2016-05-04", "upheld"), step(ICO, "complaint_made", "2016-05-20")],
     "2016-06-01", None),
    ("refused", "2016-03-29", [step(DN, "decision", "2016-11-27", "not_upheld"), step(T, "appeal", "2016-12-10")],
     "2016-12-20", None),
])
def test_nothing_to_do_or_no_clock_to_watch(outcome, answered, steps, today, due_on):
    assert d.next_step(outcome, answered and D(answered), steps, D(today), due_on=due_on and D(due_on)) is None


def test_a_later_contact_moves_the_six_weeks():
    steps = [step(R, "answered", "2016-05-04", "upheld"), step(R, "acknowledged", "2016-05-20")]
    found = d.next_step("refused", D("2016-03-29"), steps, D("2016-05-21"))
    assert found.due_on == D("2016-07-01") and "Last substantive contact: Fri 20 May 2016" in str(found)


def test_every_next_step_is_named():
    assert set(d.NEXT_STEPS) == {"ask_internal_review", "review_due", "ico_complaint_by", "comply_by", "appeal_by"}
