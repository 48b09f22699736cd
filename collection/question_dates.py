"""The dates a question names, moved on when it is asked again for a later period (no Django here).

"How many offences were recorded between 1 April 2015 and 31 March 2016 (2015/16)?" asked again
for 2016/17 reads "... between 1 April 2016 and 31 March 2017 (2016/17)?". Every date the
question names inside the periods it asked about moves by the difference between the old period
and the new one, written the way it was written: "1st April 2015", "01/04/2015", "2015-04-01",
"April 2015", "2015/16", "FY 2015-16", "2015/2016", a year on its own. A date outside those
periods ("the guidance of 12 May 2014"), or one the difference cannot move (a financial year when
the new period is a quarter later), is kept as written and named in `MovedText.kept`, so a person
reads it before the request goes. A year after "Act" is a statute's name, not a date.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from .periods import Period, financial_year_starting

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")
_MONTH_NAMES = {name: i + 1 for i, name in enumerate(MONTHS)}
_MONTH_NAMES.update({name[:3]: i + 1 for i, name in enumerate(MONTHS)})
_MONTH_NAMES["sept"] = 9
_MONTH = r"(?:january|february|march|april|may|june|july|august|september|october|november|december|" \
         r"jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)"
_ORD = r"(?:st|nd|rd|th)?"

# The ways a date is written, most specific first: where two overlap the earlier pattern wins.
_PATTERNS = [
    ("iso", re.compile(r"(?<![\d-])(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?![\d-])")),
    ("numeric", re.compile(r"(?<![\d/.-])(?P<d>\d{1,2})(?P<sep>[/.-])(?P<m>\d{1,2})(?P=sep)(?P<y>\d{4})(?!\d)")),
    ("day_month_year", re.compile(rf"(?<![\w])(?P<d>\d{{1,2}})(?P<ord>{_ORD})(?P<gap>\s+(?:of\s+)?)"
                                  rf"(?P<month>{_MONTH})(?P<gap2>\.?,?\s+)(?P<y>\d{{4}})(?!\d)", re.I)),
    ("month_day_year", re.compile(rf"(?<![\w])(?P<month>{_MONTH})(?P<gap>\.?\s+)(?P<d>\d{{1,2}})(?P<ord>{_ORD})"
                                  rf"(?P<gap2>,?\s+)(?P<y>\d{{4}})(?!\d)", re.I)),
    ("financial_year", re.compile(r"(?<![\d/.])(?P<y>\d{4})(?P<sep>\s?[/\-\u2013]\s?)(?P<y2>\d{4}|\d{2})"
                                  r"(?!\d|[/.\-]\d)")),
    ("month_year", re.compile(rf"(?<![\w])(?P<month>{_MONTH})(?P<gap>\.?,?\s+)(?P<y>\d{{4}})(?!\d)", re.I)),
    ("year", re.compile(r"(?<![\d/.\u00a3$])(?P<y>(?:19|20)\d{2})(?!\d|[/\-]\d|%)")),
]
# "Sexual Offences Act 2003", "the Regulations 2004": a statute's year is part of its name.
_STATUTE_BEFORE = re.compile(r"\b(?:act|acts|regulations|order|rules|code|bill)\s*,?\s*$", re.I)


@dataclass(frozen=True)
class Mention:
    """A date as the text writes it: the span it takes and the days it names."""

    kind: str
    start: int
    end: int
    text: str
    first_day: dt.date
    last_day: dt.date
    parts: dict


@dataclass(frozen=True)
class MovedText:
    text: str
    moved: tuple[tuple[str, str], ...] = ()  # (as written, as it now reads)
    kept: tuple[tuple[str, str], ...] = ()   # (as written, why it was kept)

    @property
    def notes(self) -> list[str]:
        """One line per date kept as written, for the person who sends the request."""
        return [f"“{written}” kept as written ({why}): check it" for written, why in self.kept]


def _last_day_of_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _date_or_none(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def mentions(text: str) -> list[Mention]:
    """Every date the text names, left to right, none overlapping another."""
    found = []
    for priority, (kind, pattern) in enumerate(_PATTERNS):
        for m in pattern.finditer(text):
            mention = _read(kind, m, text)
            if mention is not None:
                found.append((m.start(), priority, mention))
    chosen: list[Mention] = []
    taken_until = -1
    for start, _, mention in sorted(found, key=lambda item: (item[0], item[1])):
        if start < taken_until:  # inside a date already read ("2015" of "1 April 2015")
            continue
        chosen.append(mention)
        taken_until = mention.end
    return chosen


def _read(kind: str, m: re.Match, text: str) -> Mention | None:
    parts = m.groupdict()
    year = int(parts["y"])
    if kind in ("iso", "numeric", "day_month_year", "month_day_year"):
        month = int(parts["m"]) if "m" in parts and parts.get("m") else _MONTH_NAMES[parts["month"].lower()]
        day = _date_or_none(year, month, int(parts["d"]))
        if day is None:
            return None
        return Mention(kind, m.start(), m.end(), m.group(0), day, day, parts)
    if kind == "month_year":
        month = _MONTH_NAMES[parts["month"].lower()]
        return Mention(kind, m.start(), m.end(), m.group(0), dt.date(year, month, 1),
                       dt.date(year, month, _last_day_of_month(year, month)), parts)
    if kind == "financial_year":
        second = parts["y2"]
        if int(second) != (year + 1 if len(second) == 4 else (year + 1) % 100):
            return None  # "2015-17", "2003-05": not one financial year
        fy = financial_year_starting(year)
        return Mention(kind, m.start(), m.end(), m.group(0), fy.start, fy.end, parts)
    if _STATUTE_BEFORE.search(text[max(0, m.start() - 20):m.start()]):
        return None
    return Mention("year", m.start(), m.end(), m.group(0), dt.date(year, 1, 1), dt.date(year, 12, 31), parts)


# --- the shift --------------------------------------------------------------------------------

def _add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later; the last day of a month stays the last day (28 Feb -> 31 Mar is not
    wanted, but 31 Mar -> 31 Mar a year on, 29 Feb 2016 -> 28 Feb 2017 are)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = _last_day_of_month(year, month)
    if day.day == _last_day_of_month(day.year, day.month):
        return dt.date(year, month, last)
    return dt.date(year, month, min(day.day, last))


def _months_between(old: Period, new: Period) -> int | None:
    """The whole number of months that takes `old` to `new`, if there is one."""
    months = (new.start.year - old.start.year) * 12 + new.start.month - old.start.month
    if _add_months(old.start, months) == new.start and _add_months(old.end, months) == new.end:
        return months
    return None


@dataclass(frozen=True)
class Shift:
    """How the days of the old periods become the new ones: by whole months when the new period is the old
    one some months later (a year on is 12), else by days; the old period's first and last days become
    the new period's exactly."""

    old: Period
    new: Period
    months: int | None
    days: int

    @classmethod
    def between(cls, old: Period, new: Period) -> "Shift":
        return cls(old, new, _months_between(old, new), (new.start - old.start).days)

    @property
    def years(self) -> int | None:
        return self.months // 12 if self.months is not None and self.months % 12 == 0 else None

    def day(self, day: dt.date) -> dt.date:
        if day == self.old.start:
            return self.new.start
        if day == self.old.end:
            return self.new.end
        if self.months is not None:
            return _add_months(day, self.months)
        return day + dt.timedelta(days=self.days)


def move_dates(text: str, old: Period, new: Period, asked: tuple[Period, ...] = ()) -> MovedText:
    """`text` with every date it names inside the periods asked (`old` and any earlier ones in `asked`)
    moved by the difference between `old` and `new`; the others kept as written and named."""
    shift = Shift.between(old, new)
    periods = tuple(sorted({old, *asked}))
    out, moved, kept = [], [], []
    position = 0
    for mention in mentions(text):
        inside = any(mention.first_day <= p.end and mention.last_day >= p.start for p in periods)
        if not inside:
            if mention.kind != "year":  # a year on its own outside the periods is rarely a date asked about
                kept.append((mention.text, f"outside {_describe(periods)}"))
            continue
        written = _rewrite(mention, shift)
        if written is None:
            unit = "months" if mention.kind == "month_year" else "years"
            kept.append((mention.text, f"{new.display} is not a whole number of {unit} after {old.display}"))
            continue
        out.append(text[position:mention.start])
        out.append(written)
        position = mention.end
        if written != mention.text:
            moved.append((mention.text, written))
    out.append(text[position:])
    return MovedText("".join(out), tuple(moved), tuple(kept))


def _describe(periods: tuple[Period, ...]) -> str:
    if len(periods) == 1:
        return f"the period asked, {periods[0].display}"
    return "the periods asked, " + ", ".join(p.display for p in periods)


def _rewrite(mention: Mention, shift: Shift) -> str | None:
    p = mention.parts
    if mention.kind in ("iso", "numeric", "day_month_year", "month_day_year"):
        day = shift.day(mention.first_day)
        if mention.kind == "iso":
            return day.isoformat()
        if mention.kind == "numeric":
            d = f"{day.day:02d}" if len(p["d"]) == 2 else str(day.day)
            m = f"{day.month:02d}" if len(p["m"]) == 2 else str(day.month)
            return f"{d}{p['sep']}{m}{p['sep']}{day.year}"
        month = _month_as_written(p["month"], day.month)
        ordinal = _ordinal(day.day, p["ord"]) if p["ord"] else ""
        if mention.kind == "day_month_year":
            return f"{day.day}{ordinal}{p['gap']}{month}{p['gap2']}{day.year}"
        return f"{month}{p['gap']}{day.day}{ordinal}{p['gap2']}{day.year}"
    if mention.kind == "month_year":
        if shift.months is None:
            return None
        day = _add_months(mention.first_day, shift.months)
        return f"{_month_as_written(p['month'], day.month)}{p['gap']}{day.year}"
    if mention.kind == "financial_year":
        fy = Period(mention.first_day, mention.last_day)
        if shift.years is not None:
            year = fy.start.year + shift.years
        elif fy == shift.old and shift.new.is_financial_year:
            year = shift.new.start.year
        else:
            return None
        second = str(year + 1) if len(p["y2"]) == 4 else f"{(year + 1) % 100:02d}"
        return f"{year}{p['sep']}{second}"
    if shift.years is None:
        return None
    return str(int(p["y"]) + shift.years)


def _month_as_written(written: str, month: int) -> str:
    """The month named the way the text names months: "April", "Apr", "APRIL", "april", "Sept"."""
    full = MONTHS[month - 1]
    bare = written.rstrip(".")
    if bare.lower() in MONTHS:
        name = full
    elif bare.lower() == "sept" and month == 9:
        name = "sept"
    else:
        name = full[:3]
    if bare.isupper() and len(bare) > 1:
        return name.upper()
    if bare.islower():
        return name
    return name.capitalize()


def _ordinal(day: int, written: str) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return suffix.upper() if written.isupper() else suffix


# --- asking for an earlier period again ---------------------------------------------------------

def names_period(text: str, period: Period) -> bool:
    """Whether the text asks about `period`: names it as a financial year, or names its first and last days
    (as dates, or as months when the period is whole months)."""
    found = mentions(text)
    if period.is_financial_year and any(m.kind == "financial_year" and m.first_day == period.start for m in found):
        return True
    days = {m.first_day for m in found if m.first_day == m.last_day} | {m.last_day for m in found
                                                                       if m.first_day == m.last_day}
    if period.start in days and period.end in days:
        return True
    months = [m for m in found if m.kind == "month_year"]
    return any(m.first_day == period.start for m in months) and any(m.last_day == period.end for m in months)


def written_out(period: Period) -> str:
    """"1 April 2015 to 31 March 2016 (2015/16)", as a request says it."""
    days = f"{period.start.day} {MONTHS[period.start.month - 1].capitalize()} {period.start.year} to " \
           f"{period.end.day} {MONTHS[period.end.month - 1].capitalize()} {period.end.year}"
    return f"{days} ({period.display})" if period.is_financial_year else days


def ask_again_sentence(period: Period) -> str:
    return (f"Please also give the same figures again for {written_out(period)}, as your records hold them "
            "today, so that the two periods can be compared like for like.")


def with_earlier_period(text: str, earlier: Period) -> tuple[str, bool]:
    """The question, asking for `earlier` again: as it is when it already names that period, else with a
    sentence added. The flag says whether the sentence was added."""
    if names_period(text, earlier):
        return text, False
    return f"{text.rstrip()}\n\n{ask_again_sentence(earlier)}", True
