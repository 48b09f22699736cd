"""The practice mailbox through ingest_mail: exactly expected.json's matches, kinds and
outcomes; a second run changes nothing; apply_suggestions gives truth.json's figures."""
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from collection.forces.models import Force
from collection.mail.models import MailMessage, MailSuggestion
from collection.requests.models import FoiRequest, RequestEvent, RequestStatus
from collection.returns.models import OffenceCount, ReturnedFile
from tests.mail.practice import EXPECTED, SLUG, make_practice_campaign, message_bytes, write_mailbox
from tests.helpers import command


@pytest.fixture
def practice_campaign(db, researcher):
    return make_practice_campaign(researcher)


def ingest(*paths):
    return json.loads(command("ingest_mail", *map(str, paths), "--json"))


def state():
    return (sorted(MailMessage.objects.values_list("key", "request_id", "kind", "duplicates")),
            MailSuggestion.objects.count(), ReturnedFile.objects.count(), RequestEvent.objects.count(),
            sorted(FoiRequest.objects.values_list("pk", "status", "outcome")))


def check_against_expected(rows):
    assert len(rows) == 93
    by_file = {row["file"].rsplit("/", 1)[-1]: row for row in rows}
    for name, expected in EXPECTED["messages"].items():
        row = by_file[name]
        assert row["force_id"] == expected["force"], (name, row)
        assert row["campaign"] == (SLUG if expected["force"] else None)
        assert row["matched_by"] == expected["matched_by"], name
        assert row["duplicate"] is (expected["kind"] == "duplicate"), name
        if expected["kind"] != "duplicate":
            assert row["kind"] == expected["kind"], name
        assert row["message_id"] == expected["message_id"]
        assert [a["name"] for a in row["attachments"]] == [a["name"] for a in expected["attachments"]]
        for got, want in zip(row["attachments"], expected["attachments"]):
            if want["role"] == "oversize":
                assert not got["stored"] and "size limit" in got["refused"]
            else:
                assert got["stored"] and got["sha256"] == want["sha256"]
        assert (row["body_table"] is not None) == bool(expected["body_table"]), name


def test_the_practice_mailbox_through_ingest_mail(practice_campaign, tmp_path):
    folder = write_mailbox(tmp_path / "mailbox")
    rows = ingest(folder)
    check_against_expected(rows)
    north_wales = FoiRequest.objects.get(campaign=practice_campaign, force__force_id="north-wales")
    assert north_wales.status == RequestStatus.UNDELIVERED
    assert Force.objects.get(force_id="north-wales").foi_email_failing
    assert "5.1.1" in Force.objects.get(force_id="north-wales").foi_email_problem
    assert not FoiRequest.objects.filter(campaign=practice_campaign).exclude(outcome="").exists()

    before = state()
    again = ingest(folder)
    assert all(row["duplicate"] for row in again)
    assert state()[1:] == before[1:]
    # every message read again is recorded as one more delivery, and nothing else
    assert [row[:3] for row in state()[0]] == [row[:3] for row in before[0]]
    assert sum(row[3] for row in state()[0]) == sum(row[3] for row in before[0]) + 93


def test_a_missing_path_is_one_line_and_writes_nothing(practice_campaign, tmp_path):
    with pytest.raises(CommandError, match="nowhere.eml: no such file or folder"):
        call_command("ingest_mail", str(tmp_path / "nowhere.eml"))
    assert not MailMessage.objects.exists()


def test_apply_suggestions_turns_the_practice_mailbox_into_the_national_figures(practice_campaign, tmp_path):
    from reports.figures import compute_aggregate
    from tests.reports.practice import TRUTH

    ingest(write_mailbox(tmp_path / "mailbox"))
    out = StringIO()
    call_command("apply_suggestions", SLUG, stdout=out)
    text = out.getvalue()
    requests = {r.force.force_id: r for r in practice_campaign.requests.select_related("force")}
    figures = compute_aggregate(practice_campaign).as_dict()
    wrong = {}
    for force_id, want in EXPECTED["forces"].items():
        request = requests[force_id]
        # gloucestershire's reference is in none of its mail: nothing could learn it
        said = {EXPECTED["messages"][m]["force_reference"] for m in want["messages"]}
        want_ref = want["force_reference"] if want["force_reference"] in said else None
        got = (request.outcome or request.status, str(request.answered_on) if request.answered_on else None,
               request.force_reference or None)
        if got != (want["outcome"], want["answered_on"], want_ref):
            wrong[force_id] = (got, (want["outcome"], want["answered_on"], want_ref))
        if want["import_files"] or want["body_import"]:
            if figures["by_force"].get(force_id) != TRUTH["by_force"][force_id]:
                wrong[force_id + " figures"] = (figures["by_force"].get(force_id), TRUTH["by_force"][force_id])
    assert wrong == {}
    assert OffenceCount.objects.filter(campaign=practice_campaign).exists()
    # the oversized file humberside sent first stays for a person; its resend was imported
    assert "1 left for a person" in text
    assert "left for a person: Data provided on 03 May 2016 (FOI 2016-FOI-6608 full extract.xlsx: 25.1 MB, " \
           "larger than the 25.0 MB size limit" in text
    # nothing is accepted twice
    again = StringIO()
    call_command("apply_suggestions", SLUG, stdout=again)
    assert "0 suggestion(s) accepted" in again.getvalue()


def test_mbox_maildir_and_single_files(practice_campaign, tmp_path):
    import mailbox

    names = ["msg-0014.eml", "msg-0046.eml", "msg-0053.eml"]
    box = mailbox.mbox(tmp_path / "export.mbox")
    for name in names:
        box.add(message_bytes(name))
    box.flush()
    maildir = mailbox.Maildir(tmp_path / "Maildir")
    for name in ["msg-0062.eml", "msg-0071.eml"]:
        maildir.add(message_bytes(name))
    single = tmp_path / "one.eml"
    single.write_bytes(message_bytes("msg-0010.eml"))
    rows = ingest(tmp_path / "export.mbox", tmp_path / "Maildir", single)
    assert [r["file"] for r in rows[:3]] == [f"{tmp_path / 'export.mbox'}#{i}" for i in (1, 2, 3)]
    assert [(r["force_id"], r["kind"]) for r in rows] == [
        ("metropolitan", "acknowledgement"), ("metropolitan", "answer"), (None, "unrelated"),
        ("suffolk", "refusal"), ("wiltshire", "extension"), ("north-wales", "bounce")]
    assert rows[1]["attachments"][0]["import_status"] == "pending"
    assert all(not r["duplicate"] for r in rows)


def test_the_beat_schedule_polls_every_five_minutes_and_does_nothing_without_a_mailbox(db, settings):
    from django_celery_beat.models import PeriodicTask

    from collection.mail.tasks import fetch_mail

    task = PeriodicTask.objects.get(name="Fetch forces' mail")
    assert task.task == "collection.fetch_mail" and task.enabled
    assert (task.interval.every, task.interval.period) == (5, "minutes")
    settings.IMAP_URL = ""
    assert fetch_mail.delay().get() == "(none): IMAP_URL is not set: no mailbox to read"
    assert not MailMessage.objects.exists()


def test_a_message_that_breaks_processing_is_kept_and_the_batch_goes_on(practice_campaign, tmp_path, monkeypatch):
    from collection.mail import services

    real = services.act_on

    def breaks_on_refusals(message, parsed, reading, user=None):
        if message.kind == "refusal":
            raise RuntimeError("importer crashed")
        return real(message, parsed, reading, user)

    monkeypatch.setattr(services, "act_on", breaks_on_refusals)
    folder = tmp_path / "box"
    folder.mkdir()
    for name in ["msg-0062.eml", "msg-0014.eml"]:
        (folder / name).write_bytes(message_bytes(name))
    rows = ingest(folder)
    assert [r["kind"] for r in rows] == ["acknowledgement", "unreadable"]
    broken = MailMessage.objects.get(kind="unreadable")
    assert broken.problem == "kept, but could not be processed (RuntimeError: importer crashed)"
    assert broken.raw.read() == message_bytes("msg-0062.eml") and broken.request is None
    assert not MailSuggestion.objects.filter(message=broken).exists()


def test_an_answer_by_mail_is_kept_once_its_returned_file_the_attachments_copy(practice_campaign, tmp_path):
    from collection.mail.models import MailAttachment

    ingest(write_mailbox(tmp_path / "mailbox"))
    from_mail = MailAttachment.objects.exclude(returned_file=None).select_related("returned_file")
    assert from_mail.count() >= 30
    for attachment in from_mail:
        returned = attachment.returned_file
        assert returned.file.name == attachment.file.name and returned.sha256 == attachment.sha256
    stored = [p for p in (tmp_path / "media").rglob("*") if p.is_file() and "/mail/attachments/" in str(p)]
    assert not (tmp_path / "media" / "returns").exists()  # no second copy under returns/
    assert len(stored) == MailAttachment.objects.exclude(file="").values("file").distinct().count()
