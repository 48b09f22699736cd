"""What every door (a form, a command, a task) checks before a service runs, and the error a person
can act on when it fails: dates the app handles, text that fits its column."""
from __future__ import annotations

import datetime as dt

from django.utils import timezone


class ServiceError(Exception):
    """A request a person made that cannot be carried out; the message says why, in one line."""


#: Every date a person gives (form, command line, task) falls between these: wide enough for any
#: campaign, narrow enough that the FOI clock's arithmetic stays quick (a day in 3026 means a
#: thousand years of bank holidays, minutes of a worker) and never overflows (9999-12-31).
EARLIEST_DATE = dt.date(2000, 1, 1)
YEARS_AHEAD = 5


def latest_date(today: dt.date | None = None) -> dt.date:
    return dt.date((today or timezone.localdate()).year + YEARS_AHEAD, 12, 31)


def check_date(day: dt.date, field_name: str) -> dt.date:
    """`day` itself, or a ServiceError naming the field if it is outside the dates the app handles."""
    latest = latest_date()
    if not EARLIEST_DATE <= day <= latest:
        raise ServiceError(f"{field_name}: {day.isoformat()} is outside the dates this app handles "
                           f"({EARLIEST_DATE.isoformat()} to {latest.isoformat()})")
    return day


def parse_date(value: str, field_name: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ServiceError(f"{field_name}: {value!r} is not a date in the form YYYY-MM-DD") from None
    return check_date(day, field_name)


def check_length(model, field: str, value: str, field_name: str) -> str:
    """`value`, or a ServiceError naming the field if it is longer than the column holds."""
    limit = model._meta.get_field(field).max_length
    if value is not None and limit is not None and len(value) > limit:
        raise ServiceError(f"{field_name}: {len(value)} characters, at most {limit} allowed "
                           f"({value[:30]!r}...)")
    return value
