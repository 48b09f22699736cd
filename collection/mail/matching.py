"""Which request a message belongs to, and why: rules over plain records, in a fixed order,
stopping at the first that answers. Never a guess: what is unclear goes to a person.

1. In-Reply-To / References naming a message we sent (a request or a chaser);
2. our reference in the subject, then in the body (a forwarded message quotes it);
3. for a delivery failure, the Message-ID, else our reference, of the original inside the report;
4. the force's own reference, learned from its acknowledgement;
5. the sender's domain, when it is exactly one force's and that force has exactly one open request.

A reference in our form that we never sent (another campaign's) stops the matching: an explicit
reference that disagrees beats the domain.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .parse import ParsedMessage
from .reading import Reading, our_references


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


@dataclass
class Match:
    key: int | None
    matched_by: str | None
    reason: str
    candidates: list[int] = field(default_factory=list)  # for a person to choose from


def _norm_ref(value: str) -> str:
    return "".join(ch for ch in value.upper() if ch.isalnum())


def match_message(msg: ParsedMessage, reading: Reading, records: list[RequestRecord]) -> Match:
    by_message_id: dict[str, RequestRecord] = {}
    by_reference: dict[str, RequestRecord] = {}
    for r in records:
        for mid in r.sent_message_ids:
            by_message_id[mid.strip()] = r
        by_reference[r.our_reference.upper()] = r

    for mid in msg.in_reply_to + msg.references:
        if mid in by_message_id:
            r = by_message_id[mid]
            header = "In-Reply-To" if mid in msg.in_reply_to else "References"
            return Match(r.key, "in_reply_to", f"{header} names our message {mid} to {r.force_id}")

    if msg.report is not None:
        original = msg.report.original_message_id
        if original and original in by_message_id:
            r = by_message_id[original]
            return Match(r.key, "bounce_original_message_id",
                         f"the delivery report returns our message {original} to {r.force_id}")
        for ref in our_references(msg.report.original_subject, msg.report.original_text):
            if ref in by_reference:
                r = by_reference[ref]
                return Match(r.key, "bounce_original_reference",
                             f"the delivery report returns our message with reference {ref}")

    force_ids = {r.force_id.upper() for r in records}
    for where, text in (("subject", msg.subject), ("body", msg.text)):
        refs = our_references(text)
        known = [ref for ref in refs if ref in by_reference]
        if known:
            r = by_reference[known[0]]
            if len({by_reference[k].key for k in known}) > 1:
                return Match(None, None, f"the {where} names several of our references ({', '.join(known)})",
                             sorted({by_reference[k].key for k in known}))
            return Match(r.key, f"{where}_reference", f"our reference {known[0]} in the {where}")
        foreign = [ref for ref in refs if any(ref.endswith("-" + f) for f in force_ids)]
        if foreign:
            return Match(None, None, f"the {where} quotes {foreign[0]}, a reference we never sent in this mailbox's "
                                     "campaigns: left for a person")

    if reading.force_reference:
        wanted = _norm_ref(reading.force_reference)
        hits = [r for r in records if any(_norm_ref(ref) == wanted for ref in r.force_references)]
        if len(hits) == 1:
            return Match(hits[0].key, "force_reference",
                         f"the force's own reference {reading.force_reference} (from its acknowledgement)")
        if len(hits) > 1:
            return Match(None, None, f"the force's reference {reading.force_reference} belongs to "
                                     f"{len(hits)} requests", [r.key for r in hits])

    domain = msg.from_domain
    if domain:
        forces = {r.force_id for r in records if domain in r.force_domains}
        if len(forces) == 1:
            force_id = forces.pop()
            open_requests = [r for r in records if r.force_id == force_id and r.is_open]
            if len(open_requests) == 1:
                return Match(open_requests[0].key, "domain",
                             f"sent from {domain}, {force_id}'s domain, which has one open request")
            return Match(None, None, f"sent from {domain} ({force_id}), which has {len(open_requests)} open "
                                     "requests and nothing else to tell them apart",
                         [r.key for r in open_requests])
        if len(forces) > 1:
            return Match(None, None, f"{domain} is the domain of several forces")
    return Match(None, None, "no threading, no reference of ours, and not a force's domain")
