"""A message's bytes to what the rest of the inbox needs, with the standard `email` package.

Never loses a message: whatever cannot be read is reported in `problem` and the raw bytes are
still kept by the caller. A body whose bytes do not fit its declared charset is decoded with the
charset that fits (Windows-1252 labelled us-ascii is common). Attachments over the size limit
are refused by their encoded size before they are decoded.
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
from .html import html_tables, html_to_text

MESSAGE_ID = re.compile(r"<[^<>\s]+>")
MAX_MESSAGE_BYTES = 200 * 1024 * 1024


@dataclass
class DeliveryReport:
    """What a delivery-status report (a bounce) says about the message it returns."""

    original_message_id: str = ""
    original_subject: str = ""
    original_text: str = ""
    failed_recipient: str = ""
    status: str = ""
    diagnostic: str = ""


@dataclass
class ParsedMessage:
    sha256: str
    size: int
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
    report: DeliveryReport | None = None
    charset_note: str = ""
    problem: str = ""  # why the message could not be read (it is still kept, raw)

    @property
    def readable(self) -> bool:
        return not self.problem

    @property
    def key(self) -> str:
        """What makes a message the same message: its Message-ID, else a hash of its bytes."""
        return self.message_id or f"sha256:{self.sha256}"

    @property
    def from_domain(self) -> str:
        return self.from_address.rsplit("@", 1)[-1].lower() if "@" in self.from_address else ""


_RAW_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(?:\r?\n[ \t]+)?(<[^<>\s]+>)", re.I | re.M)


def quick_key(raw: bytes) -> str:
    """The key parse_message would give, from the header bytes alone: a second delivery is
    recognised without parsing it again."""
    end = raw.find(b"\r\n\r\n")
    end = raw.find(b"\n\n") if end < 0 else end
    m = _RAW_MESSAGE_ID.search(raw[:end if end >= 0 else 65536])
    if m:
        return m.group(1).decode("ascii", "replace")
    return f"sha256:{hashlib.sha256(raw).hexdigest()}"


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


def _part_text(part) -> tuple[str, str]:
    raw = part.get_payload(decode=True) or b""
    return decode_text(raw, part.get_content_charset())


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


def _filename(part) -> str:
    try:
        name = part.get_filename()  # RFC 2231 and encoded words, decoded by the policy
    except Exception:
        name = None
    return safe_name(str(name)) if name else ""


def _read_report(part, parsed: ParsedMessage) -> None:
    report = parsed.report or DeliveryReport()
    for sub in part.walk():
        ctype = sub.get_content_type()
        if ctype == "message/delivery-status":
            payload = sub.get_payload()
            blocks = payload if isinstance(payload, list) else []
            for block in blocks:
                recipient = _header(block, "Final-Recipient") or _header(block, "Original-Recipient")
                if recipient and not report.failed_recipient:
                    report.failed_recipient = recipient.split(";", 1)[-1].strip()
                report.status = report.status or _header(block, "Status")
                report.diagnostic = report.diagnostic or _header(block, "Diagnostic-Code")
        elif ctype in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
            if ctype == "message/rfc822":
                inner = sub.get_payload()
                inner = inner[0] if isinstance(inner, list) and inner else inner
            else:
                text, _ = _part_text(sub)
                inner = email.message_from_string(text, policy=policy.default)
            if inner is None or not hasattr(inner, "get"):
                continue
            ids = message_ids(_header(inner, "Message-ID"))
            report.original_message_id = report.original_message_id or (ids[0] if ids else "")
            report.original_subject = report.original_subject or _header(inner, "Subject")
            try:
                body = inner.get_body(("plain",)) if isinstance(inner, EmailMessage) else None
                report.original_text = body.get_content() if body is not None else ""
            except Exception:
                report.original_text = ""
    parsed.report = report


def parse_message(raw: bytes, limits: ImportLimits = ImportLimits(),
                  max_message_bytes: int = MAX_MESSAGE_BYTES) -> ParsedMessage:
    parsed = ParsedMessage(sha256=hashlib.sha256(raw).hexdigest(), size=len(raw))
    if len(raw) > max_message_bytes:
        parsed.problem = f"the message is {len(raw):,} bytes, over the {max_message_bytes:,}-byte limit; kept unread"
        return parsed
    try:
        msg = email.message_from_bytes(raw, policy=policy.default)
        if not list(msg.keys()):
            parsed.problem = "no mail headers found: not an e-mail message"
            return parsed
        _read(msg, parsed, limits)
    except Exception as exc:  # one bad message must never stop a batch: keep it, say why
        parsed.problem = f"the message could not be read ({type(exc).__name__}: {exc})"[:300]
    return parsed


def _read(msg, parsed: ParsedMessage, limits: ImportLimits) -> None:
    ids = message_ids(_header(msg, "Message-ID"))
    parsed.message_id = ids[0] if ids else ""
    parsed.in_reply_to = message_ids(_header(msg, "In-Reply-To"))
    parsed.references = message_ids(_header(msg, "References"))
    parsed.subject = _header(msg, "Subject")
    name, address = email.utils.parseaddr(_header(msg, "From"))
    parsed.from_name, parsed.from_address = name, address.lower()
    parsed.to = _header(msg, "To")
    parsed.date = _parse_date(_header(msg, "Date")) or _received_date(msg)
    for key in ("Auto-Submitted", "X-Autoreply", "X-Autorespond", "Precedence", "List-Unsubscribe", "List-Id",
                "X-Auto-Response-Suppress", "Content-Type"):
        value = _header(msg, key)
        if value:
            parsed.headers[key.lower()] = value
    texts, htmls = [], []
    if msg.get_content_type() == "multipart/report":
        _read_report(msg, parsed)
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        if parsed.report is not None and ctype in ("message/delivery-status", "text/rfc822-headers"):
            continue
        disposition = part.get_content_disposition()
        filename = _filename(part)
        if ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename:
            text, note = _part_text(part)
            parsed.charset_note = parsed.charset_note or note
            (texts if ctype == "text/plain" else htmls).append(text)
            continue
        if ctype == "message/rfc822" and parsed.report is not None:
            continue
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
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) and inner else inner
        data = inner.as_bytes() if hasattr(inner, "as_bytes") else b""
        name = filename or safe_name(_header(inner, "Subject") or "attached message") + ".eml"
        parsed.attachments.append(make_attachment(name, ctype, data, limits))
        return
    name = filename or f"attachment-{len(parsed.attachments) + 1}"
    encoded = part.get_payload(decode=False)
    encoded = encoded if isinstance(encoded, str) else ""
    size = encoded_size(encoded, part.get("Content-Transfer-Encoding", ""))
    refusal = too_large(name, size, limits)
    if refusal:
        parsed.attachments.append(Attachment(name=name, content_type=ctype, size=size, role="oversize",
                                             refused=refusal))
        return
    data = part.get_payload(decode=True) or b""
    parsed.attachments.append(make_attachment(name, ctype, data, limits, inline=inline))
