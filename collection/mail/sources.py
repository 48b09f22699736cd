"""Where files of mail come from: .eml files, folders of them, mbox files, Maildir folders and
Outlook .msg files. Each yields (a name to report, the message's bytes); a file that cannot be
read as mail is still yielded, raw, so it is stored and listed as unreadable, never lost."""
from __future__ import annotations

import mailbox
from pathlib import Path
from typing import Iterator


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class SourceError(Exception):
    """A path that holds no mail at all: one line naming it."""


def msg_to_bytes(data: bytes, name: str = "message.msg") -> bytes:
    """An Outlook .msg as RFC 5322 bytes (with extract-msg); the raw bytes if it cannot be read."""
    import extract_msg

    if not data.startswith(OLE_MAGIC):
        return data  # not an Outlook file at all: stored raw, listed as unreadable
    try:
        with extract_msg.openMsg(data) as msg:
            return msg.asEmailMessage().as_bytes()
    except Exception:  # not an OLE file, or one extract-msg cannot follow: keep it raw
        return data


def _is_mbox(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(5) == b"From "


def _is_maildir(path: Path) -> bool:
    return all((path / sub).is_dir() for sub in ("cur", "new", "tmp"))


def messages_at(path: str) -> Iterator[tuple[str, bytes]]:
    p = Path(path)
    if not p.exists():
        raise SourceError(f"{path}: no such file or folder")
    if p.is_dir():
        if _is_maildir(p):
            box = mailbox.Maildir(p, factory=None, create=False)
            for key in sorted(box.keys()):
                sub = "new" if (p / "new" / key).exists() else "cur"
                found = next((f for f in (p / sub).iterdir() if f.name.split(":")[0] == key), None)
                yield str(found or p / key), box.get_bytes(key)
            return
        for child in sorted(p.iterdir()):
            if child.name.startswith("."):
                continue
            if child.is_dir() or child.suffix.lower() in (".eml", ".msg", ".mbox", ".mbx") or _is_mbox(child):
                yield from messages_at(str(child))
        return
    if p.suffix.lower() == ".msg":
        yield str(p), msg_to_bytes(p.read_bytes(), p.name)
        return
    if _is_mbox(p) and p.suffix.lower() != ".eml":
        box = mailbox.mbox(p, factory=None, create=False)
        for i, key in enumerate(box.keys(), 1):
            yield f"{p}#{i}", box.get_bytes(key)
        return
    yield str(p), p.read_bytes()


def upload_to_bytes(name: str, data: bytes) -> bytes:
    return msg_to_bytes(data, name) if name.lower().endswith(".msg") else data
