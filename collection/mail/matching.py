"""Which request a message belongs to, and why: rules over plain records, in a fixed order,
stopping at the first that answers. Never a guess: what is unclear goes to a person.

1. In-Reply-To / References naming a message we sent (a request or a chaser);
2. for a delivery report, the Message-ID, else our reference, of the original it returns;
3. our reference in the subject, then in the body (a forwarded message quotes it);
4. the force's own reference, learned from its earlier mail;
4a. an ICO case or decision notice reference recorded on a request's challenge ladder (the
   Commissioner's mail quotes its own reference, never ours);
5. the sender's domain, when it is exactly one force's and that force has exactly one open request.

A reference in our form that we never sent (another campaign's) stops the matching: an explicit
reference that disagrees beats the domain.

The requests are indexed once per run (`RequestIndex`), and what a run learns (a force's
reference, a force's domain) is added to the index as it goes: matching a message costs a few
dictionary lookups, whatever the number of requests.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .parse import ParsedMessage
from .reading import Reading
from .wording import our_references, shape_of


@dataclass(frozen=True)
class RequestRecord:
    """What matching needs to know about one request."""

    key: int  # the request's id
    force_id: str
    our_reference: str
    sent_message_ids: frozenset[str] = frozenset()
    force_references: frozenset[str] = frozenset()  # the force's own, as learned from its mail
    force_domains: frozenset[str] = frozenset()
    is_open: bool = True
    force_address: str = ""  # the force's FOI address, where the request went
    ico_references: frozenset[str] = frozenset()  # the ICO's case references on its challenge ladder


#: The ICO's case references: IC-123456-A1B2 (since 2021), FS50123456 and FER0123456 (before).
ICO_REFERENCE = re.compile(r"\b(IC-\d{4,7}-[A-Z0-9]{4}|FS5\d{7}|FER0\d{6})\b", re.I)


@dataclass
class Match:
    key: int | None
    matched_by: str | None
    reason: str
    candidates: list[int] = field(default_factory=list)  # for a person to choose from


def norm_ref(value: str) -> str:
    return "".join(ch for ch in value.upper() if ch.isalnum())


def parent_domains(domain: str):
    """The domain and each domain above it, down to two labels (mail.kent.police.uk, kent.police.uk,
    police.uk): a force's mail may come from a subdomain of its address's domain."""
    labels = domain.lower().strip(".").split(".")
    for i in range(len(labels) - 1):
        yield ".".join(labels[i:])


class RequestIndex:
    """The requests of every campaign, looked up by what a message can carry."""

    def __init__(self, records: list[RequestRecord]):
        self.records: dict[int, RequestRecord] = {}
        self.by_message_id: dict[str, int] = {}
        self.by_reference: dict[str, int] = {}
        self.by_force_reference: dict[str, set[int]] = {}
        self.by_force: dict[str, list[int]] = {}
        self.force_domains: dict[str, set[str]] = {}  # force id -> its domains
        self.domain_forces: dict[str, set[str]] = {}  # domain -> force ids
        self.force_ids: set[str] = set()
        self.references: dict[int, set[str]] = {}
        self.by_ico_reference: dict[str, set[int]] = {}
        for r in records:
            self.add(r)

    def add(self, r: RequestRecord) -> None:
        self.records[r.key] = r
        for mid in r.sent_message_ids:
            self.by_message_id[mid.strip()] = r.key
        self.by_reference[r.our_reference.upper()] = r.key
        self.by_force.setdefault(r.force_id, []).append(r.key)
        self.force_ids.add(r.force_id.upper())
        self.references[r.key] = set()
        for ref in r.force_references:
            self.learn_reference(r.key, ref)
        for domain in r.force_domains:
            self.learn_domain(r.force_id, domain)
        for ref in r.ico_references:
            self.by_ico_reference.setdefault(norm_ref(ref), set()).add(r.key)

    def learn_reference(self, key: int, reference: str) -> None:
        """A force's reference for a request, as its mail gave it: it matches the force's next mail."""
        if key in self.records and reference and reference not in self.references[key]:
            self.references[key].add(reference)
            self.by_force_reference.setdefault(norm_ref(reference), set()).add(key)

    def learn_domain(self, force_id: str, domain: str) -> None:
        domain = domain.lower().strip()
        if domain:
            self.force_domains.setdefault(force_id, set()).add(domain)
            self.domain_forces.setdefault(domain, set()).add(force_id)

    def shapes(self, key: int | None) -> tuple[str, ...]:
        """The shapes of the force's references (of every request of its force): its format."""
        if key is None or key not in self.records:
            return ()
        force_id = self.records[key].force_id
        refs = {ref for k in self.by_force.get(force_id, []) for ref in self.references.get(k, ())}
        return tuple(sorted({shape_of(ref) for ref in refs}))

    def forces_of_domain(self, domain: str) -> set[str]:
        for candidate in parent_domains(domain):
            if candidate in self.domain_forces:
                return self.domain_forces[candidate]
        return set()

    def domains_of(self, key: int) -> set[str]:
        record = self.records.get(key)
        return self.force_domains.get(record.force_id, set()) if record else set()


def _by_threading(msg: ParsedMessage, index: RequestIndex) -> Match | None:
    for mid in msg.in_reply_to + msg.references:
        if mid in index.by_message_id:
            r = index.records[index.by_message_id[mid]]
            header = "In-Reply-To" if mid in msg.in_reply_to else "References"
            return Match(r.key, "in_reply_to", f"{header} names our message {mid} to {r.force_id}")
    return None


def _by_report(reading: Reading, index: RequestIndex) -> Match | None:
    report = reading.report
    if report is None:
        return None
    original = report.original_message_id
    if original and original in index.by_message_id:
        r = index.records[index.by_message_id[original]]
        return Match(r.key, "bounce_original_message_id",
                     f"the delivery report returns our message {original} to {r.force_id}")
    for ref in our_references(report.original_subject, report.original_text):
        if ref.upper() in index.by_reference:
            r = index.records[index.by_reference[ref.upper()]]
            return Match(r.key, "bounce_original_reference",
                         f"the delivery report returns our message with reference {ref}")
    return None


def _by_our_reference(msg: ParsedMessage, index: RequestIndex) -> Match | None:
    for where, text in (("subject", msg.subject), ("body", msg.text)):
        refs = our_references(text)
        known = [ref for ref in refs if ref in index.by_reference]
        if known:
            keys = sorted({index.by_reference[k] for k in known})
            if len(keys) > 1:
                return Match(None, None, f"the {where} names several of our references ({', '.join(known)})", keys)
            return Match(keys[0], f"{where}_reference", f"our reference {known[0]} in the {where}")
        foreign = [ref for ref in refs if any(ref.endswith("-" + f) for f in index.force_ids)]
        if foreign:
            return Match(None, None, f"the {where} quotes {foreign[0]}, a reference we never sent in this mailbox's "
                                     "campaigns: left for a person")
    return None


def _by_force_reference(reading: Reading, index: RequestIndex) -> Match | None:
    if not reading.force_reference:
        return None
    hits = sorted(index.by_force_reference.get(norm_ref(reading.force_reference), ()))
    if len(hits) == 1:
        return Match(hits[0], "force_reference",
                     f"the force's own reference {reading.force_reference} (from its earlier mail)")
    if len(hits) > 1:
        return Match(None, None, f"the force's reference {reading.force_reference} belongs to {len(hits)} requests",
                     hits)
    return None


def _by_ico_reference(msg: ParsedMessage, index: RequestIndex) -> Match | None:
    for where, text in (("subject", msg.subject), ("body", msg.text)):
        for ref in ICO_REFERENCE.findall(text or ""):
            hits = sorted(index.by_ico_reference.get(norm_ref(ref), ()))
            if len(hits) == 1:
                return Match(hits[0], "ico_reference", f"the ICO's case reference {ref.upper()} in the {where}")
            if len(hits) > 1:
                return Match(None, None, f"the ICO's case reference {ref.upper()} is on {len(hits)} requests", hits)
    return None


def _by_domain(msg: ParsedMessage, index: RequestIndex) -> Match | None:
    domain = msg.from_domain
    if not domain:
        return None
    forces = index.forces_of_domain(domain)
    if len(forces) == 1:
        force_id = next(iter(forces))
        open_requests = [k for k in index.by_force.get(force_id, []) if index.records[k].is_open]
        if len(open_requests) == 1:
            return Match(open_requests[0], "domain",
                         f"sent from {domain}, {force_id}'s domain, which has one open request")
        return Match(None, None, f"sent from {domain} ({force_id}), which has {len(open_requests)} open "
                                 "requests and nothing else to tell them apart", sorted(open_requests))
    if len(forces) > 1:
        return Match(None, None, f"{domain} is the domain of several forces")
    return None


def match_message(msg: ParsedMessage, reading: Reading, index: RequestIndex | list[RequestRecord]) -> Match:
    if not isinstance(index, RequestIndex):
        index = RequestIndex(index)
    for rule in (lambda: _by_threading(msg, index), lambda: _by_report(reading, index),
                 lambda: _by_our_reference(msg, index), lambda: _by_force_reference(reading, index),
                 lambda: _by_ico_reference(msg, index), lambda: _by_domain(msg, index)):
        found = rule()
        if found is not None:
            return found
    return Match(None, None, "no threading, no reference of ours, and not a force's domain")
