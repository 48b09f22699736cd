"""How much of a message is read, decided from its bytes before the `email` package builds
anything: the number of MIME parts, the bytes its parts decode to, and where the large bodies are.

The standard parser makes an object per part and keeps every line of a body in a list before
joining it: a message of 100,000 parts, or one 70 MB attachment, costs minutes or several times
its size. So the parts are counted here from their boundary lines (bytes.find over the bytes),
and every large body is left out of the copy the parser sees, in its place a field naming it
(`HELD`): the parser reads the headers and the small parts, and a large body is decoded
straight from the message's bytes when it is wanted, or never, when it decodes to more than the
attachment size limit. The message itself is kept whole by the caller. Pure: limits come in as
values.
"""
from __future__ import annotations

import binascii
import re
from dataclasses import dataclass, field

MIB = 1024 * 1024
#: The field put in place of a body left out of the parser's copy: the body's number in Scan.held.
HELD = "X-FOI-Held-Body"
#: Bodies longer than this (encoded) are left out of the parser's copy and decoded from the bytes.
HOLD_OVER = 256 * 1024

_BOUNDARY = re.compile(rb"""[bB]oundary\s*=\s*(?:"([^"\r\n]{1,200})"|([^\s;"]{1,200}))""", re.I)
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
_CONTENT_TYPE = re.compile(rb"^content-type[ \t]*:[ \t]*(?:\r?\n[ \t]+)*([!-~]+)", re.I | re.M)
_ENCODING = re.compile(rb"^content-transfer-encoding[ \t]*:[ \t]*([!-~]+)", re.I | re.M)


@dataclass(frozen=True)
class MailBounds:
    """The most one message may hold before nothing inside it is read (FOI_MAIL_MAX_*)."""

    max_parts: int = 200
    max_attachments: int = 50
    max_decoded_bytes: int = 50 * MIB


@dataclass(frozen=True)
class HeldBody:
    """A body left out of the parser's copy: where it is in the message's bytes, how it is encoded,
    and what it decodes to (estimated from its length)."""

    raw: bytes = field(repr=False)
    start: int
    end: int
    encoding: bytes
    size: int
    too_large: bool  # decodes to more than the attachment size limit: never decoded

    def decode(self) -> bytes:
        body = self.raw[self.start:self.end]  # one part's copy, for as long as it is decoded
        encoding = self.encoding.lower()
        try:
            if encoding == b"base64":
                return binascii.a2b_base64(body)
            if encoding == b"quoted-printable":
                return binascii.a2b_qp(body)
        except binascii.Error:
            return b""  # as the standard parser gives a body it cannot decode: nothing
        return body


@dataclass
class Scan:
    """What the bytes say before parsing: parts counted, decoded size estimated, and the copy the
    parser reads (the message with its large bodies left out, each held for decoding later)."""

    parts: int = 1
    decoded_bytes: int = 0  # of the parts that will be read
    held: list[HeldBody] = field(default_factory=list)
    readable: bytes = b""
    refusal: str = ""


def _mb(n: int) -> str:
    return f"{n / MIB:.1f} MB"


def _found(raw: bytes, needle: bytes):
    """Every position of `needle` (bytes.find runs at memory speed where a regex over 100 MB does not)."""
    at = raw.find(needle)
    while at >= 0:
        yield at
        at = raw.find(needle, at + 1)


def _boundaries(raw: bytes) -> set[bytes]:
    found = set()
    for needle in (b"oundary", b"OUNDARY"):
        for at in _found(raw, needle):
            m = _BOUNDARY.match(raw, max(0, at - 1), at + 220)
            if m:
                found.add(m.group(1) or m.group(2))
    return found


def _delimiters(raw: bytes, boundaries: set[bytes]):
    """(start of the line, start of the next, closing?, boundary) for each line of a declared boundary."""
    if not boundaries:
        return
    for at in _found(raw, b"\n--"):
        end = raw.find(b"\n", at + 1)
        end = len(raw) if end < 0 else end + 1
        token = raw[at + 3:min(end, at + 260)].rstrip(b" \t\r\n")
        closing = token.endswith(b"--") and token[:-2] in boundaries
        if token in boundaries or closing:
            yield at + 1, end, closing, token[:-2] if closing else token


def decoded_estimate(body: memoryview, encoding: bytes) -> int:
    """What a body decodes to, from its encoded bytes: base64 is three bytes in four (line ends
    aside); quoted-printable at least a third; anything else as it is."""
    encoding = encoding.lower()
    if encoding == b"base64":
        last = bytes(body[-64:])
        body = body[:len(body) - len(last) + len(last.rstrip())]  # the line end before the boundary aside
        line_ends = 0
        for i in range(0, len(body), 4 * MIB):  # a slice at a time: never a second copy of a large body
            chunk = bytes(body[i:i + 4 * MIB])
            line_ends += chunk.count(b"\n") + chunk.count(b"\r")
        padding = 2 if last.rstrip().endswith(b"==") else 1 if last.rstrip().endswith(b"=") else 0
        return max(0, (len(body) - line_ends) * 3 // 4 - padding)
    if encoding == b"quoted-printable":
        return len(body) // 3
    return len(body)


def _segment(raw: bytes, view: memoryview, start: int, end: int) -> tuple[int, bytes, bytes]:
    """A part between two boundary lines: where its body starts, its content type and encoding."""
    blank = _BLANK_LINE.search(raw, start, end)
    head_end = blank.start() if blank else end
    body_start = blank.end() if blank else end
    head = bytes(view[start:head_end])
    ctype = _CONTENT_TYPE.search(head)
    cte = _ENCODING.search(head)
    return body_start, (ctype.group(1).split(b";")[0].lower() if ctype else b"text/plain"), \
        (cte.group(1).rstrip(b";") if cte else b"")


def _part_end(raw: bytes, lines: list, i: int) -> int:
    """Where the part after boundary line i-1 ends (its own boundary's next line; the line end
    before it belongs to that line), whatever parts it holds."""
    boundary = lines[i - 1][3]
    end = next((line[0] for line in lines[i:] if line[3] == boundary), len(raw))
    return end - (2 if raw.startswith(b"\r\n", end - 2) else 1) if end < len(raw) else end


def scan(raw: bytes, bounds: MailBounds, omit_over: int, hold_over: int = HOLD_OVER) -> Scan:
    """Count the parts, estimate what they decode to, and build the parser's copy, leaving out
    every body longer than `hold_over` (held: decoded from the bytes when wanted); one that decodes
    to more than `omit_over` (the attachment size limit) is refused unread and counts for nothing."""
    result = Scan()
    view = memoryview(raw)
    first = raw.find(b"\n") + 1 if raw.startswith(b"From ") else 0  # an mbox's separator line stays first
    _, top, _ = _segment(raw, view, first, len(raw))
    # A message that is not multipart has one part, whatever lines its text holds.
    boundaries = _boundaries(raw) if top.startswith((b"multipart/", b"message/")) else set()
    lines = []
    for line in _delimiters(raw, boundaries):
        lines.append(line)
        if not line[2]:
            result.parts += 1
            if result.parts > bounds.max_parts:
                result.refusal = (f"too many parts: more than {bounds.max_parts:,} MIME parts (FOI_MAIL_MAX_PARTS); "
                                  "kept whole, nothing in it read")
                return result
    pieces, cursor = [], 0
    for i, start in enumerate([first] + [line[1] for line in lines]):
        if i and lines[i - 1][2]:
            continue  # after a closing line: an epilogue, not a part
        end = lines[i][0] if i < len(lines) else len(raw)
        body_start, ctype, cte = _segment(raw, view, start, end)
        if ctype == b"message/rfc822" and i:
            # A message attached whole: its large bodies are left out of the parser's copy like
            # any other, so the attachment's bytes are taken from the message's own bytes.
            pieces += [view[cursor:start], f"{HELD}: {len(result.held)}\r\n".encode()]
            cursor = start
            whole = _part_end(raw, lines, i)
            result.held.append(HeldBody(raw, body_start, max(body_start, whole), b"", whole - body_start, False))
        if ctype.startswith(b"multipart/") or ctype.startswith(b"message/"):
            continue
        size = decoded_estimate(view[body_start:end], cte)
        result.decoded_bytes += size if size <= omit_over else 0
        if end - body_start > hold_over:
            body_end = end - (2 if raw.startswith(b"\r\n", end - 2) else 1) if i < len(lines) else end
            pieces += [view[cursor:start], f"{HELD}: {len(result.held)}\r\n".encode(), view[start:body_start]]
            result.held.append(HeldBody(raw, body_start, max(body_start, body_end), cte, size, size > omit_over))
            cursor = end
    if result.decoded_bytes > bounds.max_decoded_bytes:
        result.refusal = (f"too large: its parts decode to {_mb(result.decoded_bytes)}, over the "
                          f"{_mb(bounds.max_decoded_bytes)} limit (FOI_MAIL_MAX_DECODED_BYTES); kept whole, "
                          "nothing in it read")
        return result
    result.readable = raw if not result.held else b"".join(pieces + [view[cursor:]])
    return result
