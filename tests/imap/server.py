"""A real IMAP server (Debian's dovecot-imapd) for the tests.

FOI_TEST_IMAP_URL (set by .ci/run, which starts dovecot with tests/imap/dovecot.sh) names a
running one; otherwise the tests start their own with the same script when dovecot is
installed. Missing: the tests fail in CI (CI=true) and are skipped, saying why, on a laptop.
"""
from __future__ import annotations

import imaplib
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

SCRIPT = Path(__file__).resolve().parent / "dovecot.sh"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 143), timeout=3):
            return True
    except OSError:
        return False


def _missing(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"IMAP server needed in CI: {reason}")
    pytest.skip(f"no IMAP server: {reason} (apt-get install dovecot-imapd)")


@pytest.fixture(scope="session")
def imap_server(tmp_path_factory):
    """The base URL (imap://user:password@host:port) of a real IMAP server."""
    url = os.environ.get("FOI_TEST_IMAP_URL", "")
    if url:
        if not _answers(url):
            _missing(f"FOI_TEST_IMAP_URL={urlsplit(url).hostname}:{urlsplit(url).port} does not answer")
        yield url.rsplit("/", 1)[0] if urlsplit(url).path else url
        return
    if not (Path("/usr/sbin/dovecot").exists() or subprocess.run(["sh", "-c", "command -v dovecot"],
                                                                  capture_output=True).returncode == 0):
        _missing("dovecot is not installed")
    # not under pytest's tmp folder: dovecot's auth process (another user) must reach its files
    folder = Path(tempfile.mkdtemp(prefix="foi-test-dovecot-"))
    folder.chmod(0o755)
    started = subprocess.run(["bash", str(SCRIPT), "start", str(folder), str(_free_port())],
                             capture_output=True, text=True, timeout=60)
    if started.returncode != 0:
        _missing(f"dovecot did not start: {started.stderr.strip()[-300:]}")
    try:
        yield started.stdout.strip().rsplit("/", 1)[0]
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop", str(folder)], capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


class TestMailbox:
    """A fresh folder on the server for one test: messages go in with IMAP APPEND."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.name = "t" + uuid.uuid4().hex[:12]
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.user, self.password = parts.username, parts.password
        with self.connect() as conn:
            typ, data = conn.create(self.name)
            assert typ == "OK", data

    @property
    def url(self) -> str:
        return f"{self.base_url}/{self.name}"

    def connect(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4(self.host, self.port, timeout=30)
        conn.login(self.user, self.password)
        return conn

    def append(self, *messages: bytes) -> None:
        with self.connect() as conn:
            for raw in messages:
                typ, data = conn.append(self.name, None, None, raw)
                assert typ == "OK", data

    def count(self) -> int:
        with self.connect() as conn:
            typ, data = conn.select(self.name, readonly=True)
            return int(data[0])

    def remove(self) -> None:
        with self.connect() as conn:
            conn.delete(self.name)


@pytest.fixture
def imap_mailbox(imap_server):
    box = TestMailbox(imap_server)
    yield box
    box.remove()
