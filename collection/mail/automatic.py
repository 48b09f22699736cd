"""Mail that no person wrote: delivery failures, delays and receipts, auto-replies, mailings.

Read from what the standards and the common servers put in the headers before any wording:

- a delivery report (RFC 3464 `message/delivery-status` in an RFC 6522 `multipart/report`, at
  any depth: Exchange nests it in a multipart/mixed): its Action fields say failed, delayed or
  delivered; without them its Status class (5 permanent, 4 transient, RFC 3463);
- a report in no standard form (Exim's text with `X-Failed-Recipients`, gateways that return
  the message inline or attached): only from the mail system itself, which RFC 5321 §4.5.5 makes
  send with a null reverse-path (`Return-Path: <>`), or from MAILER-DAEMON, postmaster or a
  "Mail Delivery System"; a delay is a delay, never a failure;
- an automatic reply: RFC 3834 `Auto-Submitted` (any value but "no"), `X-Autoreply`,
  `X-Autorespond`, `Precedence: auto_reply`, `X-POST-MessageClass: 9; Autoresponder`,
  `X-MS-Exchange-Generated-Message-Source` (Exchange's rules), then the subjects Exchange,
  Outlook, Lotus Domino and Gmail write, then a first-person absence in a short body;
- a mailing: List-Id / List-Unsubscribe (RFC 2369, 2919) or `Precedence: bulk/list/junk` on mail
  that replies to nothing of ours.

A message that carries a data file is never set aside as automatic by its headers alone: a
force's case system may send the figures itself.
"""
from __future__ import annotations

import email.utils
import re
from dataclasses import dataclass

from .parse import AttachedMessage, DeliveryReport, ParsedMessage, attached_message

BOUNCE = "bounce"
DELAY = "delay"
AUTO_REPLY = "auto_reply"
MAILING = "unrelated"

SYSTEM_LOCAL_PARTS = re.compile(r"mailer-?daemon|postmaster|mail-?daemon|mail\.?delivery|bounces?$", re.I)
SYSTEM_NAMES = re.compile(r"mail delivery (?:system|subsystem|service)|mailer[- ]daemon|postmaster|"
                          r"mail (?:administrator|service|gateway|router)|delivery status", re.I)
FAILED_WORDS = re.compile(
    r"undeliver|delivery (?:status notification \(failure\)|has failed|failed|failure)|returned mail|"
    r"mail delivery failed|failure notice|could not be delivered|couldn't be delivered|was not delivered|"
    r"non-?delivery|permanent(?:ly)? (?:error|fail)|address not found|returned to sender|rejected", re.I)
DELAY_WORDS = re.compile(
    r"\bdelay(?:ed)?\b|delivery status notification \(delay\)|not (?:yet )?been delivered|still (?:being )?"
    r"(?:retried|trying)|will (?:continue to )?(?:retry|try)|temporar(?:y|ily) (?:failure|unable)|"
    r"warning: message|this is a warning|do not need to resend", re.I)
AUTO_SUBJECT = re.compile(
    r"^\s*(?:out of (?:the )?office|automatic reply|auto(?:matic)?[- ]?(?:reply|response)|autoreply|"
    r"auto:|away from (?:the |my )?office|on (?:annual )?leave|absence notification)|"
    r"\bis out of the office\b|\bout of office auto ?reply\b", re.I)
ABSENCE = re.compile(
    r"\b(?:I am|I'm|I will be|I shall be|I am currently)\b[^.\n]{0,40}\b(?:out of (?:the )?office|away from "
    r"(?:the|my) (?:office|desk)|on (?:annual |parental |maternity |paternity |sick )?leave|on holiday|"
    r"not in the office|out of the country)|\b(?:limited|no) access to (?:my )?e-?mails?\b", re.I)
ABSENCE_MAX_CHARS = 1500  # an absence note is short; a letter that mentions leave is not one
HEADER_BLOCK = re.compile(r"^(?:[A-Za-z][A-Za-z0-9-]*:[^\n]*\n(?:[ \t][^\n]*\n)*){2,}", re.M)
ADDRESS = re.compile(r"<?([A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})>?")
STATUS_CODE = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")


@dataclass(frozen=True)
class Automatic:
    kind: str
    evidence: str  # the field or the words that decided it
    report: DeliveryReport | None = None


def _local_part(address: str) -> str:
    return address.rsplit("@", 1)[0] if "@" in address else address


def from_mail_system(msg: ParsedMessage) -> str:
    """Why the message comes from a mail system rather than a person ("" when it does not).
    A Return-Path of a person's address outweighs a From that claims otherwise."""
    path = msg.return_path
    if path == "":
        return "Return-Path: <> (the null sender of delivery reports, RFC 5321 §4.5.5)"
    if path is not None:
        return f"Return-Path: <{path}>" if SYSTEM_LOCAL_PARTS.search(_local_part(path)) else ""
    if msg.from_address and SYSTEM_LOCAL_PARTS.search(_local_part(msg.from_address)):
        return f"From: {msg.from_address}"
    if SYSTEM_NAMES.search(msg.from_name or "") or (not msg.from_address and SYSTEM_NAMES.search(msg.headers.get(
            "sender", ""))):
        return f"From: {msg.from_name}"
    return ""


def _standard_report(msg: ParsedMessage) -> Automatic | None:
    report = msg.report
    if report is None:
        return None
    if report.report_type == "disposition-notification":
        return Automatic(AUTO_REPLY, f"a read receipt (RFC 8098): {report.action or 'displayed'}", report)
    status_class = report.status[:1]
    if report.action == "failed" or (not report.action and status_class == "5"):
        return Automatic(BOUNCE, _report_words("failed", report), report)
    if report.action == "delayed" or (not report.action and status_class == "4"):
        return Automatic(DELAY, _report_words("delayed", report), report)
    if report.action in ("delivered", "relayed", "expanded"):
        return Automatic(AUTO_REPLY, _report_words(report.action, report), report)
    kind = DELAY if DELAY_WORDS.search(msg.subject) and not FAILED_WORDS.search(msg.subject) else BOUNCE
    return Automatic(kind, f"multipart/report (delivery status), subject {msg.subject[:60]!r}", report)


def _report_words(action: str, report: DeliveryReport) -> str:
    status = f", status {report.status}" if report.status else ""
    return f"multipart/report (delivery status): Action {action}{status}"


def _inline_original(text: str) -> AttachedMessage | None:
    found = HEADER_BLOCK.search(text.replace("\r\n", "\n"))
    if found is None:
        return None
    inner = email.message_from_string(text.replace("\r\n", "\n")[found.start():])
    original = attached_message(inner)
    if not (original.message_id or original.subject):
        return None
    if not original.text and isinstance(inner.get_payload(), str):
        original.text = inner.get_payload()
    return original


def returned_original(msg: ParsedMessage) -> AttachedMessage | None:
    """The message a non-standard report returns: attached, or pasted in its text after a line
    (headers first, as Exim, WebShield and most gateways write it)."""
    for attached in msg.attached_messages:
        if attached.message_id or attached.subject:
            return attached
    for text in [a.text for a in msg.attached_messages] + [msg.text]:
        original = _inline_original(text)
        if original is not None:
            return original
    return None


def _nonstandard_report(msg: ParsedMessage, kind: str, why: str) -> DeliveryReport:
    original = returned_original(msg) or AttachedMessage()
    failed = msg.headers.get("x-failed-recipients", "")
    if not failed:
        own = msg.text[:msg.text.find(original.subject)] if original.subject and original.subject in msg.text \
            else msg.text[:4000]
        addresses = [a for a in ADDRESS.findall(own) if a.lower() != msg.from_address]
        failed = addresses[0] if addresses else ""
    status = STATUS_CODE.search(msg.text[:4000])
    return DeliveryReport(original_message_id=original.message_id, original_subject=original.subject,
                          original_text=original.text[:20000], failed_recipient=failed.split(",")[0].strip(),
                          status=status.group(1) if status else "", diagnostic=why,
                          action="failed" if kind == BOUNCE else "delayed")


def _system_report(msg: ParsedMessage) -> Automatic | None:
    sender = from_mail_system(msg)
    ndr = "x-ms-exchange-message-is-ndr" in msg.headers
    if not (sender or ndr):
        return None
    opening = msg.text[:2000]
    if AUTO_SUBJECT.search(msg.subject):
        return None  # RFC 3834 asks auto-replies for a null sender too: an absence note is not a report
    if msg.headers.get("x-failed-recipients"):
        why = f"X-Failed-Recipients: {msg.headers['x-failed-recipients'][:80]}"
        kind = DELAY if DELAY_WORDS.search(msg.subject) and not FAILED_WORDS.search(msg.subject) else BOUNCE
    elif FAILED_WORDS.search(msg.subject) and not DELAY_WORDS.search(msg.subject):
        why, kind = f"subject {msg.subject[:60]!r}", BOUNCE
    elif DELAY_WORDS.search(msg.subject):
        why, kind = f"subject {msg.subject[:60]!r}", DELAY
    elif (m := FAILED_WORDS.search(opening) or DELAY_WORDS.search(opening)) and returned_original(msg) is not None:
        kind = BOUNCE if FAILED_WORDS.search(opening) else DELAY
        why = f"“{m.group(0)}” and the returned message inside"
    else:
        return None
    evidence = f"{why}; from the mail system ({sender or 'X-MS-Exchange-Message-Is-Ndr'})"
    return Automatic(kind, evidence, _nonstandard_report(msg, kind, why))


def _header_auto_reply(msg: ParsedMessage) -> str:
    h = msg.headers
    auto = h.get("auto-submitted", "").split(";")[0].strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {h['auto-submitted'][:60]}"
    for name in ("x-autoreply", "x-autorespond"):
        if name in h and h[name].strip().lower() not in ("no", "false", "0"):
            return f"{name.title()}: {h[name][:60]}"
    if h.get("precedence", "").strip().lower() == "auto_reply":
        return "Precedence: auto_reply"
    if "autoresponder" in h.get("x-post-messageclass", "").lower():
        return f"X-POST-MessageClass: {h['x-post-messageclass'][:60]}"
    if h.get("x-ms-exchange-generated-message-source"):
        return f"X-MS-Exchange-Generated-Message-Source: {h['x-ms-exchange-generated-message-source'][:60]}"
    return ""


def _mailing(msg: ParsedMessage, replies_to_us: bool) -> str:
    h = msg.headers
    precedence = h.get("precedence", "").strip().lower()
    if replies_to_us:
        return ""
    if "list-id" in h or "list-unsubscribe" in h:
        return "a mailing list's message (List-Id / List-Unsubscribe)"
    if precedence in ("bulk", "list", "junk"):
        return f"a mailing (Precedence: {precedence})"
    return ""


def automatic(msg: ParsedMessage, own: str, *, carries_data: bool, replies_to_us: bool) -> Automatic | None:
    """What kind of automatic mail this is, and why; None for mail a person (or a force's
    system, on a person's behalf) wrote. `own`: the sender's own words (quoted text left out);
    `replies_to_us`: it names our reference or threads to a message."""
    found = _standard_report(msg) or _system_report(msg)
    if found is not None:
        return found
    if not carries_data:
        header = _header_auto_reply(msg)
        if header:
            return Automatic(AUTO_REPLY, header)
        if AUTO_SUBJECT.search(msg.subject):
            return Automatic(AUTO_REPLY, f"subject {msg.subject[:60]!r}")
    mailing = _mailing(msg, replies_to_us)
    if mailing:
        return Automatic(MAILING, mailing)
    if not carries_data and len(own) <= ABSENCE_MAX_CHARS and (m := ABSENCE.search(own)):
        return Automatic(AUTO_REPLY, f"“{m.group(0)}” (an absence note)")
    return None
