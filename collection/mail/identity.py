"""What makes two deliveries one message: the content its author's side wrote, not its Message-ID.

Broken clients and ticketing systems give different messages one Message-ID, so the ID alone
would drop a message; and servers on the way add trace fields (Received, Return-Path,
Authentication-Results, Delivered-To, spam scores...), so the bytes alone would keep a
re-delivery twice. A message's identity is therefore a hash of the fields its sender's side
writes (RFC 5322 origination, destination, identification and informational fields, the MIME
fields, and the automatic-reply markers that tell one sender's message from another) and of its
body. Trace fields are left out whatever they say, so any route to us gives one key.

Pure and cheap: the header block is read with a regex over bytes, never parsed as mail, so a
second delivery is recognised before anything parses it.
"""
from __future__ import annotations

import hashlib
import re

#: The fields that make a message what it is (lower case). Anything else is added on the way.
IDENTITY_FIELDS = frozenset({
    "from", "sender", "reply-to", "to", "cc", "bcc", "message-id", "in-reply-to", "references", "subject",
    "comments", "keywords", "date", "mime-version", "content-type", "content-transfer-encoding",
    "content-disposition", "content-id", "content-language", "auto-submitted", "precedence", "x-autoreply",
    "x-autorespond", "x-auto-response-suppress", "x-post-messageclass", "x-failed-recipients",
    "x-ms-exchange-generated-message-source", "list-id", "list-unsubscribe", "thread-index", "thread-topic",
})

_FIELD = re.compile(rb"^([!-9;-~]+)[ \t]*:", re.M)  # RFC 5322 field name: printable ASCII but ':'
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
_MBOX_QUOTED = re.compile(rb"^>(>*From )", re.M)


def split_message(raw: bytes) -> tuple[bytes, int]:
    """The header block, and where the body starts (after the blank line): the body is left in
    place, a large message is never copied to be hashed."""
    start = 0
    if raw.startswith(b"From "):  # an mbox separator line is the mailbox's, not the message's
        start = raw.find(b"\n") + 1 if b"\n" in raw else len(raw)
    m = _BLANK_LINE.search(raw, start)
    if m is None:
        return raw[start:], len(raw)
    return raw[start:m.start()], m.end()


def _hash_body(digest, raw: bytes, start: int) -> None:
    """The body from `start`, line ends made one and trailing white space left out, a slice at a
    time; with an mbox's ">From " quoting, undone on a copy (small mailbox messages)."""
    if raw.startswith(b">", start) or raw.find(b"\n>", start) >= 0:
        body = raw[start:].replace(b"\r\n", b"\n")
        digest.update(_MBOX_QUOTED.sub(rb"\1", body).rstrip())
        return
    end = len(raw)
    while end > start and raw[end - 1:end].isspace():
        end -= 1
    view, carry, step = memoryview(raw), b"", 4 * 1024 * 1024
    for at in range(start, end, step):
        chunk = carry + bytes(view[at:min(at + step, end)])
        carry = b"\r" if chunk.endswith(b"\r") and at + step < end else b""
        digest.update((chunk[:-1] if carry else chunk).replace(b"\r\n", b"\n"))
    digest.update(carry)


def identity_fields(head: bytes) -> list[tuple[bytes, bytes]]:
    """The identity fields of a header block in their order, names in lower case, values unfolded."""
    fields = []
    starts = [m for m in _FIELD.finditer(head)]
    for i, m in enumerate(starts):
        name = m.group(1).lower()
        if name.decode("ascii", "replace") not in IDENTITY_FIELDS:
            continue
        end = starts[i + 1].start() if i + 1 < len(starts) else len(head)
        fields.append((name, b" ".join(head[m.end():end].split())))
    return fields


def content_key(raw: bytes) -> str:
    """The message's identity: "content:<sha256>" of its identity fields and body (line ends
    made one, an mbox's ">From " quoting undone); "sha256:<hash of the bytes>" when the bytes
    hold no mail header at all, so nothing unreadable is ever taken for something else."""
    head, body_start = split_message(raw)
    if not _FIELD.match(head):
        return f"sha256:{hashlib.sha256(raw).hexdigest()}"
    digest = hashlib.sha256()
    for name, value in identity_fields(head):
        digest.update(name + b":" + value + b"\n")
    digest.update(b"\n")
    _hash_body(digest, raw, body_start)
    return f"content:{digest.hexdigest()}"
