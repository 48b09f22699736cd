"""Who sent it, and which message it is: a forged answer imports nothing until a person accepts
it; a force's subdomain is the force's; a domain a person accepted mail from is learned; two
messages under one Message-ID are both kept, a re-delivery is not."""
import email
from email import policy
from io import StringIO

import pytest
from django.core.management import call_command

from collection.mail.models import MailMessage, MailSuggestion
from collection.mail.services import AcceptSuggestion, IngestMessage, IngestPaths
from collection.requests.models import FoiRequest
from collection.returns.models import OffenceCount, ReturnedFile, ReturnStatus
from tests.mail.practice import SLUG, message_bytes
from tests.mail.test_ingest import practice_campaign  # noqa: F401

MET_ACK = "msg-0014.eml"  # the Met's acknowledgement, threaded to our request
MET_ANSWER = "msg-0046.eml"  # the Met's answer: In-Reply-To our request, the figures attached


def rewritten(raw: bytes, **fields: str) -> bytes:
    """The message with some fields written anew (From, Message-ID...), the rest as it was."""
    msg = email.message_from_bytes(raw, policy=policy.SMTP)
    for name, value in fields.items():
        name = name.replace("_", "-")
        del msg[name]
        msg[name] = value
    return msg.as_bytes()


def forged(raw: bytes, sender: str) -> bytes:
    return rewritten(raw, From=sender)


@pytest.mark.parametrize("sender,why", [
    ("Met FOI <met.foi.unit@gmail.com>", "sent from met.foi.unit@gmail.com, which is neither"),  # a personal address
    ("Met FOI <foi@metropolitan-police.uk>", "sent from foi@metropolitan-police.uk, which is neither"),  # look-alike
    ("Met FOI <foi@metropolitan.police.uk.example.net>", "sent from foi@metropolitan.police.uk.example.net"),
])
def test_a_forged_answer_imports_nothing_until_a_person_accepts_it(practice_campaign, researcher, sender, why):
    message = IngestMessage(forged(message_bytes(MET_ANSWER), sender)).execute().message
    assert message.request.force.force_id == "metropolitan" and message.matched_by == "in_reply_to"
    assert message.from_force is False and why in message.sender_check
    suggestion = MailSuggestion.objects.get(message=message)
    assert not suggestion.clean and suggestion.attention.startswith(message.sender_check)

    out = StringIO()
    call_command("apply_suggestions", SLUG, stdout=out)
    met = FoiRequest.objects.get(campaign=practice_campaign, force__force_id="metropolitan")
    assert met.outcome == "" and not OffenceCount.objects.filter(request=met).exists()
    assert ReturnedFile.objects.get(request=met).status == ReturnStatus.PENDING  # read, not imported
    assert "0 suggestion(s) accepted, 1 left for a person" in out.getvalue() and why in out.getvalue()

    AcceptSuggestion(suggestion, researcher).execute()  # a person looked and says it is the Met's
    met.refresh_from_db()
    assert met.outcome == "provided" and OffenceCount.objects.filter(request=met).exists()


def test_a_failing_dmarc_check_from_the_forces_own_address_waits_for_a_person(practice_campaign):
    raw = b"Authentication-Results: mx.research.example.org; spf=pass smtp.mailfrom=metropolitan.police.uk;\r\n" \
          b" dkim=fail header.d=metropolitan.police.uk; dmarc=fail header.from=metropolitan.police.uk\r\n" \
          + message_bytes(MET_ANSWER)
    message = IngestMessage(raw).execute().message
    assert message.from_force is False
    assert message.sender_check.startswith("the receiving server's checks failed (dmarc=fail, dkim=fail)")
    assert not MailSuggestion.objects.get(message=message).clean


def test_checks_below_the_top_are_not_ours_and_a_passing_signature_outweighs_a_failing_one(practice_campaign):
    top = b"Authentication-Results: mx.research.example.org; dkim=pass header.d=metropolitan.police.uk;" \
          b" dkim=fail header.d=relay.example; spf=pass; dmarc=pass\r\n"
    written_by_sender = b"Authentication-Results: mx.research.example.org; dmarc=fail\r\n"
    raw = message_bytes(MET_ANSWER).replace(b"Message-ID:", written_by_sender + b"Message-ID:", 1)
    message = IngestMessage(top + raw).execute().message
    assert message.from_force is True and "FOI address" in message.sender_check
    assert MailSuggestion.objects.get(message=message).clean


def test_mail_from_a_subdomain_is_the_forces_and_a_domain_a_person_accepted_is_learned(practice_campaign, researcher):
    sub = IngestMessage(forged(message_bytes(MET_ACK), "Jo <jo@mail.metropolitan.police.uk>")).execute().message
    assert sub.from_force is True and "mail.metropolitan.police.uk, Metropolitan Police Service's own domain" \
        in sub.sender_check
    MailMessage.objects.all().delete()
    first = IngestMessage(forged(message_bytes(MET_ACK), "Jo <jo@met.pnn.police.uk>")).execute().message
    assert first.from_force is False
    AcceptSuggestion(MailSuggestion.objects.get(message=first), researcher).execute()  # a person says it is the Met
    later = IngestMessage(forged(message_bytes(MET_ANSWER), "Jo <jo@met.pnn.police.uk>")).execute().message
    assert later.from_force is True and "met.pnn.police.uk, Metropolitan Police Service's own domain" in later.sender_check
    assert MailSuggestion.objects.get(message=later).clean


def test_two_messages_under_one_message_id_are_both_kept_and_a_redelivery_is_not(practice_campaign, tmp_path):
    ack = message_bytes(MET_ACK)
    ack_id = str(email.message_from_bytes(ack, policy=policy.SMTP)["Message-ID"]).strip()
    answer = rewritten(message_bytes(MET_ANSWER), Message_ID=str(ack_id))  # a ticketing system reusing its id
    redelivered = b"Received: from mx2.example by mx1.example; Thu, 14 Apr 2016 10:00:00 +0100\r\n" + answer
    for name, raw in (("a.eml", ack), ("b.eml", answer), ("c.eml", redelivered)):
        (tmp_path / name).write_bytes(raw)
    results = IngestPaths([str(tmp_path)]).execute()
    assert [(r.created, r.duplicate) for r in results] == [(True, False), (True, False), (False, True)]
    kept = list(MailMessage.objects.order_by("pk"))
    assert len(kept) == 2 and kept[0].message_id == kept[1].message_id == str(ack_id)
    assert all(m.shares_message_id for m in kept) and [m.kind for m in kept] == ["acknowledgement", "answer"]
    assert kept[1].duplicates == 1 and kept[1].attachments.exists()
    assert all(r.message.shares_message_id for r in results)
    assert MailSuggestion.objects.filter(message__in=kept).count() == 2  # each message said its own thing
