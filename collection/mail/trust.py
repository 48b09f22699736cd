"""Whether a message comes from whom it claims: the force's FOI address or the force's own mail
domain (a subdomain of it too), and, where the receiving server checked it, not failing DMARC,
SPF or DKIM (RFC 8601 Authentication-Results).

Only the topmost Authentication-Results is read: it is the one our receiving server added last;
those below it came with the message and anyone can write them. Pure: the force's address and
domains come in as values (the domains learned from the forces' addresses and from the mail a
person has accepted from them).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .matching import parent_domains
from .parse import ParsedMessage

METHOD_RESULT = re.compile(r"\b(dmarc|spf|dkim)\s*=\s*([a-z]+)", re.I)
FAILING = {"fail", "softfail", "permerror"}


@dataclass(frozen=True)
class Trust:
    trusted: bool
    why: str  # in words, for the message's page and the suggestion's "look first"


def authentication_failures(authentication_results: str) -> list[str]:
    """The failed checks of an Authentication-Results field ("dmarc=fail"...). A DKIM failure
    counts only when no signature passed (a message may carry several)."""
    results: dict[str, list[str]] = {}
    for method, result in METHOD_RESULT.findall(authentication_results or ""):
        results.setdefault(method.lower(), []).append(result.lower())
    failed = []
    for method in ("dmarc", "spf", "dkim"):
        outcomes = results.get(method, [])
        if method == "dkim" and "pass" in outcomes:
            continue
        bad = [o for o in outcomes if o in FAILING]
        if bad:
            failed.append(f"{method}={bad[0]}")
    return failed


def sender_trust(msg: ParsedMessage, force_name: str, force_address: str, force_domains: set[str]) -> Trust:
    address = msg.from_address.lower()
    failures = authentication_failures(msg.headers.get("authentication-results", ""))
    if failures:
        return Trust(False, f"the receiving server's checks failed ({', '.join(failures)}): it may not come "
                            f"from {address or 'whom it claims'}")
    if force_address and address == force_address.lower():
        return Trust(True, f"from {force_name}'s FOI address")
    domains = {d.lower() for d in force_domains if d}
    if msg.from_domain and any(candidate in domains for candidate in parent_domains(msg.from_domain)):
        return Trust(True, f"from {msg.from_domain}, {force_name}'s own domain")
    known = ", ".join(sorted(domains)) or "none known"
    return Trust(False, f"sent from {address or 'no address'}, which is neither {force_name}'s FOI address nor its "
                        f"domain ({known}): a person must confirm it comes from the force")


def bounce_evidence(msg: ParsedMessage, report_message_id: str, sent_message_ids: frozenset[str], force_name: str,
                    force_address: str, force_domains: set[str]) -> Trust:
    """Whether a delivery failure may mark a force's address failing by itself: it returns our own
    message by its Message-ID (threaded to it, or the message it returns carries it), which
    nobody outside the mail systems it passed through has seen; or it comes from the force's mail
    system (its address or domain, the receiving server's checks not failing). A reference in a
    subject is public and proves nothing: such a bounce waits for a person."""
    carried = [mid for mid in [report_message_id, *msg.in_reply_to, *msg.references,
                               *(a.message_id for a in msg.attached_messages)] if mid]
    ours = next((mid for mid in carried if mid in sent_message_ids), "")
    if ours:
        return Trust(True, f"it returns our message {ours} by its Message-ID")
    sender = sender_trust(msg, force_name, force_address, force_domains)
    if sender.trusted:
        return Trust(True, f"it comes from {force_name}'s mail system ({sender.why})")
    return Trust(False, f"a delivery failure that neither returns our message by its Message-ID nor comes from "
                        f"{force_name}'s mail system ({sender.why}): a person decides whether the address fails")
