"""No stored file of mail without its row: an ingestion whose transaction rolls back (the database
went away mid-run) removes the files it wrote; a run that commits keeps them, each named by a row."""
from pathlib import Path

import pytest
from django.db import OperationalError

from collection.mail.models import MailAttachment, MailMessage
from collection.mail.services import IngestPaths, MailRun
from tests.mail.practice import message_bytes
from tests.mail.test_ingest import practice_campaign  # noqa: F401

#: The Met's answer (figures attached), a table in a body, a plain acknowledgement.
MESSAGES = ["msg-0046.eml", "msg-0014.eml", "msg-0020.eml", "msg-0030.eml"]


def stored(media: Path) -> set[str]:
    return {str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()} if media.exists() else set()


def named_by_rows() -> set[str]:
    return {m.raw.name for m in MailMessage.objects.all()} | {
        a.file.name for a in MailAttachment.objects.exclude(file="")}


@pytest.fixture
def folder(tmp_path):
    for name in MESSAGES:
        (tmp_path / "in").mkdir(exist_ok=True)
        (tmp_path / "in" / name).write_bytes(message_bytes(name))
    return tmp_path / "in"


@pytest.mark.django_db(transaction=True)
def test_a_failed_ingest_transaction_leaves_no_file(practice_campaign, folder, media_root, monkeypatch):
    # Every message's attachments are kept, whether its rows go in at once or wait for the batch's end.
    keep, calls = MailRun._attachments, []

    def keep_until_the_database_goes(self, *args):
        calls.append(1)
        if len(calls) == len(MESSAGES):
            raise OperationalError("server closed the connection unexpectedly")
        return keep(self, *args)

    monkeypatch.setattr(MailRun, "_attachments", keep_until_the_database_goes)
    with pytest.raises(OperationalError):
        IngestPaths([str(folder)]).execute()
    assert len(calls) == len(MESSAGES)
    assert not MailMessage.objects.exists()
    assert stored(media_root) == set()  # the batch's earlier messages wrote files: all removed


@pytest.mark.django_db(transaction=True)
def test_a_committed_ingest_keeps_every_file_and_each_is_named_by_a_row(practice_campaign, folder, media_root):
    IngestPaths([str(folder)]).execute()
    assert MailMessage.objects.count() == len(MESSAGES) and MailAttachment.objects.exclude(file="").exists()
    assert stored(media_root) - {n for n in stored(media_root) if not n.startswith("mail/")} == named_by_rows()
