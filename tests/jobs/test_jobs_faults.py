"""Faults met as an operator meets them, against the real services: a Celery worker killed with
SIGKILL mid-send and mid-preview, and the broker stopped while a person presses Confirm. Work that
was started finishes by itself, nothing is sent twice.

A real beat runs the sweeper, every 5 seconds here rather than every minute, so what is measured is
the lease's part of the recovery (docs/faults.md adds the minute beat may take).
Run by the services pass of .ci/run (DATABASE_URL and REDIS_URL): skipped without them, and failing,
never skipping, when they are set but a worker or a redis-server of the test's own cannot start."""
import os
import shutil
import signal
import socket
import subprocess
import time
from collections import Counter
from contextlib import contextmanager

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from collection.jobs.models import JobLease
from collection.requests.models import RequestStatus
from collection.returns.models import OffenceCount, ReturnedFile, ReturnStatus
from collection.sending.tasks import queue_send

pytestmark = [pytest.mark.services, pytest.mark.slow]
RECOVERY_SECONDS = 120


def big_return(rows: int) -> bytes:
    return ("Crime reference,Offence,Victim age\n" + "".join(
        f"AS/{i},{('19E', '88A', '20B')[i % 3]},{(5, 14, 9)[i % 3]}\n" for i in range(rows))).encode()


def phase(returned_id: int) -> str:
    return (ReturnedFile.objects.values_list("summary", flat=True).get(pk=returned_id) or {}).get("phase", "")


def wait_for(condition, timeout, what):
    """Wait for `condition`; `what` (words, or a function giving them: logs read at the end) if it never comes."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout}s waiting for {what() if callable(what) else what}", pytrace=False)


def kill_9(worker) -> None:
    os.killpg(worker.process.pid, signal.SIGKILL)  # the worker and its pool, as a machine that dies
    worker.process.wait(10)


def test_a_worker_killed_mid_send_and_mid_preview_both_finish_on_a_new_worker_nothing_sent_twice(
        all_forces, smtp, celery_worker_factory, researcher_client, settings, capsys, tmp_path):
    env = {"EMAIL_URL": smtp.url, "MEDIA_ROOT": str(settings.MEDIA_ROOT)}
    smtp.hold(lambda message: True, 2.0)  # a server that takes its time: the send is long enough to cut
    worker = celery_worker_factory(**env)
    assert queue_send(all_forces.pk, None, None) is not None
    wait_for(lambda: len(smtp.messages()) >= 4, 60, "the first requests to be accepted")
    # From here the server holds every new message until the kill: the worker dies with messages in
    # flight, none accepted and unrecorded (a message the server took in the instant before a kill,
    # its commit not yet made, would go twice: SMTP cannot say what it took; docs/faults.md).
    smtp.hold(lambda message: True, 600)
    time.sleep(2.5)  # the messages already held for 2 s are accepted meanwhile
    wait_for(lambda: all_forces.requests.filter(status=RequestStatus.SENT).count() == len(smtp.messages()), 30,
             "every message the server accepted to be recorded as sent")

    request = all_forces.requests.get(force__force_id="avon-and-somerset")
    response = researcher_client.post(reverse("admin:collection_returnedfile_upload", args=[request.pk]), {
        "file": SimpleUploadedFile("avon-crimes.csv", big_return(150_000)), "outcome": "provided",
        "received_on": "2016-03-28"})
    assert response.status_code == 302
    returned = ReturnedFile.objects.get()
    wait_for(lambda: phase(returned.pk).startswith("reading row"), 60, "the preview to be reading rows")
    sent_before = len(smtp.messages())
    assert sent_before < 44, "the send finished before the kill: nothing was cut"
    kill_9(worker)
    killed_at = time.monotonic()
    smtp.release()
    assert JobLease.objects.filter(kind__in=["send", "preview"], running_since__isnull=False).count() == 2

    worker = celery_worker_factory(**env)
    sent = lambda: all_forces.requests.filter(status=RequestStatus.SENT).count() == 44  # noqa: E731
    previewed = lambda: phase(returned.pk) == "previewed"  # noqa: E731
    with beat(os.environ["REDIS_URL"], tmp_path) as beat_log:
        wait_for(lambda: sent() and previewed(), RECOVERY_SECONDS,
                 lambda: f"the send and the preview to finish (beat and the sweeper alone); "
                         f"beat log: {beat_log()[-2000:]}\nworker log: {worker.log()[-2000:]}")
    recovered = time.monotonic() - killed_at

    counts = Counter(m["To"] for m in smtp.messages())
    assert len(counts) == 44 and set(counts.values()) == {1}, [to for to, n in counts.items() if n > 1]
    returned.refresh_from_db()
    assert returned.status == ReturnStatus.PENDING and returned.summary["cells"] > 0
    wait_for(lambda: not JobLease.objects.exists(), 30, "every job to be released")
    with capsys.disabled():
        print(f"\nworker killed mid-send ({sent_before}/44 accepted) and mid-preview: both done "
              f"{recovered:.0f}s after the kill; 44 messages, none twice")


# --- The broker stopped while a person presses Confirm ---------------------------------------------

def free_port() -> int:
    for port in range(6391, 6420):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail("no free port for a redis-server of the test's own in 6391-6419", pytrace=False)


class OwnRedis:
    """A redis-server of this test's own (never the shared one), stopped and started at will."""

    def __init__(self):
        if shutil.which("redis-server") is None:
            pytest.fail("redis-server is not on PATH: the broker-outage test needs one of its own", pytrace=False)
        self.port = free_port()
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(self.port),
                                         "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        pytest.fail(f"redis-server on port {self.port} did not start", pytrace=False)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@contextmanager
def broker_at(url: str):
    """This process's Celery app publishing to `url` (its pools dropped, as after a fork)."""
    from foi_tracker.celery import app

    saved = app.conf.broker_url

    def switch(to):
        app.conf.broker_url = to
        app._after_fork()

    switch(url)
    try:
        yield
    finally:
        switch(saved)


@contextmanager
def beat(redis_url: str, tmp_path, every_seconds: int = 5):
    """A real `celery beat` on the test database running the sweeper (its migration's schedule, flushed
    with every table by a transactional test: made here, every few seconds rather than every minute)."""
    from django.db import connection
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from tests.celery_worker import BASE_DIR, worker_database_url

    interval = IntervalSchedule.objects.create(every=every_seconds, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.update_or_create(name="Queue again jobs whose worker died", defaults={
        "task": "collection.sweep_jobs", "interval": interval, "crontab": None, "enabled": True})
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "foi_tracker.settings", "REDIS_URL": redis_url,
           "DATABASE_URL": worker_database_url(os.environ["DATABASE_URL"], connection.settings_dict["NAME"])}
    log = tmp_path / "beat.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([os.sys.executable, "-m", "celery", "-A", "foi_tracker", "beat", "--loglevel",
                                    "INFO", "-s", str(tmp_path / "beat-schedule")], cwd=BASE_DIR, env=env,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield lambda: log.read_text(errors="replace")
    finally:
        process.terminate()
        process.wait(20)


@pytest.fixture
def own_redis(services):
    redis = OwnRedis()
    redis.start()
    with broker_at(redis.url):
        yield redis
    redis.stop()


def test_the_broker_stopped_when_a_person_presses_confirm_the_import_completes_by_itself_once_it_is_back(
        own_redis, celery_worker_factory, researcher_client, campaign, settings, capsys, tmp_path):
    worker = celery_worker_factory(REDIS_URL=own_redis.url, MEDIA_ROOT=str(settings.MEDIA_ROOT))
    with beat(own_redis.url, tmp_path) as beat_log:
        confirm_through_an_outage(own_redis, worker, beat_log, researcher_client, campaign, capsys)


def confirm_through_an_outage(own_redis, worker, beat_log, researcher_client, campaign, capsys):
    request = campaign.requests.get(force__force_id="avon-and-somerset")
    researcher_client.post(reverse("admin:collection_returnedfile_upload", args=[request.pk]), {
        "file": SimpleUploadedFile("avon-crimes.csv", big_return(300)), "outcome": "provided",
        "received_on": "2016-03-28"})
    returned = ReturnedFile.objects.get()
    wait_for(lambda: phase(returned.pk) == "previewed", 60, lambda: f"the preview; worker log: {worker.log()[-2000:]}")
    returned.refresh_from_db()

    own_redis.stop()
    started = time.monotonic()
    page = researcher_client.post(reverse("admin:collection_returnedfile_confirm", args=[returned.pk]),
                                  {"fingerprint": returned.summary["fingerprint"]}, follow=True)
    answered = time.monotonic() - started
    assert page.status_code == 200 and answered < 3, answered
    assert "The queue is not answering just now" in page.content.decode()
    returned.refresh_from_db()
    assert returned.status == ReturnStatus.QUEUED and JobLease.objects.get(kind="confirm").lease_until is None

    time.sleep(10)  # the outage goes on: beat cannot even queue the sweeper; the job keeps waiting
    assert JobLease.objects.get(kind="confirm").lease_until is None
    own_redis.start()
    back_at = time.monotonic()
    imported = lambda: ReturnedFile.objects.get(pk=returned.pk).status == ReturnStatus.IMPORTED  # noqa: E731
    wait_for(imported, RECOVERY_SECONDS, lambda: f"the import (beat and the sweeper alone); worker log: "
                                                 f"{worker.log()[-2000:]}\nbeat log: {beat_log()[-2000:]}")
    took = time.monotonic() - back_at
    assert OffenceCount.objects.filter(returned_file=returned).count() == 3
    with capsys.disabled():
        print(f"\nbroker down at Confirm: page answered in {answered:.2f}s; imported {took:.0f}s after the "
              "broker came back, queued by beat's sweeper")


# --- Files only with their rows ---------------------------------------------------------------------

#: A command killed with SIGKILL at its first commit: every file it wrote is on disk, no row is.
KILLED_AT_COMMIT = """
import os, signal, sys, django
django.setup()
from django.core.management import call_command
from django.db import connection
connection.commit = lambda: os.kill(os.getpid(), signal.SIGKILL)
call_command(*sys.argv[1:])
"""


def run_killed(settings, *args) -> int:
    from django.db import connection

    from tests.celery_worker import BASE_DIR, worker_database_url

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "foi_tracker.settings", "MEDIA_ROOT": str(settings.MEDIA_ROOT),
           "DATABASE_URL": worker_database_url(os.environ["DATABASE_URL"], connection.settings_dict["NAME"])}
    process = subprocess.run([os.sys.executable, "-c", KILLED_AT_COMMIT, *args], cwd=BASE_DIR, env=env,
                             capture_output=True, text=True, timeout=120)
    return process.returncode


def unnamed_files(root) -> list[str]:
    from collection.jobs.media import named_files

    named = named_files()
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()
                  and p.relative_to(root).as_posix() not in named)


def test_a_killed_import_and_a_killed_mail_ingest_leave_no_file_without_a_row_after_cleanup_media(
        services, transactional_db, campaign, settings):
    from tests.helpers import TEST_DATA, command

    root = settings.MEDIA_ROOT
    assert run_killed(settings, "import_return", campaign.slug, "kent",
                      str(TEST_DATA / "returns" / "kent.xlsx")) == -signal.SIGKILL
    assert run_killed(settings, "ingest_mail", str(TEST_DATA / "inbox" / "mailbox" / "msg-0046.eml")) == -signal.SIGKILL
    orphans = unnamed_files(root)
    assert any(name.startswith("returns/") for name in orphans) and any(not name.startswith("returns/")
                                                                        for name in orphans), orphans
    assert not ReturnedFile.objects.exists()

    assert "removed 0 files" in command("cleanup_media")  # younger than a day: maybe a run in progress
    old = time.time() - 2 * 86400
    for name in orphans:
        os.utime(root / name, (old, old))
    out = command("cleanup_media")
    assert all(f"removed {name}" in out for name in orphans)
    assert unnamed_files(root) == []
