"""What a period is: the span of days a campaign asks about, and its label (pure: no Django here).

A UK financial year (1 April to 31 March) is labelled ``YYYY-YY`` (``2015-16``); any other period
``YYYY-MM-DD..YYYY-MM-DD``. A label names its period exactly: ``Period.from_label`` is the inverse.
The importer (which reads periods out of returns), the models and the reports all speak it.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_FY_LABEL = re.compile(r"^(\d{4})-(\d{2})$")
_RANGE_LABEL = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


def _is_financial_year(start: dt.date, end: dt.date) -> bool:
    return (start.month, start.day) == (4, 1) and end == dt.date(start.year + 1, 3, 31)


def period_label(start: dt.date, end: dt.date) -> str:
    if _is_financial_year(start, end):
        return f"{start.year}-{(start.year + 1) % 100:02d}"
    return f"{start.isoformat()}..{end.isoformat()}"


@dataclass(frozen=True, order=True)
class Period:
    start: dt.date
    end: dt.date

    def __post_init__(self):
        if self.end < self.start:
            raise ValueError(f"a period cannot end ({self.end}) before it starts ({self.start})")

    @property
    def label(self) -> str:
        return period_label(self.start, self.end)

    @property
    def is_financial_year(self) -> bool:
        return _is_financial_year(self.start, self.end)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def __str__(self) -> str:
        return self.label

    @property
    def display(self) -> str:
        """'2015/16' for a financial year, as research staff write it; else '1 Jan 2016 to 31 Dec 2016'."""
        if self.is_financial_year:
            return f"{self.start.year}/{(self.start.year + 1) % 100:02d}"
        return f"{self.start.day} {self.start:%b %Y} to {self.end.day} {self.end:%b %Y}"

    @classmethod
    def from_label(cls, label: str) -> Period:
        text = label.strip()
        if m := _FY_LABEL.match(text):
            first = int(m.group(1))
            if (first + 1) % 100 != int(m.group(2)):
                raise ValueError(f"'{label}' is not a financial year: {m.group(2)} does not follow {first}")
            return financial_year_starting(first)
        if m := _RANGE_LABEL.match(text):
            try:
                return cls(dt.date.fromisoformat(m.group(1)), dt.date.fromisoformat(m.group(2)))
            except ValueError as exc:
                raise ValueError(f"'{label}' is not a period: {exc}") from None
        raise ValueError(f"'{label}' is not a period label: write a financial year as 2015-16 "
                         f"or any other period as 2016-01-01..2016-12-31")

    def shifted(self, years: int) -> Period:
        """The same days ``years`` later (29 February becomes 28 February in a common year)."""
        return Period(add_years(self.start, years), add_years(self.end, years))


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def financial_year_starting(year: int) -> Period:
    return Period(dt.date(year, 4, 1), dt.date(year + 1, 3, 31))


def financial_year_of(day: dt.date) -> Period:
    """The financial year a day falls in: 31 March 2016 is 2015-16, 1 April 2016 is 2016-17."""
    return financial_year_starting(day.year if day.month >= 4 else day.year - 1)


def period_of(day: dt.date, periods) -> Period | None:
    """The period among ``periods`` that holds ``day``, or None."""
    for period in periods:
        if day in period:
            return period
    return None
