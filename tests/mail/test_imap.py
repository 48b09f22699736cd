"""The poller against a real IMAP server (dovecot): the practice mailbox put there with APPEND
gives expected.json's matches; reading again, or two pollers at once (two processes), changes
nothing; a wrong password or a server that is down is one clear line, and nothing is lost."""
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from collection.mail.services import FetchMail, mail_status_line
from collection.mail.models import MailboxPosition, MailMessage, MailSuggestion
from collection.returns.models import ReturnedFile
from tests.imap.server import imap_mailbox, imap_server  # noqa: F401
from tests.mail.practice import EXPECTED, message_bytes, message_names
from tests.mail.test_ingest import practice_campaign  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_practice_mailbox_over_imap(practice_campaign, imap_mailbox, settings):
    imap_mailbox.append(*(message_bytes(n) for n in message_names()))
    settings.IMAP_URL = imap_mailbox.url
    out = StringIO()
    call_command("fetch_mail", "--once", stdout=out)
    assert "93 new message(s), 92 stored, 1 already held" in out.getvalue()
    by_id = {m.message_id: m for m in MailMessage.objects.select_related("request__force")}
    for name, expected in EXPECTED["messages"].items():
        message = by_id[expected["message_id"]]
        assert (message.request.force.force_id if message.request else None) == expected["force"], name
        assert (message.matched_by or None) == expected["matched_by"], name
        if expected["kind"] != "duplicate":
            assert message.kind == expected["kind"], name
    assert by_id[EXPECTED["messages"]["msg-0075.eml"]["message_id"]].duplicates == 1
    assert imap_mailbox.count() == 93  # never deletes
    position = MailboxPosition.objects.get()
    assert position.last_uid == 93 and position.uidvalidity and not position.last_error
    assert "last poll" in mail_status_line()

    before = (MailMessage.objects.count(), MailSuggestion.objects.count(), ReturnedFile.objects.count())
    call_command("fetch_mail", "--once", stdout=StringIO())
    assert (MailMessage.objects.count(), MailSuggestion.objects.count(), ReturnedFile.objects.count()) == before
    assert sum(MailMessage.objects.values_list("duplicates", flat=True)) == 1

    imap_mailbox.append(message_bytes("msg-0093.eml"))  # delivered again later: a duplicate, nothing else
    assert FetchMail(imap_mailbox.url).execute().line().endswith("1 new message(s), 0 stored, 1 already held")


@pytest.mark.slow
def test_a_wrong_password_or_a_server_down_is_one_line_and_retried(practice_campaign, imap_mailbox, settings):
    wrong = imap_mailbox.url.replace(":" + imap_mailbox.password + "@", ":not-the-password@")
    result = FetchMail(wrong).execute()
    assert "refused the login for foi" in result.error and "not-the-password" not in result.error
    settings.IMAP_URL = wrong
    assert "failed: the IMAP server" in mail_status_line()
    with pytest.raises(Exception, match="refused the login"):
        call_command("fetch_mail", "--once", stdout=StringIO())
    down = FetchMail("imap://foi:x@127.0.0.1:9/INBOX").execute()
    assert down.error.startswith("cannot reach the IMAP server 127.0.0.1:9")
    imap_mailbox.append(message_bytes("msg-0014.eml"))
    assert FetchMail(imap_mailbox.url).execute().stored == 1  # the next good poll reads it


POLLER = """
import sys, django
django.setup()
from collection.mail.services import FetchMail
print(FetchMail(sys.argv[1]).execute().line(), flush=True)
"""


@pytest.mark.django_db(transaction=True)
def test_two_pollers_at_once_read_each_message_once(practice_campaign, imap_mailbox, settings):
    if connection.vendor != "postgresql":
        if os.environ.get("CI") == "true" and os.environ.get("DATABASE_URL", "").startswith("postgres"):
            pytest.fail("DATABASE_URL is PostgreSQL but the tests are not using it")
        pytest.skip("two processes need one database both can open: runs in the PostgreSQL pass (DATABASE_URL)")
    from tests.celery_worker import worker_database_url

    imap_mailbox.append(*(message_bytes(n) for n in message_names() if n != "msg-0080.eml"))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "foi_tracker.settings",
           "MEDIA_ROOT": str(settings.MEDIA_ROOT),
           "DATABASE_URL": worker_database_url(os.environ["DATABASE_URL"], connection.settings_dict["NAME"])}
    procs = [subprocess.Popen([sys.executable, "-c", POLLER, imap_mailbox.url], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    lines = sorted(out.strip() for out, _ in outputs)
    # one poller read the mailbox; the other found it leased, or (started later) nothing new
    stored = sum(int(line.split(", ")[1].split()[0]) for line in lines if "stored" in line)
    assert stored == 91, lines
    assert MailMessage.objects.count() == 91
    assert sum(MailMessage.objects.values_list("duplicates", flat=True)) == 1  # msg-0076 only


def test_a_new_uidvalidity_reads_the_mailbox_again_and_changes_nothing_held(practice_campaign, imap_mailbox):
    imap_mailbox.append(message_bytes("msg-0014.eml"), message_bytes("msg-0046.eml"))
    assert FetchMail(imap_mailbox.url).execute().stored == 2
    first = MailboxPosition.objects.get().uidvalidity
    imap_mailbox.remove()  # the server renumbers: a folder made again gets a new UIDVALIDITY
    with imap_mailbox.connect() as conn:
        conn.create(imap_mailbox.name)
    imap_mailbox.append(message_bytes("msg-0014.eml"), message_bytes("msg-0046.eml"), message_bytes("msg-0062.eml"))
    result = FetchMail(imap_mailbox.url).execute()
    assert (result.read, result.stored, result.duplicates) == (3, 1, 2)
    position = MailboxPosition.objects.get()
    assert position.uidvalidity != first and position.last_uid == 3
    assert MailMessage.objects.count() == 3
