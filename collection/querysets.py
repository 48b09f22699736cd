"""The questions staff ask every day about requests: open, due soon, overdue."""
import datetime as dt

from django.db import models


class RequestQuerySet(models.QuerySet):
    def open(self):
        """Sent and not yet answered (or closed)."""
        from .models import RequestStatus

        return self.filter(status__in=RequestStatus.awaiting_force()).filter(outcome="")

    def overdue(self, on: dt.date):
        return self.open().filter(due_on__lt=on)

    def due_between(self, start: dt.date, end: dt.date):
        return self.open().filter(due_on__gte=start, due_on__lte=end)

    def with_outcome(self):
        return self.exclude(outcome="")

    def outstanding(self):
        """No outcome recorded yet: what stops a campaign's figures being final."""
        return self.filter(outcome="")
