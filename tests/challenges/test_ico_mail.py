"""The ICO's mail quotes its own case reference, never ours: once the reference is on a request's
ladder, the inbox matches the Commissioner's mail to that request."""
import datetime as dt
from email.message import EmailMessage

import pytest

from collection.challenges.services import RecordChallengeStep, request_for_ico_reference
from collection.mail.matching import ICO_REFERENCE
from collection.mail.services import IngestMessage
from collection.requests.models import FoiRequest
from collection.requests.services import RecordResponse

D = dt.date.fromisoformat


@pytest.mark.parametrize("text, found", [
    ("Our reference: IC-41234-K9X2", ["IC-41234-K9X2"]), ("case ic-123456-a1b2.", ["ic-123456-a1b2"]),
    ("Decision notice FS50612345", ["FS50612345"]), ("FER0612345 (EIR)", ["FER0612345"]),
    ("FOI-CYBER-2015-16-KENT and 2016/123", []),
])
def test_ico_reference_shapes(text, found):
    assert ICO_REFERENCE.findall(text) == found


def ico_mail(subject, body):
    msg = EmailMessage()
    msg["From"] = "ICO casework <casework@ico.org.uk>"
    msg["To"] = "foi@research.example.org"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{abs(hash(subject))}@ico.org.uk>"
    msg.set_content(body)
    return msg.as_bytes()


@pytest.mark.django_db
def test_the_icos_mail_is_matched_by_its_case_reference(campaign):
    kent = FoiRequest.objects.get(campaign=campaign, force__force_id="kent")
    RecordResponse(kent, "refused", D("2016-03-29"), sections="s.40(2)").execute()
    RecordChallengeStep(kent, "ico_complaint", D("2016-05-20")).execute()
    RecordChallengeStep(kent, "ico_reference", D("2016-05-27"), reference="IC-41234-K9X2").execute()
    assert request_for_ico_reference("ic-41234-k9x2") == kent
    message = IngestMessage(ico_mail("Your complaint about Kent Police - case ic-41234-k9x2",
                                     "We have now allocated your complaint to a case officer.")).execute().message
    assert message.request_id == kent.pk and message.matched_by == "ico_reference"
    other = IngestMessage(ico_mail("Your complaint - IC-99999-ZZZZ", "A case we never recorded.")).execute().message
    assert other.request_id is None
