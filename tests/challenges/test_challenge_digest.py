"""The ladder in the morning digest: our own steps near their last day, a force late on a decision
notice; the pure rule and the digest the reminder job sends."""
import datetime as dt

import pytest
from django.core import mail

from collection import deadlines as d
from collection.challenges.services import RecordChallengeStep
from collection.reminders.rules import LADDER_DUE, LADDER_FORCE_LATE, ladder_section
from collection.requests.models import FoiRequest
from collection.requests.services import RecordResponse

D = dt.date.fromisoformat


def step(action, due, late=False):
    return d.NextStep(action, D(due), ("why",), late)


@pytest.mark.parametrize("next_step, today, expected", [
    (step(d.NEXT_ASK_REVIEW, "2016-05-25"), "2016-05-20", LADDER_DUE),  # 3 working days ahead (Fri -> Wed)
    (step(d.NEXT_ASK_REVIEW, "2016-05-25"), "2016-05-19", None),  # 4 ahead: not yet
    (step(d.NEXT_ASK_REVIEW, "2016-05-25"), "2016-05-25", LADDER_DUE),  # the last day
    (step(d.NEXT_ASK_REVIEW, "2016-05-25", True), "2016-05-26", None),  # missed: not every day for ever
    (step(d.NEXT_APPEAL, "2016-12-28"), "2016-12-22", LADDER_DUE),  # across Christmas: 3 working days
    (step(d.NEXT_COMPLY, "2017-01-01", True), "2017-01-03", LADDER_FORCE_LATE),
    (step(d.NEXT_COMPLY, "2017-01-01"), "2016-12-30", None),
    (step(d.NEXT_REVIEW_DUE, "2016-05-04", True), "2016-05-10", None),  # the review-overdue section's
    (None, "2016-05-10", None),
])
def test_ladder_section(next_step, today, expected):
    assert ladder_section(next_step, D(today)) == expected


@pytest.mark.django_db
def test_the_digest_lists_a_review_window_closing_and_a_decision_not_complied_with(campaign, run_reminders):
    suffolk = FoiRequest.objects.get(campaign=campaign, force__force_id="suffolk")
    RecordResponse(suffolk, "refused", D("2016-03-29"), sections="s.12").execute()
    kent = FoiRequest.objects.get(campaign=campaign, force__force_id="kent")
    RecordResponse(kent, "refused", D("2016-03-29"), sections="s.40(2)").execute()
    RecordChallengeStep(kent, "decision_notice", D("2016-04-01"), outcome="upheld", reference="FS50612345").execute()
    run_reminders("2016-05-23")  # Suffolk's last day to ask is Wed 25 May; Kent's 6 May passed
    digest = next(m for m in mail.outbox if m.subject.startswith("FOI digest"))
    assert "Challenges: our next step is due" in digest.body
    assert "Suffolk Constabulary" in digest.body and "Ask for a review by 25 May 2016" in digest.body
    assert "Decision notice not complied with" in digest.body and "Force to comply by 6 May 2016" in digest.body
