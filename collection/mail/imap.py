"""Reading a mailbox over IMAP with the standard library's imaplib. Never deletes, never
changes a flag (BODY.PEEK): the team's mailbox stays as it is; what has been read is
remembered by the caller as UIDVALIDITY + the last UID."""
from __future__ import annotations

import imaplib
import ipaddress
import re
import socket
import ssl
from dataclasses import dataclass
from typing import Iterator
from urllib.parse import unquote, urlsplit

FETCH_BATCH = 50
TIMEOUT_SECONDS = 60


class ImapError(Exception):
    """The server cannot be reached or refuses us: one line, with no password in it."""


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int
    user: str
    password: str
    mailbox: str = "INBOX"
    use_ssl: bool = True
    starttls: bool = False

    @property
    def label(self) -> str:
        """The mailbox's name for people and for the position record: no password."""
        return f"{self.user}@{self.host}:{self.port}/{self.mailbox}"


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


SCHEMES = ("imaps", "imap+starttls", "imap")


def parse_imap_url(url: str) -> ImapConfig:
    """imaps://user:password@host:993/INBOX, imap+starttls://user:password@host:143/INBOX (plain
    IMAP upgraded to TLS before the login), or imap:// for a server on this machine only: over
    plain IMAP the password crosses the network in clear."""
    parts = urlsplit(url or "")
    if parts.scheme not in SCHEMES:
        raise ImapError(f"IMAP_URL must start with imaps://, imap+starttls:// or (on this machine) imap://, "
                        f"not {parts.scheme or 'nothing'}://")
    if not parts.hostname or not parts.username:
        raise ImapError("IMAP_URL needs a user and a host: imaps://user:password@host:993/INBOX")
    if parts.scheme == "imap" and not is_loopback(parts.hostname):
        raise ImapError(f"IMAP_URL: imap:// to {parts.hostname} would send the password in clear; use imaps:// "
                        "(port 993) or imap+starttls:// (port 143); imap:// is for a server on this machine only")
    use_ssl = parts.scheme == "imaps"
    try:
        port = parts.port or (993 if use_ssl else 143)
    except ValueError:
        raise ImapError("IMAP_URL has a port that is not a number") from None
    return ImapConfig(host=parts.hostname, port=port, user=unquote(parts.username),
                      password=unquote(parts.password or ""), mailbox=unquote(parts.path.lstrip("/")) or "INBOX",
                      use_ssl=use_ssl, starttls=parts.scheme == "imap+starttls")


def _quote(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ImapMailbox:
    """One connection to one mailbox: `with ImapMailbox(config) as box: box.uidvalidity, box.fetch_after(uid)`."""

    def __init__(self, config: ImapConfig):
        self.config = config
        self.conn: imaplib.IMAP4 | None = None
        self.uidvalidity: int | None = None

    def __enter__(self) -> "ImapMailbox":
        c = self.config
        try:
            if c.use_ssl:
                self.conn = imaplib.IMAP4_SSL(c.host, c.port, ssl_context=ssl.create_default_context(),
                                              timeout=TIMEOUT_SECONDS)
            else:
                self.conn = imaplib.IMAP4(c.host, c.port, timeout=TIMEOUT_SECONDS)
                if c.starttls:
                    self.conn.starttls(ssl_context=ssl.create_default_context())
        except (OSError, socket.timeout, imaplib.IMAP4.error) as exc:
            raise ImapError(f"cannot reach the IMAP server {c.host}:{c.port} ({exc})") from None
        try:
            self.conn.login(c.user, c.password)
        except imaplib.IMAP4.error as exc:
            self.close()
            raise ImapError(f"the IMAP server {c.host} refused the login for {c.user} "
                            f"({_text(exc.args[0] if exc.args else exc)}): check the user and password in IMAP_URL") from None
        try:
            typ, data = self.conn.select(_quote(c.mailbox), readonly=True)
        except imaplib.IMAP4.error as exc:
            self.close()
            raise ImapError(f"cannot open mailbox {c.mailbox} on {c.host} ({_text(exc)})") from None
        if typ != "OK":
            self.close()
            raise ImapError(f"cannot open mailbox {c.mailbox} on {c.host} ({_text(data)})")
        self.uidvalidity = self._uidvalidity()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.logout()
            except (OSError, imaplib.IMAP4.error):
                pass
            self.conn = None

    def _uidvalidity(self) -> int:
        typ, data = self.conn.response("UIDVALIDITY")
        if data and data[0]:
            return int(data[0])
        typ, data = self.conn.status(_quote(self.config.mailbox), "(UIDVALIDITY)")
        m = re.search(rb"UIDVALIDITY (\d+)", data[0] or b"")
        if not m:
            raise ImapError(f"the server gave no UIDVALIDITY for {self.config.mailbox}")
        return int(m.group(1))

    def uids_after(self, last_uid: int) -> list[int]:
        try:
            typ, data = self.conn.uid("SEARCH", None, f"UID {last_uid + 1}:*")
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ImapError(f"searching {self.config.mailbox} failed ({exc})") from None
        # "n:*" always includes the last message, even when its UID is below n
        return sorted(u for u in (int(x) for x in (data[0] or b"").split()) if u > last_uid)

    def fetch(self, uids: list[int]) -> Iterator[tuple[int, bytes]]:
        """Each message's bytes, in UID order, a batch at a time."""
        for i in range(0, len(uids), FETCH_BATCH):
            batch = uids[i:i + FETCH_BATCH]
            try:
                typ, data = self.conn.uid("FETCH", ",".join(map(str, batch)), "(UID BODY.PEEK[])")
            except (OSError, imaplib.IMAP4.error) as exc:
                raise ImapError(f"fetching messages from {self.config.mailbox} failed ({exc})") from None
            got = {}
            for item in data:
                if isinstance(item, tuple):
                    m = re.search(rb"UID (\d+)", item[0])
                    if m:
                        got[int(m.group(1))] = item[1]
            for uid in batch:
                if uid in got:
                    yield uid, got[uid]

    def append(self, raw: bytes) -> None:
        """Put a message in the mailbox (tests and the practice set-up)."""
        typ, data = self.conn.append(_quote(self.config.mailbox), None, None, raw)
        if typ != "OK":
            raise ImapError(f"APPEND refused: {_text(data)}")


def _text(value) -> str:
    if isinstance(value, (list, tuple)):
        value = b" ".join(v for v in value if isinstance(v, bytes))
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value)[:200]
