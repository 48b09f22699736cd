"""Mail past its bounds is kept whole and nothing in it is acted on; a delivery failure marks a
force's address failing only on evidence (our Message-ID, or the force's own mail system)."""
import email.policy
import email.utils
import tracemalloc
from email.message import EmailMessage

import pytest

from collection.forces.models import Force
from collection.mail.bounds import MailBounds, scan
from collection.mail.models import MailAttachment, MailMessage, MailSuggestion, UnmatchedMail
from collection.mail.parse import parse_message
from collection.mail.services import AssignMessage, IngestMessage
from collection.requests.models import FoiRequest, RequestStatus
from collection.returns.models import ReturnedFile
from tests.mail.practice import sent_messages
from tests.mail.test_ingest import practice_campaign  # noqa: F401


def many_parts(count: int, subject: str = "many files", in_reply_to: str = "") -> bytes:
    head = (f"From: FOI Unit <foi@kent.police.uk>\r\nTo: foi-research@localhost\r\nSubject: {subject}\r\n"
            f"Date: Mon, 02 May 2016 10:00:00 +0100\r\nMessage-ID: <many-{count}@kent.police.uk>\r\n"
            + (f"In-Reply-To: {in_reply_to}\r\n" if in_reply_to else "")
            + 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="PART"\r\n\r\n').encode()
    part = b'--PART\r\nContent-Type: text/csv\r\nContent-Disposition: attachment; filename="f%d.csv"\r\n\r\n' \
           b"offence,count\r\n88A,%d\r\n"
    return head + b"".join(part % (i, i) for i in range(count)) + b"--PART--\r\n"


def kent():
    return sent_messages()["kent"]


def test_a_100000_part_message_is_kept_whole_and_nothing_in_it_is_acted_on(practice_campaign):
    raw = many_parts(100_000, f"Re: {kent()['reference']}", kent()["message_id"])
    before = FoiRequest.objects.get(campaign=practice_campaign, force__force_id="kent").status
    message = IngestMessage(raw).execute().message
    message.refresh_from_db()
    assert message.problem.startswith("too many parts: more than 200 MIME parts (FOI_MAIL_MAX_PARTS)")
    assert message.kind == "unreadable" and message.size == len(raw)
    with message.raw.open("rb") as fh:
        assert fh.read() == raw  # kept whole, byte for byte
    assert message.request.force.force_id == "kent"  # listed on its request by its headers alone
    assert not MailAttachment.objects.exists() and not ReturnedFile.objects.exists()
    assert not MailSuggestion.objects.exists()
    assert FoiRequest.objects.get(campaign=practice_campaign, force__force_id="kent").status == before


def test_the_reason_shows_on_the_inbox_and_the_message_page(practice_campaign, researcher_client):
    from django.urls import reverse

    message = IngestMessage(many_parts(300, f"Re: {kent()['reference']}", kent()["message_id"])).execute().message
    inbox = researcher_client.get(reverse("admin:collection_campaign_inbox", args=[practice_campaign.pk]))
    page = researcher_client.get(reverse("admin:collection_mailmessage_change", args=[message.pk]))
    for response in (inbox, page):
        assert response.status_code == 200 and "too many parts: more than 200 MIME parts" in response.content.decode()


def test_the_parts_are_counted_without_parsing_them():
    found = scan(many_parts(100_000), MailBounds(), 25 * 1024 * 1024)
    assert found.refusal and found.parts == 201 and not found.readable  # stopped at the first part too many
    assert scan(many_parts(199), MailBounds(), 25 * 1024 * 1024).parts == 200
    assert not scan(many_parts(199), MailBounds(), 25 * 1024 * 1024).refusal


def test_too_many_attachments_and_too_many_decoded_bytes_are_refused_with_their_setting():
    parsed = parse_message(many_parts(51))
    assert parsed.over_limit and "51 attachments, over the limit of 50 (FOI_MAIL_MAX_ATTACHMENTS)" in parsed.problem
    assert parsed.attachments == [] and parsed.subject == "many files"
    assert not parse_message(many_parts(50)).problem
    parsed = parse_message(many_parts(40), bounds=MailBounds(max_decoded_bytes=500))
    assert parsed.over_limit and "(FOI_MAIL_MAX_DECODED_BYTES)" in parsed.problem and not parsed.attachments


def test_the_limits_are_settings(practice_campaign, settings):
    settings.FOI_MAIL_MAX_ATTACHMENTS = 3
    message = IngestMessage(many_parts(4)).execute().message
    assert "over the limit of 3 (FOI_MAIL_MAX_ATTACHMENTS)" in message.problem
    assert not message.attachments.exists()


def test_a_body_too_large_to_read_is_never_held_by_the_parser():
    """A 30 MB attachment (over the 25 MB file limit) is listed as too large, by its size, and the
    parser never sees it: reading the message costs a fraction of its size."""
    msg = EmailMessage()
    msg["From"], msg["Subject"] = "foi@kent.police.uk", "the full extract"
    msg.set_content("Please find attached.")
    msg.add_attachment(bytes(30 * 1024 * 1024), maintype="application", subtype="octet-stream",
                       filename="extract.xlsx")
    raw = msg.as_bytes()
    tracemalloc.start()
    try:
        parsed = parse_message(raw)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert parsed.text.strip() == "Please find attached."
    (attachment,) = parsed.attachments
    assert attachment.name == "extract.xlsx" and attachment.role == "oversize" and attachment.data is None
    assert attachment.size == 30 * 1024 * 1024 and "larger than the 25.0 MB size limit" in attachment.refused
    assert peak < len(raw) / 2, peak


def bounce(subject: str, sender: str, returned_subject: str, returned_id: str = "<someone-else@example.org>",
           **headers) -> bytes:
    """A "Mail Delivery System" report in Exim's words, returning a message after its text."""
    msg = EmailMessage()
    msg["Return-Path"] = "<>"
    msg["From"] = f"Mail Delivery System <{sender}>"
    msg["To"] = "foi-research@localhost"
    msg["Subject"] = subject
    msg["Date"] = email.utils.format_datetime(email.utils.parsedate_to_datetime("Thu, 07 Apr 2016 09:00:00 +0100"))
    msg["Message-ID"] = email.utils.make_msgid(domain=sender.split("@")[1])
    msg["X-Failed-Recipients"] = kent()["to"]
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content("This message was created automatically by mail delivery software.\n\n"
                    "A message that you sent could not be delivered to one or more of its recipients.\n"
                    f"  {kent()['to']}\n    host said: 550 5.1.1 user unknown\n\n"
                    "------ This is a copy of the message, including all the headers. ------\n\n"
                    f"From: foi-research@localhost\nTo: {kent()['to']}\nSubject: {returned_subject}\n"
                    f"Message-ID: {returned_id}\n\nPlease send the figures.\n")
    return msg.as_bytes()


def kent_failing() -> bool:
    return Force.objects.get(force_id="kent").foi_email_failing


def test_a_forged_bounce_quoting_a_reference_waits_for_a_person(practice_campaign, researcher):
    reference = kent()["reference"]
    raw = bounce("Mail delivery failed: returning message to sender", "mailer-daemon@mail.example.net",
                 f"Freedom of Information request {reference}")
    message = IngestMessage(raw).execute().message
    assert message.kind == "bounce"
    assert message.request is None and UnmatchedMail.objects.filter(pk=message.pk).exists()
    assert "neither returns our message by its Message-ID nor comes from" in message.match_reason
    kent_request = FoiRequest.objects.get(campaign=practice_campaign, force__force_id="kent")
    assert message.reading["candidates"] == [kent_request.pk]  # offered first to the person
    assert not kent_failing() and kent_request.status != RequestStatus.UNDELIVERED

    AssignMessage(message, kent_request, researcher).execute()  # a person looked: it is real
    assert kent_failing()
    assert FoiRequest.objects.get(pk=kent_request.pk).status == RequestStatus.UNDELIVERED


def test_a_bounce_returning_our_message_id_marks_the_address_failing(practice_campaign):
    raw = bounce("Mail delivery failed: returning message to sender", "mailer-daemon@mail.example.net",
                 f"Freedom of Information request {kent()['reference']}", kent()["message_id"])
    message = IngestMessage(raw).execute().message
    assert message.request.force.force_id == "kent" and kent_failing()
    assert "returns our message" in message.sender_check and message.from_force is None


def test_a_bounce_from_the_forces_own_mail_system_marks_the_address_failing(practice_campaign):
    domain = kent()["to"].rsplit("@", 1)[1].strip(">")
    raw = bounce("Undeliverable: Freedom of Information request", f"postmaster@{domain}",
                 f"Freedom of Information request {kent()['reference']}")
    message = IngestMessage(raw).execute().message
    assert message.request.force.force_id == "kent" and kent_failing()
    assert "mail system" in message.sender_check


def test_a_bounce_from_the_forces_domain_failing_the_receiving_servers_checks_waits(practice_campaign):
    domain = kent()["to"].rsplit("@", 1)[1].strip(">")
    raw = bounce("Undeliverable: Freedom of Information request", f"postmaster@{domain}",
                 f"Freedom of Information request {kent()['reference']}",
                 Authentication_Results="mx.localhost; spf=fail smtp.mailfrom=example.net; dmarc=fail")
    message = IngestMessage(raw).execute().message
    assert message.request is None and not kent_failing()


def test_a_forwarded_message_is_kept_whole_though_its_large_bodies_skip_the_parser():
    inner = EmailMessage()
    inner["From"], inner["Subject"], inner["Message-ID"] = "analyst@kent.police.uk", "figures", "<inner@kent>"
    inner.set_content("See attached.")
    figures = bytes(range(256)) * 4000  # 1 MB: over the size the parser is shown
    inner.add_attachment(figures, maintype="application", subtype="octet-stream", filename="figures.bin")
    outer = EmailMessage()
    outer["From"], outer["Subject"] = "foi@kent.police.uk", "FW: figures"
    outer.set_content("Forwarded as asked.")
    outer.add_attachment(inner)
    attached, inside_it = parse_message(outer.as_bytes()).attachments
    assert attached.name == "figures.eml" and inside_it.name == "figures.bin" and inside_it.data == figures
    kept = email.message_from_bytes(attached.data, policy=email.policy.default)
    assert kept["Message-ID"] == "<inner@kent>"
    (part,) = [p for p in kept.iter_attachments()]
    assert part.get_content() == figures  # the attached message as it came, its large body included


def test_a_plain_message_quoting_mime_lines_is_one_part_read_whole():
    quoted = "".join(f'Content-Type: multipart/mixed; boundary="Q"\n--Q\nline {i}\n' for i in range(300))
    body = ("x" * 100 + "\n") * 3000 + quoted  # over the size a body is held at, then lines like boundaries
    raw = f"From: foi@kent.police.uk\nSubject: pasted source\nContent-Type: text/plain\n\n{body}".encode()
    assert scan(raw, MailBounds(), 25 * 1024 * 1024).parts == 1
    parsed = parse_message(raw)
    assert not parsed.problem and parsed.text.rstrip("\n") == body.rstrip("\n")
