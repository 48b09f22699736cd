"""Which force a returned file is from, told from its name, its title rows or its sender: pure rules
(no Django here), so they can be tested with plain values.

Forces are named in many ways: "Metropolitan Police Service", "the Met", "London, City of",
"Devon & Cornwall", "DevonCornwall_FOI.xlsx", "foi@devon-cornwall.police.uk",
"Hampshire and Isle of Wight Constabulary". A name is read as a sequence of words (case, spacing,
punctuation and "&" ignored; "KentPolice" is two words), and a force is named when one of its
names appears as whole words: "Essex" is never found inside "Sussex", nor "Wales" read as
North or South Wales.

In order, stopping at the first that names a force: the file name, then the title rows (the
first rows of each sheet), then the sender of the e-mail it came in. A source that names two
forces is not a guess to make: the file waits for a person, with the reason.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Iterable

#: Words that say "a police force" and nothing about which: dropped from the ends of names.
GENERIC = frozenset({"the", "police", "constabulary", "service", "force", "pnn"})

#: Names forces go by that their official name does not give (Force.other_names adds more in the admin).
ALIASES: dict[str, tuple[str, ...]] = {
    "metropolitan": ("Metropolitan Police", "Met Police", "London Metropolitan Police"),
    "city-of-london": ("London, City of", "City of London"),
    "hampshire": ("Hampshire and Isle of Wight",),
    "btp": ("British Transport",),
    "dyfed-powys": ("Dyfed Powys Police",),
    "devon-and-cornwall": ("Devon & Cornwall",),
}

#: Short forms: safe in a file name or a mail domain, too loose for free text ("criteria met").
ACRONYMS: dict[str, tuple[str, ...]] = {
    "metropolitan": ("met", "mps"),
    "btp": ("btp",),
    "greater-manchester": ("gmp",),
    "thames-valley": ("tvp",),
    "west-midlands": ("wmp",),
}

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    """'Devon & Cornwall_Police-FOI.xlsx' -> ['devon', 'and', 'cornwall', 'police', 'foi', 'xlsx']."""
    text = _CAMEL.sub(" ", text or "").replace("&", " and ")
    return _WORD.findall(text.lower())


def _core(ws: list[str]) -> tuple[str, ...]:
    """A name without the generic words at its ends: 'Kent Police' -> ('kent',)."""
    start, end = 0, len(ws)
    while start < end and ws[start] in GENERIC:
        start += 1
    while end > start and ws[end - 1] in GENERIC:
        end -= 1
    return tuple(ws[start:end])


@dataclass(frozen=True)
class ForceNames:
    """What the matcher needs to know about one force."""

    force_id: str
    name: str
    other_names: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()  # mail domains the force writes from (its FOI address's)


@dataclass(frozen=True)
class ForceMatch:
    force_id: str | None
    how: str  # "file name", "title rows", "sender"; "" when none
    reason: str  # for a person: what named it, or why no force could be told


@dataclass
class _Phrases:
    by_phrase: dict[tuple[str, ...], str] = field(default_factory=dict)
    compact: dict[str, str] = field(default_factory=dict)  # 'northyorkshire' -> force
    acronyms: dict[str, str] = field(default_factory=dict)


SAYS = {"file name": "its name says", "title rows": "its first rows name", "sender": "its sender is"}


class ForceMatcher:
    def __init__(self, forces: Iterable[ForceNames]):
        self.forces = {f.force_id: f for f in forces}
        self.names = {f.force_id: f.name for f in self.forces.values()}
        self._phrases = _Phrases()
        self._domains: dict[str, set[str]] = {}
        clashes: set[tuple[str, ...]] = set()
        for f in self.forces.values():
            phrases: set[tuple[str, ...]] = set()
            for text in (f.name, f.force_id.replace("-", " "), *f.other_names):
                core = _core(words(text))
                phrases |= {core, tuple(w for w in core if w != "and")}
            for text in (*ALIASES.get(f.force_id, ()), *f.other_names):
                phrases.add(tuple(words(text)))  # as written: 'Met Police', 'the Met'
            for phrase in phrases:
                if not phrase or (len(phrase) == 1 and len(phrase[0]) < 4):
                    continue  # 'met' alone is an English word before it is a force (ACRONYMS has it)
                if self._phrases.by_phrase.setdefault(phrase, f.force_id) != f.force_id:
                    clashes.add(phrase)  # two forces go by this name: it tells nothing
                if len("".join(phrase)) >= 5:
                    self._phrases.compact.setdefault("".join(phrase), f.force_id)
            for short in ACRONYMS.get(f.force_id, ()):
                self._phrases.acronyms[short] = f.force_id
            for domain in f.domains:
                self._domains.setdefault(domain.lower().strip(), set()).add(f.force_id)
        for phrase in clashes:
            self._phrases.by_phrase.pop(phrase, None)
        self._longest = max((len(p) for p in self._phrases.by_phrase), default=0)

    # --- one source at a time ---------------------------------------------------------------
    def named_in(self, text: str, *, loose: bool = False) -> set[str]:
        """Forces named in a text; `loose` also reads short forms and run-together names
        (for file names and domains, not for free text)."""
        ws = words(text)
        hits: list[tuple[int, int, str]] = []
        for i in range(len(ws)):
            for n in range(min(self._longest, len(ws) - i), 0, -1):
                force = self._phrases.by_phrase.get(tuple(ws[i:i + n]))
                if force:
                    hits.append((i, i + n, force))
                    break
            if loose:
                force = self._phrases.compact.get(ws[i]) or self._phrases.acronyms.get(ws[i])
                if force:
                    hits.append((i, i + 1, force))
        # A name inside a longer one is part of it ('London' in 'City of London').
        kept = [h for h in hits if not any(o[0] <= h[0] and h[1] <= o[1] and (o[1] - o[0]) > (h[1] - h[0])
                                           for o in hits)]
        return {force for _, _, force in kept}

    def named_by_sender(self, sender: str) -> set[str]:
        address = parseaddr(sender or "")[1].lower()
        if "@" not in address:
            return set()
        domain = address.rsplit("@", 1)[1]
        if domain in self._domains:
            return set(self._domains[domain])
        # A force's own domain ('kent.police.uk', 'devon-cornwall.police.uk'); never a council's
        # ('kent.gov.uk') or a mail provider's.
        if not domain.endswith(".police.uk"):
            return set()
        labels = domain[: -len(".police.uk")].replace(".pnn", "").split(".")
        return self.named_in(labels[-1], loose=True) if labels and labels[-1] else set()

    # --- all sources --------------------------------------------------------------------------
    def match(self, filename: str, title: str | None = "", sender: str = "", *, read_title=None) -> ForceMatch:
        """The force a file is from. `read_title`: a callable giving the title rows' text, called
        only when the file name names no force (reading a file costs more than its name)."""
        stem = filename.rsplit(".", 1)[0] if "." in filename else filename
        sources = [("file name", lambda: self.named_in(stem, loose=True)),
                   ("title rows", lambda: self.named_in(read_title() if read_title else (title or ""))),
                   ("sender", lambda: self.named_by_sender(sender))]
        for how, find in sources:
            found = find()
            if len(found) == 1:
                force_id = found.pop()
                return ForceMatch(force_id, how, f"{SAYS[how]} {self.names.get(force_id, force_id)}")
            if len(found) > 1:
                names = " and ".join(sorted(self.names.get(f, f) for f in found))
                return ForceMatch(None, how, f"{SAYS[how]} more than one force ({names}): say which")
        looked = "its name, its first rows or its sender" if sender else "its name or its first rows"
        return ForceMatch(None, "", f"no force named in {looked}: say which force sent it")
