"""Plain rules about outgoing mail, no Django: what may go in a header, how we count forces.

A mail header cannot hold a line break (Django refuses the whole message: every send, chaser
and digest of a campaign whose title had one failed for ever), so titles are refused with one
and every subject is flattened to one line anyway, for rows saved before the refusal.
"""
from __future__ import annotations

import re

LINE_BREAKS = re.compile(r"[\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
SPACES = re.compile(r"\s+")


def one_line(text: str) -> str:
    """`text` as a single header-safe line: line breaks become spaces, runs of space one."""
    return SPACES.sub(" ", LINE_BREAKS.sub(" ", text or "")).strip()


def title_problem(title: str) -> str | None:
    """Why a campaign title cannot be used in mail headers, or None."""
    if LINE_BREAKS.search(title or ""):
        return "the title may not contain a line break: it goes into the subject of every e-mail"
    if not (title or "").strip():
        return "the title may not be blank"
    return None


def plural(n: int, one: str, many: str | None = None) -> str:
    """`1 force`, `2 forces`: the count and the word that goes with it."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def mailbox_domain(address: str) -> str:
    """The domain of an address (`foi@charity.org.uk` -> `charity.org.uk`), or '' without one."""
    _, at, domain = (address or "").rpartition("@")
    return domain.strip().strip(">").lower() if at else ""


def request_subject(our_reference: str, title: str) -> str:
    return one_line(f"Freedom of Information request {our_reference}: {title}")
