"""What forces write, in the forms they write it: the sections they cite, the dates they set,
and their own reference. Pure functions over text; each returns what it found and where, so a
person sees the words that decided it.

- Sections: `s12`, `s.12(1)`, `S.40(2)`, `section 12`, `Section 40 (2) - personal information`,
  `sections 30 and 31`, `ss.30, 31 and 40(2)`. Grounds only (FOIA s.12 cost, s.14 vexatious,
  the Part II exemptions s.21-s.44); s.1(3), s.9, s.10(3), s.16 and s.17 are procedure.
- Dates: 22/01/2027, 22.01.27, 22-1-2027, 22nd January 2027, 22 Jan 2027, "Friday 22 January"
  (its year the one that puts it after the message), January 22, 2027. Day first, as in the UK.
- A force's reference: after a label of the kind forces use ("Our ref:", "Reference No.",
  "FOI request -", "Case number", "Request ID"...), a code of letters, digits, slashes, dots and
  dashes; else a code standing alone in the subject; else, once a force's earlier mail has given
  its reference, any code of the same shape.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

# --- Sections ---------------------------------------------------------------------------------

_SUB = r"(?:\s?\(\d{1,2}[a-z]?\)|\s?\([a-z]{1,3}\))*"
_WORD = r"(?:sections?\s?|secs?\.\s?|ss?\.\s?|ss?(?=\d))"
SECTION = re.compile(
    rf"(?<![A-Za-z0-9'’]){_WORD}(\d{{1,2}})(?![\d/])(?!\s?\d[A-Z]{{2}}\b)({_SUB})"
    rf"((?:\s*(?:,|and|&|or)\s*(?:{_WORD})?\d{{1,2}}(?![\d/]){_SUB})*)", re.I)
MORE_SECTIONS = re.compile(rf"(\d{{1,2}})({_SUB})")
PROCEDURE = {1, 9, 10, 11, 13, 16, 17}  # not grounds: shown for what they are, never cited


def is_ground(number: int) -> bool:
    return number in (12, 14) or 21 <= number <= 44


def is_exemption(label: str) -> bool:
    """A Part II exemption (s.21-s.44), as opposed to the cost limit (s.12) or vexatiousness (s.14)."""
    return 21 <= int(re.match(r"s\.(\d+)", label).group(1)) <= 44


def cited_sections(text: str) -> list[str]:
    """The grounds cited, as `s.40(2)`, in the order first written, each once."""
    found: list[str] = []
    for m in SECTION.finditer(text):
        items = [(m.group(1), m.group(2))] + MORE_SECTIONS.findall(m.group(3) or "")
        for number, sub in items:
            if is_ground(int(number)):
                label = f"s.{int(number)}" + "".join(sub.split()).lower()
                if label not in found:
                    found.append(label)
    return found


# --- Dates ------------------------------------------------------------------------------------

MONTHS = {name: i for i, names in enumerate((
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
    ("july", "jul"), ("august", "aug"), ("september", "sept", "sep"), ("october", "oct"), ("november", "nov"),
    ("december", "dec")), 1) for name in names}
WEEKDAYS = {name: i for i, names in enumerate((
    ("monday", "mon"), ("tuesday", "tues", "tue"), ("wednesday", "wed"), ("thursday", "thurs", "thu"),
    ("friday", "fri"), ("saturday", "sat"), ("sunday", "sun"))) for name in names}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_WEEKDAY = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
DATE = re.compile(
    rf"\b(?:(?P<wd>{_WEEKDAY})\.?,?\s+)?(?:the\s+)?"
    rf"(?:(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m1>{_MONTH})\.?,?(?:\s+(?P<y1>\d{{4}}|\d{{2}}(?![\d:])))?"
    rf"|(?P<m2>{_MONTH})\.?\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?,?(?:\s+(?P<y2>\d{{4}}))?"
    rf"|(?P<d3>\d{{1,2}})(?P<sep>[/.\-])(?P<m3>\d{{1,2}})(?P=sep)(?P<y3>\d{{4}}|\d{{2}}))\b", re.I)
DEADLINE = re.compile(
    r"\b(?:by|until|till|before|no later than|on or before|extended? (?:to|until)|extension (?:to|until)|"
    r"new (?:due |response |target )?(?:date|deadline)|deadline|due (?:on|date|by)|respond (?:on|by)|"
    r"response (?:on|by)|reply (?:on|by)|aim to (?:respond|reply)(?: on| by)?)\b[^.!?\n]{0,40}$", re.I)


@dataclass(frozen=True)
class FoundDate:
    day: dt.date
    words: str
    start: int


def _year(value: str | None) -> int | None:
    if not value:
        return None
    n = int(value)
    return n + 2000 if n < 100 else n


def _without_year(day: int, month: int, weekday: int | None, after: dt.date | None) -> dt.date | None:
    """A date written without its year: the one on or after the message (its weekday, if named,
    choosing between this year and the next)."""
    base = (after or dt.date.today()).year
    options = []
    for year in (base, base + 1, base - 1):
        try:
            options.append(dt.date(year, month, day))
        except ValueError:
            continue
    if weekday is not None and any(o.weekday() == weekday for o in options):
        options = [o for o in options if o.weekday() == weekday]
    if after is not None:
        later = [o for o in options if o >= after - dt.timedelta(days=31)]
        options = later or options
    return min(options, key=lambda o: abs((o - (after or o)).days)) if options else None


def dates_in(text: str, after: dt.date | None = None) -> list[FoundDate]:
    """Every date written in the text, in order."""
    found = []
    for m in DATE.finditer(text):
        g = m.groupdict()
        weekday = WEEKDAYS.get((g["wd"] or "").lower())
        if g["d3"]:
            day, month, year = int(g["d3"]), int(g["m3"]), _year(g["y3"])
        else:
            day = int(g["d1"] or g["d2"])
            month = MONTHS[(g["m1"] or g["m2"]).lower()]
            year = _year(g["y1"] or g["y2"])
        try:
            when = dt.date(year, month, day) if year else _without_year(day, month, weekday, after)
        except ValueError:
            continue
        if when is not None:
            found.append(FoundDate(when, m.group(0).strip(), m.start()))
    return found


def deadline_date(text: str, after: dt.date | None = None) -> FoundDate | None:
    """The date a force now promises: of the dates set as a deadline ("by", "until", "extended
    to", "new date"...) after the message was written, the latest (an extension also names the
    date it replaces)."""
    candidates = []
    for found in dates_in(text, after):
        line_start = max(text.rfind("\n", 0, found.start), text.rfind(". ", 0, found.start)) + 1
        if DEADLINE.search(text[line_start:found.start]) and (after is None or found.day > after):
            candidates.append(found)
    return max(candidates, key=lambda f: f.day) if candidates else None


# --- A force's own reference ---------------------------------------------------------------------

_LABEL = (
    r"(?:freedom\s+of\s+information|FOI|FOIA|information)\s+(?:request\s+|application\s+)?"
    r"(?:ref(?:erence)?\.?|no\.?|number|num|id)(?:\s+(?:no\.?|number))?"
    r"|(?:our|your)\s+(?:FOI\s+|freedom\s+of\s+information\s+)?(?:request|case|enquiry)"
    r"(?:\s+(?:ref(?:erence)?\.?|no\.?|number|id))?"
    r"|(?:freedom\s+of\s+information|FOI|FOIA)\s+(?:request|case|enquiry)"
    r"|(?:request|case|enquiry|ticket|file|incident)\s+(?:ref(?:erence)?\.?|no\.?|number|id)(?:\s+(?:no\.?|number))?"
    r"|(?:our|my)\s+ref(?:erence)?\.?(?:\s+(?:no\.?|number))?"
    r"|ref(?:erence)?\.?(?:\s+(?:no\.?|number|num))?"
)
# A code; written after "FOI " or a short capital prefix ("MP 2016/1122") when digits follow.
_CODE = r"(?:FOI[ -]?(?=\d)|(?-i:[A-Z]{2,5}) (?=\d))?[A-Z0-9]+(?:[/.\-_][A-Z0-9]+)*"
LABELLED = re.compile(
    rf"(?<![A-Za-z])(?:{_LABEL})\s*(?:\((?:please\s+)?quote\)|\bis\b)?\s*[:#\-–—]?\s*(?:\bis\b\s*)?({_CODE})",
    re.I)
CODE = re.compile(rf"(?<![A-Za-z0-9/.\-])({_CODE})(?![A-Za-z0-9/\-])", re.I)
SUBJECT_NOISE = re.compile(r"^\s*(?:(?:re|fw|fwd|aw|tr)\s*:|\[?official(?:[- ]sensitive)?\]?\s*[:\-–]?)\s*", re.I)
# Ours are FOI-<campaign slug>-<force id>, upper case: a force id always has letters, which
# tells them from forces' own FOI-2016-03326.
OUR_REFERENCE = re.compile(r"\bFOI-[A-Z0-9]+(?:-[A-Z0-9]+)*-[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*\b")
DATE_LIKE = re.compile(r"\d{1,2}[/.\-]\d{1,2}(?:[/.\-]\d{2,4})?")
MAX_REFERENCE = 40


@dataclass(frozen=True)
class FoundReference:
    reference: str
    words: str  # the words it was found in


def our_references(*texts: str) -> list[str]:
    seen: list[str] = []
    for text in texts:
        for ref in OUR_REFERENCE.findall((text or "").upper()):
            if ref not in seen:
                seen.append(ref)
    return seen


def _year_span(code: str) -> bool:
    m = re.fullmatch(r"((?:19|20)\d\d)[/\-](\d\d)", code)
    return bool(m) and (int(m.group(1)) + 1) % 100 == int(m.group(2))


def _plausible(code: str) -> bool:
    """A code that can be a force's reference: a digit in it, not a date, a year or a span of years,
    and not one of ours."""
    bare = code.split(" ", 1)[-1]
    return (3 <= len(code) <= MAX_REFERENCE and any(c.isdigit() for c in code)
            and not DATE_LIKE.fullmatch(bare) and not re.fullmatch(r"(?:19|20)\d\d", bare)
            and not _year_span(bare) and not OUR_REFERENCE.fullmatch(code.upper()))


def _as_written(code: str) -> str:
    """"FOI 009723/16" keeps its FOI (all digits after it); "FOI 4966/16/FOI" is labelled by it."""
    head, _, rest = code.partition(" ")
    if head.upper() == "FOI" and rest and not rest.isdigit() and any(c.isalpha() for c in rest):
        return rest
    return code


def _context(text: str, start: int, end: int) -> str:
    a = text.rfind("\n", 0, start) + 1
    b = text.find("\n", end)
    return text[a:b if b >= 0 else None].strip()[:200]


def _labelled(text: str) -> FoundReference | None:
    for m in LABELLED.finditer(text):
        code = _as_written(m.group(1).strip())
        if _plausible(code) and any(c.isdigit() for c in code.split(" ")[-1]):
            return FoundReference(code, _context(text, m.start(), m.end()))
    return None


def _in_subject(subject: str) -> FoundReference | None:
    """A code standing alone in the subject ("OFFICIAL - FOI 009723/16 Extension"): our
    reference and the title after it left out."""
    rest = subject
    while (cleaned := SUBJECT_NOISE.sub("", rest)) != rest:
        rest = cleaned
    ours = OUR_REFERENCE.search(rest.upper())
    if ours:
        rest = rest[:ours.start()]
    for m in CODE.finditer(rest):
        code = _as_written(m.group(1))
        digits = sum(c.isdigit() for c in code)
        if _plausible(code) and digits >= 4 and re.search(r"[/.\-_ ]", code):
            return FoundReference(code, f"subject {subject[:80]!r}")
    return None


def shape_of(reference: str) -> str:
    """A reference's shape as a pattern: its letters and separators as written, each run of
    digits as digits of about that length (a force numbers its requests on)."""
    parts = []
    for run in re.findall(r"\d+|[A-Za-z]+|[^A-Za-z\d]", reference):
        if run.isdigit():
            parts.append(r"\d{3,8}" if len(run) >= 3 else rf"\d{{{len(run)}}}")
        else:
            parts.append(re.escape(run))
    return "".join(parts)


def _by_shape(texts: list[str], shapes: tuple[str, ...]) -> FoundReference | None:
    if not shapes:
        return None
    pattern = re.compile(r"(?<![A-Za-z0-9/.\-])(?:" + "|".join(f"(?:{s})" for s in shapes) + r")(?![A-Za-z0-9/\-])",
                         re.I)
    for text in texts:
        for m in pattern.finditer(text):
            if _plausible(m.group(0)):
                return FoundReference(m.group(0), _context(text, m.start(), m.end()) + " (the force's format)")
    return None


def force_reference(subject: str, own: str, shapes: tuple[str, ...] = ()) -> FoundReference | None:
    """The force's own reference as written: labelled in its own words, then labelled in the
    subject, then standing alone in the subject, then in the shape of its earlier references."""
    return (_labelled(own) or _labelled(subject) or _in_subject(subject)
            or _by_shape([subject, own], shapes))
