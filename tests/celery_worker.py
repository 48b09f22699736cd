"""A real Celery worker for tests marked `services`, exposed through conftest.py.

    @pytest.mark.services
    def test_something(celery_worker, campaign):
        result = some_task.delay(campaign.pk)
        assert result.get(timeout=60) == ...
        assert len(celery_worker.messages()) == 3      # the mail the worker sent

Only when REDIS_URL and DATABASE_URL are set (the second pass of .ci/run): otherwise the test
is skipped. When they are set and the worker cannot start, the test fails with the worker's
log: a broken setup must never pass as a skip. The worker is a subprocess
(`celery -A foi_tracker worker -Q default`, prefork, concurrency 2) pointed at the pytest-django
test database, so the test runs with `transactional_db` (what it writes is committed and the
worker sees it); the flush after it empties every table, so fixtures that need the forces and
groups call `ensure_reference_data()` (conftest.py). Mail goes to files in a temporary directory, read back with
`messages()`. Need other settings in the worker? `celery_worker_factory(EMAIL_URL=...)`.
"""
from __future__ import annotations

import email
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

SKIP_REASON = "needs PostgreSQL and Redis: runs in the second pass of .ci/run"
BASE_DIR = Path(__file__).resolve().parent.parent
START_SECONDS = 60
STOP_SECONDS = 30
# Django's file mail backend ends each message with this line.
MESSAGE_SEPARATOR = b"\n" + b"-" * 79 + b"\n"


def services_configured() -> bool:
    return bool(os.environ.get("REDIS_URL")) and bool(os.environ.get("DATABASE_URL"))


def read_mailbox(directory: Path) -> list[Message]:
    """Every message Django's file backend wrote under `directory`, oldest file first."""
    messages = []
    for path in sorted(Path(directory).glob("*.log")):
        for chunk in path.read_bytes().split(MESSAGE_SEPARATOR):
            if chunk.strip():
                messages.append(email.message_from_bytes(chunk.lstrip(b"\n")))
    return messages


def worker_database_url(database_url: str, test_name: str) -> str:
    """DATABASE_URL with the database swapped for the test database (test_<name>)."""
    parts = urlsplit(database_url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + test_name, parts.query, parts.fragment))


def purge_queues() -> None:
    """Drop messages a previous test left (a retry waiting for its countdown, say)."""
    from foi_tracker.celery import app

    app.control.purge()


@dataclass
class CeleryWorker:
    process: subprocess.Popen
    nodename: str
    mail_dir: Path
    log_path: Path

    def messages(self) -> list[Message]:
        return read_mailbox(self.mail_dir)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_until_ready(self) -> None:
        from foi_tracker.celery import app

        deadline = time.monotonic() + START_SECONDS
        last_error = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the Celery worker exited with code {self.process.returncode} before answering "
                            f"a ping. Its log:\n{self.log()[-5000:]}", pytrace=False)
            try:
                if app.control.ping(destination=[self.nodename], timeout=1.0):
                    return
            except Exception as error:  # noqa: BLE001 - Redis not answering yet: keep trying until the deadline
                last_error = error
            else:
                last_error = None
            time.sleep(0.2)
        self.stop()
        pytest.fail(f"the Celery worker did not answer a ping within {START_SECONDS}s "
                    f"(last error: {last_error!r}). Its log:\n{self.log()[-5000:]}", pytrace=False)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # warm shutdown: running tasks finish, held ones go back
        try:
            self.process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


@pytest.fixture
def services():
    """Skip unless PostgreSQL and Redis are configured; fail if they are but are not PostgreSQL."""
    if not services_configured():
        pytest.skip(SKIP_REASON)
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.fail(f"REDIS_URL is set but DATABASE_URL is {connection.vendor}, not PostgreSQL: a worker "
                    f"process cannot share this test database", pytrace=False)


@pytest.fixture
def celery_worker_factory(services, transactional_db, tmp_path_factory):
    """Start workers with extra environment variables; each is stopped after the test."""
    from django.db import connection

    started: list[CeleryWorker] = []

    def start(**extra_env: str) -> CeleryWorker:
        directory = tmp_path_factory.mktemp("celery-worker")
        mail_dir = directory / "mail"
        mail_dir.mkdir()
        log_path = directory / "worker.log"
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "foi_tracker.settings",
               "DATABASE_URL": worker_database_url(os.environ["DATABASE_URL"], connection.settings_dict["NAME"]),
               "EMAIL_FILE_PATH": str(mail_dir), "PYTHONUNBUFFERED": "1"}
        env.pop("EMAIL_URL", None)
        env.setdefault("FOI_MAILBOX_ADDRESS", "foi@research.example.org")  # as tests/conftest.py
        env.update(extra_env)
        nodename = f"test-{uuid.uuid4().hex[:8]}@%h"
        command = [sys.executable, "-m", "celery", "-A", "foi_tracker", "worker", "-Q", "default",
                   "--pool", "prefork", "--concurrency", "2", "-n", nodename, "--loglevel", "INFO",
                   "--without-gossip", "--without-mingle"]
        if not started:
            try:
                purge_queues()
            except Exception as error:  # noqa: BLE001 - any broker failure: say which URL, loudly
                pytest.fail(f"cannot reach the Celery broker at REDIS_URL={os.environ['REDIS_URL']}: {error}",
                            pytrace=False)
        with open(log_path, "wb") as log:
            try:
                process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
                                           start_new_session=True)
            except OSError as error:
                pytest.fail(f"could not start the Celery worker ({' '.join(command)}): {error}", pytrace=False)
        worker = CeleryWorker(process, nodename.replace("%h", _hostname()), mail_dir, log_path)
        started.append(worker)
        worker.wait_until_ready()
        return worker

    yield start
    for worker in started:
        worker.stop()
    if started:
        purge_queues()


@pytest.fixture
def celery_worker(celery_worker_factory) -> CeleryWorker:
    """One worker on the test database, mail written to `celery_worker.mail_dir`."""
    return celery_worker_factory()


def _hostname() -> str:
    import socket

    return socket.gethostname()
