"""The report counts how challenges went, by section and stage, and names the forces whose figures
came after a review."""
import datetime as dt

import pytest
from django.urls import reverse

from collection.challenges.services import RecordChallengeStep
from collection.challenges.tally import StepRow, by_section_and_stage
from collection.requests.models import FoiRequest
from collection.requests.services import RecordResponse

D = dt.date.fromisoformat


def test_by_section_and_stage():
    rows = by_section_and_stage([
        StepRow(1, "s.12", "internal_review", "asked"), StepRow(1, "s.12", "internal_review", "answered", "overturned"),
        StepRow(2, "s.12", "internal_review", "asked"), StepRow(2, "s.12", "internal_review", "answered", "upheld"),
        StepRow(2, "s.12", "ico", "complaint_made"), StepRow(2, "s.12", "decision_notice", "decision", "upheld"),
        StepRow(3, "s.40(2), s.31", "internal_review", "asked"),
        StepRow(4, "", "internal_review", "asked"), StepRow(4, "", "internal_review", "answered", "partly"),
    ])
    table = {(r["section"], r["stage"]): (r["asked"], r["upheld"], r["overturned"], r["partly"], r["waiting"])
             for r in rows}
    assert table == {
        ("s.12", "internal_review"): (2, 1, 1, 0, 0), ("s.12", "ico"): (1, 1, 0, 0, 0),
        ("s.40(2)", "internal_review"): (1, 0, 0, 0, 1), ("s.31", "internal_review"): (1, 0, 0, 0, 1),
        ("no section cited", "internal_review"): (1, 0, 0, 1, 0),
    }


@pytest.mark.django_db
def test_the_report_shows_the_challenges_and_who_joined_after_review(campaign, researcher_client):
    suffolk = FoiRequest.objects.get(campaign=campaign, force__force_id="suffolk")
    RecordResponse(suffolk, "refused", D("2016-03-29"), sections="s.12").execute()
    RecordChallengeStep(suffolk, "review_asked", D("2016-04-05")).execute()
    RecordResponse(suffolk, "provided", D("2016-04-28")).execute()  # the review's answer: overturned
    page = researcher_client.get(reverse("admin:reports_campaign_report", args=[campaign.pk]))
    html = page.content.decode()
    assert page.context["challenges"]["rows"][0]["overturned"] == 1
    assert page.context["challenges"]["rows"][0]["section"] == "s.12"
    assert "Figures that came after a review: Suffolk Constabulary" in html
