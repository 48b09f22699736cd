"""What was dropped on a campaign, as the files to match and read: pure (no Django here).

A zip is opened within the importer's limits (collection/importer/limits.py: declared sizes and
compression ratios checked from the central directory before anything is inflated, and each
member read no further than the largest file accepted), so a zip bomb costs nothing. A saved
e-mail (.eml) gives its attachments, each with the message's sender (a force's address names
the force). A spreadsheet is a zip too (xlsx, ods) and a Word letter (docx): those are files,
not bundles.
"""
from __future__ import annotations

import email
import email.policy
import io
import posixpath
import zipfile
from dataclasses import dataclass
from typing import Iterator

from ..importer import ImportLimits, ImportRefused
from ..importer.limits import inspect_zip

#: Zip members that are an operating system's litter, not something a force sent.
_LITTER = ("__MACOSX/", ".DS_Store", "Thumbs.db", "desktop.ini")
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
DEFAULT_MAX_FILES = 200


@dataclass
class Incoming:
    """One file to match and read. `problem`: why it cannot even be received (too big in a zip)."""

    name: str
    data: bytes
    sender: str = ""
    came_in: str = ""  # the zip or e-mail it came out of
    problem: str = ""


def is_archive(data: bytes) -> bool:
    """A zip that is a bundle of files, not a zipped document (xlsx, ods, docx)."""
    if data[:4] not in _ZIP_MAGIC:
        return False
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return False  # a damaged zip: the importer will say so, naming the file
    documents = {"xl/workbook.xml", "xl/workbook.bin", "content.xml", "word/document.xml", "mimetype"}
    return not names & documents


def is_message(data: bytes, filename: str) -> bool:
    return filename.lower().endswith(".eml")


def expand(name: str, data: bytes, limits: ImportLimits, *, sender: str = "", max_files: int = DEFAULT_MAX_FILES,
           depth: int = 0) -> Iterator[Incoming]:
    """The files in what was dropped: itself, the members of a zip, or the attachments of an e-mail.
    Raises ImportRefused for a bundle that cannot be opened safely (a bomb, too many files)."""
    if is_archive(data):
        yield from _zip_members(name, data, limits, sender, max_files, depth)
    elif is_message(data, name):
        yield from _attachments(name, data, limits, max_files, depth)
    else:
        yield Incoming(name, data, sender)


def _zip_members(name: str, data: bytes, limits: ImportLimits, sender: str, max_files: int,
                 depth: int) -> Iterator[Incoming]:
    zf = inspect_zip(data, name, limits)  # refuses bombs and damaged archives before inflating
    members = [i for i in zf.infolist() if not i.is_dir() and not any(m in i.filename for m in _LITTER)
               and not posixpath.basename(i.filename).startswith(".")]
    if len(members) > max_files:
        raise ImportRefused(f"the zip holds {len(members):,} files, more than the {max_files:,} read at once; "
                            "split it", filename=name)
    for info in members:
        member = posixpath.basename(info.filename.replace("\\", "/"))
        if info.file_size > limits.max_file_bytes:
            yield Incoming(member, b"", sender, name, problem=f"{info.file_size:,} bytes, over the limit of "
                                                             f"{limits.max_file_bytes:,}")
            continue
        try:
            with zf.open(info) as fh:
                content = fh.read(limits.max_file_bytes + 1)  # never more than a file may be, whatever it claims
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as error:
            yield Incoming(member, b"", sender, name, problem=f"could not be taken out of the zip ({error})")
            continue
        if len(content) > limits.max_file_bytes:
            yield Incoming(member, b"", sender, name, problem="inflates beyond the size its zip declares; refused")
            continue
        if depth == 0 and (is_archive(content) or is_message(content, member)):
            for inner in expand(member, content, limits, sender=sender, max_files=max_files, depth=depth + 1):
                inner.came_in = inner.came_in or name
                yield inner
            continue
        if is_archive(content) or is_message(content, member):
            yield Incoming(member, b"", sender, name, problem="a bundle inside a bundle inside a zip: unpack it first")
            continue
        yield Incoming(member, content, sender, name)


def _attachments(name: str, data: bytes, limits: ImportLimits, max_files: int, depth: int) -> Iterator[Incoming]:
    message = email.message_from_bytes(data, policy=email.policy.default)
    sender = str(message.get("From", "") or "")
    found = 0
    for part in message.iter_attachments():
        filename = part.get_filename()
        if not filename:
            continue
        found += 1
        if found > max_files:
            raise ImportRefused(f"the message has more than {max_files:,} attachments", filename=name)
        content = part.get_payload(decode=True) or b""
        if len(content) > limits.max_file_bytes:
            yield Incoming(filename, b"", sender, name, problem=f"{len(content):,} bytes, over the limit of "
                                                               f"{limits.max_file_bytes:,}")
            continue
        if depth == 0 and is_archive(content):
            yield from _zip_members(filename, content, limits, sender, max_files, depth + 1)
            continue
        yield Incoming(filename, content, sender, name)
    if not found:
        # A table pasted into the body is the answer itself.
        body = message.get_body(preferencelist=("html",))
        html = body.get_content() if body is not None else ""
        if "<table" in html.lower():
            subject = " ".join(str(message.get("Subject", "") or "message").split())[:80]
            yield Incoming(f"{subject}.html", html.encode("utf-8"), sender, name)
