"""Text as forces' files hold it: the encoding of its bytes, and the delimiter between its fields.

Shared by the csv reader (``read``) and the text answers (``documents``).
"""
from __future__ import annotations

import csv


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 (BOM stripped), UTF-16 with BOM, else Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


_DELIMITERS = (",", ";", "\t", "|")


def sniff_delimiter(text: str) -> str:
    """The delimiter giving the most lines with the same (>1) number of fields."""
    lines = [ln for ln in text[:65536].splitlines()[:200] if ln.strip()]
    if not lines:
        return ","
    best, best_score = ",", (-1, -1)
    for d in _DELIMITERS:
        counts: dict[int, int] = {}
        for fields in csv.reader(lines, delimiter=d):
            n = len(fields)
            if n > 1:
                counts[n] = counts.get(n, 0) + 1
        if not counts:
            continue
        width, lines_with = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
        score = (lines_with, width)
        if score > best_score:
            best, best_score = d, score
    return best
