"""Periods as forces write them: year labels, recorded dates, and which asked period they fall in.

What a period is and its label is the domain's (``collection.periods``); this is the reading of them out
of a return (no Django here).
"""
from __future__ import annotations

import datetime as dt
import re

from ..periods import Period, add_years, financial_year_of, financial_year_starting, period_of


class PeriodProblem(ValueError):
    """A year or date a return gives that cannot be placed in a period the campaign asks about."""


_MONTHS = {m: i for i, names in enumerate(
    (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")), start=1) for m in names}
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DASH = r"\s*(?:-|/|to|\u2013|\u2014)\s*"
# words around a year that say only "this is the year": 'FY 2016/17', 'Financial Year 2015-16',
# '2015/16 financial year', 'Period: April 2015 - March 2016', 'Year ending March 2016'
_PREFIX = re.compile(r"^(?:((?:financial|fiscal)\s+year|fy|f/y)|year(?!\s+ending)|period|data\s+for|figures\s+for)"
                     r"\b\s*:?\s*")
_SUFFIX = re.compile(r"\s*\b(?:financial\s+year|fiscal\s+year|fy)$")
_FY_LONG = re.compile(rf"^(\d{{4}}){_DASH}(\d{{4}}|\d{{2}})$")  # 2015/16, 2015-2016, 2015 to 2016
_FY_SHORT = re.compile(rf"^(\d{{2}}){_DASH}(\d{{2}})$|^(\d{{2}})(\d{{2}})$")  # 15/16, 1516: only after 'FY'
_MONTH_RANGE = re.compile(rf"^{_MONTH}\s*(\d{{4}}){_DASH}{_MONTH}\s*(\d{{4}})$")
_YEAR_ENDING = re.compile(rf"^(?:year\s+ending|ye)\s+(?:\d{{1,2}}(?:st|nd|rd|th)?\s+)?{_MONTH}\s*(\d{{4}})$")
_BARE_YEAR = re.compile(r"^(\d{4})$")
_CALENDAR = re.compile(r"^(?:calendar\s+year|cy)\s*:?\s*(\d{4})$")
_ISO_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ t]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_UK_DAY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_WORD_DAY = re.compile(rf"^(\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH}\s*,?\s*(\d{{4}})$")
_DAY_RANGE = re.compile(r"^(.+?)\s*(?:-|to|\u2013|\u2014|until)\s*(.+)$")

_SANE_YEARS = range(1990, 2100)


def _month_end(year: int, month: int) -> dt.date:
    return (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1))


def parse_day(value: object) -> dt.date | None:
    """A recorded date as forces give it: an Excel date cell, ISO text ('2016-04-01', with or without
    a time) or UK text ('01/04/2016', '1 April 2016'); None when the value is not a date.

    Day-first is the rule for slashed dates (these are UK police returns): '01/04/2016' is 1 April.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    t = " ".join(value.strip().lower().split())
    try:
        if m := _ISO_DAY.match(t):
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if m := _UK_DAY.match(t):
            return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        if m := _WORD_DAY.match(t):
            return dt.date(int(m.group(3)), _MONTHS[m.group(2)], int(m.group(1)))
    except (ValueError, KeyError):
        return None
    return None


def parse_year_text(text: object) -> Period | None:
    """The period a year label names, or None when the text is not (only) a year label.

    Financial years (1 April to 31 March): '2015/16', '2015-16', '2015/2016', '2015 to 2016',
    'FY 2016/17', 'FY16/17', 'FY1617', 'Financial Year 2015/16', '2015/16 financial year',
    'April 2015 - March 2016', 'Year ending March 2016'.  Any other span: '01/04/2015 - 31/03/2016',
    '1 January 2016 to 31 December 2016', 'Jan 2016 - Dec 2016'.

    Strict on purpose, never a guess:
    * a bare four-digit year ('2016') names the calendar year 1 January to 31 December; it is NOT
      taken for either financial year it overlaps (a campaign asking about financial years refuses
      it, asking the force which one it means);
    * two-digit pairs ('15/16', '15-16', '1516') count only after 'FY' or 'financial year': on their
      own they read as an age band;
    * the second year must follow the first ('2015/17' is not a year);
    * a sentence that mentions a year ('2015/16 figures were provided last year') is not a label.
    """
    if isinstance(text, bool) or text is None:
        return None
    if isinstance(text, (int, float)):
        if float(text).is_integer() and int(text) in _SANE_YEARS:
            return Period(dt.date(int(text), 1, 1), dt.date(int(text), 12, 31))
        return None
    if not isinstance(text, str):
        return None
    t = " ".join(text.strip().lower().replace("\u2013", "-").replace("\u2014", "-").split())
    if not t or len(t) > 60:
        return None
    fy_word = False
    if m := _PREFIX.match(t):
        fy_word = m.group(1) is not None
        t = t[m.end():]
    if m := _SUFFIX.search(t):
        fy_word = True
        t = t[:m.start()]
    t = t.strip(" :")
    if t.startswith("fy"):  # 'FY2015/16' written without a space
        fy_word, t = True, t[2:].strip()
    try:
        return _year_label(t, fy_word)
    except (ValueError, KeyError):
        return None


def _year_label(t: str, fy_word: bool) -> Period | None:
    if m := _FY_LONG.match(t):
        first, second = int(m.group(1)), m.group(2)
        follows = int(second) == first + 1 if len(second) == 4 else int(second) == (first + 1) % 100
        return financial_year_starting(first) if follows and first in _SANE_YEARS else None
    if fy_word and (m := _FY_SHORT.match(t)):
        a, b = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        if (int(a) + 1) % 100 != int(b):
            return None
        return financial_year_starting(2000 + int(a))
    if m := _MONTH_RANGE.match(t):
        start = dt.date(int(m.group(2)), _MONTHS[m.group(1)], 1)
        end = _month_end(int(m.group(4)), _MONTHS[m.group(3)])
        return Period(start, end) if start.year in _SANE_YEARS and end > start else None
    if m := _YEAR_ENDING.match(t):
        end = _month_end(int(m.group(2)), _MONTHS[m.group(1)])
        start = add_years(end + dt.timedelta(days=1), -1)
        return Period(start, end)
    if m := (_BARE_YEAR.match(t) or _CALENDAR.match(t)):
        year = int(m.group(1))
        return Period(dt.date(year, 1, 1), dt.date(year, 12, 31)) if year in _SANE_YEARS else None
    if m := _DAY_RANGE.match(t):
        start, end = parse_day(m.group(1)), parse_day(m.group(2))
        if start is not None and end is not None and end > start and start.year in _SANE_YEARS:
            return Period(start, end)
    return None


def is_calendar_year(p: Period) -> bool:
    return (p.start.month, p.start.day, p.end.month, p.end.day) == (1, 1, 12, 31) and p.start.year == p.end.year


class PeriodReader:
    """Places what a return says about time (a year label, a recorded date) in one of the periods a
    campaign asks about, by label.  With no periods asked, a year label gives its own period and a
    date its financial year, so a return still says what it holds.

    Raises :class:`PeriodProblem` (a reason in words, without the place: the caller names it) for a
    year or date outside every period asked, and for a calendar year when financial years are asked.
    """

    KEEP = 65536  # distinct cells remembered; past them (a hostile file) each is read again rather than kept

    def __init__(self, asked=()) -> None:
        self.asked = tuple(asked)
        self._memo: dict = {}

    @property
    def asked_text(self) -> str:
        return ", ".join(p.display for p in self.asked)

    def label_of(self, period: Period, shown: object) -> str:
        if not self.asked:
            return period.label
        for p in self.asked:
            if p == period:
                return p.label
        text = str(shown).strip()
        if is_calendar_year(period) and not any(is_calendar_year(p) for p in self.asked):
            raise PeriodProblem(f"'{text}' names a calendar year, but the campaign asks about "
                                f"{self.asked_text}; ask the force which financial year it means")
        shown = f"'{text}'" if text == period.display else f"'{text}' ({period.display})"
        raise PeriodProblem(f"{shown} is not a period the campaign asks about ({self.asked_text}); ask the force")

    def label_of_day(self, day: dt.date, shown: object) -> str:
        if not self.asked:
            return financial_year_of(day).label
        p = period_of(day, self.asked)
        if p is None:
            raise PeriodProblem(f"recorded date {day.day} {day:%B %Y} falls outside every period the campaign "
                                f"asks about ({self.asked_text}); ask the force")
        return p.label

    def cell(self, value: object) -> str | None:
        """The period label a year-or-date cell gives; None when the cell is neither (blank, a word)."""
        try:
            return self._memo[value]
        except KeyError:
            pass
        except TypeError:
            return self._cell(value)
        got = self._cell(value)
        if len(self._memo) < self.KEEP:
            self._memo[value] = got
        return got

    def _cell(self, value: object) -> str | None:
        day = parse_day(value)
        if day is not None:
            return self.label_of_day(day, value)
        year = parse_year_text(value)
        if year is not None:
            return self.label_of(year, value if not isinstance(value, float) else int(value))
        return None
