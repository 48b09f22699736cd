"""Which reminders are due on a day: pure rules over dates, no Django.

The reminder job (`reminders/services.py`) feeds these plain facts about each request and acts on the
answers; the exactly-once bookkeeping lives there, the judgement lives here so that it can be
tested day by day across weekends and bank holidays without a database.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .. import deadlines
from ..deadlines import DEFAULT_CALENDAR, WorkingCalendar, very_overdue_if_due_before

#: "Due soon" looks this many working days ahead, so Friday's digest warns about Wednesday.
DUE_SOON_WORKING_DAYS = 3

# Kinds of email, as stored in the reminder log.
DIGEST = "digest"
CHASER_OVERDUE = "chaser_overdue"
CHASER_VERY_OVERDUE = "chaser_very_overdue"
CHASER_BY_HAND = "chaser_by_hand"

# Sections of the digest, in the order they are read.
DUE_SOON = "due_soon"
DUE_TODAY = "due_today"
OVERDUE = "overdue"
VERY_OVERDUE = "very_overdue"
REVIEW_OVERDUE = "review_overdue"
UNDELIVERED = "undelivered"
LADDER_FORCE_LATE = "ladder_force_late"
LADDER_DUE = "ladder_due"
DIGEST_SECTIONS = {
    UNDELIVERED: "Undelivered: the request bounced, correct the address and send it again",
    VERY_OVERDUE: "Very overdue: time to ask for an internal review",
    REVIEW_OVERDUE: "Internal review overdue: time to complain to the ICO",
    LADDER_FORCE_LATE: "Decision notice not complied with: tell the ICO",
    LADDER_DUE: f"Challenges: our next step is due within {DUE_SOON_WORKING_DAYS} working days",
    OVERDUE: "Overdue",
    DUE_TODAY: "Due today",
    DUE_SOON: f"Due within {DUE_SOON_WORKING_DAYS} working days",
}


@dataclass(frozen=True)
class RequestFacts:
    """What the rules need to know about one request, as plain values."""

    awaiting_force: bool  # sent, no outcome yet, clock not stopped by status
    due_on: dt.date | None
    in_internal_review: bool = False
    review_due_on: dt.date | None = None
    undelivered: bool = False  # the request's e-mail bounced: the force never got it


def is_reminder_day(today: dt.date, calendar: WorkingCalendar = DEFAULT_CALENDAR) -> bool:
    """Nobody reads a digest or answers a chaser on a weekend or bank holiday; the next working
    day's run covers whatever fell due in between."""
    return calendar.is_working_day(today)


def digest_section(facts: RequestFacts, today: dt.date,
                   calendar: WorkingCalendar = DEFAULT_CALENDAR) -> str | None:
    """The section of today's digest a request belongs in, or None if there is nothing to say."""
    if facts.undelivered:
        return UNDELIVERED  # every digest until someone sends it again: no clock runs for it meanwhile
    if facts.in_internal_review:
        if facts.review_due_on is not None and facts.review_due_on < today:
            return REVIEW_OVERDUE
        return None
    if not facts.awaiting_force or facts.due_on is None:
        return None
    due = facts.due_on
    if due < very_overdue_if_due_before(today, calendar=calendar):
        return VERY_OVERDUE
    if due < today:
        return OVERDUE
    if due == today:
        return DUE_TODAY
    if due <= calendar.add_working_days(today, DUE_SOON_WORKING_DAYS):
        return DUE_SOON
    return None


@dataclass(frozen=True)
class ChaserDue:
    kind: str  # CHASER_OVERDUE or CHASER_VERY_OVERDUE
    about: dt.date  # the due date being chased: a new due date (an extension) starts a new round


def chaser_due(facts: RequestFacts, today: dt.date, calendar: WorkingCalendar = DEFAULT_CALENDAR) -> ChaserDue | None:
    """The chaser a request is owed today, if any.

    The first chaser belongs to the first working day after the due date; the second to the
    day the request becomes very overdue. Each stays owed on later days (until it is logged as
    sent), so a run that was missed or died still sends it next time; once a request is very
    overdue only the firmer chaser goes, so a force never gets two in one morning.
    """
    if not facts.awaiting_force or facts.due_on is None or not is_reminder_day(today, calendar):
        return None
    if today <= facts.due_on:
        return None
    if facts.due_on < very_overdue_if_due_before(today, calendar=calendar):
        return ChaserDue(CHASER_VERY_OVERDUE, facts.due_on)
    return ChaserDue(CHASER_OVERDUE, facts.due_on)


def ladder_section(step: deadlines.NextStep | None, today: dt.date,
                   calendar: WorkingCalendar = DEFAULT_CALENDAR) -> str | None:
    """The digest section of a request's next step on the challenge ladder, or None.

    A force late on a decision notice is listed every day until it complies; our own steps (asking
    for the review, complaining to the ICO, appealing) from three working days before their last
    day to that day. A late review is the REVIEW_OVERDUE section's already."""
    if step is None:
        return None
    if step.action == deadlines.NEXT_COMPLY and step.late:
        return LADDER_FORCE_LATE
    ours = (deadlines.NEXT_ASK_REVIEW, deadlines.NEXT_ICO, deadlines.NEXT_APPEAL)
    if step.action in ours and today <= step.due_on <= calendar.add_working_days(today, DUE_SOON_WORKING_DAYS):
        return LADDER_DUE
    return None
