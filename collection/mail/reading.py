"""What a message says: its kind, the force's reference as written, the grounds cited, a new due
date; and the words that decided it, to show a person.

Pure rules over a ParsedMessage, in this order:

1. mail no person wrote (`automatic`): a delivery failure, a delay, an auto-reply or receipt, a
   mailing, read from the headers and the mail system's shapes before any wording;
2. what the force's own words do (quoted history left out), each kind a family of statements
   rather than a list of sentences:
   - with figures attached or pasted: an **answer**, or a **partial** answer when it cites an
     exemption (s.21-s.44) for what it leaves out ("withheld", "redacted", "part of...");
   - a **clarification** asked (s.1(3), "please clarify");
   - an **extension** (s.10(3), "extend the time", "further time"), with the latest date it sets;
   - **not held**, a **nil return**, a **refusal** (a refusal notice, or a ground cited with words
     that refuse: a refusal that also acknowledges is a refusal);
   - an answer in a letter or in words; an **acknowledgement**;
   - a sentence that only says what might happen ("if we need to extend...") decides nothing;
3. what fits no rule is "needs a person" (`unclear`) when it is about a request, else unrelated:
   never a guess.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from .attachments import importable
from .automatic import automatic
from .html import looks_like_figures
from .parse import DeliveryReport, ParsedMessage
from .wording import cited_sections, deadline_date, force_reference, is_exemption, our_references

KINDS = ("acknowledgement", "auto_reply", "clarification", "extension", "refusal", "not_held", "nil_return",
         "partial", "answer", "bounce", "delay", "unclear", "unrelated")

STATEMENTS = {
    "clarification": [r"section 1\s?\(3\)|\bs\.?\s?1\s?\(3\)", r"please (?:could you )?clarify",
                      r"(?:could|can|would) you (?:please )?(?:clarify|confirm|specify|explain)",
                      r"\bclarification (?:is )?(?:required|needed)", r"\bclarif(?:y|ication)\b[^.]*before we can"],
    "extension": [r"section 10\s?\(3\)|\bs\.?\s?10\s?\(3\)",
                  r"\bextend(?:ing|ed)? (?:the )?(?:time|deadline|period|date|response)",
                  r"\b(?:an|this|the) extension\b", r"need(?:s)? (?:further|additional|more|extra) time",
                  r"(?:further|additional|more|extra) time (?:is )?(?:needed|required)"],
    "not_held": [r"(?:does|do|did) not hold (?:the |this |that |any )?(?:information|data|records?)",
                 r"information (?:is |was )?not held", r"\bholds? no (?:information|data|records?)",
                 r"no (?:information|data|records?) (?:is |are |was )?held",
                 r"(?:does|do) not (?:record|capture|collate|use|keep|retain) (?:the |this |that |a |an |any )?"
                 r"(?:information|data|flag|field|marker)"],
    "nil_return": [r"\bnil\s*(?:\(0\)|return)", r"\bfound no (?:crimes|records|offences|incidents|cases)",
                   r"no (?:crimes|offences|records|incidents|cases) (?:were |have been |was )?"
                   r"(?:recorded|found|identified|located)",
                   r"(?:answer|figure|total|number)(?: to your request)? is (?:therefore )?(?:nil|none|zero|0)\b"],
    "refusal": [r"refusal notice", r"not obliged to (?:comply|provide|disclose)", r"\b(?:is|are|been|being) refused\b",
                r"\brefus(?:e|ing) (?:your|this|the) request", r"we (?:are|must|have) (?:therefore )?refus",
                r"exempt(?:ion)? from disclosure", r"neither confirm nor deny", r"\bvexatious\b"],
    "refusal_on_grounds": [r"exceeds? the (?:appropriate|cost|fees?) limit", r"would exceed", r"cost limit",
                           r"unable to (?:provide|comply|disclose|release|supply)",
                           r"(?:will|shall|can|could)(?: ?not|n't) (?:be )?(?:provid|disclos|comply|releas|supply)",
                           r"\bwithh(?:e|o)ld", r"\b(?:is|are) exempt\b", r"\bapplies\b", r"\bengaged\b"],
    "answer": [r"please find (?:[\w’'-]+ ){0,5}?(?:attached|enclosed|below)", r"\b(?:is|are) (?:attached|enclosed)\b",
               r"\battached (?:is|are|please find)\b",
               r"(?:information|figures|data|answer) (?:you requested |requested )?(?:is |are )?(?:as follows|below)",
               r"(?:our|my) response (?:to your request )?(?:is|follows)"],
    "acknowledgement": [r"\backnowledg(?:e|es|ed|ing|ement)\b",
                        r"(?:received|receipt of) your (?:request|e-?mail|letter|application|correspondence)",
                        r"request (?:was|has been|is being|will be) (?:received|logged|registered|allocated|passed|"
                        r"dealt with|processed|considered|handled)",
                        r"(?:you will|you should|we (?:aim|will|shall|expect)) (?:to )?(?:receive|respond|reply|"
                        r"provide|send)", r"within (?:the statutory )?(?:twenty|20) working days",
                        r"thank you for your (?:request|enquiry|freedom of information)"],
}
COMPILED = {kind: [re.compile(p, re.I) for p in patterns] for kind, patterns in STATEMENTS.items()}
WITHHELD = re.compile(r"withh(?:e|o)ld|redact|suppress|(?:some|part|parts|elements?) of (?:the|your|this) "
                      r"(?:information|data|figures|request)|\bin part\b|\bpartial(?:ly)?\b|not (?:been )?"
                      r"(?:disclosed|provided|released|included)|\bremainder\b|remaining (?:information|figures|data)",
                      re.I)
CONDITIONAL = re.compile(r"\b(?:if|should|where|in the event|unless|whether|may need|might|may have to)\b", re.I)
FOI_WORDS = re.compile(r"freedom of information|\bFOI\b|information request|your request", re.I)
QUOTED_START = re.compile(r"^(?:-{2,}\s*(?:Original Message|Forwarded message)\s*-{2,}|_{5,}\s*$|"
                          r"From: .+\n(?:Sent|Date): |On .+ wrote:$)", re.I | re.M)


@dataclass
class Reading:
    kind: str
    evidence: str  # the words that decided it, to show on the message's page
    force_reference: str = ""
    our_references: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    new_due_on: dt.date | None = None
    body_table: list[list[str]] | None = None
    report: DeliveryReport | None = None
    reference_words: str = ""  # where the force's reference was found

    def as_dict(self) -> dict:
        return {"kind": self.kind, "evidence": self.evidence, "force_reference": self.force_reference,
                "reference_words": self.reference_words, "our_references": self.our_references,
                "sections": self.sections, "new_due_on": self.new_due_on.isoformat() if self.new_due_on else None,
                "body_table": self.body_table, "report": self.report.as_dict() if self.report else None}


def own_text(text: str) -> str:
    """The force's own words: the body without the quoted original and forwarded history."""
    cut = QUOTED_START.search(text)
    kept = text[:cut.start()] if cut else text
    return "\n".join(line for line in kept.splitlines() if not line.lstrip().startswith(">"))


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    a = max(text.rfind(". ", 0, start) + 2, text.rfind("\n", 0, start) + 1, 0)
    b_candidates = [i for i in (text.find(". ", end), text.find("\n", end)) if i >= 0]
    return a, min(b_candidates) if b_candidates else len(text)


def statement(kind: str, text: str):
    """The first statement of a kind that is said, not only supposed ("if we need to extend")."""
    for pattern in COMPILED[kind]:
        for m in pattern.finditer(text):
            a, _ = _sentence(text, m.start(), m.end())
            if not CONDITIONAL.search(text[a:m.start()]):
                return m
    return None


def context(text: str, m) -> str:
    """The line holding a match, to show as the words that decided."""
    a, b = _sentence(text, m.start(), m.end())
    line_start = text.rfind("\n", 0, m.start()) + 1
    line_end = text.find("\n", m.end())
    line = text[line_start:line_end if line_end >= 0 else None].strip()
    words = line if len(line) <= 200 else text[a:b].strip()
    return words if len(words) <= 200 else "…" + text[max(0, m.start() - 80):m.end() + 80].strip() + "…"


def _with_figures(reading: Reading, own: str, data_files, table) -> None:
    reading.kind = "answer"
    reading.body_table = table if not data_files else None
    reading.evidence = ("attached: " + ", ".join(a.name for a in data_files)) if data_files \
        else "a table of figures in the body"
    exemptions = [s for s in reading.sections if is_exemption(s)]
    withheld = WITHHELD.search(own)
    if exemptions and withheld:
        reading.kind = "partial"
        reading.evidence += f"; {', '.join(exemptions)} cited for what is left out: “{context(own, withheld)}”"


def _refusal(own: str, sections: list[str]):
    found = statement("refusal", own)
    if found is None and sections:
        found = statement("refusal_on_grounds", own)
    return found


def _in_words(reading: Reading, msg: ParsedMessage, own: str) -> None:
    """The kind of a message without figures, from the force's own words."""
    about = reading.our_references or msg.in_reply_to or FOI_WORDS.search(msg.subject + "\n" + own)
    refusal = _refusal(own, reading.sections)
    steps = [("clarification", statement("clarification", own)),
             ("extension", None if refusal else statement("extension", own)),
             ("not_held", statement("not_held", own)), ("nil_return", statement("nil_return", own)),
             ("refusal", refusal), ("answer", statement("answer", own) if msg.attachments or about else None),
             ("acknowledgement", statement("acknowledgement", own) if about else None)]
    for kind, m in steps:
        if m is not None:
            reading.kind, reading.evidence = kind, context(own, m)
            break
    else:
        reading.kind = "unclear" if about else "unrelated"
        reading.evidence = ("about a request, but no statement the rules know: a person reads it" if about
                            else "no reference of ours, no thread, and nothing about a request")
    if reading.kind == "extension":
        found = deadline_date(own, msg.date.date() if msg.date else None)
        if found is not None:
            reading.new_due_on = found.day
            reading.evidence += f" (new date: “{found.words}”)"
    if reading.kind == "refusal" and not reading.sections:
        reading.evidence += " (no grounds cited)"


def read_message(msg: ParsedMessage, shapes: tuple[str, ...] = ()) -> Reading:
    """What the message says. `shapes`: the patterns of the force's earlier references
    (wording.shape_of), when the message's request is known."""
    own = own_text(msg.text)
    refs = our_references(msg.subject, msg.text)
    data_files = importable(msg.attachments)
    table = next((t for t in msg.tables if looks_like_figures(t)), None)
    auto = automatic(msg, own, carries_data=bool(data_files or table),
                     replies_to_us=bool(refs or msg.in_reply_to or msg.references))
    if auto is not None:
        if auto.report is not None:
            refs = our_references(auto.report.original_subject, auto.report.original_text) or refs
        return Reading(auto.kind, auto.evidence, our_references=refs, report=auto.report)
    found = force_reference(msg.subject, own, shapes)
    reading = Reading("unclear", "", our_references=refs, sections=cited_sections(own),
                      force_reference=found.reference if found else "", reference_words=found.words if found else "")
    if data_files or table:
        _with_figures(reading, own, data_files, table)
    else:
        _in_words(reading, msg, own)
    if reading.kind not in ("refusal", "extension", "answer", "partial"):
        reading.sections = []
    return reading
