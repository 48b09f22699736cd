"""The questions staff ask every day about requests, each spelled once (MuckRock's querysets.py).

The request list's filters and columns, the daily digest, the chasers, the campaign list's
counts and the report all ask these, and the model's `is_open`/`is_overdue`/`is_very_overdue`
answer the same questions for one request from the same rules in `deadlines.py`.
"""
import datetime as dt

from django.db import models
from django.db.models import Q

from .. import deadlines
from .choices import RequestStatus


def open_q(prefix: str = "") -> Q:
    """Sent and waiting for the force, as a Q (prefix "requests__" from a campaign)."""
    return Q(**{f"{prefix}status__in": RequestStatus.awaiting_force(), f"{prefix}outcome": ""})


def overdue_q(on: dt.date, prefix: str = "") -> Q:
    """Open and late from the day after the due date (deadlines.is_late)."""
    return open_q(prefix) & Q(**{f"{prefix}due_on__lt": on})


class RequestQuerySet(models.QuerySet):
    def open(self):
        """Sent and not yet answered (or closed)."""
        return self.filter(open_q())

    def overdue(self, on: dt.date):
        return self.filter(overdue_q(on))

    def very_overdue(self, on: dt.date, calendar: deadlines.WorkingCalendar):
        """20 working days or more past the due date (deadlines.is_very_overdue)."""
        return self.open().filter(due_on__lt=deadlines.very_overdue_if_due_before(on, calendar=calendar))

    def due_between(self, start: dt.date, end: dt.date):
        return self.open().filter(due_on__gte=start, due_on__lte=end)

    def due_today(self, on: dt.date):
        return self.due_between(on, on)

    def due_soon(self, on: dt.date, calendar: deadlines.WorkingCalendar, working_days: int = 3):
        return self.due_between(on, calendar.add_working_days(on, working_days))

    def review_overdue(self, on: dt.date):
        """An internal review with no answer after its own 20 working days: time for the ICO."""
        return self.filter(status=RequestStatus.INTERNAL_REVIEW, review_due_on__lt=on)

    def with_outcome(self):
        return self.exclude(outcome="")

    def outstanding(self):
        """No outcome recorded yet: what stops a campaign's figures being final."""
        return self.filter(outcome="")
