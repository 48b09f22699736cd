"""Figures written as lines of text: a letter with no ruled table, an e-mail body.

Forces write, for example::

    Victims aged 0 to 12                     Female victims
    17B Sexual assault ... ....... 1           Aged 0-11 - nine
    88A Sexual grooming .......... 12          Aged 13 - five
    Total ........................ 13        Total: 34

A line is a heading (an age band, a sex, an offence), a figure (a label, then a count at the end
of the line after dot leaders, a dash, a colon or a gap), a total ("Total: 34", "Sum: 42",
"Total number of crimes: 74", "Total Count 47"), or prose, which is ignored.  The figures are
written out as a long table (offence | victim age | victim sex | count, with total rows) whose row
numbers map back to the lines, so the same checks as a spreadsheet apply: totals against their
section, ages, offences, counts in words.

Never a guess: a figure line must name an offence or an age the rest of the pipeline reads; a
label that could be prose ("21 working days ...") counts only when its description is the
offence's own, or the count stands apart (dot leaders, a dash, a colon).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .catalogue import OffenceCatalogue, OffenceEntry, normalise_description
from .labels import NOT_AGE, CountProblem, count_word, norm_words, parse_age, parse_count, parse_sex

HEADER = ["Offence", "Victim age", "Victim sex", "Count"]

_LEADERS = re.compile(r"\s*(?:\.{3,}|\u2026+|_{3,}|(?:\. ){3,}\.?)\s*")
_COUNT = r"(?:\d[\d,]*|\*+|<\s*\d+|fewer than \d+|less than \d+|[a-z]+(?:[- ][a-z]+)?)"
_TOTAL = re.compile(rf"^(?:grand\s+|overall\s+)?(?:total|sum)\b(?P<mid>[^0-9]{{0,60}}?)[\s:=\t\-\u2013]*"
                    rf"(?P<count>{_COUNT})\.?$", re.I)
_FIGURE = re.compile(rf"^(?P<label>.*?\S)(?P<sep>\t+|\s*[:=]\s*|\s+[-\u2013\u2014]\s+|\s{{2,}}|\s+)"
                     rf"(?P<count>{_COUNT})\.?$", re.I)
_TRAILING_FIGURE = re.compile(r"(?:^|\s)(?:\d[\d,]*|-|\u2013|\*+|<\s*\d+)$")
# A heading that is an age by its own words, with no "Aged" before it: "Under 13s", "13 to 15 years".
_AGE_WORDS = re.compile(r"^(?:under|below)\s+\d{1,2}'?s?(?:\s+years?(?:\s+old)?)?$|"
                        r"^\d{1,2}\s*(?:-|to|\u2013)\s*\d{1,2}\s+(?:years?|yrs)(?:\s+old)?$", re.I)
_AGE_HEADING = re.compile(r"^(?:(?:number of\s+)?victims?\s+|children\s+)?(?:aged|age[sd]?|age group|age band)\b\s*:?\s*"
                          r"(?P<rest>.*?)(?:\s+years?(?:\s+old)?)?\s*:?$", re.I)


@dataclass
class LinesTable:
    rows: list[list]  # header first
    row_map: tuple[int, ...]  # 1-based row of `rows` -> 1-based line number


def _clean(line: str) -> str:
    t = line.replace("\u00a0", " ").strip()
    t = _LEADERS.sub("\t", t)
    return t.strip()


def _count_ok(token: str) -> bool:
    t = token.strip().lower()
    if re.fullmatch(r"\d[\d,]*", t):
        return True  # a number, even one too big to store: the table's checks say what is wrong
    if re.fullmatch(r"[a-z]+(?:[- ][a-z]+)?", t) and count_word(t) is None and t not in ("nil", "none"):
        return False
    try:
        parse_count(token)
    except CountProblem:
        return False
    return True


def _age_text(label: str, strong: bool) -> str | None:
    """The age part of a label ('Aged 13' -> '13'), or None when the label is not an age."""
    t = " ".join(label.strip(" :-").split())
    m = _AGE_HEADING.match(t)
    if m:
        rest = m.group("rest").strip(" :-")
        if not rest:
            return None
        if norm_words(rest) in ("not recorded", "not known", "unknown"):
            return "Unknown"
        rest = re.sub(r"^(\d+)\s+(?:to|and)\s+(\d+)$", r"\1-\2", rest)
        return rest if parse_age(rest) is not NOT_AGE else None
    if (strong or _AGE_WORDS.match(t)) and parse_age(t) is not NOT_AGE:
        return t
    return None


class _Reader:
    def __init__(self, catalogue: OffenceCatalogue) -> None:
        self.catalogue = catalogue

    def offence(self, label: str, strict: bool) -> OffenceEntry | None:
        t = " ".join(label.strip(" :").split())
        if len(t) > 200:
            return None
        e = self.catalogue.resolve(t.rstrip(" -"))
        if e is None:
            return None
        if _TRAILING_FIGURE.search(t) and not normalise_description(t).endswith(normalise_description(e.description)):
            return None  # '88A Sexual grooming 1 2 - 3': a row of figures across, a table's row, not one figure
        if not strict:
            return e
        # prose that starts with a number ("21 working days") resolves by its code alone: a heading or a
        # figure with no clear separator counts only when it is the code, or carries the offence's own words
        if re.fullmatch(r"0*\d{1,3}\s*[A-Za-z]?", t) or normalise_description(e.description) in normalise_description(t):
            return e
        return None


def _band_heading(t: str, lines: list[str], number: int, reader: _Reader) -> bool:
    """'Aged 13 - 15' over a section: a band heading, not age 13 with 15 victims, when the whole line
    reads as a band and the next line with anything on it is a figure for an offence."""
    if _age_text(t.rstrip(":"), False) is None or "-" not in t and "\u2013" not in t:
        return False
    lo_hi = parse_age(_age_text(t.rstrip(":"), False))
    if not isinstance(lo_hi, tuple) or lo_hi[0] is None or lo_hi[0] == lo_hi[1]:
        return False
    for raw in lines[number:number + 3]:
        nxt = _clean(raw)
        if not nxt:
            continue
        m = _FIGURE.match(nxt)
        return bool(m and _count_ok(m.group("count")) and reader.offence(m.group("label"), strict=False) is not None)
    return False


def lines_table(lines: list[str], catalogue: OffenceCatalogue) -> LinesTable | None:
    """The figures in lines of text, as a long table; None when no line is a figure."""
    reader = _Reader(catalogue)
    body: list[tuple[int, object, str, str, str]] = []  # (line, offence, age, sex, count)
    offence: OffenceEntry | None = None
    age = sex = ""
    figures = 0
    for number, raw in enumerate(lines, start=1):
        t = _clean(raw)
        if not t or len(t) > 400:
            continue
        m = _TOTAL.match(t)
        if m and _count_ok(m.group("count")) and not re.search(r"\d", m.group("mid")):
            if figures:
                body.append((number, "Total", "", "", m.group("count")))
            continue
        m = _FIGURE.match(t)
        if m and _count_ok(m.group("count")):
            label, sep = m.group("label"), m.group("sep")
            strong = sep.strip() != "" or "\t" in sep or len(sep) >= 2
            e = reader.offence(label, strict=not strong)
            a = None if e is not None else _age_text(label, strong)
            heading_instead = (not strong and (reader.offence(t, strict=True) is not None or _age_text(t, False))) or (
                e is None and a is not None and _band_heading(t, lines, number, reader))
            if (e is not None or a is not None) and not heading_instead:
                figures += 1
                body.append((number, e if e is not None else offence, a if a is not None else age, sex,
                             m.group("count")))
                continue
        # a heading sets the context of the figures below it
        heading = t.rstrip(":").strip()
        s = parse_sex(heading)
        if s:
            sex = s
            continue
        a = _age_text(heading, False)
        if a is not None:
            age = a
            continue
        e = reader.offence(heading, strict=True)
        if e is not None:
            offence = e
            continue
    if not figures:
        return None
    has_offence = any(isinstance(r[1], OffenceEntry) for r in body)
    has_age = any(r[2] for r in body)
    has_sex = any(r[3] for r in body)
    header = [h for h, keep in zip(HEADER, (has_offence, has_age, has_sex, True)) if keep]
    rows: list[list] = [header]
    row_map = [0]
    for number, e, a, s, count in body:
        if e == "Total":
            rows.append(["Total"] + [""] * (len(header) - 2) + [count])
        else:
            cells = [e.code if isinstance(e, OffenceEntry) else "", a, s, count]
            rows.append([c for c, keep in zip(cells, (has_offence, has_age, has_sex, True)) if keep])
        row_map.append(number)
    row_map[0] = body[0][0]
    return LinesTable(rows, tuple(row_map))
