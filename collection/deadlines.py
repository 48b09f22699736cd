"""The Freedom of Information Act's clock, as pure functions over dates.

FOIA s.10(1): an authority must answer "promptly and in any event not later than the
twentieth working day following the date of receipt". s.10(6): a working day is any day
other than a Saturday, a Sunday, Christmas Day, Good Friday or a bank holiday under the
Banking and Financial Dealings Act 1971 *in any part of the United Kingdom*. So a Scottish
or Northern Irish bank holiday stops the clock for a force in Kent too: the calendar here is
the union of the four nations' holidays, plus any one-off days staff add.

Nothing in this module touches Django; the models feed it plain dates.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from bisect import bisect_right
from functools import cached_property, lru_cache
from typing import Iterable, Mapping, Sequence

STATUTORY_WORKING_DAYS = 20
VERY_OVERDUE_WORKING_DAYS = 20  # WhatDoTheyKnow's rule: time for an internal review or the ICO
INTERNAL_REVIEW_WORKING_DAYS = 20

#: How a request received on a non-working day is counted.
WEEKEND_RULE_STATUTE = "statute"  # day 0 is the day it arrived, whatever day that was
WEEKEND_RULE_NEXT_WORKING_DAY = "next_working_day"  # day 0 is the next working day
WEEKEND_RULES = (WEEKEND_RULE_STATUTE, WEEKEND_RULE_NEXT_WORKING_DAY)

UK_NATIONS = ("ENG", "WLS", "SCT", "NIR")


@lru_cache(maxsize=64)
def uk_bank_holidays(year: int) -> dict[dt.date, str]:
    """Bank holidays of a year in any UK nation, each named with the nations that keep it."""
    import holidays  # here, not at the top: every process imports this module, few ask for holidays

    days: dict[dt.date, dict[str, list[str]]] = {}
    for nation in UK_NATIONS:
        for day, name in holidays.country_holidays("GB", subdiv=nation, years=year).items():
            for one_name in name.split("; "):
                days.setdefault(day, {}).setdefault(one_name, []).append(nation)
    return {day: "; ".join(f"{name} ({', '.join(nations)})" for name, nations in names.items())
            for day, names in days.items()}


@lru_cache(maxsize=64)
def _closed_weekdays_of_year(year: int) -> tuple[dt.date, ...]:
    return tuple(sorted(day for day in uk_bank_holidays(year) if day.weekday() < 5))


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days count for FOIA: weekdays that are not a UK bank holiday or an extra day.

    Every count of working days in the app goes through this one class: due dates, lateness,
    the reminder rules and the report's league table alike.
    """

    extra_non_working_days: Mapping[dt.date, str] = field(default_factory=dict)

    def non_working_reason(self, day: dt.date) -> str | None:
        if day.weekday() == 5:
            return "Saturday"
        if day.weekday() == 6:
            return "Sunday"
        bank = uk_bank_holidays(day.year).get(day)
        if bank:
            return bank
        extra = self.extra_non_working_days.get(day)
        if extra is not None:
            return extra or "Non-working day added by staff"
        return None

    def is_working_day(self, day: dt.date) -> bool:
        return self.non_working_reason(day) is None

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day strictly after `day`."""
        day += dt.timedelta(days=1)
        while not self.is_working_day(day):
            day += dt.timedelta(days=1)
        return day

    def add_working_days(self, day_zero: dt.date, count: int) -> dt.date:
        """The `count`-th working day after `day_zero` (which itself never counts)."""
        if count < 0:
            raise ValueError("count of working days must not be negative")
        day = day_zero
        for _ in range(count):
            day = self.next_working_day(day)
        return day

    def closed_weekdays(self, first_year: int, last_year: int) -> tuple[dt.date, ...]:
        """The sorted weekdays of these years that are not working days (bank holidays, extra days).

        Worked out once per calendar and range of years: a list page counts the lateness of each
        of its late requests, mostly over the same one or two years."""
        try:
            return self._closed_memo[(first_year, last_year)]
        except KeyError:
            pass
        closed = set(d for d in self.extra_non_working_days
                     if d.weekday() < 5 and first_year <= d.year <= last_year)
        for year in range(first_year, last_year + 1):
            closed.update(_closed_weekdays_of_year(year))
        found = self._closed_memo[(first_year, last_year)] = tuple(sorted(closed))
        return found

    @cached_property
    def _closed_memo(self) -> dict[tuple[int, int], tuple[dt.date, ...]]:
        # In the instance's __dict__, outside the (frozen) fields: equality and hashing ignore it.
        return {}

    @cached_property
    def _very_overdue_memo(self) -> dict[dt.date, dt.date]:
        # very_overdue_if_due_before's answers, kept as _closed_memo is.
        return {}

    def working_days_between(self, start: dt.date, end: dt.date, closed: Sequence[dt.date] | None = None) -> int:
        """Working days after `start` up to and including `end`; negative if `end` is earlier.

        Weekdays by arithmetic, less the closed weekdays in the range: the same answer as testing
        each day, without walking years of days for a long-overdue request. `closed` is
        `closed_weekdays()` covering the range's years, for callers that count many ranges.
        """
        if end < start:
            return -self.working_days_between(end, start, closed)
        if closed is None:
            closed = self.closed_weekdays(start.year, end.year)
        return _weekdays_between(start, end) - (bisect_right(closed, end) - bisect_right(closed, start))

    def skipped_days(self, start: dt.date, end: dt.date) -> list[tuple[dt.date, str]]:
        """Non-working days after `start` up to and including `end`, with why each is skipped."""
        skipped = []
        for day in _days_after(start, end):
            reason = self.non_working_reason(day)
            if reason is not None:
                skipped.append((day, reason))
        return skipped


def _weekdays_between(start: dt.date, end: dt.date) -> int:
    """Mondays to Fridays after `start` up to and including `end` (end >= start)."""
    weeks, rest = divmod((end - start).days, 7)
    count = weeks * 5
    day = start + dt.timedelta(days=weeks * 7)
    for _ in range(rest):
        day += dt.timedelta(days=1)
        count += day.weekday() < 5
    return count


def _days_after(start: dt.date, end: dt.date) -> Iterable[dt.date]:
    day = start + dt.timedelta(days=1)
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


DEFAULT_CALENDAR = WorkingCalendar()


def day_zero(received_on: dt.date, *, calendar: WorkingCalendar = DEFAULT_CALENDAR,
             weekend_rule: str = WEEKEND_RULE_STATUTE) -> dt.date:
    """The day the count starts from: the day of receipt, or the next working day."""
    if weekend_rule not in WEEKEND_RULES:
        raise ValueError(f"weekend rule must be one of {', '.join(WEEKEND_RULES)}, not {weekend_rule!r}")
    if weekend_rule == WEEKEND_RULE_NEXT_WORKING_DAY and not calendar.is_working_day(received_on):
        return calendar.next_working_day(received_on)
    return received_on


def is_late(due_on: dt.date | None, today: dt.date) -> bool:
    """An open request is late from the day after its due date (whatever day of the week that is).

    The one definition of "overdue": the request list's filter and column, the digest, the
    chasers and the report's league table all come back to it."""
    return due_on is not None and today > due_on


def working_days_overdue(due_on: dt.date, today: dt.date, *,
                         calendar: WorkingCalendar = DEFAULT_CALENDAR) -> int:
    """Working days since the due date (0 when not yet late, and on a weekend straight after it)."""
    if not is_late(due_on, today):
        return 0
    return calendar.working_days_between(due_on, today)


def is_very_overdue(due_on: dt.date | None, today: dt.date, *,
                    calendar: WorkingCalendar = DEFAULT_CALENDAR) -> bool:
    """20 working days or more past the due date: time for an internal review or the ICO."""
    return due_on is not None and due_on < very_overdue_if_due_before(today, calendar=calendar)


def very_overdue_from(due_on: dt.date, *, calendar: WorkingCalendar = DEFAULT_CALENDAR) -> dt.date:
    """The first day on which a request is very overdue (20 working days past its due date)."""
    return calendar.add_working_days(due_on, VERY_OVERDUE_WORKING_DAYS)


def very_overdue_if_due_before(today: dt.date, *, calendar: WorkingCalendar = DEFAULT_CALENDAR) -> dt.date:
    """A request still open today is very overdue exactly when its due date is before this day.

    Worked out once per calendar and day: a list page asks it for each of its late requests."""
    memo = calendar._very_overdue_memo
    try:
        return memo[today]
    except KeyError:
        pass
    day, counted = today, 0
    while True:
        if calendar.is_working_day(day):
            counted += 1
            if counted == VERY_OVERDUE_WORKING_DAYS:
                memo[today] = day
                return day
        day -= dt.timedelta(days=1)


# --- The clock of one request, from its events ------------------------------------------------

CLARIFICATION_ASKED = "clarification_asked"
CLARIFICATION_GIVEN = "clarification_given"
FEES_NOTICE = "fees_notice"
FEES_PAID = "fees_paid"
EXTENSION_CLAIMED = "extension_claimed"
REVIEW_ASKED = "review_asked"


@dataclass(frozen=True)
class ClockEvent:
    """One thing that moves a request's clock: `kind` is one of the constants above."""

    kind: str
    on: dt.date
    new_due_on: dt.date | None = None  # for an extension: the date the force gives


@dataclass(frozen=True)
class ClockState:
    due_on: dt.date | None  # None while the clock is stopped
    stopped_reason: str  # '' when running
    review_due_on: dt.date | None
    basis: str  # one line saying where the due date comes from
    explanation: tuple[str, ...] = ()  # "why this due date", line by line, for the date above

    def lines(self) -> list[str]:
        return list(self.explanation)

    def __str__(self) -> str:
        return " ".join(self.explanation)


def _count_lines(start: dt.date, working_days: int, due: dt.date, calendar: WorkingCalendar) -> list[str]:
    """How `due` follows from counting `working_days` working days after `start`."""
    out = [f"Due on the {_ordinal(working_days)} working day after {format_day(start, weekday=True)}: "
           f"{format_day(due, weekday=True)}."]
    skipped = calendar.skipped_days(start, due)
    holidays_skipped = [(d, r) for d, r in skipped if r not in ("Saturday", "Sunday")]
    weekends = len(skipped) - len(holidays_skipped)
    if weekends:
        out.append(f"Skipped {weekends} weekend day{'s' if weekends != 1 else ''}.")
    for day, reason in holidays_skipped:
        out.append(f"Skipped {format_day(day, weekday=True)}: {reason}.")
    return out


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def format_day(day: dt.date, *, weekday: bool = False) -> str:
    """The one way a date is shown: 5 May 2016 (with the weekday: Thu 5 May 2016)."""
    text = f"{day.day} {day:%b %Y}"
    return f"{day:%a} {text}" if weekday else text


def request_clock(received_on: dt.date | None, events: Iterable[ClockEvent], *,
                  calendar: WorkingCalendar = DEFAULT_CALENDAR,
                  weekend_rule: str = WEEKEND_RULE_STATUTE) -> ClockState:
    """Replay a request's events, in date order, into its current due date and why.

    - a clarification request stops the clock; the clarification restarts it from day 0 (s.1(3));
    - a fees notice pauses it; the days until payment do not count (s.9);
    - a public interest extension sets the date the force gives (s.10(3));
    - an internal review has its own 20 working days from when it was asked for.
    """
    if received_on is None:
        return ClockState(None, "not sent yet", None, "", ("Not sent yet.",))
    start = day_zero(received_on, calendar=calendar, weekend_rule=weekend_rule)
    remaining = STATUTORY_WORKING_DAYS
    stopped = ""
    fixed_due: dt.date | None = None
    basis = f"20 working days after receipt on {format_day(received_on)}"
    history = [f"Received {format_day(received_on, weekday=True)}."]
    if start != received_on:
        history.append(f"Counted from {format_day(start, weekday=True)}, the next working day.")
    review_due = None
    for event in sorted(events, key=lambda e: e.on):
        if event.kind == CLARIFICATION_ASKED:
            stopped = f"awaiting clarification asked for on {format_day(event.on)}"
            fixed_due = None
            history.append(f"The force asked for clarification on {format_day(event.on, weekday=True)}: "
                           "the clock stopped (s.1(3)).")
        elif event.kind == CLARIFICATION_GIVEN:
            start = day_zero(event.on, calendar=calendar, weekend_rule=weekend_rule)
            remaining = STATUTORY_WORKING_DAYS
            stopped = ""
            fixed_due = None
            basis = f"20 working days after the clarification on {format_day(event.on)}"
            history.append(f"Clarification reached the force on {format_day(event.on, weekday=True)}: "
                           "the clock restarted from day 0.")
        elif event.kind == FEES_NOTICE and not stopped:
            used = max(calendar.working_days_between(start, event.on - dt.timedelta(days=1)), 0)
            remaining = max(remaining - used, 0)
            stopped = f"fees notice issued on {format_day(event.on)}, awaiting payment"
            history.append(f"Fees notice on {format_day(event.on, weekday=True)} after {used} working "
                           f"day{'s' if used != 1 else ''}: the clock paused (s.9).")
        elif event.kind == FEES_PAID and stopped.startswith("fees notice"):
            start = event.on
            stopped = ""
            basis = (f"clock paused for the fees notice, resumed on payment {format_day(event.on)} "
                     f"with {remaining} working days left")
            history.append(f"Fees paid on {format_day(event.on, weekday=True)}: the clock resumed with "
                           f"{remaining} working day{'s' if remaining != 1 else ''} left.")
        elif event.kind == EXTENSION_CLAIMED and event.new_due_on is not None:
            fixed_due = event.new_due_on
            basis = f"public interest extension claimed on {format_day(event.on)}"
            history.append(f"On {format_day(event.on, weekday=True)} the force extended the deadline to "
                           f"{format_day(event.new_due_on, weekday=True)} for a public interest test (s.10(3)).")
        elif event.kind == REVIEW_ASKED:
            review_due = calendar.add_working_days(event.on, INTERNAL_REVIEW_WORKING_DAYS)
    if stopped:
        return ClockState(None, stopped, review_due, basis,
                          tuple(history + [f"No due date while the clock is stopped ({stopped})."]))
    if fixed_due is not None:
        return ClockState(fixed_due, "", review_due, basis,
                          tuple(history + [f"Due on the date the force gave: {format_day(fixed_due, weekday=True)}."]))
    due = calendar.add_working_days(start, remaining)
    return ClockState(due, "", review_due, basis, tuple(history + _count_lines(start, remaining, due, calendar)))


# --- The challenge ladder: internal review, the ICO, the tribunal -----------------------------
#
# A refusal, a partial answer, "not held" or silence can be challenged, one rung at a time. Each
# rung has its own clock (ICO guidance, FOIA s.50, the tribunal's rules); working days are the FOI
# clock's (UK-wide bank holidays), calendar days are calendar days.

REVIEW_ASK_WORKING_DAYS = 40  # the ICO's guidance: asked later, a force may refuse to review
REVIEW_EXCEPTIONAL_WORKING_DAYS = 40  # the most the ICO accepts; after it the review is very overdue
ICO_COMPLAINT_DAYS = 6 * 7  # six calendar weeks from the review's outcome or last substantive contact
COMPLY_DAYS = 35  # a decision notice's steps, in calendar days from its date
APPEAL_DAYS = 28  # to the First-tier Tribunal (General Regulatory Chamber), from the notice's date

# The rungs and what happens on them (stored as these strings by the app).
STAGE_REVIEW = "internal_review"
STAGE_ICO = "ico"
STAGE_DECISION = "decision_notice"
STAGE_TRIBUNAL = "tribunal"
STEP_ASKED = "asked"
STEP_ACKNOWLEDGED = "acknowledged"
STEP_ANSWERED = "answered"
STEP_COMPLAINT = "complaint_made"
STEP_CASE_REFERENCE = "case_reference"
STEP_DECISION = "decision"
STEP_APPEAL = "appeal"
# Outcomes: of a review (the force upholds its answer, overturns it or partly) and of a decision
# notice (the ICO upholds our complaint, partly, or not).
UPHELD = "upheld"
OVERTURNED = "overturned"
PARTLY = "partly"
NOT_UPHELD = "not_upheld"

#: The answers worth challenging (the request's outcome values).
CHALLENGEABLE_OUTCOMES = ("refused", "partial", "not_held")

NEXT_ASK_REVIEW = "ask_internal_review"
NEXT_REVIEW_DUE = "review_due"
NEXT_ICO = "ico_complaint_by"
NEXT_COMPLY = "comply_by"
NEXT_APPEAL = "appeal_by"
NEXT_STEPS = (NEXT_ASK_REVIEW, NEXT_REVIEW_DUE, NEXT_ICO, NEXT_COMPLY, NEXT_APPEAL)
NEXT_STEP_LABELS = {NEXT_ASK_REVIEW: "Ask for a review by", NEXT_REVIEW_DUE: "Review due",
                    NEXT_ICO: "ICO complaint by", NEXT_COMPLY: "Force to comply by", NEXT_APPEAL: "Appeal by"}


def review_ask_by(answered_on: dt.date, *, calendar: WorkingCalendar = DEFAULT_CALENDAR) -> dt.date:
    """The last day to ask for an internal review: 40 working days after the answer."""
    return calendar.add_working_days(answered_on, REVIEW_ASK_WORKING_DAYS)


def review_due(asked_on: dt.date, *, calendar: WorkingCalendar = DEFAULT_CALENDAR,
               exceptional: bool = False) -> dt.date:
    """When the force should answer a review: 20 working days after it was asked (40 in exceptional
    cases, the most the ICO accepts)."""
    days = REVIEW_EXCEPTIONAL_WORKING_DAYS if exceptional else INTERNAL_REVIEW_WORKING_DAYS
    return calendar.add_working_days(asked_on, days)


def review_very_overdue_after(asked_on: dt.date, *, calendar: WorkingCalendar = DEFAULT_CALENDAR) -> dt.date:
    """A review still unanswered after this day (the 40th working day) is very overdue, and the ICO
    takes a complaint without it."""
    return review_due(asked_on, calendar=calendar, exceptional=True)


def ico_complaint_by(last_contact_on: dt.date) -> dt.date:
    """The last day to complain to the ICO: six calendar weeks after the review's outcome (or the
    last substantive contact)."""
    return last_contact_on + dt.timedelta(days=ICO_COMPLAINT_DAYS)


def ico_complaint_open_from(review_asked_on: dt.date, *,
                            calendar: WorkingCalendar = DEFAULT_CALENDAR) -> dt.date:
    """The first day the ICO takes a complaint about an unanswered review: once 40 working days of
    silence have passed."""
    return review_very_overdue_after(review_asked_on, calendar=calendar) + dt.timedelta(days=1)


def comply_by(notice_on: dt.date) -> dt.date:
    """The day by which a force must take the steps a decision notice orders: 35 calendar days."""
    return notice_on + dt.timedelta(days=COMPLY_DAYS)


def appeal_by(notice_on: dt.date, *, calendar: WorkingCalendar = DEFAULT_CALENDAR) -> dt.date:
    """The last day to appeal a decision notice to the First-tier Tribunal: 28 days after it, moved
    to the next working day when the 28th is not one (the tribunal's rules, r.12)."""
    day = notice_on + dt.timedelta(days=APPEAL_DAYS)
    return day if calendar.is_working_day(day) else calendar.next_working_day(day)


@dataclass(frozen=True)
class LadderStep:
    """One dated step on a request's challenge ladder (stage and kind are the constants above)."""

    stage: str
    kind: str
    on: dt.date
    outcome: str = ""
    reference: str = ""


@dataclass(frozen=True)
class NextStep:
    """What to do next on the ladder, by when, and why that date."""

    action: str  # one of NEXT_STEPS
    due_on: dt.date
    explanation: tuple[str, ...]
    late: bool = False

    def __str__(self) -> str:
        return " ".join(self.explanation)

    @property
    def label(self) -> str:
        """'Review due 4 May 2016': the board's chip."""
        return f"{NEXT_STEP_LABELS[self.action]} {format_day(self.due_on)}"


def _latest(steps: Sequence[LadderStep], stage: str, kind: str) -> LadderStep | None:
    found = [s for s in steps if s.stage == stage and s.kind == kind]
    return max(found, key=lambda s: s.on) if found else None


def _calendar_line(days: int, unit: str, start: dt.date, due: dt.date) -> str:
    return f"{days} {unit} after {format_day(start, weekday=True)}: {format_day(due, weekday=True)}."


def next_step(outcome: str, answered_on: dt.date | None, steps: Iterable[LadderStep], today: dt.date, *,
              due_on: dt.date | None = None,
              calendar: WorkingCalendar = DEFAULT_CALENDAR) -> NextStep | None:
    """The next rung of a request's challenge ladder from its answer and its dated steps.

    `outcome` is the request's outcome ('' while unanswered), `due_on` its FOI due date (an
    unanswered request past it may be challenged). None when there is nothing to do or to wait for
    on a clock: nothing to challenge, a review that overturned the answer, a complaint with the ICO
    (which keeps no statutory clock), an appeal with the tribunal.
    """
    steps = sorted(steps, key=lambda s: s.on)
    appeal = _latest(steps, STAGE_TRIBUNAL, STEP_APPEAL)
    decision = _latest(steps, STAGE_DECISION, STEP_DECISION)
    if appeal is not None and (decision is None or appeal.on >= decision.on):
        return None
    if decision is not None:
        return _after_decision(decision, today, calendar)
    if _latest(steps, STAGE_ICO, STEP_COMPLAINT) is not None:
        return None
    review_answer = _latest(steps, STAGE_REVIEW, STEP_ANSWERED)
    if review_answer is not None:
        return _after_review(review_answer, steps, today)
    asked = _latest(steps, STAGE_REVIEW, STEP_ASKED)
    if asked is not None:
        return _review_pending(asked, today, calendar)
    return _before_review(outcome, answered_on, due_on, today, calendar)


def _before_review(outcome: str, answered_on: dt.date | None, due_on: dt.date | None, today: dt.date,
                   calendar: WorkingCalendar) -> NextStep | None:
    if outcome in CHALLENGEABLE_OUTCOMES and answered_on is not None:
        by = review_ask_by(answered_on, calendar=calendar)
        lines = [f"The force answered on {format_day(answered_on, weekday=True)}. Ask for an internal review "
                 f"within {REVIEW_ASK_WORKING_DAYS} working days (ICO guidance; later, the force may refuse "
                 "to deal with it)."] + _count_lines(answered_on, REVIEW_ASK_WORKING_DAYS, by, calendar)
        return NextStep(NEXT_ASK_REVIEW, by, tuple(lines), is_late(by, today))
    if not outcome and is_late(due_on, today):
        by = review_ask_by(due_on, calendar=calendar)
        lines = [f"No answer by the due date, {format_day(due_on, weekday=True)}. Ask for an internal review "
                 f"within {REVIEW_ASK_WORKING_DAYS} working days of it (or, once the force has been chased, "
                 "complain to the ICO without one)."] + _count_lines(due_on, REVIEW_ASK_WORKING_DAYS, by, calendar)
        return NextStep(NEXT_ASK_REVIEW, by, tuple(lines), is_late(by, today))
    return None


def _review_pending(asked: LadderStep, today: dt.date, calendar: WorkingCalendar) -> NextStep:
    due = review_due(asked.on, calendar=calendar)
    last = review_very_overdue_after(asked.on, calendar=calendar)
    asked_line = f"Internal review asked for on {format_day(asked.on, weekday=True)}."
    if today <= last:
        lines = [asked_line] + _count_lines(asked.on, INTERNAL_REVIEW_WORKING_DAYS, due, calendar)
        if is_late(due, today):
            lines.append(f"Late: the ICO accepts up to {REVIEW_EXCEPTIONAL_WORKING_DAYS} working days in "
                         f"exceptional cases, to {format_day(last, weekday=True)}; after that the review is "
                         "very overdue and the ICO takes a complaint without it.")
        return NextStep(NEXT_REVIEW_DUE, due, tuple(lines), is_late(due, today))
    opens = ico_complaint_open_from(asked.on, calendar=calendar)
    lines = [asked_line, f"No answer in {REVIEW_EXCEPTIONAL_WORKING_DAYS} working days (the most the ICO "
             f"accepts), which ended {format_day(last, weekday=True)}: the review is very overdue.",
             f"Complain to the ICO (s.50) from {format_day(opens, weekday=True)}."]
    return NextStep(NEXT_ICO, opens, tuple(lines), False)


def _after_review(answer: LadderStep, steps: Sequence[LadderStep], today: dt.date) -> NextStep | None:
    if answer.outcome == OVERTURNED:
        return None
    contact = max([answer.on] + [s.on for s in steps if s.stage == STAGE_REVIEW and s.on > answer.on])
    by = ico_complaint_by(contact)
    what = {UPHELD: "upheld its answer", PARTLY: "partly overturned its answer"}.get(answer.outcome, "answered")
    lines = [f"The internal review {what} on {format_day(answer.on, weekday=True)}."]
    if contact != answer.on:
        lines.append(f"Last substantive contact: {format_day(contact, weekday=True)}.")
    lines.append("Complain to the ICO (s.50) within six weeks: " + _calendar_line(ICO_COMPLAINT_DAYS, "days", contact, by))
    return NextStep(NEXT_ICO, by, tuple(lines), is_late(by, today))


def _after_decision(decision: LadderStep, today: dt.date, calendar: WorkingCalendar) -> NextStep:
    appeal = appeal_by(decision.on, calendar=calendar)
    appeal_line = ("Either side may appeal to the First-tier Tribunal (General Regulatory Chamber) within "
                   f"{APPEAL_DAYS} days: " + _calendar_line(APPEAL_DAYS, "days", decision.on, decision.on
                                                             + dt.timedelta(days=APPEAL_DAYS)))
    lines = [f"Decision notice of {format_day(decision.on, weekday=True)}"
             + (f" ({decision.reference})" if decision.reference else "") + "."]
    if appeal != decision.on + dt.timedelta(days=APPEAL_DAYS):
        appeal_line += (f" Not a working day, so the appeal is in time on the next one, "
                        f"{format_day(appeal, weekday=True)} (tribunal rules, r.12).")
    if decision.outcome in (UPHELD, PARTLY):
        by = comply_by(decision.on)
        lines.append("The force must take the steps it orders within 35 calendar days: "
                     + _calendar_line(COMPLY_DAYS, "days", decision.on, by))
        lines.append(appeal_line)
        return NextStep(NEXT_COMPLY, by, tuple(lines), is_late(by, today))
    lines.append("The complaint was not upheld. " + appeal_line)
    return NextStep(NEXT_APPEAL, appeal, tuple(lines), is_late(appeal, today))
