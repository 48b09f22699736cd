"""The internal-review letter, written from what the app knows about the answer: the sections the
force cited, its reference and ours, and the dates. Pure: plain values in, plain text out (a page
that shows it escapes it; the e-mail's text part is text).

The grounds follow the ICO's guidance and the charity's practice (DOMAIN.md, "Challenging an
answer"): s.12 asks for the estimate and the s.16 advice and offers a narrower question; s.40(2)
says the numbers are statistics whose small cells can be suppressed; s.30 and s.31 ask for the
public interest test; "not held" asks how the records are kept; silence asks for the answer.
"""
from __future__ import annotations

import datetime as dt
import re
import textwrap
from dataclasses import dataclass, field

from .. import deadlines
from ..deadlines import format_day

WIDTH = 100  # as the request's own text is wrapped
SECTION = re.compile(r"s\.?\s*(\d+)\s*((?:\(\s*\w+\s*\))*)", re.I)


@dataclass(frozen=True)
class LetterFacts:
    force_name: str
    our_reference: str
    campaign_title: str
    question: str
    period_label: str
    today: dt.date
    force_reference: str = ""
    sent_on: dt.date | None = None
    answered_on: dt.date | None = None
    due_on: dt.date | None = None
    outcome: str = ""  # the request's outcome: refused, partial, not_held, or '' (no answer)
    sections: str = ""  # as recorded: "s.12, s.40(2)"
    earlier_periods: tuple[str, ...] = ()
    offence_codes: tuple[str, ...] = ()
    signature: str = "The research team"
    calendar: deadlines.WorkingCalendar = field(default=deadlines.DEFAULT_CALENDAR, compare=False)


@dataclass(frozen=True)
class Letter:
    subject: str
    body: str
    grounds: tuple[str, ...]  # the sections (or "not held", "no answer") the letter argues


def sections_of(text: str) -> list[str]:
    """`s.12, S40(2)` -> ['s.12', 's.40(2)'], each once, in order."""
    found: list[str] = []
    for number, sub in SECTION.findall(text or ""):
        label = f"s.{int(number)}" + re.sub(r"\s+", "", sub).lower()
        if label not in found:
            found.append(label)
    return found


def _number(section: str) -> int:
    return int(re.match(r"s\.(\d+)", section).group(1))


def _cost_paragraph(facts: LetterFacts, section: str) -> str:
    narrower = []
    if facts.earlier_periods:
        narrower.append(f"the figures for {facts.period_label} alone, without the earlier "
                        f"period{'s' if len(facts.earlier_periods) > 1 else ''} "
                        f"({', '.join(facts.earlier_periods)})")
    else:
        narrower.append(f"a shorter period within {facts.period_label} (fewer years or months)")
    if len(facts.offence_codes) > 1:
        narrower.append(f"fewer offence codes (for example {facts.offence_codes[0]} alone rather than "
                        f"{', '.join(facts.offence_codes)})")
    else:
        narrower.append("fewer offence codes")
    return (f"Cost ({section}). You say that answering would exceed the appropriate limit. Please send "
            "the estimate this rests on: which records would be searched, how many, and how long each "
            "would take (the Fees Regulations allow only locating, retrieving and extracting the "
            "information to be counted). Under s.16 you must also advise us how the request could be "
            "narrowed to fall within the limit; no such advice was given. We would accept "
            + " or ".join(narrower) + ", whichever your records allow most readily; the figures are "
            "counts of recorded crimes, usually held on the crime recording system.")


def _personal_data_paragraph(section: str) -> str:
    return (f"Personal data ({section}). We asked for numbers of offences, not for information about "
            "anyone: counts of recorded crimes by offence and by the victim's age are statistics, from "
            "which no living person can be identified. Where a cell is small enough that someone might "
            "be, please suppress that cell alone (for example shown as '<5', as published statistics "
            "do) and release the rest, rather than withhold the whole table.")


def _public_interest_paragraph(sections: list[str]) -> str:
    named = " and ".join(sections)
    return (f"Law enforcement and investigations ({named}). These are qualified exemptions: they apply "
            "only if the public interest in withholding the information outweighs that in disclosing "
            "it. Please set out the public interest test you carried out and the harm you expect from "
            "aggregate counts that forces across England and Wales publish or release routinely. There "
            "is a strong public interest in knowing how many children are the victims of these offences.")


def _other_paragraph(sections: list[str]) -> str:
    return (f"Other grounds ({', '.join(sections)}). Please explain how each applies to aggregate "
            "statistics and, for any qualified exemption, the public interest test you carried out.")


NOT_HELD = ("Information not held. Crime records are usually held on a crime recording system from "
            "which such counts are drawn routinely. Please tell us how the records are kept (the system, "
            "the fields recorded for each offence and for each victim's age), what searches were made "
            "and of which records, and whether any part of what we asked for is held.")
PARTIAL = ("Part of the information was withheld. Please release whatever the grounds below do not cover, "
           "and say which parts of the request were answered and which were not.")


def grounds_of(facts: LetterFacts) -> list[tuple[str, str]]:
    """Each ground the letter argues: (its name, its paragraph)."""
    sections = sections_of(facts.sections)
    out: list[tuple[str, str]] = []
    if not facts.outcome:
        due = f" by {format_day(facts.due_on)}" if facts.due_on else ""
        out.append(("no answer", f"No answer. The request was due{due} and no answer has come. Please "
                                 "answer it now, and treat this as a complaint about the delay."))
    if facts.outcome == "not_held":
        out.append(("not held", NOT_HELD))
    if facts.outcome == "partial":
        out.append(("partial", PARTIAL))
    cost = [s for s in sections if _number(s) in (12, 14)]
    personal = [s for s in sections if _number(s) == 40]
    interest = [s for s in sections if _number(s) in (30, 31)]
    other = [s for s in sections if s not in cost + personal + interest]
    for section in cost:
        out.append((section, _cost_paragraph(facts, section)))
    for section in personal:
        out.append((section, _personal_data_paragraph(section)))
    if interest:
        out.append((" ".join(interest), _public_interest_paragraph(interest)))
    if other:
        out.append((" ".join(other), _other_paragraph(other)))
    return out


def review_subject(our_reference: str, title: str) -> str:
    return " ".join(f"Internal review request {our_reference}: {title}".split())


def review_letter(facts: LetterFacts) -> Letter:
    """The internal-review request for one force's answer, ready for a person to edit and send."""
    grounds = grounds_of(facts)
    references = f"Our reference: {facts.our_reference}" + (
        f". Your reference: {facts.force_reference}" if facts.force_reference else "") + "."
    sent = f" on {format_day(facts.sent_on)}" if facts.sent_on else ""
    if facts.outcome:
        what = {"refused": "refused the request", "partial": "answered the request in part",
                "not_held": "said the information is not held"}.get(facts.outcome, "answered the request")
        cited = sections_of(facts.sections)
        answer = (f"You {what} on {format_day(facts.answered_on)}" if facts.answered_on else f"You {what}") + (
            f", citing {', '.join(cited)}." if cited else ".")
    else:
        answer = "We have had no answer."
    review_by = deadlines.review_due(facts.today, calendar=facts.calendar)
    lines = [
        f"Dear {facts.force_name} Freedom of Information team,", "",
        references, "",
        f"We asked you{sent} for the figures below, for {facts.period_label}. "
        f"{answer} Please carry out an internal review of how the request was handled, under the "
        "Freedom of Information Act 2000 and the Code of Practice issued under s.45.", "",
    ]
    for _, paragraph in grounds:
        lines += [textwrap.fill(paragraph, WIDTH, break_long_words=False, break_on_hyphens=False), ""]
    lines += [
        f"The ICO expects a review within 20 working days: by {format_day(review_by)} for this letter. If "
        "the review upholds the decision we may complain to the Information Commissioner (s.50).", "",
        "The request as sent:", "",
        *[f"> {line}".rstrip() for line in (facts.question or "").splitlines()], "",
        f"Please quote our reference, {facts.our_reference}, in your reply.", "",
        "Yours faithfully,", facts.signature,
    ]
    lines = [textwrap.fill(line, WIDTH, break_long_words=False, break_on_hyphens=False)
             if len(line) > WIDTH and not line.startswith(">") else line for line in lines]
    return Letter(review_subject(facts.our_reference, facts.campaign_title), "\n".join(lines).strip() + "\n",
                  tuple(name for name, _ in grounds))
