"""What a cell means: ages, counts, sexes, header words, totals.

Every function here is pure and memoised per distinct raw value: a 200,000-row return has a
few dozen distinct age and offence strings, so the regular expressions run once each and the
rest are dictionary look-ups.
"""
from __future__ import annotations

import datetime as _dt
import re
from functools import lru_cache

CHILD_MAX_AGE = 17

# ---------------------------------------------------------------------------- text helpers
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=65536)
def norm_words(text: str) -> str:
    """Lower case, '&' -> 'and', punctuation to spaces, single spaces."""
    t = text.lower().replace("&", " and ")
    return " ".join(_NON_ALNUM.sub(" ", t).split())


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def cell_text(value: object) -> str:
    """A cell as the researcher would read it (13.0 -> '13')."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# ---------------------------------------------------------------------------- ages
NOT_AGE = object()
"""Sentinel: the cell is not an age label at all (e.g. a word like 'Offence')."""

UNKNOWN_AGE = (None, None)

_UNKNOWN_WORDS = frozenset({
    "unknown", "not recorded", "not known", "n k", "nk", "unk", "not stated", "age unknown",
    "unknown age", "not specified", "unspecified", "n a", "na", "no age recorded", "no age",
    "not available", "age not recorded", "age not known", "blank", "none recorded",
})
_SUFFIX = r"(?:\s*(?:y|yr|yrs|year|years|years old|yo|y/o|y\.o\.?))?\.?"
_PREFIX = r"(?:(?:age[ds]?|victim age)\s*:?\s*)?"
_NUM = r"(\d{1,3}(?:\.\d+)?)"
_SINGLE = re.compile(rf"^{_PREFIX}{_NUM}{_SUFFIX}$")
_BAND = re.compile(rf"^{_PREFIX}(\d{{1,3}}){_SUFFIX}\s*(?:-|to|and|&)\s*(\d{{1,3}}){_SUFFIX}$")
_UNDER = re.compile(rf"^{_PREFIX}(?:under|below|less than|younger than|<)\s*(\d{{1,3}})(?:'?s)?{_SUFFIX}$")
_AND_UNDER = re.compile(rf"^{_PREFIX}(\d{{1,3}}){_SUFFIX}\s*(?:and|&|or)\s*(?:under|below|younger)$|^(?:up to|upto)\s*(\d{{1,3}}){_SUFFIX}$")
_AND_OVER = re.compile(rf"^{_PREFIX}(\d{{1,3}}){_SUFFIX}\s*(?:\+|plus|and over|and above|or over|or older|and older)$|^(?:over|above)\s*(\d{{1,3}}){_SUFFIX}$")


def _adult(age: int | float) -> str:
    return f"victim age {cell_text(age)} is not a child's age (0-{CHILD_MAX_AGE}); ask the force"


@lru_cache(maxsize=65536)
def _age_from_text(text: str) -> object:
    t = " ".join(text.lower().replace("\u2013", "-").replace("\u2014", "-").split())
    if not t:
        return NOT_AGE
    if norm_words(t) in _UNKNOWN_WORDS:
        return UNKNOWN_AGE
    m = _SINGLE.match(t)
    if m:
        return _age_from_number(float(m.group(1)))
    m = _BAND.match(t)
    if m:
        lo, hi = int(m.group(1)), int(m.group(2))
        if lo > hi:
            return f"age band '{text}' runs backwards"
        if hi > CHILD_MAX_AGE:
            return f"age band '{text}' includes adults (18 and over); ask the force"
        return (lo, hi)
    m = _UNDER.match(t)
    if m:
        n = int(m.group(1))
        if n == 0:
            return f"age band '{text}' is empty"
        if n - 1 > CHILD_MAX_AGE:
            return f"age band '{text}' includes adults (18 and over); ask the force"
        return (0, n - 1)
    m = _AND_UNDER.match(t)
    if m:
        n = int(m.group(1) or m.group(2))
        if n > CHILD_MAX_AGE:
            return f"age band '{text}' includes adults (18 and over); ask the force"
        return (0, n)
    m = _AND_OVER.match(t)
    if m:
        n = int(m.group(1) or m.group(2))
        if n > CHILD_MAX_AGE:
            return _adult(n)
        return (f"age band '{text}' has no upper age, so it may include adults; "
                f"ask the force for ages up to {CHILD_MAX_AGE} only")
    return NOT_AGE


def _age_from_number(v: float) -> object:
    if v != v:  # NaN
        return NOT_AGE
    if not float(v).is_integer():
        return f"victim age {v:g} is not a whole number of years"
    if v < 0:
        return f"victim age {v:g} is negative"
    if v > CHILD_MAX_AGE:
        return _adult(v)
    return (int(v), int(v))


def parse_age(value: object) -> object:
    """A cell as a victim age label.

    Returns ``(lo, hi)`` (equal for a single year), ``UNKNOWN_AGE`` (None, None), a ``str``
    giving the reason the age is unacceptable (adult, fractional, unbounded band), or
    ``NOT_AGE`` when the cell does not look like an age at all.  Blank is NOT_AGE here;
    callers that read a victim-age column treat blank as unknown.
    """
    if isinstance(value, bool):
        return NOT_AGE
    if isinstance(value, (int, float)):
        return _age_from_number(float(value))
    if isinstance(value, str):
        return _age_from_text(value)
    return NOT_AGE


def band_text(lo: int, hi: int) -> str:
    return "" if lo == hi else f"{lo}-{hi}"


# ---------------------------------------------------------------------------- counts
_ZERO_WORDS = frozenset({"-", "\u2013", "\u2014", "nil", "none", "zero", "0", "--", "n/a nil"})
_SUPPRESSED = re.compile(
    r"^(?:\*+|x|\[x\]|c|\[c\]|~|\.\.|supp(?:ressed)?\.?|redacted|"
    r"(?:<|<=|\u2264|fewer than|less than|under)\s*\d+|\d+\s*(?:-|to)\s*\d+)$", re.I)
_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d*)?$|^[+-]?\.\d+$")


MAX_COUNT = 2_147_483_647
"""The largest count the database column holds (a signed 32-bit integer)."""

SUPPRESSED_MAX_DEFAULT = 4
"""What a bare suppression mark ('*', 'x') may hide at most: forces suppress 1 to 4 (below 5)."""

_NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty".split())}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}


def count_word(text: str) -> int | None:
    """'eight' -> 8, 'twenty-one' -> 21, 'Nil' -> 0; None when the text is not a number in words."""
    t = " ".join(text.lower().replace("-", " ").split())
    if t in _NUMBER_WORDS:
        return _NUMBER_WORDS[t]
    if t in _TENS:
        return _TENS[t]
    parts = t.split()
    if len(parts) == 2 and parts[0] in _TENS and parts[1] in _NUMBER_WORDS and 0 < _NUMBER_WORDS[parts[1]] < 10:
        return _TENS[parts[0]] + _NUMBER_WORDS[parts[1]]
    return None


class CountProblem(ValueError):
    """A count cell that cannot be read as a whole non-negative number."""


def _too_big(n: int) -> CountProblem:
    return CountProblem(f"count {n:,} is larger than can be stored ({MAX_COUNT:,} at most); ask the force")


def _count_from_number(v: float, shown: object) -> tuple[int | None, str]:
    if v != v or v in (float("inf"), float("-inf")):
        raise CountProblem(f"count '{shown}' is not a number")
    if v < 0:
        raise CountProblem(f"count {cell_text(shown)} is negative")
    if not float(v).is_integer():
        raise CountProblem(f"count {cell_text(shown)} is not a whole number")
    if v > MAX_COUNT:
        raise _too_big(int(v))
    return int(v), ""


@lru_cache(maxsize=65536)
def _count_from_text(text: str) -> tuple[int | None, str]:
    t = text.strip()
    if not t or t.lower() in _ZERO_WORDS:
        return 0, ""
    if t.startswith("="):
        raise CountProblem(f"count cell holds the formula text '{t}' rather than a number; "
                           "ask the force for values, not formulas")
    if _SUPPRESSED.match(t):
        return None, t
    plain = t.replace(",", "").replace(" ", "")
    if _NUMBER.match(plain):
        if "." not in plain and len(plain.lstrip("+-")) > 15:  # beyond float precision: say so exactly
            n = int(plain)
            if n < 0:
                raise CountProblem(f"count {t} is negative")
            raise _too_big(n)
        return _count_from_number(float(plain), t)
    n = count_word(t)
    if n is not None:
        return n, ""
    raise CountProblem(f"count '{t}' is not a number")


def parse_count(value: object) -> tuple[int | None, str]:
    """A count cell -> (count, suppressed_label).

    Blank, '-', 'Nil' are 0.  Suppressed marks ('*', '<5', 'x') give (None, original text):
    they are neither zero nor known.  Raises CountProblem for negatives, fractions, formula
    text and anything else that is not a count.
    """
    if value is None:
        return 0, ""
    if isinstance(value, bool):
        raise CountProblem(f"count '{value}' is not a number")
    if isinstance(value, int):
        if value < 0:
            raise CountProblem(f"count {value} is negative")
        if value > MAX_COUNT:
            raise _too_big(value)
        return value, ""
    if isinstance(value, float):
        return _count_from_number(value, value)
    if isinstance(value, str):
        return _count_from_text(value)
    if isinstance(value, (_dt.date, _dt.time, _dt.timedelta)):
        raise CountProblem(f"count cell holds a date/time ({value}), not a number")
    raise CountProblem(f"count '{value}' is not a number")


_SUPPRESSED_BOUND = re.compile(r"^(?:(<|fewer than|less than|under)\s*(\d+)|(<=|\u2264)\s*(\d+)|\d+\s*(?:-|to)\s*(\d+))$",
                               re.I)


@lru_cache(maxsize=4096)
def suppressed_max(label: str) -> int:
    """The most a suppressed cell can hide: '<5' -> 4, '<=3' -> 3, '1-4' -> 4, '*' -> 4 (the usual rule)."""
    parts = [p.strip() for p in label.split("/")]
    best = 0
    for part in parts:
        m = _SUPPRESSED_BOUND.match(part)
        if m and m.group(2):
            n = max(int(m.group(2)) - 1, 0)
        elif m and m.group(4):
            n = int(m.group(4))
        elif m and m.group(5):
            n = int(m.group(5))
        else:
            n = SUPPRESSED_MAX_DEFAULT
        best = max(best, n)
    return best


# ---------------------------------------------------------------------------- sex
_SEX = {
    "female": "female", "f": "female", "females": "female", "girl": "female", "girls": "female",
    "woman": "female", "women": "female", "fem": "female",
    "male": "male", "m": "male", "males": "male", "boy": "male", "boys": "male", "man": "male",
    "men": "male",
    "unknown": "unknown", "not recorded": "unknown", "not known": "unknown", "n k": "unknown",
    "nk": "unknown", "u": "unknown", "unk": "unknown", "not stated": "unknown",
    "unspecified": "unknown", "other": "unknown", "indeterminate": "unknown",
    "sex unknown": "unknown", "gender unknown": "unknown",
}


def parse_sex(value: object) -> str | None:
    """'female' | 'male' | 'unknown', or None when the cell is not a sex word."""
    if not isinstance(value, str):
        return None
    n = norm_words(value)
    for prefix in ("victim ", "ip "):
        if n.startswith(prefix):
            n = n[len(prefix):]
    for suffix in (" victims", " victim"):
        if n.endswith(suffix):
            n = n[: -len(suffix)]
    return _SEX.get(n)


# ---------------------------------------------------------------------------- totals
_TOTAL_EXACT = frozenset({
    "total", "totals", "grand total", "sum", "overall", "overall total", "all", "all ages",
    "all offences", "all victims", "all crimes", "total all ages", "sum total", "sub total",
    "subtotal", "all ages total",
})


@lru_cache(maxsize=65536)
def _total_text(text: str) -> bool:
    n = norm_words(text)
    return (n in _TOTAL_EXACT or n.startswith(("total ", "grand total", "sub total", "subtotal", "sum "))
            or n.endswith((" total", " totals")) or n.startswith("all ages"))


def is_total_label(value: object) -> bool:
    """'Total', 'Grand Total', 'Sum:', 'All ages', 'Female total' ..."""
    return isinstance(value, str) and _total_text(value)


# ---------------------------------------------------------------------------- header words
ROLE_CODE = "offence_code"
ROLE_DESC = "offence_desc"
ROLE_AGE = "age"
ROLE_COUNT = "count"
ROLE_SEX = "sex"
ROLE_IGNORE = "ignore"
ROLE_TOTAL = "total"
ROLE_YEAR = "year"  # 'Financial Year', 'FY': which period a row counts
ROLE_DATE = "date"  # 'Date Recorded': the period follows from the date
OFFENCE_ROLES = (ROLE_CODE, ROLE_DESC)
PASSIVE_ROLES = (ROLE_IGNORE, ROLE_YEAR, ROLE_DATE)
"""Columns that are neither a label nor a figure of a pivot: they may sit beside its labels."""

_REF = re.compile(r"^(?:crime|occurrence|incident|case|record|unique|niche|athena|storm)\s+(?:ref|reference|number|no|id|urn|num)\b")
_PEOPLE_NOT_VICTIM = frozenset({"offender", "offenders", "suspect", "suspects", "perpetrator", "accused",
                               "defendant", "defendants", "officer"})
_COUNT_WORDS = frozenset({"count", "number", "no", "num", "nos", "total", "sum", "frequency", "volume",
                          "quantity", "qty", "figure", "figures", "amount"})
_COUNT_PHRASES = frozenset({"offences", "crimes", "victims", "crimes recorded", "offences recorded",
                            "recorded crimes", "recorded offences", "recorded crime", "n"})
_IGNORE_WORDS = frozenset({"date", "time", "month", "year", "day", "period", "flag", "online", "cyber",
                           "station", "district", "area", "ward", "outcome", "status", "location", "beat",
                           "division", "team", "unit", "force", "comments", "comment", "notes", "note",
                           "modus", "mo", "ethnicity", "ethnic", "relationship", "postcode", "ref",
                           "reference", "urn", "id", "recorded", "committed", "reported", "finalised"})
_CODE_WORDS = frozenset({"code", "hocr", "ho", "hoc", "classification", "class", "subclass"})
_OFFENCE_WORDS = frozenset({"offence", "offense", "crime", "description", "category", "type", "title",
                            "offences", "offenses", "crimes", "classification"})


@lru_cache(maxsize=65536)
def _role_text(text: str) -> str | None:
    n = norm_words(text)
    if not n:
        return None
    words = set(n.split())
    if _REF.match(n):
        return ROLE_IGNORE
    if words & _PEOPLE_NOT_VICTIM:
        return ROLE_IGNORE
    if words & {"age", "ages", "aged"} or n in ("dob", "date of birth"):
        return ROLE_AGE if "dob" not in words and "birth" not in words else ROLE_IGNORE
    if words & {"sex", "gender"}:
        return ROLE_SEX
    if _total_text(text):
        return ROLE_TOTAL
    if (words & _COUNT_WORDS) or n in _COUNT_PHRASES:
        return ROLE_COUNT
    period = _period_role(n, words)
    if period:
        return period
    if words & _IGNORE_WORDS:
        return ROLE_IGNORE
    if words & _CODE_WORDS or n.startswith("home office"):
        return ROLE_CODE
    if words & _OFFENCE_WORDS:
        return ROLE_DESC
    return None


_YEAR_WORDS = frozenset({"year", "fy", "yr"})
_NOT_RECORDED = frozenset({"birth", "dob", "month", "committed", "occurred", "offence", "offense", "incident",
                           "from", "to", "start", "end", "finalised", "outcome", "closed"})
_RECORDED_DATE = frozenset({"date", "date recorded", "recorded date", "recorded", "date of record",
                            "crime recorded date", "date crime recorded", "recorded on", "date created",
                            "created date", "crime date recorded", "date time recorded", "date and time recorded",
                            "recorded date time", "recorded date and time"})


def _period_role(n: str, words: set) -> str | None:
    """'Financial Year', 'Year', 'FY' -> ROLE_YEAR; 'Date Recorded', 'Recorded Date', a bare 'Date' ->
    ROLE_DATE.  Other dates (committed, of birth) and months say nothing about the period asked about:
    a campaign counts offences *recorded* in its period."""
    if words & _NOT_RECORDED:
        return None
    if n == "f y" or words & _YEAR_WORDS and words <= _YEAR_WORDS | {"financial", "fiscal", "recorded", "of", "record",
                                                       "reporting", "crime", "f"}:
        return ROLE_YEAR
    if n in _RECORDED_DATE:
        return ROLE_DATE
    return None


def header_role(value: object) -> str | None:
    """What a header cell says its column holds, by meaning (None if it says nothing)."""
    return _role_text(value) if isinstance(value, str) else None


def counting_unit_from(text: str) -> str:
    """'victims' / 'crimes' if the words say what is counted, else ''."""
    n = norm_words(text)
    if "victim" in n:
        return "victims"
    if "crime" in n or "offence" in n or "offense" in n:
        return "crimes"
    return ""
