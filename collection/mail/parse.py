"""A message's bytes to what the rest of the inbox needs, with the standard `email` package.

Never loses a message: whatever cannot be read is reported in `problem` and the raw bytes are
still kept by the caller. A body whose bytes do not fit its declared charset is decoded with the
charset that fits (Windows-1252 labelled us-ascii is common). Attachments over the size limit
are refused by their encoded size before they are decoded.

The fields that say who sent a message and how (Return-Path, Auto-Submitted, a failed-recipient
field, Authentication-Results...) are kept as written, for `automatic` and `trust` to read; a
delivery-status report (RFC 3464, inside a multipart/report of RFC 6522, at any depth) is read
into a DeliveryReport, and the message it returns is never taken for the sender's own parts.
"""
from __future__ import annotations

import datetime as dt
import email
import email.utils
import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage

from ..importer.limits import ImportLimits
from .attachments import Attachment, encoded_size, make_attachment, safe_name, too_large
from .bounds import HELD, HeldBody, MailBounds, scan
from .html import html_tables, html_to_text
from .identity import content_key

MESSAGE_ID = re.compile(r"<[^<>\s]+>")
MAX_MESSAGE_BYTES = 200 * 1024 * 1024

#: Fields kept as written (lower case; the first of each, so Authentication-Results is the one
#: the receiving server added last, at the top).
KEPT_FIELDS = ("auto-submitted", "x-autoreply", "x-autorespond", "precedence", "list-unsubscribe", "list-id",
               "x-auto-response-suppress", "x-post-messageclass", "x-ms-exchange-generated-message-source",
               "x-ms-exchange-message-is-ndr", "x-failed-recipients", "authentication-results", "return-path",
               "content-type", "sender", "reply-to")
#: Fields read as written, never shown decoded (identifiers, the date, the recipient).
RAW_FIELDS = ("message-id", "in-reply-to", "references", "date", "to")
REPORT_PARTS = ("message/delivery-status", "message/global-delivery-status", "message/disposition-notification",
                "text/rfc822-headers", "message/rfc822-headers")
ACTION_ORDER = ("failed", "delayed", "delivered", "relayed", "expanded")


@dataclass
class DeliveryReport:
    """What a delivery report (a bounce, a delay, a receipt) says about the message it returns."""

    original_message_id: str = ""
    original_subject: str = ""
    original_text: str = ""
    failed_recipient: str = ""
    status: str = ""
    diagnostic: str = ""
    action: str = ""  # the gravest per-recipient Action: failed, delayed, delivered, relayed, expanded
    report_type: str = ""  # delivery-status, disposition-notification; "" for a non-standard report

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class AttachedMessage:
    """A message carried inside another (message/rfc822): who wrote it and what it said."""

    message_id: str = ""
    subject: str = ""
    text: str = ""


@dataclass
class ParsedMessage:
    sha256: str
    size: int
    key: str = ""  # what makes it this message (identity.content_key)
    message_id: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    subject: str = ""
    from_name: str = ""
    from_address: str = ""
    to: str = ""
    date: dt.datetime | None = None
    headers: dict[str, str] = field(default_factory=dict)
    text: str = ""
    html: str = ""
    tables: list[list[list[str]]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    attached_messages: list[AttachedMessage] = field(default_factory=list)
    report: DeliveryReport | None = None
    charset_note: str = ""
    problem: str = ""  # why the message could not be read (it is still kept, raw)
    over_limit: bool = False  # past FOI_MAIL_MAX_*: its headers read, nothing inside it

    @property
    def readable(self) -> bool:
        return not self.problem

    @property
    def from_domain(self) -> str:
        return self.from_address.rsplit("@", 1)[-1].lower() if "@" in self.from_address else ""

    @property
    def return_path(self) -> str | None:
        """The envelope sender the last server recorded: None when absent, "" when null (<>)."""
        if "return-path" not in self.headers:
            return None
        ids = re.findall(r"<([^<>]*)>", self.headers["return-path"])
        return (ids[0] if ids else self.headers["return-path"]).strip().lower()


def quick_key(raw: bytes) -> str:
    """The key parse_message gives, from the bytes alone: a second delivery is recognised
    without parsing it again."""
    return content_key(raw)


def message_ids(value: str) -> list[str]:
    return MESSAGE_ID.findall(value or "")


def _header(msg, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # a malformed header: fall back to its raw text
        value = None
        for key, raw in msg.raw_items():
            if key.lower() == name.lower():
                value = raw
                break
    return re.sub(r"\s+", " ", str(value)).strip() if value is not None else ""


def _kept_fields(msg) -> dict[str, str]:
    """The fields of KEPT_FIELDS and RAW_FIELDS as written, in one pass over the raw headers
    (no parsing: none of them needs decoding)."""
    kept: dict[str, str] = {}
    for key, raw in msg.raw_items():
        name = key.lower()
        if (name in KEPT_FIELDS or name in RAW_FIELDS) and name not in kept:
            kept[name] = " ".join(str(raw).split())
    return kept


def decode_text(raw: bytes, declared: str | None) -> tuple[str, str]:
    """Decode a text part's bytes; if they do not fit the declared charset, try UTF-8, then
    Windows-1252 (what Outlook writes whatever it declares). Returns (text, note)."""
    declared = (declared or "us-ascii").lower()
    try:
        return raw.decode(declared), ""
    except (UnicodeDecodeError, LookupError):
        pass
    for charset in ("utf-8", "cp1252"):
        if charset == declared:
            continue
        try:
            return raw.decode(charset), f"declared {declared}, decoded as {charset}"
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1"), f"declared {declared}, decoded as latin-1"


CHARSET = re.compile(r"""charset\s*=\s*["']?([^"';\s]+)""", re.I)


def _held(part) -> HeldBody | None:
    return getattr(part, "foi_held", None)


def _payload(part) -> bytes:
    """A part's decoded bytes: from the message's own bytes for a large body (bounds.scan left it
    out of what the parser read), else from the parser."""
    held = _held(part)
    return held.decode() if held is not None else (part.get_payload(decode=True) or b"")


def _hold(msg, held: list[HeldBody]) -> None:
    """Each part whose body the scan held out gets it back, to decode when it is wanted."""
    if not held:
        return
    for part in msg.walk():
        number = _raw_field(part, HELD.lower())
        if number is not None and number.strip().isdigit() and int(number) < len(held):
            part.foi_held = held[int(number)]


def _part_text(part) -> tuple[str, str]:
    raw = _payload(part)
    declared = CHARSET.search(_raw_field(part, "content-type") or "")
    return decode_text(raw, declared.group(1) if declared else None)


def _unstructured(msg, name: str) -> str:
    """A field meant to be shown (Subject, From), its encoded words (RFC 2047) decoded; read as
    written when it has none, which most have."""
    raw = _raw_field(msg, name)
    if raw is None:
        return ""
    if "=?" in raw or any(ord(c) > 127 for c in raw):
        return _header(msg, name)
    return " ".join(raw.split())


def _parse_date(value: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed


def _received_date(msg) -> dt.datetime | None:
    for value in msg.get_all("Received") or []:
        when = _parse_date(str(value).rsplit(";", 1)[-1].strip())
        if when:
            return when
    return None


def _raw_field(part, name: str) -> str | None:
    """A part's field as written (the first of that name), without parsing it."""
    for key, value in part.raw_items():
        if key.lower() == name:
            return str(value)
    return None


def _content_type(part) -> str:
    """Message.get_content_type from the field as written: the policy parses a field each time it
    is asked for, and a reader asks for a part's type many times."""
    raw = _raw_field(part, "content-type")
    if raw is None:
        return part.get_default_type()
    ctype = raw.split(";", 1)[0].strip().lower()
    return ctype if ctype.count("/") == 1 else "text/plain"


def _disposition(part) -> str | None:
    raw = _raw_field(part, "content-disposition")
    return raw.split(";", 1)[0].strip().lower() or None if raw is not None else None


def _filename(part) -> str:
    named = any(key.lower() in ("content-disposition", "content-type") and "name" in str(value).lower()
                for key, value in part.raw_items())
    if not named:
        return ""
    try:
        name = part.get_filename()  # RFC 2231 and encoded words, decoded by the policy
    except Exception:
        name = None
    return safe_name(str(name)) if name else ""


def _inner_message(part):
    inner = part.get_payload()
    inner = inner[0] if isinstance(inner, list) and inner else inner
    return inner if hasattr(inner, "get") else None


def attached_message(inner) -> AttachedMessage:
    """The identity and plain text of a message carried inside another (or its headers alone)."""
    ids = message_ids(_header(inner, "Message-ID"))
    text = ""
    try:
        body = inner.get_body(("plain",)) if isinstance(inner, EmailMessage) else None
        text = body.get_content() if body is not None else ""
    except Exception:  # a returned message is often cut short: its headers are what matter
        text = ""
    return AttachedMessage(ids[0] if ids else "", _header(inner, "Subject"), text)


def _status_blocks(part) -> list:
    payload = part.get_payload()
    return payload if isinstance(payload, list) else []


def _gravest(actions: list[str]) -> str:
    known = [a for a in actions if a in ACTION_ORDER]
    return min(known, key=ACTION_ORDER.index) if known else (actions[0] if actions else "")


def _read_report(report_part, parsed: ParsedMessage) -> None:
    """A multipart/report: its per-recipient fields and the message it returns."""
    report = parsed.report or DeliveryReport()
    report.report_type = report.report_type or (report_part.get_param("report-type") or "").lower()
    actions: list[str] = []
    for sub in report_part.iter_parts():
        ctype = sub.get_content_type()
        if ctype in ("message/delivery-status", "message/global-delivery-status",
                     "message/disposition-notification"):
            for block in _status_blocks(sub):
                recipient = _header(block, "Final-Recipient") or _header(block, "Original-Recipient")
                if recipient and not report.failed_recipient:
                    report.failed_recipient = recipient.split(";", 1)[-1].strip()
                action = _header(block, "Action").lower()
                if action:
                    actions.append(action)
                report.status = report.status or _header(block, "Status")
                report.diagnostic = report.diagnostic or _header(block, "Diagnostic-Code")
                report.action = report.action or _header(block, "Disposition").lower()
        elif ctype in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
            if ctype == "message/rfc822":
                inner = _inner_message(sub)
            else:
                text, _ = _part_text(sub)
                inner = email.message_from_string(text, policy=policy.default)
            if inner is None:
                continue
            original = attached_message(inner)
            report.original_message_id = report.original_message_id or original.message_id
            report.original_subject = report.original_subject or original.subject
            report.original_text = report.original_text or original.text
    if actions:
        report.action = _gravest(actions)
    parsed.report = report


def parse_message(raw: bytes, limits: ImportLimits = ImportLimits(),
                  max_message_bytes: int = MAX_MESSAGE_BYTES, bounds: MailBounds = MailBounds()) -> ParsedMessage:
    parsed = ParsedMessage(sha256=hashlib.sha256(raw).hexdigest(), size=len(raw))
    if len(raw) > max_message_bytes:
        parsed.key = f"sha256:{parsed.sha256}"
        parsed.problem = f"the message is {len(raw):,} bytes, over the {max_message_bytes:,}-byte limit; kept unread"
        return parsed
    parsed.key = content_key(raw)
    try:
        found = scan(raw, bounds, limits.max_file_bytes)
        if found.refusal:
            return _over_limit(raw, parsed, found.refusal)
        msg = email.message_from_bytes(found.readable, policy=policy.default)
        _hold(msg, found.held)
        if not list(msg.keys()):
            parsed.problem = "no mail headers found: not an e-mail message"
            return parsed
        _read(msg, parsed, limits, bounds)
    except Exception as exc:  # one bad message must never stop a batch: keep it, say why
        parsed.problem = f"the message could not be read ({type(exc).__name__}: {exc})"[:300]
    return parsed


def _over_limit(raw: bytes, parsed: ParsedMessage, refusal: str) -> ParsedMessage:
    """A message past the limits: its headers only (who, when, what it answers), so it is listed
    and matched; nothing inside it is read or acted on."""
    blank = re.search(rb"\r?\n\r?\n", raw)
    head = raw[:blank.end()] if blank else raw[:64 * 1024]
    _read_headers(email.message_from_bytes(head, policy=policy.default), parsed)
    parsed.problem, parsed.over_limit = refusal, True
    return parsed


def _leaves(part, in_report: bool = False):
    """The parts a reader sees, depth first, each with its content type (and False for a report).
    A report's own machinery (status fields, the message it returns) is not the sender's text or
    files; a message forwarded as an attachment is yielded whole and then opened, as a mail
    client shows it."""
    ctype = _content_type(part)
    if ctype == "multipart/report":
        yield part, ctype, False
        for sub in part.iter_parts():
            yield from _leaves(sub, True)
        return
    if part.is_multipart() and ctype != "message/rfc822":
        for sub in part.iter_parts():
            yield from _leaves(sub, in_report)
        return
    if in_report and (ctype in REPORT_PARTS or ctype == "message/rfc822"):
        return
    yield part, ctype, True
    if ctype == "message/rfc822":
        inner = _inner_message(part)
        if inner is not None and inner.is_multipart():
            for sub in inner.iter_parts():
                yield from _leaves(sub, in_report)
        elif inner is not None:
            yield inner, _content_type(inner), True


def _read_headers(msg, parsed: ParsedMessage) -> None:
    fields = _kept_fields(msg)
    ids = message_ids(fields.get("message-id", ""))
    parsed.message_id = ids[0] if ids else ""
    parsed.in_reply_to = message_ids(fields.get("in-reply-to", ""))
    parsed.references = message_ids(fields.get("references", ""))
    parsed.subject = _unstructured(msg, "subject")
    name, address = email.utils.parseaddr(_unstructured(msg, "from"))
    parsed.from_name, parsed.from_address = name, address.lower()
    parsed.to = fields.get("to", "")
    parsed.date = _parse_date(fields.get("date", "")) or _received_date(msg)
    parsed.headers = {k: v for k, v in fields.items() if k in KEPT_FIELDS}


def _is_body(part, ctype: str) -> bool:
    """A text the sender wrote in the message (not a file attached to it)."""
    return ctype in ("text/plain", "text/html") and _disposition(part) != "attachment" and not _filename(part) \
        and not (_held(part) is not None and _held(part).too_large)


def _census(msg) -> tuple[int, int]:
    """(parts, attachments) as the reader would see them, before anything is decoded."""
    parts = attachments = 0
    for part, ctype, own in _leaves(msg):
        parts += 1
        if own and not _is_body(part, ctype) and not (
                ctype.startswith("image/") and _disposition(part) == "inline" and not _filename(part)):
            attachments += 1
    return parts, attachments


def _read(msg, parsed: ParsedMessage, limits: ImportLimits, bounds: MailBounds = MailBounds()) -> None:
    _read_headers(msg, parsed)
    parts, attachments = _census(msg)
    if parts > bounds.max_parts:  # boundaries the scan could not see (RFC 2231 parameters)
        parsed.problem, parsed.over_limit = (
            f"too many parts: {parts:,} MIME parts, over the limit of {bounds.max_parts:,} (FOI_MAIL_MAX_PARTS); "
            "kept whole, nothing in it read"), True
        return
    if attachments > bounds.max_attachments:
        parsed.problem, parsed.over_limit = (
            f"too many parts: {attachments:,} attachments, over the limit of {bounds.max_attachments:,} "
            "(FOI_MAIL_MAX_ATTACHMENTS); kept whole, nothing in it read"), True
        return
    texts, htmls = [], []
    for part, ctype, own in _leaves(msg):
        if not own:
            _read_report(part, parsed)
            continue
        disposition = _disposition(part)
        filename = _filename(part)
        if _is_body(part, ctype):
            text, note = _part_text(part)
            parsed.charset_note = parsed.charset_note or note
            (texts if ctype == "text/plain" else htmls).append(text)
            continue
        if ctype == "message/rfc822":
            inner = _inner_message(part)
            if inner is not None:
                parsed.attached_messages.append(attached_message(inner))
        _attachment(part, filename, ctype, parsed, limits, inline=disposition == "inline")
    parsed.text = "\n\n".join(t for t in texts if t.strip())
    parsed.html = "\n".join(htmls)
    if parsed.html:
        parsed.tables = html_tables(parsed.html)
        if not parsed.text.strip():
            parsed.text = html_to_text(parsed.html)


def _attachment(part, filename: str, ctype: str, parsed: ParsedMessage, limits: ImportLimits, inline: bool) -> None:
    if ctype.startswith("image/") and inline and not filename:
        return  # a signature logo: nothing a force sends as an answer
    if ctype == "message/rfc822":
        inner = _inner_message(part)
        held = _held(part)  # the attached message's own bytes (the parser read it without its large bodies)
        data = held.decode() if held is not None else \
            inner.as_bytes() if inner is not None and hasattr(inner, "as_bytes") else b""
        subject = _header(inner, "Subject") if inner is not None else ""
        name = filename or safe_name(subject or "attached message") + ".eml"
        parsed.attachments.append(make_attachment(name, ctype, data, limits))
        return
    name = filename or f"attachment-{len(parsed.attachments) + 1}"
    held = _held(part)
    size = held.size if held is not None else None
    if size is None:
        encoded = part.get_payload(decode=False)
        encoded = encoded if isinstance(encoded, str) else ""
        size = encoded_size(encoded, _raw_field(part, "content-transfer-encoding") or "")
    refusal = too_large(name, size, limits)
    if refusal:
        parsed.attachments.append(Attachment(name=name, content_type=ctype, size=size, role="oversize",
                                             refused=refusal))
        return
    data = _payload(part)
    parsed.attachments.append(make_attachment(name, ctype, data, limits, inline=inline))
