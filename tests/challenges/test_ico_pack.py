"""The ICO complaint pack: once a review upheld the answer (or went unanswered), one click (or
`challenge --ico-pack`) gives a zip of the chronology with the clocks' own dates, every message and
file on the request byte for byte, the grounds, and SHA256SUMS; the same bytes every time. A Viewer
may download it and change nothing."""
import datetime as dt
import hashlib
import io
import zipfile
from email.message import EmailMessage

import pytest
from django.core.files.base import ContentFile
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from collection import deadlines
from collection.archives import FIXED_TIME
from collection.challenges.chronology import pack_problem
from collection.challenges.models import ChallengeStep
from collection.challenges.pack import IcoPack
from collection.challenges.services import RecordChallengeStep
from collection.mail.services import IngestMessage
from collection.reminders.models import ReminderLog
from collection.requests.models import FoiRequest, RequestEvent, working_calendar
from collection.requests.services import RecordResponse
from collection.returns.models import ReturnedFile, ReturnStatus
from tests.helpers import command

pytestmark = pytest.mark.django_db
D = dt.date.fromisoformat
SLUG = "cyber-2015-16"
TODAY = D("2016-05-10")


def req(campaign, force_id):
    return FoiRequest.objects.select_related("force", "campaign").get(campaign=campaign, force__force_id=force_id)


def force_mail(request, subject, body):
    msg = EmailMessage()
    msg["From"] = f"FOI <{request.force.foi_email or 'foi@suffolk.police.uk'}>"
    msg["To"] = "foi@research.example.org"
    msg["Subject"] = subject
    msg["Date"] = "Tue, 29 Mar 2016 10:00:00 +0100"
    msg["Message-ID"] = f"<{abs(hash(subject))}@police.example>"
    msg.set_content(body)
    return msg.as_bytes()


@pytest.fixture
def upheld(campaign):
    """Suffolk refused under s.12, we asked for a review with a letter, the review upheld it."""
    suffolk = req(campaign, "suffolk")
    RecordResponse(suffolk, "refused", D("2016-03-29"), sections="s.12", force_reference="FOI/<b>0412</b>").execute()
    raw = force_mail(suffolk, f"RE: {suffolk.our_reference} refusal", "We refuse under section 12.")
    message = IngestMessage(raw).execute().message
    message.request = suffolk
    message.save()
    RecordChallengeStep(suffolk, "review_asked", D("2016-04-05"), letter="Please review <this> refusal.").execute()
    RecordChallengeStep(suffolk, "review_answered", D("2016-05-04"), outcome="upheld").execute()
    returned = ReturnedFile(request=suffolk, original_name="Refusal notice (s.12).pdf", sha256="0" * 64, size=9,
                            status=ReturnStatus.STORED, received_on=D("2016-03-29"))
    returned.file.save("refusal.pdf", ContentFile(b"%PDF-1.4 refusal"), save=False)
    returned.save()
    ReminderLog.objects.create(kind="chaser", campaign=suffolk.campaign, request=suffolk, about=D("2016-03-29"),
                               recipient="foi@suffolk.example", subject="Overdue: FOI request", status="sent",
                               sent_at=timezone.make_aware(dt.datetime(2016, 3, 31, 9)))
    suffolk.refresh_from_db()
    return suffolk, raw


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        infos = z.infolist()
        assert [i.filename for i in infos] == sorted(i.filename for i in infos)
        assert {i.date_time for i in infos} == {FIXED_TIME}
        return {i.filename.split("/", 1)[1]: z.read(i) for i in infos}


def test_the_pack_holds_every_message_and_file_with_their_checksums(upheld):
    suffolk, raw = upheld
    data = IcoPack(suffolk, TODAY).zip()
    assert IcoPack(suffolk, TODAY).zip() == data  # the same bytes every time
    files = unzip(data)
    sums = dict(reversed(line.split("  ", 1)) for line in files.pop("SHA256SUMS").decode().splitlines())
    assert sorted(sums) == sorted(files)
    for name, content in files.items():
        assert hashlib.sha256(content).hexdigest() == sums[name], name
    pdf = f"files/{hashlib.sha256(b'%PDF-1.4 refusal').hexdigest()}-Refusal_notice_s.12_.pdf"
    assert files[pdf] == b"%PDF-1.4 refusal"
    received = [n for n in files if n.startswith("messages/received/")]
    assert received == [f"messages/received/2016-03-29-{hashlib.sha256(raw).hexdigest()}.eml"]
    assert files[received[0]] == raw  # the kept bytes, not a re-rendering
    assert b"Please review <this> refusal." in files["messages/sent/2016-04-05-internal_review-asked-"
                                                     f"{ChallengeStep.objects.get(kind='asked').pk}.txt"]
    assert any(n.startswith("messages/sent/") and n.endswith("-request.txt") for n in files)
    grounds = files["grounds.md"].decode()
    assert "Cost (s.12)" in grounds and "upheld the force's answer on 4 May 2016" in grounds
    # typed values are Markdown text: a viewer that renders the file shows the tags, never runs them
    for text in (grounds, files["chronology.md"].decode()):
        assert "FOI/\\<b\\>0412\\</b\\>" in text and "<b>" not in text


def test_the_chronology_dates_are_the_clock_functions(upheld):
    suffolk, _ = upheld
    calendar = working_calendar()
    text = unzip(IcoPack(suffolk, TODAY).zip())["chronology.md"].decode()
    expected = {
        "Answer due": suffolk.due_on,
        "Internal review to be asked for by": deadlines.review_ask_by(D("2016-03-29"), calendar=calendar),
        "Internal review due": deadlines.review_due(D("2016-04-05"), calendar=calendar),
        "Internal review at most": deadlines.review_very_overdue_after(D("2016-04-05"), calendar=calendar),
        "Complaint to the ICO by": deadlines.ico_complaint_by(D("2016-05-04")),
        "Next step: ico_complaint_by": deadlines.ico_complaint_by(D("2016-05-04")),
    }
    for label, day in expected.items():
        assert f"| {day.isoformat()} | {label}" in text, label
    assert deadlines.review_due(D("2016-04-05"), calendar=calendar) == D("2016-05-04")  # across 2 May
    for day in ("2016-03-29", "2016-04-05", "2016-05-04"):
        assert f"| {day} |" in text
    assert "Internal review answered" in text and "E-mail received" in text
    assert "| 2016-03-31 | Chaser e-mailed to foi@suffolk.example: Overdue: FOI request |" in text


def test_an_unanswered_review_makes_the_pack_once_it_is_late(campaign):
    kent = req(campaign, "kent")
    RecordResponse(kent, "refused", D("2016-03-30"), sections="s.40(2)").execute()
    RecordChallengeStep(kent, "review_asked", D("2016-04-05")).execute()
    due = deadlines.review_due(D("2016-04-05"), calendar=working_calendar())
    assert "not due until 4 May 2016" in IcoPack(kent, due).problem()
    files = unzip(IcoPack(kent, due + dt.timedelta(days=1)).zip())
    grounds, chronology = files["grounds.md"].decode(), files["chronology.md"].decode()
    assert "The internal review went unanswered" in grounds and "Personal data (s.40(2))" in grounds
    opens = deadlines.ico_complaint_open_from(D("2016-04-05"), calendar=working_calendar())
    assert f"| {opens.isoformat()} | The ICO takes a complaint without the review from" in chronology


def test_no_pack_before_a_review_or_after_one_that_overturned(campaign):
    assert "no internal review" in pack_problem([], TODAY)
    step = deadlines.LadderStep(deadlines.STAGE_REVIEW, deadlines.STEP_ANSWERED, D("2016-05-04"), deadlines.OVERTURNED)
    assert "overturned" in pack_problem([step], TODAY)
    assert pack_problem([deadlines.LadderStep(deadlines.STAGE_ICO, deadlines.STEP_COMPLAINT, TODAY)], TODAY) is None


def state():
    return (ChallengeStep.objects.count(), RequestEvent.objects.count(), ReturnedFile.objects.count(),
            list(FoiRequest.objects.order_by("pk").values_list("status", "outcome", "updated_at")))


def test_viewers_download_the_pack_and_change_nothing(upheld, viewer, researcher):
    suffolk, _ = upheld
    viewer_client, researcher_client = Client(), Client()
    viewer_client.force_login(viewer)
    researcher_client.force_login(researcher)
    url = reverse("admin:collection_challengestep_icopack", args=[suffolk.pk])
    before = state()
    response = viewer_client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert 'filename="ico-complaint-FOI-CYBER-2015-16-SUFFOLK.zip"' in response["Content-Disposition"]
    assert "chronology.md" in unzip(response.content) and "grounds.md" in unzip(response.content)
    assert viewer_client.post(url).status_code == 405
    assert state() == before
    letter = viewer_client.get(reverse("admin:collection_challengestep_letter", args=[suffolk.pk])).content.decode()
    assert url in letter and "Record a step" not in letter
    board = researcher_client.get(reverse("admin:collection_campaign_workspace", args=[suffolk.campaign_id]))
    assert f'data-ico-pack href="{url}"' in board.content.decode()
    assert board.content.decode().count("data-ico-pack") == 1


def test_typed_values_are_escaped_where_the_pack_is_offered(campaign, researcher_client):
    suffolk = req(campaign, "suffolk")
    suffolk.force.name = "Suffolk <script>alert(1)</script>"
    suffolk.force.save()
    RecordResponse(suffolk, "refused", D("2016-03-29"), sections="s.12", force_reference="<i>ref</i>").execute()
    RecordChallengeStep(suffolk, "review_asked", dt.date.today()).execute()
    page = researcher_client.get(reverse("admin:collection_challengestep_letter", args=[suffolk.pk]))
    html = page.content.decode()
    assert "no ICO complaint pack yet" in html and "Suffolk &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html and "&lt;i&gt;ref&lt;/i&gt;" in html
    refused = researcher_client.get(reverse("admin:collection_challengestep_icopack", args=[suffolk.pk]), follow=True)
    assert "not due until" in refused.content.decode() and "<script>alert(1)" not in refused.content.decode()


def test_the_command_writes_the_same_zip(upheld, tmp_path):
    suffolk, _ = upheld
    out = tmp_path / "pack.zip"
    said = command("challenge", SLUG, "suffolk", "--ico-pack", str(out), "--today", TODAY.isoformat())
    assert out.read_bytes() == IcoPack(suffolk, TODAY).zip()
    assert "ICO complaint pack written" in said and hashlib.sha256(out.read_bytes()).hexdigest() in said


@pytest.mark.parametrize("force, words", [
    ("atlantis", "atlantis"),
    ("kent", "no internal review has been asked for"),
])
def test_bad_input_is_one_clear_line_and_nothing_written(upheld, tmp_path, force, words):
    out = tmp_path / "out" / "pack.zip"
    out.parent.mkdir()
    with pytest.raises(CommandError) as refused:
        command("challenge", SLUG, force, "--ico-pack", str(out), "--today", TODAY.isoformat())
    assert words in str(refused.value) and "\n" not in str(refused.value).strip()
    assert list(out.parent.iterdir()) == []
    with pytest.raises(CommandError, match="is not a folder"):
        command("challenge", SLUG, "suffolk", "--ico-pack", str(tmp_path / "no" / "pack.zip"))
