"""Home Office offence codes and how forces write them.

Forces write one offence as ``88A``, ``088A``, ``19E - Rape of a female child under 13``,
``Rape of a female child under 13 (19E)`` or the description alone in any case and
punctuation.  :class:`OffenceCatalogue` turns any of these into an :class:`OffenceEntry` or
``None`` -- never a guess: an unknown code, a description matching two entries, or a code and
description that disagree all give ``None``.

Numeric sub-codes (``088/05``): the Home Office numbers sub-classifications within a class,
but the numbering does not follow the letter suffix (``088/05`` is not simply the fifth
letter), and the reference list carries no numeric sub-codes.  So such a label resolves only
when it matches a code in the list exactly after dropping leading zeros, or an explicit
``aliases`` entry supplied by the caller (e.g. kept in the admin); otherwise it is refused.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Iterable, Mapping


@dataclass(frozen=True)
class OffenceEntry:
    code: str
    description: str
    category: str
    min_age: int | None
    max_age: int | None

    def age_consistent(self, lo: int, hi: int) -> bool:
        """True if some age in lo..hi is legally possible for this code."""
        if self.min_age is not None and hi < self.min_age:
            return False
        if self.max_age is not None and lo > self.max_age:
            return False
        return True

    def legal_ages(self) -> str:
        lo = 0 if self.min_age is None else self.min_age
        return f"{lo}-{self.max_age}" if self.max_age is not None else f"{lo}+"


_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_CODE = r"[0-9]{1,3}\s*[A-Za-z]?"
_SUBCODE = r"[0-9]{1,3}\s*/\s*[0-9]{1,3}"
_CODE_ONLY = re.compile(r"^0*([0-9]{1,3})\s*([A-Za-z]?)$")
_SUBCODE_ONLY = re.compile(r"^0*([0-9]{1,3})\s*/\s*0*([0-9]{1,3})$")
_CODE_THEN_DESC = re.compile(rf"^({_SUBCODE}|{_CODE})(?:\s*[-\u2013\u2014:.)|]\s*|\s+)(.*[A-Za-z].*)$")
_DESC_THEN_CODE = re.compile(rf"^(.*[A-Za-z].*?)\s*[(\[]\s*(?:code\s*:?\s*)?({_SUBCODE}|{_CODE})\s*[)\]]$", re.I)
_DESC_DASH_CODE = re.compile(rf"^(.*[A-Za-z].*?)\s*[-\u2013\u2014:]\s*({_SUBCODE}|{_CODE})$")


def normalise_description(text: str) -> str:
    """Case, spacing and punctuation-insensitive form of an offence description."""
    t = text.lower().replace("&", " and ")
    return " ".join(_NON_ALNUM.sub(" ", t).split())


# No offence label is longer: past it a cell is not an offence's name, and the patterns below
# (a description around a code) would take time growing with the square of its length.
MAX_LABEL_CHARS = 500


def _clean(label: object) -> str:
    if isinstance(label, float) and label.is_integer():
        return str(int(label))
    return " ".join(str(label).replace("\u00a0", " ").split())


class OffenceCatalogue:
    """Look-up of offence labels; built from the editable list of codes.

    ``aliases`` maps extra labels (typically numeric sub-codes such as ``"088/05"``) to codes
    in ``entries``; keys are compared after dropping leading zeros.
    """

    def __init__(self, entries: Iterable[OffenceEntry], aliases: Mapping[str, str] | None = None) -> None:
        self._by_code: dict[str, OffenceEntry] = {}
        self._by_desc: dict[str, OffenceEntry | None] = {}  # None marks an ambiguous description
        for e in entries:
            code = self._code_key(e.code) or e.code.strip().upper()
            self._by_code[code] = e
            d = normalise_description(e.description)
            self._by_desc[d] = None if d in self._by_desc and self._by_desc[d] != e else e
        self._aliases: dict[str, OffenceEntry] = {}
        for label, code in (aliases or {}).items():
            entry = self.get(code)
            if entry is None:
                raise ValueError(f"alias {label!r} points at unknown code {code!r}")
            self._aliases[self._subcode_key(label) or normalise_description(label)] = entry
        self._cache: dict[str, OffenceEntry | None] = {}

    # -- keys ---------------------------------------------------------------------------
    @staticmethod
    def _code_key(text: str) -> str | None:
        m = _CODE_ONLY.match(text.strip())
        return f"{int(m.group(1))}{m.group(2).upper()}" if m else None

    @staticmethod
    def _subcode_key(text: str) -> str | None:
        m = _SUBCODE_ONLY.match(text.strip())
        return f"{int(m.group(1))}/{int(m.group(2))}" if m else None

    # -- public ---------------------------------------------------------------------------
    def __iter__(self):
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)

    def get(self, code: str) -> OffenceEntry | None:
        """The entry for an exact code (leading zeros and case ignored)."""
        key = self._code_key(str(code))
        return self._by_code.get(key) if key else None

    def resolve(self, label: str) -> OffenceEntry | None:
        """The entry a force's label means, or None when unknown or ambiguous."""
        text = _clean(label)
        try:
            return self._cache[text]
        except KeyError:
            pass
        result = self._resolve(text) if text and len(text) <= MAX_LABEL_CHARS else None
        if len(self._cache) < 100_000:
            self._cache[text] = result
        return result

    def explain(self, label: object) -> str:
        """Why ``resolve`` gave None, in words for a refusal message."""
        text = _clean(label)
        if len(text) > MAX_LABEL_CHARS:
            return f"offence '{text[:40]}...' is {len(text):,} characters long: not an offence's name"
        if self._subcode_key(text):
            return (f"offence '{text}' is a numeric Home Office sub-code that does not map exactly "
                    f"to a code in the offence list; add it as an alias in the offence list or ask the force")
        m = _CODE_THEN_DESC.match(text) or None
        if m:
            code, desc = self._code_part(m.group(1)), self._by_desc.get(normalise_description(m.group(2)))
            if code and desc and code != desc:
                return f"offence '{text}' gives code {code.code} but the description of {desc.code}; ask the force"
        if self._by_desc.get(normalise_description(text), False) is None:
            return f"offence '{text}' matches more than one entry in the offence list"
        return f"offence '{text}' is not in the offence list (check the code list or ask the force)"

    # -- internals --------------------------------------------------------------------------
    def _code_part(self, text: str) -> OffenceEntry | None:
        key = self._code_key(text)
        if key:
            return self._by_code.get(key)
        sub = self._subcode_key(text)
        if sub:
            return self._aliases.get(sub) or self._by_code.get(sub.replace("/", "/"))
        return None

    def _resolve(self, text: str) -> OffenceEntry | None:
        if _CODE_ONLY.match(text) or _SUBCODE_ONLY.match(text):
            return self._code_part(text)
        desc = normalise_description(text)
        if desc in self._by_desc:
            return self._by_desc[desc]
        if desc in self._aliases:
            return self._aliases[desc]
        for pattern, code_group, desc_group in ((_CODE_THEN_DESC, 1, 2), (_DESC_THEN_CODE, 2, 1),
                                                (_DESC_DASH_CODE, 2, 1)):
            m = pattern.match(text)
            if m:
                return self._combine(m.group(code_group), m.group(desc_group))
        return None

    def _combine(self, code_text: str, desc_text: str) -> OffenceEntry | None:
        """Code and description together: they must agree (or the code be the class of it)."""
        by_code = self._code_part(code_text)
        by_desc = self._by_desc.get(normalise_description(desc_text))
        if by_code is not None:
            if by_desc is None or by_desc == by_code:
                return by_code  # descriptions vary in wording; an exact known code is explicit
            return None  # code and description name different offences
        m = _CODE_ONLY.match(code_text.strip())
        if by_desc is not None and m and not m.group(2):
            # "088 - Exposure and voyeurism": a class number plus a description in that class
            if re.match(rf"^{int(m.group(1))}[A-Z]?$", by_desc.code):
                return by_desc
        return None


def load_catalogue_csv(source: str | bytes, aliases: Mapping[str, str] | None = None) -> OffenceCatalogue:
    """Build a catalogue from the reference CSV (code,description,category,victim_min_age,victim_max_age).

    ``source`` is the CSV text/bytes, or a path to it.
    """
    if isinstance(source, bytes):
        text = source.decode("utf-8-sig")
    elif "\n" in source or "," in source and not source.endswith(".csv"):
        text = source
    else:
        with open(source, encoding="utf-8-sig") as fh:
            text = fh.read()

    def age(v: str | None) -> int | None:
        return int(v) if v not in (None, "") else None

    entries = [OffenceEntry(r["code"].strip(), r["description"].strip(), r["category"].strip(),
                            age(r.get("victim_min_age")), age(r.get("victim_max_age")))
               for r in csv.DictReader(io.StringIO(text))]
    return OffenceCatalogue(entries, aliases)
