"""Challenging from the workspace: the Challenge button on the rows that can be challenged, the
drafted letter a person edits, previews and sends (once, through the request's envelope), the
ladder's chips on the board, the campaign-wide s.12 drafts, and who may do what."""
import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from collection.challenges.models import ChallengeStep
from collection.requests.models import FoiRequest, RequestStatus
from collection.requests.services import RecordResponse
from collection.workspace import states
from collection.workspace.board import build_board

pytestmark = pytest.mark.django_db


def req(campaign, force_id):
    return FoiRequest.objects.select_related("force", "campaign").get(campaign=campaign, force__force_id=force_id)


def letter_url(request):
    return reverse("admin:collection_challengestep_letter", args=[request.pk])


@pytest.fixture
def refused(campaign):
    from collection.forces.models import Force

    Force.objects.filter(force_id="suffolk").update(foi_email="foi@suffolk.police.example")
    today = timezone.localdate()
    suffolk = req(campaign, "suffolk")
    RecordResponse(suffolk, "refused", today - dt.timedelta(days=3), sections="s.12",
                   force_reference="FOI/<b>0412</b>").execute()
    RecordResponse(req(campaign, "kent"), "refused", today - dt.timedelta(days=3), sections="s.40(2)").execute()
    RecordResponse(req(campaign, "essex"), "provided", today - dt.timedelta(days=3)).execute()
    return req(campaign, "suffolk")


def row_of(board, force_id):
    return next(r for r in board.rows if r.force.force_id == force_id)


def test_the_challenge_button_is_on_refused_and_overdue_rows_only(refused, researcher_client):
    board = build_board(refused.campaign)
    assert states.CHALLENGE in row_of(board, "suffolk").state.actions
    assert states.CHALLENGE in row_of(board, "dorset").state.actions  # sent in 2016, never answered: overdue
    assert states.CHALLENGE not in row_of(board, "essex").state.actions
    page = researcher_client.get(reverse("admin:collection_campaign_workspace", args=[refused.campaign_id]))
    html = page.content.decode()
    assert letter_url(refused) in html and "Challenge every s.12 refusal (1)" in html


def test_the_letter_is_drafted_escaped_previewed_then_sent_once(refused, researcher_client):
    page = researcher_client.get(letter_url(refused))
    html = page.content.decode()
    assert "Cost (s.12)" in html and "FOI/&lt;b&gt;0412&lt;/b&gt;" in html and "<b>0412" not in html
    assert page.context["form"].initial["subject"].startswith("Internal review request FOI-CYBER-2015-16-SUFFOLK")
    body = page.context["form"].initial["letter"] + "\nWith a <script>alert(1)</script> of our own."
    subject = page.context["form"].initial["subject"]
    preview = researcher_client.post(letter_url(refused), {"subject": subject, "letter": body, "preview": "1"})
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in preview.content.decode() and not mail.outbox
    assert "nothing has been sent yet" in preview.content.decode()
    sent = researcher_client.post(letter_url(refused), {"subject": subject, "letter": body, "send": "1"})
    assert sent.status_code == 302 and len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [refused.force.foi_email] and message.subject == subject
    assert "<script>alert(1)</script>" in message.body and message.reply_to == ["foi@research.example.org"]
    step = ChallengeStep.objects.get(request=refused)
    assert (step.stage, step.kind, step.date) == ("internal_review", "asked", timezone.localdate())
    assert "of our own" in step.letter
    refused.refresh_from_db()
    assert refused.status == RequestStatus.INTERNAL_REVIEW
    again = researcher_client.post(letter_url(refused), {"subject": subject, "letter": body, "send": "1"})
    assert "already been asked for" in again.content.decode() and len(mail.outbox) == 1


def test_a_mail_server_that_refuses_the_letter_leaves_nothing_recorded(refused, researcher_client, settings):
    from tests.helpers import closed_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port(), 2
    subject = researcher_client.get(letter_url(refused)).context["form"].initial["subject"]
    page = researcher_client.post(letter_url(refused), {"subject": subject, "letter": "Please review.", "send": "1"})
    assert page.status_code == 200 and "not sent, nothing recorded" in page.content.decode()
    assert not ChallengeStep.objects.exists()
    refused.refresh_from_db()
    assert refused.status == RequestStatus.ANSWERED


def test_the_subject_must_keep_our_reference(refused, researcher_client):
    page = researcher_client.post(letter_url(refused), {"subject": "Review please", "letter": "Text", "send": "1"})
    assert "keep our reference FOI-CYBER-2015-16-SUFFOLK" in page.content.decode()
    assert not mail.outbox and not ChallengeStep.objects.exists()


def test_the_board_shows_each_step_as_a_chip_with_its_date(refused, researcher_client):
    researcher_client.post(reverse("admin:collection_challengestep_record", args=[refused.pk]),
                           {"step": "review_asked", "on": "2026-01-05"})
    researcher_client.post(reverse("admin:collection_challengestep_record", args=[refused.pk]),
                           {"step": "review_answered", "on": "2026-01-20", "outcome": "upheld"})
    bad = researcher_client.post(reverse("admin:collection_challengestep_record", args=[refused.pk]),
                                 {"step": "decision_notice", "on": "2026-02-01", "outcome": "overturned"}, follow=True)
    assert "utcome: decision_notice needs one of upheld, partly, not_upheld" in bad.content.decode()
    html = researcher_client.get(reverse("admin:collection_campaign_workspace", args=[refused.campaign_id])).content.decode()
    assert "Review asked · 5 Jan 2026" in html and "Review answered: refusal upheld · 20 Jan 2026" in html
    assert 'data-next-step="ico_complaint_by"' in html and "ICO complaint by 3 Mar 2026" in html
    assert ChallengeStep.objects.filter(request=refused).count() == 2


def test_every_s12_refusal_gets_its_own_draft(refused, researcher_client):
    page = researcher_client.get(reverse("admin:collection_challengestep_campaign", args=[refused.campaign_id]))
    drafts = page.context["drafts"]
    assert [r.force.force_id for r, _ in drafts] == ["suffolk"] and "Cost (s.12)" in drafts[0][1].body
    kent = researcher_client.get(reverse("admin:collection_challengestep_campaign", args=[refused.campaign_id])
                                 + "?section=s.40")
    assert [r.force.force_id for r, _ in kent.context["drafts"]] == ["kent"]


def test_viewers_see_but_send_and_record_nothing(refused, viewer_client):
    assert viewer_client.get(letter_url(refused)).status_code == 200
    assert viewer_client.post(letter_url(refused), {"subject": "x", "letter": "y", "send": "1"}).status_code == 403
    assert viewer_client.post(reverse("admin:collection_challengestep_record", args=[refused.pk]),
                              {"step": "review_asked", "on": "2026-01-05"}).status_code == 403
    assert not mail.outbox and not ChallengeStep.objects.exists()


def test_figures_after_a_review_are_its_answer(refused):
    from collection.challenges.services import RecordChallengeStep

    RecordChallengeStep(refused, "review_asked", timezone.localdate() - dt.timedelta(days=2)).execute()
    RecordResponse(refused, "provided", timezone.localdate()).execute()
    answered = ChallengeStep.objects.get(request=refused, kind="answered")
    assert answered.outcome == "overturned" and answered.date == timezone.localdate()
