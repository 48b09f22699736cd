"""What a message says: its kind, the force's reference as written, the sections cited as
grounds, a new due date; and the words that decided it, to show a person.

Pure rules over a ParsedMessage. The order matters: a bounce is a bounce whatever it quotes; an
auto-reply changes nothing whatever its text; an answer that refuses part of the request is
still an answer when it carries the figures.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from .attachments import importable
from .html import looks_like_figures
from .parse import ParsedMessage

KINDS = ("acknowledgement", "auto_reply", "clarification", "extension", "refusal", "not_held", "nil_return",
         "answer", "bounce", "unrelated")

AUTO_SUBJECT = re.compile(r"^\s*(out of office|automatic reply|auto(?:matic)?[- ]?reply|auto:|autoreply)", re.I)
BOUNCE_SUBJECT = re.compile(r"undeliver|delivery status notification|returned mail|delivery (has )?failed|"
                            r"mail delivery failed|failure notice", re.I)

# Grounds for withholding: cost (s.12), vexatious (s.14) and the Part II exemptions (s.21-s.44).
# s.1(3) clarification, s.9 fees, s.10(3) extension, s.16 advice and s.17 the notice itself are procedure.
SECTION = re.compile(r"\b(?:section|sections|s\.|s)\s?(\d{1,2})((?:\(\d+[a-z]?\))*)"
                     r"((?:\s*(?:,|and|&)\s*(?:section\s*|s\.\s?)?\d{1,2}(?:\(\d+[a-z]?\))*)*)", re.I)
MORE_SECTIONS = re.compile(r"(\d{1,2})((?:\(\d+[a-z]?\))*)")

REF_LABEL = re.compile(
    r"(?<![Yy]our )(?:\bour ref(?:erence)?|\bref(?:erence)?(?:\s*no\.?|\s*number)?|\brequest (?:number|no\.?)|"
    r"\bFOI request)\s*[:\-–]\s*"
    r"((?:FOI[ -])?[A-Z0-9]+(?:[/\-][A-Z0-9]+)+)", re.I)
# Ours are FOI-<campaign slug>-<force id>, upper case: a force id always has letters, which
# tells them from forces' own FOI-2016-03326.
OUR_REFERENCE = re.compile(r"\bFOI-[A-Z0-9]+(?:-[A-Z0-9]+)*-[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*\b")

MONTHS = {m: i for i, m in enumerate(("january", "february", "march", "april", "may", "june", "july", "august",
                                      "september", "october", "november", "december"), 1)}
DATE = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(" + "|".join(MONTHS) + r")\s+(\d{4})\b", re.I)

RULES = [
    ("clarification", [r"\bclarif(?:y|ication)\b[^.]*(?:before we can|required|please)", r"section 1\(3\)",
                       r"please clarify", r"clarification required"]),
    ("extension", [r"section 10\(3\)", r"\bextend(?:ing|ed)? the time\b", r"public interest test",
                   r"need(?:s)? further time"]),
    ("not_held", [r"does not hold the information", r"information (?:is )?not held", r"do(?:es)? not hold",
                  r"holds? no information"]),
    ("nil_return", [r"\bnil\s*\(0\)", r"found no (?:crimes|records|offences)", r"\bnil return\b",
                    r"no (?:crimes|offences|records) (?:were )?(?:recorded|found)"]),
    ("refusal", [r"refusal notice", r"not obliged to comply", r"\bis refused\b", r"we are refusing",
                 r"exempt from disclosure"]),
    ("answer", [r"please find (?:the information|attached|enclosed)", r"figures (?:are )?attached",
                r"information you requested (?:is )?attached", r"find the figures", r"attached (?:the )?figures",
                r"the table below", r"figures below"]),
    ("acknowledgement", [r"acknowledge receipt", r"we (?:aim|will) (?:to )?(?:provide a )?respon[ds]",
                         r"(?:received|receipt of) your (?:request|email)", r"request is being dealt with",
                         r"you will receive a response", r"thank you for your request for information"]),
]
COMPILED = [(kind, [re.compile(p, re.I) for p in patterns]) for kind, patterns in RULES]
FOI_WORDS = re.compile(r"freedom of information|\bFOI\b|information request", re.I)


@dataclass
class Reading:
    kind: str
    evidence: str  # the words that decided it, to show on the message's page
    force_reference: str = ""
    our_references: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    new_due_on: dt.date | None = None
    body_table: list[list[str]] | None = None

    def as_dict(self) -> dict:
        return {"kind": self.kind, "evidence": self.evidence, "force_reference": self.force_reference,
                "our_references": self.our_references, "sections": self.sections,
                "new_due_on": self.new_due_on.isoformat() if self.new_due_on else None,
                "body_table": self.body_table}


def own_text(text: str) -> str:
    """The force's own words: the body without the quoted original and forwarded history."""
    cut = re.search(r"^(?:-{2,}\s*Original Message\s*-{2,}|From: .+\n(?:Sent|Date): |On .+ wrote:$)", text,
                    re.I | re.M)
    kept = text[:cut.start()] if cut else text
    return "\n".join(line for line in kept.splitlines() if not line.lstrip().startswith(">"))


def our_references(*texts: str) -> list[str]:
    seen: list[str] = []
    for text in texts:
        for ref in OUR_REFERENCE.findall((text or "").upper()):
            if ref not in seen:
                seen.append(ref)
    return seen


def force_reference(subject: str, text: str) -> str:
    for source in (own_text(text), subject):
        for m in REF_LABEL.finditer(source):
            value = m.group(1).strip()
            if not OUR_REFERENCE.fullmatch(value.upper()):
                return value
    return ""


def cited_sections(text: str) -> list[str]:
    found: list[str] = []
    for m in SECTION.finditer(text):
        items = [(m.group(1), m.group(2))] + MORE_SECTIONS.findall(m.group(3) or "")
        for number, sub in items:
            n = int(number)
            if n in (12, 14) or 21 <= n <= 44:
                label = f"s.{n}{sub}"
                if label not in found:
                    found.append(label)
    return found


def new_date(text: str) -> dt.date | None:
    """The date a force now promises, from the sentence that sets it."""
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        if re.search(r"respond by|response by|reply by|extend|now aim|by no later than|deadline", sentence, re.I):
            for d, month, year in DATE.findall(sentence):
                try:
                    return dt.date(int(year), MONTHS[month.lower()], int(d))
                except ValueError:
                    continue
    return None


def _first(kind_patterns, text: str):
    for pattern in kind_patterns:
        m = pattern.search(text)
        if m:
            return m
    return None


def _context(text: str, m) -> str:
    start = text.rfind("\n", 0, m.start()) + 1
    end = text.find("\n", m.end())
    line = text[start:end if end >= 0 else None].strip()
    return line if len(line) <= 200 else "…" + text[max(0, m.start() - 80):m.end() + 80].strip() + "…"


def read_message(msg: ParsedMessage) -> Reading:
    headers = msg.headers
    refs = our_references(msg.subject, msg.text)
    if msg.report is not None or (BOUNCE_SUBJECT.search(msg.subject) and "mailer-daemon" in msg.from_address):
        why = "multipart/report (delivery status)" if msg.report is not None else f"subject {msg.subject!r}"
        if msg.report is not None:
            refs = our_references(msg.report.original_subject, msg.report.original_text) or refs
        detail = msg.report.status if msg.report and msg.report.status else ""
        return Reading("bounce", why + (f", status {detail}" if detail else ""), our_references=refs)
    auto = headers.get("auto-submitted", "").lower()
    if auto and auto != "no":
        return Reading("auto_reply", f"Auto-Submitted: {headers['auto-submitted']}", our_references=refs)
    for key in ("x-autoreply", "x-autorespond"):
        if headers.get(key, "").lower() in ("yes", "true", "1"):
            return Reading("auto_reply", f"{key.title()}: {headers[key]}", our_references=refs)
    if AUTO_SUBJECT.search(msg.subject):
        return Reading("auto_reply", f"subject {msg.subject[:60]!r}", our_references=refs)
    if "list-unsubscribe" in headers or headers.get("precedence", "").lower() in ("bulk", "list", "junk"):
        return Reading("unrelated", "a mailing (List-Unsubscribe / Precedence: bulk)", our_references=refs)

    own = own_text(msg.text)
    reading = Reading("unrelated", "", our_references=refs, force_reference=force_reference(msg.subject, msg.text),
                      sections=cited_sections(own))
    data_files = importable(msg.attachments)
    table = next((t for t in msg.tables if looks_like_figures(t)), None)
    matched = {kind: _first(patterns, own) for kind, patterns in COMPILED}
    if data_files or table:
        reading.kind = "answer"
        reading.body_table = table if not data_files else None
        reading.evidence = ("attached: " + ", ".join(a.name for a in data_files)) if data_files else \
            "a table of figures in the body"
    elif matched["clarification"]:
        reading.kind, m = "clarification", matched["clarification"]
        reading.evidence = _context(own, m)
    elif matched["extension"]:
        reading.kind, m = "extension", matched["extension"]
        reading.evidence = _context(own, m)
        reading.new_due_on = new_date(own)
    else:
        for kind in ("not_held", "nil_return", "refusal", "answer", "acknowledgement"):
            m = matched[kind]
            if m:
                reading.kind, reading.evidence = kind, _context(own, m)
                break
    if reading.kind == "unrelated":
        if msg.attachments and FOI_WORDS.search(msg.subject + own):
            reading.kind, reading.evidence = "answer", "attached: " + ", ".join(a.name for a in msg.attachments)
        elif refs and FOI_WORDS.search(msg.subject + own):
            reading.kind, reading.evidence = "acknowledgement", "quotes our reference; nothing else recognised"
        else:
            reading.evidence = "no reference, and nothing about a request"
    if reading.kind == "refusal" and not reading.sections:
        reading.evidence += " (no grounds cited)"
    if reading.kind not in ("refusal", "extension", "answer"):
        reading.sections = []
    return reading
