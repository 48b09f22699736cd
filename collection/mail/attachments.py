"""Attachments: their names, a size limit checked before anything decodes them, zips opened
within the importer's zip-bomb limits, and the files a person must open by hand flagged.

No Django here: limits come in as values.
"""
from __future__ import annotations

import hashlib
import re
import zipfile
from dataclasses import dataclass, field

from ..importer.errors import ImportRefused
from ..importer.limits import ImportLimits, inspect_zip

DATA_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".tsv", ".txt")
LETTER_EXTENSIONS = (".pdf", ".doc", ".docx", ".odt", ".rtf", ".htm", ".html", ".msg", ".eml")
MAX_ZIP_MEMBERS = 200


@dataclass
class Attachment:
    """One file attached to a message (or found inside an attached zip)."""

    name: str
    content_type: str = "application/octet-stream"
    size: int = 0
    data: bytes | None = None  # None when refused before decoding (too large) or unreadable
    sha256: str = ""
    role: str = "other"  # data, letter, archive, oversize, encrypted, winmail, other
    refused: str = ""  # why it will not be imported, in one line
    flag: str = ""  # kept, but a person must look: encrypted zip, winmail.dat
    inline: bool = False
    children: list["Attachment"] = field(default_factory=list)

    @property
    def extension(self) -> str:
        return ("." + self.name.rsplit(".", 1)[-1].lower()) if "." in self.name else ""

    @property
    def importable(self) -> bool:
        return self.role == "data" and not self.refused and self.data is not None

    def as_dict(self) -> dict:
        out = {"name": self.name, "size": self.size, "sha256": self.sha256, "role": self.role,
               "content_type": self.content_type}
        if self.refused:
            out["refused"] = self.refused
        if self.flag:
            out["flag"] = self.flag
        if self.children:
            out["contains"] = [c.as_dict() for c in self.children]
        return out


def safe_name(name: str, fallback: str = "attachment") -> str:
    """A file name safe to show and to store: no folders, no control characters."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip().strip(".")
    return name[:200] or fallback


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def encoded_size(payload: str, transfer_encoding: str) -> int:
    """The decoded size of a part from its encoded text, without decoding it."""
    cte = (transfer_encoding or "").lower()
    if cte == "base64":
        compact = len(payload) - sum(payload.count(c) for c in "\r\n\t ")
        padding = payload.rstrip().endswith("==") and 2 or payload.rstrip().endswith("=") and 1 or 0
        return max(0, compact * 3 // 4 - padding)
    if cte == "quoted-printable":
        return len(payload) - 2 * payload.count("=")  # an upper-bound estimate within a few %
    return len(payload.encode("utf-8", "surrogateescape"))


def classify_name(name: str, content_type: str, data: bytes | None) -> str:
    lower = name.lower()
    if lower == "winmail.dat" or content_type == "application/ms-tnef":
        return "winmail"
    if lower.endswith(".zip") or content_type in ("application/zip", "application/x-zip-compressed"):
        return "archive"
    if lower.endswith(DATA_EXTENSIONS) and not (data or b"")[:5] == b"%PDF-":
        return "data"
    if lower.endswith(LETTER_EXTENSIONS) or (data or b"")[:5] == b"%PDF-":
        return "letter"
    if content_type in ("text/csv", "application/vnd.ms-excel", "application/vnd.oasis.opendocument.spreadsheet",
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"):
        return "data"
    return "other"


def too_large(name: str, size: int, limits: ImportLimits) -> str:
    if size > limits.max_file_bytes:
        return (f"{name}: {_mb(size)}, larger than the {_mb(limits.max_file_bytes)} size limit; not read "
                "(ask the force for the figures only)")
    return ""


def make_attachment(name: str, content_type: str, data: bytes, limits: ImportLimits, *, depth: int = 0,
                    inline: bool = False) -> Attachment:
    """An attachment whose bytes are in hand (already within the size limit)."""
    name = safe_name(name)
    att = Attachment(name=name, content_type=content_type, size=len(data), data=data,
                     sha256=hashlib.sha256(data).hexdigest(), inline=inline)
    att.role = classify_name(name, content_type, data)
    if att.role == "winmail":
        att.flag = "winmail.dat (Outlook's TNEF wrapper): kept; ask the force to resend the files as ordinary attachments"
    elif att.role == "archive":
        open_zip(att, limits, depth)
    elif att.role == "letter":
        att.refused = "a letter, kept on record; not a table to import"
    elif att.role == "other":
        att.refused = "not a spreadsheet, CSV or letter; kept on record"
    if not data:
        att.refused = f"{name} is empty"
    return att


def open_zip(att: Attachment, limits: ImportLimits, depth: int) -> None:
    """List and extract a zip's files within the importer's zip-bomb limits; never nest deeper."""
    try:
        zf = inspect_zip(att.data or b"", att.name, limits)
    except ImportRefused as refused:
        att.refused = str(refused)
        return
    infos = [i for i in zf.infolist() if not i.is_dir()]
    if any(i.flag_bits & 0x1 for i in infos):
        att.flag = "encrypted zip: kept; ask the force for the password or an unencrypted copy"
        att.role = "encrypted"
        return
    if len(infos) > MAX_ZIP_MEMBERS:
        att.refused = f"{att.name}: {len(infos)} files in the archive, more than {MAX_ZIP_MEMBERS}"
        return
    for info in infos:
        name = safe_name(info.filename)
        if name.startswith("__MACOSX") or "/__MACOSX/" in info.filename or name.startswith("._"):
            continue
        refusal = too_large(name, info.file_size, limits)
        if refusal:
            att.children.append(Attachment(name=name, size=info.file_size, role="oversize", refused=refusal))
            continue
        try:
            data = zf.read(info)
        except (zipfile.BadZipFile, RuntimeError, OSError, EOFError, NotImplementedError) as exc:
            att.children.append(Attachment(name=name, size=info.file_size, role="other",
                                           refused=f"{name} in {att.name} could not be read ({exc})"))
            continue
        if depth >= 1 and classify_name(name, "", data) == "archive":
            att.children.append(Attachment(name=name, size=len(data), data=data,
                                           sha256=hashlib.sha256(data).hexdigest(), role="other",
                                           refused="a zip inside a zip inside a zip is not opened; kept"))
            continue
        att.children.append(make_attachment(name, "", data, limits, depth=depth + 1))
    zf.close()


def importable(attachments: list[Attachment]) -> list[Attachment]:
    """The data files among attachments, zips opened."""
    out = []
    for a in attachments:
        if a.importable:
            out.append(a)
        out.extend(importable(a.children))
    return out
