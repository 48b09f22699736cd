"""Sending against the real services: PostgreSQL, a real SMTP server, separate processes and a
Celery worker. Each e-mail goes once however many processes start it, a slow mail server never
lets a second run send it again, and a run that died mid-send is finished by the task's retry
after the lease, not given up inside it.

Skipped in the embedded pass; run by the second pass of .ci/run (DATABASE_URL and REDIS_URL).
"""
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from django.db import connection

from collection.forces.models import Force
from collection.reminders.models import ReminderLog, ReminderStatus
from collection.requests.models import EventKind, FoiRequest, RequestStatus
from collection.reminders.rules import DIGEST
from collection.reminders.tasks import send_reminders
from collection.sending.services import SendCampaign
from collection.sending.tasks import send_campaign
from collection.requests.services import CreateCampaign
from tests.celery_worker import worker_database_url
from tests.conftest import TEST_MAILBOX
from tests.helpers import ROOT, closed_port

pytestmark = pytest.mark.services
BASE_DIR = ROOT
D = __import__("datetime").date.fromisoformat


@pytest.fixture
def small(services, transactional_db, researcher):
    """Three forces, sent 1 March 2016, due 1 April: three chasers and a digest on 4 April."""
    forces = list(Force.objects.filter(force_id__in=["essex", "kent", "surrey"]))
    for force in forces:
        force.foi_email = f"foi@{force.force_id}.police.example"
        force.save(update_fields=["foi_email"])
    return CreateCampaign(slug="small", title="Small campaign", question="How many?", period_start=D("2015-04-01"),
                          period_end=D("2016-03-31"), owner=researcher, forces=forces,
                          sent_on=D("2016-03-01")).execute()


def start_command(*args, at=0.0, **env):
    """A management command in a process of its own, on the test database, starting at `at`."""
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "foi_tracker.settings", "PYTHONUNBUFFERED": "1",
                   "DATABASE_URL": worker_database_url(os.environ["DATABASE_URL"], connection.settings_dict["NAME"]),
                   "FOI_MAILBOX_ADDRESS": TEST_MAILBOX, **env}
    return subprocess.Popen([sys.executable, str(BASE_DIR / "tests" / "run_at.py"), str(at), *args], cwd=BASE_DIR,
                            env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process, timeout=120):
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def wait_for(condition, timeout=60, what="the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}", pytrace=False)


def once(predicate):
    """True for the first message that matches, then never again."""
    seen = []

    def check(message):
        if not seen and predicate(message):
            seen.append(message)
            return True
        return False
    return check


def assert_each_request_sent_once(campaign, messages):
    counts = Counter(m["To"] for m in messages)
    assert [to for to, n in counts.items() if n > 1] == []
    assert len(messages) == campaign.requests.count()
    by_address = {m["To"]: m for m in messages}
    for request in campaign.requests.select_related("force"):
        assert request.status == RequestStatus.SENT and request.send_claimed_at is None
        assert request.events.filter(kind=EventKind.SENT).count() == 1
        message = by_address[request.force.foi_email]
        assert message["Message-ID"] == request.sent_message_id  # the id the inbox will match replies by
        assert request.our_reference in message["Subject"]


# --- Two processes at once --------------------------------------------------------------------

def test_two_send_campaign_commands_started_together_send_each_request_once(all_forces, smtp):
    smtp.hold(lambda message: True, 0.03)  # a server that takes its time: the two runs overlap throughout
    at = time.time() + 4
    first, second = start_command("send_campaign", all_forces.slug, at=at, EMAIL_URL=smtp.url), \
        start_command("send_campaign", all_forces.slug, at=at, EMAIL_URL=smtp.url)
    results = [finish(first), finish(second)]
    assert [code for code, _, _ in results] == [0, 0], results
    assert_each_request_sent_once(all_forces, smtp.messages())
    sent_lines = [line for _, out, _ in results for line in out.splitlines() if line.startswith("  sent to ")]
    assert len(sent_lines) == 44  # split between the two, however the race went


def test_a_mail_server_slower_than_the_lease_never_lets_a_second_run_send_a_chaser_again(small, smtp, tmp_path):
    smtp.hold(once(lambda m: "FOI-SMALL-ESSEX" in m["Subject"]), 8)  # the first chaser takes 8 s
    # Slow, not hung: within EMAIL_TIMEOUT (set past the 8 s here), far past the lease.
    lease = {"FOI_REMINDER_LEASE_SECONDS": "2", "EMAIL_URL": smtp.url, "EMAIL_TIMEOUT": "30"}
    go = tmp_path / "go"
    args = ("send_reminders", "--today", "2016-04-04", "--campaign", "small")
    first = start_command(*args, **lease)
    second = start_command(*args, at=f"after:{go}", **lease)  # set up and waiting
    wait_for(smtp.state.received.is_set, what="the first chaser to reach the server")
    time.sleep(3)  # past the lease: a run that died would be taken over now, a live one must not be
    go.touch()
    results = [finish(first), finish(second)]
    assert [code for code, _, _ in results] == [0, 0], results
    subjects = Counter(m["Subject"] for m in smtp.messages())
    assert len(subjects) == 4 and set(subjects.values()) == {1}, subjects
    assert "1 being sent by another run" in results[1][1]
    assert set(ReminderLog.objects.values_list("status", "attempts")) == {(ReminderStatus.SENT, 1)}


# --- A real worker ----------------------------------------------------------------------------

def test_two_send_tasks_at_once_on_a_real_worker_send_each_request_once(all_forces, celery_worker_factory):
    # A task that finds requests being sent by the other retries after the lease (they may be a dead
    # run's): a short lease keeps that retry, and so this test, quick.
    worker = celery_worker_factory(FOI_REMINDER_LEASE_SECONDS="3")
    first = send_campaign.delay(all_forces.pk)
    second = send_campaign.delay(all_forces.pk)
    results = [first.get(timeout=180), second.get(timeout=180)]
    # Each task's last attempt accounts for every request: sent by it, or already sent (by the other).
    assert all(len(r["sent"]) + len(r["already_sent"]) == 44 for r in results)
    assert all(r["failed"] == [] and r["being_sent"] == [] for r in results)
    assert_each_request_sent_once(all_forces, worker.messages())


def test_with_the_mail_server_down_the_task_retries_and_nothing_is_recorded_as_sent(all_forces,
                                                                                     celery_worker_factory, settings):
    celery_worker_factory(EMAIL_URL=f"smtp://127.0.0.1:{closed_port()}")
    result = send_campaign.delay(all_forces.pk)
    wait_for(lambda: result.state == "RETRY", timeout=120, what="the task to ask for a retry")
    requests = all_forces.requests.all()
    assert all(r.status == RequestStatus.DRAFT and r.sent_at is None and "ConnectionRefusedError" in r.send_error
               for r in requests)
    assert not FoiRequest.objects.filter(events__kind=EventKind.SENT).exists()

    # The server is back: the next run (here in-process; the retry does the same) sends them all, once.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from django.core import mail

    summary = SendCampaign(all_forces).execute()
    assert len(summary.sent) == 44 and len(mail.outbox) == 44
    assert all_forces.requests.filter(status=RequestStatus.SENT, send_error="").count() == 44


def test_a_digest_whose_run_died_mid_send_is_sent_by_the_retry_after_the_lease(small, smtp, celery_worker_factory):
    lease = {"FOI_REMINDER_LEASE_SECONDS": "4", "EMAIL_URL": smtp.url}
    celery_worker_factory(**lease)  # up and waiting before the run dies, as it would be
    smtp.hold(lambda m: m["Subject"].startswith("FOI digest"), 120)
    dying = start_command("send_reminders", "--today", "2016-04-04", "--campaign", "small", **lease)
    wait_for(lambda: len(smtp.messages()) == 3 and ReminderLog.objects.filter(
        kind=DIGEST, status=ReminderStatus.PENDING).exists() and smtp.state.received.is_set(),
        what="the run to reach the digest")
    time.sleep(0.5)  # the digest is on the wire, unanswered
    dying.send_signal(signal.SIGKILL)
    dying.wait(10)
    smtp.release()
    assert ReminderLog.objects.get(kind=DIGEST).status == ReminderStatus.PENDING  # its claim, left behind

    # The automatic retry arrives at once, inside the dead run's lease ...
    result = send_reminders.delay(today="2016-04-04", campaign_id=small.pk)
    final = result.get(timeout=120)  # ... and comes back after the lease: the digest goes
    digest = ReminderLog.objects.get(kind=DIGEST)
    assert digest.status == ReminderStatus.SENT and digest.attempts == 2
    assert any("Daily digest" in line for line in final["sent"])
    subjects = Counter(m["Subject"] for m in smtp.messages())
    assert len(subjects) == 4 and set(subjects.values()) == {1}, subjects
