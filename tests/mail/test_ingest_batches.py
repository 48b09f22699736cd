"""A batch of mail is stored together: its messages' rows go in a table at a time before it
commits. When they cannot go in together, each message is stored alone as it always was; when
the batch rolls back, its files go with it."""
from pathlib import Path

import pytest
from django.conf import settings

from collection.mail import services, sources
from collection.mail.models import MailAttachment, MailMessage, MailSuggestion
from collection.mail.parse import parse_message
from collection.requests.models import FoiRequest
from collection.returns.models import ReturnedFile, ReturnSource
from collection.returns.services import ReceiveReturn
from tests.mail.practice import message_bytes
from tests.mail.test_ingest import practice_campaign  # noqa: F401

ANSWERS = ["msg-0046.eml", "msg-0047.eml", "msg-0049.eml", "msg-0050.eml"]  # each with a data file


def mailbox(tmp_path: Path, names: list[str]) -> Path:
    folder = tmp_path / "box"
    folder.mkdir()
    for name in names:
        (folder / name).write_bytes(message_bytes(name))
    return folder


def files_in_storage() -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def files_with_rows() -> set[str]:
    return (set(MailMessage.objects.values_list("raw", flat=True))
            | set(MailAttachment.objects.exclude(file="").values_list("file", flat=True))
            | set(ReturnedFile.objects.values_list("file", flat=True)))


def test_a_file_already_kept_for_its_request_makes_each_message_go_in_alone(practice_campaign, tmp_path,
                                                                            researcher, caplog):
    metropolitan = FoiRequest.objects.get(campaign=practice_campaign, force__force_id="metropolitan")
    attachment = parse_message(message_bytes("msg-0046.eml")).attachments[0]
    uploaded = ReceiveReturn(metropolitan, attachment.data, attachment.name, researcher,
                             ReturnSource.UPLOAD).execute().returned

    results = services.IngestPaths([str(mailbox(tmp_path, ANSWERS))]).execute()

    assert "storing each message alone" in caplog.text  # the batch's insert failed on that file
    assert [r.message.kind for r in results] == ["answer"] * 4
    assert all(r.message.pk and r.created and not r.duplicate for r in results)
    assert MailMessage.objects.count() == 4 and MailSuggestion.objects.count() == 4
    from_mail = MailAttachment.objects.get(message__request=metropolitan, role="data")
    assert from_mail.returned_file == uploaded  # the copy kept before, not a second one
    assert metropolitan.returned_files.count() == 1
    assert ReturnedFile.objects.filter(source=ReturnSource.MAIL).count() == 3
    assert files_in_storage() == files_with_rows()


def test_a_batch_that_rolls_back_takes_its_files_with_it(practice_campaign, tmp_path, monkeypatch):
    real = sources.messages_at

    def breaks_after_three(path):
        for n, item in enumerate(real(path)):
            if n == 3:
                raise OSError("the disk went away")
            yield item

    monkeypatch.setattr(sources, "messages_at", breaks_after_three)
    with pytest.raises(OSError):
        services.IngestPaths([str(mailbox(tmp_path, ANSWERS))]).execute()
    assert not MailMessage.objects.exists() and not ReturnedFile.objects.exists()
    assert files_in_storage() == set()


def test_a_message_sent_twice_in_one_batch_is_one_message_and_a_duplicate(practice_campaign, tmp_path):
    folder = mailbox(tmp_path, ANSWERS[:2])
    (folder / "zz-again.eml").write_bytes(message_bytes(ANSWERS[0]))

    results = services.IngestPaths([str(folder)]).execute()

    assert [r.duplicate for r in results] == [False, False, True]
    assert results[2].message.pk == results[0].message.pk
    assert MailMessage.objects.get(pk=results[0].message.pk).duplicates == 1
    assert files_in_storage() == files_with_rows()


def test_in_a_batch_a_bounce_and_mail_past_its_bounds_keep_their_rules(practice_campaign, tmp_path):
    from tests.mail.test_bounds_and_bounces import bounce, kent, many_parts

    folder = mailbox(tmp_path, ANSWERS[:2])
    forged = bounce("Mail delivery failed: returning message to sender", "mailer-daemon@mail.example.net",
                    f"Freedom of Information request {kent()['reference']}")
    (folder / "m-forged.eml").write_bytes(forged)
    (folder / "n-many.eml").write_bytes(many_parts(300, f"Re: {kent()['reference']}", kent()["message_id"]))

    results = {r.source_name.rsplit("/", 1)[-1]: r.message for r in services.IngestPaths([str(folder)]).execute()}

    assert MailMessage.objects.count() == 4 and MailSuggestion.objects.filter(message__kind="answer").count() == 2
    forged_row = MailMessage.objects.get(pk=results["m-forged.eml"].pk)
    assert forged_row.kind == "bounce" and forged_row.request is None and forged_row.from_force is None
    many = MailMessage.objects.get(pk=results["n-many.eml"].pk)
    assert many.kind == "unreadable" and many.problem.startswith("too many parts")
    assert many.request.force.force_id == "kent" and not many.attachments.exists()
    assert files_in_storage() == files_with_rows()
